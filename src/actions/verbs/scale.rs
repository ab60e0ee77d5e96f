//! `scale W N`: a merge patch of the scale subresource, as `kubectl scale` sends it; warns when
//! an HPA will answer; verified when the replicas the controller now wants are ready (an HPA
//! may have moved the count since, and is named when it did).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::mpsc::Sender;

use crate::actions::error::{ActionError, Progress};
use crate::actions::kube::{
    MERGE, base_draft, get_workload, hpa_of, patch_call, rv_meta, workload_review,
};
use crate::actions::plan::{Change, Draft, Review};
use crate::actions::target::WorkloadRef;
use crate::actions::verb::{ArgError, Cx, Subject, Usage, Verb};
use crate::actions::verify::wait_replicas;

pub const USAGE: Usage = Usage {
    name: "scale",
    usage: "scale W N",
    help: "set a workload's replica count",
};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scale {
    pub workload: WorkloadRef,
    pub replicas: i32,
}

pub fn parse(args: &[&str], namespace: &str) -> Result<Scale, ArgError> {
    let [target, n] = args else {
        return Err(ArgError::Shape);
    };
    let replicas = n
        .parse::<i32>()
        .ok()
        .filter(|r| *r >= 0)
        .ok_or_else(|| format!("scale wants a replica count >= 0, not {n:?}"))?;
    Ok(Scale {
        workload: WorkloadRef::parse(target, namespace)?,
        replicas,
    })
}

#[async_trait]
impl Verb for Scale {
    fn verb(&self) -> &'static str {
        USAGE.name
    }

    fn doing(&self) -> &'static str {
        "scaling"
    }

    fn subject(&self) -> Subject<'_> {
        Subject::Workload(&self.workload)
    }

    fn review(&self) -> Option<Review> {
        Some(workload_review(&self.workload, Some("scale")))
    }

    async fn draft(&self, cx: &Cx<'_>) -> Result<Draft, ActionError> {
        let (w, replicas) = (&self.workload, self.replicas);
        let obj = get_workload(cx.client, w).await?;
        let current = obj
            .pointer("/spec/replicas")
            .and_then(Value::as_i64)
            .unwrap_or(1);
        let mut d = base_draft(w, &obj);
        d.destructive = replicas == 0;
        if current == i64::from(replicas) {
            d.noop = Some(format!("{} already has {replicas} replicas", w.describe()));
            return Ok(d);
        }
        d.changes.push(Change {
            what: "replicas".into(),
            before: current.to_string(),
            after: replicas.to_string(),
        });
        if replicas == 0 {
            d.warnings.push(format!(
                "scaling to 0 stops every pod of {}: it serves and drains nothing until scaled up",
                w.describe()
            ));
        }
        match hpa_of(cx.client, w).await {
            Ok(Some(hpa)) => d.warnings.push(hpa.answer_to_scale(replicas)),
            Ok(None) => {}
            // A user who may scale but not read HPAs still learns the plan is blind to them.
            Err(ActionError::Forbidden(why)) => d.warnings.push(format!(
                "cannot read HPAs to see whether one manages the replicas: {why}"
            )),
            Err(e) => return Err(e),
        }
        let body = json!({"metadata": rv_meta(&obj), "spec": {"replicas": replicas}});
        d.calls
            .push(patch_call(format!("{}/scale", w.path()), MERGE, &body));
        Ok(d)
    }

    async fn verify(
        &self,
        cx: &Cx<'_>,
        progress: &Sender<Progress>,
    ) -> Result<String, ActionError> {
        wait_replicas(cx, &self.workload, self.replicas, progress).await
    }
}
