//! Every verb, one file each, and the one list that knows them all. Adding a verb is a new
//! file here plus its line in `ActionRequest`, `VERBS` and `as_verb`.

pub mod ack;
pub mod cordon;
pub mod expire_silence;
pub mod pause_generation;
pub mod pause_rollout;
pub mod restart;
pub mod resume_generation;
pub mod resume_rollout;
pub mod retry_pipeline;
pub mod rollback;
pub mod scale;
pub mod silence;
pub mod uncordon;

use serde::{Deserialize, Serialize};

use super::target::WorkloadRef;
use super::verb::{ArgError, Usage, Verb};

/// What the operator asked for, before anything is read or checked: one verb's typed form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ActionRequest {
    Restart(restart::Restart),
    Rollback(rollback::Rollback),
    Scale(scale::Scale),
    PauseRollout(pause_rollout::PauseRollout),
    ResumeRollout(resume_rollout::ResumeRollout),
    PauseGeneration(pause_generation::PauseGeneration),
    ResumeGeneration(resume_generation::ResumeGeneration),
    RetryPipeline(retry_pipeline::RetryPipeline),
    Cordon(cordon::Cordon),
    Uncordon(uncordon::Uncordon),
    Silence(silence::Silence),
    Ack(ack::Ack),
    ExpireSilence(expire_silence::ExpireSilence),
}

/// A verb as the command line knows it.
pub struct VerbSpec {
    pub usage: &'static Usage,
    parse: fn(&[&str], &str) -> Result<ActionRequest, ArgError>,
}

/// Every verb, in the order help lists them.
pub const VERBS: &[VerbSpec] = &[
    VerbSpec {
        usage: &restart::USAGE,
        parse: |a, ns| restart::parse(a, ns).map(ActionRequest::Restart),
    },
    VerbSpec {
        usage: &scale::USAGE,
        parse: |a, ns| scale::parse(a, ns).map(ActionRequest::Scale),
    },
    VerbSpec {
        usage: &rollback::USAGE,
        parse: |a, ns| rollback::parse(a, ns).map(ActionRequest::Rollback),
    },
    VerbSpec {
        usage: &pause_rollout::USAGE,
        parse: |a, ns| pause_rollout::parse(a, ns).map(ActionRequest::PauseRollout),
    },
    VerbSpec {
        usage: &resume_rollout::USAGE,
        parse: |a, ns| resume_rollout::parse(a, ns).map(ActionRequest::ResumeRollout),
    },
    VerbSpec {
        usage: &pause_generation::USAGE,
        parse: |a, ns| pause_generation::parse(a, ns).map(ActionRequest::PauseGeneration),
    },
    VerbSpec {
        usage: &resume_generation::USAGE,
        parse: |a, ns| resume_generation::parse(a, ns).map(ActionRequest::ResumeGeneration),
    },
    VerbSpec {
        usage: &retry_pipeline::USAGE,
        parse: |a, ns| retry_pipeline::parse(a, ns).map(ActionRequest::RetryPipeline),
    },
    VerbSpec {
        usage: &cordon::USAGE,
        parse: |a, ns| cordon::parse(a, ns).map(ActionRequest::Cordon),
    },
    VerbSpec {
        usage: &uncordon::USAGE,
        parse: |a, ns| uncordon::parse(a, ns).map(ActionRequest::Uncordon),
    },
    VerbSpec {
        usage: &silence::USAGE,
        parse: |a, ns| silence::parse(a, ns).map(ActionRequest::Silence),
    },
    VerbSpec {
        usage: &ack::USAGE,
        parse: |a, ns| ack::parse(a, ns).map(ActionRequest::Ack),
    },
    VerbSpec {
        usage: &expire_silence::USAGE,
        parse: |a, ns| expire_silence::parse(a, ns).map(ActionRequest::ExpireSilence),
    },
];

/// "actions: restart W | scale W N | ...", for errors that should teach the syntax.
fn usage_line() -> String {
    let all: Vec<&str> = VERBS.iter().map(|v| v.usage.usage).collect();
    format!("actions: {}", all.join(" | "))
}

/// Whether `word` starts an action (the console routes such command lines to the executor).
pub fn is_verb(word: &str) -> bool {
    VERBS.iter().any(|v| v.usage.name == word)
}

impl ActionRequest {
    /// From the command line words, e.g. `["scale", "article-generator", "8"]`.
    pub fn parse(words: &[&str], default_namespace: &str) -> Result<ActionRequest, String> {
        let Some((word, args)) = words.split_first() else {
            return Err(format!("no action given; {}", usage_line()));
        };
        let line = words.join(" ");
        let Some(spec) = VERBS.iter().find(|v| v.usage.name == *word) else {
            return Err(format!("unknown action in {line:?}; {}", usage_line()));
        };
        (spec.parse)(args, default_namespace).map_err(|e| match e {
            ArgError::Shape => format!("wrong arguments in {line:?}; usage: {}", spec.usage.usage),
            ArgError::Value(why) => why,
        })
    }

