//! The platform's Redis queues exactly as their libraries store them (REFERENCE.md §5): Celery
//! messages as kombu's Redis transport serialises them, RQ jobs and registries, stream entries
//! read through a consumer group. Builders add commands to a pipeline; the sim's Redis writer
//! and the tests' producers both use them, so there is one copy of each format.

use redis::Pipeline;
use serde_json::json;

/// base64 of `[["topic-1"], {}, {"callbacks": null, "errbacks": null, "chain": null, "chord": null}]`.
const CELERY_BODY: &str = "W1sidG9waWMtMSJdLCB7fSwgeyJjYWxsYmFja3MiOiBudWxsLCAiZXJyYmFja3MiOiBudWxsLCAiY2hhaW4iOiBudWxsLCAiY2hvcmQiOiBudWxsfV0=";

/// kombu's priority list separator (`"{queue}\x06\x16{p}"`).
pub const PRIORITY_SEP: &str = "\x06\x16";

/// One Celery protocol 2 task message.
#[derive(Clone, Copy, Debug)]
pub struct CeleryMessage<'a> {
    pub id: &'a str,
    pub task: &'a str,
    pub queue: &'a str,
    pub priority: u8,
    /// When it is due (`headers.eta`), ISO 8601.
    pub eta: Option<&'a str>,
    /// When the producer sent it (`headers.sent_at`, which some producers add), ISO 8601.
    pub sent_at: Option<&'a str>,
    /// kombu's `delivery_tag` (a uuid in kombu); None is `tag-{id}`.
    pub delivery_tag: Option<&'a str>,
}

impl CeleryMessage<'_> {
    /// The message as kombu's virtual transport stores it (`prepare_message` +
    /// `basic_publish`): body base64, headers, properties with delivery_info and delivery_tag.
    pub fn to_json(&self) -> String {
        let id = self.id;
        let tag = self
            .delivery_tag
            .map_or_else(|| format!("tag-{id}"), str::to_string);
        let mut headers = json!({
            "lang": "py", "task": self.task, "id": id, "shadow": null, "eta": self.eta,
            "expires": null, "group": null, "group_index": null, "retries": 0,
            "timelimit": [null, null], "root_id": id, "parent_id": null,
            "argsrepr": "('topic-1',)", "kwargsrepr": "{}", "origin": "gen1@api-7d9f",
            "ignore_result": false
        });
        if let Some(sent) = self.sent_at {
            headers["sent_at"] = sent.into();
        }
        json!({
            "body": CELERY_BODY,
            "content-encoding": "utf-8",
            "content-type": "application/json",
            "headers": headers,
            "properties": {
                "correlation_id": id, "reply_to": "9a1c2d3e-0000-4000-8000-000000000000",
                "delivery_mode": 2,
                "delivery_info": {"exchange": "", "routing_key": self.queue},
                "priority": self.priority, "body_encoding": "base64", "delivery_tag": tag
            }
        })
        .to_string()
    }
}

/// The list a Celery message of `priority` waits on (kombu `_q_for_pri`; 0 is the bare name).
pub fn celery_list(prefix: &str, queue: &str, priority: u8) -> String {
    if priority == 0 {
        format!("{prefix}{queue}")
    } else {
        format!("{prefix}{queue}{PRIORITY_SEP}{priority}")
    }
}

/// A producer's `LPUSH` onto the queue's list (workers `BRPOP` from the other end).
pub fn celery_publish(pipe: &mut Pipeline, prefix: &str, queue: &str, priority: u8, msg: &str) {
    pipe.cmd("LPUSH")
        .arg(celery_list(prefix, queue, priority))
        .arg(msg)
        .ignore();
}

/// A message a worker took and has not acknowledged, as kombu's `QoS.append` stores it:
/// `unacked_index` delivery time (seconds), `unacked` delivery_tag -> `[message, exchange,
/// routing_key]`. `msg` is the message's JSON text, as it came off the list.
pub fn celery_unacked(
    pipe: &mut Pipeline,
    prefix: &str,
    tag: &str,
    msg: &str,
    queue: &str,
    delivered_at_secs: f64,
) {
    let entry = format!("[{msg}, \"\", {}]", json!(queue));
    pipe.cmd("ZADD")
        .arg(format!("{prefix}unacked_index"))
        .arg(delivered_at_secs)
        .arg(tag)
        .ignore()
        .cmd("HSET")
        .arg(format!("{prefix}unacked"))
        .arg(tag)
        .arg(entry)
        .ignore();
}

/// The worker acknowledged `tag`: kombu's `QoS.ack` removes it from both.
pub fn celery_ack(pipe: &mut Pipeline, prefix: &str, tag: &str) {
    pipe.cmd("HDEL")
        .arg(format!("{prefix}unacked"))
        .arg(tag)
        .ignore()
        .cmd("ZREM")
        .arg(format!("{prefix}unacked_index"))
        .arg(tag)
        .ignore();
}

/// The delivery tag of a message as it came off a Celery list.
pub fn celery_delivery_tag(msg: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(msg).ok()?;
    v.pointer("/properties/delivery_tag")?
        .as_str()
        .map(str::to_string)
}

