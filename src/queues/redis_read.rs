//! One refresh of every Redis-backed queue on one connection: two pipelined round trips at most.
//!
//! Trip 1 reads every depth, registry size, stream group and Celery's `unacked` bookkeeping.
//! Trip 2 (only when needed) reads what trip 1 pointed at: the enqueue time of each RQ queue's
//! oldest job and each stream group's oldest undelivered entry.

use std::collections::HashMap;

use redis::{Pipeline, Value, aio::MultiplexedConnection};

use super::celery::{self, Unacked};
use super::model::QueueSample;
use super::value::{as_f64, as_items, as_pairs, as_string, as_u64, field, stream_id_ms};
use crate::config::{QueueConfig, QueueKind};

/// Celery's priority list separator and steps (kombu `PRIORITY_STEPS` = 0, 3, 6, 9).
const PRIORITY_SEP: &str = "\x06\x16";
const PRIORITIES: [u8; 3] = [3, 6, 9];

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    Redis(#[from] redis::RedisError),
    #[error("authentication failed: {0}")]
    Auth(String),
}

/// The samples of one refresh and how many round trips it took.
#[derive(Clone, Debug, PartialEq)]
pub struct Refresh {
    pub samples: Vec<QueueSample>,
    pub round_trips: u32,
}

/// Where in trip 1's replies one queue's answers start.
enum Slot {
    Celery { at: usize },
    Rq { at: usize },
    Stream { at: usize, grouped: bool },
}

const CELERY_CMDS: usize = 8;
const RQ_CMDS: usize = 6;

/// Reads every queue in `queues` (Redis kinds only; others are ignored) at `now_ms`.
pub async fn sample_once(
    conn: &mut MultiplexedConnection,
    queues: &[QueueConfig],
    now_ms: i64,
) -> Result<Refresh, ReadError> {
    let queues: Vec<&QueueConfig> = queues
        .iter()
        .filter(|q| q.kind != QueueKind::Rabbitmq)
        .collect();
    let (pipe, slots, prefixes, unacked_at) = plan(&queues);
    let replies: Vec<Value> = pipe.query_async(conn).await?;
    check_auth(&replies)?;
    let (mut samples, followups) =
        read_trip1(&queues, &slots, &prefixes, unacked_at, &replies, now_ms);
    let mut round_trips = 1;
    if !followups.is_empty() {
        let replies: Vec<Value> = followups.pipeline().query_async(conn).await?;
        check_auth(&replies)?;
        followups.apply(&replies, &mut samples, now_ms);
        round_trips += 1;
    }
    Ok(Refresh {
        samples,
        round_trips,
    })
}

/// Both trips' replies as samples, without a connection: what `sample_once` makes of them.
/// `trip2` answers the follow-ups trip 1 asked for, in order.
pub fn read_replies(
    queues: &[QueueConfig],
    trip1: &[Value],
    trip2: &[Value],
    now_ms: i64,
) -> Vec<QueueSample> {
    let queues: Vec<&QueueConfig> = queues
        .iter()
        .filter(|q| q.kind != QueueKind::Rabbitmq)
        .collect();
    let (_, slots, prefixes, unacked_at) = plan(&queues);
    let (mut samples, followups) =
        read_trip1(&queues, &slots, &prefixes, unacked_at, trip1, now_ms);
    followups.apply(trip2, &mut samples, now_ms);
    samples
}

