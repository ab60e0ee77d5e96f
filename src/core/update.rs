//! The reducer: `update(&mut State, Msg) -> Vec<Effect>`. Pure: no I/O, no clock, no awaits.

use std::cmp::Ordering;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind};
use tui_textarea::TextArea;

use super::action::Action;
use super::action_flow;
use super::msg::{Effect, Msg};
use super::runbook_flow;
use super::state::{LogsView, Mode, QUEUE_HISTORY, State};
use super::table::{TableState, matches};
use super::view::{PodScope, Screen, View};
use crate::cluster::logs::{LogBuffer, LogEvent, LogMsg, LogTarget};
use crate::cluster::model::{ClusterMsg, LoadState, Resource, Rows, SourceEvent, retry_reason};
use crate::cluster::source::Namespaces;
use crate::cluster::store::{Keyed, Store};
use crate::config::keymap::Layer;
use crate::queues::QueueMsg;
use crate::ui::format::age;
use crate::ui::layout::table_rows;

pub fn update(state: &mut State, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Key(key) if key.kind != KeyEventKind::Release => {
            state.dirty = true;
            prepare(state);
            let effects = on_key(state, key);
            // A cancelled confirmation ends a runbook's action step too.
            runbook_flow::after_action(state);
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
            // Time passing changes the screen only through the ages shown on it.
            state.dirty |= shown_ages_change(state, state.now, now);
            state.now = now;
            vec![]
        }
        Msg::Cluster(m) => {
            state.dirty |= cluster_change_is_visible(state, &m);
            state.cluster.apply(m, state.now);
            vec![]
        }
        Msg::Logs(m) => {
            on_logs(state, m);
            vec![]
        }
        Msg::ActionPlanned(result) => {
            action_flow::on_planned(state, result);
            runbook_flow::after_action(state);
            state.dirty = true;
            vec![]
        }
        Msg::ActionProgressed(progress) => {
            action_flow::on_progress(state, progress);
            state.dirty = true;
            vec![]
        }
        Msg::ActionFinished(result) => {
            action_flow::on_finished(state, result);
            runbook_flow::after_action(state);
            state.dirty = true;
            vec![]
        }
        Msg::RunbookLoaded(result) => {
            runbook_flow::on_loaded(state, result);
            state.dirty = true;
            vec![]
        }
        Msg::ConditionEvaluated(result) => {
            runbook_flow::on_condition(state, result);
            state.dirty = true;
            vec![]
        }
        Msg::Queues(m) => {
            on_queues(state, m);
            vec![]
        }
        Msg::Slo(m) => {
            state.slos.apply(&m, state.now);
            state.dirty |= matches!(state.view(), View::Overview | View::Slos);
            vec![]
        }
        Msg::Cost(m) => {
            state.costs.apply(&m, state.now * 1000);
            state.dirty |= matches!(state.view(), View::Overview | View::Costs);
            vec![]
        }
    }
}

/// Whether any age on screen reads differently at `new` than at `old`: the visible rows of the
/// current table (and the overview's warnings), and the "stale for" of stale sources.
fn shown_ages_change(state: &State, old: i64, new: i64) -> bool {
    let differs = |since: i64| age(old - since) != age(new - since);
    let view = state.view();
    let page = table_rows(view, state.width, state.height, state.overview_panes());
    let window = |t: &TableState| {
        t.rows
            .iter()
            .skip(t.offset)
            .take(page)
            .copied()
            .collect::<Vec<_>>()
    };
    let c = &state.cluster;
    let stale = c
        .sources
        .values()
        .any(|s| matches!(s, LoadState::Stale { since, .. } if differs(*since)));
    let events = || {
        window(&state.events)
            .iter()
            .any(|&s| c.events.get(s).is_some_and(|e| differs(e.last_seen)))
    };
    stale
        || match view {
            View::Overview => {
                window(&state.overview)
                    .iter()
                    .any(|&s| c.workloads.get(s).is_some_and(|w| differs(w.created)))
                    || events()
            }
            View::Workloads => window(&state.workloads)
                .iter()
                .any(|&s| c.workloads.get(s).is_some_and(|w| differs(w.created))),
            View::Pods => window(&state.pods).iter().any(|&s| {
                c.pods
                    .get(s)
                    .is_some_and(|p| differs(p.created) || p.last_restart.is_some_and(differs))
            }),
            View::Nodes => window(&state.nodes)
                .iter()
                .any(|&s| c.nodes.get(s).is_some_and(|n| differs(n.created))),
            View::Hpas => window(&state.hpas)
                .iter()
                .any(|&s| c.hpas.get(s).is_some_and(|h| differs(h.created))),
            View::Events => events(),
            View::Queues | View::Slos | View::Costs | View::Logs => false,
        }
}

