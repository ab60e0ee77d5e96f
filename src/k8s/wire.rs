//! Narrow wire types: what opsdeck decodes from the Kubernetes API, and nothing more.
//!
//! A full `Pod` costs ~41 KB of heap and ~90 µs to decode; these projections keep only the
//! fields a row shows (REFERENCE.md §12). Each implements kube's `Resource` by inheriting the
//! real type's group/version/kind, so kube-rs watchers can stream them directly.

use std::borrow::Cow;
use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference, Time};
use kube::Resource;
use serde::{Deserialize, Deserializer};

/// Metadata decoded leanly: managedFields and most annotations are skipped, not parsed.
fn lean_meta<'de, D: Deserializer<'de>>(d: D) -> Result<ObjectMeta, D::Error> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Lean {
        name: Option<String>,
        namespace: Option<String>,
        uid: Option<String>,
        resource_version: Option<String>,
        generation: Option<i64>,
        creation_timestamp: Option<Time>,
        deletion_timestamp: Option<Time>,
        #[serde(default)]
        labels: Option<BTreeMap<String, String>>,
        #[serde(default)]
        annotations: Option<BTreeMap<String, String>>,
        #[serde(default)]
        owner_references: Option<Vec<OwnerReference>>,
    }
    let lean = Lean::deserialize(d)?;
    // Only the annotations a row shows survive; large ones (last-applied-configuration) go.
    let annotations = lean.annotations.map(|all| {
        all.into_iter()
            .filter(|(k, _)| KEPT_ANNOTATIONS.contains(&k.as_str()))
            .collect()
    });
    Ok(ObjectMeta {
        name: lean.name,
        namespace: lean.namespace,
        uid: lean.uid,
        resource_version: lean.resource_version,
        generation: lean.generation,
        creation_timestamp: lean.creation_timestamp,
        deletion_timestamp: lean.deletion_timestamp,
        labels: lean.labels,
        annotations,
        owner_references: lean.owner_references,
        ..ObjectMeta::default()
    })
}

pub const REVISION_ANNOTATION: &str = "deployment.kubernetes.io/revision";
const KEPT_ANNOTATIONS: &[&str] = &[REVISION_ANNOTATION, "kubernetes.io/change-cause"];

/// Implements `kube::Resource` for a projection by borrowing the real type's identity.
macro_rules! projection_of {
    ($projection:ty, $real:ty) => {
        impl Resource for $projection {
            type DynamicType = ();
            type Scope = <$real as Resource>::Scope;
            fn kind(_: &()) -> Cow<'_, str> {
                <$real as Resource>::kind(&())
            }
            fn group(_: &()) -> Cow<'_, str> {
                <$real as Resource>::group(&())
            }
            fn version(_: &()) -> Cow<'_, str> {
                <$real as Resource>::version(&())
            }
            fn plural(_: &()) -> Cow<'_, str> {
                <$real as Resource>::plural(&())
            }
            fn meta(&self) -> &ObjectMeta {
                &self.metadata
            }
            fn meta_mut(&mut self) -> &mut ObjectMeta {
                &mut self.metadata
            }
        }
    };
}

// ---------------------------------------------------------------- pods

#[derive(Clone, Debug, Deserialize)]
pub struct PodWire {
    #[serde(deserialize_with = "lean_meta")]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: Option<PodSpecWire>,
    #[serde(default)]
    pub status: Option<PodStatusWire>,
}
projection_of!(PodWire, k8s_openapi::api::core::v1::Pod);

#[derive(Clone, Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct PodSpecWire {
    pub node_name: Option<String>,
    #[serde(default)]
    pub containers: Vec<NamedWire>,
}

#[derive(Clone, Debug, Deserialize, Default)]
pub struct NamedWire {
    pub name: String,
}

#[derive(Clone, Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct PodStatusWire {
    pub phase: Option<String>,
    pub reason: Option<String>,
    #[serde(rename = "podIP")]
    pub pod_ip: Option<String>,
    #[serde(default)]
    pub conditions: Vec<ConditionWire>,
    #[serde(default)]
    pub container_statuses: Vec<ContainerStatusWire>,
    #[serde(default)]
    pub init_container_statuses: Vec<ContainerStatusWire>,
}

#[derive(Clone, Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ContainerStatusWire {
    pub name: String,
    #[serde(default)]
    pub ready: bool,
    #[serde(default)]
    pub restart_count: i32,
    pub state: Option<ContainerStateWire>,
    pub last_state: Option<ContainerStateWire>,
}

#[derive(Clone, Debug, Deserialize, Default)]
pub struct ContainerStateWire {
    pub waiting: Option<StateDetailWire>,
    pub running: Option<StateDetailWire>,
    pub terminated: Option<StateDetailWire>,
}

#[derive(Clone, Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct StateDetailWire {
    pub reason: Option<String>,
    pub exit_code: Option<i32>,
    pub started_at: Option<Time>,
    pub finished_at: Option<Time>,
}

