//! The cost model (pure): LLM spend and infrastructure readings in; budgets with spend so far,
//! a projection and a state, unit cost per article and per pipeline run, out. The clock comes
//! in with each message.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use crate::config::BudgetConfig;
use crate::status::LoadState;

/// Spend per refresh kept for the sparkline.
const HISTORY: usize = 60;
const DAY_SECS: i64 = 86_400;

/// Spend of one scope (all LLM spend, one provider, one service) over the windows budgets use.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct Spend {
    /// Since 00:00 UTC.
    pub today_usd: f64,
    /// Since the 1st of the month, 00:00 UTC.
    pub month_usd: f64,
    /// Per hour, over the last 15 minutes: the end-of-day projection's rate (recent enough that
    /// pausing generation bends the projection within minutes).
    pub hourly_usd: f64,
    /// Over the last 24 hours: the end-of-month projection's daily rate.
    pub last_24h_usd: f64,
}

/// What Prometheus's LLM counters say.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct LlmReading {
    pub total: Spend,
    pub by_provider: BTreeMap<String, Spend>,
    pub by_service: BTreeMap<String, Spend>,
    pub last_7d_usd: f64,
    /// Spent in the last hour.
    pub last_hour_usd: f64,
    /// Tokens over the last 24 hours, per model.
    pub tokens_24h_by_model: BTreeMap<String, f64>,
    pub articles_today: f64,
    pub articles_7d: f64,
    pub runs_today: f64,
    pub runs_7d: f64,
}

/// One workload's infrastructure cost this month, from OpenCost.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct WorkloadCost {
    /// OpenCost's key: `namespace/controller`, or `__idle__` / `__unallocated__`.
    pub key: String,
    pub cost_usd: f64,
    pub cpu_efficiency: Option<f64>,
    pub ram_efficiency: Option<f64>,
}

/// What OpenCost says about the cluster.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct InfraReading {
    pub month_usd: f64,
    pub today_usd: f64,
    pub last_7d_usd: f64,
    /// Most expensive first.
    pub workloads: Vec<WorkloadCost>,
}

