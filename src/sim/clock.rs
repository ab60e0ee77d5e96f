//! The sim's clock: the world's time starts at a chosen instant and advances in real time.
//! Everything in the sim that needs "now" (ticks, API answers, logs, metrics, costs, the Redis
//! writer) reads this clock, so a sim started on the 3rd of a month is the 3rd of the month
//! everywhere, whatever the wall clock says.

use std::time::Instant;

use jiff::{SignedDuration, Timestamp};

/// A start instant plus the real time elapsed since the sim began.
#[derive(Clone, Copy, Debug)]
pub struct SimClock {
    start: Timestamp,
    began: Instant,
}

impl SimClock {
    /// Starts at `start` (None: the wall clock's now) and runs from this moment.
    pub fn starting_at(start: Option<Timestamp>) -> SimClock {
        SimClock {
            start: start.unwrap_or_else(Timestamp::now),
            began: Instant::now(),
        }
    }

    /// The instant the sim's time started at.
    pub fn start(&self) -> Timestamp {
        self.start
    }

    /// The sim's now. Monotonic: it never steps back when the wall clock is adjusted.
    pub fn now(&self) -> Timestamp {
        let elapsed = SignedDuration::try_from(self.began.elapsed()).unwrap_or(SignedDuration::MAX);
        self.start.checked_add(elapsed).unwrap_or(Timestamp::MAX)
    }
}

/// A fixed instant for unit tests (2026-11-25T12:00:00Z, mid-month, mid-day): no test outcome
/// may depend on the day it runs.
#[cfg(test)]
pub(crate) const TEST_NOW: Timestamp = Timestamp::constant(1_795_608_000, 0);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_at_the_given_instant_and_advances_in_real_time() {
        let start: Timestamp = "2026-11-15T12:00:00Z".parse().unwrap();
        let clock = SimClock::starting_at(Some(start));
        let first = clock.now();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let second = clock.now();
        assert!(first >= start && first < start + SignedDuration::from_secs(1));
        assert!(second.duration_since(first) >= SignedDuration::from_millis(20));
        assert_eq!(clock.start(), start);
    }
}
