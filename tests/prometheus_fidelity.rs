//! The sim's PromQL agrees with a real Prometheus on the same data: the sim's history is
//! exported as OpenMetrics, backfilled with Debian's `promtool`, served by `prometheus` 2.42,
//! and every SLO query opsdeck would issue for `examples/slos` is asked of both.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use opsdeck::sim::{self, Scenario, SimOptions};
use serde_json::Value;

const INSTALL: &str = "install it: apt-get install -y prometheus (scripts/test.sh does this)";

/// A `prometheus` on a free loopback port over the given TSDB directory, killed on drop.
struct Prometheus {
    url: String,
    child: Child,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

impl Prometheus {
    async fn start(dir: &Path, data: &Path) -> Prometheus {
        let config = dir.join("prometheus.yml");
        std::fs::write(
            &config,
            "global:\n  scrape_interval: 1m\nscrape_configs: []\n",
        )
        .unwrap();
        let port = free_port();
        let child = Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", data.display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            // Backfilled blocks reach 30 days back: the default 15 days would delete half.
            .arg("--storage.tsdb.retention.time=60d")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start prometheus ({e}): {INSTALL}"));
        let prom = Prometheus {
            url: format!("http://127.0.0.1:{port}"),
            child,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ready = reqwest::get(format!("{}/-/ready", prom.url)).await;
            if ready.is_ok_and(|r| r.status().is_success()) {
                return prom;
            }
            assert!(Instant::now() < deadline, "prometheus not ready after 30 s");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

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
    for tool in ["prometheus", "promtool"] {
        let found = Command::new(tool).arg("--version").output();
        assert!(
            found.is_ok_and(|o| o.status.success()),
            "{tool} is missing: {INSTALL}"
        );
    }
    let sim = sim::start(SimOptions {
        scenario: Some(Scenario::BadRollout),
        ..SimOptions::default()
    })
    .await
    .unwrap();
    // A few live samples (every 5 s), with the bad revision's errors among them.
    tokio::time::sleep(Duration::from_secs(12)).await;

    let dir = std::env::temp_dir().join(format!("opsdeck-prom-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (file, data) = (dir.join("history.om"), dir.join("data"));
    let from = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(31 * 24);
    let mut out = std::io::BufWriter::new(std::fs::File::create(&file).unwrap());
    let last = sim.write_openmetrics(from, &mut out).unwrap();
    std::io::Write::flush(&mut out).unwrap();
    drop(out);
    let exported = began.elapsed();

    let status = Command::new("promtool")
        .args(["tsdb", "create-blocks-from", "openmetrics", "--quiet"])
        // A hidden flag: promtool re-reads the whole file once per block, and 2 h blocks over
        // 30 days are 360 reads (minutes); 1000 h gives 486 h blocks, two or three reads.
        .arg("--max-block-duration=1000h")
        .arg(&file)
        .arg(&data)
        .status()
        .unwrap_or_else(|e| panic!("cannot run promtool ({e}): {INSTALL}"));
    assert!(status.success(), "promtool failed on {}", file.display());
    let backfilled = began.elapsed();
    let prom = Prometheus::start(&dir, &data).await;
    let ready = began.elapsed();

    let time = format!("{}", last.as_second());
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
        "{} queries; export {:?} ({} MB), promtool {:?}, prometheus ready {:?}, total {:?}",
        queries.len(),
        exported,
        std::fs::metadata(&file).map_or(0, |m| m.len() / 1_000_000),
        backfilled - exported,
        ready - backfilled,
        began.elapsed()
    );
    drop(prom);
    sim.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
