//! The queue model: raw samples in, smoothed rates, time to drain and worst-first rows out (pure).

use std::cmp::Ordering;
use std::collections::HashMap;

use crate::config::{QueueConfig, QueueKind};
use crate::status::LoadState;

/// One reading of one queue, as the broker gave it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QueueSample {
    pub name: String,
    pub kind: Option<QueueKind>,
    /// Milliseconds since the Unix epoch when the reading was taken.
    pub at_ms: i64,
    /// Ready messages (waiting for a consumer).
    pub depth: u64,
    /// Delivered but not acknowledged / in progress.
    pub unacked: u64,
    pub consumers: Option<u32>,
    pub failed: Option<u64>,
    pub scheduled: Option<u64>,
    pub oldest_age_secs: Option<f64>,
    /// Monotonic count of messages ever added, when the broker keeps one.
    pub enqueued_total: Option<u64>,
    /// Monotonic count of messages ever taken off the ready depth, when the broker keeps one.
    pub processed_total: Option<u64>,
    /// Rates the broker measured itself (RabbitMQ's `*_details.rate`): preferred over rates
    /// derived from two samples, which alias against the broker's own statistics interval.
    pub broker_rates: Option<BrokerRates>,
    /// Unacked messages delivered longer ago than the visibility timeout: the broker will
    /// hand them to another worker (Celery on Redis).
    pub overdue: Option<u64>,
}

/// Messages per second in and out, as the broker reports them.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct BrokerRates {
    pub in_per_sec: f64,
    pub out_per_sec: f64,
}

/// How long the ready depth takes to reach zero at the current out-rate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Drain {
    Seconds(f64),
    /// More arrives than leaves (or nothing leaves while depth grows).
    Growing,
    /// Nothing waiting.
    Idle,
    /// Not enough samples yet, nothing moving, or the source is stale.
    Unknown,
}

#[derive(Clone, Debug, PartialEq)]
pub struct QueueRow {
    pub name: String,
    pub kind: QueueKind,
    pub depth: u64,
    pub unacked: u64,
    pub consumers: Option<u32>,
    pub failed: Option<u64>,
    /// Unacked past the visibility timeout (due for redelivery).
    pub overdue: Option<u64>,
    pub oldest_age_secs: Option<f64>,
    /// Messages per second, smoothed.
    pub in_rate: f64,
    pub out_rate: f64,
    pub drain: Drain,
    pub consumer_workload: Option<String>,
    pub state: LoadState,
}

/// Rates below this (messages per second) count as zero.
const EPSILON: f64 = 1e-3;
/// A gap longer than this many smoothing windows starts a fresh baseline instead of a rate.
const MAX_GAP_FACTOR: f64 = 10.0;

#[derive(Clone, Debug)]
struct Tracked {
    row: QueueRow,
    last: Option<QueueSample>,
    /// False until a first rate has been computed (the first one is taken as is, unsmoothed).
    rated: bool,
}

/// Turns successive samples into rows. Keyed by queue name (names are unique in the config).
#[derive(Clone, Debug)]
pub struct QueueModel {
    tau_secs: f64,
    queues: HashMap<String, Tracked>,
    rows: Vec<QueueRow>,
}

impl QueueModel {
    /// `tau_secs` is the smoothing time constant: a rate change is ~63% visible after tau.
    pub fn new(configs: &[QueueConfig], tau_secs: f64) -> Self {
        let queues = configs
            .iter()
            .map(|c| {
                let row = QueueRow {
                    name: c.name.clone(),
                    kind: c.kind,
                    depth: 0,
                    unacked: 0,
                    consumers: None,
                    failed: None,
                    overdue: None,
                    oldest_age_secs: None,
                    in_rate: 0.0,
                    out_rate: 0.0,
                    drain: Drain::Unknown,
                    consumer_workload: c.consumer.clone(),
                    state: LoadState::Loading,
                };
                let tracked = Tracked {
                    row,
                    last: None,
                    rated: false,
                };
                (c.name.clone(), tracked)
            })
            .collect();
        let mut model = Self {
            tau_secs: tau_secs.max(EPSILON),
            queues,
            rows: Vec::new(),
        };
        model.resort();
        model
    }

    /// Rows, worst first.
    pub fn rows(&self) -> &[QueueRow] {
        &self.rows
    }

    pub fn row(&self, name: &str) -> Option<&QueueRow> {
        self.queues.get(name).map(|t| &t.row)
    }

