//! One queue's mirror in Redis: what the world says now (`Seen`, copied under its lock), where
//! the writer stands (`Cursor`), and the commands that close the gap: push what arrived, take
//! what the workers took, keep as many unacked as the world holds, acknowledge the rest.

use std::collections::VecDeque;

use redis::{Pipeline, Value};

use super::wire;
use crate::config::QueueKind;
use crate::queues::value::{as_items, as_string};
use crate::sim::util::{Rng, mix};
use crate::sim::world::queues::SimQueue;

/// At most this many messages pushed, and taken, per queue and tick (a refill after an outage
/// spreads over ticks).
pub const MAX_PER_TICK: u64 = 500;
/// The stream's consumer group (PLATFORM.md).
pub const STREAM_GROUP: &str = "analyzers";
/// `XADD MAXLEN ~`: old, read entries are trimmed as producers do.
const STREAM_MAXLEN: u64 = 100_000;
/// RQ's defaults: finished jobs kept 500 s, failed ones a year, a started job's registry entry
/// expires after its 180 s timeout plus a minute, a worker's key after 420 s without heartbeat.
const RQ_RESULT_TTL: i64 = 500;
const RQ_FAILURE_TTL: f64 = 31_536_000.0;
const RQ_STARTED_TTL: f64 = 240.0;
const RQ_WORKER_TTL: i64 = 420;

/// One queue as the world has it at `now_ms`, with the arrival times of the next messages to
/// push (from the cursor's `pushed`, at most [`MAX_PER_TICK`]).
#[derive(Clone, Debug)]
pub struct Seen {
    pub name: std::borrow::Cow<'static, str>,
    pub kind: QueueKind,
    /// The consumer's app (the deployment's name): RQ worker and stream consumer names.
    pub app: &'static str,
    pub processed: u64,
    pub unacked: u64,
    pub consumers: u32,
    pub failed: u64,
    pub arrivals_ms: Vec<i64>,
    pub now_ms: i64,
}

impl Seen {
    /// Reads `q` for a cursor that has pushed `pushed` messages.
    pub fn of(q: &SimQueue, pushed: u64, now_ms: i64) -> Seen {
        let (enqueued, processed) = q.totals();
        let due = enqueued.saturating_sub(pushed).min(MAX_PER_TICK);
        let arrivals_ms = (pushed + 1..=pushed + due)
            .map(|n| q.arrival_ms(n).unwrap_or(now_ms))
            .collect();
        Seen {
            name: q.name.clone(),
            kind: q.kind,
            app: q.consumer.rsplit('/').next().unwrap_or(q.consumer),
            processed,
            unacked: q.unacked(),
            consumers: q.consumers(),
            failed: q.failed(),
            arrivals_ms,
            now_ms,
        }
    }

    fn now_secs(&self) -> f64 {
        self.now_ms as f64 / 1000.0
    }

    /// The name of consumer `i` (an RQ worker, a stream group member).
    fn consumer_name(&self, i: u32) -> String {
        format!("{}-{i}", self.app)
    }
}

/// Where the writer stands in one queue.
#[derive(Clone, Debug, Default)]
pub struct Cursor {
    /// Distinguishes this run's message ids from an earlier sim's.
    pub run: u64,
    pub pushed: u64,
    pub popped: u64,
    /// Taken and not yet acknowledged, oldest first: delivery tags, job ids or entry ids.
    pub in_flight: VecDeque<String>,
    pub failed: u64,
    /// Consumers registered in Redis (RQ workers, stream group members).
    pub consumers: u32,
}

impl Cursor {
    /// A cursor for a Redis just reset: the messages already taken are history; the ones
    /// waiting are pushed again from the next tick on.
    pub fn reset(run: u64, processed: u64) -> Cursor {
        Cursor {
            run,
            pushed: processed,
            popped: processed,
            ..Cursor::default()
        }
    }

    /// A uuid-shaped id for message `n` of queue `name`, stable within the run.
    fn message_id(&self, name: &str, n: u64) -> String {
        let seed = name
            .bytes()
            .fold(self.run ^ n, |h, b| mix(h ^ u64::from(b)));
        Rng(seed).uid()
    }

