//! The world's compact model: small structs per object kind, rendered to k8s objects on demand.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::PodTemplateSpec;

pub type Labels = BTreeMap<String, String>;

/// The kinds the sim serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Namespace,
    Node,
    Pod,
    Event,
    Deployment,
    ReplicaSet,
    StatefulSet,
    Hpa,
    ControllerRevision,
    Lease,
    ConfigMap,
}

impl Kind {
    pub const ALL: [Kind; 11] = [
        Kind::Namespace,
        Kind::Node,
        Kind::Pod,
        Kind::Event,
        Kind::Deployment,
        Kind::ReplicaSet,
        Kind::StatefulSet,
        Kind::Hpa,
        Kind::ControllerRevision,
        Kind::Lease,
        Kind::ConfigMap,
    ];

    pub fn plural(self) -> &'static str {
        match self {
            Kind::Namespace => "namespaces",
            Kind::Node => "nodes",
            Kind::Pod => "pods",
            Kind::Event => "events",
            Kind::Deployment => "deployments",
            Kind::ReplicaSet => "replicasets",
            Kind::StatefulSet => "statefulsets",
            Kind::Hpa => "horizontalpodautoscalers",
            Kind::ControllerRevision => "controllerrevisions",
            Kind::Lease => "leases",
            Kind::ConfigMap => "configmaps",
        }
    }
    pub fn singular(self) -> &'static str {
        match self {
            Kind::Hpa => "horizontalpodautoscaler",
            k => k.plural().trim_end_matches('s'),
        }
    }
    pub fn kind(self) -> &'static str {
        match self {
            Kind::Namespace => "Namespace",
            Kind::Node => "Node",
            Kind::Pod => "Pod",
            Kind::Event => "Event",
            Kind::Deployment => "Deployment",
            Kind::ReplicaSet => "ReplicaSet",
            Kind::StatefulSet => "StatefulSet",
            Kind::Hpa => "HorizontalPodAutoscaler",
            Kind::ControllerRevision => "ControllerRevision",
            Kind::Lease => "Lease",
            Kind::ConfigMap => "ConfigMap",
        }
    }
    pub fn group(self) -> &'static str {
        match self {
            Kind::Deployment | Kind::ReplicaSet | Kind::StatefulSet | Kind::ControllerRevision => {
                "apps"
            }
            Kind::Hpa => "autoscaling",
            Kind::Lease => "coordination.k8s.io",
            _ => "",
        }
    }
    pub fn version(self) -> &'static str {
        match self {
            Kind::Hpa => "v2",
            _ => "v1",
        }
    }
    pub fn api_version(self) -> String {
        match self.group() {
            "" => self.version().to_string(),
            g => format!("{g}/{}", self.version()),
        }
    }
    /// `deployments.apps`, `pods`: how the API server names a resource in messages.
    pub fn qualified(self) -> String {
        match self.group() {
            "" => self.plural().to_string(),
            g => format!("{}.{g}", self.plural()),
        }
    }
    pub fn namespaced(self) -> bool {
        !matches!(self, Kind::Namespace | Kind::Node)
    }
    pub fn short_names(self) -> &'static [&'static str] {
        match self {
            Kind::Namespace => &["ns"],
            Kind::Node => &["no"],
            Kind::Pod => &["po"],
            Kind::Event => &["ev"],
            Kind::Deployment => &["deploy"],
            Kind::ReplicaSet => &["rs"],
            Kind::StatefulSet => &["sts"],
            Kind::Hpa => &["hpa"],
            Kind::ConfigMap => &["cm"],
            Kind::ControllerRevision | Kind::Lease => &[],
        }
    }
    pub fn in_all_category(self) -> bool {
        matches!(
            self,
            Kind::Pod | Kind::Deployment | Kind::ReplicaSet | Kind::StatefulSet | Kind::Hpa
        )
    }
    /// Field selectors the real API server accepts for this kind.
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            Kind::Pod => &[
                "metadata.name",
                "metadata.namespace",
                "spec.nodeName",
                "spec.restartPolicy",
                "spec.schedulerName",
                "spec.serviceAccountName",
                "status.phase",
                "status.podIP",
            ],
            Kind::Event => &[
                "metadata.name",
                "metadata.namespace",
                "involvedObject.kind",
                "involvedObject.namespace",
                "involvedObject.name",
                "involvedObject.uid",
                "involvedObject.apiVersion",
                "reason",
                "source",
                "type",
            ],
            Kind::Node => &["metadata.name", "spec.unschedulable"],
            Kind::Namespace => &["metadata.name", "status.phase"],
            _ => &["metadata.name", "metadata.namespace"],
        }
    }
    pub fn from_plural(group: &str, plural: &str) -> Option<Kind> {
        Kind::ALL
            .into_iter()
            .find(|k| k.plural() == plural && k.group() == group)
    }
}

