//! Kubernetes: watch sources, projected rows and their reducer, pod logs, and the views.

pub mod connect;
pub mod logs;
pub mod model;
pub mod rows;
pub mod snapshot;
pub mod source;
pub mod store;
pub mod view;
pub mod wire;
