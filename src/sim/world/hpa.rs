//! The horizontal-pod-autoscaler controller in miniature, syncing every 15 s as
//! kube-controller-manager does: the metric's recommendation (within a 10% tolerance the count
//! stays), the behaviour's scale-up rate, minReplicas/maxReplicas, the conditions it reports
//! and its SuccessfulRescale events, with the real controller's reasons and messages.
//!
//! One difference, on purpose: a recommendation below the current count never scales down.
//! The real controller holds it for its 5-minute stabilization window (reporting
//! ScaleDownStabilized, as this one does) and the sim's incidents are played in less; an
//! operator's scale-up is not undone mid-runbook. A count outside [min, max] is corrected.

use std::sync::Arc;

use jiff::Timestamp;

use serde_json::Value;

use super::World;
use super::model::{Cond, HpaM, HpaMetric, Involved, Key, Kind, Labels};
use super::patch::WorldError;
use crate::sim::Scenario;
use crate::sim::util::ago;

/// kube-controller-manager's `--horizontal-pod-autoscaler-sync-period`.
pub(super) const SYNC_MS: i64 = 15_000;
/// `--horizontal-pod-autoscaler-tolerance`.
const TOLERANCE: f64 = 0.1;
/// Per pod, the load of a queue worker that keeps up (its HPA's target is 30).
pub(super) const STEADY_QUEUE_PER_POD: i64 = 28;

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

/// What one sync decided, before it is written.
struct Decision {
    desired: i32,
    /// Why the target is rescaled (the event's reason), when it is.
    rescale: Option<String>,
    conditions: Vec<(&'static str, &'static str, &'static str, String)>,
}

impl HpaM {
    /// The metric as the controller names it in messages and events.
    fn metric_name(&self) -> String {
        match &self.metric {
            HpaMetric::Cpu { .. } => "cpu resource utilization (percentage of request)".into(),
            HpaMetric::External { name, .. } => format!(
                "external metric {name}(&LabelSelector{{MatchLabels:map[string]string{{queue: articles,}},MatchExpressions:[]LabelSelectorRequirement{{}},}})"
            ),
        }
    }

    /// The replica count the metric asks for (`GetResourceReplicas` / `GetExternalPerPodMetricReplicas`).
    fn recommendation(&self, current: i32) -> i32 {
        let (usage, target, per_pod_total) = match &self.metric {
            HpaMetric::Cpu { target, current } => (f64::from(*current), f64::from(*target), false),
            HpaMetric::External {
                target_avg,
                current,
                ..
            } => (*current as f64, *target_avg as f64, true),
        };
        let ratio = if per_pod_total {
            usage / (target * f64::from(current.max(1)))
        } else {
            usage / target
        };
        if (1.0 - ratio).abs() <= TOLERANCE {
            current
        } else if per_pod_total {
            (usage / target).ceil() as i32
        } else {
            (ratio * f64::from(current)).ceil() as i32
        }
    }

    /// The most the behaviour lets the count grow to now (`calculateScaleUpLimitWithScalingRules`):
    /// the spec's pods a minute, else the default 100% or 4 pods per 15 s, whichever is more.
    fn scale_up_limit(&self, current: i32, now: Timestamp) -> i32 {
        let added_within = |secs: i64| -> i32 {
            self.scale_ups
                .iter()
                .filter(|(t, _)| now.duration_since(*t).as_secs() < secs)
                .map(|(_, n)| n)
                .sum()
        };
        match self.scale_up_pods_per_minute {
            Some(pods) => current - added_within(60) + pods,
            None => {
                let start = current - added_within(15);
                (start * 2).max(start + 4)
            }
        }
    }

