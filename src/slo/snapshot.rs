//! The SLOs in `opsdeck snapshot`: each SLO's state, budget left, burn and time to exhaustion,
//! and every alert row's long and short burns, worst first, from the model's own figures; the
//! text is the SLO view's table at full width.

use serde::Serialize;

use super::math::{AlertState, RowResult, Severity};
use super::model::{SloModel, SloRow};
use super::view::Slos;
use crate::ui::snapshot::{PaneSnapshot, Source, heading, json, section};
use crate::ui::table::Ctx;

#[derive(Serialize)]
struct SloJson<'a> {
    key: &'a str,
    name: &'a str,
    service: &'a str,
    objective: f64,
    period_secs: u64,
    /// "page", "ticket", "ok", "no_data". (Not since when: one reading cannot tell.)
    state: &'static str,
    /// Over the fastest page row's long window (1h for 30 days).
    burn: Option<f64>,
    /// Share of the period's error budget left (negative: overspent).
    budget_remaining: Option<f64>,
    /// When the budget runs out at `burn`.
    exhausts_in_secs: Option<u64>,
    alerts: Vec<AlertJson>,
    /// A query Prometheus refused.
    error: Option<&'a str>,
    /// file:line of the definition.
    origin: &'a str,
}

#[derive(Serialize)]
struct AlertJson {
    severity: &'static str,
    long_window_secs: u64,
    short_window_secs: u64,
    factor: f64,
    long_burn: Option<f64>,
    short_burn: Option<f64>,
    firing: Option<bool>,
}

fn state_word(state: AlertState) -> &'static str {
    match state {
        AlertState::Page => "page",
        AlertState::Ticket => "ticket",
        AlertState::Ok => "ok",
        AlertState::NoData => "no_data",
    }
}

fn alert(r: &RowResult) -> AlertJson {
    AlertJson {
        severity: match r.window.severity {
            Severity::Page => "page",
            Severity::Ticket => "ticket",
        },
        long_window_secs: r.window.long.as_secs(),
        short_window_secs: r.window.short.as_secs(),
        factor: r.window.factor,
        long_burn: r.long_burn,
        short_burn: r.short_burn,
        firing: r.firing,
    }
}

fn row(r: &SloRow) -> SloJson<'_> {
    SloJson {
        key: &r.key,
        name: &r.name,
        service: &r.service,
        objective: r.objective,
        period_secs: r.period.as_secs(),
        state: state_word(r.eval.state),
        burn: r.burn,
        budget_remaining: r.budget_remaining,
        exhausts_in_secs: r.exhaustion.map(|d| d.as_secs()),
        alerts: r.eval.rows.iter().map(alert).collect(),
        error: r.error.as_deref(),
        origin: &r.origin,
    }
}

/// Prometheus, when there are SLOs to read from it.
pub fn sources(model: &SloModel, prometheus: Option<&str>) -> Vec<Source> {
    if model.is_empty() {
        return vec![];
    }
    vec![Source::new(
        "prometheus",
        "Prometheus",
        prometheus,
        &model.load(),
    )]
}

pub fn snapshot(model: &SloModel, ctx: &Ctx) -> PaneSnapshot {
    let n = model.rows().len();
    PaneSnapshot {
        key: "slo",
        rows: model.rows().iter().map(|r| json(&row(r))).collect(),
        more: serde_json::Map::new(),
        text: section(heading("SLOs", n, &model.load(), ctx), &Slos(model), n, ctx),
    }
}
