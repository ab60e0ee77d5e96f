//! The console's side of the executor: a command becomes a plan request, a plan becomes a
//! confirmation dialog, a typed confirmation becomes an execution, and progress and the result
//! land in the action panel. No mutation ever follows a single key press; read-only is the
//! executor's to refuse (it does so before asking the cluster anything).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tui_textarea::TextArea;

use super::super::action::Action;
use super::super::msg::Effect;
use super::super::state::{Mode, State};
use crate::actions::panel::{ActionPanel, ActionPhase};
use crate::actions::plan::Plan;
use crate::actions::verbs::is_verb;
use crate::actions::view::confirm_scroll_limit;
use crate::actions::{ActionError, ActionRequest, WorkloadRef};
use crate::alerts::matcher::{from_labels, show_all};
use crate::ui::pane::{Layer, Target};

/// `:restart api` and friends. None when the first word is not an action verb.
pub fn from_command(state: &mut State, words: &[&str]) -> Option<Vec<Effect>> {
    if !words.first().is_some_and(|w| is_verb(w)) {
        return None;
    }
    let namespace = state.connection.default_namespace.clone();
    Some(start(state, words, &namespace))
}

/// Plans an action typed as `words`, a bare workload name meaning one in `namespace`. No
/// effect when it is refused at once (one in progress, words that do not read, no context
/// that is clearly meant).
pub fn start(state: &mut State, words: &[&str], namespace: &str) -> Vec<Effect> {
    if state.action.as_ref().is_some_and(|a| !a.finished()) {
        state.flash = Some("an action is already in progress".into());
        return vec![];
    }
    let (words, context) = match context_of(state, words) {
        Ok(found) => found,
        Err(why) => {
            state.flash = Some(why);
            return vec![];
        }
    };
    match ActionRequest::parse(&words, namespace) {
        Ok(request) => {
            let mut title = words.join(" ");
            if state.panes.cluster.contexts.len() > 1 {
                title = format!("{title} in {context}");
            }
            state.action = Some(ActionPanel::planning(title));
            vec![Effect::PlanAction { request, context }]
        }
        Err(e) => {
            state.flash = Some(e);
            vec![]
        }
    }
}

/// The context an action goes to: `--context NAME` among its words (taken out), else the one
/// context shown; with several shown and none named, the action is refused, never guessed.
fn context_of<'a>(state: &State, words: &[&'a str]) -> Result<(Vec<&'a str>, String), String> {
    let cluster = &state.panes.cluster;
    let at = words.iter().position(|w| *w == "--context");
    let Some(at) = at else {
        return match cluster.shown_contexts().as_slice() {
            [] => Ok((words.to_vec(), String::new())),
            [one] => Ok((words.to_vec(), one.to_string())),
            many => {
                let names: Vec<&str> = many.iter().map(|c| c.as_str()).collect();
                Err(format!(
                    "which context? {} are shown: add --context NAME (or :ctx NAME)",
                    names.join(", ")
                ))
            }
        };
    };
    let name = words
        .get(at + 1)
        .ok_or("--context needs a context's name")?;
    if !cluster.contexts.iter().any(|c| c.as_str() == *name) {
        let known: Vec<&str> = cluster.contexts.iter().map(|c| c.as_str()).collect();
        return Err(format!(
            "not a context opsdeck watches: {name} (watching {})",
            known.join(", ")
        ));
    }
    let mut rest = words.to_vec();
    rest.drain(at..at + 2);
    Ok((rest, name.to_string()))
}

/// ` --context NAME` when several contexts are shown, so a prefilled action says where it goes.
fn context_suffix(state: &State, context: &str) -> String {
    if state.panes.cluster.many_contexts() {
        format!(" --context {context}")
    } else {
        String::new()
    }
}

