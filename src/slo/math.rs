//! Burn-rate math for SLOs: the multiwindow, multi-burn-rate alert set, error budget left and
//! time to exhaustion. Pure functions over error ratios; fetching the ratios is a source's job.
//!
//! Non-finite ratios: a ratio of 0/0 (no traffic in the window) is NaN, and x/0 is infinite. Both
//! mean "this window says nothing", so they are treated exactly like a missing window: they never
//! fire an alert and never count as healthy. Negative ratios (counter resets gone wrong) are
//! treated the same way.

use std::collections::BTreeMap;
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Ticket,
    Page,
}

/// One row of the alert set: fires when both windows burn faster than `factor`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AlertWindow {
    pub severity: Severity,
    pub long: Duration,
    pub short: Duration,
    pub factor: f64,
}

const MINUTE: u64 = 60;
const HOUR: u64 = 3600;
const DAY: u64 = 86_400;

/// The period the Google SRE Workbook table is written for.
pub const BASE_PERIOD: Duration = Duration::from_secs(30 * DAY);

/// (severity, long, short, percent of the budget the long window may consume) for 30 days:
/// the SRE Workbook's recommended set.
///
/// Sloth adds a fourth row, ticket 1d/2h at factor 3. It is left out: it spends the same 10% of
/// budget as 3d/6h, so for a burn that starts from a clean window both rows fire at the same
/// moment; a burn between 1x and 3x is caught only by 3d/6h; and rows are OR'ed, so the extra row
/// would change neither when a ticket starts nor when it clears in the common case — it would
/// only add a row to show and two windows to query.
const WORKBOOK_30D: [(Severity, u64, u64, f64); 3] = [
    (Severity::Page, HOUR, 5 * MINUTE, 2.0),
    (Severity::Page, 6 * HOUR, 30 * MINUTE, 5.0),
    (Severity::Ticket, 3 * DAY, 6 * HOUR, 10.0),
];

/// Sloth's default set for 30 days (`internal/alert/windows/google-30d.yaml`): the Workbook's
/// rows plus ticket 1d/2h at 3x. Alert rules that a Prometheus evaluates use all four, as Sloth
/// generates them.
const SLOTH_30D: [(Severity, u64, u64, f64); 4] = [
    (Severity::Page, HOUR, 5 * MINUTE, 2.0),
    (Severity::Page, 6 * HOUR, 30 * MINUTE, 5.0),
    (Severity::Ticket, DAY, 2 * HOUR, 10.0),
    (Severity::Ticket, 3 * DAY, 6 * HOUR, 10.0),
];

/// The Workbook set scaled to `period`: windows scale by period/30d and are rounded to a whole
/// minute (at least one minute, at most the period itself, short never longer than long). The
/// factor is computed from the budget share and the *rounded* long window, so "this row fires
/// when the long window has consumed N% of the budget" stays true after rounding; without
/// rounding it is the Workbook's 14.4 / 6 / 1 for any period.
pub fn windows_for(period: Duration) -> Vec<AlertWindow> {
    scaled(&WORKBOOK_30D, period)
}

/// Sloth's four rows scaled to `period` exactly as [`windows_for`] scales the Workbook's.
pub fn sloth_windows_for(period: Duration) -> Vec<AlertWindow> {
    scaled(&SLOTH_30D, period)
}

fn scaled(rows: &[(Severity, u64, u64, f64)], period: Duration) -> Vec<AlertWindow> {
    rows.iter()
        .map(|&(severity, long, short, budget_percent)| {
            let long = scale(Duration::from_secs(long), period);
            let short = scale(Duration::from_secs(short), period).min(long);
            AlertWindow {
                severity,
                long,
                short,
                factor: factor(budget_percent, period, long),
            }
        })
        .collect()
}

/// A 30-day window length scaled to `period`, rounded to a whole minute and kept within
/// one minute..period so tiny periods still get usable (if coarse) windows.
fn scale(window: Duration, period: Duration) -> Duration {
    let scaled = window.as_secs_f64() * period.as_secs_f64() / BASE_PERIOD.as_secs_f64();
    let minutes = (scaled / MINUTE as f64).round().max(1.0);
    Duration::from_secs_f64(minutes * MINUTE as f64).min(period)
}

/// `budget% * period_hours / 100 / long_hours`: the burn rate at which the long window alone
/// consumes `budget_percent` of the period's budget.
pub fn factor(budget_percent: f64, period: Duration, long: Duration) -> f64 {
    budget_percent * period.as_secs_f64() / 100.0 / long.as_secs_f64()
}

/// The error budget as a ratio: 1 - objective (99.9% -> 0.001).
pub fn error_budget(objective: f64) -> f64 {
    1.0 - objective
}

