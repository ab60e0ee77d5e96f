//! `pause-rollout W`: a strategic-merge patch of `spec.paused`, as `kubectl rollout pause`
//! sends it; verified by reading the flag back. `resume-rollout` drafts through the same code.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::mpsc::Sender;

use crate::actions::error::{ActionError, Progress};
use crate::actions::kube::{STRATEGIC, base_draft, get_workload, patch_call, rv_meta};
use crate::actions::plan::{Change, Draft};
use crate::actions::target::WorkloadRef;
use crate::actions::verb::{ArgError, Cx, Subject, Usage, Verb, one_workload};
use crate::actions::verify::wait_paused;
use crate::k8s::WorkloadKind;

pub const USAGE: Usage = Usage {
    name: "pause-rollout",
    usage: "pause-rollout W",
    help: "pause a Deployment's rollout (template changes wait)",
};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PauseRollout {
    pub workload: WorkloadRef,
}

pub fn parse(args: &[&str], namespace: &str) -> Result<PauseRollout, ArgError> {
    one_workload(args, namespace).map(|workload| PauseRollout { workload })
}

/// The patch that sets `spec.paused` to `paused` (kubectl removes the field to resume).
pub async fn draft_paused(
    cx: &Cx<'_>,
    w: &WorkloadRef,
    paused: bool,
) -> Result<Draft, ActionError> {
    if w.kind != WorkloadKind::Deployment {
        return Err(ActionError::Invalid(format!(
            "{} has no rollout to pause or resume (Deployments only)",
            w.describe()
        )));
    }
    let obj = get_workload(cx.client, w).await?;
    let now = obj
        .pointer("/spec/paused")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let mut d = base_draft(w, &obj);
    if now == paused {
        d.noop = Some(format!(
            "{} is already {}",
            w.describe(),
            if paused { "paused" } else { "resumed" }
        ));
        return Ok(d);
    }
    d.changes.push(Change {
        what: "paused".into(),
        before: now.to_string(),
        after: paused.to_string(),
    });
    let value = if paused { json!(true) } else { Value::Null };
    let body = json!({"metadata": rv_meta(&obj), "spec": {"paused": value}});
    d.calls.push(patch_call(w.path(), STRATEGIC, &body));
    if paused {
        d.warnings.push(
            "while paused, template changes (restart, rollback, new images) do not roll out".into(),
        );
    }
    Ok(d)
}

#[async_trait]
impl Verb for PauseRollout {
    fn verb(&self) -> &'static str {
        USAGE.name
    }

    fn doing(&self) -> &'static str {
        "pausing the rollout of"
    }

    fn subject(&self) -> Subject<'_> {
        Subject::Workload(&self.workload)
    }

    async fn draft(&self, cx: &Cx<'_>) -> Result<Draft, ActionError> {
        draft_paused(cx, &self.workload, true).await
    }

    async fn verify(
        &self,
        cx: &Cx<'_>,
        progress: &Sender<Progress>,
    ) -> Result<String, ActionError> {
        wait_paused(cx, &self.workload, progress).await
    }
}
