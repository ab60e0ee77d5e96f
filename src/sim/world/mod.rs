//! The simulated platform's state: compact objects per kind, one resourceVersion, a change ring.

mod changes;
mod churn;
pub mod columns;
pub mod configmaps;
mod controller;
mod events;
mod exporters;
pub mod fields;
pub mod history;
mod hpa;
mod kubelet;
pub mod leases;
pub mod logs;
mod metrics_feed;
pub mod model;
mod nodes;
mod patch;
pub mod pipelines;
mod play;
pub mod queues;
pub mod render;
mod statefulset;
mod status;
mod topology;
mod workers;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Bound;
use std::sync::Arc;

use jiff::Timestamp;

pub use changes::{Change, ChangeLog};
pub use model::{Key, Kind, Labels};
pub use patch::WorldError;
pub use pipelines::Pipelines;
pub use render::SimObject;

use crate::sim::scenarios::Scenario;
use crate::sim::util::Rng;
use model::*;

pub const REVISION: &str = "deployment.kubernetes.io/revision";
pub const CHANGE_CAUSE: &str = "kubernetes.io/change-cause";

/// Something the world must do at a given time (milliseconds since the Unix epoch).
#[derive(Clone, Debug)]
enum Timer {
    PodStep(Key, String),
}

/// The whole simulated cluster. Owned behind a mutex; the world task ticks it.
pub struct World {
    pub log: ChangeLog,
    pub namespaces: BTreeMap<Key, NamespaceM>,
    pub nodes: BTreeMap<Key, NodeM>,
    pub pods: BTreeMap<Key, PodM>,
    pub events: BTreeMap<Key, EventM>,
    pub deployments: BTreeMap<Key, DeploymentM>,
    pub replicasets: BTreeMap<Key, ReplicaSetM>,
    pub statefulsets: BTreeMap<Key, StatefulSetM>,
    /// StatefulSets' ControllerRevisions (a few per StatefulSet).
    pub revisions: BTreeMap<Key, history::RevisionM>,
    /// Leases: one per node in `kube-node-lease`, and any a client creates.
    pub leases: BTreeMap<Key, leases::LeaseM>,
    /// ConfigMaps clients wrote (the sim starts with none).
    pub configmaps: BTreeMap<Key, configmaps::ConfigMapM>,
    pub hpas: BTreeMap<Key, HpaM>,
    /// The platform's pipeline runs and its generation switch (served by the platform API).
    pub pipelines: Pipelines,
    /// The platform's queues (sampled in process by the demo's queue pane).
    pub queues: queues::SimQueues,
    /// The platform's Prometheus metrics: history from the start back, driven by ticks after.
    pub metrics: crate::sim::metrics::Metrics,
    /// The rules evaluated over `metrics` at every scrape, and the Alertmanager they feed.
    pub alerts: crate::sim::alerts::Alerting,
    rng: Rng,
    now: Timestamp,
    started: Timestamp,
    scenario: Option<Scenario>,
    scenario_stage: u32,
    /// The last 15 s period the autoscalers synced in.
    hpa_period: i64,
    timers: BTreeMap<(i64, u64), Timer>,
    timer_seq: u64,
    dirty_deploy: BTreeSet<Key>,
    dirty_rs: BTreeSet<Key>,
    dirty_sts: BTreeSet<Key>,
    node_names: Vec<Arc<str>>,
    node_rr: usize,
    ip_counter: u64,
    correlator: events::Correlator,
    cluster_ns: Arc<str>,
    /// Load on top of the platform (`crate::sim::load`), and the churn's progress.
    load: crate::sim::load::Load,
    churn: churn::Churn,
    /// Serialized pod specs by template (the Arc keeps the address from being reused).
    spec_cache: HashMap<usize, (Arc<k8s_openapi::api::core::v1::PodTemplateSpec>, Arc<[u8]>)>,
}

