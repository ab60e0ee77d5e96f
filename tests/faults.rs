//! Every source against every fault the sim can inject: `opsdeck snapshot` names the faulted
//! source stale with a reason a person understands while every other source answers; the
//! Kubernetes model equals `kubectl get pods -A` after a 410 and after streams cut mid-event;
//! the log follower and the Redis queue source (through the TCP fault proxy, in front of a
//! real redis-server) say what happened and recover.

#[path = "common/rabbitmq_server.rs"]
mod rabbitmq_server;
#[path = "common/redis_server.rs"]
mod redis_server;
#[path = "common/sim_process.rs"]
mod sim_process;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use opsdeck::cluster::connect::client_from_yaml;
use opsdeck::cluster::logs::{LogEvent, LogMsg, spawn_log_follow};
use opsdeck::cluster::model::{ClusterModel, ClusterMsg, Resource};
use opsdeck::cluster::source::{Namespaces, spawn_watches};
use opsdeck::config::{QueueConfig, QueueKind};
use opsdeck::queues::QueueMsg;
use opsdeck::queues::rabbitmq::spawn_rabbitmq_queues;
use opsdeck::queues::redis::spawn_redis_queues;
use opsdeck::sim::fault::FaultSpec;
use opsdeck::sim::fault::proxy::{FaultProxy, ProxyFault};
use opsdeck::sim::{self, Scenario, SimOptions};
use opsdeck::status::LoadState;
use opsdeck::ui::pane::LogTarget;
use rabbitmq_server::RabbitServer;
use redis_server::RedisServer;
use serde_json::Value;
use sim_process::{SimProcess, opsdeck};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

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

async fn until(
    rx: &mut mpsc::Receiver<ClusterMsg>,
    model: &mut ClusterModel,
    secs: u64,
    what: &str,
    done: impl Fn(&ClusterModel) -> bool,
) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while !done(model) {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(msg)) => {
                model.apply(msg, 0);
            }
            _ => panic!("timed out waiting for {what}; sources: {:?}", model.sources),
        }
    }
}

fn pods_live(model: &ClusterModel) -> bool {
    model.load_state(&[Resource::Pods]) == LoadState::Live
}

fn model_pods(model: &ClusterModel) -> BTreeSet<String> {
    model
        .pods
        .iter()
        .map(|(_, p)| format!("{}/{}", p.namespace, p.name))
        .collect()
}

fn kubectl_pods(kubeconfig: &std::path::Path) -> BTreeSet<String> {
    let out = std::process::Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(["get", "pods", "-A", "--no-headers", "-o"])
        .arg("custom-columns=NS:.metadata.namespace,NAME:.metadata.name")
        .output()
        .expect("kubectl runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            Some(format!("{}/{}", w.next()?, w.next()?))
        })
        .collect()
}

