//! The console's side of the executor: a command becomes a plan request, a plan becomes a
//! confirmation dialog, a typed confirmation becomes an execution, and progress and the result
//! land in the action panel. No mutation ever follows a single key press.

use crossterm::event::{KeyCode, KeyEvent};
use tui_textarea::TextArea;

use super::msg::Effect;
use super::state::{ActionPanel, ActionPhase, Mode, State};
use super::view::View;
use crate::actions::ActionRequest;
use crate::actions::executor::{ActionError, Outcome, Progress};
use crate::actions::plan::Plan;
use crate::cluster::rows::WorkloadKind;

/// `:restart api` and friends. None when the first word is not an action verb.
pub fn from_command(state: &mut State, words: &[&str]) -> Option<Vec<Effect>> {
    if !words
        .first()
        .is_some_and(|w| ActionRequest::VERBS.contains(w))
    {
        return None;
    }
    if state.action.as_ref().is_some_and(|a| !a.finished()) {
        state.flash = Some("an action is already in progress".into());
        return Some(vec![]);
    }
    if state.connection.readonly {
        // Refused before anything is asked of the cluster.
        state.action = Some(ActionPanel {
            title: words.join(" "),
            phase: ActionPhase::Failed,
            lines: vec![format!(
                "read-only: context {} refuses every action (--readonly or readonly = true)",
                state.connection.context
            )],
        });
        return Some(vec![]);
    }
    match ActionRequest::parse(words, &state.connection.default_namespace) {
        Ok(request) => {
            state.action = Some(ActionPanel {
                title: words.join(" "),
                phase: ActionPhase::Planning,
                lines: vec!["planning: live state, permission check, server-side dry run".into()],
            });
            Some(vec![Effect::PlanAction(request)])
        }
        Err(e) => {
            state.flash = Some(e);
            Some(vec![])
        }
    }
}

/// `r`, `s`, `u` on a workload open the command line with the action typed for it, so the
/// operator reads and completes it; Enter then plans, and the plan still needs confirming.
/// `c` on a node opens `cordon NODE` (`uncordon NODE` when the node is already cordoned).
pub fn prefill(state: &State, verb: &str) -> Option<String> {
    let view = state.view();
    if verb == "cordon" {
        if view != View::Nodes {
            return None;
        }
        let slot = state.nodes.selected_slot()?;
        let n = state.cluster.nodes.get(slot)?;
        let verb = if n.status.contains("SchedulingDisabled") {
            "uncordon"
        } else {
            "cordon"
        };
        return Some(format!("{verb} {}", n.name));
    }
    if !matches!(view, View::Overview | View::Workloads) {
        return None;
    }
    let slot = state.table(view)?.selected_slot()?;
    let w = state.cluster.workloads.get(slot)?;
    let kind = match w.kind {
        WorkloadKind::Deployment => "deploy",
        WorkloadKind::StatefulSet => "sts",
    };
    let target = format!("{kind}/{}/{}", w.namespace, w.name);
    Some(match verb {
        "scale" => format!("scale {target} {}", w.desired),
        other => format!("{other} {target}"),
    })
}

pub fn on_planned(state: &mut State, result: Result<Box<Plan>, ActionError>) {
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
            };
        }
        Err(e) => {
            panel.phase = ActionPhase::Failed;
            panel.push(e.to_string());
        }
    }
}

pub fn on_progress(state: &mut State, progress: Progress) {
    let Some(panel) = state.action.as_mut() else {
        return;
    };
    panel.push(match progress {
        Progress::Requested { status } => format!("sent: HTTP {status}"),
        Progress::Rollout {
            updated,
            ready,
            available,
            desired,
        } => {
            format!("rollout: {updated} updated, {ready} ready, {available} available of {desired}")
        }
        Progress::Message(m) => m,
    });
}

pub fn on_finished(state: &mut State, result: Result<Outcome, ActionError>) {
    let Some(panel) = state.action.as_mut() else {
        return;
    };
    match result {
        Ok(o) if o.ok => {
            panel.phase = ActionPhase::Succeeded;
            panel.push(format!(
                "done in {:.1}s: {}",
                o.duration.as_secs_f64(),
                o.summary
            ));
        }
        Ok(o) => {
            panel.phase = ActionPhase::Failed;
            panel.push(format!(
                "failed after {:.1}s: {}",
                o.duration.as_secs_f64(),
                o.summary
            ));
        }
        Err(e) => {
            panel.phase = ActionPhase::Failed;
            panel.push(e.to_string());
        }
    }
}

/// Keys while a plan waits for confirmation. Esc only cancels (over slow SSH an arrow key can
/// arrive as Esc + letters: that must never confirm anything).
pub fn confirm_key(
    state: &mut State,
    key: KeyEvent,
    plan: Box<Plan>,
    mut input: TextArea<'static>,
) -> Vec<Effect> {
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
                state.mode = Mode::Confirm { plan, input };
                return vec![];
            }
            if let Some(panel) = state.action.as_mut() {
                panel.phase = ActionPhase::Running;
                panel.push("confirmed: executing".into());
            }
            vec![Effect::ExecuteAction {
                plan,
                confirmation: typed,
            }]
        }
        _ => {
            input.input(key);
            state.mode = Mode::Confirm { plan, input };
            vec![]
        }
    }
}
