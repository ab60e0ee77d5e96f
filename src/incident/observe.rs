//! The timeline that writes itself: what changed in the panes since the last look, as entries.
//! Each domain keeps what it saw last; the first look only learns (a console starting up is
//! not news), except for alerts, whose start Alertmanager says. Entries are kept 30 minutes
//! whether an incident is open or not, so one started now begins with what led to it.

use std::collections::{BTreeMap, VecDeque};

use serde_json::json;

use super::entry::{Entry, Kind, Link};
use crate::alerts::model::{AlertState, AlertsModel};
use crate::cluster::model::{ClusterModel, Resource};
use crate::cost::CostModel;
use crate::cost::model::BudgetState;
use crate::k8s::{ObjectKind, ObjectRef};
use crate::queues::model::Drain;
use crate::queues::model::QueueModel;
use crate::slo::math::AlertState as SloState;
use crate::slo::model::SloModel;
use crate::status::Health;

/// How long entries are kept before an incident starts.
pub const LOOKBACK_MS: i64 = 30 * 60_000;

/// Which domain a source message touched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Domain {
    Cluster,
    Alerts,
    Slo,
    Queues,
    Cost,
}

/// The models the observer reads (the cluster's derived figures are brought up to date).
pub struct Seen<'a> {
    pub cluster: &'a mut ClusterModel,
    /// The incident's context: only its cluster's rows are its news.
    pub context: &'a str,
    pub alerts: &'a AlertsModel,
    pub slo: &'a SloModel,
    pub queues: &'a QueueModel,
    pub cost: &'a CostModel,
}

#[derive(Debug, Default)]
pub struct Observer {
    alerts: Option<BTreeMap<String, (AlertState, String)>>,
    slos: Option<BTreeMap<String, SloState>>,
    queues: Option<BTreeMap<String, bool>>,
    budgets: Option<BTreeMap<String, BudgetState>>,
    /// namespace/name -> (revision, images).
    workloads: Option<BTreeMap<String, (String, Vec<String>)>>,
    /// namespace/name -> desired replicas.
    hpas: Option<BTreeMap<String, i32>>,
    nodes: Option<BTreeMap<String, bool>>,
    crashlooping: Option<BTreeMap<String, usize>>,
    /// The cluster stores' revisions at the last look: a pod's churn does not re-read the
    /// workloads, nodes or HPAs.
    revisions: BTreeMap<&'static str, u64>,
    /// When the cluster was last looked at (ms), and whether it had news since: ten busy
    /// clusters send thousands of updates a second, and the timeline's resolution is a second.
    cluster_looked_at: Option<i64>,
    cluster_pending: bool,
    /// What was seen in the last 30 minutes, oldest first.
    pub recent: VecDeque<Entry>,
}

/// `new` against what was seen (`old`): the entries for each key that changed, and the new
/// map; nothing on the first look (`old` None) unless `first` says so.
fn diff<V: PartialEq + Clone>(
    old: &Option<BTreeMap<String, V>>,
    new: &BTreeMap<String, V>,
    mut changed: impl FnMut(&str, Option<&V>, Option<&V>) -> Option<Entry>,
) -> Vec<Entry> {
    let Some(old) = old else {
        return vec![];
    };
    let mut out = vec![];
    for (k, v) in new {
        if old.get(k) != Some(v) {
            out.extend(changed(k, old.get(k), Some(v)));
        }
    }
    for (k, v) in old {
        if !new.contains_key(k) {
            out.extend(changed(k, Some(v), None));
        }
    }
    out
}

fn object(kind: ObjectKind, key: &str) -> Link {
    match key.split_once('/') {
        Some((ns, name)) => Link::object(&ObjectRef::namespaced(kind, ns, name)),
        None => Link::object(&ObjectRef::node(key)),
    }
}

impl Observer {
    /// Whether a cluster store moved since the last look at it (its revision is noted).
    fn moved(&mut self, store: &'static str, revision: u64) -> bool {
        self.revisions.insert(store, revision) != Some(revision)
    }

