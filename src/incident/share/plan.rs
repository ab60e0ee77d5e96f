//! Where new entries go, decided without I/O: each entry is one data key of an incident's
//! ConfigMaps; entries already in any part are skipped; the last part fills up to
//! `PART_BYTES`, then the next part begins.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::ConfigMap;
use sha2::{Digest, Sha256};

use super::{INCIDENT_LABEL, PART_BYTES, PART_LABEL};

/// What an append needs to know of one existing part.
#[derive(Clone, Debug, PartialEq)]
pub struct Part {
    pub number: u32,
    pub name: String,
    /// The resourceVersion read: the precondition of the next write.
    pub rv: String,
    /// Its data keys (entry ids, or their digests).
    pub keys: BTreeSet<String>,
    /// The bytes its data holds, as the API server's 1 MiB limit counts them.
    pub bytes: usize,
}

impl Part {
    /// The part a ConfigMap of `incident` is (None: not one of its parts).
    pub fn of(incident: &str, cm: &ConfigMap) -> Option<Part> {
        let labels = cm.metadata.labels.as_ref()?;
        if labels.get(INCIDENT_LABEL).map(String::as_str) != Some(incident) {
            return None;
        }
        let data = cm.data.clone().unwrap_or_default();
        Some(Part {
            number: labels
                .get(PART_LABEL)
                .and_then(|p| p.parse().ok())
                .unwrap_or(1),
            name: cm.metadata.name.clone()?,
            rv: cm.metadata.resource_version.clone()?,
            bytes: data.values().map(String::len).sum(),
            keys: data.into_keys().collect(),
        })
    }
}

/// One write an append makes.
#[derive(Clone, Debug, PartialEq)]
pub enum Write {
    /// Add keys to an existing part, if it is still at `rv`.
    Add {
        name: String,
        rv: String,
        data: BTreeMap<String, String>,
    },
    /// Begin part `number` with these keys.
    Create {
        number: u32,
        data: BTreeMap<String, String>,
    },
}

/// The ConfigMap name of part `number` (1: `opsdeck-incident-<id>`, then `-2`, `-3`...).
pub fn part_name(incident: &str, number: u32) -> String {
    match number {
        0 | 1 => format!("opsdeck-incident-{incident}"),
        n => format!("opsdeck-incident-{incident}-{n}"),
    }
}

/// The data key of an entry: its id where ConfigMap keys allow it (`[-._a-zA-Z0-9]+`, at
/// most 253, not starting with ".."), else a digest of it. The entry's JSON keeps its id.
pub fn key_of(id: &str) -> String {
    let allowed = !id.is_empty()
        && id.len() <= 253
        && id != "."
        && !id.starts_with("..")
        && id
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_'));
    if allowed {
        return id.to_string();
    }
    let digest = Sha256::digest(id.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256.{hex}")
}

/// The writes that put `fresh` (key, JSON) after `parts` (ordered by number).
pub fn plan(parts: &[Part], fresh: &[(String, String)]) -> Vec<Write> {
    let present: BTreeSet<&str> = parts
        .iter()
        .flat_map(|p| p.keys.iter().map(String::as_str))
        .collect();
    let mut writes = vec![];
    let mut target = parts.last();
    let mut number = target.map_or(1, |p| p.number);
    let mut bytes = target.map_or(0, |p| p.bytes);
    let mut data = BTreeMap::new();
    for (key, json) in fresh {
        if present.contains(key.as_str()) || data.contains_key(key) {
            continue;
        }
        // An empty part takes any entry; the API server refuses only what passes 1 MiB.
        if bytes > 0 && bytes + json.len() > PART_BYTES {
            writes.extend(flush(target.take(), number, std::mem::take(&mut data)));
            number += 1;
            bytes = 0;
        }
        bytes += json.len();
        data.insert(key.clone(), json.clone());
    }
    writes.extend(flush(target, number, data));
    writes
}

fn flush(target: Option<&Part>, number: u32, data: BTreeMap<String, String>) -> Option<Write> {
    if data.is_empty() {
        return None;
    }
    Some(match target {
        Some(p) => Write::Add {
            name: p.name.clone(),
            rv: p.rv.clone(),
            data,
        },
        None => Write::Create { number, data },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(number: u32, keys: &[&str], bytes: usize) -> Part {
        Part {
            number,
            name: part_name("inc-1", number),
            rv: "7".into(),
            keys: keys.iter().map(|k| k.to_string()).collect(),
            bytes,
        }
    }

    fn fresh(entries: &[(&str, usize)]) -> Vec<(String, String)> {
        entries
            .iter()
            .map(|(k, n)| (k.to_string(), "x".repeat(*n)))
            .collect()
    }

    #[test]
    fn a_new_incident_begins_its_first_part() {
        let w = plan(&[], &fresh(&[("a", 10), ("b", 10), ("a", 10)]));
        let [Write::Create { number: 1, data }] = w.as_slice() else {
            panic!("{w:?}");
        };
        assert_eq!(data.keys().collect::<Vec<_>>(), ["a", "b"]);
    }

    #[test]
    fn entries_already_in_any_part_are_not_written_again() {
        let parts = [part(1, &["a"], 10), part(2, &["b"], 10)];
        let w = plan(&parts, &fresh(&[("a", 10), ("b", 10), ("c", 10)]));
        let [Write::Add { name, rv, data }] = w.as_slice() else {
            panic!("{w:?}");
        };
        assert_eq!(
            (name.as_str(), rv.as_str()),
            ("opsdeck-incident-inc-1-2", "7")
        );
        assert_eq!(data.keys().collect::<Vec<_>>(), ["c"]);
        assert!(plan(&parts, &fresh(&[("a", 1)])).is_empty());
    }

    #[test]
    fn past_900_kib_the_next_part_begins() {
        let parts = [part(1, &["a"], PART_BYTES - 100)];
        let w = plan(&parts, &fresh(&[("b", 50), ("c", 100), ("d", PART_BYTES)]));
        assert_eq!(w.len(), 3, "{w:?}");
        assert!(matches!(&w[0], Write::Add { data, .. } if data.contains_key("b")));
        assert!(matches!(&w[1], Write::Create { number: 2, data } if data.contains_key("c")));
        assert!(matches!(&w[2], Write::Create { number: 3, data } if data.contains_key("d")));
    }

    #[test]
    fn ids_that_cannot_key_a_configmap_get_a_digest() {
        assert_eq!(
            key_of("0001795608000000-1a2b-3f"),
            "0001795608000000-1a2b-3f"
        );
        let odd = key_of("note from alice/bob");
        assert!(odd.starts_with("sha256.") && odd.len() == 71, "{odd}");
        assert_eq!(odd, key_of("note from alice/bob"));
        assert_ne!(key_of(".."), "..");
    }
}
