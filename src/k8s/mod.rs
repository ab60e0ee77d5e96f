//! Kubernetes knowledge shared by the cluster panes, the actions and runbook conditions: the
//! narrow wire types, workload kinds and their names, kubectl's rollout rules and how an HPA
//! reads. One place each, so rows, verification and conditions cannot drift apart.

pub mod context;
pub mod hpa;
pub mod kind;
pub mod object;
pub mod rollout;
pub mod wire;

pub use context::ContextName;
pub use kind::WorkloadKind;
pub use object::{ObjectKind, ObjectRef};
pub use rollout::Rollout;