/// `2026-11-25T10:00:00.000000Z`, as RQ's `utcformat` writes it.
pub fn rq_time(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .strftime("%Y-%m-%dT%H:%M:%S.%6fZ")
        .to_string()
}

/// An enqueued RQ job: the `rq:job:<id>` HASH (the fields RQ writes), the queue registered in
/// `rq:queues`, and its id `RPUSH`ed on the queue (workers `LPOP`).
pub fn rq_enqueue(pipe: &mut Pipeline, queue: &str, id: &str, enqueued_ms: i64) {
    let t = rq_time(enqueued_ms);
    pipe.cmd("HSET")
        .arg(format!("rq:job:{id}"))
        .arg("created_at")
        .arg(&t)
        .arg("enqueued_at")
        .arg(&t)
        .arg("data")
        .arg(b"x\x9c\x03\x00\x00\x00\x00\x01".as_slice())
        .arg("origin")
        .arg(queue)
        .arg("description")
        .arg("publisher.jobs.publish_article('a-1')")
        .arg("status")
        .arg("queued")
        .arg("timeout")
        .arg(180)
        .ignore()
        .cmd("SADD")
        .arg("rq:queues")
        .arg(format!("rq:queue:{queue}"))
        .ignore()
        .cmd("RPUSH")
        .arg(format!("rq:queue:{queue}"))
        .arg(id)
        .ignore();
}

/// A job in one of RQ's registries (`wip`, `failed`, `finished`, `scheduled`): a ZSET scored
/// by time (expiry, or when due).
pub fn rq_registry(pipe: &mut Pipeline, registry: &str, queue: &str, id: &str, score: f64) {
    pipe.cmd("ZADD")
        .arg(format!("rq:{registry}:{queue}"))
        .arg(score)
        .arg(id)
        .ignore();
}

/// A worker as RQ registers it: its HASH and both worker sets.
pub fn rq_worker(pipe: &mut Pipeline, queue: &str, name: &str) {
    let key = format!("rq:worker:{name}");
    pipe.cmd("HSET")
        .arg(&key)
        .arg("queues")
        .arg(queue)
        .arg("state")
        .arg("idle")
        .ignore()
        .cmd("SADD")
        .arg("rq:workers")
        .arg(&key)
        .ignore()
        .cmd("SADD")
        .arg(format!("rq:workers:{queue}"))
        .arg(&key)
        .ignore();
}

/// `XADD key [MAXLEN ~ N] ID competitor acme url ...`: `id` is explicit (`<ms>-0`, or `<ms>-*`
/// for Redis to number it), so the entry's time is the producer's; a long-lived producer trims
/// old entries with `maxlen`.
pub fn stream_add(pipe: &mut Pipeline, key: &str, id: &str, maxlen: Option<u64>) {
    let add = pipe.cmd("XADD").arg(key);
    if let Some(n) = maxlen {
        add.arg("MAXLEN").arg("~").arg(n);
    }
    add.arg(id)
        .arg("competitor")
        .arg("acme")
        .arg("url")
        .arg("https://acme.example/post")
        .ignore();
}

/// The consumer group, reading the stream from its start (and creating the stream).
pub fn stream_group(pipe: &mut Pipeline, key: &str, group: &str) {
    pipe.cmd("XGROUP")
        .arg("CREATE")
        .arg(key)
        .arg(group)
        .arg("0")
        .arg("MKSTREAM")
        .ignore();
}

/// Delivers up to `count` new entries to `consumer` without acknowledging them (they stay
/// pending). The reply (entries with their ids) is kept.
pub fn stream_read(pipe: &mut Pipeline, key: &str, group: &str, consumer: &str, count: usize) {
    pipe.cmd("XREADGROUP")
        .arg("GROUP")
        .arg(group)
        .arg(consumer)
        .arg("COUNT")
        .arg(count)
        .arg("STREAMS")
        .arg(key)
        .arg(">");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn celery_messages_route_and_date_as_the_reader_expects() {
        let msg = CeleryMessage {
            id: "a1",
            task: "gen.article",
            queue: "articles",
            priority: 0,
            eta: None,
            sent_at: Some("2026-11-25T10:00:00.000000+00:00"),
            delivery_tag: Some("d-1"),
        }
        .to_json();
        let now = crate::queues::celery::iso_ms("2026-11-25T10:01:00Z").expect("now");
        assert_eq!(
            crate::queues::celery::message_age_secs(&msg, now),
            Some(60.0)
        );
        assert_eq!(celery_delivery_tag(&msg).as_deref(), Some("d-1"));
        let entry = format!("[{msg}, \"\", {}]", json!("articles"));
        let entries = vec![("d-1".to_string(), entry)];
        let by = crate::queues::celery::unacked_by_queue(&entries, &Default::default());
        assert_eq!(by.get("articles").map(|u| u.count), Some(1));
        assert_eq!(celery_list("p:", "articles", 9), "p:articles\x06\x169");
        assert_eq!(rq_time(1_795_608_000_123), "2026-11-25T12:00:00.123000Z");
    }
}
