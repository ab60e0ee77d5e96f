//! What actions act on: a workload as the operator names it on the command line.

use serde::{Deserialize, Serialize};

use crate::k8s::WorkloadKind;

/// A workload an action targets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkloadRef {
    pub kind: WorkloadKind,
    pub namespace: String,
    pub name: String,
}

impl WorkloadRef {
    /// "name" (a Deployment in `default_namespace`), "ns/name", "sts/name", "statefulset/ns/name",
    /// "deploy/ns/name".
    pub fn parse(text: &str, default_namespace: &str) -> Result<WorkloadRef, String> {
        let parts: Vec<&str> = text.split('/').collect();
        let kind_of = WorkloadKind::from_word;
        let (kind, ns, name) = match parts.as_slice() {
            [name] => (WorkloadKind::Deployment, default_namespace, *name),
            [k, name] if kind_of(k).is_some() => {
                (kind_of(k).unwrap_or_default(), default_namespace, *name)
            }
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
        format!("{} {}/{}", self.kind.singular(), self.namespace, self.name)
    }

    /// "deploy/contentgen/api": how the command line names it, unambiguous anywhere.
    pub fn command_form(&self) -> String {
        format!("{}/{}/{}", self.kind.short(), self.namespace, self.name)
    }

    /// The object's path on the API server.
    pub fn path(&self) -> String {
        self.kind.path(&self.namespace, &self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_reads() {
        let p = |t: &str| WorkloadRef::parse(t, "contentgen");
        assert_eq!(
            p("api").map(|w| w.describe()),
            Ok("deployment contentgen/api".into())
        );
        assert_eq!(
            p("monitoring/prometheus").map(|w| w.namespace),
            Ok("monitoring".into())
        );
        let sts = p("sts/redis").expect("sts");
        assert_eq!(
            (sts.kind, sts.namespace.as_str()),
            (WorkloadKind::StatefulSet, "contentgen")
        );
        assert_eq!(sts.command_form(), "sts/contentgen/redis");
        assert_eq!(p(&sts.command_form()), Ok(sts));
        assert!(p("x/y/z").is_err_and(|e| e.contains("unknown workload kind")));
        assert!(p("a/b/c/d").is_err());
        assert!(p("ns/").is_err());
    }
}
