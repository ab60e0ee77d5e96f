//! `restart W`: what `kubectl rollout restart` does, a strategic-merge patch of the pod
//! template's `kubectl.kubernetes.io/restartedAt` annotation; verified by waiting for the
//! rollout it starts.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::mpsc::Sender;

use crate::actions::error::{ActionError, Progress};
use crate::actions::kube::{
    RESTARTED_AT, STRATEGIC, base_draft, get_workload, patch_call, pods_of, rv_meta, str_at,
};
use crate::actions::plan::{Change, Draft};
use crate::actions::target::WorkloadRef;
use crate::actions::verb::{ArgError, Cx, Subject, Usage, Verb, one_workload};
use crate::actions::verify::wait_rollout;

pub const USAGE: Usage = Usage {
    name: "restart",
    usage: "restart W",
    help: "restart a workload's pods, one by one (rollout restart)",
};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Restart {
    pub workload: WorkloadRef,
}

pub fn parse(args: &[&str], namespace: &str) -> Result<Restart, ArgError> {
    one_workload(args, namespace).map(|workload| Restart { workload })
}

#[async_trait]
impl Verb for Restart {
    fn verb(&self) -> &'static str {
        USAGE.name
    }

    fn doing(&self) -> &'static str {
        "restarting"
    }

    fn subject(&self) -> Subject<'_> {
        Subject::Workload(&self.workload)
    }

    async fn draft(&self, cx: &Cx<'_>) -> Result<Draft, ActionError> {
        let w = &self.workload;
        let obj = get_workload(cx.client, w).await?;
        if obj.pointer("/spec/paused").and_then(Value::as_bool) == Some(true) {
            return Err(ActionError::Refused(format!(
                "can't restart paused {} (run resume-rollout {} first)",
                w.describe(),
                w.name
            )));
        }
        // kubectl writes whole seconds.
        let now = jiff::Timestamp::from_second(jiff::Timestamp::now().as_second())
            .unwrap_or_else(|_| jiff::Timestamp::now());
        let at = now.to_string();
        let pointer = format!(
            "/spec/template/metadata/annotations/{}",
            RESTARTED_AT.replace('/', "~1")
        );
        let before = str_at(&obj, &pointer);
        let mut d = base_draft(w, &obj);
        d.changes.push(Change {
            what: format!("template annotation {RESTARTED_AT}"),
            before: if before.is_empty() {
                "(none)".into()
            } else {
                before.to_string()
            },
            after: at.clone(),
        });
        let body = json!({"metadata": rv_meta(&obj), "spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: at}}}}});
        d.calls.push(patch_call(w.path(), STRATEGIC, &body));
        let pods = pods_of(cx.client, w, &obj).await?;
        if !pods.is_empty() {
            let names: Vec<&str> = pods.iter().map(|p| str_at(p, "/metadata/name")).collect();
            d.warnings.push(format!(
                "replaces {} pod(s) one by one: {}; work in flight on them is interrupted (workers must ack late / requeue)",
                names.len(),
                names.join(", ")
            ));
        }
        Ok(d)
    }

    async fn verify(
        &self,
        cx: &Cx<'_>,
        progress: &Sender<Progress>,
    ) -> Result<String, ActionError> {
        wait_rollout(cx, &self.workload, progress).await
    }
}