    /// Whether the cluster, with news at `now` (ms), is to be looked at now: once a second
    /// at most; news within the second is noted for the next tick (`cluster_pending`).
    pub fn cluster_due(&mut self, now: i64) -> bool {
        let due = self.cluster_looked_at.is_none_or(|t| now - t >= 1000);
        self.cluster_pending = !due;
        due
    }

    /// Whether the cluster had news that has not been looked at yet.
    pub fn cluster_pending(&self) -> bool {
        self.cluster_pending
    }

    /// Looks at `domain` in `panes` at `now` (ms); returns the new entries (also kept).
    pub fn observe(&mut self, seen: Seen, domain: Domain, now: i64) -> Vec<Entry> {
        if domain == Domain::Cluster {
            self.cluster_looked_at = Some(now);
            self.cluster_pending = false;
        }
        let entries = match domain {
            Domain::Alerts => self.alerts(seen.alerts, now),
            Domain::Slo => self.slos(seen.slo, now),
            Domain::Queues => self.queues(seen.queues, now),
            Domain::Cost => self.budgets(seen.cost, now),
            Domain::Cluster => {
                let ctx = seen.context;
                let mut e = self.workloads(seen.cluster, ctx, now);
                e.extend(self.hpas(seen.cluster, ctx, now));
                e.extend(self.nodes(seen.cluster, ctx, now));
                e.extend(self.crashloops(seen.cluster, ctx, now));
                e
            }
        };
        self.recent.extend(entries.iter().cloned());
        while self
            .recent
            .front()
            .is_some_and(|e| e.at < now - LOOKBACK_MS)
        {
            self.recent.pop_front();
        }
        entries
    }

    fn alerts(&mut self, model: &AlertsModel, now: i64) -> Vec<Entry> {
        if !model.load().is_live() {
            // A dead Alertmanager's alerts did not resolve.
            return vec![];
        }
        let seen: BTreeMap<String, (AlertState, String)> = model
            .unique()
            .map(|a| {
                let about = a.about.describe();
                let label = if about.is_empty() {
                    a.name().to_string()
                } else {
                    format!("{} ({about})", a.name())
                };
                ((format!("{:?}", a.labels)), (a.state, label))
            })
            .collect();
        let starts: BTreeMap<String, i64> = model
            .unique()
            .map(|a| (format!("{:?}", a.labels), a.starts_at * 1000))
            .collect();
        let first = self.alerts.is_none();
        let mut out = if first {
            // What fired in the last 30 minutes, at the time Alertmanager says it started.
            seen.iter()
                .filter(|(k, (s, _))| *s == AlertState::Firing && starts[*k] >= now - LOOKBACK_MS)
                .map(|(k, (_, label))| {
                    Entry::new(
                        Kind::AlertFired,
                        starts[k],
                        "alertmanager",
                        format!("{label} fired"),
                    )
                })
                .collect()
        } else {
            vec![]
        };
        out.extend(diff(&self.alerts, &seen, |k, old, new| {
            let at = |k: &str| starts.get(k).copied().unwrap_or(now).max(now - 60_000);
            let (kind, text, when) = match (old, new) {
                (None, Some((AlertState::Firing, l))) => {
                    (Kind::AlertFired, format!("{l} fired"), at(k))
                }
                (Some(_), None) => (Kind::AlertResolved, format!("{} resolved", old?.1), now),
                (Some((AlertState::Firing, _)), Some((AlertState::Silenced, l))) => {
                    (Kind::AlertSilenced, format!("{l} silenced"), now)
                }
                (Some((AlertState::Silenced, _)), Some((AlertState::Firing, l))) => (
                    Kind::AlertFired,
                    format!("{l} fires again (silence ended)"),
                    now,
                ),
                _ => return None,
            };
            let name = new.or(old)?.1.split(' ').next()?.to_string();
            Some(Entry::new(kind, when, "alertmanager", text).about(Link::Alert { name }))
        }));
        self.alerts = Some(seen);
        out
    }

