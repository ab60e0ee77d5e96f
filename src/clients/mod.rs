//! Thin clients shared by the sources of several panes.

pub mod http;
pub mod poll;
pub mod prometheus;
