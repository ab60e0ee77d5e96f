//! User intents, named as the keymap files name them. The views an intent can go to come
//! from the pane registry.

use crate::ui::pane::{ViewId, ViewSpec};

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
    /// The selected object as `kubectl describe` shows it (again: read it anew).
    Describe,
    /// The selected object's YAML.
    Yaml,
    /// A pod's log: the previous container's (the crash's last lines) and back.
    PreviousLog,
    /// YAML: show or hide `metadata.managedFields`.
    ManagedFields,
    NextMatch,
    PreviousMatch,
    /// The incident view: write a note.
    Note,
    /// The time axis: 1h, 6h, 24h.
    Zoom,
    Namespaces,
    /// The selected row (and its pane's state) in full: what a cut cell said.
    InFull,
    Goto(ViewId),
    /// Types an action for the selected row on the command line ("restart", "scale",
    /// "rollback", "cordon"); the operator completes it with Enter, then confirms the plan.
    Prefill(&'static str),
}

impl Action {
    /// Every action but the views, with its keymap name and the help text.
    pub const ALL: &'static [(Action, &'static str, &'static str)] = &[
        (Action::Quit, "quit", "quit opsdeck"),
        (Action::Back, "back", "clear filter, or go back"),
        (Action::Help, "help", "show the keys"),
        (Action::Command, "command", "commands (tab completes)"),
        (Action::Filter, "filter", "filter the table / log"),
        (Action::Up, "up", "move up"),
        (Action::Down, "down", "move down"),
        (Action::PageUp, "page-up", "page up"),
        (Action::PageDown, "page-down", "page down"),
        (Action::Top, "top", "first row"),
        (Action::Bottom, "bottom", "last row / follow log"),
        (Action::Open, "open", "open: pods, logs"),
        (Action::InFull, "in-full", "the row in full"),
        (Action::Logs, "logs", "logs of the selected pod"),
        (Action::ToggleFollow, "follow", "follow the log on/off"),
        (Action::ToggleWrap, "wrap", "wrap lines on/off"),
        (Action::Describe, "describe", "describe the object"),
        (Action::Yaml, "yaml", "the object's YAML"),
        (
            Action::PreviousLog,
            "previous",
            "log: previous container's / current",
        ),
        (
            Action::ManagedFields,
            "managed-fields",
            "YAML: managed fields on/off",
        ),
        (Action::NextMatch, "next-match", "next match of the search"),
        (Action::Note, "note", "incident: write a note"),
        (Action::Zoom, "zoom", "time axis: 1h / 6h / 24h"),
        (
            Action::PreviousMatch,
            "previous-match",
            "previous match of the search",
        ),
        (Action::Namespaces, "namespaces", "choose namespaces"),
        (Action::Prefill("restart"), "restart", "restart a workload"),
        (Action::Prefill("scale"), "scale", "scale a workload"),
        (
            Action::Prefill("rollback"),
            "rollback",
            "roll a workload back",
        ),
        (
            Action::Prefill("cordon"),
            "cordon",
            "cordon / uncordon a node",
        ),
        (
            Action::Prefill("silence"),
            "silence",
            "silence the alert's group",
        ),
        (Action::Prefill("ack"), "ack", "acknowledge the alert"),
        (
            Action::Prefill("expire-silence"),
            "expire-silence",
            "expire the silence",
        ),
    ];

    /// From its keymap name: one of `ALL`, or a view's name.
    pub fn parse(name: &str, views: &[ViewSpec]) -> Result<Action, String> {
        if let Some((a, _, _)) = Self::ALL.iter().find(|(_, n, _)| *n == name) {
            return Ok(*a);
        }
        if let Some(v) = views.iter().find(|v| v.id.0 == name) {
            return Ok(Action::Goto(v.id));
        }
        let names: Vec<&str> = Self::ALL
            .iter()
            .map(|(_, n, _)| *n)
            .chain(views.iter().map(|v| v.id.0))
            .collect();
        Err(format!(
            "unknown action {name:?} (known: {})",
            names.join(", ")
        ))
    }

    /// The one view where it does something (the help lists it only there).
    pub fn only_in(self) -> Option<ViewId> {
        match self {
            Action::Note => Some(crate::incident::pane::INCIDENT),
            Action::Zoom => Some(crate::incident::pane::AXIS),
            _ => None,
        }
    }

    /// What the help overlay says it does.
    pub fn description(self, views: &[ViewSpec]) -> &'static str {
        match self {
            Action::Goto(id) => views.iter().find(|v| v.id == id).map_or("", |v| v.help),
            a => Self::ALL
                .iter()
                .find(|(x, _, _)| *x == a)
                .map_or("", |(_, _, d)| *d),
        }
    }

    /// Where the help overlay lists it: `ALL`'s order, then the views in registry order.
    pub fn rank(self, views: &[ViewSpec]) -> usize {
        match self {
            Action::Goto(id) => views
                .iter()
                .position(|v| v.id == id)
                .map_or(usize::MAX, |at| Self::ALL.len() + at),
            a => Self::ALL
                .iter()
                .position(|(x, _, _)| *x == a)
                .unwrap_or(usize::MAX),
        }
    }
}
