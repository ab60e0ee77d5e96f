//! The `:` command line: views by any of their names (from the pane registry), actions (from
//! the verb list), and the console's own words; tab completes the first word.

use crossterm::event::{KeyCode, KeyEvent};
use tui_textarea::TextArea;

use super::msg::Effect;
use super::state::{Mode, State};
use super::update::nav::{goto, logs_of_selected, rewatch, set_filter};
use super::update::{actions, incident, picker, runbook};
use crate::actions::verbs::VERBS;
use crate::cluster::source::Namespaces;
use crate::k8s::context::ContextName;

/// The console's own command words (views and verbs are the registry's).
pub const BUILTINS: &[&str] = &[
    "q",
    "q!",
    "quit",
    "exit",
    "help",
    "?",
    "ns",
    "namespace",
    "namespaces",
    "logs",
    "log",
    "runbook",
    "rb",
    "export",
    "ctx",
    "context",
];

/// Keys while the command line is open.
pub fn key(state: &mut State, key: KeyEvent, mut input: TextArea<'static>) -> Vec<Effect> {
    // What tab said of the last word is news only until the next key.
    state.completions.clear();
    state.flash = None;
    match key.code {
        KeyCode::Enter => run(state, input.lines().join(" ").trim()),
        KeyCode::Esc => vec![],
        KeyCode::Tab => {
            let line = input.lines().join(" ");
            if let Some(completed) = complete(state, &line) {
                input = text_input(&completed);
            }
            state.mode = Mode::Command(input);
            vec![]
        }
        _ => {
            input.input(key);
            state.mode = Mode::Command(input);
            vec![]
        }
    }
}

/// A one-line text field holding `initial`, the cursor at its end.
pub fn text_input(initial: &str) -> TextArea<'static> {
    let mut t = TextArea::new(vec![initial.to_string()]);
    t.move_cursor(tui_textarea::CursorMove::End);
    t
}

/// Every word the first position takes: view names and aliases, verbs, built-ins.
pub fn words(state: &State) -> Vec<&'static str> {
    let mut all: Vec<&'static str> = state
        .views
        .iter()
        .flat_map(|v| v.commands.iter().copied())
        .chain(VERBS.iter().map(|v| v.usage.name))
        .chain(BUILTINS.iter().copied().filter(|w| w.len() > 2))
        .collect();
    all.sort_unstable();
    all.dedup();
    all
}

/// Tab on `line`: a unique match is completed (with a space); several are narrowed to their
/// common prefix and listed in the footer. None when the line has no first word to complete.
fn complete(state: &mut State, line: &str) -> Option<String> {
    if line.contains(' ') {
        return None;
    }
    let matching: Vec<&str> = words(state)
        .into_iter()
        .filter(|w| w.starts_with(line))
        .collect();
    match matching.as_slice() {
        [] => {
            state.flash = Some(format!("nothing starts with {line:?}"));
            None
        }
        [one] => {
            // A verb says how it is used.
            if let Some(v) = VERBS.iter().find(|v| v.usage.name == *one) {
                state.flash = Some(format!("{}: {}", v.usage.usage, v.usage.help));
            }
            Some(format!("{one} "))
        }
        many => {
            let prefix = common_prefix(many);
            state.completions = many.iter().map(|w| w.to_string()).collect();
            Some(prefix)
        }
    }
}

fn common_prefix(words: &[&str]) -> String {
    let first = words.first().copied().unwrap_or_default();
    let len = words.iter().fold(first.chars().count(), |len, w| {
        first
            .chars()
            .zip(w.chars())
            .take(len)
            .take_while(|(a, b)| a == b)
            .count()
    });
    first.chars().take(len).collect()
}

/// Runs a command line.
pub fn run(state: &mut State, line: &str) -> Vec<Effect> {
    let mut words = line.split_whitespace();
    let Some(cmd) = words.next() else {
        return vec![];
    };
    let rest: Vec<&str> = words.collect();
    let all: Vec<&str> = std::iter::once(cmd).chain(rest.iter().copied()).collect();
    if let Some(effects) = actions::from_command(state, &all) {
        return effects;
    }
    match cmd {
        "q" | "q!" | "quit" | "exit" => vec![Effect::Quit],
        "help" | "?" => {
            state.mode = Mode::Help;
            vec![]
        }
        "ns" | "namespace" | "namespaces" if rest.is_empty() => {
            picker::open(state);
            vec![]
        }
        "ns" | "namespace" | "namespaces" => rewatch(state, Namespaces::parse(&rest.join(","))),
        "logs" | "log" => logs_of_selected(state),
        "runbook" | "rb" => runbook::from_command(state, &rest),
        "incident" | "inc" if !rest.is_empty() => incident::command(state, &rest),
        "export" => incident::export(state),
        "ctx" | "context" => contexts(state, &rest),
        word => match state.views.iter().find(|v| v.commands.contains(&word)) {
            Some(v) => {
                let view = v.id;
                let effects = goto(state, view);
                if !rest.is_empty() {
                    set_filter(state, &rest.join(" "));
                }
                effects
            }
            None => {
                state.flash = Some(format!(
                    "unknown command :{word} (tab completes, ? shows the keys)"
                ));
                vec![]
            }
        },
    }
}

/// `:ctx` says which contexts are watched and shown; `:ctx a,b` shows those (watching the
/// ones not yet watched), `:ctx all` every one watched.
fn contexts(state: &mut State, args: &[&str]) -> Vec<Effect> {
    let cluster = &mut state.panes.cluster;
    let names: Vec<String> = args
        .join(",")
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(String::from)
        .collect();
    let list = |v: &[ContextName]| v.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ");
    if names.is_empty() {
        state.flash = Some(format!(
            "watching {}; showing {} (:ctx a,b or :ctx all)",
            list(&cluster.contexts),
            list(&cluster.shown_contexts())
        ));
        return vec![];
    }
    if names.iter().any(|n| n == "all") {
        cluster.show_contexts(vec![]);
        state.dirty = true;
        return vec![];
    }
    let new: Vec<String> = names
        .iter()
        .filter(|n| !cluster.contexts.iter().any(|c| c.as_str() == n.as_str()))
        .cloned()
        .collect();
    cluster
        .contexts
        .extend(new.iter().map(|n| ContextName::new(n)));
    cluster.show_contexts(names.iter().map(|n| ContextName::new(n)).collect());
    state.dirty = true;
    if new.is_empty() {
        vec![]
    } else {
        vec![Effect::WatchContexts(new)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_prefixes() {
        assert_eq!(common_prefix(&["queues", "queue"]), "queue");
        assert_eq!(common_prefix(&["pods", "pause-rollout"]), "p");
        assert_eq!(common_prefix(&["slo"]), "slo");
    }
}
