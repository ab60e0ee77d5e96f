//! The Prometheus HTTP API over the sim's metrics (`/api/v1/query`, `/api/v1/query_range`,
//! `/api/v1/status/buildinfo`) and `GET /metrics`, served beside the platform API.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Form, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value as Json_, json};

use super::exposition::{format_value, text};
use super::promql::{self, Labels, QueryError, RangeSeries, Value};
use crate::sim::kube_api::Shared;

type S = State<Arc<Shared>>;
type Params = HashMap<String, String>;

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/api/v1/query", get(query_get).post(query_post))
        .route("/api/v1/query_range", get(range_get).post(range_post))
        .route("/api/v1/status/buildinfo", get(buildinfo))
        .route("/metrics", get(metrics))
        .with_state(shared)
}

fn error(e: &QueryError) -> Response {
    let code = match e {
        QueryError::BadData(_) => StatusCode::BAD_REQUEST,
        QueryError::Execution(_) => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let body = json!({"status": "error", "errorType": e.error_type(), "error": e.to_string()});
    (code, Json(body)).into_response()
}

fn success(result_type: &str, result: Json_) -> Response {
    Json(json!({"status": "success", "data": {"resultType": result_type, "result": result}}))
        .into_response()
}

/// Seconds as Prometheus writes them: an integer when whole, milliseconds otherwise.
fn ts(ms: i64) -> Json_ {
    if ms % 1000 == 0 {
        json!(ms / 1000)
    } else {
        json!(ms as f64 / 1000.0)
    }
}

fn point(t: i64, v: f64) -> Json_ {
    json!([ts(t), format_value(v)])
}

fn metric(l: &Labels) -> Json_ {
    json!(l)
}

fn bad_param(name: &str, msg: impl std::fmt::Display) -> QueryError {
    QueryError::BadData(format!("invalid parameter \"{name}\": {msg}"))
}

/// Unix seconds (with a fraction) or RFC 3339, as Prometheus accepts them.
fn parse_time(name: &str, s: &str) -> Result<i64, QueryError> {
    if let Ok(secs) = s.parse::<f64>()
        && secs.is_finite()
    {
        return Ok((secs * 1000.0).round() as i64);
    }
    s.parse::<jiff::Timestamp>()
        .map(|t| t.as_millisecond())
        .map_err(|_| bad_param(name, format!("cannot parse \"{s}\" to a valid timestamp")))
}

/// Seconds or a PromQL duration (`15s`, `1m`).
fn parse_step(name: &str, s: &str) -> Result<i64, QueryError> {
    if let Ok(secs) = s.parse::<f64>()
        && secs.is_finite()
    {
        return Ok((secs * 1000.0).round() as i64);
    }
    promql_parser::util::parse_duration(s)
        .map(|d| d.as_millis() as i64)
        .map_err(|_| bad_param(name, format!("cannot parse \"{s}\" to a valid duration")))
}

fn required<'a>(p: &'a Params, name: &str) -> Result<&'a str, QueryError> {
    p.get(name)
        .map(String::as_str)
        .ok_or_else(|| bad_param(name, "missing"))
}

fn instant(shared: &Shared, p: &Params) -> Result<Response, QueryError> {
    let q = required(p, "query")?;
    if let Some(t) = p.get("timeout") {
        parse_step("timeout", t)?;
    }
    let w = shared.world();
    let t = match p.get("time") {
        Some(t) => parse_time("time", t)?,
        None => w.now().as_millisecond(),
    };
    Ok(match promql::instant(&w.metrics, q, t)? {
        Value::Scalar(v) => success("scalar", point(t, v)),
        Value::String(s) => success("string", json!([ts(t), s])),
        Value::Vector(v) => success(
            "vector",
            v.iter()
                .map(|s| json!({"metric": metric(&s.labels), "value": point(t, s.value)}))
                .collect(),
        ),
        Value::Matrix(m) => success("matrix", matrix(&m)),
    })
}

fn matrix(m: &[RangeSeries]) -> Json_ {
    m.iter()
        .map(|r| {
            let values: Vec<Json_> = r.points.iter().map(|(t, v)| point(*t, *v)).collect();
            json!({"metric": metric(&r.labels), "values": values})
        })
        .collect()
}

fn range(shared: &Shared, p: &Params) -> Result<Response, QueryError> {
    let q = required(p, "query")?;
    let start = parse_time("start", required(p, "start")?)?;
    let end = parse_time("end", required(p, "end")?)?;
    let step = parse_step("step", required(p, "step")?)?;
    let w = shared.world();
    let m = promql::range(&w.metrics, q, start, end, step)?;
    Ok(success("matrix", matrix(&m)))
}

fn answer(r: Result<Response, QueryError>) -> Response {
    r.unwrap_or_else(|e| error(&e))
}

async fn query_get(State(shared): S, Query(p): Query<Params>) -> Response {
    answer(instant(&shared, &p))
}

/// Prometheus reads both the URL's parameters and the form body.
async fn query_post(
    State(shared): S,
    Query(mut p): Query<Params>,
    Form(f): Form<Params>,
) -> Response {
    p.extend(f);
    answer(instant(&shared, &p))
}

async fn range_get(State(shared): S, Query(p): Query<Params>) -> Response {
    answer(range(&shared, &p))
}

async fn range_post(
    State(shared): S,
    Query(mut p): Query<Params>,
    Form(f): Form<Params>,
) -> Response {
    p.extend(f);
    answer(range(&shared, &p))
}

async fn buildinfo() -> Response {
    Json(json!({"status": "success", "data": {
        "version": "2.42.0", "revision": "opsdeck-sim", "branch": "sim",
        "buildUser": "opsdeck", "buildDate": "", "goVersion": "n/a"}}))
    .into_response()
}

async fn metrics(State(shared): S) -> Response {
    let body = text(&shared.world().metrics);
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}
