//! The Alertmanager source: per instance, a task that reads its groups and its silences (two
//! requests, concurrently) every interval; a failure marks only that instance stale and
//! retries with backoff.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::client::{Alertmanager, AmError};
use super::model::AlertMsg;
use crate::clients::poll::{self, Next, Step};
use crate::status::Backoff;

struct InstanceTask<M> {
    index: usize,
    am: Alertmanager,
    tx: mpsc::Sender<M>,
    backoff: Backoff,
}

/// One refresh of one instance: its groups and silences, or why not.
pub async fn read(am: &Alertmanager, index: usize) -> Result<AlertMsg, String> {
    try_read(am, index).await.map_err(|e| e.to_string())
}

/// [`read`], with the error as it came (it may say how long to leave the server alone).
async fn try_read(am: &Alertmanager, index: usize) -> Result<AlertMsg, AmError> {
    let (groups, silences) = tokio::try_join!(am.groups(), am.silences())?;
    Ok(AlertMsg::Read {
        instance: index,
        groups,
        silences,
    })
}

impl<M: From<AlertMsg> + Send + 'static> Step for InstanceTask<M> {
    async fn step(&mut self) -> Next {
        let (msg, next) = match try_read(&self.am, self.index).await {
            Ok(msg) => {
                self.backoff.reset();
                (msg, Next::Tick)
            }
            Err(err) => {
                tracing::warn!(url = %self.am.redacted_url(), %err, "alertmanager failed");
                let delay = self.backoff.next_delay_asked(err.retry_after());
                let msg = AlertMsg::Failed {
                    instance: self.index,
                    reason: err.to_string(),
                    retry_in: Some(delay),
                };
                (msg, Next::RetryIn(delay))
            }
        };
        match self.tx.send(M::from(msg)).await {
            Ok(()) => next,
            Err(_) => Next::Stop,
        }
    }
}

/// Starts one task per instance, indexed in config order.
pub fn spawn_alert_sources<M: From<AlertMsg> + Send + 'static>(
    instances: Vec<Alertmanager>,
    every: Duration,
    tx: mpsc::Sender<M>,
    token: CancellationToken,
) {
    for (index, am) in instances.into_iter().enumerate() {
        let mut task = InstanceTask {
            index,
            am,
            tx: tx.clone(),
            backoff: Backoff::default(),
        };
        let token = token.clone();
        tokio::spawn(async move { poll::every(every, &token, &mut task).await });
    }
}
