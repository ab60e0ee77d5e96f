//! `ack MATCHER...`: acknowledges alerts with a 15-minute silence commented "acknowledged by
//! NAME" (karma's acknowledge); drafted and verified as `silence` is.

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc::Sender;

use crate::actions::alertmanager::{draft_silence, subject, verify_silence};
use crate::actions::error::{ActionError, Progress};
use crate::actions::plan::Draft;
use crate::actions::verb::{ArgError, Cx, Subject, Usage, Verb};
use crate::alerts::matcher::{self, show_all};
use crate::alerts::wire::Matcher;

pub const USAGE: Usage = Usage {
    name: "ack",
    usage: "ack MATCHER...",
    help: "acknowledge alerts: a 15-minute silence",
};

pub const ACK_FOR: Duration = Duration::from_secs(15 * 60);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ack {
    pub matchers: Vec<Matcher>,
}

pub fn parse(args: &[&str], _namespace: &str) -> Result<Ack, ArgError> {
    let matchers = matcher::words(&args.join(" "))
        .iter()
        .map(|w| matcher::parse(w))
        .collect::<Result<Vec<_>, _>>()?;
    if matchers.is_empty() {
        return Err(ArgError::Shape);
    }
    Ok(Ack { matchers })
}

/// The comment an acknowledgement carries.
pub fn comment(operator: &str) -> String {
    format!("acknowledged by {operator}")
}

#[async_trait]
impl Verb for Ack {
    fn verb(&self) -> &'static str {
        USAGE.name
    }

    fn subject(&self) -> Subject<'_> {
        subject(format!("alerts {}", show_all(&self.matchers)))
    }

    async fn draft(&self, cx: &Cx<'_>) -> Result<Draft, ActionError> {
        draft_silence(cx, &self.matchers, ACK_FOR, &comment(cx.operator)).await
    }

    async fn verify(
        &self,
        cx: &Cx<'_>,
        progress: &Sender<Progress>,
    ) -> Result<String, ActionError> {
        verify_silence(cx, &self.matchers, &comment(cx.operator), progress).await
    }
}
