//! `cordon NODE`: what `kubectl cordon` sends; the pods already on the node stay where they
//! are. Verified by reading the node back.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc::Sender;

use crate::actions::error::{ActionError, Progress};
use crate::actions::node;
use crate::actions::plan::Draft;
use crate::actions::verb::{ArgError, Cx, Subject, Usage, Verb, one_node};

pub const USAGE: Usage = Usage {
    name: "cordon",
    usage: "cordon NODE",
    help: "mark a node unschedulable (new pods stay off it)",
};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cordon {
    pub node: String,
}

pub fn parse(args: &[&str], _namespace: &str) -> Result<Cordon, ArgError> {
    one_node(args).map(|node| Cordon { node })
}

#[async_trait]
impl Verb for Cordon {
    fn verb(&self) -> &'static str {
        USAGE.name
    }

    fn doing(&self) -> &'static str {
        "cordoning"
    }

    fn subject(&self) -> Subject<'_> {
        Subject::Node(&self.node)
    }

    async fn draft(&self, cx: &Cx<'_>) -> Result<Draft, ActionError> {
        node::draft(cx.client, &self.node, true).await
    }

    async fn verify(
        &self,
        cx: &Cx<'_>,
        progress: &Sender<Progress>,
    ) -> Result<String, ActionError> {
        node::wait(cx.client, &self.node, true, cx.verify_timeout, progress).await
    }
}
