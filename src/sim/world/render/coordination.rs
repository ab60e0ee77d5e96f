//! Leases (coordination.k8s.io/v1).

use jiff::Timestamp;
use k8s_openapi::api::coordination::v1 as coordination;
use serde_json::{Value, json};

use super::super::leases::LeaseM;
use super::super::model::*;
use super::{SimObject, age, common_field, object_meta, write};

impl SimObject for LeaseM {
    fn kind(&self) -> Kind {
        Kind::Lease
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
        let mut metadata = object_meta(&self.meta, None);
        // A node lease names its Node as owner, but not as a controller.
        metadata.owner_references = (!self.owners.is_empty()).then(|| self.owners.clone());
        let lease = coordination::Lease {
            metadata,
            spec: Some(self.spec.clone()),
        };
        write(&lease, out);
    }
    fn cells(&self, now: Timestamp) -> Vec<Value> {
        vec![
            json!(self.meta.name),
            json!(self.spec.holder_identity.as_deref().unwrap_or("<unknown>")),
            age(&self.meta, now),
        ]
    }
}
