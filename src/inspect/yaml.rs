//! An object as YAML, the way `kubectl get -o yaml` prints it: keys sorted, managed fields
//! left out unless asked for.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

/// A JSON value whose maps keep their keys sorted, whatever serde_json's features are.
#[derive(Serialize)]
#[serde(untagged)]
enum Sorted<'a> {
    Map(BTreeMap<&'a str, Sorted<'a>>),
    List(Vec<Sorted<'a>>),
    Leaf(&'a Value),
}

fn sorted(v: &Value) -> Sorted<'_> {
    match v {
        Value::Object(m) => Sorted::Map(m.iter().map(|(k, v)| (k.as_str(), sorted(v))).collect()),
        Value::Array(a) => Sorted::List(a.iter().map(sorted).collect()),
        leaf => Sorted::Leaf(leaf),
    }
}

/// The YAML lines of `object`; `managed`: keep `metadata.managedFields`.
pub fn to_yaml(object: &Value, managed: bool) -> Vec<String> {
    let mut object = object.clone();
    if !managed && let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("managedFields");
    }
    match serde_saphyr::to_string(&sorted(&object)) {
        Ok(text) => text.lines().map(str::to_string).collect(),
        Err(e) => vec![format!("# could not write YAML: {e}")],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_sorted_and_managed_fields_hidden_unless_asked() {
        let obj = serde_json::json!({
            "kind": "Pod", "apiVersion": "v1",
            "metadata": {"name": "p", "managedFields": [{"manager": "kubectl"}]},
            "spec": {"containers": [{"name": "c", "image": "i:1"}]},
        });
        let lines = to_yaml(&obj, false);
        assert_eq!(lines[0], "apiVersion: v1");
        assert_eq!(lines[1], "kind: Pod");
        assert!(
            !lines.iter().any(|l| l.contains("managedFields")),
            "{lines:?}"
        );
        assert!(lines.iter().any(|l| l.contains("image: i:1")), "{lines:?}");
        assert!(
            to_yaml(&obj, true)
                .iter()
                .any(|l| l.contains("managedFields"))
        );
    }
}
