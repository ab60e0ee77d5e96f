//! ConfigMaps (core/v1).

use jiff::Timestamp;
use k8s_openapi::api::core::v1 as core;
use serde_json::{Value, json};

use super::super::configmaps::ConfigMapM;
use super::super::model::*;
use super::{SimObject, age, common_field, object_meta, write};

impl SimObject for ConfigMapM {
    fn kind(&self) -> Kind {
        Kind::ConfigMap
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
        let cm = core::ConfigMap {
            metadata: object_meta(&self.meta, None),
            data: (!self.data.is_empty()).then(|| self.data.clone()),
            binary_data: (!self.binary.is_empty()).then(|| self.binary.clone()),
            immutable: self.immutable,
        };
        write(&cm, out);
    }
    fn cells(&self, now: Timestamp) -> Vec<Value> {
        vec![
            json!(self.meta.name),
            json!(self.data.len() + self.binary.len()),
            age(&self.meta, now),
        ]
    }
}
