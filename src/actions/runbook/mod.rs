//! Runbooks: TOML files of ordered steps (check, action, wait-until, manual, note) with
//! parameters, validated with file:line:col errors. `walk` is the one state machine that runs
//! them, in the console and headless (`opsdeck run`) alike.

pub mod headless;
pub mod preflight;
pub mod walk;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::condition::Condition;
use super::verbs::ActionRequest;
use crate::config::{ConfigError, line_col};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRunbook {
    name: String,
    description: Option<String>,
    namespace: Option<String>,
    #[serde(default, rename = "param")]
    params: Vec<Param>,
    #[serde(default, rename = "step")]
    steps: Vec<Spanned<RawStep>>,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Param {
    pub name: String,
    pub default: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    title: Option<String>,
    note: Option<Spanned<String>>,
    manual: Option<Spanned<String>>,
    check: Option<Spanned<String>>,
    observe: Option<Spanned<String>>,
    action: Option<Spanned<String>>,
    #[serde(rename = "wait-until")]
    wait_until: Option<Spanned<String>>,
    timeout: Option<Spanned<String>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepKind {
    Note(String),
    Manual(String),
    Check(String),
    /// A condition read and said (a symptom to confirm): it never stops the runbook.
    Observe(String),
    Action(String),
    WaitUntil {
        condition: String,
        timeout: Duration,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub title: Option<String>,
    pub kind: StepKind,
    /// 1-based line of the step in its file.
    pub line: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Runbook {
    pub file: String,
    pub name: String,
    pub description: String,
    pub namespace: String,
    pub params: Vec<Param>,
    pub steps: Vec<Step>,
}

/// A TOML file is a runbook when it has `[[step]]` tables.
pub fn is_runbook(text: &str) -> bool {
    text.lines().any(|l| l.trim_start().starts_with("[[step]]"))
}

/// The runbooks `:runbook NAME` finds (the config's runbook folders, then ./runbooks), by
/// name, sorted.
pub fn names(config: &crate::config::Config) -> Vec<String> {
    let dirs = config
        .runbooks
        .as_ref()
        .map(|r| r.paths.clone())
        .unwrap_or_default();
    let mut names: Vec<String> = dirs
        .iter()
        .chain(std::iter::once(&std::path::PathBuf::from("runbooks")))
        .filter_map(|d| std::fs::read_dir(d).ok())
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .filter(|p| std::fs::read_to_string(p).is_ok_and(|t| is_runbook(&t)))
        .filter_map(|p| Some(p.file_stem()?.to_str()?.to_string()))
        .collect();
    names.sort();
    names.dedup();
    names
}

const DEFAULT_WAIT: Duration = Duration::from_secs(300);

/// "90s", "5m", "1h" or plain seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (num, unit) = t
        .find(|c: char| !c.is_ascii_digit())
        .map_or((t, "s"), |i| t.split_at(i));
    let n: u64 = num
        .parse()
        .map_err(|_| format!("cannot read duration {text:?} (like 90s, 5m, 1h, 1d)"))?;
    let secs = match unit {
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => {
            return Err(format!(
                "cannot read duration {text:?} (like 90s, 5m, 1h, 1d)"
            ));
        }
    };
    Ok(Duration::from_secs(secs))
}

/// Replaces `{{name}}` with its value; an unknown name is an error.
pub fn substitute(text: &str, values: &BTreeMap<String, String>) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| format!("unclosed {{{{ in {text:?}"))?;
        let key = after[..end].trim();
        let value = values
            .get(key)
            .ok_or_else(|| format!("unknown parameter {{{{{key}}}}} in {text:?}"))?;
        out.push_str(value);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

impl Runbook {
    pub fn load(path: &Path) -> Result<Runbook, ConfigError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: file.clone(),
            line: 0,
            column: 0,
            message: e.to_string(),
        })?;
        Runbook::parse(&text, &file)
    }

    pub fn parse(text: &str, file: &str) -> Result<Runbook, ConfigError> {
        let at = |offset: usize, message: String| {
            let (line, column) = line_col(text, offset);
            ConfigError {
                file: file.to_string(),
                line,
                column,
                message,
            }
        };
        let raw: RawRunbook = toml::from_str(text).map_err(|e| {
            at(
                e.span().map_or(0, |s| s.start),
                e.message().trim().to_string(),
            )
        })?;
        if raw.steps.is_empty() {
            return Err(at(0, "a runbook needs at least one [[step]]".into()));
        }
        let namespace = raw.namespace.clone().unwrap_or_else(|| "default".into());
        // Validate with each parameter's default (or "0", which reads as a name and a count).
        let probe: BTreeMap<String, String> = raw
            .params
            .iter()
            .map(|p| {
                (
                    p.name.clone(),
                    p.default.clone().unwrap_or_else(|| "0".into()),
                )
            })
            .collect();
        let mut steps = vec![];
        for s in raw.steps {
            let start = s.span().start;
            let (line, _) = line_col(text, start);
            let mut step = s.into_inner();
            let title = step.title.take();
            let kind = step_kind(step, &probe, &namespace)
                .map_err(|(offset, msg)| at(offset.unwrap_or(start), msg))?;
            steps.push(Step { title, kind, line });
        }
        Ok(Runbook {
            file: file.to_string(),
            name: raw.name,
            description: raw.description.unwrap_or_default(),
            namespace,
            params: raw.params,
            steps,
        })
    }

    /// Parameter values: the defaults, overridden by `given`; every parameter must end with one.
    pub fn values(
        &self,
        given: &BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, String>, String> {
        let mut values = BTreeMap::new();
        for p in &self.params {
            match given.get(&p.name).or(p.default.as_ref()) {
                Some(v) => values.insert(p.name.clone(), v.clone()),
                None => {
                    return Err(format!(
                        "parameter {:?} has no default: pass --param {}=VALUE",
                        p.name, p.name
                    ));
                }
            };
        }
        if let Some(unknown) = given.keys().find(|k| !values.contains_key(*k)) {
            let known: Vec<&str> = self.params.iter().map(|p| p.name.as_str()).collect();
            return Err(format!(
                "unknown parameter {unknown:?} (this runbook takes: {})",
                known.join(", ")
            ));
        }
        Ok(values)
    }
}

