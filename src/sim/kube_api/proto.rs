//! Just enough protobuf to read what kubectl sends as protobuf: a SelfSubjectAccessReview
//! (`auth can-i`) and a ConfigMap (`create configmap`, a typed client of a built-in kind).

use serde_json::{Map, Value, json};

/// Top-level fields of a protobuf message as (field number, bytes) for length-delimited ones.
fn fields(mut b: &[u8]) -> Option<Vec<(u64, &[u8])>> {
    let mut out = vec![];
    while !b.is_empty() {
        let key = varint(&mut b)?;
        match key & 7 {
            0 => {
                varint(&mut b)?;
            }
            1 => b = b.get(8..)?,
            5 => b = b.get(4..)?,
            2 => {
                let len = usize::try_from(varint(&mut b)?).ok()?;
                out.push((key >> 3, b.get(..len)?));
                b = b.get(len..)?;
            }
            _ => return None,
        }
    }
    Some(out)
}

/// Every top-level field as (field number, value): varints as numbers, length-delimited ones
/// as bytes (fixed-width ones are skipped).
fn all_fields(mut b: &[u8]) -> Option<Vec<(u64, Wire<'_>)>> {
    let mut out = vec![];
    while !b.is_empty() {
        let key = varint(&mut b)?;
        match key & 7 {
            0 => out.push((key >> 3, Wire::Varint(varint(&mut b)?))),
            1 => b = b.get(8..)?,
            5 => b = b.get(4..)?,
            2 => {
                let len = usize::try_from(varint(&mut b)?).ok()?;
                out.push((key >> 3, Wire::Bytes(b.get(..len)?)));
                b = b.get(len..)?;
            }
            _ => return None,
        }
    }
    Some(out)
}

enum Wire<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
}

fn varint(b: &mut &[u8]) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let (first, rest) = b.split_first()?;
        *b = rest;
        v |= u64::from(first & 0x7f) << shift;
        if first & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

fn field(b: &[u8], n: u64) -> Option<&[u8]> {
    fields(b)?
        .into_iter()
        .find(|(f, _)| *f == n)
        .map(|(_, v)| v)
}

/// Decode a `k8s\0`-enveloped SelfSubjectAccessReview into its JSON `spec`.
pub fn ssar_spec(body: &[u8]) -> Option<Value> {
    let raw = unwrap_unknown(body)?;
    let spec = field(raw, 2)?;
    let attrs = field(spec, 1)?;
    let names = [
        "namespace",
        "verb",
        "group",
        "version",
        "resource",
        "subresource",
        "name",
    ];
    let mut m = Map::new();
    for (n, v) in fields(attrs)? {
        if let Some(name) = usize::try_from(n)
            .ok()
            .and_then(|n| names.get(n.wrapping_sub(1)))
        {
            m.insert(
                (*name).to_string(),
                Value::from(String::from_utf8_lossy(v).to_string()),
            );
        }
    }
    Some(serde_json::json!({"resourceAttributes": m}))
}

/// The raw object inside a `k8s\0`-enveloped `runtime.Unknown`.
fn unwrap_unknown(body: &[u8]) -> Option<&[u8]> {
    field(body.strip_prefix(b"k8s\0")?, 2)
}

fn text(b: &[u8]) -> Value {
    Value::from(String::from_utf8_lossy(b).to_string())
}

/// A `map<string, string>` (or bytes) field: repeated {key = 1, value = 2} entries.
fn map_entry(entry: &[u8], out: &mut Map<String, Value>, value: fn(&[u8]) -> Value) {
    let key = field(entry, 1).map(|k| String::from_utf8_lossy(k).to_string());
    let val = field(entry, 2).unwrap_or_default();
    out.insert(key.unwrap_or_default(), value(val));
}

