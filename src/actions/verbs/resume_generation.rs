//! `resume-generation`: `POST /config/resume-generation` on the platform API; verified by
//! `GET /config`.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc::Sender;

use super::pause_generation::{draft_generation, generation, verify_generation};
use crate::actions::error::{ActionError, Progress};
use crate::actions::plan::Draft;
use crate::actions::verb::{ArgError, Cx, Subject, Usage, Verb};

pub const USAGE: Usage = Usage {
    name: "resume-generation",
    usage: "resume-generation",
    help: "generate articles again (platform API)",
};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResumeGeneration;

pub fn parse(args: &[&str], _namespace: &str) -> Result<ResumeGeneration, ArgError> {
    args.is_empty()
        .then_some(ResumeGeneration)
        .ok_or(ArgError::Shape)
}

#[async_trait]
impl Verb for ResumeGeneration {
    fn verb(&self) -> &'static str {
        USAGE.name
    }

    fn subject(&self) -> Subject<'_> {
        generation()
    }

    async fn draft(&self, cx: &Cx<'_>) -> Result<Draft, ActionError> {
        draft_generation(cx, false).await
    }

    async fn verify(
        &self,
        cx: &Cx<'_>,
        progress: &Sender<Progress>,
    ) -> Result<String, ActionError> {
        verify_generation(cx, false, progress).await
    }
}
