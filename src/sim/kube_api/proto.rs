//! Just enough protobuf to read a SelfSubjectAccessReview, which kubectl sends as protobuf.

use serde_json::{Map, Value};

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
    let unknown = body.strip_prefix(b"k8s\0")?;
    let raw = field(unknown, 2)?;
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
}
