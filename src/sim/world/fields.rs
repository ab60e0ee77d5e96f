//! Field validation errors as kube-apiserver words them (apimachinery's `field.ErrorList`):
//! each names its field, its type and a detail; together they make an Invalid status's message
//! and its causes. Also the name and key rules that ConfigMaps are checked against.

use std::fmt;

/// What is wrong with a field (apimachinery's `field.ErrorType`).
#[derive(Clone, Debug, PartialEq)]
pub enum Problem {
    /// The offending value, as the message quotes it.
    Invalid(String),
    TooLong,
    Required,
    Forbidden,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FieldError {
    /// `metadata.name`, `data[bad key]`, `[]` for the whole object.
    pub field: String,
    pub problem: Problem,
    pub detail: String,
}

impl FieldError {
    pub fn invalid(field: impl Into<String>, value: &str, detail: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            problem: Problem::Invalid(value.to_string()),
            detail: detail.into(),
        }
    }
    pub fn new(field: impl Into<String>, problem: Problem, detail: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            problem,
            detail: detail.into(),
        }
    }

    /// The cause's `reason` in the Status.
    pub fn reason(&self) -> &'static str {
        match self.problem {
            Problem::Invalid(_) => "FieldValueInvalid",
            Problem::TooLong => "FieldValueTooLong",
            Problem::Required => "FieldValueRequired",
            Problem::Forbidden => "FieldValueForbidden",
        }
    }

    /// The message without the field (`ErrorBody`): the value is quoted only when invalid.
    pub fn body(&self) -> String {
        let head = match &self.problem {
            Problem::Invalid(v) => format!("Invalid value: {v:?}"),
            Problem::TooLong => "Too long".into(),
            Problem::Required => "Required value".into(),
            Problem::Forbidden => "Forbidden".into(),
        };
        if self.detail.is_empty() {
            head
        } else {
            format!("{head}: {}", self.detail)
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.body())
    }
}

/// One error as itself, several as `[a, b]`, repeats once (apimachinery's aggregate).
pub fn aggregate(errs: &[FieldError]) -> String {
    let mut seen: Vec<String> = vec![];
    for e in errs {
        let msg = e.to_string();
        if !seen.contains(&msg) {
            seen.push(msg);
        }
    }
    match seen.as_slice() {
        [one] => one.clone(),
        many => format!("[{}]", many.join(", ")),
    }
}

const MAX_NAME: usize = 253;

fn max_len() -> String {
    format!("must be no more than {MAX_NAME} characters")
}

/// Why `name` is not a lowercase RFC 1123 subdomain (what most kinds' names must be).
pub fn dns_subdomain(name: &str) -> Vec<String> {
    let mut errs = vec![];
    if name.len() > MAX_NAME {
        errs.push(max_len());
    }
    let label_ok = |l: &str| {
        let b = l.as_bytes();
        !b.is_empty()
            && b.iter()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
            && b[0] != b'-'
            && b[b.len() - 1] != b'-'
    };
    if !name.split('.').all(label_ok) {
        errs.push(
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')".into(),
        );
    }
    errs
}

/// Why `key` cannot key a ConfigMap's (or Secret's) data.
pub fn config_key(key: &str) -> Vec<String> {
    let mut errs = vec![];
    if key.len() > MAX_NAME {
        errs.push(max_len());
    }
    let ok = !key.is_empty()
        && key
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_'));
    if !ok {
        errs.push(
            "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')".into(),
        );
    }
    match key {
        "." => errs.push("must not be '.'".into()),
        ".." => errs.push("must not be '..'".into()),
        k if k.starts_with("..") => errs.push("must not start with '..'".into()),
        _ => {}
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_read_as_the_api_server_writes_them() {
        let too_long =
            FieldError::new("[]", Problem::TooLong, "may not be more than 1048576 bytes");
        assert_eq!(
            too_long.to_string(),
            "[]: Too long: may not be more than 1048576 bytes"
        );
        let key = FieldError::invalid("data[a b]", "a b", "x");
        assert_eq!(key.to_string(), "data[a b]: Invalid value: \"a b\": x");
        assert_eq!(
            aggregate(std::slice::from_ref(&too_long)),
            too_long.to_string()
        );
        assert_eq!(
            aggregate(&[key.clone(), too_long.clone(), key.clone()]),
            format!("[{key}, {too_long}]")
        );
    }

    #[test]
    fn names_and_keys_follow_the_rules() {
        assert!(dns_subdomain("opsdeck-incident-inc-1.a").is_empty());
        assert_eq!(dns_subdomain("Bad").len(), 1);
        assert_eq!(dns_subdomain("-a").len(), 1);
        assert_eq!(dns_subdomain(&"a".repeat(254)).len(), 1);
        assert!(config_key("0001795608000000-1a2b-3f").is_empty());
        assert!(config_key("KEY_name.x").is_empty());
        assert_eq!(config_key("a b").len(), 1);
        assert_eq!(config_key(".."), vec!["must not be '..'".to_string()]);
        assert_eq!(config_key("..x").len(), 1);
        assert!(config_key("").len() == 1);
    }
}
