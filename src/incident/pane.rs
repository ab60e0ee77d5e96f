//! The incident pane: the open incident's timeline (`:incident`), what the console sees
//! becoming entries while it is open, and the 30 minutes before it from the observer.

use ratatui::Frame;
use ratatui::layout::Rect;

use super::axis::{AxisData, Window};
use super::axis_view::{self, AxisShown};
use super::entry::{Entry, Link};
use super::model::Incident;
use super::observe::{LOOKBACK_MS, Observer};
use super::view;
use crate::k8s::{ObjectKind, ObjectRef};
use crate::status::{Health, LoadState};
use crate::ui::pane::{Badge, BadgeRank, Layer, Nav, Pane, Scope, ViewId, ViewSpec, badge};
use crate::ui::table::{Ctx, selected_in_full};
use crate::ui::table_state::{TableState, matches};

pub const INCIDENT: ViewId = ViewId("incident");

pub const AXIS: ViewId = ViewId("axis");

pub const VIEWS: &[ViewSpec] = &[
    ViewSpec {
        id: INCIDENT,
        title: "Incident",
        commands: &["incident", "inc"],
        key: None,
        help: "the incident's timeline (:incident start TITLE)",
        layer: Layer::Table,
    },
    ViewSpec {
        id: AXIS,
        title: "Time axis",
        commands: &["axis", "graph"],
        key: None,
        help: "burn, queue and replicas on one time axis, with what changed",
        layer: Layer::Table,
    },
];

/// What the runner reports of the incident record.
#[derive(Clone, Debug)]
pub enum IncidentMsg {
    /// An entry could not be written (the disk, the path): said in the view, never dropped
    /// silently.
    Failed(String),
    /// The postmortem draft was written here.
    Exported(String),
    /// The time axis was read.
    Axis(Box<AxisData>),
    /// The time axis could not be read.
    AxisFailed(String),
    /// The impact measured at resolution, to add and record.
    Impact(Box<Entry>),
    /// What the cluster holds of incidents (other consoles' entries), or why it cannot say.
    Shared(crate::incident::share::SharedMsg),
}

#[derive(Debug, Default)]
pub struct IncidentPane {
    pub incident: Option<Incident>,
    pub observer: Observer,
    pub table: TableState,
    /// The last failure to write the record, or where the export went.
    pub notice: Option<String>,
    /// Who writes this console's notes and actions.
    pub operator: String,
    /// The time axis: its span, what was read, and how reading went.
    pub window: Window,
    pub axis: Option<AxisData>,
    pub axis_state: LoadState,
    /// Why the incident is not shared through the cluster (None: it is, or not yet known).
    pub sharing: Option<String>,
    /// The oldest message age seen per queue while the incident was open (seconds).
    pub oldest_seen: std::collections::BTreeMap<String, f64>,
    /// Lines of the runbook walk already on the timeline.
    pub runbook_seen: usize,
    /// The action being executed (as typed) and its plan, for its entry when it ends.
    pub pending: Option<(String, Box<crate::actions::plan::Plan>)>,
}

impl IncidentPane {
    /// Continues an incident found open on disk at startup.
    pub fn resume(incident: Option<Incident>) -> IncidentPane {
        IncidentPane {
            incident,
            ..IncidentPane::default()
        }
    }

    /// Starts `incident`: it begins with what was seen in the 30 minutes before. Returns the
    /// entries to record.
    pub fn start(&mut self, mut incident: Incident, start: Entry) -> Vec<Entry> {
        let since = start.at - LOOKBACK_MS;
        let mut entries = vec![start];
        entries.extend(
            self.observer
                .recent
                .iter()
                .filter(|e| e.at >= since)
                .cloned(),
        );
        incident.extend(entries.iter().cloned());
        self.incident = Some(incident);
        entries
    }

    /// Adds entries to the open incident; returns those it did not have (to record).
    pub fn add(&mut self, entries: Vec<Entry>) -> Vec<Entry> {
        let Some(inc) = self.incident.as_mut() else {
            return vec![];
        };
        inc.extend(entries)
    }

    pub fn open_id(&self) -> Option<&str> {
        self.incident
            .as_ref()
            .filter(|i| i.is_open())
            .map(|i| i.id.as_str())
    }

    pub fn apply(&mut self, msg: IncidentMsg, now: i64) {
        self.notice = Some(match msg {
            IncidentMsg::Failed(why) => format!("NOT RECORDED: {why}"),
            IncidentMsg::Exported(path) => format!("postmortem draft written to {path}"),
            IncidentMsg::Axis(data) => {
                self.axis = Some(*data);
                self.axis_state = LoadState::Live;
                return;
            }
            IncidentMsg::AxisFailed(why) => {
                self.axis_state = self.axis_state.failed(&why, None, now);
                return;
            }
            IncidentMsg::Impact(entry) => {
                if let Some(inc) = self.incident.as_mut() {
                    inc.add(*entry);
                }
                return;
            }
            // The console's reducer takes these (they may need recording).
            IncidentMsg::Shared(_) => return,
        });
    }

