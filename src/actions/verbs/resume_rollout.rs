//! `resume-rollout W`: removes `spec.paused`, as `kubectl rollout resume` does; verified by
//! waiting for the rollout the held changes now start.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc::Sender;

use super::pause_rollout::draft_paused;
use crate::actions::error::{ActionError, Progress};
use crate::actions::plan::Draft;
use crate::actions::target::WorkloadRef;
use crate::actions::verb::{ArgError, Cx, Subject, Usage, Verb, one_workload};
use crate::actions::verify::wait_rollout;

pub const USAGE: Usage = Usage {
    name: "resume-rollout",
    usage: "resume-rollout W",
    help: "resume a paused Deployment's rollout",
};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResumeRollout {
    pub workload: WorkloadRef,
}

pub fn parse(args: &[&str], namespace: &str) -> Result<ResumeRollout, ArgError> {
    one_workload(args, namespace).map(|workload| ResumeRollout { workload })
}

#[async_trait]
impl Verb for ResumeRollout {
    fn verb(&self) -> &'static str {
        USAGE.name
    }

    fn doing(&self) -> &'static str {
        "resuming the rollout of"
    }

    fn subject(&self) -> Subject<'_> {
        Subject::Workload(&self.workload)
    }

    async fn draft(&self, cx: &Cx<'_>) -> Result<Draft, ActionError> {
        draft_paused(cx, &self.workload, false).await
    }

    async fn verify(
        &self,
        cx: &Cx<'_>,
        progress: &Sender<Progress>,
    ) -> Result<String, ActionError> {
        wait_rollout(cx, &self.workload, progress).await
    }
}