/// A ratio that carries information: finite and not negative. NaN (no traffic), infinities and
/// negatives become `None`.
fn usable(ratio: f64) -> Option<f64> {
    (ratio.is_finite() && ratio >= 0.0).then_some(ratio)
}

/// How many times faster than "exactly spend the budget over the period" errors arrive.
/// `None` for an unusable ratio or an objective that leaves no budget (100% or more).
pub fn burn_rate(error_ratio: f64, objective: f64) -> Option<f64> {
    let budget = error_budget(objective);
    let ratio = usable(error_ratio)?;
    (budget > 0.0).then(|| ratio / budget)
}

/// Share of the period's budget a window consumes at a burn rate: burn * window / period.
pub fn budget_consumed(burn: f64, window: Duration, period: Duration) -> f64 {
    burn * window.as_secs_f64() / period.as_secs_f64()
}

/// Share of the budget left over the period: 1 - error_ratio(period) / budget. Negative when
/// overspent. `None` when the period's ratio is unusable (no traffic at all, or no data).
pub fn budget_remaining(period_error_ratio: f64, objective: f64) -> Option<f64> {
    burn_rate(period_error_ratio, objective).map(|burn| 1.0 - burn)
}

/// How long until the budget is gone at `burn`: remaining * period / burn. Zero when the budget
/// is already spent; `None` when nothing is burning (or the inputs are unusable), since then it
/// never runs out.
pub fn time_to_exhaustion(remaining: f64, period: Duration, burn: f64) -> Option<Duration> {
    if !remaining.is_finite() || !burn.is_finite() || burn <= 0.0 {
        return None;
    }
    if remaining <= 0.0 {
        return Some(Duration::ZERO);
    }
    Duration::try_from_secs_f64(remaining * period.as_secs_f64() / burn).ok()
}

/// Overall alert state of an SLO. `NoData` when not one row could be evaluated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlertState {
    NoData,
    Ok,
    Ticket,
    Page,
}

/// One row's verdict with the burn rates it saw, for display.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RowResult {
    pub window: AlertWindow,
    pub long_burn: Option<f64>,
    pub short_burn: Option<f64>,
    /// `None` when a window had no usable ratio.
    pub firing: Option<bool>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    pub state: AlertState,
    pub rows: Vec<RowResult>,
}

/// Every window the rows need a ratio for, sorted and without repeats: what a source queries.
pub fn required_windows(windows: &[AlertWindow]) -> Vec<Duration> {
    let mut all: Vec<Duration> = windows.iter().flat_map(|w| [w.short, w.long]).collect();
    all.sort();
    all.dedup();
    all
}

/// Evaluates one row: fires when the long AND the short window's error ratio exceed
/// factor * budget (the same as both burn rates exceeding the factor).
pub fn evaluate_row(
    window: AlertWindow,
    objective: f64,
    ratios: &BTreeMap<Duration, f64>,
) -> RowResult {
    let burn = |d: Duration| ratios.get(&d).and_then(|&r| burn_rate(r, objective));
    let long_burn = burn(window.long);
    let short_burn = burn(window.short);
    let firing = long_burn
        .zip(short_burn)
        .map(|(l, s)| l > window.factor && s > window.factor);
    RowResult {
        window,
        long_burn,
        short_burn,
        firing,
    }
}

