//! One full SLO refresh for 20 SLOs against a real `prometheus` holding the sim's 30 days:
//! how many queries, and the wall time, cold (every window, the 30-day budget and the Sloth
//! rule check) and steady (the budget cached for 5 minutes). Target: p95 under 200 ms.
//!
//! `cargo bench --bench slo` (the query count comes from Prometheus's own request counter).

#[path = "../tests/common/prometheus_server.rs"]
mod prometheus_server;

use std::time::{Duration, Instant};

use opsdeck::clients::prometheus::Prometheus;
use opsdeck::slo::Slo;
use opsdeck::slo::source::SloSource;
use prometheus_server::PrometheusServer;

const SLOS: usize = 20;
const RUNS: usize = 30;

/// The platform's four SLOs, five times over under other names: 20 SLOs, 5 windows each.
fn twenty_slos() -> Vec<Slo> {
    let examples = opsdeck::slo::examples().expect("examples");
    (0..SLOS)
        .map(|i| {
            let mut s = examples[i % examples.len()].clone();
            s.name = format!("{}-{i}", s.name);
            s
        })
        .collect()
}

/// Queries Prometheus has answered so far (its own `prometheus_http_requests_total`).
async fn queries_answered(prom: &Prometheus) -> f64 {
    // Read from /metrics, not by a query: asking would count itself.
    let text = reqwest::get(format!("{}/metrics", prom.url()))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    text.lines()
        .filter(|l| {
            l.starts_with("prometheus_http_requests_total{")
                && l.contains("handler=\"/api/v1/query\"")
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let sim = opsdeck::sim::start(Default::default()).await.expect("sim");
        let server = PrometheusServer::backfilled(&sim, "bench-slo").await;
        let prom = Prometheus::new(&server.url, None, Duration::from_secs(5)).expect("client");
        let mut first = Vec::new();
        for _ in 0..5 {
            let mut source = SloSource::new(prom.clone(), twenty_slos(), Duration::from_secs(10))
                .at_time(server.last as f64);
            let t = Instant::now();
            source.refresh().await.expect("refresh");
            first.push(t.elapsed());
        }
        let mut cold = Vec::new();
        let mut cold_queries = 0.0;
        for _ in 0..10 {
            let mut source = SloSource::new(prom.clone(), twenty_slos(), Duration::from_secs(10))
                .at_time(server.last as f64)
                .without_history();
            let before = queries_answered(&prom).await;
            let t = Instant::now();
            let readings = source.refresh().await.expect("refresh");
            cold.push(t.elapsed());
            cold_queries = queries_answered(&prom).await - before;
            assert_eq!(readings.len(), SLOS);
            assert!(readings.iter().all(|r| r.period_ratio.is_some()));
        }
        // With the budget cache at zero every refresh re-reads the most it may (4 budgets):
        // what a refresh costs once the cache expires.
        let mut expiring = SloSource::new(prom.clone(), twenty_slos(), Duration::from_secs(10))
            .at_time(server.last as f64)
            .without_history()
            .with_period_cache(Duration::ZERO);
        expiring.refresh().await.expect("warm up");
        let mut rolling = Vec::new();
        let mut rolling_queries = 0.0;
        for _ in 0..RUNS {
            let before = queries_answered(&prom).await;
            let t = Instant::now();
            expiring.refresh().await.expect("refresh");
            rolling.push(t.elapsed());
            rolling_queries = queries_answered(&prom).await - before;
        }
        let mut source = SloSource::new(prom.clone(), twenty_slos(), Duration::from_secs(10))
            .at_time(server.last as f64);
        source.refresh().await.expect("warm up");
        let mut steady = Vec::new();
        let mut steady_queries = 0.0;
        for _ in 0..RUNS {
            let before = queries_answered(&prom).await;
            let t = Instant::now();
            source.refresh().await.expect("refresh");
            steady.push(t.elapsed());
            steady_queries = queries_answered(&prom).await - before;
        }
        first.sort();
        cold.sort();
        rolling.sort();
        steady.sort();
        println!(
            "slo refresh, {SLOS} SLOs, real prometheus 2.42 with 30 days of history:\n  \
             steady: {steady_queries} queries, p50 {:.1} ms, p95 {:.1} ms (windows batched per SLO; 30-day budget cached)\n  \
             budgets expiring: {rolling_queries} queries, p50 {:.1} ms, p95 {:.1} ms (+ 4 of the 30-day budgets re-read)\n  \
             first load: {cold_queries} queries, p50 {:.1} ms, p95 {:.1} ms (all 20 budgets, the Sloth rule check)\n  \
             first with trend: p50 {:.1} ms, p95 {:.1} ms (+ one range query per SLO for the hour of trend)",
            percentile(&steady, 0.5).as_secs_f64() * 1e3,
            percentile(&steady, 0.95).as_secs_f64() * 1e3,
            percentile(&rolling, 0.5).as_secs_f64() * 1e3,
            percentile(&rolling, 0.95).as_secs_f64() * 1e3,
            percentile(&cold, 0.5).as_secs_f64() * 1e3,
            percentile(&cold, 0.95).as_secs_f64() * 1e3,
            percentile(&first, 0.5).as_secs_f64() * 1e3,
            percentile(&first, 0.95).as_secs_f64() * 1e3,
        );
        drop(server);
        sim.stop().await;
    });
}
