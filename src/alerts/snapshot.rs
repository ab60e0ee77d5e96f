//! Alerts and silences in `opsdeck snapshot`: every alert (each label set once, worst first)
//! with what it is about and the instances holding it, the groups, and every silence; each
//! Alertmanager as a source; the text is the alerts and silences views' tables at full width.

use serde::Serialize;
use serde_json::{Map, Value};

use super::about::About;
use super::matcher::show_all;
use super::model::{AlertRow, AlertState, AlertsModel, Severity};
use super::view::{Alerts, Silences};
use crate::ui::snapshot::{PaneSnapshot, Source, heading, json, rfc3339, section};
use crate::ui::table::Ctx;

#[derive(Serialize)]
struct AlertJson<'a> {
    name: &'a str,
    /// "firing", "silenced", "inhibited".
    state: AlertState,
    /// The `severity` label's rank: "page", "high", "warning", "info".
    severity: Severity,
    summary: &'a str,
    /// What its labels name (`{"kind": "workload", ...}`, or `{"kind": "nothing"}`).
    about: &'a About,
    starts_at: String,
    /// The instances that hold it.
    alertmanagers: &'a [String],
    silenced_by: &'a [String],
    inhibited_by: &'a [String],
    /// A runbook the console has for it.
    runbook: Option<&'a str>,
    labels: &'a std::collections::BTreeMap<String, String>,
    annotations: &'a std::collections::BTreeMap<String, String>,
    /// Only instances that stopped answering hold it: what they said last.
    stale: bool,
}

fn alert(a: &AlertRow) -> Value {
    json(&AlertJson {
        name: a.name(),
        state: a.state,
        severity: a.severity,
        summary: a.summary(),
        about: &a.about,
        starts_at: rfc3339(a.starts_at),
        alertmanagers: &a.instances,
        silenced_by: &a.silenced_by,
        inhibited_by: &a.inhibited_by,
        runbook: a.runbook.as_deref(),
        labels: &a.labels,
        annotations: &a.annotations,
        stale: a.stale,
    })
}

/// Each configured Alertmanager (`urls` in config order, without credentials).
pub fn sources(model: &AlertsModel, urls: &[String]) -> Vec<Source> {
    model
        .instances()
        .iter()
        .enumerate()
        .map(|(i, inst)| {
            let url = urls.get(i).map(String::as_str);
            Source::new(
                "alertmanager",
                format!("Alertmanager {}", inst.name),
                url,
                &inst.state,
            )
        })
        .collect()
}

pub fn snapshot(model: &AlertsModel, ctx: &Ctx) -> PaneSnapshot {
    let load = model.load();
    let (firing, pages) = model.firing();
    let mut more = Map::new();
    more.insert("firing".into(), Value::from(firing));
    more.insert("paging".into(), Value::from(pages));
    more.insert(
        "groups".into(),
        Value::Array(
            model
                .groups()
                .iter()
                .map(|g| {
                    serde_json::json!({
                        "labels": g.labels,
                        "receiver": g.receiver,
                        "alerts": g.alerts,
                        "firing": g.firing,
                    })
                })
                .collect(),
        ),
    );
    more.insert(
        "silences".into(),
        Value::Array(
            model
                .silences()
                .iter()
                .map(|s| {
                    serde_json::json!({
                        "id": s.id(),
                        "ids": s.ids.iter().map(|(am, id)| serde_json::json!({"alertmanager": am, "id": id})).collect::<Vec<_>>(),
                        "state": s.state,
                        "matchers": show_all(&s.matchers),
                        "starts_at": rfc3339(s.starts_at),
                        "ends_at": rfc3339(s.ends_at),
                        "created_by": s.created_by,
                        "comment": s.comment,
                        "matches": s.matches,
                    })
                })
                .collect(),
        ),
    );
    let alerts = model.alerts().len();
    let mut text = section(
        heading("Alerts", alerts, &load, ctx),
        &Alerts(model),
        alerts,
        ctx,
    );
    let silences = model.silences().len();
    text.push(String::new());
    text.extend(section(
        heading("Silences", silences, &load, ctx),
        &Silences(model),
        silences,
        ctx,
    ));
    PaneSnapshot {
        key: "alerts",
        rows: model.unique().map(alert).collect(),
        more,
        text,
    }
}
