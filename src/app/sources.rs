//! Where every pane's data comes from, wired in one place: which sources exist (from the
//! config, or the demo's sim), the panes they feed, and the tasks that read them. Adding a pane
//! adds its source here.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::actions::probes::{
    InProcessQueues, Probes, TIMEOUT, alertmanagers_of, opencost_of, prometheus_of,
};
use crate::alerts::client::Alertmanager;
use crate::alerts::model::AlertsModel;
use crate::alerts::pane::AlertsPane;
use crate::clients::prometheus::Prometheus;
use crate::cluster::pane::ClusterPane;
use crate::cluster::source::Namespaces;
use crate::config::{BudgetConfig, Config, HealthConfig, QueueConfig, QueueKind};
use crate::core::msg::Msg;
use crate::core::panes::Panes;
use crate::cost::opencost::OpenCost;
use crate::cost::pane::CostPane;
use crate::cost::{CostModel, CostSources};
use crate::health::HealthModel;
use crate::health::pane::HealthPane;
use crate::k8s::context::ContextName;
use crate::queues::QueueMsg;
use crate::queues::pane::QueuePane;
use crate::queues::rabbitmq::spawn_rabbitmq_queues;
use crate::queues::redis::spawn_redis_queues;
use crate::slo::Slo;
use crate::slo::model::SloModel;
use crate::slo::pane::SloPane;

/// How often queues are sampled.
const QUEUE_INTERVAL: Duration = Duration::from_secs(2);
/// How often SLO burn rates are read: fast enough that a page shows within a minute.
const SLO_INTERVAL: Duration = Duration::from_secs(10);
/// How often Alertmanagers are read: a new page shows within seconds.
const ALERT_INTERVAL: Duration = Duration::from_secs(5);
/// How often LLM spend and OpenCost are read (spend moves slowly; OpenCost computes hourly).
const COST_INTERVALS: (Duration, Duration) = (Duration::from_secs(30), Duration::from_secs(60));
/// How often every service's health endpoints are asked.
const HEALTH_INTERVAL: Duration = Duration::from_secs(5);

/// Every source besides Kubernetes. Runbook conditions ask the same set as `Probes` (see
/// `probes`), a type of its own because actions sit below the console; a pane whose source no
/// condition reads only adds its field here.
#[derive(Clone, Default)]
pub struct Feeds {
    /// The queues the pane shows (whichever broker holds them).
    pub queues: Vec<QueueConfig>,
    /// Contexts with queues of their own, when several are watched: shown as
    /// `context/name`.
    pub context_queues: Vec<(String, Vec<QueueConfig>)>,
    /// The demo's Redis-backed queues, read in process.
    pub in_process: Option<InProcessQueues>,
    /// Prometheus: SLO burn rates and LLM counters.
    pub prometheus: Option<Prometheus>,
    pub slos: Vec<Slo>,
    /// Contexts with a Prometheus of their own, when several are watched: the same SLOs read
    /// there, named `context/name`.
    pub context_slos: Vec<(Prometheus, Vec<Slo>)>,
    pub opencost: Option<OpenCost>,
    pub budgets: Option<BudgetConfig>,
    pub alertmanagers: Vec<Alertmanager>,
    /// The runbooks the console can run, by name (alerts offer the ones that match).
    pub runbooks: Vec<String>,
    /// Every service's health endpoints.
    pub health: Vec<HealthConfig>,
}

impl Feeds {
    /// The sources a config names. Bad SLO files stop the start with every error listed
    /// (file:line:col); SLOs without a Prometheus are an error too.
    pub fn from_config(config: &Config, contexts: &[String]) -> Result<Feeds, String> {
        let context_prometheus = config.context_prometheus(contexts);
        let config_queues = config.context_queues(contexts);
        let config = &config.for_contexts(contexts);
        let slos = match &config.slo {
            Some(paths) => crate::slo::load_paths(&paths.paths).map_err(slo_errors)?,
            None => vec![],
        };
        let prometheus = prometheus_of(config)?;
        if prometheus.is_none() && !slos.is_empty() {
            return Err(format!(
                "{} SLOs are configured ([slo] paths) but no [prometheus] url to read them from",
                slos.len()
            ));
        }
        let opencost = opencost_of(config)?;
        let context_slos = slos_in_contexts(&slos, context_prometheus)?;
        Ok(Feeds {
            queues: config.queues.clone(),
            context_queues: config_queues,
            in_process: None,
            prometheus,
            slos,
            context_slos,
            opencost,
            budgets: config.budget.clone(),
            alertmanagers: alertmanagers_of(config)?,
            runbooks: crate::actions::runbook::names(config),
            health: config.health.clone(),
        })
    }

