//! Service level objectives: SLO files as teams write them (Sloth, OpenSLO, Pyrra) read into one
//! type, and the burn-rate math that turns error ratios into alert states. Pure: no I/O beyond
//! reading the files, no network, no UI.

pub mod duration;
pub mod math;
pub mod spec;

pub use duration::{format_duration, parse_duration};
pub use spec::{
    Sli, Slo, SloFileError, SloFormat, SloSource, Template, load_file, load_paths, parse_file,
};