/// Trip 1's replies as one sample per queue, and what trip 2 must read.
fn read_trip1(
    queues: &[&QueueConfig],
    slots: &[Slot],
    prefixes: &[String],
    unacked_at: usize,
    replies: &[Value],
    now_ms: i64,
) -> (Vec<QueueSample>, Followups) {
    let mut samples: Vec<QueueSample> = Vec::with_capacity(queues.len());
    let mut followups = Followups::default();
    let unacked = read_unacked(replies, prefixes, unacked_at);
    for (i, (q, slot)) in queues.iter().zip(slots).enumerate() {
        let mut s = QueueSample {
            name: q.name.clone(),
            kind: Some(q.kind),
            at_ms: now_ms,
            ..QueueSample::default()
        };
        match *slot {
            Slot::Celery { at } => {
                let prefix = q.keyprefix.clone().unwrap_or_default();
                let u = unacked.get(&prefix).and_then(|m| m.get(&q.name));
                let timeout = q
                    .visibility_timeout
                    .unwrap_or(celery::DEFAULT_VISIBILITY_TIMEOUT_SECS);
                if let Some(r) = replies.get(at..at + CELERY_CMDS) {
                    read_celery(&mut s, r, u, now_ms, timeout);
                }
            }
            Slot::Rq { at } => {
                let r = replies.get(at..at + RQ_CMDS).unwrap_or_default();
                if let Some(id) = read_rq(&mut s, r) {
                    followups.rq_jobs.push((i, id));
                }
            }
            Slot::Stream { at, .. } => {
                let group = q.group.as_deref();
                let r = replies.get(at..).unwrap_or_default();
                if let Some(after) = read_stream(&mut s, r, group, now_ms) {
                    followups.stream_next.push((i, q.name.clone(), after));
                }
            }
        }
        samples.push(s);
    }
    (samples, followups)
}

/// The trip-1 pipeline, where each queue's replies start, the Celery key prefixes, and where
/// the replies for those prefixes' `unacked` reads start.
fn plan(queues: &[&QueueConfig]) -> (Pipeline, Vec<Slot>, Vec<String>, usize) {
    let mut pipe = redis::pipe();
    pipe.ignore_errors();
    let mut at = 0;
    let mut slots = Vec::with_capacity(queues.len());
    let mut prefixes: Vec<String> = Vec::new();
    for q in queues {
        let slot = match q.kind {
            QueueKind::Celery => {
                let prefix = q.keyprefix.clone().unwrap_or_default();
                let lists = celery_lists(&prefix, &q.name);
                for key in &lists {
                    pipe.cmd("LLEN").arg(key);
                }
                for key in &lists {
                    pipe.cmd("LINDEX").arg(key).arg(-1);
                }
                if !prefixes.contains(&prefix) {
                    prefixes.push(prefix);
                }
                Slot::Celery { at }
            }
            QueueKind::Rq => {
                let n = &q.name;
                pipe.cmd("LLEN").arg(format!("rq:queue:{n}"));
                pipe.cmd("ZCARD").arg(format!("rq:wip:{n}"));
                pipe.cmd("ZCARD").arg(format!("rq:failed:{n}"));
                pipe.cmd("ZCARD").arg(format!("rq:scheduled:{n}"));
                pipe.cmd("SCARD").arg(format!("rq:workers:{n}"));
                pipe.cmd("LINDEX").arg(format!("rq:queue:{n}")).arg(0);
                Slot::Rq { at }
            }
            QueueKind::Stream | QueueKind::Rabbitmq => {
                pipe.cmd("XLEN").arg(&q.name);
                if let Some(group) = &q.group {
                    pipe.cmd("XINFO").arg("GROUPS").arg(&q.name);
                    pipe.cmd("XPENDING").arg(&q.name).arg(group);
                }
                Slot::Stream {
                    at,
                    grouped: q.group.is_some(),
                }
            }
        };
        at += match slot {
            Slot::Celery { .. } => CELERY_CMDS,
            Slot::Rq { .. } => RQ_CMDS,
            Slot::Stream { grouped, .. } => 1 + 2 * usize::from(grouped),
        };
        slots.push(slot);
    }
    for prefix in &prefixes {
        pipe.cmd("HGETALL").arg(format!("{prefix}unacked"));
        pipe.cmd("ZRANGE")
            .arg(format!("{prefix}unacked_index"))
            .arg(0)
            .arg(-1)
            .arg("WITHSCORES");
    }
    (pipe, slots, prefixes, at)
}

fn celery_lists(prefix: &str, name: &str) -> [String; 4] {
    let base = format!("{prefix}{name}");
    let [a, b, c] = PRIORITIES.map(|p| format!("{base}{PRIORITY_SEP}{p}"));
    [base, a, b, c]
}

/// An auth failure shows as an error reply to every command; report it for the whole URL.
fn check_auth(replies: &[Value]) -> Result<(), ReadError> {
    for reply in replies {
        if let Value::ServerError(err) = reply
            && matches!(err.code(), "NOAUTH" | "WRONGPASS" | "NOPERM")
        {
            let detail = err.details().unwrap_or_default();
            return Err(ReadError::Auth(format!("{} {detail}", err.code())));
        }
    }
    Ok(())
}

