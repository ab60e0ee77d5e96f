//! Alertmanager's v2 HTTP API (0.25's shapes and error bodies) over the sim's Alertmanager
//! model: alerts and groups with their filters, posting alerts, silences, status. Served beside
//! the platform API; `/api/v2/*` clashes with neither Prometheus's `/api/v1/*` nor RabbitMQ's
//! `/api/queues`.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use jiff::Timestamp;
use serde_json::{Map, Value, json};

use crate::sim::alerts::engine::LabelSet;
use crate::sim::alerts::matchers::{self, Matcher, anchored};
use crate::sim::alerts::store::{
    AlertQuery, AlertView, PostedAlert, PostedSilence, RECEIVER, Silence, SilenceError,
};
use crate::sim::kube_api::Shared;
use crate::sim::kube_api::requests::log_writes;

type S = State<Arc<Shared>>;

/// `config.original` of `/api/v2/status`: what Alertmanager prints for the route the sim
/// follows (tests/common/alertmanager_server.rs's CONFIG).
const CONFIG_ORIGINAL: &str = "global:\n  resolve_timeout: 5m\n  http_config:\n    follow_redirects: true\n    enable_http2: true\n  smtp_hello: localhost\n  smtp_require_tls: true\nroute:\n  receiver: opsdeck\n  group_by:\n  - alertname\n  - namespace\n  continue: false\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\nreceivers:\n- name: opsdeck\ntemplates: []\n";

pub fn router(shared: Arc<Shared>) -> Router {
    // Silences are what a console changes here: their writes join the request log.
    let silences = Router::new()
        .route("/api/v2/silences", get(get_silences).post(post_silence))
        .route(
            "/api/v2/silence/{id}",
            get(get_silence).delete(delete_silence),
        )
        .route_layer(from_fn_with_state(
            (shared.clone(), "alertmanager"),
            log_writes,
        ));
    Router::new()
        .route("/api/v2/alerts", get(get_alerts).post(post_alerts))
        .route("/api/v2/alerts/groups", get(get_groups))
        .merge(silences)
        .route("/api/v2/status", get(status))
        .route("/api/v2/receivers", get(receivers))
        .with_state(shared)
}

/// An error answer: a status and its JSON body.
struct ApiError(StatusCode, Value);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, axum::Json(self.1)).into_response()
    }
}

/// Alertmanager's 400: the message as a bare JSON string.
fn bad_request(message: impl Into<String>) -> Response {
    ApiError(StatusCode::BAD_REQUEST, Value::String(message.into())).into_response()
}

/// go-openapi's validation errors: `{"code": N, "message": "..."}` with HTTP 422.
fn unprocessable(code: u32, message: String) -> ApiError {
    ApiError(
        StatusCode::UNPROCESSABLE_ENTITY,
        json!({"code": code, "message": message}),
    )
}

