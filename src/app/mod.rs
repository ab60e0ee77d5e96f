//! The event loop: one task owns the terminal; it selects over keys, source messages, a tick
//! and signals, drains what is pending, runs the effects, and draws only when something changed
//! (at most 30 frames a second).

pub mod terminal;

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use color_eyre::eyre::{Result, WrapErr};
use crossterm::event::{Event, EventStream};
use futures::StreamExt;
use kube::Client;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::actions::cli::find_runbook;
use crate::actions::condition::Condition;
use crate::actions::executor::{ActionError, Executor};
use crate::actions::runbook::{Runbook, wait_for};
use crate::cluster::logs::spawn_log_follow;
use crate::cluster::source::{Namespaces, spawn_watches};
use crate::config::{Config, QueueConfig};
use crate::core::msg::{Effect, Msg};
use crate::core::state::State;
use crate::core::update::{prepare, update};
use crate::queues::rabbitmq::spawn_rabbitmq_queues;
use crate::queues::redis::spawn_redis_queues;
use crate::queues::{QueueMsg, QueueSample};
use crate::ui::draw::draw;
use crate::ui::symbols::Symbols;
use crate::ui::theme::Theme;

const FRAME_GAP: Duration = Duration::from_millis(33);
/// Messages handled between two looks at the keyboard, so input stays responsive in a flood.
const DRAIN_LIMIT: usize = 256;

/// Where queue rows come from: brokers named in the config, and (in the demo) the sim's
/// Redis-backed queues read in process.
#[derive(Default)]
pub struct QueueFeed {
    pub in_process: Option<Box<dyn Fn() -> Vec<QueueSample> + Send + Sync>>,
    pub brokers: Vec<QueueConfig>,
}

/// Where SLO rows come from: the SLO files, read from this Prometheus.
pub struct SloFeed {
    pub prometheus: crate::clients::prometheus::Prometheus,
    pub slos: Vec<crate::slo::Slo>,
}

/// Where cost figures come from: LLM counters in Prometheus and OpenCost (each optional).
#[derive(Default)]
pub struct CostFeed {
    pub prometheus: Option<crate::clients::prometheus::Prometheus>,
    pub opencost: Option<crate::cost::opencost::OpenCost>,
}

impl CostFeed {
    pub fn is_empty(&self) -> bool {
        self.prometheus.is_none() && self.opencost.is_none()
    }
}

/// Every pane's source besides Kubernetes, as `main` sets them up.
pub struct Feeds {
    pub queue_configs: Vec<QueueConfig>,
    pub queues: QueueFeed,
    pub slos: Option<SloFeed>,
    pub costs: CostFeed,
    pub budgets: Option<crate::config::BudgetConfig>,
}

/// How often LLM spend and OpenCost are read (spend moves slowly; OpenCost computes hourly).
const COST_INTERVALS: (Duration, Duration) = (Duration::from_secs(30), Duration::from_secs(60));

/// How often SLO burn rates are read: fast enough that a page shows within a minute.
const SLO_INTERVAL: Duration = Duration::from_secs(10);

/// How often queues are sampled.
const QUEUE_INTERVAL: Duration = Duration::from_secs(2);

/// Starts the queue sources; they stop with `token`.
fn start_queues(feed: QueueFeed, tx: &mpsc::Sender<Msg>, token: &CancellationToken) {
    if let Some(sample) = feed.in_process {
        let (tx, token) = (tx.clone(), token.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(QUEUE_INTERVAL);
            loop {
                tokio::select! {
                    _ = token.cancelled() => return,
                    _ = tick.tick() => {
                        if tx.send(Msg::Queues(QueueMsg::Sampled(sample()))).await.is_err() {
                            return;
                        }
                    }
                }
            }
        });
    }
    if !feed.brokers.is_empty() {
        spawn_rabbitmq_queues(&feed.brokers, QUEUE_INTERVAL, tx.clone(), token.clone());
        spawn_redis_queues(feed.brokers, QUEUE_INTERVAL, tx.clone(), token.clone());
    }
}

pub struct Ui {
    pub theme: Theme,
    pub symbols: Symbols,
    /// Benchmark log (`OPSDECK_TIMINGS`): when the first pod rows were drawn, and every frame.
    pub timings: Option<std::fs::File>,
    /// The config file's settings (runbook folders).
    pub config: Config,
    pub queues: QueueFeed,
    pub slos: Option<SloFeed>,
    pub costs: CostFeed,
}

