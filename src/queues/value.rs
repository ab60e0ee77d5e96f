//! Reading loosely typed Redis replies (RESP2 arrays or RESP3 maps) without panicking.

use redis::Value;

pub fn as_u64(v: &Value) -> Option<u64> {
    match v {
        Value::Int(i) => u64::try_from(*i).ok(),
        Value::Double(d) if *d >= 0.0 => Some(*d as u64),
        _ => as_string(v)?.parse().ok(),
    }
}

pub fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::Double(d) => Some(*d),
        _ => as_string(v)?.parse().ok(),
    }
}

pub fn as_string(v: &Value) -> Option<String> {
    match v {
        Value::BulkString(b) => Some(String::from_utf8_lossy(b).into_owned()),
        Value::SimpleString(s) => Some(s.clone()),
        Value::VerbatimString { text, .. } => Some(text.clone()),
        _ => None,
    }
}

pub fn as_items(v: &Value) -> &[Value] {
    match v {
        Value::Array(items) | Value::Set(items) => items,
        _ => &[],
    }
}

/// Key/value pairs from a RESP3 map or a flat RESP2 array `[k1, v1, k2, v2, ...]`.
pub fn as_pairs(v: &Value) -> Vec<(String, &Value)> {
    match v {
        Value::Map(pairs) => pairs
            .iter()
            .filter_map(|(k, v)| Some((as_string(k)?, v)))
            .collect(),
        _ => as_items(v)
            .chunks_exact(2)
            .filter_map(|kv| Some((as_string(&kv[0])?, &kv[1])))
            .collect(),
    }
}

pub fn field<'a>(pairs: &[(String, &'a Value)], name: &str) -> Option<&'a Value> {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| *v)
}

/// The milliseconds part of a stream entry id (`1700000000000-0`).
pub fn stream_id_ms(id: &str) -> Option<i64> {
    id.split('-').next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_from_flat_array_and_map() {
        let flat = Value::Array(vec![Value::BulkString(b"pending".to_vec()), Value::Int(3)]);
        let pairs = as_pairs(&flat);
        assert_eq!(field(&pairs, "pending").and_then(as_u64), Some(3));
        let map = Value::Map(vec![(Value::SimpleString("lag".into()), Value::Nil)]);
        assert_eq!(field(&as_pairs(&map), "lag"), Some(&Value::Nil));
    }

    #[test]
    fn stream_ids() {
        assert_eq!(stream_id_ms("1700000000123-4"), Some(1_700_000_000_123));
        assert_eq!(stream_id_ms("x"), None);
    }
}
