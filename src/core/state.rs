//! The whole console state: plain data, changed only by `update`. Navigation and input here;
//! each domain's part in its pane (`panes`).

use std::collections::BTreeSet;

use tui_textarea::TextArea;

use super::keymap::Keymap;
use super::panes::Panes;
use crate::actions::panel::ActionPanel;
use crate::actions::plan::Plan;
use crate::actions::runbook::walk::Walk;
use crate::cluster::pane::OVERVIEW;
use crate::ui::pane::{Pane, Scope, ViewId, ViewSpec};

/// What the header says about where opsdeck is connected.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Connection {
    pub context: String,
    pub cluster_url: String,
    pub production: bool,
    /// Every action is refused (--readonly, or readonly = true for the context): the header
    /// says so; the executor refuses.
    pub readonly: bool,
    /// Where a bare workload name in an action lives (the context's namespace).
    pub default_namespace: String,
}

/// Input mode: keys go to the keymap, or to a text field, or to an overlay.
#[derive(Debug, Default)]
pub enum Mode {
    #[default]
    Normal,
    Command(TextArea<'static>),
    Filter(TextArea<'static>),
    Help,
    /// The selected row and its pane's state, in full (any key closes it).
    InFull,
    NamespacePicker {
        cursor: usize,
        chosen: BTreeSet<String>,
    },
    /// Writing an incident note (several lines), or the correction of an entry (its id):
    /// ctrl-s saves, esc cancels.
    Note {
        input: TextArea<'static>,
        correcting: Option<String>,
    },
    /// Walking a runbook: Enter runs the current step, Esc stops.
    Runbook,
    /// A plan is shown; nothing happens until its confirmation phrase is typed and Enter.
    Confirm {
        plan: Box<Plan>,
        input: TextArea<'static>,
        /// Lines of the plan's details scrolled past (page up/down: a long request in full).
        scroll: usize,
    },
}

/// One entry of the navigation stack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Screen {
    pub view: ViewId,
    pub scope: Option<Scope>,
}

impl Screen {
    pub fn of(view: ViewId) -> Self {
        Screen { view, scope: None }
    }
}

#[derive(Debug)]
pub struct State {
    /// Unix seconds, advanced by ticks; ages are computed against it.
    pub now: i64,
    pub connection: Connection,
    pub panes: Panes,
    /// Every view of every pane, in registry order.
    pub views: Vec<ViewSpec>,
    /// Navigation; never empty, the last entry is on screen.
    pub stack: Vec<Screen>,
    /// The action in progress or last finished, until dismissed.
    pub action: Option<ActionPanel>,
    /// The runbook being walked, until closed.
    pub runbook: Option<Walk>,
    pub mode: Mode,
    pub keymap: Keymap,
    /// A one-line message in the footer (errors from the command line, warnings).
    pub flash: Option<String>,
    /// What tab could complete on the command line, when it was ambiguous.
    pub completions: Vec<String>,
    pub width: u16,
    pub height: u16,
    /// Something visible changed since the last frame.
    pub dirty: bool,
}

impl State {
    pub fn new(connection: Connection, panes: Panes, keymap: Keymap, now: i64) -> Self {
        State {
            now,
            connection,
            panes,
            views: super::panes::views(),
            stack: vec![Screen::of(OVERVIEW)],
            action: None,
            runbook: None,
            mode: Mode::Normal,
            keymap,
            flash: None,
            completions: vec![],
            width: 80,
            height: 24,
            dirty: true,
        }
    }

    pub fn screen(&self) -> &Screen {
        // The stack is never empty: `back` stops at the root.
        self.stack.last().unwrap_or(&ROOT)
    }

    pub fn view(&self) -> ViewId {
        self.screen().view
    }

    pub fn spec(&self, view: ViewId) -> Option<&ViewSpec> {
        self.views.iter().find(|v| v.id == view)
    }

    /// The pane showing the current view.
    pub fn pane(&self) -> Option<&dyn Pane> {
        self.panes.owner(self.view())
    }
}

static ROOT: Screen = Screen {
    view: OVERVIEW,
    scope: None,
};
