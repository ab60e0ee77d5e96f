//! The effect runner: turns what `update` asks for into tasks (log follows, watches, executor
//! calls, runbook files, condition checks) whose results come back as messages.

use std::path::Path;
use std::sync::Arc;

use std::collections::HashMap;
use std::sync::OnceLock;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::fleet::Fleet;
use super::session::ExecutorFactory;
use crate::actions::ActionError;
use crate::actions::cli::find_runbook;
use crate::actions::executor::Executor;
use crate::actions::runbook::Runbook;
use crate::actions::runbook::headless::evaluate;
use crate::actions::runbook::preflight::unreadable_steps;
use crate::cluster::logs::{LogEvent, LogMsg, spawn_log_follow};
use crate::config::Config;
use crate::core::msg::{Effect, Msg};
use crate::k8s::context::ContextName;
use std::time::Duration;

use crate::clients::prometheus::Prometheus;
use crate::incident::axis::{self, AxisRequest};
use crate::incident::impact;
use crate::incident::pane::IncidentMsg;
use crate::incident::share::{Share, ShareError, SharedMsg};
use crate::incident::{Entry, Kind, Store};
use crate::inspect::source::{InspectMsg, spawn_inspect};

/// The tasks that feed State, and how to stop them.
pub struct Runner {
    /// Every context's client and watches.
    fleet: Fleet,
    tx: mpsc::Sender<Msg>,
    logs: Option<CancellationToken>,
    /// Makes a context's executor, the one path for its mutations.
    make_executor: ExecutorFactory,
    /// Each context's executor, made when first needed; Err when it could not be set up (the
    /// reason is shown when an action is asked for).
    executors: HashMap<ContextName, Result<Arc<Executor>, String>>,
    /// For the runbook folders.
    config: Config,
    /// Where incidents are recorded (None: no audit log path, so nowhere).
    incidents: Option<Store>,
    /// The cluster's side of incidents (ConfigMaps every console watches), in the first
    /// context, once it is connected.
    share: Arc<OnceLock<Share>>,
    incidents_watch: CancellationToken,
}

impl Runner {
    pub fn start(
        fleet: Fleet,
        tx: mpsc::Sender<Msg>,
        make_executor: ExecutorFactory,
        config: Config,
        incidents: Option<Store>,
        incident_namespace: &str,
    ) -> Self {
        // Every console watches the incidents shared in its first context, once it answers.
        let share = Arc::new(OnceLock::new());
        let incidents_watch = CancellationToken::new();
        {
            let (fleet, share, tx) = (fleet.clone(), share.clone(), tx.clone());
            let (cancel, namespace) = (incidents_watch.clone(), incident_namespace.to_string());
            tokio::spawn(async move {
                let client = loop {
                    if let Ok(c) = fleet.client("") {
                        break c;
                    }
                    tokio::select! {
                        _ = cancel.cancelled() => return,
                        _ = tokio::time::sleep(Duration::from_millis(200)) => {}
                    }
                };
                let shared: &Share = share.get_or_init(|| Share::new(client, &namespace));
                let watcher = shared.clone().watch(tx);
                cancel.cancelled().await;
                watcher.abort();
            });
        }
        Runner {
            fleet,
            tx,
            logs: None,
            make_executor,
            executors: HashMap::new(),
            config,
            incidents,
            share,
            incidents_watch,
        }
    }

    /// The executor of `context` ("": the first), made once its client exists.
    fn executor(&mut self, context: &str) -> Result<Arc<Executor>, String> {
        let name = if context.is_empty() {
            self.fleet.first().clone()
        } else {
            ContextName::new(context)
        };
        if let Some(made) = self.executors.get(&name) {
            return made.clone();
        }
        let client = self.fleet.client(&name)?;
        let made = (self.make_executor)(&name, client);
        self.executors.insert(name, made.clone());
        made
    }

