//! The cluster's projected state and its reducer: rows per resource, each source's load state,
//! and the figures derived across resources (restarts per workload, pods per node).

use std::collections::BTreeMap;

use super::derive::Figures;
use super::rows::{EventRow, HpaRow, NodeRow, PodRow, WorkloadRow};
use super::store::{Keyed, Store};
use crate::k8s::WorkloadKind;
use crate::k8s::context::ContextName;
use crate::status::LoadState;

/// The resources opsdeck watches; each has its own watch task(s) and load state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Resource {
    Deployments,
    StatefulSets,
    Pods,
    Nodes,
    Hpas,
    Events,
    Namespaces,
}

impl Resource {
    pub const ALL: [Resource; 7] = [
        Resource::Deployments,
        Resource::StatefulSets,
        Resource::Pods,
        Resource::Nodes,
        Resource::Hpas,
        Resource::Events,
        Resource::Namespaces,
    ];

    pub fn plural(self) -> &'static str {
        match self {
            Resource::Deployments => "deployments",
            Resource::StatefulSets => "statefulsets",
            Resource::Pods => "pods",
            Resource::Nodes => "nodes",
            Resource::Hpas => "horizontalpodautoscalers",
            Resource::Events => "events",
            Resource::Namespaces => "namespaces",
        }
    }

    /// Distinguishes watches that feed one store (see `Keyed::tag`).
    pub fn tag(self) -> &'static str {
        match self {
            Resource::Deployments => WorkloadKind::Deployment.short(),
            Resource::StatefulSets => WorkloadKind::StatefulSet.short(),
            _ => "",
        }
    }

    pub fn cluster_scoped(self) -> bool {
        matches!(self, Resource::Nodes | Resource::Namespaces)
    }

    /// The store key of an object of this resource: the one definition rows are stored
    /// under and deletions are found by.
    /// Keys lead with the context: two clusters may both have `contentgen/api`.
    pub fn key(self, context: &str, namespace: &str, name: &str) -> String {
        match self {
            Resource::Nodes | Resource::Namespaces => format!("{context}/{name}"),
            Resource::Deployments | Resource::StatefulSets => {
                format!("{context}/{}/{namespace}/{name}", self.tag())
            }
            _ => format!("{context}/{namespace}/{name}"),
        }
    }

    /// The watch that feeds workloads of this kind.
    pub fn of_kind(kind: WorkloadKind) -> Resource {
        match kind {
            WorkloadKind::Deployment => Resource::Deployments,
            WorkloadKind::StatefulSet => Resource::StatefulSets,
        }
    }
}

/// Rows decoded by a source, batched.
#[derive(Clone, Debug)]
pub enum Rows {
    Workloads(Vec<WorkloadRow>),
    Pods(Vec<PodRow>),
    Nodes(Vec<NodeRow>),
    Hpas(Vec<HpaRow>),
    Events(Vec<EventRow>),
    Namespaces(Vec<String>),
}

