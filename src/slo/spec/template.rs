//! Queries with a hole for the window: [`Template`], and telling a plain counter selector (which
//! can be wrapped in `rate(...[w])`) from a PromQL expression.

use std::time::Duration;

use crate::slo::duration::format_duration;

/// A PromQL query with a hole for the window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Template {
    /// Sloth style: the query holds `{{.window}}` where the range goes.
    Placeholder(String),
    /// A plain counter selector (Pyrra, OpenSLO `counter: true`), rendered as
    /// `sum(rate(<selector>[<window>]))`. Pyrra itself writes `increase`; for a ratio of two
    /// counters over the same window the two are equal (increase = rate * window on both sides),
    /// and `rate` keeps each side readable as "per second" when shown alone.
    Counter(String),
}

const WINDOW: &str = "{{.window}}";

impl Template {
    pub fn render(&self, window: Duration) -> String {
        let w = format_duration(window);
        match self {
            Template::Placeholder(q) => q.replace(WINDOW, &w),
            Template::Counter(sel) => format!("sum(rate({sel}[{w}]))"),
        }
    }

    /// A Sloth query: Go template spellings of the window (`{{ .window }}`) made canonical.
    pub(super) fn placeholder(query: &str) -> Option<Template> {
        let mut out = String::new();
        let mut rest = query;
        let mut found = false;
        while let Some(start) = rest.find("{{") {
            let Some(end) = rest[start..].find("}}") else {
                break;
            };
            let inner = rest[start + 2..start + end].trim();
            out.push_str(&rest[..start]);
            if inner == ".window" {
                out.push_str(WINDOW);
                found = true;
            } else {
                out.push_str(&rest[start..start + end + 2]);
            }
            rest = &rest[start + end + 2..];
        }
        out.push_str(rest);
        found.then_some(Template::Placeholder(out.trim().to_string()))
    }
}

/// `metric{labels}` or `{labels}`, nothing around it: the only shape that can be wrapped in
/// `rate(...[w])` without parsing PromQL.
pub(super) fn is_selector(query: &str) -> bool {
    let q = query.trim();
    let name_len = q
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .unwrap_or(q.len());
    if q.starts_with(|c: char| c.is_ascii_digit()) {
        return false;
    }
    let rest = &q[name_len..];
    if rest.is_empty() {
        return name_len > 0;
    }
    rest.starts_with('{') && closing_brace(rest) == Some(rest.len() - 1)
}

/// Byte index of the `}` closing the `{` at 0, skipping quoted label values.
fn closing_brace(text: &str) -> Option<usize> {
    let mut quote = None;
    let mut escaped = false;
    for (i, c) in text.char_indices().skip(1) {
        match (quote, c) {
            (Some(_), _) if escaped => escaped = false,
            (Some(_), '\\') => escaped = true,
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'' | '`') => quote = Some(c),
            (None, '}') => return Some(i),
            (None, '{') => return None,
            (None, _) => {}
        }
    }
    None
}

/// An OpenSLO counter query as a template: a selector, or `sum(<selector>)` (the form in the
/// OpenSLO examples, whose aggregation is redone around the rate), or a query that already
/// carries `{{.window}}`.
pub(super) fn counter_template(query: &str) -> Option<Template> {
    let q = query.trim();
    if let Some(t) = Template::placeholder(q) {
        return Some(t);
    }
    if is_selector(q) {
        return Some(Template::Counter(q.to_string()));
    }
    let inner = q.strip_prefix("sum")?.trim_start();
    let inner = inner.strip_prefix('(')?.strip_suffix(')')?;
    is_selector(inner).then(|| Template::Counter(inner.trim().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_are_told_from_expressions() {
        assert!(is_selector("up"));
        assert!(is_selector(
            r#"http_requests_total{code=~"5..",path="/a}b"}"#
        ));
        assert!(is_selector(r#"{__name__="x"}"#));
        assert!(!is_selector("rate(x[5m])"));
        assert!(!is_selector("x{a=\"b\"} / y"));
        assert!(!is_selector("1"));
        assert!(!is_selector(""));
    }
}
