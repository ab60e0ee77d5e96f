//! The loopback Kubernetes API server: routes REST paths to the world, answers like kube-apiserver.

mod auth;
mod discovery;
mod logs;
mod objects;
mod openapi;
mod proto;
mod read;
pub(crate) mod requests;
mod status;
mod watch;
mod write;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::body::Body;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use tokio_util::sync::CancellationToken;

use crate::sim::clock::SimClock;
use crate::sim::util::mix;
use crate::sim::world::{Kind, World};
pub use auth::{ADMIN, VIEWER};
pub use requests::{ArrivalProbe, RequestRecord, ReviewAnswer};
pub use status::ApiError;
use status::value_response;

/// What the server's handlers share: the world and its clock, the denied resources, the stop
/// signal, the user of requests without a known token, and the log of requests answered.
pub struct Shared {
    world: Mutex<World>,
    /// The sim's time: what every handler and the ticker read as now.
    pub clock: SimClock,
    forbidden: Vec<String>,
    pub cancel: CancellationToken,
    audit: AtomicU64,
    user: String,
    pub requests: requests::RequestLog,
    /// Run as each request arrives (tests only; None otherwise).
    pub probe: Mutex<Option<ArrivalProbe>>,
}

impl Shared {
    /// `req` as it arrives from `user`, with the test's arrival probe's answer on it
    /// (`SimHandle::on_arrival`): its status, 0 until then, is set once it is answered.
    pub fn arrived(&self, req: &Request, user: String) -> RequestRecord {
        let mut record = RequestRecord {
            method: req.method().to_string(),
            path: req.uri().path().to_string(),
            query: req.uri().query().unwrap_or("").to_string(),
            user,
            status: 0,
            review: None,
            witness: None,
        };
        let probe = self
            .probe
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        record.witness = probe.and_then(|p| p(&record));
        record
    }

    pub fn new(
        world: World,
        clock: SimClock,
        forbidden: Vec<String>,
        cancel: CancellationToken,
    ) -> Shared {
        Shared {
            world: Mutex::new(world),
            clock,
            forbidden,
            cancel,
            audit: AtomicU64::new(0),
            user: ADMIN.to_string(),
            requests: requests::RequestLog::default(),
            probe: Mutex::new(None),
        }
    }
    /// Requests without a known bearer token act as `user`.
    pub fn with_default_user(mut self, user: &str) -> Shared {
        self.user = user.to_string();
        self
    }
    pub fn world(&self) -> MutexGuard<'_, World> {
        self.world
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
    fn audit_id(&self) -> String {
        let n = self.audit.fetch_add(1, Ordering::Relaxed);
        let a = mix(n ^ 0x5157);
        let b = mix(a);
        format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            b >> 52,
            b & 0xffff_ffff_ffff
        )
    }
}

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(handle).with_state(shared)
}

/// Query parameters, last value wins.
pub type Params = HashMap<String, String>;

/// A request for a resource, once its path is understood.
#[derive(Debug, Clone)]
pub struct Target {
    pub kind: Kind,
    pub ns: Option<String>,
    pub name: Option<String>,
    pub sub: Option<String>,
}

async fn handle(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let audit = shared.audit_id();
    let mut record = shared.arrived(&req, auth::user_of(req.headers(), &shared.user));
    let mut resp = route(&shared, req, &record.user)
        .await
        .unwrap_or_else(ApiError::into_response);
    if let Ok(v) = HeaderValue::from_str(&audit) {
        resp.headers_mut().insert("audit-id", v);
    }
    record.status = resp.status().as_u16();
    record.review = resp.extensions_mut().remove::<ReviewAnswer>();
    shared.requests.push(record);
    resp
}

fn parse_target(group: &str, version: &str, rest: &[&str]) -> Option<Target> {
    let served = |plural: &str| Kind::from_plural(group, plural).filter(|k| k.version() == version);
    let t = |kind, ns: Option<&&str>, name: Option<&&str>, sub: Option<&&str>| Target {
        kind,
        ns: ns.map(|s| s.to_string()),
        name: name.map(|s| s.to_string()),
        sub: sub.map(|s| s.to_string()),
    };
    match rest {
        ["namespaces", ns, plural, tail @ ..] if tail.len() <= 2 => served(plural)
            .filter(|k| k.namespaced())
            .map(|k| t(k, Some(ns), tail.first(), tail.get(1))),
        [plural, tail @ ..] if tail.len() <= 2 => {
            served(plural).map(|k| t(k, None, tail.first(), tail.get(1)))
        }
        _ => None,
    }
}

