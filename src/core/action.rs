//! User intents, named as the keymap files name them.

use std::str::FromStr;

use super::view::View;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    Quit,
    Back,
    Help,
    Command,
    Filter,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Open,
    Logs,
    ToggleFollow,
    ToggleWrap,
    Namespaces,
    Goto(View),
    /// Types an action for the selected workload on the command line ("restart", "scale",
    /// "rollback"); the operator completes it with Enter, then confirms the plan.
    Prefill(&'static str),
}

impl Action {
    /// Every action with its keymap name and the help text.
    pub const ALL: &'static [(Action, &'static str, &'static str)] = &[
        (Action::Quit, "quit", "quit opsdeck"),
        (Action::Back, "back", "clear filter, or go back"),
        (Action::Help, "help", "show the keys"),
        (Action::Command, "command", "command line (:pods, :q)"),
        (Action::Filter, "filter", "filter the table / log"),
        (Action::Up, "up", "move up"),
        (Action::Down, "down", "move down"),
        (Action::PageUp, "page-up", "page up"),
        (Action::PageDown, "page-down", "page down"),
        (Action::Top, "top", "first row"),
        (Action::Bottom, "bottom", "last row / follow log"),
        (Action::Open, "open", "drill down: pods, logs"),
        (Action::Logs, "logs", "logs of the selected pod"),
        (Action::ToggleFollow, "follow", "follow the log on/off"),
        (Action::ToggleWrap, "wrap", "wrap log lines on/off"),
        (Action::Namespaces, "namespaces", "choose namespaces"),
        (Action::Goto(View::Overview), "overview", "overview"),
        (
            Action::Goto(View::Workloads),
            "workloads",
            "deployments, statefulsets",
        ),
        (Action::Goto(View::Pods), "pods", "pods"),
        (Action::Goto(View::Nodes), "nodes", "nodes"),
        (Action::Goto(View::Hpas), "hpa", "autoscalers (HPA)"),
        (Action::Goto(View::Events), "events", "warning events"),
        (Action::Goto(View::Queues), "queues", "queues"),
        (Action::Goto(View::Slos), "slos", "SLO burn rates"),
        (Action::Goto(View::Costs), "costs", "costs and budgets"),
        (
            Action::Prefill("restart"),
            "restart",
            "restart workload (plan, confirm)",
        ),
        (
            Action::Prefill("scale"),
            "scale",
            "scale workload (plan, confirm)",
        ),
        (
            Action::Prefill("rollback"),
            "rollback",
            "roll back workload (plan, confirm)",
        ),
        (
            Action::Prefill("cordon"),
            "cordon",
            "cordon node (plan, confirm)",
        ),
    ];

    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(a, _, _)| *a == self)
            .map(|(_, n, _)| *n)
            .unwrap_or("?")
    }

    pub fn description(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(a, _, _)| *a == self)
            .map(|(_, _, d)| *d)
            .unwrap_or("")
    }
}

impl FromStr for Action {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .find(|(_, n, _)| *n == s)
            .map(|(a, _, _)| *a)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|(_, n, _)| *n).collect();
                format!("unknown action {s:?} (known: {})", names.join(", "))
            })
    }
}
