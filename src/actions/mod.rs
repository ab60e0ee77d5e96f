//! The only code that mutates anything: one path (plan -> permission -> preview -> confirm ->
//! execute -> verify -> audit) for every action, interactive and headless alike.

pub mod audit;
pub mod cli;
pub mod condition;
pub mod executor;
pub mod http;
pub mod kube;
pub mod node;
pub mod plan;
pub mod probes;
pub mod runbook;
pub mod undo;
pub mod verify;
pub mod view;

use serde::{Deserialize, Serialize};

pub use crate::cluster::rows::WorkloadKind;

/// A workload an action targets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkloadRef {
    #[serde(with = "kind_serde")]
    pub kind: WorkloadKind,
    pub namespace: String,
    pub name: String,
}

/// `WorkloadKind` lives with the cluster rows, which only serialize; actions read it back too.
mod kind_serde {
    use super::WorkloadKind;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(kind: &WorkloadKind, s: S) -> Result<S::Ok, S::Error> {
        kind.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<WorkloadKind, D::Error> {
        match String::deserialize(d)?.as_str() {
            "Deployment" => Ok(WorkloadKind::Deployment),
            "StatefulSet" => Ok(WorkloadKind::StatefulSet),
            other => Err(serde::de::Error::custom(format!(
                "unknown workload kind {other:?} (Deployment or StatefulSet)"
            ))),
        }
    }
}

impl WorkloadRef {
    /// "name" (a Deployment in `default_namespace`), "ns/name", "sts/name", "statefulset/ns/name",
    /// "deploy/ns/name".
    pub fn parse(text: &str, default_namespace: &str) -> Result<WorkloadRef, String> {
        let parts: Vec<&str> = text.split('/').collect();
        let kind_of = |k: &str| match k {
            "deploy" | "deployment" | "deployments" => Some(WorkloadKind::Deployment),
            "sts" | "statefulset" | "statefulsets" => Some(WorkloadKind::StatefulSet),
            _ => None,
        };
        let (kind, ns, name) = match parts.as_slice() {
            [name] => (WorkloadKind::Deployment, default_namespace, *name),
            [k, name] if kind_of(k).is_some() => (
                kind_of(k).unwrap_or(WorkloadKind::Deployment),
                default_namespace,
                *name,
            ),
            [ns, name] => (WorkloadKind::Deployment, *ns, *name),
            [k, ns, name] => match kind_of(k) {
                Some(kind) => (kind, *ns, *name),
                None => {
                    return Err(format!(
                        "unknown workload kind {k:?} in {text:?} (deploy or sts)"
                    ));
                }
            },
            _ => {
                return Err(format!(
                    "cannot read workload {text:?}: use name, ns/name or sts/ns/name"
                ));
            }
        };
        if name.is_empty() || ns.is_empty() {
            return Err(format!(
                "cannot read workload {text:?}: empty name or namespace"
            ));
        }
        Ok(WorkloadRef {
            kind,
            namespace: ns.to_string(),
            name: name.to_string(),
        })
    }

    /// "deployment contentgen/api", as plans and the audit log name it.
    pub fn describe(&self) -> String {
        let kind = match self.kind {
            WorkloadKind::Deployment => "deployment",
            WorkloadKind::StatefulSet => "statefulset",
        };
        format!("{kind} {}/{}", self.namespace, self.name)
    }
}

/// What the operator asked for, before anything is read or checked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ActionRequest {
    Restart {
        workload: WorkloadRef,
    },
    Rollback {
        workload: WorkloadRef,
        to_revision: Option<i64>,
    },
    Scale {
        workload: WorkloadRef,
        replicas: i32,
    },
    PauseRollout {
        workload: WorkloadRef,
    },
    ResumeRollout {
        workload: WorkloadRef,
    },
    PauseGeneration,
    ResumeGeneration,
    RetryPipeline {
        id: String,
    },
    Cordon {
        node: String,
    },
    Uncordon {
        node: String,
    },
}

const USAGE: &str = "actions: restart W | rollback W [--to-revision N] | scale W N | pause-rollout W | resume-rollout W | pause-generation | resume-generation | retry-pipeline ID | cordon NODE | uncordon NODE";

impl ActionRequest {
    /// From the command line words, e.g. `["scale", "article-generator", "8"]`.
    pub fn parse(words: &[&str], default_namespace: &str) -> Result<ActionRequest, String> {
        let w = |s: &str| WorkloadRef::parse(s, default_namespace);
        match words {
            ["restart", target] => Ok(ActionRequest::Restart {
                workload: w(target)?,
            }),
            ["rollback", target] => Ok(ActionRequest::Rollback {
                workload: w(target)?,
                to_revision: None,
            }),
            ["rollback", target, "--to-revision", n] | ["rollback", "--to-revision", n, target] => {
                let rev =
                    n.parse::<i64>().ok().filter(|r| *r > 0).ok_or_else(|| {
                        format!("--to-revision wants a positive number, not {n:?}")
                    })?;
                Ok(ActionRequest::Rollback {
                    workload: w(target)?,
                    to_revision: Some(rev),
                })
            }
            ["scale", target, n] => {
                let replicas = n
                    .parse::<i32>()
                    .ok()
                    .filter(|r| *r >= 0)
                    .ok_or_else(|| format!("scale wants a replica count >= 0, not {n:?}"))?;
                Ok(ActionRequest::Scale {
                    workload: w(target)?,
                    replicas,
                })
            }
            ["pause-rollout", target] => Ok(ActionRequest::PauseRollout {
                workload: w(target)?,
            }),
            ["resume-rollout", target] => Ok(ActionRequest::ResumeRollout {
                workload: w(target)?,
            }),
            ["pause-generation"] => Ok(ActionRequest::PauseGeneration),
            ["resume-generation"] => Ok(ActionRequest::ResumeGeneration),
            ["retry-pipeline", id] if !id.is_empty() => {
                Ok(ActionRequest::RetryPipeline { id: id.to_string() })
            }
            ["cordon", node] if node::valid_name(node) => Ok(ActionRequest::Cordon {
                node: node.to_string(),
            }),
            ["uncordon", node] if node::valid_name(node) => Ok(ActionRequest::Uncordon {
                node: node.to_string(),
            }),
            [] => Err(format!("no action given; {USAGE}")),
            [verb, ..] => Err(
                format!("cannot read {:?}; {USAGE}", words.join(" ")).replace(
                    "cannot read",
                    if Self::VERBS.contains(verb) {
                        "wrong arguments in"
                    } else {
                        "unknown action in"
                    },
                ),
            ),
        }
    }

