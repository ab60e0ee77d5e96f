//! Readiness and liveness of every service and dependency of the platform, at
//! `/services/{name}/health/ready` and `/services/{name}/health/live`, in the three shapes real
//! services answer with: `application/health+json` (the API, the article generator, the LLM
//! providers), MicroProfile Health (the other Python workers) and a bare status code (the
//! datastores and the broker). Computed from the world, so scenarios show: a bad API revision
//! fails its error check, a crash-looping worker is DOWN, a hung worker warns, what lived on a
//! lost node goes unready, a prompt loop pushes the providers towards their rate limits.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use jiff::Timestamp;
use serde_json::{Value, json};

use crate::sim::kube_api::Shared;
use crate::sim::world::World;
use crate::sim::world::model::{CState, Key};

type S = State<Arc<Shared>>;

const NS: &str = "contentgen";

/// How a service answers its health endpoints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// IETF draft-inadarei-api-health-check: pass|warn|fail, `checks` by "component:measurement".
    HealthJson,
    /// MicroProfile Health: UP|DOWN, `checks` as a list; 200 or 503.
    MicroProfile,
    /// Only the status code (and a word).
    Bare,
}

/// Every service and dependency, with its shape.
pub const SERVICES: [(&str, Shape); 13] = [
    ("api", Shape::HealthJson),
    ("article-generator", Shape::HealthJson),
    ("fact-checker", Shape::MicroProfile),
    ("topic-analyzer", Shape::MicroProfile),
    ("publisher", Shape::MicroProfile),
    ("competitor-monitor", Shape::MicroProfile),
    ("scheduler", Shape::MicroProfile),
    ("postgres", Shape::Bare),
    ("redis", Shape::Bare),
    ("qdrant", Shape::Bare),
    ("rabbitmq", Shape::Bare),
    ("openai", Shape::HealthJson),
    ("anthropic", Shape::HealthJson),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    Pass,
    Warn,
    Fail,
}

/// One check: "component:measurement" and what it saw.
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    pub key: String,
    pub component_type: &'static str,
    pub observed: f64,
    pub unit: &'static str,
    pub status: Status,
    pub output: String,
}

/// One probe's answer before it is put in a shape.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub status: Status,
    pub checks: Vec<Check>,
}

fn check(key: &str, component_type: &'static str, observed: f64, unit: &'static str) -> Check {
    Check {
        key: key.to_string(),
        component_type,
        observed,
        unit,
        status: Status::Pass,
        output: String::new(),
    }
}

/// What the health of a workload is computed from.
#[derive(Debug, Default)]
struct Pods {
    desired: i32,
    ready: i32,
    running: i32,
    crashing: Vec<(String, i32)>,
    hung: Vec<String>,
    bad_revision: i32,
}

fn pods(w: &World, app: &str) -> Pods {
    let key = Key::new(&Arc::from(NS), app);
    let desired = w
        .deployments
        .get(&key)
        .map(|d| d.replicas)
        .or_else(|| w.statefulsets.get(&key).map(|s| s.replicas))
        .unwrap_or(0);
    let mut p = Pods {
        desired,
        ..Pods::default()
    };
    let from = Key::new(&Arc::from(NS), String::new());
    for (k, pod) in w.pods.range(from..).take_while(|(k, _)| &*k.ns == NS) {
        if pod.app() != app {
            continue;
        }
        p.ready += i32::from(pod.ready);
        p.running += i32::from(pod.started.is_some() && !pod.node_lost);
        if pod.crashy && (pod.restarts > 0 || pod.cstate != CState::Running) {
            p.crashing.push((k.name.clone(), pod.restarts));
        }
        if pod.stuck_since.is_some() {
            p.hung.push(k.name.clone());
        }
        let bad = pod
            .template
            .spec
            .iter()
            .flat_map(|s| &s.containers)
            .any(|c| c.image.as_deref().is_some_and(|i| i.ends_with("-rc1")));
        p.bad_revision += i32::from(bad && pod.ready);
    }
    p
}

fn replicas_check(p: &Pods) -> Check {
    let mut c = check(
        "pods:readyReplicas",
        "component",
        f64::from(p.ready),
        "pods",
    );
    c.output = format!("{} of {} pods ready", p.ready, p.desired);
    c.status = if p.ready == 0 {
        Status::Fail
    } else if p.ready < p.desired {
        Status::Warn
    } else {
        Status::Pass
    };
    c
}

