//! `silence MATCHER... [--for DURATION] --comment TEXT`: a silence in every writable
//! Alertmanager (`POST /api/v2/silences`); the plan lists the alerts it would silence now and
//! the exact JSON; verified by reading it back and seeing those alerts suppressed by it.

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc::Sender;

use crate::actions::alertmanager::{draft_silence, subject, verify_silence};
use crate::actions::error::{ActionError, Progress};
use crate::actions::plan::Draft;
use crate::actions::runbook::parse_duration;
use crate::actions::verb::{ArgError, Cx, Subject, Usage, Verb};
use crate::alerts::matcher::{self, show_all};
use crate::alerts::wire::Matcher;

pub const USAGE: Usage = Usage {
    name: "silence",
    usage: "silence MATCHER... [--for 1h] --comment TEXT",
    help: "silence alerts in Alertmanager (matchers: name=\"v\", =~, !=, !~)",
};

/// How long a silence lasts unless `--for` says otherwise.
pub const DEFAULT_FOR: Duration = Duration::from_secs(3600);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Silence {
    pub matchers: Vec<Matcher>,
    pub duration_secs: u64,
    pub comment: String,
}

/// Matchers, then `--for D` and `--comment TEXT...` in any order (the comment runs to the
/// next flag or the end). Quoted values may hold spaces.
pub fn parse(args: &[&str], _namespace: &str) -> Result<Silence, ArgError> {
    let words = matcher::words(&args.join(" "));
    let mut matchers = vec![];
    let mut duration = DEFAULT_FOR;
    let mut comment: Vec<String> = vec![];
    let mut i = 0;
    while i < words.len() {
        match words[i].as_str() {
            "--for" => {
                let d = words.get(i + 1).ok_or(ArgError::Shape)?;
                duration = parse_duration(d)?;
                i += 2;
            }
            "--comment" => {
                i += 1;
                while i < words.len() && !words[i].starts_with("--") {
                    comment.push(words[i].clone());
                    i += 1;
                }
            }
            w => {
                matchers.push(matcher::parse(w)?);
                i += 1;
            }
        }
    }
    if matchers.is_empty() {
        return Err(ArgError::Value(
            "a silence needs at least one matcher, like alertname=\"ApiHighErrorRate\"".into(),
        ));
    }
    if matchers
        .iter()
        .all(|m| matcher::matches(m, &Default::default()))
    {
        return Err(ArgError::Value(format!(
            "{} would match every alert: name at least one label value",
            show_all(&matchers)
        )));
    }
    if duration.is_zero() {
        return Err(ArgError::Value("--for must be longer than 0s".into()));
    }
    let comment = comment.join(" ");
    if comment.trim().is_empty() {
        return Err(ArgError::Value(
            "a silence needs --comment TEXT: say why, for whoever sees it next".into(),
        ));
    }
    Ok(Silence {
        matchers,
        duration_secs: duration.as_secs(),
        comment,
    })
}

#[async_trait]
impl Verb for Silence {
    fn verb(&self) -> &'static str {
        USAGE.name
    }

    fn subject(&self) -> Subject<'_> {
        subject(format!("alerts {}", show_all(&self.matchers)))
    }

    async fn draft(&self, cx: &Cx<'_>) -> Result<Draft, ActionError> {
        let duration = Duration::from_secs(self.duration_secs);
        draft_silence(cx, &self.matchers, duration, &self.comment).await
    }

    async fn verify(
        &self,
        cx: &Cx<'_>,
        progress: &Sender<Progress>,
    ) -> Result<String, ActionError> {
        verify_silence(cx, &self.matchers, &self.comment, progress).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_matchers_duration_and_a_comment_of_many_words() {
        let s = parse(
            &[
                r#"alertname="ApiHighErrorRate""#,
                "--comment",
                "rolling",
                "back",
                r#"service=~"api|web""#,
            ],
            "ns",
        );
        // A matcher after the comment is part of the comment: flags end it, words do not.
        let s = s.expect("parses");
        assert_eq!(s.matchers.len(), 1);
        assert_eq!(s.comment, r#"rolling back service=~"api|web""#);
        assert_eq!(s.duration_secs, 3600);
        let s = parse(
            &[r#"summary="a"#, r#"b""#, "--for", "30m", "--comment", "x"],
            "ns",
        )
        .expect("quoted value with a space");
        assert_eq!(s.matchers[0].value, "a b");
        assert_eq!(s.duration_secs, 1800);
    }

    #[test]
    fn refuses_what_alertmanager_would_and_what_silences_everything() {
        let err = |a: &[&str]| match parse(a, "ns") {
            Err(ArgError::Value(v)) => v,
            other => panic!("{other:?}"),
        };
        assert!(err(&["--comment", "x"]).contains("at least one matcher"));
        assert!(err(&[r#"a="b""#]).contains("--comment"));
        assert!(err(&[r#"a=~".*""#, "--comment", "x"]).contains("every alert"));
        assert!(err(&[r#"a="b""#, "--for", "soon", "--comment", "x"]).contains("duration"));
        assert!(err(&["nope", "--comment", "x"]).contains("not a matcher"));
    }
}
