//! The RabbitMQ management HTTP API for the sim's RabbitMQ-backed queues: the read-only part a
//! console uses (`/api/overview`, `/api/queues[/{vhost}[/{name}]]`), with basic auth as the
//! real plugin demands it. Served beside the platform API.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use crate::sim::kube_api::Shared;

type S = State<Arc<Shared>>;

/// The only vhost the sim has.
const VHOST: &str = "/";

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/api/overview", get(overview))
        .route("/api/queues", get(all_queues))
        .route("/api/queues/{vhost}", get(vhost_queues))
        .route("/api/queues/{vhost}/{name}", get(one_queue))
        .with_state(shared)
}

/// RabbitMQ answers 401 with this body to a request without valid basic auth. The sim accepts
/// any user and password, but a client that sends none is a client that fails in production.
fn unauthorized(headers: &HeaderMap) -> Option<Response> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("Basic "));
    if basic {
        return None;
    }
    let body = json!({"error": "not_authorized", "reason": "Not_Authorized"});
    Some(
        (
            StatusCode::UNAUTHORIZED,
            [(
                header::WWW_AUTHENTICATE,
                "Basic realm=\"RabbitMQ Management\"",
            )],
            axum::Json(body),
        )
            .into_response(),
    )
}

fn not_found() -> Response {
    let body = json!({"error": "Object Not Found", "reason": "Not Found"});
    (StatusCode::NOT_FOUND, axum::Json(body)).into_response()
}

fn queues(shared: &Shared) -> Vec<Value> {
    let w = shared.world();
    w.queues.rabbitmq_json(w.now().as_second())
}

async fn overview(State(shared): S, headers: HeaderMap) -> Response {
    if let Some(r) = unauthorized(&headers) {
        return r;
    }
    let totals = queues(&shared).iter().fold((0, 0), |(ready, unacked), q| {
        (
            ready + q["messages_ready"].as_u64().unwrap_or(0),
            unacked + q["messages_unacknowledged"].as_u64().unwrap_or(0),
        )
    });
    axum::Json(json!({
        "management_version": "3.10.8",
        "rabbitmq_version": "3.10.8",
        "cluster_name": "rabbit@rabbitmq-0",
        "node": "rabbit@rabbitmq-0",
        "queue_totals": {"messages_ready": totals.0, "messages_unacknowledged": totals.1},
    }))
    .into_response()
}

async fn all_queues(State(shared): S, headers: HeaderMap) -> Response {
    if let Some(r) = unauthorized(&headers) {
        return r;
    }
    axum::Json(Value::Array(queues(&shared))).into_response()
}

async fn vhost_queues(State(shared): S, Path(vhost): Path<String>, headers: HeaderMap) -> Response {
    if let Some(r) = unauthorized(&headers) {
        return r;
    }
    if vhost != VHOST {
        return not_found();
    }
    axum::Json(Value::Array(queues(&shared))).into_response()
}

async fn one_queue(
    State(shared): S,
    Path((vhost, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = unauthorized(&headers) {
        return r;
    }
    match queues(&shared).into_iter().find(|q| q["name"] == name) {
        Some(q) if vhost == VHOST => axum::Json(q).into_response(),
        _ => not_found(),
    }
}
