//! The middleware in front of the sim's routers: classifies each request into a source and, when
//! that source has a fault, answers with the fault instead of (or by spoiling) the real answer.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::connect_info::ConnectInfo;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio_util::sync::CancellationToken;

use super::conn::ConnHandle;
use super::{Faults, Kind, Source, body};

/// A proxy's error page, as nginx sends it, but with 200: what "not JSON" looks like.
const HTML_PAGE: &str = "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>\n";
/// Cut bodies are read whole first; nothing the sim serves comes near this.
const MAX_BODY: usize = 256 << 20;

/// Which of the sim's ports a layer sits on: paths mean different sources on each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Port {
    Api,
    Platform,
}

#[derive(Clone)]
pub struct FaultCtx {
    pub faults: Arc<Faults>,
    pub port: Port,
    pub cancel: CancellationToken,
}

/// Wraps `router` so that every request goes through the faults first.
pub fn wrap(router: axum::Router, ctx: FaultCtx) -> axum::Router {
    router.layer(axum::middleware::from_fn_with_state(ctx, apply))
}

/// Whether the request asks for a stream that stays open (a watch, a log follow).
fn is_stream(query: &str) -> bool {
    query
        .split('&')
        .any(|kv| matches!(kv, "watch=true" | "watch=1" | "follow=true" | "follow=1"))
}

/// The resource version a watch resumes from; None for one that starts with the current state.
fn resumes_from(query: &str) -> Option<u64> {
    let pairs: Vec<(&str, &str)> = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .collect();
    if pairs.contains(&("sendInitialEvents", "true")) {
        return None;
    }
    pairs
        .iter()
        .find(|(k, _)| *k == "resourceVersion")
        .and_then(|(_, v)| v.parse::<u64>().ok())
        .filter(|rv| *rv != 0)
}

async fn apply(State(ctx): State<FaultCtx>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let source = match ctx.port {
        Port::Api => Some(Source::of_api_path(path)),
        Port::Platform => Source::of_platform_path(path),
    };
    let Some(source) = source else {
        return next.run(req).await;
    };
    ctx.faults.hit(source);
    let query = req.uri().query().unwrap_or("").to_string();
    let stream = is_stream(&query);
    // The fault is read from the stream's own subscription, so that any later change reaches
    // the stream and none falls between the reading and the subscribing.
    let mut changes = ctx.faults.subscribe();
    let active = changes.borrow_and_update().get(&source).copied();
    let Some(active) = active else {
        let resp = next.run(req).await;
        return if stream {
            resp.map(|b| body::watched(b, source, changes))
        } else {
            resp
        };
    };
    match active.kind {
        Kind::Refused => refuse(&req),
        Kind::Silent => {
            ctx.cancel.cancelled().await;
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
        Kind::Slow => next.run(req).await.map(body::trickle),
        Kind::Unavailable => error(
            source,
            StatusCode::SERVICE_UNAVAILABLE,
            "upstream unavailable",
        ),
        Kind::Unauthorized => error(source, StatusCode::UNAUTHORIZED, "Unauthorized"),
        Kind::Forbidden => error(source, StatusCode::FORBIDDEN, "forbidden"),
        Kind::TooMany => too_many(source, active.retry_after.unwrap_or(super::RETRY_AFTER)),
        Kind::Malformed => with_type(StatusCode::OK, "text/html", HTML_PAGE.into()),
        Kind::WrongShape => {
            let text = if stream {
                "{\"unexpected\":true}\n"
            } else {
                "{\"unexpected\":true}"
            };
            with_type(StatusCode::OK, "application/json", text.into())
        }
        Kind::Truncated | Kind::Midstream if stream => {
            next.run(req).await.map(body::cut_after_first_line)
        }
        Kind::Truncated => truncate(next.run(req).await).await,
        Kind::Gone if stream && resumes_from(&query).is_some_and(|rv| rv < active.floor) => {
            with_type(
                StatusCode::OK,
                "application/json",
                body::gone_event(active.floor).into(),
            )
        }
        // Lists, and watches from after the expiry, pass: the relist they force succeeds.
        Kind::Midstream | Kind::Gone => {
            let resp = next.run(req).await;
            if stream {
                resp.map(|b| body::watched(b, source, changes))
            } else {
                resp
            }
        }
    }
}

/// Resets the connection the request came on; without one (a test calling the router
/// directly), a response whose body fails at once.
fn refuse(req: &Request) -> Response {
    if let Some(ConnectInfo(conn)) = req.extensions().get::<ConnectInfo<ConnHandle>>() {
        conn.kill();
    }
    let failing = futures::stream::once(async {
        Err::<axum::body::Bytes, _>(std::io::Error::from(std::io::ErrorKind::ConnectionReset))
    });
    Response::new(Body::from_stream(failing))
}

fn with_type(status: StatusCode, content_type: &'static str, body: Body) -> Response {
    let mut r = Response::new(body);
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

/// An error as the source's server would send it: a Status object from the Kubernetes API,
/// plain text from the others.
fn error(source: Source, status: StatusCode, message: &str) -> Response {
    error_with(source, status, message, None)
}

/// [`error`], with the Status `details` the Kubernetes API would add.
fn error_with(
    source: Source,
    status: StatusCode,
    message: &str,
    details: Option<serde_json::Value>,
) -> Response {
    match source {
        Source::Kube | Source::Logs => {
            let reason = status.canonical_reason().unwrap_or("").replace(' ', "");
            let mut v = serde_json::json!({"kind": "Status", "apiVersion": "v1", "metadata": {},
                "status": "Failure", "message": message, "reason": reason, "code": status.as_u16()});
            if let Some(details) = details {
                v["details"] = details;
            }
            with_type(status, "application/json", v.to_string().into())
        }
        _ => with_type(
            status,
            "text/plain; charset=utf-8",
            format!("{message}\n").into(),
        ),
    }
}

/// 429 with `Retry-After: secs`; the Kubernetes API also says it in its Status, as the
/// apiserver does (`details.retryAfterSeconds`).
fn too_many(source: Source, secs: u64) -> Response {
    let details = serde_json::json!({"retryAfterSeconds": secs});
    let status = StatusCode::TOO_MANY_REQUESTS;
    let mut r = error_with(source, status, "too many requests", Some(details));
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    r
}

/// The real answer's first half under its full Content-Length, then the connection closed.
async fn truncate(resp: Response) -> Response {
    let (mut parts, b) = resp.into_parts();
    let full = match axum::body::to_bytes(b, MAX_BODY).await {
        Ok(full) => full,
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(full.len()));
    Response::from_parts(parts, body::half(full))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_and_resumed_watches_are_told_from_the_query() {
        assert!(is_stream("watch=true&resourceVersion=5"));
        assert!(is_stream("follow=true&container=api"));
        assert!(!is_stream("limit=500"));
        assert_eq!(resumes_from("watch=true&resourceVersion=42"), Some(42));
        assert_eq!(resumes_from("watch=true&resourceVersion=0"), None);
        assert_eq!(
            resumes_from("watch=true&resourceVersion=42&sendInitialEvents=true"),
            None
        );
    }
}
