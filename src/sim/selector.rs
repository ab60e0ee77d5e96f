//! Label and field selectors as kubectl and kube-rs send them, and opaque continue tokens.

use std::sync::Arc;

use super::world::{Key, Kind, Labels};

#[derive(Clone, Debug, PartialEq)]
enum Req {
    Eq(String, String),
    NotEq(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

/// A parsed `labelSelector`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LabelSelector(Vec<Req>);

/// Split on commas that are not inside parentheses.
fn split_top(s: &str) -> Vec<&str> {
    let mut out = vec![];
    let (mut depth, mut start) = (0i32, 0usize);
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out.into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect()
}

fn set_values(rest: &str) -> Result<Vec<String>, String> {
    let inner = rest
        .trim()
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .ok_or_else(|| format!("found '{rest}', expected: '('"))?;
    Ok(inner
        .split(',')
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .collect())
}

impl LabelSelector {
    pub fn parse(s: &str) -> Result<LabelSelector, String> {
        let mut reqs = vec![];
        for part in split_top(s) {
            let req = if let Some(k) = part.strip_prefix('!') {
                Req::NotExists(k.trim().to_string())
            } else if let Some((k, v)) = part.split_once("!=") {
                Req::NotEq(k.trim().into(), v.trim().into())
            } else if let Some((k, v)) = part.split_once("==") {
                Req::Eq(k.trim().into(), v.trim().into())
            } else if let Some((k, v)) = part.split_once('=') {
                Req::Eq(k.trim().into(), v.trim().into())
            } else if let Some((k, rest)) = part.split_once(" notin ") {
                Req::NotIn(k.trim().into(), set_values(rest)?)
            } else if let Some((k, rest)) = part.split_once(" in ") {
                Req::In(k.trim().into(), set_values(rest)?)
            } else if part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
            {
                Req::Exists(part.to_string())
            } else {
                return Err(format!("unable to parse requirement: {part}"));
            };
            reqs.push(req);
        }
        Ok(LabelSelector(reqs))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn matches(&self, labels: &Labels) -> bool {
        self.0.iter().all(|r| match r {
            Req::Eq(k, v) => labels.get(k) == Some(v),
            Req::NotEq(k, v) => labels.get(k) != Some(v),
            Req::In(k, vs) => labels.get(k).is_some_and(|l| vs.contains(l)),
            Req::NotIn(k, vs) => labels.get(k).is_none_or(|l| !vs.contains(l)),
            Req::Exists(k) => labels.contains_key(k),
            Req::NotExists(k) => !labels.contains_key(k),
        })
    }
}

/// A parsed `fieldSelector`: (field, equal?, value) terms.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FieldSelector(Vec<(String, bool, String)>);

impl FieldSelector {
    /// Unsupported fields are refused like the real server does (400).
    pub fn parse(s: &str, kind: Kind) -> Result<FieldSelector, String> {
        let mut terms = vec![];
        for part in split_top(s) {
            let (field, eq, value) = if let Some((f, v)) = part.split_once("!=") {
                (f, false, v)
            } else if let Some((f, v)) = part.split_once("==") {
                (f, true, v)
            } else if let Some((f, v)) = part.split_once('=') {
                (f, true, v)
            } else {
                return Err(format!(
                    "invalid selector: '{s}'; can't understand '{part}'"
                ));
            };
            let field = field.trim();
            if !kind.fields().contains(&field) {
                return Err(format!("field label not supported: {field}"));
            }
            terms.push((field.to_string(), eq, value.trim().to_string()));
        }
        Ok(FieldSelector(terms))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn matches(&self, get: impl Fn(&str) -> Option<String>) -> bool {
        self.0
            .iter()
            .all(|(f, eq, v)| (get(f).as_deref().unwrap_or("") == v) == *eq)
    }
}

/// An opaque continue token: the list's resource version and the last key served, hex-encoded.
pub fn encode_continue(rv: u64, key: &Key) -> String {
    let raw = format!("{rv}\u{0}{}\u{0}{}", key.ns, key.name);
    raw.bytes().map(|b| format!("{b:02x}")).collect()
}

/// The list's resource version and the last key served, from a continue token.
pub fn decode_continue(token: &str) -> Option<(u64, Key)> {
    if !token.len().is_multiple_of(2) {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..token.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(token.get(i..i + 2)?, 16).ok())
        .collect();
    let s = String::from_utf8(bytes?).ok()?;
    let mut parts = s.split('\u{0}');
    let rv = parts.next()?.parse::<u64>().ok()?;
    let ns = parts.next()?;
    let name = parts.next()?;
    let key = Key {
        ns: Arc::from(ns),
        name: name.to_string(),
    };
    Some((rv, key))
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
    fn label_selector_equality_set_and_existence() {
        let l = labels(&[("app", "api"), ("pod-template-hash", "abc")]);
        assert!(LabelSelector::parse("app=api").unwrap().matches(&l));
        assert!(
            LabelSelector::parse("app==api,pod-template-hash=abc")
                .unwrap()
                .matches(&l)
        );
        assert!(!LabelSelector::parse("app!=api").unwrap().matches(&l));
        assert!(
            LabelSelector::parse("app in (api, publisher)")
                .unwrap()
                .matches(&l)
        );
        assert!(
            !LabelSelector::parse("app notin (api,publisher)")
                .unwrap()
                .matches(&l)
        );
        assert!(LabelSelector::parse("app,!missing").unwrap().matches(&l));
        assert!(!LabelSelector::parse("missing").unwrap().matches(&l));
        assert!(LabelSelector::parse("").unwrap().is_empty());
        assert!(LabelSelector::parse("app in api").is_err());
    }

    #[test]
    fn field_selector_checks_supported_fields() {
        let f = FieldSelector::parse("metadata.name=api", Kind::Deployment).unwrap();
        assert!(f.matches(|n| (n == "metadata.name").then(|| "api".to_string())));
        assert!(!f.matches(|_| Some("other".to_string())));
        let e = FieldSelector::parse("type=Warning,involvedObject.name=x", Kind::Event).unwrap();
        assert!(e.matches(|n| Some(if n == "type" { "Warning" } else { "x" }.to_string())));
        let err = FieldSelector::parse("spec.foo=1", Kind::Pod).unwrap_err();
        assert_eq!(err, "field label not supported: spec.foo");
        assert!(FieldSelector::parse("spec.nodeName!=n1", Kind::Pod).is_ok());
    }

    #[test]
    fn continue_tokens_round_trip_and_reject_garbage() {
        let k = Key {
            ns: Arc::from("contentgen"),
            name: "api-x".into(),
        };
        let t = encode_continue(42, &k);
        assert_eq!(decode_continue(&t), Some((42, k)));
        assert_eq!(decode_continue("zz"), None);
        assert_eq!(decode_continue("abc"), None);
    }
}
