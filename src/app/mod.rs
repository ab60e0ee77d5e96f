//! The event loop: one task owns the terminal; it selects over keys, source messages, a tick
//! and signals, drains what is pending, runs the effects, and draws only when something changed
//! (at most 30 frames a second).

mod effects;
pub mod fleet;
pub mod session;
pub mod snapshot;
pub mod sources;
pub mod terminal;

use std::io::Write;
use std::time::{Duration, Instant};

use color_eyre::eyre::{Result, WrapErr};
use crossterm::event::{Event, EventStream};
use futures::StreamExt;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::core::draw::draw;
use crate::core::msg::Msg;
use crate::core::state::State;
use crate::core::update::{prepare, update};
use crate::status::unix_now;
use crate::ui::symbols::Symbols;
use crate::ui::theme::Theme;
use effects::Runner;
use session::{Options, Session};
use sources::Feeds;

const FRAME_GAP: Duration = Duration::from_millis(33);
/// Source updates are drawn every FRAME_GAP while someone is at the keys (and at the start),
/// every IDLE_FRAME_GAP once no key came for IDLE_AFTER: ten churning clusters otherwise cost
/// an unattended console ~9 frames a second. Twice a second is still livelier than k9s's
/// default refresh (2 s); at 4 a second, drawing 200x50 was most of an idle console's 1.2 %.
const IDLE_FRAME_GAP: Duration = Duration::from_millis(500);
const IDLE_AFTER: Duration = Duration::from_secs(5);
/// Source messages taken from the channel at once (each holds up to 1,000 rows).
const DRAIN_LIMIT: usize = 256;
/// How long source messages are applied between two looks at the keyboard.
const BUDGET: Duration = Duration::from_millis(4);

/// How the console draws.
pub struct Look {
    pub theme: Theme,
    pub symbols: Symbols,
    /// Benchmark log (`OPSDECK_TIMINGS`): when the first pod rows were drawn, and every frame.
    pub timings: Option<std::fs::File>,
}

/// Runs a console on `session` until the user quits or the terminal goes away.
pub async fn console(session: Session, opts: &Options) -> Result<()> {
    let (keymap, warnings) = session::keymap(opts)?;
    let (theme, symbols) = session::look(opts)?;
    let make_executor = session.executors(opts);
    let mut state = session.state(keymap, unix_now());
    // The incident record lives beside the audit log; an open one is taken up again.
    let incidents = crate::actions::cli::audit_path(opts.audit_log.as_deref(), &opts.config)
        .map(|p| crate::incident::Store::beside(&p));
    if let Some(store) = &incidents {
        let open = store.open_in(&state.connection.context);
        state.panes.incident.incident = open;
    }
    state.panes.incident.operator = crate::incident::cli::operator();
    let incident_namespace = opts
        .config
        .incident
        .as_ref()
        .and_then(|i| i.namespace.clone())
        .unwrap_or_else(|| state.connection.default_namespace.clone());
    if !warnings.is_empty() {
        state.flash = Some(format!("keymap: {}", warnings.join("; ")));
    }
    // An action a crash or a kill left unfinished is the first thing to check.
    let audit = crate::actions::cli::audit_path(opts.audit_log.as_deref(), &opts.config);
    if let Some(notice) = audit
        .as_deref()
        .and_then(crate::actions::audit::unfinished_notice)
    {
        state.flash = Some(notice);
    }
    let look = Look {
        theme,
        symbols,
        timings: std::env::var_os("OPSDECK_TIMINGS").and_then(|p| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .ok()
        }),
    };
    let mut terminal = terminal::enter().wrap_err("cannot set up the terminal")?;
    let (tx, rx) = mpsc::channel::<Msg>(1024);
    let fleet = fleet::Fleet::start(&session.clusters, &session.namespaces, tx.clone());
    let runner = Runner::start(
        fleet,
        tx.clone(),
        make_executor,
        opts.config.clone(),
        incidents,
        &incident_namespace,
    );
    let result = event_loop(
        &mut terminal,
        runner,
        session.feeds,
        (tx, rx),
        &mut state,
        &look,
    )
    .await;
    terminal::restore();
    result
}

