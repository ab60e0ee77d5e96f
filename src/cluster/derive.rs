//! The figures across pods (restarts and crashloops per workload, each workload's newest
//! container death, pods per node), computed in slices of the pods store: half a million pods
//! over ten clusters take ~150 ms in one pass, so a big store is walked SLICE slots per call
//! and the figures swapped in when the pass ends. No frame, and so no key, waits for all of it.

use std::collections::HashMap;

use super::rows::{LastExit, PodRow};
use super::store::Store;

/// Slots of the pods store walked per slice on a big store (~2.5 ms): a slice comes with a
/// frame, at most one per 30 ms (model.rs `SLICE_GAP`), so a pass over 500,000 pods ends in
/// 1.5 s while someone types and in ~12 s on an unattended console (4 frames a second).
pub const SLICE: usize = 10_000;

/// The figures, as last completed.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Figures {
    /// Restarts summed over each workload's pods, keyed by `workload_key`.
    pub restarts_by_workload: HashMap<String, u32>,
    /// Pods per node ("context/node").
    pub pods_by_node: HashMap<String, usize>,
    /// Each workload's newest container death among its pods (`workload_key`).
    pub last_exit_by_workload: HashMap<String, LastExit>,
    /// CrashLoopBackOff pods per workload (`workload_key`; absent: none).
    pub crashlooping_by_workload: HashMap<String, usize>,
}

/// A pass under way: the slot it has reached and what it has summed so far.
#[derive(Debug, Default)]
pub struct Pass {
    /// The pods' revision when the pass began: the figures are of that store, or newer.
    pub revision: u64,
    next: usize,
    figures: Figures,
    /// Reused for every pod's key: a String is made only for a workload or node first seen.
    key: String,
}

impl Pass {
    pub fn new(revision: u64) -> Pass {
        Pass {
            revision,
            ..Pass::default()
        }
    }

    /// Walks up to `slots` slots; the figures once the whole store has been walked.
    pub fn advance(&mut self, pods: &Store<PodRow>, slots: usize) -> Option<Figures> {
        let end = self.next.saturating_add(slots).min(pods.slot_count());
        for slot in self.next..end {
            if let Some(pod) = pods.get(slot) {
                self.add(pod);
            }
        }
        self.next = end;
        (end >= pods.slot_count()).then(|| std::mem::take(&mut self.figures))
    }

    fn add(&mut self, pod: &PodRow) {
        let f = &mut self.figures;
        if let Some(w) = &pod.workload {
            let key = &mut self.key;
            key.clear();
            for part in [pod.context.as_str(), "/", &pod.namespace, "/", w] {
                key.push_str(part);
            }
            bump(&mut f.restarts_by_workload, key, pod.restarts);
            if pod.status == "CrashLoopBackOff" {
                bump(&mut f.crashlooping_by_workload, key, 1);
            }
            if let Some(exit) = &pod.last_exit {
                let newer = f
                    .last_exit_by_workload
                    .get(key.as_str())
                    .is_none_or(|e| e.finished < exit.finished);
                if newer {
                    f.last_exit_by_workload.insert(key.clone(), exit.clone());
                }
            }
        }
        if !pod.node.is_empty() {
            let key = &mut self.key;
            key.clear();
            for part in [pod.context.as_str(), "/", &pod.node] {
                key.push_str(part);
            }
            bump(&mut f.pods_by_node, key, 1);
        }
    }
}

fn bump<N: std::ops::AddAssign + Default>(map: &mut HashMap<String, N>, key: &str, by: N) {
    match map.get_mut(key) {
        Some(n) => *n += by,
        None => {
            let mut n = N::default();
            n += by;
            map.insert(key.to_string(), n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::Health;

    fn pod(i: usize) -> PodRow {
        PodRow {
            context: if i.is_multiple_of(2) { "a" } else { "b" }.into(),
            namespace: "contentgen".into(),
            name: format!("p{i}"),
            workload: (!i.is_multiple_of(5)).then(|| format!("w{}", i % 7)),
            status: if i.is_multiple_of(3) {
                "CrashLoopBackOff"
            } else {
                "Running"
            }
            .into(),
            ready: 1,
            containers: 1,
            restarts: u32::try_from(i % 4).unwrap_or(0),
            last_restart: None,
            last_exit: i.is_multiple_of(6).then(|| LastExit {
                reason: "OOMKilled".into(),
                exit_code: 137,
                finished: Some(i64::try_from(i).unwrap_or(0)),
            }),
            node: format!("n{}", i % 3),
            ip: String::new(),
            created: 0,
            container_names: vec![],
            health: Health::Ok,
        }
    }

    #[test]
    fn a_pass_in_slices_sums_what_one_pass_sums() {
        let mut pods = Store::default();
        for i in 0..200 {
            pods.upsert(pod(i));
        }
        for i in (0..200).step_by(9) {
            pods.remove(&format!("a/contentgen/p{i}"));
            pods.remove(&format!("b/contentgen/p{i}"));
        }
        let whole = Pass::new(1).advance(&pods, usize::MAX).expect("one pass");
        let mut sliced = Pass::new(1);
        let mut calls = 1;
        let figures = loop {
            if let Some(f) = sliced.advance(&pods, 7) {
                break f;
            }
            calls += 1;
        };
        assert!(calls > 20, "walked in slices: {calls}");
        assert_eq!(figures, whole);
        assert_eq!(
            whole.restarts_by_workload.len(),
            14,
            "7 workloads in 2 contexts"
        );
        assert_eq!(whole.pods_by_node.len(), 6);
        assert!(whole.crashlooping_by_workload.values().all(|n| *n > 0));
        let newest = whole
            .last_exit_by_workload
            .values()
            .filter_map(|e| e.finished)
            .max();
        assert!(newest.is_some_and(|t| t >= 180), "{newest:?}");
    }
}