/// Whether a source message can change what is on screen: rows of a resource the current
/// view does not show (an HPA's CPU drifting while you read pods) cost no redraw. Load-state
/// changes and deletions always redraw (the header lists stale sources and counts).
fn cluster_change_is_visible(state: &State, msg: &ClusterMsg) -> bool {
    if !matches!(msg.event, SourceEvent::Applied(_)) {
        return true;
    }
    let shown: &[Resource] = match state.view() {
        View::Overview => &[
            Resource::Deployments,
            Resource::StatefulSets,
            Resource::Pods,
            Resource::Events,
        ],
        View::Workloads => &[
            Resource::Deployments,
            Resource::StatefulSets,
            Resource::Pods,
        ],
        View::Pods => &[Resource::Pods],
        View::Nodes => &[Resource::Nodes, Resource::Pods],
        View::Hpas => &[Resource::Hpas],
        View::Events => &[Resource::Events],
        View::Queues | View::Slos | View::Costs | View::Logs => &[],
    };
    let header_counts = matches!(
        msg.resource,
        Resource::Pods | Resource::Nodes | Resource::Events
    );
    let stale = !matches!(
        state
            .cluster
            .sources
            .get(&(msg.resource, msg.scope.clone())),
        Some(LoadState::Live)
    );
    shown.contains(&msg.resource)
        || stale
        || (header_counts && adds_rows(state, msg))
        || matches!(state.mode, Mode::NamespacePicker { .. })
}

/// True when an applied batch holds a row the store does not have yet (a header count moves).
fn adds_rows(state: &State, msg: &ClusterMsg) -> bool {
    let c = &state.cluster;
    match &msg.event {
        SourceEvent::Applied(Rows::Pods(v)) => v.iter().any(|r| c.pods.find(&r.key()).is_none()),
        SourceEvent::Applied(Rows::Nodes(v)) => v.iter().any(|r| {
            c.nodes
                .find(&r.key())
                .is_none_or(|old| old.health != r.health)
        }),
        SourceEvent::Applied(Rows::Events(v)) => {
            v.iter().any(|r| c.events.find(&r.key()).is_none())
        }
        _ => false,
    }
}

fn on_queues(state: &mut State, msg: QueueMsg) {
    match msg {
        QueueMsg::Sampled(samples) => {
            state.queues.apply_samples(&samples);
            for s in &samples {
                let history = state.queue_history.entry(s.name.clone()).or_default();
                history.push_back(s.depth);
                while history.len() > QUEUE_HISTORY {
                    history.pop_front();
                }
            }
        }
        QueueMsg::Failed {
            queues,
            reason,
            retry_in,
            ..
        } => {
            state
                .queues
                .apply_failure(&queues, &reason, retry_in, state.now);
        }
    }
    state.dirty |= matches!(state.view(), View::Overview | View::Queues);
}

fn on_logs(state: &mut State, msg: LogMsg) {
    let Some(logs) = state.logs.as_mut() else {
        return;
    };
    if logs.session != msg.session {
        return; // lines of a pod no longer shown
    }
    match msg.event {
        LogEvent::Lines(lines) => {
            for line in lines {
                logs.buffer.push(line);
            }
            logs.state = LoadState::Live;
        }
        LogEvent::Failed { reason, retry_in } => {
            logs.state = LoadState::Stale {
                since: state.now,
                reason: retry_reason(&reason, Some(retry_in)),
            };
        }
    }
    state.dirty = true;
}

fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    match std::mem::take(&mut state.mode) {
        Mode::Normal => {
            let layer = if state.view() == View::Logs {
                Layer::Logs
            } else {
                Layer::Table
            };
            match state.keymap.lookup(layer, &key) {
                Some(action) => {
                    state.flash = None;
                    perform(state, action)
                }
                None => vec![],
            }
        }
        Mode::Help => vec![], // any key closes the help
        Mode::Command(mut input) => match key.code {
            KeyCode::Enter => run_command(state, input.lines().join(" ").trim()),
            KeyCode::Esc => vec![],
            _ => {
                input.input(key);
                state.mode = Mode::Command(input);
                vec![]
            }
        },
        Mode::Filter(mut input) => {
            match key.code {
                KeyCode::Enter => {}
                KeyCode::Esc => set_filter(state, ""),
                _ => {
                    input.input(key);
                    let text = input.lines().join(" ");
                    set_filter(state, &text);
                    state.mode = Mode::Filter(input);
                }
            }
            vec![]
        }
        Mode::NamespacePicker { cursor, chosen } => picker_key(state, key, cursor, chosen),
        Mode::Confirm { plan, input } => action_flow::confirm_key(state, key, plan, input),
        Mode::Runbook => runbook_flow::key(state, key),
    }
}

fn perform(state: &mut State, action: Action) -> Vec<Effect> {
    let view = state.view();
    let page = table_rows(view, state.width, state.height, state.overview_panes());
    match action {
        Action::Quit => return vec![Effect::Quit],
        Action::Back => return back(state),
        Action::Help => state.mode = Mode::Help,
        Action::Command => state.mode = Mode::Command(text_input("")),
        Action::Filter => {
            let current = current_filter(state);
            state.mode = Mode::Filter(text_input(&current));
        }
        Action::Up => move_selection(state, -1),
        Action::Down => move_selection(state, 1),
        Action::PageUp => move_selection(state, -(page as isize)),
        Action::PageDown => move_selection(state, page as isize),
        Action::Top => move_selection(state, isize::MIN / 2),
        Action::Bottom => move_selection(state, isize::MAX / 2),
        Action::Open => return open(state),
        Action::Logs => return open_selected_pod_logs(state),
        Action::ToggleFollow => {
            if let Some(l) = state.logs.as_mut() {
                l.follow = !l.follow;
                l.top = l.buffer.visible_len().saturating_sub(page);
            }
        }
        Action::ToggleWrap => {
            if let Some(l) = state.logs.as_mut() {
                l.wrap = !l.wrap;
            }
        }
        Action::Namespaces => {
            let chosen = match &state.namespaces {
                Namespaces::All => Default::default(),
                Namespaces::Only(list) => list.iter().cloned().collect(),
            };
            state.mode = Mode::NamespacePicker { cursor: 0, chosen };
        }
        Action::Goto(v) => return goto(state, v),
        Action::Prefill(verb) => match action_flow::prefill(state, verb) {
            Some(line) => state.mode = Mode::Command(text_input(&line)),
            None => {
                let what = if verb == "cordon" { "node" } else { "workload" };
                state.flash = Some(format!("select a {what} to {verb}"));
            }
        },
    }
    vec![]
}

fn text_input(initial: &str) -> TextArea<'static> {
    let mut t = TextArea::new(vec![initial.to_string()]);
    t.move_cursor(tui_textarea::CursorMove::End);
    t
}

fn current_filter(state: &State) -> String {
    match state.view() {
        View::Logs => state
            .logs
            .as_ref()
            .map(|l| l.buffer.filter().to_string())
            .unwrap_or_default(),
        v => state.table(v).map(|t| t.filter.clone()).unwrap_or_default(),
    }
}

fn set_filter(state: &mut State, text: &str) {
    match state.view() {
        View::Logs => {
            if let Some(l) = state.logs.as_mut() {
                l.buffer.set_filter(text);
            }
        }
        v => {
            if let Some(t) = state.table_mut(v) {
                t.filter = text.to_string();
                t.selected = 0;
                t.offset = 0;
            }
        }
    }
}

fn back(state: &mut State) -> Vec<Effect> {
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
    if left == Some(View::Logs) {
        state.logs = None;
        return vec![Effect::StopLogs];
    }
    vec![]
}

fn goto(state: &mut State, view: View) -> Vec<Effect> {
    let leaving_logs = state.view() == View::Logs;
    state.stack.truncate(1);
    if view != View::Overview {
        state.stack.push(Screen::of(view));
    }
    if leaving_logs {
        state.logs = None;
        return vec![Effect::StopLogs];
    }
    vec![]
}

