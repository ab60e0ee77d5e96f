//! The statefulset controller in miniature: one pod per ordinal, and a RollingUpdate that
//! replaces one pod at a time, highest ordinal first, once every pod is ready; the status
//! counts pods at the current and at the update revision.

use super::World;
use super::model::{Involved, Key, PodM};

/// The ordinal of a StatefulSet pod's name (`rabbitmq-2` -> 2).
fn ordinal(pod: &str) -> Option<i32> {
    pod.rsplit('-').next().and_then(|i| i.parse().ok())
}

fn revision_of(p: &PodM) -> Option<&str> {
    p.meta
        .labels
        .get("controller-revision-hash")
        .map(String::as_str)
}

impl World {
    pub(super) fn sync_sts(&mut self, key: &Key) {
        let Some(s) = self.statefulsets.get(key) else {
            return;
        };
        let want = s.replicas;
        let missing: Vec<i32> = (0..want)
            .filter(|i| !s.pods.contains(&format!("{}-{i}", s.meta.name)))
            .collect();
        let mut extra: Vec<String> = s
            .pods
            .iter()
            .filter(|n| ordinal(n).is_none_or(|i| i >= want))
            .cloned()
            .collect();
        extra.sort_by_key(|n| std::cmp::Reverse(ordinal(n)));
        for i in missing {
            self.spawn_sts_pod(key, i, false);
        }
        for name in extra {
            self.sts_pod_deleted(key, &name);
        }
        self.roll_sts(key);
        self.sts_status(key);
    }

    /// Replace the highest-ordinal pod still at an old revision, once all pods are ready.
    fn roll_sts(&mut self, key: &Key) {
        let Some(s) = self.statefulsets.get(key) else {
            return;
        };
        let pods: Vec<&PodM> = s
            .pods
            .iter()
            .filter_map(|n| self.pods.get(&Key::new(&key.ns, n.clone())))
            .collect();
        if pods.len() as i32 != s.replicas || pods.iter().any(|p| !p.ready) {
            return;
        }
        let stale = pods
            .iter()
            .filter(|p| revision_of(p) != Some(s.revision.as_str()))
            .max_by_key(|p| ordinal(&p.meta.name))
            .map(|p| p.meta.name.clone());
        if let Some(name) = stale {
            self.sts_pod_deleted(key, &name);
        }
    }

    fn sts_status(&mut self, key: &Key) {
        let Some(s) = self.statefulsets.get(key) else {
            return;
        };
        let (mut ready, mut current, mut updated) = (0, 0, 0);
        for p in s
            .pods
            .iter()
            .filter_map(|n| self.pods.get(&Key::new(&key.ns, n.clone())))
        {
            ready += i32::from(p.ready);
            current += i32::from(revision_of(p) == Some(s.current_revision.as_str()));
            updated += i32::from(revision_of(p) == Some(s.revision.as_str()));
        }
        // The update is complete once every pod runs the update revision and is ready.
        let rolled =
            updated == s.replicas && ready == s.replicas && s.current_revision != s.revision;
        if rolled {
            current = updated;
        }
        if let Some(s) = self.statefulsets.get_mut(key)
            && (rolled
                || (s.ready, s.current, s.updated) != (ready, current, updated)
                || s.observed_generation != s.meta.generation)
        {
            if rolled {
                s.current_revision.clone_from(&s.revision);
            }
            (s.ready, s.current, s.updated) = (ready, current, updated);
            s.observed_generation = s.meta.generation;
            let uid = s.meta.uid.clone();
            self.log.record(s, "MODIFIED");
            // The revision rolled away from is no longer in use: history may drop it now.
            if rolled {
                self.truncate_sts_history(key, &uid);
            }
        }
    }

    fn sts_pod_deleted(&mut self, key: &Key, pod: &str) {
        if self.delete_pod_now(&Key::new(&key.ns, pod.to_string())) {
            let msg = format!("delete Pod {pod} in StatefulSet {} successful", key.name);
            self.sts_event(key, "SuccessfulDelete", msg);
        }
    }

    pub(super) fn sts_event(&mut self, key: &Key, reason: &'static str, message: String) {
        let Some(s) = self.statefulsets.get(key) else {
            return;
        };
        let inv = Involved {
            kind: "StatefulSet",
            api_version: "apps/v1",
            ns: key.ns.clone(),
            name: s.meta.name.clone(),
            uid: s.meta.uid.clone(),
        };
        self.event(
            inv,
            reason,
            "Normal",
            message,
            "statefulset-controller",
            None,
        );
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use jiff::SignedDuration;
    use serde_json::json;

    use super::*;
    use crate::sim::clock::TEST_NOW;
    use crate::sim::world::Kind;

    fn rabbitmq() -> Key {
        Key::new(&Arc::from("contentgen"), "rabbitmq".to_string())
    }

    /// Each rabbitmq pod's (name, revision), by ordinal.
    fn pods(w: &World) -> Vec<(String, String)> {
        let mut v: Vec<_> = w.statefulsets[&rabbitmq()]
            .pods
            .iter()
            .map(|n| {
                let p = &w.pods[&Key::new(&rabbitmq().ns, n.clone())];
                (n.clone(), revision_of(p).unwrap_or("").to_string())
            })
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_new_template_replaces_pods_one_at_a_time_from_the_highest_ordinal() {
        let mut w = World::new(None, None, TEST_NOW);
        let old = w.statefulsets[&rabbitmq()].revision.clone();
        let mut s = w
            .object_json(Kind::StatefulSet, "contentgen", "rabbitmq")
            .unwrap();
        s["spec"]["template"]["spec"]["containers"][0]["image"] =
            json!("docker.io/library/rabbitmq:4.0-management");
        w.apply_json(Kind::StatefulSet, "contentgen", "rabbitmq", s, false)
            .unwrap();
        let new = w.statefulsets[&rabbitmq()].revision.clone();
        assert_ne!(old, new);
        let at = |w: &World| pods(w).into_iter().map(|p| p.1 == new).collect::<Vec<_>>();
        assert_eq!(at(&w), vec![false, false, true], "rabbitmq-2 goes first");
        let s = &w.statefulsets[&rabbitmq()];
        assert_eq!(
            (s.current_revision.as_str(), s.current, s.updated),
            (old.as_str(), 2, 1)
        );

        let mut seen = vec![at(&w)];
        let mut t = w.now();
        for _ in 0..120 {
            t = t.checked_add(SignedDuration::from_millis(250)).unwrap();
            w.tick(t);
            if seen.last() != Some(&at(&w)) {
                seen.push(at(&w));
            }
        }
        assert_eq!(
            seen,
            vec![
                vec![false, false, true],
                vec![false, true, true],
                vec![true, true, true]
            ]
        );
        let s = &w.statefulsets[&rabbitmq()];
        assert_eq!(
            (s.current_revision.as_str(), s.current, s.updated),
            (new.as_str(), 3, 3)
        );
        let deletes = w
            .events
            .values()
            .filter(|e| e.reason == "SuccessfulDelete" && e.involved.name == "rabbitmq")
            .count();
        assert_eq!(deletes, 3);
    }
}
