//! How an autoscaler reads: its range, current and desired replicas, kubectl's TARGETS text,
//! and what it will do to a manual scale. The HPA table and the scale action's warning both
//! read it here.

use serde_json::Value;

use super::kind::WorkloadKind;
use super::wire::HpaWire;

/// An autoscaler as another pane shows it beside what it scales (a queue's consumer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scaler {
    pub min: i32,
    pub max: i32,
    pub current: i32,
    pub desired: i32,
}

impl Scaler {
    /// "2..12 4→8", "2..12 at max", "2..12 4" (`arrow`: the symbol set's).
    pub fn describe(&self, arrow: &str) -> String {
        let now = if self.max > 0 && self.desired >= self.max && self.current >= self.max {
            "at max".to_string()
        } else if self.current == self.desired {
            self.current.to_string()
        } else {
            format!("{}{arrow}{}", self.current, self.desired)
        };
        format!("{}..{} {now}", self.min, self.max)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hpa {
    pub namespace: String,
    pub name: String,
    /// The scale target's kind as the API names it ("Deployment").
    pub target_kind: String,
    pub target_name: String,
    /// `spec.minReplicas`, which the API defaults to 1.
    pub min: i32,
    pub max: i32,
    pub current: i32,
    /// What its metrics ask for now; the current count until it has decided.
    pub desired: i32,
    /// "cpu 45%/70%, celery_queue_length 120/50", as kubectl's TARGETS.
    pub targets: String,
}

impl Hpa {
    pub fn from_wire(h: &HpaWire) -> Hpa {
        let current = h.status.current_replicas.unwrap_or(0);
        let targets = h
            .spec
            .metrics
            .iter()
            .enumerate()
            .map(|(i, spec)| {
                let (name, target) = metric_target(spec);
                let now = h
                    .status
                    .current_metrics
                    .get(i)
                    .map(metric_current)
                    .unwrap_or_else(|| "<unknown>".into());
                format!("{name} {now}/{target}")
            })
            .collect::<Vec<_>>()
            .join(", ");
        Hpa {
            namespace: h.metadata.namespace.clone().unwrap_or_default(),
            name: h.metadata.name.clone().unwrap_or_default(),
            target_kind: h.spec.scale_target_ref.kind.clone(),
            target_name: h.spec.scale_target_ref.name.clone(),
            min: h.spec.min_replicas.unwrap_or(1),
            max: h.spec.max_replicas,
            current,
            desired: h.status.desired_replicas.unwrap_or(current),
            targets,
        }
    }

    /// Every HPA in a raw `HorizontalPodAutoscalerList` (what the executor GETs).
    pub fn from_list(list: &Value) -> Vec<Hpa> {
        list["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|item| serde_json::from_value::<HpaWire>(item.clone()).ok())
            .map(|w| Hpa::from_wire(&w))
            .collect()
    }

    pub fn scales(&self, kind: WorkloadKind, name: &str) -> bool {
        self.target_kind == kind.kind() && self.target_name == name
    }

    /// Pinned at max: the autoscaler has no headroom left.
    pub fn at_max(&self) -> bool {
        self.max > 0 && self.current >= self.max
    }

    /// What the autoscaler does to a manual scale to `n` on its next sync.
    pub fn answer_to_scale(&self, n: i32) -> String {
        let what = if n == 0 {
            "with replicas at 0 it stops autoscaling until the workload is scaled up again"
                .to_string()
        } else if n < self.min || n > self.max {
            format!(
                "{n} is outside its range, so it will set replicas back to {} on its next sync (~15 s)",
                n.clamp(self.min, self.max.max(self.min))
            )
        } else {
            format!(
                "it will move replicas from {n} back toward what its metrics ask (now {}) on its next sync (~15 s)",
                self.desired
            )
        };
        format!(
            "HPA {}/{} manages this replica count (min {}, max {}, desired {}): {what}; to hold a size, change the HPA's min/max",
            self.namespace, self.name, self.min, self.max, self.desired
        )
    }
}

/// autoscaling/v2 metric specs are a tagged union; read them as JSON rather than mirror it all.
fn metric_target(spec: &Value) -> (String, String) {
    let kind = spec["type"].as_str().unwrap_or("");
    let body = &spec[lower_first(kind)];
    let name = body["name"]
        .as_str()
        .or(body["metric"]["name"].as_str())
        .unwrap_or(kind)
        .to_string();
    let t = &body["target"];
    let target = if let Some(u) = t["averageUtilization"].as_i64() {
        format!("{u}%")
    } else {
        t["averageValue"]
            .as_str()
            .or(t["value"].as_str())
            .unwrap_or("?")
            .to_string()
    };
    (name, target)
}

fn metric_current(status: &Value) -> String {
    let kind = status["type"].as_str().unwrap_or("");
    let c = &status[lower_first(kind)]["current"];
    if let Some(u) = c["averageUtilization"].as_i64() {
        format!("{u}%")
    } else {
        c["averageValue"]
            .as_str()
            .or(c["value"].as_str())
            .unwrap_or("<unknown>")
            .to_string()
    }
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn list() -> Value {
        json!({"items": [{
            "metadata": {"name": "article-generator", "namespace": "contentgen"},
            "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "article-generator"},
                "minReplicas": 2, "maxReplicas": 12,
                "metrics": [{"type": "External", "external": {"metric": {"name": "celery_queue_length"},
                    "target": {"type": "AverageValue", "averageValue": "50"}}}]},
            "status": {"currentReplicas": 12, "desiredReplicas": 12,
                "currentMetrics": [{"type": "External", "external": {"metric": {"name": "celery_queue_length"},
                    "current": {"averageValue": "120"}}}]}}]})
    }

    #[test]
    fn reads_like_kubectl_and_says_what_it_does_to_a_scale() {
        let hpas = Hpa::from_list(&list());
        let h = &hpas[0];
        assert_eq!(h.targets, "celery_queue_length 120/50");
        assert!(h.scales(WorkloadKind::Deployment, "article-generator"));
        assert!(!h.scales(WorkloadKind::StatefulSet, "article-generator"));
        assert!(h.at_max());
        assert!(h.answer_to_scale(20).contains("set replicas back to 12"));
        assert!(
            h.answer_to_scale(8)
                .contains("toward what its metrics ask (now 12)")
        );
        assert!(h.answer_to_scale(0).contains("stops autoscaling"));
    }
}