    /// One reconcile of this autoscaler against its target's replica count.
    fn decide(&self, current: i32, now: Timestamp) -> Decision {
        let got_scale = (
            "AbleToScale",
            "True",
            "SucceededGetScale",
            "the HPA controller was able to get the target's current scale".to_string(),
        );
        let fixed = |desired: i32, why: &str| Decision {
            desired,
            rescale: Some(why.to_string()),
            conditions: vec![got_scale.clone()],
        };
        if current == 0 && self.min != 0 {
            return Decision {
                desired: 0,
                rescale: None,
                conditions: vec![
                    got_scale.clone(),
                    (
                        "ScalingActive",
                        "False",
                        "ScalingDisabled",
                        "scaling is disabled since the replica count of the target is zero".into(),
                    ),
                ],
            };
        }
        if current > self.max {
            return fixed(
                self.max,
                "Current number of replicas above Spec.MaxReplicas",
            );
        }
        if current < self.min {
            return fixed(
                self.min,
                "Current number of replicas below Spec.MinReplicas",
            );
        }
        let wanted = self.recommendation(current);
        let metric = self.metric_name();
        // AbleToScale is set first (getting the scale), so it leads the list as it does there.
        let mut conditions = vec![
            got_scale,
            (
                "ScalingActive",
                "True",
                "ValidMetricFound",
                format!("the HPA was able to successfully calculate a replica count from {metric}"),
            ),
        ];
        // Scale-down is held (see the module's note), as the stabilization window holds it.
        let stabilized = wanted.max(current);
        conditions.push(if stabilized == wanted {
            (
                "AbleToScale",
                "True",
                "ReadyForNewScale",
                "recommended size matches current size".into(),
            )
        } else {
            (
                "AbleToScale",
                "True",
                "ScaleDownStabilized",
                "recent recommendations were higher than current one, applying the highest recent recommendation".into(),
            )
        });
        let (desired, reason, message) = self.limit_rate(stabilized, current, now);
        let limited = if desired == stabilized {
            "False"
        } else {
            "True"
        };
        conditions.push(("ScalingLimited", limited, reason, message.into()));
        Decision {
            desired,
            rescale: (desired != current).then(|| format!("{metric} above target")),
            conditions,
        }
    }

    /// `convertDesiredReplicasWithBehaviorRate` for a count that only grows.
    fn limit_rate(
        &self,
        wanted: i32,
        current: i32,
        now: Timestamp,
    ) -> (i32, &'static str, &'static str) {
        if wanted > current {
            let limit = self.scale_up_limit(current, now).max(current);
            let (most, reason, message) = if self.max > limit {
                (
                    limit,
                    "ScaleUpLimit",
                    "the desired replica count is increasing faster than the maximum scale rate",
                )
            } else {
                (
                    self.max,
                    "TooManyReplicas",
                    "the desired replica count is more than the maximum replica count",
                )
            };
            if wanted > most {
                return (most, reason, message);
            }
        }
        (
            wanted,
            "DesiredWithinRange",
            "the desired count is within the acceptable range",
        )
    }

