//! The pane interface: what every capability folder (cluster, queues, slo, cost, and the ones
//! to come) offers the console. A pane owns its model and its tables, names its views (title,
//! `:` words, number key), draws them, says what its overview pane wants and how it gives way
//! on a small screen, and what a drill-down opens. The console core reaches panes through this
//! trait and the registry (`core::panes`); the cluster pane alone is also known by name, as
//! the console's home: the overview's main part, the pods a drill-down opens, pod logs and
//! the namespaces watched. A pane also reports its sources and its part of `opsdeck
//! snapshot` (`sources`, `snapshot`).

use crate::k8s::context::ContextName;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;

use super::snapshot::{PaneSnapshot, Source};
use super::table::Ctx;
use super::table_state::TableState;
use crate::k8s::{ObjectRef, WorkloadKind};
use crate::status::Health;

/// A view's identity: its name, which is also its keymap action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ViewId(pub &'static str);

/// The console's home: every pane's band above the workloads (drawn by the cluster pane).
pub const OVERVIEW: ViewId = ViewId("overview");

/// Which keymap layer a view's keys are looked up in (then the global layer).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Layer {
    Global,
    Table,
    Logs,
}

/// A view as the registry lists it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ViewSpec {
    pub id: ViewId,
    pub title: &'static str,
    /// The `:` words that open it; kubectl's short names among them.
    pub commands: &'static [&'static str],
    /// Its key in the default keymap ('0'..'9'), if it has one.
    pub key: Option<char>,
    /// What the help overlay says of it.
    pub help: &'static str,
    pub layer: Layer,
}

/// Narrows a view after a drill-down (the pods of a workload, of a node).
#[derive(Clone, Debug, PartialEq, Eq)]
/// Its context says which cluster ("" when the one who asked cannot know: any).
pub enum Scope {
    Workload {
        context: ContextName,
        namespace: String,
        name: String,
    },
    Node {
        context: ContextName,
        name: String,
    },
}

impl Scope {
    pub fn label(&self) -> String {
        match self {
            Scope::Workload {
                namespace, name, ..
            } => format!("{namespace}/{name}"),
            Scope::Node { name, .. } => format!("node {name}"),
        }
    }

    pub fn context(&self) -> &ContextName {
        match self {
            Scope::Workload { context, .. } | Scope::Node { context, .. } => context,
        }
    }
}

/// A pod's log: which pod, which container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogTarget {
    /// The context the pod runs in ("": the console's first).
    pub context: ContextName,
    pub namespace: String,
    pub pod: String,
    pub container: Option<String>,
    /// The previous container's log (`kubectl logs --previous`): what it printed before it
    /// last died. Read once; it does not grow.
    pub previous: bool,
}

/// What a drill-down (enter) asks the console to show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Nav {
    /// The pods of a workload or a node (the cluster's pods view).
    Pods(Scope),
    /// A pod's log.
    Logs(LogTarget),
    /// The pods of the workload with this name, wherever it runs (an SLO's service).
    WorkloadNamed(String),
    /// The SLO of this name, selected in the SLO view.
    Slo(String),
    /// The queue of this name, selected in the queues view.
    Queue(String),
    /// An object, described (an incident entry's link).
    Inspect(ObjectRef),
    /// Nothing to open; say why in the footer.
    Say(String),
}

/// What the selected row is, for the actions typed from it (`r`, `s`, `u`, `c`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Workload {
        context: ContextName,
        kind: WorkloadKind,
        namespace: String,
        name: String,
        replicas: i32,
    },
    Node {
        context: ContextName,
        name: String,
        cordoned: bool,
    },
    /// An alert: its own labels, and its group's (what `silence` prefills from).
    Alert {
        labels: std::collections::BTreeMap<String, String>,
        group: std::collections::BTreeMap<String, String>,
    },
    /// A silence, by the id `expire-silence` takes.
    Silence { id: String },
}

/// Where a header badge goes: alerts first (they must stay visible when the line is cut),
/// then counts, then stale sources.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum BadgeRank {
    Alert,
    Count,
    Stale,
}

/// One item of the header line ("✖ 1 SLO paging", "nodes 4/4").
#[derive(Clone, Debug, PartialEq)]
pub struct Badge {
    pub rank: BadgeRank,
    pub span: Span<'static>,
}

