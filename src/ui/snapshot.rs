//! What a pane gives `opsdeck snapshot` (`Pane::sources`, `Pane::snapshot`): its sources and
//! their state, its rows as JSON, and its section of the text report. The shapes here are the
//! snapshot schema's (`docs/snapshot.schema.json`); the runner (`app::snapshot`) adds the
//! pane's overall state.

use serde::Serialize;
use serde_json::{Map, Value};

use super::table::{Ctx, TableRows, plain_table};
use crate::status::LoadState;

/// One source a pane reads, as the snapshot reports it.
#[derive(Clone, Debug, PartialEq)]
pub struct Source {
    /// The kind of system, for scripts: "kubernetes", "prometheus", "opencost", "rabbitmq",
    /// "redis", "alertmanager"...
    pub kind: &'static str,
    /// How a person names it: "Prometheus", "Kubernetes pods in contentgen".
    pub name: String,
    /// Where it is, without credentials (None: implied, e.g. the kubeconfig's cluster).
    pub url: Option<String>,
    pub state: LoadState,
    /// Whether what it said is in the snapshot. A source that did not answer in time (or
    /// failed) makes the snapshot exit 2, naming it.
    pub answered: bool,
}

impl Source {
    /// A source that answered only when it is live.
    pub fn new(
        kind: &'static str,
        name: impl Into<String>,
        url: Option<&str>,
        state: &LoadState,
    ) -> Source {
        Source {
            kind,
            name: name.into(),
            url: url.map(str::to_string),
            answered: *state == LoadState::Live,
            state: state.clone(),
        }
    }

    /// "Prometheus http://127.0.0.1:9090": what the exit-2 message names.
    pub fn label(&self) -> String {
        match &self.url {
            Some(url) => format!("{} {url}", self.name),
            None => self.name.clone(),
        }
    }

    /// The source in the snapshot's JSON: kind, name, url, state ("live", "loading",
    /// "stale"), since (RFC 3339, when stale), reason (when stale), answered.
    pub fn to_json(&self) -> Value {
        let (state, since, reason) = match &self.state {
            LoadState::Live => ("live", None, None),
            LoadState::Loading => ("loading", None, None),
            LoadState::Stale { since, reason } => ("stale", Some(rfc3339(*since)), Some(reason)),
        };
        serde_json::json!({
            "kind": self.kind,
            "name": self.name,
            "url": self.url,
            "state": state,
            "since": since,
            "reason": reason,
            "answered": self.answered,
        })
    }
}

/// A pane's part of a snapshot.
#[derive(Clone, Debug, PartialEq)]
pub struct PaneSnapshot {
    /// Its key in the JSON ("slo", "queues"): one word, unique among panes.
    pub key: &'static str,
    /// Its main table, one JSON object per row, in the order the console shows them.
    pub rows: Vec<Value>,
    /// Its other tables and figures, each under its own name (beside "rows"; "state" and
    /// "sources" are the runner's).
    pub more: Map<String, Value>,
    /// Its section of the text report: a heading, then aligned lines.
    pub text: Vec<String>,
}

/// A value as JSON (the rows' types serialize without fail; a failure would show as null).
pub fn json(value: &impl Serialize) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// Unix seconds as RFC 3339 (UTC), as the snapshot writes every instant.
pub fn rfc3339(secs: i64) -> String {
    jiff::Timestamp::from_second(secs).map_or_else(|_| secs.to_string(), |t| t.to_string())
}

/// A section's heading: "SLOS (5)", then what is wrong with its sources, as the console's pane
/// title says it ("STALE 2m: connection refused, retrying in 4s", "loading").
pub fn heading(name: &str, count: usize, load: &LoadState, ctx: &Ctx) -> String {
    format!("{} ({count}){}", name.to_uppercase(), state_note(load, ctx))
}

/// What a heading adds of its source's state: nothing when live.
pub fn state_note(load: &LoadState, ctx: &Ctx) -> String {
    match load {
        LoadState::Live => String::new(),
        LoadState::Loading => "  no answer yet".to_string(),
        LoadState::Stale { since, reason } => {
            format!("  STALE {}: {reason}", super::format::age(ctx.now - since))
        }
    }
}

/// A section: its heading, then the table the console shows, every column at full width.
pub fn section(heading: String, rows: &dyn TableRows, count: usize, ctx: &Ctx) -> Vec<String> {
    let mut text = vec![heading];
    if count > 0 {
        text.extend(plain_table(rows, 0..count, ctx));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_says_its_state_and_whether_it_answered() {
        let stale = LoadState::Stale {
            since: 1_795_608_000,
            reason: "connection refused, retrying in 4s".into(),
        };
        let s = Source::new(
            "prometheus",
            "Prometheus",
            Some("http://127.0.0.1:1"),
            &stale,
        );
        assert!(!s.answered);
        assert_eq!(s.label(), "Prometheus http://127.0.0.1:1");
        let j = s.to_json();
        assert_eq!(j["state"], "stale");
        assert_eq!(j["since"], "2026-11-25T12:00:00Z");
        assert_eq!(j["reason"], "connection refused, retrying in 4s");
        let live = Source::new("opencost", "OpenCost", None, &LoadState::Live);
        assert!(live.answered);
        assert_eq!(live.to_json()["reason"], Value::Null);
    }
}
