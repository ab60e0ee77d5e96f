//! `kubectl describe hpa` (autoscaling/v2): each metric's current value against its target,
//! the replica bounds, the scaling behaviour and the conditions.

use k8s_openapi::api::autoscaling::v2::{
    HPAScalingRules, HorizontalPodAutoscaler, MetricStatus, MetricTarget,
};
use k8s_openapi::api::core::v1::Event;

use super::common::{annotations, created, events, labels, name_and_namespace};
use super::out::Out;

pub fn describe(
    hpa: &HorizontalPodAutoscaler,
    evs: &super::Listed<Event>,
    now: i64,
) -> Vec<String> {
    let mut out = Out::default();
    let meta = &hpa.metadata;
    let spec = hpa.spec.clone().unwrap_or_default();
    let status = hpa.status.clone().unwrap_or_default();
    name_and_namespace(&mut out, meta);
    labels(&mut out, "", "Labels", meta.labels.as_ref());
    annotations(&mut out, "Annotations", meta.annotations.as_ref());
    created(&mut out, meta);
    let target = &spec.scale_target_ref;
    out.field(0, "Reference", format!("{}/{}", target.kind, target.name));
    out.line(0, "Metrics:\t( current / target )");
    let current = status.current_metrics.clone().unwrap_or_default();
    for (i, m) in spec.metrics.iter().flatten().enumerate() {
        metric(&mut out, m, current.get(i));
    }
    out.field(
        0,
        "Min replicas",
        spec.min_replicas
            .map_or("<unset>".into(), |m| m.to_string()),
    );
    out.field(0, "Max replicas", spec.max_replicas);
    if let Some(b) = &spec.behavior {
        out.line(0, "Behavior:");
        direction(&mut out, "Scale Up", b.scale_up.as_ref());
        direction(&mut out, "Scale Down", b.scale_down.as_ref());
    }
    out.field(
        0,
        &format!("{} pods", target.kind),
        format!(
            "{} current / {} desired",
            status.current_replicas.unwrap_or(0),
            status.desired_replicas
        ),
    );
    let conditions = status.conditions.clone().unwrap_or_default();
    if !conditions.is_empty() {
        out.line(0, "Conditions:");
        out.line(1, "Type\tStatus\tReason\tMessage");
        out.line(1, "----\t------\t------\t-------");
        for c in &conditions {
            out.line(
                1,
                &format!(
                    "{}\t{}\t{}\t{}",
                    c.type_,
                    c.status,
                    c.reason.clone().unwrap_or_default(),
                    c.message.clone().unwrap_or_default()
                ),
            );
        }
    }
    events(&mut out, evs, now);
    out.finish()
}

fn q(v: Option<&k8s_openapi::apimachinery::pkg::api::resource::Quantity>) -> String {
    v.map_or_else(|| "<unknown>".into(), |q| q.0.clone())
}

fn unknown() -> String {
    "<unknown>".into()
}

fn metric(
    out: &mut Out,
    m: &k8s_openapi::api::autoscaling::v2::MetricSpec,
    now: Option<&MetricStatus>,
) {
    let avg_or_value = |t: &MetricTarget| t.average_value.is_some();
    match m.type_.as_str() {
        "External" => {
            let Some(e) = &m.external else { return };
            let cur = now.and_then(|s| s.external.as_ref()).map(|s| &s.current);
            if avg_or_value(&e.target) {
                let current = cur.map_or_else(unknown, |c| q(c.average_value.as_ref()));
                out.line(
                    1,
                    &format!(
                        "{:?} (target average value):\t{current} / {}",
                        e.metric.name,
                        q(e.target.average_value.as_ref())
                    ),
                );
            } else {
                let current = cur.map_or_else(unknown, |c| q(c.value.as_ref()));
                out.line(
                    1,
                    &format!(
                        "{:?} (target value):\t{current} / {}",
                        e.metric.name,
                        q(e.target.value.as_ref())
                    ),
                );
            }
        }
        "Pods" => {
            let Some(p) = &m.pods else { return };
            let current = now
                .and_then(|s| s.pods.as_ref())
                .map_or_else(unknown, |s| q(s.current.average_value.as_ref()));
            out.line(
                1,
                &format!(
                    "{:?} on pods:\t{current} / {}",
                    p.metric.name,
                    q(p.target.average_value.as_ref())
                ),
            );
        }
        "Object" => {
            let Some(o) = &m.object else { return };
            out.write(
                1,
                &format!(
                    "\"{}\" on {}/{} ",
                    o.metric.name, o.described_object.kind, o.described_object.name
                ),
            );
            let cur = now.and_then(|s| s.object.as_ref()).map(|s| &s.current);
            if o.target.type_ == "AverageValue" {
                let current = cur.map_or_else(unknown, |c| q(c.average_value.as_ref()));
                out.line(
                    0,
                    &format!(
                        "(target average value):\t{current} / {}",
                        q(o.target.average_value.as_ref())
                    ),
                );
            } else {
                let current = cur.map_or_else(unknown, |c| q(c.value.as_ref()));
                out.line(
                    0,
                    &format!(
                        "(target value):\t{current} / {}",
                        q(o.target.value.as_ref())
                    ),
                );
            }
        }
        "Resource" | "ContainerResource" => {
            let (name, target, container) = match (&m.resource, &m.container_resource) {
                (Some(r), _) => (&r.name, &r.target, None),
                (None, Some(c)) => (&c.name, &c.target, Some(&c.container)),
                _ => return,
            };
            let cur = now.and_then(|s| {
                s.resource
                    .as_ref()
                    .map(|r| &r.current)
                    .or(s.container_resource.as_ref().map(|c| &c.current))
            });
            match container {
                Some(c) => out.write(1, &format!("resource {name} of container \"{c}\" on pods")),
                None => out.write(1, &format!("resource {name} on pods")),
            }
            if let Some(avg) = &target.average_value {
                let current = cur.map_or_else(unknown, |c| q(c.average_value.as_ref()));
                out.line(0, &format!(":\t{current} / {}", avg.0));
            } else {
                let current = cur
                    .and_then(|c| {
                        c.average_utilization
                            .map(|u| format!("{u}% ({})", q(c.average_value.as_ref())))
                    })
                    .unwrap_or_else(unknown);
                let target = target
                    .average_utilization
                    .map_or("<auto>".into(), |u| format!("{u}%"));
                out.line(
                    1,
                    &format!("(as a percentage of request):\t{current} / {target}"),
                );
            }
        }
        other => out.line(1, &format!("<unknown metric type {other:?}>")),
    }
}

fn direction(out: &mut Out, title: &str, rules: Option<&HPAScalingRules>) {
    let Some(r) = rules else { return };
    out.line(1, &format!("{title}:"));
    if let Some(w) = r.stabilization_window_seconds {
        out.line(2, &format!("Stabilization Window: {w} seconds"));
    }
    let policies = r.policies.clone().unwrap_or_default();
    if !policies.is_empty() {
        out.line(
            2,
            &format!(
                "Select Policy: {}",
                r.select_policy.clone().unwrap_or_else(|| "Max".into())
            ),
        );
        out.line(2, "Policies:");
        for p in &policies {
            out.line(
                3,
                &format!(
                    "- Type: {}\tValue: {}\tPeriod: {} seconds",
                    p.type_, p.value, p.period_seconds
                ),
            );
        }
    }
}