    pub fn apply_samples(&mut self, samples: &[QueueSample]) {
        for sample in samples {
            let Some(tracked) = self.queues.get_mut(&sample.name) else {
                continue;
            };
            apply_one(tracked, sample, self.tau_secs);
        }
        self.resort();
    }

    /// The broker behind these queues failed: mark them stale and forget the baseline, so the
    /// first sample after recovery (possibly of a restarted, emptied broker) gives no rate spike.
    /// `now` is in seconds, as every pane's stale time is.
    pub fn apply_failure(
        &mut self,
        queues: &[String],
        reason: &str,
        retry_in: Option<std::time::Duration>,
        now: i64,
    ) {
        for name in queues {
            let Some(tracked) = self.queues.get_mut(name) else {
                continue;
            };
            tracked.row.state = tracked.row.state.failed(reason, retry_in, now);
            tracked.row.drain = Drain::Unknown;
            tracked.last = None;
        }
        self.resort();
    }

    fn resort(&mut self) {
        let mut rows: Vec<QueueRow> = self.queues.values().map(|t| t.row.clone()).collect();
        rows.sort_by(worst_first);
        self.rows = rows;
    }
}

fn apply_one(tracked: &mut Tracked, sample: &QueueSample, tau_secs: f64) {
    if let Some(rates) = sample.broker_rates {
        // Already averaged by the broker: shown as given, no second smoothing.
        tracked.row.in_rate = rates.in_per_sec.max(0.0);
        tracked.row.out_rate = rates.out_per_sec.max(0.0);
        tracked.rated = true;
    } else if let Some(last) = &tracked.last {
        let dt = (sample.at_ms - last.at_ms) as f64 / 1000.0;
        if dt > 0.0 && dt <= tau_secs * MAX_GAP_FACTOR {
            let (inst_in, inst_out) = instant_rates(last, sample, dt);
            let row = &mut tracked.row;
            if tracked.rated {
                let alpha = 1.0 - (-dt / tau_secs).exp();
                row.in_rate += alpha * (inst_in - row.in_rate);
                row.out_rate += alpha * (inst_out - row.out_rate);
            } else {
                row.in_rate = inst_in;
                row.out_rate = inst_out;
                tracked.rated = true;
            }
        } else if dt <= 0.0 {
            // Out of order or duplicate: keep the newer baseline, no rate.
            return;
        }
    }
    let row = &mut tracked.row;
    row.depth = sample.depth;
    row.unacked = sample.unacked;
    row.consumers = sample.consumers;
    row.failed = sample.failed;
    row.overdue = sample.overdue;
    row.oldest_age_secs = sample.oldest_age_secs;
    row.state = LoadState::Live;
    row.drain = drain(row.depth, row.in_rate, row.out_rate, tracked.rated);
    tracked.last = Some(sample.clone());
}

/// Instantaneous (in, out) over one interval. Counters that went backwards (a broker restart)
/// give no evidence: that side falls back to the depth estimate, never a negative or huge rate.
fn instant_rates(last: &QueueSample, now: &QueueSample, dt: f64) -> (f64, f64) {
    let d_depth = now.depth as f64 - last.depth as f64;
    let counter = |a: Option<u64>, b: Option<u64>| match (a, b) {
        (Some(a), Some(b)) if b >= a => Some((b - a) as f64 / dt),
        _ => None,
    };
    let out = counter(last.processed_total, now.processed_total);
    let inn = counter(last.enqueued_total, now.enqueued_total);
    match (inn, out) {
        (Some(i), Some(o)) => (i, o),
        (None, Some(o)) => ((d_depth / dt + o).max(0.0), o),
        (Some(i), None) => (i, (i - d_depth / dt).max(0.0)),
        (None, None) if d_depth >= 0.0 => (d_depth / dt, 0.0),
        (None, None) => (0.0, -d_depth / dt),
    }
}

fn drain(depth: u64, in_rate: f64, out_rate: f64, rated: bool) -> Drain {
    if depth == 0 {
        return Drain::Idle;
    }
    if !rated {
        return Drain::Unknown;
    }
    if in_rate > out_rate + EPSILON {
        return Drain::Growing;
    }
    if out_rate > EPSILON {
        return Drain::Seconds(depth as f64 / out_rate);
    }
    Drain::Unknown
}

/// Rank: stale or growing first, then the longest drain, then unknown, then idle.
fn rank(row: &QueueRow) -> (u8, f64) {
    if matches!(row.state, LoadState::Stale { .. }) || row.drain == Drain::Growing {
        return (0, 0.0);
    }
    match row.drain {
        Drain::Seconds(s) => (1, -s),
        Drain::Unknown => (2, 0.0),
        Drain::Idle | Drain::Growing => (3, 0.0),
    }
}

