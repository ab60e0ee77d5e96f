//! opsdeck: a terminal operations console for an AI content platform on Kubernetes.
//!
//! Data flows one way: sources -> Msg -> `update(&mut State)` -> `draw(&State)`.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod actions;
pub mod alerts;
pub mod app;
pub mod clients;
pub mod cluster;
pub mod config;
pub mod core;
pub mod cost;
pub mod health;
pub mod incident;
pub mod inspect;
pub mod k8s;
pub mod queues;
pub mod sim;
pub mod slo;
pub mod status;
pub mod ui;
