//! The platform's Prometheus metrics: 30 days of history computed from rate shapes, live samples
//! driven by the world, a PromQL evaluator over both, and the HTTP API and exports that serve it.

mod catalog;
pub mod exposition;
pub mod http;
pub mod promql;
mod series;
mod shape;

#[cfg(test)]
mod tests;

use std::collections::{HashMap, VecDeque};

use jiff::Timestamp;

pub use exposition::{openmetrics, write_openmetrics};
use series::{HISTORY_STEP_MS, Kind, LIVE_CAP, LIVE_STEP_MS, STALE, Series, is_stale};
pub use series::{Inputs, PROMPT_LOOP};
use shape::Shape;

/// One gauge reading an exporter reports at a scrape: name, labels (any order), value.
#[derive(Clone, Debug, PartialEq)]
pub struct GaugeSample {
    pub name: &'static str,
    pub labels: Vec<(&'static str, String)>,
    pub value: f64,
}

type GaugeKey = (&'static str, Vec<(&'static str, String)>);

/// How far back history reaches from the sim's start.
pub const HISTORY_MS: i64 = 30 * 86_400_000;

/// Every series, with what it takes to answer for any time since 30 days before the start.
#[derive(Clone, Debug)]
pub struct Metrics {
    shapes: Vec<Shape>,
    series: Vec<Series>,
    /// First history sample (ms): a whole minute, 30 days before the start.
    origin_ms: i64,
    /// The first live sample (ms, a whole second): history samples are all before it.
    live_from_ms: i64,
    last_tick_ms: i64,
    last_record_ms: i64,
    /// When each live sample was recorded (a scrape), oldest first: gauges store only their
    /// changes and are read back at these times.
    scrapes: VecDeque<i64>,
    /// Where each gauge series is in `series`.
    gauges: HashMap<GaugeKey, usize>,
}

/// What a range of one series holds, enough for `rate` and `increase` without materialising
/// 43,200 history samples per series.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RangeSummary {
    pub count: usize,
    pub first: (i64, f64),
    pub last: (i64, f64),
    /// What Prometheus adds back for counter resets (`sum of the value before each drop`).
    pub reset_correction: f64,
}

impl Metrics {
    /// The platform's series as of `start`; nothing is computed until asked.
    pub fn new(start: Timestamp) -> Metrics {
        let start_ms = start.as_millisecond();
        let live_from_ms = start_ms + (1000 - start_ms.rem_euclid(1000)) % 1000;
        let origin_ms = start_ms - start_ms.rem_euclid(HISTORY_STEP_MS) - HISTORY_MS;
        let shapes = catalog::shapes(start_ms as f64 / 1000.0);
        let mut series = catalog::series();
        let mut m = Metrics {
            shapes,
            series: vec![],
            origin_ms,
            live_from_ms,
            last_tick_ms: live_from_ms,
            last_record_ms: live_from_ms,
            scrapes: VecDeque::from([live_from_ms]),
            gauges: HashMap::new(),
        };
        for s in &mut series {
            s.current = m.history_value_of(s, live_from_ms);
            s.record(live_from_ms);
        }
        m.series = series;
        m
    }

    fn history_value_of(&self, s: &Series, t_ms: i64) -> f64 {
        s.history_value(
            &self.shapes,
            self.origin_ms as f64 / 1000.0,
            t_ms as f64 / 1000.0,
        )
    }

    /// Integrate the counters up to `now` from the world's state; record a sample every 5 s.
    /// Returns the time of the sample recorded by this tick, if one was: the moment to report
    /// the gauges ([`Metrics::set_gauges`]).
    pub fn tick(&mut self, now: Timestamp, inputs: &Inputs) -> Option<i64> {
        let now_ms = now.as_millisecond();
        if now_ms <= self.last_tick_ms {
            return None;
        }
        let dt_s = (now_ms - self.last_tick_ms) as f64 / 1000.0;
        let t_s = now_ms as f64 / 1000.0;
        for s in &mut self.series {
            s.advance(&self.shapes, t_s, dt_s, inputs);
        }
        self.last_tick_ms = now_ms;
        // Whole seconds: Prometheus reads OpenMetrics timestamps as int64(seconds * 1000).
        let sample_ms = now_ms - now_ms.rem_euclid(1000);
        if sample_ms - self.last_record_ms < LIVE_STEP_MS {
            return None;
        }
        for s in &mut self.series {
            s.record(sample_ms);
        }
        self.last_record_ms = sample_ms;
        self.scrapes.push_back(sample_ms);
        while self.scrapes.len() > LIVE_CAP {
            self.scrapes.pop_front();
        }
        Some(sample_ms)
    }

