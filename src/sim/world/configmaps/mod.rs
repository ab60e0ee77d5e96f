//! core/v1 ConfigMaps, which clients create, update, patch and delete as on kube-apiserver:
//! an update may leave out the resourceVersion (ConfigMaps allow unconditional updates) but a
//! stale one is a 409 Conflict, an update of a missing ConfigMap is a 404 (no create on
//! update), and the checks of `validate`. The sim starts with none: what lives here is what
//! clients write, such as opsdeck's shared incidents.

mod validate;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::ByteString;
use serde_json::Value;

use super::World;
use super::model::{Key, Kind, Meta};
use super::patch::WorldError;
pub use validate::{Body, MAX_BYTES, size};

#[derive(Clone, Debug)]
pub struct ConfigMapM {
    pub meta: Meta,
    pub data: BTreeMap<String, String>,
    pub binary: BTreeMap<String, ByteString>,
    pub immutable: Option<bool>,
}

impl ConfigMapM {
    /// Whether writing `b` would change anything (a no-op update keeps the resourceVersion).
    fn differs(&self, b: &Body) -> bool {
        *self.meta.labels != b.labels
            || self.meta.annotations != b.annotations
            || self.data != b.data
            || self.binary != b.binary
            || self.immutable != b.immutable
    }
}

impl World {
    fn configmap_json(&self, key: &Key) -> Result<Value, WorldError> {
        self.object_json(Kind::ConfigMap, &key.ns, &key.name)
            .ok_or(WorldError::NotFound)
    }

    fn insert_configmap(&mut self, ns: &str, b: Body) -> Result<Value, WorldError> {
        let meta = self.client_meta(ns, b.name, b.labels, b.annotations)?;
        let mut cm = ConfigMapM {
            meta,
            data: b.data,
            binary: b.binary,
            immutable: b.immutable,
        };
        self.log.record(&mut cm, "ADDED");
        let key = cm.meta.key();
        self.configmaps.insert(key.clone(), cm);
        self.configmap_json(&key)
    }

    /// POST: a new ConfigMap (`generateName` gets a random suffix).
    pub fn create_configmap(
        &mut self,
        ns: &str,
        body: &Value,
        dry_run: bool,
    ) -> Result<Value, WorldError> {
        let mut b = validate::parse(ns, body)?;
        if b.rv.is_some() {
            return Err(WorldError::BadRequest(
                "resourceVersion should not be set on objects to be created".into(),
            ));
        }
        if b.name.is_empty() {
            let Some(prefix) = b.generate_name.clone() else {
                return Err(WorldError::Fields(vec![super::fields::FieldError::new(
                    "metadata.name",
                    super::fields::Problem::Required,
                    "name or generateName is required",
                )]));
            };
            b.name = format!("{prefix}{}", self.rng.suffix(5));
        }
        validate::check_new(&b)?;
        if self
            .configmaps
            .contains_key(&Key::new(&Arc::from(ns), b.name.clone()))
        {
            return Err(WorldError::AlreadyExists);
        }
        if dry_run {
            return Ok(body.clone());
        }
        self.insert_configmap(ns, b)
    }

    /// PUT: replace a ConfigMap's labels, annotations and data. A resourceVersion in the
    /// body must be the stored one; none means "whatever is stored".
    pub fn replace_configmap(
        &mut self,
        ns: &str,
        name: &str,
        body: &Value,
        dry_run: bool,
    ) -> Result<Value, WorldError> {
        let b = validate::parse(ns, body)?;
        if b.name != name {
            return Err(WorldError::BadRequest(format!(
                "the name of the object ({}) does not match the name on the URL ({name})",
                b.name
            )));
        }
        let key = Key::new(&Arc::from(ns), name.to_string());
        let current = self.configmaps.get(&key).ok_or(WorldError::NotFound)?;
        if b.rv
            .as_ref()
            .is_some_and(|rv| *rv != current.meta.rv.to_string())
        {
            return Err(WorldError::Conflict);
        }
        validate::check_update(&b, current)?;
        if dry_run {
            return Ok(body.clone());
        }
        self.store_configmap(&key, b);
        self.configmap_json(&key)
    }

    /// A patched ConfigMap (the result of applying the patch), checked before it is stored.
    pub(super) fn check_configmap_patch(&self, key: &Key, new: &Value) -> Result<Body, WorldError> {
        let current = self.configmaps.get(key).ok_or(WorldError::NotFound)?;
        let mut b = validate::parse(&key.ns, new)?;
        b.name = key.name.clone();
        validate::check_update(&b, current)?;
        Ok(b)
    }

    /// Stores a checked body: one MODIFIED event for labels and data together, none for a
    /// write that changes nothing.
    pub(super) fn store_configmap(&mut self, key: &Key, b: Body) {
        let Some(cm) = self.configmaps.get_mut(key).filter(|cm| cm.differs(&b)) else {
            return;
        };
        cm.meta.labels = Arc::new(b.labels);
        cm.meta.annotations = b.annotations;
        cm.data = b.data;
        cm.binary = b.binary;
        cm.immutable = b.immutable;
        self.log.record(cm, "MODIFIED");
    }

    /// DELETE, with an optional resourceVersion precondition.
    pub fn delete_configmap(
        &mut self,
        ns: &str,
        name: &str,
        precondition: Option<&str>,
    ) -> Result<ConfigMapM, WorldError> {
        let key = Key::new(&Arc::from(ns), name.to_string());
        let current = self.configmaps.get(&key).ok_or(WorldError::NotFound)?;
        super::check_precondition(precondition, &current.meta)?;
        let mut cm = self.configmaps.remove(&key).ok_or(WorldError::NotFound)?;
        self.log.record(&mut cm, "DELETED");
        Ok(cm)
    }
}
