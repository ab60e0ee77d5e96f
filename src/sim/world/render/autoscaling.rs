//! HorizontalPodAutoscalers (autoscaling/v2).

use jiff::Timestamp;
use k8s_openapi::api::autoscaling::v2 as hpa;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use serde_json::{Value, json};

use super::super::model::*;
use super::{SimObject, age, common_field, object_meta, t, write};

impl HpaM {
    fn targets_text(&self) -> String {
        match &self.metric {
            HpaMetric::Cpu { target, current } => format!("cpu: {current}%/{target}%"),
            HpaMetric::External {
                name,
                target_avg,
                current,
            } => {
                format!("{name}: {}/{target_avg} (avg)", self.per_pod(*current))
            }
        }
    }
    /// The external metric's average per pod, rounded up as the controller rounds it.
    fn per_pod(&self, total: i64) -> i64 {
        let pods = i64::from(self.current_replicas.max(1));
        (total + pods - 1) / pods
    }

    /// The spec's behaviour; a given one comes back with kube-apiserver's defaults for the
    /// parts left out (scale-down: 100% per 15 s after a 300 s window).
    fn behavior(&self) -> Option<hpa::HorizontalPodAutoscalerBehavior> {
        let pods = self.scale_up_pods_per_minute?;
        Some(hpa::HorizontalPodAutoscalerBehavior {
            scale_up: Some(hpa::HPAScalingRules {
                policies: Some(vec![hpa::HPAScalingPolicy {
                    type_: "Pods".into(),
                    value: pods,
                    period_seconds: 60,
                }]),
                select_policy: Some("Max".into()),
                stabilization_window_seconds: Some(0),
                ..Default::default()
            }),
            scale_down: Some(hpa::HPAScalingRules {
                policies: Some(vec![hpa::HPAScalingPolicy {
                    type_: "Percent".into(),
                    value: 100,
                    period_seconds: 15,
                }]),
                select_policy: Some("Max".into()),
                stabilization_window_seconds: Some(300),
                ..Default::default()
            }),
        })
    }

    fn metric_spec_status(&self) -> (hpa::MetricSpec, hpa::MetricStatus) {
        match &self.metric {
            HpaMetric::Cpu { target, current } => (
                hpa::MetricSpec {
                    type_: "Resource".into(),
                    resource: Some(hpa::ResourceMetricSource {
                        name: "cpu".into(),
                        target: hpa::MetricTarget {
                            type_: "Utilization".into(),
                            average_utilization: Some(*target),
                            ..Default::default()
                        },
                    }),
                    ..Default::default()
                },
                hpa::MetricStatus {
                    type_: "Resource".into(),
                    resource: Some(hpa::ResourceMetricStatus {
                        name: "cpu".into(),
                        current: hpa::MetricValueStatus {
                            average_utilization: Some(*current),
                            average_value: Some(Quantity(format!("{}m", current * 5))),
                            ..Default::default()
                        },
                    }),
                    ..Default::default()
                },
            ),
            HpaMetric::External {
                name,
                target_avg,
                current,
            } => {
                let ident = hpa::MetricIdentifier {
                    name: (*name).into(),
                    selector: Some(LabelSelector {
                        match_labels: Some([("queue".to_string(), "articles".to_string())].into()),
                        ..Default::default()
                    }),
                };
                let per_pod = self.per_pod(*current);
                (
                    hpa::MetricSpec {
                        type_: "External".into(),
                        external: Some(hpa::ExternalMetricSource {
                            metric: ident.clone(),
                            target: hpa::MetricTarget {
                                type_: "AverageValue".into(),
                                average_value: Some(Quantity(target_avg.to_string())),
                                ..Default::default()
                            },
                        }),
                        ..Default::default()
                    },
                    hpa::MetricStatus {
                        type_: "External".into(),
                        external: Some(hpa::ExternalMetricStatus {
                            metric: ident,
                            current: hpa::MetricValueStatus {
                                average_value: Some(Quantity(per_pod.to_string())),
                                ..Default::default()
                            },
                        }),
                        ..Default::default()
                    },
                )
            }
        }
    }
}

impl SimObject for HpaM {
    fn kind(&self) -> Kind {
        Kind::Hpa
    }
    fn meta(&self) -> &Meta {
        &self.meta
    }
    fn meta_mut(&mut self) -> &mut Meta {
        &mut self.meta
    }
    fn field(&self, name: &str) -> Option<String> {
        common_field(&self.meta, name)
    }
    fn write_json(&self, out: &mut Vec<u8>) {
        let (spec, status) = self.metric_spec_status();
        let obj = hpa::HorizontalPodAutoscaler {
            metadata: object_meta(&self.meta, None),
            spec: Some(hpa::HorizontalPodAutoscalerSpec {
                min_replicas: Some(self.min),
                max_replicas: self.max,
                metrics: Some(vec![spec]),
                scale_target_ref: hpa::CrossVersionObjectReference {
                    api_version: Some("apps/v1".into()),
                    kind: "Deployment".into(),
                    name: self.target.clone(),
                },
                behavior: self.behavior(),
            }),
            status: Some(hpa::HorizontalPodAutoscalerStatus {
                current_replicas: Some(self.current_replicas),
                desired_replicas: self.desired,
                current_metrics: Some(vec![status]),
                last_scale_time: self.last_scale.map(Time),
                observed_generation: Some(self.observed_generation),
                conditions: Some(self.conditions.iter().map(hpa_cond).collect()),
            }),
        };
        write(&obj, out);
    }
    fn cells(&self, now: Timestamp) -> Vec<Value> {
        vec![
            json!(self.meta.name),
            json!(format!("Deployment/{}", self.target)),
            json!(self.targets_text()),
            json!(self.min),
            json!(self.max),
            json!(self.current_replicas),
            age(&self.meta, now),
        ]
    }
}

fn hpa_cond(c: &Cond) -> hpa::HorizontalPodAutoscalerCondition {
    hpa::HorizontalPodAutoscalerCondition {
        type_: c.type_.into(),
        status: c.status.into(),
        reason: Some(c.reason.into()),
        message: Some(c.message.clone()),
        last_transition_time: t(c.transition),
    }
}
