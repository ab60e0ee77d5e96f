//! The cluster's pane: its model, one table per view, the pod log being read, and what the
//! console asks of it (which views it has, what enter opens, what a message changes on screen).

use std::collections::{BTreeMap, HashMap};

use ratatui::Frame;
use ratatui::layout::Rect;

use super::logs::{LogMsg, LogsView};
use super::model::{ClusterModel, ClusterMsg, Resource, Rows, SourceEvent};
use super::source::Namespaces;
use super::store::Keyed;
use super::view::{self, Events, Hpas, Nodes, Pods, Shown, Workloads};
use super::{snapshot, tables};
use crate::k8s::context::ContextName;
use crate::k8s::hpa::Scaler;
use crate::k8s::{ObjectKind, ObjectRef, WorkloadKind};
use crate::status::{Health, LoadState};
use crate::ui::format::{age, stale_age_changes};
use crate::ui::pane::{
    Badge, BadgeRank, Layer, LogTarget, Nav, Pane, Scope, Target, ViewId, ViewSpec, badge,
};
use crate::ui::snapshot::{PaneSnapshot, Source};
use crate::ui::table::{Ctx, TableRows, selected_in_full};
use crate::ui::table_state::TableState;

pub const OVERVIEW: ViewId = crate::ui::pane::OVERVIEW;
pub const WORKLOADS: ViewId = ViewId("workloads");
pub const PODS: ViewId = ViewId("pods");
pub const NODES: ViewId = ViewId("nodes");
pub const HPAS: ViewId = ViewId("hpa");
pub const EVENTS: ViewId = ViewId("events");
pub const LOGS: ViewId = ViewId("logs");

const fn spec(
    id: ViewId,
    title: &'static str,
    commands: &'static [&'static str],
    key: Option<char>,
    help: &'static str,
) -> ViewSpec {
    ViewSpec {
        id,
        title,
        commands,
        key,
        help,
        layer: Layer::Table,
    }
}

pub const VIEWS: &[ViewSpec] = &[
    spec(
        OVERVIEW,
        "Overview",
        &["overview", "ov", "home", "o"],
        Some('0'),
        "overview",
    ),
    spec(
        WORKLOADS,
        "Workloads",
        &[
            "workloads",
            "wl",
            "deploy",
            "deployments",
            "deployment",
            "dp",
            "sts",
            "statefulsets",
            "statefulset",
        ],
        Some('1'),
        "deployments, statefulsets",
    ),
    spec(PODS, "Pods", &["pods", "pod", "po"], Some('2'), "pods"),
    spec(NODES, "Nodes", &["nodes", "node", "no"], Some('3'), "nodes"),
    spec(
        HPAS,
        "HPAs",
        &["hpa", "hpas", "horizontalpodautoscalers"],
        Some('4'),
        "autoscalers (HPA)",
    ),
    spec(
        EVENTS,
        "Warning events",
        &["events", "event", "ev", "warnings"],
        Some('5'),
        "warning events",
    ),
    ViewSpec {
        id: LOGS,
        title: "Logs",
        commands: &[],
        key: None,
        help: "a pod's log",
        layer: Layer::Logs,
    },
];

#[derive(Debug)]
pub struct ClusterPane {
    pub model: ClusterModel,
    pub namespaces: Namespaces,
    /// Every context watched, in the order asked for.
    pub contexts: Vec<ContextName>,
    /// The contexts the tables show (`:ctx`); empty: every one watched.
    pub showing: Vec<ContextName>,
    /// Workloads, worst first: the overview's table.
    pub overview: TableState,
    pub workloads: TableState,
    pub pods: TableState,
    pub nodes: TableState,
    pub hpas: TableState,
    pub events: TableState,
    pub logs: Option<LogsView>,
    next_log_session: u64,
    /// The queues each workload consumes ("namespace/name" -> queues), for the HPA view.
    pub queues_of: BTreeMap<String, Vec<String>>,
}

