//! Pods: status as the kubelet reports it, and kubectl's STATUS/RESTARTS columns.

use crate::sim::util::{fnv, human_duration, mix, secs_between};
use jiff::Timestamp;
use k8s_openapi::api::core::v1 as core;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use serde_json::{Value, json};

use super::super::model::*;
use super::super::topology::node_ip_of;
use super::{SimObject, age, common_field, object_meta, t, write};

impl PodM {
    /// kubectl's STATUS column.
    pub fn status_text(&self) -> String {
        match &self.cstate {
            CState::Waiting(r) => (*r).to_string(),
            CState::Running if self.node.is_none() => "Pending".into(),
            CState::Running => self.phase().to_string(),
        }
    }
    fn restarts_text(&self, now: Timestamp) -> String {
        match &self.last_term {
            Some(term) if self.restarts > 0 => format!(
                "{} ({} ago)",
                self.restarts,
                human_duration(secs_between(term.finished, now))
            ),
            _ => self.restarts.to_string(),
        }
    }
    fn container_status(&self) -> core::ContainerStatus {
        let spec = self.template.spec.as_ref();
        let c = spec.and_then(|s| s.containers.first());
        let image = c.and_then(|c| c.image.clone()).unwrap_or_default();
        let state = match &self.cstate {
            CState::Waiting(reason) => core::ContainerState {
                waiting: Some(core::ContainerStateWaiting {
                    reason: Some((*reason).into()),
                    message: (*reason == "CrashLoopBackOff").then(|| {
                        format!(
                            "back-off {} restarting failed container={} pod={}_{}({})",
                            back_off(self.restarts),
                            c.map_or("app", |c| c.name.as_str()),
                            self.meta.name,
                            self.meta.ns,
                            self.meta.uid
                        )
                    }),
                }),
                ..Default::default()
            },
            CState::Running => core::ContainerState {
                running: Some(core::ContainerStateRunning {
                    started_at: self.started.map(Time),
                }),
                ..Default::default()
            },
        };
        let last_id = self.last_term.as_ref().map(|term| {
            format!(
                "containerd://{:016x}{:016x}",
                self.seed,
                term.started.as_second()
            )
        });
        let last_state = self.last_term.as_ref().map(|term| core::ContainerState {
            terminated: Some(core::ContainerStateTerminated {
                exit_code: term.exit_code,
                reason: Some(term.reason.into()),
                started_at: t(term.started),
                finished_at: t(term.finished),
                container_id: last_id.clone(),
                ..Default::default()
            }),
            ..Default::default()
        });
        core::ContainerStatus {
            name: c.map_or_else(|| "app".into(), |c| c.name.clone()),
            image: image.clone(),
            image_id: image_id(&image),
            // A lost node's kubelet reports nothing more: the container stays as last seen.
            ready: self.ready || self.node_lost,
            started: Some(self.cstate == CState::Running && self.started.is_some()),
            restart_count: self.restarts,
            // Waiting to restart, the container is still the one that exited.
            container_id: self
                .started
                .map(|s| format!("containerd://{:016x}{:016x}", self.seed, s.as_second()))
                .or(last_id),
            state: Some(state),
            last_state: Some(last_state.unwrap_or_default()),
            ..Default::default()
        }
    }
    pub fn to_pod(&self) -> core::Pod {
        let mut spec = pod_spec(&self.template);
        spec.node_name = self.node.as_ref().map(|n| n.to_string());
        core::Pod {
            metadata: object_meta(&self.meta, Some(&self.owner)),
            spec: Some(spec),
            status: Some(self.status()),
        }
    }

