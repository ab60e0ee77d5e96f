//! Walking a runbook in the console: `:runbook NAME [k=v]...` loads it, then the walk (the one
//! state machine `opsdeck run` also drives) runs a step on each Enter. A check or wait-until
//! goes to the executor; an action takes the same plan / confirm / execute path as a typed
//! command. A failed step stops the walk; Esc stops it between steps.

use std::collections::BTreeMap;

use crossterm::event::{KeyCode, KeyEvent};

use super::super::msg::Effect;
use super::super::state::{Mode, State};
use super::actions;
use crate::actions::ActionError;
use crate::actions::panel::ActionPhase;
use crate::actions::runbook::Runbook;
use crate::actions::runbook::walk::{Driver, Walk, WalkEffect, WalkInput, WalkPhase};

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
    let walk = loaded.and_then(|(runbook, params)| Walk::start(*runbook, &params, Driver::Console));
    let contexts = state.panes.cluster.shown_contexts();
    match walk {
        // A runbook acts in one context: with several shown, which one is not guessed.
        Ok(walk) if contexts.len() > 1 => {
            let names: Vec<&str> = contexts.iter().map(|c| c.as_str()).collect();
            state.flash = Some(format!(
                "runbook {} runs in one context, and {} are shown: :ctx NAME first",
                walk.runbook.name,
                names.join(", ")
            ));
        }
        // A read-only context refuses a runbook that changes things before its first step,
        // in the executor's words, as `opsdeck run` does.
        Ok(walk) if walk.has_actions() && state.connection.readonly => {
            let what = format!("runbook {} (it has actions)", walk.runbook.name);
            let refusal = ActionError::readonly(&state.connection.context, &what);
            state.flash = Some(refusal.to_string());
        }
        Ok(walk) => {
            state.runbook = Some(walk);
            state.mode = Mode::Runbook;
        }
        Err(e) => state.flash = Some(e),
    }
}

/// Steps of the runbook just loaded that the config cannot read: said before its first step,
/// so the operator knows where it will stop before anything is changed.
pub fn on_unreadable(state: &mut State, steps: &[String]) {
    let Some(walk) = state.runbook.as_mut() else {
        return;
    };
    if walk.step != 0 || walk.phase != WalkPhase::Ready {
        return;
    }
    for step in steps {
        walk.warn(&format!("{step}: the walk will stop there"));
    }
}

/// Keys while walking: Enter runs the current step, Esc stops the walk (or closes it once
/// finished).
pub fn key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    state.mode = Mode::Runbook;
    let Some(walk) = state.runbook.as_ref() else {
        state.mode = Mode::Normal;
        return vec![];
    };
    match key.code {
        KeyCode::Esc if walk.finished() => {
            state.runbook = None;
            state.mode = Mode::Normal;
            vec![]
        }
        KeyCode::Esc => step(state, WalkInput::Stop),
        KeyCode::Enter => step(state, WalkInput::Proceed),
        _ => vec![],
    }
}

/// The executor's answer to a check or wait-until.
pub fn on_condition(state: &mut State, result: Result<(bool, String), String>) -> Vec<Effect> {
    step(state, WalkInput::Evaluated(result))
}

/// After the action panel settles: the step's action finished (or was refused or cancelled).
pub fn after_action(state: &mut State) {
    let acting = state
        .runbook
        .as_ref()
        .is_some_and(|w| w.phase == WalkPhase::Acting);
    let Some(panel) = state.action.as_ref().filter(|_| acting) else {
        return;
    };
    let said = panel.last_line();
    let outcome = match panel.phase {
        ActionPhase::Succeeded => Ok(said),
        ActionPhase::Failed | ActionPhase::Cancelled => Err(said),
        _ => return,
    };
    step(state, WalkInput::Acted(outcome));
    if !matches!(state.mode, Mode::Confirm { .. }) {
        state.mode = Mode::Runbook;
    }
}

/// The one context the tables show (a runbook walks only then), "" when it is every one.
fn the_one_shown(state: &State) -> String {
    match state.panes.cluster.shown_contexts().as_slice() {
        [one] => one.to_string(),
        _ => String::new(),
    }
}

/// Feeds the walk and turns what it asks for into the console's effects.
fn step(state: &mut State, input: WalkInput) -> Vec<Effect> {
    let Some(walk) = state.runbook.as_mut() else {
        return vec![];
    };
    let mut effects = vec![];
    for effect in walk.handle(input) {
        match effect {
            WalkEffect::Evaluate {
                condition,
                namespace,
                wait,
            } => effects.push(Effect::EvaluateCondition {
                condition,
                namespace,
                wait,
                context: the_one_shown(state),
            }),
            WalkEffect::Act { line, namespace } => {
                let words: Vec<&str> = line.split_whitespace().collect();
                let started = actions::start(state, &words, &namespace);
                if started.is_empty() {
                    // Refused before anything was asked: the step fails with the reason.
                    let why = state
                        .flash
                        .take()
                        .unwrap_or_else(|| format!("cannot run {line}"));
                    if let Some(walk) = state.runbook.as_mut() {
                        walk.handle(WalkInput::Acted(Err(why)));
                    }
                }
                effects.extend(started);
            }
        }
    }
    effects
}
