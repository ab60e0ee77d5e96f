//! What an incident cost, as far as Prometheus can say: the platform's failed requests over
//! its span.

use crate::clients::prometheus::Prometheus;

/// "18,400 (4.1% of 450,000)": the 5xx answers among every request between `start` and `end`
/// (unix ms), from the platform's `http_requests_total`.
pub async fn failed_requests(prom: &Prometheus, start: i64, end: i64) -> String {
    let secs = ((end - start) / 1000).max(60);
    let at = Some(end as f64 / 1000.0);
    let failed = prom
        .query(
            &format!("sum(increase(http_requests_total{{code=~\"5..\"}}[{secs}s]))"),
            at,
        )
        .await;
    let total = prom
        .query(&format!("sum(increase(http_requests_total[{secs}s]))"), at)
        .await;
    match (failed, total) {
        (Ok(f), Ok(t)) => match (f.single_value(), t.single_value()) {
            (Some(f), Some(t)) if t > 0.0 => {
                format!("{f:.0} ({:.1}% of {t:.0})", f / t * 100.0)
            }
            (Some(f), _) => format!("{f:.0}"),
            _ => "not measured: no http_requests_total".into(),
        },
        (Err(e), _) | (_, Err(e)) => format!("not measured: {e}"),
    }
}