/// Times as go-openapi's strfmt.DateTime writes them: UTC, milliseconds.
pub fn time(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// `application/x-www-form-urlencoded` pairs, repeated keys kept.
fn query_pairs(raw: Option<&str>) -> Vec<(String, String)> {
    let decode = |s: &str| {
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < bytes.len() => {
                    let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                    match u8::from_str_radix(hex, 16) {
                        Ok(b) => {
                            out.push(b);
                            i += 2;
                        }
                        Err(_) => out.push(b'%'),
                    }
                }
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    };
    raw.unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// go-openapi's `swag.ConvertBool`: these words are true, anything else false.
fn truthy(v: &str) -> bool {
    matches!(
        v.to_ascii_lowercase().as_str(),
        "true" | "1" | "yes" | "ok" | "y" | "on" | "selected" | "checked" | "t" | "enabled"
    )
}

fn filters(pairs: &[(String, String)]) -> Result<Vec<Matcher>, String> {
    pairs
        .iter()
        .filter(|(k, _)| k == "filter")
        .map(|(_, v)| matchers::parse(v))
        .collect()
}

fn alert_query(raw: Option<&str>) -> Result<AlertQuery, String> {
    let pairs = query_pairs(raw);
    let flag = |name: &str| {
        pairs
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .is_none_or(|(_, v)| truthy(v))
    };
    let receiver = match pairs.iter().rev().find(|(k, _)| k == "receiver") {
        Some((_, re)) => {
            Some(anchored(re).map_err(|e| format!("failed to parse receiver param: {e}"))?)
        }
        None => None,
    };
    Ok(AlertQuery {
        active: flag("active"),
        silenced: flag("silenced"),
        inhibited: flag("inhibited"),
        unprocessed: flag("unprocessed"),
        filter: filters(&pairs)?,
        receiver,
    })
}

fn alert_json(v: &AlertView) -> Value {
    let a = v.alert;
    let mut out = json!({
        "annotations": a.annotations,
        "endsAt": time(a.ends_at),
        "fingerprint": format!("{:016x}", v.fingerprint),
        "receivers": [{"name": RECEIVER}],
        "startsAt": time(a.starts_at),
        "status": {"inhibitedBy": [], "silencedBy": v.silenced_by, "state": v.state()},
        "updatedAt": time(a.updated_at),
        "labels": a.labels,
    });
    if let Some(url) = &a.generator_url {
        out["generatorURL"] = url.clone().into();
    }
    out
}

async fn get_alerts(State(s): S, RawQuery(q): RawQuery) -> Response {
    let q = match alert_query(q.as_deref()) {
        Ok(q) => q,
        Err(e) => return bad_request(e),
    };
    let now = s.clock.now();
    let w = s.world();
    let alerts: Vec<Value> = w.alerts.am.alerts(&q, now).iter().map(alert_json).collect();
    axum::Json(alerts).into_response()
}

async fn get_groups(State(s): S, RawQuery(q): RawQuery) -> Response {
    let q = match alert_query(q.as_deref()) {
        Ok(q) => q,
        Err(e) => return bad_request(e),
    };
    let now = s.clock.now();
    let w = s.world();
    let groups: Vec<Value> = w
        .alerts
        .am
        .groups(&q, now)
        .iter()
        .map(|g| {
            json!({
                "alerts": g.alerts.iter().map(alert_json).collect::<Vec<_>>(),
                "labels": g.labels,
                "receiver": {"name": RECEIVER},
            })
        })
        .collect();
    axum::Json(groups).into_response()
}

fn string_map(v: &Value, what: &str) -> Result<LabelSet, String> {
    match v {
        Value::Null => Ok(LabelSet::new()),
        Value::Object(m) => m
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                _ => Err(format!("{what}.{k} in body must be of type string")),
            })
            .collect(),
        _ => Err(format!("{what} in body must be of type object")),
    }
}

fn opt_time(v: &Value, what: &str) -> Result<Option<Timestamp>, String> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) if s.is_empty() => Ok(None),
        Value::String(s) => s
            .parse()
            .map(Some)
            .map_err(|_| format!("{what} in body must be of type date-time: {s:?}")),
        _ => Err(format!("{what} in body must be of type date-time")),
    }
}

fn posted_alert(v: &Value) -> Result<PostedAlert, String> {
    Ok(PostedAlert {
        labels: string_map(&v["labels"], "labels")?,
        annotations: string_map(&v["annotations"], "annotations")?,
        starts_at: opt_time(&v["startsAt"], "startsAt")?,
        ends_at: opt_time(&v["endsAt"], "endsAt")?,
        generator_url: v["generatorURL"].as_str().map(str::to_string),
    })
}

