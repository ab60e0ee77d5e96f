//! Plays the selected scenario: scripted changes at fixed offsets from the sim's start.

use std::sync::Arc;

use super::model::*;
use super::{CHANGE_CAUSE, World};
use crate::sim::scenarios::Scenario;
use crate::sim::util::secs_between;

const NS: &str = "contentgen";

/// queue-backlog: when the traffic spike starts (ms after the sim).
pub(super) const BACKLOG_STARTS_MS: i64 = 3000;
/// queue-backlog: extra `articles` arrivals a second during the spike. 2/s becomes 5/s: more
/// than the 4 workers at 0.6/s take (the queue grows 2.6/s), less than 10 take (the runbook's
/// scale to 10 drains it at 1/s).
pub(super) const BACKLOG_SPIKE_PER_SEC: f64 = 3.0;

/// The memory limit of the crashloop scenario's bad revision: pods with it are OOMKilled.
pub(super) const OOM_MEMORY_LIMIT: &str = "96Mi";

/// Whether pods of this template are OOMKilled on start (the crashloop scenario's bad revision).
pub(super) fn oom_prone(template: &k8s_openapi::api::core::v1::PodTemplateSpec) -> bool {
    template.spec.iter().flat_map(|s| &s.containers).any(|c| {
        c.resources
            .as_ref()
            .and_then(|r| r.limits.as_ref())
            .and_then(|l| l.get("memory"))
            .is_some_and(|q| q.0 == OOM_MEMORY_LIMIT)
    })
}

impl World {
    pub(super) fn play_scenario(&mut self) {
        let Some(sc) = self.scenario else { return };
        let ms = self.now.as_millisecond() - self.started.as_millisecond();
        let stage = self.scenario_stage;
        match sc {
            Scenario::BadRollout if ms >= 5000 && stage == 0 => {
                self.scenario_stage = 1;
                self.bad_rollout();
            }
            Scenario::Crashloop if ms >= 1000 && stage == 0 => {
                self.scenario_stage = 1;
                self.crashloop_rollout();
            }
            Scenario::PipelineStuck if ms >= 5000 && ms / 5000 > i64::from(stage) => {
                self.scenario_stage = (ms / 5000) as u32;
                self.pipeline_stuck_step(stage == 0);
            }
            Scenario::NodeNotReady if ms >= 10_000 && stage == 0 => {
                self.scenario_stage = 1;
                self.node_lost();
            }
            Scenario::NodeNotReady if ms >= 40_000 && stage == 1 => {
                self.scenario_stage = 2;
                self.evict_lost_pods();
            }
            _ => {}
        }
    }

    fn ns_key(name: &str) -> Key {
        Key {
            ns: Arc::from(NS),
            name: name.to_string(),
        }
    }

    fn bad_rollout(&mut self) {
        let key = Self::ns_key("api");
        let Some(d) = self.deployments.get(&key) else {
            return;
        };
        let mut tpl = (*d.template).clone();
        let image = "ghcr.io/contentgen/api:v1.9.0-rc1";
        if let Some(c) = tpl.spec.as_mut().and_then(|s| s.containers.first_mut()) {
            c.image = Some(image.into());
        }
        let mut ann = d.meta.annotations.clone();
        ann.insert(
            CHANGE_CAUSE.into(),
            format!("kubectl set image deployment/api api={image}"),
        );
        let Ok(mut v) = serde_json::to_value(d.to_deployment()) else {
            return;
        };
        v["spec"]["template"] = serde_json::to_value(tpl).unwrap_or_default();
        v["metadata"]["annotations"] = serde_json::to_value(ann).unwrap_or_default();
        let _ = self.apply_json(Kind::Deployment, NS, "api", v, false);
    }

    /// crashloop: fact-checker gets a revision whose memory limit is too small, so its new pods
    /// are OOMKilled on start (the controller keeps the old ones: maxUnavailable rounds to 0).
    /// Rolling back to the previous template fixes it, as on a real cluster.
    fn crashloop_rollout(&mut self) {
        let key = Self::ns_key("fact-checker");
        let Some(d) = self.deployments.get(&key) else {
            return;
        };
        let mut tpl = (*d.template).clone();
        if let Some(c) = tpl.spec.as_mut().and_then(|s| s.containers.first_mut()) {
            // Requests may not exceed limits (kube-apiserver refuses it): both go down.
            let resources = c.resources.get_or_insert_with(Default::default);
            for list in [&mut resources.limits, &mut resources.requests] {
                list.get_or_insert_with(Default::default).insert(
                    "memory".into(),
                    k8s_openapi::apimachinery::pkg::api::resource::Quantity(
                        OOM_MEMORY_LIMIT.into(),
                    ),
                );
            }
        }
        let mut ann = d.meta.annotations.clone();
        ann.insert(
            CHANGE_CAUSE.into(),
            format!(
                "kubectl set resources deployment/fact-checker --limits=memory={OOM_MEMORY_LIMIT} --requests=memory={OOM_MEMORY_LIMIT}"
            ),
        );
        let Ok(mut v) = serde_json::to_value(d.to_deployment()) else {
            return;
        };
        v["spec"]["template"] = serde_json::to_value(tpl).unwrap_or_default();
        v["metadata"]["annotations"] = serde_json::to_value(ann).unwrap_or_default();
        let _ = self.apply_json(Kind::Deployment, NS, "fact-checker", v, false);
    }

