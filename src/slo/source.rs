//! The SLO source: every refresh, each SLO's error ratio over each window its alert rows need,
//! from Prometheus. Sloth's recording rules are read instead of raw queries where Prometheus has
//! them; the whole-period ratio (the expensive one) is cached for minutes.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use futures::StreamExt;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::math::{required_windows, windows_for};
use super::{Slo, format_duration};
use crate::clients::poll::{self, Next, Step};
use crate::clients::prometheus::{PromError, Prometheus, QueryResult};
use crate::status::Backoff;

/// How long the whole-period ratio is reused (REFERENCE.md §12: 30-day queries are the slow ones).
pub const PERIOD_CACHE: Duration = Duration::from_secs(300);
/// Expired period ratios re-read per refresh: they all expire together, so re-reading a few
/// per refresh spreads the slow queries instead of making every fifth minute slow.
const PERIODS_PER_REFRESH: usize = 4;
/// How often to look again for Sloth's recording rules.
const RULES_RECHECK: Duration = Duration::from_secs(600);
/// Queries in flight at once.
const CONCURRENCY: usize = 8;
/// Windows Sloth records `slo:sli_error:ratio_rate<w>` for.
const SLOTH_WINDOWS: [&str; 8] = ["5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d"];

/// What the SLO source tells the UI.
#[derive(Clone, Debug, PartialEq)]
pub enum SloMsg {
    Refreshed {
        at_ms: i64,
        readings: Vec<SloReading>,
    },
    /// Prometheus itself failed: every SLO is stale.
    Failed {
        reason: String,
        retry_in: Option<Duration>,
    },
}

/// One SLO's error ratios as Prometheus answered them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SloReading {
    pub key: String,
    /// Error ratio per window; a window without data (no series, or NaN from no traffic) is
    /// absent.
    pub ratios: BTreeMap<Duration, f64>,
    pub period_ratio: Option<f64>,
    /// The PromQL used, per window (the period last).
    pub queries: Vec<(Duration, String)>,
    pub recording_rules: bool,
    /// A query of this SLO that Prometheus refused (e.g. bad_data): shown on its row.
    pub error: Option<String>,
    /// On the first refresh only: the burn window's error ratio over the last hour, a minute
    /// apart (a range query), so the trend shows at once instead of filling up refresh by
    /// refresh.
    pub history: Option<Vec<f64>>,
}

/// Where one SLO's figures come from.
#[derive(Clone, Debug)]
struct Plan {
    key: String,
    period: Duration,
    /// (window, query), the period last.
    queries: Vec<(Duration, String)>,
    recording_rules: bool,
}

fn plan(slo: &Slo, recorded: &BTreeSet<String>) -> Plan {
    let mut all = required_windows(&windows_for(slo.period));
    all.push(slo.period);
    let sloth = slo
        .sloth_id
        .as_ref()
        .filter(|id| recorded.contains(*id))
        .filter(|_| {
            all.iter()
                .all(|w| SLOTH_WINDOWS.contains(&format_duration(*w).as_str()))
        });
    let queries = all
        .iter()
        .map(|&w| {
            let q = match sloth {
                Some(id) => recording_rule(id, w),
                None => slo.sli.error_ratio_query(w),
            };
            (w, q)
        })
        .collect();
    Plan {
        key: slo.key(),
        period: slo.period,
        queries,
        recording_rules: sloth.is_some(),
    }
}

fn recording_rule(sloth_id: &str, window: Duration) -> String {
    format!(
        "max(slo:sli_error:ratio_rate{}{{sloth_id=\"{}\"}})",
        format_duration(window),
        sloth_id.replace('\\', "\\\\").replace('"', "\\\"")
    )
}

/// The period ratio of one SLO and when it was read.
#[derive(Clone, Copy, Debug)]
struct Cached {
    ratio: Option<f64>,
    at: Instant,
}

pub struct SloSource {
    prom: Prometheus,
    slos: Vec<Slo>,
    interval: Duration,
    recorded: BTreeSet<String>,
    rules_checked: Option<Instant>,
    period_cache: HashMap<String, Cached>,
    /// Evaluation time (seconds); None is Prometheus's now.
    at: Option<f64>,
    period_cache_for: Duration,
    /// Whether the trend history was read (once, on the first good refresh).
    history_read: bool,
}

