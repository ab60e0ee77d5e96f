//! Which rows each cluster table shows, and in which order: the table's filter, the pods
//! view's scope, each view's sort. A table is rebuilt only when its store's rows, its filter or
//! its scope changed since the last build.

use std::cmp::Ordering;

use super::model::ClusterModel;
use super::rows::{PodRow, WorkloadRow};
use super::store::{Keyed, Store};
use crate::ui::pane::Scope;
use crate::ui::table_state::{TableState, matches};

/// The overview's workloads: worst first; among equals, the one whose pods died last (an
/// OOMKill a minute ago before a healthy neighbour).
pub fn overview(table: &mut TableState, c: &ClusterModel) {
    let died = |w: &WorkloadRow| {
        c.last_exit_by_workload
            .get(&format!("{}/{}", w.namespace, w.name))
            .map(|e| e.finished.unwrap_or(0))
    };
    rebuild(
        table,
        &c.workloads,
        c.workloads.revision,
        format!("exits {}", c.exits_revision),
        |w, f| matches(&w.name, f) || matches(&w.namespace, f),
        |a, b| {
            b.health
                .cmp(&a.health)
                .then_with(|| died(b).cmp(&died(a)))
                .then_with(|| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)))
        },
    );
}

pub fn workloads(table: &mut TableState, c: &ClusterModel) {
    rebuild(
        table,
        &c.workloads,
        c.workloads.membership,
        String::new(),
        |w, f| {
            matches(&w.name, f)
                || matches(&w.namespace, f)
                || matches(w.rollout.label().as_str(), f)
        },
        |a, b| (&a.namespace, a.kind, &a.name).cmp(&(&b.namespace, b.kind, &b.name)),
    );
}

/// Filtering by status follows every change; unfiltered, only pods coming and going matter.
pub fn pods(table: &mut TableState, c: &ClusterModel, scope: Option<&Scope>) {
    let scope_key = scope.map(Scope::label).unwrap_or_default();
    let pods_rev = if table.filter.is_empty() {
        c.pods.membership
    } else {
        c.pods.revision
    };
    rebuild(
        table,
        &c.pods,
        pods_rev,
        scope_key,
        |p, f| {
            in_scope(p, scope)
                && (matches(&p.name, f)
                    || matches(&p.status, f)
                    || matches(&p.node, f)
                    || matches(&p.namespace, f)
                    || p.last_exit.as_ref().is_some_and(|e| matches(&e.reason, f)))
        },
        |a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)),
    );
}

pub fn nodes(table: &mut TableState, c: &ClusterModel) {
    rebuild(
        table,
        &c.nodes,
        c.nodes.membership,
        String::new(),
        |n, f| matches(&n.name, f) || matches(&n.status, f),
        |a, b| a.name.cmp(&b.name),
    );
}

pub fn hpas(table: &mut TableState, c: &ClusterModel) {
    rebuild(
        table,
        &c.hpas,
        c.hpas.membership,
        String::new(),
        |h, f| matches(&h.name, f) || matches(&h.namespace, f),
        |a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)),
    );
}

/// Warning events: newest first.
pub fn events(table: &mut TableState, c: &ClusterModel) {
    rebuild(
        table,
        &c.events,
        c.events.revision,
        String::new(),
        |e, f| matches(&e.reason, f) || matches(&e.object, f) || matches(&e.message, f),
        |a, b| {
            b.last_seen
                .cmp(&a.last_seen)
                .then_with(|| a.name.cmp(&b.name))
        },
    );
}

fn rebuild<R: Keyed>(
    table: &mut TableState,
    store: &Store<R>,
    revision: u64,
    scope_key: String,
    keep: impl Fn(&R, &str) -> bool,
    order: impl Fn(&R, &R) -> Ordering,
) {
    let fingerprint = (revision, table.filter.clone(), scope_key);
    if table.built_from.as_ref() == Some(&fingerprint) {
        return;
    }
    let needle = table.filter.to_lowercase();
    let mut rows: Vec<(usize, &R)> = store.iter().filter(|(_, r)| keep(r, &needle)).collect();
    rows.sort_by(|a, b| order(a.1, b.1));
    table.set_rows(rows.into_iter().map(|(slot, _)| slot).collect());
    table.built_from = Some(fingerprint);
}

/// The scope of a pods view: everything, one workload's pods, or one node's.
fn in_scope(p: &PodRow, scope: Option<&Scope>) -> bool {
    match scope {
        Some(Scope::Workload { namespace, name }) => {
            &p.namespace == namespace && p.workload.as_deref() == Some(name)
        }
        Some(Scope::Node(n)) => &p.node == n,
        None => true,
    }
}