    fn slos(&mut self, model: &SloModel, now: i64) -> Vec<Entry> {
        let seen: BTreeMap<String, SloState> = model
            .rows()
            .iter()
            .filter(|r| r.eval.state != SloState::NoData)
            .map(|r| (r.name.clone(), r.eval.state))
            .collect();
        let out = diff(&self.slos, &seen, |name, _, new| {
            let state = match new? {
                SloState::Page => "PAGE",
                SloState::Ticket => "TICKET",
                _ => "ok",
            };
            Some(
                Entry::new(Kind::Slo, now, "prometheus", format!("{name} is {state}"))
                    .about(Link::Slo {
                        name: name.to_string(),
                    })
                    .with(json!({"slo": name, "state": state})),
            )
        });
        self.slos = Some(seen);
        out
    }

    fn queues(&mut self, model: &QueueModel, now: i64) -> Vec<Entry> {
        let rows = model.rows();
        let seen: BTreeMap<String, bool> = rows
            .iter()
            .filter(|q| !matches!(q.drain, Drain::Unknown))
            .map(|q| (q.name.clone(), q.drain == Drain::Growing))
            .collect();
        let depth = |name: &str| rows.iter().find(|q| q.name == name).map_or(0, |q| q.depth);
        let out = diff(&self.queues, &seen, |name, old, new| {
            let link = Link::Queue {
                name: name.to_string(),
            };
            match (old, new) {
                (_, Some(true)) => Some(
                    Entry::new(
                        Kind::QueueGrowing,
                        now,
                        "broker",
                        format!("{name} growing ({} waiting)", depth(name)),
                    )
                    .about(link),
                ),
                (Some(true), Some(false)) => Some(
                    Entry::new(
                        Kind::QueueDrained,
                        now,
                        "broker",
                        format!("{name} draining ({} waiting)", depth(name)),
                    )
                    .about(link),
                ),
                _ => None,
            }
        });
        self.queues = Some(seen);
        out
    }

    fn budgets(&mut self, model: &CostModel, now: i64) -> Vec<Entry> {
        let seen: BTreeMap<String, BudgetState> = model
            .budgets()
            .iter()
            .filter(|b| b.state != BudgetState::Unknown)
            .map(|b| (b.label.clone(), b.state))
            .collect();
        let out = diff(&self.budgets, &seen, |label, _, new| {
            let state = match new? {
                BudgetState::Over => "OVER",
                BudgetState::Warning => "WARN (projected over)",
                _ => "ok",
            };
            Some(Entry::new(
                Kind::Budget,
                now,
                "prometheus",
                format!("budget {label} {state}"),
            ))
        });
        self.budgets = Some(seen);
        out
    }

    fn workloads(&mut self, model: &ClusterModel, ctx: &str, now: i64) -> Vec<Entry> {
        // Learn from a listed resource only; a stale one says nothing new.
        if !model
            .load_state(&[Resource::Deployments, Resource::StatefulSets])
            .is_live()
        {
            return vec![];
        }
        if !self.moved("workloads", model.workloads.revision) && self.workloads.is_some() {
            return vec![];
        }
        let seen: BTreeMap<String, (String, Vec<String>)> = model
            .workloads
            .iter()
            .filter(|(_, w)| w.context.as_str() == ctx)
            .map(|(_, w)| {
                (
                    format!("{}/{}", w.namespace, w.name),
                    (w.revision.clone(), w.images.clone()),
                )
            })
            .collect();
        let kinds: BTreeMap<String, ObjectKind> = model
            .workloads
            .iter()
            .filter(|(_, w)| w.context.as_str() == ctx)
            .map(|(_, w)| (format!("{}/{}", w.namespace, w.name), w.kind.into()))
            .collect();
        let out = diff(&self.workloads, &seen, |key, old, new| {
            let ((rev0, img0), (rev1, img1)) = (old?, new?);
            if rev0 == rev1 {
                return None;
            }
            let images = if img0 == img1 {
                format!("image {}", img1.join(","))
            } else {
                format!("image {} -> {}", img0.join(","), img1.join(","))
            };
            Some(
                Entry::new(
                    Kind::Rollout,
                    now,
                    "kubernetes",
                    format!("{key}: revision {rev0} -> {rev1}, {images}"),
                )
                .about(object(kinds.get(key).copied()?, key))
                .with(json!({"before": img0, "after": img1})),
            )
        });
        self.workloads = Some(seen);
        out
    }