fn datastore_check(w: &World, name: &str, ms: f64) -> Check {
    let up = pods(w, name).ready > 0;
    let mut c = check(&format!("{name}:responseTime"), "datastore", ms, "ms");
    if !up {
        c.status = Status::Fail;
        c.output = format!("{name} does not answer");
    }
    c
}

/// The checks of one service's readiness probe.
fn ready_checks(w: &World, name: &str) -> Vec<Check> {
    if matches!(name, "openai" | "anthropic") {
        return provider_checks(w, name);
    }
    let p = pods(w, name);
    let mut checks = vec![replicas_check(&p)];
    if !p.crashing.is_empty() {
        let mut c = check("pods:restarts", "component", 0.0, "restarts");
        c.observed = f64::from(p.crashing.iter().map(|(_, r)| r).sum::<i32>());
        c.status = Status::Fail;
        c.output = p
            .crashing
            .iter()
            .map(|(pod, r)| format!("{pod} is OOMKilled on start ({r} restarts)"))
            .collect::<Vec<_>>()
            .join("; ");
        checks.push(c);
    }
    if !p.hung.is_empty() {
        let mut c = check(
            "workers:heartbeat",
            "component",
            p.hung.len() as f64,
            "workers",
        );
        c.status = Status::Warn;
        c.output = format!(
            "no heartbeat from {}: its tasks stay running",
            p.hung.join(", ")
        );
        checks.push(c);
    }
    match name {
        "api" => {
            let mut c = check("http:errorRatio", "component", 0.0, "percent");
            if p.bad_revision > 0 {
                c.observed = (f64::from(p.bad_revision) / f64::from(p.ready.max(1)) * 95.0).round();
                c.status = if p.bad_revision >= p.ready {
                    Status::Fail
                } else {
                    Status::Warn
                };
                c.output = format!(
                    "{} of {} ready pods run v1.9.0-rc1, which answers 5xx",
                    p.bad_revision, p.ready
                );
            }
            checks.push(c);
            checks.push(datastore_check(w, "postgres", 3.0));
            checks.push(datastore_check(w, "redis", 1.0));
        }
        "article-generator" | "fact-checker" | "topic-analyzer" | "publisher"
        | "competitor-monitor" | "scheduler" => checks.push(datastore_check(w, "redis", 1.0)),
        _ => {}
    }
    checks
}

/// An LLM provider as the platform sees it: how close its token rate is to the rate limit.
fn provider_checks(w: &World, name: &str) -> Vec<Check> {
    let inputs = w.metric_inputs();
    let loop_factor = if inputs.prompt_loop {
        crate::sim::metrics::PROMPT_LOOP
    } else {
        1.0
    };
    let usual = if name == "openai" { 11.0 } else { 9.0 };
    let running = if inputs.paused { 0.0 } else { 1.0 };
    let used = (usual * loop_factor * running).min(100.0);
    let mut c = check("tokens:utilization", "system", used, "percent");
    if used >= 75.0 {
        c.status = Status::Warn;
        c.output = format!(
            "tokens at {loop_factor}x the usual rate: {used}% of the rate limit, 429s ahead"
        );
    }
    vec![c]
}

fn worst(checks: &[Check]) -> Status {
    checks
        .iter()
        .map(|c| c.status)
        .max()
        .unwrap_or(Status::Pass)
}

/// One probe of one service now; None for a name that is not a service.
pub fn report(w: &World, name: &str, ready: bool) -> Option<Report> {
    SERVICES.iter().find(|(n, _)| *n == name)?;
    let checks = if ready {
        ready_checks(w, name)
    } else if matches!(name, "openai" | "anthropic") {
        vec![]
    } else {
        let p = pods(w, name);
        let mut c = check("process:uptime", "system", f64::from(p.running), "pods");
        if p.running == 0 {
            c.status = Status::Fail;
            c.output = "no process running".into();
        }
        vec![c]
    };
    Some(Report {
        status: worst(&checks),
        checks,
    })
}

fn status_word(s: Status) -> &'static str {
    match s {
        Status::Pass => "pass",
        Status::Warn => "warn",
        Status::Fail => "fail",
    }
}

fn code(fail: bool) -> StatusCode {
    if fail {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    }
}

