//! The sim's PromQL agrees with a real Prometheus on the same data: the sim's history is
//! exported as OpenMetrics, backfilled with Debian's `promtool`, served by `prometheus` 2.42,
//! and every SLO query opsdeck would issue for `examples/slos` is asked of both.

#[path = "common/prometheus_server.rs"]
mod prometheus_server;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use opsdeck::sim::{self, Scenario, SimOptions};
use prometheus_server::PrometheusServer;
use serde_json::Value;

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Labels to value, from a vector or scalar answer (asked by POST, as opsdeck asks long ones).
async fn query(base: &str, q: &str, time: &str) -> BTreeMap<String, f64> {
    let resp = reqwest::Client::new()
        .post(format!("{base}/api/v1/query"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("query={}&time={time}", urlencode(q)))
        .send()
        .await
        .unwrap();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["status"], "success", "{base}: {q}: {body}");
    let parse = |v: &Value| match v.as_str().unwrap() {
        "NaN" => f64::NAN,
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        s => s.parse().unwrap(),
    };
    let data = &body["data"];
    match data["resultType"].as_str() {
        Some("scalar") => BTreeMap::from([(String::new(), parse(&data["result"][1]))]),
        Some("vector") => data["result"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| (s["metric"].to_string(), parse(&s["value"][1])))
            .collect(),
        other => panic!("{q}: unexpected result type {other:?}"),
    }
}

fn agree(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a == b || ((a - b) / a.abs().max(b.abs())).abs() <= 0.01
}

fn slo_queries() -> Vec<String> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/slos");
    let slos = opsdeck::slo::load_paths(&[dir]).expect("examples/slos load");
    assert!(slos.len() >= 4, "{} SLOs", slos.len());
    let mut out = vec![];
    for slo in &slos {
        for w in ["5m", "30m", "1h", "6h", "3d"] {
            let w = opsdeck::slo::parse_duration(w).unwrap();
            out.push(slo.sli.error_ratio_query(w));
        }
        out.push(slo.sli.error_ratio_query(slo.period));
    }
    out
}

const RAW: [&str; 8] = [
    "sum by (code) (rate(http_requests_total[1h]))",
    "sum by (route, code) (increase(http_requests_total[30d]))",
    "sum by (stage, status) (increase(pipeline_runs_total[1d]))",
    "sum by (provider) (rate(llm_cost_usd_total[6h])) * 86400",
    "sum(increase(articles_published_total[1d]))",
    r#"sum without (le) (rate(http_request_duration_seconds_bucket{le=~"0.5|1"}[5m]))"#,
    r#"http_requests_total{route!="/api/generate",code!~"2.."}"#,
    "sum(llm_tokens_total) / count(llm_tokens_total)",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sims_promql_agrees_with_a_real_prometheus() {
    let began = Instant::now();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sim = sim::start(SimOptions {
        scenario: Some(Scenario::BadRollout),
        ..SimOptions::default()
    })
    .await
    .unwrap();
    // A few live samples (every 5 s), with the bad revision's errors among them.
    tokio::time::sleep(Duration::from_secs(12)).await;
    let prom = PrometheusServer::backfilled(&sim, "fidelity").await;
    let ready = began.elapsed();

    let time = format!("{}", prom.last);
    let mut queries = slo_queries();
    queries.extend(RAW.iter().map(|q| q.to_string()));
    let mut failures = vec![];
    for q in &queries {
        let (ours, theirs) = (
            query(&sim.prometheus_url(), q, &time).await,
            query(&prom.url, q, &time).await,
        );
        // An empty answer on both sides would agree and prove nothing.
        assert!(!ours.is_empty(), "no data for {q}");
        let same = ours.len() == theirs.len()
            && ours
                .iter()
                .all(|(k, a)| theirs.get(k).is_some_and(|b| agree(*a, *b)));
        if !same {
            failures.push(format!(
                "{q}\n  sim:        {ours:?}\n  prometheus: {theirs:?}"
            ));
        }
    }
    let first = &queries[0];
    eprintln!("{first} = {:?}", query(&prom.url, first, &time).await);
    eprintln!(
        "{} queries; exported, backfilled and ready in {ready:?}, total {:?}",
        queries.len(),
        began.elapsed()
    );
    drop(prom);
    sim.stop().await;
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
