//! A ConfigMap body as a client sends it (create, update, or the result of a patch), and
//! kube-apiserver's checks of it: the name, the keys, at most 1 MiB of data and binaryData
//! together, and an immutable ConfigMap's data staying as it is.

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use serde_json::Value;

use super::ConfigMapM;
use crate::sim::world::WorldError;
use crate::sim::world::fields::{self, FieldError, Problem};
use crate::sim::world::model::Labels;

/// `data` and `binaryData` together may hold this many bytes (kube-apiserver's MaxSecretSize).
pub const MAX_BYTES: usize = 1 << 20;

/// What a body says, once decoded.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Body {
    pub name: String,
    pub generate_name: Option<String>,
    pub rv: Option<String>,
    pub labels: Labels,
    pub annotations: Labels,
    pub data: BTreeMap<String, String>,
    pub binary: BTreeMap<String, ByteString>,
    pub immutable: Option<bool>,
}

fn decode<T: serde::de::DeserializeOwned + Default>(v: Option<&Value>) -> Result<T, WorldError> {
    match v {
        None | Some(Value::Null) => Ok(T::default()),
        Some(v) => serde_json::from_value(v.clone()).map_err(|e| {
            WorldError::BadRequest(format!(
                "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: {e}"
            ))
        }),
    }
}

fn text(meta: &Value, k: &str) -> Option<String> {
    meta.get(k)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// Decodes a body sent to namespace `ns`: a body naming another namespace is refused.
pub fn parse(ns: &str, body: &Value) -> Result<Body, WorldError> {
    let meta = body.get("metadata").cloned().unwrap_or(Value::Null);
    if meta
        .get("namespace")
        .and_then(Value::as_str)
        .is_some_and(|n| !n.is_empty() && n != ns)
    {
        return Err(WorldError::BadRequest(
            "the namespace of the provided object does not match the namespace sent on the request"
                .into(),
        ));
    }
    Ok(Body {
        name: text(&meta, "name").unwrap_or_default(),
        generate_name: text(&meta, "generateName"),
        rv: text(&meta, "resourceVersion"),
        labels: decode(meta.get("labels"))?,
        annotations: decode(meta.get("annotations"))?,
        data: decode(body.get("data"))?,
        binary: decode(body.get("binaryData"))?,
        immutable: decode::<Option<bool>>(body.get("immutable"))?,
    })
}

/// The bytes a ConfigMap holds, as the 1 MiB limit counts them (binaryData decoded).
pub fn size(data: &BTreeMap<String, String>, binary: &BTreeMap<String, ByteString>) -> usize {
    data.values().map(String::len).sum::<usize>()
        + binary.values().map(|v| v.0.len()).sum::<usize>()
}

/// ValidateConfigMap: the name, each key, no key in both maps, the size.
fn check(b: &Body, errs: &mut Vec<FieldError>) {
    for msg in fields::dns_subdomain(&b.name) {
        errs.push(FieldError::invalid("metadata.name", &b.name, msg));
    }
    for key in b.data.keys() {
        for msg in fields::config_key(key) {
            errs.push(FieldError::invalid(format!("data[{key}]"), key, msg));
        }
        if b.binary.contains_key(key) {
            let msg = "duplicate of key present in binaryData";
            errs.push(FieldError::invalid(format!("data[{key}]"), key, msg));
        }
    }
    for key in b.binary.keys() {
        for msg in fields::config_key(key) {
            errs.push(FieldError::invalid(format!("binaryData[{key}]"), key, msg));
        }
    }
    if size(&b.data, &b.binary) > MAX_BYTES {
        // "[]": the error is about the whole object.
        let detail = format!("may not be more than {MAX_BYTES} bytes");
        errs.push(FieldError::new("[]", Problem::TooLong, detail));
    }
}

/// A new ConfigMap's body, checked.
pub fn check_new(b: &Body) -> Result<(), WorldError> {
    let mut errs = vec![];
    check(b, &mut errs);
    if errs.is_empty() {
        Ok(())
    } else {
        Err(WorldError::Fields(errs))
    }
}

/// An update of `old` to `b`, checked (ValidateConfigMapUpdate).
pub fn check_update(b: &Body, old: &ConfigMapM) -> Result<(), WorldError> {
    let mut errs = vec![];
    if old.immutable == Some(true) {
        let why = "field is immutable when `immutable` is set";
        if b.immutable != Some(true) {
            errs.push(FieldError::new("immutable", Problem::Forbidden, why));
        }
        if b.data != old.data {
            errs.push(FieldError::new("data", Problem::Forbidden, why));
        }
        if b.binary != old.binary {
            errs.push(FieldError::new("binaryData", Problem::Forbidden, why));
        }
    }
    check(b, &mut errs);
    if errs.is_empty() {
        Ok(())
    } else {
        Err(WorldError::Fields(errs))
    }
}
