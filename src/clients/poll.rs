//! The polling loop HTTP sources share: a step every interval, a backoff delay after a failure,
//! and an immediate stop when the console cancels.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

/// What a polling step asks for next.
pub enum Next {
    /// Wait for the next interval.
    Tick,
    /// The step failed: wait this long, then try again at once.
    RetryIn(Duration),
    /// Nobody is listening any more.
    Stop,
}

/// One round of a source: read, send what it found, say what next.
pub trait Step: Send {
    fn step(&mut self) -> impl Future<Output = Next> + Send;
}

/// Runs `task.step()` every `interval` until it says `Stop` or `token` is cancelled (also
/// mid-step).
pub async fn every(interval: Duration, token: &CancellationToken, task: &mut impl Step) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = token.cancelled() => return,
            _ = ticker.tick() => {}
        }
        let next = tokio::select! {
            () = token.cancelled() => return,
            n = task.step() => n,
        };
        match next {
            Next::Tick => {}
            Next::Stop => return,
            Next::RetryIn(delay) => {
                tokio::select! {
                    () = token.cancelled() => return,
                    () = tokio::time::sleep(delay) => {}
                }
                ticker.reset_immediately();
            }
        }
    }
}