    /// The demo's sources: everything the sim serves, read through the production clients
    /// (its Redis-backed queues in process); the config's budgets, else the platform's plan.
    pub fn from_sim(sim: &crate::sim::SimHandle, config: &Config) -> Result<Feeds, String> {
        let http = |e: crate::clients::prometheus::PromError| e.to_string();
        Ok(Feeds {
            queues: sim.queue_configs(),
            context_queues: vec![],
            in_process: Some(Arc::new(sim.queue_sampler())),
            prometheus: Some(Prometheus::new(&sim.prometheus_url(), None, TIMEOUT).map_err(http)?),
            slos: crate::slo::examples()
                .and_then(|mut slos| {
                    slos.extend(sim.load_slos()?);
                    Ok(slos)
                })
                .map_err(slo_errors)?,
            context_slos: vec![],
            opencost: Some(
                OpenCost::new(&sim.opencost_url(), None, TIMEOUT).map_err(|e| e.to_string())?,
            ),
            budgets: config
                .budget
                .clone()
                .or(Some(BudgetConfig::platform_plan())),
            alertmanagers: sim
                .alertmanager_configs()
                .iter()
                .map(|a| Alertmanager::new(a, TIMEOUT).map_err(|e| e.to_string()))
                .collect::<Result<_, _>>()?,
            runbooks: crate::actions::runbook::names(config),
            health: sim.health_configs(),
        })
    }

    /// The demo's other clusters (`demo --clusters N`): each one's Alertmanager, health
    /// endpoints, RabbitMQ queues and SLOs (on its own Prometheus) beside the first one's.
    pub fn with_other_sims(
        mut self,
        sims: &[(String, &crate::sim::SimHandle)],
    ) -> Result<Feeds, String> {
        let contexts: Vec<crate::config::ContextConfig> = sims
            .iter()
            .map(|(name, sim)| sim.context_config(name, true))
            .collect();
        let names: Vec<String> = contexts.iter().map(|c| c.name.clone()).collect();
        let mut config = Config::default();
        config.kubernetes.contexts = contexts;
        let merged = config.for_contexts(&names);
        for a in &merged.alertmanagers {
            self.alertmanagers
                .push(Alertmanager::new(a, TIMEOUT).map_err(|e| e.to_string())?);
        }
        self.health.extend(merged.health);
        self.context_queues
            .extend(config.context_queues(&names).into_iter().map(|(c, qs)| {
                let network = qs.into_iter().filter(|q| q.kind == QueueKind::Rabbitmq);
                (c, network.collect())
            }));
        let slos = slos_in_contexts(&self.slos, config.context_prometheus(&names))?;
        self.context_slos.extend(slos);
        Ok(self)
    }

    /// Every queue shown: the global ones, then each context's as `context/name`.
    fn shown_queues(&self) -> Vec<QueueConfig> {
        let mut all = self.queues.clone();
        for (context, queues) in &self.context_queues {
            all.extend(queues.iter().map(|q| QueueConfig {
                name: format!("{context}/{}", q.name),
                ..q.clone()
            }));
        }
        all
    }

    /// The global SLOs, then each context's own reading of them.
    fn every_slo(&self) -> Vec<Slo> {
        let mut all = self.slos.clone();
        for (_, slos) in &self.context_slos {
            all.extend(slos.iter().cloned());
        }
        all
    }

    /// What runbook conditions read: the same sources, asked once.
    pub fn probes(&self) -> Probes {
        Probes {
            queues: self.queues.clone(),
            in_process: self.in_process.clone(),
            prometheus: self.prometheus.clone(),
            slos: self.slos.clone(),
            opencost: self.opencost.clone(),
            budgets: self.budgets.clone(),
            alertmanagers: self.alertmanagers.clone(),
            health: self.health.clone(),
        }
    }

    /// Every pane, empty, shaped by what its sources will send.
    pub fn panes(
        &self,
        namespaces: Namespaces,
        contexts: Vec<ContextName>,
        default_namespace: &str,
    ) -> Panes {
        let cost = if self.prometheus.is_none() && self.opencost.is_none() {
            CostModel::default()
        } else {
            let sources = CostSources {
                llm: self.prometheus.is_some(),
                infra: self.opencost.is_some(),
            };
            CostModel::new(self.budgets.as_ref(), sources)
        };
        let prometheus = self.prometheus.as_ref().map(Prometheus::url);
        let queues = QueuePane::new(&self.shown_queues(), default_namespace);
        let mut cluster = ClusterPane::new(namespaces, contexts);
        cluster.queues_of = queues.queues_by_consumer();
        Panes {
            cluster,
            queues,
            slo: SloPane::new(SloModel::new(&self.every_slo())).reading(prometheus),
            cost: CostPane::new(cost)
                .reading(prometheus, self.opencost.as_ref().map(OpenCost::url)),
            alerts: AlertsPane {
                urls: self
                    .alertmanagers
                    .iter()
                    .map(Alertmanager::redacted_url)
                    .collect(),
                ..AlertsPane::new(AlertsModel::new(
                    &self
                        .alertmanagers
                        .iter()
                        .map(|a| a.name().to_string())
                        .collect::<Vec<_>>(),
                    self.runbooks.clone(),
                ))
            },
            health: HealthPane::new(HealthModel::new(&self.health)).reading(&self.health),
            inspect: Default::default(),
            incident: Default::default(),
        }
    }

