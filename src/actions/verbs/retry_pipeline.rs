//! `retry-pipeline ID`: `POST /pipeline/{id}/retry` on the platform API, planned from
//! `GET /pipelines`; verified when the run is no longer listed as stuck.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc::Sender;

use crate::actions::error::{ActionError, Progress};
use crate::actions::kube::enc;
use crate::actions::plan::{Change, Draft};
use crate::actions::platform::{pipelines, post, say_rereading};
use crate::actions::verb::{ArgError, Cx, Subject, Usage, Verb};
use crate::actions::verify::poll;

pub const USAGE: Usage = Usage {
    name: "retry-pipeline",
    usage: "retry-pipeline ID",
    help: "retry a stuck or failed pipeline run (platform API)",
};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryPipeline {
    pub id: String,
}

pub fn parse(args: &[&str], _namespace: &str) -> Result<RetryPipeline, ArgError> {
    match args {
        [id] if !id.is_empty() => Ok(RetryPipeline { id: id.to_string() }),
        _ => Err(ArgError::Shape),
    }
}

/// The retry's path, with the id encoded so it cannot leave its segment.
pub fn retry_path(id: &str) -> String {
    format!("/pipeline/{}/retry", enc(id).replace('/', "%2F"))
}

#[async_trait]
impl Verb for RetryPipeline {
    fn verb(&self) -> &'static str {
        USAGE.name
    }

    fn subject(&self) -> Subject<'_> {
        Subject::Platform {
            target: format!("pipeline {}", self.id),
            name: self.id.clone(),
        }
    }

    async fn draft(&self, cx: &Cx<'_>) -> Result<Draft, ActionError> {
        let id = &self.id;
        let stuck = pipelines(cx.http, cx.platform_url, "stuck").await?;
        let failed = pipelines(cx.http, cx.platform_url, "failed").await?;
        let before = if stuck.contains(id) {
            "stuck"
        } else if failed.contains(id) {
            "failed"
        } else {
            "not stuck or failed"
        };
        let mut d = Draft::default();
        if before == "not stuck or failed" {
            d.warnings.push(format!(
                "{id} is not listed as stuck or failed: the retry may be refused or run it twice"
            ));
        }
        d.changes.push(Change {
            what: format!("pipeline {id}"),
            before: before.into(),
            after: "retried".into(),
        });
        d.calls.push(post(retry_path(id)));
        Ok(d)
    }

    async fn verify(
        &self,
        cx: &Cx<'_>,
        progress: &Sender<Progress>,
    ) -> Result<String, ActionError> {
        say_rereading(progress).await;
        let id = &self.id;
        poll(cx.verify_timeout, || async move {
            let stuck = pipelines(cx.http, cx.platform_url, "stuck").await?;
            let listed = stuck.contains(id);
            let seen = format!(
                "GET /pipelines?status=stuck {} {id}",
                if listed {
                    "still lists"
                } else {
                    "no longer lists"
                }
            );
            Ok((!listed, seen))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_cannot_leave_their_path_segment() {
        assert_eq!(retry_path("run-1042"), "/pipeline/run-1042/retry");
        assert_eq!(retry_path("a/b c"), "/pipeline/a%2Fb%20c/retry");
        assert_eq!(parse(&[], "x"), Err(ArgError::Shape));
    }
}
