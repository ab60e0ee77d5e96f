//! Navigation: going to a view, back, drilling down (what a pane's enter asks for), moving the
//! selection, filtering, opening a pod's log, watching other namespaces.

use super::super::layout::page;
use super::super::msg::Effect;
use super::super::state::{Screen, State};
use crate::cluster::pane::{LOGS, OVERVIEW, PODS};
use crate::cluster::source::Namespaces;
use crate::ui::pane::{LogTarget, Nav, Scope, ViewId};

pub fn current_filter(state: &State) -> String {
    let view = state.view();
    if view == LOGS {
        return state
            .panes
            .cluster
            .logs
            .as_ref()
            .map(|l| l.buffer.filter().to_string())
            .unwrap_or_default();
    }
    state
        .panes
        .owner(view)
        .and_then(|p| p.table(view))
        .map(|t| t.filter.clone())
        .unwrap_or_default()
}

pub fn set_filter(state: &mut State, text: &str) {
    let view = state.view();
    if view == LOGS {
        if let Some(l) = state.panes.cluster.logs.as_mut() {
            l.buffer.set_filter(text);
        }
        return;
    }
    if let Some(t) = state.panes.owner_mut(view).and_then(|p| p.table_mut(view)) {
        t.filter = text.to_string();
        t.selected = 0;
        t.offset = 0;
    }
}

/// Esc: dismiss a finished action's panel, else clear the filter, else go back.
pub fn back(state: &mut State) -> Vec<Effect> {
    if state.action.as_ref().is_some_and(|a| a.finished()) {
        state.action = None;
        return vec![];
    }
    if !current_filter(state).is_empty() {
        set_filter(state, "");
        return vec![];
    }
    if state.stack.len() <= 1 {
        return vec![];
    }
    let left = state.stack.pop().map(|s| s.view);
    if left == Some(LOGS) {
        state.panes.cluster.close_logs();
        return vec![Effect::StopLogs];
    }
    vec![]
}

/// A view from anywhere: the overview, then it (the overview is always one esc away).
pub fn goto(state: &mut State, view: ViewId) -> Vec<Effect> {
    let leaving_logs = state.view() == LOGS;
    state.stack.truncate(1);
    if view != OVERVIEW {
        state.stack.push(Screen::of(view));
    }
    if leaving_logs {
        state.panes.cluster.close_logs();
        return vec![Effect::StopLogs];
    }
    vec![]
}

pub fn move_selection(state: &mut State, delta: isize) {
    let view = state.view();
    let rows = page(&state.panes, view, state.width, state.height);
    if view == LOGS {
        state.panes.cluster.scroll_logs(delta, rows);
        return;
    }
    if let Some(t) = state.panes.owner_mut(view).and_then(|p| p.table_mut(view)) {
        t.move_by(delta);
        t.scroll_into_view(rows);
    }
}

/// Enter: whatever the current pane says its selected row opens.
pub fn open(state: &mut State) -> Vec<Effect> {
    let view = state.view();
    match state.panes.owner(view).and_then(|p| p.open(view)) {
        Some(nav) => follow(state, nav),
        None => vec![],
    }
}

/// `l` or `:logs`: the selected pod's log.
pub fn logs_of_selected(state: &mut State) -> Vec<Effect> {
    match state.panes.cluster.logs_of_selected(state.view()) {
        Some(nav) => follow(state, nav),
        None => vec![],
    }
}

fn follow(state: &mut State, nav: Nav) -> Vec<Effect> {
    match nav {
        Nav::Pods(scope) => push_pods(state, scope),
        Nav::Logs(target) => return open_logs(state, target),
        Nav::WorkloadNamed(name) => match state.panes.cluster.workload_named(&name) {
            Some(scope) => push_pods(state, scope),
            None => state.flash = Some(format!("no workload named {name}")),
        },
        Nav::Slo(name) => return show_row(state, crate::slo::pane::SLOS, "SLO", &name),
        Nav::Queue(name) => return show_row(state, crate::queues::pane::QUEUES, "queue", &name),
        Nav::Say(what) => state.flash = Some(what),
    }
    vec![]
}

/// Opens `view` with the row named `name` selected (an alert's SLO or queue).
fn show_row(state: &mut State, view: ViewId, what: &str, name: &str) -> Vec<Effect> {
    let found = state
        .panes
        .owner_mut(view)
        .is_some_and(|p| p.select(view, name));
    if !found {
        state.flash = Some(format!("no {what} named {name} is watched"));
        return vec![];
    }
    state.stack.push(Screen::of(view));
    vec![]
}

fn push_pods(state: &mut State, scope: Scope) {
    state.panes.cluster.reset_pods();
    state.stack.push(Screen {
        view: PODS,
        scope: Some(scope),
    });
}

fn open_logs(state: &mut State, target: LogTarget) -> Vec<Effect> {
    let session = state.panes.cluster.open_logs(target.clone());
    state.stack.push(Screen::of(LOGS));
    vec![Effect::StopLogs, Effect::FollowLogs { target, session }]
}

/// Watches other namespaces: every cluster row starts over, and the overview shows.
pub fn rewatch(state: &mut State, namespaces: Namespaces) -> Vec<Effect> {
    if namespaces == state.panes.cluster.namespaces {
        return vec![];
    }
    state.panes.cluster.rewatch(namespaces.clone());
    let mut effects = goto(state, OVERVIEW);
    effects.push(Effect::Rewatch(namespaces));
    effects
}
