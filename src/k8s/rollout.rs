//! Where a rollout stands, by kubectl's own rules (`rollout status`'s status viewers), for the
//! workloads table, the executor's verification and runbook conditions alike.

use serde::Serialize;
use serde_json::Value;

use super::kind::WorkloadKind;
use super::wire::{DeploymentWire, StatefulSetWire, WorkloadSpecWire, WorkloadStatusWire};

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Rollout {
    Complete,
    Waiting(Waiting),
    /// `spec.paused`: nothing rolls out until it is resumed.
    Paused,
    /// The controller gave up: the Progressing condition says ProgressDeadlineExceeded.
    Stalled,
}

/// What a rollout in progress waits for, in the order kubectl checks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Waiting {
    /// The controller has not observed the newest spec yet.
    SpecUpdate,
    Updated {
        updated: i32,
        desired: i32,
    },
    OldPending(i32),
    Available {
        available: i32,
        updated: i32,
    },
    /// StatefulSets: pods not ready yet.
    Ready {
        ready: i32,
        desired: i32,
    },
    /// StatefulSets: pods still on the old revision.
    Revision {
        updated: i32,
        desired: i32,
    },
}

impl Rollout {
    /// Paused and stalled rollouts will not finish by waiting.
    pub fn is_stuck(&self) -> bool {
        matches!(self, Rollout::Paused | Rollout::Stalled)
    }

    /// The workloads table's short form: "complete", "1 of 3 updated", "paused".
    pub fn label(&self) -> String {
        match self {
            Rollout::Complete => "complete".into(),
            Rollout::Paused => "paused".into(),
            Rollout::Stalled => "stalled: progress deadline exceeded".into(),
            Rollout::Waiting(w) => match w {
                Waiting::SpecUpdate => "waiting for spec update".into(),
                Waiting::Updated { updated, desired } => format!("{updated} of {desired} updated"),
                Waiting::OldPending(n) => format!("{n} old terminating"),
                Waiting::Available { available, updated } => {
                    format!("{available} of {updated} available")
                }
                Waiting::Ready { ready, desired } => format!("{ready} of {desired} ready"),
                Waiting::Revision { updated, desired } => {
                    format!("{updated} of {desired} updated")
                }
            },
        }
    }

    /// kubectl's own sentence for it (`kubectl rollout status`), without its trailing dots.
    pub fn message(&self, kind: WorkloadKind, name: &str) -> String {
        let what = kind.singular();
        match self {
            Rollout::Complete => format!("{what} {name:?} successfully rolled out"),
            Rollout::Paused => {
                format!(
                    "{what} {name:?} is paused: nothing rolls out until it is resumed (resume-rollout {name})"
                )
            }
            Rollout::Stalled => format!("{what} {name:?} exceeded its progress deadline"),
            Rollout::Waiting(w) => {
                let finish = format!("Waiting for {what} {name:?} rollout to finish");
                match w {
                    Waiting::SpecUpdate => format!("Waiting for {what} spec update to be observed"),
                    Waiting::Updated { updated, desired } => format!(
                        "{finish}: {updated} out of {desired} new replicas have been updated"
                    ),
                    Waiting::OldPending(n) => {
                        format!("{finish}: {n} old replicas are pending termination")
                    }
                    Waiting::Available { available, updated } => {
                        format!("{finish}: {available} of {updated} updated replicas are available")
                    }
                    Waiting::Ready { ready, desired } => {
                        format!("Waiting for {} pods to be ready", desired - ready)
                    }
                    Waiting::Revision { updated, .. } => format!(
                        "waiting for statefulset rolling update to complete {updated} pods at the new revision"
                    ),
                }
            }
        }
    }
}

fn deadline_exceeded(status: &WorkloadStatusWire) -> bool {
    status.conditions.iter().any(|c| {
        c.type_ == "Progressing" && c.reason.as_deref() == Some("ProgressDeadlineExceeded")
    })
}

/// kubectl's DeploymentStatusViewer, with a paused Deployment called what it is.
pub fn of_deployment(d: &DeploymentWire) -> Rollout {
    let (spec, status) = (&d.spec, &d.status);
    if spec.paused {
        return Rollout::Paused;
    }
    if status.observed_generation.unwrap_or(0) < d.metadata.generation.unwrap_or(0) {
        return Rollout::Waiting(Waiting::SpecUpdate);
    }
    if deadline_exceeded(status) {
        return Rollout::Stalled;
    }
    let desired = desired(spec);
    let updated = status.updated_replicas.unwrap_or(0);
    let total = status.replicas.unwrap_or(0);
    let available = status.available_replicas.unwrap_or(0);
    if updated < desired {
        Rollout::Waiting(Waiting::Updated { updated, desired })
    } else if total > updated {
        Rollout::Waiting(Waiting::OldPending(total - updated))
    } else if available < updated {
        Rollout::Waiting(Waiting::Available { available, updated })
    } else {
        Rollout::Complete
    }
}

