//! What the sim's Prometheus and Alertmanager do with alerts: rules evaluated over the sim's
//! series every scrape ([`engine`]), sent to an Alertmanager model with 0.25's semantics
//! ([`store`]) that `crate::sim::alertmanager_api` serves.

pub mod engine;
pub mod matchers;
pub mod rules;
pub mod store;

use jiff::Timestamp;

pub use engine::{Engine, LabelSet};
pub use rules::{Rule, platform_rules, rule_file, write_rule_files};
pub use store::Alertmanager;

use crate::sim::metrics::Metrics;

/// The sim's rule evaluator and the Alertmanager it sends to.
#[derive(Clone, Debug)]
pub struct Alerting {
    pub engine: Engine,
    pub am: Alertmanager,
}

impl Alerting {
    /// The platform's rules (the shipped SLO files' and the platform's own), nothing firing.
    pub fn new(now: Timestamp) -> Alerting {
        Alerting {
            engine: Engine::new(platform_rules()),
            am: Alertmanager::new(now),
        }
    }

    /// One rule evaluation at `now`, its notifications delivered.
    pub fn evaluate(&mut self, m: &Metrics, now: Timestamp) {
        self.engine.evaluate(m, now);
        self.am.receive(self.engine.notifications(now), now);
    }

    /// The names of the alerts firing now (`alertname`, sorted, with repeats).
    pub fn firing(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .engine
            .alerts()
            .filter(|a| a.state == engine::RuleState::Firing)
            .map(|a| a.labels["alertname"].clone())
            .collect();
        names.sort();
        names
    }
}

#[cfg(test)]
mod tests;
