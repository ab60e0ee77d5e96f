//! Every service's health: its readiness endpoint (and liveness, when configured) polled and
//! read in the three shapes services answer with, worst first, with since when each has been
//! in its status.

pub mod answer;
pub mod model;
pub mod pane;
pub mod snapshot;
pub mod source;
pub mod view;

pub use answer::{Check, Probe, Reading, Shape, Status};
pub use model::{HealthModel, HealthMsg, HealthRow};