    fn pipeline_stuck_step(&mut self, first: bool) {
        let now = self.now;
        let stuck = self
            .pods
            .range(
                Key {
                    ns: Arc::from(NS),
                    name: String::new(),
                }..,
            )
            .take_while(|(k, _)| &*k.ns == NS)
            .find(|(_, p)| {
                p.app() == "article-generator" && (p.stuck_since.is_some() || (first && p.ready))
            })
            .map(|(k, _)| k.clone());
        let Some(key) = stuck else { return };
        let Some(p) = self.pods.get_mut(&key) else {
            return;
        };
        if first {
            p.stuck_since = Some(now);
            p.ready = false;
            p.ready_changed = now;
            self.log.record(p, "MODIFIED");
        }
        let inv = Involved {
            kind: "Pod",
            api_version: "v1",
            ns: p.meta.ns.clone(),
            name: p.meta.name.clone(),
            uid: p.meta.uid.clone(),
        };
        let msg = format!(
            "Readiness probe failed: Get \"http://{}:8001/health/ready\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)",
            p.ip.clone().unwrap_or_default()
        );
        let host = p.node.as_ref().map(|n| n.to_string());
        let owner = (p.owner.clone(), p.meta.ns.clone());
        self.event(inv, "Unhealthy", "Warning", msg, "kubelet", host);
        self.dirty_rs.insert(Key::new(&owner.1, owner.0.name));
    }

    fn node_lost(&mut self) {
        let now = self.now;
        let key = Key {
            ns: self.cluster_ns.clone(),
            name: "pool-general-3".into(),
        };
        let Some(n) = self.nodes.get_mut(&key) else {
            return;
        };
        n.ready = NodeReady::Unknown;
        n.transition = now;
        self.log.record(n, "MODIFIED");
        let inv = Involved {
            kind: "Node",
            api_version: "v1",
            ns: Arc::from(""),
            name: n.meta.name.clone(),
            uid: n.meta.uid.clone(),
        };
        self.event(
            inv,
            "NodeNotReady",
            "Normal",
            "Node pool-general-3 status is now: NodeNotReady".into(),
            "node-controller",
            None,
        );
        let lost: Vec<Key> = self
            .pods
            .iter()
            .filter(|(_, p)| p.node.as_deref() == Some("pool-general-3"))
            .map(|(k, _)| k.clone())
            .collect();
        for k in lost {
            let Some(p) = self.pods.get_mut(&k) else {
                continue;
            };
            p.node_lost = true;
            p.ready = false;
            p.ready_changed = now;
            self.log.record(p, "MODIFIED");
            let inv = Involved {
                kind: "Pod",
                api_version: "v1",
                ns: p.meta.ns.clone(),
                name: p.meta.name.clone(),
                uid: p.meta.uid.clone(),
            };
            let owner = (p.owner.clone(), p.meta.ns.clone());
            self.event(
                inv,
                "NodeNotReady",
                "Warning",
                "Node is not ready".into(),
                "node-controller",
                None,
            );
            self.mark_owner_dirty_pub(&owner.0, &owner.1);
        }
    }

    fn evict_lost_pods(&mut self) {
        let lost: Vec<Key> = self
            .pods
            .iter()
            .filter(|(_, p)| p.node_lost)
            .map(|(k, _)| k.clone())
            .collect();
        for k in lost {
            if let Some(p) = self.pods.get(&k) {
                let inv = Involved {
                    kind: "Pod",
                    api_version: "v1",
                    ns: p.meta.ns.clone(),
                    name: p.meta.name.clone(),
                    uid: p.meta.uid.clone(),
                };
                self.event(
                    inv,
                    "TaintManagerEviction",
                    "Normal",
                    format!("Marking for deletion Pod {}/{}", k.ns, k.name),
                    "taint-eviction-controller",
                    None,
                );
            }
            self.delete_pod_now(&k);
        }
        let _ = secs_between(self.started, self.now);
    }
}
