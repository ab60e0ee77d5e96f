//! The gauges the platform's exporters report from the world at each scrape: kube-state-metrics
//! 2.x (container waiting reasons, node Ready and cordon, deployment replicas and conditions)
//! and the Celery exporter's queue lengths (`celery_queue_length{queue}`, as
//! celery-redis-prometheus's `--queuelength-interval` exports them).

use super::World;
use super::model::{CState, NodeReady};
use crate::config::QueueKind;
use crate::sim::metrics::GaugeSample;

fn gauge(name: &'static str, labels: Vec<(&'static str, String)>, value: f64) -> GaugeSample {
    GaugeSample {
        name,
        labels,
        value,
    }
}

fn flag(b: bool) -> f64 {
    f64::from(u8::from(b))
}

/// kube-state-metrics reports a condition as three series, one per status, the current one 1.
fn condition(
    out: &mut Vec<GaugeSample>,
    name: &'static str,
    ids: &[(&'static str, String)],
    condition: &str,
    status: &str,
) {
    for s in ["true", "false", "unknown"] {
        let mut labels = ids.to_vec();
        labels.push(("condition", condition.to_string()));
        labels.push(("status", s.to_string()));
        out.push(gauge(name, labels, flag(status.eq_ignore_ascii_case(s))));
    }
}

impl World {
    /// Every exporter gauge as a scrape would read it now.
    pub fn exporter_gauges(&self) -> Vec<GaugeSample> {
        let mut out = Vec::new();
        // Only waiting containers have a series (kube-state-metrics 2.x drops the zeros).
        for p in self.pods.values() {
            if let (CState::Waiting(reason), Some(_)) = (&p.cstate, &p.node) {
                let labels = vec![
                    ("namespace", p.meta.ns.to_string()),
                    ("pod", p.meta.name.clone()),
                    ("container", p.app().to_string()),
                    ("reason", (*reason).to_string()),
                ];
                out.push(gauge(
                    "kube_pod_container_status_waiting_reason",
                    labels,
                    1.0,
                ));
            }
        }
        for n in self.nodes.values() {
            let ids = [("node", n.meta.name.clone())];
            let status = match n.ready {
                NodeReady::True => "true",
                NodeReady::Unknown => "unknown",
            };
            condition(
                &mut out,
                "kube_node_status_condition",
                &ids,
                "Ready",
                status,
            );
            out.push(gauge(
                "kube_node_spec_unschedulable",
                ids.to_vec(),
                flag(n.unschedulable),
            ));
        }
        for d in self.deployments.values() {
            let ids = vec![
                ("namespace", d.meta.ns.to_string()),
                ("deployment", d.meta.name.clone()),
            ];
            for (name, v) in [
                ("kube_deployment_spec_replicas", d.replicas),
                (
                    "kube_deployment_status_replicas_available",
                    d.status.available,
                ),
                ("kube_deployment_status_replicas_updated", d.status.updated),
            ] {
                out.push(gauge(name, ids.clone(), f64::from(v)));
            }
            for c in &d.status.conditions {
                condition(
                    &mut out,
                    "kube_deployment_status_condition",
                    &ids,
                    c.type_,
                    c.status,
                );
            }
        }
        for q in self
            .queues
            .queues
            .iter()
            .filter(|q| q.kind == QueueKind::Celery)
        {
            let labels = vec![("queue", q.name.to_string())];
            out.push(gauge("celery_queue_length", labels, q.depth().floor()));
        }
        out
    }
}