fn move_selection(state: &mut State, delta: isize) {
    let view = state.view();
    let page = table_rows(view, state.width, state.height, state.overview_panes());
    if view == View::Logs {
        if let Some(l) = state.logs.as_mut() {
            scroll_logs(l, delta, page);
        }
        return;
    }
    if let Some(t) = state.table_mut(view) {
        t.move_by(delta);
        t.scroll_into_view(page);
    }
}

/// Scrolling up leaves follow mode; reaching the bottom re-enters it.
fn scroll_logs(l: &mut LogsView, delta: isize, page: usize) {
    let len = l.buffer.visible_len();
    let max_top = len.saturating_sub(page);
    let top = if l.follow {
        max_top
    } else {
        l.top.min(max_top)
    };
    let new_top = (top as isize + delta).clamp(0, max_top as isize) as usize;
    l.top = new_top;
    l.follow = new_top >= max_top && delta > 0;
}

fn open(state: &mut State) -> Vec<Effect> {
    let view = state.view();
    match view {
        View::Overview | View::Workloads => {
            let table = state.table(view).and_then(TableState::selected_slot);
            if let Some(w) = table.and_then(|s| state.cluster.workloads.get(s)) {
                let scope = PodScope::Workload {
                    namespace: w.namespace.clone(),
                    name: w.name.clone(),
                };
                push_pods(state, scope);
            }
        }
        View::Nodes => {
            if let Some(n) = state
                .nodes
                .selected_slot()
                .and_then(|s| state.cluster.nodes.get(s))
            {
                let scope = PodScope::Node(n.name.clone());
                push_pods(state, scope);
            }
        }
        View::Hpas => {
            if let Some(h) = state
                .hpas
                .selected_slot()
                .and_then(|s| state.cluster.hpas.get(s))
            {
                let name = h.target.split('/').nth(1).unwrap_or_default().to_string();
                let scope = PodScope::Workload {
                    namespace: h.namespace.clone(),
                    name,
                };
                push_pods(state, scope);
            }
        }
        View::Events => {
            let event = state
                .events
                .selected_slot()
                .and_then(|s| state.cluster.events.get(s));
            if let Some(e) = event {
                let (kind, name) = e.object.split_once('/').unwrap_or(("", ""));
                let key = format!("{}/{name}", e.namespace);
                if kind == "Pod" && state.cluster.pods.find(&key).is_some() {
                    let (ns, name) = (e.namespace.clone(), name.to_string());
                    return open_logs(state, ns, name, None);
                }
                if matches!(kind, "Deployment" | "StatefulSet") {
                    let scope = PodScope::Workload {
                        namespace: e.namespace.clone(),
                        name: name.to_string(),
                    };
                    push_pods(state, scope);
                }
            }
        }
        View::Pods => return open_selected_pod_logs(state),
        View::Queues => {
            let row = state
                .queue_table
                .selected_slot()
                .and_then(|i| state.queues.rows().get(i));
            match row.and_then(|q| q.consumer_workload.clone()) {
                Some(consumer) => {
                    let (namespace, name) = consumer
                        .split_once('/')
                        .map(|(n, w)| (n.to_string(), w.to_string()))
                        .unwrap_or_else(|| (state.connection.default_namespace.clone(), consumer));
                    push_pods(state, PodScope::Workload { namespace, name });
                }
                None => state.flash = Some("this queue names no consumer in the config".into()),
            }
        }
        View::Slos => open_slo_service(state),
        View::Costs => {}
        View::Logs => {}
    }
    vec![]
}

/// An SLO's service is usually a workload of the same name: open its pods.
fn open_slo_service(state: &mut State) {
    let service = state
        .slo_table
        .selected_slot()
        .and_then(|i| state.slos.rows().get(i))
        .map(|r| r.service.clone());
    let Some(service) = service else {
        return;
    };
    let workload = state
        .cluster
        .workloads
        .iter()
        .find(|(_, w)| w.name == service)
        .map(|(_, w)| w.namespace.clone());
    match workload {
        Some(namespace) => push_pods(
            state,
            PodScope::Workload {
                namespace,
                name: service,
            },
        ),
        None => state.flash = Some(format!("no workload named {service}")),
    }
}

