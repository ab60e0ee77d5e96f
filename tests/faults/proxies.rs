//! The Redis and RabbitMQ queue sources through the TCP fault proxy, in front of a real
//! redis-server and a real rabbitmq-server's management API.

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
