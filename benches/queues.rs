//! One refresh of 200 queues (Celery, RQ, streams) on a real `redis-server`: round trips and wall
//! time. Target: at most 3 round trips, under 20 ms.
//!
//! `cargo bench --bench queues` (criterion); the round trips and a plain timing print first.

#[path = "../tests/common/queue_producer.rs"]
mod producer;
#[path = "../tests/common/redis_server.rs"]
mod redis_server;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use opsdeck::config::{QueueConfig, QueueKind};
use opsdeck::queues::redis::{connect, sample_once};
use producer::*;
use redis_server::RedisServer;

const QUEUES: usize = 200;
const NOW: i64 = 1_795_608_000_000;

fn kind_of(i: usize) -> QueueKind {
    match i % 5 {
        0..=2 => QueueKind::Celery,
        3 => QueueKind::Rq,
        _ => QueueKind::Stream,
    }
}

fn configs(url: &str) -> Vec<QueueConfig> {
    (0..QUEUES)
        .map(|i| QueueConfig {
            name: format!("q{i}"),
            kind: kind_of(i),
            url: url.into(),
            consumer: None,
            password_env: None,
            group: (kind_of(i) == QueueKind::Stream).then(|| "workers".into()),
            keyprefix: None,
            visibility_timeout: None,
            vhost: None,
        })
        .collect()
}

/// Each queue gets a realistic handful: 5 pending (Celery also 1 unacked), RQ 5 jobs and a
/// started one, streams 10 entries with 3 pending.
async fn fill(url: &str, queues: &[QueueConfig]) {
    let mut c = conn(url).await;
    for q in queues {
        let n = &q.name;
        match q.kind {
            QueueKind::Celery => {
                for j in 0..5 {
                    let m = celery_message(&format!("{n}-{j}"), "t", n, 0, None);
                    celery_publish(&mut c, "", n, 0, &m).await;
                }
                let m = celery_message(&format!("{n}-u"), "t", n, 0, None);
                celery_unacked(&mut c, "", &format!("{n}-u"), &m, n, 1.0).await;
            }
            QueueKind::Rq => {
                for j in 0..5 {
                    rq_enqueue(&mut c, n, &format!("{n}-{j}"), NOW - 60_000).await;
                }
                rq_registry(&mut c, "wip", n, &format!("{n}-w"), 1.0).await;
                rq_worker(&mut c, n, &format!("{n}-worker")).await;
            }
            QueueKind::Stream | QueueKind::Rabbitmq => {
                stream_group(&mut c, n, "workers").await;
                for j in 0..10 {
                    stream_add(&mut c, n, NOW - 100_000 + j).await;
                }
                stream_read(&mut c, n, "workers", "w1", 3).await;
            }
        }
    }
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let server = RedisServer::start(&[]);
    let url = server.url();
    let queues = configs(&url);
    rt.block_on(fill(&url, &queues));
    let mut conn = rt
        .block_on(connect(&url, None, Duration::from_secs(5)))
        .expect("connect");

    let mut walls = Vec::new();
    let mut trips = 0;
    for _ in 0..50 {
        let start = Instant::now();
        let refresh = rt
            .block_on(sample_once(&mut conn, &queues, NOW))
            .expect("refresh");
        walls.push(start.elapsed());
        trips = refresh.round_trips;
        assert_eq!(refresh.samples.len(), QUEUES);
    }
    walls.sort();
    println!(
        "queues refresh: {QUEUES} queues, {trips} round trips, wall median {:.2?} (min {:.2?}, max {:.2?}) over {} runs",
        walls[walls.len() / 2],
        walls[0],
        walls[walls.len() - 1],
        walls.len()
    );

    c.bench_function("refresh 200 queues on redis", |b| {
        b.iter(|| {
            let refresh = rt
                .block_on(sample_once(&mut conn, &queues, NOW))
                .expect("refresh");
            black_box(refresh);
        });
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