async fn event_loop(
    terminal: &mut terminal::Tui,
    mut runner: Runner,
    feeds: Feeds,
    (tx, mut rx): (mpsc::Sender<Msg>, mpsc::Receiver<Msg>),
    state: &mut State,
    look: &Look,
) -> Result<()> {
    let started = Instant::now();
    let sources = CancellationToken::new();
    feeds.start(&tx, &sources);
    drop(tx);
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
    // The exit tests' panic: the terminal must come back from a panic as from a signal.
    let test_panic = std::env::var_os("OPSDECK_TEST_PANIC").is_some();
    // The oldest key not yet answered by a frame (the benchmark's keystroke latency).
    let mut key_waiting: Option<Instant> = None;
    // Source messages received and not yet applied.
    let mut backlog: std::collections::VecDeque<Msg> = std::collections::VecDeque::new();
    let mut last_key = started;

    loop {
        // A key is answered by the next frame at once; source updates at most every `gap`.
        let gap = if last_key.elapsed() < IDLE_AFTER {
            FRAME_GAP
        } else {
            IDLE_FRAME_GAP
        };
        let frame_due = match key_waiting {
            Some(_) => tokio::time::Instant::now(),
            None => tokio::time::Instant::from_std(last_frame + gap),
        };
        let mut msgs = Vec::new();
        // Biased: signals, then keys and the frame they wait for, before a flood of source
        // messages (taken DRAIN_LIMIT at a time into the backlog, applied BUDGET at a time).
        tokio::select! {
            biased;
            _ = hangup.recv() => break,
            _ = terminate.recv() => break,
            _ = interrupt.recv() => break,
            ev = keys.next() => match ev {
                Some(Ok(Event::Key(k))) => {
                    last_key = Instant::now();
                    key_waiting.get_or_insert_with(Instant::now);
                    msgs.push(Msg::Key(k));
                }
                Some(Ok(Event::Resize(w, h))) => msgs.push(Msg::Resized { width: w, height: h }),
                Some(Ok(_)) => {}
                // The terminal is gone (SSH dropped): leave at once, never linger as an orphan.
                Some(Err(_)) | None => break,
            },
            _ = frame_at(frame_due), if state.dirty => {
                let preparing = Instant::now();
                prepare(state);
                let prepared = preparing.elapsed();
                log_slow(look, "slow_prepare", preparing);
                let frame = terminal::draw(&mut terminal.terminal, &terminal.frames, |f| {
                    draw(f, state, &look.theme, &look.symbols)
                });
                if frame.is_err() {
                    break; // the terminal cannot be written to any more
                }
                state.dirty = false;
                last_frame = Instant::now();
                let rows = state.panes.cluster.model.pods.len();
                if !first_rows_logged && rows > 0 {
                    first_rows_logged = true;
                    log_timing(look, "first_pod_rows_drawn", started.elapsed(), rows);
                    if test_panic {
                        panic!("OPSDECK_TEST_PANIC: a panic once pod rows are on screen");
                    }
                }
                log_timing(look, "frame", started.elapsed(), rows);
                // The frame's own time (prepare and draw): what a 16 ms budget is measured on;
                // with the view and the prepare's part, to tell where a slow one went.
                if let Some(mut file) = look.timings.as_ref() {
                    let view = state.spec(state.view()).map_or("?", |v| v.title);
                    let _ = writeln!(
                        file,
                        "frame_took {:.6} {rows} {:.6} {}",
                        preparing.elapsed().as_secs_f64(),
                        prepared.as_secs_f64(),
                        view.replace(' ', "_")
                    );
                }
                if let Some(at) = key_waiting.take() {
                    log_timing(look, "key_to_frame", at.elapsed(), rows);
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
            Some(msg) = rx.recv(), if backlog.len() < DRAIN_LIMIT => {
                backlog.push_back(msg);
                while backlog.len() < DRAIN_LIMIT {
                    match rx.try_recv() {
                        Ok(m) => backlog.push_back(m),
                        Err(_) => break,
                    }
                }
            }
            // Nothing else is ready: go on with the backlog.
            _ = std::future::ready(()), if !backlog.is_empty() => {}
        }
        let mut quit = false;
        for msg in msgs {
            for effect in update(state, msg) {
                quit |= !runner.run(effect);
            }
        }
        // Source messages for at most BUDGET, then the keys and the frame again: ten
        // clusters listing 500,000 pods never hold a key back for long.
        let budget = Instant::now() + BUDGET;
        while let Some(msg) = backlog.pop_front() {
            let applying = Instant::now();
            let label = look.timings.as_ref().map(|_| label(&msg));
            let effects = update(state, msg);
            if let Some(label) = label {
                log_slow(look, &format!("slow_update {label}"), applying);
            }
            for effect in effects {
                quit |= !runner.run(effect);
            }
            if Instant::now() >= budget {
                break;
            }
        }
        if quit {
            break;
        }
        if !state.dirty {
            key_waiting = None; // a key that changed nothing waits for no frame
        }
    }
    runner.stop();
    sources.cancel();
    Ok(())
}

/// Waits for `due`; a frame already due is ready at once. tokio's timer wheel is turned by the
/// runtime's threads: while they decode a big sync, even a deadline already past waited for
/// them (a key's frame 50 ms at the median, 280 ms at p99, `benches/multi_cluster.sh`).
async fn frame_at(due: tokio::time::Instant) {
    if due > tokio::time::Instant::now() {
        tokio::time::sleep_until(due).await;
    }
}

/// What a message is, for the benchmark log (never its rows).
fn label(msg: &Msg) -> String {
    use crate::cluster::model::SourceEvent;
    use crate::core::panes::PaneMsg;
    match msg {
        Msg::Pane(PaneMsg::Cluster(m)) => {
            let event = match &m.event {
                SourceEvent::ListStarted => "list-started".to_string(),
                SourceEvent::Applied(rows) => format!("applied {}", rows.len()),
                SourceEvent::Deleted(keys) => format!("deleted {}", keys.len()),
                SourceEvent::ListDone => "list-done".to_string(),
                SourceEvent::Failed { .. } => "failed".to_string(),
            };
            format!("{}:{}:{event}", m.context.as_str(), m.resource.tag())
        }
        Msg::Pane(_) => "pane".into(),
        _ => "other".into(),
    }
}

/// Benchmark log: a step that held the loop for 5 ms or more (a key waited that long).
fn log_slow(look: &Look, what: &str, since: Instant) {
    let took = since.elapsed();
    if took >= Duration::from_millis(5)
        && let Some(mut file) = look.timings.as_ref()
    {
        let _ = writeln!(file, "{what} {:.6}", took.as_secs_f64());
    }
}

fn log_timing(look: &Look, what: &str, elapsed: Duration, rows: usize) {
    if let Some(mut file) = look.timings.as_ref() {
        let _ = writeln!(file, "{what} {:.6} {rows}", elapsed.as_secs_f64());
    }
}
