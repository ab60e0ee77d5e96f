//! Watch tasks: one kube-rs watcher per (resource, namespace), projecting objects into rows and
//! sending them to the UI in batches. A failing watch reports why and when it retries; a
//! forbidden one says so and stops, since retrying cannot fix RBAC.

use std::fmt::Debug;
use std::time::Duration;

use futures::{FutureExt, StreamExt};
use kube::runtime::watcher;
use kube::{Api, Client};
use serde::de::DeserializeOwned;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::clients::http::retry_after_words;
use crate::status::{Backoff, MAX_ASKED_WAIT};

use super::connect;
use super::model::{ClusterMsg, Resource, Rows, SourceEvent};
use super::rows::{EventRow, HpaRow, NodeRow, PodRow, WorkloadRow};
use crate::k8s::context::ContextName;
use crate::k8s::wire::{
    DeploymentWire, EventWire, HpaWire, NamespaceWire, NodeWire, PodWire, StatefulSetWire,
};

/// Which namespaces to watch: every one (one cluster-wide watch per resource) or a list
/// (one watch per namespace: namespace-limited users cannot list cluster-wide).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Namespaces {
    All,
    Only(Vec<String>),
}

impl Namespaces {
    /// "all", "*" or "" mean every namespace; otherwise a comma-separated list.
    pub fn parse(s: &str) -> Self {
        let list: Vec<String> = s
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(String::from)
            .collect();
        if list.is_empty() || list.iter().any(|n| n == "all" || n == "*") {
            Namespaces::All
        } else {
            Namespaces::Only(list)
        }
    }

    pub fn label(&self) -> String {
        match self {
            Namespaces::All => "all".into(),
            Namespaces::Only(list) => list.join(","),
        }
    }

    fn scopes(&self) -> Vec<Option<String>> {
        match self {
            Namespaces::All => vec![None],
            Namespaces::Only(list) => list.iter().cloned().map(Some).collect(),
        }
    }
}

/// Rows per message: large enough to amortise the channel, small enough that applying one
/// message (~5 ms for 250 pods on a store of 500,000) never holds a key back for long.
const BATCH: usize = 250;
const PAGE_SIZE: u32 = 1_000;

/// Starts every watch. They stop when `token` is cancelled.
pub fn spawn_watches<M: From<ClusterMsg> + Send + 'static>(
    client: &Client,
    context: &ContextName,
    namespaces: &Namespaces,
    tx: mpsc::Sender<M>,
    token: &CancellationToken,
) {
    let tx = Sender(tx, context.clone());
    let c = client;
    for scope in namespaces.scopes() {
        let ns = scope.as_deref();
        let at = |r: Resource| (r, scope.clone().unwrap_or_default());
        spawn(
            namespaced(c, ns),
            at(Resource::Deployments),
            &tx,
            token,
            |v: Vec<DeploymentWire>| {
                Rows::Workloads(v.iter().map(WorkloadRow::from_deployment).collect())
            },
        );
        spawn(
            namespaced(c, ns),
            at(Resource::StatefulSets),
            &tx,
            token,
            |v: Vec<StatefulSetWire>| {
                Rows::Workloads(v.iter().map(WorkloadRow::from_statefulset).collect())
            },
        );
        spawn(
            namespaced(c, ns),
            at(Resource::Pods),
            &tx,
            token,
            |v: Vec<PodWire>| Rows::Pods(v.iter().map(PodRow::from_wire).collect()),
        );
        spawn(
            namespaced(c, ns),
            at(Resource::Hpas),
            &tx,
            token,
            |v: Vec<HpaWire>| Rows::Hpas(v.iter().map(HpaRow::from_wire).collect()),
        );
        spawn(
            namespaced(c, ns),
            at(Resource::Events),
            &tx,
            token,
            |v: Vec<EventWire>| Rows::Events(v.iter().map(EventRow::from_wire).collect()),
        );
    }
    let cluster_wide = |r: Resource| (r, String::new());
    spawn(
        Api::all(c.clone()),
        cluster_wide(Resource::Nodes),
        &tx,
        token,
        |v: Vec<NodeWire>| Rows::Nodes(v.iter().map(NodeRow::from_wire).collect()),
    );
    spawn(
        Api::all(c.clone()),
        cluster_wide(Resource::Namespaces),
        &tx,
        token,
        |v: Vec<NamespaceWire>| {
            Rows::Namespaces(v.into_iter().filter_map(|n| n.metadata.name).collect())
        },
    );
}