impl World {
    /// A world as PLATFORM.md describes it (scaled to about `pods` pods if given).
    pub fn new(scenario: Option<Scenario>, pods: Option<usize>, now: Timestamp) -> World {
        let base_rv = (now.as_microsecond().max(1) as u64) / 1000 * 1000;
        let mut w = World {
            log: ChangeLog::new(base_rv),
            namespaces: BTreeMap::new(),
            nodes: BTreeMap::new(),
            pods: BTreeMap::new(),
            events: BTreeMap::new(),
            deployments: BTreeMap::new(),
            replicasets: BTreeMap::new(),
            statefulsets: BTreeMap::new(),
            revisions: BTreeMap::new(),
            leases: BTreeMap::new(),
            configmaps: BTreeMap::new(),
            hpas: BTreeMap::new(),
            pipelines: Pipelines::new(now.as_nanosecond() as u64, now),
            queues: queues::SimQueues::default(),
            metrics: crate::sim::metrics::Metrics::new(now),
            alerts: crate::sim::alerts::Alerting::new(now),
            rng: Rng(now.as_nanosecond() as u64),
            now,
            started: now,
            scenario,
            scenario_stage: 0,
            hpa_period: 0,
            timers: BTreeMap::new(),
            timer_seq: 0,
            dirty_deploy: BTreeSet::new(),
            dirty_rs: BTreeSet::new(),
            dirty_sts: BTreeSet::new(),
            node_names: Vec::new(),
            node_rr: 0,
            ip_counter: 0,
            correlator: events::Correlator::default(),
            cluster_ns: Arc::from(""),
            load: crate::sim::load::Load::default(),
            churn: churn::Churn::default(),
            spec_cache: HashMap::new(),
        };
        w.log.quiet = true;
        w.build(pods);
        w.log.quiet = false;
        w.log.floor = w.log.rv;
        w
    }

    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// Iterate one kind's objects in key order, optionally in one namespace, after a key.
    pub fn iter<'a>(
        &'a self,
        kind: Kind,
        ns: Option<&str>,
        after: Option<&Key>,
    ) -> Box<dyn Iterator<Item = &'a dyn SimObject> + 'a> {
        match kind {
            Kind::Namespace => range_iter(&self.namespaces, ns, after),
            Kind::Node => range_iter(&self.nodes, ns, after),
            Kind::Pod => range_iter(&self.pods, ns, after),
            Kind::Event => range_iter(&self.events, ns, after),
            Kind::Deployment => range_iter(&self.deployments, ns, after),
            Kind::ReplicaSet => range_iter(&self.replicasets, ns, after),
            Kind::StatefulSet => range_iter(&self.statefulsets, ns, after),
            Kind::Hpa => range_iter(&self.hpas, ns, after),
            Kind::ControllerRevision => range_iter(&self.revisions, ns, after),
            Kind::Lease => range_iter(&self.leases, ns, after),
            Kind::ConfigMap => range_iter(&self.configmaps, ns, after),
        }
    }

    pub fn get(&self, kind: Kind, ns: &str, name: &str) -> Option<&dyn SimObject> {
        let key = Key {
            ns: Arc::from(ns),
            name: name.to_string(),
        };
        match kind {
            Kind::Namespace => self.namespaces.get(&key).map(|o| o as &dyn SimObject),
            Kind::Node => self.nodes.get(&key).map(|o| o as &dyn SimObject),
            Kind::Pod => self.pods.get(&key).map(|o| o as &dyn SimObject),
            Kind::Event => self.events.get(&key).map(|o| o as &dyn SimObject),
            Kind::Deployment => self.deployments.get(&key).map(|o| o as &dyn SimObject),
            Kind::ReplicaSet => self.replicasets.get(&key).map(|o| o as &dyn SimObject),
            Kind::StatefulSet => self.statefulsets.get(&key).map(|o| o as &dyn SimObject),
            Kind::Hpa => self.hpas.get(&key).map(|o| o as &dyn SimObject),
            Kind::ControllerRevision => self.revisions.get(&key).map(|o| o as &dyn SimObject),
            Kind::Lease => self.leases.get(&key).map(|o| o as &dyn SimObject),
            Kind::ConfigMap => self.configmaps.get(&key).map(|o| o as &dyn SimObject),
        }
    }

    pub fn pod(&self, ns: &str, name: &str) -> Option<&PodM> {
        self.pods.get(&Key {
            ns: Arc::from(ns),
            name: name.to_string(),
        })
    }

    fn meta(
        &mut self,
        ns: &Arc<str>,
        name: String,
        labels: Arc<Labels>,
        created: Timestamp,
    ) -> Meta {
        Meta {
            ns: ns.clone(),
            name,
            uid: self.rng.uid(),
            rv: 0,
            created,
            labels,
            annotations: Labels::new(),
            generation: 0,
        }
    }

    /// The meta of an object a client creates in `ns`, which must exist (a Lease, a
    /// ConfigMap).
    fn client_meta(
        &mut self,
        ns: &str,
        name: String,
        labels: Labels,
        annotations: Labels,
    ) -> Result<Meta, patch::WorldError> {
        let ns_key = Key::new(&self.cluster_ns, ns.to_string());
        if !self.namespaces.contains_key(&ns_key) {
            return Err(patch::WorldError::NamespaceNotFound(ns.to_string()));
        }
        let mut meta = self.meta(&Arc::from(ns), name, Arc::new(labels), self.now);
        meta.annotations = annotations;
        Ok(meta)
    }

    fn spec_json(&mut self, t: &Arc<k8s_openapi::api::core::v1::PodTemplateSpec>) -> Arc<[u8]> {
        let key = Arc::as_ptr(t) as usize;
        if let Some((_, json)) = self.spec_cache.get(&key) {
            return json.clone();
        }
        let json: Arc<[u8]> = serde_json::to_vec(&render::pod::pod_spec(t))
            .unwrap_or_else(|_| b"{}".to_vec())
            .into();
        self.spec_cache.insert(key, (t.clone(), json.clone()));
        json
    }

    fn after(&mut self, ms_lo: u64, ms_hi: u64, timer: Timer) {
        let at = self.now.as_millisecond() + self.rng.range(ms_lo, ms_hi) as i64;
        self.timer_seq += 1;
        self.timers.insert((at, self.timer_seq), timer);
    }
}

fn range_iter<'a, T: SimObject>(
    m: &'a BTreeMap<Key, T>,
    ns: Option<&str>,
    after: Option<&Key>,
) -> Box<dyn Iterator<Item = &'a dyn SimObject> + 'a> {
    let start = match (after, ns) {
        (Some(k), _) => Bound::Excluded(k.clone()),
        (None, Some(ns)) => Bound::Included(Key {
            ns: Arc::from(ns),
            name: String::new(),
        }),
        (None, None) => Bound::Unbounded,
    };
    let ns = ns.map(str::to_string);
    Box::new(
        m.range::<Key, _>((start, Bound::Unbounded))
            .take_while(move |(k, _)| ns.as_deref().is_none_or(|n| &*k.ns == n))
            .map(|(_, v)| v as &dyn SimObject),
    )
}

/// A delete's resourceVersion precondition against the stored object, worded as
/// kube-apiserver words a mismatch.
fn check_precondition(precondition: Option<&str>, current: &Meta) -> Result<(), patch::WorldError> {
    match precondition {
        Some(rv) if rv != current.rv.to_string() => Err(patch::WorldError::Precondition(format!(
            "Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {}",
            current.rv
        ))),
        _ => Ok(()),
    }
}
