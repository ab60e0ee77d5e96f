//! Short human forms of numbers and durations, as kubectl prints them.

/// "7s", "4m", "3h", "12d", to a 10-second grain under two minutes (coarse ticks cost fewer
/// redraws and fewer bytes on a slow link).
pub fn age(secs: i64) -> String {
    let s = secs.max(0);
    if s < 120 {
        format!("{}s", s / 10 * 10)
    } else if s < 3_600 * 2 {
        format!("{}m", s / 60)
    } else if s < 86_400 * 2 {
        format!("{}h", s / 3_600)
    } else {
        format!("{}d", s / 86_400)
    }
}

/// Whether a stale source's "STALE 2m" reads differently at `new` than at `old`.
pub fn stale_age_changes(load: &crate::status::LoadState, old: i64, new: i64) -> bool {
    match load {
        crate::status::LoadState::Stale { since, .. } => age(old - since) != age(new - since),
        _ => false,
    }
}

/// How long ago `ms` (ms since the epoch) was at `now` (seconds), as `age` reads it; "-" when
/// there is no such time (a state's SINCE before its first reading).
pub fn since(ms: Option<i64>, now: i64) -> String {
    ms.map_or_else(|| "-".into(), |ms| age(now - ms.div_euclid(1000)))
}

/// Whether a SINCE reads differently at `new` than at `old`.
pub fn since_changes(ms: Option<i64>, old: i64, new: i64) -> bool {
    since(ms, old) != since(ms, new)
}

/// "███████░░░  71%": `share` as a bar of `width` cells (clamped to empty or full) and a
/// percentage (not clamped: overspent budgets say so).
pub fn gauge(share: f64, width: usize, ascii: bool) -> String {
    let (full, empty) = if ascii { ('#', '.') } else { ('█', '░') };
    let filled = ((share.clamp(0.0, 1.0) * width as f64).round() as usize).min(width);
    let bar: String = std::iter::repeat_n(full, filled)
        .chain(std::iter::repeat_n(empty, width - filled))
        .collect();
    format!("{bar} {:>4.0}%", share * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_like_kubectl_with_a_coarse_grain() {
        assert_eq!(age(-5), "0s");
        assert_eq!(age(47), "40s");
        assert_eq!(age(600), "10m");
        assert_eq!(age(3 * 3_600), "3h");
        assert_eq!(age(5 * 86_400), "5d");
    }

    #[test]
    fn since_reads_an_age_or_a_dash() {
        assert_eq!(since(Some(100_000), 145), "40s");
        assert_eq!(since(None, 145), "-");
        assert!(!since_changes(Some(100_000), 145, 148));
        assert!(since_changes(Some(100_000), 148, 150));
        assert!(!since_changes(None, 0, 1_000));
    }
}
