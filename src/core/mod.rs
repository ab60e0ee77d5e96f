//! The console's brain: State, Msg, Effect, the pure update, navigation and the command line.

pub mod action;
pub mod action_flow;
pub mod msg;
pub mod runbook_flow;
pub mod state;
pub mod table;
pub mod update;
pub mod view;
