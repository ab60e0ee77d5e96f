//! core/v1 Events.

use crate::sim::util::{human_duration, secs_between};
use jiff::Timestamp;
use k8s_openapi::api::core::v1 as core;
use serde_json::{Value, json};

use super::super::model::*;
use super::{SimObject, common_field, object_meta, t, write};

impl SimObject for EventM {
    fn kind(&self) -> Kind {
        Kind::Event
    }
    fn meta(&self) -> &Meta {
        &self.meta
    }
    fn meta_mut(&mut self) -> &mut Meta {
        &mut self.meta
    }
    fn field(&self, name: &str) -> Option<String> {
        let i = &self.involved;
        match name {
            "involvedObject.kind" => Some(i.kind.into()),
            "involvedObject.namespace" => Some(i.ns.to_string()),
            "involvedObject.name" => Some(i.name.clone()),
            "involvedObject.uid" => Some(i.uid.clone()),
            "involvedObject.apiVersion" => Some(i.api_version.into()),
            "reason" => Some(self.reason.into()),
            "source" => Some(self.component.into()),
            "type" => Some(self.type_.into()),
            _ => common_field(&self.meta, name),
        }
    }
    fn write_json(&self, out: &mut Vec<u8>) {
        let i = &self.involved;
        let ev = core::Event {
            metadata: object_meta(&self.meta, None),
            involved_object: core::ObjectReference {
                kind: Some(i.kind.into()),
                api_version: Some(i.api_version.into()),
                namespace: (!i.ns.is_empty()).then(|| i.ns.to_string()),
                name: Some(i.name.clone()),
                uid: Some(i.uid.clone()),
                ..Default::default()
            },
            reason: Some(self.reason.into()),
            message: Some(self.message.clone()),
            type_: Some(self.type_.into()),
            count: Some(self.count),
            first_timestamp: t(self.first),
            last_timestamp: t(self.last),
            source: Some(core::EventSource {
                component: Some(self.component.into()),
                host: self.host.clone(),
            }),
            reporting_component: Some(self.component.into()),
            reporting_instance: Some(self.host.clone().unwrap_or_default()),
            ..Default::default()
        };
        write(&ev, out);
    }
    fn cells(&self, now: Timestamp) -> Vec<Value> {
        let source = match &self.host {
            Some(h) => format!("{}, {h}", self.component),
            None => self.component.to_string(),
        };
        vec![
            json!(human_duration(secs_between(self.last, now))),
            json!(self.type_),
            json!(self.reason),
            json!(format!(
                "{}/{}",
                self.involved.kind.to_lowercase(),
                self.involved.name
            )),
            json!(""),
            json!(source),
            json!(self.message),
            json!(human_duration(secs_between(self.first, now))),
            json!(self.count),
            json!(self.meta.name),
        ]
    }
}
