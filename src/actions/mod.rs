//! The only code that mutates anything: one path (plan -> permission -> preview -> confirm ->
//! execute -> verify -> audit) for every action, interactive and headless alike. Each verb is
//! one file in `verbs/` implementing `verb::Verb`; `executor` is the path they all take.

pub mod alertmanager;
pub mod audit;
pub mod cli;
pub mod condition;
pub mod error;
pub mod executor;
pub mod kube;
pub mod lock;
pub mod node;
pub mod panel;
pub mod plan;
pub mod platform;
pub mod probes;
pub mod runbook;
pub mod signals;
pub mod target;
pub mod verb;
pub mod verbs;
pub mod verify;
pub mod view;

pub use error::{ActionError, Outcome, Progress};
pub use target::WorkloadRef;
pub use verbs::ActionRequest;