    /// The exporters' gauges as scraped at `t_ms` (a time [`Metrics::tick`] returned): each
    /// series takes its value; a series missing from `samples` goes stale, as Prometheus marks
    /// a series gone from its target. Series stale since before the oldest scrape are dropped.
    pub fn set_gauges(&mut self, t_ms: i64, samples: Vec<GaugeSample>) {
        let mut seen = vec![false; self.series.len()];
        // Series first reported now, with their values; each key once (the last value wins).
        let mut fresh: Vec<(GaugeKey, f64)> = vec![];
        let mut fresh_at: HashMap<GaugeKey, usize> = HashMap::new();
        for g in samples {
            let mut labels = g.labels;
            labels.sort();
            let key = (g.name, labels);
            if let Some(&i) = self.gauges.get(&key) {
                seen[i] = true;
                self.series[i].current = g.value;
            } else if let Some(&j) = fresh_at.get(&key) {
                fresh[j].1 = g.value;
            } else {
                fresh_at.insert(key.clone(), fresh.len());
                fresh.push((key, g.value));
            }
        }
        for (s, seen) in self.series.iter_mut().zip(seen) {
            if s.kind == Kind::Gauge && !seen {
                s.current = STALE;
            }
        }
        if !fresh.is_empty() {
            self.add_gauges(fresh);
        }
        for s in &mut self.series {
            if s.kind == Kind::Gauge {
                s.record(t_ms);
            }
        }
        self.forget_old_gauges();
    }

    /// New gauge series, each placed after the others of its name (exposition groups a
    /// family's lines together). Added in one pass and indexed once: 50,000 pods starting
    /// at once report 50,000 new series in one scrape.
    fn add_gauges(&mut self, fresh: Vec<(GaugeKey, f64)>) {
        for ((name, labels), value) in fresh {
            let mut s = Series::new(name, &[], vec![]);
            s.labels = labels;
            s.kind = Kind::Gauge;
            s.current = value;
            self.series.push(s);
        }
        let mut first: HashMap<&'static str, usize> = HashMap::new();
        for (i, s) in self.series.iter().enumerate() {
            first.entry(s.name).or_insert(i);
        }
        // Stable: the series already there keep their order, the new ones theirs.
        self.series.sort_by_key(|s| first[s.name]);
        self.reindex_gauges();
    }

    fn reindex_gauges(&mut self) {
        self.gauges = self
            .series
            .iter()
            .enumerate()
            .filter(|(_, s)| s.kind == Kind::Gauge)
            .map(|(i, s)| ((s.name, s.labels.clone()), i))
            .collect();
    }

    /// Changes older than the oldest scrape are kept only as the value it starts from; a
    /// series that was already stale then is gone.
    fn forget_old_gauges(&mut self) {
        let Some(&oldest) = self.scrapes.front() else {
            return;
        };
        let before = self.series.len();
        for s in self.series.iter_mut().filter(|s| s.kind == Kind::Gauge) {
            while s.live.get(1).is_some_and(|(t, _)| *t <= oldest) {
                s.live.pop_front();
            }
        }
        self.series.retain(|s| {
            s.kind != Kind::Gauge
                || !(s.live.len() == 1 && s.live[0].0 <= oldest && is_stale(s.live[0].1))
        });
        if self.series.len() != before {
            self.reindex_gauges();
        }
    }

    /// A gauge's value at `t_ms`: the last change at or before it, unless that was going stale.
    fn gauge_at(s: &Series, t_ms: i64) -> Option<f64> {
        let i = s.live.partition_point(|(t, _)| *t <= t_ms);
        let v = s.live.get(i.checked_sub(1)?)?.1;
        (!is_stale(v)).then_some(v)
    }

    /// A gauge's samples in `[from, to]`: its value at each scrape.
    fn gauge_points(&self, s: &Series, from_ms: i64, to_ms: i64) -> Vec<(i64, f64)> {
        let lo = self.scrapes.partition_point(|t| *t < from_ms);
        let hi = self.scrapes.partition_point(|t| *t <= to_ms);
        (lo..hi.max(lo))
            .filter_map(|j| {
                let t = self.scrapes[j];
                Self::gauge_at(s, t).map(|v| (t, v))
            })
            .collect()
    }

    pub fn series(&self) -> &[Series] {
        &self.series
    }