impl ClusterPane {
    /// Every autoscaler by the workload it scales ("namespace/name").
    pub fn scalers(&self) -> BTreeMap<String, Scaler> {
        self.model
            .hpas
            .iter()
            .map(|(_, h)| {
                let workload = h.target.rsplit('/').next().unwrap_or_default();
                let scaler = Scaler {
                    min: h.min,
                    max: h.max,
                    current: h.current,
                    desired: h.desired,
                };
                (format!("{}/{workload}", h.namespace), scaler)
            })
            .collect()
    }

    pub fn new(namespaces: Namespaces, contexts: Vec<ContextName>) -> ClusterPane {
        ClusterPane {
            model: ClusterModel::default(),
            namespaces,
            contexts,
            showing: vec![],
            overview: TableState::default(),
            workloads: TableState::default(),
            pods: TableState::default(),
            nodes: TableState::default(),
            hpas: TableState::default(),
            events: TableState::default(),
            logs: None,
            next_log_session: 1,
            queues_of: BTreeMap::new(),
        }
    }

    /// One watch message; true when it changes what `view` shows (rows of a resource the view
    /// does not show, an HPA's CPU drifting while you read pods, cost no redraw).
    pub fn apply(&mut self, msg: ClusterMsg, now: i64, view: ViewId, picking: bool) -> bool {
        let dirty = picking || self.is_visible(&msg, view);
        self.model.apply(msg, now);
        dirty
    }

    fn is_visible(&self, msg: &ClusterMsg, view: ViewId) -> bool {
        if !matches!(msg.event, SourceEvent::Applied(_)) {
            // Load states and deletions always show: the header lists stale sources and counts.
            return true;
        }
        let shown: &[Resource] = match view {
            OVERVIEW => &[
                Resource::Deployments,
                Resource::StatefulSets,
                Resource::Pods,
                Resource::Events,
            ],
            WORKLOADS => &[
                Resource::Deployments,
                Resource::StatefulSets,
                Resource::Pods,
            ],
            PODS => &[Resource::Pods],
            NODES => &[Resource::Nodes, Resource::Pods],
            HPAS => &[Resource::Hpas],
            EVENTS => &[Resource::Events],
            _ => &[],
        };
        let header_counts = matches!(
            msg.resource,
            Resource::Pods | Resource::Nodes | Resource::Events
        );
        let key = (msg.context.clone(), msg.resource, msg.scope.clone());
        let stale = !matches!(self.model.sources.get(&key), Some(LoadState::Live));
        shown.contains(&msg.resource) || stale || (header_counts && self.adds_rows(msg))
    }

