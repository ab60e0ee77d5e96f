//! Waiting on a queue source's messages without sleeping: the next message that matches.
#![allow(dead_code)]

use std::time::Duration;

use opsdeck::queues::QueueMsg;
use tokio::sync::mpsc;

pub async fn next_msg(
    rx: &mut mpsc::Receiver<QueueMsg>,
    what: &str,
    pred: impl Fn(&QueueMsg) -> bool,
) -> QueueMsg {
    next_msg_within(rx, Duration::from_secs(20), what, pred).await
}

pub async fn next_msg_within(
    rx: &mut mpsc::Receiver<QueueMsg>,
    limit: Duration,
    what: &str,
    pred: impl Fn(&QueueMsg) -> bool,
) -> QueueMsg {
    let wait = async {
        loop {
            match rx.recv().await {
                Some(m) if pred(&m) => return m,
                Some(_) => {}
                None => panic!("source ended while waiting for {what}"),
            }
        }
    };
    tokio::time::timeout(limit, wait)
        .await
        .unwrap_or_else(|_| panic!("timed out after {limit:?} waiting for {what}"))
}

/// A sample set that includes the queue `name`.
pub fn sampled(m: &QueueMsg, name: &str) -> bool {
    matches!(m, QueueMsg::Sampled(s) if s.iter().any(|s| s.name == name))
}
