//! One time series: its identity, how its history is computed, how the live world drives it,
//! and the bounded buffer of samples recorded since the sim started.

use std::collections::VecDeque;

use super::shape::Shape;

/// History is sampled on this grid (ms), like a scrape every minute.
pub const HISTORY_STEP_MS: i64 = 60_000;
/// Live samples are recorded this often (ms).
pub const LIVE_STEP_MS: i64 = 5_000;
/// Live samples kept per series: a day at [`LIVE_STEP_MS`] (about 270 KB per series).
pub const LIVE_CAP: usize = 17_280;

/// Which of the world's conditions scales a term of a series' rate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Factor {
    /// API traffic served by good-revision pods.
    Api,
    /// API traffic served by bad-revision pods (bad-rollout), client retries included.
    ApiBad,
    /// Pipeline runs on healthy workers, zero while generation is paused.
    Pipe,
    /// Pipeline runs that land on a hung worker (pipeline-stuck) and fail.
    Stuck,
    /// LLM calls: pipeline volume times the prompt-loop multiplier (cost-spike).
    Llm,
}

impl Factor {
    /// History is the platform on a normal day: incidents are live only.
    fn in_history(self) -> bool {
        !matches!(self, Factor::ApiBad | Factor::Stuck)
    }
}

/// What the world looks like right now, reduced to what the metrics need.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Inputs {
    pub api_ready: u32,
    pub api_bad_ready: u32,
    pub workers: u32,
    pub hung_workers: u32,
    pub paused: bool,
    pub prompt_loop: bool,
}

/// API replicas the history's traffic was served by (PLATFORM.md: 3).
const API_NOMINAL: f64 = 3.0;
/// Clients retry a 5xx up to twice: bad pods see about three times the traffic.
const RETRY_AMPLIFICATION: f64 = 3.0;
/// A prompt loop re-sends each prompt several times (cost-spike).
pub const PROMPT_LOOP: f64 = 8.0;

impl Inputs {
    pub fn factor(&self, f: Factor) -> f64 {
        let ready = f64::from(self.api_ready);
        let bad = f64::from(self.api_bad_ready.min(self.api_ready));
        let hung = if self.workers == 0 {
            0.0
        } else {
            f64::from(self.hung_workers.min(self.workers)) / f64::from(self.workers)
        };
        let running = if self.paused { 0.0 } else { 1.0 };
        match f {
            Factor::Api => (ready - bad) / API_NOMINAL,
            Factor::ApiBad => bad / API_NOMINAL * RETRY_AMPLIFICATION,
            Factor::Pipe => running * (1.0 - hung),
            Factor::Stuck => running * hung,
            Factor::Llm => {
                running * (1.0 - hung) * if self.prompt_loop { PROMPT_LOOP } else { 1.0 }
            }
        }
    }
}

/// `coef * shape(t) * factor`: one contribution to a counter's rate.
#[derive(Clone, Copy, Debug)]
pub struct Term {
    pub coef: f64,
    pub shape: usize,
    pub factor: Factor,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Counter,
    /// Only `generation_paused`: 0 in history, 1 while paused.
    PausedGauge,
    /// A gauge an exporter reports from the world's state (kube-state-metrics, the Celery
    /// exporter): no history, live only, and it may vanish. Its `live` holds only the changes
    /// (a value holds from its time until the next), [`STALE`] when the series vanished; the
    /// scrape times themselves are kept once, by [`super::Metrics`].
    Gauge,
}

/// Prometheus's staleness marker (`value.StaleNaN`): written when a series is gone from a
/// scrape, so selectors stop returning it at once instead of 5 minutes later.
pub const STALE: f64 = f64::from_bits(0x7ff0_0000_0000_0002);

pub fn is_stale(v: f64) -> bool {
    v.to_bits() == STALE.to_bits()
}

#[derive(Clone, Debug)]
pub struct Series {
    pub name: &'static str,
    /// Sorted by label name; no `__name__`.
    pub labels: Vec<(&'static str, String)>,
    pub kind: Kind,
    pub terms: Vec<Term>,
    /// (ms, value), oldest first; the first one is the value at the sim's start.
    pub live: VecDeque<(i64, f64)>,
    /// The value now (integrated every tick, recorded every [`LIVE_STEP_MS`]).
    pub current: f64,
}

impl Series {
    pub fn new(name: &'static str, labels: &[(&'static str, &str)], terms: Vec<Term>) -> Series {
        let mut labels: Vec<(&'static str, String)> =
            labels.iter().map(|(k, v)| (*k, (*v).to_string())).collect();
        labels.sort_by_key(|(k, _)| *k);
        Series {
            name,
            labels,
            kind: Kind::Counter,
            terms,
            live: VecDeque::new(),
            current: 0.0,
        }
    }

    pub fn label(&self, name: &str) -> Option<&str> {
        if name == "__name__" {
            return Some(self.name);
        }
        self.labels
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value at `t_s` (Unix seconds) from history alone: the integral since `origin_s`.
    pub fn history_value(&self, shapes: &[Shape], origin_s: f64, t_s: f64) -> f64 {
        match self.kind {
            Kind::PausedGauge | Kind::Gauge => 0.0,
            Kind::Counter => self
                .terms
                .iter()
                .filter(|t| t.factor.in_history())
                .map(|t| t.coef * shapes[t.shape].integral(origin_s, t_s))
                .sum(),
        }
    }

    /// Events per second now, from the world's state. Never negative: counters only go up.
    pub fn live_rate(&self, shapes: &[Shape], t_s: f64, inputs: &Inputs) -> f64 {
        let r: f64 = self
            .terms
            .iter()
            .map(|t| t.coef * shapes[t.shape].rate(t_s) * inputs.factor(t.factor))
            .sum();
        r.max(0.0)
    }

    pub fn advance(&mut self, shapes: &[Shape], t_s: f64, dt_s: f64, inputs: &Inputs) {
        match self.kind {
            Kind::PausedGauge => self.current = if inputs.paused { 1.0 } else { 0.0 },
            Kind::Counter => self.current += self.live_rate(shapes, t_s, inputs) * dt_s,
            Kind::Gauge => {}
        }
    }

    pub fn record(&mut self, t_ms: i64) {
        if self.kind == Kind::Gauge {
            // Changes only (staleness included: NaN != NaN, so compare bits).
            if self
                .live
                .back()
                .is_none_or(|(_, v)| v.to_bits() != self.current.to_bits())
            {
                self.live.push_back((t_ms, self.current));
            }
            return;
        }
        self.live.push_back((t_ms, self.current));
        while self.live.len() > LIVE_CAP {
            self.live.pop_front();
        }
    }
}
