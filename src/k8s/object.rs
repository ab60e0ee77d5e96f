//! A reference to one Kubernetes object a row shows: what `d` (describe) and `y` (YAML) fetch.

use super::WorkloadKind;
use super::context::ContextName;

/// The kinds a console row can be about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ObjectKind {
    Pod,
    Deployment,
    StatefulSet,
    Node,
    Hpa,
    Event,
}

impl ObjectKind {
    /// The word kubectl takes: `kubectl describe pod ...`.
    pub fn word(self) -> &'static str {
        match self {
            ObjectKind::Pod => "pod",
            ObjectKind::Deployment => "deployment",
            ObjectKind::StatefulSet => "statefulset",
            ObjectKind::Node => "node",
            ObjectKind::Hpa => "hpa",
            ObjectKind::Event => "event",
        }
    }

    /// The API's kind, as events name it in `involvedObject.kind`.
    pub fn api_kind(self) -> &'static str {
        match self {
            ObjectKind::Pod => "Pod",
            ObjectKind::Deployment => "Deployment",
            ObjectKind::StatefulSet => "StatefulSet",
            ObjectKind::Node => "Node",
            ObjectKind::Hpa => "HorizontalPodAutoscaler",
            ObjectKind::Event => "Event",
        }
    }

    /// From an API kind ("Pod", "Deployment", "HorizontalPodAutoscaler"...).
    pub fn from_api_kind(kind: &str) -> Option<ObjectKind> {
        [
            ObjectKind::Pod,
            ObjectKind::Deployment,
            ObjectKind::StatefulSet,
            ObjectKind::Node,
            ObjectKind::Hpa,
            ObjectKind::Event,
        ]
        .into_iter()
        .find(|k| k.api_kind() == kind)
    }
}

impl From<WorkloadKind> for ObjectKind {
    fn from(k: WorkloadKind) -> Self {
        match k {
            WorkloadKind::Deployment => ObjectKind::Deployment,
            WorkloadKind::StatefulSet => ObjectKind::StatefulSet,
        }
    }
}

/// One object: its kind, namespace (None: cluster-scoped) and name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ObjectRef {
    /// The context it lives in ("": the console's first).
    pub context: ContextName,
    pub kind: ObjectKind,
    pub namespace: Option<String>,
    pub name: String,
}

impl ObjectRef {
    pub fn namespaced(kind: ObjectKind, namespace: &str, name: &str) -> ObjectRef {
        ObjectRef {
            context: ContextName::default(),
            kind,
            namespace: Some(namespace.to_string()),
            name: name.to_string(),
        }
    }

    pub fn node(name: &str) -> ObjectRef {
        ObjectRef {
            context: ContextName::default(),
            kind: ObjectKind::Node,
            namespace: None,
            name: name.to_string(),
        }
    }

    /// The same object, in `context`.
    pub fn in_context(self, context: &ContextName) -> ObjectRef {
        ObjectRef {
            context: context.clone(),
            ..self
        }
    }

    /// "pod contentgen/api-7d9f8c-x2x", "node pool-general-3".
    pub fn label(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {ns}/{}", self.kind.word(), self.name),
            None => format!("{} {}", self.kind.word(), self.name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_read_like_kubectl_arguments() {
        let pod = ObjectRef::namespaced(ObjectKind::Pod, "contentgen", "api-1");
        assert_eq!(pod.label(), "pod contentgen/api-1");
        assert_eq!(ObjectRef::node("n1").label(), "node n1");
        assert_eq!(
            ObjectKind::from_api_kind("HorizontalPodAutoscaler"),
            Some(ObjectKind::Hpa)
        );
        assert_eq!(
            ObjectKind::from(WorkloadKind::StatefulSet).word(),
            "statefulset"
        );
    }
}
