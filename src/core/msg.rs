//! What flows into `update` (Msg: keys, ticks, data that arrived) and what comes out of it
//! (Effect: work for the event loop to run).

use std::collections::BTreeMap;
use std::time::Duration;

use crossterm::event::KeyEvent;

use super::panes::PaneMsg;
use crate::actions::plan::Plan;
use crate::actions::runbook::Runbook;
use crate::actions::{ActionError, ActionRequest, Outcome, Progress};
use crate::cluster::source::Namespaces;
use crate::ui::pane::LogTarget;

#[derive(Clone, Debug)]
pub enum Msg {
    Key(KeyEvent),
    Resized {
        width: u16,
        height: u16,
    },
    /// The clock moved (unix seconds).
    Ticked(i64),
    /// A pane's source sent something.
    Pane(PaneMsg),
    /// The executor built a plan (or refused: read-only, forbidden, not found...).
    ActionPlanned(Result<Box<Plan>, ActionError>),
    ActionProgressed(Progress),
    ActionFinished(Result<Outcome, ActionError>),
    /// A runbook file was read (with the parameters given on the command line), or why not.
    RunbookLoaded(Result<(Box<Runbook>, BTreeMap<String, String>), String>),
    /// The loaded runbook's checks and waits the config cannot read ("step 4 (line 34): ...").
    RunbookUnreadable(Vec<String>),
    /// A runbook check or wait-until was evaluated: (holds, what was seen), or why not.
    ConditionEvaluated(Result<(bool, String), String>),
}

impl<T: Into<PaneMsg>> From<T> for Msg {
    fn from(m: T) -> Self {
        Msg::Pane(m.into())
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    Quit,
    /// Start following a pod's log; messages carry `session`.
    FollowLogs {
        target: LogTarget,
        session: u64,
    },
    StopLogs,
    /// Append entries to an incident's record (fsynced; a failure comes back as a message).
    RecordIncident {
        id: String,
        entries: Vec<crate::incident::Entry>,
        /// Also append them to the incident's ConfigMaps (not for entries that came from
        /// there).
        share: bool,
    },
    /// Complete the impact measured at resolution with Prometheus (failed requests), then
    /// record it as the incident's impact entry.
    MeasureImpact {
        id: String,
        /// Unix ms.
        start: i64,
        end: i64,
        measured: serde_json::Value,
    },
    /// Read the time axis from Prometheus.
    FetchAxis(crate::incident::axis::AxisRequest),
    /// Write the incident's postmortem draft beside its record.
    ExportIncident {
        id: String,
        markdown: String,
    },
    /// Fetch an object and render its describe and YAML; the answer carries `session`.
    Inspect {
        object: crate::k8s::ObjectRef,
        session: u64,
    },
    /// Restart every watch on other namespaces.
    Rewatch(Namespaces),
    /// Start watching these contexts of the kubeconfig too (`:ctx`).
    WatchContexts(Vec<String>),
    /// Ask the executor of `context` ("": the first) for a plan (live state, permission, dry
    /// run).
    PlanAction {
        request: ActionRequest,
        context: String,
    },
    /// Run a confirmed plan: execute, verify, audit.
    ExecuteAction {
        plan: Box<Plan>,
        confirmation: String,
    },
    /// Read a runbook by name or path (the config's runbook folders, then ./runbooks).
    LoadRunbook {
        name: String,
        params: BTreeMap<String, String>,
    },
    /// Evaluate a runbook condition once, or poll it until it holds or `wait` passes.
    EvaluateCondition {
        condition: String,
        namespace: String,
        wait: Option<Duration>,
        /// Where the runbook runs ("": the first context).
        context: String,
    },
}