#[derive(Clone, Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ConditionWire {
    #[serde(rename = "type")]
    pub type_: String,
    pub status: String,
    pub reason: Option<String>,
    pub message: Option<String>,
}

// ---------------------------------------------------------------- workloads

#[derive(Clone, Debug, Deserialize)]
pub struct DeploymentWire {
    #[serde(deserialize_with = "lean_meta")]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: WorkloadSpecWire,
    #[serde(default)]
    pub status: WorkloadStatusWire,
}
projection_of!(DeploymentWire, k8s_openapi::api::apps::v1::Deployment);

#[derive(Clone, Debug, Deserialize)]
pub struct StatefulSetWire {
    #[serde(deserialize_with = "lean_meta")]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: WorkloadSpecWire,
    #[serde(default)]
    pub status: WorkloadStatusWire,
}
projection_of!(StatefulSetWire, k8s_openapi::api::apps::v1::StatefulSet);

#[derive(Clone, Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadSpecWire {
    pub replicas: Option<i32>,
    #[serde(default)]
    pub paused: bool,
    pub template: Option<TemplateWire>,
}

#[derive(Clone, Debug, Deserialize, Default)]
pub struct TemplateWire {
    pub spec: Option<TemplateSpecWire>,
}

#[derive(Clone, Debug, Deserialize, Default)]
pub struct TemplateSpecWire {
    #[serde(default)]
    pub containers: Vec<ImageWire>,
}

#[derive(Clone, Debug, Deserialize, Default)]
pub struct ImageWire {
    #[serde(default)]
    pub image: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadStatusWire {
    pub observed_generation: Option<i64>,
    pub replicas: Option<i32>,
    pub updated_replicas: Option<i32>,
    pub ready_replicas: Option<i32>,
    pub available_replicas: Option<i32>,
    pub current_revision: Option<String>,
    pub update_revision: Option<String>,
    #[serde(default)]
    pub conditions: Vec<ConditionWire>,
}

// ---------------------------------------------------------------- nodes

#[derive(Clone, Debug, Deserialize)]
pub struct NodeWire {
    #[serde(deserialize_with = "lean_meta")]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: NodeSpecWire,
    #[serde(default)]
    pub status: NodeStatusWire,
}
projection_of!(NodeWire, k8s_openapi::api::core::v1::Node);

#[derive(Clone, Debug, Deserialize, Default)]
pub struct NodeSpecWire {
    #[serde(default)]
    pub unschedulable: bool,
}

#[derive(Clone, Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct NodeStatusWire {
    #[serde(default)]
    pub conditions: Vec<ConditionWire>,
    #[serde(default)]
    pub capacity: BTreeMap<String, String>,
    pub node_info: Option<NodeInfoWire>,
}

#[derive(Clone, Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct NodeInfoWire {
    pub kubelet_version: Option<String>,
}

// ---------------------------------------------------------------- HPAs

#[derive(Clone, Debug, Deserialize)]
pub struct HpaWire {
    #[serde(deserialize_with = "lean_meta")]
    pub metadata: ObjectMeta,
    pub spec: HpaSpecWire,
    #[serde(default)]
    pub status: HpaStatusWire,
}
projection_of!(
    HpaWire,
    k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler
);

#[derive(Clone, Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct HpaSpecWire {
    pub scale_target_ref: TargetRefWire,
    pub min_replicas: Option<i32>,
    #[serde(default)]
    pub max_replicas: i32,
    #[serde(default)]
    pub metrics: Vec<serde_json::Value>,
}

#[derive(Clone, Debug, Deserialize, Default)]
pub struct TargetRefWire {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub name: String,
}

#[derive(Clone, Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct HpaStatusWire {
    #[serde(default)]
    pub current_replicas: Option<i32>,
    #[serde(default)]
    pub desired_replicas: Option<i32>,
    #[serde(default)]
    pub current_metrics: Vec<serde_json::Value>,
}

// ---------------------------------------------------------------- events and namespaces

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventWire {
    #[serde(deserialize_with = "lean_meta")]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub involved_object: InvolvedWire,
    pub reason: Option<String>,
    pub message: Option<String>,
    #[serde(rename = "type")]
    pub type_: Option<String>,
    pub count: Option<i32>,
    pub last_timestamp: Option<Time>,
    pub event_time: Option<serde_json::Value>,
    pub first_timestamp: Option<Time>,
}
projection_of!(EventWire, k8s_openapi::api::core::v1::Event);

#[derive(Clone, Debug, Deserialize, Default)]
pub struct InvolvedWire {
    pub kind: Option<String>,
    pub name: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct NamespaceWire {
    #[serde(deserialize_with = "lean_meta")]
    pub metadata: ObjectMeta,
}
projection_of!(NamespaceWire, k8s_openapi::api::core::v1::Namespace);