    /// The newest recorded sample's time (ms).
    pub fn last_sample_ms(&self) -> i64 {
        self.last_record_ms
    }

    pub fn origin_ms(&self) -> i64 {
        self.origin_ms
    }

    /// History grid indices within `[from, to]` (inclusive, as Prometheus 2.x selects).
    fn grid(&self, from_ms: i64, to_ms: i64) -> Option<(i64, i64)> {
        let hi_ms = to_ms.min(self.live_from_ms - 1);
        if hi_ms < self.origin_ms || from_ms > hi_ms {
            return None;
        }
        let lo = ((from_ms - self.origin_ms).max(0) as u64).div_ceil(HISTORY_STEP_MS as u64) as i64;
        let hi = (hi_ms - self.origin_ms).div_euclid(HISTORY_STEP_MS);
        (lo <= hi).then_some((lo, hi))
    }

    fn grid_sample(&self, s: &Series, k: i64) -> (i64, f64) {
        let t = self.origin_ms + k * HISTORY_STEP_MS;
        (t, self.history_value_of(s, t))
    }

    fn live_range(s: &Series, from_ms: i64, to_ms: i64) -> std::ops::Range<usize> {
        let lo = s.live.partition_point(|(t, _)| *t < from_ms);
        let hi = s.live.partition_point(|(t, _)| *t <= to_ms);
        lo..hi.max(lo)
    }

    /// Every sample of series `i` in `[from, to]`, oldest first.
    pub fn points(&self, i: usize, from_ms: i64, to_ms: i64) -> Vec<(i64, f64)> {
        let s = &self.series[i];
        if s.kind == Kind::Gauge {
            return self.gauge_points(s, from_ms, to_ms);
        }
        let mut out = Vec::new();
        if let Some((lo, hi)) = self.grid(from_ms, to_ms) {
            out.extend((lo..=hi).map(|k| self.grid_sample(s, k)));
        }
        out.extend(Self::live_range(s, from_ms, to_ms).map(|j| s.live[j]));
        out
    }

    /// First, last, count and reset correction of series `i` in `[from, to]`; history is
    /// monotone (a test checks), so only its ends are computed.
    pub fn summary(&self, i: usize, from_ms: i64, to_ms: i64) -> Option<RangeSummary> {
        let s = &self.series[i];
        if s.kind == Kind::Gauge {
            return summarize(&self.gauge_points(s, from_ms, to_ms));
        }
        let mut sum: Option<RangeSummary> = None;
        let mut last_value = 0.0;
        if let Some((lo, hi)) = self.grid(from_ms, to_ms) {
            let (first, last) = (self.grid_sample(s, lo), self.grid_sample(s, hi));
            sum = Some(RangeSummary {
                count: (hi - lo + 1) as usize,
                first,
                last,
                reset_correction: 0.0,
            });
            last_value = last.1;
        }
        for j in Self::live_range(s, from_ms, to_ms) {
            let p = s.live[j];
            let r = sum.get_or_insert(RangeSummary {
                count: 0,
                first: p,
                last: p,
                reset_correction: 0.0,
            });
            if p.1 < last_value {
                r.reset_correction += last_value;
            }
            last_value = p.1;
            r.count += 1;
            r.last = p;
        }
        sum
    }

    /// The newest sample of series `i` in `[t - lookback, t]`.
    pub fn latest(&self, i: usize, t_ms: i64, lookback_ms: i64) -> Option<(i64, f64)> {
        let s = &self.series[i];
        if s.kind == Kind::Gauge {
            let j = self
                .scrapes
                .partition_point(|t| *t <= t_ms)
                .checked_sub(1)?;
            let t = self.scrapes[j];
            return (t >= t_ms - lookback_ms)
                .then(|| Self::gauge_at(s, t))
                .flatten()
                .map(|v| (t, v));
        }
        let r = Self::live_range(s, t_ms - lookback_ms, t_ms);
        if r.end > r.start {
            return Some(s.live[r.end - 1]);
        }
        self.grid(t_ms - lookback_ms, t_ms)
            .map(|(_, hi)| self.grid_sample(s, hi))
    }
}

/// A range's summary from its samples, resets found as Prometheus finds them.
fn summarize(points: &[(i64, f64)]) -> Option<RangeSummary> {
    let (&first, &last) = (points.first()?, points.last()?);
    let reset_correction = points
        .windows(2)
        .filter(|p| p[1].1 < p[0].1)
        .map(|p| p[0].1)
        .sum();
    Some(RangeSummary {
        count: points.len(),
        first,
        last,
        reset_correction,
    })
}