type StepResult = Result<StepKind, (Option<usize>, String)>;

fn step_kind(step: RawStep, probe: &BTreeMap<String, String>, namespace: &str) -> StepResult {
    let RawStep {
        note,
        manual,
        check,
        observe,
        action,
        wait_until,
        timeout,
        ..
    } = step;
    let count = [
        note.is_some(),
        manual.is_some(),
        check.is_some(),
        observe.is_some(),
        action.is_some(),
        wait_until.is_some(),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    if count != 1 {
        return Err((
            None,
            format!(
                "a step needs exactly one of note, manual, check, observe, action, wait-until (found {count})"
            ),
        ));
    }
    if let Some(t) = &timeout
        && wait_until.is_none()
    {
        return Err((
            Some(t.span().start),
            "timeout belongs to a wait-until step".into(),
        ));
    }
    let sub =
        |s: &Spanned<String>| substitute(s.get_ref(), probe).map_err(|e| (Some(s.span().start), e));
    let cond = |s: &Spanned<String>| -> Result<String, (Option<usize>, String)> {
        let text = sub(s)?;
        Condition::parse(&text, namespace).map_err(|e| (Some(s.span().start), e))?;
        Ok(s.get_ref().clone())
    };
    if let Some(a) = &action {
        let text = sub(a)?;
        let words: Vec<&str> = text.split_whitespace().collect();
        ActionRequest::parse(&words, namespace).map_err(|e| (Some(a.span().start), e))?;
        return Ok(StepKind::Action(a.get_ref().clone()));
    }
    if let Some(c) = &check {
        return Ok(StepKind::Check(cond(c)?));
    }
    if let Some(o) = &observe {
        return Ok(StepKind::Observe(cond(o)?));
    }
    if let Some(w) = &wait_until {
        let timeout = match &timeout {
            Some(t) => parse_duration(t.get_ref()).map_err(|e| (Some(t.span().start), e))?,
            None => DEFAULT_WAIT,
        };
        return Ok(StepKind::WaitUntil {
            condition: cond(w)?,
            timeout,
        });
    }
    if let Some(m) = manual {
        sub(&m)?;
        return Ok(StepKind::Manual(m.into_inner()));
    }
    match note {
        Some(n) => {
            sub(&n)?;
            Ok(StepKind::Note(n.into_inner()))
        }
        None => Ok(StepKind::Note(String::new())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
name = "t"
description = "d"
namespace = "contentgen"
[[param]]
name = "worker"
default = "article-generator"
[[step]]
note = "hello {{worker}}"
[[step]]
action = "restart {{worker}}"
[[step]]
wait-until = "rollout-complete {{worker}}"
timeout = "2m"
"#;

    #[test]
    fn a_runbook_parses_with_params() {
        let rb = Runbook::parse(GOOD, "t.toml").expect("parses");
        assert_eq!(rb.steps.len(), 3);
        assert_eq!(
            rb.steps[2].kind,
            StepKind::WaitUntil {
                condition: "rollout-complete {{worker}}".into(),
                timeout: Duration::from_secs(120)
            }
        );
        let values = rb.values(&BTreeMap::new()).expect("defaults");
        assert_eq!(
            substitute("restart {{worker}}", &values).as_deref(),
            Ok("restart article-generator")
        );
        let given = BTreeMap::from([("nope".to_string(), "x".to_string())]);
        assert!(
            rb.values(&given)
                .is_err_and(|e| e.contains("unknown parameter"))
        );
        assert!(is_runbook(GOOD));
    }

    #[test]
    fn errors_name_file_line_and_what() {
        let bad_action = GOOD.replace("restart {{worker}}", "restrat {{worker}}");
        let e = Runbook::parse(&bad_action, "rb.toml").expect_err("bad action");
        assert_eq!(e.line, 11, "{e}");
        assert!(e.to_string().starts_with("rb.toml:11:"), "{e}");
        assert!(e.message.contains("unknown action"), "{e}");
        let unknown_key = GOOD.replace("note = ", "nate = ");
        let e = Runbook::parse(&unknown_key, "rb.toml").expect_err("unknown key");
        assert!(e.message.contains("unknown field `nate`"), "{e}");
        assert_eq!(e.line, 9, "{e}");
        let two = GOOD.replace(
            "note = \"hello {{worker}}\"",
            "note = \"a\"\nmanual = \"b\"",
        );
        assert!(Runbook::parse(&two, "rb.toml").is_err_and(|e| e.message.contains("exactly one")));
        let bad = GOOD.replace("rollout-complete {{worker}}", "queue-below articles lots");
        assert!(
            Runbook::parse(&bad, "rb.toml")
                .is_err_and(|e| e.message.contains("whole number") && e.line == 13)
        );
        let param = GOOD.replace("hello {{worker}}", "hello {{wroker}}");
        let e = Runbook::parse(&param, "rb.toml").expect_err("unknown param");
        assert!(e.message.contains("unknown parameter {{wroker}}"), "{e}");
    }

    #[test]
    fn durations_read_units() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("30"), Ok(Duration::from_secs(30)));
        assert!(parse_duration("soon").is_err());
    }
}
