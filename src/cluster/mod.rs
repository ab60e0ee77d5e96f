//! Kubernetes: watch sources, projected rows and their reducer, pod logs, the views and the
//! pane that offers them to the console.

pub mod connect;
pub mod derive;
pub mod exec;
pub mod failure;
pub mod logs;
pub mod model;
pub mod pane;
pub mod rows;
pub mod snapshot;
pub mod source;
pub mod store;
pub mod tables;
pub mod view;
