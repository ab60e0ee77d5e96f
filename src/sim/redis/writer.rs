//! The task that keeps a real Redis in step with the world's Redis-backed queues. Each tick it
//! copies what changed under the world's lock (counts and at most a tick's worth of arrival
//! times), then, off the lock, runs two pipelined round trips: push and take, then deliver and
//! acknowledge. A dead Redis is logged and retried with backoff; the world never waits on it.

use std::sync::Arc;
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{RedisError, Value};
use tokio::task::JoinHandle;

use super::mirror::{self, Cursor, STREAM_GROUP, Seen};
use super::wire;
use crate::config::QueueKind;
use crate::queues::redis::{ConnectError, connect, describe_redis, redact_url};
use crate::sim::kube_api::Shared;
use crate::sim::world::World;
use crate::status::Backoff;

const TICK: Duration = Duration::from_millis(250);
/// One round trip may take this long before the connection counts as dead.
const IO_TIMEOUT: Duration = Duration::from_secs(2);

/// Mirrors the world's Celery, RQ and stream queues into the Redis at `url` until the sim stops.
pub fn spawn(shared: Arc<Shared>, url: String) -> JoinHandle<()> {
    tokio::spawn(async move {
        let cancel = shared.cancel.clone();
        tokio::select! {
            () = cancel.cancelled() => {}
            () = run(&shared, &url) => {}
        }
    })
}

/// Connect, reset, mirror until an error; then back off and start over.
async fn run(shared: &Shared, url: &str) {
    let mut backoff = Backoff::default();
    let run_id = shared.clock.start().as_nanosecond() as u64 ^ u64::from(std::process::id());
    loop {
        let reason = match connect(url, None, IO_TIMEOUT).await {
            Ok(conn) => {
                let mut writer = Writer {
                    conn,
                    cursors: Vec::new(),
                };
                mirror_until_error(&mut writer, shared, run_id, &mut backoff).await
            }
            Err(ConnectError::Redis(e)) => describe_redis(&e),
            Err(e) => e.to_string(),
        };
        let delay = backoff.next_delay();
        tracing::warn!(url = %redact_url(url), reason, retry_in = ?delay, "sim redis writer failed");
        tokio::time::sleep(delay).await;
    }
}

async fn mirror_until_error(
    writer: &mut Writer,
    shared: &Shared,
    run_id: u64,
    backoff: &mut Backoff,
) -> String {
    if let Err(e) = writer.reset(shared, run_id).await {
        return describe_redis(&e);
    }
    tracing::info!("sim redis writer connected; queues reset from the world");
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match writer.step(shared).await {
            Ok(()) => backoff.reset(),
            Err(e) => return describe_redis(&e),
        }
    }
}

/// The writer's connection and, per Redis-backed queue (in the world's order), its cursor.
struct Writer {
    conn: MultiplexedConnection,
    cursors: Vec<Cursor>,
}

/// The world's Redis-backed queues, read for `cursors` (a fresh cursor for each new queue).
fn look(world: &World, cursors: &[Cursor], now_ms: i64) -> Vec<Seen> {
    redis_queues(world)
        .enumerate()
        .map(|(i, q)| Seen::of(q, cursors.get(i).map_or(0, |c| c.pushed), now_ms))
        .collect()
}

fn redis_queues(world: &World) -> impl Iterator<Item = &crate::sim::world::queues::SimQueue> {
    world
        .queues
        .queues
        .iter()
        .filter(|q| q.kind != QueueKind::Rabbitmq)
}

impl Writer {
    /// Deletes the keys the sim owns and starts every cursor at the world's taken count, so the
    /// next ticks push the waiting backlog again.
    async fn reset(&mut self, shared: &Shared, run_id: u64) -> Result<(), RedisError> {
        let seen = {
            let w = shared.world();
            look(&w, &[], shared.clock.now().as_millisecond())
        };
        let mut pipe = redis::pipe();
        for s in &seen {
            for key in mirror::owned_keys(s.kind, &s.name) {
                pipe.cmd("DEL").arg(key).ignore();
            }
            if s.kind == QueueKind::Stream {
                wire::stream_group(&mut pipe, &s.name, STREAM_GROUP);
            }
        }
        self.query(&pipe).await?;
        self.cursors = seen
            .iter()
            .map(|s| Cursor::reset(run_id, s.processed))
            .collect();
        Ok(())
    }

    /// One tick: push and take, then deliver what was taken and acknowledge the excess.
    async fn step(&mut self, shared: &Shared) -> Result<(), RedisError> {
        let seen = {
            let w = shared.world();
            look(&w, &self.cursors, shared.clock.now().as_millisecond())
        };
        let mut pipe = redis::pipe();
        let mut takers = Vec::new();
        for (i, (s, c)) in seen.iter().zip(&mut self.cursors).enumerate() {
            if mirror::push_and_take(&mut pipe, s, c) {
                takers.push(i);
            }
        }
        let replies = self.query(&pipe).await?;
        let mut pipe = redis::pipe();
        for (&i, reply) in takers.iter().zip(&replies) {
            if let (Some(s), Some(c)) = (seen.get(i), self.cursors.get_mut(i)) {
                mirror::deliver(&mut pipe, s, c, reply);
            }
        }
        for (s, c) in seen.iter().zip(&mut self.cursors) {
            mirror::acknowledge(&mut pipe, s, c);
        }
        self.query(&pipe).await?;
        Ok(())
    }

    /// Runs `pipe` (nothing when empty), giving up after [`IO_TIMEOUT`].
    async fn query(&mut self, pipe: &redis::Pipeline) -> Result<Vec<Value>, RedisError> {
        if pipe.is_empty() {
            return Ok(vec![]);
        }
        match tokio::time::timeout(IO_TIMEOUT, pipe.query_async(&mut self.conn)).await {
            Ok(result) => result,
            Err(_) => Err(RedisError::from(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "redis did not answer within 2 s",
            ))),
        }
    }
}
