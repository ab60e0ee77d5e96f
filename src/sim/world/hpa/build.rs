//! The platform's autoscalers as the sim starts them.

use std::sync::Arc;

use super::STEADY_QUEUE_PER_POD;
use crate::sim::util::ago;
use crate::sim::world::World;
use crate::sim::world::model::{HpaM, HpaMetric, Key, Labels};

impl World {
    /// The platform's three autoscalers, settled: 20 days old, last scaled 3 hours ago.
    pub(in crate::sim::world) fn add_hpas(&mut self, ns: &Arc<str>, factor: f64) {
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
