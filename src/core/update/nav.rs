//! Navigation: going to a view, back, drilling down (what a pane's enter asks for), moving the
//! selection, filtering, opening a pod's log, watching other namespaces.

use super::super::layout::page;
use super::super::msg::Effect;
use super::super::state::{Screen, State};
use crate::cluster::pane::{LOGS, OVERVIEW, PODS};
use crate::cluster::source::Namespaces;
use crate::inspect::document::Face;
use crate::inspect::pane::{face, view_of};
use crate::k8s::ObjectRef;
use crate::ui::pane::{LogTarget, Nav, Scope, ViewId};

pub fn current_filter(state: &State) -> String {
    let view = state.view();
    let Some(pane) = state.panes.owner(view) else {
        return String::new();
    };
    pane.search(view)
        .or_else(|| pane.table(view).map(|t| t.filter.clone()))
        .unwrap_or_default()
}

/// The table's filter, or a text view's search (a log's filter).
pub fn set_filter(state: &mut State, text: &str) {
    let view = state.view();
    let rows = page(&state.panes, view, state.width, state.height);
    let Some(pane) = state.panes.owner_mut(view) else {
        return;
    };
    if pane.set_search(view, text, rows) {
        return;
    }
    if let Some(t) = pane.table_mut(view) {
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
    left_views(state, left)
}

/// Lets go of what a view left behind holds: a log's stream, an object's text (unless the
/// view now shown is still about it).
fn left_views(state: &mut State, left: Option<ViewId>) -> Vec<Effect> {
    if face(state.view()).is_none() {
        state.panes.inspect.close();
    }
    if left == Some(LOGS) && state.view() != LOGS {
        state.panes.cluster.close_logs();
        return vec![Effect::StopLogs];
    }
    vec![]
}

/// A view from anywhere: the overview, then it (the overview is always one esc away).
pub fn goto(state: &mut State, view: ViewId) -> Vec<Effect> {
    let was_reading_logs = state.stack.iter().any(|s| s.view == LOGS);
    state.stack.truncate(1);
    if view != OVERVIEW {
        state.stack.push(Screen::of(view));
    }
    let mut effects = left_views(state, was_reading_logs.then_some(LOGS));
    effects.extend(super::axis::opened(state, view));
    effects
}

pub fn move_selection(state: &mut State, delta: isize) {
    let view = state.view();
    let rows = page(&state.panes, view, state.width, state.height);
    let Some(pane) = state.panes.owner_mut(view) else {
        return;
    };
    if pane.scroll(view, delta, rows) {
        return;
    }
    if let Some(t) = pane.table_mut(view) {
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
        Nav::Inspect(object) => return inspect_object(state, object, Face::Describe),
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

/// `d` / `y`: the selected row's object (or the pod whose log is read) described or as YAML.
/// On a describe or YAML view, the other face of the same object, or, pressed again, the
/// object read anew.
pub fn inspect(state: &mut State, wanted: Face) -> Vec<Effect> {
    let view = state.view();
    if let Some(shown) = face(view) {
        let object = state.panes.inspect.doc.as_ref().map(|d| d.object.clone());
        if shown != wanted {
            if let Some(top) = state.stack.last_mut() {
                top.view = view_of(wanted);
            }
            return vec![];
        }
        return match object {
            Some(object) => {
                let session = state.panes.inspect.open(object.clone());
                vec![Effect::Inspect { object, session }]
            }
            None => vec![],
        };
    }
    let object = state.panes.owner(view).and_then(|p| p.inspect(view));
    let Some(object) = object else {
        state.flash = Some("select a workload, pod, node, HPA or event to inspect".into());
        return vec![];
    };
    inspect_object(state, object, wanted)
}

fn inspect_object(state: &mut State, object: ObjectRef, face: Face) -> Vec<Effect> {
    let session = state.panes.inspect.open(object.clone());
    state.stack.push(Screen::of(view_of(face)));
    vec![Effect::Inspect { object, session }]
}

/// `p` in a pod's log: the previous container's log (what it printed before it died), or
/// back to the current one.
pub fn previous_log(state: &mut State) -> Vec<Effect> {
    let Some(mut target) = state.panes.cluster.logs.as_ref().map(|l| l.target.clone()) else {
        return vec![];
    };
    target.previous = !target.previous;
    let session = state.panes.cluster.open_logs(target.clone());
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
