//! Every source against every fault the sim can inject: `opsdeck snapshot` names the faulted
//! source stale with a reason a person understands while every other source answers (here);
//! the Kubernetes model equals `kubectl get pods -A` after a 410 and after streams cut
//! mid-event, the log follower and the platform API (`faults/streams.rs`); every HTTP source
//! held back as long as a 429's Retry-After asks (`faults/retry_after.rs`); the Redis and
//! RabbitMQ queue sources through the TCP fault proxy in front of real servers, and a faulted
//! Redis in a snapshot beside every other pane (`faults/proxies.rs`).

#[path = "faults/proxies.rs"]
mod proxies;
#[path = "common/rabbitmq_server.rs"]
mod rabbitmq_server;
#[path = "common/redis_server.rs"]
mod redis_server;
#[path = "faults/retry_after.rs"]
mod retry_after;
#[path = "common/sim_process.rs"]
mod sim_process;
#[path = "faults/streams.rs"]
mod streams;

use serde_json::Value;
use sim_process::{SimProcess, opsdeck};

/// The panes each source feeds, and how the snapshot labels its sources.
fn panes_of(source: &str) -> (&'static [&'static str], &'static str) {
    match source {
        "kube" => (&["cluster"], "Kubernetes"),
        "prometheus" => (&["slo", "cost"], "Prometheus"),
        "opencost" => (&["cost"], "OpenCost"),
        "rabbitmq" => (&["queues"], "RabbitMQ"),
        "alertmanager" => (&["alerts"], "Alertmanager"),
        _ => (&["health"], "health of"),
    }
}

/// What the faulted source must say, in words.
fn reason(source: &str, kind: &str) -> String {
    let name = match source {
        "prometheus" => "Prometheus",
        "opencost" => "OpenCost",
        "rabbitmq" => "RabbitMQ",
        "alertmanager" => "Alertmanager",
        _ => "",
    };
    let auth = matches!(source, "rabbitmq" | "alertmanager");
    match (kind, source) {
        ("refused", _) => "the connection was reset".into(),
        ("silent" | "slow", "kube") => "no answer in 10 s".into(),
        ("silent" | "slow", "rabbitmq") => "timed out after 2 s".into(),
        ("silent" | "slow", _) => "timed out after 5 s".into(),
        ("5xx", _) => "HTTP 503".into(),
        ("401", "kube") => "unauthorized".into(),
        ("401" | "403", _) if auth => format!("authentication failed (HTTP {kind})"),
        ("401", _) => "HTTP 401: not authorized".into(),
        ("403", "kube") => "forbidden".into(),
        ("403", _) => "HTTP 403: forbidden".into(),
        ("429", "kube") => "answered 429 (too many requests)".into(),
        ("429", _) => "answered 429 (too many requests), retry after 5 s".into(),
        ("truncated", _) => "the response was cut short".into(),
        ("malformed", "kube") => "the Kubernetes API did not answer JSON".into(),
        ("malformed", _) => format!("{name} answered HTML, not JSON"),
        _ => "unexpected JSON shape".into(),
    }
}

const HTTP_KINDS: [&str; 10] = [
    "refused",
    "silent",
    "slow",
    "5xx",
    "401",
    "403",
    "429",
    "truncated",
    "malformed",
    "wrong-shape",
];

/// `opsdeck snapshot --output json` against `sim`.
fn snapshot(sim: &SimProcess, timeout: u64) -> Value {
    let out = opsdeck(&sim.dir)
        .arg("--config")
        .arg(sim.dir.join("opsdeck.toml"))
        .arg("--kubeconfig")
        .arg(sim.kubeconfig())
        .args(["snapshot", "--output", "json", "--timeout"])
        .arg(timeout.to_string())
        .output()
        .expect("snapshot runs");
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)))
}

