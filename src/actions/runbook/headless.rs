//! `opsdeck run`: the runbook walk driven without a person. `--yes` answers every
//! confirmation, manual steps are shown and not awaited, `--dry-run` plans actions without
//! executing them. Every line the walk logs is printed as it happens, with the plans and
//! progress of its actions between them. A target another console holds (its action lock) is
//! refused: `--yes` answers a plain confirmation, never a `--force` over another person.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::{Duration, Instant};

use super::Runbook;
use super::preflight::unreadable;
use super::walk::{Driver, Walk, WalkEffect, WalkInput, WalkPhase};
use crate::actions::condition::Condition;
use crate::actions::error::{ActionError, Progress};
use crate::actions::executor::Executor;
use crate::actions::verbs::ActionRequest;
use crate::incident::record::Recorder;

/// How a headless run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunReport {
    pub steps: usize,
    pub completed: usize,
    pub dry_run: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{0}")]
    Setup(String),
    #[error("step {step} (line {line}) failed: {message}")]
    Step {
        step: usize,
        line: usize,
        message: String,
    },
    #[error("writing output: {0}")]
    Output(#[from] std::io::Error),
}

/// How a headless run goes: `--dry-run`, `--yes`, and the incident it records into.
#[derive(Clone, Copy, Default)]
pub struct How<'a> {
    pub dry_run: bool,
    pub yes: bool,
    pub recorder: Option<&'a Recorder>,
}

/// Runs the steps in order through the executor; stops at the first failure.
pub async fn run(
    runbook: &Runbook,
    params: &BTreeMap<String, String>,
    executor: &Executor,
    how: How<'_>,
    out: &mut impl Write,
) -> Result<RunReport, RunError> {
    let How {
        dry_run,
        yes,
        recorder,
    } = how;
    let mut walk = Walk::start(runbook.clone(), params, Driver::Headless { dry_run })
        .map_err(RunError::Setup)?;
    if walk.has_actions() {
        executor
            .check_writable(&format!("runbook {} (it has actions)", runbook.name))
            .map_err(|e| RunError::Setup(e.to_string()))?;
        if !dry_run && !yes {
            return Err(RunError::Setup(format!(
                "runbook {} changes things: pass --yes to confirm its actions headless, or --dry-run to preview them",
                runbook.name
            )));
        }
    }
    writeln!(
        out,
        "runbook {}: {}{}",
        runbook.name,
        runbook.description,
        if dry_run {
            " (dry run: nothing is changed)"
        } else {
            ""
        }
    )?;
    preflight(&walk, executor, dry_run, out)?;
    let mut printed = 0;
    while !walk.finished() {
        let effects = walk.handle(WalkInput::Proceed);
        printed = flush(&walk, printed, out, recorder).await?;
        for effect in effects {
            let input = match effect {
                WalkEffect::Evaluate {
                    condition,
                    namespace,
                    wait,
                } => WalkInput::Evaluated(evaluate(&condition, &namespace, wait, executor).await),
                WalkEffect::Act { line, namespace } => {
                    let how = Act {
                        runbook: &runbook.name,
                        dry_run,
                        recorder,
                    };
                    WalkInput::Acted(act(&line, &namespace, executor, how, out).await?)
                }
            };
            walk.handle(input);
            printed = flush(&walk, printed, out, recorder).await?;
        }
    }
    if let Some(f) = walk.failure {
        return Err(RunError::Step {
            step: f.step,
            line: f.line,
            message: f.message,
        });
    }
    let total = runbook.steps.len();
    debug_assert_eq!(walk.phase, WalkPhase::Done);
    writeln!(
        out,
        "runbook {}: {total} steps done{}",
        runbook.name,
        if dry_run { " (dry run)" } else { "" }
    )?;
    Ok(RunReport {
        steps: total,
        completed: total,
        dry_run,
    })
}

/// Every check and wait names what the config has, or the run stops before its first step
/// (see `preflight`); a dry run says so and goes on, as a preview should.
fn preflight(
    walk: &Walk,
    executor: &Executor,
    dry_run: bool,
    out: &mut impl Write,
) -> Result<(), RunError> {
    for u in unreadable(walk, executor.probes()) {
        if !dry_run {
            return Err(RunError::Step {
                step: u.step,
                line: u.line,
                message: format!("{}: {} (nothing was changed)", u.condition, u.why),
            });
        }
        writeln!(
            out,
            "warning: {}; a real run stops before any action",
            u.said()
        )?;
    }
    Ok(())
}

