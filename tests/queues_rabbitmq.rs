//! The RabbitMQ source against a real `rabbitmq-server` with the management plugin: Celery
//! messages published over AMQP in Celery's own wire format, a worker holding some unacked,
//! read back as depth, unacked, consumers, the broker's rates and the oldest age; a queue the
//! broker lacks is stale on its own; a killed broker marks the rows stale with the reason and a
//! restarted one recovers them.

#[path = "common/queue_wait.rs"]
mod queue_wait;
#[path = "common/rabbitmq_server.rs"]
mod rabbitmq_server;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use amqprs::channel::{
    BasicConsumeArguments, BasicPublishArguments, BasicQosArguments, Channel, QueueDeclareArguments,
};
use amqprs::connection::{Connection, OpenConnectionArguments};
use amqprs::{BasicProperties, FieldTable, FieldValue};
use opsdeck::config::{QueueConfig, QueueKind};
use opsdeck::queues::rabbitmq::spawn_rabbitmq_queues;
use opsdeck::queues::{Drain, QueueModel, QueueMsg};
use opsdeck::status::LoadState;
use queue_wait::{next_msg, next_msg_within, sampled};
use rabbitmq_server::RabbitServer;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

const QUEUE: &str = "notifications";
const PASSWORD_ENV: &str = "OPSDECK_TEST_RABBITMQ_PASSWORD";
const WRONG_PASSWORD_ENV: &str = "OPSDECK_TEST_RABBITMQ_WRONG_PASSWORD";

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

fn now_ms() -> i64 {
    (now_secs() * 1000) as i64
}

fn config(name: &str, url: &str) -> QueueConfig {
    QueueConfig {
        name: name.into(),
        kind: QueueKind::Rabbitmq,
        url: url.into(),
        consumer: Some("contentgen/publisher".into()),
        password_env: Some(PASSWORD_ENV.into()),
        group: None,
        keyprefix: None,
        visibility_timeout: None,
        vhost: None,
    }
}

async fn channel(server: &RabbitServer) -> (Connection, Channel) {
    let args = OpenConnectionArguments::new("127.0.0.1", server.port, "guest", "guest");
    let conn = Connection::open(&args).await.expect("amqp connection");
    let ch = conn.open_channel(None).await.expect("channel");
    (conn, ch)
}

fn text(s: &str) -> FieldValue {
    FieldValue::S(s.try_into().expect("long string"))
}

/// A Celery protocol-2 task message as `celery.app.amqp` builds it: the body is
/// `[args, kwargs, embed]`, the task's identity is in the headers, and (like many producers)
/// the AMQP `timestamp` property says when it was sent.
async fn publish_task(ch: &Channel, n: u32, sent_at: u64) {
    let id = format!("9f6b{n:04}-7c1e-4b8a-a2d4-5e0c3b1f{n:04}");
    let mut headers = FieldTable::new();
    for (k, v) in [
        ("lang", text("py")),
        ("task", text("notifications.send_digest")),
        ("id", text(&id)),
        ("root_id", text(&id)),
        ("parent_id", FieldValue::V),
        ("group", FieldValue::V),
        ("eta", FieldValue::V),
        ("expires", FieldValue::V),
        ("retries", FieldValue::I(0)),
        ("argsrepr", text(&format!("({n},)"))),
        ("kwargsrepr", text("{}")),
        ("origin", text("gen1@article-generator-7d9f")),
    ] {
        headers.insert(k.try_into().expect("field name"), v);
    }
    let body = format!(
        r#"[[{n}], {{}}, {{"callbacks": null, "errbacks": null, "chain": null, "chord": null}}]"#
    );
    let props = BasicProperties::default()
        .with_content_type("application/json")
        .with_content_encoding("utf-8")
        .with_correlation_id(&id)
        .with_persistence(true)
        .with_priority(0)
        .with_timestamp(sent_at)
        .with_headers(headers)
        .finish();
    ch.basic_publish(
        props,
        body.into_bytes(),
        BasicPublishArguments::new("", QUEUE),
    )
    .await
    .expect("publish");
}

fn notifications(m: &QueueMsg) -> Option<&opsdeck::queues::QueueSample> {
    match m {
        QueueMsg::Sampled(s) => s.iter().find(|s| s.name == QUEUE),
        QueueMsg::Failed { .. } => None,
    }
}

#[test]
fn reads_a_real_broker_goes_stale_when_it_dies_and_recovers() {
    // SAFETY: set before the runtime starts; this binary has no other test or thread yet.
    unsafe {
        std::env::set_var(PASSWORD_ENV, "guest");
        std::env::set_var(WRONG_PASSWORD_ENV, "not-the-password");
    }
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(scenario());
}