/// `r`, `s`, `u` on a workload open the command line with the action typed for it, so the
/// operator reads and completes it; Enter then plans, and the plan still needs confirming.
/// `c` on a node opens `cordon NODE` (`uncordon NODE` when the node is already cordoned).
/// On an alert, `S` types a silence of its group (or its labels when ungrouped), `a` an ack
/// of exactly it; on a silence, `x` types its expiry.
pub fn prefill(state: &State, verb: &str) -> Option<String> {
    let view = state.view();
    match state.panes.owner(view)?.selected(view)? {
        Target::Alert { labels, group } if verb == "silence" || verb == "ack" => {
            let pinned = if verb == "silence" && !group.is_empty() {
                group
            } else {
                labels
            };
            let matchers = show_all(&from_labels(&pinned));
            Some(match verb {
                "silence" => format!("silence {matchers} --for 1h --comment "),
                _ => format!("ack {matchers}"),
            })
        }
        Target::Silence { id } if verb == "expire-silence" => Some(format!("expire-silence {id}")),
        Target::Node {
            context,
            name,
            cordoned,
        } if verb == "cordon" => {
            let verb = if cordoned { "uncordon" } else { "cordon" };
            Some(format!("{verb} {name}{}", context_suffix(state, &context)))
        }
        Target::Workload {
            context,
            kind,
            namespace,
            name,
            replicas,
        } if matches!(verb, "restart" | "scale" | "rollback") => {
            let target = WorkloadRef {
                kind,
                namespace,
                name,
            }
            .command_form();
            let on = context_suffix(state, &context);
            Some(match verb {
                "scale" => format!("scale {target} {replicas}{on}"),
                other => format!("{other} {target}{on}"),
            })
        }
        _ => None,
    }
}

pub fn on_planned(state: &mut State, result: Result<Box<Plan>, ActionError>) {
    // A plan made by a runbook's step names the runbook (its action lock says so).
    let walking = state.runbook.as_ref().map(|w| w.runbook.name.clone());
    let result = result.map(|mut plan| {
        if plan.runbook.is_none() {
            plan.runbook = walking;
        }
        plan
    });
    let Some(panel) = state.action.as_mut() else {
        return;
    };
    if panel.phase != ActionPhase::Planning {
        return; // cancelled meanwhile
    }
    match result {
        Ok(plan) => {
            if let Some(why) = &plan.noop {
                panel.phase = ActionPhase::Succeeded;
                panel.push(format!("nothing to do: {why}"));
                return;
            }
            panel.phase = ActionPhase::AwaitingConfirmation;
            panel.push(format!("plan ready for {}", plan.target));
            state.mode = Mode::Confirm {
                plan,
                input: TextArea::default(),
                scroll: 0,
            };
        }
        Err(e) => {
            panel.phase = ActionPhase::Failed;
            panel.push(e.to_string());
        }
    }
}

/// The keymap's up/down/page keys scroll the plan's details; a plain character is always
/// typed into the confirmation instead (a phrase may hold a j or a k).
fn scroll_delta(state: &State, key: &KeyEvent) -> Option<isize> {
    let typed = matches!(key.code, KeyCode::Char(_))
        && !key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
    if typed {
        return None;
    }
    let page = isize::try_from(state.height / 2).unwrap_or(1).max(1);
    match state.keymap.lookup(Layer::Table, key)? {
        Action::Up => Some(-1),
        Action::Down => Some(1),
        Action::PageUp => Some(-page),
        Action::PageDown => Some(page),
        _ => None,
    }
}

/// Keys while a plan waits for confirmation. Esc only cancels (over slow SSH an arrow key can
/// arrive as Esc + letters: that must never confirm anything).
pub fn confirm_key(
    state: &mut State,
    key: KeyEvent,
    plan: Box<Plan>,
    mut input: TextArea<'static>,
    scroll: usize,
) -> Vec<Effect> {
    if let Some(delta) = scroll_delta(state, &key) {
        let body = crate::core::layout::body(state.width, state.height);
        let limit = confirm_scroll_limit(&plan, body);
        let scroll = scroll.saturating_add_signed(delta).min(limit);
        state.mode = Mode::Confirm {
            plan,
            input,
            scroll,
        };
        return vec![];
    }
    match key.code {
        KeyCode::Esc => {
            if let Some(panel) = state.action.as_mut() {
                panel.phase = ActionPhase::Cancelled;
                panel.push("cancelled: nothing was sent".into());
            }
            vec![]
        }
        KeyCode::Enter => {
            let typed = input.lines().join(" ").trim().to_string();
            if typed != plan.confirm_phrase {
                state.flash = Some(format!(
                    "type {:?} and Enter to confirm, Esc to cancel",
                    plan.confirm_phrase
                ));
                state.mode = Mode::Confirm {
                    plan,
                    input,
                    scroll,
                };
                return vec![];
            }
            if let Some(panel) = state.action.as_mut() {
                panel.phase = ActionPhase::Running;
                panel.push("confirmed: executing".into());
            }
            super::incident::executing(state, &plan);
            vec![Effect::ExecuteAction {
                plan,
                confirmation: typed,
            }]
        }
        _ => {
            input.input(key);
            state.mode = Mode::Confirm {
                plan,
                input,
                scroll,
            };
            vec![]
        }
    }
}
