//! What runbook conditions read besides Kubernetes and the platform API: queue depth from the
//! configured brokers (or the demo's in-process queues), SLO states from Prometheus and a
//! service's readiness endpoint. The same clients the panes use, asked once.

use std::sync::Arc;
use std::time::Duration;

use super::error::ActionError;
use crate::alerts::client::Alertmanager;
use crate::alerts::model::{AlertMsg, AlertsModel};
use crate::clients::prometheus::Prometheus;
use crate::config::{BudgetConfig, Config, HealthConfig, QueueConfig, QueueKind};
use crate::cost::model::{Budget, CostModel, CostMsg};
use crate::cost::opencost::OpenCost;
use crate::health::Probe;
use crate::queues::QueueSample;
use crate::slo::Slo;
use crate::slo::math::{AlertState, evaluate, windows_for};
use crate::slo::source::SloSource;

/// Reads the demo's in-process queues.
pub type InProcessQueues = Arc<dyn Fn() -> Vec<QueueSample> + Send + Sync>;

#[derive(Clone, Default)]
pub struct Probes {
    pub queues: Vec<QueueConfig>,
    pub in_process: Option<InProcessQueues>,
    pub prometheus: Option<Prometheus>,
    pub slos: Vec<Slo>,
    pub opencost: Option<OpenCost>,
    pub budgets: Option<BudgetConfig>,
    pub alertmanagers: Vec<Alertmanager>,
    pub health: Vec<HealthConfig>,
}

/// Every Alertmanager the config names, in config order.
pub fn alertmanagers_of(config: &Config) -> Result<Vec<Alertmanager>, String> {
    config
        .alertmanagers
        .iter()
        .map(|a| Alertmanager::new(a, TIMEOUT).map_err(|e| e.to_string()))
        .collect()
}

/// How long one request to a source may take before it counts as not answering (the
/// console's panes use the same).
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// The config's Prometheus client, if it names one.
pub fn prometheus_of(config: &Config) -> Result<Option<Prometheus>, String> {
    config
        .prometheus
        .as_ref()
        .map(|p| {
            Prometheus::new(&p.url, p.token_env.as_deref(), TIMEOUT).map_err(|e| e.to_string())
        })
        .transpose()
}

/// The config's OpenCost client, if it names one.
pub fn opencost_of(config: &Config) -> Result<Option<OpenCost>, String> {
    config
        .opencost
        .as_ref()
        .map(|o| OpenCost::new(&o.url, o.token_env.as_deref(), TIMEOUT).map_err(|e| e.to_string()))
        .transpose()
}

/// A source that did not answer: retrying may help.
fn unavailable(e: impl ToString) -> ActionError {
    ActionError::Api(e.to_string())
}

impl Probes {
    /// The sources a config names, best effort (headless `run`): a source that cannot be built
    /// is left out, and a condition naming it says so when it runs.
    pub fn from_config(config: &Config) -> Probes {
        Probes {
            queues: config.queues.clone(),
            in_process: None,
            prometheus: prometheus_of(config).ok().flatten(),
            slos: config
                .slo
                .as_ref()
                .and_then(|s| crate::slo::load_paths(&s.paths).ok())
                .unwrap_or_default(),
            opencost: opencost_of(config).ok().flatten(),
            budgets: config.budget.clone(),
            alertmanagers: config
                .alertmanagers
                .iter()
                .filter_map(|a| Alertmanager::new(a, TIMEOUT).ok())
                .collect(),
            health: config.health.clone(),
        }
    }

    /// The service's readiness endpoint, asked once as the health pane asks it.
    pub async fn readiness(&self, service: &str) -> Result<Probe, ActionError> {
        let h = self.health_entry(service)?;
        let http = crate::clients::http::client(TIMEOUT).map_err(unavailable)?;
        Ok(crate::health::source::probe(&http, &h.url).await)
    }