    /// kombu's delivery tag for message `n` of queue `name` (the `unacked` hash is shared by
    /// every queue, so tags must not repeat across them).
    fn delivery_tag(&self, name: &str, n: u64) -> String {
        self.message_id(&format!("{name}/delivery"), n)
    }
}

/// The keys the sim owns for `kind` queue `name`: deleted when the writer (re)connects.
pub fn owned_keys(kind: QueueKind, name: &str) -> Vec<String> {
    match kind {
        QueueKind::Celery => [0, 3, 6, 9]
            .map(|p| wire::celery_list("", name, p))
            .into_iter()
            .chain(["unacked".into(), "unacked_index".into()])
            .collect(),
        QueueKind::Rq => ["queue", "wip", "failed", "finished", "scheduled", "workers"]
            .map(|r| format!("rq:{r}:{name}"))
            .into_iter()
            .chain(["rq:workers".into()])
            .collect(),
        QueueKind::Stream => vec![name.to_string()],
        QueueKind::Rabbitmq => vec![],
    }
}

/// Trip 1: push what arrived since the cursor, take what the workers took, keep consumers
/// registered. Returns whether a take's reply comes back (the only replies kept).
pub fn push_and_take(pipe: &mut Pipeline, s: &Seen, c: &mut Cursor) -> bool {
    push(pipe, s, c);
    register_consumers(pipe, s, c);
    let n = s
        .processed
        .min(c.pushed)
        .saturating_sub(c.popped)
        .min(MAX_PER_TICK);
    if n == 0 {
        return false;
    }
    // What the world took is taken, whether or not Redis still had it.
    c.popped += n;
    match s.kind {
        QueueKind::Celery => {
            pipe.cmd("RPOP")
                .arg(wire::celery_list("", &s.name, 0))
                .arg(n);
        }
        QueueKind::Rq => {
            pipe.cmd("LPOP").arg(format!("rq:queue:{}", s.name)).arg(n);
        }
        QueueKind::Stream if c.consumers > 0 => {
            let usize_n = usize::try_from(n).unwrap_or(usize::MAX);
            wire::stream_read(pipe, &s.name, STREAM_GROUP, &s.consumer_name(0), usize_n);
        }
        QueueKind::Stream | QueueKind::Rabbitmq => return false,
    }
    true
}

fn push(pipe: &mut Pipeline, s: &Seen, c: &mut Cursor) {
    for &at_ms in &s.arrivals_ms {
        c.pushed += 1;
        let id = c.message_id(&s.name, c.pushed);
        match s.kind {
            QueueKind::Celery => {
                let sent = celery_time(at_ms);
                let msg = wire::CeleryMessage {
                    id: &id,
                    task: celery_task(&s.name),
                    queue: &s.name,
                    priority: 0,
                    eta: None,
                    sent_at: Some(&sent),
                    delivery_tag: Some(&c.delivery_tag(&s.name, c.pushed)),
                };
                wire::celery_publish(pipe, "", &s.name, 0, &msg.to_json());
            }
            QueueKind::Rq => {
                wire::rq_enqueue(pipe, &s.name, &id, at_ms);
                pipe.cmd("EXPIRE")
                    .arg(format!("rq:job:{id}"))
                    .arg(86_400)
                    .ignore();
            }
            QueueKind::Stream => {
                wire::stream_add(pipe, &s.name, &format!("{at_ms}-*"), Some(STREAM_MAXLEN));
            }
            QueueKind::Rabbitmq => {}
        }
    }
}

