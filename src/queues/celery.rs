//! Celery (kombu Redis transport) wire formats: where a message routes and how old it is.
//!
//! Celery protocol 2 carries no send time. A pending message's age is knowable only from an
//! AMQP-style `properties.timestamp` or a `headers.timestamp`/`sent_at` some producers add, or
//! from `headers.eta` once it has passed (the time it has been due). Otherwise: None.

use std::collections::HashMap;

use serde_json::Value as Json;

/// Seconds between when the message was sent (or became due) and `now_ms`, if knowable.
pub fn message_age_secs(raw: &str, now_ms: i64) -> Option<f64> {
    let msg: Json = serde_json::from_str(raw).ok()?;
    let headers = msg.get("headers");
    let props = msg.get("properties");
    let sent = [
        props.and_then(|p| p.get("timestamp")),
        headers.and_then(|h| h.get("timestamp")),
        headers.and_then(|h| h.get("sent_at")),
        headers.and_then(|h| h.get("eta")),
    ]
    .into_iter()
    .flatten()
    .find_map(time_ms)?;
    // A timestamp far out of range (-1e300) saturates rather than overflowing.
    let age = now_ms.saturating_sub(sent) as f64 / 1000.0;
    (age >= 0.0).then_some(age)
}

/// Epoch seconds (number) or an ISO-8601 string (naive strings are UTC, as Celery writes them).
pub fn time_ms(v: &Json) -> Option<i64> {
    match v {
        Json::Number(n) => n.as_f64().map(|s| (s * 1000.0) as i64),
        Json::String(s) => iso_ms(s),
        _ => None,
    }
}

pub fn iso_ms(s: &str) -> Option<i64> {
    if let Ok(ts) = s.parse::<jiff::Timestamp>() {
        return Some(ts.as_millisecond());
    }
    let civil: jiff::civil::DateTime = s.parse().ok()?;
    let ts = civil.to_zoned(jiff::tz::TimeZone::UTC).ok()?.timestamp();
    Some(ts.as_millisecond())
}

/// Kombu's default `visibility_timeout`, seconds.
pub const DEFAULT_VISIBILITY_TIMEOUT_SECS: u64 = 3600;

/// What the `unacked` HASH says about one queue.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Unacked {
    pub count: u64,
    /// Delivery times (ms since epoch) from `unacked_index`, for the entries it scores.
    pub delivered_ms: Vec<i64>,
}

impl Unacked {
    pub fn oldest_delivery_ms(&self) -> Option<i64> {
        self.delivered_ms.iter().copied().min()
    }

    /// Delivered longer than `visibility_timeout_secs` ago: kombu's `restore_visible` hands
    /// these to another worker, so the task may run twice.
    pub fn overdue(&self, now_ms: i64, visibility_timeout_secs: u64) -> u64 {
        let timeout_ms =
            i64::try_from(visibility_timeout_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
        let cutoff = now_ms.saturating_sub(timeout_ms);
        self.delivered_ms.iter().filter(|&&ms| ms < cutoff).count() as u64
    }
}

/// Groups `unacked` entries (delivery_tag -> `[message, exchange, routing_key]`) by routing key,
/// with their delivery times from `unacked_index` (delivery_tag -> delivery time in seconds).
pub fn unacked_by_queue(
    entries: &[(String, String)],
    index: &HashMap<String, f64>,
) -> HashMap<String, Unacked> {
    let mut out: HashMap<String, Unacked> = HashMap::new();
    for (tag, raw) in entries {
        let Some(queue) = routing_key(raw) else {
            continue;
        };
        let slot = out.entry(queue).or_default();
        slot.count += 1;
        if let Some(score) = index.get(tag) {
            slot.delivered_ms.push((score * 1000.0) as i64);
        }
    }
    out
}

fn routing_key(raw: &str) -> Option<String> {
    let v: Json = serde_json::from_str(raw).ok()?;
    let from_tuple = v.get(2).and_then(Json::as_str).filter(|s| !s.is_empty());
    let from_message = || {
        v.get(0)?
            .pointer("/properties/delivery_info/routing_key")?
            .as_str()
    };
    from_tuple.or_else(from_message).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSG: &str = r#"{"body": "W1tdLCB7fSwge31d", "content-encoding": "utf-8",
      "content-type": "application/json",
      "headers": {"lang": "py", "task": "gen.article", "id": "a1", "eta": "2026-11-25T10:00:00.000000+00:00",
                  "retries": 0, "root_id": "a1", "parent_id": null},
      "properties": {"correlation_id": "a1", "delivery_mode": 2,
                     "delivery_info": {"exchange": "", "routing_key": "articles"},
                     "priority": 0, "body_encoding": "base64", "delivery_tag": "t1"}}"#;

    #[test]
    fn age_from_eta() {
        let now = iso_ms("2026-11-25T10:01:00Z").expect("now");
        assert_eq!(message_age_secs(MSG, now), Some(60.0));
        assert_eq!(iso_ms("2026-11-25T10:00:00.000000"), Some(now - 60_000));
    }

    #[test]
    fn no_time_in_message_is_unknown() {
        assert_eq!(message_age_secs(r#"{"headers": {"id": "x"}}"#, 0), None);
    }

    #[test]
    fn unacked_grouped_by_routing_key() {
        let entry = format!(r#"[{MSG}, "", "articles"]"#);
        let other = format!(r#"[{MSG}, "", ""]"#);
        let entries = vec![("t1".to_string(), entry), ("t2".to_string(), other)];
        let index = HashMap::from([("t1".to_string(), 100.5), ("t2".to_string(), 50.0)]);
        let by = unacked_by_queue(&entries, &index);
        let articles = by.get("articles").expect("articles");
        assert_eq!(articles.count, 2);
        assert_eq!(articles.oldest_delivery_ms(), Some(50_000));
        // At t=3700 s with the default timeout, only the one delivered at 50 s is overdue.
        assert_eq!(
            articles.overdue(3_700_000, DEFAULT_VISIBILITY_TIMEOUT_SECS),
            1
        );
        assert_eq!(articles.overdue(3_700_000, 7_200), 0);
    }

    /// Found by the fuzzer: a timestamp of -1e300 overflowed `now - sent` (a panic in debug).
    #[test]
    fn a_timestamp_out_of_range_does_not_overflow() {
        let msg = r#"{"properties":{"timestamp":-1e300}}"#;
        let age = message_age_secs(msg, 1_795_608_000_000).expect("an age");
        assert!(age > 0.0 && age.is_finite(), "{age}");
    }
}
