//! Shared drawing: the root frame, layout, the virtual table, theme and symbol sets.

pub mod draw;
pub mod format;
pub mod layout;
pub mod sparkline;
pub mod symbols;
pub mod table;
pub mod theme;
