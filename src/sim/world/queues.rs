//! The platform's queues in the sim (PLATFORM.md): each fed at a rate and drained by the ready
//! pods of its consumer, so scaling a worker, a hung worker, paused generation and the
//! queue-backlog scenario all show in depth, unacked, rates and oldest age. Messages leave in
//! the order they came (FIFO), so the oldest waiting one's age is known exactly.

use std::borrow::Cow;
use std::collections::VecDeque;

use crate::config::QueueKind;
use crate::queues::QueueSample;

/// One simulated queue.
#[derive(Clone, Debug)]
pub struct SimQueue {
    pub name: Cow<'static, str>,
    pub kind: QueueKind,
    /// "namespace/deployment" that drains it.
    pub consumer: &'static str,
    /// Messages per second arriving, normally.
    base_rate: f64,
    /// Messages per second one ready consumer pod takes.
    per_worker: f64,
    depth: f64,
    unacked: u64,
    enqueued: f64,
    processed: f64,
    failed: u64,
    consumers: u32,
    /// Age of the oldest waiting message, seconds.
    oldest_secs: f64,
    /// (ms, enqueued so far) at the ends of the ticks that brought messages: when the n-th
    /// message arrived, for the oldest waiting one's age and the Redis writer's timestamps.
    arrivals: VecDeque<(i64, f64)>,
    /// Messages per second in and out over the last tick (RabbitMQ reports such rates).
    in_rate: f64,
    out_rate: f64,
}

/// What the world tells the queues each tick.
#[derive(Clone, Copy, Debug, Default)]
pub struct Drive {
    pub dt_secs: f64,
    /// The tick's end (ms since the epoch, the sim's clock).
    pub now_ms: i64,
    /// Extra arrivals on `articles` (queue-backlog's traffic spike).
    pub spike: f64,
    pub generation_paused: bool,
}

#[derive(Clone, Debug)]
pub struct SimQueues {
    pub queues: Vec<SimQueue>,
}

const fn queue(
    name: &'static str,
    kind: QueueKind,
    consumer: &'static str,
    base_rate: f64,
    per_worker: f64,
) -> SimQueue {
    SimQueue::new(Cow::Borrowed(name), kind, consumer, base_rate, per_worker)
}

impl Default for SimQueues {
    fn default() -> Self {
        let q = |n, k, c, r, w| queue(n, k, c, r, w);
        SimQueues {
            queues: vec![
                q(
                    "articles",
                    QueueKind::Celery,
                    "contentgen/article-generator",
                    2.0,
                    0.6,
                ),
                q(
                    "fact_checks",
                    QueueKind::Celery,
                    "contentgen/fact-checker",
                    1.2,
                    0.8,
                ),
                q(
                    "topics",
                    QueueKind::Celery,
                    "contentgen/topic-analyzer",
                    0.3,
                    0.5,
                ),
                q("publish", QueueKind::Rq, "contentgen/publisher", 1.0, 0.7),
                q(
                    "events:competitors",
                    QueueKind::Stream,
                    "contentgen/competitor-monitor",
                    0.5,
                    0.8,
                ),
                q(
                    "notifications",
                    QueueKind::Rabbitmq,
                    "contentgen/rabbitmq",
                    3.0,
                    1.5,
                ),
            ],
        }
    }
}

impl SimQueues {
    /// Advances every queue by `drive.dt_secs`; `workers(consumer)` gives (ready pods, hung pods).
    pub fn tick(&mut self, drive: Drive, workers: impl Fn(&str) -> (u32, u32)) {
        let dt = drive.dt_secs.max(0.0);
        for q in &mut self.queues {
            let (ready, hung) = workers(q.consumer);
            let mut arrival = q.base_rate;
            if q.name == "articles" {
                arrival = if drive.generation_paused {
                    0.0
                } else {
                    arrival + drive.spike
                };
            }
            let capacity = f64::from(ready.saturating_sub(hung)) * q.per_worker;
            let arrived = arrival * dt;
            let taken = (q.depth + arrived).min(capacity * dt);
            let from_ms = drive.now_ms - (dt * 1000.0) as i64;
            q.mark_arrivals(from_ms, drive.now_ms, q.enqueued, q.enqueued + arrived);
            q.depth = (q.depth + arrived - taken).max(0.0);
            q.enqueued += arrived;
            q.processed += taken;
            if dt > 0.0 {
                q.in_rate = arrival;
                q.out_rate = taken / dt;
            }
            // A hung worker holds what it took and acknowledges nothing.
            q.unacked = u64::from(ready.saturating_sub(hung)) + u64::from(hung) * 4;
            q.consumers = ready;
            q.oldest_secs = q.oldest_waiting_age(drive.now_ms);
            q.forget_consumed();
            if q.name == "publish" && taken > 0.0 && (q.processed as u64).is_multiple_of(97) {
                q.failed += 1;
            }
        }
    }

