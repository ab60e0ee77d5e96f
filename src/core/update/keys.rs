//! Keys: where a key goes (the keymap, a text field, an overlay), and what each intent does.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::super::action::Action;
use super::super::command::{self, text_input};
use super::super::layout::page;
use super::super::msg::Effect;
use super::super::state::{Mode, State};
use super::{actions, axis, incident, nav, picker, runbook};
use crate::cluster::pane::LOGS;
use crate::incident::pane::{AXIS, INCIDENT};
use crate::inspect::document::Face;
use crate::inspect::pane::{YAML, face};
use crate::ui::pane::Layer;

pub fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    if quits_from_anywhere(state, &key) {
        return vec![Effect::Quit];
    }
    match std::mem::take(&mut state.mode) {
        Mode::Normal => {
            let layer = state.spec(state.view()).map_or(Layer::Table, |v| v.layer);
            match state.keymap.lookup(layer, &key) {
                Some(action) => {
                    state.flash = None;
                    perform(state, action)
                }
                None => vec![],
            }
        }
        // Any key closes an overlay that only shows.
        Mode::Help | Mode::InFull => vec![],
        Mode::Command(input) => command::key(state, key, input),
        Mode::Filter(mut input) => {
            match key.code {
                KeyCode::Enter => {}
                KeyCode::Esc => nav::set_filter(state, ""),
                _ => {
                    input.input(key);
                    let text = input.lines().join(" ");
                    nav::set_filter(state, &text);
                    state.mode = Mode::Filter(input);
                }
            }
            vec![]
        }
        Mode::NamespacePicker { cursor, chosen } => picker::key(state, key, cursor, chosen),
        Mode::Confirm {
            plan,
            input,
            scroll,
        } => actions::confirm_key(state, key, plan, input, scroll),
        Mode::Runbook => runbook::key(state, key),
        Mode::Note { input, correcting } => incident::note_key(state, key, input, correcting),
    }
}

/// The quit key (ctrl-c by default) works in every dialog too: at 3 a.m. it must never be
/// swallowed by an open prompt. Only a control chord counts, so no keymap can make a typed
/// letter quit from a text field.
fn quits_from_anywhere(state: &State, key: &KeyEvent) -> bool {
    key.modifiers.contains(KeyModifiers::CONTROL)
        && state.keymap.lookup(Layer::Global, key) == Some(Action::Quit)
}

pub fn perform(state: &mut State, action: Action) -> Vec<Effect> {
    let view = state.view();
    let rows = page(&state.panes, view, state.width, state.height) as isize;
    match action {
        Action::Quit => return vec![Effect::Quit],
        Action::Back => return nav::back(state),
        Action::Help => state.mode = Mode::Help,
        Action::InFull => state.mode = Mode::InFull,
        Action::Command => {
            state.completions.clear();
            state.mode = Mode::Command(text_input(""));
        }
        Action::Filter => {
            let current = nav::current_filter(state);
            state.mode = Mode::Filter(text_input(&current));
        }
        Action::Up => nav::move_selection(state, -1),
        Action::Down => nav::move_selection(state, 1),
        Action::PageUp => nav::move_selection(state, -rows),
        Action::PageDown => nav::move_selection(state, rows),
        Action::Top => nav::move_selection(state, isize::MIN / 2),
        Action::Bottom => nav::move_selection(state, isize::MAX / 2),
        Action::Open => return nav::open(state),
        Action::Logs => return nav::logs_of_selected(state),
        Action::ToggleFollow if view == LOGS => {
            state.panes.cluster.toggle_follow(rows.unsigned_abs())
        }
        Action::ToggleWrap if view == LOGS => state.panes.cluster.toggle_wrap(),
        Action::ToggleWrap if face(view).is_some() => state.panes.inspect.toggle_wrap(),
        Action::ToggleFollow | Action::ToggleWrap => {}
        Action::Note if view == INCIDENT => incident::open_note(state),
        Action::Zoom if view == AXIS => return axis::zoom(state),
        Action::Zoom => {}
        Action::Note => state.flash = Some("notes go on the incident's timeline: :incident".into()),
        Action::Describe => return nav::inspect(state, Face::Describe),
        Action::Yaml => return nav::inspect(state, Face::Yaml),
        Action::PreviousLog if view == LOGS => return nav::previous_log(state),
        Action::ManagedFields if view == YAML => state.panes.inspect.toggle_managed(),
        Action::NextMatch | Action::PreviousMatch if face(view).is_some() => {
            let forward = action == Action::NextMatch;
            state
                .panes
                .inspect
                .next_match(view, forward, rows.unsigned_abs());
        }
        Action::PreviousLog | Action::ManagedFields | Action::NextMatch | Action::PreviousMatch => {
        }
        Action::Namespaces => picker::open(state),
        Action::Goto(v) => return nav::goto(state, v),
        Action::Prefill(verb) => match actions::prefill(state, verb) {
            Some(line) => state.mode = Mode::Command(text_input(&line)),
            None => {
                let what = match verb {
                    "cordon" => "a node",
                    "silence" | "ack" => "an alert (:alerts)",
                    "expire-silence" => "a silence (:silences)",
                    _ => "a workload",
                };
                state.flash = Some(format!("select {what} to {verb}"));
            }
        },
    }
    vec![]
}