    /// True when an applied batch holds a row the store does not have yet (a header count
    /// moves) or a node whose health changed.
    fn adds_rows(&self, msg: &ClusterMsg) -> bool {
        let c = &self.model;
        match &msg.event {
            SourceEvent::Applied(Rows::Pods(v)) => {
                v.iter().any(|r| c.pods.find(&r.key()).is_none())
            }
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

    /// Lines of the log being read (or of one no longer shown: dropped).
    pub fn apply_logs(&mut self, msg: LogMsg, now: i64) -> bool {
        match self.logs.as_mut().filter(|l| l.session == msg.session) {
            Some(logs) => {
                logs.apply(msg.event, now);
                true
            }
            None => false,
        }
    }

    /// Starts reading a pod's log; returns the session its lines will carry.
    pub fn open_logs(&mut self, target: LogTarget) -> u64 {
        let session = self.next_log_session;
        self.next_log_session += 1;
        self.logs = Some(LogsView::new(target, session));
        session
    }

    pub fn close_logs(&mut self) {
        self.logs = None;
    }

    /// Follow on/off; `page`: the log's height.
    pub fn toggle_follow(&mut self, page: usize) {
        if let Some(l) = self.logs.as_mut() {
            l.toggle_follow(page);
        }
    }

    pub fn toggle_wrap(&mut self) {
        if let Some(l) = self.logs.as_mut() {
            l.toggle_wrap();
        }
    }

    /// Scrolling up leaves follow mode; reaching the bottom re-enters it.
    pub fn scroll_logs(&mut self, delta: isize, page: usize) {
        if let Some(l) = self.logs.as_mut() {
            l.scroll(delta, page);
        }
    }

    /// Watches other namespaces from now on: every row and table starts over.
    pub fn rewatch(&mut self, namespaces: Namespaces) {
        self.namespaces = namespaces;
        self.model.reset();
        for t in [
            &mut self.overview,
            &mut self.workloads,
            &mut self.pods,
            &mut self.hpas,
            &mut self.events,
        ] {
            *t = TableState::default();
        }
    }

    /// The pods of the workload named `name` (in whichever namespace has one; in every
    /// context shown that has one).
    pub fn workload_named(&self, name: &str) -> Option<Scope> {
        let mut found = self
            .model
            .workloads
            .iter()
            .filter(|(_, w)| w.name == name && self.shows(&w.context));
        let (_, w) = found.next()?;
        let only_here = found.all(|(_, other)| other.context == w.context);
        Some(Scope::Workload {
            context: if only_here {
                w.context.clone()
            } else {
                ContextName::default()
            },
            namespace: w.namespace.clone(),
            name: w.name.clone(),
        })
    }

    /// Every watch of `context` has listed, or failed for good.
    pub fn synced(&self, context: &ContextName) -> bool {
        snapshot::expected(&self.namespaces)
            .into_iter()
            .all(|(r, scope)| {
                let key = (context.clone(), r, scope);
                self.model.sources.get(&key).is_some_and(LoadState::settled)
            })
    }

    /// Whether the tables show rows of `context` (`:ctx`).
    pub fn shows(&self, context: &ContextName) -> bool {
        self.showing.is_empty() || self.showing.contains(context)
    }

    /// The contexts the tables show, in order.
    pub fn shown_contexts(&self) -> Vec<ContextName> {
        self.contexts
            .iter()
            .filter(|c| self.shows(c))
            .cloned()
            .collect()
    }

    /// More than one context is shown: rows must say which (the CONTEXT column).
    pub fn many_contexts(&self) -> bool {
        self.contexts.iter().filter(|c| self.shows(c)).count() > 1
    }

    /// `:ctx a,b`: shows these of the contexts watched (empty: all). The tables are rebuilt
    /// from the rows already held: no watch restarts.
    pub fn show_contexts(&mut self, names: Vec<ContextName>) {
        self.showing = if names.len() == self.contexts.len() {
            vec![]
        } else {
            names
        };
        for t in [
            &mut self.overview,
            &mut self.workloads,
            &mut self.pods,
            &mut self.nodes,
            &mut self.hpas,
            &mut self.events,
        ] {
            t.built_from = None;
            t.selected = 0;
            t.offset = 0;
        }
    }

    /// The pods view is about to show `scope`: start at its top, unfiltered.
    pub fn reset_pods(&mut self) {
        self.pods.selected = 0;
        self.pods.offset = 0;
        self.pods.filter.clear();
    }

    /// More than one namespace is shown: rows must say which.
    pub fn many_namespaces(&self) -> bool {
        match &self.namespaces {
            Namespaces::All => true,
            Namespaces::Only(list) => list.len() > 1,
        }
    }

    /// What the tables read.
    fn shown(&self) -> Shown<'_> {
        Shown {
            model: &self.model,
            many_namespaces: self.many_namespaces(),
            many_contexts: self.many_contexts(),
            queues_of: &self.queues_of,
            showing: &self.showing,
        }
    }

    /// The workloads and warnings of the overview (the other panes' band is above them).
    pub fn draw_main(&self, frame: &mut Frame, workloads: Rect, events: Rect, ctx: &Ctx) {
        view::draw_workloads(frame, workloads, self.shown(), &self.overview, true, ctx);
        view::draw_events(frame, events, self.shown(), &self.events, false, ctx);
    }

    fn selected_pod_logs(&self) -> Option<Nav> {
        let pod = self.model.pods.get(self.pods.selected_slot()?)?;
        let container = (pod.container_names.len() > 1).then(|| pod.container_names[0].clone());
        Some(Nav::Logs(LogTarget {
            context: pod.context.clone(),
            namespace: pod.namespace.clone(),
            pod: pod.name.clone(),
            container,
            previous: false,
        }))
    }

    /// "prod-eu ok", "prod-us ✖ 3 not ready", "staging ✖ connection refused": one context's
    /// health in the header, worst news first.
    fn context_badge(&self, name: &ContextName, trouble: Trouble, ctx: &Ctx) -> Badge {
        let c = &self.model;
        // Each must have listed: one listed resource is not a synced context.
        let each = [Resource::Nodes, Resource::Pods, Resource::Deployments]
            .map(|r| c.load_state_in(name, &[r]));
        let load = LoadState::worst(each.iter());
        let Trouble { not_ready, failing } = trouble;
        let bad = ctx.symbols.bad;
        let (health, said) = match &load {
            LoadState::Stale { reason, .. } => (Health::Bad, format!("{bad} {}", short(reason))),
            LoadState::Loading => (Health::Pending, "connecting".to_string()),
            _ if not_ready > 0 => (Health::Bad, format!("{bad} {not_ready} not ready")),
            _ if failing > 0 => (Health::Bad, format!("{bad} {failing} failing")),
            _ => (Health::Ok, "ok".to_string()),
        };
        let mut b = badge(ctx, BadgeRank::Alert, health, format!("{name} {said}"));
        if health == Health::Ok {
            b.rank = BadgeRank::Count;
        }
        b
    }

    /// Not-ready nodes and failing workloads per context, in one walk of each store (the
    /// header is drawn every frame; a walk per context cost ten).
    fn trouble_by_context(&self) -> HashMap<&str, Trouble> {
        let c = &self.model;
        let mut out: HashMap<&str, Trouble> = HashMap::new();
        for (_, n) in c.nodes.iter().filter(|(_, n)| n.health != Health::Ok) {
            out.entry(n.context.as_str()).or_default().not_ready += 1;
        }
        for (_, w) in c.workloads.iter().filter(|(_, w)| w.health == Health::Bad) {
            out.entry(w.context.as_str()).or_default().failing += 1;
        }
        out
    }

    /// `l` (or `:logs`) on the pods view.
    pub fn logs_of_selected(&self, view: ViewId) -> Option<Nav> {
        (view == PODS).then(|| self.selected_pod_logs()).flatten()
    }
}

/// What the header says is wrong in one context.
#[derive(Clone, Copy, Debug, Default)]
struct Trouble {
    not_ready: usize,
    failing: usize,
}

impl Pane for ClusterPane {
    fn views(&self) -> &'static [ViewSpec] {
        VIEWS
    }

