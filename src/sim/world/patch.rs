//! Writes from the API: a patched object's JSON flows back into the compact model.

use std::sync::Arc;

use k8s_openapi::api::core::v1::PodTemplateSpec;
use serde_json::Value;

use super::model::*;
use super::{SimObject, World};

/// Why a write was refused; the API layer turns these into Status objects.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum WorldError {
    #[error("not found")]
    NotFound,
    #[error(
        "the object has been modified; please apply your changes to the latest version and try again"
    )]
    Conflict,
    #[error("{0}")]
    Invalid(String),
    #[error("already exists")]
    AlreadyExists,
    /// The namespace named.
    #[error("namespace {0} not found")]
    NamespaceNotFound(String),
    #[error("{0}")]
    BadRequest(String),
    /// An update without the resourceVersion it read, where the kind requires one (leases).
    #[error("metadata.resourceVersion: Invalid value: 0x0: must be specified for an update")]
    NoResourceVersion,
    /// A delete whose precondition does not hold (the message says which).
    #[error("{0}")]
    Precondition(String),
    /// Fields that fail validation, each with its path (ConfigMaps' keys and size).
    #[error("{}", super::fields::aggregate(.0))]
    Fields(Vec<super::fields::FieldError>),
}

fn string_map(v: Option<&Value>, what: &str) -> Result<Option<Labels>, WorldError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(v) => serde_json::from_value(v.clone())
            .map(Some)
            .map_err(|e| WorldError::Invalid(format!("{what}: {e}"))),
    }
}

fn replicas_of(v: &Value) -> Result<Option<i32>, WorldError> {
    match v.pointer("/spec/replicas") {
        None | Some(Value::Null) => Ok(None),
        Some(r) => match r.as_i64() {
            Some(n) if (0..=100_000).contains(&n) => Ok(Some(n as i32)),
            _ => Err(WorldError::Invalid(format!(
                "spec.replicas: Invalid value: {r}: must be greater than or equal to 0"
            ))),
        },
    }
}

fn template_of(v: &Value) -> Result<Option<PodTemplateSpec>, WorldError> {
    match v.pointer("/spec/template") {
        None | Some(Value::Null) => Ok(None),
        Some(t) => {
            let tpl: PodTemplateSpec = serde_json::from_value(t.clone())
                .map_err(|e| WorldError::Invalid(format!("spec.template: Invalid value: {e}")))?;
            if tpl.spec.as_ref().is_none_or(|s| s.containers.is_empty()) {
                return Err(WorldError::Invalid(
                    "spec.template.spec.containers: Required value".into(),
                ));
            }
            Ok(Some(tpl))
        }
    }
}

/// The Deployment spec fields a write may change.
struct DeploymentSpec {
    replicas: Option<i32>,
    template: Option<PodTemplateSpec>,
    paused: bool,
    /// `spec.progressDeadlineSeconds`: how long a rollout may make no progress before the
    /// controller calls it stalled (ProgressDeadlineExceeded).
    progress_deadline: Option<i64>,
}

fn same_template(a: &PodTemplateSpec, b: &PodTemplateSpec) -> bool {
    serde_json::to_vec(a).ok() == serde_json::to_vec(b).ok()
}

impl World {
    /// The object as JSON (what GET returns).
    pub fn object_json(&self, kind: Kind, ns: &str, name: &str) -> Option<Value> {
        let obj = self.get(kind, ns, name)?;
        let mut buf = Vec::with_capacity(4096);
        obj.write_json(&mut buf);
        serde_json::from_slice(&buf).ok()
    }