/// Prints the walk's lines not printed yet (and records them in the incident); returns how
/// many are printed now.
async fn flush(
    walk: &Walk,
    printed: usize,
    out: &mut impl Write,
    recorder: Option<&Recorder>,
) -> Result<usize, RunError> {
    for line in &walk.log[printed..] {
        writeln!(out, "{line}")?;
        if let Some(r) = recorder {
            r.step(line).await.map_err(RunError::Setup)?;
        }
    }
    Ok(walk.log.len())
}

/// A check once, or a wait-until polled up to its timeout.
pub async fn evaluate(
    condition: &str,
    namespace: &str,
    wait: Option<Duration>,
    executor: &Executor,
) -> Result<(bool, String), String> {
    let cond = Condition::parse(condition, namespace)?;
    match wait {
        Some(limit) => wait_for(&cond, executor, limit)
            .await
            .map(|seen| (true, seen)),
        None => cond.evaluate(executor).await.map_err(|e| e.to_string()),
    }
}

/// Polls `cond` every second until it holds (what was seen) or `timeout` passes (why not).
/// A condition that cannot be evaluated at all (an unknown queue, no Prometheus configured)
/// fails at once: waiting cannot fix it. A source that is down is retried until the timeout.
pub async fn wait_for(
    cond: &Condition,
    executor: &Executor,
    timeout: Duration,
) -> Result<String, String> {
    let deadline = Instant::now() + timeout;
    loop {
        let seen = match cond.evaluate(executor).await {
            Ok((true, seen)) => return Ok(seen),
            Ok((false, seen)) => seen,
            Err(e) if e.is_permanent() => return Err(e.to_string()),
            Err(e) => format!("cannot read it yet: {e}"),
        };
        if Instant::now() >= deadline {
            return Err(format!(
                "still not true after {}s: {seen}",
                timeout.as_secs()
            ));
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// How one action step goes: the runbook it belongs to (named on the lock it takes), whether
/// it is a dry run, and the incident it records into.
#[derive(Clone, Copy)]
struct Act<'a> {
    runbook: &'a str,
    dry_run: bool,
    recorder: Option<&'a Recorder>,
}

/// Plans the action, prints the plan, and (unless a dry run or a no-op) executes it as
/// confirmed by `--yes`, printing its progress. Ok: its last word; Err: why it failed.
async fn act(
    line: &str,
    namespace: &str,
    executor: &Executor,
    how: Act<'_>,
    out: &mut impl Write,
) -> Result<Result<String, String>, RunError> {
    let Act {
        runbook,
        dry_run,
        recorder,
    } = how;
    let words: Vec<&str> = line.split_whitespace().collect();
    let request = match ActionRequest::parse(&words, namespace) {
        Ok(r) => r,
        Err(e) => return Ok(Err(ActionError::Invalid(e).to_string())),
    };
    let mut plan = match executor.plan(&request).await {
        Ok(p) => p,
        Err(e) => return Ok(Err(e.to_string())),
    };
    plan.runbook = Some(runbook.to_string());
    for l in plan.lines() {
        writeln!(out, "    {l}")?;
    }
    if dry_run {
        return Ok(Ok("dry run: not executed".into()));
    }
    if let Some(why) = &plan.noop {
        return Ok(Ok(format!("nothing to do: {why}")));
    }
    let method = "--yes (headless runbook)";
    if plan.held() {
        let then = "opsdeck run has no --force: wait for that action to finish (a dead holder's \
                    lock expires 30 s after its last renewal), or act from the console";
        return Ok(Err(executor.refuse_held(&plan, method, then).to_string()));
    }
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Progress>(64);
    let run = executor.execute_with(&plan, &plan.confirm_phrase, method, &tx);
    tokio::pin!(run);
    let outcome = loop {
        tokio::select! {
            result = &mut run => break result,
            Some(p) = rx.recv() => writeln!(out, "    {}", p.line())?,
        }
    };
    while let Ok(p) = rx.try_recv() {
        writeln!(out, "    {}", p.line())?;
    }
    let said = match outcome {
        Ok(o) => Ok(format!(
            "done in {:.1}s: {}",
            o.duration.as_secs_f64(),
            o.summary
        )),
        Err(e) => Err(e.to_string()),
    };
    if let Some(r) = recorder {
        let outcome = said.clone().unwrap_or_else(|e| format!("failed: {e}"));
        r.action(line, &plan, &outcome)
            .await
            .map_err(RunError::Setup)?;
    }
    Ok(said)
}
