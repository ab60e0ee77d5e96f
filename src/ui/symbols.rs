//! Symbol sets: Unicode by default, ASCII for terminals and fonts that cannot show it.

use ratatui::symbols::border;

use crate::status::Health;

/// ratatui has no ASCII border set.
pub const ASCII_BORDER: border::Set = border::Set {
    top_left: "+",
    top_right: "+",
    bottom_left: "+",
    bottom_right: "+",
    vertical_left: "|",
    vertical_right: "|",
    horizontal_top: "-",
    horizontal_bottom: "-",
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Symbols {
    pub border: border::Set,
    pub ok: &'static str,
    pub pending: &'static str,
    pub warn: &'static str,
    pub bad: &'static str,
    pub arrow: &'static str,
    /// "loading…": something is on its way.
    pub ellipsis: &'static str,
    /// Ends text cut to fit ("…", "~" in ASCII: one column either way).
    pub cut: &'static str,
    pub separator: &'static str,
    pub checked: &'static str,
    pub unchecked: &'static str,
    /// Only ASCII is drawn (bars, sparklines and gauges pick their characters by it).
    pub ascii: bool,
}

pub const UNICODE: Symbols = Symbols {
    border: border::ROUNDED,
    ok: "●",
    pending: "◌",
    warn: "▲",
    bad: "✖",
    arrow: "›",
    ellipsis: "…",
    cut: "…",
    separator: "│",
    checked: "[x]",
    unchecked: "[ ]",
    ascii: false,
};

pub const ASCII: Symbols = Symbols {
    border: ASCII_BORDER,
    ok: "*",
    pending: "~",
    warn: "!",
    bad: "x",
    arrow: ">",
    ellipsis: "...",
    cut: "~",
    separator: "|",
    checked: "[x]",
    unchecked: "[ ]",
    ascii: true,
};

impl Symbols {
    pub fn health(&self, h: Health) -> &'static str {
        match h {
            Health::Ok => self.ok,
            Health::Pending => self.pending,
            Health::Warn => self.warn,
            Health::Bad => self.bad,
        }
    }
}

/// Unicode when the locale says UTF-8 (LC_ALL > LC_CTYPE > LANG, as libc reads them).
pub fn locale_is_utf8(lc_all: Option<&str>, lc_ctype: Option<&str>, lang: Option<&str>) -> bool {
    let effective = [lc_all, lc_ctype, lang]
        .into_iter()
        .flatten()
        .find(|v| !v.is_empty());
    effective.is_some_and(|v| {
        let v = v.to_ascii_lowercase();
        v.contains("utf-8") || v.contains("utf8")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locale_precedence() {
        assert!(locale_is_utf8(None, None, Some("C.UTF-8")));
        assert!(!locale_is_utf8(Some("C"), None, Some("en_US.UTF-8")));
        assert!(locale_is_utf8(Some(""), Some("en_US.utf8"), Some("C")));
        assert!(!locale_is_utf8(None, None, None));
    }
}