/// One namespace, or every namespace when `ns` is None.
fn namespaced<W>(client: &Client, ns: Option<&str>) -> Api<W>
where
    W: kube::Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>,
{
    match ns {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    }
}

/// Wraps the UI's sender so sources only ever speak `ClusterMsg`, each naming its context.
pub struct Sender<M>(mpsc::Sender<M>, ContextName);

impl<M> Clone for Sender<M> {
    fn clone(&self) -> Self {
        Sender(self.0.clone(), self.1.clone())
    }
}

impl<M: From<ClusterMsg>> Sender<M> {
    pub fn new(tx: mpsc::Sender<M>, context: ContextName) -> Self {
        Sender(tx, context)
    }

    /// False when the UI has gone away.
    pub async fn send(&self, resource: Resource, scope: &str, event: SourceEvent) -> bool {
        let msg = ClusterMsg {
            context: self.1.clone(),
            resource,
            scope: scope.to_string(),
            event,
        };
        self.0.send(M::from(msg)).await.is_ok()
    }
}

/// How long the server is asked to keep a watch open before ending it (kube's default is
/// 290 s): under the client's read timeout, so a quiet, healthy watch ends and resumes before
/// silence counts as a dead server.
pub const WATCH_SECONDS: u32 = 20;
const _: () = assert!((WATCH_SECONDS as u64) < connect::READ_TIMEOUT.as_secs());

/// The watcher settings of every watch of ours.
pub fn watcher_config() -> watcher::Config {
    watcher::Config::default().timeout(WATCH_SECONDS)
}

fn spawn<W, M>(
    api: Api<W>,
    (resource, scope): (Resource, String),
    tx: &Sender<M>,
    token: &CancellationToken,
    project: fn(Vec<W>) -> Rows,
) where
    W: kube::Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
    M: From<ClusterMsg> + Send + 'static,
{
    let tx = tx.clone();
    let mut config = watcher_config().page_size(PAGE_SIZE);
    if resource == Resource::Events {
        // On-call cares about warnings; Normal events are most of the volume.
        config = config.fields("type=Warning");
    }
    let token = token.clone();
    tokio::spawn(async move {
        tokio::select! {
            _ = token.cancelled() => {}
            _ = watch_loop(api, config, resource, scope, tx, project) => {}
        }
    });
}

async fn watch_loop<W, M>(
    api: Api<W>,
    config: watcher::Config,
    resource: Resource,
    scope: String,
    tx: Sender<M>,
    project: fn(Vec<W>) -> Rows,
) where
    W: kube::Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
    M: From<ClusterMsg> + Send + 'static,
{
    let mut backoff = Backoff::default();
    loop {
        // A fresh watcher after every failure forces a re-list, so the pane is provably in sync
        // again (and marked live) once the server answers.
        let stream = watcher(api.clone(), config.clone());
        let mut stream = std::pin::pin!(stream);
        let failure = loop {
            let Some(first) = stream.next().await else {
                break None;
            };
            let mut batch = vec![first];
            while batch.len() < BATCH {
                match stream.next().now_or_never() {
                    Some(Some(item)) => batch.push(item),
                    _ => break,
                }
            }
            match forward(batch, resource, &scope, &tx, project).await {
                Forwarded::Ok { listed } => {
                    if listed {
                        backoff.reset();
                    }
                }
                Forwarded::UiGone => return,
                Forwarded::Failed(err) => break Some(err),
            }
        };
        let Some(err) = failure else { return };
        let (reason, fatal) = describe(&err);
        let retry_in = (!fatal).then(|| backoff.next_delay_asked(asked_wait(&err)));
        tracing::warn!(?resource, scope, reason, "watch failed");
        let event = SourceEvent::Failed { reason, retry_in };
        if !tx.send(resource, &scope, event).await {
            return;
        }
        match retry_in {
            Some(delay) => tokio::time::sleep(delay).await,
            // Forbidden: RBAC will not change by retrying every few seconds; check hourly.
            None => tokio::time::sleep(Duration::from_secs(3600)).await,
        }
    }
}

enum Forwarded {
    Ok { listed: bool },
    UiGone,
    Failed(watcher::Error),
}