    fn table(&self, view: ViewId) -> Option<&TableState> {
        Some(match view {
            OVERVIEW => &self.overview,
            WORKLOADS => &self.workloads,
            PODS => &self.pods,
            NODES => &self.nodes,
            HPAS => &self.hpas,
            EVENTS => &self.events,
            _ => return None,
        })
    }

    fn table_mut(&mut self, view: ViewId) -> Option<&mut TableState> {
        Some(match view {
            OVERVIEW => &mut self.overview,
            WORKLOADS => &mut self.workloads,
            PODS => &mut self.pods,
            NODES => &mut self.nodes,
            HPAS => &mut self.hpas,
            EVENTS => &mut self.events,
            _ => return None,
        })
    }

    fn prepare(&mut self, view: ViewId, scope: Option<&Scope>, _now: i64) {
        let c = tables::Showing {
            model: &self.model,
            contexts: &self.showing,
        };
        tables::overview(&mut self.overview, c);
        tables::workloads(&mut self.workloads, c);
        // The pods table is the big one (500,000 rows over ten clusters): sorted only while
        // it is on screen.
        if view == PODS {
            tables::pods(&mut self.pods, c, scope);
        }
        tables::nodes(&mut self.nodes, c);
        tables::hpas(&mut self.hpas, c);
        tables::events(&mut self.events, c);
    }

