//! Renders compact objects into real k8s-openapi objects (JSON) and server-side Table cells.

mod autoscaling;
mod cluster;
mod config;
mod coordination;
mod event;
pub(super) mod pod;
mod revisions;
mod workloads;

use jiff::Timestamp;
use k8s_openapi::api::core::v1 as core;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{
    LabelSelector, ObjectMeta, OwnerReference, Time,
};
use serde::Serialize;
use serde_json::{Value, json};

use super::model::*;
use crate::sim::util::{human_duration, secs_between};

/// What every stored kind can do: identify itself, answer field selectors, render.
pub trait SimObject {
    fn kind(&self) -> Kind;
    fn meta(&self) -> &Meta;
    fn meta_mut(&mut self) -> &mut Meta;
    /// The value of a supported field selector field (see `Kind::fields`).
    fn field(&self, name: &str) -> Option<String>;
    fn write_json(&self, out: &mut Vec<u8>);
    fn cells(&self, now: Timestamp) -> Vec<Value>;
}

pub(super) fn write<T: Serialize>(v: &T, out: &mut Vec<u8>) {
    if serde_json::to_writer(&mut *out, v).is_err() {
        out.extend_from_slice(b"{}");
    }
}

pub fn object_meta(m: &Meta, owner: Option<&OwnerRef>) -> ObjectMeta {
    ObjectMeta {
        name: Some(m.name.clone()),
        namespace: (!m.ns.is_empty()).then(|| m.ns.to_string()),
        uid: Some(m.uid.clone()),
        resource_version: Some(m.rv.to_string()),
        generation: (m.generation > 0).then_some(m.generation),
        creation_timestamp: Some(Time(m.created)),
        labels: (!m.labels.is_empty()).then(|| (*m.labels).clone()),
        annotations: (!m.annotations.is_empty()).then(|| m.annotations.clone()),
        owner_references: owner.map(|o| {
            vec![OwnerReference {
                api_version: o.api_version.to_string(),
                kind: o.kind.to_string(),
                name: o.name.clone(),
                uid: o.uid.clone(),
                controller: Some(true),
                block_owner_deletion: Some(true),
            }]
        }),
        ..Default::default()
    }
}

/// The `object` of a Table row when the client asked for metadata only.
pub fn partial_meta(m: &Meta) -> Value {
    let meta = serde_json::to_value(object_meta(m, None)).unwrap_or(Value::Null);
    json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": meta})
}

pub(super) fn common_field(m: &Meta, name: &str) -> Option<String> {
    match name {
        "metadata.name" => Some(m.name.clone()),
        "metadata.namespace" => Some(m.ns.to_string()),
        _ => None,
    }
}

pub(super) fn age(m: &Meta, now: Timestamp) -> Value {
    Value::from(human_duration(secs_between(m.created, now)))
}

pub(super) fn selector(l: &Labels) -> LabelSelector {
    LabelSelector {
        match_labels: Some(l.clone()),
        ..Default::default()
    }
}

pub(super) fn selector_string(l: &Labels) -> String {
    l.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

pub(super) fn containers_images(t: &core::PodTemplateSpec) -> (String, String) {
    let cs = t
        .spec
        .as_ref()
        .map(|s| s.containers.as_slice())
        .unwrap_or_default();
    let names = cs
        .iter()
        .map(|c| c.name.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let images = cs
        .iter()
        .filter_map(|c| c.image.as_deref())
        .collect::<Vec<_>>()
        .join(",");
    (names, images)
}

pub(super) fn t(ts: Timestamp) -> Option<Time> {
    Some(Time(ts))
}

fn nz(v: i32) -> Option<i32> {
    (v != 0).then_some(v)
}
