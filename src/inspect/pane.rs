//! The inspect pane: the describe and YAML views of one object, reached with `d` and `y` from
//! any row that is about an object (and from a pod's log).

use ratatui::Frame;
use ratatui::layout::Rect;

use super::document::{Document, Face};
use super::source::InspectMsg;
use super::view;
use crate::k8s::ObjectRef;
use crate::status::LoadState;
use crate::ui::pane::{Layer, Pane, Scope, ViewId, ViewSpec};
use crate::ui::table::Ctx;
use crate::ui::table_state::TableState;

pub const DESCRIBE: ViewId = ViewId("describe");
pub const YAML: ViewId = ViewId("yaml");

pub const VIEWS: &[ViewSpec] = &[
    ViewSpec {
        id: DESCRIBE,
        title: "Describe",
        commands: &[],
        key: None,
        help: "the selected object, as kubectl describe shows it (d)",
        layer: Layer::Logs,
    },
    ViewSpec {
        id: YAML,
        title: "YAML",
        commands: &[],
        key: None,
        help: "the selected object's YAML (y)",
        layer: Layer::Logs,
    },
];

/// The face a view shows.
pub fn face(view: ViewId) -> Option<Face> {
    match view {
        DESCRIBE => Some(Face::Describe),
        YAML => Some(Face::Yaml),
        _ => None,
    }
}

pub fn view_of(face: Face) -> ViewId {
    match face {
        Face::Describe => DESCRIBE,
        Face::Yaml => YAML,
    }
}

#[derive(Debug, Default)]
pub struct InspectPane {
    pub doc: Option<Document>,
    next_session: u64,
}

impl InspectPane {
    /// Starts fetching `object` (again, when it is the one shown: its text stays until the
    /// answer); returns the session its answer will carry.
    pub fn open(&mut self, object: ObjectRef) -> u64 {
        self.next_session += 1;
        let session = self.next_session;
        match self.doc.as_mut().filter(|d| d.object == object) {
            Some(doc) => doc.refetch(session),
            None => self.doc = Some(Document::new(object, session)),
        }
        session
    }

    /// The object is no longer shown: its text goes.
    pub fn close(&mut self) {
        self.doc = None;
    }

    /// A fetch answered; true when it is the one shown.
    pub fn apply(&mut self, msg: InspectMsg, now: i64) -> bool {
        match self.doc.as_mut().filter(|d| d.session == msg.session) {
            Some(doc) => {
                doc.apply(msg.result, now);
                true
            }
            None => false,
        }
    }

    pub fn toggle_managed(&mut self) {
        if let Some(d) = self.doc.as_mut() {
            d.toggle_managed();
        }
    }

    pub fn toggle_wrap(&mut self) {
        if let Some(d) = self.doc.as_mut() {
            d.toggle_wrap();
        }
    }

    pub fn next_match(&mut self, view: ViewId, forward: bool, page: usize) {
        if let (Some(d), Some(face)) = (self.doc.as_mut(), face(view)) {
            d.next_match(face, forward, page);
        }
    }
}

impl Pane for InspectPane {
    fn views(&self) -> &'static [ViewSpec] {
        VIEWS
    }

    fn table(&self, _view: ViewId) -> Option<&TableState> {
        None
    }

    fn table_mut(&mut self, _view: ViewId) -> Option<&mut TableState> {
        None
    }

    fn prepare(&mut self, _view: ViewId, _scope: Option<&Scope>, _now: i64) {}

    fn draw(&self, v: ViewId, frame: &mut Frame, area: Rect, _scope: Option<&Scope>, ctx: &Ctx) {
        if let (Some(doc), Some(face)) = (&self.doc, face(v)) {
            view::draw(frame, area, doc, face, ctx);
        }
    }

    fn scroll(&mut self, view: ViewId, delta: isize, page: usize) -> bool {
        match (self.doc.as_mut(), face(view)) {
            (Some(d), Some(face)) => {
                d.scroll(face, delta, page);
                true
            }
            _ => false,
        }
    }

    fn search(&self, view: ViewId) -> Option<String> {
        face(view).and(self.doc.as_ref().map(|d| d.search.clone()))
    }

    fn set_search(&mut self, view: ViewId, text: &str, page: usize) -> bool {
        match (self.doc.as_mut(), face(view)) {
            (Some(d), Some(face)) => {
                d.set_search(face, text, page);
                true
            }
            _ => false,
        }
    }

    /// The pod a pod's describe is about, for `l` from there.
    fn inspect(&self, view: ViewId) -> Option<ObjectRef> {
        face(view).and(self.doc.as_ref().map(|d| d.object.clone()))
    }

    fn ages_change(&self, _view: ViewId, _page: usize, old: i64, new: i64) -> bool {
        self.doc
            .as_ref()
            .is_some_and(|d| crate::ui::format::stale_age_changes(&d.state, old, new))
    }

    fn in_full(
        &self,
        view: ViewId,
        _scope: Option<&Scope>,
        _ctx: &Ctx,
    ) -> Option<(String, Vec<(String, String)>)> {
        let doc = self.doc.as_ref()?;
        face(view)?;
        let state = match &doc.state {
            LoadState::Loading => "loading".to_string(),
            LoadState::Live => "read".to_string(),
            LoadState::Stale { reason, .. } => reason.clone(),
        };
        Some((doc.object.label(), vec![("state".into(), state)]))
    }
}