    /// Starts every source task; they stop with `token`.
    pub fn start(self, tx: &mpsc::Sender<Msg>, token: &CancellationToken) {
        let in_process = self.in_process.is_some();
        if let Some(sample) = self.in_process {
            let (tx, token) = (tx.clone(), token.clone());
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(QUEUE_INTERVAL);
                loop {
                    tokio::select! {
                        _ = token.cancelled() => return,
                        _ = tick.tick() => {
                            if tx.send(Msg::from(QueueMsg::Sampled(sample()))).await.is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        }
        // In the demo the Redis-backed queues are read in process; RabbitMQ's over its API.
        let brokers: Vec<QueueConfig> = self
            .queues
            .into_iter()
            .filter(|q| q.kind == QueueKind::Rabbitmq || !in_process)
            .collect();
        if !brokers.is_empty() {
            spawn_rabbitmq_queues(&brokers, QUEUE_INTERVAL, tx.clone(), token.clone());
            spawn_redis_queues(brokers, QUEUE_INTERVAL, tx.clone(), token.clone());
        }
        for (context, queues) in self.context_queues {
            spawn_context_queues(context, queues, tx, token);
        }
        for (prometheus, slos) in self.context_slos {
            crate::slo::source::spawn_slo_source(
                prometheus,
                slos,
                SLO_INTERVAL,
                tx.clone(),
                token.clone(),
            );
        }
        if let Some(prometheus) = self.prometheus.clone()
            && !self.slos.is_empty()
        {
            crate::slo::source::spawn_slo_source(
                prometheus,
                self.slos,
                SLO_INTERVAL,
                tx.clone(),
                token.clone(),
            );
        }
        crate::alerts::source::spawn_alert_sources(
            self.alertmanagers,
            ALERT_INTERVAL,
            tx.clone(),
            token.clone(),
        );
        crate::health::source::spawn_health_sources(
            self.health,
            HEALTH_INTERVAL,
            TIMEOUT,
            tx.clone(),
            token.clone(),
        );
        crate::cost::source::spawn_cost_sources(
            self.prometheus,
            self.opencost,
            COST_INTERVALS,
            tx.clone(),
            token.clone(),
        );
    }
}

/// The SLOs read again on each context's own Prometheus, named `context/name`.
fn slos_in_contexts(
    slos: &[Slo],
    prometheus: Vec<(String, crate::config::Endpoint)>,
) -> Result<Vec<(Prometheus, Vec<Slo>)>, String> {
    prometheus
        .into_iter()
        .map(|(context, endpoint)| {
            let prom = Prometheus::new(&endpoint.url, endpoint.token_env.as_deref(), TIMEOUT)
                .map_err(|e| e.to_string())?;
            let named = slos
                .iter()
                .map(|s| Slo {
                    name: format!("{context}/{}", s.name),
                    ..s.clone()
                })
                .collect();
            Ok((prom, named))
        })
        .collect()
}

/// A context's own queues: read by their names on their brokers, each message renamed to
/// `context/name` on its way to the console.
fn spawn_context_queues(
    context: String,
    queues: Vec<QueueConfig>,
    tx: &mpsc::Sender<Msg>,
    token: &CancellationToken,
) {
    let (inner_tx, mut inner_rx) = mpsc::channel::<QueueMsg>(64);
    spawn_rabbitmq_queues(&queues, QUEUE_INTERVAL, inner_tx.clone(), token.clone());
    spawn_redis_queues(queues, QUEUE_INTERVAL, inner_tx, token.clone());
    let tx = tx.clone();
    tokio::spawn(async move {
        while let Some(msg) = inner_rx.recv().await {
            if tx.send(Msg::from(msg.prefixed(&context))).await.is_err() {
                return;
            }
        }
    });
}

fn slo_errors(errors: Vec<crate::slo::SloFileError>) -> String {
    let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
    format!("bad SLO files:\n{}", lines.join("\n"))
}
