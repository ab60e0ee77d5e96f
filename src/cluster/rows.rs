//! Flat rows: one small struct per Kubernetes object a view shows, converted at the edge.
//!
//! Every figure a table needs (kubectl-style STATUS, READY, rollout state) is computed here once,
//! when the object arrives, so drawing only reads.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};

use crate::k8s::context::ContextName;
use crate::status::Health;

use crate::k8s::WorkloadKind;
use crate::k8s::hpa::Hpa;
use crate::k8s::rollout::{self, Rollout};
use crate::k8s::wire::{
    DeploymentWire, EventWire, HpaWire, NodeWire, PodWire, REVISION_ANNOTATION, StatefulSetWire,
    WorkloadSpecWire, WorkloadStatusWire,
};

fn secs(t: &Option<Time>) -> Option<i64> {
    t.as_ref().map(|t| t.0.as_second())
}

fn name_of(meta: &ObjectMeta) -> String {
    meta.name.clone().unwrap_or_default()
}

fn namespace_of(meta: &ObjectMeta) -> String {
    meta.namespace.clone().unwrap_or_default()
}

// ---------------------------------------------------------------- pods

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PodRow {
    /// The kube context the row came from.
    pub context: ContextName,
    pub namespace: String,
    pub name: String,
    /// The Deployment or StatefulSet that owns the pod, through its ReplicaSet.
    pub workload: Option<String>,
    /// What kubectl prints in STATUS: CrashLoopBackOff, Running, Pending, Terminating...
    pub status: String,
    pub ready: u16,
    pub containers: u16,
    pub restarts: u32,
    /// When the last container restart started (unix seconds), for "5 (10s ago)".
    pub last_restart: Option<i64>,
    /// Why a container last died: the newest `lastState.terminated` ("OOMKilled", 137).
    pub last_exit: Option<LastExit>,
    pub node: String,
    pub ip: String,
    pub created: i64,
    pub container_names: Vec<String>,
    pub health: Health,
}

impl PodRow {
    pub fn from_wire(pod: &PodWire) -> Self {
        let meta = &pod.metadata;
        let status = pod.status.clone().unwrap_or_default();
        let spec = pod.spec.clone().unwrap_or_default();
        let containers = spec.containers.len().max(status.container_statuses.len()) as u16;
        let ready = status.container_statuses.iter().filter(|c| c.ready).count() as u16;
        let restarts = status
            .container_statuses
            .iter()
            .map(|c| c.restart_count.max(0) as u32)
            .sum();
        let last_exit = status
            .container_statuses
            .iter()
            .filter_map(|c| {
                let t = c.last_state.as_ref()?.terminated.as_ref()?;
                Some(LastExit {
                    reason: t.reason.clone().unwrap_or_else(|| "Error".into()),
                    exit_code: t.exit_code.unwrap_or_default(),
                    finished: t.finished_at.as_ref().map(|f| f.0.as_second()),
                })
            })
            .max_by_key(|e| e.finished);
        let last_restart = last_exit.as_ref().and_then(|e| e.finished);
        let display = pod_status(pod);
        let health = match display.as_str() {
            "Running" if ready == containers => Health::Ok,
            "Completed" | "Succeeded" => Health::Ok,
            "Pending" | "ContainerCreating" | "PodInitializing" | "Terminating" => Health::Pending,
            "Running" => Health::Warn,
            _ => Health::Bad,
        };
        PodRow {
            context: ContextName::default(),
            namespace: namespace_of(meta),
            name: name_of(meta),
            workload: owning_workload(meta),
            status: display,
            ready,
            containers,
            restarts,
            last_restart,
            last_exit,
            node: spec.node_name.unwrap_or_default(),
            ip: status.pod_ip.unwrap_or_default(),
            created: secs(&meta.creation_timestamp).unwrap_or_default(),
            container_names: spec.containers.into_iter().map(|c| c.name).collect(),
            health,
        }
    }
}

/// How a container last died: kubectl describe's "Last State: Terminated".
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LastExit {
    pub reason: String,
    pub exit_code: i32,
    /// Unix seconds.
    pub finished: Option<i64>,
}

