//! Inspecting one object without leaving the console: `d` describes it as `kubectl describe`
//! does, `y` shows its YAML. The object is fetched on demand, rendered to text and dropped.

pub mod describe;
pub mod document;
pub mod fetch;
pub mod pane;
pub mod source;
pub mod view;
pub mod yaml;

pub use source::InspectMsg;