    /// One reading of every queue, as the Redis and RabbitMQ sources would produce it.
    pub fn samples(&self, at_ms: i64) -> Vec<QueueSample> {
        self.queues
            .iter()
            .map(|q| QueueSample {
                name: q.name.to_string(),
                kind: Some(q.kind),
                at_ms,
                depth: q.depth.floor() as u64,
                unacked: q.unacked,
                consumers: Some(q.consumers),
                failed: (q.kind == QueueKind::Rq).then_some(q.failed),
                scheduled: None,
                oldest_age_secs: (q.depth >= 1.0).then_some(q.oldest_secs),
                enqueued_total: Some(q.enqueued.floor() as u64),
                processed_total: Some(q.processed.floor() as u64),
                ..QueueSample::default()
            })
            .collect()
    }

    /// The RabbitMQ-backed queues as the management API's `/api/queues` lists them.
    pub fn rabbitmq_json(&self, now_secs: i64) -> Vec<serde_json::Value> {
        self.queues
            .iter()
            .filter(|q| q.kind == QueueKind::Rabbitmq)
            .map(|q| q.management_json(now_secs))
            .collect()
    }

    /// The queues as opsdeck config entries (the demo's queue pane is built from them).
    pub fn configs(&self) -> Vec<crate::config::QueueConfig> {
        self.queues
            .iter()
            .map(|q| crate::config::QueueConfig {
                name: q.name.to_string(),
                kind: q.kind,
                url: "sim://in-process".into(),
                consumer: Some(q.consumer.to_string()),
                password_env: None,
                group: (q.kind == QueueKind::Stream).then(|| "analyzers".to_string()),
                keyprefix: None,
                visibility_timeout: None,
                vhost: None,
            })
            .collect()
    }
}

/// Arrival marks kept per queue at most; past it, every other one goes (coarser, still bounded).
const MAX_ARRIVAL_MARKS: usize = 16_384;

impl SimQueue {
    /// An empty queue fed at `base_rate` a second, each ready consumer pod taking `per_worker`.
    pub const fn new(
        name: Cow<'static, str>,
        kind: QueueKind,
        consumer: &'static str,
        base_rate: f64,
        per_worker: f64,
    ) -> SimQueue {
        SimQueue {
            name,
            kind,
            consumer,
            base_rate,
            per_worker,
            depth: 0.0,
            unacked: 0,
            enqueued: 0.0,
            processed: 0.0,
            failed: 0,
            consumers: 0,
            oldest_secs: 0.0,
            arrivals: VecDeque::new(),
            in_rate: 0.0,
            out_rate: 0.0,
        }
    }

    /// Messages waiting (not yet taken by a worker).
    pub fn depth(&self) -> f64 {
        self.depth
    }

    /// Whole messages ever enqueued and ever taken.
    pub fn totals(&self) -> (u64, u64) {
        (self.enqueued.floor() as u64, self.processed.floor() as u64)
    }

    /// Taken and not yet acknowledged.
    pub fn unacked(&self) -> u64 {
        self.unacked
    }

    /// Ready consumer pods.
    pub fn consumers(&self) -> u32 {
        self.consumers
    }

    /// Jobs that failed (RQ's failed registry).
    pub fn failed(&self) -> u64 {
        self.failed
    }

    /// Messages `before..after` arrived evenly over `from_ms..to_ms`.
    fn mark_arrivals(&mut self, from_ms: i64, to_ms: i64, before: f64, after: f64) {
        if after <= before {
            return;
        }
        if self.arrivals.back().is_none_or(|&(t, _)| t != from_ms) {
            self.arrivals.push_back((from_ms, before));
        }
        self.arrivals.push_back((to_ms, after));
        if self.arrivals.len() > MAX_ARRIVAL_MARKS {
            let last = self.arrivals.len() - 1;
            let mut i = 0;
            self.arrivals.retain(|_| {
                let keep = i == 0 || i == last || i % 2 == 0;
                i += 1;
                keep
            });
        }
    }

    /// When the `nth` message (1-based, counting every message ever enqueued) arrived, in ms;
    /// None if it has not arrived yet. Messages long taken get the oldest mark's time.
    pub fn arrival_ms(&self, nth: u64) -> Option<i64> {
        let n = nth as f64;
        let i = self.arrivals.partition_point(|&(_, e)| e < n);
        let &(t1, e1) = self.arrivals.get(i)?;
        let Some(&(t0, e0)) = i.checked_sub(1).and_then(|j| self.arrivals.get(j)) else {
            return Some(t1);
        };
        Some(t0 + ((n - e0) / (e1 - e0) * (t1 - t0) as f64).round() as i64)
    }

    /// Seconds the oldest waiting message has waited (messages leave in arrival order).
    fn oldest_waiting_age(&self, now_ms: i64) -> f64 {
        if self.depth < 1.0 {
            return 0.0;
        }
        let head = self.processed.floor() as u64 + 1;
        self.arrival_ms(head)
            .map_or(0.0, |t| ((now_ms - t) as f64 / 1000.0).max(0.0))
    }

    /// Drops the marks of messages already taken (keeping one before the oldest waiting).
    fn forget_consumed(&mut self) {
        let head = self.processed.floor() + 1.0;
        while self.arrivals.get(1).is_some_and(|&(_, e)| e < head) {
            self.arrivals.pop_front();
        }
    }