async fn route(shared: &Arc<Shared>, req: Request, user: &str) -> Result<Response, ApiError> {
    let path = req.uri().path().trim_matches('/').to_string();
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let params: Params = Query::<Vec<(String, String)>>::try_from_uri(req.uri())
        .map(|q| q.0.into_iter().collect())
        .unwrap_or_default();
    let method = req.method().clone();
    let ok = |v: serde_json::Value| Ok(value_response(StatusCode::OK, &v));
    let (group, version, rest): (&str, &str, &[&str]) = match segs.as_slice() {
        ["version"] => return ok(discovery::version()),
        ["api"] => return ok(discovery::api_versions()),
        ["apis"] => return ok(discovery::api_group_list()),
        ["openapi", "v3"] => return ok(openapi::index()),
        ["openapi", "v3", gv @ ..] => {
            return openapi::document(&gv.join("/")).map_or_else(|| Err(not_found_path()), ok);
        }
        ["api", v] => {
            return discovery::resource_list("", v).map_or_else(|| Err(not_found_path()), ok);
        }
        ["apis", g] => return discovery::api_group(g).map_or_else(|| Err(not_found_path()), ok),
        ["apis", g, v] => {
            return discovery::resource_list(g, v).map_or_else(|| Err(not_found_path()), ok);
        }
        [
            "apis",
            "authorization.k8s.io",
            "v1",
            "selfsubjectaccessreviews",
        ] if method == Method::POST => {
            return write::ssar(shared, req, user).await;
        }
        ["api", v, rest @ ..] => ("", *v, rest),
        ["apis", g, v, rest @ ..] => (*g, *v, rest),
        _ => return Err(not_found_path()),
    };
    let target = parse_target(group, version, rest).ok_or_else(not_found_path)?;
    check_forbidden(shared, user, &method, &target, &params)?;
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let table = accept.contains("as=Table");
    let watching = matches!(params.get("watch").map(String::as_str), Some("true" | "1"));
    match (&method, target.name.as_deref(), target.sub.as_deref()) {
        (&Method::GET, None, None) if watching => watch::watch(shared, &target, &params, table),
        (&Method::GET, None, None) => read::list(shared, &target, &params, table),
        (&Method::GET, Some(_), None | Some("status")) => {
            read::get(shared, &target, &params, table)
        }
        (&Method::GET, Some(_), Some("log")) if target.kind == Kind::Pod => {
            logs::logs(shared, &target, &params)
        }
        (&Method::GET | &Method::PATCH | &Method::PUT, Some(_), Some("scale")) => {
            write::scale(shared, &target, &params, req).await
        }
        (&Method::PATCH, Some(_), None | Some("status")) => {
            write::patch(shared, &target, &params, req).await
        }
        (&Method::DELETE, Some(_), None) if target.kind == Kind::Pod => {
            write::delete_pod(shared, &target)
        }
        (&Method::POST, None, None) => objects::create(shared, &target, &params, req).await,
        (&Method::PUT, Some(_), None) => objects::replace(shared, &target, &params, req).await,
        (&Method::DELETE, Some(_), None) => objects::delete(shared, &target, req).await,
        _ => Err(ApiError::new(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource".to_string(),
        )),
    }
}

fn not_found_path() -> ApiError {
    ApiError::new(
        404,
        "NotFound",
        "the server could not find the requested resource",
    )
}

fn verb_of(method: &Method, t: &Target, params: &Params) -> &'static str {
    match *method {
        Method::GET if t.name.is_some() => "get",
        Method::GET if params.get("watch").is_some_and(|w| w == "true" || w == "1") => "watch",
        Method::GET => "list",
        Method::PATCH => "patch",
        Method::PUT => "update",
        Method::DELETE => "delete",
        Method::POST => "create",
        _ => "get",
    }
}

/// Resources denied by `--forbid` answer 403 for every verb; the viewer may only read.
fn check_forbidden(
    shared: &Shared,
    user: &str,
    method: &Method,
    t: &Target,
    params: &Params,
) -> Result<(), ApiError> {
    let verb = verb_of(method, t, params);
    if shared.forbidden.iter().any(|f| f == t.kind.plural()) || !auth::may(user, verb) {
        return Err(auth::denial(user, verb, t));
    }
    Ok(())
}

/// A streaming body fed by a task through a channel.
pub(crate) fn stream_response(
    content_type: &'static str,
    rx: tokio::sync::mpsc::Receiver<Result<axum::body::Bytes, std::io::Error>>,
) -> Response {
    let mut r = Response::new(Body::from_stream(
        tokio_stream::wrappers::ReceiverStream::new(rx),
    ));
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_parse_into_targets() {
        let t = parse_target(
            "apps",
            "v1",
            &["namespaces", "contentgen", "deployments", "api", "scale"],
        )
        .unwrap();
        assert_eq!(
            (t.kind, t.ns.as_deref(), t.name.as_deref(), t.sub.as_deref()),
            (
                Kind::Deployment,
                Some("contentgen"),
                Some("api"),
                Some("scale")
            )
        );
        let t = parse_target("", "v1", &["pods"]).unwrap();
        assert_eq!((t.kind, t.ns, t.name), (Kind::Pod, None, None));
        let t = parse_target("", "v1", &["namespaces", "contentgen"]).unwrap();
        assert_eq!(
            (t.kind, t.name.as_deref()),
            (Kind::Namespace, Some("contentgen"))
        );
        let t = parse_target("", "v1", &["namespaces", "contentgen", "pods"]).unwrap();
        assert_eq!(
            (t.kind, t.ns.as_deref(), t.name),
            (Kind::Pod, Some("contentgen"), None)
        );
        assert!(parse_target("apps", "v1", &["pods"]).is_none());
        assert!(parse_target("", "v1", &["namespaces", "x", "nodes"]).is_none());
    }

    #[test]
    fn forbidden_message_matches_the_api_server() {
        let e = ApiError::forbidden_as("sim-admin", "list", "pods", "", Some("contentgen"), None);
        assert_eq!(
            e.message,
            "pods is forbidden: User \"sim-admin\" cannot list resource \"pods\" in API group \"\" in the namespace \"contentgen\""
        );
        let e = ApiError::forbidden_as("sim-admin", "list", "nodes", "", None, None);
        assert!(e.message.ends_with("at the cluster scope"));
    }
}
