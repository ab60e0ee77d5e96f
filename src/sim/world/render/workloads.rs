//! Deployments, ReplicaSets and StatefulSets.

use super::{containers_images, nz, selector, selector_string};
use jiff::Timestamp;
use k8s_openapi::api::apps::v1 as apps;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::{Value, json};

use super::super::history::HISTORY_LIMIT;
use super::super::model::*;
use super::{SimObject, age, common_field, object_meta, t, write};

fn deploy_cond(c: &Cond) -> apps::DeploymentCondition {
    apps::DeploymentCondition {
        type_: c.type_.into(),
        status: c.status.into(),
        reason: Some(c.reason.into()),
        message: Some(c.message.clone()),
        last_update_time: t(c.updated),
        last_transition_time: t(c.transition),
    }
}

impl DeploymentM {
    pub fn to_deployment(&self) -> apps::Deployment {
        let s = &self.status;
        apps::Deployment {
            metadata: object_meta(&self.meta, None),
            spec: Some(apps::DeploymentSpec {
                replicas: Some(self.replicas),
                selector: selector(&self.selector),
                template: (*self.template).clone(),
                paused: self.paused.then_some(true),
                progress_deadline_seconds: Some(self.progress_deadline as i32),
                revision_history_limit: Some(self.revision_history),
                strategy: Some(apps::DeploymentStrategy {
                    type_: Some("RollingUpdate".into()),
                    rolling_update: Some(apps::RollingUpdateDeployment {
                        max_surge: Some(IntOrString::String("25%".into())),
                        max_unavailable: Some(IntOrString::String("25%".into())),
                    }),
                }),
                ..Default::default()
            }),
            status: Some(apps::DeploymentStatus {
                observed_generation: Some(s.observed_generation),
                replicas: nz(s.replicas),
                updated_replicas: nz(s.updated),
                ready_replicas: nz(s.ready),
                available_replicas: nz(s.available),
                unavailable_replicas: nz(s.unavailable),
                conditions: Some(s.conditions.iter().map(deploy_cond).collect()),
                ..Default::default()
            }),
        }
    }
}

impl SimObject for DeploymentM {
    fn kind(&self) -> Kind {
        Kind::Deployment
    }
    fn meta(&self) -> &Meta {
        &self.meta
    }
    fn meta_mut(&mut self) -> &mut Meta {
        &mut self.meta
    }
    fn field(&self, name: &str) -> Option<String> {
        common_field(&self.meta, name)
    }
    fn write_json(&self, out: &mut Vec<u8>) {
        write(&self.to_deployment(), out);
    }
    fn cells(&self, now: Timestamp) -> Vec<Value> {
        let (c, i) = containers_images(&self.template);
        vec![
            json!(self.meta.name),
            json!(format!("{}/{}", self.status.ready, self.replicas)),
            json!(self.status.updated),
            json!(self.status.available),
            age(&self.meta, now),
            json!(c),
            json!(i),
            json!(selector_string(&self.selector)),
        ]
    }
}

impl SimObject for ReplicaSetM {
    fn kind(&self) -> Kind {
        Kind::ReplicaSet
    }
    fn meta(&self) -> &Meta {
        &self.meta
    }
    fn meta_mut(&mut self) -> &mut Meta {
        &mut self.meta
    }
    fn field(&self, name: &str) -> Option<String> {
        common_field(&self.meta, name)
    }
    fn write_json(&self, out: &mut Vec<u8>) {
        let current = self.pods.len() as i32;
        let rs = apps::ReplicaSet {
            metadata: object_meta(&self.meta, Some(&self.owner)),
            spec: Some(apps::ReplicaSetSpec {
                replicas: Some(self.replicas),
                selector: selector(&self.selector),
                template: Some((*self.template).clone()),
                ..Default::default()
            }),
            status: Some(apps::ReplicaSetStatus {
                replicas: current,
                fully_labeled_replicas: nz(current),
                ready_replicas: nz(self.ready),
                available_replicas: nz(self.ready),
                observed_generation: Some(self.observed_generation),
                ..Default::default()
            }),
        };
        write(&rs, out);
    }
    fn cells(&self, now: Timestamp) -> Vec<Value> {
        let (c, i) = containers_images(&self.template);
        vec![
            json!(self.meta.name),
            json!(self.replicas),
            json!(self.pods.len()),
            json!(self.ready),
            age(&self.meta, now),
            json!(c),
            json!(i),
            json!(selector_string(&self.selector)),
        ]
    }
}

impl SimObject for StatefulSetM {
    fn kind(&self) -> Kind {
        Kind::StatefulSet
    }
    fn meta(&self) -> &Meta {
        &self.meta
    }
    fn meta_mut(&mut self) -> &mut Meta {
        &mut self.meta
    }
    fn field(&self, name: &str) -> Option<String> {
        common_field(&self.meta, name)
    }
    fn write_json(&self, out: &mut Vec<u8>) {
        let current = self.pods.len() as i32;
        let sts = apps::StatefulSet {
            metadata: object_meta(&self.meta, None),
            spec: Some(apps::StatefulSetSpec {
                replicas: Some(self.replicas),
                selector: selector(&self.selector),
                template: (*self.template).clone(),
                service_name: Some(self.meta.name.clone()),
                pod_management_policy: Some("OrderedReady".into()),
                // What kube-apiserver defaults a StatefulSet's spec to.
                update_strategy: Some(apps::StatefulSetUpdateStrategy {
                    type_: Some("RollingUpdate".into()),
                    rolling_update: Some(apps::RollingUpdateStatefulSetStrategy {
                        partition: Some(0),
                        ..Default::default()
                    }),
                }),
                revision_history_limit: Some(HISTORY_LIMIT as i32),
                persistent_volume_claim_retention_policy: Some(
                    apps::StatefulSetPersistentVolumeClaimRetentionPolicy {
                        when_deleted: Some("Retain".into()),
                        when_scaled: Some("Retain".into()),
                    },
                ),
                ..Default::default()
            }),
            status: Some(apps::StatefulSetStatus {
                replicas: current,
                ready_replicas: nz(self.ready),
                available_replicas: nz(self.ready),
                current_replicas: nz(self.current),
                updated_replicas: nz(self.updated),
                current_revision: Some(self.current_revision.clone()),
                update_revision: Some(self.revision.clone()),
                observed_generation: Some(self.observed_generation),
                collision_count: Some(0),
                ..Default::default()
            }),
        };
        write(&sts, out);
    }
    fn cells(&self, now: Timestamp) -> Vec<Value> {
        let (c, i) = containers_images(&self.template);
        vec![
            json!(self.meta.name),
            json!(format!("{}/{}", self.ready, self.replicas)),
            age(&self.meta, now),
            json!(c),
            json!(i),
        ]
    }
}
