//! Health in `opsdeck snapshot`: every service worst first, with each endpoint's answer and
//! what fails or warns; each service's readiness endpoint as a source; the text is the health
//! view's table at full width.

use serde_json::{Value, json};

use super::model::{Endpoint, HealthModel, HealthRow};
use super::view::Services;
use crate::config::HealthConfig;
use crate::status::LoadState;
use crate::ui::snapshot::{PaneSnapshot, Source, heading, rfc3339, section};
use crate::ui::table::Ctx;

fn endpoint(e: &Endpoint) -> Value {
    json!({
        "status": e.status.map(|s| s.word()),
        "code": e.code,
        "elapsed_ms": e.elapsed_ms,
        "shape": e.shape.map(|s| s.label()),
    })
}

fn row(r: &HealthRow) -> Value {
    json!({
        "name": r.name,
        "status": r.status.word(),
        "since": r.since_ms.map(|ms| rfc3339(ms.div_euclid(1000))),
        "ready": endpoint(&r.ready),
        "live": r.live.as_ref().map(endpoint),
        "problems": r.problems.iter().map(|(s, text)| json!({"status": s.word(), "text": text})).collect::<Vec<_>>(),
        "live_reading": r.load == LoadState::Live,
    })
}

/// Each service's endpoints, in the state of its row.
pub fn sources(model: &HealthModel, configs: &[HealthConfig]) -> Vec<Source> {
    configs
        .iter()
        .filter_map(|c| {
            let r = model.row(&c.name)?;
            Some(Source::new(
                "health",
                format!("health of {}", c.name),
                Some(&crate::clients::http::redact(&c.url)),
                &r.load,
            ))
        })
        .collect()
}

pub fn snapshot(model: &HealthModel, ctx: &Ctx) -> PaneSnapshot {
    let rows = model.rows();
    PaneSnapshot {
        key: "health",
        rows: rows.iter().map(row).collect(),
        more: serde_json::Map::new(),
        text: section(
            heading("Health", rows.len(), &model.load(), ctx),
            &Services(model),
            rows.len(),
            ctx,
        ),
    }
}
