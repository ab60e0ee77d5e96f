//! Keymaps as data: layers of `key = "action"` in TOML, the default embedded, a user's file
//! merged over it. The views' number keys come from the pane registry, and so do the view
//! names an action may be; the help screen is generated from the same table.

use std::collections::BTreeMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Action;
use crate::ui::pane::{Layer, ViewSpec};

pub const DEFAULT_KEYMAP: &str = include_str!("../../keymaps/default.toml");
pub const BUILTIN_KEYMAPS: &[(&str, &str)] = &[
    ("default", DEFAULT_KEYMAP),
    ("vim", include_str!("../../keymaps/vim.toml")),
    ("emacs", include_str!("../../keymaps/emacs.toml")),
];

fn layer_from_name(s: &str) -> Option<Layer> {
    match s {
        "global" => Some(Layer::Global),
        "table" => Some(Layer::Table),
        "logs" => Some(Layer::Logs),
        _ => None,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub code: KeyCodeOrd,
    pub ctrl: bool,
    pub alt: bool,
}

/// `KeyCode` with an order, so bindings print sorted in the help.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KeyCodeOrd {
    Char(char),
    Named(&'static str),
}

const NAMED: &[(&str, KeyCode)] = &[
    ("esc", KeyCode::Esc),
    ("enter", KeyCode::Enter),
    ("tab", KeyCode::Tab),
    ("backtab", KeyCode::BackTab),
    ("backspace", KeyCode::Backspace),
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
    ("pgup", KeyCode::PageUp),
    ("pgdn", KeyCode::PageDown),
    ("delete", KeyCode::Delete),
    ("space", KeyCode::Char(' ')),
];

impl Key {
    pub fn parse(spec: &str) -> Result<Key, String> {
        let mut ctrl = false;
        let mut alt = false;
        let mut rest = spec;
        loop {
            if let Some(r) = rest.strip_prefix("ctrl-") {
                ctrl = true;
                rest = r;
            } else if let Some(r) = rest.strip_prefix("alt-") {
                alt = true;
                rest = r;
            } else {
                break;
            }
        }
        let code = if let Some((name, _)) = NAMED.iter().find(|(n, _)| *n == rest) {
            if *name == "space" {
                KeyCodeOrd::Char(' ')
            } else {
                KeyCodeOrd::Named(name)
            }
        } else {
            let mut chars = rest.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => KeyCodeOrd::Char(c),
                _ => return Err(format!("unknown key {spec:?}")),
            }
        };
        Ok(Key { code, ctrl, alt })
    }

    pub fn from_event(ev: &KeyEvent) -> Option<Key> {
        let code = match ev.code {
            KeyCode::Char(c) => KeyCodeOrd::Char(c),
            other => KeyCodeOrd::Named(NAMED.iter().find(|(_, k)| *k == other)?.0),
        };
        Some(Key {
            code,
            ctrl: ev.modifiers.contains(KeyModifiers::CONTROL),
            alt: ev.modifiers.contains(KeyModifiers::ALT),
        })
    }

    pub fn label(&self) -> String {
        let base = match self.code {
            KeyCodeOrd::Char(' ') => "space".to_string(),
            KeyCodeOrd::Char(c) => c.to_string(),
            KeyCodeOrd::Named(n) => n.to_string(),
        };
        format!(
            "{}{}{base}",
            if self.ctrl { "ctrl-" } else { "" },
            if self.alt { "alt-" } else { "" }
        )
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Keymap {
    pub layers: BTreeMap<Layer, BTreeMap<Key, Action>>,
}

impl Keymap {
    /// The embedded default keymap, with each view's number key from the registry.
    pub fn default_keymap(views: &[ViewSpec]) -> Keymap {
        let mut km = Keymap::default();
        for v in views {
            if let Some(c) = v.key {
                let key = Key {
                    code: KeyCodeOrd::Char(c),
                    ctrl: false,
                    alt: false,
                };
                km.layers
                    .entry(Layer::Global)
                    .or_default()
                    .insert(key, Action::Goto(v.id));
            }
        }
        // The embedded file is tested below; a broken one would fail every build's tests.
        let _ = km.merge_toml(DEFAULT_KEYMAP, views);
        km
    }

    /// A built-in keymap by name ("default", "vim", "emacs"), merged over the default.
    pub fn builtin(name: &str, views: &[ViewSpec]) -> Option<Keymap> {
        let (_, text) = BUILTIN_KEYMAPS.iter().find(|(n, _)| *n == name)?;
        let mut km = Keymap::default_keymap(views);
        let _ = km.merge_toml(text, views);
        Some(km)
    }

    /// Merges a TOML keymap over this one. Returns warnings (unknown keys or actions), which
    /// leave the rest of the file in force.
    pub fn merge_toml(&mut self, text: &str, views: &[ViewSpec]) -> Result<Vec<String>, String> {
        let table: toml::Table = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut warnings = Vec::new();
        for (layer_name, bindings) in table {
            let Some(layer) = layer_from_name(&layer_name) else {
                warnings.push(format!("unknown keymap layer [{layer_name}]"));
                continue;
            };
            let Some(bindings) = bindings.as_table() else {
                warnings.push(format!(
                    "[{layer_name}] must be a table of key = \"action\""
                ));
                continue;
            };
            for (key, action) in bindings {
                let key = match Key::parse(key) {
                    Ok(k) => k,
                    Err(e) => {
                        warnings.push(format!("[{layer_name}] {e}"));
                        continue;
                    }
                };
                let entry = self.layers.entry(layer).or_default();
                match action.as_str() {
                    Some("none") => {
                        entry.remove(&key);
                    }
                    Some(name) => match Action::parse(name, views) {
                        Ok(a) => {
                            entry.insert(key, a);
                        }
                        Err(e) => warnings.push(format!("[{layer_name}] {}: {e}", key.label())),
                    },
                    None => warnings.push(format!(
                        "[{layer_name}] {}: action must be a string",
                        key.label()
                    )),
                }
            }
        }
        Ok(warnings)
    }

    pub fn lookup(&self, layer: Layer, ev: &KeyEvent) -> Option<Action> {
        // Shifted letters arrive as uppercase chars with SHIFT set; the char already says it.
        self.lookup_key(layer, &Key::from_event(ev)?)
    }

    /// The view's layer first, then the global one.
    pub fn lookup_key(&self, layer: Layer, key: &Key) -> Option<Action> {
        [layer, Layer::Global]
            .iter()
            .find_map(|l| self.layers.get(l)?.get(key).copied())
    }

    /// The keys bound to an action in a layer, for hints ("? help").
    pub fn keys_for(&self, layer: Layer, action: Action) -> Vec<String> {
        self.layers
            .get(&layer)
            .map(|m| {
                m.iter()
                    .filter(|(_, a)| **a == action)
                    .map(|(k, _)| k.label())
                    .collect()
            })
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::panes::views;

    fn key(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    #[test]
    fn every_shipped_keymap_parses_without_warnings() {
        for (name, text) in BUILTIN_KEYMAPS {
            let mut km = Keymap::default();
            let warnings = km.merge_toml(text, &views()).expect("keymap parses");
            assert!(warnings.is_empty(), "{name}: {warnings:?}");
        }
    }

    /// A view layer's binding hides the global one on the same key: no shipped keymap binds a
    /// global key again in a view, and whatever a global key does is reachable from every
    /// view, by some key.
    #[test]
    fn no_shipped_keymap_hides_a_global_action_in_a_view() {
        for (name, _) in BUILTIN_KEYMAPS {
            let km = Keymap::builtin(name, &views()).expect("builtin");
            for (key, action) in &km.layers[&Layer::Global] {
                for layer in [Layer::Table, Layer::Logs] {
                    let shadow = km.layers.get(&layer).and_then(|b| b.get(key));
                    assert!(
                        shadow.is_none_or(|a| a == action),
                        "{name}: {} is {action:?} globally but {shadow:?} in {layer:?}",
                        key.label()
                    );
                }
            }
            for action in km.layers[&Layer::Global].values() {
                for layer in [Layer::Table, Layer::Logs] {
                    let reachable = km
                        .layers
                        .values()
                        .flat_map(|b| b.keys())
                        .any(|k| km.lookup_key(layer, k) == Some(*action));
                    assert!(reachable, "{name}: {action:?} unreachable in {layer:?}");
                }
            }
        }
    }

    #[test]
    fn default_is_k9s_like_and_numbers_come_from_the_registry() {
        let km = Keymap::default_keymap(&views());
        assert_eq!(km.lookup(Layer::Table, &key(':')), Some(Action::Command));
        assert_eq!(km.lookup(Layer::Table, &key('/')), Some(Action::Filter));
        assert_eq!(km.lookup(Layer::Table, &key('j')), Some(Action::Down));
        assert_eq!(
            km.lookup(Layer::Logs, &key('f')),
            Some(Action::ToggleFollow)
        );
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(km.lookup(Layer::Logs, &ctrl_c), Some(Action::Quit));
        for v in views() {
            if let Some(c) = v.key {
                assert_eq!(km.lookup(Layer::Table, &key(c)), Some(Action::Goto(v.id)));
            }
        }
    }

    #[test]
    fn user_file_overrides_and_warns_on_unknown_action() {
        let mut km = Keymap::default_keymap(&views());
        let warnings = km
            .merge_toml(
                "[table]\nx = \"down\"\nj = \"none\"\ny = \"explode\"\nz = \"queues\"\n",
                &views(),
            )
            .expect("parses");
        assert_eq!(km.lookup(Layer::Table, &key('x')), Some(Action::Down));
        assert_eq!(km.lookup(Layer::Table, &key('j')), None);
        assert!(matches!(
            km.lookup(Layer::Table, &key('z')),
            Some(Action::Goto(v)) if v.0 == "queues"
        ));
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("explode"));
    }
}