    /// Take a patched object's JSON back into the model. With `dry_run`, only validate.
    pub fn apply_json(
        &mut self,
        kind: Kind,
        ns: &str,
        name: &str,
        new: Value,
        dry_run: bool,
    ) -> Result<Value, WorldError> {
        let current = self.get(kind, ns, name).ok_or(WorldError::NotFound)?;
        if let Some(rv) = new
            .pointer("/metadata/resourceVersion")
            .and_then(Value::as_str)
            && rv != current.meta().rv.to_string()
        {
            return Err(WorldError::Conflict);
        }
        if new
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .is_some_and(|n| n != name)
        {
            return Err(WorldError::Invalid(format!(
                "metadata.name: Invalid value: \"{name}\": field is immutable"
            )));
        }
        let labels =
            string_map(new.pointer("/metadata/labels"), "metadata.labels")?.unwrap_or_default();
        let annotations = string_map(new.pointer("/metadata/annotations"), "metadata.annotations")?
            .unwrap_or_default();
        let replicas = replicas_of(&new)?;
        let template = template_of(&new)?;
        let paused = new
            .pointer("/spec/paused")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let progress_deadline = new
            .pointer("/spec/progressDeadlineSeconds")
            .and_then(Value::as_i64)
            .filter(|s| *s > 0);
        let unschedulable = new
            .pointer("/spec/unschedulable")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let key = Key {
            ns: Arc::from(ns),
            name: name.to_string(),
        };
        let hpa_spec = match kind {
            Kind::Hpa => Some(super::hpa::hpa_spec_of(&new)?),
            _ => None,
        };
        let configmap = match kind {
            Kind::ConfigMap => Some(self.check_configmap_patch(&key, &new)?),
            _ => None,
        };
        if dry_run {
            return Ok(new);
        }
        match kind {
            Kind::Deployment => {
                let spec = DeploymentSpec {
                    replicas,
                    template,
                    paused,
                    progress_deadline,
                };
                self.apply_deployment(&key, spec, annotations)
            }
            Kind::StatefulSet => self.apply_sts(&key, replicas, template),
            Kind::Lease => self.patch_lease_spec(&key, &new)?,
            // Labels, annotations and data in one event; set_meta then finds nothing to do.
            Kind::ConfigMap => {
                if let Some(b) = configmap {
                    self.store_configmap(&key, b);
                }
            }
            Kind::Hpa => {
                if let Some(spec) = hpa_spec {
                    self.apply_hpa_spec(&key, spec);
                }
            }
            Kind::Node => {
                if let Some(n) = self.nodes.get_mut(&key)
                    && n.unschedulable != unschedulable
                {
                    n.unschedulable = unschedulable;
                    n.cordoned = self.now;
                    self.log.record(n, "MODIFIED");
                }
            }
            _ => {}
        }
        self.set_meta(
            kind,
            &key,
            labels,
            kind != Kind::Deployment,
            annotations_for(kind, &new),
        )?;
        self.sync_dirty();
        self.object_json(kind, ns, name).ok_or(WorldError::NotFound)
    }

    fn set_meta(
        &mut self,
        kind: Kind,
        key: &Key,
        labels: Labels,
        set_annotations: bool,
        annotations: Labels,
    ) -> Result<(), WorldError> {
        let obj: &mut dyn SimObject = match kind {
            Kind::Namespace => self
                .namespaces
                .get_mut(key)
                .map(|o| o as &mut dyn SimObject),
            Kind::Node => self.nodes.get_mut(key).map(|o| o as &mut dyn SimObject),
            Kind::Pod => self.pods.get_mut(key).map(|o| o as &mut dyn SimObject),
            Kind::Event => self.events.get_mut(key).map(|o| o as &mut dyn SimObject),
            Kind::Deployment => self
                .deployments
                .get_mut(key)
                .map(|o| o as &mut dyn SimObject),
            Kind::ReplicaSet => self
                .replicasets
                .get_mut(key)
                .map(|o| o as &mut dyn SimObject),
            Kind::StatefulSet => self
                .statefulsets
                .get_mut(key)
                .map(|o| o as &mut dyn SimObject),
            Kind::Hpa => self.hpas.get_mut(key).map(|o| o as &mut dyn SimObject),
            Kind::ControllerRevision => {
                self.revisions.get_mut(key).map(|o| o as &mut dyn SimObject)
            }
            Kind::Lease => self.leases.get_mut(key).map(|o| o as &mut dyn SimObject),
            Kind::ConfigMap => self
                .configmaps
                .get_mut(key)
                .map(|o| o as &mut dyn SimObject),
        }
        .ok_or(WorldError::NotFound)?;
        let meta = obj.meta_mut();
        let changed_labels = *meta.labels != labels;
        let changed_ann = set_annotations && meta.annotations != annotations;
        if changed_labels {
            meta.labels = Arc::new(labels);
        }
        if changed_ann {
            meta.annotations = annotations;
        }
        if changed_labels || changed_ann {
            self.log.record(obj, "MODIFIED");
        }
        Ok(())
    }