    /// The verb behind the request: what the executor drafts, checks and verifies through.
    pub fn as_verb(&self) -> &dyn Verb {
        match self {
            ActionRequest::Restart(v) => v,
            ActionRequest::Rollback(v) => v,
            ActionRequest::Scale(v) => v,
            ActionRequest::PauseRollout(v) => v,
            ActionRequest::ResumeRollout(v) => v,
            ActionRequest::PauseGeneration(v) => v,
            ActionRequest::ResumeGeneration(v) => v,
            ActionRequest::RetryPipeline(v) => v,
            ActionRequest::Cordon(v) => v,
            ActionRequest::Uncordon(v) => v,
            ActionRequest::Silence(v) => v,
            ActionRequest::Ack(v) => v,
            ActionRequest::ExpireSilence(v) => v,
        }
    }

    /// The command-line word ("restart").
    pub fn verb(&self) -> &'static str {
        self.as_verb().verb()
    }

    /// The workload a workload verb acts on.
    pub fn workload(&self) -> Option<&WorkloadRef> {
        self.as_verb().workload()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::k8s::WorkloadKind;

    fn deploy(ns: &str, name: &str) -> WorkloadRef {
        WorkloadRef {
            kind: WorkloadKind::Deployment,
            namespace: ns.into(),
            name: name.into(),
        }
    }

    #[test]
    fn parses_the_command_line_forms() {
        let p = |w: &[&str]| ActionRequest::parse(w, "contentgen");
        assert_eq!(
            p(&["restart", "api"]),
            Ok(ActionRequest::Restart(restart::Restart {
                workload: deploy("contentgen", "api")
            }))
        );
        assert_eq!(
            p(&["scale", "article-generator", "8"]),
            Ok(ActionRequest::Scale(scale::Scale {
                workload: deploy("contentgen", "article-generator"),
                replicas: 8
            }))
        );
        assert_eq!(
            p(&["rollback", "api", "--to-revision", "3"]),
            Ok(ActionRequest::Rollback(rollback::Rollback {
                workload: deploy("contentgen", "api"),
                to_revision: Some(3)
            }))
        );
        assert_eq!(
            p(&["rollback", "monitoring/prometheus"]).map(|r| r.workload().cloned()),
            Ok(Some(deploy("monitoring", "prometheus")))
        );
        let sts = p(&["restart", "statefulset/contentgen/redis"]).expect("sts");
        assert_eq!(
            sts.workload().map(|w| w.kind),
            Some(WorkloadKind::StatefulSet)
        );
        assert_eq!(
            p(&["pause-generation"]).map(|r| r.verb()),
            Ok("pause-generation")
        );
        assert_eq!(
            p(&["retry-pipeline", "run-1042"]).map(|r| r.as_verb().target()),
            Ok("pipeline run-1042".into())
        );
        let un = p(&["uncordon", "pool-general-3"]).expect("uncordon");
        assert_eq!(
            (un.verb(), un.as_verb().target(), un.workload()),
            ("uncordon", "node pool-general-3".to_string(), None)
        );
        assert!(p(&["cordon"]).is_err_and(|e| e.contains("wrong arguments")));
        assert!(p(&["cordon", "a/b"]).is_err_and(|e| e.contains("wrong arguments")));
        assert!(p(&["scale", "api", "-1"]).is_err_and(|e| e.contains("replica count")));
        assert!(p(&["scale", "api"]).is_err_and(|e| e.contains("usage: scale W N")));
        assert!(p(&["explode", "api"]).is_err_and(|e| e.contains("unknown action")));
        assert!(p(&["restart", "x/y/z"]).is_err());
    }

    #[test]
    fn requests_round_trip_through_json() {
        for words in [
            &["rollback", "api", "--to-revision", "2"][..],
            &["pause-generation"],
            &["cordon", "pool-general-1"],
        ] {
            let r = ActionRequest::parse(words, "contentgen").expect("parses");
            let text = serde_json::to_string(&r).expect("serializes");
            assert_eq!(serde_json::from_str::<ActionRequest>(&text).ok(), Some(r));
        }
    }

    #[test]
    fn every_verb_is_listed_once_with_its_own_name() {
        for spec in VERBS {
            let n = VERBS
                .iter()
                .filter(|v| v.usage.name == spec.usage.name)
                .count();
            assert_eq!(n, 1, "{}", spec.usage.name);
            assert!(spec.usage.usage.starts_with(spec.usage.name));
            assert!(is_verb(spec.usage.name));
        }
    }
}
