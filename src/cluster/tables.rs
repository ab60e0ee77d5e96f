//! Which rows each cluster table shows, and in which order: the table's filter, the pods
//! view's scope, each view's sort. A table is rebuilt only when its store's rows, its filter or
//! its scope changed since the last build.

use std::cmp::{Ordering, Reverse};

use super::model::ClusterModel;
use super::rows::{PodRow, WorkloadRow};
use super::store::{Keyed, Store};
use crate::k8s::context::{ContextName, workload_key};
use crate::ui::pane::Scope;
use crate::ui::table_state::{TableState, matches};

/// What the tables read: the rows, and the contexts shown (empty: all).
#[derive(Clone, Copy)]
pub struct Showing<'a> {
    pub model: &'a ClusterModel,
    pub contexts: &'a [ContextName],
}

impl Showing<'_> {
    fn shows(&self, context: &ContextName) -> bool {
        self.contexts.is_empty() || self.contexts.contains(context)
    }

    /// Part of every table's fingerprint: a change of `:ctx` rebuilds it.
    fn label(&self) -> String {
        let names: Vec<&str> = self.contexts.iter().map(|c| c.as_str()).collect();
        names.join(",")
    }
}

/// The overview's workloads: worst first, across every context shown; among equals, the one
/// whose pods died last (an OOMKill a minute ago before a healthy neighbour).
pub fn overview(table: &mut TableState, s: Showing) {
    let c = s.model;
    // Each row's sort key is made once (a death's lookup builds its workload's key): rows
    // change many times a second while ten clusters sync, and 5,000 workloads sorted with
    // the lookup inside the comparison took 10-30 ms a frame.
    let died = |w: &WorkloadRow| {
        c.figures
            .last_exit_by_workload
            .get(&workload_key(&w.context, &w.namespace, &w.name))
            .map(|e| e.finished.unwrap_or(0))
    };
    rebuild_sorted(
        table,
        &c.workloads,
        c.workloads.revision,
        format!("exits {} {}", c.figures.exits_revision, s.label()),
        |w, f| s.shows(&w.context) && (matches(&w.name, f) || matches(&w.namespace, f)),
        |rows| {
            rows.sort_by_cached_key(|(_, w)| {
                (
                    Reverse(w.health),
                    Reverse(died(w)),
                    (&w.namespace, &w.name, &w.context),
                )
            })
        },
    );
}

pub fn workloads(table: &mut TableState, s: Showing) {
    let c = s.model;
    rebuild(
        table,
        &c.workloads,
        c.workloads.membership,
        s.label(),
        |w, f| {
            s.shows(&w.context)
                && (matches(&w.name, f)
                    || matches(&w.namespace, f)
                    || matches(&w.context, f)
                    || matches(w.rollout.label().as_str(), f))
        },
        |a, b| {
            (&a.namespace, a.kind, &a.name, &a.context).cmp(&(
                &b.namespace,
                b.kind,
                &b.name,
                &b.context,
            ))
        },
    );
}

/// Filtering by status follows every change; unfiltered, only pods coming and going matter.
pub fn pods(table: &mut TableState, s: Showing, scope: Option<&Scope>) {
    let c = s.model;
    let scope_key = format!(
        "{} {} {}",
        scope.map(|s| s.context().as_str()).unwrap_or_default(),
        scope.map(Scope::label).unwrap_or_default(),
        s.label()
    );
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
            s.shows(&p.context)
                && in_scope(p, scope)
                && (matches(&p.name, f)
                    || matches(&p.context, f)
                    || matches(&p.status, f)
                    || matches(&p.node, f)
                    || matches(&p.namespace, f)
                    || p.last_exit.as_ref().is_some_and(|e| matches(&e.reason, f)))
        },
        |a, b| (&a.namespace, &a.name, &a.context).cmp(&(&b.namespace, &b.name, &b.context)),
    );
}

pub fn nodes(table: &mut TableState, s: Showing) {
    let c = s.model;
    rebuild(
        table,
        &c.nodes,
        c.nodes.membership,
        s.label(),
        |n, f| {
            s.shows(&n.context)
                && (matches(&n.name, f) || matches(&n.status, f) || matches(&n.context, f))
        },
        |a, b| (&a.context, &a.name).cmp(&(&b.context, &b.name)),
    );
}

pub fn hpas(table: &mut TableState, s: Showing) {
    let c = s.model;
    rebuild(
        table,
        &c.hpas,
        c.hpas.membership,
        s.label(),
        |h, f| {
            s.shows(&h.context)
                && (matches(&h.name, f) || matches(&h.namespace, f) || matches(&h.context, f))
        },
        |a, b| (&a.namespace, &a.name, &a.context).cmp(&(&b.namespace, &b.name, &b.context)),
    );
}

/// Warning events: newest first.
pub fn events(table: &mut TableState, s: Showing) {
    let c = s.model;
    rebuild(
        table,
        &c.events,
        c.events.revision,
        s.label(),
        |e, f| {
            s.shows(&e.context)
                && (matches(&e.reason, f)
                    || matches(&e.object, f)
                    || matches(&e.message, f)
                    || matches(&e.context, f))
        },
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
    let sort = |rows: &mut Vec<(usize, &R)>| rows.sort_by(|a, b| order(a.1, b.1));
    rebuild_sorted(table, store, revision, scope_key, keep, sort);
}

/// `rebuild`, with the kept rows put in order by `sort` (for keys costly to compute).
fn rebuild_sorted<'a, R: Keyed>(
    table: &mut TableState,
    store: &'a Store<R>,
    revision: u64,
    scope_key: String,
    keep: impl Fn(&R, &str) -> bool,
    sort: impl FnOnce(&mut Vec<(usize, &'a R)>),
) {
    let fingerprint = (revision, table.filter.clone(), scope_key);
    if table.built_from.as_ref() == Some(&fingerprint) {
        return;
    }
    let needle = table.filter.to_lowercase();
    let mut rows: Vec<(usize, &R)> = store.iter().filter(|(_, r)| keep(r, &needle)).collect();
    sort(&mut rows);
    table.set_rows(rows.into_iter().map(|(slot, _)| slot).collect());
    table.built_from = Some(fingerprint);
}

/// The scope of a pods view: everything, one workload's pods, or one node's.
/// A scope without a context (asked by who cannot know) holds every context's.
fn in_scope(p: &PodRow, scope: Option<&Scope>) -> bool {
    let here = |c: &ContextName| c.is_empty() || *c == p.context;
    match scope {
        Some(Scope::Workload {
            context,
            namespace,
            name,
        }) => here(context) && &p.namespace == namespace && p.workload.as_deref() == Some(name),
        Some(Scope::Node { context, name }) => here(context) && &p.node == name,
        None => true,
    }
}