    fn apply_deployment(&mut self, key: &Key, spec: DeploymentSpec, mut annotations: Labels) {
        let Some(d) = self.deployments.get_mut(key) else {
            return;
        };
        let DeploymentSpec {
            replicas,
            template,
            paused,
            progress_deadline,
        } = spec;
        let mut spec_changed = false;
        if let Some(p) = progress_deadline
            && p != d.progress_deadline
        {
            d.progress_deadline = p;
            spec_changed = true;
        }
        if let Some(r) = replicas
            && r != d.replicas
        {
            d.replicas = r;
            spec_changed = true;
        }
        if let Some(t) = template
            && !same_template(&t, &d.template)
        {
            d.template = Arc::new(t);
            d.last_progress = self.now;
            spec_changed = true;
        }
        if paused != d.paused {
            d.paused = paused;
            spec_changed = true;
        }
        // The controller owns the revision annotation.
        if let Some(rev) = d.meta.annotations.get(super::REVISION) {
            annotations.insert(super::REVISION.into(), rev.clone());
        }
        let ann_changed = d.meta.annotations != annotations;
        d.meta.annotations = annotations;
        if spec_changed {
            d.meta.generation += 1;
        }
        if spec_changed || ann_changed {
            self.log.record(d, "MODIFIED");
            self.dirty_deploy.insert(key.clone());
        }
        let target = key.name.clone();
        let current = self.deployments.get(key).map_or(0, |d| d.replicas);
        if let Some(h) = self
            .hpas
            .get_mut(key)
            .filter(|h| h.target == target && h.current_replicas != current)
        {
            h.current_replicas = current;
            h.desired = current;
            self.log.record(h, "MODIFIED");
        }
    }

    fn apply_sts(&mut self, key: &Key, replicas: Option<i32>, template: Option<PodTemplateSpec>) {
        let Some(s) = self.statefulsets.get_mut(key) else {
            return;
        };
        let mut changed = false;
        if let Some(r) = replicas
            && r != s.replicas
        {
            s.replicas = r;
            changed = true;
        }
        let mut new_template = None;
        if let Some(t) = template
            && !same_template(&t, &s.template)
        {
            let t = Arc::new(t);
            s.template = t.clone();
            new_template = Some(t);
            changed = true;
        }
        if changed {
            s.meta.generation += 1;
            self.dirty_sts.insert(key.clone());
        }
        // A new template is a new revision; the controller then replaces the pods one by one.
        if let Some(t) = new_template {
            self.record_sts_revision(key, t, self.now);
        }
        if changed && let Some(s) = self.statefulsets.get_mut(key) {
            self.log.record(s, "MODIFIED");
        }
    }

    /// `spec.replicas` through the scale subresource.
    pub fn set_replicas(
        &mut self,
        kind: Kind,
        ns: &str,
        name: &str,
        replicas: i32,
    ) -> Result<(), WorldError> {
        if !(0..=100_000).contains(&replicas) {
            return Err(WorldError::Invalid(format!(
                "spec.replicas: Invalid value: {replicas}: must be greater than or equal to 0"
            )));
        }
        let key = Key {
            ns: Arc::from(ns),
            name: name.to_string(),
        };
        match kind {
            Kind::Deployment => {
                let ann = self
                    .deployments
                    .get(&key)
                    .ok_or(WorldError::NotFound)?
                    .meta
                    .annotations
                    .clone();
                let spec = DeploymentSpec {
                    replicas: Some(replicas),
                    template: None,
                    paused: self.deployments.get(&key).is_some_and(|d| d.paused),
                    progress_deadline: None,
                };
                self.apply_deployment(&key, spec, ann);
            }
            Kind::StatefulSet => {
                self.statefulsets.get(&key).ok_or(WorldError::NotFound)?;
                self.apply_sts(&key, Some(replicas), None);
            }
            _ => return Err(WorldError::NotFound),
        }
        self.sync_dirty();
        Ok(())
    }

    /// DELETE of a pod: gone at once (no graceful termination); its controller replaces it.
    pub fn delete_pod(&mut self, ns: &str, name: &str) -> Result<Value, WorldError> {
        let json = self
            .object_json(Kind::Pod, ns, name)
            .ok_or(WorldError::NotFound)?;
        self.delete_pod_now(&Key {
            ns: Arc::from(ns),
            name: name.to_string(),
        });
        self.sync_dirty();
        Ok(json)
    }
}

fn annotations_for(kind: Kind, new: &Value) -> Labels {
    let _ = kind;
    new.pointer("/metadata/annotations")
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default()
}