/// Sends one drained batch of watch events, coalescing consecutive applies into one message.
async fn forward<W, M>(
    batch: Vec<Result<watcher::Event<W>, watcher::Error>>,
    resource: Resource,
    scope: &str,
    tx: &Sender<M>,
    project: fn(Vec<W>) -> Rows,
) -> Forwarded
where
    W: kube::Resource<DynamicType = ()> + Clone,
    M: From<ClusterMsg>,
{
    let mut applied: Vec<W> = Vec::new();
    let mut listed = false;
    for item in batch {
        let event = match item {
            Ok(event) => event,
            Err(err) => {
                if !applied.is_empty() {
                    let rows = project(std::mem::take(&mut applied));
                    tx.send(resource, scope, SourceEvent::Applied(rows)).await;
                }
                return Forwarded::Failed(err);
            }
        };
        let control = match event {
            watcher::Event::Apply(o) | watcher::Event::InitApply(o) => {
                applied.push(o);
                continue;
            }
            watcher::Event::Init => SourceEvent::ListStarted,
            watcher::Event::InitDone => {
                listed = true;
                SourceEvent::ListDone
            }
            watcher::Event::Delete(o) => {
                SourceEvent::Deleted(vec![deleted_key(resource, &tx.1, &o)])
            }
        };
        if !applied.is_empty() {
            let rows = project(std::mem::take(&mut applied));
            if !tx.send(resource, scope, SourceEvent::Applied(rows)).await {
                return Forwarded::UiGone;
            }
        }
        if !tx.send(resource, scope, control).await {
            return Forwarded::UiGone;
        }
    }
    if !applied.is_empty() {
        let rows = project(applied);
        if !tx.send(resource, scope, SourceEvent::Applied(rows)).await {
            return Forwarded::UiGone;
        }
    }
    Forwarded::Ok { listed }
}

/// The store key of a deleted object (see the `Keyed` impls).
fn deleted_key<W: kube::Resource>(resource: Resource, context: &str, o: &W) -> String {
    let meta = o.meta();
    resource.key(
        context,
        meta.namespace.as_deref().unwrap_or_default(),
        meta.name.as_deref().unwrap_or_default(),
    )
}

/// A short human reason for a watch failure, and whether retrying is pointless.
pub fn describe(err: &watcher::Error) -> (String, bool) {
    let client_err = match err {
        watcher::Error::InitialListFailed(e)
        | watcher::Error::WatchStartFailed(e)
        | watcher::Error::WatchFailed(e) => Some(e),
        watcher::Error::WatchError(status) if status.code == 410 => {
            return ("the watch expired (410 Gone): listing again".into(), false);
        }
        watcher::Error::WatchError(status) => {
            return (status.message.clone(), status.is_forbidden());
        }
        watcher::Error::NoResourceVersion => None,
    };
    match client_err {
        Some(kube::Error::Api(status)) => {
            let fatal = status.is_forbidden() || status.code == 401;
            (api_reason(status), fatal)
        }
        Some(e) => (describe_client(e), false),
        None => (err.to_string(), false),
    }
}

/// How long the API server asked to be left alone: a 429's `details.retryAfterSeconds` (the
/// apiserver sets it with the `Retry-After` header; kube-rs keeps only the Status), capped.
pub fn asked_wait(err: &watcher::Error) -> Option<Duration> {
    match err {
        watcher::Error::InitialListFailed(e)
        | watcher::Error::WatchStartFailed(e)
        | watcher::Error::WatchFailed(e) => asked_wait_of(e),
        watcher::Error::WatchError(status) => retry_after_seconds(status),
        watcher::Error::NoResourceVersion => None,
    }
}

/// As [`asked_wait`], for one request's error (a log follow, the connect probe).
pub fn asked_wait_of(err: &kube::Error) -> Option<Duration> {
    match err {
        kube::Error::Api(status) => retry_after_seconds(status),
        _ => None,
    }
}

fn retry_after_seconds(status: &kube::core::Status) -> Option<Duration> {
    let secs = status.details.as_ref()?.retry_after_seconds;
    (secs > 0).then(|| Duration::from_secs(secs.into()).min(MAX_ASKED_WAIT))
}