    /// The fields of one `/api/queues` item that a console reads (RabbitMQ 3.10 names).
    fn management_json(&self, now_secs: i64) -> serde_json::Value {
        let rate = |r: f64| serde_json::json!({ "rate": (r * 10.0).round() / 10.0 });
        let ready = self.depth.floor() as u64;
        let mut v = serde_json::json!({
            "name": self.name,
            "vhost": "/",
            "type": "classic",
            "durable": true,
            "auto_delete": false,
            "exclusive": false,
            "state": "running",
            "node": "rabbit@rabbitmq-0",
            "messages": ready + self.unacked,
            "messages_details": rate(self.in_rate - self.out_rate),
            "messages_ready": ready,
            "messages_ready_details": rate(self.in_rate - self.out_rate),
            "messages_unacknowledged": self.unacked,
            "messages_unacknowledged_details": rate(0.0),
            "consumers": self.consumers,
            "consumer_utilisation": if self.consumers > 0 { 1.0 } else { 0.0 },
            "memory": 34_000 + ready * 600,
            "message_stats": {
                "publish": self.enqueued.floor() as u64,
                "publish_details": rate(self.in_rate),
                "deliver_get": self.processed.floor() as u64,
                "deliver_get_details": rate(self.out_rate),
                "ack": self.processed.floor() as u64,
                "ack_details": rate(self.out_rate),
                "redeliver": 0,
                "redeliver_details": rate(0.0),
            },
        });
        if ready > 0 {
            v["head_message_timestamp"] = (now_secs - self.oldest_secs as i64).into();
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn articles(q: &SimQueues) -> &SimQueue {
        q.queues
            .iter()
            .find(|q| q.name == "articles")
            .expect("articles")
    }

    /// Ticks once a second for `secs` from `*t_ms` with `spike` and `workers` ready pods.
    fn run(q: &mut SimQueues, t_ms: &mut i64, secs: u32, spike: f64, workers: u32) {
        for _ in 0..secs {
            *t_ms += 1000;
            let drive = Drive {
                dt_secs: 1.0,
                now_ms: *t_ms,
                spike,
                generation_paused: false,
            };
            q.tick(drive, |_| (workers, 0));
        }
    }

    #[test]
    fn enough_workers_keep_the_queue_empty_and_a_spike_makes_it_grow() {
        let (mut q, mut t) = (SimQueues::default(), 0);
        run(&mut q, &mut t, 30, 0.0, 4);
        assert!(articles(&q).depth < 1.0, "4 x 0.6/s drains 2/s");
        assert_eq!(articles(&q).oldest_secs, 0.0);
        run(&mut q, &mut t, 30, 4.0, 4);
        let depth = articles(&q).depth;
        assert!(depth > 100.0, "6/s in, 2.4/s out: {depth}");
        // First in, first out: 132 taken; the 133rd came 73 messages into the spike (at 6/s,
        // 12.17 s after it began at 30 s), so at 60 s it has waited 17.83 s (give or take the
        // one message a float sum may round off).
        let oldest = articles(&q).oldest_secs;
        assert!((oldest - 17.83).abs() < 0.2, "{oldest}");
        // Scaling to 12 workers (7.2/s) drains the backlog.
        run(&mut q, &mut t, 200, 4.0, 12);
        assert!(articles(&q).depth < 1.0);
        assert_eq!(articles(&q).oldest_secs, 0.0);
    }

    #[test]
    fn arrival_times_are_interpolated_and_their_marks_stay_bounded() {
        let (mut q, mut t) = (SimQueues::default(), 1_000_000);
        // No consumer: every message of `topics` (0.3/s) waits, 20,000 ticks of marks.
        run(&mut q, &mut t, 20_000, 0.0, 0);
        let topics = q
            .queues
            .iter()
            .find(|q| q.name == "topics")
            .expect("topics");
        assert!(topics.arrivals.len() <= MAX_ARRIVAL_MARKS);
        assert_eq!(topics.arrival_ms(3), Some(1_000_000 + 10_000));
        assert_eq!(topics.arrival_ms(3_000), Some(1_000_000 + 10_000_000));
        assert_eq!(topics.arrival_ms(7_000), None, "6,000 have arrived");
        assert!(
            (topics.oldest_secs - 19_996.7).abs() < 0.1,
            "{}",
            topics.oldest_secs
        );
    }

    #[test]
    fn paused_generation_stops_arrivals_and_hung_workers_hold_messages() {
        let mut q = SimQueues::default();
        let drive = Drive {
            dt_secs: 1.0,
            now_ms: 1_000,
            generation_paused: true,
            ..Drive::default()
        };
        q.tick(drive, |_| (4, 1));
        let a = articles(&q);
        assert_eq!(a.enqueued, 0.0);
        assert_eq!(a.unacked, 3 + 4);
        let s = q.samples(1_000);
        assert_eq!(s.len(), 6);
        assert!(s.iter().all(|s| s.processed_total.is_some()));
    }
}
