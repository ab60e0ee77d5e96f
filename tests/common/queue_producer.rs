//! Writes queue data in the exact wire formats Celery (kombu's Redis transport), RQ and Redis
//! stream consumers use, so the readers are tested against what those libraries really store.
#![allow(dead_code)]

use redis::aio::MultiplexedConnection;
use serde_json::json;

/// base64 of `[["topic-1"], {}, {"callbacks": null, "errbacks": null, "chain": null, "chord": null}]`.
const CELERY_BODY: &str = "W1sidG9waWMtMSJdLCB7fSwgeyJjYWxsYmFja3MiOiBudWxsLCAiZXJyYmFja3MiOiBudWxsLCAiY2hhaW4iOiBudWxsLCAiY2hvcmQiOiBudWxsfV0=";

pub async fn conn(url: &str) -> MultiplexedConnection {
    redis::Client::open(url)
        .expect("client")
        .get_multiplexed_async_connection()
        .await
        .expect("producer connects")
}

/// A Celery protocol 2 message as kombu's virtual transport serialises it (`prepare_message` +
/// `basic_publish`): body base64, headers, properties with delivery_info and delivery_tag.
pub fn celery_message(
    id: &str,
    task: &str,
    queue: &str,
    priority: u8,
    eta: Option<&str>,
) -> String {
    json!({
        "body": CELERY_BODY,
        "content-encoding": "utf-8",
        "content-type": "application/json",
        "headers": {
            "lang": "py", "task": task, "id": id, "shadow": null, "eta": eta, "expires": null,
            "group": null, "group_index": null, "retries": 0, "timelimit": [null, null],
            "root_id": id, "parent_id": null, "argsrepr": "('topic-1',)", "kwargsrepr": "{}",
            "origin": "gen1@api-7d9f", "ignore_result": false
        },
        "properties": {
            "correlation_id": id, "reply_to": "9a1c2d3e-0000-4000-8000-000000000000",
            "delivery_mode": 2,
            "delivery_info": {"exchange": "", "routing_key": queue},
            "priority": priority, "body_encoding": "base64", "delivery_tag": format!("tag-{id}")
        }
    })
    .to_string()
}

/// `LPUSH` onto the queue list, or its priority list `"{queue}\x06\x16{p}"` (kombu `_q_for_pri`).
pub async fn celery_publish(
    c: &mut MultiplexedConnection,
    prefix: &str,
    queue: &str,
    priority: u8,
    msg: &str,
) {
    let key = if priority == 0 {
        format!("{prefix}{queue}")
    } else {
        format!("{prefix}{queue}\x06\x16{priority}")
    };
    let _: () = redis::cmd("LPUSH")
        .arg(key)
        .arg(msg)
        .query_async(c)
        .await
        .expect("lpush");
}

/// A delivered, unacked message as kombu's QoS.append stores it: `unacked_index` delivery time,
/// `unacked` delivery_tag -> `[message, exchange, routing_key]`.
pub async fn celery_unacked(
    c: &mut MultiplexedConnection,
    prefix: &str,
    tag: &str,
    msg: &str,
    queue: &str,
    delivered_at_secs: f64,
) {
    let raw: serde_json::Value = serde_json::from_str(msg).expect("json");
    let entry = json!([raw, "", queue]).to_string();
    let _: () = redis::pipe()
        .cmd("ZADD")
        .arg(format!("{prefix}unacked_index"))
        .arg(delivered_at_secs)
        .arg(tag)
        .ignore()
        .cmd("HSET")
        .arg(format!("{prefix}unacked"))
        .arg(tag)
        .arg(entry)
        .ignore()
        .query_async(c)
        .await
        .expect("unacked");
}

/// `2026-11-25T10:00:00.000000Z`, as RQ's `utcformat` writes it.
pub fn rq_time(ms: i64) -> String {
    let ts = jiff::Timestamp::from_millisecond(ms).expect("ts");
    ts.strftime("%Y-%m-%dT%H:%M:%S.%6fZ").to_string()
}

/// An enqueued RQ job: the `rq:job:<id>` HASH (fields RQ writes) and its id `RPUSH`ed on the queue.
pub async fn rq_enqueue(c: &mut MultiplexedConnection, queue: &str, id: &str, enqueued_ms: i64) {
    let t = rq_time(enqueued_ms);
    let _: () = redis::pipe()
        .cmd("HSET")
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
        .ignore()
        .query_async(c)
        .await
        .expect("rq enqueue");
}

/// A job in one of RQ's registries (`wip`, `failed`, `scheduled`): a ZSET scored by time.
pub async fn rq_registry(
    c: &mut MultiplexedConnection,
    registry: &str,
    queue: &str,
    id: &str,
    score: f64,
) {
    let _: () = redis::cmd("ZADD")
        .arg(format!("rq:{registry}:{queue}"))
        .arg(score)
        .arg(id)
        .query_async(c)
        .await
        .expect("zadd");
}

pub async fn rq_worker(c: &mut MultiplexedConnection, queue: &str, name: &str) {
    let key = format!("rq:worker:{name}");
    let _: () = redis::pipe()
        .cmd("HSET")
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
        .ignore()
        .query_async(c)
        .await
        .expect("rq worker");
}

/// `XADD key <ms>-0 ...` with an explicit id, so the entry's time is known.
pub async fn stream_add(c: &mut MultiplexedConnection, key: &str, ms: i64) {
    let _: String = redis::cmd("XADD")
        .arg(key)
        .arg(format!("{ms}-0"))
        .arg("competitor")
        .arg("acme")
        .arg("url")
        .arg("https://acme.example/post")
        .query_async(c)
        .await
        .expect("xadd");
}

pub async fn stream_group(c: &mut MultiplexedConnection, key: &str, group: &str) {
    let _: () = redis::cmd("XGROUP")
        .arg("CREATE")
        .arg(key)
        .arg(group)
        .arg("0")
        .arg("MKSTREAM")
        .query_async(c)
        .await
        .expect("xgroup");
}

/// Delivers `count` new entries to `consumer` without acknowledging them (they stay pending).
pub async fn stream_read(
    c: &mut MultiplexedConnection,
    key: &str,
    group: &str,
    consumer: &str,
    count: usize,
) {
    let _: redis::Value = redis::cmd("XREADGROUP")
        .arg("GROUP")
        .arg(group)
        .arg(consumer)
        .arg("COUNT")
        .arg(count)
        .arg("STREAMS")
        .arg(key)
        .arg(">")
        .query_async(c)
        .await
        .expect("xreadgroup");
}