impl LastExit {
    /// "OOMKilled 2m ago" (`now`: unix seconds).
    pub fn label(&self, now: i64) -> String {
        match self.finished {
            Some(at) => format!("{} {} ago", self.reason, crate::ui::format::age(now - at)),
            None => self.reason.clone(),
        }
    }
}

/// The STATUS column exactly as kubectl derives it (printers.go `printPod`, simplified to the
/// cases that occur on a live cluster).
fn pod_status(pod: &PodWire) -> String {
    let status = pod.status.clone().unwrap_or_default();
    let mut reason = status
        .reason
        .clone()
        .or(status.phase.clone())
        .unwrap_or_else(|| "Unknown".into());
    for c in &status.init_container_statuses {
        if let Some(state) = &c.state {
            if let Some(t) = &state.terminated {
                if t.exit_code != Some(0) {
                    return format!("Init:{}", t.reason.clone().unwrap_or("Error".into()));
                }
            } else if let Some(w) = &state.waiting {
                if let Some(r) = &w.reason
                    && r != "PodInitializing"
                {
                    return format!("Init:{r}");
                }
                return "PodInitializing".into();
            }
        }
    }
    let mut has_running = false;
    for c in status.container_statuses.iter().rev() {
        let Some(state) = &c.state else { continue };
        if let Some(r) = state.waiting.as_ref().and_then(|w| w.reason.clone()) {
            reason = r;
        } else if let Some(t) = &state.terminated {
            reason = t
                .reason
                .clone()
                .unwrap_or_else(|| format!("ExitCode:{}", t.exit_code.unwrap_or_default()));
        } else if state.running.is_some() && c.ready {
            has_running = true;
        }
    }
    if reason == "Completed" && has_running {
        reason = "Running".into();
    }
    if pod.metadata.deletion_timestamp.is_some() {
        reason = if status.reason.as_deref() == Some("NodeLost") {
            "Unknown".into()
        } else {
            "Terminating".into()
        };
    }
    reason
}

/// Pod -> ReplicaSet `api-7d9f8c` -> Deployment `api`; Pod -> StatefulSet `redis`.
fn owning_workload(meta: &ObjectMeta) -> Option<String> {
    let owner = meta
        .owner_references
        .as_ref()?
        .iter()
        .find(|o| o.controller == Some(true))?;
    match owner.kind.as_str() {
        "ReplicaSet" => {
            let hash = meta.labels.as_ref()?.get("pod-template-hash");
            match hash {
                Some(h) => owner
                    .name
                    .strip_suffix(&format!("-{h}"))
                    .map(str::to_string),
                None => owner.name.rsplit_once('-').map(|(d, _)| d.to_string()),
            }
        }
        _ => Some(owner.name.clone()),
    }
}

// ---------------------------------------------------------------- workloads

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct WorkloadRow {
    /// The kube context the row came from.
    pub context: ContextName,
    pub kind: WorkloadKind,
    pub namespace: String,
    pub name: String,
    pub desired: i32,
    pub ready: i32,
    pub updated: i32,
    pub available: i32,
    pub revision: String,
    pub rollout: Rollout,
    pub images: Vec<String>,
    pub created: i64,
    pub health: Health,
}

impl WorkloadRow {
    pub fn from_deployment(d: &DeploymentWire) -> Self {
        let meta = &d.metadata;
        let revision = meta
            .annotations
            .as_ref()
            .and_then(|a| a.get(REVISION_ANNOTATION).cloned())
            .unwrap_or_else(|| "-".into());
        let rollout = rollout::of_deployment(d);
        Self::build(
            WorkloadKind::Deployment,
            meta,
            &d.spec,
            &d.status,
            revision,
            rollout,
        )
    }

    /// A StatefulSet's revisions are ControllerRevision hashes, not numbers: REV shows "-".
    pub fn from_statefulset(s: &StatefulSetWire) -> Self {
        let rollout = rollout::of_statefulset(s);
        Self::build(
            WorkloadKind::StatefulSet,
            &s.metadata,
            &s.spec,
            &s.status,
            "-".into(),
            rollout,
        )
    }

