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

use crate::status::Backoff;

use super::connect;
use super::failure::{asked_wait, describe};
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
}
