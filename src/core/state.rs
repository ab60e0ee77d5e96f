//! The whole console state: plain data, changed only by `update`.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use tui_textarea::TextArea;

use super::runbook_flow::RunbookWalk;
use super::table::TableState;
use super::view::{Screen, View};
use crate::actions::plan::Plan;
use crate::cost::CostModel;
use crate::queues::QueueModel;
use crate::slo::model::SloModel;
use crate::ui::layout::OverviewPanes;

/// Queue rates are smoothed over about this many seconds.
pub const QUEUE_SMOOTHING_SECS: f64 = 20.0;
/// Depth samples kept per queue for the history sparkline.
pub const QUEUE_HISTORY: usize = 60;
use crate::cluster::logs::{LogBuffer, LogTarget};
use crate::cluster::model::{ClusterModel, LoadState};
use crate::cluster::source::Namespaces;
use crate::config::keymap::Keymap;

/// What the header says about where opsdeck is connected.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Connection {
    pub context: String,
    pub cluster_url: String,
    pub production: bool,
    /// Every action is refused up front (--readonly, or readonly = true for the context).
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
    NamespacePicker {
        cursor: usize,
        chosen: BTreeSet<String>,
    },
    /// Walking a runbook: Enter runs the current step, Esc stops.
    Runbook,
    /// A plan is shown; nothing happens until its confirmation phrase is typed and Enter.
    Confirm {
        plan: Box<Plan>,
        input: TextArea<'static>,
    },
}

/// Where the current action stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActionPhase {
    Planning,
    AwaitingConfirmation,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

/// The action panel: what the executor is doing, its progress and result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionPanel {
    pub title: String,
    pub phase: ActionPhase,
    pub lines: Vec<String>,
}

impl ActionPanel {
    /// Progress lines kept: the panel is a summary, the audit log has everything.
    pub const MAX_LINES: usize = 40;

    pub fn push(&mut self, line: String) {
        self.lines.push(line);
        let excess = self.lines.len().saturating_sub(Self::MAX_LINES);
        self.lines.drain(..excess);
    }

    pub fn finished(&self) -> bool {
        matches!(
            self.phase,
            ActionPhase::Succeeded | ActionPhase::Failed | ActionPhase::Cancelled
        )
    }
}

#[derive(Debug, Clone)]
pub struct LogsView {
    pub target: LogTarget,
    pub session: u64,
    pub buffer: LogBuffer,
    /// Stick to the newest line.
    pub follow: bool,
    /// First shown line when not following.
    pub top: usize,
    pub wrap: bool,
    pub state: LoadState,
}

#[derive(Debug)]
pub struct State {
    /// Unix seconds, advanced by ticks; ages are computed against it.
    pub now: i64,
    pub connection: Connection,
    pub namespaces: Namespaces,
    pub cluster: ClusterModel,
    /// Navigation; never empty, the last entry is on screen.
    pub stack: Vec<Screen>,
    pub overview: TableState,
    pub workloads: TableState,
    pub pods: TableState,
    pub nodes: TableState,
    pub hpas: TableState,
    pub events: TableState,
    pub logs: Option<LogsView>,
    /// The action in progress or last finished, until dismissed.
    pub action: Option<ActionPanel>,
    /// The runbook being walked, until closed.
    pub runbook: Option<RunbookWalk>,
    /// Queue rows (worst first) from the brokers, and a short depth history per queue.
    pub queues: QueueModel,
    pub queue_history: BTreeMap<String, VecDeque<u64>>,
    pub queue_table: TableState,
    /// SLOs (worst first) from Prometheus.
    pub slos: SloModel,
    pub slo_table: TableState,
    /// Budgets, LLM spend and infrastructure cost.
    pub costs: CostModel,
    pub cost_table: TableState,
    pub mode: Mode,
    pub keymap: Keymap,
    /// A one-line message in the footer (errors from the command line, warnings).
    pub flash: Option<String>,
    pub width: u16,
    pub height: u16,
    /// Something visible changed since the last frame.
    pub dirty: bool,
    next_log_session: u64,
}

impl State {
    pub fn new(connection: Connection, namespaces: Namespaces, keymap: Keymap, now: i64) -> Self {
        State {
            now,
            connection,
            namespaces,
            cluster: ClusterModel::default(),
            stack: vec![Screen::of(View::Overview)],
            overview: TableState::default(),
            workloads: TableState::default(),
            pods: TableState::default(),
            nodes: TableState::default(),
            hpas: TableState::default(),
            events: TableState::default(),
            logs: None,
            action: None,
            runbook: None,
            queues: QueueModel::new(&[], QUEUE_SMOOTHING_SECS),
            queue_history: BTreeMap::new(),
            queue_table: TableState::default(),
            slos: SloModel::default(),
            slo_table: TableState::default(),
            costs: CostModel::default(),
            cost_table: TableState::default(),
            mode: Mode::Normal,
            keymap,
            flash: None,
            width: 80,
            height: 24,
            dirty: true,
            next_log_session: 1,
        }
    }

    pub fn screen(&self) -> &Screen {
        // The stack is never empty: `back` stops at the root.
        self.stack.last().unwrap_or(&ROOT)
    }

    pub fn view(&self) -> View {
        self.screen().view
    }

    pub fn table(&self, view: View) -> Option<&TableState> {
        Some(match view {
            View::Overview => &self.overview,
            View::Workloads => &self.workloads,
            View::Pods => &self.pods,
            View::Nodes => &self.nodes,
            View::Hpas => &self.hpas,
            View::Events => &self.events,
            View::Queues => &self.queue_table,
            View::Slos => &self.slo_table,
            View::Costs => &self.cost_table,
            View::Logs => return None,
        })
    }

    pub fn table_mut(&mut self, view: View) -> Option<&mut TableState> {
        Some(match view {
            View::Overview => &mut self.overview,
            View::Workloads => &mut self.workloads,
            View::Pods => &mut self.pods,
            View::Nodes => &mut self.nodes,
            View::Hpas => &mut self.hpas,
            View::Events => &mut self.events,
            View::Queues => &mut self.queue_table,
            View::Slos => &mut self.slo_table,
            View::Costs => &mut self.cost_table,
            View::Logs => return None,
        })
    }

    /// What the overview shows besides workloads and warnings.
    pub fn overview_panes(&self) -> OverviewPanes {
        OverviewPanes {
            slos: self.slos.rows().len(),
            queues: self.queues.rows().len(),
            budgets: self.costs.budgets().len(),
        }
    }

    pub fn take_log_session(&mut self) -> u64 {
        let s = self.next_log_session;
        self.next_log_session += 1;
        s
    }
}

static ROOT: Screen = Screen {
    view: View::Overview,
    pod_scope: None,
};
