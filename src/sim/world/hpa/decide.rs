//! One reconcile of an autoscaler, as `reconcileAutoscaler` computes it: from the target's
//! replica count and the metric, the count to scale to, why, and the conditions to report.

use jiff::Timestamp;

use super::TOLERANCE;
use crate::sim::world::model::{Cond, HpaM, HpaMetric};

/// What one sync decided, before it is written.
pub(super) struct Decision {
    pub desired: i32,
    /// Why the target is rescaled (the event's reason), when it is.
    pub rescale: Option<String>,
    pub conditions: Vec<(&'static str, &'static str, &'static str, String)>,
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
    pub(super) fn recommendation(&self, current: i32) -> i32 {
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
    pub(super) fn decide(&self, current: i32, now: Timestamp) -> Decision {
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
    pub(super) fn set_condition(
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
    pub(in crate::sim::world) fn settled_conditions(&mut self, since: Timestamp) {
        let current = self.current_replicas;
        let decision = self.decide(current, since);
        for c in decision.conditions {
            self.set_condition(c, since);
        }
    }
}
