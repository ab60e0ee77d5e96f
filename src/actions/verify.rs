//! Verification after a Kubernetes write: wait for the rollout (or the new size) with progress,
//! and on timeout name the pods that hold it back and why.

use std::time::{Duration, Instant};

use kube::Client;
use serde_json::Value;
use tokio::sync::mpsc::Sender;

use super::executor::{ActionError, Progress};
use super::kube::{get, object_path, pods_of};
use super::{WorkloadKind, WorkloadRef};

const POLL: Duration = Duration::from_millis(500);

fn int(v: &Value, p: &str) -> i32 {
    v.pointer(p)
        .and_then(Value::as_i64)
        .and_then(|n| i32::try_from(n).ok())
        .unwrap_or(0)
}

/// Rollout counts of a workload's status.
pub fn counts(obj: &Value) -> Progress {
    Progress::Rollout {
        updated: int(obj, "/status/updatedReplicas"),
        ready: int(obj, "/status/readyReplicas"),
        available: int(obj, "/status/availableReplicas"),
        desired: obj
            .pointer("/spec/replicas")
            .and_then(Value::as_i64)
            .and_then(|n| i32::try_from(n).ok())
            .unwrap_or(1),
    }
}

/// `kubectl rollout status`'s rule: Some(reason) while waiting, None when complete.
pub fn rollout_waiting(kind: WorkloadKind, obj: &Value) -> Option<String> {
    let generation = obj
        .pointer("/metadata/generation")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let observed = obj
        .pointer("/status/observedGeneration")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    if observed < generation {
        return Some("waiting for the controller to observe the new spec".into());
    }
    let desired = int(obj, "/spec/replicas");
    let updated = int(obj, "/status/updatedReplicas");
    let ready = int(obj, "/status/readyReplicas");
    if kind == WorkloadKind::StatefulSet {
        let (cur, upd) = (
            obj.pointer("/status/currentRevision"),
            obj.pointer("/status/updateRevision"),
        );
        if ready < desired || (upd.is_some() && cur != upd) {
            return Some(format!(
                "{ready} of {desired} pods ready on the new revision"
            ));
        }
        return None;
    }
    let total = int(obj, "/status/replicas");
    let available = int(obj, "/status/availableReplicas");
    if updated < desired {
        Some(format!(
            "{updated} out of {desired} new replicas have been updated"
        ))
    } else if total > updated {
        Some(format!(
            "{} old replicas are pending termination",
            total - updated
        ))
    } else if available < updated {
        Some(format!(
            "{available} of {updated} updated replicas are available"
        ))
    } else {
        None
    }
}

/// What the verification waits for.
#[derive(Clone, Copy, Debug)]
pub enum Goal {
    RolloutComplete,
    ReadyReplicas(i32),
    Paused(bool),
}

/// Polls until the goal holds or `timeout` passes.
pub async fn wait(
    client: &Client,
    w: &WorkloadRef,
    goal: Goal,
    timeout: Duration,
    progress: &Sender<Progress>,
) -> Result<String, ActionError> {
    let deadline = Instant::now() + timeout;
    let mut last: Option<Progress> = None;
    loop {
        let obj = get(client, &object_path(w)).await?;
        let now = counts(&obj);
        if last.as_ref() != Some(&now) {
            let _ = progress.send(now.clone()).await;
            last = Some(now);
        }
        let waiting = match goal {
            Goal::RolloutComplete => rollout_waiting(w.kind, &obj),
            Goal::ReadyReplicas(n) => {
                let (ready, total) = (
                    int(&obj, "/status/readyReplicas"),
                    int(&obj, "/status/replicas"),
                );
                (ready != n || total != n)
                    .then(|| format!("{ready} of {n} replicas ready ({total} exist)"))
            }
            Goal::Paused(p) => (obj
                .pointer("/spec/paused")
                .and_then(Value::as_bool)
                .unwrap_or(false)
                != p)
                .then(|| format!("spec.paused is not {p} yet")),
        };
        let Some(why) = waiting else {
            return Ok(match goal {
                Goal::RolloutComplete => format!("{} successfully rolled out", w.describe()),
                Goal::ReadyReplicas(n) => format!("{} has {n} ready replicas", w.describe()),
                Goal::Paused(p) => format!("{} spec.paused = {p}", w.describe()),
            });
        };
        if Instant::now() >= deadline {
            let pods = failing_pods(client, w, &obj).await;
            return Err(ActionError::Verify(format!(
                "{} not done after {}s: {why}{}",
                w.describe(),
                timeout.as_secs(),
                if pods.is_empty() {
                    String::new()
                } else {
                    format!("; {pods}")
                }
            )));
        }
        tokio::time::sleep(POLL).await;
    }
}