    fn build(
        kind: WorkloadKind,
        meta: &ObjectMeta,
        spec: &WorkloadSpecWire,
        status: &WorkloadStatusWire,
        revision: String,
        rollout: Rollout,
    ) -> Self {
        let desired = rollout::desired(spec);
        let ready = status.ready_replicas.unwrap_or(0);
        let health = match &rollout {
            Rollout::Stalled => Health::Bad,
            _ if desired > 0 && ready == 0 => Health::Bad,
            Rollout::Paused => Health::Warn,
            _ if ready < desired => Health::Warn,
            Rollout::Waiting(_) => Health::Pending,
            Rollout::Complete => Health::Ok,
        };
        let images = spec
            .template
            .as_ref()
            .and_then(|t| t.spec.as_ref())
            .map(|s| {
                s.containers
                    .iter()
                    .filter_map(|c| c.image.clone())
                    .collect()
            })
            .unwrap_or_default();
        WorkloadRow {
            context: ContextName::default(),
            kind,
            namespace: namespace_of(meta),
            name: name_of(meta),
            desired,
            ready,
            updated: status.updated_replicas.unwrap_or(0),
            available: status.available_replicas.unwrap_or(0),
            revision,
            rollout,
            images,
            created: secs(&meta.creation_timestamp).unwrap_or_default(),
            health,
        }
    }
}

// ---------------------------------------------------------------- nodes

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct NodeRow {
    /// The kube context the row came from.
    pub context: ContextName,
    pub name: String,
    /// Ready, NotReady, Unknown; with ",SchedulingDisabled" when cordoned, like kubectl.
    pub status: String,
    pub roles: String,
    pub version: String,
    pub cpu: String,
    pub memory: String,
    pub created: i64,
    pub health: Health,
}

impl NodeRow {
    pub fn from_wire(n: &NodeWire) -> Self {
        let ready = n.status.conditions.iter().find(|c| c.type_ == "Ready");
        let mut status = match ready.map(|c| c.status.as_str()) {
            Some("True") => "Ready".to_string(),
            Some("False") => "NotReady".to_string(),
            _ => "Unknown".to_string(),
        };
        let health = if status == "Ready" {
            Health::Ok
        } else {
            Health::Bad
        };
        if n.spec.unschedulable {
            status.push_str(",SchedulingDisabled");
        }
        let roles: Vec<&str> = n
            .metadata
            .labels
            .iter()
            .flatten()
            .filter_map(|(k, _)| k.strip_prefix("node-role.kubernetes.io/"))
            .collect();
        NodeRow {
            context: ContextName::default(),
            name: name_of(&n.metadata),
            status,
            roles: if roles.is_empty() {
                "<none>".into()
            } else {
                roles.join(",")
            },
            version: n
                .status
                .node_info
                .as_ref()
                .and_then(|i| i.kubelet_version.clone())
                .unwrap_or_default(),
            cpu: n.status.capacity.get("cpu").cloned().unwrap_or_default(),
            memory: n.status.capacity.get("memory").cloned().unwrap_or_default(),
            created: secs(&n.metadata.creation_timestamp).unwrap_or_default(),
            health: if n.spec.unschedulable && health == Health::Ok {
                Health::Warn
            } else {
                health
            },
        }
    }
}

// ---------------------------------------------------------------- HPAs

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct HpaRow {
    /// The kube context the row came from.
    pub context: ContextName,
    pub namespace: String,
    pub name: String,
    pub target: String,
    /// "cpu 45%/70%" or "celery_queue_length 120/50", as kubectl's TARGETS.
    pub metrics: String,
    pub min: i32,
    pub max: i32,
    pub current: i32,
    pub desired: i32,
    pub created: i64,
    pub health: Health,
}

impl HpaRow {
    pub fn from_wire(h: &HpaWire) -> Self {
        let hpa = Hpa::from_wire(h);
        HpaRow {
            context: ContextName::default(),
            health: if hpa.at_max() {
                Health::Warn
            } else {
                Health::Ok
            },
            namespace: hpa.namespace,
            name: hpa.name,
            target: format!("{}/{}", hpa.target_kind, hpa.target_name),
            metrics: hpa.targets,
            min: hpa.min,
            max: hpa.max,
            current: hpa.current,
            desired: hpa.desired,
            created: secs(&h.metadata.creation_timestamp).unwrap_or_default(),
        }
    }
}

