//! Prometheus-style durations (`5m`, `1h`, `30d`, `4w`, `1d12h`): read from SLO files and written
//! back into PromQL range selectors.

use std::time::Duration;

/// Units in the order Prometheus requires them (largest first), with their length in ms.
const UNITS: [(&str, u64); 7] = [
    ("y", 365 * 86_400_000),
    ("w", 7 * 86_400_000),
    ("d", 86_400_000),
    ("h", 3_600_000),
    ("m", 60_000),
    ("s", 1_000),
    ("ms", 1),
];

/// Reads a Prometheus duration. Like Prometheus, units must go from largest to smallest and each
/// appear once, so a typo such as `30x` or `5m1h` is an error rather than a silent guess.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad =
        || format!("cannot read duration {text:?} (Prometheus style, like 5m, 1h, 30d, 4w, 1d12h)");
    let mut rest = text.trim();
    let mut total: u64 = 0;
    let mut next_unit = 0;
    if rest.is_empty() {
        return Err(bad());
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        let n: u64 = rest[..digits].parse().map_err(|_| bad())?;
        let after = &rest[digits..];
        let unit_len = after
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(after.len());
        let unit = &after[..unit_len];
        let index = UNITS[next_unit..]
            .iter()
            .position(|(u, _)| *u == unit)
            .map(|i| i + next_unit)
            .ok_or_else(bad)?;
        total = n
            .checked_mul(UNITS[index].1)
            .and_then(|ms| total.checked_add(ms))
            .ok_or_else(bad)?;
        next_unit = index + 1;
        rest = &after[unit_len..];
    }
    if total == 0 {
        return Err(format!("duration {text:?} must be longer than zero"));
    }
    Ok(Duration::from_millis(total))
}

/// Writes a duration the way PromQL reads it in a range selector: `5m`, `1h30m`, `30d`.
/// Weeks and years are spelled in days so `28d` stays `28d`.
pub fn format_duration(d: Duration) -> String {
    let mut ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    if ms == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    for (unit, len) in UNITS.iter().skip(2) {
        let n = ms / len;
        if n > 0 {
            out.push_str(&format!("{n}{unit}"));
            ms %= len;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: u64 = 60;
    const HOUR: u64 = 3600;
    const DAY: u64 = 86_400;

    #[test]
    fn reads_prometheus_durations() {
        let secs = |t| parse_duration(t).map(|d| d.as_secs());
        assert_eq!(secs("5m"), Ok(5 * MIN));
        assert_eq!(secs("1h"), Ok(HOUR));
        assert_eq!(secs("30d"), Ok(30 * DAY));
        assert_eq!(secs("4w"), Ok(28 * DAY));
        assert_eq!(secs("1d12h"), Ok(36 * HOUR));
        assert_eq!(secs("1y"), Ok(365 * DAY));
        assert_eq!(parse_duration("1500ms"), Ok(Duration::from_millis(1500)));
    }

    #[test]
    fn refuses_what_prometheus_refuses() {
        for bad in ["30x", "", "d", "5", "5m1h", "1h1h", "-5m", "1.5h", "5 m"] {
            assert_eq!(
                parse_duration(bad),
                Err(format!(
                    "cannot read duration {bad:?} (Prometheus style, like 5m, 1h, 30d, 4w, 1d12h)"
                )),
                "{bad}"
            );
        }
        assert_eq!(
            parse_duration("0m"),
            Err("duration \"0m\" must be longer than zero".into())
        );
    }

    #[test]
    fn writes_range_selector_durations() {
        let f = |s| format_duration(Duration::from_secs(s));
        assert_eq!(f(5 * MIN), "5m");
        assert_eq!(f(HOUR + 30 * MIN), "1h30m");
        assert_eq!(f(30 * DAY), "30d");
        assert_eq!(f(28 * DAY), "28d");
        assert_eq!(f(36 * HOUR), "1d12h");
        assert_eq!(f(70), "1m10s");
        assert_eq!(format_duration(Duration::ZERO), "0s");
    }
}
