//! Verification after a write: poll until the change shows, with progress. A rollout is
//! judged by kubectl's rules (`k8s::rollout`); a paused or stalled one fails at once in
//! kubectl's words; a timeout names the pods that hold it back and why.

use std::future::Future;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::mpsc::Sender;

use super::error::{ActionError, Progress};
use super::kube::{get_workload, hpa_of, pods_of};
use super::target::WorkloadRef;
use super::verb::Cx;
use crate::k8s::rollout::{self, Rollout};

const POLL: Duration = Duration::from_millis(500);

fn int(v: &Value, p: &str) -> i32 {
    v.pointer(p)
        .and_then(Value::as_i64)
        .and_then(|n| i32::try_from(n).ok())
        .unwrap_or(0)
}

/// `spec.replicas`: what the controller is asked for now (the API defaults it to 1).
fn wanted(obj: &Value) -> i32 {
    obj.pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .and_then(|n| i32::try_from(n).ok())
        .unwrap_or(1)
}

/// Rollout counts of a workload's status.
pub fn counts(obj: &Value) -> Progress {
    Progress::Rollout {
        updated: int(obj, "/status/updatedReplicas"),
        ready: int(obj, "/status/readyReplicas"),
        available: int(obj, "/status/availableReplicas"),
        desired: wanted(obj),
    }
}

/// Polls `check` (done, what was seen) until it is done or `timeout` passes.
pub async fn poll<F, Fut>(timeout: Duration, mut check: F) -> Result<String, ActionError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(bool, String), ActionError>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        let (done, seen) = check().await?;
        if done {
            return Ok(seen);
        }
        if Instant::now() >= deadline {
            return Err(ActionError::Verify(format!(
                "not confirmed after {}s: {seen}",
                timeout.as_secs()
            )));
        }
        tokio::time::sleep(POLL).await;
    }
}

/// What one look at the workload says.
enum Look {
    Done(String),
    Waiting(String),
}

/// Re-reads the workload every half second, reporting its counts, until `look` says done, it
/// fails, or the timeout passes (then the failing pods are named).
async fn watch_workload(
    cx: &Cx<'_>,
    w: &WorkloadRef,
    progress: &Sender<Progress>,
    mut look: impl FnMut(&Value) -> Result<Look, ActionError>,
) -> Result<String, ActionError> {
    let _ = progress
        .send(Progress::Message(format!("waiting for {}", w.describe())))
        .await;
    let deadline = Instant::now() + cx.verify_timeout;
    let mut last: Option<Progress> = None;
    loop {
        let obj = get_workload(cx.client, w).await?;
        let now = counts(&obj);
        if last.as_ref() != Some(&now) {
            let _ = progress.send(now.clone()).await;
            last = Some(now);
        }
        let why = match look(&obj)? {
            Look::Done(summary) => return Ok(summary),
            Look::Waiting(why) => why,
        };
        if Instant::now() >= deadline {
            let pods = failing_pods(cx.client, w, &obj).await;
            return Err(ActionError::Verify(format!(
                "{} not done after {}s: {why}{}",
                w.describe(),
                cx.verify_timeout.as_secs(),
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

/// Waits for the rollout to complete; a paused or stalled one will not, and fails at once.
pub async fn wait_rollout(
    cx: &Cx<'_>,
    w: &WorkloadRef,
    progress: &Sender<Progress>,
) -> Result<String, ActionError> {
    watch_workload(cx, w, progress, |obj| {
        let state = rollout::of_json(w.kind, obj).map_err(ActionError::Api)?;
        let message = state.message(w.kind, &w.name);
        match state {
            Rollout::Complete => Ok(Look::Done(message)),
            s if s.is_stuck() => Err(ActionError::Verify(message)),
            _ => Ok(Look::Waiting(message)),
        }
    })
    .await
}

/// After a scale: done when the replicas the controller wants now are all there and ready.
/// An autoscaler may have moved the count since the write; that is said, not failed. (No
/// rollout rule here: a scale does not clear a stalled rollout's condition, and scaling a
/// crash-looping Deployment to 0 is a fix that must verify.)
pub async fn wait_replicas(
    cx: &Cx<'_>,
    w: &WorkloadRef,
    asked: i32,
    progress: &Sender<Progress>,
) -> Result<String, ActionError> {
    // Who moves replicas behind an operator's back is nearly always an HPA: name it up front.
    let moved_by = hpa_of(cx.client, w).await.ok().flatten().map_or_else(
        || "something else".to_string(),
        |h| format!("HPA {}/{}", h.namespace, h.name),
    );
    watch_workload(cx, w, progress, |obj| {
        let want = wanted(obj);
        let note = if want == asked {
            String::new()
        } else {
            format!(" (asked {asked}; {moved_by} set it to {want})")
        };
        let (ready, total) = (
            int(obj, "/status/readyReplicas"),
            int(obj, "/status/replicas"),
        );
        Ok(if ready == want && total == want {
            Look::Done(format!("{} has {want} ready replicas{note}", w.describe()))
        } else {
            Look::Waiting(format!(
                "{ready} of {want} replicas ready ({total} exist){note}"
            ))
        })
    })
    .await
}

/// After pause-rollout: `spec.paused` reads true.
pub async fn wait_paused(
    cx: &Cx<'_>,
    w: &WorkloadRef,
    progress: &Sender<Progress>,
) -> Result<String, ActionError> {
    watch_workload(cx, w, progress, |obj| {
        let paused = obj
            .pointer("/spec/paused")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        Ok(if paused {
            Look::Done(format!("{} spec.paused = true", w.describe()))
        } else {
            Look::Waiting("spec.paused is not true yet".into())
        })
    })
    .await
}

/// "pod x: CrashLoopBackOff (last: OOMKilled)" for every pod that is not ready.
async fn failing_pods(client: &kube::Client, w: &WorkloadRef, obj: &Value) -> String {
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
    fn pod_problems_name_the_reason() {
        let pod = json!({"metadata": {"name": "fact-checker-1"}, "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "False"}], "containerStatuses": [{"state": {"waiting": {"reason": "CrashLoopBackOff"}}, "lastState": {"terminated": {"reason": "OOMKilled"}}}]}});
        assert_eq!(
            pod_problem(&pod).as_deref(),
            Some("pod fact-checker-1: CrashLoopBackOff, last: OOMKilled")
        );
    }
}