    fn draw(&self, v: ViewId, frame: &mut Frame, area: Rect, scope: Option<&Scope>, ctx: &Ctx) {
        let shown = self.shown();
        match v {
            WORKLOADS => view::draw_workloads(frame, area, shown, &self.workloads, false, ctx),
            PODS => view::draw_pods(frame, area, shown, &self.pods, scope, ctx),
            NODES => view::draw_nodes(frame, area, shown, &self.nodes, ctx),
            HPAS => view::draw_hpas(frame, area, shown, &self.hpas, ctx),
            EVENTS => view::draw_events(frame, area, shown, &self.events, true, ctx),
            LOGS => {
                if let Some(logs) = &self.logs {
                    view::draw_logs(frame, area, logs, ctx);
                }
            }
            _ => {}
        }
    }

    fn open(&self, v: ViewId) -> Option<Nav> {
        let c = &self.model;
        let pods_of = |context: &ContextName, namespace: &str, name: &str| {
            Nav::Pods(Scope::Workload {
                context: context.clone(),
                namespace: namespace.to_string(),
                name: name.to_string(),
            })
        };
        match v {
            OVERVIEW | WORKLOADS => {
                let slot = self.table(v)?.selected_slot()?;
                let w = c.workloads.get(slot)?;
                Some(pods_of(&w.context, &w.namespace, &w.name))
            }
            NODES => {
                let n = c.nodes.get(self.nodes.selected_slot()?)?;
                Some(Nav::Pods(Scope::Node {
                    context: n.context.clone(),
                    name: n.name.clone(),
                }))
            }
            HPAS => {
                let h = c.hpas.get(self.hpas.selected_slot()?)?;
                let name = h.target.split('/').nth(1).unwrap_or_default();
                Some(pods_of(&h.context, &h.namespace, name))
            }
            EVENTS => {
                let e = c.events.get(self.events.selected_slot()?)?;
                let (kind, name) = e.object.split_once('/').unwrap_or(("", ""));
                let pod = Resource::Pods.key(&e.context, &e.namespace, name);
                if kind == "Pod" && c.pods.find(&pod).is_some() {
                    return Some(Nav::Logs(LogTarget {
                        context: e.context.clone(),
                        namespace: e.namespace.clone(),
                        pod: name.to_string(),
                        container: None,
                        previous: false,
                    }));
                }
                WorkloadKind::from_word(kind).map(|_| pods_of(&e.context, &e.namespace, name))
            }
            PODS => self.selected_pod_logs(),
            _ => None,
        }
    }

    fn selected(&self, v: ViewId) -> Option<Target> {
        match v {
            OVERVIEW | WORKLOADS => {
                let w = self.model.workloads.get(self.table(v)?.selected_slot()?)?;
                Some(Target::Workload {
                    context: w.context.clone(),
                    kind: w.kind,
                    namespace: w.namespace.clone(),
                    name: w.name.clone(),
                    replicas: w.desired,
                })
            }
            NODES => {
                let n = self.model.nodes.get(self.nodes.selected_slot()?)?;
                Some(Target::Node {
                    context: n.context.clone(),
                    name: n.name.clone(),
                    cordoned: n.status.contains("SchedulingDisabled"),
                })
            }
            _ => None,
        }
    }

