//! Text that fits: display widths (not bytes, not chars) and cuts that say so. Nothing on screen
//! is cut silently: a cut ends with the symbol set's mark ("…", "~" in ASCII).

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Columns `text` takes on a terminal.
pub fn width(text: &str) -> usize {
    UnicodeWidthStr::width(text)
}

/// `text` in at most `max` columns: whole when it fits, else cut and ended with `mark`.
pub fn cut(text: &str, max: usize, mark: &str) -> String {
    if width(text) <= max {
        return text.to_string();
    }
    let room = max.saturating_sub(width(mark));
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > room {
            break;
        }
        used += w;
        out.push(c);
    }
    if max >= width(mark) {
        out.push_str(mark);
    }
    out
}

/// The last `max` columns of `text` (a sparkline keeps its newest points).
pub fn tail(text: &str, max: usize) -> String {
    let total = width(text);
    if total <= max {
        return text.to_string();
    }
    let mut skip = total - max;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if skip == 0 {
            start = i;
            break;
        }
        skip = skip.saturating_sub(c.width().unwrap_or(0));
        start = i + c.len_utf8();
    }
    text[start..].to_string()
}

/// A line of spans in at most `max` columns: spans past the edge are dropped, the one on it
/// is cut, and a cut line ends with `mark` (in `mark_style`).
pub fn fit_line<'a>(spans: Vec<Span<'a>>, max: usize, mark: &str, mark_style: Style) -> Line<'a> {
    let total: usize = spans.iter().map(|s| width(&s.content)).sum();
    if total <= max {
        return Line::from(spans);
    }
    let room = max.saturating_sub(width(mark));
    let mut out = Vec::new();
    let mut used = 0;
    for span in spans {
        let w = width(&span.content);
        if used + w <= room {
            used += w;
            out.push(span);
            continue;
        }
        let left = room - used;
        if left > 0 {
            let at = split_at_width(&span.content, left);
            out.push(Span::styled(span.content[..at].to_string(), span.style));
        }
        break;
    }
    out.push(Span::styled(mark.to_string(), mark_style));
    Line::from(out)
}

/// `text` broken into lines of at most `max` columns, at spaces where it can be, mid-word
/// where a word is longer than a line (an exact request must be read whole, not cut).
pub fn wrap(text: &str, max: usize) -> Vec<String> {
    let max = max.max(1);
    let mut lines = vec![];
    let mut line = String::new();
    for word in text.split(' ') {
        let sep = usize::from(!line.is_empty());
        if width(&line) + sep + width(word) <= max {
            if sep == 1 {
                line.push(' ');
            }
            line.push_str(word);
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        let mut rest = word;
        while width(rest) > max {
            // At least one character per line, however wide it is.
            let first = rest.chars().next().map_or(1, char::len_utf8);
            let at = split_at_width(rest, max).max(first);
            lines.push(rest[..at].to_string());
            rest = &rest[at..];
        }
        line.push_str(rest);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// The byte index where the first `max` columns of `text` end.
fn split_at_width(text: &str, max: usize) -> usize {
    let mut used = 0;
    for (i, c) in text.char_indices() {
        let w = c.width().unwrap_or(0);
        if used + w > max {
            return i;
        }
        used += w;
    }
    text.len()
}

/// A line of a text view (a log, a describe): the search's matches marked; unwrapped and
/// wider than `room`, cut with the mark.
pub fn text_line(
    line: &str,
    lowered: &str,
    wrap: bool,
    room: usize,
    (mark, matched): (&str, Style),
) -> Line<'static> {
    let shown = if wrap {
        line.to_string()
    } else {
        cut(line, room, mark)
    };
    let spans = highlight(&shown, lowered, matched).spans;
    Line::from(
        spans
            .into_iter()
            .map(|s| Span::styled(s.content.into_owned(), s.style))
            .collect::<Vec<_>>(),
    )
}

/// The matches of `lowered` (a lower-case needle) marked in a line of text (a log, a YAML
/// document): case-insensitive for ASCII lines.
fn highlight<'a>(line: &'a str, lowered: &str, matched: Style) -> Line<'a> {
    if lowered.is_empty() || !line.is_ascii() {
        return Line::raw(line);
    }
    let lower = line.to_ascii_lowercase();
    let mut spans = Vec::new();
    let mut at = 0;
    while let Some(found) = lower[at..].find(lowered) {
        let start = at + found;
        let end = start + lowered.len();
        spans.push(Span::raw(&line[at..start]));
        spans.push(Span::styled(&line[start..end], matched));
        at = end;
    }
    spans.push(Span::raw(&line[at..]));
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_line_too_wide_ends_with_the_mark_unless_wrapped() {
        let theme = crate::ui::theme::Theme::default_for(false);
        let ctx = ("~", theme.matched);
        let text = |l: &Line| {
            l.spans
                .iter()
                .map(|s| s.content.as_ref())
                .collect::<String>()
        };
        let line = text_line("Reason: OOMKilled", "reason", false, 10, ctx);
        assert_eq!(text(&line), "Reason: O~");
        assert!(
            line.spans.iter().any(|s| s.style == theme.matched),
            "{line:?}"
        );
        let line = text_line("Reason: OOMKilled", "", true, 10, ctx);
        assert_eq!(text(&line), "Reason: OOMKilled");
    }

    #[test]
    fn cuts_are_marked_and_fit() {
        assert_eq!(cut("api-availability", 14, "…"), "api-availabil…");
        assert_eq!(width(&cut("api-availability", 14, "…")), 14);
        assert_eq!(cut("api-availability", 14, "~"), "api-availabil~");
        assert_eq!(cut("api", 14, "…"), "api");
        assert_eq!(cut("✖ 1 SLO paging", 5, "…"), "✖ 1 …");
        assert_eq!(cut("abc", 0, "…"), "");
        assert_eq!(tail("▁▂▃▄▅", 3), "▃▄▅");
        assert_eq!(tail("ab", 3), "ab");
    }

    #[test]
    fn lines_are_cut_at_the_edge_with_a_mark() {
        let line = fit_line(
            vec![Span::raw("STALE: "), Span::raw("deployments,pods")],
            12,
            "…",
            Style::default(),
        );
        let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
        assert_eq!(text, "STALE: depl…");
        let short = fit_line(vec![Span::raw("ok")], 12, "…", Style::default());
        assert_eq!(short.spans.len(), 1);
        // A span that would end exactly at the edge is cut to leave room for the mark.
        let edge = fit_line(
            vec![
                Span::raw("nodes 4/4"),
                Span::raw(" | "),
                Span::raw("pods 8"),
            ],
            12,
            "…",
            Style::default(),
        );
        let text: String = edge.spans.iter().map(|s| s.content.as_ref()).collect();
        assert_eq!((text.as_str(), width(&text)), ("nodes 4/4 |…", 12));
    }

    #[test]
    fn wraps_at_spaces_and_inside_long_words() {
        assert_eq!(wrap("a bb ccc", 4), ["a bb", "ccc"]);
        assert_eq!(
            wrap(r#"[{"op":"replace","path":"/spec"}]"#, 10),
            [r#"[{"op":"re"#, r#"place","pa"#, r#"th":"/spec"#, r#""}]"#]
        );
        assert_eq!(wrap("", 5), [""]);
    }
}