fn push_pods(state: &mut State, scope: PodScope) {
    state.pods.selected = 0;
    state.pods.offset = 0;
    state.pods.filter.clear();
    state.stack.push(Screen {
        view: View::Pods,
        pod_scope: Some(scope),
    });
}

fn open_selected_pod_logs(state: &mut State) -> Vec<Effect> {
    if state.view() != View::Pods {
        return vec![];
    }
    let Some(pod) = state
        .pods
        .selected_slot()
        .and_then(|s| state.cluster.pods.get(s))
    else {
        return vec![];
    };
    let (ns, name) = (pod.namespace.clone(), pod.name.clone());
    let container = (pod.container_names.len() > 1).then(|| pod.container_names[0].clone());
    open_logs(state, ns, name, container)
}

fn open_logs(
    state: &mut State,
    namespace: String,
    pod: String,
    container: Option<String>,
) -> Vec<Effect> {
    let session = state.take_log_session();
    let target = LogTarget {
        namespace,
        pod,
        container,
    };
    state.logs = Some(LogsView {
        target: target.clone(),
        session,
        buffer: LogBuffer::default(),
        follow: true,
        top: 0,
        wrap: false,
        state: LoadState::Loading,
    });
    state.stack.push(Screen::of(View::Logs));
    vec![Effect::StopLogs, Effect::FollowLogs { target, session }]
}

fn run_command(state: &mut State, line: &str) -> Vec<Effect> {
    let mut words = line.split_whitespace();
    let Some(cmd) = words.next() else {
        return vec![];
    };
    let rest: Vec<&str> = words.collect();
    let all: Vec<&str> = std::iter::once(cmd).chain(rest.iter().copied()).collect();
    if let Some(effects) = action_flow::from_command(state, &all) {
        return effects;
    }
    match cmd {
        "q" | "q!" | "quit" | "exit" => vec![Effect::Quit],
        "help" | "?" => {
            state.mode = Mode::Help;
            vec![]
        }
        "ns" | "namespace" | "namespaces" if rest.is_empty() => perform(state, Action::Namespaces),
        "ns" | "namespace" | "namespaces" => rewatch(state, Namespaces::parse(&rest.join(","))),
        "logs" | "log" => open_selected_pod_logs(state),
        "runbook" | "rb" => runbook_flow::from_command(state, &rest),
        word => match View::from_command(word) {
            Some(view) => {
                let effects = goto(state, view);
                if !rest.is_empty() {
                    set_filter(state, &rest.join(" "));
                }
                effects
            }
            None => {
                state.flash = Some(format!("unknown command :{word} (? shows the keys)"));
                vec![]
            }
        },
    }
}

fn rewatch(state: &mut State, namespaces: Namespaces) -> Vec<Effect> {
    if namespaces == state.namespaces {
        return vec![];
    }
    state.namespaces = namespaces.clone();
    state.cluster.reset();
    for v in [
        View::Overview,
        View::Workloads,
        View::Pods,
        View::Hpas,
        View::Events,
    ] {
        if let Some(t) = state.table_mut(v) {
            *t = TableState::default();
        }
    }
    let mut effects = goto(state, View::Overview);
    effects.push(Effect::Rewatch(namespaces));
    effects
}

/// The namespace picker: "all" first, then every namespace seen; space toggles, enter applies.
fn picker_key(
    state: &mut State,
    key: KeyEvent,
    mut cursor: usize,
    mut chosen: std::collections::BTreeSet<String>,
) -> Vec<Effect> {
    let count = state.cluster.namespaces.len() + 1;
    match key.code {
        KeyCode::Esc => return vec![],
        KeyCode::Enter => {
            let ns = if chosen.is_empty() {
                Namespaces::All
            } else {
                Namespaces::Only(chosen.into_iter().collect())
            };
            return rewatch(state, ns);
        }
        KeyCode::Up | KeyCode::Char('k') => cursor = cursor.saturating_sub(1),
        KeyCode::Down | KeyCode::Char('j') => cursor = (cursor + 1).min(count - 1),
        KeyCode::Char(' ') => {
            if cursor == 0 {
                chosen.clear();
            } else if let Some(ns) = state.cluster.namespaces.get(cursor - 1)
                && !chosen.remove(ns)
            {
                chosen.insert(ns.clone());
            }
        }
        _ => {}
    }
    state.mode = Mode::NamespacePicker { cursor, chosen };
    vec![]
}

