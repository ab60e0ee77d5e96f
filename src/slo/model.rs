//! The SLO model: readings in, per-SLO alert state, burn, budget left and time to exhaustion
//! out, worst first (pure: the clock comes in with each message).

use std::cmp::Ordering;
use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use super::math::{
    AlertState, AlertWindow, Evaluation, budget_remaining, burn_rate, evaluate, time_to_exhaustion,
    windows_for,
};
use super::source::{SloMsg, SloReading};
use super::{Slo, SloFormat};
use crate::status::LoadState;

/// Burn samples kept per SLO for the trend sparkline (one per refresh).
const HISTORY: usize = 60;

#[derive(Clone, Debug, PartialEq)]
pub struct SloRow {
    pub key: String,
    pub name: String,
    pub service: String,
    pub objective: f64,
    pub period: Duration,
    pub format: SloFormat,
    /// `file:line` of the definition.
    pub origin: String,
    pub windows: Vec<AlertWindow>,
    pub eval: Evaluation,
    pub ratios: BTreeMap<Duration, f64>,
    /// Burn rate over the fastest page row's long window (1h for 30 days): steady enough to
    /// project from, quick enough to show an incident.
    pub burn: Option<f64>,
    /// Fraction of the period's error budget left (negative: overspent).
    pub budget_remaining: Option<f64>,
    /// When the budget runs out at `burn`.
    pub exhaustion: Option<Duration>,
    pub history: VecDeque<f64>,
    /// When `eval.state` last changed (ms since the epoch); None until the first reading.
    pub state_since_ms: Option<i64>,
    pub queries: Vec<(Duration, String)>,
    pub recording_rules: bool,
    pub error: Option<String>,
    pub load: LoadState,
}

impl SloRow {
    fn new(slo: &Slo) -> Self {
        let windows = windows_for(slo.period);
        SloRow {
            key: slo.key(),
            name: slo.name.clone(),
            service: slo.service.clone(),
            objective: slo.objective,
            period: slo.period,
            format: slo.source.format,
            origin: format!("{}:{}", slo.source.file.display(), slo.source.line),
            eval: evaluate(slo.objective, &windows, &BTreeMap::new()),
            windows,
            ratios: BTreeMap::new(),
            burn: None,
            budget_remaining: None,
            exhaustion: None,
            history: VecDeque::new(),
            state_since_ms: None,
            queries: Vec::new(),
            recording_rules: false,
            error: None,
            load: LoadState::Loading,
        }
    }

