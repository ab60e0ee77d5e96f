//! `uncordon NODE`: what `kubectl uncordon` sends, `spec.unschedulable` removed. Verified by
//! reading the node back.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc::Sender;

use crate::actions::error::{ActionError, Progress};
use crate::actions::node;
use crate::actions::plan::Draft;
use crate::actions::verb::{ArgError, Cx, Subject, Usage, Verb, one_node};

pub const USAGE: Usage = Usage {
    name: "uncordon",
    usage: "uncordon NODE",
    help: "let new pods be scheduled on a node again",
};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Uncordon {
    pub node: String,
}

pub fn parse(args: &[&str], _namespace: &str) -> Result<Uncordon, ArgError> {
    one_node(args).map(|node| Uncordon { node })
}

#[async_trait]
impl Verb for Uncordon {
    fn verb(&self) -> &'static str {
        USAGE.name
    }

    fn doing(&self) -> &'static str {
        "uncordoning"
    }

    fn subject(&self) -> Subject<'_> {
        Subject::Node(&self.node)
    }

    async fn draft(&self, cx: &Cx<'_>) -> Result<Draft, ActionError> {
        node::draft(cx.client, &self.node, false).await
    }

    async fn verify(
        &self,
        cx: &Cx<'_>,
        progress: &Sender<Progress>,
    ) -> Result<String, ActionError> {
        node::wait(cx.client, &self.node, false, cx.verify_timeout, progress).await
    }
}
