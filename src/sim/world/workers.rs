//! Feeds the pipeline model the article-generator pods: which run, which hang.

use std::sync::Arc;

use super::World;
use super::model::Key;
use super::pipelines::Worker;

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
}
