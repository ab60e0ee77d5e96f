//! The cluster in `opsdeck snapshot`: every watch as a source (a forbidden one has answered:
//! retrying cannot change what RBAC said), the rows sorted by namespace and name, warnings
//! newest first, and a kubectl-like text report.

use serde_json::Map;

use super::model::{ClusterModel, Resource};
use super::rows::{EventRow, HpaRow, NodeRow, PodRow, WorkloadRow};
use super::source::Namespaces;
use crate::status::LoadState;
use crate::ui::snapshot::{PaneSnapshot, Source, json};

pub struct Snapshot {
    pub namespaces: String,
    /// Every watch finished its first list, or failed for good (false: the data may be
    /// partial).
    pub synced: bool,
    /// (resource, namespace, reason) of each watch that failed.
    pub stale: Vec<(Resource, String, String)>,
    pub workloads: Vec<WorkloadRow>,
    pub pods: Vec<PodRow>,
    pub nodes: Vec<NodeRow>,
    pub hpas: Vec<HpaRow>,
    pub warnings: Vec<EventRow>,
}

/// Every watch the namespaces need, keyed as the model keys their states.
fn expected(ns: &Namespaces) -> Vec<(Resource, String)> {
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

/// Each watch and its state; one that failed for good (forbidden) has answered.
pub fn sources(model: &ClusterModel, ns: &Namespaces) -> Vec<Source> {
    expected(ns)
        .into_iter()
        .map(|(r, scope)| {
            let state = model.sources.get(&(r, scope.clone())).cloned();
            let state = state.unwrap_or(LoadState::Loading);
            let name = match scope.as_str() {
                "" => format!("Kubernetes {}", r.plural()),
                ns => format!("Kubernetes {} in {ns}", r.plural()),
            };
            Source {
                answered: state.settled(),
                ..Source::new("kubernetes", name, None, &state)
            }
        })
        .collect()
}

/// The cluster's part: workloads as its rows, then pods, nodes, HPAs and warning events.
pub fn snapshot(model: &ClusterModel, ns: &Namespaces, now: i64) -> PaneSnapshot {
    let snap = Snapshot::of(model, ns);
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
    pub fn of(model: &ClusterModel, ns: &Namespaces) -> Snapshot {
        fn sorted<R: Clone>(rows: Vec<R>, key: impl Fn(&R) -> (String, String)) -> Vec<R> {
            let mut rows = rows;
            rows.sort_by_key(|r| key(r));
            rows
        }
        let workloads = sorted(
            model.workloads.iter().map(|(_, r)| r.clone()).collect(),
            |w: &WorkloadRow| (w.namespace.clone(), w.name.clone()),
        );
        let pods = sorted(
            model.pods.iter().map(|(_, r)| r.clone()).collect(),
            |p: &PodRow| (p.namespace.clone(), p.name.clone()),
        );
        let nodes = sorted(
            model.nodes.iter().map(|(_, r)| r.clone()).collect(),
            |n: &NodeRow| (String::new(), n.name.clone()),
        );
        let hpas = sorted(
            model.hpas.iter().map(|(_, r)| r.clone()).collect(),
            |h: &HpaRow| (h.namespace.clone(), h.name.clone()),
        );
        let mut warnings: Vec<EventRow> = model.events.iter().map(|(_, r)| r.clone()).collect();
        warnings.sort_by_key(|e| std::cmp::Reverse(e.last_seen));
        let stale = model
            .sources
            .iter()
            .filter_map(|((resource, ns), state)| match state {
                LoadState::Stale { reason, .. } => Some((*resource, ns.clone(), reason.clone())),
                _ => None,
            })
            .collect();
        Snapshot {
            namespaces: ns.label(),
            synced: sources(model, ns).iter().all(|s| s.state.settled()),
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
        let _ = writeln!(
            out,
            "CLUSTER  namespaces {}  {}",
            self.namespaces,
            if self.synced {
                "synced"
            } else {
                "NOT SYNCED (partial)"
            }
        );
        for (resource, namespace, reason) in &self.stale {
            let _ = writeln!(out, "stale {} {namespace}: {reason}", resource.plural());
        }
        let _ = writeln!(
            out,
            "\nWORKLOADS\n{:<14} {:<24} {:<6} {:<7} {:<22} {:>4}",
            "NAMESPACE", "NAME", "KIND", "READY", "ROLLOUT", "REV"
        );
        for w in &self.workloads {
            let _ = writeln!(
                out,
                "{:<14} {:<24} {:<6} {:<7} {:<22} {:>4}",
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
            "\nPODS ({})\n{:<14} {:<40} {:<6} {:<18} {:>8} {:>5}",
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
                "{:<14} {:<40} {:<6} {:<18} {:>8} {:>5}",
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
            "\nNODES\n{:<20} {:<28} {:<10}",
            "NAME", "STATUS", "VERSION"
        );
        for n in &self.nodes {
            let _ = writeln!(out, "{:<20} {:<28} {:<10}", n.name, n.status, n.version);
        }
        let _ = writeln!(out, "\nWARNINGS ({})", self.warnings.len());
        for e in &self.warnings {
            let _ = writeln!(
                out,
                "{:>5} {:<16} {:<40} x{:<4} {}",
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
        let s = sources(&ClusterModel::default(), &two);
        assert!(
            s.iter()
                .all(|s| s.state == LoadState::Loading && !s.answered)
        );
        assert!(s.iter().any(|s| s.name == "Kubernetes pods in b"));
        assert!(s.iter().any(|s| s.name == "Kubernetes nodes"));
    }
}