// ---------------------------------------------------------------- events

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct EventRow {
    /// The kube context the row came from.
    pub context: ContextName,
    pub namespace: String,
    pub name: String,
    pub warning: bool,
    pub reason: String,
    /// "Pod/fact-checker-5c7d-x2v9q"
    pub object: String,
    pub message: String,
    pub count: i32,
    pub last_seen: i64,
}

impl EventRow {
    pub fn from_wire(e: &EventWire) -> Self {
        let last_seen = secs(&e.last_timestamp)
            .or_else(|| {
                e.event_time
                    .as_ref()
                    .and_then(|v| v.as_str())
                    .and_then(|s| s.parse::<jiff::Timestamp>().ok())
                    .map(|t| t.as_second())
            })
            .or(secs(&e.first_timestamp))
            .or(secs(&e.metadata.creation_timestamp))
            .unwrap_or_default();
        EventRow {
            context: ContextName::default(),
            namespace: namespace_of(&e.metadata),
            name: name_of(&e.metadata),
            warning: e.type_.as_deref() == Some("Warning"),
            reason: e.reason.clone().unwrap_or_default(),
            object: format!(
                "{}/{}",
                e.involved_object.kind.as_deref().unwrap_or("?"),
                e.involved_object.name.as_deref().unwrap_or("?")
            ),
            message: e.message.clone().unwrap_or_default().replace('\n', " "),
            count: e.count.unwrap_or(1),
            last_seen,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(json: serde_json::Value) -> PodRow {
        PodRow::from_wire(&serde_json::from_value(json).expect("pod fixture decodes"))
    }

    #[test]
    fn crashlooping_pod_reads_like_kubectl() {
        let row = pod(serde_json::json!({
            "metadata": {"name": "fact-checker-6d4b7-x2v9q", "namespace": "contentgen",
                "creationTimestamp": "2026-11-25T10:00:00Z",
                "labels": {"pod-template-hash": "6d4b7"},
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                    "name": "fact-checker-6d4b7", "uid": "u1", "controller": true}],
                "managedFields": [{"manager": "kubelet", "fieldsV1": {"f:status": {}}}]},
            "spec": {"nodeName": "pool-general-2", "containers": [{"name": "worker"}]},
            "status": {"phase": "Running", "podIP": "10.0.0.7", "containerStatuses": [{
                "name": "worker", "ready": false, "restartCount": 7,
                "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137,
                    "finishedAt": "2026-11-25T10:05:00Z"}}}]}
        }));
        assert_eq!(row.status, "CrashLoopBackOff");
        assert_eq!(row.workload.as_deref(), Some("fact-checker"));
        assert_eq!((row.ready, row.containers, row.restarts), (0, 1, 7));
        assert_eq!(row.health, Health::Bad);
        assert_eq!(row.last_restart, Some(1_795_601_100));
    }

    #[test]
    fn terminating_pod_and_statefulset_owner() {
        let row = pod(serde_json::json!({
            "metadata": {"name": "redis-0", "namespace": "contentgen",
                "deletionTimestamp": "2026-11-25T10:00:00Z",
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "StatefulSet",
                    "name": "redis", "uid": "u2", "controller": true}]},
            "status": {"phase": "Running", "containerStatuses": [{"name": "redis",
                "ready": true, "restartCount": 0, "state": {"running": {}}}]}
        }));
        assert_eq!(row.status, "Terminating");
        assert_eq!(row.workload.as_deref(), Some("redis"));
        assert_eq!(row.health, Health::Pending);
    }

    fn deployment(spec: serde_json::Value, status: serde_json::Value) -> WorkloadRow {
        WorkloadRow::from_deployment(
            &serde_json::from_value(serde_json::json!({
                "metadata": {"name": "api", "namespace": "contentgen", "generation": 4,
                    "annotations": {"deployment.kubernetes.io/revision": "7",
                        "kubectl.kubernetes.io/last-applied-configuration": "{...}"}},
                "spec": spec, "status": status}))
            .expect("deployment fixture decodes"),
        )
    }

    #[test]
    fn rollout_states_follow_kubectl() {
        let done = deployment(
            serde_json::json!({"replicas": 3}),
            serde_json::json!({"observedGeneration": 4, "replicas": 3, "updatedReplicas": 3,
                "readyReplicas": 3, "availableReplicas": 3}),
        );
        assert_eq!(done.rollout, Rollout::Complete);
        assert_eq!(done.revision, "7");
        assert_eq!(done.health, Health::Ok);

        let rolling = deployment(
            serde_json::json!({"replicas": 3}),
            serde_json::json!({"observedGeneration": 4, "replicas": 4, "updatedReplicas": 1,
                "readyReplicas": 3, "availableReplicas": 3}),
        );
        assert_eq!(rolling.rollout.label(), "1 of 3 updated");

        let stale_generation = deployment(
            serde_json::json!({"replicas": 3}),
            serde_json::json!({"observedGeneration": 3, "readyReplicas": 3}),
        );
        assert!(matches!(stale_generation.rollout, Rollout::Waiting(_)));

        let stalled = deployment(
            serde_json::json!({"replicas": 3}),
            serde_json::json!({"observedGeneration": 4, "readyReplicas": 0, "conditions": [
                {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}]}),
        );
        assert_eq!(stalled.rollout, Rollout::Stalled);
        assert_eq!(stalled.health, Health::Bad);

        let paused = deployment(
            serde_json::json!({"replicas": 3, "paused": true}),
            serde_json::json!({"observedGeneration": 4, "readyReplicas": 3}),
        );
        assert_eq!(paused.rollout, Rollout::Paused);
    }

    #[test]
    fn a_statefulsets_revision_is_a_hash_so_rev_says_dash() {
        let row = WorkloadRow::from_statefulset(
            &serde_json::from_value(serde_json::json!({
                "metadata": {"name": "redis", "namespace": "contentgen", "generation": 1},
                "spec": {"replicas": 1},
                "status": {"observedGeneration": 1, "replicas": 1, "readyReplicas": 1,
                    "currentRevision": "redis-7hnhfg2wcp", "updateRevision": "redis-7hnhfg2wcp"}
            }))
            .expect("statefulset fixture decodes"),
        );
        assert_eq!(row.revision, "-");
        assert_eq!(row.rollout, Rollout::Complete);
    }

    #[test]
    fn hpa_targets_read_like_kubectl() {
        let row = HpaRow::from_wire(
            &serde_json::from_value(serde_json::json!({
                "metadata": {"name": "api", "namespace": "contentgen"},
                "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "api"},
                    "minReplicas": 2, "maxReplicas": 6,
                    "metrics": [{"type": "Resource", "resource": {"name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": 70}}}]},
                "status": {"currentReplicas": 6, "desiredReplicas": 6,
                    "currentMetrics": [{"type": "Resource", "resource": {"name": "cpu",
                        "current": {"averageUtilization": 93}}}]}
            }))
            .expect("hpa fixture decodes"),
        );
        assert_eq!(row.metrics, "cpu 93%/70%");
        assert_eq!(row.target, "Deployment/api");
        assert_eq!(row.health, Health::Warn);
    }

    #[test]
    fn node_status_shows_cordon() {
        let row = NodeRow::from_wire(
            &serde_json::from_value(serde_json::json!({
                "metadata": {"name": "pool-general-3",
                    "labels": {"node-role.kubernetes.io/worker": ""}},
                "spec": {"unschedulable": true},
                "status": {"conditions": [{"type": "Ready", "status": "Unknown"}],
                    "nodeInfo": {"kubeletVersion": "v1.33.2"}}
            }))
            .expect("node fixture decodes"),
        );
        assert_eq!(row.status, "Unknown,SchedulingDisabled");
        assert_eq!(row.roles, "worker");
        assert_eq!(row.health, Health::Bad);
    }
}
