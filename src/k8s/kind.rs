//! Workload kinds and every name kubectl and the API give them.

use serde::{Deserialize, Serialize};

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
pub enum WorkloadKind {
    #[default]
    Deployment,
    StatefulSet,
}

impl WorkloadKind {
    pub const ALL: [WorkloadKind; 2] = [WorkloadKind::Deployment, WorkloadKind::StatefulSet];

    /// The API's kind: "Deployment".
    pub fn kind(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "Deployment",
            WorkloadKind::StatefulSet => "StatefulSet",
        }
    }

    /// kubectl's short name: "deploy", "sts".
    pub fn short(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "deploy",
            WorkloadKind::StatefulSet => "sts",
        }
    }

    /// The singular resource name kubectl prints: "deployment".
    pub fn singular(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "deployment",
            WorkloadKind::StatefulSet => "statefulset",
        }
    }

    /// The API's plural: "deployments".
    pub fn plural(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "deployments",
            WorkloadKind::StatefulSet => "statefulsets",
        }
    }

    /// Any name kubectl accepts for it ("deploy", "deployment", "deployments", "Deployment").
    pub fn from_word(word: &str) -> Option<WorkloadKind> {
        WorkloadKind::ALL.into_iter().find(|k| {
            word == k.short() || word == k.singular() || word == k.plural() || word == k.kind()
        })
    }

    /// The object's path on the API server.
    pub fn path(self, namespace: &str, name: &str) -> String {
        format!(
            "/apis/apps/v1/namespaces/{namespace}/{}/{name}",
            self.plural()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_reads_back() {
        for k in WorkloadKind::ALL {
            for word in [k.short(), k.singular(), k.plural(), k.kind()] {
                assert_eq!(WorkloadKind::from_word(word), Some(k), "{word}");
            }
        }
        assert_eq!(WorkloadKind::from_word("daemonset"), None);
        assert_eq!(
            WorkloadKind::StatefulSet.path("contentgen", "redis"),
            "/apis/apps/v1/namespaces/contentgen/statefulsets/redis"
        );
    }
}
