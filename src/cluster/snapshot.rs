//! `opsdeck snapshot`: the same sources and reducer as the console, run until the first full
//! sync, printed once as text or JSON (for scripts, hand-overs and timing).

use std::time::{Duration, Instant};

use kube::Client;
use serde::Serialize;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::model::{ClusterModel, ClusterMsg, Resource};
use super::rows::{EventRow, HpaRow, NodeRow, PodRow, WorkloadRow};
use super::source::{Namespaces, spawn_watches};
use crate::status::LoadState;

#[derive(Serialize)]
pub struct Snapshot {
    pub context: String,
    pub namespaces: String,
    /// Every watch finished its first list (false: timed out; the data may be partial).
    pub synced: bool,
    pub sources: Vec<SourceReport>,
    pub workloads: Vec<WorkloadRow>,
    pub pods: Vec<PodRow>,
    pub nodes: Vec<NodeRow>,
    pub hpas: Vec<HpaRow>,
    pub warnings: Vec<EventRow>,
    pub timing: Timing,
}

#[derive(Serialize)]
pub struct SourceReport {
    pub resource: Resource,
    pub namespace: String,
    pub state: LoadState,
}

#[derive(Serialize, Default)]
pub struct Timing {
    pub first_pod_rows_ms: Option<u128>,
    pub full_sync_ms: Option<u128>,
}

fn expected_sources(ns: &Namespaces) -> usize {
    let namespaced = Resource::ALL.iter().filter(|r| !r.cluster_scoped()).count();
    let cluster = Resource::ALL.len() - namespaced;
    match ns {
        Namespaces::All => Resource::ALL.len(),
        Namespaces::Only(list) => namespaced * list.len() + cluster,
    }
}

/// A source is settled when listed, or failed for good (forbidden: retrying cannot help).
fn settled(model: &ClusterModel) -> usize {
    model
        .sources
        .values()
        .filter(|s| match s {
            LoadState::Live => true,
            LoadState::Stale { reason, .. } => !reason.contains("retrying"),
            LoadState::Loading => false,
        })
        .count()
}

pub async fn take(
    client: Client,
    context: String,
    namespaces: Namespaces,
    timeout: Duration,
) -> Snapshot {
    let started = Instant::now();
    let (tx, mut rx) = mpsc::channel::<ClusterMsg>(1024);
    let token = CancellationToken::new();
    spawn_watches(&client, &namespaces, tx, &token);
    let mut model = ClusterModel::default();
    let mut timing = Timing::default();
    let expected = expected_sources(&namespaces);
    let deadline = tokio::time::Instant::now() + timeout;
    let now = jiff::Timestamp::now().as_second();
    let mut synced = false;
    while let Ok(Some(msg)) = tokio::time::timeout_at(deadline, rx.recv()).await {
        model.apply(msg, now);
        if timing.first_pod_rows_ms.is_none() && !model.pods.is_empty() {
            timing.first_pod_rows_ms = Some(started.elapsed().as_millis());
        }
        if settled(&model) >= expected {
            synced = true;
            timing.full_sync_ms = Some(started.elapsed().as_millis());
            break;
        }
    }
    token.cancel();
    model.refresh_derived();
    build(model, context, namespaces, synced, timing)
}

fn build(
    model: ClusterModel,
    context: String,
    namespaces: Namespaces,
    synced: bool,
    timing: Timing,
) -> Snapshot {
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
    let sources = model
        .sources
        .iter()
        .map(|((resource, ns), state)| SourceReport {
            resource: *resource,
            namespace: ns.clone(),
            state: state.clone(),
        })
        .collect();
    Snapshot {
        context,
        namespaces: namespaces.label(),
        synced,
        sources,
        workloads,
        pods,
        nodes,
        hpas,
        warnings,
        timing,
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
            "context {}  namespaces {}  {}",
            self.context,
            self.namespaces,
            if self.synced {
                "synced"
            } else {
                "NOT SYNCED (partial)"
            }
        );
        for s in &self.sources {
            if let LoadState::Stale { reason, .. } = &s.state {
                let _ = writeln!(
                    out,
                    "stale {} {}: {reason}",
                    s.resource.plural(),
                    s.namespace
                );
            }
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
    fn expected_sources_counts_one_watch_per_namespace() {
        assert_eq!(expected_sources(&Namespaces::All), 7);
        let two = Namespaces::Only(vec!["a".into(), "b".into()]);
        assert_eq!(expected_sources(&two), 5 * 2 + 2);
    }
}
