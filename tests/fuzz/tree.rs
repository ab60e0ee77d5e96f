//! Structure-aware damage: a valid sample parsed into a tree, some of its values swapped for
//! values of the wrong type (or removed, or nested deep), then written back as text.

use proptest::collection::vec;
use proptest::prelude::*;
use serde_json::{Value as Json, json};

#[derive(Clone, Debug)]
pub enum Swap {
    Null,
    Bool(bool),
    Int(i64),
    Big,
    Float(f64),
    Str(String),
    EmptyList,
    EmptyMap,
    Deep(u16),
    Remove,
}

fn swap() -> impl Strategy<Value = Swap> {
    prop_oneof![
        Just(Swap::Null),
        any::<bool>().prop_map(Swap::Bool),
        prop_oneof![
            Just(i64::MIN),
            Just(i64::MAX),
            Just(-1i64),
            Just(0i64),
            any::<i64>()
        ]
        .prop_map(Swap::Int),
        Just(Swap::Big),
        prop_oneof![
            Just(f64::MAX),
            Just(-f64::MAX),
            Just(f64::MIN_POSITIVE),
            Just(-0.0),
            Just(1e300),
            any::<f64>()
        ]
        .prop_map(Swap::Float),
        prop_oneof![
            Just(String::new()),
            Just("NaN".to_string()),
            Just("-1".to_string()),
            Just("2026-13-45T99:99:99Z".to_string()),
            Just("99999999999999999999".to_string()),
            ".{0,40}"
        ]
        .prop_map(Swap::Str),
        Just(Swap::EmptyList),
        Just(Swap::EmptyMap),
        (1..400u16).prop_map(Swap::Deep),
        Just(Swap::Remove),
    ]
}

/// (which node, what it becomes), up to six of them.
pub fn swaps() -> impl Strategy<Value = Vec<(usize, Swap)>> {
    vec((any::<usize>(), swap()), 1..6)
}

fn json_of(s: &Swap) -> Json {
    match s {
        Swap::Null | Swap::Remove => Json::Null,
        Swap::Bool(b) => json!(b),
        Swap::Int(i) => json!(i),
        Swap::Big => json!(u64::MAX),
        Swap::Float(f) => json!(f),
        Swap::Str(s) => json!(s),
        Swap::EmptyList => json!([]),
        Swap::EmptyMap => json!({}),
        Swap::Deep(d) => (0..*d).fold(json!(1), |v, _| json!([v])),
    }
}

fn count_json(v: &Json) -> usize {
    1 + match v {
        Json::Array(items) => items.iter().map(count_json).sum(),
        Json::Object(map) => map.values().map(count_json).sum(),
        _ => 0,
    }
}

/// Replaces the `k`th node (pre-order, below the root) or removes it from its parent.
fn swap_json(v: &mut Json, k: &mut usize, s: &Swap) -> bool {
    match v {
        Json::Array(items) => {
            for i in 0..items.len() {
                if *k == 0 {
                    if matches!(s, Swap::Remove) {
                        items.remove(i);
                    } else {
                        items[i] = json_of(s);
                    }
                    return true;
                }
                *k -= 1;
                if swap_json(&mut items[i], k, s) {
                    return true;
                }
            }
            false
        }
        Json::Object(map) => {
            let keys: Vec<String> = map.keys().cloned().collect();
            for key in keys {
                if *k == 0 {
                    if matches!(s, Swap::Remove) {
                        map.remove(&key);
                    } else {
                        map.insert(key, json_of(s));
                    }
                    return true;
                }
                *k -= 1;
                if map
                    .get_mut(&key)
                    .is_some_and(|child| swap_json(child, k, s))
                {
                    return true;
                }
            }
            false
        }
        _ => false,
    }
}

pub fn damage_json(mut v: Json, swaps: &[(usize, Swap)]) -> Json {
    for (k, s) in swaps {
        let mut k = k % count_json(&v).max(1);
        swap_json(&mut v, &mut k, s);
    }
    v
}

/// JSON samples with values of the wrong type.
pub fn json(seeds: Vec<Vec<u8>>) -> BoxedStrategy<Vec<u8>> {
    let trees: Vec<Json> = seeds
        .iter()
        .map(|s| serde_json::from_slice(s).expect("a JSON seed"))
        .collect();
    let n = trees.len();
    (0..n, swaps())
        .prop_map(move |(i, sw)| {
            serde_json::to_vec(&damage_json(trees[i].clone(), &sw)).expect("serializes")
        })
        .boxed()
}

/// TOML samples with values of the wrong type (written back through JSON's tree, so a TOML
/// value that JSON lacks, a datetime, stays a string).
pub fn toml(seeds: Vec<Vec<u8>>) -> BoxedStrategy<Vec<u8>> {
    let trees: Vec<Json> = seeds
        .iter()
        .map(|s| {
            let text = std::str::from_utf8(s).expect("utf-8 seed");
            let table: toml::Table = toml::from_str(text).expect("a TOML seed");
            serde_json::to_value(table).expect("as JSON")
        })
        .collect();
    let n = trees.len();
    (0..n, swaps())
        .prop_map(move |(i, sw)| {
            let damaged = damage_json(trees[i].clone(), &sw);
            // TOML has no null; a removed or nulled value that cannot be written is skipped.
            let table: Result<toml::Table, _> = serde_json::from_value(strip_nulls(damaged));
            table
                .ok()
                .and_then(|t| toml::to_string(&t).ok())
                .unwrap_or_default()
                .into_bytes()
        })
        .boxed()
}

fn strip_nulls(v: Json) -> Json {
    match v {
        Json::Array(items) => Json::Array(
            items
                .into_iter()
                .filter(|i| !i.is_null())
                .map(strip_nulls)
                .collect(),
        ),
        Json::Object(map) => Json::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, strip_nulls(v)))
                .collect(),
        ),
        other => other,
    }
}

/// YAML samples (one or several documents) with values of the wrong type, written back as
/// YAML flow style (JSON), document by document.
pub fn yaml(seeds: Vec<Vec<u8>>) -> BoxedStrategy<Vec<u8>> {
    let files: Vec<Vec<Json>> = seeds
        .iter()
        .map(|s| {
            let text = std::str::from_utf8(s).expect("utf-8 seed");
            text.split("\n---\n")
                .map(|doc| serde_saphyr::from_str::<Json>(doc).expect("a YAML seed"))
                .collect()
        })
        .collect();
    let n = files.len();
    (0..n, any::<usize>(), swaps())
        .prop_map(move |(i, d, sw)| {
            let docs = &files[i];
            let hit = d % docs.len();
            let texts: Vec<String> = docs
                .iter()
                .enumerate()
                .map(|(j, doc)| {
                    let doc = if j == hit {
                        damage_json(doc.clone(), &sw)
                    } else {
                        doc.clone()
                    };
                    serde_json::to_string_pretty(&doc).expect("serializes")
                })
                .collect();
            texts.join("\n---\n").into_bytes()
        })
        .boxed()
}
