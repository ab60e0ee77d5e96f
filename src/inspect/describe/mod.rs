//! `describe`: the facts `kubectl describe` gives for each kind, in its order and under its
//! headings, from objects fetched once (`inspect::fetch`). Each kind has its file; `out`
//! aligns the text the way kubectl's tabwriter does.

mod common;
mod containers;
mod generic;
mod hpa;
mod node;
mod out;
mod pod;
pub mod quantity;
mod workload;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{Event, Node, Pod};

pub use common::{human_duration, selector};
pub use generic::smart_label;
pub use node::LeaseAnswer;
pub use workload::Revision;

/// A list read beside the object, or why it could not be (a viewer may not list events):
/// the describe still shows, and says what it lacks.
pub type Listed<T> = Result<Vec<T>, String>;

/// What was fetched to describe one object: the object itself and, per kind, what kubectl
/// reads beside it.
#[derive(Debug)]
pub enum Subject {
    Pod(Box<Pod>),
    Deployment {
        deployment: Box<Deployment>,
        /// Its ReplicaSets, old and new: its revisions.
        replica_sets: Listed<ReplicaSet>,
    },
    StatefulSet {
        set: Box<StatefulSet>,
        pods: Listed<Pod>,
        revisions: Result<Vec<Revision>, String>,
    },
    Node {
        node: Box<Node>,
        lease: LeaseAnswer,
        /// Its pods that have not terminated.
        pods: Listed<Pod>,
    },
    Hpa(Box<HorizontalPodAutoscaler>),
    /// Any other kind (an Event), described field by field.
    Other(serde_json::Value),
}

/// The describe text of `subject` with its own events, ages counted at `now` (unix seconds).
pub fn describe(subject: &Subject, events: &Listed<Event>, now: i64) -> Vec<String> {
    match subject {
        Subject::Pod(p) => pod::describe(p, events, now),
        Subject::Deployment {
            deployment,
            replica_sets,
        } => workload::deployment(deployment, replica_sets, events, now),
        Subject::StatefulSet {
            set,
            pods,
            revisions,
        } => workload::statefulset(set, pods, revisions, events, now),
        Subject::Node { node, lease, pods } => node::describe(node, lease, pods, events, now),
        Subject::Hpa(h) => hpa::describe(h, events, now),
        Subject::Other(v) => generic::describe(v, now),
    }
}
