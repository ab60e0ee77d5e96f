//! kubectl's generic describer, for kinds without their own (an Event): name, namespace,
//! labels, annotations, then every field of the object, sorted, with kubectl's labels
//! ("involvedObject" reads "Involved Object").

use std::collections::BTreeMap;

use serde_json::Value;

use super::common::{annotations, events, labels};
use super::out::Out;

const SKIP: [&str; 5] = [
    ".metadata.managedFields",
    ".metadata.name",
    ".metadata.namespace",
    ".metadata.labels",
    ".metadata.annotations",
];

pub fn describe(obj: &Value, now: i64) -> Vec<String> {
    let mut out = Out::default();
    let meta = &obj["metadata"];
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let map = |v: &Value| -> BTreeMap<String, String> {
        v.as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), text(v)))
            .collect()
    };
    out.field(0, "Name", text(&meta["name"]));
    out.field(0, "Namespace", text(&meta["namespace"]));
    labels(&mut out, "", "Labels", Some(&map(&meta["labels"])));
    annotations(&mut out, "Annotations", Some(&map(&meta["annotations"])));
    if let Some(fields) = obj.as_object() {
        content(&mut out, 0, fields, "");
    }
    events(&mut out, &Ok(vec![]), now);
    out.finish()
}

fn content(out: &mut Out, level: usize, fields: &serde_json::Map<String, Value>, path: &str) {
    let mut keys: Vec<&String> = fields.keys().collect();
    keys.sort();
    for key in keys {
        let here = format!("{path}.{key}");
        if SKIP.contains(&here.as_str()) {
            continue;
        }
        match &fields[key] {
            Value::Object(inner) => {
                out.line(level, &format!("{}:", smart_label(key)));
                content(out, level + 1, inner, &here);
            }
            Value::Array(items) => {
                out.line(level, &format!("{}:", smart_label(key)));
                for item in items {
                    match item {
                        Value::Object(inner) => content(out, level + 1, inner, &here),
                        other => out.line(level + 1, &scalar(other)),
                    }
                }
            }
            other => out.field(level, &smart_label(key), scalar(other)),
        }
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Null => "<nil>".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// "involvedObject" -> "Involved Object", "apiVersion" -> "API Version", "uid" -> "UID";
/// names with other than letters and '-' stay as they are.
pub fn smart_label(field: &str) -> String {
    if field.chars().any(|c| !c.is_alphabetic() && c != '-') {
        return field.to_string();
    }
    const ACRONYMS: [&str; 5] = ["API", "URL", "UID", "OSB", "GUID"];
    camel_split(field)
        .into_iter()
        .map(|part| {
            let upper = part.to_uppercase();
            if ACRONYMS.contains(&upper.as_str()) {
                upper
            } else {
                title(&part)
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Go's `strings.Title`: each letter that follows a non-letter is upper-cased.
fn title(s: &str) -> String {
    let mut prev_letter = false;
    s.chars()
        .flat_map(|c| {
            let up = !prev_letter && c.is_alphabetic();
            prev_letter = c.is_alphabetic();
            let mapped: Vec<char> = if up {
                c.to_uppercase().collect()
            } else {
                vec![c]
            };
            mapped
        })
        .collect()
}

/// Splits at case changes, keeping runs of capitals together ("HTTPServer" -> HTTP, Server).
fn camel_split(s: &str) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    let mut parts: Vec<String> = vec![];
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).map(|p| chars[p]);
        let next = chars.get(i + 1);
        let boundary = match prev {
            Some(p) if p.is_lowercase() && c.is_uppercase() => true,
            Some(p) if p.is_uppercase() && c.is_uppercase() => {
                next.is_some_and(|n| n.is_lowercase())
            }
            _ => false,
        };
        if boundary && !cur.is_empty() {
            parts.push(std::mem::take(&mut cur));
        }
        cur.push(c);
    }
    if !cur.is_empty() {
        parts.push(cur);
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_read_like_kubectl() {
        assert_eq!(smart_label("involvedObject"), "Involved Object");
        assert_eq!(smart_label("apiVersion"), "API Version");
        assert_eq!(smart_label("uid"), "UID");
        assert_eq!(smart_label("HTTPServer"), "HTTP Server");
        assert_eq!(smart_label("pod-template-hash"), "Pod-Template-Hash");
        assert_eq!(smart_label("a.b"), "a.b");
    }

    #[test]
    fn an_event_is_described_field_by_field() {
        let obj = serde_json::json!({
            "apiVersion": "v1", "kind": "Event", "count": 5,
            "metadata": {"name": "e1", "namespace": "ns", "uid": "u-1",
                         "managedFields": [{"manager": "x"}]},
            "involvedObject": {"kind": "Pod", "name": "p"},
            "eventTime": null,
        });
        let text = describe(&obj, 0).join("\n");
        assert!(
            text.contains("Involved Object:\n  Kind:  Pod\n  Name:  p"),
            "{text}"
        );
        assert!(text.contains("Event Time:   <nil>") || text.contains("Event Time:"));
        assert!(text.contains("UID:"), "{text}");
        assert!(
            !text.contains("Manager"),
            "managed fields are skipped: {text}"
        );
        assert!(text.ends_with("Events:  <none>"), "{text}");
    }
}