/// Per key prefix, per queue: what `unacked`/`unacked_index` say.
fn read_unacked(
    replies: &[Value],
    prefixes: &[String],
    start: usize,
) -> HashMap<String, HashMap<String, Unacked>> {
    prefixes
        .iter()
        .enumerate()
        .map(|(i, prefix)| {
            let hash = replies.get(start + 2 * i).map(as_pairs).unwrap_or_default();
            let entries: Vec<(String, String)> = hash
                .into_iter()
                .filter_map(|(tag, v)| Some((tag, as_string(v)?)))
                .collect();
            let index: HashMap<String, f64> = replies
                .get(start + 2 * i + 1)
                .map(as_pairs)
                .unwrap_or_default()
                .into_iter()
                .filter_map(|(tag, score)| Some((tag, as_f64(score)?)))
                .collect();
            (prefix.clone(), celery::unacked_by_queue(&entries, &index))
        })
        .collect()
}

fn read_celery(
    s: &mut QueueSample,
    r: &[Value],
    unacked: Option<&Unacked>,
    now_ms: i64,
    visibility_timeout_secs: u64,
) {
    let none = Unacked::default();
    let unacked = unacked.unwrap_or(&none);
    s.depth = r[..4]
        .iter()
        .filter_map(as_u64)
        .fold(0, u64::saturating_add);
    s.unacked = unacked.count;
    s.overdue = Some(unacked.overdue(now_ms, visibility_timeout_secs));
    let pending_age = r[4..8]
        .iter()
        .filter_map(as_string)
        .filter_map(|raw| celery::message_age_secs(&raw, now_ms))
        .reduce(f64::max);
    let unacked_age = unacked.oldest_delivery_ms().map(|ms| age_secs(now_ms, ms));
    s.oldest_age_secs = max_opt(pending_age, unacked_age);
}

/// Fills the sample; returns the oldest job's id when the queue is not empty.
fn read_rq(s: &mut QueueSample, r: &[Value]) -> Option<String> {
    let at = |i: usize| r.get(i).and_then(as_u64);
    s.depth = at(0).unwrap_or(0);
    s.unacked = at(1).unwrap_or(0);
    s.failed = at(2);
    s.scheduled = at(3);
    s.consumers = at(4).and_then(|n| u32::try_from(n).ok());
    r.get(5).and_then(as_string)
}

/// Fills the sample; returns the group's last-delivered id when entries wait undelivered.
fn read_stream(
    s: &mut QueueSample,
    r: &[Value],
    group: Option<&str>,
    now_ms: i64,
) -> Option<String> {
    s.depth = r.first().and_then(as_u64).unwrap_or(0);
    let group = group?;
    let groups = r.get(1).map(as_items).unwrap_or_default();
    let info = groups
        .iter()
        .map(as_pairs)
        .find(|p| field(p, "name").and_then(as_string).as_deref() == Some(group))?;
    s.unacked = field(&info, "pending").and_then(as_u64).unwrap_or(0);
    s.consumers = field(&info, "consumers")
        .and_then(as_u64)
        .and_then(|n| u32::try_from(n).ok());
    // Redis 7: lag = entries not yet delivered to the group (nil when it cannot tell; then the
    // whole stream length stands in as an upper bound).
    let lag = field(&info, "lag").and_then(as_u64);
    let read = field(&info, "entries-read").and_then(as_u64);
    if let Some(lag) = lag {
        s.depth = lag;
    }
    s.processed_total = read;
    s.enqueued_total = read.zip(lag).map(|(a, b)| a.saturating_add(b));
    // XPENDING summary: [count, smallest id, greatest id, per-consumer counts].
    let smallest = r
        .get(2)
        .map(as_items)
        .and_then(|items| items.get(1))
        .and_then(as_string);
    s.oldest_age_secs = smallest
        .as_deref()
        .and_then(stream_id_ms)
        .map(|ms| age_secs(now_ms, ms));
    let last = field(&info, "last-delivered-id").and_then(as_string);
    last.filter(|_| s.depth > 0)
}

