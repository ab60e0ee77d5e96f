//! The cluster in `opsdeck snapshot`: every watch as a source (a forbidden one has answered:
//! retrying cannot change what RBAC said), the rows sorted by namespace and name, warnings
//! newest first, and a kubectl-like text report.

use serde_json::Map;

use super::model::{ClusterModel, Resource};
use super::rows::{EventRow, HpaRow, NodeRow, PodRow, WorkloadRow};
use super::source::Namespaces;
use crate::k8s::context::ContextName;
use crate::status::LoadState;
use crate::ui::snapshot::{PaneSnapshot, Source, json};

pub struct Snapshot {
    pub namespaces: String,
    /// The contexts watched; rows say theirs when there are several.
    pub contexts: Vec<ContextName>,
    /// Every watch finished its first list, or failed for good (false: the data may be
    /// partial).
    pub synced: bool,
    /// (context, resource, namespace, reason) of each watch that failed.
    pub stale: Vec<(ContextName, Resource, String, String)>,
    pub workloads: Vec<WorkloadRow>,
    pub pods: Vec<PodRow>,
    pub nodes: Vec<NodeRow>,
    pub hpas: Vec<HpaRow>,
    pub warnings: Vec<EventRow>,
}

/// Every watch the namespaces need in one context, keyed as the model keys their states.
pub fn expected(ns: &Namespaces) -> Vec<(Resource, String)> {
    let scopes = match ns {
        Namespaces::All => vec![String::new()],
        Namespaces::Only(list) => list.clone(),
    };
    let mut out = vec![];
    for r in Resource::ALL {
        if r.cluster_scoped() {
            out.push((r, String::new()));
        } else {
            out.extend(scopes.iter().map(|s| (r, s.clone())));
        }
    }
    out
}

/// Each watch of each context and its state; one that failed for good (forbidden) has
/// answered. With several contexts each source's name starts with its context.
pub fn sources(model: &ClusterModel, ns: &Namespaces, contexts: &[ContextName]) -> Vec<Source> {
    let many = contexts.len() > 1;
    contexts
        .iter()
        .flat_map(|c| expected(ns).into_iter().map(move |(r, s)| (c, r, s)))
        .map(|(context, r, scope)| {
            let state = model.sources.get(&(context.clone(), r, scope.clone()));
            let state = state.cloned().unwrap_or(LoadState::Loading);
            let on = if many {
                format!("{context}: ")
            } else {
                String::new()
            };
            let name = match scope.as_str() {
                "" => format!("{on}Kubernetes {}", r.plural()),
                ns => format!("{on}Kubernetes {} in {ns}", r.plural()),
            };
            Source {
                answered: state.settled(),
                ..Source::new("kubernetes", name, None, &state)
            }
        })
        .collect()
}

/// The cluster's part: workloads as its rows, then pods, nodes, HPAs and warning events.
pub fn snapshot(
    model: &ClusterModel,
    ns: &Namespaces,
    contexts: &[ContextName],
    now: i64,
) -> PaneSnapshot {
    let snap = Snapshot::of(model, ns, contexts);
    let mut more = Map::new();
    more.insert("namespaces".into(), json(&snap.namespaces));
    more.insert("pods".into(), json(&snap.pods));
    more.insert("nodes".into(), json(&snap.nodes));
    more.insert("hpas".into(), json(&snap.hpas));
    more.insert("warnings".into(), json(&snap.warnings));
    PaneSnapshot {
        key: "cluster",
        rows: snap.workloads.iter().map(json).collect(),
        more,
        text: snap
            .to_text(now)
            .lines()
            .map(|l| l.trim_end().to_string())
            .collect(),
    }
}

impl Snapshot {
    pub fn of(model: &ClusterModel, ns: &Namespaces, contexts: &[ContextName]) -> Snapshot {
        type Key = (ContextName, String, String);
        fn sorted<R: Clone>(rows: Vec<R>, key: impl Fn(&R) -> Key) -> Vec<R> {
            let mut rows = rows;
            rows.sort_by_key(|r| key(r));
            rows
        }
        let workloads = sorted(
            model.workloads.iter().map(|(_, r)| r.clone()).collect(),
            |w: &WorkloadRow| (w.context.clone(), w.namespace.clone(), w.name.clone()),
        );
        let pods = sorted(
            model.pods.iter().map(|(_, r)| r.clone()).collect(),
            |p: &PodRow| (p.context.clone(), p.namespace.clone(), p.name.clone()),
        );
        let nodes = sorted(
            model.nodes.iter().map(|(_, r)| r.clone()).collect(),
            |n: &NodeRow| (n.context.clone(), String::new(), n.name.clone()),
        );
        let hpas = sorted(
            model.hpas.iter().map(|(_, r)| r.clone()).collect(),
            |h: &HpaRow| (h.context.clone(), h.namespace.clone(), h.name.clone()),
        );
        let mut warnings: Vec<EventRow> = model.events.iter().map(|(_, r)| r.clone()).collect();
        warnings.sort_by_key(|e| std::cmp::Reverse(e.last_seen));
        let stale = model
            .sources
            .iter()
            .filter_map(|((context, resource, ns), state)| match state {
                LoadState::Stale { reason, .. } => {
                    Some((context.clone(), *resource, ns.clone(), reason.clone()))
                }
                _ => None,
            })
            .collect();
        Snapshot {
            namespaces: ns.label(),
            contexts: contexts.to_vec(),
            synced: sources(model, ns, contexts)
                .iter()
                .all(|s| s.state.settled()),
            stale,
            workloads,
            pods,
            nodes,
            hpas,
            warnings,
        }
    }
}

