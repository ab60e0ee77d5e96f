//! Status every pane shares, below the domains: a source's load state, a row's health, the
//! backoff between retries, and the wall clock (read only at the edges; models take time in).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Every pane shows one of these in its title.
#[derive(Clone, Debug, PartialEq, Eq, Default, serde::Serialize)]
pub enum LoadState {
    #[default]
    Loading,
    Live,
    Stale {
        since: i64,
        reason: String,
    },
}

impl LoadState {
    /// A pane's state from its rows': the first stale one, else the first loading one, else
    /// live.
    pub fn worst<'a>(states: impl Iterator<Item = &'a LoadState> + Clone) -> LoadState {
        states
            .clone()
            .find(|s| matches!(s, LoadState::Stale { .. }))
            .or_else(|| states.clone().find(|s| **s == LoadState::Loading))
            .cloned()
            .unwrap_or(LoadState::Live)
    }

    /// A source failed at `now` (seconds): stale with the reason and when it retries, since
    /// its first failure when it was stale already (a retry that fails again is not news).
    pub fn failed(&self, reason: &str, retry_in: Option<Duration>, now: i64) -> LoadState {
        let since = match self {
            LoadState::Stale { since, .. } => *since,
            _ => now,
        };
        LoadState::Stale {
            since,
            reason: retry_reason(reason, retry_in),
        }
    }

    pub fn is_live(&self) -> bool {
        matches!(self, LoadState::Live)
    }

    /// Failed, and its source tries again (the reason says when): it may still answer.
    pub fn retrying(&self) -> bool {
        matches!(self, LoadState::Stale { reason, .. } if reason.contains(RETRYING))
    }

    /// Answered, or failed for good (forbidden, a bad url): waiting longer changes nothing.
    pub fn settled(&self) -> bool {
        match self {
            LoadState::Live => true,
            LoadState::Stale { .. } => !self.retrying(),
            LoadState::Loading => false,
        }
    }
}

/// What `retry_reason` adds: how `retrying` tells a failure that will be retried.
const RETRYING: &str = ", retrying in ";

/// "connection refused, retrying in 4s": what a pane title says of a failed source.
pub fn retry_reason(reason: &str, retry_in: Option<Duration>) -> String {
    match retry_in {
        Some(d) => format!("{reason}{RETRYING}{}s", d.as_secs().max(1)),
        None => reason.to_string(),
    }
}

/// How a row should look: the views map this onto the theme.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default, serde::Serialize)]
pub enum Health {
    #[default]
    Ok,
    Pending,
    Warn,
    Bad,
}

/// The longest a server may hold a source back (`Retry-After`): ten minutes. Past that a pane
/// would look dead for no reason a person can see, and a misconfigured proxy answering "retry
/// in a day" (or a date years ahead) would silence a source until restart.
pub const MAX_ASKED_WAIT: Duration = Duration::from_secs(600);

/// Exponential backoff: 1, 2, 4 ... 30 s, reset after a success.
#[derive(Debug, Default)]
pub struct Backoff {
    failures: u32,
}

impl Backoff {
    pub fn next_delay(&mut self) -> Duration {
        let secs = 1u64 << self.failures.min(5);
        self.failures += 1;
        Duration::from_secs(secs.min(30))
    }

    /// The next delay, but never sooner than the server `asked` (its `Retry-After`), nor
    /// longer than [`MAX_ASKED_WAIT`] for its asking.
    pub fn next_delay_asked(&mut self, asked: Option<Duration>) -> Duration {
        let own = self.next_delay();
        asked.map_or(own, |a| own.max(a.min(MAX_ASKED_WAIT)))
    }

    pub fn reset(&mut self) {
        self.failures = 0;
    }
}

/// The wall clock in ms since the epoch, as samples are stamped.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The wall clock in seconds since the epoch.
pub fn unix_now() -> i64 {
    now_ms().div_euclid(1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_a_cap_and_resets() {
        let mut b = Backoff::default();
        let delays: Vec<u64> = (0..7).map(|_| b.next_delay().as_secs()).collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 30, 30]);
        b.reset();
        assert_eq!(b.next_delay().as_secs(), 1);
    }

    #[test]
    fn a_server_asking_to_wait_longer_is_obeyed_up_to_ten_minutes() {
        let mut b = Backoff::default();
        let secs = |d: Duration| d.as_secs();
        assert_eq!(secs(b.next_delay_asked(Some(Duration::from_secs(5)))), 5);
        // Asking for less than the backoff does not hurry it: 2 s is the second step.
        assert_eq!(secs(b.next_delay_asked(Some(Duration::from_secs(1)))), 2);
        assert_eq!(secs(b.next_delay_asked(None)), 4);
        assert_eq!(secs(b.next_delay_asked(Some(Duration::ZERO))), 8);
        assert_eq!(b.next_delay_asked(Some(Duration::MAX)), MAX_ASKED_WAIT);
        assert_eq!(
            b.next_delay_asked(Some(Duration::from_secs(86_400))),
            MAX_ASKED_WAIT
        );
        // A success resets the backoff; the server's word still counts.
        b.reset();
        assert_eq!(secs(b.next_delay_asked(Some(Duration::from_secs(3)))), 3);
        assert_eq!(secs(b.next_delay_asked(None)), 2);
    }

    #[test]
    fn a_failure_keeps_the_first_stale_time() {
        let stale = LoadState::Live.failed("refused", Some(Duration::from_secs(4)), 100);
        assert_eq!(
            stale,
            LoadState::Stale {
                since: 100,
                reason: "refused, retrying in 4s".into()
            }
        );
        assert!(matches!(
            stale.failed("refused", None, 200),
            LoadState::Stale { since: 100, .. }
        ));
    }

    #[test]
    fn only_a_source_that_answered_or_gave_up_has_settled() {
        let retrying = LoadState::Live.failed("refused", Some(Duration::from_secs(2)), 1);
        let forbidden = LoadState::Live.failed("forbidden", None, 1);
        assert!(retrying.retrying() && !retrying.settled());
        assert!(!forbidden.retrying() && forbidden.settled());
        assert!(LoadState::Live.settled() && !LoadState::Loading.settled());
    }
}
