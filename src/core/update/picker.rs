//! The namespace picker: "all" first, then every namespace seen; space toggles, enter applies.

use std::collections::BTreeSet;

use crossterm::event::{KeyCode, KeyEvent};

use super::super::msg::Effect;
use super::super::state::{Mode, State};
use super::nav::rewatch;
use crate::cluster::source::Namespaces;

/// Opens the picker with the namespaces watched now ticked.
pub fn open(state: &mut State) {
    let chosen = match &state.panes.cluster.namespaces {
        Namespaces::All => Default::default(),
        Namespaces::Only(list) => list.iter().cloned().collect(),
    };
    state.mode = Mode::NamespacePicker { cursor: 0, chosen };
}

pub fn key(
    state: &mut State,
    key: KeyEvent,
    mut cursor: usize,
    mut chosen: BTreeSet<String>,
) -> Vec<Effect> {
    let seen = &state.panes.cluster.model.namespaces;
    let count = seen.len() + 1;
    match key.code {
        KeyCode::Esc => return vec![],
        KeyCode::Enter => {
            let ns = if chosen.is_empty() {
                Namespaces::All
            } else {
                Namespaces::Only(chosen.into_iter().collect())
            };
            return rewatch(state, ns);
        }
        KeyCode::Up | KeyCode::Char('k') => cursor = cursor.saturating_sub(1),
        KeyCode::Down | KeyCode::Char('j') => cursor = (cursor + 1).min(count - 1),
        KeyCode::Char(' ') => {
            if cursor == 0 {
                chosen.clear();
            } else if let Some(ns) = seen.get(cursor - 1)
                && !chosen.remove(ns)
            {
                chosen.insert(ns.clone());
            }
        }
        _ => {}
    }
    state.mode = Mode::NamespacePicker { cursor, chosen };
    vec![]
}
