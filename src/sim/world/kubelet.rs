//! The kubelet and scheduler in miniature: pods are created, scheduled, started, made ready,
//! crash (crashloop scenario) and are deleted.

use std::sync::Arc;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::PodTemplateSpec;

use super::model::*;
use super::{Timer, World};
use crate::sim::util::after_ms;

/// What one kubelet step produced: events (reason, type, message) and when to step again.
struct Step {
    events: Vec<(&'static str, &'static str, String)>,
    next: Option<(u64, u64)>,
}

fn schedule(pod: &mut PodM, node: Arc<str>, ip: String, now: Timestamp) -> Step {
    let msg = format!(
        "Successfully assigned {}/{} to {node}",
        pod.meta.ns, pod.meta.name
    );
    pod.node = Some(node);
    pod.ip = Some(ip);
    pod.scheduled = Some(now);
    Step {
        events: vec![("Scheduled", "Normal", msg)],
        next: Some((300, 600)),
    }
}

fn start(pod: &mut PodM, now: Timestamp) -> Step {
    let image = pod
        .template
        .spec
        .as_ref()
        .and_then(|s| s.containers.first())
        .and_then(|c| c.image.clone())
        .unwrap_or_default();
    let cname = pod.app().to_string();
    // Every start, restarts too, finds the image, creates and starts a container.
    let events = vec![
        (
            "Pulled",
            "Normal",
            format!("Container image \"{image}\" already present on machine"),
        ),
        ("Created", "Normal", format!("Created container: {cname}")),
        ("Started", "Normal", format!("Started container {cname}")),
    ];
    pod.cstate = CState::Running;
    pod.started = Some(now);
    Step {
        events,
        next: Some(if pod.crashy {
            (1500, 2500)
        } else {
            (700, 1200)
        }),
    }
}

fn crash(pod: &mut PodM, now: Timestamp) -> Step {
    let started = pod.started.unwrap_or(now);
    pod.last_term = Some(Terminated {
        reason: "OOMKilled",
        exit_code: 137,
        started,
        finished: now,
    });
    pod.restarts += 1;
    pod.cstate = CState::Waiting("CrashLoopBackOff");
    pod.started = None;
    pod.ready = false;
    pod.ready_changed = now;
    let msg = format!(
        "Back-off restarting failed container {} in pod {}_{}({})",
        pod.app(),
        pod.meta.name,
        pod.meta.ns,
        pod.meta.uid
    );
    Step {
        events: vec![("BackOff", "Warning", msg)],
        next: Some((2000, 3500)),
    }
}

impl World {
    pub(super) fn pick_node(&mut self) -> Option<Arc<str>> {
        let n = self.node_names.len();
        for _ in 0..n {
            self.node_rr = (self.node_rr + 1) % n;
            let name = self.node_names[self.node_rr].clone();
            let key = Key::new(&self.cluster_ns, name.to_string());
            if self
                .nodes
                .get(&key)
                .is_some_and(|n| n.ready == NodeReady::True && !n.unschedulable)
            {
                return Some(name);
            }
        }
        None
    }

    fn next_ip(&mut self) -> String {
        self.ip_counter += 1;
        let c = self.ip_counter;
        format!("10.244.{}.{}", (c / 250) % 250, c % 250 + 2)
    }

    pub(super) fn spawn_rs_pod(&mut self, rs_key: &Key, running: bool) {
        let Some(rs) = self.replicasets.get(rs_key) else {
            return;
        };
        let owner = OwnerRef {
            kind: "ReplicaSet",
            api_version: "apps/v1",
            name: rs.meta.name.clone(),
            uid: rs.meta.uid.clone(),
        };
        let (labels, tpl) = (rs.meta.labels.clone(), rs.template.clone());
        let name = format!("{}-{}", rs.meta.name, self.rng.suffix(5));
        let key = self.spawn_pod(&rs_key.ns, name, labels, owner, tpl, running);
        if !running {
            self.rs_event(
                rs_key,
                "SuccessfulCreate",
                format!("Created pod: {}", key.name),
            );
        }
        if let Some(rs) = self.replicasets.get_mut(rs_key) {
            rs.pods.insert(key.name);
        }
    }

    pub(super) fn rs_event(&mut self, rs_key: &Key, reason: &'static str, message: String) {
        let Some(rs) = self.replicasets.get(rs_key) else {
            return;
        };
        let inv = Involved {
            kind: "ReplicaSet",
            api_version: "apps/v1",
            ns: rs_key.ns.clone(),
            name: rs.meta.name.clone(),
            uid: rs.meta.uid.clone(),
        };
        self.event(
            inv,
            reason,
            "Normal",
            message,
            "replicaset-controller",
            None,
        );
    }

    pub(super) fn spawn_sts_pod(&mut self, key: &Key, i: i32, running: bool) {
        let Some(s) = self.statefulsets.get(key) else {
            return;
        };
        let owner = OwnerRef {
            kind: "StatefulSet",
            api_version: "apps/v1",
            name: s.meta.name.clone(),
            uid: s.meta.uid.clone(),
        };
        let name = format!("{}-{i}", s.meta.name);
        let mut labels = (*s.meta.labels).clone();
        labels.insert("apps.kubernetes.io/pod-index".into(), i.to_string());
        labels.insert("controller-revision-hash".into(), s.revision.clone());
        labels.insert("statefulset.kubernetes.io/pod-name".into(), name.clone());
        let tpl = s.template.clone();
        let pod = self.spawn_pod(&key.ns, name.clone(), Arc::new(labels), owner, tpl, running);
        if let Some(s) = self.statefulsets.get_mut(key) {
            s.pods.insert(pod.name);
        }
        if !running {
            let msg = format!("create Pod {name} in StatefulSet {} successful", key.name);
            self.sts_event(key, "SuccessfulCreate", msg);
        }
    }