    fn inspect(&self, v: ViewId) -> Option<ObjectRef> {
        let c = &self.model;
        match v {
            OVERVIEW | WORKLOADS => {
                let w = c.workloads.get(self.table(v)?.selected_slot()?)?;
                Some(
                    ObjectRef::namespaced(w.kind.into(), &w.namespace, &w.name)
                        .in_context(&w.context),
                )
            }
            PODS => {
                let p = c.pods.get(self.pods.selected_slot()?)?;
                Some(
                    ObjectRef::namespaced(ObjectKind::Pod, &p.namespace, &p.name)
                        .in_context(&p.context),
                )
            }
            NODES => {
                let n = c.nodes.get(self.nodes.selected_slot()?)?;
                Some(ObjectRef::node(&n.name).in_context(&n.context))
            }
            HPAS => {
                let h = c.hpas.get(self.hpas.selected_slot()?)?;
                Some(
                    ObjectRef::namespaced(ObjectKind::Hpa, &h.namespace, &h.name)
                        .in_context(&h.context),
                )
            }
            EVENTS => {
                // What the event is about, with all its events; the event itself when it is
                // about a kind the console does not describe (a ReplicaSet).
                let e = c.events.get(self.events.selected_slot()?)?;
                let (kind, name) = e.object.split_once('/').unwrap_or(("", ""));
                let object = match ObjectKind::from_api_kind(kind) {
                    Some(ObjectKind::Node) => ObjectRef::node(name),
                    Some(k) => ObjectRef::namespaced(k, &e.namespace, name),
                    None => ObjectRef::namespaced(ObjectKind::Event, &e.namespace, &e.name),
                };
                Some(object.in_context(&e.context))
            }
            LOGS => {
                let l = self.logs.as_ref()?;
                let t = &l.target;
                Some(
                    ObjectRef::namespaced(ObjectKind::Pod, &t.namespace, &t.pod)
                        .in_context(&t.context),
                )
            }
            _ => None,
        }
    }

    fn scroll(&mut self, v: ViewId, delta: isize, page: usize) -> bool {
        if v != LOGS {
            return false;
        }
        self.scroll_logs(delta, page);
        true
    }

    fn search(&self, v: ViewId) -> Option<String> {
        (v == LOGS).then(|| {
            self.logs
                .as_ref()
                .map(|l| l.buffer.filter().to_string())
                .unwrap_or_default()
        })
    }

    fn set_search(&mut self, v: ViewId, text: &str, _page: usize) -> bool {
        if v != LOGS {
            return false;
        }
        if let Some(l) = self.logs.as_mut() {
            l.buffer.set_filter(text);
        }
        true
    }

    fn in_full(
        &self,
        v: ViewId,
        scope: Option<&Scope>,
        ctx: &Ctx,
    ) -> Option<(String, Vec<(String, String)>)> {
        let shown = self.shown();
        let (title, rows, table): (_, Box<dyn TableRows + '_>, &TableState) = match v {
            OVERVIEW => (
                view::workloads_title(shown, &self.overview, true, ctx),
                Box::new(Workloads(shown)),
                &self.overview,
            ),
            WORKLOADS => (
                view::workloads_title(shown, &self.workloads, false, ctx),
                Box::new(Workloads(shown)),
                &self.workloads,
            ),
            PODS => (
                view::pods_title(shown, &self.pods, scope, ctx),
                Box::new(Pods(shown)),
                &self.pods,
            ),
            NODES => (
                view::nodes_title(shown, &self.nodes, ctx),
                Box::new(Nodes(shown)),
                &self.nodes,
            ),
            HPAS => (
                view::hpas_title(shown, &self.hpas, ctx),
                Box::new(Hpas(shown)),
                &self.hpas,
            ),
            EVENTS => (
                view::events_title(shown, &self.events, ctx),
                Box::new(Events(shown)),
                &self.events,
            ),
            _ => return None,
        };
        Some(selected_in_full(&title, rows.as_ref(), table, ctx))
    }