/// Parses what go-openapi would, or answers as it does.
fn body_json(body: &[u8], what: &str, go_type: &str) -> Result<Value, ApiError> {
    let wrong = |why: String| {
        let message = format!("parsing {what} body from \"\" failed, because {why}");
        ApiError(
            StatusCode::BAD_REQUEST,
            json!({"code": 400, "message": message}),
        )
    };
    let v: Value = serde_json::from_slice(body).map_err(|e| wrong(e.to_string()))?;
    let ok = match go_type {
        "models.PostableAlerts" => v.is_array(),
        _ => v.is_object(),
    };
    if ok {
        Ok(v)
    } else {
        Err(wrong(format!(
            "json: cannot unmarshal {} into Go value of type {go_type}",
            if v.is_array() { "array" } else { "object" }
        )))
    }
}

async fn post_alerts(State(s): S, body: Bytes) -> Response {
    let v = match body_json(&body, "alerts", "models.PostableAlerts") {
        Ok(v) => v,
        Err(r) => return r.into_response(),
    };
    let posted: Result<Vec<PostedAlert>, String> = v
        .as_array()
        .into_iter()
        .flatten()
        .map(posted_alert)
        .collect();
    let posted = match posted {
        Ok(p) => p,
        Err(e) => return unprocessable(602, e).into_response(),
    };
    let now = s.clock.now();
    match s.world().alerts.am.post(posted, now) {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => bad_request(e),
    }
}

fn silence_json(sil: &Silence, now: Timestamp) -> Value {
    let matchers: Vec<Value> = sil
        .matchers
        .iter()
        .map(|m| {
            json!({"isEqual": m.is_equal(), "isRegex": m.is_regex(), "name": m.name, "value": m.value})
        })
        .collect();
    json!({
        "id": sil.id,
        "status": {"state": sil.state(now).name()},
        "updatedAt": time(sil.updated_at),
        "comment": sil.comment,
        "createdBy": sil.created_by,
        "endsAt": time(sil.ends_at),
        "matchers": matchers,
        "startsAt": time(sil.starts_at),
    })
}

async fn get_silences(State(s): S, RawQuery(q): RawQuery) -> Response {
    let filter = match filters(&query_pairs(q.as_deref())) {
        Ok(f) => f,
        Err(e) => return bad_request(e),
    };
    let now = s.clock.now();
    let w = s.world();
    let out: Vec<Value> = w
        .alerts
        .am
        .silences(&filter, now)
        .into_iter()
        .map(|sil| silence_json(sil, now))
        .collect();
    axum::Json(out).into_response()
}

/// The body's fields in go-openapi's order of validation, with its 422s.
fn posted_silence(v: &Map<String, Value>) -> Result<PostedSilence, ApiError> {
    let required = |k: &str| unprocessable(602, format!("{k} in body is required"));
    let text = |k: &str| v.get(k).and_then(Value::as_str).ok_or_else(|| required(k));
    let when = |k: &str| -> Result<Timestamp, ApiError> {
        opt_time(v.get(k).unwrap_or(&Value::Null), k)
            .map_err(|e| unprocessable(602, e))?
            .ok_or_else(|| required(k))
    };
    let comment = text("comment")?.to_string();
    let created_by = text("createdBy")?.to_string();
    let ends_at = when("endsAt")?;
    let raw = v
        .get("matchers")
        .and_then(Value::as_array)
        .ok_or_else(|| required("matchers"))?;
    if raw.is_empty() {
        return Err(unprocessable(
            612,
            "matchers in body should have at least 1 items".into(),
        ));
    }
    let mut matchers = vec![];
    for (i, m) in raw.iter().enumerate() {
        let field = |k: &str| {
            m.get(k)
                .ok_or_else(|| required(&format!("matchers.{i}.{k}")))
        };
        let name = field("name")?.as_str().unwrap_or_default().to_string();
        let value = field("value")?.as_str().unwrap_or_default().to_string();
        let is_regex = field("isRegex")?.as_bool().unwrap_or(false);
        let is_equal = m.get("isEqual").and_then(Value::as_bool).unwrap_or(true);
        matchers.push((name, value, is_regex, is_equal));
    }
    let starts_at = when("startsAt")?;
    Ok(PostedSilence {
        id: v.get("id").and_then(Value::as_str).map(str::to_string),
        matchers,
        starts_at,
        ends_at,
        created_by,
        comment,
    })
}