    fn spawn_pod(
        &mut self,
        ns: &Arc<str>,
        name: String,
        labels: Arc<Labels>,
        owner: OwnerRef,
        template: Arc<PodTemplateSpec>,
        running: bool,
    ) -> Key {
        let now = self.now;
        let created = if running {
            crate::sim::util::ago(now, self.rng.range(3600, 3 * 86400) as i64)
        } else {
            now
        };
        let meta = self.meta(ns, name, labels, created);
        let spec_json = self.spec_json(&template);
        let crashy = super::play::oom_prone(&template);
        let seed = self.rng.next();
        let mut pod = PodM {
            meta,
            owner,
            template,
            spec_json,
            node: None,
            ip: None,
            scheduled: None,
            cstate: CState::Waiting("ContainerCreating"),
            started: None,
            ready: false,
            ready_changed: created,
            restarts: 0,
            last_term: None,
            crashy,
            stuck_since: None,
            node_lost: false,
            seed,
        };
        if running {
            pod.node = self.pick_node();
            pod.ip = Some(self.next_ip());
            pod.scheduled = Some(created);
            pod.started = Some(after_ms(created, 2000));
            pod.cstate = CState::Running;
            pod.ready = true;
            pod.ready_changed = after_ms(created, 4000);
        }
        self.log.record(&mut pod, "ADDED");
        let key = pod.meta.key();
        let uid = pod.meta.uid.clone();
        self.pods.insert(key.clone(), pod);
        if !running {
            self.after(50, 300, Timer::PodStep(key.clone(), uid));
        } else if crashy {
            self.after(1000, 3000, Timer::PodStep(key.clone(), uid));
        }
        key
    }

    fn pod_involved(p: &PodM) -> Involved {
        Involved {
            kind: "Pod",
            api_version: "v1",
            ns: p.meta.ns.clone(),
            name: p.meta.name.clone(),
            uid: p.meta.uid.clone(),
        }
    }

    pub(super) fn mark_owner_dirty_pub(&mut self, owner: &OwnerRef, ns: &Arc<str>) {
        self.mark_owner_dirty(owner, ns);
    }

    pub(super) fn mark_owner_dirty(&mut self, owner: &OwnerRef, ns: &Arc<str>) {
        let key = Key::new(ns, owner.name.clone());
        if owner.kind == "ReplicaSet" {
            self.dirty_rs.insert(key);
        } else {
            self.dirty_sts.insert(key);
        }
    }

    /// One kubelet step for a pod: schedule, start, become ready, or crash.
    pub(super) fn pod_step(&mut self, key: &Key, uid: &str) {
        let needs_node = self.pods.get(key).is_some_and(|p| p.node.is_none());
        let node = if needs_node { self.pick_node() } else { None };
        let ip = self.next_ip();
        let now = self.now;
        let Some(pod) = self.pods.get_mut(key) else {
            return;
        };
        if pod.meta.uid != uid || pod.node_lost || pod.stuck_since.is_some() {
            return;
        }
        let step = if pod.node.is_none() {
            match node {
                Some(node) => schedule(pod, node, ip, now),
                None => Step {
                    events: vec![],
                    next: Some((1000, 2000)),
                },
            }
        } else if pod.cstate != CState::Running {
            start(pod, now)
        } else if pod.crashy {
            crash(pod, now)
        } else {
            pod.ready = true;
            pod.ready_changed = now;
            Step {
                events: vec![],
                next: None,
            }
        };
        let host = pod.node.as_ref().map(|n| n.to_string());
        let inv = Self::pod_involved(pod);
        self.log.record(pod, "MODIFIED");
        let (owner, ns) = (pod.owner.clone(), pod.meta.ns.clone());
        for (reason, type_, msg) in step.events {
            let (component, h) = if reason == "Scheduled" {
                ("default-scheduler", None)
            } else {
                ("kubelet", host.clone())
            };
            self.event(inv.clone(), reason, type_, msg, component, h);
        }
        if let Some((lo, hi)) = step.next {
            self.after(lo, hi, Timer::PodStep(key.clone(), uid.to_string()));
        }
        self.mark_owner_dirty(&owner, &ns);
    }

    pub(super) fn delete_pod_now(&mut self, key: &Key) -> bool {
        let Some(mut pod) = self.pods.remove(key) else {
            return false;
        };
        self.log.record(&mut pod, "DELETED");
        match pod.owner.kind {
            "ReplicaSet" => {
                let rs = Key::new(&key.ns, pod.owner.name.clone());
                if let Some(r) = self.replicasets.get_mut(&rs) {
                    r.pods.remove(&key.name);
                }
                self.dirty_rs.insert(rs);
            }
            _ => {
                let s = Key::new(&key.ns, pod.owner.name.clone());
                if let Some(r) = self.statefulsets.get_mut(&s) {
                    r.pods.remove(&key.name);
                }
                self.dirty_sts.insert(s);
            }
        }
        true
    }
}
