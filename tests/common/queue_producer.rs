//! Writes queue data in the exact wire formats Celery (kombu's Redis transport), RQ and Redis
//! stream consumers use, so the readers are tested against what those libraries really store.
//! The formats live in `opsdeck::sim::redis::wire` (the sim's Redis writer uses them too); these
//! are one-command conveniences that fail the test on a Redis error.
#![allow(dead_code)]

use opsdeck::sim::redis::wire;
use redis::aio::MultiplexedConnection;

pub async fn conn(url: &str) -> MultiplexedConnection {
    redis::Client::open(url)
        .expect("client")
        .get_multiplexed_async_connection()
        .await
        .expect("producer connects")
}

/// Runs `build`'s commands in one pipeline; `what` names them when Redis refuses.
async fn run(c: &mut MultiplexedConnection, what: &str, build: impl FnOnce(&mut redis::Pipeline)) {
    let mut pipe = redis::pipe();
    build(&mut pipe);
    let _: redis::Value = pipe
        .query_async(c)
        .await
        .unwrap_or_else(|e| panic!("{what}: {e}"));
}

/// A Celery protocol 2 message as kombu's virtual transport serialises it.
pub fn celery_message(
    id: &str,
    task: &str,
    queue: &str,
    priority: u8,
    eta: Option<&str>,
) -> String {
    wire::CeleryMessage {
        id,
        task,
        queue,
        priority,
        eta,
        sent_at: None,
        delivery_tag: None,
    }
    .to_json()
}

/// `LPUSH` onto the queue list, or its priority list `"{queue}\x06\x16{p}"` (kombu `_q_for_pri`).
pub async fn celery_publish(
    c: &mut MultiplexedConnection,
    prefix: &str,
    queue: &str,
    priority: u8,
    msg: &str,
) {
    run(c, "lpush", |p| {
        wire::celery_publish(p, prefix, queue, priority, msg);
    })
    .await;
}

/// A delivered, unacked message as kombu's QoS.append stores it.
pub async fn celery_unacked(
    c: &mut MultiplexedConnection,
    prefix: &str,
    tag: &str,
    msg: &str,
    queue: &str,
    delivered_at_secs: f64,
) {
    run(c, "unacked", |p| {
        wire::celery_unacked(p, prefix, tag, msg, queue, delivered_at_secs);
    })
    .await;
}

/// An enqueued RQ job: the `rq:job:<id>` HASH and its id `RPUSH`ed on the queue.
pub async fn rq_enqueue(c: &mut MultiplexedConnection, queue: &str, id: &str, enqueued_ms: i64) {
    run(c, "rq enqueue", |p| {
        wire::rq_enqueue(p, queue, id, enqueued_ms)
    })
    .await;
}

/// A job in one of RQ's registries (`wip`, `failed`, `scheduled`): a ZSET scored by time.
pub async fn rq_registry(
    c: &mut MultiplexedConnection,
    registry: &str,
    queue: &str,
    id: &str,
    score: f64,
) {
    run(c, "zadd", |p| {
        wire::rq_registry(p, registry, queue, id, score)
    })
    .await;
}

pub async fn rq_worker(c: &mut MultiplexedConnection, queue: &str, name: &str) {
    run(c, "rq worker", |p| wire::rq_worker(p, queue, name)).await;
}

/// `XADD key <ms>-0 ...` with an explicit id, so the entry's time is known.
pub async fn stream_add(c: &mut MultiplexedConnection, key: &str, ms: i64) {
    run(c, "xadd", |p| {
        wire::stream_add(p, key, &format!("{ms}-0"), None)
    })
    .await;
}

pub async fn stream_group(c: &mut MultiplexedConnection, key: &str, group: &str) {
    run(c, "xgroup", |p| wire::stream_group(p, key, group)).await;
}

/// Delivers `count` new entries to `consumer` without acknowledging them (they stay pending).
pub async fn stream_read(
    c: &mut MultiplexedConnection,
    key: &str,
    group: &str,
    consumer: &str,
    count: usize,
) {
    run(c, "xreadgroup", |p| {
        wire::stream_read(p, key, group, consumer, count);
    })
    .await;
}