    /// Set a condition as the controller does: the transition time moves only with the status.
    fn set_condition(
        &mut self,
        (type_, status, reason, message): (&'static str, &'static str, &'static str, String),
        now: Timestamp,
    ) {
        match self.conditions.iter_mut().find(|c| c.type_ == type_) {
            Some(c) => {
                if c.status != status {
                    c.transition = now;
                }
                (c.status, c.reason, c.message, c.updated) = (status, reason, message, now);
            }
            None => self.conditions.push(Cond {
                type_,
                status,
                reason,
                message,
                updated: now,
                transition: now,
            }),
        }
    }

    /// The conditions an autoscaler reports once it has been syncing quietly since `since`.
    pub(super) fn settled_conditions(&mut self, since: Timestamp) {
        let current = self.current_replicas;
        let decision = self.decide(current, since);
        for c in decision.conditions {
            self.set_condition(c, since);
        }
    }
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

impl World {
    /// The platform's three autoscalers, settled: 20 days old, last scaled 3 hours ago.
    pub(super) fn add_hpas(&mut self, ns: &Arc<str>, factor: f64) {
        let scale = |v: i32| ((f64::from(v) * factor).round() as i32).max(1);
        let specs = [
            (
                "api",
                2,
                6,
                HpaMetric::Cpu {
                    target: 70,
                    current: 66,
                },
            ),
            (
                "article-generator",
                2,
                12,
                HpaMetric::External {
                    name: "celery_queue_length",
                    target_avg: 30,
                    current: 0,
                },
            ),
            (
                "fact-checker",
                1,
                6,
                HpaMetric::Cpu {
                    target: 70,
                    current: 64,
                },
            ),
        ];
        for (name, min, max, metric) in specs {
            let replicas = self
                .deployments
                .get(&Key::new(ns, name))
                .map_or(1, |d| d.replicas);
            let metric = match metric {
                HpaMetric::External {
                    name, target_avg, ..
                } => HpaMetric::External {
                    name,
                    target_avg,
                    current: i64::from(replicas) * STEADY_QUEUE_PER_POD,
                },
                m => m,
            };
            let mut meta = self.meta(
                ns,
                name.to_string(),
                Arc::new(Labels::from([("app".to_string(), name.to_string())])),
                ago(self.now, 20 * 86400),
            );
            meta.generation = 1;
            let last_scale = ago(self.now, 3 * 3600);
            let mut h = HpaM {
                meta,
                target: name.to_string(),
                min: scale(min),
                max: scale(max),
                metric,
                current_replicas: replicas,
                desired: replicas,
                last_scale: Some(last_scale),
                // The article generators call LLMs: their HPA adds pods slowly, to cap spend.
                scale_up_pods_per_minute: (name == "article-generator").then_some(1),
                conditions: vec![],
                scale_ups: vec![],
                observed_generation: 1,
            };
            h.settled_conditions(last_scale);
            self.log.record(&mut h, "ADDED");
            self.hpas.insert(h.meta.key(), h);
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

#[cfg(test)]
mod tests {
    use jiff::SignedDuration;
    use serde_json::json;

    use super::*;
    use crate::sim::clock::TEST_NOW;

    fn advance(w: &mut World, secs: i64) {
        let mut t = w.now();
        for _ in 0..secs * 4 {
            t = t.checked_add(SignedDuration::from_millis(250)).unwrap();
            w.tick(t);
        }
    }

    fn key(name: &str) -> Key {
        Key::new(&Arc::from("contentgen"), name.to_string())
    }

    fn condition(w: &World, name: &str, type_: &str) -> (&'static str, &'static str) {
        let c = w.hpas[&key(name)]
            .conditions
            .iter()
            .find(|c| c.type_ == type_)
            .unwrap();
        (c.status, c.reason)
    }

    fn patch_bounds(w: &mut World, name: &str, min: i32, max: i32) -> Result<Value, WorldError> {
        let mut h = w.object_json(Kind::Hpa, "contentgen", name).unwrap();
        h["spec"]["minReplicas"] = json!(min);
        h["spec"]["maxReplicas"] = json!(max);
        w.apply_json(Kind::Hpa, "contentgen", name, h, false)
    }

    fn rescales(w: &World, name: &str) -> Vec<String> {
        w.events
            .values()
            .filter(|e| e.reason == "SuccessfulRescale" && e.involved.name == name)
            .map(|e| e.message.clone())
            .collect()
    }

    #[test]
    fn a_calm_platform_keeps_its_counts_and_says_so() {
        let mut w = World::new(None, None, TEST_NOW);
        advance(&mut w, 61);
        for name in ["api", "article-generator", "fact-checker"] {
            let h = &w.hpas[&key(name)];
            assert_eq!(h.desired, h.current_replicas, "{name}");
            assert_eq!(
                condition(&w, name, "AbleToScale"),
                ("True", "ReadyForNewScale")
            );
            assert_eq!(
                condition(&w, name, "ScalingActive"),
                ("True", "ValidMetricFound")
            );
            assert_eq!(
                condition(&w, name, "ScalingLimited"),
                ("False", "DesiredWithinRange")
            );
            assert!(rescales(&w, name).is_empty(), "{name}");
        }
    }

    #[test]
    fn at_its_max_a_growing_backlog_is_limited_by_too_many_replicas() {
        let mut w = World::new(Some(Scenario::QueueBacklog), None, TEST_NOW);
        patch_bounds(&mut w, "article-generator", 2, 4).unwrap();
        advance(&mut w, 61);
        let h = &w.hpas[&key("article-generator")];
        assert!(h.recommendation(4) > 4, "the backlog wants more");
        assert_eq!((h.current_replicas, h.desired), (4, 4));
        assert_eq!(
            condition(&w, "article-generator", "ScalingLimited"),
            ("True", "TooManyReplicas")
        );
        assert_eq!(w.deployments[&key("article-generator")].replicas, 4);
        assert!(rescales(&w, "article-generator").is_empty());
        assert_eq!(h.observed_generation, h.meta.generation);
    }

    #[test]
    fn a_max_below_the_count_scales_down_to_it_and_says_why() {
        let mut w = World::new(None, None, TEST_NOW);
        patch_bounds(&mut w, "article-generator", 2, 3).unwrap();
        advance(&mut w, 16);
        assert_eq!(w.deployments[&key("article-generator")].replicas, 3);
        assert_eq!(
            rescales(&w, "article-generator"),
            vec!["New size: 3; reason: Current number of replicas above Spec.MaxReplicas"]
        );
        assert_eq!(
            condition(&w, "article-generator", "AbleToScale"),
            ("True", "SucceededRescale")
        );
    }

    #[test]
    fn bounds_are_validated_as_the_api_server_does() {
        let mut w = World::new(None, None, TEST_NOW);
        assert_eq!(
            patch_bounds(&mut w, "api", 4, 3),
            Err(WorldError::Invalid(
                "spec.maxReplicas: Invalid value: 3: must be greater than or equal to `minReplicas`".into()
            ))
        );
        assert!(patch_bounds(&mut w, "api", 0, 3).is_err());
        assert_eq!(w.hpas[&key("api")].max, 6, "nothing changed");
    }
}
