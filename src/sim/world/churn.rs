//! The world's side of the load knob (`crate::sim::load`): ready ReplicaSet pods evicted at a
//! steady rate (their ReplicaSets replace them through the usual pod steps), the extra queues
//! added at start, the extra alerts sent with each rule evaluation.

use std::ops::Bound;

use jiff::Timestamp;

use super::World;
use super::model::Key;
use crate::sim::load::Load;

/// How far the churn has got.
#[derive(Clone, Debug, Default)]
pub(super) struct Churn {
    /// Evictions due and not yet made (a fraction carries to the next tick).
    owed: f64,
    /// The last pod evicted: the next ones come after it, round the pods in key order.
    cursor: Option<Key>,
}

impl World {
    /// The world with `load` on top: its queues now, its churn and alerts from the next tick.
    pub fn with_load(mut self, load: Load) -> World {
        self.queues.queues.extend(load.extra_queues());
        self.load = load;
        self
    }

    /// Evicts the pods due since `previous`: at most a second's worth at once, so a stalled
    /// world does not catch up in one burst.
    pub(super) fn tick_churn(&mut self, previous: Timestamp) {
        let rate = f64::from(self.load.churn_per_sec);
        if rate == 0.0 {
            return;
        }
        let dt = (self.now.as_millisecond() - previous.as_millisecond()).max(0) as f64 / 1000.0;
        self.churn.owed = (self.churn.owed + rate * dt).min(rate);
        let victims = self.churn_victims(self.churn.owed.floor() as usize);
        self.churn.owed -= victims.len() as f64;
        if let Some(last) = victims.last() {
            self.churn.cursor = Some(last.clone());
        }
        for key in victims {
            self.delete_pod_now(&key);
        }
    }

    /// Up to `n` ready ReplicaSet pods after the cursor (wrapping round once).
    fn churn_victims(&self, n: usize) -> Vec<Key> {
        if n == 0 {
            return vec![];
        }
        let (after, head) = match &self.churn.cursor {
            Some(k) => (
                Bound::Excluded(k.clone()),
                Some(self.pods.range::<Key, _>(..=k.clone())),
            ),
            None => (Bound::Unbounded, None),
        };
        self.pods
            .range::<Key, _>((after, Bound::Unbounded))
            .chain(head.into_iter().flatten())
            .filter(|(_, p)| {
                p.ready && p.owner.kind == "ReplicaSet" && !p.node_lost && p.stuck_since.is_none()
            })
            .take(n)
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// The extra alerts, as the sim's Prometheus sends its own after an evaluation.
    pub(super) fn send_load_alerts(&mut self) {
        if self.load.alerts == 0 {
            return;
        }
        let notes = self.load.alert_notifications(self.started, self.now);
        self.alerts.am.receive(notes, self.now);
    }
}

#[cfg(test)]
mod tests {
    use jiff::SignedDuration;

    use super::*;
    use crate::sim::clock::TEST_NOW;

    #[test]
    fn pods_are_replaced_at_the_rate_and_their_count_holds() {
        let load = Load {
            churn_per_sec: 40,
            ..Load::default()
        };
        let mut w = World::new(None, Some(2000), TEST_NOW).with_load(load);
        let before = w.pods.len();
        let mut t = w.now();
        for _ in 0..40 {
            t = t.checked_add(SignedDuration::from_millis(250)).unwrap();
            w.tick(t);
        }
        // 10 s at 40/s: 400 pods deleted (a replacement may go again later) and replaced.
        let deleted = (w.log.ring.iter())
            .filter(|c| c.kind == super::super::Kind::Pod && c.etype == "DELETED")
            .count();
        assert_eq!(deleted, 400);
        assert!(
            w.pods.len().abs_diff(before) < 10,
            "{} != {before}",
            w.pods.len()
        );
    }

    #[test]
    fn no_load_no_churn_no_extra_queues() {
        let mut w = World::new(None, None, TEST_NOW).with_load(Load::default());
        assert_eq!(w.queues.queues.len(), 6);
        let first: Vec<Key> = w.pods.keys().cloned().collect();
        let t = w.now().checked_add(SignedDuration::from_secs(5)).unwrap();
        w.tick(t);
        assert_eq!(w.pods.keys().cloned().collect::<Vec<_>>(), first);
    }
}
