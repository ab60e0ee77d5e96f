//! `opsdeck snapshot` as a user runs it, on the config `opsdeck sim --config-out` writes: every
//! pane's section with plausible figures, the JSON valid against docs/snapshot.schema.json
//! (and the README's example too), and dead sources (Prometheus, RabbitMQ) named with exit
//! code 2 within the timeout while the panes that answered are still printed.

#[path = "common/sim_process.rs"]
mod sim_process;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::Value;
use sim_process::{SimProcess, opsdeck};

/// `opsdeck sim` writing its config to its own temp dir.
fn start_sim(name: &str) -> SimProcess {
    let dir = std::env::temp_dir().join(format!("opsdeck-snapshot-{name}-{}", std::process::id()));
    let config = dir.join("opsdeck.toml");
    let args = ["--config-out", config.to_str().expect("utf-8 path")];
    SimProcess::start(opsdeck(&dir), dir, &args)
}

fn config_of(sim: &SimProcess) -> PathBuf {
    sim.dir.join("opsdeck.toml")
}

/// `opsdeck --config CONFIG --kubeconfig SIM snapshot ARGS`.
fn snapshot(sim: &SimProcess, config: &Path, args: &[&str]) -> Output {
    opsdeck(&sim.dir)
        .arg("--config")
        .arg(config)
        .arg("--kubeconfig")
        .arg(sim.kubeconfig())
        .arg("snapshot")
        .args(args)
        .output()
        .expect("snapshot runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).to_string()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

/// Every error of `report` against the schema.
fn schema_errors(report: &Value) -> Vec<String> {
    let text = include_str!("../docs/snapshot.schema.json");
    let schema: Value = serde_json::from_str(text).expect("the schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("the schema is a schema");
    validator
        .iter_errors(report)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

fn assert_valid(report: &Value) {
    let errors = schema_errors(report);
    assert!(
        errors.is_empty(),
        "not what docs/snapshot.schema.json says:\n{}",
        errors.join("\n")
    );
}

/// Each needle is in `text`.
fn assert_contains<S: AsRef<str>>(text: &str, needles: &[S]) {
    for needle in needles.iter().map(AsRef::as_ref) {
        assert!(text.contains(needle), "{needle:?} missing:\n{text}");
    }
}

fn rows<'a>(report: &'a Value, pane: &str) -> &'a Vec<Value> {
    report[pane]["rows"]
        .as_array()
        .unwrap_or_else(|| panic!("{pane} has rows"))
}

fn number(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("a number: {v}"))
}

#[test]
fn every_pane_is_printed_with_plausible_figures_and_the_json_keeps_its_schema() {
    let mut sim = start_sim("all");
    let config = config_of(&sim);

    let out = snapshot(&sim, &config, &["--timeout", "30"]);
    let text = stdout(&out);
    assert!(out.status.success(), "{}\n{text}", stderr(&out));
    assert_contains(
        &text,
        &[
            "every source answered",
            "CLUSTER  namespaces all  synced",
            "WORKLOADS",
            "article-generator",
            "QUEUES (1)\nQUEUE ",
            "notifications",
            "SLOS (4)\nSLO ",
            "api-availability",
            "BUDGETS (3)",
            "LLM/day",
            "LLM SPEND\ntoday $",
            "per article $",
            "INFRASTRUCTURE (OPENCOST)  month $",
            "contentgen/article-generator",
            "ALERTS (0)",
            "SILENCES (0)",
            "HEALTH (13)\nSERVICE",
            "postgres",
        ],
    );

    let out = snapshot(&sim, &config, &["--output", "json", "--timeout", "30"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_valid(&report);
    assert_eq!(report["unanswered"], Value::Array(vec![]));
    for pane in ["cluster", "queues", "slo", "cost", "alerts", "health"] {
        assert_eq!(report[pane]["state"], "live", "{pane}: {}", report[pane]);
    }
    assert!(report["timing"]["full_sync_ms"].is_u64());

    // The cluster as before: its workloads, pods and nodes.
    let names: Vec<&str> = rows(&report, "cluster")
        .iter()
        .filter_map(|w| w["name"].as_str())
        .collect();
    for w in ["api", "article-generator", "rabbitmq", "prometheus"] {
        assert!(names.contains(&w), "{w} missing from {names:?}");
    }
    assert_eq!(report["cluster"]["nodes"].as_array().map(Vec::len), Some(4));

    // Every SLO evaluated: a state, budget left within reason, a burn, its alert rows.
    let slos = rows(&report, "slo");
    assert_eq!(slos.len(), 4);
    for s in slos {
        let left = number(&s["budget_remaining"]);
        assert!((-10.0..=1.0).contains(&left), "{s}");
        assert!(number(&s["burn"]) >= 0.0, "{s}");
        assert_eq!(s["alerts"].as_array().map(Vec::len), Some(3), "{s}");
    }

    // RabbitMQ's queue: depth, unacked, rates, workers.
    let q = &rows(&report, "queues")[0];
    assert_eq!(q["name"], "notifications");
    assert!(q["depth"].is_u64() && q["unacked"].is_u64(), "{q}");
    assert!(
        number(&q["in_per_sec"]) > 0.0 && number(&q["out_per_sec"]) > 0.0,
        "{q}"
    );
    assert!(q["consumers"].as_u64().is_some_and(|n| n > 0), "{q}");

    // A healthy platform: nothing fires, every service and dependency passes in its shape.
    assert_eq!(report["alerts"]["firing"], 0, "{}", report["alerts"]);
    assert_eq!(report["alerts"]["sources"][0]["kind"], "alertmanager");
    let health = rows(&report, "health");
    assert_eq!(health.len(), 13);
    assert!(health.iter().all(|h| h["status"] == "pass"), "{health:?}");
    let shapes: std::collections::BTreeSet<&str> = health
        .iter()
        .filter_map(|h| h["ready"]["shape"].as_str())
        .collect();
    assert_eq!(
        shapes.into_iter().collect::<Vec<_>>(),
        ["health+json", "microprofile", "status code"]
    );

    // Budgets against the sim's plan, LLM spend and unit cost, OpenCost per workload.
    let cost = &report["cost"];
    let mut budgets: Vec<&str> = rows(&report, "cost")
        .iter()
        .filter_map(|b| b["key"].as_str())
        .collect();
    budgets.sort_unstable();
    assert_eq!(budgets, ["infra/month", "llm/day", "llm/month"]);
    assert!(number(&cost["llm"]["total"]["today_usd"]) > 0.0, "{cost}");
    assert!(
        !cost["llm"]["by_provider"]
            .as_object()
            .expect("providers")
            .is_empty()
    );
    let per_article = number(&cost["unit"]["per_article_today"]);
    assert!(per_article > 0.0 && per_article < 5.0, "{per_article}");
    assert!(number(&cost["infra"]["month_usd"]) > 0.0, "{cost}");
    assert!(
        !cost["infra"]["workloads"]
            .as_array()
            .expect("workloads")
            .is_empty()
    );
    sim.stop();
}

/// Two loopback ports nobody listens on (both bound before either is let go: not one twice).
fn closed_ports() -> (u16, u16) {
    let bind = || std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
    let (a, b) = (bind(), bind());
    let port = |l: &std::net::TcpListener| l.local_addr().expect("addr").port();
    (port(&a), port(&b))
}

#[test]
fn dead_sources_are_named_with_exit_2_within_the_timeout_and_the_rest_is_printed() {
    let mut sim = start_sim("dead");
    let (prometheus, rabbitmq) = closed_ports();
    let written = std::fs::read_to_string(config_of(&sim)).expect("config");
    // The sim serves Prometheus, OpenCost and RabbitMQ on one port: move two of them away.
    let mut config = String::new();
    let mut section = "";
    for line in written.lines() {
        if line.starts_with('[') {
            section = line;
        }
        let line = match (section, line.starts_with("url = ")) {
            ("[prometheus]", true) => format!("url = \"http://127.0.0.1:{prometheus}\""),
            ("[[queue]]", true) => format!("url = \"http://opsdeck@127.0.0.1:{rabbitmq}\""),
            _ => line.to_string(),
        };
        config.push_str(&line);
        config.push('\n');
    }
    let dead = sim.dir.join("dead.toml");
    std::fs::write(&dead, config).expect("config");
    let timeout = 4;

    let started = Instant::now();
    let out = snapshot(&sim, &dead, &["--timeout", &timeout.to_string()]);
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(took < Duration::from_secs(timeout + 10), "took {took:?}");
    let err = stderr(&out);
    assert_contains(
        &err,
        &[
            format!("slo: Prometheus http://127.0.0.1:{prometheus}: connection refused"),
            format!("cost: Prometheus (LLM counters) http://127.0.0.1:{prometheus}: connection"),
            format!("queues: RabbitMQ (notifications) http://127.0.0.1:{rabbitmq}: connection"),
        ],
    );
    assert!(!err.contains("OpenCost"), "OpenCost answered: {err}");
    let text = stdout(&out);
    assert_contains(
        &text,
        &[
            "NOT ANSWERED (3):",
            "CLUSTER  namespaces all  synced",
            "article-generator",
            "SLOS (4)  STALE",
            "QUEUES (1)  STALE",
            "INFRASTRUCTURE (OPENCOST)  month $",
        ],
    );

    let out = snapshot(&sim, &dead, &["--output", "json", "--timeout", "2"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_valid(&report);
    let states: Vec<&str> = ["cluster", "queues", "slo", "cost"]
        .iter()
        .map(|p| report[*p]["state"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(states, ["live", "stale", "stale", "stale"]);
    let missing: Vec<&str> = report["unanswered"]
        .as_array()
        .expect("unanswered")
        .iter()
        .filter_map(|m| m["pane"].as_str())
        .collect();
    assert_eq!(missing, ["queues", "slo", "cost"]);
    let opencost = &report["cost"]["sources"][1];
    assert_eq!(
        (&opencost["kind"], &opencost["answered"]),
        (&"opencost".into(), &true.into())
    );
    assert!(number(&report["cost"]["infra"]["month_usd"]) > 0.0);
    sim.stop();
}

/// The README's example is what the schema says, and the schema refuses what it does not
/// name: a row with a field the schema lacks fails, so the schema moves with the code.
#[test]
fn the_readme_example_keeps_the_schema_and_the_schema_is_strict() {
    let readme = include_str!("../README.md");
    let start = readme
        .find("<!-- snapshot-json -->\n```json\n")
        .expect("the README has the snapshot example");
    let body = &readme[start..];
    let body = &body[body.find('{').expect("object")..];
    let example = &body[..body.find("\n```").expect("end of the example")];
    let mut report: Value = serde_json::from_str(example).expect("the example is JSON");
    assert_valid(&report);
    report["queues"]["rows"][0]["depth_now"] = 3.into();
    assert!(
        !schema_errors(&report).is_empty(),
        "an unknown field passes"
    );
    report["queues"]["rows"][0]
        .as_object_mut()
        .map(|r| r.remove("depth_now"));
    // A pane to come validates as a pane; one without its state does not.
    report["incidents"] = serde_json::json!({"state": "live", "sources": [], "rows": []});
    assert_valid(&report);
    report["incidents"] = serde_json::json!({"rows": []});
    assert!(
        !schema_errors(&report).is_empty(),
        "a pane without its state passes"
    );
    report.as_object_mut().map(|r| r.remove("incidents"));
    report["health"]["rows"][0]["status"] = "sick".into();
    assert!(
        !schema_errors(&report).is_empty(),
        "a health status the schema does not know passes"
    );
}
