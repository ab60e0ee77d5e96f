//! Matchers as Alertmanager writes them (`alertname="X"`, `service=~"api|web"`,
//! `severity!="info"`, `env!~"dev.*"`), and matching a label set the way Alertmanager does:
//! regexes anchored at both ends, a missing label read as the empty string.

use regex::Regex;

use super::wire::{Labels, Matcher};

/// Reads one matcher; the value may be quoted (with `\"` and `\\`) or bare.
pub fn parse(text: &str) -> Result<Matcher, String> {
    let text = text.trim();
    let at = text
        .find(['=', '!'])
        .ok_or_else(|| format!("{text:?} is not a matcher (name=\"value\", =~, !=, !~)"))?;
    let name = text[..at].trim();
    let rest = &text[at..];
    let (is_equal, is_regex, value) = if let Some(v) = rest.strip_prefix("=~") {
        (true, true, v)
    } else if let Some(v) = rest.strip_prefix("!~") {
        (false, true, v)
    } else if let Some(v) = rest.strip_prefix("!=") {
        (false, false, v)
    } else if let Some(v) = rest.strip_prefix('=') {
        (true, false, v)
    } else {
        return Err(format!("{text:?}: expected =, =~, != or !~ after {name:?}"));
    };
    if name.is_empty() || !valid_label_name(name) {
        return Err(format!("{text:?}: {name:?} is not a label name"));
    }
    let value = unquote(value.trim()).ok_or_else(|| format!("{text:?}: unterminated quote"))?;
    if is_regex {
        anchored(&value).map_err(|e| format!("{text:?}: bad regex: {e}"))?;
    }
    Ok(Matcher {
        name: name.to_string(),
        value,
        is_regex,
        is_equal,
    })
}

fn valid_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn unquote(v: &str) -> Option<String> {
    let Some(inner) = v.strip_prefix('"') else {
        return Some(v.to_string());
    };
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(chars.next()?),
            '"' => return chars.as_str().is_empty().then_some(out),
            c => out.push(c),
        }
    }
    None
}

fn anchored(re: &str) -> Result<Regex, regex::Error> {
    Regex::new(&format!("^(?:{re})$"))
}

/// `name="value"` (quotes escaped), as Alertmanager prints it.
pub fn show(m: &Matcher) -> String {
    let op = match (m.is_equal, m.is_regex) {
        (true, false) => "=",
        (true, true) => "=~",
        (false, false) => "!=",
        (false, true) => "!~",
    };
    let value = m.value.replace('\\', "\\\\").replace('"', "\\\"");
    format!("{}{op}\"{value}\"", m.name)
}

/// Every matcher, space-separated.
pub fn show_all(matchers: &[Matcher]) -> String {
    matchers.iter().map(show).collect::<Vec<_>>().join(" ")
}

/// Whether one matcher holds for `labels`.
pub fn matches(m: &Matcher, labels: &Labels) -> bool {
    let value = labels.get(&m.name).map_or("", String::as_str);
    let hit = if m.is_regex {
        anchored(&m.value).is_ok_and(|re| re.is_match(value))
    } else {
        value == m.value
    };
    hit == m.is_equal
}

/// Whether every matcher holds (a silence's rule).
pub fn all_match(matchers: &[Matcher], labels: &Labels) -> bool {
    matchers.iter().all(|m| matches(m, labels))
}

/// Matchers with their regexes compiled once, for matching many label sets.
pub struct Compiled<'m>(Vec<(&'m Matcher, Option<Regex>)>);

impl<'m> Compiled<'m> {
    pub fn new(matchers: &'m [Matcher]) -> Self {
        Compiled(
            matchers
                .iter()
                .map(|m| (m, m.is_regex.then(|| anchored(&m.value).ok()).flatten()))
                .collect(),
        )
    }

    /// Whether every matcher holds for `labels` (a bad regex matches nothing).
    pub fn matches(&self, labels: &Labels) -> bool {
        self.0.iter().all(|(m, re)| {
            let value = labels.get(&m.name).map_or("", String::as_str);
            let hit = match (m.is_regex, re) {
                (true, Some(re)) => re.is_match(value),
                (true, None) => false,
                (false, _) => value == m.value,
            };
            hit == m.is_equal
        })
    }
}

/// Matchers that pin a label set: each label equal to its value.
pub fn from_labels(labels: &Labels) -> Vec<Matcher> {
    labels
        .iter()
        .map(|(name, value)| Matcher {
            name: name.clone(),
            value: value.clone(),
            is_regex: false,
            is_equal: true,
        })
        .collect()
}

/// Splits a command line into words, keeping quoted values whole
/// (`summary="a b"` is one word); quotes stay in the word.
pub fn words(line: &str) -> Vec<String> {
    let mut out = vec![];
    let mut word = String::new();
    let (mut quoted, mut escaped) = (false, false);
    for c in line.chars() {
        if escaped {
            escaped = false;
        } else if c == '\\' && quoted {
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
        } else if c.is_whitespace() && !quoted {
            if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            continue;
        }
        word.push(c);
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn reads_the_four_operators_quoted_and_bare() {
        let m = parse(r#"alertname="ApiHighErrorRate""#).expect("eq");
        assert_eq!((m.is_equal, m.is_regex), (true, false));
        assert_eq!(m.value, "ApiHighErrorRate");
        let m = parse(r#"service=~"api|web""#).expect("re");
        assert_eq!(
            (m.is_equal, m.is_regex, m.value.as_str()),
            (true, true, "api|web")
        );
        let m = parse(r#"severity!="info""#).expect("ne");
        assert_eq!((m.is_equal, m.is_regex), (false, false));
        let m = parse("env!~dev.*").expect("nre bare");
        assert_eq!(
            (m.is_equal, m.is_regex, m.value.as_str()),
            (false, true, "dev.*")
        );
        let m = parse(r#"summary="say \"hi\"""#).expect("escaped");
        assert_eq!(m.value, "say \"hi\"");
        assert_eq!(show(&m), r#"summary="say \"hi\"""#);
    }

    #[test]
    fn refuses_what_alertmanager_would() {
        assert!(parse("alertname").is_err());
        assert!(parse(r#"9x="a""#).is_err());
        assert!(parse(r#"a=~"(""#).is_err_and(|e| e.contains("bad regex")));
        assert!(parse(r#"a="open"#).is_err_and(|e| e.contains("quote")));
        assert!(parse(r#"a<"b""#).is_err());
    }

    #[test]
    fn regexes_are_anchored_and_missing_labels_are_empty() {
        let l = labels(&[("service", "api-gateway"), ("severity", "page")]);
        assert!(!matches(&parse("service=~api").expect("re"), &l));
        assert!(matches(&parse("service=~api.*").expect("re"), &l));
        assert!(matches(&parse(r#"team="""#).expect("empty"), &l));
        assert!(matches(&parse(r#"team!~".+""#).expect("absent"), &l));
        assert!(!matches(&parse(r#"severity!="page""#).expect("ne"), &l));
        let all = [
            parse("service=~api.*").expect("a"),
            parse(r#"severity!="info""#).expect("b"),
        ];
        assert!(all_match(&all, &l));
    }

    #[test]
    fn words_keep_quoted_values_whole() {
        assert_eq!(
            words(r#"alertname="A B" --comment  looking into it"#),
            [r#"alertname="A B""#, "--comment", "looking", "into", "it"]
        );
        assert_eq!(words(r#"a="x \" y""#), [r#"a="x \" y""#]);
    }
}
