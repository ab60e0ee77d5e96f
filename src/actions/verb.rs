//! The action interface: each verb (restart, scale, rollback, ...) is one file in `verbs/`
//! implementing `Verb`. The executor only ever talks to this trait, so it checks read-only,
//! permission, confirmation and the audit log the same way for every verb.

use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::mpsc::Sender;

use super::error::{ActionError, Progress};
use super::plan::{Draft, Review};
use super::probes::Probes;
use super::target::WorkloadRef;
use super::{kube, node};

/// What a verb may read and call while it drafts and verifies.
pub struct Cx<'a> {
    pub client: &'a ::kube::Client,
    pub http: &'a reqwest::Client,
    /// The platform's own HTTP API (`[platform] url`), when configured.
    pub platform_url: Option<&'a str>,
    /// Queue, SLO, budget and alert readers; the Alertmanagers silences go to.
    pub probes: &'a Probes,
    /// Who acts (a silence's `createdBy`).
    pub operator: &'a str,
    pub verify_timeout: Duration,
}

/// What a verb acts on; the rest of a verb's identity follows from it.
pub enum Subject<'a> {
    Workload(&'a WorkloadRef),
    Node(&'a str),
    /// Something of the platform's own API: how plans name it, and the word a typed
    /// confirmation asks for.
    Platform {
        target: String,
        name: String,
    },
    /// Silences in the configured Alertmanagers.
    Alertmanager {
        target: String,
        name: String,
    },
}

#[async_trait]
pub trait Verb: Send + Sync {
    /// The command-line word ("restart").
    fn verb(&self) -> &'static str;
    fn subject(&self) -> Subject<'_>;
    /// Reads the live state and drafts exactly what will change.
    async fn draft(&self, cx: &Cx<'_>) -> Result<Draft, ActionError>;
    /// Waits until the change has taken effect, or says why it has not.
    async fn verify(&self, cx: &Cx<'_>, progress: &Sender<Progress>)
    -> Result<String, ActionError>;

    /// The target as plans and the audit log name it ("deployment contentgen/api").
    fn target(&self) -> String {
        match self.subject() {
            Subject::Workload(w) => w.describe(),
            Subject::Node(n) => format!("node {n}"),
            Subject::Platform { target, .. } | Subject::Alertmanager { target, .. } => target,
        }
    }

    /// What a typed confirmation asks for: the target's own name.
    fn confirm_name(&self) -> String {
        match self.subject() {
            Subject::Workload(w) => w.name.clone(),
            Subject::Node(n) => n.to_string(),
            Subject::Platform { name, .. } | Subject::Alertmanager { name, .. } => name,
        }
    }

    /// What it does, as another console reads it on the target's lock ("alice is rolling
    /// back contentgen/api").
    fn doing(&self) -> &'static str {
        "acting on"
    }

    /// The workload it acts on, if it acts on one (the audit log records its namespace).
    fn workload(&self) -> Option<&WorkloadRef> {
        match self.subject() {
            Subject::Workload(w) => Some(w),
            _ => None,
        }
    }

    /// The Kubernetes access review it needs, known from the request alone, so a denied
    /// operator learns it before anything else is read. None: not a Kubernetes action.
    fn review(&self) -> Option<Review> {
        match self.subject() {
            Subject::Workload(w) => Some(kube::workload_review(w, None)),
            Subject::Node(n) => Some(node::review(n)),
            Subject::Platform { .. } | Subject::Alertmanager { .. } => None,
        }
    }

    /// What stands for the access review where Kubernetes has none.
    fn access_note(&self) -> &'static str {
        match self.subject() {
            Subject::Alertmanager { .. } => {
                "Alertmanager: no access review; the instance's own auth applies, and \
                 read-only instances refuse"
            }
            _ => "platform API: no access review; the API's own auth applies",
        }
    }

    /// The target's live state in one line, when a write met a changed object.
    async fn current_state(&self, cx: &Cx<'_>) -> String {
        match self.subject() {
            Subject::Workload(w) => kube::current_state(cx.client, w).await,
            Subject::Node(n) => node::current_state(cx.client, n).await,
            Subject::Platform { .. } | Subject::Alertmanager { .. } => String::new(),
        }
    }
}

/// How a verb is typed: its word, its arguments, what it does.
pub struct Usage {
    pub name: &'static str,
    /// "scale W N" (W: a workload, as `WorkloadRef::parse` reads it).
    pub usage: &'static str,
    pub help: &'static str,
}

/// Why a verb's arguments were refused.
#[derive(Debug, PartialEq, Eq)]
pub enum ArgError {
    /// Too few or too many words: the usage line says what is wanted.
    Shape,
    /// The right words, one of them unreadable; the message says which and why.
    Value(String),
}

impl From<String> for ArgError {
    fn from(message: String) -> Self {
        ArgError::Value(message)
    }
}

/// The one workload a verb's arguments name ("restart W").
pub fn one_workload(args: &[&str], namespace: &str) -> Result<WorkloadRef, ArgError> {
    match args {
        [target] => Ok(WorkloadRef::parse(target, namespace)?),
        _ => Err(ArgError::Shape),
    }
}

/// The one node a verb's arguments name ("cordon NODE"), as the API accepts it.
pub fn one_node(args: &[&str]) -> Result<String, ArgError> {
    match args {
        [name] if node::valid_name(name) => Ok(name.to_string()),
        _ => Err(ArgError::Shape),
    }
}
