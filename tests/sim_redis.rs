//! `opsdeck sim --redis`: the sim's Celery, RQ and stream queues in a real `redis-server`, read
//! by opsdeck's own Redis queue source as production's would be. Depth, unacked, consumers and
//! the oldest message's age match the sim's model; scaling the consumer drains `articles`; a
//! dead Redis never stalls the sim, and a restarted one is refilled from the world.

#[path = "common/redis_queues.rs"]
mod redis_queues;
#[path = "common/redis_server.rs"]
mod redis_server;
#[path = "common/sim_process.rs"]
mod sim_process;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use opsdeck::config::{Config, QueueConfig, QueueKind};
use opsdeck::queues::QueueSample;
use opsdeck::sim::{self, SimHandle, SimOptions};
use redis_queues::{find, read, read_blocking, redis_only};
use redis_server::RedisServer;
use sim_process::{SimProcess, opsdeck, run_ok};

async fn start_sim(redis: &RedisServer) -> SimHandle {
    let _ = rustls::crypto::ring::default_provider().install_default();
    sim::start(SimOptions {
        redis: Some(redis.url()),
        ..SimOptions::default()
    })
    .await
    .expect("sim starts")
}

/// `PATCH .../deployments/NAME/scale`, as kubectl scale does.
async fn scale(sim: &SimHandle, name: &str, replicas: u32) {
    let url = format!(
        "{}/apis/apps/v1/namespaces/contentgen/deployments/{name}/scale",
        sim.url()
    );
    let resp = reqwest::Client::new()
        .patch(&url)
        .bearer_auth("sim-admin")
        .header("content-type", "application/merge-patch+json")
        .body(format!(r#"{{"spec":{{"replicas":{replicas}}}}}"#))
        .send()
        .await
        .expect("scale");
    assert!(
        resp.status().is_success(),
        "scale {name}: {}",
        resp.status()
    );
}

/// Where opsdeck's reading of Redis and the sim's model disagree beyond a tick's worth: depth
/// within 2, unacked exact, consumers exact where Redis shows them (RQ workers, stream
/// group), the oldest waiting message's age within 1.5 s while some wait.
fn differences(model: &[QueueSample], redis: &[QueueSample]) -> Vec<String> {
    let mut out = Vec::new();
    for m in model {
        let Some(r) = redis.iter().find(|r| r.name == m.name) else {
            out.push(format!("{}: not in Redis", m.name));
            continue;
        };
        if m.depth.abs_diff(r.depth) > 2 || m.unacked != r.unacked {
            out.push(format!(
                "{}: model {}+{} unacked, Redis {}+{}",
                m.name, m.depth, m.unacked, r.depth, r.unacked
            ));
        }
        if r.consumers.is_some() && r.consumers != m.consumers {
            out.push(format!(
                "{}: consumers {:?} vs {:?}",
                m.name, m.consumers, r.consumers
            ));
        }
        if let (Some(a), Some(b)) = (m.oldest_age_secs, r.oldest_age_secs)
            && m.depth >= 2
            && (a - b).abs() > 1.5
        {
            out.push(format!("{}: oldest {a:.1}s vs {b:.1}s", m.name));
        }
    }
    out
}

/// Waits until Redis reads like the model; returns both readings.
async fn in_step(
    sim: &SimHandle,
    queues: &[QueueConfig],
    what: &str,
    pred: impl Fn(&[QueueSample]) -> bool,
) -> (Vec<QueueSample>, Vec<QueueSample>) {
    let model = sim.queue_sampler();
    let mut last = Vec::new();
    let found = tokio::time::timeout(Duration::from_secs(45), async {
        loop {
            let redis = read(queues).await;
            let m = model();
            last = differences(&m, &redis);
            if last.is_empty() && pred(&redis) {
                return (m, redis);
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    })
    .await;
    found.unwrap_or_else(|_| panic!("timed out waiting for {what}; last differences: {last:?}"))
}

/// The sim's Redis-backed queues as PLATFORM.md lists them, all on `url`.
fn assert_platform_queues(queues: &[QueueConfig], url: &str) {
    let kinds: Vec<(&str, QueueKind)> = queues.iter().map(|q| (q.name.as_str(), q.kind)).collect();
    assert_eq!(
        kinds,
        [
            ("articles", QueueKind::Celery),
            ("fact_checks", QueueKind::Celery),
            ("topics", QueueKind::Celery),
            ("publish", QueueKind::Rq),
            ("events:competitors", QueueKind::Stream),
        ]
    );
    assert!(queues.iter().all(|q| q.url == url), "{queues:?}");
    assert_eq!(queues[4].group.as_deref(), Some("analyzers"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_reads_like_the_sims_model_and_scaling_the_consumer_drains_articles() {
    let server = RedisServer::start(&[]);
    let sim = start_sim(&server).await;
    let queues = redis_only(&sim.queue_configs());
    assert_platform_queues(&queues, &server.url());

    // Steady state: every worker holds one message; RQ workers and stream consumers registered.
    let (_, redis) = in_step(&sim, &queues, "the steady state", |r| {
        find(r, "articles").unacked == 4
    })
    .await;
    assert_eq!(find(&redis, "publish").consumers, Some(2));
    assert_eq!(find(&redis, "events:competitors").consumers, Some(1));
    assert_eq!(find(&redis, "events:competitors").unacked, 1);

    // No article generators: articles backs up at 2/s, oldest first.
    scale(&sim, "article-generator", 0).await;
    let (model, redis) = in_step(&sim, &queues, "a backlog of 20 articles", |r| {
        find(r, "articles").depth >= 20
    })
    .await;
    let age = find(&redis, "articles").oldest_age_secs.expect("an age");
    assert!(age > 8.0, "20 articles at 2/s: {age}");
    assert_eq!(find(&model, "articles").unacked, 0);

    // Six generators take 3.6/s: the backlog drains.
    scale(&sim, "article-generator", 6).await;
    in_step(&sim, &queues, "articles drained", |r| {
        find(r, "articles").depth < 2
    })
    .await;
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_redis_never_stalls_the_sim_and_a_restarted_one_is_refilled() {
    let mut server = RedisServer::start(&[]);
    let sim = start_sim(&server).await;
    let queues = redis_only(&sim.queue_configs());
    scale(&sim, "article-generator", 0).await;
    in_step(&sim, &queues, "a backlog", |r| {
        find(r, "articles").depth >= 6
    })
    .await;

    server.kill();
    let model = sim.queue_sampler();
    let depth = |m: Vec<QueueSample>| find(&m, "articles").depth;
    let before = depth(model());
    let http = reqwest::Client::new();
    for _ in 0..3 {
        let began = Instant::now();
        let resp = http
            .get(format!("{}/api/v1/namespaces/contentgen/pods", sim.url()))
            .bearer_auth("sim-admin")
            .send()
            .await
            .expect("the sim answers without its Redis");
        assert!(resp.status().is_success());
        assert!(
            began.elapsed() < Duration::from_secs(1),
            "{:?}",
            began.elapsed()
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    assert!(depth(model()) >= before + 4, "the world kept ticking");

    // A fresh, empty Redis on the same port: the writer reconnects and refills the backlog,
    // each message with its time of arrival.
    server.restart();
    in_step(&sim, &queues, "the backlog refilled", |r| {
        find(r, "articles").depth >= before + 4
    })
    .await;
    sim.stop().await;
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("opsdeck-sim-redis-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn kubectl(sim: &SimProcess, args: &[&str]) -> String {
    let out = Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(sim.kubeconfig())
        .arg("--cache-dir")
        .arg(sim.dir.join("kube-cache"))
        .args(["-n", "contentgen"])
        .args(args)
        .output()
        .expect("kubectl runs");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "kubectl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

/// Polls `read` (synchronously, as the binary tests do) until `pred` holds.
fn wait_for_queues(
    queues: &[QueueConfig],
    secs: u64,
    what: &str,
    pred: impl Fn(&[QueueSample]) -> bool,
) -> Vec<QueueSample> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let samples = read_blocking(queues);
        if pred(&samples) {
            return samples;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {samples:?}"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// The binary as a user runs it: `opsdeck sim --redis URL --config-out C`; the config passes
/// `opsdeck check` and lists the Redis queues; what opsdeck reads there follows the model
/// (consumers are the ready pods, articles arrive at 2/s) and `kubectl scale` drains it.
#[test]
fn sim_binary_writes_its_queues_to_redis_and_a_config_that_reads_them() {
    let server = RedisServer::start(&[]);
    let dir = temp_dir("binary");
    let config = dir.join("opsdeck.toml");
    let config_arg = config.to_str().expect("utf-8 path");
    let mut sim = SimProcess::start(
        opsdeck(&dir),
        dir.clone(),
        &["--redis", &server.url(), "--config-out", config_arg],
    );
    run_ok(opsdeck(&dir).arg("check").arg(&config));
    let loaded = Config::load(&config).expect("the written config loads");
    let (rabbit, redis): (Vec<_>, Vec<_>) = loaded
        .queues
        .into_iter()
        .partition(|q| q.kind == QueueKind::Rabbitmq);
    assert_eq!(rabbit.len(), 1, "notifications, over the management API");
    assert_platform_queues(&redis, &server.url());
    let queues = redis;

    let ready = |name: &str| {
        kubectl(
            &sim,
            &[
                "get",
                "deploy",
                name,
                "-o",
                "jsonpath={.status.readyReplicas}",
            ],
        )
    };
    let samples = wait_for_queues(&queues, 30, "workers registered", |s| {
        find(s, "publish").consumers > Some(0) && find(s, "events:competitors").consumers > Some(0)
    });
    let consumers = |name: &str| find(&samples, name).consumers.map(|c| c.to_string());
    assert_eq!(consumers("publish"), Some(ready("publisher")));
    assert_eq!(
        consumers("events:competitors"),
        Some(ready("competitor-monitor"))
    );

    kubectl(
        &sim,
        &["scale", "deploy", "article-generator", "--replicas=0"],
    );
    let first = wait_for_queues(&queues, 30, "articles backing up", |s| {
        find(s, "articles").depth >= 4
    });
    let t0 = Instant::now();
    let later = wait_for_queues(&queues, 30, "more articles", |s| {
        find(s, "articles").depth >= 24
    });
    let rate = (find(&later, "articles").depth - find(&first, "articles").depth) as f64
        / t0.elapsed().as_secs_f64();
    assert!(
        (1.5..=2.6).contains(&rate),
        "articles arrive at 2/s: {rate:.2}"
    );

    kubectl(
        &sim,
        &["scale", "deploy", "article-generator", "--replicas=6"],
    );
    wait_for_queues(&queues, 40, "articles drained", |s| {
        find(s, "articles").depth < 2
    });
    assert!(sim.stop().success());
    let _ = std::fs::remove_dir_all(&dir);
}
