//! The queue-backlog incident end to end, as an operator meets it: `opsdeck sim --scenario
//! queue-backlog --redis URL` plays the traffic spike into a real Redis; once opsdeck's Redis
//! source shows the backlog, `opsdeck run runbooks/queue-backlog.toml --yes` scales
//! article-generator to 10, waits for its pods, waits for `articles` to drain below 20 (read
//! from that Redis through the written config), and exits 0.

#[path = "common/redis_queues.rs"]
mod redis_queues;
#[path = "common/redis_server.rs"]
mod redis_server;
#[path = "common/sim_process.rs"]
mod sim_process;

use std::time::{Duration, Instant};

use opsdeck::config::Config;
use redis_queues::{find, read_blocking, redis_only};
use redis_server::RedisServer;
use sim_process::{SimProcess, opsdeck, run_ok};

/// The line of `stdout` that starts with `prefix`.
fn line<'a>(stdout: &'a str, prefix: &str) -> &'a str {
    stdout
        .lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starting {prefix:?} in:\n{stdout}"))
}

#[test]
fn queue_backlog_runbook_scales_the_consumer_and_drains_the_redis_queue() {
    let began = Instant::now();
    let server = RedisServer::start(&[]);
    let dir = std::env::temp_dir().join(format!("opsdeck-backlog-e2e-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let config = dir.join("opsdeck.toml");
    let args = [
        "--scenario",
        "queue-backlog",
        "--redis",
        &server.url(),
        "--config-out",
        config.to_str().expect("utf-8 path"),
    ];
    let mut sim = SimProcess::start(opsdeck(&dir), dir.clone(), &args);
    let queues = redis_only(&Config::load(&config).expect("config").queues);

    // The operator sees the backlog: articles past 30 in Redis, and growing.
    let deadline = Instant::now() + Duration::from_secs(40);
    while find(&read_blocking(&queues), "articles").depth < 30 {
        assert!(Instant::now() < deadline, "no backlog after 40 s");
        std::thread::sleep(Duration::from_millis(500));
    }

    let audit = dir.join("audit.jsonl");
    let out = opsdeck(&dir)
        .arg("--kubeconfig")
        .arg(sim.kubeconfig())
        .arg("--config")
        .arg(&config)
        .arg("--audit-log")
        .arg(&audit)
        .args(["run", "runbooks/queue-backlog.toml", "--yes"])
        .output()
        .expect("opsdeck run");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");

    line(
        &stdout,
        "runbook queue-backlog: The articles queue grows faster",
    );
    assert!(
        line(&stdout, "[1/5] manual: Confirm the backlog")
            .ends_with("(headless: shown, not awaited)")
    );
    line(&stdout, "[2/5] Scale the consumer up");
    line(&stdout, "[2/5] action: scale article-generator 10");
    assert!(stdout.contains("replicas: 4 -> 10"), "{stdout}");
    line(&stdout, "[2/5] done in ");
    line(
        &stdout,
        "[3/5] waiting until pods-ready article-generator (up to 300s)",
    );
    let ready = line(&stdout, "[3/5] ok: ");
    let pods: u32 = ready["[3/5] ok: ".len()..]
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{ready}"));
    assert!(
        pods >= 10 && ready.ends_with("pods of deployment contentgen/article-generator ready"),
        "{ready}"
    );
    line(&stdout, "[4/5] Wait for the backlog to drain");
    line(
        &stdout,
        "[4/5] waiting until queue-below articles 20 (up to 900s)",
    );
    let drained = line(&stdout, "[4/5] ok: articles: ");
    assert!(drained.ends_with("waiting (below 20 wanted)"), "{drained}");
    line(
        &stdout,
        "[5/5] note: If an HPA manages article-generator, raise its maxReplicas",
    );
    line(&stdout, "runbook queue-backlog: 5 steps done");
    assert!(find(&read_blocking(&queues), "articles").depth < 20);

    run_ok(
        opsdeck(&dir)
            .arg("--audit-log")
            .arg(&audit)
            .args(["audit", "verify"]),
    );
    assert!(sim.stop().success());
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        began.elapsed() < Duration::from_secs(120),
        "took {:?}",
        began.elapsed()
    );
}