    /// Every Alertmanager's alerts and silences, read once and merged as the pane merges
    /// them; with the instances that did not answer, and why.
    pub async fn alerts(&self) -> Result<(AlertsModel, Vec<String>), ActionError> {
        self.any_alertmanager()?;
        let names: Vec<String> = self
            .alertmanagers
            .iter()
            .map(|a| a.name().to_string())
            .collect();
        let mut model = AlertsModel::new(&names, vec![]);
        let reads = futures::future::join_all(
            self.alertmanagers
                .iter()
                .enumerate()
                .map(|(i, am)| crate::alerts::source::read(am, i)),
        )
        .await;
        let mut failed = vec![];
        for (i, read) in reads.into_iter().enumerate() {
            match read {
                Ok(msg) => model.apply(msg, 0),
                Err(reason) => {
                    failed.push(format!("{}: {reason}", names[i]));
                    let msg = AlertMsg::Failed {
                        instance: i,
                        reason,
                        retry_in: None,
                    };
                    model.apply(msg, 0);
                }
            }
        }
        if failed.len() == names.len() {
            return Err(ActionError::Api(format!(
                "no Alertmanager answered ({})",
                failed.join("; ")
            )));
        }
        Ok((model, failed))
    }

    /// The queue's current reading, from wherever the console reads it.
    pub async fn queue(&self, name: &str) -> Result<QueueSample, ActionError> {
        if let Some(sample) = self.in_process_queue(name) {
            return Ok(sample);
        }
        let q = self.queue_entry(name)?;
        let now = crate::status::now_ms();
        let one = std::slice::from_ref(q);
        let samples = match q.kind {
            QueueKind::Rabbitmq => {
                let vhost = q.vhost.as_deref().unwrap_or("/");
                let broker =
                    crate::queues::rabbitmq::Broker::new(&q.url, q.password_env.as_deref(), vhost)
                        .map_err(unavailable)?;
                let http = crate::clients::http::client(TIMEOUT).map_err(unavailable)?;
                broker
                    .sample_once(&http, std::slice::from_ref(&q.name), now)
                    .await
                    .map_err(unavailable)?
                    .samples
            }
            _ => {
                let mut conn =
                    crate::queues::redis::connect(&q.url, q.password_env.as_deref(), TIMEOUT)
                        .await
                        .map_err(unavailable)?;
                crate::queues::redis::sample_once(&mut conn, one, now)
                    .await
                    .map_err(unavailable)?
                    .samples
            }
        };
        samples
            .into_iter()
            .next()
            .ok_or_else(|| ActionError::Api(format!("the broker has no queue {name:?}")))
    }

    /// The SLO's alert state now, and its burn over the fastest page row's long window.
    pub async fn slo(&self, name: &str) -> Result<(AlertState, Option<f64>), ActionError> {
        let (prom, slo) = self.slo_entry(name)?;
        let mut source = SloSource::new(prom.clone(), vec![slo.clone()], TIMEOUT);
        let readings = source.refresh().await.map_err(unavailable)?;
        let ratios = readings
            .first()
            .map(|r| r.ratios.clone())
            .unwrap_or_default();
        let windows = windows_for(slo.period);
        let eval = evaluate(slo.objective, &windows, &ratios);
        let burn = windows
            .first()
            .and_then(|w| ratios.get(&w.long))
            .map(|r| r / (1.0 - slo.objective));
        Ok((eval.state, burn))
    }

    /// The SLOs of a service (an SLO's `service` is usually the workload serving it).
    pub fn slos_of(&self, service: &str) -> Vec<&Slo> {
        self.slos.iter().filter(|s| s.service == service).collect()
    }

    /// An SLO's burn over its shortest window (5m for a 30-day SLO) and its alert state.
    pub async fn short_burn(&self, slo: &Slo) -> Result<(AlertState, Option<f64>), ActionError> {
        let prom = self.prometheus_entry()?;
        let mut source = SloSource::new(prom.clone(), vec![slo.clone()], TIMEOUT);
        let readings = source.refresh().await.map_err(unavailable)?;
        let ratios = readings
            .first()
            .map(|r| r.ratios.clone())
            .unwrap_or_default();
        let eval = evaluate(slo.objective, &windows_for(slo.period), &ratios);
        let burn = ratios.iter().next().map(|(_, r)| r / (1.0 - slo.objective));
        Ok((eval.state, burn))
    }

