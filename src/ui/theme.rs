//! Themes: styles named by meaning (ok, warn, bad, stale, selected...), loaded from TOML.

use std::collections::BTreeMap;
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

use crate::status::Health;

pub const BUILTIN_THEMES: &[(&str, &str)] = &[
    ("default", include_str!("../../themes/default.toml")),
    ("mono", include_str!("../../themes/mono.toml")),
];

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Theme {
    pub text: Style,
    pub dim: Style,
    pub title: Style,
    pub header: Style,
    pub border: Style,
    pub selected: Style,
    pub ok: Style,
    pub pending: Style,
    pub warn: Style,
    pub bad: Style,
    pub stale: Style,
    pub accent: Style,
    pub key: Style,
    pub production: Style,
    pub matched: Style,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    styles: BTreeMap<String, StyleSpec>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct StyleSpec {
    fg: Option<String>,
    bg: Option<String>,
    #[serde(default)]
    modifiers: Vec<String>,
}

impl StyleSpec {
    fn to_style(&self, name: &str) -> Result<Style, String> {
        let color =
            |c: &str| Color::from_str(c).map_err(|_| format!("style {name}: unknown colour {c:?}"));
        let mut style = Style::default();
        if let Some(fg) = &self.fg {
            style = style.fg(color(fg)?);
        }
        if let Some(bg) = &self.bg {
            style = style.bg(color(bg)?);
        }
        for m in &self.modifiers {
            style = style.add_modifier(match m.as_str() {
                "bold" => Modifier::BOLD,
                "dim" => Modifier::DIM,
                "italic" => Modifier::ITALIC,
                "underlined" => Modifier::UNDERLINED,
                "reversed" => Modifier::REVERSED,
                other => return Err(format!("style {name}: unknown modifier {other:?}")),
            });
        }
        Ok(style)
    }
}

impl Theme {
    pub fn from_toml(text: &str) -> Result<Theme, String> {
        let file: ThemeFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut theme = Theme::default();
        for (name, spec) in &file.styles {
            let style = spec.to_style(name)?;
            let slot = match name.as_str() {
                "text" => &mut theme.text,
                "dim" => &mut theme.dim,
                "title" => &mut theme.title,
                "header" => &mut theme.header,
                "border" => &mut theme.border,
                "selected" => &mut theme.selected,
                "ok" => &mut theme.ok,
                "pending" => &mut theme.pending,
                "warn" => &mut theme.warn,
                "bad" => &mut theme.bad,
                "stale" => &mut theme.stale,
                "accent" => &mut theme.accent,
                "key" => &mut theme.key,
                "production" => &mut theme.production,
                "match" => &mut theme.matched,
                other => return Err(format!("unknown style {other:?}")),
            };
            *slot = style;
        }
        Ok(theme)
    }

    pub fn builtin(name: &str) -> Option<Theme> {
        let (_, text) = BUILTIN_THEMES.iter().find(|(n, _)| *n == name)?;
        Theme::from_toml(text).ok()
    }

    /// The colour theme, or the monochrome one when colour is off.
    pub fn default_for(no_color: bool) -> Theme {
        Theme::builtin(if no_color { "mono" } else { "default" }).unwrap_or_default()
    }

    pub fn health(&self, h: Health) -> Style {
        match h {
            Health::Ok => self.ok,
            Health::Pending => self.pending,
            Health::Warn => self.warn,
            Health::Bad => self.bad,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_themes_parse() {
        for (name, text) in BUILTIN_THEMES {
            Theme::from_toml(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }

    #[test]
    fn mono_uses_no_colour() {
        let mono = Theme::builtin("mono").expect("mono theme");
        for s in [mono.ok, mono.bad, mono.selected, mono.stale] {
            assert_eq!(s.fg, None);
            assert_eq!(s.bg, None);
        }
        assert!(mono.selected.add_modifier.contains(Modifier::REVERSED));
    }

    #[test]
    fn bad_colour_is_named() {
        let err = Theme::from_toml("[styles]\nok = { fg = \"greem\" }\n").expect_err("bad colour");
        assert!(err.contains("greem"), "{err}");
    }
}