/// The tasks that feed State, and how to stop them.
struct Sources {
    client: Client,
    tx: mpsc::Sender<Msg>,
    watches: CancellationToken,
    logs: Option<CancellationToken>,
    /// The one path for mutations; None when it could not be set up (the reason is shown
    /// when an action is asked for).
    executor: Result<Arc<Executor>, String>,
    /// For the runbook folders.
    config: Config,
}

impl Sources {
    fn start(
        client: Client,
        namespaces: &Namespaces,
        tx: mpsc::Sender<Msg>,
        executor: Result<Arc<Executor>, String>,
        config: Config,
    ) -> Self {
        let watches = CancellationToken::new();
        spawn_watches(&client, namespaces, tx.clone(), &watches);
        Sources {
            client,
            tx,
            watches,
            logs: None,
            executor,
            config,
        }
    }

    /// Plans and executions run as tasks: the UI stays live while an action runs.
    fn run_action(&self, effect: Effect) {
        let tx = self.tx.clone();
        let executor = match &self.executor {
            Ok(e) => Arc::clone(e),
            Err(why) => {
                let err = ActionError::Invalid(format!("actions are unavailable: {why}"));
                tokio::spawn(async move { tx.send(Msg::ActionPlanned(Err(err))).await });
                return;
            }
        };
        match effect {
            Effect::PlanAction(request) => {
                tokio::spawn(async move {
                    let plan = executor.plan(&request).await.map(Box::new);
                    let _ = tx.send(Msg::ActionPlanned(plan)).await;
                });
            }
            Effect::ExecuteAction { plan, confirmation } => {
                tokio::spawn(async move {
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
            _ => {}
        }
    }

    /// A runbook's check (once) or wait-until (polled up to `wait`), off the UI task.
    fn evaluate(&self, condition: String, namespace: String, wait: Option<Duration>) {
        let tx = self.tx.clone();
        let executor = self.executor.clone();
        tokio::spawn(async move {
            let result = async {
                let executor = executor?;
                let cond = Condition::parse(&condition, &namespace)?;
                match wait {
                    Some(limit) => wait_for(&cond, &executor, limit)
                        .await
                        .map(|seen| (true, seen)),
                    None => cond.evaluate(&executor).await.map_err(|e| e.to_string()),
                }
            }
            .await;
            let _ = tx.send(Msg::ConditionEvaluated(result)).await;
        });
    }

    /// Returns false when the app should quit.
    fn run(&mut self, effect: Effect) -> bool {
        match effect {
            Effect::Quit => return false,
            Effect::StopLogs => {
                if let Some(t) = self.logs.take() {
                    t.cancel();
                }
            }
            Effect::FollowLogs { target, session } => {
                let token = CancellationToken::new();
                spawn_log_follow(
                    self.client.clone(),
                    target,
                    session,
                    self.tx.clone(),
                    token.clone(),
                );
                self.logs = Some(token);
            }
            Effect::Rewatch(namespaces) => {
                self.watches.cancel();
                self.watches = CancellationToken::new();
                spawn_watches(&self.client, &namespaces, self.tx.clone(), &self.watches);
            }
            effect @ (Effect::PlanAction(_) | Effect::ExecuteAction { .. }) => {
                self.run_action(effect)
            }
            Effect::LoadRunbook { name, params } => {
                let path = find_runbook(Path::new(&name), &self.config);
                let loaded = Runbook::load(&path)
                    .map(|r| (Box::new(r), params))
                    .map_err(|e| e.to_string());
                let tx = self.tx.clone();
                tokio::spawn(async move { tx.send(Msg::RunbookLoaded(loaded)).await });
            }
            Effect::EvaluateCondition {
                condition,
                namespace,
                wait,
            } => self.evaluate(condition, namespace, wait),
        }
        true
    }

    fn stop(&mut self) {
        self.watches.cancel();
        if let Some(t) = self.logs.take() {
            t.cancel();
        }
    }
}

fn unix_now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// Runs the console until the user quits or the terminal goes away.
pub async fn run(
    client: Client,
    executor: Result<Arc<Executor>, String>,
    mut state: State,
    mut ui: Ui,
) -> Result<()> {
    let mut terminal = terminal::enter().wrap_err("cannot set up the terminal")?;
    let feeds = (
        std::mem::take(&mut ui.queues),
        ui.slos.take(),
        std::mem::take(&mut ui.costs),
    );
    let result = event_loop(&mut terminal, client, executor, feeds, &mut state, &ui).await;
    terminal::restore();
    result
}

async fn event_loop(
    terminal: &mut terminal::Tui,
    client: Client,
    executor: Result<Arc<Executor>, String>,
    (queues, slos, costs): (QueueFeed, Option<SloFeed>, CostFeed),
    state: &mut State,
    ui: &Ui,
) -> Result<()> {
    let started = Instant::now();
    let (tx, mut rx) = mpsc::channel::<Msg>(1024);
    let feed_sources = CancellationToken::new();
    start_queues(queues, &tx, &feed_sources);
    crate::cost::source::spawn_cost_sources(
        costs.prometheus,
        costs.opencost,
        COST_INTERVALS,
        tx.clone(),
        feed_sources.clone(),
    );
    if let Some(feed) = slos {
        crate::slo::source::spawn_slo_source(
            feed.prometheus,
            feed.slos,
            SLO_INTERVAL,
            tx.clone(),
            feed_sources.clone(),
        );
    }
    let mut sources = Sources::start(client, &state.namespaces, tx, executor, ui.config.clone());
    let mut keys = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut hangup = signal(SignalKind::hangup())?;
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    let size = terminal.terminal.size()?;
    update(
        state,
        Msg::Resized {
            width: size.width,
            height: size.height,
        },
    );
    let mut last_frame = Instant::now() - FRAME_GAP;
    let mut first_rows_logged = false;

    loop {
        let frame_due = tokio::time::Instant::from_std(last_frame + FRAME_GAP);
        let mut msgs = Vec::new();
        tokio::select! {
            ev = keys.next() => match ev {
                Some(Ok(Event::Key(k))) => msgs.push(Msg::Key(k)),
                Some(Ok(Event::Resize(w, h))) => msgs.push(Msg::Resized { width: w, height: h }),
                Some(Ok(_)) => {}
                // The terminal is gone (SSH dropped): leave at once, never linger as an orphan.
                Some(Err(_)) | None => break,
            },
            Some(msg) = rx.recv() => {
                msgs.push(msg);
                while msgs.len() < DRAIN_LIMIT {
                    match rx.try_recv() {
                        Ok(m) => msgs.push(m),
                        Err(_) => break,
                    }
                }
            }
            _ = tick.tick() => {
                msgs.push(Msg::Ticked(unix_now()));
                // tmux can resize without telling us: the tick re-reads the size.
                if let Ok(s) = terminal.terminal.size()
                    && (s.width, s.height) != (state.width, state.height)
                {
                    msgs.push(Msg::Resized { width: s.width, height: s.height });
                }
            }
            _ = tokio::time::sleep_until(frame_due), if state.dirty => {
                prepare(state);
                let frame = terminal::draw(&mut terminal.terminal, &terminal.frames, |f| {
                    draw(f, state, &ui.theme, &ui.symbols)
                });
                if frame.is_err() {
                    break; // the terminal cannot be written to any more
                }
                state.dirty = false;
                last_frame = Instant::now();
                let rows = state.cluster.pods.len();
                if !first_rows_logged && rows > 0 {
                    first_rows_logged = true;
                    log_timing(ui, "first_pod_rows_drawn", started.elapsed(), rows);
                }
                log_timing(ui, "frame", started.elapsed(), rows);
            }
            _ = hangup.recv() => break,
            _ = terminate.recv() => break,
            _ = interrupt.recv() => break,
        }
        let mut quit = false;
        for msg in msgs {
            for effect in update(state, msg) {
                quit |= !sources.run(effect);
            }
        }
        if quit {
            break;
        }
    }
    sources.stop();
    feed_sources.cancel();
    Ok(())
}

fn log_timing(ui: &Ui, what: &str, elapsed: Duration, rows: usize) {
    if let Some(mut file) = ui.timings.as_ref() {
        let _ = writeln!(file, "{what} {:.3} {rows}", elapsed.as_secs_f64());
    }
}