/// RQ workers (with their heartbeat) and stream group members, one per ready consumer pod.
fn register_consumers(pipe: &mut Pipeline, s: &Seen, c: &mut Cursor) {
    match s.kind {
        QueueKind::Rq => {
            for i in 0..s.consumers {
                let name = s.consumer_name(i);
                wire::rq_worker(pipe, &s.name, &name);
                pipe.cmd("EXPIRE")
                    .arg(format!("rq:worker:{name}"))
                    .arg(RQ_WORKER_TTL)
                    .ignore();
            }
            for i in s.consumers..c.consumers {
                let key = format!("rq:worker:{}", s.consumer_name(i));
                pipe.cmd("SREM").arg("rq:workers").arg(&key).ignore();
                pipe.cmd("SREM")
                    .arg(format!("rq:workers:{}", s.name))
                    .arg(&key)
                    .ignore();
                pipe.cmd("DEL").arg(&key).ignore();
            }
            pipe.cmd("ZREMRANGEBYSCORE")
                .arg(format!("rq:finished:{}", s.name))
                .arg("-inf")
                .arg(s.now_secs())
                .ignore();
        }
        QueueKind::Stream => {
            for i in c.consumers..s.consumers {
                group_member(pipe, s, "CREATECONSUMER", i);
            }
            for i in s.consumers..c.consumers {
                // Its pending entries go with it: the world holds none without consumers.
                group_member(pipe, s, "DELCONSUMER", i);
                if i == 0 {
                    c.in_flight.clear();
                }
            }
        }
        QueueKind::Celery | QueueKind::Rabbitmq => {}
    }
    c.consumers = s.consumers;
}

/// `XGROUP CREATECONSUMER|DELCONSUMER stream analyzers NAME` for consumer `i`.
fn group_member(pipe: &mut Pipeline, s: &Seen, verb: &str, i: u32) {
    pipe.cmd("XGROUP")
        .arg(verb)
        .arg(&*s.name)
        .arg(STREAM_GROUP)
        .arg(s.consumer_name(i))
        .ignore();
}

/// Trip 2, for a take's reply: the taken messages become unacked (Celery's `unacked`, RQ's
/// started registry; a stream's are pending already).
pub fn deliver(pipe: &mut Pipeline, s: &Seen, c: &mut Cursor, reply: &Value) {
    match s.kind {
        QueueKind::Celery => {
            for raw in as_items(reply).iter().filter_map(as_string) {
                let Some(tag) = wire::celery_delivery_tag(&raw) else {
                    continue;
                };
                wire::celery_unacked(pipe, "", &tag, &raw, &s.name, s.now_secs());
                c.in_flight.push_back(tag);
            }
        }
        QueueKind::Rq => {
            for id in as_items(reply).iter().filter_map(as_string) {
                let score = s.now_secs() + RQ_STARTED_TTL;
                wire::rq_registry(pipe, "wip", &s.name, &id, score);
                pipe.cmd("HSET")
                    .arg(format!("rq:job:{id}"))
                    .arg("status")
                    .arg("started")
                    .arg("started_at")
                    .arg(wire::rq_time(s.now_ms))
                    .arg("worker_name")
                    .arg(s.consumer_name(0))
                    .ignore();
                c.in_flight.push_back(id);
            }
        }
        QueueKind::Stream => c.in_flight.extend(stream_ids(reply)),
        QueueKind::Rabbitmq => {}
    }
}

/// The entry ids of an `XREADGROUP` reply: `[[key, [[id, [field, value, ...]], ...]]]`.
fn stream_ids(reply: &Value) -> Vec<String> {
    as_items(reply)
        .iter()
        .flat_map(|stream| as_items(stream).get(1).map(as_items).unwrap_or_default())
        .filter_map(|entry| as_items(entry).first().and_then(as_string))
        .collect()
}

/// Trip 2: acknowledge the oldest taken messages beyond what the world holds unacked.
pub fn acknowledge(pipe: &mut Pipeline, s: &Seen, c: &mut Cursor) {
    let excess = c
        .in_flight
        .len()
        .saturating_sub(usize::try_from(s.unacked).unwrap_or(usize::MAX));
    let done: Vec<String> = c.in_flight.drain(..excess).collect();
    if done.is_empty() {
        return;
    }
    match s.kind {
        QueueKind::Celery => done.iter().for_each(|tag| wire::celery_ack(pipe, "", tag)),
        QueueKind::Rq => done.iter().for_each(|id| finish_job(pipe, s, c, id)),
        QueueKind::Stream => {
            pipe.cmd("XACK")
                .arg(&*s.name)
                .arg(STREAM_GROUP)
                .arg(&done)
                .ignore();
        }
        QueueKind::Rabbitmq => {}
    }
}

