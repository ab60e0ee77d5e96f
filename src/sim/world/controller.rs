//! The controllers and the kubelet in miniature: pod lifecycle, ReplicaSets, rollouts, scenarios.

use jiff::Timestamp;

use super::model::*;
use super::status::{Counts, compute_status, same_status};
use super::{CHANGE_CAUSE, REVISION, Timer, World};

impl World {
    /// Advance the world to `now`: due timers, scenario steps, controllers on what changed.
    pub fn tick(&mut self, now: Timestamp) {
        let previous = self.now;
        self.now = now;
        let now_ms = now.as_millisecond();
        while let Some(entry) = self.timers.first_entry() {
            if entry.key().0 > now_ms {
                break;
            }
            match entry.remove() {
                Timer::PodStep(key, uid) => self.pod_step(&key, &uid),
            }
        }
        self.play_scenario();
        self.tick_hpas();
        self.tick_kubelets();
        self.tick_pipelines();
        self.tick_queues(previous);
        self.tick_churn(previous);
        self.sync_dirty();
        self.tick_metrics();
    }

    pub(super) fn sync_dirty(&mut self) {
        for _ in 0..4 {
            if self.dirty_deploy.is_empty() && self.dirty_rs.is_empty() && self.dirty_sts.is_empty()
            {
                break;
            }
            for key in std::mem::take(&mut self.dirty_deploy) {
                self.sync_deployment(&key);
            }
            for key in std::mem::take(&mut self.dirty_rs) {
                self.sync_rs(&key);
            }
            for key in std::mem::take(&mut self.dirty_sts) {
                self.sync_sts(&key);
            }
        }
    }

    fn sync_rs(&mut self, key: &Key) {
        let Some(rs) = self.replicasets.get(key) else {
            return;
        };
        let have = rs.pods.len() as i32;
        let want = rs.replicas;
        if have < want {
            for _ in have..want {
                self.spawn_rs_pod(key, false);
            }
        } else if have > want {
            let mut victims: Vec<(bool, Timestamp, String)> = rs
                .pods
                .iter()
                .filter_map(|n| {
                    self.pods
                        .get(&Key::new(&key.ns, n.clone()))
                        .map(|p| (p.ready, p.meta.created, n.clone()))
                })
                .collect();
            victims.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
            for (_, _, name) in victims.into_iter().take((have - want) as usize) {
                if self.delete_pod_now(&Key::new(&key.ns, name.clone())) {
                    self.rs_event(key, "SuccessfulDelete", format!("Deleted pod: {name}"));
                }
            }
        }
        let Some(rs) = self.replicasets.get(key) else {
            return;
        };
        let ready = rs
            .pods
            .iter()
            .filter(|n| {
                self.pods
                    .get(&Key::new(&key.ns, (*n).clone()))
                    .is_some_and(|p| p.ready)
            })
            .count() as i32;
        let owner = rs.owner.name.clone();
        if let Some(rs) = self.replicasets.get_mut(key)
            && (rs.ready != ready || have != want || rs.observed_generation != rs.meta.generation)
        {
            rs.ready = ready;
            rs.observed_generation = rs.meta.generation;
            self.log.record(rs, "MODIFIED");
        }
        self.dirty_deploy.insert(Key::new(&key.ns, owner));
    }

    /// ReplicaSets owned by a deployment, oldest revision first.
    pub fn owned_rs(&self, dep: &Key, uid: &str) -> Vec<Key> {
        let mut v: Vec<(i64, Key)> = self
            .replicasets
            .range(Key::new(&dep.ns, String::new())..)
            .take_while(|(k, _)| k.ns == dep.ns)
            .filter(|(_, r)| r.owner.uid == uid)
            .map(|(k, r)| (r.revision(), k.clone()))
            .collect();
        v.sort();
        v.into_iter().map(|(_, k)| k).collect()
    }