/// What the API server said, in words: its message, with the code when that is what matters.
fn api_reason(status: &kube::core::Status) -> String {
    match status.code {
        401 => format!("unauthorized: {}", status.message),
        403 if !status.message.is_empty() => status.message.clone(),
        429 => match retry_after_words(retry_after_seconds(status)) {
            Some(after) => format!("answered 429 (too many requests), {after}"),
            None => "answered 429 (too many requests)".into(),
        },
        code if status.message.is_empty() => format!("HTTP {code} {}", status.reason),
        code if code >= 500 || status.message.starts_with('<') => {
            let text = status.message.trim();
            if text.starts_with('<') || text.len() > 120 {
                format!("HTTP {code}")
            } else {
                format!("HTTP {code}: {text}")
            }
        }
        _ => status.message.clone(),
    }
}

/// A client error (list, watch, log stream) in words.
pub fn describe_client(err: &kube::Error) -> String {
    match err {
        kube::Error::Api(status) => api_reason(status),
        kube::Error::SerdeError(e) if e.is_eof() => "the response was cut short".into(),
        kube::Error::SerdeError(e) if e.is_syntax() => {
            "the Kubernetes API did not answer JSON".into()
        }
        kube::Error::SerdeError(e) => {
            let detail = e.to_string();
            let detail = detail.split(" at line ").next().unwrap_or_default();
            format!("unexpected JSON shape: {detail}")
        }
        kube::Error::ReadEvents(_) | kube::Error::LinesCodecMaxLineLengthExceeded => {
            match short_cause(err).as_str() {
                "connection reset" => "the connection was reset".into(),
                _ => "the stream was cut short".into(),
            }
        }
        e => match short_cause(e).as_str() {
            "connection reset" => "the connection was reset".into(),
            c if c.contains("before message length") || c.contains("incomplete") => {
                "the response was cut short".into()
            }
            // hyper-timeout's read timeout says "timed out", its connect timeout tokio's
            // "deadline has elapsed".
            "timed out" => format!("no answer in {} s", connect::READ_TIMEOUT.as_secs()),
            "deadline has elapsed" => {
                format!("no connection in {} s", connect::CONNECT_TIMEOUT.as_secs())
            }
            other => other.to_string(),
        },
    }
}

/// The innermost useful cause: "connection refused" rather than five nested wrappers.
pub fn short_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut chain = vec![err.to_string()];
    let mut source = err.source();
    while let Some(s) = source {
        chain.push(s.to_string());
        source = s.source();
    }
    let all = chain.join(": ").to_lowercase();
    for known in [
        "connection refused",
        "timed out",
        "connection reset",
        "broken pipe",
        "dns error",
    ] {
        if all.contains(known) {
            return known.to_string();
        }
    }
    let last = chain.last().cloned().unwrap_or_default();
    last.chars().take(120).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_parse_like_the_flag_reads() {
        assert_eq!(Namespaces::parse("all"), Namespaces::All);
        assert_eq!(Namespaces::parse(""), Namespaces::All);
        assert_eq!(
            Namespaces::parse("contentgen, monitoring"),
            Namespaces::Only(vec!["contentgen".into(), "monitoring".into()])
        );
    }

    #[test]
    fn a_429_is_waited_out_as_its_status_asks_up_to_ten_minutes() {
        let throttled = |secs: u64| {
            let status: kube::core::Status = serde_json::from_value(serde_json::json!({
                "status": "Failure", "message": "too many requests", "reason": "TooManyRequests",
                "details": {"retryAfterSeconds": secs}, "code": 429}))
            .expect("a Status");
            watcher::Error::InitialListFailed(kube::Error::Api(Box::new(status)))
        };
        let err = throttled(3);
        assert_eq!(
            describe(&err),
            (
                "answered 429 (too many requests), retry after 3 s".into(),
                false
            )
        );
        assert_eq!(asked_wait(&err), Some(Duration::from_secs(3)));
        assert_eq!(asked_wait(&throttled(86_400)), Some(MAX_ASKED_WAIT));
        assert_eq!(asked_wait(&throttled(0)), None);
        assert_eq!(
            describe(&throttled(0)).0,
            "answered 429 (too many requests)"
        );
    }

    #[test]
    fn forbidden_is_final_and_says_who() {
        let status = kube::core::Status::failure(
            "pods is forbidden: User \"viewer\" cannot list resource \"pods\"",
            "Forbidden",
        )
        .with_code(403);
        let err = watcher::Error::InitialListFailed(kube::Error::Api(Box::new(status)));
        let (reason, fatal) = describe(&err);
        assert!(fatal);
        assert!(reason.contains("forbidden: User \"viewer\""), "{reason}");
    }
}