    fn apply(&mut self, reading: &SloReading, at_ms: i64) {
        let eval = evaluate(self.objective, &self.windows, &reading.ratios);
        if self.state_since_ms.is_none() || eval.state != self.eval.state {
            self.state_since_ms = Some(at_ms);
        }
        self.eval = eval;
        self.ratios = reading.ratios.clone();
        let burn_window = self.windows.first().map(|w| w.long);
        self.burn = burn_window
            .and_then(|w| reading.ratios.get(&w))
            .and_then(|&r| burn_rate(r, self.objective));
        self.budget_remaining = reading
            .period_ratio
            .and_then(|r| budget_remaining(r, self.objective));
        self.exhaustion = self
            .budget_remaining
            .zip(self.burn)
            .and_then(|(left, burn)| time_to_exhaustion(left, self.period, burn));
        if let Some(past) = &reading.history
            && self.history.is_empty()
        {
            let budget = 1.0 - self.objective;
            // The last point is this reading's own: pushed below.
            let n = past.len().saturating_sub(1);
            self.history.extend(
                past.iter()
                    .take(n)
                    .map(|r| if r.is_finite() { r / budget } else { 0.0 }),
            );
        }
        while self.history.len() >= HISTORY {
            self.history.pop_front();
        }
        self.history.push_back(self.burn.unwrap_or(0.0));
        self.queries = reading.queries.clone();
        self.recording_rules = reading.recording_rules;
        self.error = reading.error.clone();
        self.load = LoadState::Live;
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct SloModel {
    rows: Vec<SloRow>,
}

impl SloModel {
    pub fn new(slos: &[Slo]) -> Self {
        let mut model = SloModel {
            rows: slos.iter().map(SloRow::new).collect(),
        };
        model.rows.sort_by(worst_first);
        model
    }

    /// Worst first.
    pub fn rows(&self) -> &[SloRow] {
        &self.rows
    }

    pub fn row(&self, key: &str) -> Option<&SloRow> {
        self.rows.iter().find(|r| r.key == key)
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The pane's load state: stale if Prometheus failed, loading until the first reading.
    pub fn load(&self) -> LoadState {
        LoadState::worst(self.rows.iter().map(|r| &r.load))
    }

    /// `now` (seconds) stamps a failure, as every pane's stale time is stamped.
    pub fn apply(&mut self, msg: &SloMsg, now: i64) {
        match msg {
            SloMsg::Refreshed { at_ms, readings } => {
                for reading in readings {
                    if let Some(row) = self.rows.iter_mut().find(|r| r.key == reading.key) {
                        row.apply(reading, *at_ms);
                    }
                }
            }
            SloMsg::Failed { reason, retry_in } => {
                for row in &mut self.rows {
                    row.load = row.load.failed(reason, *retry_in, now);
                }
            }
        }
        self.rows.sort_by(worst_first);
    }
}

fn rank(state: AlertState) -> u8 {
    match state {
        AlertState::Page => 0,
        AlertState::Ticket => 1,
        AlertState::NoData => 2,
        AlertState::Ok => 3,
    }
}

/// Page, ticket, no data, ok; then the least budget left; then by name.
fn worst_first(a: &SloRow, b: &SloRow) -> Ordering {
    let budget = |r: &SloRow| r.budget_remaining.unwrap_or(f64::INFINITY);
    rank(a.eval.state)
        .cmp(&rank(b.eval.state))
        .then(budget(a).total_cmp(&budget(b)))
        .then_with(|| a.key.cmp(&b.key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const H: u64 = 3600;

    fn model() -> SloModel {
        let text = include_str!("../../examples/slos/api.yaml");
        let slos = super::super::parse_file(text, Path::new("api.yaml")).expect("parses");
        SloModel::new(&slos)
    }

    fn reading(key: &str, ratio_1h: f64, ratio_5m: f64, period: f64) -> SloReading {
        let d = Duration::from_secs;
        SloReading {
            key: key.into(),
            ratios: BTreeMap::from([
                (d(300), ratio_5m),
                (d(1800), 0.0001),
                (d(H), ratio_1h),
                (d(6 * H), 0.0001),
                (d(72 * H), 0.0001),
            ]),
            period_ratio: Some(period),
            ..SloReading::default()
        }
    }

    #[test]
    fn a_fast_burn_pages_and_sorts_first_with_budget_and_exhaustion() {
        let mut m = model();
        assert_eq!(m.load(), LoadState::Loading);
        let msg = SloMsg::Refreshed {
            at_ms: 1_000,
            readings: vec![
                reading("api/api-availability", 0.0144 * 1.5, 0.03, 0.0005),
                reading("api/api-latency", 0.001, 0.001, 0.002),
            ],
        };
        m.apply(&msg, 1_000);
        let first = &m.rows()[0];
        assert_eq!(first.key, "api/api-availability");
        assert_eq!(first.eval.state, AlertState::Page);
        let burn = first.burn.expect("burn");
        assert!((burn - 21.6).abs() < 1e-9, "{burn}");
        assert!((first.budget_remaining.expect("budget") - 0.5).abs() < 1e-9);
        // Half of 30 days' budget at 21.6x: 15 days / 21.6 = 16.67 hours.
        let tte = first.exhaustion.expect("tte").as_secs_f64() / 3600.0;
        assert!((tte - 16.666).abs() < 0.01, "{tte}");
        assert_eq!(first.state_since_ms, Some(1_000));
        let latency = m.row("api/api-latency").expect("latency");
        assert_eq!(latency.eval.state, AlertState::Ok);
        assert_eq!(m.load(), LoadState::Live);
    }

    #[test]
    fn state_since_moves_only_when_the_state_changes() {
        let mut m = model();
        let page = |at| SloMsg::Refreshed {
            at_ms: at,
            readings: vec![reading("api/api-availability", 0.03, 0.03, 0.0005)],
        };
        m.apply(&page(1_000), 1_000);
        m.apply(&page(2_000), 2_000);
        let row = m.row("api/api-availability").expect("row");
        assert_eq!(row.state_since_ms, Some(1_000));
        assert_eq!(row.history.len(), 2);
        let calm = SloMsg::Refreshed {
            at_ms: 3_000,
            readings: vec![reading("api/api-availability", 0.0001, 0.0, 0.0005)],
        };
        m.apply(&calm, 3_000);
        let row = m.row("api/api-availability").expect("row");
        assert_eq!(
            (row.eval.state, row.state_since_ms),
            (AlertState::Ok, Some(3_000))
        );
    }

    #[test]
    fn the_first_reading_brings_an_hour_of_trend() {
        let mut m = model();
        let mut r = reading("api/api-availability", 0.003, 0.003, 0.0005);
        r.history = Some(vec![0.001, f64::NAN, 0.002, 0.003]);
        m.apply(
            &SloMsg::Refreshed {
                at_ms: 1,
                readings: vec![r.clone()],
            },
            1,
        );
        let row = m.row("api/api-availability").expect("row");
        let trend: Vec<f64> = row
            .history
            .iter()
            .map(|b| (b * 10.0).round() / 10.0)
            .collect();
        assert_eq!(trend, vec![1.0, 0.0, 2.0, 3.0]);
        // Later readings extend it; a second history (after a restart of the source) is ignored.
        m.apply(
            &SloMsg::Refreshed {
                at_ms: 2,
                readings: vec![r],
            },
            2,
        );
        assert_eq!(m.row("api/api-availability").expect("row").history.len(), 5);
    }

    #[test]
    fn no_traffic_is_no_data_not_ok_and_a_failure_marks_every_row_stale() {
        let mut m = model();
        let empty = SloMsg::Refreshed {
            at_ms: 1_000,
            readings: vec![SloReading {
                key: "api/api-latency".into(),
                ..SloReading::default()
            }],
        };
        m.apply(&empty, 1_000);
        let row = m.row("api/api-latency").expect("row");
        assert_eq!(row.eval.state, AlertState::NoData);
        assert_eq!(
            (row.burn, row.budget_remaining, row.exhaustion),
            (None, None, None)
        );
        let failed = SloMsg::Failed {
            reason: "connection refused".into(),
            retry_in: Some(Duration::from_secs(4)),
        };
        m.apply(&failed, 5);
        m.apply(&failed, 9);
        assert_eq!(
            m.load(),
            LoadState::Stale {
                since: 5,
                reason: "connection refused, retrying in 4s".into()
            }
        );
    }
}