/// What a pane wants of the overview's band, above the workloads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Band {
    /// Data rows it has now (0: no pane).
    pub rows: usize,
    /// Data rows it shows at most.
    pub max_rows: usize,
    /// Left to right (stacked: top to bottom).
    pub order: u8,
    /// On a crowded screen, the highest gives way first.
    pub gives_way: u8,
}

pub trait Pane {
    /// The views it offers, in number-key order.
    fn views(&self) -> &'static [ViewSpec];

    /// The table a view scrolls, selects in and filters (None: the view has none).
    fn table(&self, view: ViewId) -> Option<&TableState>;
    fn table_mut(&mut self, view: ViewId) -> Option<&mut TableState>;

    /// The part of `body` a view's main table takes (paging moves by its height).
    fn table_area(&self, _view: ViewId, body: Rect) -> Rect {
        body
    }

    /// Brings display orders up to date (filter, scope, sort) for `view`, the one on screen;
    /// cheap when nothing changed. `now` is the state's clock (seconds).
    fn prepare(&mut self, view: ViewId, scope: Option<&Scope>, now: i64);

    fn draw(&self, view: ViewId, frame: &mut Frame, area: Rect, scope: Option<&Scope>, ctx: &Ctx);

    /// What enter on the selected row opens.
    fn open(&self, _view: ViewId) -> Option<Nav> {
        None
    }

    /// The selected row as an action target.
    fn selected(&self, _view: ViewId) -> Option<Target> {
        None
    }

    /// The Kubernetes object the selected row is about, for `d` (describe) and `y` (YAML).
    fn inspect(&self, _view: ViewId) -> Option<ObjectRef> {
        None
    }

    /// Scrolls a view of text (a log, a describe) by `delta` lines, `page` shown; false when
    /// the view is not text (its table moves instead).
    fn scroll(&mut self, _view: ViewId, _delta: isize, _page: usize) -> bool {
        false
    }

    /// The search or filter typed in a view of text (None: the view is not text).
    fn search(&self, _view: ViewId) -> Option<String> {
        None
    }

    /// Sets a text view's search or filter; false when the view is not text.
    fn set_search(&mut self, _view: ViewId, _text: &str, _page: usize) -> bool {
        false
    }

    /// The selected row in full (column, whole text), and the view's title with its source's
    /// state: what a cut cell or title said.
    fn in_full(
        &self,
        _view: ViewId,
        _scope: Option<&Scope>,
        _ctx: &Ctx,
    ) -> Option<(String, Vec<(String, String)>)> {
        None
    }

    /// Its overview pane, if it has one now.
    fn band(&self) -> Option<Band> {
        None
    }

    fn draw_band(&self, _frame: &mut Frame, _area: Rect, _ctx: &Ctx) {}

    /// What the header says of it.
    fn badges(&self, _ctx: &Ctx) -> Vec<Badge> {
        vec![]
    }

    /// Selects the row whose name is `key` in `view` (an alert opening its SLO); false when
    /// there is none.
    fn select(&mut self, _view: ViewId, _key: &str) -> bool {
        false
    }

    /// Whether a shown age reads differently at `new` than at `old` (a redraw is due).
    fn ages_change(&self, _view: ViewId, _page: usize, _old: i64, _new: i64) -> bool {
        false
    }

    /// The sources it reads and their state now (none: nothing configured). `opsdeck
    /// snapshot` waits until each has answered or failed for good, and exits 2 naming each
    /// that did not answer.
    fn sources(&self) -> Vec<Source> {
        vec![]
    }

    /// Its part of `opsdeck snapshot`: rows as JSON and a text section (None: it takes no
    /// part). Asked once, after `prepare`, when the sources have settled or the time is up.
    fn snapshot(&self, _ctx: &Ctx) -> Option<PaneSnapshot> {
        None
    }
}

/// A health mark and text as a header badge.
pub fn badge(ctx: &Ctx, rank: BadgeRank, health: Health, text: String) -> Badge {
    let style = ctx.theme.health(health);
    Badge {
        rank,
        span: Span::styled(text, style),
    }
}
