//! Namespaces and nodes.

use jiff::Timestamp;
use k8s_openapi::api::core::v1 as core;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use serde_json::{Value, json};
use std::collections::BTreeMap;

use super::super::model::*;
use super::{SimObject, age, common_field, object_meta, t, write};

impl SimObject for NamespaceM {
    fn kind(&self) -> Kind {
        Kind::Namespace
    }
    fn meta(&self) -> &Meta {
        &self.meta
    }
    fn meta_mut(&mut self) -> &mut Meta {
        &mut self.meta
    }
    fn field(&self, name: &str) -> Option<String> {
        match name {
            "status.phase" => Some("Active".into()),
            _ => common_field(&self.meta, name),
        }
    }
    fn write_json(&self, out: &mut Vec<u8>) {
        write(
            &core::Namespace {
                metadata: object_meta(&self.meta, None),
                spec: Some(core::NamespaceSpec {
                    finalizers: Some(vec!["kubernetes".into()]),
                }),
                status: Some(core::NamespaceStatus {
                    phase: Some("Active".into()),
                    ..Default::default()
                }),
            },
            out,
        );
    }
    fn cells(&self, now: Timestamp) -> Vec<Value> {
        vec![json!(self.meta.name), json!("Active"), age(&self.meta, now)]
    }
}

impl NodeM {
    fn roles(&self) -> String {
        let roles: Vec<&str> = self
            .meta
            .labels
            .keys()
            .filter_map(|k| k.strip_prefix("node-role.kubernetes.io/"))
            .collect();
        if roles.is_empty() {
            "<none>".into()
        } else {
            roles.join(",")
        }
    }
    fn taints(&self) -> Vec<core::Taint> {
        let mut taints = Vec::new();
        if self.ready == NodeReady::Unknown {
            for effect in ["NoSchedule", "NoExecute"] {
                taints.push(core::Taint {
                    key: "node.kubernetes.io/unreachable".into(),
                    effect: effect.into(),
                    time_added: t(self.transition),
                    ..Default::default()
                });
            }
        }
        if self.unschedulable {
            taints.push(core::Taint {
                key: "node.kubernetes.io/unschedulable".into(),
                effect: "NoSchedule".into(),
                time_added: t(self.cordoned),
                ..Default::default()
            });
        }
        taints
    }

    pub fn status_text(&self) -> String {
        let mut s = match self.ready {
            NodeReady::True => "Ready".to_string(),
            NodeReady::Unknown => "NotReady".to_string(),
        };
        if self.unschedulable {
            s.push_str(",SchedulingDisabled");
        }
        s
    }
}

impl SimObject for NodeM {
    fn kind(&self) -> Kind {
        Kind::Node
    }
    fn meta(&self) -> &Meta {
        &self.meta
    }
    fn meta_mut(&mut self) -> &mut Meta {
        &mut self.meta
    }
    fn field(&self, name: &str) -> Option<String> {
        match name {
            "spec.unschedulable" => Some(self.unschedulable.to_string()),
            _ => common_field(&self.meta, name),
        }
    }
    fn write_json(&self, out: &mut Vec<u8>) {
        let cap: BTreeMap<String, Quantity> = [
            ("cpu".to_string(), Quantity(self.cpu.to_string())),
            (
                "memory".to_string(),
                Quantity(format!("{}Gi", self.memory_gi)),
            ),
            ("pods".to_string(), Quantity("110".into())),
            (
                "ephemeral-storage".to_string(),
                Quantity("101430960Ki".into()),
            ),
        ]
        .into();
        let mut alloc = cap.clone();
        alloc.insert(
            "cpu".into(),
            Quantity(format!("{}m", self.cpu * 1000 - 100)),
        );
        let taints = self.taints();
        let node = core::Node {
            metadata: object_meta(&self.meta, None),
            spec: Some(core::NodeSpec {
                unschedulable: self.unschedulable.then_some(true),
                taints: (!taints.is_empty()).then_some(taints),
                pod_cidr: Some(format!(
                    "10.244.{}.0/24",
                    self.ip.rsplit('.').next().unwrap_or("0")
                )),
                provider_id: Some(format!("sim://{}", self.meta.name)),
                ..Default::default()
            }),
            status: Some(core::NodeStatus {
                capacity: Some(cap),
                allocatable: Some(alloc),
                addresses: Some(vec![
                    core::NodeAddress {
                        address: self.ip.clone(),
                        type_: "InternalIP".into(),
                    },
                    core::NodeAddress {
                        address: self.meta.name.clone(),
                        type_: "Hostname".into(),
                    },
                ]),
                conditions: Some(self.conditions()),
                node_info: Some(core::NodeSystemInfo {
                    architecture: "amd64".into(),
                    boot_id: self.meta.uid.clone(),
                    container_runtime_version: "containerd://1.7.27".into(),
                    kernel_version: "6.1.0-31-cloud-amd64".into(),
                    kube_proxy_version: self.kubelet.into(),
                    kubelet_version: self.kubelet.into(),
                    machine_id: self.meta.uid.replace('-', ""),
                    operating_system: "linux".into(),
                    os_image: "Debian GNU/Linux 12 (bookworm)".into(),
                    system_uuid: self.meta.uid.clone(),
                    ..Default::default()
                }),
                ..Default::default()
            }),
        };
        write(&node, out);
    }
    fn cells(&self, now: Timestamp) -> Vec<Value> {
        vec![
            json!(self.meta.name),
            json!(self.status_text()),
            json!(self.roles()),
            age(&self.meta, now),
            json!(self.kubelet),
            json!(self.ip),
            json!("<none>"),
            json!("Debian GNU/Linux 12 (bookworm)"),
            json!("6.1.0-31-cloud-amd64"),
            json!("containerd://1.7.27"),
        ]
    }
}

/// The kubelet's conditions: (type, healthy status, reason, message).
const KUBELET_CONDITIONS: [(&str, &str, &str, &str); 4] = [
    (
        "MemoryPressure",
        "False",
        "KubeletHasSufficientMemory",
        "kubelet has sufficient memory available",
    ),
    (
        "DiskPressure",
        "False",
        "KubeletHasNoDiskPressure",
        "kubelet has no disk pressure",
    ),
    (
        "PIDPressure",
        "False",
        "KubeletHasSufficientPID",
        "kubelet has sufficient PID available",
    ),
    (
        "Ready",
        "True",
        "KubeletReady",
        "kubelet is posting ready status",
    ),
];

impl NodeM {
    /// As the kubelet last posted them; once it stopped, as the node lifecycle controller
    /// rewrites them: every one Unknown since the transition, the heartbeat left as it was.
    fn conditions(&self) -> Vec<core::NodeCondition> {
        KUBELET_CONDITIONS
            .iter()
            .map(|(type_, status, reason, message)| {
                let (status, reason, message, since) = match self.ready {
                    NodeReady::True => {
                        let since = if *type_ == "Ready" {
                            self.transition
                        } else {
                            self.meta.created
                        };
                        (*status, *reason, *message, since)
                    }
                    NodeReady::Unknown => (
                        "Unknown",
                        "NodeStatusUnknown",
                        "Kubelet stopped posting node status.",
                        self.transition,
                    ),
                };
                core::NodeCondition {
                    type_: (*type_).into(),
                    status: status.into(),
                    reason: Some(reason.into()),
                    message: Some(message.into()),
                    last_heartbeat_time: t(self.heartbeat),
                    last_transition_time: t(since),
                }
            })
            .collect()
    }
}