/// One query of a refresh.
#[derive(Clone, Copy, Debug)]
enum Job {
    /// Every alert window of plan N, in one query.
    Windows(usize),
    /// Plan N's whole period.
    Period(usize),
}

/// The label a batched query marks each window's answer with.
const WINDOW_LABEL: &str = "opsdeck_window";

impl Job {
    fn plan(self) -> usize {
        match self {
            Job::Windows(p) | Job::Period(p) => p,
        }
    }

    /// One query for all of an SLO's windows: each window's ratio tagged with its window by
    /// `label_replace`, joined with `or` (REFERENCE.md §12: fewer, aggregated queries).
    fn query(self, plans: &[Plan]) -> String {
        match self {
            Job::Windows(p) => {
                let plan = &plans[p];
                let windows = &plan.queries[..plan.queries.len().saturating_sub(1)];
                windows
                    .iter()
                    .map(|(w, q)| {
                        let q = q.split_whitespace().collect::<Vec<_>>().join(" ");
                        format!(
                            "label_replace(({q}), \"{WINDOW_LABEL}\", \"{}\", \"\", \"\")",
                            format_duration(*w)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(" or ")
            }
            Job::Period(p) => plans[p]
                .queries
                .last()
                .map(|(_, q)| q.clone())
                .unwrap_or_default(),
        }
    }
}

/// Each window's finite ratio from a batched answer.
fn window_ratios(answer: &QueryResult) -> BTreeMap<Duration, f64> {
    let QueryResult::Vector(samples) = answer else {
        return BTreeMap::new();
    };
    samples
        .iter()
        .filter(|s| s.value.is_finite())
        .filter_map(|s| {
            let w = s.metric.get(WINDOW_LABEL)?;
            Some((super::parse_duration(w).ok()?, s.value))
        })
        .collect()
}

impl SloSource {
    pub fn new(prom: Prometheus, slos: Vec<Slo>, interval: Duration) -> Self {
        SloSource {
            prom,
            slos,
            interval,
            recorded: BTreeSet::new(),
            rules_checked: None,
            period_cache: HashMap::new(),
            at: None,
            period_cache_for: PERIOD_CACHE,
            history_read: false,
        }
    }

    /// Evaluates every query at `time` (seconds) instead of Prometheus's now: reproducible
    /// figures, for comparisons and replays.
    pub fn at_time(mut self, time: f64) -> Self {
        self.at = Some(time);
        self
    }

    /// Reuses whole-period ratios for `d` instead of [`PERIOD_CACHE`].
    pub fn with_period_cache(mut self, d: Duration) -> Self {
        self.period_cache_for = d;
        self
    }

    /// Skips the first refresh's one-hour trend (range queries): for one-shot readers that
    /// show no sparkline.
    pub fn without_history(mut self) -> Self {
        self.history_read = true;
        self
    }

    /// Refreshes every `interval` until `token` is cancelled or the receiver goes away.
    pub async fn run<M: From<SloMsg> + Send + 'static>(
        self,
        tx: mpsc::Sender<M>,
        token: CancellationToken,
    ) {
        let interval = self.interval;
        let mut task = SloTask {
            source: self,
            tx,
            backoff: Backoff::default(),
        };
        poll::every(interval, &token, &mut task).await;
    }

    /// One refresh of every SLO. Fails as a whole only when Prometheus cannot be reached.
    pub async fn refresh(&mut self) -> Result<Vec<SloReading>, PromError> {
        let stale_rules = self
            .rules_checked
            .is_none_or(|at| at.elapsed() >= RULES_RECHECK);
        if stale_rules {
            self.recorded = self.sloth_rules().await?;
            self.rules_checked = Some(Instant::now());
        }
        let plans: Vec<Plan> = self.slos.iter().map(|s| plan(s, &self.recorded)).collect();
        // Which queries to run: every SLO's windows batched in one query, and its period
        // unless cached.
        let mut jobs: Vec<Job> = Vec::new();
        let mut expired_allowed = PERIODS_PER_REFRESH;
        for (p, plan) in plans.iter().enumerate() {
            jobs.push(Job::Windows(p));
            let read = match self.period_cache.get(&plan.key) {
                None => true,
                Some(c) if c.at.elapsed() >= self.period_cache_for && expired_allowed > 0 => {
                    expired_allowed -= 1;
                    true
                }
                Some(_) => false,
            };
            if read {
                jobs.push(Job::Period(p));
            }
        }
        let (prom, at) = (&self.prom, self.at);
        let plans_ref = &plans;
        let answers: Vec<(Job, Result<QueryResult, PromError>)> = futures::stream::iter(jobs)
            .map(|job| async move {
                let query = job.query(plans_ref);
                (job, prom.query(&query, at).await)
            })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        let mut readings: Vec<SloReading> = plans
            .iter()
            .map(|plan| SloReading {
                key: plan.key.clone(),
                queries: plan.queries.clone(),
                recording_rules: plan.recording_rules,
                ..SloReading::default()
            })
            .collect();
        for (job, answer) in answers {
            let answer = match answer {
                Ok(a) => a,
                Err(e) if e.is_transient() => return Err(e),
                Err(e) => {
                    readings[job.plan()].error = Some(e.to_string());
                    continue;
                }
            };
            match job {
                Job::Windows(p) => readings[p].ratios = window_ratios(&answer),
                Job::Period(p) => {
                    let v = answer.single_value().filter(|v| v.is_finite());
                    readings[p].period_ratio = v;
                    let cached = Cached {
                        ratio: v,
                        at: Instant::now(),
                    };
                    self.period_cache.insert(plans[p].key.clone(), cached);
                }
            }
        }
        for (plan, reading) in plans.iter().zip(&mut readings) {
            if reading.period_ratio.is_none()
                && let Some(c) = self.period_cache.get(&plan.key)
            {
                reading.period_ratio = c.ratio;
            }
            // A period query equal to a window's (a period shorter than 3d) shares its answer.
            if reading.period_ratio.is_none()
                && let Some(&r) = reading.ratios.get(&plan.period)
            {
                reading.period_ratio = Some(r);
            }
        }
        if !self.history_read {
            self.read_history(&plans, &mut readings).await?;
            self.history_read = true;
        }
        Ok(readings)
    }

    /// One range query per SLO: the last hour of its burn window's error ratio, a minute apart.
    async fn read_history(
        &self,
        plans: &[Plan],
        readings: &mut [SloReading],
    ) -> Result<(), PromError> {
        let end = self
            .at
            .unwrap_or_else(|| crate::status::now_ms() as f64 / 1000.0);
        let step = Duration::from_secs(60);
        let prom = &self.prom;
        // The burn window is the fastest page row's long one (1h for 30 days).
        let jobs: Vec<(usize, String)> = plans
            .iter()
            .enumerate()
            .filter_map(|(i, plan)| {
                let burn = windows_for(plan.period).first().map(|w| w.long)?;
                let (_, q) = plan.queries.iter().find(|(w, _)| *w == burn)?;
                Some((i, q.clone()))
            })
            .collect();
        let answers: Vec<(usize, Result<QueryResult, PromError>)> = futures::stream::iter(jobs)
            .map(|(i, query)| async move {
                (i, prom.query_range(&query, end - 3540.0, end, step).await)
            })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        for (i, answer) in answers {
            match answer {
                Ok(QueryResult::Matrix(series)) => {
                    let values = series
                        .first()
                        .map(|s| s.values.iter().map(|(_, v)| *v).collect())
                        .unwrap_or_default();
                    readings[i].history = Some(values);
                }
                Ok(_) => {}
                Err(e) if e.is_transient() => return Err(e),
                // A server that cannot range-query this leaves the trend to fill up live.
                Err(_) => {}
            }
        }
        Ok(())
    }

    /// The `sloth_id`s whose 5-minute recording rule Prometheus has: one query for all SLOs.
    async fn sloth_rules(&self) -> Result<BTreeSet<String>, PromError> {
        if self.slos.iter().all(|s| s.sloth_id.is_none()) {
            return Ok(BTreeSet::new());
        }
        match self
            .prom
            .query("count by (sloth_id) (slo:sli_error:ratio_rate5m)", self.at)
            .await
        {
            Ok(QueryResult::Vector(v)) => Ok(v
                .into_iter()
                .filter_map(|s| s.metric.get("sloth_id").cloned())
                .collect()),
            Ok(_) => Ok(BTreeSet::new()),
            Err(e) if e.is_transient() => Err(e),
            // A server that cannot answer this (an older or partial PromQL) has no rules for us.
            Err(_) => Ok(BTreeSet::new()),
        }
    }
}

struct SloTask<M> {
    source: SloSource,
    tx: mpsc::Sender<M>,
    backoff: Backoff,
}

impl<M: From<SloMsg> + Send + 'static> Step for SloTask<M> {
    async fn step(&mut self) -> Next {
        let (msg, next) = match self.source.refresh().await {
            Ok(readings) => {
                self.backoff.reset();
                let at_ms = crate::status::now_ms();
                (SloMsg::Refreshed { at_ms, readings }, Next::Tick)
            }
            Err(err) => {
                // Only an unreachable Prometheus fails a whole refresh: always worth a retry.
                tracing::warn!(url = %self.source.prom.url(), %err, "prometheus failed");
                let delay = self.backoff.next_delay_asked(err.retry_after());
                let msg = SloMsg::Failed {
                    reason: err.to_string(),
                    retry_in: Some(delay),
                };
                (msg, Next::RetryIn(delay))
            }
        };
        match self.tx.send(M::from(msg)).await {
            Ok(()) => next,
            Err(_) => Next::Stop,
        }
    }
}

/// Starts the SLO source as a task.
pub fn spawn_slo_source<M: From<SloMsg> + Send + 'static>(
    prom: Prometheus,
    slos: Vec<Slo>,
    interval: Duration,
    tx: mpsc::Sender<M>,
    token: CancellationToken,
) {
    tokio::spawn(SloSource::new(prom, slos, interval).run(tx, token));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn slos() -> Vec<Slo> {
        let text = include_str!("../../examples/slos/api.yaml");
        super::super::parse_file(text, Path::new("api.yaml")).expect("parses")
    }

    #[test]
    fn raw_plan_queries_every_window_and_the_period_last() {
        let slo = &slos()[0];
        let p = plan(slo, &BTreeSet::new());
        let windows: Vec<String> = p.queries.iter().map(|(w, _)| format_duration(*w)).collect();
        assert_eq!(windows, ["5m", "30m", "1h", "6h", "3d", "30d"]);
        assert!(!p.recording_rules);
        assert!(p.queries[0].1.contains("[5m]"), "{}", p.queries[0].1);
    }

    #[test]
    fn windows_go_in_one_query_and_come_back_by_label() {
        let slo = &slos()[0];
        let plans = vec![plan(slo, &BTreeSet::new())];
        let q = Job::Windows(0).query(&plans);
        assert_eq!(q.matches(" or ").count(), 4, "{q}");
        assert!(
            q.starts_with("label_replace(((sum(rate(http_requests_total"),
            "{q}"
        );
        assert!(q.contains(r#""opsdeck_window", "3d", "", "")"#), "{q}");
        assert!(!q.contains("[30d]"), "the period has its own query: {q}");
        let answer = QueryResult::Vector(vec![
            crate::clients::prometheus::Sample {
                metric: [("opsdeck_window".to_string(), "1h".to_string())].into(),
                at: 0.0,
                value: 0.002,
            },
            crate::clients::prometheus::Sample {
                metric: [("opsdeck_window".to_string(), "5m".to_string())].into(),
                at: 0.0,
                value: f64::NAN,
            },
        ]);
        let ratios = window_ratios(&answer);
        assert_eq!(ratios.len(), 1, "NaN (no traffic) is no data");
        assert_eq!(ratios[&Duration::from_secs(3600)], 0.002);
    }

    #[test]
    fn sloth_rules_replace_raw_queries_when_prometheus_has_them() {
        let slo = &slos()[0];
        let id = slo.sloth_id.clone().expect("sloth id");
        let p = plan(slo, &BTreeSet::from([id.clone()]));
        assert!(p.recording_rules);
        assert_eq!(
            p.queries[0].1,
            format!("max(slo:sli_error:ratio_rate5m{{sloth_id=\"{id}\"}})")
        );
        assert_eq!(
            p.queries.last().map(|q| q.1.clone()),
            Some(format!(
                "max(slo:sli_error:ratio_rate30d{{sloth_id=\"{id}\"}})"
            ))
        );
    }
}
