//! Deployment status as the deployment controller computes it (counts and conditions).

use jiff::Timestamp;

use super::model::{Cond, DeployStatus, DeploymentM};
use crate::sim::util::secs_between;

/// Pod counts across a deployment's ReplicaSets.
#[derive(Clone, Copy, Debug, Default)]
pub struct Counts {
    pub total: i32,
    pub updated: i32,
    pub ready: i32,
    /// The ReplicaSets' `spec.replicas` summed: what the controller counts unavailable against.
    pub desired: i32,
}

fn progressing(
    d: &DeploymentM,
    c: Counts,
    new_name: &str,
    now: Timestamp,
) -> (&'static str, &'static str, String) {
    let replicas = d.replicas;
    let complete = c.updated == replicas && c.total == replicas && c.ready == replicas;
    // Once complete, losing readiness later is not a new rollout: the condition stays.
    let was_complete = d
        .status
        .conditions
        .iter()
        .any(|c| c.reason == "NewReplicaSetAvailable");
    if d.paused {
        (
            "Unknown",
            "DeploymentPaused",
            "Deployment is paused".to_string(),
        )
    } else if complete || (c.updated == replicas && c.total == replicas && was_complete) {
        (
            "True",
            "NewReplicaSetAvailable",
            format!("ReplicaSet \"{new_name}\" has successfully progressed."),
        )
    } else if secs_between(d.last_progress, now) > d.progress_deadline {
        (
            "False",
            "ProgressDeadlineExceeded",
            format!("ReplicaSet \"{new_name}\" has timed out progressing."),
        )
    } else {
        (
            "True",
            "ReplicaSetUpdated",
            format!("ReplicaSet \"{new_name}\" is progressing."),
        )
    }
}

pub fn compute_status(d: &DeploymentM, c: Counts, new_name: &str, now: Timestamp) -> DeployStatus {
    let replicas = d.replicas;
    let max_unavailable = (replicas / 4).max(i32::from((replicas + 3) / 4 == 0));
    let (p_status, p_reason, p_msg) = progressing(d, c, new_name, now);
    let (a_status, a_reason, a_msg) = if c.ready >= replicas - max_unavailable {
        (
            "True",
            "MinimumReplicasAvailable",
            "Deployment has minimum availability.",
        )
    } else {
        (
            "False",
            "MinimumReplicasUnavailable",
            "Deployment does not have minimum availability.",
        )
    };
    let cond =
        |type_: &'static str, status: &'static str, reason: &'static str, message: String| {
            let prev = d.status.conditions.iter().find(|c| c.type_ == type_);
            let transition = prev
                .filter(|c| c.status == status)
                .map_or(now, |c| c.transition);
            let updated = prev
                .filter(|c| c.reason == reason && c.message == message)
                .map_or(now, |c| c.updated);
            Cond {
                type_,
                status,
                reason,
                message,
                updated,
                transition,
            }
        };
    DeployStatus {
        observed_generation: d.meta.generation,
        replicas: c.total,
        updated: c.updated,
        ready: c.ready,
        available: c.ready,
        unavailable: (c.desired - c.ready).max(0),
        conditions: vec![
            cond("Available", a_status, a_reason, a_msg.to_string()),
            cond("Progressing", p_status, p_reason, p_msg),
        ],
    }
}

/// Equal for the purpose of publishing a change (timestamps aside).
pub fn same_status(a: &DeployStatus, b: &DeployStatus) -> bool {
    (
        a.observed_generation,
        a.replicas,
        a.updated,
        a.ready,
        a.unavailable,
    ) == (
        b.observed_generation,
        b.replicas,
        b.updated,
        b.ready,
        b.unavailable,
    ) && a
        .conditions
        .iter()
        .map(|c| (c.status, c.reason, &c.message))
        .eq(b
            .conditions
            .iter()
            .map(|c| (c.status, c.reason, &c.message)))
}
