//! Service level objectives: SLO files as teams write them (Sloth, OpenSLO, Pyrra) read into one
//! type, and the burn-rate math that turns error ratios into alert states. Pure: no I/O beyond
//! reading the files, no network, no UI.

pub mod duration;
pub mod math;
pub mod model;
pub mod pane;
pub mod snapshot;
pub mod source;
pub mod spec;
pub mod view;

/// The platform's SLO files (`examples/slos/`), built in: the demo reads them, and
/// `opsdeck sim --config-out` writes them beside its config.
pub const EXAMPLES: [(&str, &str); 3] = [
    ("api.yaml", include_str!("../../examples/slos/api.yaml")),
    (
        "pipeline.yaml",
        include_str!("../../examples/slos/pipeline.yaml"),
    ),
    (
        "publish.yaml",
        include_str!("../../examples/slos/publish.yaml"),
    ),
];

/// The built-in example SLOs, parsed.
pub fn examples() -> Result<Vec<Slo>, Vec<SloFileError>> {
    let mut all = Vec::new();
    for (name, text) in EXAMPLES {
        let path = std::path::Path::new("examples/slos").join(name);
        all.extend(parse_file(text, &path)?);
    }
    Ok(all)
}

pub use duration::{format_duration, parse_duration};
pub use spec::{
    Sli, Slo, SloFileError, SloFormat, SloSource, Template, load_file, load_paths, parse_file,
};
