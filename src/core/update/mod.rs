//! The reducer: `update(&mut State, Msg) -> Vec<Effect>`. Pure: no I/O, no clock, no awaits.
//! Split by concern: keys, navigation, the console's action flow, the runbook walk, the
//! namespace picker; the command line lives in `core::command`.

pub(crate) mod actions;
pub(crate) mod axis;
pub(crate) mod incident;
mod keys;
pub(crate) mod nav;
pub(crate) mod picker;
pub(crate) mod runbook;

use super::layout::page;
use super::msg::{Effect, Msg};
use super::panes::PaneMsg;
use super::state::{Mode, State};
use crate::cluster::pane::OVERVIEW;
use crate::incident::observe::Domain;
use crossterm::event::KeyEventKind;

pub fn update(state: &mut State, msg: Msg) -> Vec<Effect> {
    let walking = state.runbook.is_some()
        || matches!(
            msg,
            Msg::RunbookLoaded(_) | Msg::RunbookUnreadable(_) | Msg::ConditionEvaluated(_)
        );
    let mut effects = step(state, msg);
    if walking {
        effects.extend(incident::runbook_steps(state));
    }
    effects
}

fn step(state: &mut State, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Key(key) if key.kind != KeyEventKind::Release => {
            state.dirty = true;
            prepare(state);
            let effects = keys::on_key(state, key);
            // A cancelled confirmation ends a runbook's action step too.
            runbook::after_action(state);
            prepare(state);
            effects
        }
        Msg::Key(_) => vec![],
        Msg::Resized { width, height } => {
            state.width = width;
            state.height = height;
            state.dirty = true;
            vec![]
        }
        Msg::Ticked(now) => {
            // Time passing changes the screen only through the ages shown on it: the view's,
            // and on the overview every band's.
            let view = state.view();
            let rows = page(&state.panes, view, state.width, state.height);
            let old = state.now;
            let shows = |p: &dyn crate::ui::pane::Pane| {
                p.views().iter().any(|v| v.id == view) || (view == OVERVIEW && p.band().is_some())
            };
            state.dirty |= state
                .panes
                .all()
                .into_iter()
                .any(|p| shows(p) && p.ages_change(view, rows, old, now));
            state.now = now;
            incident::ticked(state)
        }
        Msg::Pane(PaneMsg::Incident(crate::incident::pane::IncidentMsg::Shared(m))) => {
            incident::shared(state, m)
        }
        Msg::Pane(m) => {
            let picking = matches!(state.mode, Mode::NamespacePicker { .. });
            let domain = domain_of(&m);
            state.dirty |= state.panes.apply(m, state.now, state.view(), picking);
            domain.map_or_else(Vec::new, |d| incident::observed(state, d))
        }
        Msg::ActionPlanned(result) => {
            actions::on_planned(state, result);
            runbook::after_action(state);
            state.dirty = true;
            vec![]
        }
        Msg::ActionProgressed(progress) => {
            if let Some(panel) = state.action.as_mut() {
                panel.progressed(&progress);
            }
            state.dirty = true;
            vec![]
        }
        Msg::ActionFinished(result) => {
            let outcome = match &result {
                Ok(o) => o.summary.clone(),
                Err(e) => format!("failed: {e}"),
            };
            if let Some(panel) = state.action.as_mut() {
                panel.finish(result);
            }
            let effects = incident::action_finished(state, &outcome);
            runbook::after_action(state);
            state.dirty = true;
            effects
        }
        Msg::RunbookLoaded(result) => {
            runbook::on_loaded(state, result);
            state.dirty = true;
            vec![]
        }
        Msg::RunbookUnreadable(steps) => {
            runbook::on_unreadable(state, &steps);
            state.dirty = true;
            vec![]
        }
        Msg::ConditionEvaluated(result) => {
            let effects = runbook::on_condition(state, result);
            state.dirty = true;
            effects
        }
    }
}

/// Which part of the world a source message is about (what the incident observer looks at).
fn domain_of(m: &PaneMsg) -> Option<Domain> {
    Some(match m {
        PaneMsg::Cluster(_) => Domain::Cluster,
        PaneMsg::Alerts(_) => Domain::Alerts,
        PaneMsg::Slo(_) => Domain::Slo,
        PaneMsg::Queues(_) => Domain::Queues,
        PaneMsg::Cost(_) => Domain::Cost,
        _ => return None,
    })
}

/// Brings derived data up to date before a frame: each pane's display orders, and every
/// table scrolled so its selection shows. Cheap when nothing changed.
pub fn prepare(state: &mut State) {
    let scope = state.screen().scope.clone();
    let (view, now) = (state.view(), state.now);
    for pane in state.panes.all_mut() {
        pane.prepare(view, scope.as_ref(), now);
    }
    let (w, h) = (state.width, state.height);
    let pages: Vec<_> = state
        .views
        .iter()
        .map(|v| (v.id, page(&state.panes, v.id, w, h)))
        .collect();
    for (view, rows) in pages {
        if let Some(t) = state.panes.owner_mut(view).and_then(|p| p.table_mut(view)) {
            t.scroll_into_view(rows);
        }
    }
}
