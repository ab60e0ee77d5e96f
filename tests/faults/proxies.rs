//! The Redis and RabbitMQ queue sources through the TCP fault proxy, in front of a real
//! redis-server and a real rabbitmq-server's management API; and the sim's own Redis queues
//! read through its proxy by `opsdeck snapshot`.

use std::time::Duration;

use opsdeck::config::{QueueConfig, QueueKind};
use opsdeck::queues::QueueMsg;
use opsdeck::queues::rabbitmq::spawn_rabbitmq_queues;
use opsdeck::queues::redis::spawn_redis_queues;
use opsdeck::sim::fault::proxy::{FaultProxy, ProxyFault};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::rabbitmq_server::RabbitServer;
use crate::redis_server::RedisServer;
use crate::sim_process::{SimProcess, opsdeck};
use crate::{platform_url, post_fault, snapshot};
use serde_json::Value;

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

/// The sim writing its Celery, RQ and stream queues into a real redis-server, and opsdeck
/// reading them through the sim's fault proxy: in a snapshot, a faulted Redis makes only its
/// queues stale, with the reason, while every other pane answers; cleared, they answer again.
#[test]
fn a_faulted_redis_in_a_snapshot_leaves_every_other_pane_live() {
    let redis = RedisServer::start(&[]);
    let proxy_port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let dir = std::env::temp_dir().join(format!("opsdeck-faults-redis-{}", std::process::id()));
    let config = dir.join("opsdeck.toml");
    let redis_url = redis.url();
    let proxy = format!("redis=127.0.0.1:{proxy_port}->127.0.0.1:{}", redis.port);
    let sim = SimProcess::start(
        opsdeck(&dir),
        dir.clone(),
        &[
            "--config-out",
            config.to_str().expect("utf-8"),
            "--redis",
            &redis_url,
            "--fault-proxy",
            &proxy,
        ],
    );
    // opsdeck reads Redis through the proxy; the sim keeps writing to it directly.
    let written = std::fs::read_to_string(&config).expect("config");
    assert!(written.contains(&redis_url), "{written}");
    let through = redis_url.replace(&redis.port.to_string(), &proxy_port.to_string());
    std::fs::write(&config, written.replace(&redis_url, &through)).expect("config");
    let platform = platform_url(&sim);
    let redis_reasons = |report: &Value| -> Vec<String> {
        report["unanswered"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|u| u.to_string())
            .collect()
    };
    let before = snapshot(&sim, 20);
    assert_eq!(
        before["unanswered"],
        Value::Array(vec![]),
        "all answer first"
    );
    let redis_rows = before["queues"]["rows"].as_array().map_or(0, |rows| {
        rows.iter()
            .filter(|q| q.to_string().to_lowercase().contains("celery"))
            .count()
    });
    assert!(
        redis_rows > 0,
        "Celery queues read through the proxy: {before}"
    );
    let mut failures = vec![];
    for (kind, want) in [
        ("silent", "timed out after 2 s"),
        ("slow", "timed out after 2 s"),
        ("truncated", "connection lost"),
        ("refused", "connection refused"),
    ] {
        post_fault(&platform, "redis", kind);
        let report = snapshot(&sim, 9);
        for pane in ["cluster", "slo", "cost", "alerts", "health"] {
            if report[pane]["state"] != "live" {
                failures.push(format!("redis={kind}: {pane} is {}", report[pane]["state"]));
            }
        }
        let said = redis_reasons(&report);
        if report["queues"]["state"] != "stale" || !said.iter().any(|r| r.contains(want)) {
            failures.push(format!(
                "redis={kind}: queues {} and want {want:?} in {said:?}",
                report["queues"]["state"]
            ));
        }
        if said.iter().any(|r| !r.contains("edis")) {
            failures.push(format!("redis={kind}: another source unanswered: {said:?}"));
        }
        post_fault(&platform, "redis", "clear");
    }
    let after = snapshot(&sim, 20);
    if after["unanswered"] != Value::Array(vec![]) {
        failures.push(format!("cleared: {}", after["unanswered"]));
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