/// The model and kubectl agree (churn may part them for a moment: they must meet again).
async fn agrees_with_kubectl(
    rx: &mut mpsc::Receiver<ClusterMsg>,
    model: &mut ClusterModel,
    kubeconfig: &std::path::Path,
    after: &str,
) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        while let Ok(msg) = rx.try_recv() {
            model.apply(msg, 0);
        }
        let (ours, theirs) = (model_pods(model), kubectl_pods(kubeconfig));
        if ours == theirs && pods_live(model) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "after {after}: ghosts {:?}, missing {:?}",
            ours.difference(&theirs).collect::<Vec<_>>(),
            theirs.difference(&ours).collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_410_and_streams_cut_mid_event_the_pods_equal_kubectl() {
    let sim = sim::start(SimOptions {
        scenario: Some(Scenario::BadRollout),
        ..SimOptions::default()
    })
    .await
    .expect("sim starts");
    let dir = std::env::temp_dir().join(format!("opsdeck-faults-watch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let kubeconfig = dir.join("kubeconfig");
    std::fs::write(&kubeconfig, sim.kubeconfig_yaml()).expect("kubeconfig");
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = client_from_yaml(&sim.kubeconfig_yaml())
        .await
        .expect("client");
    let (tx, mut rx) = mpsc::channel::<ClusterMsg>(4096);
    let token = CancellationToken::new();
    spawn_watches(&client, &"sim".into(), &Namespaces::All, tx, &token);
    let mut model = ClusterModel::default();
    until(&mut rx, &mut model, 20, "pods live", pods_live).await;

    // 410: the open watches end with the ERROR event, resuming answers it too; a relist.
    sim.faults()
        .set("kube=gone".parse::<FaultSpec>().expect("spec"));
    until(&mut rx, &mut model, 20, "the 410 said", |m| {
        matches!(m.load_state(&[Resource::Pods]), LoadState::Stale { reason, .. } if reason.contains("410"))
    })
    .await;
    until(
        &mut rx,
        &mut model,
        30,
        "pods live after the relist",
        pods_live,
    )
    .await;
    agrees_with_kubectl(&mut rx, &mut model, &kubeconfig, "a 410").await;

    // Every watch cut after its first event, mid-line: resumed each time, nothing lost.
    sim.faults()
        .set("kube=midstream".parse::<FaultSpec>().expect("spec"));
    let churn = Instant::now();
    while churn.elapsed() < Duration::from_secs(8) {
        if let Ok(Some(msg)) = tokio::time::timeout(Duration::from_millis(200), rx.recv()).await {
            model.apply(msg, 0);
        }
    }
    sim.faults()
        .set("kube=clear".parse::<FaultSpec>().expect("spec"));
    agrees_with_kubectl(&mut rx, &mut model, &kubeconfig, "streams cut mid-event").await;
    token.cancel();
    sim.stop().await;
}

/// The next failure the log follower reports (lines before it are fine).
async fn next_log_failure(rx: &mut mpsc::Receiver<LogMsg>, sim: &sim::SimHandle) -> String {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(15), rx.recv())
            .await
            .unwrap_or_else(|_| {
                let asked: Vec<String> = sim
                    .requests()
                    .iter()
                    .map(|r| format!("{} {}?{} {}", r.method, r.path, r.query, r.status))
                    .collect();
                panic!("the follower said nothing; the sim was asked {asked:#?}")
            })
            .expect("channel open");
        eprintln!("log follower: {:?}", msg.event);
        if let LogEvent::Failed { reason, .. } = msg.event {
            return reason;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_follower_says_why_and_follows_again() {
    let sim = sim::start(SimOptions::default()).await.expect("sim starts");
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = client_from_yaml(&sim.kubeconfig_yaml())
        .await
        .expect("client");
    let pod = {
        let out = kubectl_pods_of(&sim);
        out.into_iter()
            .find(|p| p.starts_with("contentgen/article-generator-"))
            .expect("an article-generator pod")
    };
    let (ltx, mut lrx) = mpsc::channel::<LogMsg>(256);
    let token = CancellationToken::new();
    let target = LogTarget {
        context: Default::default(),
        namespace: "contentgen".into(),
        pod: pod.trim_start_matches("contentgen/").to_string(),
        container: None,
        previous: false,
    };
    spawn_log_follow(client, target, 1, ltx, token.clone());
    for (kind, want) in [
        ("midstream", "the log stream was cut short"),
        ("5xx", "HTTP 503"),
        ("refused", "the connection was reset"),
    ] {
        sim.faults()
            .set(FaultSpec::new("logs", kind).expect("spec"));
        let reason = next_log_failure(&mut lrx, &sim).await;
        assert!(reason.contains(want), "logs={kind}: {reason}");
    }
    sim.faults()
        .set(FaultSpec::new("logs", "clear").expect("spec"));
    let lines = loop {
        let msg = tokio::time::timeout(Duration::from_secs(20), lrx.recv())
            .await
            .expect("lines again")
            .expect("channel open");
        if let LogEvent::Lines(lines) = msg.event {
            break lines;
        }
    };
    assert!(!lines.is_empty());
    token.cancel();
    sim.stop().await;
}

fn kubectl_pods_of(sim: &sim::SimHandle) -> BTreeSet<String> {
    let path = std::env::temp_dir().join(format!(
        "opsdeck-faults-logs-{}.kubeconfig",
        std::process::id()
    ));
    std::fs::write(&path, sim.kubeconfig_yaml()).expect("kubeconfig");
    kubectl_pods(&path)
}

fn celery_queue(url: &str) -> QueueConfig {
    QueueConfig {
        name: "articles".into(),
        kind: QueueKind::Celery,
        url: url.into(),
        consumer: None,
        password_env: None,
        group: None,
        keyprefix: None,
        visibility_timeout: None,
        vhost: None,
    }
}

async fn next_queue_msg(rx: &mut mpsc::Receiver<QueueMsg>, failed: bool) -> QueueMsg {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(20), rx.recv())
            .await
            .expect("the queue source says something")
            .expect("channel open");
        if matches!(msg, QueueMsg::Failed { .. }) == failed {
            return msg;
        }
    }
}

/// A real redis-server behind the fault proxy: each fault is named, and the source samples
/// again once it is lifted.
#[tokio::test]
async fn the_redis_source_through_the_fault_proxy() {
    let redis = RedisServer::start(&[]);
    let proxy = FaultProxy::start(
        "127.0.0.1:0".parse().expect("addr"),
        format!("127.0.0.1:{}", redis.port),
    )
    .await
    .expect("proxy");
    let url = format!("redis://{}/0", proxy.addr());
    let (tx, mut rx) = mpsc::channel::<QueueMsg>(256);
    let token = CancellationToken::new();
    spawn_redis_queues(
        vec![celery_queue(&url)],
        Duration::from_millis(300),
        tx,
        token.clone(),
    );
    next_queue_msg(&mut rx, false).await;
    for (fault, want) in [
        (ProxyFault::Silent, "timed out after 1 s"),
        (ProxyFault::Slow, "timed out after 1 s"),
        (ProxyFault::Cut, "connection lost"),
        (ProxyFault::Refused, "connection"),
    ] {
        proxy.set(Some(fault));
        let QueueMsg::Failed { reason, .. } = next_queue_msg(&mut rx, true).await else {
            unreachable!()
        };
        assert!(reason.contains(want), "{fault:?}: {reason}");
        proxy.set(None);
        next_queue_msg(&mut rx, false).await;
    }
    // Refused is a closed port: a new connection is refused by the kernel.
    proxy.set(Some(ProxyFault::Refused));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let err = tokio::net::TcpStream::connect(proxy.addr())
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
    token.cancel();
    proxy.stop().await;
}

/// The next sample (`failed` false) or transport failure (a queue the broker lacks aside).
async fn next_rabbit_msg(rx: &mut mpsc::Receiver<QueueMsg>, failed: bool) -> QueueMsg {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(20), rx.recv())
            .await
            .expect("the queue source says something")
            .expect("channel open");
        let transport =
            matches!(&msg, QueueMsg::Failed { reason, .. } if !reason.contains("no such queue"));
        if (failed && transport) || (!failed && matches!(msg, QueueMsg::Sampled(_))) {
            return msg;
        }
    }
}

