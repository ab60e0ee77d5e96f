//! Fault injection: what the sim's endpoints do wrong on command. A request is classified into
//! a [`Source`] by its path; the fault set for that source (a [`Kind`]) replaces or spoils its
//! answer. Faults are set at start (`opsdeck sim --fault SOURCE=KIND`) or at run time through
//! the control endpoint (`/_sim/fault` on the platform port), per sim.

mod body;
pub mod conn;
pub mod control;
pub mod layer;
pub mod proxy;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};
use tokio::sync::watch;

/// What a request is for, as a person configuring opsdeck names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// The Kubernetes API: lists, watches, gets (everything on the API port but pod logs).
    Kube,
    /// Pod log reads and follows (`/api/v1/namespaces/*/pods/*/log`).
    Logs,
    /// The Prometheus HTTP API (`/api/v1/*` and `/metrics` on the platform port).
    Prometheus,
    Opencost,
    /// The RabbitMQ management API (`/api/*` but v1 and v2).
    Rabbitmq,
    /// The Alertmanager v2 API.
    Alertmanager,
    /// The services' health endpoints (`/services/*/health/*`).
    Health,
    /// The platform's own API (`/health`, `/config`, `/pipelines`...).
    Platform,
}

impl Source {
    pub const ALL: [Source; 8] = [
        Source::Kube,
        Source::Logs,
        Source::Prometheus,
        Source::Opencost,
        Source::Rabbitmq,
        Source::Alertmanager,
        Source::Health,
        Source::Platform,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Source::Kube => "kube",
            Source::Logs => "logs",
            Source::Prometheus => "prometheus",
            Source::Opencost => "opencost",
            Source::Rabbitmq => "rabbitmq",
            Source::Alertmanager => "alertmanager",
            Source::Health => "health",
            Source::Platform => "platform",
        }
    }

    /// The source of a request to the Kubernetes API port.
    pub fn of_api_path(path: &str) -> Source {
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        match parts.as_slice() {
            ["api", "v1", "namespaces", _, "pods", _, "log"] => Source::Logs,
            _ => Source::Kube,
        }
    }

    /// The source of a request to the platform port; None for the control endpoint itself.
    pub fn of_platform_path(path: &str) -> Option<Source> {
        let p = path.trim_end_matches('/');
        let under = |prefix: &str| p == prefix || p.starts_with(&format!("{prefix}/"));
        Some(if under("/_sim") {
            return None;
        } else if under("/api/v1") || p == "/metrics" {
            Source::Prometheus
        } else if under("/api/v2") {
            Source::Alertmanager
        } else if under("/api") {
            Source::Rabbitmq
        } else if under("/allocation") {
            Source::Opencost
        } else if under("/services") {
            Source::Health
        } else {
            Source::Platform
        })
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Source {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Source::ALL
            .into_iter()
            .find(|x| x.name() == s)
            .ok_or_else(|| format!("unknown source {s:?} (one of {})", names(&Source::ALL)))
    }
}

/// What goes wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Kind {
    /// The connection is reset as soon as the request is read (see [`conn`]).
    #[serde(rename = "refused")]
    Refused,
    /// Accepted, never answered.
    #[serde(rename = "silent")]
    Silent,
    /// The real answer, one byte every 500 ms.
    #[serde(rename = "slow")]
    Slow,
    #[serde(rename = "5xx")]
    Unavailable,
    #[serde(rename = "401")]
    Unauthorized,
    #[serde(rename = "403")]
    Forbidden,
    /// 429 with `Retry-After: 5` (`429:N`: N seconds).
    #[serde(rename = "429")]
    TooMany,
    /// The real body cut in the middle, the connection closed.
    #[serde(rename = "truncated")]
    Truncated,
    /// A proxy's HTML error page, with 200.
    #[serde(rename = "malformed")]
    Malformed,
    /// Valid JSON of the wrong shape.
    #[serde(rename = "wrong-shape")]
    WrongShape,
    /// A stream (watch, log follow) cut after its first event, in the middle of a line.
    #[serde(rename = "midstream")]
    Midstream,
    /// Watches answer an ERROR event with a 410 Status, like kube-apiserver after compaction.
    #[serde(rename = "gone")]
    Gone,
}

impl Kind {
    pub const ALL: [Kind; 12] = [
        Kind::Refused,
        Kind::Silent,
        Kind::Slow,
        Kind::Unavailable,
        Kind::Unauthorized,
        Kind::Forbidden,
        Kind::TooMany,
        Kind::Truncated,
        Kind::Malformed,
        Kind::WrongShape,
        Kind::Midstream,
        Kind::Gone,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Refused => "refused",
            Kind::Silent => "silent",
            Kind::Slow => "slow",
            Kind::Unavailable => "5xx",
            Kind::Unauthorized => "401",
            Kind::Forbidden => "403",
            Kind::TooMany => "429",
            Kind::Truncated => "truncated",
            Kind::Malformed => "malformed",
            Kind::WrongShape => "wrong-shape",
            Kind::Midstream => "midstream",
            Kind::Gone => "gone",
        }
    }

    /// Whether this fault means anything for `source`: only streams are cut mid-event, only
    /// watches expire.
    pub fn applies_to(self, source: Source) -> bool {
        match self {
            Kind::Midstream => matches!(source, Source::Kube | Source::Logs),
            Kind::Gone => source == Source::Kube,
            _ => true,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Kind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = if s == "503" { "5xx" } else { s };
        Kind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| format!("unknown fault {s:?} (one of {}, clear)", names(&Kind::ALL)))
    }
}

