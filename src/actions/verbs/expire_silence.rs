//! `expire-silence ID`: `DELETE /api/v2/silence/{id}` on each instance holding the silence
//! (an id prefix of 8 or more characters will do, as the silences view shows them); verified
//! by reading it back expired.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc::Sender;

use crate::actions::alertmanager::{draft_expire, subject, verify_expired};
use crate::actions::error::{ActionError, Progress};
use crate::actions::plan::Draft;
use crate::actions::verb::{ArgError, Cx, Subject, Usage, Verb};

pub const USAGE: Usage = Usage {
    name: "expire-silence",
    usage: "expire-silence ID",
    help: "end a silence now (Alertmanager)",
};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpireSilence {
    pub id: String,
}

pub fn parse(args: &[&str], _namespace: &str) -> Result<ExpireSilence, ArgError> {
    match args {
        [id] if id.len() >= 8 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') => {
            Ok(ExpireSilence { id: id.to_string() })
        }
        [id] => Err(ArgError::Value(format!(
            "{id:?} is not a silence id (8 or more of its characters, as :silences shows)"
        ))),
        _ => Err(ArgError::Shape),
    }
}

#[async_trait]
impl Verb for ExpireSilence {
    fn verb(&self) -> &'static str {
        USAGE.name
    }

    fn subject(&self) -> Subject<'_> {
        subject(format!("silence {}", self.id))
    }

    async fn draft(&self, cx: &Cx<'_>) -> Result<Draft, ActionError> {
        draft_expire(cx, &self.id).await
    }

    async fn verify(
        &self,
        cx: &Cx<'_>,
        progress: &Sender<Progress>,
    ) -> Result<String, ActionError> {
        verify_expired(cx, &self.id, progress).await
    }
}
