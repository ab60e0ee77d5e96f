//! The horizontal-pod-autoscaler controller in miniature, syncing every 15 s as
//! kube-controller-manager does: the metric's recommendation (within a 10% tolerance the count
//! stays), the behaviour's scale-up rate, minReplicas/maxReplicas, the conditions it reports
//! and its SuccessfulRescale events, with the real controller's reasons and messages.
//!
//! One difference, on purpose: a recommendation below the current count never scales down.
//! The real controller holds it for its 5-minute stabilization window (reporting
//! ScaleDownStabilized, as this one does) and the sim's incidents are played in less; an
//! operator's scale-up is not undone mid-runbook. A count outside [min, max] is corrected.

mod build;
mod decide;
#[cfg(test)]
mod tests;

use serde_json::Value;

use super::World;
use super::model::{Cond, HpaMetric, Involved, Key, Kind};
use super::patch::WorldError;
use crate::sim::Scenario;

/// kube-controller-manager's `--horizontal-pod-autoscaler-sync-period`.
const SYNC_MS: i64 = 15_000;
/// `--horizontal-pod-autoscaler-tolerance`.
const TOLERANCE: f64 = 0.1;
/// Per pod, the load of a queue worker that keeps up (its HPA's target is 30).
const STEADY_QUEUE_PER_POD: i64 = 28;

/// `spec.minReplicas` and `spec.maxReplicas`, what a client may change of an autoscaler.
#[derive(Clone, Copy, Debug)]
pub(super) struct HpaSpec {
    min: i32,
    max: i32,
}

/// The written spec's bounds, validated as kube-apiserver validates them.
pub(super) fn hpa_spec_of(new: &Value) -> Result<HpaSpec, WorldError> {
    let int = |p: &str| new.pointer(p).and_then(Value::as_i64).map(|v| v as i32);
    let min = int("/spec/minReplicas").unwrap_or(1);
    let max = int("/spec/maxReplicas").unwrap_or(0);
    let invalid = |field: &str, v: i32, why: &str| {
        Err(WorldError::Invalid(format!(
            "spec.{field}: Invalid value: {v}: {why}"
        )))
    };
    if min < 1 {
        return invalid("minReplicas", min, "must be greater than or equal to 1");
    }
    if max < 1 {
        return invalid("maxReplicas", max, "must be greater than 0");
    }
    if max < min {
        return invalid(
            "maxReplicas",
            max,
            "must be greater than or equal to `minReplicas`",
        );
    }
    Ok(HpaSpec { min, max })
}

impl World {
    /// A written spec: new bounds take effect at the next sync, as on a real cluster.
    pub(super) fn apply_hpa_spec(&mut self, key: &Key, spec: HpaSpec) {
        if let Some(h) = self.hpas.get_mut(key)
            && (h.min, h.max) != (spec.min, spec.max)
        {
            (h.min, h.max) = (spec.min, spec.max);
            h.meta.generation += 1;
            self.log.record(h, "MODIFIED");
        }
    }

    /// Sync every autoscaler at each 15 s period of the sim's time.
    pub(super) fn tick_hpas(&mut self) {
        let period = (self.now.as_millisecond() - self.started.as_millisecond()) / SYNC_MS;
        if period <= self.hpa_period {
            return;
        }
        self.hpa_period = period;
        let keys: Vec<Key> = self.hpas.keys().cloned().collect();
        for key in keys {
            self.sync_hpa(&key);
        }
    }

    /// What the metrics pipeline reports for an autoscaler now: the `articles` queue's depth
    /// while queue-backlog plays, else the load of workers that keep up; CPU drifts a little
    /// around the target (within the tolerance: the steady state stays put).
    fn read_metric(&mut self, key: &Key, current: i32) {
        let backlog = self.scenario == Some(Scenario::QueueBacklog);
        let depth = self
            .queues
            .queues
            .iter()
            .find(|q| q.name == "articles")
            .map_or(0, |q| q.depth().floor() as i64);
        let jitter = self.rng.next();
        let Some(h) = self.hpas.get_mut(key) else {
            return;
        };
        match &mut h.metric {
            HpaMetric::Cpu { target, current } => {
                let (lo, span) = if backlog { (95, 14) } else { (90, 10) };
                *current = *target * (lo + (jitter % span) as i32) / 100;
            }
            HpaMetric::External { current: usage, .. } => {
                *usage = if backlog {
                    depth
                } else {
                    i64::from(current) * STEADY_QUEUE_PER_POD
                };
            }
        }
    }

    fn sync_hpa(&mut self, key: &Key) {
        let now = self.now;
        let Some(target) = self
            .hpas
            .get(key)
            .map(|h| Key::new(&key.ns, h.target.clone()))
        else {
            return;
        };
        let current = self.deployments.get(&target).map_or(0, |d| d.replicas);
        self.read_metric(key, current);
        let Some(h) = self.hpas.get_mut(key) else {
            return;
        };
        let before = (
            h.current_replicas,
            h.desired,
            h.metric.clone(),
            h.conditions.clone(),
            h.observed_generation,
        );
        let decision = h.decide(current, now);
        for c in decision.conditions {
            h.set_condition(c, now);
        }
        h.current_replicas = current;
        h.observed_generation = h.meta.generation;
        let rescale = decision.rescale.filter(|_| decision.desired != current);
        h.desired = if rescale.is_some() {
            decision.desired
        } else {
            current
        };
        if let Some(why) = &rescale {
            let to = decision.desired;
            h.last_scale = Some(now);
            h.set_condition(
                (
                    "AbleToScale",
                    "True",
                    "SucceededRescale",
                    format!("the HPA controller was able to update the target scale to {to}"),
                ),
                now,
            );
            if to > current {
                h.scale_ups.push((now, to - current));
            }
            h.scale_ups
                .retain(|(t, _)| now.duration_since(*t).as_secs() < 60);
            let inv = Involved {
                kind: "HorizontalPodAutoscaler",
                api_version: "autoscaling/v2",
                ns: key.ns.clone(),
                name: h.meta.name.clone(),
                uid: h.meta.uid.clone(),
            };
            let message = format!("New size: {to}; reason: {why}");
            self.event(
                inv,
                "SuccessfulRescale",
                "Normal",
                message,
                "horizontal-pod-autoscaler",
                None,
            );
            let _ = self.set_replicas(Kind::Deployment, &key.ns, &target.name, to);
        }
        if let Some(h) = self.hpas.get_mut(key) {
            // The status says what this sync saw and decided, whatever the scale did since.
            h.current_replicas = current;
            h.desired = if rescale.is_some() {
                decision.desired
            } else {
                current
            };
            let changed = (before.0, before.1, &before.2, before.4)
                != (
                    h.current_replicas,
                    h.desired,
                    &h.metric,
                    h.observed_generation,
                )
                || !same_conditions(&before.3, &h.conditions);
            if changed {
                self.log.record(h, "MODIFIED");
            }
        }
    }
}

/// Equal for the purpose of publishing a change (the updated times aside).
fn same_conditions(a: &[Cond], b: &[Cond]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            (x.type_, x.status, x.reason, &x.message, x.transition)
                == (y.type_, y.status, y.reason, &y.message, y.transition)
        })
}