    /// Returns false when the app should quit.
    pub fn run(&mut self, effect: Effect) -> bool {
        match effect {
            Effect::Quit => return false,
            Effect::StopLogs => {
                if let Some(t) = self.logs.take() {
                    t.cancel();
                }
            }
            Effect::FollowLogs { target, session } => match self
                .fleet
                .follow_client(&target.context)
            {
                Ok(client) => {
                    let token = CancellationToken::new();
                    spawn_log_follow(client, target, session, self.tx.clone(), token.clone());
                    self.logs = Some(token);
                }
                Err(reason) => {
                    let event = LogEvent::Failed {
                        reason,
                        retry_in: Duration::from_secs(0),
                    };
                    let tx = self.tx.clone();
                    tokio::spawn(async move { tx.send(LogMsg { session, event }.into()).await });
                }
            },
            Effect::RecordIncident { id, entries, share } => self.record(id, entries, share),
            Effect::ExportIncident { id, markdown } => self.export(id, markdown),
            Effect::FetchAxis(request) => self.fetch_axis(request),
            Effect::MeasureImpact {
                id,
                start,
                end,
                measured,
            } => self.measure_impact(id, (start, end), measured),
            Effect::Inspect { object, session } => match self.fleet.client(&object.context) {
                Ok(client) => spawn_inspect(client, object, session, self.tx.clone()),
                Err(reason) => {
                    let tx = self.tx.clone();
                    let msg = InspectMsg {
                        session,
                        result: Err(reason),
                    };
                    tokio::spawn(async move { tx.send(msg.into()).await });
                }
            },
            Effect::Rewatch(namespaces) => self.fleet.rewatch(&namespaces, &self.tx),
            Effect::WatchContexts(names) => self.fleet.add(&names, &self.tx),
            Effect::PlanAction { request, context } => {
                let refused = |e| Msg::ActionPlanned(Err(e));
                self.with_executor(&context, refused, |executor, tx| async move {
                    let plan = executor.plan(&request).await.map(Box::new);
                    let _ = tx.send(Msg::ActionPlanned(plan)).await;
                });
            }
            Effect::ExecuteAction { plan, confirmation } => {
                let refused = |e| Msg::ActionFinished(Err(e));
                let context = plan.context.clone();
                self.with_executor(&context, refused, |executor, tx| async move {
                    let (ptx, mut prx) = mpsc::channel(64);
                    let forward = {
                        let tx = tx.clone();
                        tokio::spawn(async move {
                            while let Some(p) = prx.recv().await {
                                let _ = tx.send(Msg::ActionProgressed(p)).await;
                            }
                        })
                    };
                    let result = executor.execute(&plan, &confirmation, &ptx).await;
                    drop(ptx);
                    let _ = forward.await;
                    let _ = tx.send(Msg::ActionFinished(result)).await;
                });
            }
            Effect::LoadRunbook { name, params } => {
                let loaded = find_runbook(Path::new(&name), &self.config)
                    .and_then(|path| Runbook::load(&path).map_err(|e| e.to_string()))
                    .map(|r| (Box::new(r), params));
                let unreadable = match (&loaded, self.executor("")) {
                    (Ok((runbook, params)), Ok(ex)) => {
                        unreadable_steps(runbook, params, ex.probes())
                    }
                    _ => vec![],
                };
                let tx = self.tx.clone();
                tokio::spawn(async move {
                    let _ = tx.send(Msg::RunbookLoaded(loaded)).await;
                    if !unreadable.is_empty() {
                        let _ = tx.send(Msg::RunbookUnreadable(unreadable)).await;
                    }
                });
            }
            Effect::EvaluateCondition {
                condition,
                namespace,
                wait,
                context,
            } => {
                let tx = self.tx.clone();
                let executor = self.executor(&context);
                tokio::spawn(async move {
                    let result = match executor {
                        Ok(ex) => evaluate(&condition, &namespace, wait, &ex).await,
                        Err(why) => Err(format!("conditions are unavailable: {why}")),
                    };
                    let _ = tx.send(Msg::ConditionEvaluated(result)).await;
                });
            }
        }
        true
    }

