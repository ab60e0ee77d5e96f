//! The platform's own HTTP API (PLATFORM.md): health, the generation switch, pipeline runs.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use jiff::Timestamp;
use serde_json::{Value, json};

use crate::sim::kube_api::Shared;
use crate::sim::kube_api::requests::log_writes;
use crate::sim::world::World;
use crate::sim::world::pipelines::{RetryError, Run, STATUSES};

type S = State<Arc<Shared>>;

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/health/live", get(live))
        .route("/health/ready", get(ready))
        .route("/config", get(config))
        .route("/config/pause-generation", post(pause))
        .route("/config/resume-generation", post(resume))
        .route("/pipelines", get(pipelines))
        .route("/pipeline/{id}/retry", post(retry))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(from_fn_with_state((shared.clone(), "platform"), log_writes))
        .with_state(shared)
}

fn reply(code: StatusCode, v: Value) -> Response {
    (code, axum::Json(v)).into_response()
}

fn error(code: StatusCode, message: impl Into<String>) -> Response {
    reply(code, json!({"error": message.into()}))
}

async fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "no such endpoint")
}

async fn method_not_allowed() -> Response {
    error(
        StatusCode::METHOD_NOT_ALLOWED,
        "method not allowed on this endpoint",
    )
}

/// The platform's view of itself: dependencies and the API's ready pods.
fn checks(w: &World) -> (&'static str, Value) {
    let mut checks = serde_json::Map::new();
    let mut degraded = false;
    for dep in ["redis", "postgres", "qdrant", "rabbitmq"] {
        let up = w
            .statefulsets
            .iter()
            .find(|(k, _)| &*k.ns == "contentgen" && k.name == dep)
            .is_some_and(|(_, s)| s.ready > 0);
        degraded |= !up;
        checks.insert(dep.into(), json!(if up { "ok" } else { "down" }));
    }
    let (ready, want) = w
        .deployments
        .iter()
        .find(|(k, _)| &*k.ns == "contentgen" && k.name == "api")
        .map_or((0, 0), |(_, d)| (d.status.ready, d.replicas));
    checks.insert("api_ready_pods".into(), json!(format!("{ready}/{want}")));
    let workers = w.pipeline_workers();
    let healthy = workers.iter().filter(|w| !w.hung).count();
    checks.insert(
        "article_generator_workers".into(),
        json!(format!("{healthy}/{}", workers.len())),
    );
    checks.insert(
        "generation".into(),
        json!(if w.pipelines.paused() {
            "paused"
        } else {
            "active"
        }),
    );
    degraded |= ready < want || healthy < workers.len();
    let status = match (ready, degraded) {
        (0, _) => "down",
        (_, true) => "degraded",
        _ => "ok",
    };
    (status, Value::Object(checks))
}

async fn health(State(s): S) -> Response {
    let (status, checks) = checks(&s.world());
    let code = if status == "down" {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    reply(code, json!({"status": status, "checks": checks}))
}

/// The process answers: always 200.
async fn live() -> Response {
    reply(StatusCode::OK, json!({"status": "ok", "checks": {}}))
}

/// 503 while the `api` Deployment has no ready pods.
async fn ready(State(s): S) -> Response {
    health(State(s)).await
}

fn config_value(w: &World) -> Value {
    json!({"generation_paused": w.pipelines.paused()})
}

async fn config(State(s): S) -> Response {
    reply(StatusCode::OK, config_value(&s.world()))
}

async fn pause(State(s): S) -> Response {
    set_paused(&s, true)
}

async fn resume(State(s): S) -> Response {
    set_paused(&s, false)
}

fn set_paused(s: &Shared, paused: bool) -> Response {
    let mut w = s.world();
    let now = s.clock.now();
    w.pipelines.set_paused(paused, now);
    reply(StatusCode::OK, config_value(&w))
}

fn run_json(r: &Run, now: Timestamp) -> Value {
    json!({
        "id": r.id,
        "stage": r.stage.name(),
        "status": r.status(now),
        "started_at": r.started_at.to_string(),
        "updated_at": r.updated_at.to_string(),
        "worker": r.worker,
        "article_id": r.article_id,
        "attempt": r.attempt,
        "error": r.error,
    })
}

async fn pipelines(State(s): S, Query(q): Query<HashMap<String, String>>) -> Response {
    let status = q
        .get("status")
        .map(String::as_str)
        .filter(|s| !s.is_empty());
    if let Some(st) = status.filter(|st| !STATUSES.contains(st)) {
        return error(
            StatusCode::BAD_REQUEST,
            format!("unknown status {st:?}; valid: {}", STATUSES.join(", ")),
        );
    }
    let w = s.world();
    let now = s.clock.now();
    let runs: Vec<Value> = w
        .pipelines
        .list(now, status)
        .into_iter()
        .map(|r| run_json(r, now))
        .collect();
    reply(StatusCode::OK, json!({"pipelines": runs}))
}

async fn retry(State(s): S, Path(id): Path<String>) -> Response {
    let mut w = s.world();
    let now = s.clock.now();
    match w.pipelines.retry(&id, now) {
        Ok(r) => reply(
            StatusCode::ACCEPTED,
            json!({"id": r.id, "status": r.status(now), "attempt": r.attempt}),
        ),
        Err(RetryError::NotFound) => {
            error(StatusCode::NOT_FOUND, format!("pipeline {id} not found"))
        }
        Err(RetryError::NotRetryable(status)) => error(
            StatusCode::CONFLICT,
            format!("pipeline {id} is {status}: only stuck or failed pipelines can be retried"),
        ),
    }
}
