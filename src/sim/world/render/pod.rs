//! Pods: status as the kubelet reports it, and kubectl's STATUS/RESTARTS columns.

use crate::sim::util::{human_duration, secs_between};
use jiff::Timestamp;
use k8s_openapi::api::core::v1 as core;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use serde_json::{Value, json};

use super::super::model::*;
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
                            "back-off 10s restarting failed container={} pod={}_{}({})",
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
        let last_state = self.last_term.as_ref().map(|term| core::ContainerState {
            terminated: Some(core::ContainerStateTerminated {
                exit_code: term.exit_code,
                reason: Some(term.reason.into()),
                started_at: t(term.started),
                finished_at: t(term.finished),
                container_id: Some(format!(
                    "containerd://{:016x}{:016x}",
                    self.seed,
                    term.started.as_second()
                )),
                ..Default::default()
            }),
            ..Default::default()
        });
        core::ContainerStatus {
            name: c.map_or_else(|| "app".into(), |c| c.name.clone()),
            image: image.clone(),
            image_id: format!(
                "docker.io/{image}@sha256:{:016x}{:016x}",
                self.seed,
                self.seed ^ 0xabcdef
            ),
            ready: self.ready,
            started: Some(self.cstate == CState::Running && self.started.is_some()),
            restart_count: self.restarts,
            container_id: self
                .started
                .map(|s| format!("containerd://{:016x}{:016x}", self.seed, s.as_second())),
            state: Some(state),
            last_state: Some(last_state.unwrap_or_default()),
            ..Default::default()
        }
    }
    pub fn to_pod(&self) -> core::Pod {
        let mut spec = self.template.spec.clone().unwrap_or_default();
        spec.node_name = self.node.as_ref().map(|n| n.to_string());
        core::Pod {
            metadata: object_meta(&self.meta, Some(&self.owner)),
            spec: Some(spec),
            status: Some(self.status()),
        }
    }

    pub fn status(&self) -> core::PodStatus {
        let ready = if self.ready { "True" } else { "False" };
        let mut conditions = vec![];
        if let Some(s) = self.scheduled {
            conditions.push(pod_cond("PodScheduled", "True", None, s));
            conditions.push(pod_cond("Initialized", "True", None, s));
            conditions.push(pod_cond(
                "PodReadyToStartContainers",
                if self.started.is_some() {
                    "True"
                } else {
                    "False"
                },
                None,
                s,
            ));
            let reason = (!self.ready).then_some("ContainersNotReady");
            conditions.push(pod_cond(
                "ContainersReady",
                ready,
                reason,
                self.ready_changed,
            ));
            conditions.push(pod_cond("Ready", ready, reason, self.ready_changed));
        } else {
            conditions.push(pod_cond(
                "PodScheduled",
                "False",
                Some("Unschedulable"),
                self.meta.created,
            ));
        }
        core::PodStatus {
            phase: Some(self.phase().into()),
            conditions: Some(conditions),
            host_ip: self.node.as_ref().map(|_| "10.0.0.10".to_string()),
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