/// Brings derived data up to date before a frame: cross-resource figures and each table's
/// display order. Cheap when nothing changed (fingerprints match).
pub fn prepare(state: &mut State) {
    state.cluster.refresh_derived();
    let scope = state.screen().pod_scope.clone();
    let c = &state.cluster;

    // Overview: worst first.
    rebuild(
        &mut state.overview,
        &c.workloads,
        c.workloads.revision,
        String::new(),
        |w, f| matches(&w.name, f) || matches(&w.namespace, f),
        |a, b| {
            b.health
                .cmp(&a.health)
                .then_with(|| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)))
        },
    );

    rebuild(
        &mut state.workloads,
        &c.workloads,
        c.workloads.membership,
        String::new(),
        |w, f| {
            matches(&w.name, f)
                || matches(&w.namespace, f)
                || matches(w.rollout.label().as_str(), f)
        },
        |a, b| (&a.namespace, a.kind, &a.name).cmp(&(&b.namespace, b.kind, &b.name)),
    );

    let scope_key = scope.as_ref().map(PodScope::label).unwrap_or_default();
    let pods_rev = if state.pods.filter.is_empty() {
        c.pods.membership
    } else {
        c.pods.revision
    };
    rebuild(
        &mut state.pods,
        &c.pods,
        pods_rev,
        scope_key,
        |p, f| {
            let in_scope = match &scope {
                Some(PodScope::Workload { namespace, name }) => {
                    &p.namespace == namespace && p.workload.as_deref() == Some(name)
                }
                Some(PodScope::Node(n)) => &p.node == n,
                None => true,
            };
            in_scope
                && (matches(&p.name, f)
                    || matches(&p.status, f)
                    || matches(&p.node, f)
                    || matches(&p.namespace, f))
        },
        |a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)),
    );

    rebuild(
        &mut state.nodes,
        &c.nodes,
        c.nodes.membership,
        String::new(),
        |n, f| matches(&n.name, f) || matches(&n.status, f),
        |a, b| a.name.cmp(&b.name),
    );

    rebuild(
        &mut state.hpas,
        &c.hpas,
        c.hpas.membership,
        String::new(),
        |h, f| matches(&h.name, f) || matches(&h.namespace, f),
        |a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)),
    );

    rebuild(
        &mut state.events,
        &c.events,
        c.events.revision,
        String::new(),
        |e, f| matches(&e.reason, f) || matches(&e.object, f) || matches(&e.message, f),
        |a, b| {
            b.last_seen
                .cmp(&a.last_seen)
                .then_with(|| a.name.cmp(&b.name))
        },
    );

    let queue_count = state.queues.rows().len();
    if state.queue_table.rows.len() != queue_count {
        state.queue_table.set_rows((0..queue_count).collect());
    }
    let slo_count = state.slos.rows().len();
    if state.slo_table.rows.len() != slo_count {
        state.slo_table.set_rows((0..slo_count).collect());
    }
    let budget_count = state.costs.budgets().len();
    if state.cost_table.rows.len() != budget_count {
        state.cost_table.set_rows((0..budget_count).collect());
    }
    let panes = state.overview_panes();
    let (w, h) = (state.width, state.height);
    for view in [
        View::Overview,
        View::Workloads,
        View::Pods,
        View::Nodes,
        View::Hpas,
        View::Events,
        View::Queues,
        View::Slos,
        View::Costs,
    ] {
        if let Some(t) = state.table_mut(view) {
            t.scroll_into_view(table_rows(view, w, h, panes));
        }
    }
}

fn rebuild<R: Keyed>(
    table: &mut TableState,
    store: &Store<R>,
    revision: u64,
    scope_key: String,
    keep: impl Fn(&R, &str) -> bool,
    order: impl Fn(&R, &R) -> Ordering,
) {
    let fingerprint = (revision, table.filter.clone(), scope_key);
    if table.built_from.as_ref() == Some(&fingerprint) {
        return;
    }
    let needle = table.filter.to_lowercase();
    let mut rows: Vec<(usize, &R)> = store.iter().filter(|(_, r)| keep(r, &needle)).collect();
    rows.sort_by(|a, b| order(a.1, b.1));
    table.set_rows(rows.into_iter().map(|(slot, _)| slot).collect());
    table.built_from = Some(fingerprint);
}
