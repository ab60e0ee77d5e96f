//! The console's brain: State, Msg, Effect, the pure update, the pane registry, navigation,
//! the command line, the keymap and the root of every frame.

pub mod action;
pub mod command;
pub mod draw;
pub mod keymap;
pub mod layout;
pub mod msg;
pub mod panes;
pub mod state;
pub mod update;
