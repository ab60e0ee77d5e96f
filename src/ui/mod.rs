//! Shared drawing below the domains: the pane interface (and what a pane gives a snapshot),
//! one virtual table widget, the dialog box, text that fits, layout helpers, sparklines, the
//! theme and the symbol sets.

pub mod dialog;
pub mod format;
pub mod layout;
pub mod pane;
pub mod snapshot;
pub mod sparkline;
pub mod symbols;
pub mod table;
pub mod table_state;
pub mod text;
pub mod theme;