/// What the cost sources tell the UI; each source fails on its own.
#[derive(Clone, Debug, PartialEq)]
pub enum CostMsg {
    Llm {
        at_ms: i64,
        reading: Box<LlmReading>,
    },
    LlmFailed {
        reason: String,
        retry_in: Option<Duration>,
    },
    Infra {
        at_ms: i64,
        reading: InfraReading,
    },
    InfraFailed {
        reason: String,
        retry_in: Option<Duration>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum BudgetState {
    Over,
    /// Under so far, projected over by the end of the period.
    Warning,
    Ok,
    Unknown,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Period {
    Day,
    Month,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    Llm,
    Provider(String),
    Service(String),
    Infra,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Budget {
    pub label: String,
    pub scope: Scope,
    pub period: Period,
    pub limit_usd: f64,
    pub spent_usd: Option<f64>,
    pub projected_usd: Option<f64>,
    pub state: BudgetState,
}

impl Budget {
    fn new(scope: Scope, period: Period, limit_usd: f64) -> Self {
        let what = match &scope {
            Scope::Llm => "LLM".to_string(),
            Scope::Provider(p) => format!("LLM {p}"),
            Scope::Service(s) => format!("LLM {s}"),
            Scope::Infra => "infra".to_string(),
        };
        let per = match period {
            Period::Day => "day",
            Period::Month => "month",
        };
        Budget {
            label: format!("{what}/{per}"),
            scope,
            period,
            limit_usd,
            spent_usd: None,
            projected_usd: None,
            state: BudgetState::Unknown,
        }
    }
}

impl Budget {
    /// How runbooks name it: `llm/day`, `llm/month`, `infra/month`, `openai/day`,
    /// `article-generator/month` (lower case, no spaces).
    pub fn key(&self) -> String {
        let scope = match &self.scope {
            Scope::Llm => "llm",
            Scope::Infra => "infra",
            Scope::Provider(p) | Scope::Service(p) => p,
        };
        let per = match self.period {
            Period::Day => "day",
            Period::Month => "month",
        };
        format!("{}/{per}", scope.to_lowercase())
    }
}

/// Cost per article and per pipeline run.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct UnitCost {
    pub per_article_today: Option<f64>,
    pub per_article_7d: Option<f64>,
    pub per_run_today: Option<f64>,
    pub per_run_7d: Option<f64>,
    pub target_per_article: Option<f64>,
}

impl UnitCost {
    /// Over target today (the 7-day figure is the trend, today's is the incident).
    pub fn over_target(&self) -> bool {
        self.per_article_today
            .zip(self.target_per_article)
            .is_some_and(|(c, t)| c > t)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct CostModel {
    pub budgets: Vec<Budget>,
    pub llm: Option<LlmReading>,
    pub infra: Option<InfraReading>,
    pub llm_load: LoadState,
    pub infra_load: LoadState,
    pub unit: UnitCost,
    /// LLM spend per hour, one value per reading.
    pub history: VecDeque<f64>,
    /// Which sources exist (an unconfigured one is said so, never "loading").
    pub sources: CostSources,
    /// When the last LLM reading and the last OpenCost reading were taken: each source's
    /// budgets are projected from its own reading's time, so one source failing (or time
    /// passing without a reading) never moves another's projection.
    llm_at_ms: i64,
    infra_at_ms: i64,
}

/// Which cost sources are configured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CostSources {
    /// LLM counters in Prometheus (`[prometheus]`).
    pub llm: bool,
    /// OpenCost (`[opencost]`).
    pub infra: bool,
}

impl Default for CostModel {
    fn default() -> Self {
        CostModel::new(None, CostSources::default())
    }
}

impl CostModel {
    pub fn new(config: Option<&BudgetConfig>, sources: CostSources) -> Self {
        let mut budgets = Vec::new();
        let mut target = None;
        if let Some(c) = config {
            let mut add = |scope: Scope, period, limit: Option<f64>| {
                if let Some(l) = limit {
                    budgets.push(Budget::new(scope, period, l));
                }
            };
            add(Scope::Llm, Period::Day, c.llm_daily_usd);
            add(Scope::Llm, Period::Month, c.llm_monthly_usd);
            add(Scope::Infra, Period::Month, c.infra_monthly_usd);
            for l in &c.limits {
                let scope = match (&l.provider, &l.service) {
                    (Some(p), _) => Scope::Provider(p.clone()),
                    (None, Some(s)) => Scope::Service(s.clone()),
                    (None, None) => Scope::Llm,
                };
                add(scope.clone(), Period::Day, l.daily_usd);
                add(scope, Period::Month, l.monthly_usd);
            }
            target = c.cost_per_article_usd;
        }
        CostModel {
            budgets,
            llm: None,
            infra: None,
            llm_load: LoadState::Loading,
            infra_load: LoadState::Loading,
            unit: UnitCost {
                target_per_article: target,
                ..UnitCost::default()
            },
            history: VecDeque::new(),
            sources,
            llm_at_ms: 0,
            infra_at_ms: 0,
        }
    }

    /// Worst first: over, warning, ok, unknown; then the most spent against its limit.
    pub fn budgets(&self) -> &[Budget] {
        &self.budgets
    }

    /// `now_ms` stamps a failure; readings carry their own time.
    pub fn apply(&mut self, msg: &CostMsg, now_ms: i64) {
        match msg {
            CostMsg::Llm { at_ms, reading } => {
                self.llm_at_ms = *at_ms;
                self.unit = unit_cost(reading, self.unit.target_per_article);
                push(&mut self.history, reading.total.hourly_usd);
                self.llm = Some((**reading).clone());
                self.llm_load = LoadState::Live;
            }
            CostMsg::Infra { at_ms, reading } => {
                self.infra_at_ms = *at_ms;
                self.infra = Some(reading.clone());
                self.infra_load = LoadState::Live;
            }
            CostMsg::LlmFailed { reason, retry_in } => {
                // Panes show stale times in seconds.
                self.llm_load = self
                    .llm_load
                    .failed(reason, *retry_in, now_ms.div_euclid(1000));
            }
            CostMsg::InfraFailed { reason, retry_in } => {
                self.infra_load =
                    self.infra_load
                        .failed(reason, *retry_in, now_ms.div_euclid(1000));
            }
        }
        self.reproject();
    }

    fn reproject(&mut self) {
        let infra_month_left = month_left(self.infra_at_ms);
        let (day_left, month_left) = (day_left(self.llm_at_ms), month_left(self.llm_at_ms));
        for b in &mut self.budgets {
            let figures = match &b.scope {
                Scope::Infra => self.infra.as_ref().map(|i| {
                    // Month-to-date plus the last 7 days' daily average for the days left:
                    // never a division by the time elapsed, so the 1st of the month is fine.
                    (
                        i.month_usd,
                        i.month_usd + i.last_7d_usd / 7.0 * infra_month_left,
                    )
                }),
                scope => self.llm.as_ref().map(|l| {
                    let spend = match scope {
                        Scope::Provider(p) => l.by_provider.get(p).copied().unwrap_or_default(),
                        Scope::Service(s) => l.by_service.get(s).copied().unwrap_or_default(),
                        _ => l.total,
                    };
                    project(&spend, b.period, day_left, month_left)
                }),
            };
            (b.spent_usd, b.projected_usd) = match figures {
                Some((s, p)) => (Some(s), Some(p)),
                None => (None, None),
            };
            b.state = match (b.spent_usd, b.projected_usd) {
                (Some(s), _) if s > b.limit_usd => BudgetState::Over,
                (_, Some(p)) if p > b.limit_usd => BudgetState::Warning,
                (Some(_), _) => BudgetState::Ok,
                _ => BudgetState::Unknown,
            };
        }
        let used = |b: &Budget| b.projected_usd.unwrap_or(0.0) / b.limit_usd.max(f64::EPSILON);
        self.budgets.sort_by(|a, b| {
            a.state
                .cmp(&b.state)
                .then(used(b).total_cmp(&used(a)))
                .then_with(|| a.label.cmp(&b.label))
        });
    }

    /// The cost pane's load state: a configured source that is stale says so; else loading
    /// until the LLM counters first answer (an OpenCost slow to answer does not hold the pane
    /// in "loading" while spend is live).
    pub fn load(&self) -> LoadState {
        let (llm, infra) = (self.sources.llm, self.sources.infra);
        match (&self.llm_load, &self.infra_load) {
            (s @ LoadState::Stale { .. }, _) if llm => s.clone(),
            (_, s @ LoadState::Stale { .. }) if infra => s.clone(),
            (LoadState::Loading, _) if llm => LoadState::Loading,
            (_, LoadState::Loading) if !llm && infra => LoadState::Loading,
            _ => LoadState::Live,
        }
    }
}

/// (spent so far, projected at the end of the period). End of day: today's spend plus the last
/// 15 minutes' rate for the hours left. End of month: the month's spend plus the last 24 hours' for
/// the days left. Rates, not spend divided by time elapsed: no division by zero at 00:01.
fn project(spend: &Spend, period: Period, day_left_h: f64, month_left_d: f64) -> (f64, f64) {
    match period {
        Period::Day => (
            spend.today_usd,
            spend.today_usd + spend.hourly_usd * day_left_h,
        ),
        Period::Month => (
            spend.month_usd,
            spend.month_usd + spend.last_24h_usd * month_left_d,
        ),
    }
}

fn unit_cost(l: &LlmReading, target: Option<f64>) -> UnitCost {
    let per = |usd: f64, n: f64| (n >= 1.0).then(|| usd / n);
    UnitCost {
        per_article_today: per(l.total.today_usd, l.articles_today),
        per_article_7d: per(l.last_7d_usd, l.articles_7d),
        per_run_today: per(l.total.today_usd, l.runs_today),
        per_run_7d: per(l.last_7d_usd, l.runs_7d),
        target_per_article: target,
    }
}

fn push(history: &mut VecDeque<f64>, v: f64) {
    if history.len() == HISTORY {
        history.pop_front();
    }
    history.push_back(v);
}

/// Hours left until 00:00 UTC.
pub fn day_left(now_ms: i64) -> f64 {
    let secs = now_ms.div_euclid(1000);
    (DAY_SECS - secs.rem_euclid(DAY_SECS)) as f64 / 3600.0
}

/// Seconds since 00:00 UTC today and since the 1st of this month, 00:00 UTC.
pub fn since_day_and_month(now_ms: i64) -> (i64, i64) {
    let secs = now_ms.div_euclid(1000);
    let day = secs.rem_euclid(DAY_SECS);
    let month_start = month_bounds(now_ms).map_or(secs - day, |(start, _)| start);
    (day, secs - month_start)
}

/// Days left until the 1st of next month, 00:00 UTC.
pub fn month_left(now_ms: i64) -> f64 {
    let secs = now_ms.div_euclid(1000);
    month_bounds(now_ms).map_or(0.0, |(_, end)| (end - secs) as f64 / DAY_SECS as f64)
}

/// (start, end) of the UTC month holding `now_ms`, in seconds.
fn month_bounds(now_ms: i64) -> Option<(i64, i64)> {
    use jiff::tz::TimeZone;
    let date = jiff::Timestamp::from_millisecond(now_ms)
        .ok()?
        .to_zoned(TimeZone::UTC)
        .date();
    let first = date.first_of_month();
    let next = first.checked_add(jiff::Span::new().months(1)).ok()?;
    let at = |d: jiff::civil::Date| {
        d.to_zoned(TimeZone::UTC)
            .ok()
            .map(|z| z.timestamp().as_second())
    };
    Some((at(first)?, at(next)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::BudgetLimit;

    /// 2026-11-25 18:00:00 UTC: 6 hours and 5.25 days left.
    const NOW: i64 = 1_795_629_600_000;
    const BOTH: CostSources = CostSources {
        llm: true,
        infra: true,
    };
    const LLM_ONLY: CostSources = CostSources {
        llm: true,
        infra: false,
    };

    fn config() -> BudgetConfig {
        BudgetConfig {
            llm_daily_usd: Some(50.0),
            llm_monthly_usd: Some(1200.0),
            infra_monthly_usd: Some(500.0),
            cost_per_article_usd: Some(0.05),
            limits: vec![BudgetLimit {
                provider: Some("openai".into()),
                service: None,
                daily_usd: Some(20.0),
                monthly_usd: None,
            }],
        }
    }

    fn spend(today: f64, month: f64, hourly: f64, day: f64) -> Spend {
        Spend {
            today_usd: today,
            month_usd: month,
            hourly_usd: hourly,
            last_24h_usd: day,
        }
    }

    fn llm(today: f64, hourly: f64) -> Box<LlmReading> {
        Box::new(LlmReading {
            total: spend(today, 900.0, hourly, 40.0),
            by_provider: BTreeMap::from([("openai".into(), spend(12.0, 400.0, 1.0, 16.0))]),
            last_7d_usd: 280.0,
            articles_today: 1000.0,
            articles_7d: 14_000.0,
            runs_today: 1100.0,
            runs_7d: 15_000.0,
            ..LlmReading::default()
        })
    }

    #[test]
    fn clock_helpers() {
        assert_eq!(day_left(NOW), 6.0);
        assert!((month_left(NOW) - 5.25).abs() < 1e-9);
        assert_eq!(
            since_day_and_month(NOW),
            (18 * 3600, 24 * 86_400 + 18 * 3600)
        );
    }

    #[test]
    fn a_spike_projects_over_the_daily_budget_before_spending_it() {
        let mut m = CostModel::new(Some(&config()), BOTH);
        m.apply(
            &CostMsg::Llm {
                at_ms: NOW,
                reading: llm(35.0, 4.0),
            },
            NOW,
        );
        let daily = m
            .budgets()
            .iter()
            .find(|b| b.label == "LLM/day")
            .expect("daily");
        assert_eq!(daily.spent_usd, Some(35.0));
        assert_eq!(daily.projected_usd, Some(35.0 + 4.0 * 6.0));
        assert_eq!(daily.state, BudgetState::Warning);
        assert_eq!(m.budgets()[0].label, "LLM/day", "worst first");
        // The month: 900 + 40/day x 5.25 days = 1110 < 1200.
        let monthly = m
            .budgets()
            .iter()
            .find(|b| b.label == "LLM/month")
            .expect("m");
        assert_eq!(
            (monthly.projected_usd, monthly.state),
            (Some(1110.0), BudgetState::Ok)
        );
        // Per provider: 12 + 1 x 6 = 18 < 20.
        let openai = m
            .budgets()
            .iter()
            .find(|b| b.label == "LLM openai/day")
            .expect("p");
        assert_eq!(
            (openai.projected_usd, openai.state),
            (Some(18.0), BudgetState::Ok)
        );
        let keys: Vec<String> = m.budgets().iter().map(Budget::key).collect();
        for k in ["llm/day", "llm/month", "openai/day", "infra/month"] {
            assert!(keys.iter().any(|x| x == k), "{k} in {keys:?}");
        }
        // OpenCost has not answered yet: infra is unknown, sorted last.
        assert_eq!(
            m.budgets().last().map(|b| b.state),
            Some(BudgetState::Unknown)
        );
        // Pausing generation: the rate drops, and so does the projection.
        m.apply(
            &CostMsg::Llm {
                at_ms: NOW,
                reading: llm(35.0, 0.0),
            },
            NOW,
        );
        let daily = m
            .budgets()
            .iter()
            .find(|b| b.label == "LLM/day")
            .expect("daily");
        assert_eq!(daily.state, BudgetState::Ok);
        m.apply(
            &CostMsg::Llm {
                at_ms: NOW,
                reading: llm(51.0, 0.0),
            },
            NOW,
        );
        assert_eq!(m.budgets()[0].state, BudgetState::Over);
    }

    #[test]
    fn the_first_minutes_of_a_day_project_from_the_rate_without_dividing_by_zero() {
        let midnight = NOW - 18 * 3_600_000;
        let mut m = CostModel::new(Some(&config()), LLM_ONLY);
        m.apply(
            &CostMsg::Llm {
                at_ms: midnight,
                reading: llm(0.0, 2.0),
            },
            midnight,
        );
        let daily = m
            .budgets()
            .iter()
            .find(|b| b.label == "LLM/day")
            .expect("daily");
        assert_eq!(daily.projected_usd, Some(48.0));
        assert!(daily.projected_usd.is_some_and(f64::is_finite));
    }

    #[test]
    fn unit_cost_and_infra_projection() {
        let mut m = CostModel::new(Some(&config()), BOTH);
        m.apply(
            &CostMsg::Llm {
                at_ms: NOW,
                reading: llm(60.0, 1.0),
            },
            NOW,
        );
        assert_eq!(m.unit.per_article_today, Some(0.06));
        assert_eq!(m.unit.per_article_7d, Some(0.02));
        assert!(m.unit.over_target());
        let infra = InfraReading {
            month_usd: 390.0,
            last_7d_usd: 126.0,
            ..InfraReading::default()
        };
        m.apply(
            &CostMsg::Infra {
                at_ms: NOW,
                reading: infra,
            },
            NOW,
        );
        let b = m
            .budgets()
            .iter()
            .find(|b| b.label == "infra/month")
            .expect("infra");
        // 390 + 18/day x 5.25 = 484.5 < 500.
        assert_eq!((b.projected_usd, b.state), (Some(484.5), BudgetState::Ok));
        // No articles yet today: no unit cost, not a division by zero.
        let mut none = llm(1.0, 1.0);
        none.articles_today = 0.0;
        m.apply(
            &CostMsg::Llm {
                at_ms: NOW,
                reading: none,
            },
            NOW,
        );
        assert_eq!(m.unit.per_article_today, None);
    }

    #[test]
    fn a_dead_opencost_is_stale_alone() {
        let mut m = CostModel::new(Some(&config()), BOTH);
        m.apply(
            &CostMsg::Llm {
                at_ms: NOW,
                reading: llm(1.0, 1.0),
            },
            NOW,
        );
        let failed = CostMsg::InfraFailed {
            reason: "connection refused".into(),
            retry_in: Some(Duration::from_secs(2)),
        };
        m.apply(&failed, NOW);
        assert_eq!(m.llm_load, LoadState::Live);
        assert_eq!(
            m.load(),
            LoadState::Stale {
                since: NOW / 1000,
                reason: "connection refused, retrying in 2s".into()
            }
        );
    }

    #[test]
    fn one_source_failing_never_moves_another_sources_projection() {
        // Spend read at 06:00; OpenCost fails at 12:00. The daily projection stays what the
        // 06:00 reading says (18 hours left), it does not drift to 12:00's 12 hours.
        let six = NOW - 12 * 3_600_000;
        let mut m = CostModel::new(Some(&config()), BOTH);
        m.apply(
            &CostMsg::Llm {
                at_ms: six,
                reading: llm(38.5, 4.0),
            },
            six,
        );
        let daily = |m: &CostModel| {
            m.budgets()
                .iter()
                .find(|b| b.label == "LLM/day")
                .and_then(|b| b.projected_usd)
        };
        assert_eq!(daily(&m), Some(38.5 + 4.0 * 18.0));
        let failed = CostMsg::InfraFailed {
            reason: "connection refused".into(),
            retry_in: None,
        };
        m.apply(&failed, NOW - 6 * 3_600_000);
        assert_eq!(daily(&m), Some(38.5 + 4.0 * 18.0));
    }
}