/// The report in the service's shape.
pub fn render(shape: Shape, name: &str, r: &Report, now: Timestamp) -> Response {
    let fail = r.status == Status::Fail;
    match shape {
        Shape::HealthJson => {
            let mut checks = serde_json::Map::new();
            for c in &r.checks {
                let mut one = json!({
                    "componentType": c.component_type,
                    "observedValue": c.observed,
                    "observedUnit": c.unit,
                    "status": status_word(c.status),
                    "time": now.to_string(),
                });
                if !c.output.is_empty() {
                    one["output"] = c.output.clone().into();
                }
                checks.insert(c.key.clone(), Value::Array(vec![one]));
            }
            let body = json!({
                "status": status_word(r.status),
                "serviceId": format!("{NS}/{name}"),
                "description": format!("health of {name}"),
                "checks": checks,
            });
            let ct = [(header::CONTENT_TYPE, "application/health+json")];
            (code(fail), ct, body.to_string()).into_response()
        }
        Shape::MicroProfile => {
            let up = |s: Status| if s == Status::Fail { "DOWN" } else { "UP" };
            let checks: Vec<Value> = r
                .checks
                .iter()
                .map(|c| {
                    let mut data = json!({"observed": c.observed, "unit": c.unit});
                    if !c.output.is_empty() {
                        data["output"] = c.output.clone().into();
                    }
                    json!({"name": c.key, "status": up(c.status), "data": data})
                })
                .collect();
            let body = json!({"status": up(r.status), "checks": checks});
            (code(fail), axum::Json(body)).into_response()
        }
        Shape::Bare => {
            let word = if fail { "unavailable" } else { "ok" };
            (code(fail), [(header::CONTENT_TYPE, "text/plain")], word).into_response()
        }
    }
}

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/services/{name}/health/ready", get(ready))
        .route("/services/{name}/health/live", get(live))
        .with_state(shared)
}

fn answer(s: &Shared, name: &str, ready: bool) -> Response {
    let now = s.clock.now();
    let w = s.world();
    let shape = SERVICES.iter().find(|(n, _)| *n == name).map(|(_, s)| *s);
    match (shape, report(&w, name, ready)) {
        (Some(shape), Some(r)) => render(shape, name, &r, now),
        _ => (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"error": format!("no service {name:?}")})),
        )
            .into_response(),
    }
}

async fn ready(State(s): S, Path(name): Path<String>) -> Response {
    answer(&s, &name, true)
}

async fn live(State(s): S, Path(name): Path<String>) -> Response {
    answer(&s, &name, false)
}

#[cfg(test)]
mod tests {
    use jiff::SignedDuration;

    use super::*;
    use crate::sim::Scenario;
    use crate::sim::clock::TEST_NOW;

    fn advance(w: &mut World, secs: i64) {
        for _ in 0..secs {
            let t = w.now() + SignedDuration::from_secs(1);
            w.tick(t);
        }
    }

    fn status(w: &World, name: &str) -> Status {
        report(w, name, true).unwrap().status
    }

    #[test]
    fn the_healthy_platform_passes_everywhere() {
        let w = World::new(None, None, TEST_NOW);
        for (name, _) in SERVICES {
            assert_eq!(
                status(&w, name),
                Status::Pass,
                "{name}: {:?}",
                report(&w, name, true)
            );
            assert_eq!(
                report(&w, name, false).unwrap().status,
                Status::Pass,
                "{name}"
            );
        }
    }

    #[test]
    fn scenarios_fail_or_warn_what_they_break() {
        let cases = [
            (Scenario::BadRollout, "api", Status::Fail, 20),
            (Scenario::Crashloop, "fact-checker", Status::Fail, 10),
            (
                Scenario::PipelineStuck,
                "article-generator",
                Status::Warn,
                10,
            ),
            (Scenario::CostSpike, "openai", Status::Warn, 10),
        ];
        for (sc, name, want, secs) in cases {
            let mut w = World::new(Some(sc), None, TEST_NOW);
            advance(&mut w, secs);
            let r = report(&w, name, true).unwrap();
            assert_eq!(r.status, want, "{sc}: {name}: {r:?}");
            assert!(r.checks.iter().any(|c| !c.output.is_empty()), "{r:?}");
        }
    }

    #[test]
    fn what_lived_on_the_lost_node_goes_unready() {
        let mut w = World::new(Some(Scenario::NodeNotReady), None, TEST_NOW);
        advance(&mut w, 15);
        let on_node: Vec<&str> = SERVICES
            .iter()
            .map(|(n, _)| *n)
            .filter(|n| {
                w.pods
                    .values()
                    .any(|p| p.app() == *n && p.node.as_deref() == Some("pool-general-3"))
            })
            .collect();
        assert!(!on_node.is_empty());
        for name in on_node {
            assert_ne!(status(&w, name), Status::Pass, "{name}");
        }
    }
}