fn names<T: fmt::Display>(all: &[T]) -> String {
    all.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The `Retry-After` a `429` fault sends when it names none.
pub const RETRY_AFTER: u64 = 5;

/// `SOURCE=KIND` as `--fault` takes it; KIND `clear` is None. `429:N` asks for N seconds
/// (`Retry-After: N`) instead of [`RETRY_AFTER`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FaultSpec {
    pub source: Source,
    pub kind: Option<Kind>,
    pub retry_after: Option<u64>,
}

impl FromStr for FaultSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (source, kind) = s
            .split_once('=')
            .ok_or_else(|| format!("{s:?}: expected SOURCE=KIND, e.g. prometheus=5xx"))?;
        FaultSpec::new(source.trim(), kind.trim())
    }
}

impl FaultSpec {
    pub fn new(source: &str, kind: &str) -> Result<FaultSpec, String> {
        let source: Source = source.parse()?;
        let (kind, retry_after) = match kind.split_once(':') {
            Some((k, secs)) => {
                let secs = secs
                    .parse::<u64>()
                    .map_err(|_| format!("{secs:?}: expected whole seconds, e.g. 429:3"))?;
                (k, Some(secs))
            }
            None => (kind, None),
        };
        let kind = match kind {
            "clear" => None,
            k => Some(k.parse::<Kind>()?),
        };
        if let Some(k) = kind.filter(|k| !k.applies_to(source)) {
            return Err(format!("{k} does not apply to {source}"));
        }
        if retry_after.is_some() && kind != Some(Kind::TooMany) {
            return Err("only 429 takes seconds (429:N, its Retry-After)".into());
        }
        Ok(FaultSpec {
            source,
            kind,
            retry_after,
        })
    }
}

/// A fault in force: its kind, for `gone` the resource version below which watches expire,
/// for `429` the seconds its Retry-After names when not [`RETRY_AFTER`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Active {
    pub kind: Kind,
    #[serde(skip)]
    pub floor: u64,
    pub retry_after: Option<u64>,
}

impl fmt::Display for Active {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.retry_after {
            Some(secs) => write!(f, "{}:{secs}", self.kind),
            None => write!(f, "{}", self.kind),
        }
    }
}

/// The faults of one sim. Changes are broadcast so that open streams react to them too.
pub struct Faults {
    table: watch::Sender<BTreeMap<Source, Active>>,
    /// The sim's current resource version, read when `gone` is set.
    current_rv: Arc<dyn Fn() -> u64 + Send + Sync>,
    /// Requests seen per source (by `Source as usize`), faulted or not: tests count what a
    /// source sends while it is told to wait.
    hits: [AtomicU64; Source::ALL.len()],
}

impl Default for Faults {
    fn default() -> Self {
        Faults::new(Arc::new(|| 0))
    }
}

impl Faults {
    pub fn new(current_rv: Arc<dyn Fn() -> u64 + Send + Sync>) -> Faults {
        Faults {
            table: watch::Sender::new(BTreeMap::new()),
            current_rv,
            hits: Default::default(),
        }
    }

    /// Sets (or with None clears) the fault of a source.
    pub fn set(&self, spec: FaultSpec) {
        let floor = match spec.kind {
            Some(Kind::Gone) => (self.current_rv)() + 1,
            _ => 0,
        };
        let retry_after = spec.retry_after;
        self.table.send_modify(|t| match spec.kind {
            Some(kind) => {
                let active = Active {
                    kind,
                    floor,
                    retry_after,
                };
                t.insert(spec.source, active);
            }
            None => {
                t.remove(&spec.source);
            }
        });
        tracing::info!(
            "sim fault: {}={:?} {:?}",
            spec.source,
            spec.kind,
            retry_after
        );
    }

    /// Every fault in force, by source name.
    pub fn list(&self) -> BTreeMap<String, String> {
        self.table
            .borrow()
            .iter()
            .map(|(s, a)| (s.to_string(), a.to_string()))
            .collect()
    }

    /// Counts one request for `source` (the fault layer calls it for each).
    pub fn hit(&self, source: Source) {
        self.hits[source as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// How many requests `source` has sent so far.
    pub fn hits(&self, source: Source) -> u64 {
        self.hits[source as usize].load(Ordering::Relaxed)
    }

    /// Requests seen so far, by source name.
    pub fn all_hits(&self) -> BTreeMap<String, u64> {
        Source::ALL
            .into_iter()
            .map(|s| (s.to_string(), self.hits(s)))
            .collect()
    }

    pub(crate) fn subscribe(&self) -> watch::Receiver<BTreeMap<Source, Active>> {
        self.table.subscribe()
    }
}