/// A started RQ job ends: failed while the world counts more failures than written, else
/// finished (kept `result_ttl`).
fn finish_job(pipe: &mut Pipeline, s: &Seen, c: &mut Cursor, id: &str) {
    let job = format!("rq:job:{id}");
    pipe.cmd("ZREM")
        .arg(format!("rq:wip:{}", s.name))
        .arg(id)
        .ignore();
    let ended = wire::rq_time(s.now_ms);
    if c.failed < s.failed {
        c.failed += 1;
        wire::rq_registry(pipe, "failed", &s.name, id, s.now_secs() + RQ_FAILURE_TTL);
        pipe.cmd("HSET")
            .arg(&job)
            .arg("status")
            .arg("failed")
            .arg("ended_at")
            .arg(&ended)
            .arg("exc_info")
            .arg("publisher.errors.PublishError: WordPress answered 502 Bad Gateway")
            .ignore();
        return;
    }
    let expires = s.now_secs() + RQ_RESULT_TTL as f64;
    wire::rq_registry(pipe, "finished", &s.name, id, expires);
    pipe.cmd("HSET")
        .arg(&job)
        .arg("status")
        .arg("finished")
        .arg("ended_at")
        .arg(&ended)
        .ignore();
    pipe.cmd("EXPIRE").arg(&job).arg(RQ_RESULT_TTL).ignore();
}

/// The Celery task each queue carries.
fn celery_task(queue: &str) -> &'static str {
    match queue {
        "articles" => "contentgen.tasks.generate_article",
        "fact_checks" => "contentgen.tasks.check_facts",
        _ => "contentgen.tasks.analyze_topics",
    }
}

/// An ISO 8601 UTC time, as Celery writes `eta`.
fn celery_time(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .strftime("%Y-%m-%dT%H:%M:%S.%6f+00:00")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(kind: QueueKind, unacked: u64) -> Seen {
        Seen {
            name: "articles".into(),
            kind,
            app: "article-generator",
            processed: 0,
            unacked,
            consumers: 1,
            failed: 0,
            arrivals_ms: vec![],
            now_ms: 1_795_608_000_000,
        }
    }

    #[test]
    fn ids_and_delivery_tags_never_repeat_across_queues_or_messages() {
        let c = Cursor::reset(7, 0);
        let mut all = std::collections::HashSet::new();
        for name in ["articles", "fact_checks", "topics"] {
            for n in 1..=100 {
                assert!(all.insert(c.message_id(name, n)));
                assert!(all.insert(c.delivery_tag(name, n)));
            }
        }
        assert_eq!(
            c.message_id("articles", 1),
            Cursor::reset(7, 0).message_id("articles", 1)
        );
    }

    #[test]
    fn the_excess_over_the_worlds_unacked_is_acknowledged_oldest_first() {
        let mut c = Cursor::reset(7, 0);
        c.in_flight = ["a", "b", "c", "d"].map(String::from).into();
        let mut pipe = redis::pipe();
        acknowledge(&mut pipe, &seen(QueueKind::Celery, 2), &mut c);
        assert_eq!(c.in_flight, ["c", "d"]);
        assert_eq!(
            pipe.len(),
            4,
            "HDEL unacked and ZREM unacked_index, for a and b"
        );
        acknowledge(&mut pipe, &seen(QueueKind::Celery, 2), &mut c);
        assert_eq!(pipe.len(), 4, "nothing more to acknowledge");
    }

    #[test]
    fn stream_entry_ids_come_from_an_xreadgroup_reply() {
        let bulk = |s: &str| Value::BulkString(s.as_bytes().to_vec());
        let entry =
            |id: &str| Value::Array(vec![bulk(id), Value::Array(vec![bulk("k"), bulk("v")])]);
        let reply = Value::Array(vec![Value::Array(vec![
            bulk("events:competitors"),
            Value::Array(vec![entry("1-0"), entry("2-0")]),
        ])]);
        assert_eq!(stream_ids(&reply), ["1-0", "2-0"]);
        assert!(stream_ids(&Value::Nil).is_empty());
    }
}
