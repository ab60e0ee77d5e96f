//! The figures across pods (restarts and crashloops per workload, each workload's newest
//! container death, pods per node), kept as pods come and go: each row applied is taken out
//! of the figures as it was and put back as it is. A frame reads them and never walks the
//! pods: a whole walk cost ~1 ms per 10,000 pods in every frame while pods churned, and ~150 ms
//! over half a million.

use std::collections::{BTreeMap, HashMap};
use std::ops::{Add, Sub};

use super::rows::{LastExit, PodRow};

/// The figures of the pods the store holds.
#[derive(Debug, Default, Clone)]
pub struct Figures {
    /// Restarts summed over each workload's pods, keyed by `workload_key` (present while the
    /// workload has pods, even at 0).
    pub restarts_by_workload: HashMap<String, u32>,
    /// Pods per node ("context/node"; absent: none).
    pub pods_by_node: HashMap<String, usize>,
    /// Each workload's newest container death among its pods (`workload_key`).
    pub last_exit_by_workload: HashMap<String, LastExit>,
    /// CrashLoopBackOff pods per workload (`workload_key`; absent: none).
    pub crashlooping_by_workload: HashMap<String, usize>,
    /// Moves when `last_exit_by_workload` changes (the overview's order follows it).
    pub exits_revision: u64,
    /// Moves on every change: a reader looks again only when it moved.
    pub revision: u64,
    /// Pods per workload: its restarts entry goes with its last pod.
    pods_by_workload: HashMap<String, usize>,
    /// Every death among each workload's pods, by (finished, pod name): when the pod of the
    /// newest goes, the next newest is at hand.
    deaths: HashMap<String, BTreeMap<(Option<i64>, String), LastExit>>,
    /// Reused for every pod's key: a String is made only for a workload or node first seen.
    key: String,
}

impl Figures {
    /// The figures of `pods`, counted from nothing.
    pub fn of<'a>(pods: impl IntoIterator<Item = &'a PodRow>) -> Figures {
        let mut figures = Figures::default();
        for pod in pods {
            figures.add(pod);
        }
        figures
    }

    /// A pod is in the store now (new, or as it is after an update).
    pub fn add(&mut self, pod: &PodRow) {
        self.count(pod, true);
    }

    /// A pod is no longer in the store as it was (gone, or about to be updated).
    pub fn remove(&mut self, pod: &PodRow) {
        self.count(pod, false);
    }

    /// Every pod gone at once (the watched namespaces changed).
    pub fn clear(&mut self) {
        *self = Figures {
            exits_revision: self.exits_revision + 1,
            revision: self.revision + 1,
            ..Figures::default()
        };
    }

    fn count(&mut self, pod: &PodRow, adding: bool) {
        self.revision += 1;
        let Figures {
            restarts_by_workload,
            pods_by_node,
            last_exit_by_workload,
            crashlooping_by_workload,
            exits_revision,
            pods_by_workload,
            deaths,
            key,
            ..
        } = self;
        if let Some(w) = &pod.workload {
            key.clear();
            for part in [pod.context.as_str(), "/", &pod.namespace, "/", w] {
                key.push_str(part);
            }
            let key = key.as_str();
            if step(pods_by_workload, key, 1, adding) == 0 {
                restarts_by_workload.remove(key);
            } else {
                change(restarts_by_workload, key, pod.restarts, adding);
            }
            if pod.status == "CrashLoopBackOff" {
                step(crashlooping_by_workload, key, 1, adding);
            }
            if let Some(exit) = &pod.last_exit {
                let of_workload = match deaths.get_mut(key) {
                    Some(d) => d,
                    None => deaths.entry(key.to_string()).or_default(),
                };
                let at = (exit.finished, pod.name.clone());
                if adding {
                    of_workload.insert(at, exit.clone());
                } else {
                    of_workload.remove(&at);
                }
                let newest = of_workload.last_key_value().map(|(_, e)| e);
                if newest != last_exit_by_workload.get(key) {
                    match newest {
                        Some(e) => last_exit_by_workload.insert(key.to_string(), e.clone()),
                        None => last_exit_by_workload.remove(key),
                    };
                    *exits_revision += 1;
                }
                if of_workload.is_empty() {
                    deaths.remove(key);
                }
            }
        }
        if !pod.node.is_empty() {
            key.clear();
            for part in [pod.context.as_str(), "/", &pod.node] {
                key.push_str(part);
            }
            step(pods_by_node, key, 1, adding);
        }
    }
}

/// Adds `by` to (or takes it from) `key`'s count, which goes when it reaches zero; the count
/// after.
fn step<N>(map: &mut HashMap<String, N>, key: &str, by: N, adding: bool) -> N
where
    N: Copy + Default + PartialOrd + Add<Output = N> + Sub<Output = N>,
{
    let now = change(map, key, by, adding);
    if now == N::default() {
        map.remove(key);
    }
    now
}