/// Rows are OR'ed: Page if any page row fires, else Ticket if any ticket row fires, else Ok if
/// at least one row could be evaluated, else NoData. A row that fires wins even when other rows
/// lack data: missing data must not hide a burn it can see. A quiet 5m window (no traffic) leaves
/// the other rows to decide, so a service with idle minutes shows Ok rather than NoData.
pub fn evaluate(
    objective: f64,
    windows: &[AlertWindow],
    ratios: &BTreeMap<Duration, f64>,
) -> Evaluation {
    let rows: Vec<RowResult> = windows
        .iter()
        .map(|&w| evaluate_row(w, objective, ratios))
        .collect();
    let fires = |sev| {
        rows.iter()
            .any(|r| r.window.severity == sev && r.firing == Some(true))
    };
    let state = if fires(Severity::Page) {
        AlertState::Page
    } else if fires(Severity::Ticket) {
        AlertState::Ticket
    } else if rows.iter().any(|r| r.firing.is_some()) {
        AlertState::Ok
    } else {
        AlertState::NoData
    };
    Evaluation { state, rows }
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn mins(m: u64) -> Duration {
        Duration::from_secs(m * MINUTE)
    }
    const fn hours(h: u64) -> Duration {
        Duration::from_secs(h * HOUR)
    }
    const fn days(d: u64) -> Duration {
        Duration::from_secs(d * DAY)
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    fn ratios(pairs: &[(Duration, f64)]) -> BTreeMap<Duration, f64> {
        pairs.iter().copied().collect()
    }

    /// The same ratio in every window the set needs.
    fn flat(windows: &[AlertWindow], ratio: f64) -> BTreeMap<Duration, f64> {
        required_windows(windows)
            .into_iter()
            .map(|d| (d, ratio))
            .collect()
    }

    #[test]
    fn thirty_days_is_the_workbook_table() {
        let w = windows_for(days(30));
        let rows: Vec<_> = w.iter().map(|w| (w.severity, w.long, w.short)).collect();
        assert_eq!(
            rows,
            vec![
                (Severity::Page, hours(1), mins(5)),
                (Severity::Page, hours(6), mins(30)),
                (Severity::Ticket, days(3), hours(6)),
            ]
        );
        let factors: Vec<f64> = w.iter().map(|w| w.factor).collect();
        assert!(close(factors[0], 14.4) && close(factors[1], 6.0) && close(factors[2], 1.0));
    }

    #[test]
    fn seven_days_scales_windows_and_keeps_factors() {
        let w = windows_for(days(7));
        // 1h * 7/30 = 14m; 5m * 7/30 = 70s -> 1m; 6h -> 84m; 30m -> 7m; 3d -> 16h48m; 6h -> 84m.
        assert_eq!((w[0].long, w[0].short), (mins(14), mins(1)));
        assert_eq!((w[1].long, w[1].short), (mins(84), mins(7)));
        assert_eq!((w[2].long, w[2].short), (mins(16 * 60 + 48), mins(84)));
        assert!(close(w[0].factor, 14.4) && close(w[1].factor, 6.0) && close(w[2].factor, 1.0));
    }

    #[test]
    fn rounding_changes_the_factor_to_keep_the_budget_share() {
        // 28d: 1h -> 56m exactly, 6h -> 5h36m exactly; 10d: 1h -> 20m exactly.
        let w = windows_for(days(28));
        assert_eq!(w[0].long, mins(56));
        assert!(close(w[0].factor, 14.4));
        // 1d: 1h * 1/30 = 2m exactly; 6h -> 12m; 3d -> 2h24m. 13h: 1h -> 1.0833m -> 1m.
        let w = windows_for(hours(13));
        assert_eq!(w[0].long, mins(1));
        assert!(
            close(w[0].factor, 2.0 * 13.0 / 100.0 * 60.0),
            "{}",
            w[0].factor
        );
        assert!(close(
            budget_consumed(w[0].factor, w[0].long, hours(13)),
            0.02
        ));
    }

    #[test]
    fn a_period_shorter_than_the_long_window() {
        // A 1h SLO: every 30-day window shrinks below a minute and is clamped to 1m; the
        // ticket's 3d becomes 6m. Factors still mean "N% of the budget in the long window".
        let w = windows_for(hours(1));
        let rows: Vec<_> = w.iter().map(|w| (w.long, w.short)).collect();
        assert_eq!(
            rows,
            vec![(mins(1), mins(1)), (mins(1), mins(1)), (mins(6), mins(1))]
        );
        assert!(close(w[0].factor, 1.2) && close(w[1].factor, 3.0) && close(w[2].factor, 1.0));
        // A 30s period: windows cannot be longer than the period itself.
        let w = windows_for(Duration::from_secs(30));
        assert!(w.iter().all(|w| w.long == Duration::from_secs(30)));
        assert!(w.iter().all(|w| w.short <= w.long));
        assert!(close(w[0].factor, 0.02));
        // A 1h, 99% SLO at 100% errors pages (burn 100 > 1.2); at 1% errors (burn 1) it is Ok.
        let w1h = windows_for(hours(1));
        assert_eq!(
            evaluate(0.99, &w1h, &flat(&w1h, 1.0)).state,
            AlertState::Page
        );
        assert_eq!(
            evaluate(0.99, &w1h, &flat(&w1h, 0.01)).state,
            AlertState::Ok
        );
    }

    #[test]
    fn burn_14_4_over_1h_and_5m_pages() {
        // 99.9%: budget 0.001; ratio 0.0144 -> burn 14.4, which is not *above* 14.4.
        assert!(close(burn_rate(0.0144, 0.999).unwrap_or(0.0), 14.4));
        let w = windows_for(days(30));
        let at = |r: f64| evaluate(0.999, &w, &ratios(&[(hours(1), r), (mins(5), r)]));
        assert_eq!(at(0.0144).state, AlertState::Ok);
        let e = at(0.0145);
        assert_eq!(e.state, AlertState::Page);
        assert_eq!(e.rows[0].firing, Some(true));
        // The other rows have no data; they don't hide the page.
        assert_eq!((e.rows[1].firing, e.rows[2].firing), (None, None));
    }

    #[test]
    fn both_windows_must_burn() {
        let w = windows_for(days(30));
        // A burst that is over: 1h still high, 5m back to normal.
        let e = evaluate(0.999, &w, &ratios(&[(hours(1), 0.02), (mins(5), 0.0001)]));
        assert_eq!(e.state, AlertState::Ok);
        assert_eq!(e.rows[0].firing, Some(false));
    }

    #[test]
    fn slow_burn_is_a_ticket() {
        // Burn 2: above the ticket's 1, below the pages' 6 and 14.4.
        let w = windows_for(days(30));
        let e = evaluate(0.999, &w, &flat(&w, 0.002));
        assert_eq!(e.state, AlertState::Ticket);
        // Burn 7: the 6h/30m page fires, the 1h/5m does not; page wins over ticket.
        let e = evaluate(0.999, &w, &flat(&w, 0.007));
        assert_eq!(e.state, AlertState::Page);
        let firing: Vec<_> = e.rows.iter().map(|r| r.firing).collect();
        assert_eq!(firing, vec![Some(false), Some(true), Some(true)]);
    }

    #[test]
    fn no_data_nan_and_no_traffic() {
        let w = windows_for(days(30));
        assert_eq!(
            evaluate(0.999, &w, &BTreeMap::new()).state,
            AlertState::NoData
        );
        assert_eq!(
            evaluate(0.999, &[], &flat(&w, 0.5)).state,
            AlertState::NoData
        );
        // 0/0 everywhere: no traffic must not page, and is not "Ok" either.
        assert_eq!(
            evaluate(0.999, &w, &flat(&w, f64::NAN)).state,
            AlertState::NoData
        );
        assert_eq!(
            evaluate(0.999, &w, &flat(&w, f64::INFINITY)).state,
            AlertState::NoData
        );
        // An idle 5m window with a healthy rest: Ok, and the idle row is unknown.
        let mut r = flat(&w, 0.0);
        r.insert(mins(5), f64::NAN);
        let e = evaluate(0.999, &w, &r);
        assert_eq!(e.state, AlertState::Ok);
        assert_eq!(e.rows[0].firing, None);
        assert_eq!(e.rows[0].short_burn, None);
    }

    #[test]
    fn burn_rate_refuses_what_it_cannot_mean() {
        assert_eq!(burn_rate(f64::NAN, 0.999), None);
        assert_eq!(burn_rate(-0.1, 0.999), None);
        assert_eq!(burn_rate(0.1, 1.0), None);
        assert_eq!(burn_rate(0.0, 0.99), Some(0.0));
    }

    #[test]
    fn budget_remaining_worked_examples() {
        // 99.9% over 30d with 0.05% errors: half the budget is gone.
        assert!(close(budget_remaining(0.0005, 0.999).unwrap_or(0.0), 0.5));
        assert!(close(budget_remaining(0.0, 0.999).unwrap_or(0.0), 1.0));
        // Overspent: 0.3% errors against a 0.1% budget leaves -200%.
        assert!(close(budget_remaining(0.003, 0.999).unwrap_or(0.0), -2.0));
        assert_eq!(budget_remaining(f64::NAN, 0.999), None);
    }

    #[test]
    fn time_to_exhaustion_worked_examples() {
        // Full budget at burn 1 lasts exactly the period; at burn 14.4, 30d/14.4 = 50h.
        assert_eq!(time_to_exhaustion(1.0, days(30), 1.0), Some(days(30)));
        let t = time_to_exhaustion(1.0, days(30), 14.4).map(|d| d.as_secs_f64());
        assert!(close(t.unwrap_or(0.0), 50.0 * 3600.0));
        // Half left at burn 2: 0.5 * 30d / 2 = 7.5d.
        assert_eq!(time_to_exhaustion(0.5, days(30), 2.0), Some(hours(180)));
        assert_eq!(time_to_exhaustion(0.5, days(30), 0.0), None);
        assert_eq!(time_to_exhaustion(0.5, days(30), f64::NAN), None);
        assert_eq!(
            time_to_exhaustion(-0.2, days(30), 3.0),
            Some(Duration::ZERO)
        );
        assert_eq!(time_to_exhaustion(0.0, days(30), 3.0), Some(Duration::ZERO));
    }

    #[test]
    fn budget_consumed_matches_the_factor_definition() {
        // 14.4 for 1h of a 30d period is 2% of the budget.
        assert!(close(budget_consumed(14.4, hours(1), days(30)), 0.02));
        assert!(close(budget_consumed(1.0, days(3), days(30)), 0.1));
    }

    #[test]
    fn required_windows_are_sorted_and_unique() {
        let w = windows_for(days(30));
        assert_eq!(
            required_windows(&w),
            vec![mins(5), mins(30), hours(1), hours(6), days(3)]
        );
    }
}