fn worst_first(a: &QueueRow, b: &QueueRow) -> Ordering {
    let (ra, sa) = rank(a);
    let (rb, sb) = rank(b);
    ra.cmp(&rb)
        .then(sa.total_cmp(&sb))
        .then_with(|| b.depth.cmp(&a.depth))
        .then_with(|| a.name.cmp(&b.name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(name: &str, kind: QueueKind) -> QueueConfig {
        QueueConfig {
            name: name.into(),
            kind,
            url: "redis://127.0.0.1:6379/0".into(),
            consumer: Some(format!("contentgen/{name}-worker")),
            password_env: None,
            group: None,
            keyprefix: None,
            visibility_timeout: None,
            vhost: None,
        }
    }

    fn sample(name: &str, at_s: i64, depth: u64) -> QueueSample {
        QueueSample {
            name: name.into(),
            at_ms: at_s * 1000,
            depth,
            ..QueueSample::default()
        }
    }

    fn model(names: &[&str]) -> QueueModel {
        let configs: Vec<_> = names.iter().map(|n| config(n, QueueKind::Celery)).collect();
        QueueModel::new(&configs, 10.0)
    }

    #[test]
    fn first_sample_is_live_with_unknown_drain() {
        let mut m = model(&["articles"]);
        m.apply_samples(&[sample("articles", 0, 40)]);
        let row = m.row("articles").expect("row");
        assert_eq!(row.state, LoadState::Live);
        assert_eq!(row.depth, 40);
        assert_eq!(row.drain, Drain::Unknown);
        assert_eq!(
            row.consumer_workload.as_deref(),
            Some("contentgen/articles-worker")
        );
    }

    #[test]
    fn depth_decrease_estimates_out_rate_and_drain() {
        let mut m = model(&["articles"]);
        m.apply_samples(&[sample("articles", 0, 100)]);
        m.apply_samples(&[sample("articles", 10, 80)]);
        let row = m.row("articles").expect("row");
        assert_eq!(row.out_rate, 2.0);
        assert_eq!(row.in_rate, 0.0);
        assert_eq!(row.drain, Drain::Seconds(40.0));
    }

    #[test]
    fn zero_out_rate_with_growing_depth_is_growing() {
        let mut m = model(&["articles"]);
        m.apply_samples(&[sample("articles", 0, 10)]);
        m.apply_samples(&[sample("articles", 5, 30)]);
        let row = m.row("articles").expect("row");
        assert_eq!(row.in_rate, 4.0);
        assert_eq!(row.out_rate, 0.0);
        assert_eq!(row.drain, Drain::Growing);
    }

    #[test]
    fn flat_nonzero_depth_with_nothing_moving_is_unknown_and_empty_is_idle() {
        let mut m = model(&["a", "b"]);
        m.apply_samples(&[sample("a", 0, 7), sample("b", 0, 0)]);
        m.apply_samples(&[sample("a", 2, 7), sample("b", 2, 0)]);
        assert_eq!(m.row("a").expect("a").drain, Drain::Unknown);
        assert_eq!(m.row("b").expect("b").drain, Drain::Idle);
    }

    #[test]
    fn counters_give_both_rates() {
        let mut m = model(&["events"]);
        let mut s0 = sample("events", 0, 50);
        s0.enqueued_total = Some(1000);
        s0.processed_total = Some(950);
        let mut s1 = sample("events", 10, 50);
        s1.enqueued_total = Some(1100);
        s1.processed_total = Some(1050);
        m.apply_samples(&[s0]);
        m.apply_samples(&[s1]);
        let row = m.row("events").expect("row");
        assert_eq!((row.in_rate, row.out_rate), (10.0, 10.0));
        assert_eq!(row.drain, Drain::Seconds(5.0));
    }

    #[test]
    fn out_counter_plus_depth_change_gives_in_rate() {
        let mut m = model(&["q"]);
        let mut s0 = sample("q", 0, 20);
        s0.processed_total = Some(100);
        let mut s1 = sample("q", 10, 40);
        s1.processed_total = Some(130);
        m.apply_samples(&[s0]);
        m.apply_samples(&[s1]);
        let row = m.row("q").expect("row");
        assert_eq!((row.in_rate, row.out_rate), (5.0, 3.0));
        assert_eq!(row.drain, Drain::Growing);
    }

    #[test]
    fn counter_reset_gives_no_negative_or_huge_rate() {
        let mut m = model(&["q"]);
        let mut s0 = sample("q", 0, 10);
        s0.enqueued_total = Some(1_000_000);
        s0.processed_total = Some(999_990);
        let mut s1 = sample("q", 2, 10);
        s1.enqueued_total = Some(4);
        s1.processed_total = Some(0);
        m.apply_samples(&[s0]);
        m.apply_samples(&[s1]);
        let row = m.row("q").expect("row");
        assert!(row.in_rate >= 0.0 && row.in_rate < 1.0, "{}", row.in_rate);
        assert!(
            row.out_rate >= 0.0 && row.out_rate < 1.0,
            "{}",
            row.out_rate
        );
        // After the reset the counters are the new baseline.
        let mut s2 = sample("q", 4, 10);
        s2.enqueued_total = Some(24);
        s2.processed_total = Some(20);
        m.apply_samples(&[s2]);
        let row = m.row("q").expect("row");
        assert!(
            row.out_rate > 0.0 && row.out_rate <= 10.0,
            "{}",
            row.out_rate
        );
    }

    #[test]
    fn broker_rates_are_taken_as_given_from_the_first_sample() {
        let mut m = model(&["notifications"]);
        let mut s0 = sample("notifications", 0, 30);
        s0.broker_rates = Some(BrokerRates {
            in_per_sec: 3.0,
            out_per_sec: 1.5,
        });
        m.apply_samples(&[s0]);
        let row = m.row("notifications").expect("row");
        assert_eq!((row.in_rate, row.out_rate), (3.0, 1.5));
        assert_eq!(row.drain, Drain::Growing);
        let mut s1 = sample("notifications", 2, 30);
        s1.broker_rates = Some(BrokerRates {
            in_per_sec: 0.0,
            out_per_sec: 6.0,
        });
        m.apply_samples(&[s1]);
        let row = m.row("notifications").expect("row");
        assert_eq!((row.in_rate, row.out_rate), (0.0, 6.0));
        assert_eq!(row.drain, Drain::Seconds(5.0));
    }

    #[test]
    fn smoothing_moves_toward_new_rate_without_jumping() {
        let mut m = model(&["q"]);
        m.apply_samples(&[sample("q", 0, 100)]);
        m.apply_samples(&[sample("q", 10, 80)]); // out 2/s, taken as is
        m.apply_samples(&[sample("q", 20, 20)]); // out 6/s instantaneous
        let out = m.row("q").expect("row").out_rate;
        let alpha = 1.0 - (-1.0f64).exp();
        assert!((out - (2.0 + alpha * 4.0)).abs() < 1e-9, "{out}");
    }

    #[test]
    fn failure_marks_stale_and_recovery_starts_a_fresh_baseline() {
        let mut m = model(&["q", "other"]);
        m.apply_samples(&[sample("q", 0, 500), sample("other", 0, 1)]);
        m.apply_failure(
            &["q".into()],
            "connection refused",
            Some(std::time::Duration::from_secs(4)),
            5,
        );
        let row = m.row("q").expect("row");
        assert_eq!(
            row.state,
            LoadState::Stale {
                since: 5,
                reason: "connection refused, retrying in 4s".into()
            }
        );
        assert_eq!(m.row("other").expect("other").state, LoadState::Live);
        assert_eq!(m.rows()[0].name, "q");
        // The broker restarted empty: no 500-message drain spike.
        m.apply_samples(&[sample("q", 10, 0)]);
        let row = m.row("q").expect("row");
        assert_eq!(row.state, LoadState::Live);
        assert_eq!(row.out_rate, 0.0);
    }

    #[test]
    fn long_gap_rebases_instead_of_rating() {
        let mut m = model(&["q"]);
        m.apply_samples(&[sample("q", 0, 1000)]);
        m.apply_samples(&[sample("q", 1000, 0)]);
        assert_eq!(m.row("q").expect("row").out_rate, 0.0);
    }

    #[test]
    fn rows_sort_worst_first() {
        let mut m = model(&["idle", "slow", "fast", "growing", "stale"]);
        m.apply_samples(&[
            sample("idle", 0, 0),
            sample("slow", 0, 100),
            sample("fast", 0, 100),
            sample("growing", 0, 5),
            sample("stale", 0, 5),
        ]);
        m.apply_samples(&[
            sample("idle", 10, 0),
            sample("slow", 10, 90),
            sample("fast", 10, 50),
            sample("growing", 10, 50),
            sample("stale", 10, 5),
        ]);
        m.apply_failure(&["stale".into()], "down", None, 11_000);
        let names: Vec<_> = m.rows().iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, vec!["growing", "stale", "slow", "fast", "idle"]);
    }
}