    fn scale_rs(&mut self, dep: &Key, rs_key: &Key, to: i32, created: bool) {
        let now = self.now;
        let Some(rs) = self.replicasets.get_mut(rs_key) else {
            return;
        };
        let from = rs.replicas;
        if from == to {
            return;
        }
        rs.replicas = to;
        rs.meta.generation += 1;
        if let Some(d) = self.deployments.get(dep) {
            rs.meta.annotations.insert(
                "deployment.kubernetes.io/desired-replicas".into(),
                d.replicas.to_string(),
            );
        }
        let name = rs.meta.name.clone();
        self.log.record(rs, "MODIFIED");
        self.dirty_rs.insert(rs_key.clone());
        let Some(d) = self.deployments.get_mut(dep) else {
            return;
        };
        d.last_progress = now;
        let inv = Involved {
            kind: "Deployment",
            api_version: "apps/v1",
            ns: dep.ns.clone(),
            name: d.meta.name.clone(),
            uid: d.meta.uid.clone(),
        };
        // The deployment controller's wording; a ReplicaSet created with pods says "to N" only.
        let message = match (created, to > from) {
            (true, _) => format!("Scaled up replica set {name} to {to}"),
            (false, true) => format!("Scaled up replica set {name} to {to} from {from}"),
            (false, false) => format!("Scaled down replica set {name} to {to} from {from}"),
        };
        self.event(
            inv,
            "ScalingReplicaSet",
            "Normal",
            message,
            "deployment-controller",
            None,
        );
    }

    /// The deployment controller: pick/create the new ReplicaSet, roll, compute status.
    fn sync_deployment(&mut self, key: &Key) {
        let Some(d) = self.deployments.get(key) else {
            return;
        };
        let (uid, tpl, replicas, paused) =
            (d.meta.uid.clone(), d.template.clone(), d.replicas, d.paused);
        let owner = OwnerRef {
            kind: "Deployment",
            api_version: "apps/v1",
            name: d.meta.name.clone(),
            uid: uid.clone(),
        };
        let hash = super::topology::template_hash(&tpl);
        let mut owned = self.owned_rs(key, &uid);
        let max_rev = owned
            .last()
            .and_then(|k| self.replicasets.get(k))
            .map_or(0, ReplicaSetM::revision);
        let mut new_rs = owned
            .iter()
            .find(|k| self.replicasets.get(*k).is_some_and(|r| r.hash == hash))
            .cloned();
        if !paused {
            match &new_rs {
                None => {
                    let initial = self.new_rs_replicas(&owned, replicas);
                    let k = self.add_rs(key, &owner, &tpl, max_rev + 1, 0, self.now);
                    if initial > 0 {
                        self.scale_rs(key, &k, initial, true);
                    }
                    owned.push(k.clone());
                    new_rs = Some(k);
                }
                Some(k) => {
                    let cause = self
                        .deployments
                        .get(key)
                        .and_then(|d| d.meta.annotations.get(CHANGE_CAUSE).cloned());
                    if let Some(r) = self.replicasets.get_mut(k)
                        && r.revision() < max_rev
                    {
                        r.meta
                            .annotations
                            .insert(REVISION.into(), (max_rev + 1).to_string());
                        if let Some(c) = cause {
                            r.meta.annotations.insert(CHANGE_CAUSE.into(), c);
                        }
                        self.log.record(r, "MODIFIED");
                        owned.retain(|o| o != k);
                        owned.push(k.clone());
                    }
                }
            }
        }
        let Some(new_key) = new_rs else {
            self.deployment_status(key, None, &owned);
            return;
        };
        if let Some(rev) = self.replicasets.get(&new_key).map(ReplicaSetM::revision)
            && let Some(d) = self.deployments.get_mut(key)
            && d.meta.annotations.get(REVISION) != Some(&rev.to_string())
        {
            d.meta.annotations.insert(REVISION.into(), rev.to_string());
            self.log.record(d, "MODIFIED");
        }
        if !paused {
            self.roll(key, &new_key, &owned, replicas);
            self.cleanup_history(&owned, &new_key);
        }
        self.deployment_status(key, Some(&new_key), &owned);
    }