    pub fn status(&self) -> core::PodStatus {
        let status = |b: bool| if b { "True" } else { "False" };
        let mut conditions = vec![];
        if let Some(s) = self.scheduled {
            conditions.push(pod_cond("PodScheduled", "True", None, s));
            conditions.push(pod_cond("Initialized", "True", None, s));
            // The sandbox stays up while the container crashes and restarts.
            let sandbox = self.started.is_some() || self.restarts > 0;
            conditions.push(pod_cond(
                "PodReadyToStartContainers",
                status(sandbox),
                None,
                s,
            ));
            // On a lost node only the node controller writes: Ready goes False, reasonless;
            // ContainersReady stays as the kubelet last said.
            let containers_ready = self.ready || self.node_lost;
            let reason = (!containers_ready).then_some("ContainersNotReady");
            conditions.push(pod_cond(
                "ContainersReady",
                status(containers_ready),
                reason,
                self.ready_changed,
            ));
            let reason = (!self.ready && !self.node_lost).then_some("ContainersNotReady");
            conditions.push(pod_cond(
                "Ready",
                status(self.ready),
                reason,
                self.ready_changed,
            ));
        } else {
            conditions.push(pod_cond(
                "PodScheduled",
                "False",
                Some("Unschedulable"),
                self.meta.created,
            ));
        }
        let host_ip = self.node.as_deref().and_then(node_ip_of);
        core::PodStatus {
            phase: Some(self.phase().into()),
            conditions: Some(conditions),
            host_ip: host_ip.clone(),
            host_ips: host_ip.map(|ip| vec![core::HostIP { ip }]),
            pod_ip: self.ip.clone(),
            pod_ips: self
                .ip
                .as_ref()
                .map(|ip| vec![core::PodIP { ip: ip.clone() }]),
            start_time: self.scheduled.map(Time),
            qos_class: Some("Burstable".into()),
            container_statuses: self.scheduled.map(|_| vec![self.container_status()]),
            ..Default::default()
        }
    }
}

/// What containerd reports as the image's ID: its repository and a digest, the same for
/// every pod of the image (`ghcr.io/contentgen/api@sha256:<64 hex>`).
fn image_id(image: &str) -> String {
    let repo = match image.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => repo,
        _ => image,
    };
    let seed = fnv(image.as_bytes());
    let digest: String = (0..4).map(|i| format!("{:016x}", mix(seed ^ i))).collect();
    format!("{repo}@sha256:{digest}")
}

/// The kubelet's crash back-off after `restarts` restarts: 10 s doubling up to 5 minutes,
/// written as Go writes durations.
fn back_off(restarts: i32) -> String {
    let secs = 10_i64 << restarts.clamp(1, 6).saturating_sub(1);
    let secs = secs.min(300);
    match (secs / 60, secs % 60) {
        (0, s) => format!("{s}s"),
        (m, s) => format!("{m}m{s}s"),
    }
}

/// The pod spec of a template as kube-apiserver stores it: with what its defaulting and the
/// DefaultTolerationSeconds admission plugin add to every pod.
pub fn pod_spec(template: &core::PodTemplateSpec) -> core::PodSpec {
    let mut spec = template.spec.clone().unwrap_or_default();
    spec.priority.get_or_insert(0);
    spec.enable_service_links.get_or_insert(true);
    spec.preemption_policy
        .get_or_insert_with(|| "PreemptLowerPriority".into());
    spec.security_context.get_or_insert_with(Default::default);
    if spec.service_account.is_none() {
        spec.service_account.clone_from(&spec.service_account_name);
    }
    let tolerations = spec.tolerations.get_or_insert_with(Vec::new);
    for key in [
        "node.kubernetes.io/not-ready",
        "node.kubernetes.io/unreachable",
    ] {
        if !tolerations.iter().any(|t| t.key.as_deref() == Some(key)) {
            tolerations.push(core::Toleration {
                key: Some(key.into()),
                operator: Some("Exists".into()),
                effect: Some("NoExecute".into()),
                toleration_seconds: Some(300),
                ..Default::default()
            });
        }
    }
    spec
}

fn pod_cond(type_: &str, status: &str, reason: Option<&str>, at: Timestamp) -> core::PodCondition {
    core::PodCondition {
        type_: type_.into(),
        status: status.into(),
        reason: reason.map(Into::into),
        last_transition_time: t(at),
        ..Default::default()
    }
}

