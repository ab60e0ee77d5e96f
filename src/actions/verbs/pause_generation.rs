//! `pause-generation`: `POST /config/pause-generation` on the platform API; destructive (no new
//! articles until resumed), so it is confirmed by name; verified by `GET /config`.
//! `resume-generation` drafts and verifies through the same code.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc::Sender;

use crate::actions::error::{ActionError, Progress};
use crate::actions::plan::{Change, Draft};
use crate::actions::platform::{paused_of, post, say_rereading, send};
use crate::actions::verb::{ArgError, Cx, Subject, Usage, Verb};
use crate::actions::verify::poll;

pub const USAGE: Usage = Usage {
    name: "pause-generation",
    usage: "pause-generation",
    help: "stop generating new articles (platform API)",
};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PauseGeneration;

pub fn parse(args: &[&str], _namespace: &str) -> Result<PauseGeneration, ArgError> {
    args.is_empty()
        .then_some(PauseGeneration)
        .ok_or(ArgError::Shape)
}

fn show(paused: Option<bool>) -> &'static str {
    match paused {
        Some(true) => "paused",
        Some(false) => "running",
        None => "unknown",
    }
}

/// Reads `GET /config` and drafts the switch to `pause`.
pub async fn draft_generation(cx: &Cx<'_>, pause: bool) -> Result<Draft, ActionError> {
    let mut d = Draft {
        destructive: pause,
        ..Draft::default()
    };
    let (_, config) = send(cx.http, cx.platform_url, "GET", "/config", None).await?;
    let now = paused_of(&config);
    if now == Some(pause) {
        d.noop = Some(format!("generation is already {}", show(now)));
        return Ok(d);
    }
    d.changes.push(Change {
        what: "generation".into(),
        before: show(now).into(),
        after: show(Some(pause)).into(),
    });
    if pause {
        d.warnings.push(
            "no new articles are generated until resume-generation; queued work waits".into(),
        );
    }
    let verb = if pause { "pause" } else { "resume" };
    d.calls.push(post(format!("/config/{verb}-generation")));
    Ok(d)
}

/// What both generation verbs act on: the platform's switch, confirmed by "generation".
pub fn generation() -> Subject<'static> {
    Subject::Platform {
        target: "platform generation".into(),
        name: "generation".into(),
    }
}

/// Re-reads `GET /config` until it says `pause`.
pub async fn verify_generation(
    cx: &Cx<'_>,
    pause: bool,
    progress: &Sender<Progress>,
) -> Result<String, ActionError> {
    say_rereading(progress).await;
    poll(cx.verify_timeout, || async move {
        let (_, config) = send(cx.http, cx.platform_url, "GET", "/config", None).await?;
        let now = paused_of(&config);
        let seen = format!(
            "GET /config: paused = {}",
            now.map_or("unknown".into(), |p| p.to_string())
        );
        Ok((now == Some(pause), seen))
    })
    .await
}

#[async_trait]
impl Verb for PauseGeneration {
    fn verb(&self) -> &'static str {
        USAGE.name
    }

    fn subject(&self) -> Subject<'_> {
        generation()
    }

    async fn draft(&self, cx: &Cx<'_>) -> Result<Draft, ActionError> {
        draft_generation(cx, true).await
    }

    async fn verify(
        &self,
        cx: &Cx<'_>,
        progress: &Sender<Progress>,
    ) -> Result<String, ActionError> {
        verify_generation(cx, true, progress).await
    }
}