    /// The replicas a new ReplicaSet is created with (`NewRSNewReplicas` for RollingUpdate):
    /// all of them when nothing else runs, else what the surge leaves room for.
    fn new_rs_replicas(&self, owned: &[Key], replicas: i32) -> i32 {
        let total: i32 = owned
            .iter()
            .filter_map(|k| self.replicasets.get(k))
            .map(|r| r.replicas)
            .sum();
        if total == 0 {
            return replicas;
        }
        let surge = (replicas + 3) / 4;
        (replicas + surge - total).clamp(0, replicas)
    }

    fn roll(&mut self, key: &Key, new_key: &Key, owned: &[Key], replicas: i32) {
        let old: Vec<Key> = owned
            .iter()
            .filter(|k| *k != new_key && self.replicasets.get(*k).is_some_and(|r| r.replicas > 0))
            .cloned()
            .collect();
        let new_replicas = self.replicasets.get(new_key).map_or(0, |r| r.replicas);
        if old.is_empty() {
            if new_replicas != replicas {
                self.scale_rs(key, new_key, replicas, false);
            }
            return;
        }
        let surge = (replicas + 3) / 4;
        let mut unavail = replicas / 4;
        if surge == 0 && unavail == 0 {
            unavail = 1;
        }
        let rs_of = |w: &World, k: &Key| {
            w.replicasets
                .get(k)
                .map_or((0, 0, 0), |r| (r.replicas, r.pods.len() as i32, r.ready))
        };
        let total: i32 = owned.iter().map(|k| rs_of(self, k).0).sum();
        if new_replicas < replicas {
            let up = (replicas - new_replicas).min(replicas + surge - total);
            if up > 0 {
                self.scale_rs(key, new_key, new_replicas + up, false);
            }
        } else if new_replicas > replicas {
            self.scale_rs(key, new_key, replicas, false);
        }
        let all_pods: i32 = owned.iter().map(|k| rs_of(self, k).1).sum();
        let (nr, _, nready) = rs_of(self, new_key);
        let min_avail = replicas - unavail;
        let mut max_down = all_pods - min_avail - (nr - nready).max(0);
        for k in &old {
            let (r, _, ready) = rs_of(self, k);
            // Unhealthy old replicas go first and regardless of budget, like the real controller's cleanup.
            let unhealthy = (r - ready).max(0);
            let by_budget = max_down.max(0).min(r - unhealthy);
            let down = unhealthy + by_budget;
            if down > 0 {
                max_down -= by_budget;
                self.scale_rs(key, k, r - down, false);
            }
        }
    }

    fn cleanup_history(&mut self, owned: &[Key], new_key: &Key) {
        let limit = 10;
        let idle: Vec<&Key> = owned
            .iter()
            .filter(|k| {
                *k != new_key
                    && self
                        .replicasets
                        .get(*k)
                        .is_some_and(|r| r.replicas == 0 && r.pods.is_empty())
            })
            .collect();
        if idle.len() > limit {
            for k in idle.into_iter().take(owned.len().saturating_sub(limit + 1)) {
                if let Some(mut rs) = self.replicasets.remove(k) {
                    self.log.record(&mut rs, "DELETED");
                }
            }
        }
    }

    fn deployment_status(&mut self, key: &Key, new_key: Option<&Key>, owned: &[Key]) {
        let now = self.now;
        let mut c = Counts::default();
        for k in owned {
            if let Some(r) = self.replicasets.get(k) {
                c.total += r.pods.len() as i32;
                c.ready += r.ready;
                c.desired += r.replicas;
            }
        }
        let new_name = match new_key.and_then(|k| self.replicasets.get(k)) {
            Some(r) => {
                c.updated = r.pods.len() as i32;
                r.meta.name.clone()
            }
            None => String::new(),
        };
        let Some(d) = self.deployments.get_mut(key) else {
            return;
        };
        let status = compute_status(d, c, &new_name, now);
        if !same_status(&d.status, &status) {
            if (d.status.updated, d.status.ready) != (status.updated, status.ready) {
                d.last_progress = now;
            }
            d.status = status;
            self.log.record(d, "MODIFIED");
        }
    }
}