fn post_fault(platform: &str, source: &str, kind: &str) {
    let out = std::process::Command::new("curl")
        .args([
            "-sf",
            "-XPOST",
            "-H",
            "content-type: application/json",
            "-d",
        ])
        .arg(format!(r#"{{"source":"{source}","kind":"{kind}"}}"#))
        .arg(format!("{platform}/_sim/fault"))
        .output()
        .expect("curl runs");
    assert!(out.status.success(), "POST /_sim/fault {source}={kind}");
}

/// The platform url `opsdeck sim` wrote into its config.
fn platform_url(sim: &SimProcess) -> String {
    let config = std::fs::read_to_string(sim.dir.join("opsdeck.toml")).expect("config");
    let needle = "[platform]\nurl = \"";
    let at = config.find(needle).expect("[platform]") + needle.len();
    config[at..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_string()
}

/// Every reason the faulted source's panes give: unanswered sources', and stale panes'.
fn reasons(report: &Value, panes: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = vec![];
    for pane in panes {
        for s in report[*pane]["sources"].as_array().into_iter().flatten() {
            if let Some(r) = s["reason"].as_str() {
                out.push(r.to_string());
            }
        }
        for p in report[*pane]["rows"].as_array().into_iter().flatten() {
            for problem in p["problems"].as_array().into_iter().flatten() {
                out.push(problem["text"].as_str().unwrap_or_default().to_string());
            }
        }
    }
    out
}

/// One source through every fault, on its own sim (faults are per sim), changed at run time.
fn source_through_every_fault(source: &'static str) -> Vec<String> {
    let dir = std::env::temp_dir().join(format!("opsdeck-faults-{source}-{}", std::process::id()));
    let config = dir.join("opsdeck.toml");
    let sim = SimProcess::start(
        opsdeck(&dir),
        dir,
        &["--config-out", config.to_str().expect("utf-8")],
    );
    let platform = platform_url(&sim);
    let (panes, label) = panes_of(source);
    let mut failures = vec![];
    for kind in HTTP_KINDS {
        post_fault(&platform, source, kind);
        let slow = matches!(kind, "silent" | "slow");
        // Past the source's own timeout (5 s; 10 s for the Kubernetes probe), with room.
        let timeout = match (slow, source) {
            (true, "kube") => 13,
            (true, _) => 9,
            _ => 7,
        };
        let report = snapshot(&sim, timeout);
        let want = reason(source, kind);
        let mut problems = vec![];
        // Every other pane answered, whatever this source does.
        for pane in ["cluster", "queues", "slo", "cost", "alerts", "health"] {
            let state = report[pane]["state"].as_str().unwrap_or_default();
            if !panes.contains(&pane) && state != "live" {
                problems.push(format!("{pane} is {state}"));
            }
        }
        let strays: Vec<&Value> = report["unanswered"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|u| !u["source"].as_str().unwrap_or_default().starts_with(label))
            .collect();
        if !strays.is_empty() {
            problems.push(format!("others unanswered: {strays:?}"));
        }
        // Health reads what its endpoints answer: 200 passes whatever the body, as the
        // health-check contract says; an error code fails the service, with the code.
        let health_answers =
            source == "health" && !matches!(kind, "refused" | "silent" | "slow" | "truncated");
        let said = reasons(&report, panes);
        // The sim's Alertmanager holds no alerts: `[]` trickles in within a second, in time.
        let small = source == "alertmanager" && kind == "slow";
        match kind {
            _ if small => {
                if report["alerts"]["state"] != "live" {
                    problems.push(format!("a 2-byte answer in 1 s is in time: {said:?}"));
                }
            }
            "malformed" | "wrong-shape" if health_answers => {}
            _ if health_answers => {
                let code = if kind == "5xx" { "503" } else { kind };
                if !said.iter().any(|r| r.contains(&format!("HTTP {code}"))) {
                    problems.push(format!("no service says HTTP {code}: {said:?}"));
                }
            }
            _ => {
                let stale = panes.iter().any(|p| report[*p]["state"] == "stale");
                if !stale || !said.iter().any(|r| r.contains(&want)) {
                    problems.push(format!("want stale with {want:?}; said {said:?}"));
                }
            }
        }
        if !problems.is_empty() {
            failures.push(format!("{source}={kind}: {}", problems.join("; ")));
        }
    }
    // Cleared, the source answers again.
    post_fault(&platform, source, "clear");
    let report = snapshot(&sim, 20);
    if report["unanswered"] != Value::Array(vec![]) {
        failures.push(format!("{source} cleared: {}", report["unanswered"]));
    }
    failures
}

#[test]
fn every_http_source_names_every_fault_and_the_others_answer() {
    let sources = [
        "kube",
        "prometheus",
        "opencost",
        "rabbitmq",
        "alertmanager",
        "health",
    ];
    let runs: Vec<_> = sources
        .into_iter()
        .map(|s| std::thread::spawn(move || source_through_every_fault(s)))
        .collect();
    let failures: Vec<String> = runs
        .into_iter()
        .flat_map(|r| r.join().expect("no panic"))
        .collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