    /// Runs `job` as a task with the executor of `context`; without one, `refused` says why.
    fn with_executor<F, Fut>(&mut self, context: &str, refused: fn(ActionError) -> Msg, job: F)
    where
        F: FnOnce(Arc<Executor>, mpsc::Sender<Msg>) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let tx = self.tx.clone();
        match self.executor(context) {
            Ok(e) => {
                tokio::spawn(job(e, tx));
            }
            Err(why) => {
                let err = ActionError::Invalid(format!("actions are unavailable: {why}"));
                tokio::spawn(async move { tx.send(refused(err)).await });
            }
        }
    }

    /// Appends and fsyncs each entry off the UI thread, then (`share`) appends them to the
    /// incident's ConfigMaps; a failure is said in the view.
    fn record(&self, id: String, mut entries: Vec<Entry>, share: bool) {
        if let Some(store) = &self.incidents {
            store.stamp(&mut entries);
        }
        let tx = self.tx.clone();
        let store = self.incidents.clone();
        let cluster = share.then(|| self.share.clone());
        tokio::spawn(async move {
            let local = {
                let (id, entries) = (id.clone(), entries.clone());
                tokio::task::spawn_blocking(move || match &store {
                    None => Some("no incident record: pass --audit-log PATH".to_string()),
                    Some(store) => entries.iter().find_map(|e| store.append(&id, e).err()),
                })
                .await
                .unwrap_or_else(|e| Some(e.to_string()))
            };
            if let Some(why) = local {
                let _ = tx.send(IncidentMsg::Failed(why).into()).await;
            }
            if let Some(cluster) = cluster {
                let Some(cluster) = shared(&cluster).await else {
                    let reason = "not shared: the cluster did not answer in 30 s".to_string();
                    let _ = tx.send(SharedMsg::Failed { reason }.into()).await;
                    return;
                };
                let said = match cluster.append(&id, &entries).await {
                    Ok(()) => return,
                    Err(ShareError::Forbidden(why)) => {
                        format!("local only (configmaps forbidden: {why})")
                    }
                    Err(e) => format!("not shared: {e}"),
                };
                let _ = tx.send(SharedMsg::Failed { reason: said }.into()).await;
            }
        });
    }

    /// Adds the failed requests of the incident's span from Prometheus to what the console
    /// measured, and records the impact entry.
    fn measure_impact(
        &self,
        id: String,
        (start, end): (i64, i64),
        mut measured: serde_json::Value,
    ) {
        let tx = self.tx.clone();
        let store = self.incidents.clone();
        let prom = self.prometheus();
        tokio::spawn(async move {
            measured["failed_requests"] = match prom {
                Some(Ok(prom)) => impact::failed_requests(&prom, start, end).await.into(),
                Some(Err(why)) => format!("not measured: {why}").into(),
                None => "not measured: no [prometheus] url configured".into(),
            };
            let entry =
                Entry::new(Kind::Impact, end, "prometheus", "impact at resolution").with(measured);
            if let Some(store) = &store
                && let Err(why) = store.append(&id, &entry)
            {
                let _ = tx.send(IncidentMsg::Failed(why).into()).await;
            }
            let _ = tx.send(IncidentMsg::Impact(Box::new(entry)).into()).await;
        });
    }

    fn prometheus(&self) -> Option<Result<Prometheus, String>> {
        self.config.prometheus.as_ref().map(|p| {
            Prometheus::new(&p.url, p.token_env.as_deref(), Duration::from_secs(10))
                .map_err(|e| e.to_string())
        })
    }

    /// Reads the time axis's three panels from the configured Prometheus.
    fn fetch_axis(&self, request: AxisRequest) {
        let tx = self.tx.clone();
        let prom = self.prometheus();
        tokio::spawn(async move {
            let msg = match prom {
                None => IncidentMsg::AxisFailed("no [prometheus] url configured".into()),
                Some(Err(why)) => IncidentMsg::AxisFailed(why),
                Some(Ok(prom)) => IncidentMsg::Axis(Box::new(axis::fetch(&prom, &request).await)),
            };
            let _ = tx.send(msg.into()).await;
        });
    }

    /// Writes the postmortem draft beside the incident's record.
    fn export(&self, id: String, markdown: String) {
        let tx = self.tx.clone();
        let store = self.incidents.clone();
        tokio::task::spawn_blocking(move || {
            let msg = match &store {
                None => IncidentMsg::Failed("no incident record: pass --audit-log PATH".into()),
                Some(store) => {
                    let path = store.dir().join(format!("{id}-postmortem.md"));
                    match std::fs::write(&path, markdown) {
                        Ok(()) => IncidentMsg::Exported(path.display().to_string()),
                        Err(e) => IncidentMsg::Failed(format!("{}: {e}", path.display())),
                    }
                }
            };
            let _ = tx.blocking_send(msg.into());
        });
    }

    pub fn stop(&mut self) {
        self.fleet.stop();
        self.incidents_watch.cancel();
        if let Some(t) = self.logs.take() {
            t.cancel();
        }
    }
}

/// The incidents' ConfigMaps, once the first context has answered (an incident started in the
/// first second waits for it), or None after 30 s.
async fn shared(share: &OnceLock<Share>) -> Option<Share> {
    for _ in 0..300 {
        if let Some(s) = share.get() {
            return Some(s.clone());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}