impl SimObject for PodM {
    fn kind(&self) -> Kind {
        Kind::Pod
    }
    fn meta(&self) -> &Meta {
        &self.meta
    }
    fn meta_mut(&mut self) -> &mut Meta {
        &mut self.meta
    }
    fn field(&self, name: &str) -> Option<String> {
        match name {
            "spec.nodeName" => Some(self.node.as_deref().unwrap_or("").to_string()),
            "spec.restartPolicy" => Some("Always".into()),
            "spec.schedulerName" => Some("default-scheduler".into()),
            "spec.serviceAccountName" => Some("default".into()),
            "status.phase" => Some(self.phase().into()),
            "status.podIP" => Some(self.ip.clone().unwrap_or_default()),
            _ => common_field(&self.meta, name),
        }
    }
    fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":");
        write(&object_meta(&self.meta, Some(&self.owner)), out);
        out.extend_from_slice(b",\"spec\":{");
        let spec = self.spec_json.get(1..).unwrap_or(b"}");
        if let Some(node) = &self.node {
            out.extend_from_slice(b"\"nodeName\":");
            write(&node.as_ref(), out);
            if spec.len() > 1 {
                out.push(b',');
            }
        }
        out.extend_from_slice(spec);
        out.extend_from_slice(b",\"status\":");
        write(&self.status(), out);
        out.push(b'}');
    }
    fn cells(&self, now: Timestamp) -> Vec<Value> {
        vec![
            json!(self.meta.name),
            json!(format!("{}/1", i32::from(self.ready))),
            json!(self.status_text()),
            json!(self.restarts_text(now)),
            age(&self.meta, now),
            json!(self.ip.as_deref().unwrap_or("<none>")),
            json!(self.node.as_deref().unwrap_or("<none>")),
            json!("<none>"),
            json!("<none>"),
        ]
    }
}

#[cfg(test)]
mod tests {
    use jiff::SignedDuration;

    use super::*;
    use crate::sim::Scenario;
    use crate::sim::clock::TEST_NOW;
    use crate::sim::world::World;

    #[test]
    fn back_off_doubles_from_10s_to_5m_as_go_prints_it() {
        let shown: Vec<String> = (1..=7).map(back_off).collect();
        assert_eq!(
            shown,
            ["10s", "20s", "40s", "1m20s", "2m40s", "5m0s", "5m0s"]
        );
    }

    #[test]
    fn image_ids_name_the_repository_and_a_digest_shared_by_the_image() {
        let id = image_id("ghcr.io/contentgen/api:v1.8.2");
        assert!(id.starts_with("ghcr.io/contentgen/api@sha256:"), "{id}");
        assert_eq!(id.len(), "ghcr.io/contentgen/api@sha256:".len() + 64);
        assert_eq!(id, image_id("ghcr.io/contentgen/api:v1.8.2"));
        assert!(image_id("localhost:5000/x").starts_with("localhost:5000/x@"));
    }

    #[test]
    fn a_crashlooping_pod_keeps_its_sandbox_and_its_last_container() {
        let mut w = World::new(Some(Scenario::Crashloop), None, TEST_NOW);
        let mut t = w.now();
        let crashed = loop {
            t = t.checked_add(SignedDuration::from_millis(250)).unwrap();
            w.tick(t);
            if let Some(p) = w
                .pods
                .values()
                .find(|p| p.cstate != CState::Running && p.restarts > 0)
            {
                break p.clone();
            }
            assert!(t.duration_since(TEST_NOW).as_secs() < 30, "no crash");
        };
        let status = crashed.status();
        let cs = &status.container_statuses.unwrap()[0];
        let last = cs.last_state.as_ref().unwrap().terminated.as_ref().unwrap();
        assert_eq!(
            (last.reason.as_deref(), last.exit_code),
            (Some("OOMKilled"), 137)
        );
        assert_eq!(cs.container_id, last.container_id);
        let cond = |type_: &str| {
            status
                .conditions
                .as_ref()
                .unwrap()
                .iter()
                .find(|c| c.type_ == type_)
                .unwrap()
                .status
                .clone()
        };
        assert_eq!(cond("PodReadyToStartContainers"), "True");
        assert_eq!(cond("Ready"), "False");
        assert_eq!(
            status.host_ip.as_deref(),
            node_ip_of(crashed.node.as_deref().unwrap()).as_deref()
        );
    }
}