impl Rows {
    pub fn len(&self) -> usize {
        match self {
            Rows::Workloads(v) => v.len(),
            Rows::Pods(v) => v.len(),
            Rows::Nodes(v) => v.len(),
            Rows::Hpas(v) => v.len(),
            Rows::Events(v) => v.len(),
            Rows::Namespaces(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Marks every row as coming from `context` (projection knows only the object).
    pub fn stamp(&mut self, context: &ContextName) {
        fn set<R>(rows: &mut [R], field: impl Fn(&mut R) -> &mut ContextName, c: &ContextName) {
            rows.iter_mut().for_each(|r| *field(r) = c.clone());
        }
        match self {
            Rows::Workloads(v) => set(v, |r| &mut r.context, context),
            Rows::Pods(v) => set(v, |r| &mut r.context, context),
            Rows::Nodes(v) => set(v, |r| &mut r.context, context),
            Rows::Hpas(v) => set(v, |r| &mut r.context, context),
            Rows::Events(v) => set(v, |r| &mut r.context, context),
            Rows::Namespaces(_) => {}
        }
    }
}

#[derive(Clone, Debug)]
pub enum SourceEvent {
    ListStarted,
    Applied(Rows),
    Deleted(Vec<String>),
    ListDone,
    /// The watch failed; it retries after `retry_in` (None: it gave up, e.g. forbidden).
    Failed {
        reason: String,
        retry_in: Option<std::time::Duration>,
    },
}

/// One message from one watch: which context, which resource, which namespace ("" = all or
/// cluster-scoped).
#[derive(Clone, Debug)]
pub struct ClusterMsg {
    pub context: ContextName,
    pub resource: Resource,
    pub scope: String,
    pub event: SourceEvent,
}

impl Keyed for WorkloadRow {
    fn key(&self) -> String {
        Resource::of_kind(self.kind).key(&self.context, &self.namespace, &self.name)
    }
    fn context(&self) -> &str {
        &self.context
    }
    fn scope(&self) -> &str {
        &self.namespace
    }
    fn tag(&self) -> &'static str {
        Resource::of_kind(self.kind).tag()
    }
}

impl Keyed for PodRow {
    fn key(&self) -> String {
        Resource::Pods.key(&self.context, &self.namespace, &self.name)
    }
    fn context(&self) -> &str {
        &self.context
    }
    fn scope(&self) -> &str {
        &self.namespace
    }
}

impl Keyed for NodeRow {
    fn key(&self) -> String {
        Resource::Nodes.key(&self.context, "", &self.name)
    }
    fn context(&self) -> &str {
        &self.context
    }
    fn scope(&self) -> &str {
        ""
    }
}

impl Keyed for HpaRow {
    fn key(&self) -> String {
        Resource::Hpas.key(&self.context, &self.namespace, &self.name)
    }
    fn context(&self) -> &str {
        &self.context
    }
    fn scope(&self) -> &str {
        &self.namespace
    }
}

impl Keyed for EventRow {
    fn key(&self) -> String {
        Resource::Events.key(&self.context, &self.namespace, &self.name)
    }
    fn context(&self) -> &str {
        &self.context
    }
    fn scope(&self) -> &str {
        &self.namespace
    }
}

/// Events are bounded: a long incident must not grow memory without end.
pub const MAX_EVENTS: usize = 2_000;

#[derive(Debug, Default)]
pub struct ClusterModel {
    pub workloads: Store<WorkloadRow>,
    pub pods: Store<PodRow>,
    pub nodes: Store<NodeRow>,
    pub hpas: Store<HpaRow>,
    pub events: Store<EventRow>,
    /// Namespaces seen in the cluster (for the picker).
    pub namespaces: Vec<String>,
    /// Load state per (context, resource, scope).
    pub sources: BTreeMap<(ContextName, Resource, String), LoadState>,
    /// The figures across pods (restarts and crashloops per workload, deaths, pods per
    /// node), kept as pods are applied.
    pub figures: Figures,
}

impl ClusterModel {
    /// Applies one source message.
    pub fn apply(&mut self, msg: ClusterMsg, now: i64) {
        let ClusterMsg {
            context,
            resource,
            scope,
            event,
        } = msg;
        match event {
            SourceEvent::ListStarted => {
                let tag = resource.tag();
                self.for_store(resource, |s| s.begin_list(tag, &context, &scope))
            }
            SourceEvent::ListDone => {
                let tag = resource.tag();
                if resource == Resource::Pods {
                    for gone in self.pods.end_list(tag, &context, &scope) {
                        self.figures.remove(&gone);
                    }
                } else {
                    self.for_store(resource, |s| s.end_list(tag, &context, &scope));
                }
                self.sources
                    .insert((context, resource, scope), LoadState::Live);
            }
            SourceEvent::Applied(mut rows) => {
                // The message says where its rows come from, whoever projected them.
                rows.stamp(&context);
                self.apply_rows(rows);
                // Rows flowing again after a failure: the source is back.
                let state = self.sources.entry((context, resource, scope)).or_default();
                if matches!(state, LoadState::Stale { .. }) {
                    *state = LoadState::Live;
                }
            }
            SourceEvent::Deleted(keys) => {
                for key in keys {
                    if resource == Resource::Pods {
                        if let Some(gone) = self.pods.remove(&key) {
                            self.figures.remove(&gone);
                        }
                    } else {
                        self.for_store(resource, |s| s.remove(&key));
                    }
                }
            }
            SourceEvent::Failed { reason, retry_in } => {
                let state = self.sources.entry((context, resource, scope)).or_default();
                *state = state.failed(&reason, retry_in, now);
            }
        }
    }

    fn apply_rows(&mut self, rows: Rows) {
        match rows {
            Rows::Workloads(v) => v.into_iter().for_each(|r| self.workloads.upsert(r)),
            Rows::Pods(v) => {
                for row in v {
                    let (slot, old) = self.pods.replace(row);
                    if let Some(old) = old {
                        self.figures.remove(&old);
                    }
                    if let Some(new) = self.pods.get(slot) {
                        self.figures.add(new);
                    }
                }
            }
            Rows::Nodes(v) => v.into_iter().for_each(|r| self.nodes.upsert(r)),
            Rows::Hpas(v) => v.into_iter().for_each(|r| self.hpas.upsert(r)),
            Rows::Events(v) => {
                v.into_iter().for_each(|r| self.events.upsert(r));
                self.trim_events();
            }
            Rows::Namespaces(v) => {
                for ns in v {
                    if let Err(at) = self.namespaces.binary_search(&ns) {
                        self.namespaces.insert(at, ns);
                    }
                }
            }
        }
    }

    fn trim_events(&mut self) {
        let excess = self.events.len().saturating_sub(MAX_EVENTS);
        if excess == 0 {
            return;
        }
        let mut by_age: Vec<(i64, String)> = self
            .events
            .iter()
            .map(|(_, e)| (e.last_seen, e.key()))
            .collect();
        by_age.sort();
        for (_, key) in by_age.into_iter().take(excess) {
            self.events.remove(&key);
        }
    }

    fn for_store(&mut self, resource: Resource, f: impl Fn(&mut dyn ListScoped)) {
        match resource {
            Resource::Deployments | Resource::StatefulSets => f(&mut self.workloads),
            Resource::Pods => f(&mut self.pods),
            Resource::Nodes => f(&mut self.nodes),
            Resource::Hpas => f(&mut self.hpas),
            Resource::Events => f(&mut self.events),
            Resource::Namespaces => {}
        }
    }

    /// Forget every row and source state (the watched namespaces changed).
    pub fn reset(&mut self) {
        self.workloads.clear();
        self.pods.clear();
        self.figures.clear();
        self.hpas.clear();
        self.events.clear();
        self.sources.clear();
    }

    /// The worst load state among a resource's watches (one per namespace).
    pub fn load_state(&self, resources: &[Resource]) -> LoadState {
        self.load_state_where(resources, |_| true)
    }

    /// The worst load state among the watches of these resources in `contexts` (empty:
    /// every one); a stale reason names its context when several are watched.
    pub fn load_state_among(&self, resources: &[Resource], contexts: &[ContextName]) -> LoadState {
        let shown = |c: &str| contexts.is_empty() || contexts.iter().any(|s| s.as_str() == c);
        let state = self.load_state_where(resources, shown);
        let many = self
            .sources
            .keys()
            .map(|(c, _, _)| c)
            .collect::<std::collections::BTreeSet<_>>()
            .len()
            > 1;
        let LoadState::Stale { reason, since } = &state else {
            return state;
        };
        if !many {
            return state;
        }
        let context = self.sources.iter().find_map(|((c, r, _), s)| {
            let same = matches!(s, LoadState::Stale { reason: why, .. } if why == reason);
            (same && resources.contains(r) && shown(c)).then_some(c)
        });
        match context {
            Some(c) => LoadState::Stale {
                reason: format!("{c}: {reason}"),
                since: *since,
            },
            None => state,
        }
    }

    /// The worst load state among one context's watches of these resources.
    pub fn load_state_in(&self, context: &str, resources: &[Resource]) -> LoadState {
        self.load_state_where(resources, |c| c == context)
    }

    fn load_state_where(
        &self,
        resources: &[Resource],
        context: impl Fn(&str) -> bool,
    ) -> LoadState {
        let mut worst = None::<&LoadState>;
        let mut any = false;
        for ((c, r, _), state) in &self.sources {
            if !resources.contains(r) || !context(c) {
                continue;
            }
            any = true;
            worst = match (worst, state) {
                (_, s @ LoadState::Stale { .. }) => Some(s),
                (Some(w @ LoadState::Stale { .. }), _) => Some(w),
                (_, s @ LoadState::Loading) => Some(s),
                (Some(w), _) => Some(w),
                (None, s) => Some(s),
            };
        }
        if !any {
            return LoadState::Loading;
        }
        worst.cloned().unwrap_or_default()
    }

    pub fn warning_count(&self) -> usize {
        self.events.iter().filter(|(_, e)| e.warning).count()
    }
}

/// The list-lifecycle operations every store shares, as a trait object for `for_store`.
trait ListScoped {
    fn begin_list(&mut self, tag: &'static str, context: &str, scope: &str);
    fn end_list(&mut self, tag: &'static str, context: &str, scope: &str);
    fn remove(&mut self, key: &str);
}

impl<R: Keyed> ListScoped for Store<R> {
    fn begin_list(&mut self, tag: &'static str, context: &str, scope: &str) {
        Store::begin_list(self, tag, context, scope)
    }
    fn end_list(&mut self, tag: &'static str, context: &str, scope: &str) {
        Store::end_list(self, tag, context, scope);
    }
    fn remove(&mut self, key: &str) {
        Store::remove(self, key);
    }
}
