//! The OpenCost allocation API (`/allocation`, `/allocation/compute`) over the sim's pods and
//! nodes: costs from resource requests at a fixed price list, for the window asked, aggregated
//! as asked, with `__idle__` for node capacity no pod requested. Pods are taken as running for
//! the whole window (the platform existed before the sim started).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use jiff::Timestamp;
use serde_json::{Value, json};

use crate::sim::kube_api::Shared;
use crate::sim::world::World;

/// Dollars per core-hour and per GiB-hour (a discounted list price: the platform's plan keeps
/// infrastructure under $500 a month).
const CPU_HOUR: f64 = 0.0125;
const RAM_GIB_HOUR: f64 = 0.0017;
const HOUR: i64 = 3600;
const DAY: i64 = 86_400;

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/allocation", get(allocation))
        .route("/allocation/compute", get(allocation))
        .with_state(shared)
}

fn error(message: String) -> Response {
    let body = json!({"code": 400, "status": "", "data": null, "message": message});
    (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
}

async fn allocation(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let Some(window) = q.get("window") else {
        return error("Error: missing 'window' parameter".into());
    };
    let w = shared.world();
    let now = w.now().as_second();
    let Some((start, end)) = parse_window(window, now) else {
        return error(format!("Error: invalid window: {window}"));
    };
    let aggregate: Vec<&str> = q
        .get("aggregate")
        .map(|a| a.split(',').filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    if let Some(bad) = aggregate.iter().find(|a| !is_property(a)) {
        return error(format!("Error: unknown aggregation property: {bad}"));
    }
    let flag = |k: &str| q.get(k).is_some_and(|v| v == "true");
    let steps: Vec<(i64, i64)> = if flag("accumulate") || end - start <= DAY {
        vec![(start, end)]
    } else {
        (start..end)
            .step_by(DAY as usize)
            .map(|s| (s, (s + DAY).min(end)))
            .collect()
    };
    let data: Vec<Value> = steps
        .iter()
        .map(|&(s, e)| step(&w, s, e, &aggregate, flag("includeIdle")))
        .collect();
    axum::Json(json!({"code": 200, "status": "success", "data": data})).into_response()
}

fn is_property(p: &str) -> bool {
    matches!(
        p,
        "cluster" | "namespace" | "controller" | "controllerKind" | "deployment" | "pod"
    ) || p.starts_with("label:")
}

/// OpenCost's window forms: today, yesterday, week, month, lastweek, Nh, Nd, or `start,end`
/// as RFC 3339 or unix seconds. Windows never reach past now.
pub fn parse_window(w: &str, now: i64) -> Option<(i64, i64)> {
    let midnight = now - now.rem_euclid(DAY);
    let span = match w {
        "today" => (midnight, now),
        "yesterday" => (midnight - DAY, midnight),
        "week" => {
            // Weeks start on Sunday; 1970-01-01 was a Thursday.
            let weekday = (now.div_euclid(DAY) + 4).rem_euclid(7);
            (midnight - weekday * DAY, now)
        }
        "lastweek" => {
            let weekday = (now.div_euclid(DAY) + 4).rem_euclid(7);
            let this = midnight - weekday * DAY;
            (this - 7 * DAY, this)
        }
        "month" => (month_start(now)?, now),
        _ => {
            if let Some((a, b)) = w.split_once(',') {
                let t = |s: &str| {
                    s.parse::<i64>()
                        .ok()
                        .or_else(|| s.parse::<Timestamp>().ok().map(|t| t.as_second()))
                };
                (t(a)?, t(b)?.min(now))
            } else {
                let (n, unit) = w.split_at(w.len().checked_sub(1)?);
                let n: i64 = n.parse().ok()?;
                let secs = match unit {
                    "h" => n * HOUR,
                    "d" => n * DAY,
                    "m" => n * 60,
                    _ => return None,
                };
                (now - secs, now)
            }
        }
    };
    (span.0 < span.1).then_some(span)
}

fn month_start(now: i64) -> Option<i64> {
    let date = Timestamp::from_second(now)
        .ok()?
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
        .first_of_month();
    Some(
        date.to_zoned(jiff::tz::TimeZone::UTC)
            .ok()?
            .timestamp()
            .as_second(),
    )
}

/// Kubernetes quantities as the sim writes them: "250m", "2", "512Mi", "1Gi".
fn quantity(q: &str) -> f64 {
    let (num, scale) = if let Some(n) = q.strip_suffix('m') {
        (n, 1e-3)
    } else if let Some(n) = q.strip_suffix("Mi") {
        (n, 1.0 / 1024.0)
    } else if let Some(n) = q.strip_suffix("Gi") {
        (n, 1.0)
    } else {
        (q, 1.0)
    };
    num.parse::<f64>().unwrap_or(0.0) * scale
}

/// A stable usage share per app, so efficiencies look like a real cluster's (0.2 to 0.9).
fn usage_share(app: &str, seed: u64) -> f64 {
    let h = app
        .bytes()
        .fold(seed, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
    0.2 + (h % 70) as f64 / 100.0
}

struct Row {
    props: BTreeMap<&'static str, String>,
    cpu: f64,
    ram_gib: f64,
    cpu_used: f64,
    ram_used: f64,
}

fn step(w: &World, start: i64, end: i64, aggregate: &[&str], idle: bool) -> Value {
    let hours = (end - start) as f64 / HOUR as f64;
    let mut groups: BTreeMap<String, (BTreeMap<&'static str, String>, [f64; 4])> = BTreeMap::new();
    let mut allocated = [0.0; 2];
    for pod in w.pods.values() {
        let row = pod_row(pod);
        let key = if aggregate.is_empty() {
            row.props.get("pod").cloned().unwrap_or_default()
        } else {
            aggregate
                .iter()
                .map(|a| {
                    row.props
                        .get(a)
                        .cloned()
                        .unwrap_or_else(|| "__unallocated__".into())
                })
                .collect::<Vec<_>>()
                .join("/")
        };
        let g = groups
            .entry(key)
            .or_insert_with(|| (row.props.clone(), [0.0; 4]));
        // Properties shared by every member survive aggregation; the rest are dropped.
        g.0.retain(|k, v| row.props.get(k) == Some(v));
        g.1[0] += row.cpu;
        g.1[1] += row.ram_gib;
        g.1[2] += row.cpu_used;
        g.1[3] += row.ram_used;
        allocated[0] += row.cpu;
        allocated[1] += row.ram_gib;
    }
    let mut out = serde_json::Map::new();
    let window = json!({"start": iso(start), "end": iso(end)});
    for (key, (props, [cpu, ram, cpu_used, ram_used])) in groups {
        let alloc = allocation_json(
            &key,
            &props,
            &window,
            hours,
            cpu,
            ram,
            Some((cpu_used, ram_used)),
        );
        out.insert(key, alloc);
    }
    if idle {
        let cap_cpu: f64 = w.nodes.values().map(|n| f64::from(n.cpu)).sum();
        let cap_ram: f64 = w.nodes.values().map(|n| f64::from(n.memory_gi)).sum();
        let (cpu, ram) = (
            (cap_cpu - allocated[0]).max(0.0),
            (cap_ram - allocated[1]).max(0.0),
        );
        let props = BTreeMap::from([("cluster", "cluster-one".to_string())]);
        let alloc = allocation_json("__idle__", &props, &window, hours, cpu, ram, None);
        out.insert("__idle__".into(), alloc);
    }
    Value::Object(out)
}

fn pod_row(pod: &crate::sim::world::model::PodM) -> Row {
    let requests = pod
        .template
        .spec
        .as_ref()
        .and_then(|s| s.containers.first())
        .and_then(|c| c.resources.as_ref())
        .and_then(|r| r.requests.as_ref());
    let req = |k: &str| {
        requests
            .and_then(|r| r.get(k))
            .map_or(0.0, |q| quantity(&q.0))
    };
    let (cpu, ram_gib) = (req("cpu"), req("memory"));
    let share = usage_share(pod.app(), 7);
    let kind = match pod.owner.kind {
        "ReplicaSet" => "deployment",
        "StatefulSet" => "statefulset",
        other => other,
    };
    let controller = pod.app().to_string();
    let mut props = BTreeMap::from([
        ("cluster", "cluster-one".to_string()),
        ("namespace", pod.meta.ns.to_string()),
        ("controller", controller.clone()),
        ("controllerKind", kind.to_string()),
        ("pod", pod.meta.name.clone()),
    ]);
    if kind == "deployment" {
        props.insert("deployment", controller);
    }
    Row {
        props,
        cpu,
        ram_gib,
        cpu_used: cpu * share,
        ram_used: ram_gib * (share + 0.1).min(1.0),
    }
}

fn iso(t: i64) -> String {
    Timestamp::from_second(t).map_or_else(|_| String::new(), |t| t.to_string())
}

/// One Allocation with OpenCost's field names. Idle has no usage: NaN efficiencies, as
/// OpenCost reports them (as strings, since JSON has no NaN).
#[allow(clippy::too_many_arguments)]
fn allocation_json(
    name: &str,
    props: &BTreeMap<&'static str, String>,
    window: &Value,
    hours: f64,
    cpu: f64,
    ram_gib: f64,
    used: Option<(f64, f64)>,
) -> Value {
    let round = |v: f64| (v * 1e5).round() / 1e5;
    let cpu_cost = round(cpu * hours * CPU_HOUR);
    let ram_cost = round(ram_gib * hours * RAM_GIB_HOUR);
    let eff = |u: f64, r: f64| {
        if r > 0.0 {
            json!(round(u / r))
        } else {
            json!("NaN")
        }
    };
    let (cpu_eff, ram_eff, total_eff) = match used {
        Some((cu, ru)) => {
            let total = if cpu_cost + ram_cost > 0.0 {
                json!(round(
                    (cu / cpu.max(1e-9) * cpu_cost + ru / ram_gib.max(1e-9) * ram_cost)
                        / (cpu_cost + ram_cost)
                ))
            } else {
                json!("NaN")
            };
            (eff(cu, cpu), eff(ru, ram_gib), total)
        }
        None => (json!("NaN"), json!("NaN"), json!("NaN")),
    };
    json!({
        "name": name,
        "properties": props,
        "window": window,
        "start": window["start"],
        "end": window["end"],
        "minutes": round(hours * 60.0),
        "cpuCores": round(cpu),
        "cpuCoreHours": round(cpu * hours),
        "cpuCost": cpu_cost,
        "cpuCostAdjustment": 0.0,
        "gpuHours": 0.0,
        "gpuCost": 0.0,
        "ramBytes": round(ram_gib * 1024.0 * 1024.0 * 1024.0),
        "ramByteHours": round(ram_gib * 1024.0 * 1024.0 * 1024.0 * hours),
        "ramCost": ram_cost,
        "ramCostAdjustment": 0.0,
        "pvCost": 0.0,
        "networkCost": 0.0,
        "loadBalancerCost": 0.0,
        "sharedCost": 0.0,
        "externalCost": 0.0,
        "cpuEfficiency": cpu_eff,
        "ramEfficiency": ram_eff,
        "totalEfficiency": total_eff,
        "totalCost": round(cpu_cost + ram_cost),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-25 18:00:00 UTC, a Wednesday.
    const NOW: i64 = 1_795_629_600;

    #[test]
    fn windows() {
        assert_eq!(parse_window("today", NOW), Some((NOW - 18 * HOUR, NOW)));
        assert_eq!(parse_window("7d", NOW), Some((NOW - 7 * DAY, NOW)));
        assert_eq!(
            parse_window("month", NOW),
            Some((NOW - 24 * DAY - 18 * HOUR, NOW))
        );
        // Sunday 2026-11-22 00:00.
        assert_eq!(
            parse_window("week", NOW),
            Some((NOW - 3 * DAY - 18 * HOUR, NOW))
        );
        assert_eq!(
            parse_window("1795600000,1795620000", NOW),
            Some((1_795_600_000, 1_795_620_000))
        );
        assert_eq!(parse_window("7x", NOW), None);
        assert_eq!(parse_window("", NOW), None);
    }

    #[test]
    fn quantities() {
        assert_eq!(quantity("250m"), 0.25);
        assert_eq!(quantity("512Mi"), 0.5);
        assert_eq!(quantity("2Gi"), 2.0);
        assert_eq!(quantity("2"), 2.0);
    }
}
