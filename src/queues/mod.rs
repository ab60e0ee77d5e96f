//! Queue depth: samples read straight from the brokers, and the model that turns them into rows.

pub mod celery;
pub mod model;
pub mod pane;
pub mod rabbitmq;
pub mod redis;
pub mod redis_read;
pub mod snapshot;
pub mod value;
pub mod view;

use std::time::Duration;

pub use model::{BrokerRates, Drain, QueueModel, QueueRow, QueueSample};

/// What a queue source tells the UI: a fresh set of samples, or that one broker failed.
#[derive(Clone, Debug, PartialEq)]
pub enum QueueMsg {
    Sampled(Vec<QueueSample>),
    Failed {
        url_redacted: String,
        queues: Vec<String>,
        /// What went wrong; the pane adds "retrying in Ns" from `retry_in`.
        reason: String,
        /// None when retrying cannot help (a bad URL, an inline password).
        retry_in: Option<Duration>,
    },
}