fn age_secs(now_ms: i64, then_ms: i64) -> f64 {
    (now_ms.saturating_sub(then_ms) as f64 / 1000.0).max(0.0)
}

fn max_opt(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

#[derive(Default)]
struct Followups {
    /// (sample index, job id)
    rq_jobs: Vec<(usize, String)>,
    /// (sample index, stream key, last-delivered id)
    stream_next: Vec<(usize, String, String)>,
}

impl Followups {
    fn is_empty(&self) -> bool {
        self.rq_jobs.is_empty() && self.stream_next.is_empty()
    }

    fn pipeline(&self) -> Pipeline {
        let mut pipe = redis::pipe();
        pipe.ignore_errors();
        for (_, id) in &self.rq_jobs {
            pipe.cmd("HGET")
                .arg(format!("rq:job:{id}"))
                .arg("enqueued_at");
        }
        for (_, key, after) in &self.stream_next {
            pipe.cmd("XRANGE")
                .arg(key)
                .arg(format!("({after}"))
                .arg("+")
                .arg("COUNT")
                .arg(1);
        }
        pipe
    }

    /// Trip 2's replies (in `pipeline`'s order) into the samples' ages.
    fn apply(&self, replies: &[Value], samples: &mut [QueueSample], now_ms: i64) {
        let (rq, streams) = replies.split_at(self.rq_jobs.len().min(replies.len()));
        for ((i, _), reply) in self.rq_jobs.iter().zip(rq) {
            let enqueued = as_string(reply).and_then(|t| celery::iso_ms(&t));
            if let (Some(ms), Some(s)) = (enqueued, samples.get_mut(*i)) {
                s.oldest_age_secs = Some(age_secs(now_ms, ms));
            }
        }
        for ((i, _, _), reply) in self.stream_next.iter().zip(streams) {
            let first_id = as_items(reply)
                .first()
                .and_then(|entry| as_items(entry).first())
                .and_then(as_string);
            let age = first_id
                .as_deref()
                .and_then(stream_id_ms)
                .map(|ms| age_secs(now_ms, ms));
            if let Some(s) = samples.get_mut(*i) {
                s.oldest_age_secs = max_opt(s.oldest_age_secs, age);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue(name: &str, kind: QueueKind, group: Option<&str>) -> QueueConfig {
        QueueConfig {
            name: name.into(),
            kind,
            url: "redis://127.0.0.1:6379/0".into(),
            consumer: None,
            password_env: None,
            group: group.map(String::from),
            keyprefix: None,
            visibility_timeout: None,
            vhost: None,
        }
    }

    fn bulk(s: &str) -> Value {
        Value::BulkString(s.as_bytes().to_vec())
    }

    /// Found by the fuzzer: huge counts overflowed a sum, far-off times a subtraction
    /// (panics in debug builds, nonsense in release).
    #[test]
    fn huge_counts_and_far_off_times_saturate() {
        let queues = [
            queue("generate", QueueKind::Celery, None),
            queue("events", QueueKind::Stream, Some("workers")),
        ];
        let huge = Value::Double(f64::INFINITY);
        let group = Value::Array(
            ["name", "workers", "entries-read"]
                .map(bulk)
                .into_iter()
                .chain([huge.clone(), bulk("lag"), huge.clone()])
                .collect(),
        );
        let mut trip1 = vec![huge.clone(), huge.clone(), Value::Int(1), Value::Int(0)];
        trip1.extend([Value::Nil, Value::Nil, Value::Nil, Value::Nil]);
        trip1.extend([Value::Int(1), Value::Array(vec![group]), Value::Nil]);
        let entry =
            r#"[{"properties":{"delivery_info":{"routing_key":"generate"}}}, "", "generate"]"#;
        trip1.push(Value::Array(vec![bulk("d1"), bulk(entry)]));
        trip1.push(Value::Array(vec![bulk("d1"), bulk("-1e300")]));
        let samples = read_replies(&queues, &trip1, &[], 1_795_608_000_000);
        assert_eq!(samples[0].depth, u64::MAX);
        assert!(samples[0].oldest_age_secs.is_some_and(f64::is_finite));
        assert_eq!(samples[1].enqueued_total, Some(u64::MAX));
    }
}