    /// The command-line verbs that are actions (the console routes them here).
    pub const VERBS: [&'static str; 10] = [
        "restart",
        "rollback",
        "scale",
        "pause-rollout",
        "resume-rollout",
        "pause-generation",
        "resume-generation",
        "retry-pipeline",
        "cordon",
        "uncordon",
    ];

    pub fn verb(&self) -> &'static str {
        match self {
            ActionRequest::Restart { .. } => "restart",
            ActionRequest::Rollback { .. } => "rollback",
            ActionRequest::Scale { .. } => "scale",
            ActionRequest::PauseRollout { .. } => "pause-rollout",
            ActionRequest::ResumeRollout { .. } => "resume-rollout",
            ActionRequest::PauseGeneration => "pause-generation",
            ActionRequest::ResumeGeneration => "resume-generation",
            ActionRequest::RetryPipeline { .. } => "retry-pipeline",
            ActionRequest::Cordon { .. } => "cordon",
            ActionRequest::Uncordon { .. } => "uncordon",
        }
    }

    /// The workload a Kubernetes action targets; None for platform (HTTP) actions.
    pub fn workload(&self) -> Option<&WorkloadRef> {
        match self {
            ActionRequest::Restart { workload }
            | ActionRequest::Rollback { workload, .. }
            | ActionRequest::Scale { workload, .. }
            | ActionRequest::PauseRollout { workload }
            | ActionRequest::ResumeRollout { workload } => Some(workload),
            _ => None,
        }
    }

    /// The node a node action (cordon, uncordon) targets.
    pub fn node(&self) -> Option<&str> {
        match self {
            ActionRequest::Cordon { node } | ActionRequest::Uncordon { node } => Some(node),
            _ => None,
        }
    }

    /// Whether the action goes to the Kubernetes API (a workload or a node), not the platform's.
    pub fn is_kube(&self) -> bool {
        self.workload().is_some() || self.node().is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            Ok(ActionRequest::Restart {
                workload: deploy("contentgen", "api")
            })
        );
        assert_eq!(
            p(&["scale", "article-generator", "8"]),
            Ok(ActionRequest::Scale {
                workload: deploy("contentgen", "article-generator"),
                replicas: 8
            })
        );
        assert_eq!(
            p(&["rollback", "api", "--to-revision", "3"]),
            Ok(ActionRequest::Rollback {
                workload: deploy("contentgen", "api"),
                to_revision: Some(3)
            })
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
            p(&["restart", "sts/redis"]).map(|r| r.workload().map(|w| w.namespace.clone())),
            Ok(Some("contentgen".into()))
        );
        assert_eq!(p(&["pause-generation"]), Ok(ActionRequest::PauseGeneration));
        assert_eq!(
            p(&["retry-pipeline", "run-1042"]),
            Ok(ActionRequest::RetryPipeline {
                id: "run-1042".into()
            })
        );
        assert_eq!(
            p(&["cordon", "pool-general-3"]),
            Ok(ActionRequest::Cordon {
                node: "pool-general-3".into()
            })
        );
        let un = p(&["uncordon", "pool-general-3"]).expect("uncordon");
        assert_eq!(
            (un.verb(), un.node(), un.workload(), un.is_kube()),
            ("uncordon", Some("pool-general-3"), None, true)
        );
        assert!(p(&["cordon"]).is_err_and(|e| e.contains("wrong arguments")));
        assert!(p(&["cordon", "a/b"]).is_err_and(|e| e.contains("wrong arguments")));
        assert!(!ActionRequest::PauseGeneration.is_kube());
        assert!(p(&["scale", "api", "-1"]).is_err());
        assert!(p(&["scale", "api"]).is_err_and(|e| e.contains("wrong arguments")));
        assert!(p(&["explode", "api"]).is_err_and(|e| e.contains("unknown action")));
        assert!(p(&["restart", "x/y/z"]).is_err());
    }

    #[test]
    fn requests_round_trip_through_json() {
        let r = ActionRequest::Rollback {
            workload: deploy("contentgen", "api"),
            to_revision: Some(2),
        };
        let text = serde_json::to_string(&r).expect("serializes");
        assert_eq!(serde_json::from_str::<ActionRequest>(&text).ok(), Some(r));
    }
}