/// "pod x: CrashLoopBackOff (last: OOMKilled)" for every pod that is not ready.
async fn failing_pods(client: &Client, w: &WorkloadRef, obj: &Value) -> String {
    let Ok(pods) = pods_of(client, w, obj).await else {
        return String::new();
    };
    pods.iter()
        .filter_map(pod_problem)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Why a pod is not ready, or None when it is.
pub fn pod_problem(pod: &Value) -> Option<String> {
    let name = pod
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("?");
    let ready = pod
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|cs| {
            cs.iter()
                .any(|c| c["type"] == "Ready" && c["status"] == "True")
        });
    if ready {
        return None;
    }
    let mut reasons = vec![];
    for cs in pod
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(r) = cs.pointer("/state/waiting/reason").and_then(Value::as_str) {
            reasons.push(r.to_string());
        }
        if let Some(r) = cs
            .pointer("/state/terminated/reason")
            .and_then(Value::as_str)
        {
            reasons.push(r.to_string());
        }
        if let Some(r) = cs
            .pointer("/lastState/terminated/reason")
            .and_then(Value::as_str)
        {
            reasons.push(format!("last: {r}"));
        }
    }
    let restarts: i64 = pod
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array)
        .map_or(0, |cs| {
            cs.iter().filter_map(|c| c["restartCount"].as_i64()).sum()
        });
    if restarts > 0 {
        reasons.push(format!("{restarts} restarts"));
    }
    if reasons.is_empty() {
        let phase = pod
            .pointer("/status/phase")
            .and_then(Value::as_str)
            .unwrap_or("Unknown");
        reasons.push(format!("{phase}, not ready"));
    }
    Some(format!("pod {name}: {}", reasons.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rollout_rule_matches_kubectl() {
        let d = |generation: i64, obs: i64, upd: i64, total: i64, avail: i64| json!({"metadata": {"generation": generation}, "spec": {"replicas": 3}, "status": {"observedGeneration": obs, "updatedReplicas": upd, "replicas": total, "availableReplicas": avail, "readyReplicas": avail}});
        assert!(rollout_waiting(WorkloadKind::Deployment, &d(2, 1, 3, 3, 3)).is_some());
        assert!(
            rollout_waiting(WorkloadKind::Deployment, &d(2, 2, 1, 4, 3))
                .is_some_and(|w| w.contains("1 out of 3"))
        );
        assert!(
            rollout_waiting(WorkloadKind::Deployment, &d(2, 2, 3, 4, 3))
                .is_some_and(|w| w.contains("pending termination"))
        );
        assert_eq!(
            rollout_waiting(WorkloadKind::Deployment, &d(2, 2, 3, 3, 3)),
            None
        );
    }

    #[test]
    fn pod_problems_name_the_reason() {
        let pod = json!({"metadata": {"name": "fact-checker-1"}, "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "False"}], "containerStatuses": [{"state": {"waiting": {"reason": "CrashLoopBackOff"}}, "lastState": {"terminated": {"reason": "OOMKilled"}}}]}});
        assert_eq!(
            pod_problem(&pod).as_deref(),
            Some("pod fact-checker-1: CrashLoopBackOff, last: OOMKilled")
        );
    }
}
