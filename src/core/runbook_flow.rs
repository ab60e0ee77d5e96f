//! Walking a runbook in the console: `:runbook NAME [k=v]...` loads it, then each step waits
//! for the operator (Enter): a note or manual step is acknowledged, a check or wait-until is
//! evaluated by the executor, an action goes through the same plan / confirm / execute flow as
//! a typed command. A failed step stops the walk; Esc stops it at any point.

use std::collections::BTreeMap;

use crossterm::event::{KeyCode, KeyEvent};

use super::action_flow;
use super::msg::Effect;
use super::state::{ActionPhase, Mode, State};
use crate::actions::runbook::{Runbook, StepKind, substitute};

/// Where the walk stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WalkPhase {
    /// The current step waits for Enter.
    Ready,
    /// A check or wait-until is being evaluated.
    Evaluating,
    /// The step's action is being planned, confirmed or executed.
    Acting,
    Done,
    Failed,
    Stopped,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunbookWalk {
    pub runbook: Runbook,
    pub values: BTreeMap<String, String>,
    /// Index of the current step.
    pub step: usize,
    pub phase: WalkPhase,
    /// What each finished step said, one line per step.
    pub log: Vec<String>,
}

impl RunbookWalk {
    pub fn finished(&self) -> bool {
        matches!(
            self.phase,
            WalkPhase::Done | WalkPhase::Failed | WalkPhase::Stopped
        )
    }

    /// A step's text with the parameters filled in.
    pub fn text(&self, kind: &StepKind) -> String {
        let raw = match kind {
            StepKind::Note(t) | StepKind::Manual(t) | StepKind::Check(t) | StepKind::Action(t) => t,
            StepKind::WaitUntil { condition, .. } => condition,
        };
        substitute(raw, &self.values).unwrap_or_else(|e| format!("{raw} ({e})"))
    }
}

/// `:runbook NAME k=v ...`: asks the loop to read the file.
pub fn from_command(state: &mut State, args: &[&str]) -> Vec<Effect> {
    let Some((name, rest)) = args.split_first() else {
        state.flash = Some("usage: :runbook NAME [param=value ...]".into());
        return vec![];
    };
    let mut params = BTreeMap::new();
    for kv in rest {
        match kv.split_once('=') {
            Some((k, v)) => {
                params.insert(k.to_string(), v.to_string());
            }
            None => {
                state.flash = Some(format!("runbook parameters are key=value, not {kv:?}"));
                return vec![];
            }
        }
    }
    vec![Effect::LoadRunbook {
        name: name.to_string(),
        params,
    }]
}

pub fn on_loaded(
    state: &mut State,
    loaded: Result<(Box<Runbook>, BTreeMap<String, String>), String>,
) {
    match loaded {
        Ok((runbook, params)) => match runbook.values(&params) {
            Ok(values) => {
                state.runbook = Some(RunbookWalk {
                    runbook: *runbook,
                    values,
                    step: 0,
                    phase: WalkPhase::Ready,
                    log: vec![],
                });
                state.mode = Mode::Runbook;
            }
            Err(e) => state.flash = Some(e),
        },
        Err(e) => state.flash = Some(e),
    }
}

/// Keys while walking: Enter runs or acknowledges the current step, Esc stops the walk (or
/// closes it once finished).
pub fn key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    state.mode = Mode::Runbook;
    let Some(walk) = state.runbook.as_mut() else {
        state.mode = Mode::Normal;
        return vec![];
    };
    match key.code {
        KeyCode::Esc => {
            if walk.finished() {
                state.runbook = None;
                state.mode = Mode::Normal;
            } else if matches!(walk.phase, WalkPhase::Ready) {
                walk.phase = WalkPhase::Stopped;
                walk.log.push(format!(
                    "stopped by the operator before step {}",
                    walk.step + 1
                ));
            }
            vec![]
        }
        KeyCode::Enter if walk.phase == WalkPhase::Ready => run_step(state),
        _ => vec![],
    }
}

fn run_step(state: &mut State) -> Vec<Effect> {
    let Some(walk) = state.runbook.as_mut() else {
        return vec![];
    };
    let Some(step) = walk.runbook.steps.get(walk.step).cloned() else {
        walk.phase = WalkPhase::Done;
        return vec![];
    };
    let text = walk.text(&step.kind);
    let namespace = walk.runbook.namespace.clone();
    match step.kind {
        StepKind::Note(_) | StepKind::Manual(_) => {
            advance(walk, format!("acknowledged: {text}"));
            vec![]
        }
        StepKind::Check(_) => {
            walk.phase = WalkPhase::Evaluating;
            vec![Effect::EvaluateCondition {
                condition: text,
                namespace,
                wait: None,
            }]
        }
        StepKind::WaitUntil { timeout, .. } => {
            walk.phase = WalkPhase::Evaluating;
            vec![Effect::EvaluateCondition {
                condition: text,
                namespace,
                wait: Some(timeout),
            }]
        }
        StepKind::Action(_) => {
            walk.phase = WalkPhase::Acting;
            let words: Vec<&str> = text.split_whitespace().collect();
            let effects = action_flow::from_command(state, &words).unwrap_or_default();
            // A refusal up front (read-only, bad arguments) fails the step at once.
            let refused = effects.is_empty();
            if refused {
                let why = state
                    .action
                    .as_ref()
                    .and_then(|a| a.lines.last().cloned())
                    .or(state.flash.clone())
                    .unwrap_or_else(|| format!("cannot run {text}"));
                fail(state, why);
            }
            effects
        }
    }
}

fn advance(walk: &mut RunbookWalk, line: String) {
    walk.log.push(format!("{}. {line}", walk.step + 1));
    walk.step += 1;
    walk.phase = if walk.step >= walk.runbook.steps.len() {
        WalkPhase::Done
    } else {
        WalkPhase::Ready
    };
}

fn fail(state: &mut State, why: String) {
    if let Some(walk) = state.runbook.as_mut() {
        walk.log.push(format!("{}. FAILED: {why}", walk.step + 1));
        walk.phase = WalkPhase::Failed;
    }
}

/// The executor's answer to a check or wait-until.
pub fn on_condition(state: &mut State, result: Result<(bool, String), String>) {
    let Some(walk) = state.runbook.as_mut() else {
        return;
    };
    if walk.phase != WalkPhase::Evaluating {
        return;
    }
    match result {
        Ok((true, seen)) => advance(walk, format!("ok: {seen}")),
        Ok((false, seen)) => fail(state, format!("check does not hold: {seen}")),
        Err(e) => fail(state, e),
    }
}

/// After the action panel settles: a step's action finished (or was refused or cancelled).
pub fn after_action(state: &mut State) {
    let Some(phase) = state.action.as_ref().map(|a| a.phase) else {
        return;
    };
    let Some(walk) = state.runbook.as_mut() else {
        return;
    };
    if walk.phase != WalkPhase::Acting {
        return;
    }
    let last = state
        .action
        .as_ref()
        .and_then(|a| a.lines.last().cloned())
        .unwrap_or_default();
    match phase {
        ActionPhase::Succeeded => advance(walk, last),
        ActionPhase::Failed | ActionPhase::Cancelled => fail(state, last),
        _ => return,
    }
    if !matches!(state.mode, Mode::Confirm { .. }) {
        state.mode = Mode::Runbook;
    }
}
