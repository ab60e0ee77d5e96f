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

impl QueueMsg {
    /// The same message about queues shown as `prefix/name` (a context's own queues, read by
    /// their names on their broker).
    pub fn prefixed(self, prefix: &str) -> QueueMsg {
        let named = |n: String| format!("{prefix}/{n}");
        match self {
            QueueMsg::Sampled(samples) => QueueMsg::Sampled(
                samples
                    .into_iter()
                    .map(|s| QueueSample {
                        name: named(s.name),
                        ..s
                    })
                    .collect(),
            ),
            QueueMsg::Failed {
                url_redacted,
                queues,
                reason,
                retry_in,
            } => QueueMsg::Failed {
                url_redacted,
                queues: queues.into_iter().map(named).collect(),
                reason,
                retry_in,
            },
        }
    }
}
