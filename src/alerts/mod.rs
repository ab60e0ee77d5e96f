//! Alerts and silences from Alertmanager's v2 API, from several instances at once:
//! alerts with the same label set are one alert tagged with each instance that holds it,
//! grouped as Alertmanager groups them, worst first, each linked to what its labels name.
//! Silences are read here and written by actions (`actions::verbs::silence`).

pub mod about;
pub mod client;
pub mod matcher;
pub mod model;
pub mod pane;
pub mod snapshot;
pub mod source;
mod view;
pub mod wire;

pub use model::AlertMsg;