/// kubectl's StatefulSetStatusViewer (RollingUpdate without a partition).
pub fn of_statefulset(s: &StatefulSetWire) -> Rollout {
    let (spec, status) = (&s.spec, &s.status);
    let observed = status.observed_generation.unwrap_or(0);
    if observed == 0 || observed < s.metadata.generation.unwrap_or(0) {
        return Rollout::Waiting(Waiting::SpecUpdate);
    }
    let desired = desired(spec);
    let ready = status.ready_replicas.unwrap_or(0);
    if ready < desired {
        return Rollout::Waiting(Waiting::Ready { ready, desired });
    }
    if status.update_revision.is_some() && status.current_revision != status.update_revision {
        let updated = status.updated_replicas.unwrap_or(0);
        return Rollout::Waiting(Waiting::Revision { updated, desired });
    }
    Rollout::Complete
}

/// `spec.replicas`, which the API defaults to 1.
pub fn desired(spec: &WorkloadSpecWire) -> i32 {
    spec.replicas.unwrap_or(1)
}

/// The rollout of a workload read as raw JSON (what the executor GETs).
pub fn of_json(kind: WorkloadKind, obj: &Value) -> Result<Rollout, String> {
    let bad = |e: serde_json::Error| format!("cannot read the {}: {e}", kind.singular());
    Ok(match kind {
        WorkloadKind::Deployment => {
            of_deployment(&serde_json::from_value(obj.clone()).map_err(bad)?)
        }
        WorkloadKind::StatefulSet => {
            of_statefulset(&serde_json::from_value(obj.clone()).map_err(bad)?)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deploy(spec: Value, status: Value) -> Rollout {
        let obj =
            json!({"metadata": {"name": "api", "generation": 4}, "spec": spec, "status": status});
        of_json(WorkloadKind::Deployment, &obj).expect("decodes")
    }

    #[test]
    fn deployments_follow_kubectl() {
        let s = |obs: i64, total: i32, upd: i32, avail: i32| {
            json!({"observedGeneration": obs, "replicas": total, "updatedReplicas": upd,
                "availableReplicas": avail, "readyReplicas": avail})
        };
        let three = json!({"replicas": 3});
        assert_eq!(
            deploy(three.clone(), s(3, 3, 3, 3)),
            Rollout::Waiting(Waiting::SpecUpdate)
        );
        let rolling = deploy(three.clone(), s(4, 4, 1, 3));
        assert_eq!(rolling.label(), "1 of 3 updated");
        assert_eq!(
            rolling.message(WorkloadKind::Deployment, "api"),
            "Waiting for deployment \"api\" rollout to finish: 1 out of 3 new replicas have been updated"
        );
        assert_eq!(
            deploy(three.clone(), s(4, 4, 3, 3)),
            Rollout::Waiting(Waiting::OldPending(1))
        );
        assert_eq!(
            deploy(three.clone(), s(4, 3, 3, 2)),
            Rollout::Waiting(Waiting::Available {
                available: 2,
                updated: 3
            })
        );
        let done = deploy(three.clone(), s(4, 3, 3, 3));
        assert_eq!(done, Rollout::Complete);
        assert_eq!(
            done.message(WorkloadKind::Deployment, "api"),
            "deployment \"api\" successfully rolled out"
        );
        let stalled = deploy(
            three.clone(),
            json!({"observedGeneration": 4, "conditions": [{"type": "Progressing",
                "status": "False", "reason": "ProgressDeadlineExceeded"}]}),
        );
        assert!(stalled.is_stuck());
        assert_eq!(
            stalled.message(WorkloadKind::Deployment, "api"),
            "deployment \"api\" exceeded its progress deadline"
        );
        let paused = deploy(json!({"replicas": 3, "paused": true}), s(4, 3, 3, 3));
        assert_eq!(paused, Rollout::Paused);
        assert!(paused.is_stuck());
    }

    #[test]
    fn statefulsets_follow_kubectl() {
        let sts = |ready: i32, cur: &str, upd: &str| {
            let obj = json!({"metadata": {"name": "redis", "generation": 2}, "spec": {"replicas": 3},
                "status": {"observedGeneration": 2, "readyReplicas": ready, "updatedReplicas": 1,
                    "currentRevision": cur, "updateRevision": upd}});
            of_json(WorkloadKind::StatefulSet, &obj).expect("decodes")
        };
        assert_eq!(
            sts(2, "r-1", "r-1"),
            Rollout::Waiting(Waiting::Ready {
                ready: 2,
                desired: 3
            })
        );
        assert_eq!(sts(2, "r-1", "r-1").label(), "2 of 3 ready");
        assert_eq!(sts(3, "r-1", "r-2").label(), "1 of 3 updated");
        assert_eq!(sts(3, "r-2", "r-2"), Rollout::Complete);
    }
}
