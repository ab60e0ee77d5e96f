//! Feeds the platform's metrics the world's state each tick: API pods by revision, hung
//! workers, the generation switch and the cost-spike prompt loop; then the exporters' gauges
//! and the alerting rules at each scrape.

use std::sync::Arc;

use super::World;
use super::model::Key;
use crate::sim::Scenario;
use crate::sim::metrics::Inputs;

const NS: &str = "contentgen";
/// The cost-spike scenario's prompt loop starts this long after the sim (ms).
const PROMPT_LOOP_AFTER_MS: i64 = 5000;

impl World {
    /// What the metrics need from the world now.
    pub fn metric_inputs(&self) -> Inputs {
        let from = Key {
            ns: Arc::from(NS),
            name: String::new(),
        };
        let mut inputs = Inputs {
            paused: self.pipelines.paused(),
            ..Inputs::default()
        };
        for (_, p) in self.pods.range(from..).take_while(|(k, _)| &*k.ns == NS) {
            if p.app() == "api" && p.ready {
                inputs.api_ready += 1;
                // The bad-rollout revision's image (play.rs) answers 5xx.
                let bad = p
                    .template
                    .spec
                    .iter()
                    .flat_map(|s| &s.containers)
                    .any(|c| c.image.as_deref().is_some_and(|i| i.ends_with("-rc1")));
                inputs.api_bad_ready += u32::from(bad);
            }
        }
        let workers = self.pipeline_workers();
        inputs.workers = workers.len() as u32;
        inputs.hung_workers = workers.iter().filter(|w| w.hung).count() as u32;
        // The loop runs until someone pauses generation (the runbook's fix).
        let since_start = self.now.as_millisecond() - self.started.as_millisecond();
        inputs.prompt_loop = self.scenario == Some(Scenario::CostSpike)
            && since_start >= PROMPT_LOOP_AFTER_MS
            && self.pipelines.pause_windows().is_empty();
        inputs
    }

    /// Integrates the counters; at each scrape, also reports the exporters' gauges and
    /// evaluates the alerting rules over what was just recorded.
    pub(super) fn tick_metrics(&mut self) {
        let inputs = self.metric_inputs();
        if let Some(t_ms) = self.metrics.tick(self.now, &inputs) {
            let gauges = self.exporter_gauges();
            self.metrics.set_gauges(t_ms, gauges);
            self.alerts.evaluate(&self.metrics, self.now);
            self.send_load_alerts();
        }
    }
}
