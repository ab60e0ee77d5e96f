//! The Redis queue source against a real `redis-server`: Celery, RQ and stream data written in
//! their libraries' wire formats, read back as depth, unacked, consumers, failed, oldest age and
//! rates; a killed server marks its rows stale with the reason, a restarted one recovers them.

#[path = "common/queue_producer.rs"]
mod producer;
#[path = "common/queue_wait.rs"]
mod queue_wait;
#[path = "common/redis_server.rs"]
mod redis_server;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use opsdeck::config::{QueueConfig, QueueKind};
use opsdeck::queues::redis::{sample_once, spawn_redis_queues};
use opsdeck::queues::{Drain, QueueModel, QueueMsg, QueueSample};
use opsdeck::status::LoadState;
use producer::*;
use queue_wait::{next_msg, sampled};
use redis_server::RedisServer;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

const STREAM: &str = "events:competitors";

fn queue(name: &str, kind: QueueKind, url: &str) -> QueueConfig {
    QueueConfig {
        name: name.into(),
        kind,
        url: url.into(),
        consumer: Some(format!("contentgen/{name}")),
        password_env: None,
        group: (kind == QueueKind::Stream).then(|| "analyzers".into()),
        keyprefix: None,
        visibility_timeout: None,
        vhost: None,
    }
}

fn platform_queues(url: &str) -> Vec<QueueConfig> {
    let mut topics = queue("topics", QueueKind::Celery, url);
    topics.keyprefix = Some("prod:".into());
    // A 2-minute visibility timeout: the article delivered 300 s ago is due for redelivery.
    let mut articles = queue("articles", QueueKind::Celery, url);
    articles.visibility_timeout = Some(120);
    vec![
        articles,
        queue("fact_checks", QueueKind::Celery, url),
        topics,
        queue("publish", QueueKind::Rq, url),
        queue(STREAM, QueueKind::Stream, url),
    ]
}

fn now_ms() -> i64 {
    let d = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock");
    i64::try_from(d.as_millis()).expect("ms")
}

fn iso(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .expect("ts")
        .strftime("%Y-%m-%dT%H:%M:%S.%6f+00:00")
        .to_string()
}

/// The platform's queues, filled as its producers and workers would leave them at `t0`.
async fn fill(url: &str, t0: i64) {
    let mut c = conn(url).await;
    // articles: 5 plain, 2 at priority 3, 1 at priority 9; the oldest plain one is 120 s overdue.
    let overdue = iso(t0 - 120_000);
    let first = celery_message("a0", "gen.article", "articles", 0, Some(&overdue));
    celery_publish(&mut c, "", "articles", 0, &first).await;
    for i in 1..5 {
        let m = celery_message(&format!("a{i}"), "gen.article", "articles", 0, None);
        celery_publish(&mut c, "", "articles", 0, &m).await;
    }
    for (i, p) in [(5, 3), (6, 3), (7, 9)] {
        let m = celery_message(&format!("a{i}"), "gen.article", "articles", p, None);
        celery_publish(&mut c, "", "articles", p, &m).await;
    }
    // Two articles delivered and unacked, the older 300 s ago; one fact check 30 s ago.
    let t0s = t0 as f64 / 1000.0;
    let m = celery_message("u1", "gen.article", "articles", 0, None);
    celery_unacked(&mut c, "", "tag-u1", &m, "articles", t0s - 300.0).await;
    let m = celery_message("u2", "gen.article", "articles", 0, None);
    celery_unacked(&mut c, "", "tag-u2", &m, "articles", t0s - 10.0).await;
    let m = celery_message("u3", "check.facts", "fact_checks", 0, None);
    celery_unacked(&mut c, "", "tag-u3", &m, "fact_checks", t0s - 30.0).await;
    // fact_checks: 3 pending, no time in them but the unacked one.
    for i in 0..3 {
        let m = celery_message(&format!("f{i}"), "check.facts", "fact_checks", 0, None);
        celery_publish(&mut c, "", "fact_checks", 0, &m).await;
    }
    // topics under global_keyprefix "prod:": 4 pending, the oldest 45 s overdue.
    let m = celery_message("t0", "topics.analyze", "topics", 0, Some(&iso(t0 - 45_000)));
    celery_publish(&mut c, "prod:", "topics", 0, &m).await;
    for i in 1..4 {
        let m = celery_message(&format!("t{i}"), "topics.analyze", "topics", 0, None);
        celery_publish(&mut c, "prod:", "topics", 0, &m).await;
    }
    // publish (RQ): 4 queued, the oldest enqueued 200 s ago; 2 started, 3 failed, 1 scheduled.
    for i in 0..4 {
        rq_enqueue(&mut c, "publish", &format!("j{i}"), t0 - 200_000 + i * 1000).await;
    }
    for i in 0..2 {
        rq_registry(&mut c, "wip", "publish", &format!("w{i}"), t0s + 180.0).await;
    }
    for i in 0..3 {
        rq_registry(&mut c, "failed", "publish", &format!("x{i}"), t0s + 86400.0).await;
    }
    rq_registry(&mut c, "scheduled", "publish", "s0", t0s + 3600.0).await;
    rq_worker(&mut c, "publish", "publisher-1").await;
    rq_worker(&mut c, "publish", "publisher-2").await;
    // events:competitors: 10 entries from 100 s ago, 3 delivered to one analyzer, not acked.
    stream_group(&mut c, STREAM, "analyzers").await;
    for i in 0..10 {
        stream_add(&mut c, STREAM, t0 - 100_000 + i * 1000).await;
    }
    stream_read(&mut c, STREAM, "analyzers", "analyzer-1", 3).await;
}

