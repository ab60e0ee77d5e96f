//! Alertmanager's label matchers: parsed from `filter=` parameters as its `labels.ParseMatcher`
//! parses them (`alertname="X"`, `service=~"a|b"`, `severity!=info`), built from a silence's
//! `{name, value, isRegex, isEqual}`, and matched against label sets (a missing label is "").

use std::sync::LazyLock;

use regex::Regex;

use super::engine::LabelSet;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Equal,
    NotEqual,
    Regex,
    NotRegex,
}

#[derive(Clone, Debug)]
pub struct Matcher {
    pub name: String,
    pub value: String,
    pub op: Op,
    /// `^(?:value)$` for the regex operators.
    re: Option<Regex>,
}

impl PartialEq for Matcher {
    fn eq(&self, o: &Matcher) -> bool {
        (&self.name, &self.value, self.op) == (&o.name, &o.value, o.op)
    }
}

static LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(=~|=|!=|!~)\s*((?s).*?)\s*$")
        .unwrap_or_else(|e| unreachable!("{e}"))
});
static LABEL_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[a-zA-Z_][a-zA-Z0-9_]*$").unwrap_or_else(|e| unreachable!("{e}"))
});

/// Whether `name` is a valid label name (Prometheus's model.LabelName.IsValid).
pub fn valid_label_name(name: &str) -> bool {
    LABEL_NAME.is_match(name)
}

/// Alertmanager compiles a regex matcher anchored at both ends.
pub fn anchored(re: &str) -> Result<Regex, regex::Error> {
    Regex::new(&format!("^(?:{re})$"))
}

impl Matcher {
    pub fn new(name: &str, value: &str, op: Op) -> Result<Matcher, String> {
        let re = match op {
            Op::Regex | Op::NotRegex => Some(
                anchored(value)
                    .map_err(|e| format!("invalid regular expression {value:?}: {e}"))?,
            ),
            Op::Equal | Op::NotEqual => None,
        };
        Ok(Matcher {
            name: name.to_string(),
            value: value.to_string(),
            op,
            re,
        })
    }

    /// A silence's matcher: `isEqual` false negates, `isRegex` compares by regex.
    pub fn from_silence(
        name: &str,
        value: &str,
        is_regex: bool,
        is_equal: bool,
    ) -> Result<Matcher, String> {
        if !valid_label_name(name) {
            return Err(format!("invalid label name {name:?}"));
        }
        let op = match (is_regex, is_equal) {
            (false, true) => Op::Equal,
            (false, false) => Op::NotEqual,
            (true, true) => Op::Regex,
            (true, false) => Op::NotRegex,
        };
        Matcher::new(name, value, op)
    }

    pub fn matches_value(&self, v: &str) -> bool {
        let re = || self.re.as_ref().is_some_and(|re| re.is_match(v));
        match self.op {
            Op::Equal => v == self.value,
            Op::NotEqual => v != self.value,
            Op::Regex => re(),
            Op::NotRegex => !re(),
        }
    }

    pub fn matches(&self, labels: &LabelSet) -> bool {
        self.matches_value(labels.get(&self.name).map_or("", String::as_str))
    }

    pub fn is_regex(&self) -> bool {
        matches!(self.op, Op::Regex | Op::NotRegex)
    }

    pub fn is_equal(&self) -> bool {
        matches!(self.op, Op::Equal | Op::Regex)
    }
}

/// All of them match (an empty list matches everything).
pub fn all_match(matchers: &[Matcher], labels: &LabelSet) -> bool {
    matchers.iter().all(|m| m.matches(labels))
}

/// One `filter=` value, with Alertmanager's error messages.
pub fn parse(s: &str) -> Result<Matcher, String> {
    let caps = LINE
        .captures(s)
        .ok_or_else(|| format!("bad matcher format: {s}"))?;
    let (name, op, raw) = (&caps[1], &caps[2], &caps[3]);
    let unescaped_quote = || format!("matcher value contains unescaped double quote: {raw}");
    let (body, mut expect_quote) = match raw.strip_prefix('"') {
        Some(rest) => (rest, true),
        None => (raw, false),
    };
    let mut value = String::new();
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('n') => value.push('\n'),
                Some(e @ ('"' | '\\')) => value.push(e),
                Some(other) => {
                    value.push('\\');
                    value.push(other);
                }
                None => value.push('\\'),
            },
            '"' if expect_quote && chars.peek().is_none() => expect_quote = false,
            '"' => return Err(unescaped_quote()),
            c => value.push(c),
        }
    }
    if expect_quote {
        return Err(unescaped_quote());
    }
    let op = match op {
        "=" => Op::Equal,
        "!=" => Op::NotEqual,
        "=~" => Op::Regex,
        _ => Op::NotRegex,
    };
    Matcher::new(name, &value, op)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> LabelSet {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    }

    #[test]
    fn parses_the_operators_quoted_or_not() {
        let m = parse(r#"alertname="ApiHighErrorRate""#).unwrap();
        assert_eq!(
            (m.name.as_str(), m.value.as_str(), m.op),
            ("alertname", "ApiHighErrorRate", Op::Equal)
        );
        let m = parse("service=~\"api|publisher\"").unwrap();
        assert_eq!((m.value.as_str(), m.op), ("api|publisher", Op::Regex));
        assert_eq!(parse("severity!=info").unwrap().op, Op::NotEqual);
        assert_eq!(parse(" pod !~ \"fact-.*\" ").unwrap().op, Op::NotRegex);
        assert_eq!(parse(r#"a="say \"hi\"\n""#).unwrap().value, "say \"hi\"\n");
    }

    #[test]
    fn errors_read_as_alertmanager_writes_them() {
        assert_eq!(parse("foo").unwrap_err(), "bad matcher format: foo");
        assert_eq!(
            parse("alertname=~\"(X").unwrap_err(),
            "matcher value contains unescaped double quote: \"(X"
        );
        assert_eq!(
            parse(r#"a="x"y""#).unwrap_err(),
            "matcher value contains unescaped double quote: \"x\"y\""
        );
        assert!(
            parse("a=~\"(\"")
                .unwrap_err()
                .starts_with("invalid regular expression")
        );
    }

    #[test]
    fn regexes_are_anchored_and_missing_labels_are_empty() {
        let l = labels(&[("service", "api-gateway"), ("severity", "page")]);
        assert!(!parse("service=~\"api\"").unwrap().matches(&l), "anchored");
        assert!(parse("service=~\"api.*\"").unwrap().matches(&l));
        assert!(parse("severity!=\"info\"").unwrap().matches(&l));
        assert!(parse("team=\"\"").unwrap().matches(&l), "missing is empty");
        assert!(parse("team!~\".+\"").unwrap().matches(&l));
        assert!(!parse("team=~\".+\"").unwrap().matches(&l));
    }

    #[test]
    fn silence_matchers_validate_names_and_regexes() {
        let m = Matcher::from_silence("alertname", "X|Y", true, false).unwrap();
        assert_eq!(m.op, Op::NotRegex);
        assert!(!m.is_equal() && m.is_regex());
        assert_eq!(
            Matcher::from_silence("a b", "x", false, true).unwrap_err(),
            "invalid label name \"a b\""
        );
        assert!(Matcher::from_silence("a", "(", true, true).is_err());
    }
}
