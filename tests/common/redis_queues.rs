//! Reading the sim's Redis queues the way opsdeck does: its own Redis source, one sample of
//! every queue the config lists (RabbitMQ ones are left out).
#![allow(dead_code)]

use std::time::Duration;

use opsdeck::config::{QueueConfig, QueueKind};
use opsdeck::queues::QueueSample;

/// The Redis-backed entries of `queues` (Celery, RQ, streams).
pub fn redis_only(queues: &[QueueConfig]) -> Vec<QueueConfig> {
    queues
        .iter()
        .filter(|q| q.kind != QueueKind::Rabbitmq)
        .cloned()
        .collect()
}

/// One refresh of `queues` (all on one Redis) through `opsdeck::queues::redis`, stamped now.
pub async fn read(queues: &[QueueConfig]) -> Vec<QueueSample> {
    let url = &queues.first().expect("a Redis queue").url;
    let mut conn = opsdeck::queues::redis::connect(url, None, Duration::from_secs(2))
        .await
        .expect("opsdeck connects to the sim's Redis");
    opsdeck::queues::redis::sample_once(&mut conn, queues, opsdeck::status::now_ms())
        .await
        .expect("opsdeck reads the sim's Redis")
        .samples
}

/// `read` from synchronous tests (those driving the binaries).
pub fn read_blocking(queues: &[QueueConfig]) -> Vec<QueueSample> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(read(queues))
}

pub fn find<'a>(samples: &'a [QueueSample], name: &str) -> &'a QueueSample {
    samples
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no sample for {name} in {samples:?}"))
}