fn find<'a>(samples: &'a [QueueSample], name: &str) -> &'a QueueSample {
    samples
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no sample for {name}"))
}

fn assert_age(s: &QueueSample, expected: f64) {
    let age = s
        .oldest_age_secs
        .unwrap_or_else(|| panic!("{}: no age", s.name));
    assert!(
        (age - expected).abs() < 2.0,
        "{}: age {age}, expected {expected}",
        s.name
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_celery_rq_and_streams_and_rates_across_two_samples() {
    let server = RedisServer::start(&[]);
    let url = server.url();
    let t0 = now_ms();
    fill(&url, t0).await;
    let queues = platform_queues(&url);
    let mut c = opsdeck::queues::redis::connect(&url, None, Duration::from_secs(2))
        .await
        .expect("connects");

    let first = sample_once(&mut c, &queues, t0).await.expect("sample");
    assert_eq!(
        first.round_trips, 2,
        "trip 1 + the RQ job / stream follow-up"
    );
    let s = &first.samples;

    let articles = find(s, "articles");
    assert_eq!((articles.depth, articles.unacked), (8, 2));
    assert_age(articles, 300.0); // the oldest unacked delivery beats the 120 s overdue eta
    assert_eq!(
        articles.overdue,
        Some(1),
        "one of two past the 120 s visibility timeout"
    );
    let facts = find(s, "fact_checks");
    assert_eq!((facts.depth, facts.unacked), (3, 1));
    assert_eq!(
        facts.overdue,
        Some(0),
        "30 s is within kombu's default 3600 s"
    );
    assert_age(facts, 30.0);
    let topics = find(s, "topics");
    assert_eq!((topics.depth, topics.unacked), (4, 0));
    assert_age(topics, 45.0);

    let publish = find(s, "publish");
    assert_eq!((publish.depth, publish.unacked), (4, 2));
    assert_eq!(
        (publish.failed, publish.scheduled, publish.consumers),
        (Some(3), Some(1), Some(2))
    );
    assert_age(publish, 200.0);

    let stream = find(s, STREAM);
    assert_eq!(
        (stream.depth, stream.unacked, stream.consumers),
        (7, 3, Some(1))
    );
    assert_eq!(
        (stream.enqueued_total, stream.processed_total),
        (Some(10), Some(3))
    );
    assert_age(stream, 100.0);

    // Ten seconds later: 20 more articles, 2 publish jobs taken, 5 events added and 5 read.
    let mut p = conn(&url).await;
    for i in 0..20 {
        let m = celery_message(&format!("n{i}"), "gen.article", "articles", 0, None);
        celery_publish(&mut p, "", "articles", 0, &m).await;
    }
    let _: Vec<String> = redis::cmd("LPOP")
        .arg("rq:queue:publish")
        .arg(2)
        .query_async(&mut p)
        .await
        .expect("lpop");
    for i in 0..5 {
        stream_add(&mut p, STREAM, t0 + 1000 + i).await;
    }
    stream_read(&mut p, STREAM, "analyzers", "analyzer-1", 5).await;
    let t1 = t0 + 10_000;
    let second = sample_once(&mut c, &queues, t1).await.expect("sample");

    let mut model = QueueModel::new(&queues, 30.0);
    model.apply_samples(&first.samples);
    model.apply_samples(&second.samples);
    let row = |name: &str| model.row(name).cloned().expect("row");
    let articles = row("articles");
    assert_eq!(
        (articles.depth, articles.in_rate, articles.drain),
        (28, 2.0, Drain::Growing)
    );
    let publish = row("publish");
    assert_eq!((publish.depth, publish.out_rate), (2, 0.2));
    assert_eq!(publish.drain, Drain::Seconds(10.0));
    let stream = row(STREAM);
    assert_eq!((stream.in_rate, stream.out_rate), (0.5, 0.5));
    assert_eq!(stream.drain, Drain::Seconds(14.0));
    assert_eq!(row("topics").drain, Drain::Unknown, "nothing moved");
    assert_eq!(model.rows()[0].name, "articles", "growing sorts first");
    assert_eq!(
        articles.consumer_workload.as_deref(),
        Some("contentgen/articles")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_server_goes_stale_with_reason_and_recovers_on_restart() {
    let mut server = RedisServer::start(&[]);
    let locked = RedisServer::start(&["--requirepass", "s3cret"]);
    let url = server.url();
    fill(&url, now_ms()).await;
    let mut queues = platform_queues(&url);
    // A second Redis that wants a password we do not give: only its queue fails.
    queues.push(queue("notify_digest", QueueKind::Rq, &locked.url()));
    let names: Vec<String> = platform_queues(&url).into_iter().map(|q| q.name).collect();
    let mut model = QueueModel::new(&queues, 5.0);

    let (tx, mut rx) = mpsc::channel::<QueueMsg>(64);
    let token = CancellationToken::new();
    spawn_redis_queues(queues, Duration::from_millis(200), tx, token.clone());

    let auth = next_msg(
        &mut rx,
        "the auth failure",
        |m| matches!(m, QueueMsg::Failed { queues, .. } if queues == &["notify_digest"]),
    )
    .await;
    let QueueMsg::Failed {
        reason,
        url_redacted,
        retry_in,
        ..
    } = &auth
    else {
        unreachable!()
    };
    assert!(reason.contains("authentication failed"), "{reason}");
    assert!(retry_in.is_some(), "a rotated password may come back");
    assert_eq!(url_redacted, &locked.url());
    model.apply_failure(&["notify_digest".into()], reason, None, now_ms() / 1000);

    let QueueMsg::Sampled(samples) =
        next_msg(&mut rx, "a sample", |m| sampled(m, "articles")).await
    else {
        unreachable!()
    };
    model.apply_samples(&samples);
    assert_eq!(model.row("articles").expect("row").state, LoadState::Live);
    assert_eq!(
        samples.len(),
        names.len(),
        "the locked Redis's queue is not in this URL's samples"
    );

    server.kill();
    let failed = next_msg(&mut rx, "the failure", |m| matches!(m, QueueMsg::Failed { queues, .. } if queues.contains(&"articles".to_string()))).await;
    let QueueMsg::Failed {
        queues: failed_queues,
        reason,
        retry_in,
        ..
    } = failed
    else {
        unreachable!()
    };
    assert_eq!(failed_queues, names);
    assert!(reason.starts_with("connection"), "{reason}");
    assert!(retry_in.is_some());
    model.apply_failure(&failed_queues, &reason, None, now_ms() / 1000);
    for name in &names {
        let state = &model.row(name).expect("row").state;
        assert!(
            matches!(state, LoadState::Stale { reason: r, .. } if r == &reason),
            "{name}: {state:?}"
        );
    }

    // While it is down the reconnects are refused, and say so.
    let refused = next_msg(&mut rx, "a refused reconnect", |m| matches!(m, QueueMsg::Failed { reason, retry_in: Some(_), .. } if reason == "connection refused")).await;
    drop(refused);

    server.restart();
    let QueueMsg::Sampled(samples) =
        next_msg(&mut rx, "recovery", |m| sampled(m, "articles")).await
    else {
        unreachable!()
    };
    model.apply_samples(&samples);
    let articles = model.row("articles").expect("row");
    assert_eq!(articles.state, LoadState::Live);
    assert_eq!(
        articles.depth, 0,
        "a restarted server without persistence is empty"
    );
    assert_eq!(articles.out_rate, 0.0, "no drain spike across the outage");
    assert!(matches!(
        model.row("notify_digest").expect("row").state,
        LoadState::Stale { .. }
    ));
    token.cancel();
}