    /// A budget's state now, read as the cost pane reads it (LLM counters, and OpenCost for
    /// the infrastructure budget).
    pub async fn budget(&self, key: &str) -> Result<Budget, ActionError> {
        let mut model = self.budget_model(key)?;
        let at_ms = crate::status::now_ms();
        if let Some(prom) = &self.prometheus {
            let reading = crate::cost::source::read_llm(prom, at_ms)
                .await
                .map_err(unavailable)?;
            let msg = CostMsg::Llm {
                at_ms,
                reading: Box::new(reading),
            };
            model.apply(&msg, at_ms);
        }
        if key == "infra/month"
            && let Some(opencost) = &self.opencost
        {
            let reading = opencost.read().await.map_err(unavailable)?;
            model.apply(&CostMsg::Infra { at_ms, reading }, at_ms);
        }
        model
            .budgets()
            .iter()
            .find(|b| b.key() == key)
            .cloned()
            .ok_or_else(|| ActionError::Invalid(format!("no budget {key:?}")))
    }
}

/// What the config names, looked up without asking anything (see
/// `Condition::names_what_it_reads`): a source the config lacks cannot appear by waiting.
impl Probes {
    pub fn in_process_queue(&self, name: &str) -> Option<QueueSample> {
        let read = self.in_process.as_ref()?;
        read().into_iter().find(|s| s.name == name)
    }

    pub fn queue_entry(&self, name: &str) -> Result<&QueueConfig, ActionError> {
        self.queues.iter().find(|q| q.name == name).ok_or_else(|| {
            let names = self.queues.iter().map(|q| q.name.as_str());
            ActionError::Invalid(format!(
                "no queue {name:?} in the config (known: {})",
                known(names)
            ))
        })
    }

    pub fn health_entry(&self, service: &str) -> Result<&HealthConfig, ActionError> {
        self.health
            .iter()
            .find(|h| h.name == service)
            .ok_or_else(|| {
                let names = self.health.iter().map(|h| h.name.as_str());
                ActionError::Invalid(format!(
                    "no [[health]] entry named {service:?} in the config (known: {})",
                    known(names)
                ))
            })
    }

    pub fn any_alertmanager(&self) -> Result<(), ActionError> {
        if self.alertmanagers.is_empty() {
            return Err(ActionError::Invalid(
                "no [[alertmanager]] in the config".into(),
            ));
        }
        Ok(())
    }

    pub fn prometheus_entry(&self) -> Result<&Prometheus, ActionError> {
        self.prometheus
            .as_ref()
            .ok_or_else(|| ActionError::Invalid("no [prometheus] url in the config".into()))
    }

    pub fn slo_entry(&self, name: &str) -> Result<(&Prometheus, &Slo), ActionError> {
        let prom = self.prometheus_entry()?;
        let slo = (self.slos.iter())
            .find(|s| s.name == name || s.key() == name)
            .ok_or_else(|| {
                let names = self.slos.iter().map(|s| s.name.as_str());
                ActionError::Invalid(format!("no SLO {name:?} (known: {})", known(names)))
            })?;
        Ok((prom, slo))
    }

    /// The cost model a budget is read into, once the config names that budget.
    pub fn budget_model(&self, key: &str) -> Result<CostModel, ActionError> {
        let Some(config) = &self.budgets else {
            return Err(ActionError::Invalid("no [budget] in the config".into()));
        };
        let sources = crate::cost::CostSources {
            llm: self.prometheus.is_some(),
            infra: self.opencost.is_some(),
        };
        let model = CostModel::new(Some(config), sources);
        let keys: Vec<String> = model.budgets().iter().map(Budget::key).collect();
        if !keys.iter().any(|k| k == key) {
            return Err(ActionError::Invalid(format!(
                "no budget {key:?} (known: {})",
                known(keys.iter().map(String::as_str))
            )));
        }
        Ok(model)
    }
}

/// The names a config has, for an error naming one it lacks.
fn known<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.collect();
    if names.is_empty() {
        return "none".into();
    }
    names.join(", ")
}