async fn post_silence(State(s): S, body: Bytes) -> Response {
    let v = match body_json(&body, "silence", "models.PostableSilence") {
        Ok(v) => v,
        Err(r) => return r.into_response(),
    };
    let posted = match v.as_object().map(posted_silence) {
        Some(Ok(p)) => p,
        Some(Err(r)) => return r.into_response(),
        None => return bad_request("not a silence"),
    };
    let now = s.clock.now();
    match s.world().alerts.am.set_silence(posted, now) {
        Ok(id) => axum::Json(json!({"silenceID": id})).into_response(),
        Err(e @ SilenceError::NotFound) => {
            (StatusCode::NOT_FOUND, axum::Json(e.to_string())).into_response()
        }
        Err(SilenceError::Invalid(m)) => bad_request(m),
    }
}

/// The path's id must look like a UUID, as go-openapi checks it.
fn uuid_or_422(id: &str) -> Result<(), ApiError> {
    let groups: Vec<usize> = id.split('-').map(str::len).collect();
    let hex = id.chars().all(|c| c == '-' || c.is_ascii_hexdigit());
    if hex && groups == [8, 4, 4, 4, 12] {
        Ok(())
    } else {
        Err(unprocessable(
            601,
            format!("silenceID in path must be of type uuid: {id:?}"),
        ))
    }
}

async fn get_silence(State(s): S, Path(id): Path<String>) -> Response {
    if let Err(r) = uuid_or_422(&id) {
        return r.into_response();
    }
    let now = s.clock.now();
    let w = s.world();
    match w.alerts.am.silence(&id) {
        Some(sil) => axum::Json(silence_json(sil, now)).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn delete_silence(State(s): S, Path(id): Path<String>) -> Response {
    if let Err(r) = uuid_or_422(&id) {
        return r.into_response();
    }
    let now = s.clock.now();
    match s.world().alerts.am.expire_silence(&id, now) {
        Ok(()) => StatusCode::OK.into_response(),
        // 0.25 answers an unknown id with a 500.
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(e.to_string())).into_response(),
    }
}

async fn status(State(s): S) -> Response {
    let started = s.world().alerts.am.started;
    axum::Json(json!({
        "cluster": {"peers": [], "status": "disabled"},
        "config": {"original": CONFIG_ORIGINAL},
        "uptime": time(started),
        "versionInfo": {
            "branch": "opsdeck-sim",
            "buildDate": "",
            "buildUser": "opsdeck",
            "goVersion": "n/a",
            "revision": "opsdeck-sim",
            "version": "0.25.0",
        },
    }))
    .into_response()
}

async fn receivers() -> Response {
    axum::Json(json!([{"name": RECEIVER}])).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_decode_repeated_filters_and_openapi_booleans() {
        let q = alert_query(Some(
            "filter=alertname%3D%22X%22&filter=service%3D~%22a%7Cb%22&silenced=false&active=maybe",
        ))
        .unwrap();
        assert_eq!(q.filter.len(), 2);
        assert_eq!(q.filter[1].value, "a|b");
        assert!(!q.silenced && !q.active && q.inhibited && q.unprocessed);
        assert_eq!(
            alert_query(Some("filter=foo")).unwrap_err(),
            "bad matcher format: foo"
        );
    }

    #[test]
    fn times_are_utc_with_milliseconds() {
        let t: Timestamp = "2026-12-02T11:30:55.034123Z".parse().unwrap();
        assert_eq!(time(t), "2026-12-02T11:30:55.034Z");
        assert_eq!(
            time("2026-12-02T11:00:00Z".parse().unwrap()),
            "2026-12-02T11:00:00.000Z"
        );
    }
}
