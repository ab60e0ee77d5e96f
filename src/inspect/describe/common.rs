//! What every kind's describe shares, as kubectl writes it: times, ages, label and annotation
//! blocks, selectors, tolerations, and the events table.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Event, Toleration};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta, Time};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::out::Out;

/// RFC 1123 with a numeric zone, in UTC: "Wed, 02 Dec 2026 15:52:09 +0000".
pub fn time(t: &Time) -> String {
    t.0.strftime("%a, %d %b %Y %H:%M:%S +0000").to_string()
}

pub fn time_or(t: Option<&Time>, none: &str) -> String {
    t.map_or_else(|| none.to_string(), time)
}

/// kubectl's `HumanDuration`: "45s", "5m30s", "3h", "2d5h".
pub fn human_duration(secs: i64) -> String {
    if secs < -1 {
        return "<invalid>".into();
    }
    let s = secs.max(0);
    if s < 120 {
        return format!("{s}s");
    }
    let minutes = s / 60;
    if minutes < 10 {
        return match s % 60 {
            0 => format!("{minutes}m"),
            r => format!("{minutes}m{r}s"),
        };
    }
    if minutes < 180 {
        return format!("{minutes}m");
    }
    let hours = s / 3600;
    if hours < 8 {
        return match minutes % 60 {
            0 => format!("{hours}h"),
            m => format!("{hours}h{m}m"),
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    if hours < 24 * 8 {
        return match hours % 24 {
            0 => format!("{}d", hours / 24),
            h => format!("{}d{h}h", hours / 24),
        };
    }
    if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    }
    if hours < 24 * 365 * 8 {
        return match (hours / 24) % 365 {
            0 => format!("{}y", hours / 24 / 365),
            d => format!("{}y{d}d", hours / 24 / 365),
        };
    }
    format!("{}y", hours / 24 / 365)
}

/// The age of `t` at `now` (unix seconds); "<unknown>" without a time.
pub fn since(t: Option<&Time>, now: i64) -> String {
    t.map_or_else(
        || "<unknown>".into(),
        |t| human_duration(now - t.0.as_second()),
    )
}

/// "Labels:  a=b" then one "k=v" per line under it (`printLabelsMultiline`); `indent` is the
/// section's own (a pod template's labels are indented by two).
pub fn labels(out: &mut Out, indent: &str, title: &str, map: Option<&BTreeMap<String, String>>) {
    multiline(out, indent, title, map, "=");
}

/// Like labels, with "key: value" (`printAnnotationsMultiline`).
pub fn annotations(out: &mut Out, title: &str, map: Option<&BTreeMap<String, String>>) {
    multiline(out, "", title, map, ": ");
}

fn multiline(
    out: &mut Out,
    indent: &str,
    title: &str,
    map: Option<&BTreeMap<String, String>>,
    sep: &str,
) {
    let entries: Vec<(&String, &String)> = map.into_iter().flatten().collect();
    if entries.is_empty() {
        out.line(0, &format!("{indent}{title}:\t<none>"));
        return;
    }
    for (i, (k, v)) in entries.iter().enumerate() {
        let head = if i == 0 {
            format!("{indent}{title}:")
        } else {
            indent.to_string()
        };
        out.line(0, &format!("{head}\t{k}{sep}{v}"));
    }
}

/// "Name:" and "Namespace:", the first lines of every namespaced kind.
pub fn name_and_namespace(out: &mut Out, meta: &ObjectMeta) {
    out.field(0, "Name", meta_name(meta));
    out.field(0, "Namespace", meta_namespace(meta));
}

/// "CreationTimestamp:".
pub fn created(out: &mut Out, meta: &ObjectMeta) {
    let at = meta.creation_timestamp.as_ref().map(time);
    out.field(0, "CreationTimestamp", at.unwrap_or_default());
}

pub fn meta_name(meta: &ObjectMeta) -> &str {
    meta.name.as_deref().unwrap_or_default()
}

pub fn meta_namespace(meta: &ObjectMeta) -> &str {
    meta.namespace.as_deref().unwrap_or_default()
}

/// A label selector as kubectl prints it: "app=api,tier in (a,b)"; "<none>" when empty.
pub fn selector(sel: Option<&LabelSelector>) -> String {
    let Some(sel) = sel else {
        return "<none>".into();
    };
    let mut parts: Vec<String> = sel
        .match_labels
        .iter()
        .flatten()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    for e in sel.match_expressions.iter().flatten() {
        let values = e.values.clone().unwrap_or_default().join(",");
        parts.push(match e.operator.as_str() {
            "In" => format!("{} in ({values})", e.key),
            "NotIn" => format!("{} notin ({values})", e.key),
            "Exists" => e.key.clone(),
            "DoesNotExist" => format!("!{}", e.key),
            op => format!("{} {op} ({values})", e.key),
        });
    }
    parts.sort();
    if parts.is_empty() {
        "<none>".into()
    } else {
        parts.join(",")
    }
}

pub fn int_or_string(v: Option<&IntOrString>) -> String {
    match v {
        Some(IntOrString::Int(i)) => i.to_string(),
        Some(IntOrString::String(s)) => s.clone(),
        None => "<nil>".into(),
    }
}

/// "Tolerations:  node.kubernetes.io/not-ready:NoExecute op=Exists for 300s" and one per
/// line under it.
pub fn tolerations(out: &mut Out, indent: &str, title: &str, list: Option<&Vec<Toleration>>) {
    let list: Vec<&Toleration> = list.into_iter().flatten().collect();
    if list.is_empty() {
        out.line(0, &format!("{indent}{title}:\t<none>"));
        return;
    }
    for (i, t) in list.iter().enumerate() {
        let head = if i == 0 {
            format!("{indent}{title}:")
        } else {
            indent.to_string()
        };
        let key = t.key.clone().unwrap_or_default();
        let value = t.value.clone().unwrap_or_default();
        let effect = t.effect.clone().unwrap_or_default();
        let mut text = key.clone();
        if !value.is_empty() {
            text += &format!("={value}");
        }
        if !effect.is_empty() {
            text += &format!(":{effect}");
        }
        if t.operator.as_deref() == Some("Exists") && value.is_empty() {
            text += if key.is_empty() && effect.is_empty() {
                "op=Exists"
            } else {
                " op=Exists"
            };
        }
        if let Some(secs) = t.toleration_seconds {
            text += &format!(" for {secs}s");
        }
        out.line(0, &format!("{head}\t{text}"));
    }
}

/// When an event was last seen: its series, its last timestamp, its event time.
fn last_seen(e: &Event) -> Option<i64> {
    e.series
        .as_ref()
        .and_then(|s| s.last_observed_time.as_ref())
        .map(|t| t.0.as_second())
        .or_else(|| e.last_timestamp.as_ref().map(|t| t.0.as_second()))
        .or_else(|| e.event_time.as_ref().map(|t| t.0.as_second()))
}

/// The events table that ends every describe, oldest first (newest last); aligned on its own.
pub fn events(out: &mut Out, events: &super::Listed<Event>, now: i64) {
    let events = match events {
        Ok(list) => list,
        Err(why) => {
            out.field(0, "Events", format!("<unknown: {why}>"));
            return;
        }
    };
    if events.is_empty() {
        out.line(0, "Events:\t<none>");
        return;
    }
    out.flush();
    let mut sorted: Vec<&Event> = events.iter().collect();
    sorted.sort_by_key(|e| last_seen(e));
    out.line(0, "Events:");
    out.line(1, "Type\tReason\tAge\tFrom\tMessage");
    out.line(1, "----\t------\t----\t----\t-------");
    for e in sorted {
        let first = match &e.event_time {
            Some(t) if e.first_timestamp.is_none() => human_duration(now - t.0.as_second()),
            _ => since(e.first_timestamp.as_ref(), now),
        };
        let count = e.count.unwrap_or(0);
        let interval = if let Some(series) = &e.series {
            let last = series
                .last_observed_time
                .as_ref()
                .map_or("<unknown>".into(), |t| {
                    human_duration(now - t.0.as_second())
                });
            format!("{last} (x{} over {first})", series.count.unwrap_or(0))
        } else if count > 1 {
            format!(
                "{} (x{count} over {first})",
                since(e.last_timestamp.as_ref(), now)
            )
        } else {
            first
        };
        let source = e
            .source
            .as_ref()
            .and_then(|s| s.component.clone())
            .filter(|c| !c.is_empty())
            .or_else(|| e.reporting_component.clone())
            .unwrap_or_default();
        out.line(
            1,
            &format!(
                "{}\t{}\t{interval}\t{source}\t{}",
                e.type_.as_deref().unwrap_or_default(),
                e.reason.as_deref().unwrap_or_default(),
                e.message.as_deref().unwrap_or_default().trim()
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_kubectl() {
        assert_eq!(human_duration(45), "45s");
        assert_eq!(human_duration(119), "119s");
        assert_eq!(human_duration(330), "5m30s");
        assert_eq!(human_duration(600), "10m");
        assert_eq!(human_duration(3 * 3600 + 60), "3h1m");
        assert_eq!(human_duration(20 * 3600), "20h");
        assert_eq!(human_duration(2 * 86_400 + 5 * 3600), "2d5h");
        assert_eq!(human_duration(30 * 86_400), "30d");
        assert_eq!(human_duration(-5), "<invalid>");
    }

    #[test]
    fn label_blocks_put_one_pair_per_line() {
        let mut out = Out::default();
        let map: BTreeMap<String, String> = [("b", "2"), ("a", "1")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        labels(&mut out, "", "Labels", Some(&map));
        annotations(&mut out, "Annotations", None);
        assert_eq!(
            out.finish(),
            [
                "Labels:       a=1",
                "              b=2",
                "Annotations:  <none>"
            ]
        );
    }
}