/// ObjectMeta's fields a client sets: name, generateName, namespace, resourceVersion,
/// labels and annotations.
fn object_meta(b: &[u8]) -> Option<Value> {
    let (mut m, mut labels, mut annotations) = (Map::new(), Map::new(), Map::new());
    for (n, v) in fields(b)? {
        match n {
            1 => m.insert("name".into(), text(v)),
            2 => m.insert("generateName".into(), text(v)),
            3 => m.insert("namespace".into(), text(v)),
            6 => m.insert("resourceVersion".into(), text(v)),
            11 => {
                map_entry(v, &mut labels, text);
                None
            }
            12 => {
                map_entry(v, &mut annotations, text);
                None
            }
            _ => None,
        };
    }
    if !labels.is_empty() {
        m.insert("labels".into(), Value::Object(labels));
    }
    if !annotations.is_empty() {
        m.insert("annotations".into(), Value::Object(annotations));
    }
    Some(Value::Object(m))
}

/// base64 of bytes, as binaryData reads in JSON.
fn base64(b: &[u8]) -> Value {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(b.len().div_ceil(3) * 4);
    for chunk in b.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, c)| n | u32::from(*c) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    Value::from(out)
}

/// Decode a `k8s\0`-enveloped ConfigMap into its JSON form (None for any other kind).
pub fn configmap(body: &[u8]) -> Option<Value> {
    let type_meta = field(body.strip_prefix(b"k8s\0")?, 1)?;
    if field(type_meta, 2)? != b"ConfigMap" {
        return None;
    }
    let raw = unwrap_unknown(body)?;
    let mut cm = json!({"apiVersion": "v1", "kind": "ConfigMap"});
    let (mut data, mut binary) = (Map::new(), Map::new());
    for (n, v) in all_fields(raw)? {
        match (n, v) {
            (1, Wire::Bytes(meta)) => cm["metadata"] = object_meta(meta)?,
            (2, Wire::Bytes(entry)) => map_entry(entry, &mut data, text),
            (3, Wire::Bytes(entry)) => map_entry(entry, &mut binary, base64),
            (4, Wire::Varint(b)) => cm["immutable"] = Value::from(b != 0),
            _ => {}
        }
    }
    if !data.is_empty() {
        cm["data"] = Value::Object(data);
    }
    if !binary.is_empty() {
        cm["binaryData"] = Value::Object(binary);
    }
    Some(cm)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ld(n: u64, v: &[u8]) -> Vec<u8> {
        let mut out = vec![((n << 3) | 2) as u8, v.len() as u8];
        out.extend_from_slice(v);
        out
    }

    #[test]
    fn decodes_kubectl_auth_can_i_body() {
        let attrs = [ld(2, b"list"), ld(5, b"nodes")].concat();
        let raw = [ld(1, b""), ld(2, &ld(1, &attrs))].concat();
        let body = [
            b"k8s\0".to_vec(),
            ld(1, &ld(2, b"SelfSubjectAccessReview")),
            ld(2, &raw),
        ]
        .concat();
        let spec = ssar_spec(&body).unwrap();
        assert_eq!(spec["resourceAttributes"]["resource"], "nodes");
        assert_eq!(spec["resourceAttributes"]["verb"], "list");
    }

    #[test]
    fn decodes_kubectl_create_configmap_body() {
        let entry = |k: &[u8], v: &[u8]| [ld(1, k), ld(2, v)].concat();
        let meta = [
            ld(1, b"demo"),
            ld(3, b"contentgen"),
            ld(11, &entry(b"opsdeck.io/incident", b"inc-1")),
        ]
        .concat();
        let cm = [
            ld(1, &meta),
            ld(2, &entry(b"a", b"1")),
            ld(2, &entry(b"b", b"2")),
            ld(3, &entry(b"bin", b"abcd")),
            vec![4 << 3, 1],
        ]
        .concat();
        let body = [
            b"k8s\0".to_vec(),
            ld(1, &[ld(1, b"v1"), ld(2, b"ConfigMap")].concat()),
            ld(2, &cm),
        ]
        .concat();
        let v = configmap(&body).unwrap();
        assert_eq!(v["metadata"]["name"], "demo");
        assert_eq!(v["metadata"]["labels"]["opsdeck.io/incident"], "inc-1");
        assert_eq!(v["data"], json!({"a": "1", "b": "2"}));
        assert_eq!(v["binaryData"]["bin"], "YWJjZA==");
        assert_eq!(v["immutable"], true);
    }
}