    /// What the time axis draws: the data, the markers from the timeline and from what was
    /// seen lately, and the changes before the onset.
    fn axis_shown(&self) -> AxisShown<'_> {
        let mut entries: Vec<&Entry> = self.observer.recent.iter().collect();
        if let Some(inc) = &self.incident {
            entries.extend(inc.entries.iter());
        }
        let before = self.incident.as_ref().map(|inc| {
            let onset = super::export::onset(inc);
            let changes = super::export::changes_before(inc, onset);
            (onset / 1000, changes)
        });
        AxisShown {
            window: self.window,
            data: self.axis.as_ref(),
            state: &self.axis_state,
            entries,
            before,
        }
    }
}

/// Where enter on an entry goes: the object it is about, its SLO, queue or alert.
fn nav_of(link: &Link) -> Option<Nav> {
    Some(match link {
        Link::Object {
            kind,
            namespace,
            name,
        } => {
            let kind = ObjectKind::from_api_kind(kind)?;
            Nav::Inspect(match namespace {
                Some(ns) => ObjectRef::namespaced(kind, ns, name),
                None => ObjectRef::node(name),
            })
        }
        Link::Slo { name } => Nav::Slo(name.clone()),
        Link::Queue { name } => Nav::Queue(name.clone()),
        Link::Alert { name } => Nav::Say(format!("alert {name}: see :alerts")),
    })
}

impl Pane for IncidentPane {
    fn views(&self) -> &'static [ViewSpec] {
        VIEWS
    }

    fn table(&self, view: ViewId) -> Option<&TableState> {
        (view == INCIDENT).then_some(&self.table)
    }

    fn table_mut(&mut self, view: ViewId) -> Option<&mut TableState> {
        (view == INCIDENT).then_some(&mut self.table)
    }

    fn prepare(&mut self, _view: ViewId, _scope: Option<&Scope>, _now: i64) {
        let Some(inc) = &self.incident else {
            self.table.set_rows(vec![]);
            return;
        };
        let needle = self.table.filter.to_lowercase();
        let rows: Vec<usize> = inc
            .timeline()
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                needle.is_empty()
                    || matches(s.text, &needle)
                    || matches(s.entry.kind.word(), &needle)
                    || matches(&s.entry.source, &needle)
            })
            .map(|(i, _)| i)
            .collect();
        if rows != self.table.rows {
            // Newest last, and followed: a selection on the last entry moves to the new last.
            let following = self.table.selected + 1 >= self.table.rows.len();
            self.table.set_rows(rows);
            if following {
                self.table.selected = self.table.rows.len().saturating_sub(1);
            }
        }
    }

    fn draw(&self, v: ViewId, frame: &mut Frame, area: Rect, _s: Option<&Scope>, ctx: &Ctx) {
        if v == AXIS {
            axis_view::draw(frame, area, &self.axis_shown(), ctx);
            return;
        }
        let parts = (
            self.incident.as_ref(),
            &self.table,
            self.notice.as_deref(),
            self.sharing.as_deref(),
        );
        view::draw(frame, area, parts, ctx);
    }

    fn open(&self, _view: ViewId) -> Option<Nav> {
        let inc = self.incident.as_ref()?;
        let shown = inc.timeline();
        let entry = shown.get(self.table.selected_slot()?)?.entry;
        match &entry.link {
            Some(link) => nav_of(link),
            None => Some(Nav::Say(format!("{} links to nothing", entry.kind.word()))),
        }
    }

    fn inspect(&self, view: ViewId) -> Option<ObjectRef> {
        match self.open(view)? {
            Nav::Inspect(o) => Some(o),
            _ => None,
        }
    }

    fn in_full(
        &self,
        view: ViewId,
        _scope: Option<&Scope>,
        ctx: &Ctx,
    ) -> Option<(String, Vec<(String, String)>)> {
        let inc = self.incident.as_ref()?;
        let rows = view::Timeline(inc.timeline());
        let title = view::title(Some(inc), self.sharing.as_deref(), ctx);
        (view == INCIDENT).then(|| selected_in_full(&title, &rows, &self.table, ctx))
    }

    fn badges(&self, ctx: &Ctx) -> Vec<Badge> {
        let Some(inc) = self.incident.as_ref().filter(|i| i.is_open()) else {
            return vec![];
        };
        vec![badge(
            ctx,
            BadgeRank::Alert,
            Health::Warn,
            format!("{} {} {}", ctx.symbols.warn, inc.id, inc.status().word()),
        )]
    }
}