impl Snapshot {
    /// A plain-text report: one section per pane, kubectl-like columns.
    pub fn to_text(&self, now: i64) -> String {
        use crate::ui::format::age;
        use std::fmt::Write;
        let mut out = String::new();
        // With several contexts every row starts with its own.
        let many = self.contexts.len() > 1;
        let on = |c: &ContextName| {
            if many {
                format!("{:<12} ", c.as_str())
            } else {
                String::new()
            }
        };
        let head = if many {
            format!("{:<12} ", "CONTEXT")
        } else {
            String::new()
        };
        let contexts = if many {
            format!(
                "contexts {}  ",
                self.contexts
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            )
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "CLUSTER  {contexts}namespaces {}  {}",
            self.namespaces,
            if self.synced {
                "synced"
            } else {
                "NOT SYNCED (partial)"
            }
        );
        for (context, resource, namespace, reason) in &self.stale {
            let at = if many {
                format!("{context}: ")
            } else {
                String::new()
            };
            let _ = writeln!(out, "stale {at}{} {namespace}: {reason}", resource.plural());
        }
        let _ = writeln!(
            out,
            "\nWORKLOADS\n{head}{:<14} {:<24} {:<6} {:<7} {:<22} {:>4}",
            "NAMESPACE", "NAME", "KIND", "READY", "ROLLOUT", "REV"
        );
        for w in &self.workloads {
            let _ = writeln!(
                out,
                "{}{:<14} {:<24} {:<6} {:<7} {:<22} {:>4}",
                on(&w.context),
                w.namespace,
                w.name,
                w.kind.short(),
                format!("{}/{}", w.ready, w.desired),
                w.rollout.label(),
                w.revision
            );
        }
        let _ = writeln!(
            out,
            "\nPODS ({})\n{head}{:<14} {:<40} {:<6} {:<18} {:>8} {:>5}",
            self.pods.len(),
            "NAMESPACE",
            "NAME",
            "READY",
            "STATUS",
            "RESTARTS",
            "AGE"
        );
        for p in &self.pods {
            let _ = writeln!(
                out,
                "{}{:<14} {:<40} {:<6} {:<18} {:>8} {:>5}",
                on(&p.context),
                p.namespace,
                p.name,
                format!("{}/{}", p.ready, p.containers),
                p.status,
                p.restarts,
                age(now - p.created)
            );
        }
        let _ = writeln!(
            out,
            "\nNODES\n{head}{:<20} {:<28} {:<10}",
            "NAME", "STATUS", "VERSION"
        );
        for n in &self.nodes {
            let _ = writeln!(
                out,
                "{}{:<20} {:<28} {:<10}",
                on(&n.context),
                n.name,
                n.status,
                n.version
            );
        }
        let _ = writeln!(out, "\nWARNINGS ({})", self.warnings.len());
        for e in &self.warnings {
            let _ = writeln!(
                out,
                "{}{:>5} {:<16} {:<40} x{:<4} {}",
                on(&e.context),
                age(now - e.last_seen),
                e.reason,
                e.object,
                e.count,
                e.message
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_watch_per_namespace_and_resource_each_loading_until_it_reports() {
        assert_eq!(expected(&Namespaces::All).len(), 7);
        let two = Namespaces::Only(vec!["a".into(), "b".into()]);
        assert_eq!(expected(&two).len(), 5 * 2 + 2);
        let s = sources(&ClusterModel::default(), &two, &["one".into()]);
        assert!(
            s.iter()
                .all(|s| s.state == LoadState::Loading && !s.answered)
        );
        assert!(s.iter().any(|s| s.name == "Kubernetes pods in b"));
        assert!(s.iter().any(|s| s.name == "Kubernetes nodes"));
    }
}