/// Adds `by` to (or takes it from) `key`'s count, which stays at zero (a workload's restarts
/// are said while it has pods).
fn change<N>(map: &mut HashMap<String, N>, key: &str, by: N, adding: bool) -> N
where
    N: Copy + Default + PartialOrd + Add<Output = N> + Sub<Output = N>,
{
    let zero = N::default();
    match map.get_mut(key) {
        Some(n) => {
            *n = match adding {
                true => *n + by,
                false if *n > by => *n - by,
                false => zero,
            };
            *n
        }
        None if adding => {
            map.insert(key.to_string(), by);
            by
        }
        None => zero,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::store::Store;
    use crate::status::Health;

    fn pod(i: usize, version: usize) -> PodRow {
        PodRow {
            context: if i.is_multiple_of(2) { "a" } else { "b" }.into(),
            namespace: "contentgen".into(),
            name: format!("p{i}"),
            workload: (!i.is_multiple_of(5)).then(|| format!("w{}", i % 7)),
            status: if (i + version).is_multiple_of(3) {
                "CrashLoopBackOff"
            } else {
                "Running"
            }
            .into(),
            ready: 1,
            containers: 1,
            restarts: u32::try_from((i + version) % 4).unwrap_or(0),
            last_restart: None,
            last_exit: (i + version).is_multiple_of(6).then(|| LastExit {
                reason: if version.is_multiple_of(2) {
                    "OOMKilled"
                } else {
                    "Error"
                }
                .into(),
                exit_code: 137,
                finished: Some(i64::try_from(i + 10 * version).unwrap_or(0)),
            }),
            node: format!("n{}", (i + version) % 3),
            ip: String::new(),
            created: 0,
            container_names: vec![],
            health: Health::Ok,
        }
    }

    fn same(kept: &Figures, counted: &Figures) {
        assert_eq!(kept.restarts_by_workload, counted.restarts_by_workload);
        assert_eq!(kept.pods_by_node, counted.pods_by_node);
        assert_eq!(kept.last_exit_by_workload, counted.last_exit_by_workload);
        assert_eq!(
            kept.crashlooping_by_workload,
            counted.crashlooping_by_workload
        );
    }

    /// Pods added, updated (each update changes restarts, status, node and death) and
    /// removed in a churning order: the figures kept equal the figures counted afresh.
    #[test]
    fn figures_kept_through_churn_equal_figures_counted_afresh() {
        let mut pods: Store<PodRow> = Store::default();
        let mut kept = Figures::default();
        let mut rng = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            usize::try_from(rng % 1_000).unwrap_or(0)
        };
        for round in 0..5_000 {
            let (i, version) = (next() % 120, next() % 4);
            let name = pod(i, 0).key_in_store();
            if next() < 300 {
                if let Some(gone) = pods.remove(&name) {
                    kept.remove(&gone);
                }
            } else {
                let (slot, old) = pods.replace(pod(i, version));
                if let Some(old) = old {
                    kept.remove(&old);
                }
                kept.add(pods.get(slot).expect("just put"));
            }
            if round % 500 == 0 {
                same(&kept, &Figures::of(pods.iter().map(|(_, p)| p)));
            }
        }
        let counted = Figures::of(pods.iter().map(|(_, p)| p));
        same(&kept, &counted);
        assert!(counted.last_exit_by_workload.len() > 5, "{counted:?}");
        assert!(counted.crashlooping_by_workload.values().all(|n| *n > 0));
        assert!(counted.pods_by_node.values().all(|n| *n > 0));
    }

    #[test]
    fn the_next_newest_death_takes_over_when_its_pod_goes() {
        let mut figures = Figures::default();
        let (older, newer) = (pod(6, 0), pod(48, 0));
        assert_eq!(older.workload, newer.workload, "one workload");
        figures.add(&older);
        figures.add(&newer);
        let key = "a/contentgen/w6";
        let finished = |f: &Figures| f.last_exit_by_workload.get(key).and_then(|e| e.finished);
        assert_eq!(finished(&figures), Some(48));
        let before = figures.exits_revision;
        figures.remove(&newer);
        assert_eq!(finished(&figures), Some(6));
        assert!(figures.exits_revision > before);
        figures.remove(&older);
        assert_eq!(finished(&figures), None);
        assert!(figures.restarts_by_workload.is_empty(), "{figures:?}");
        assert!(figures.pods_by_node.is_empty(), "{figures:?}");
    }

    impl PodRow {
        fn key_in_store(&self) -> String {
            use crate::cluster::store::Keyed;
            self.key()
        }
    }
}