async fn scenario() {
    let mut server = tokio::task::spawn_blocking(RabbitServer::start)
        .await
        .expect("start");
    let (_conn, ch) = channel(&server).await;
    ch.queue_declare(QueueDeclareArguments::durable_client_named(QUEUE))
        .await
        .expect("declare");
    let sent_at = now_secs() - 90;
    for n in 0..40 {
        publish_task(&ch, n, sent_at).await;
    }
    // A worker with prefetch 5 that never acknowledges: 5 unacked, 35 ready.
    let (_worker_conn, worker) = channel(&server).await;
    worker
        .basic_qos(BasicQosArguments::new(0, 5, false))
        .await
        .expect("qos");
    let (_tag, _deliveries) = worker
        .basic_consume_rx(BasicConsumeArguments::new(QUEUE, "worker-1"))
        .await
        .expect("consume");

    let url = server.management_url();
    let mut locked_out = config("locked_out", &url);
    locked_out.password_env = Some(WRONG_PASSWORD_ENV.into());
    let configs = vec![
        config(QUEUE, &url),
        config("not_declared", &url),
        locked_out,
    ];
    let mut model = QueueModel::new(&configs, 10.0);
    let (tx, mut rx) = mpsc::channel::<QueueMsg>(64);
    let token = CancellationToken::new();
    spawn_rabbitmq_queues(&configs, Duration::from_millis(250), tx, token.clone());

    let m = next_msg(&mut rx, "35 ready and 5 unacked", |m| {
        notifications(m).is_some_and(|s| s.depth == 35 && s.unacked == 5)
    })
    .await;
    let s = notifications(&m).expect("sample").clone();
    assert_eq!(s.consumers, Some(1));
    let age = s
        .oldest_age_secs
        .expect("head_message_timestamp gives the oldest age");
    assert!((89.0..100.0).contains(&age), "oldest age {age}");
    assert_eq!(s.enqueued_total, Some(40), "message_stats.publish");
    model.apply_samples(&[s]);

    let missing = next_msg(
        &mut rx,
        "the undeclared queue's failure",
        |m| matches!(m, QueueMsg::Failed { queues, .. } if queues == &["not_declared"]),
    )
    .await;
    let QueueMsg::Failed { reason, .. } = missing else {
        unreachable!()
    };
    assert!(reason.contains("no such queue"), "{reason}");

    // A wrong password fails its own source alone, and is retried (it may be rotated back).
    let denied = next_msg(
        &mut rx,
        "the wrong password's failure",
        |m| matches!(m, QueueMsg::Failed { queues, .. } if queues == &["locked_out"]),
    )
    .await;
    let QueueMsg::Failed {
        reason, retry_in, ..
    } = denied
    else {
        unreachable!()
    };
    assert!(
        reason.starts_with("authentication failed (HTTP 401)"),
        "{reason}"
    );
    assert!(retry_in.is_some());

    // Traffic: 10 tasks a second for a few seconds; the broker's own publish rate shows, and
    // with the worker stuck nothing leaves, so the queue is growing.
    let publisher = {
        let ch = ch.clone();
        tokio::spawn(async move {
            for n in 100..180 {
                publish_task(&ch, n, now_secs()).await;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let m = next_msg(&mut rx, "the broker's publish rate", |m| {
        notifications(m)
            .and_then(|s| s.broker_rates)
            .is_some_and(|r| r.in_per_sec >= 5.0)
    })
    .await;
    let s = notifications(&m).expect("sample").clone();
    let rates = s.broker_rates.expect("rates");
    assert!(rates.in_per_sec <= 15.0, "{rates:?}");
    model.apply_samples(&[s]);
    let row = model.row(QUEUE).expect("row");
    assert!(row.in_rate >= 5.0 && row.out_rate < 1.0, "{row:?}");
    assert_eq!(row.drain, Drain::Growing);
    assert_eq!(row.unacked, 5);
    publisher.await.expect("publisher");

    // The broker dies: the rows go stale with the reason, and reconnects say they are refused.
    tokio::task::block_in_place(|| server.kill());
    let failed = next_msg(
        &mut rx,
        "the failure",
        |m| matches!(m, QueueMsg::Failed { queues, .. } if queues.contains(&QUEUE.to_string())),
    )
    .await;
    let QueueMsg::Failed {
        queues,
        reason,
        retry_in,
        url_redacted,
    } = failed
    else {
        unreachable!()
    };
    assert_eq!(reason, "connection refused");
    assert!(retry_in.is_some());
    assert!(!url_redacted.contains("guest"), "{url_redacted}");
    model.apply_failure(&queues, &reason, None, now_ms() / 1000);
    assert!(matches!(
        &model.row(QUEUE).expect("row").state,
        LoadState::Stale { reason: r, .. } if r == &reason
    ));

    // Restarted on the same data: the durable queue and its persistent messages are back
    // (the dead worker's unacked ones returned to ready), and the rows are live again.
    tokio::task::block_in_place(|| server.restart());
    let m = next_msg_within(&mut rx, Duration::from_secs(45), "recovery", |m| {
        sampled(m, QUEUE)
    })
    .await;
    let s = notifications(&m).expect("sample").clone();
    assert!(s.depth >= 40, "persistent messages survive: {s:?}");
    assert_eq!(s.unacked, 0);
    model.apply_samples(&[s]);
    assert_eq!(model.row(QUEUE).expect("row").state, LoadState::Live);
    token.cancel();
}
