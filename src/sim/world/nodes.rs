//! The kubelets, as the control plane sees them: a Ready node renews its lease every 10 s and
//! posts its status (the conditions' heartbeat) every 5 minutes when nothing changed; a node
//! that stopped (node-notready) does neither, so both freeze at their last values.

use jiff::Timestamp;

use super::World;
use super::model::{Key, NodeReady};

/// The kubelet's `nodeStatusReportFrequency`.
pub(super) const STATUS_REPORT_SECS: i64 = 300;

impl World {
    pub(super) fn tick_kubelets(&mut self) {
        let now = self.now;
        let ready: Vec<Key> = self
            .nodes
            .iter()
            .filter(|(_, n)| n.ready == NodeReady::True)
            .map(|(k, _)| k.clone())
            .collect();
        for node in ready {
            self.renew_node_lease(&node, now);
            self.post_node_status(&node, now);
        }
    }

    fn post_node_status(&mut self, node: &Key, now: Timestamp) {
        if let Some(n) = self.nodes.get_mut(node)
            && now.duration_since(n.heartbeat).as_secs() >= STATUS_REPORT_SECS
        {
            n.heartbeat = now;
            self.log.record(n, "MODIFIED");
        }
    }
}

#[cfg(test)]
mod tests {
    use jiff::SignedDuration;

    use super::*;
    use crate::sim::Scenario;
    use crate::sim::clock::TEST_NOW;

    #[test]
    fn heartbeats_are_recent_while_ready_and_freeze_when_the_node_is_lost() {
        let mut w = World::new(Some(Scenario::NodeNotReady), None, TEST_NOW);
        let heartbeat = |w: &World, name: &str| {
            w.nodes
                .values()
                .find(|n| n.meta.name == name)
                .unwrap()
                .heartbeat
        };
        let lost = heartbeat(&w, "pool-general-3");
        let mut t = w.now();
        for _ in 0..(STATUS_REPORT_SECS + 5) * 4 {
            t = t.checked_add(SignedDuration::from_millis(250)).unwrap();
            w.tick(t);
        }
        assert_eq!(heartbeat(&w, "pool-general-3"), lost);
        for n in ["pool-general-1", "pool-general-2", "pool-general-4"] {
            let age = w.now().duration_since(heartbeat(&w, n)).as_secs();
            assert!(age < STATUS_REPORT_SECS, "{n}: {age}");
        }
    }
}
