//! What an alert is about, read from its labels the way kube-prometheus, Sloth and the
//! platform's rules label them: a workload or pod (`namespace` + `deployment`/`statefulset`/
//! `pod`), an SLO (`sloth_slo`, `slo`, `sloth_id`), a queue, a node, or a service.

use serde::Serialize;

use super::wire::Labels;
use crate::k8s::WorkloadKind;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum About {
    Workload {
        #[serde(rename = "workload_kind")]
        kind: WorkloadKind,
        namespace: String,
        name: String,
    },
    Pod {
        namespace: String,
        name: String,
    },
    Slo {
        name: String,
    },
    Queue {
        name: String,
    },
    Node {
        name: String,
    },
    Service {
        name: String,
    },
    Nothing,
}

impl About {
    /// "deploy contentgen/api", "slo api-availability", "queue articles".
    pub fn describe(&self) -> String {
        match self {
            About::Workload {
                kind,
                namespace,
                name,
            } => format!("{} {namespace}/{name}", kind.short()),
            About::Pod { namespace, name } => format!("pod {namespace}/{name}"),
            About::Slo { name } => format!("slo {name}"),
            About::Queue { name } => format!("queue {name}"),
            About::Node { name } => format!("node {name}"),
            About::Service { name } => format!("service {name}"),
            About::Nothing => String::new(),
        }
    }
}

pub fn about(labels: &Labels) -> About {
    let get = |k: &str| labels.get(k).filter(|v| !v.is_empty()).cloned();
    let namespace = get("namespace");
    if let Some(namespace) = namespace.clone() {
        for (label, kind) in [
            ("deployment", WorkloadKind::Deployment),
            ("statefulset", WorkloadKind::StatefulSet),
        ] {
            if let Some(name) = get(label) {
                return About::Workload {
                    kind,
                    namespace,
                    name,
                };
            }
        }
        if let Some(name) = get("pod") {
            return About::Pod { namespace, name };
        }
    }
    // Sloth's sloth_id is "service-slo"; sloth_slo is the SLO's own name.
    if let Some(name) = get("sloth_slo")
        .or_else(|| get("slo"))
        .or_else(|| get("sloth_id"))
    {
        return About::Slo { name };
    }
    if let Some(name) = get("queue") {
        return About::Queue { name };
    }
    if let Some(name) = get("node") {
        return About::Node { name };
    }
    match get("service").or_else(|| get("sloth_service")) {
        Some(name) => About::Service { name },
        None => About::Nothing,
    }
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
    fn workloads_and_pods_need_their_namespace() {
        let l = labels(&[
            ("namespace", "contentgen"),
            ("deployment", "api"),
            ("pod", "p"),
        ]);
        assert_eq!(about(&l).describe(), "deploy contentgen/api");
        let l = labels(&[("namespace", "contentgen"), ("pod", "fact-checker-1")]);
        assert_eq!(about(&l).describe(), "pod contentgen/fact-checker-1");
        let l = labels(&[("deployment", "api")]);
        assert_eq!(about(&l), About::Nothing);
    }

    #[test]
    fn slos_queues_nodes_and_services() {
        let l = labels(&[
            ("sloth_id", "api-api-availability"),
            ("sloth_slo", "api-availability"),
        ]);
        assert_eq!(about(&l).describe(), "slo api-availability");
        assert_eq!(
            about(&labels(&[("queue", "articles")])).describe(),
            "queue articles"
        );
        assert_eq!(
            about(&labels(&[("node", "pool-general-3")])).describe(),
            "node pool-general-3"
        );
        assert_eq!(
            about(&labels(&[("service", "api")])).describe(),
            "service api"
        );
    }
}
