//! Feeds the pipeline model the article-generator pods: which run, which hang.

use std::collections::HashMap;
use std::sync::Arc;

use super::World;
use super::model::Key;
use super::pipelines::Worker;
use super::play::{BACKLOG_SPIKE_PER_SEC, BACKLOG_STARTS_MS};

const NS: &str = "contentgen";
const APP: &str = "article-generator";

impl World {
    /// Running article-generator pods in `contentgen`, hung ones marked.
    pub fn pipeline_workers(&self) -> Vec<Worker> {
        let from = Key {
            ns: Arc::from(NS),
            name: String::new(),
        };
        self.pods
            .range(from..)
            .take_while(|(k, _)| &*k.ns == NS)
            .filter(|(_, p)| p.app() == APP && p.started.is_some() && !p.node_lost)
            .map(|(k, p)| Worker {
                name: k.name.clone(),
                hung: p.stuck_since.is_some(),
            })
            .collect()
    }

    pub(super) fn tick_pipelines(&mut self) {
        let workers = self.pipeline_workers();
        self.pipelines.tick(self.now, &workers);
    }

    /// Queues drain by their consumers' ready pods; a hung pod holds messages unacked.
    pub(super) fn tick_queues(&mut self, previous: jiff::Timestamp) {
        let dt_secs =
            (self.now.as_millisecond() - previous.as_millisecond()).max(0) as f64 / 1000.0;
        let since_start = self.now.as_millisecond() - self.started.as_millisecond();
        let spike = if self.scenario == Some(crate::sim::Scenario::QueueBacklog)
            && since_start > BACKLOG_STARTS_MS
        {
            BACKLOG_SPIKE_PER_SEC
        } else {
            0.0
        };
        let drive = super::queues::Drive {
            dt_secs,
            now_ms: self.now.as_millisecond(),
            spike,
            generation_paused: self.pipelines.paused(),
        };
        let from = Key {
            ns: Arc::from(NS),
            name: String::new(),
        };
        // (ready, hung) pods per app, counted once: many queues share a consumer (the load's).
        let mut workers: HashMap<&str, (u32, u32)> = HashMap::new();
        for (_, p) in self.pods.range(from..).take_while(|(k, _)| &*k.ns == NS) {
            if p.ready {
                let (r, h) = workers.entry(p.app()).or_default();
                *r += 1;
                *h += u32::from(p.stuck_since.is_some());
            }
        }
        self.queues.tick(drive, |consumer| {
            let app = consumer.rsplit('/').next().unwrap_or(consumer);
            workers.get(app).copied().unwrap_or_default()
        });
    }
}