const RABBIT_PASSWORD_ENV: &str = "OPSDECK_TEST_FAULTS_RABBITMQ_PASSWORD";

/// A real rabbitmq-server's management API behind the fault proxy: the queue source names each
/// fault and samples again once it is lifted.
#[tokio::test]
async fn the_rabbitmq_source_through_the_fault_proxy() {
    let server = tokio::task::spawn_blocking(RabbitServer::start)
        .await
        .expect("rabbitmq-server starts");
    let proxy = FaultProxy::start(
        "127.0.0.1:0".parse().expect("addr"),
        format!("127.0.0.1:{}", server.management_port),
    )
    .await
    .expect("proxy");
    // SAFETY: set once, before any task of this test reads the environment.
    unsafe { std::env::set_var(RABBIT_PASSWORD_ENV, "guest") };
    let mut queue = celery_queue(&format!("http://guest@{}", proxy.addr()));
    queue.kind = QueueKind::Rabbitmq;
    queue.password_env = Some(RABBIT_PASSWORD_ENV.into());
    let (tx, mut rx) = mpsc::channel::<QueueMsg>(256);
    let token = CancellationToken::new();
    spawn_rabbitmq_queues(&[queue], Duration::from_millis(300), tx, token.clone());
    next_rabbit_msg(&mut rx, false).await;
    for (fault, want) in [
        (ProxyFault::Silent, &["timed out after 1 s"][..]),
        (ProxyFault::Slow, &["timed out after 1 s"][..]),
        (ProxyFault::Cut, &["cut short", "was reset"][..]),
        (
            ProxyFault::Refused,
            &["connection refused", "was reset"][..],
        ),
    ] {
        proxy.set(Some(fault));
        let QueueMsg::Failed { reason, .. } = next_rabbit_msg(&mut rx, true).await else {
            unreachable!()
        };
        assert!(
            want.iter().any(|w| reason.contains(w)),
            "{fault:?}: {reason}"
        );
        proxy.set(None);
        next_rabbit_msg(&mut rx, false).await;
    }
    token.cancel();
    proxy.stop().await;
    drop(server);
}

async fn status_of(url: String) -> u16 {
    let http = opsdeck::clients::http::client(Duration::from_secs(5)).expect("client");
    http.get(url)
        .send()
        .await
        .expect("answers")
        .status()
        .as_u16()
}

/// The platform's own API is a source like the others, and each cluster of a fleet has its
/// own faults: clearing one cluster's leaves the other's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_platform_api_faults_and_each_cluster_keeps_its_own() {
    let base = SimOptions {
        faults: vec![
            "platform=5xx".parse().expect("spec"),
            "prometheus=429".parse().expect("spec"),
        ],
        ..SimOptions::default()
    };
    let fleet = opsdeck::sim::fleet::SimFleet::start(2, &[], base)
        .await
        .expect("fleet");
    let (one, two) = (&fleet.sims[0].1, &fleet.sims[1].1);
    two.faults()
        .set(FaultSpec::new("prometheus", "clear").expect("spec"));
    let query = |s: &sim::SimHandle| format!("{}/api/v1/query?query=up", s.prometheus_url());
    assert_eq!(
        status_of(format!("{}/pipelines", one.platform_url())).await,
        503
    );
    assert_eq!(status_of(query(one)).await, 429);
    assert_eq!(status_of(query(two)).await, 200);
    assert_eq!(
        status_of(format!("{}/pipelines", two.platform_url())).await,
        503
    );
    fleet.stop().await;
}