    fn hpas(&mut self, model: &ClusterModel, ctx: &str, now: i64) -> Vec<Entry> {
        // Learn from a listed resource only; a stale one says nothing new.
        if !model.load_state_in(ctx, &[Resource::Hpas]).is_live() {
            return vec![];
        }
        if !self.moved("hpas", model.hpas.revision) && self.hpas.is_some() {
            return vec![];
        }
        let rows = &model.hpas;
        let seen: BTreeMap<String, i32> = rows
            .iter()
            .filter(|(_, h)| h.context.as_str() == ctx)
            .map(|(_, h)| (format!("{}/{}", h.namespace, h.name), h.desired))
            .collect();
        let out = diff(&self.hpas, &seen, |key, old, new| {
            let (a, b) = (old?, new?);
            Some(
                Entry::new(
                    Kind::Scaling,
                    now,
                    "kubernetes",
                    format!("HPA {key}: desired replicas {a} -> {b}"),
                )
                .about(object(ObjectKind::Hpa, key)),
            )
        });
        self.hpas = Some(seen);
        out
    }

    fn nodes(&mut self, model: &ClusterModel, ctx: &str, now: i64) -> Vec<Entry> {
        // Learn from a listed resource only; a stale one says nothing new.
        if !model.load_state_in(ctx, &[Resource::Nodes]).is_live() {
            return vec![];
        }
        if !self.moved("nodes", model.nodes.revision) && self.nodes.is_some() {
            return vec![];
        }
        let seen: BTreeMap<String, bool> = model
            .nodes
            .iter()
            .filter(|(_, n)| n.context.as_str() == ctx)
            .map(|(_, n)| (n.name.clone(), n.health == Health::Ok))
            .collect();
        let out = diff(&self.nodes, &seen, |name, old, new| {
            let (kind, text) = match (old, new?) {
                // A node joining Ready is not news.
                (None, true) => return None,
                (_, true) => (Kind::NodeReady, format!("node {name} Ready again")),
                (_, false) => (Kind::NodeNotReady, format!("node {name} NotReady")),
            };
            Some(Entry::new(kind, now, "kubernetes", text).about(object(ObjectKind::Node, name)))
        });
        self.nodes = Some(seen);
        out
    }

    fn crashloops(&mut self, model: &mut ClusterModel, ctx: &str, now: i64) -> Vec<Entry> {
        // Learn from a listed resource only; a stale one says nothing new.
        if !model.load_state_in(ctx, &[Resource::Pods]).is_live() {
            return vec![];
        }
        if !self.moved("derived", model.figures.revision) && self.crashlooping.is_some() {
            return vec![];
        }
        // Derived figures are keyed "context/namespace/name": this context's, by "ns/name".
        let prefix = format!("{ctx}/");
        let seen: BTreeMap<String, usize> = model
            .figures
            .crashlooping_by_workload
            .iter()
            .filter_map(|(k, v)| Some((k.strip_prefix(&prefix)?.to_string(), *v)))
            .collect();
        let exits = &model.figures.last_exit_by_workload;
        let kind_of = |key: &str| {
            model
                .workloads
                .iter()
                .find(|(_, w)| {
                    w.context.as_str() == ctx && format!("{}/{}", w.namespace, w.name) == key
                })
                .map_or(ObjectKind::Deployment, |(_, w)| w.kind.into())
        };
        let out = diff(&self.crashlooping, &seen, |key, old, new| {
            // News when a workload starts crashlooping, not each restart after.
            if old.is_some() || new.is_none() {
                return None;
            }
            let why = exits
                .get(&format!("{prefix}{key}"))
                .map_or_else(String::new, |e| {
                    format!(": {} (exit {})", e.reason, e.exit_code)
                });
            Some(
                Entry::new(
                    Kind::Crashloop,
                    now,
                    "kubernetes",
                    format!("{key} pods crashlooping{why}"),
                )
                .about(object(kind_of(key), key)),
            )
        });
        self.crashlooping = Some(seen);
        out
    }
}