    fn badges(&self, ctx: &Ctx) -> Vec<Badge> {
        let c = &self.model;
        let not_ready = c
            .nodes
            .iter()
            .filter(|(_, n)| n.health != Health::Ok)
            .count();
        let count = |text: String, style| Badge {
            rank: BadgeRank::Count,
            span: ratatui::text::Span::styled(text, style),
        };
        let nodes_style = if not_ready > 0 {
            ctx.theme.bad
        } else {
            ctx.theme.text
        };
        let mut out = if self.contexts.len() > 1 {
            let trouble = self.trouble_by_context();
            self.contexts
                .iter()
                .map(|name| {
                    let t = trouble.get(name.as_str()).copied().unwrap_or_default();
                    self.context_badge(name, t, ctx)
                })
                .collect()
        } else {
            vec![count(
                format!("nodes {}/{}", c.nodes.len() - not_ready, c.nodes.len()),
                nodes_style,
            )]
        };
        out.push(count(format!("pods {}", c.pods.len()), ctx.theme.text));
        let warnings = c.warning_count();
        if warnings > 0 {
            out.push(badge(
                ctx,
                BadgeRank::Count,
                Health::Warn,
                format!("{} {warnings} warnings", ctx.symbols.warn),
            ));
        }
        let stale: Vec<&str> = Resource::ALL
            .iter()
            .filter(|r| matches!(c.load_state(&[**r]), LoadState::Stale { .. }))
            .map(|r| r.plural())
            .collect();
        // With several contexts each says its own state above.
        if !stale.is_empty() && self.contexts.len() < 2 {
            out.push(Badge {
                rank: BadgeRank::Stale,
                span: ratatui::text::Span::styled(
                    format!("STALE: {}", stale.join(",")),
                    ctx.theme.stale,
                ),
            });
        }
        out
    }

    fn ages_change(&self, v: ViewId, page: usize, old: i64, new: i64) -> bool {
        let differs = |since: i64| age(old - since) != age(new - since);
        let c = &self.model;
        let stale = c
            .sources
            .values()
            .any(|s| matches!(s, LoadState::Stale { since, .. } if differs(*since)));
        let events = || {
            self.events
                .window(page)
                .iter()
                .any(|&s| c.events.get(s).is_some_and(|e| differs(e.last_seen)))
        };
        let workloads = |t: &TableState| {
            t.window(page)
                .iter()
                .any(|&s| c.workloads.get(s).is_some_and(|w| differs(w.created)))
        };
        stale
            || match v {
                OVERVIEW => workloads(&self.overview) || events(),
                WORKLOADS => workloads(&self.workloads),
                PODS => self.pods.window(page).iter().any(|&s| {
                    c.pods
                        .get(s)
                        .is_some_and(|p| differs(p.created) || p.last_restart.is_some_and(differs))
                }),
                NODES => self
                    .nodes
                    .window(page)
                    .iter()
                    .any(|&s| c.nodes.get(s).is_some_and(|n| differs(n.created))),
                HPAS => self
                    .hpas
                    .window(page)
                    .iter()
                    .any(|&s| c.hpas.get(s).is_some_and(|h| differs(h.created))),
                EVENTS => events(),
                LOGS => self
                    .logs
                    .as_ref()
                    .is_some_and(|l| stale_age_changes(&l.state, old, new)),
                _ => false,
            }
    }

    fn sources(&self) -> Vec<Source> {
        snapshot::sources(&self.model, &self.namespaces, &self.contexts)
    }

    fn snapshot(&self, ctx: &Ctx) -> Option<PaneSnapshot> {
        Some(snapshot::snapshot(
            &self.model,
            &self.namespaces,
            &self.contexts,
            ctx.now,
        ))
    }
}

/// A stale reason short enough for the header: its first clause, at most 40 characters
/// ("connection refused", not the url and when it retries).
fn short(reason: &str) -> String {
    let first = reason.split([',', '(']).next().unwrap_or(reason).trim();
    first.chars().take(40).collect()
}
