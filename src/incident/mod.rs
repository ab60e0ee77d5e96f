//! Incident sessions: an incident is its timeline of entries (what the console saw and did,
//! and what responders wrote), kept in a local file that survives a crash, and written out as
//! a postmortem draft.

pub mod axis;
pub mod axis_view;
pub mod cli;
pub mod entry;
pub mod export;
pub mod impact;
pub mod model;
pub mod observe;
pub mod pane;
pub mod record;
pub mod share;
pub mod store;
pub mod view;

pub use entry::{Entry, Kind, Link, Milestone};
pub use model::Incident;
pub use store::Store;
