//! ControllerRevisions (apps/v1), as the statefulset controller writes them.

use jiff::Timestamp;
use k8s_openapi::api::apps::v1 as apps;
use k8s_openapi::apimachinery::pkg::runtime::RawExtension;
use serde_json::{Value, json};

use super::super::history::RevisionM;
use super::super::model::*;
use super::{SimObject, age, common_field, object_meta, write};

impl RevisionM {
    /// `data`: a strategic merge patch replacing the StatefulSet's template, which is how
    /// `kubectl rollout history --revision` and `rollout undo` read it back.
    pub fn data(&self) -> Value {
        let mut template = serde_json::to_value(&*self.template).unwrap_or_else(|_| json!({}));
        if let Some(t) = template.as_object_mut() {
            // Go encodes the template's empty creationTimestamp as null.
            if let Some(m) = t.get_mut("metadata").and_then(Value::as_object_mut) {
                m.entry("creationTimestamp").or_insert(Value::Null);
            }
            t.insert("$patch".into(), json!("replace"));
        }
        json!({"spec": {"template": template}})
    }
}

impl SimObject for RevisionM {
    fn kind(&self) -> Kind {
        Kind::ControllerRevision
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
        let cr = apps::ControllerRevision {
            metadata: object_meta(&self.meta, Some(&self.owner)),
            data: Some(RawExtension(self.data())),
            revision: self.revision,
        };
        write(&cr, out);
    }
    fn cells(&self, now: Timestamp) -> Vec<Value> {
        // kube-apiserver's printer names the controller as `kind.group/name`.
        let controller = format!(
            "{}.apps/{}",
            self.owner.kind.to_lowercase(),
            self.owner.name
        );
        vec![
            json!(self.meta.name),
            json!(controller),
            json!(self.revision),
            age(&self.meta, now),
        ]
    }
}
