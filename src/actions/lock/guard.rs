//! Holding a lock while an action runs: renewed every 10 s while the requests go and the
//! verification waits, released when it is done. A console that dies mid-action renews no
//! more, and its lease frees itself 30 s later.

use std::future::Future;

use tokio::sync::mpsc::Sender;
use tokio::time::Instant;

use super::RENEW_EVERY;
use super::lease::{HeldLease, RenewError};
use crate::actions::error::Progress;

/// The action's lock, as it stands.
#[derive(Debug)]
pub enum Guard {
    Held {
        lease: Box<HeldLease>,
        renewed: Instant,
    },
    /// Taken, then lost while acting (why, and to whom).
    Lost(String),
    /// Never had one (why): said in the plan, the progress and the audit log.
    Without(String),
    /// The verb takes no lock, or it was released already.
    Unneeded,
}

impl Guard {
    pub fn held(lease: Box<HeldLease>) -> Guard {
        Guard::Held {
            lease,
            renewed: Instant::now(),
        }
    }

    /// Runs `work` to its end, renewing the lease every `RENEW_EVERY` meanwhile. A lost lock
    /// does not stop the work (the request may be out already): it is said, and recorded.
    pub async fn hold<F: Future>(&mut self, work: F, progress: &Sender<Progress>) -> F::Output {
        tokio::pin!(work);
        loop {
            let Guard::Held { renewed, .. } = self else {
                return work.await;
            };
            let due = *renewed + RENEW_EVERY;
            tokio::select! {
                out = &mut work => return out,
                () = tokio::time::sleep_until(due) => self.renew(progress).await,
            }
        }
    }

    async fn renew(&mut self, progress: &Sender<Progress>) {
        let Guard::Held { lease, renewed } = self else {
            return;
        };
        match lease.renew().await {
            Ok(()) => *renewed = Instant::now(),
            Err(RenewError::Failed(why)) => {
                // Retried at the next turn: one failed renewal leaves 20 s of the lease.
                *renewed = Instant::now();
                let line = format!("action lock {}: renewal failed ({why})", lease.describe());
                let _ = progress.send(Progress::Message(line)).await;
            }
            Err(RenewError::Lost(why)) => {
                let line = format!("action lock {} lost: {why}", lease.describe());
                let _ = progress.send(Progress::Message(line.clone())).await;
                *self = Guard::Lost(line);
            }
        }
    }

    /// Lets the lock go (once: after it, the guard is `Unneeded`); what became of it, for the
    /// audit log. None: there was no lock to speak of.
    pub async fn release(&mut self) -> Option<String> {
        match std::mem::replace(self, Guard::Unneeded) {
            Guard::Held { lease, .. } => Some(lease.release().await),
            Guard::Lost(why) => Some(why),
            Guard::Without(why) => Some(format!("no action lock: {why}")),
            Guard::Unneeded => None,
        }
    }
}