/// (namespace, name); namespace is empty for cluster-scoped objects. Ordered for paging.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub ns: Arc<str>,
    pub name: String,
}

impl Key {
    pub fn new(ns: &Arc<str>, name: impl Into<String>) -> Key {
        Key {
            ns: ns.clone(),
            name: name.into(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Meta {
    pub ns: Arc<str>,
    pub name: String,
    pub uid: String,
    pub rv: u64,
    pub created: Timestamp,
    pub labels: Arc<Labels>,
    pub annotations: Labels,
    pub generation: i64,
}

impl Meta {
    pub fn key(&self) -> Key {
        Key {
            ns: self.ns.clone(),
            name: self.name.clone(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct OwnerRef {
    pub kind: &'static str,
    pub api_version: &'static str,
    pub name: String,
    pub uid: String,
}

#[derive(Clone, Debug)]
pub struct NamespaceM {
    pub meta: Meta,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeReady {
    True,
    Unknown,
}

#[derive(Clone, Debug)]
pub struct NodeM {
    pub meta: Meta,
    pub ready: NodeReady,
    /// When Ready last changed status.
    pub transition: Timestamp,
    /// When the kubelet last posted the node's status: its conditions' lastHeartbeatTime.
    pub heartbeat: Timestamp,
    pub unschedulable: bool,
    /// When `unschedulable` last changed (its taint's timeAdded).
    pub cordoned: Timestamp,
    pub cpu: u32,
    pub memory_gi: u32,
    pub kubelet: &'static str,
    pub ip: String,
}

/// The single container's state (the sim's pods have one container).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CState {
    Waiting(&'static str),
    Running,
}

#[derive(Clone, Debug)]
pub struct Terminated {
    pub reason: &'static str,
    pub exit_code: i32,
    pub started: Timestamp,
    pub finished: Timestamp,
}

#[derive(Clone, Debug)]
pub struct PodM {
    pub meta: Meta,
    pub owner: OwnerRef,
    pub template: Arc<PodTemplateSpec>,
    /// The template's pod spec, serialized once and shared by all pods of the template.
    pub spec_json: Arc<[u8]>,
    pub node: Option<Arc<str>>,
    pub ip: Option<String>,
    pub scheduled: Option<Timestamp>,
    pub cstate: CState,
    pub started: Option<Timestamp>,
    pub ready: bool,
    pub ready_changed: Timestamp,
    pub restarts: i32,
    pub last_term: Option<Terminated>,
    /// Crashes (OOM) shortly after each start (crashloop scenario).
    pub crashy: bool,
    /// Hung worker since (pipeline-stuck): no logs, readiness failing.
    pub stuck_since: Option<Timestamp>,
    /// The node stopped reporting: Ready=Unknown-ish, pod kept Running but not ready.
    pub node_lost: bool,
    pub seed: u64,
}

impl PodM {
    pub fn app(&self) -> &str {
        self.meta.labels.get("app").map_or("app", String::as_str)
    }
    pub fn phase(&self) -> &'static str {
        if self.started.is_some() || self.restarts > 0 {
            "Running"
        } else {
            "Pending"
        }
    }
}

#[derive(Clone, Debug)]
pub struct Cond {
    pub type_: &'static str,
    pub status: &'static str,
    pub reason: &'static str,
    pub message: String,
    pub updated: Timestamp,
    pub transition: Timestamp,
}

#[derive(Clone, Debug, Default)]
pub struct DeployStatus {
    pub observed_generation: i64,
    pub replicas: i32,
    pub updated: i32,
    pub ready: i32,
    pub available: i32,
    pub unavailable: i32,
    pub conditions: Vec<Cond>,
}

#[derive(Clone, Debug)]
pub struct DeploymentM {
    pub meta: Meta,
    pub replicas: i32,
    pub paused: bool,
    pub selector: Arc<Labels>,
    pub template: Arc<PodTemplateSpec>,
    pub progress_deadline: i64,
    pub revision_history: i32,
    /// When the current rollout last made progress.
    pub last_progress: Timestamp,
    pub status: DeployStatus,
}

#[derive(Clone, Debug)]
pub struct ReplicaSetM {
    pub meta: Meta,
    pub owner: OwnerRef,
    pub selector: Arc<Labels>,
    pub template: Arc<PodTemplateSpec>,
    pub hash: String,
    pub replicas: i32,
    pub pods: BTreeSet<String>,
    pub ready: i32,
    pub observed_generation: i64,
}

impl ReplicaSetM {
    pub fn revision(&self) -> i64 {
        self.meta
            .annotations
            .get(super::REVISION)
            .and_then(|r| r.parse().ok())
            .unwrap_or(0)
    }
}

#[derive(Clone, Debug)]
pub struct StatefulSetM {
    pub meta: Meta,
    pub replicas: i32,
    pub selector: Arc<Labels>,
    pub template: Arc<PodTemplateSpec>,
    /// The update revision: the ControllerRevision of `template`, which new pods get.
    pub revision: String,
    /// The revision all pods ran before the update began (equal to `revision` once rolled).
    pub current_revision: String,
    pub pods: BTreeSet<String>,
    pub ready: i32,
    /// Pods at the current and at the update revision.
    pub current: i32,
    pub updated: i32,
    pub observed_generation: i64,
}

#[derive(Clone, Debug, PartialEq)]
pub enum HpaMetric {
    Cpu {
        target: i32,
        current: i32,
    },
    External {
        name: &'static str,
        target_avg: i64,
        current: i64,
    },
}

#[derive(Clone, Debug)]
pub struct HpaM {
    pub meta: Meta,
    pub target: String,
    pub min: i32,
    pub max: i32,
    pub metric: HpaMetric,
    pub current_replicas: i32,
    pub desired: i32,
    pub last_scale: Option<Timestamp>,
    /// `spec.behavior.scaleUp`: at most this many pods added a minute (None: the default).
    pub scale_up_pods_per_minute: Option<i32>,
    /// AbleToScale, ScalingActive, ScalingLimited, as the controller last set them.
    pub conditions: Vec<Cond>,
    /// The controller's recent scale-ups (when, pods added), for the behaviour's rate.
    pub scale_ups: Vec<(Timestamp, i32)>,
    pub observed_generation: i64,
}

#[derive(Clone, Debug)]
pub struct Involved {
    pub kind: &'static str,
    pub api_version: &'static str,
    pub ns: Arc<str>,
    pub name: String,
    pub uid: String,
}

#[derive(Clone, Debug)]
pub struct EventM {
    pub meta: Meta,
    pub involved: Involved,
    pub reason: &'static str,
    pub message: String,
    pub type_: &'static str,
    pub count: i32,
    pub first: Timestamp,
    pub last: Timestamp,
    pub component: &'static str,
    pub host: Option<String>,
    /// The message's hash, or 0 for a "(combined from similar events)" one: the correlator's key.
    pub dedupe: u64,
}
