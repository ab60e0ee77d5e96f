//! One timeline entry: what happened, when (UTC, milliseconds), what kind of thing, from which
//! source, who did it (actions and notes), and the object it is about. Entries are never
//! rewritten: a correction or a hiding is a new entry naming the one it supersedes.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::k8s::ObjectRef;

/// What an entry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// The incident began: its title, severity and context are in `data`.
    Started,
    /// A milestone reached or corrected (`data.milestone`, `data.at`).
    Milestone,
    /// A role given: commander, scribe (`data.role`, `data.who`).
    Role,
    Note,
    /// Replaces the text of the entry it supersedes (which is kept).
    Correction,
    /// Hides the entry it supersedes (which is kept).
    Hidden,
    AlertFired,
    AlertResolved,
    AlertSilenced,
    /// An SLO changed state: ok, TICKET, PAGE.
    Slo,
    QueueGrowing,
    QueueDrained,
    /// A budget went to WARN or OVER, or back.
    Budget,
    /// A workload got a new revision (images before and after in `data`).
    Rollout,
    /// An HPA's desired replicas or a workload's replicas changed.
    Scaling,
    Crashloop,
    NodeNotReady,
    NodeReady,
    /// An executor action: its plan, outcome and audit id.
    Action,
    RunbookStep,
    /// What the incident cost, measured when it was resolved (`data`: the export's Impact).
    Impact,
}

impl Kind {
    /// How the timeline and the export name it.
    pub fn word(self) -> &'static str {
        match self {
            Kind::Started => "started",
            Kind::Milestone => "milestone",
            Kind::Role => "role",
            Kind::Note => "note",
            Kind::Correction => "correction",
            Kind::Hidden => "hidden",
            Kind::AlertFired => "alert fired",
            Kind::AlertResolved => "alert resolved",
            Kind::AlertSilenced => "alert silenced",
            Kind::Slo => "SLO",
            Kind::QueueGrowing => "queue growing",
            Kind::QueueDrained => "queue drained",
            Kind::Budget => "budget",
            Kind::Rollout => "rollout",
            Kind::Scaling => "scaling",
            Kind::Crashloop => "crashloop",
            Kind::NodeNotReady => "node not ready",
            Kind::NodeReady => "node ready",
            Kind::Action => "action",
            Kind::RunbookStep => "runbook step",
            Kind::Impact => "impact",
        }
    }

    /// A change of the platform (what "what changed before it started" lists).
    pub fn is_change(self) -> bool {
        matches!(
            self,
            Kind::Rollout | Kind::Scaling | Kind::NodeNotReady | Kind::NodeReady | Kind::Action
        )
    }
}

/// The milestones of an incident, in the order they are reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Milestone {
    Started,
    Detected,
    Acknowledged,
    Mitigated,
    Resolved,
}

impl Milestone {
    pub const ALL: [Milestone; 5] = [
        Milestone::Started,
        Milestone::Detected,
        Milestone::Acknowledged,
        Milestone::Mitigated,
        Milestone::Resolved,
    ];

    pub fn word(self) -> &'static str {
        match self {
            Milestone::Started => "started",
            Milestone::Detected => "detected",
            Milestone::Acknowledged => "acknowledged",
            Milestone::Mitigated => "mitigated",
            Milestone::Resolved => "resolved",
        }
    }

    pub fn parse(word: &str) -> Option<Milestone> {
        Milestone::ALL.into_iter().find(|m| m.word() == word)
    }
}

/// What an entry links to: a Kubernetes object (enter describes it) or a view's row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "to", rename_all = "kebab-case")]
pub enum Link {
    Object {
        kind: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        namespace: Option<String>,
        name: String,
    },
    Slo {
        name: String,
    },
    Queue {
        name: String,
    },
    Alert {
        name: String,
    },
}

impl Link {
    pub fn object(o: &ObjectRef) -> Link {
        Link::Object {
            kind: o.kind.api_kind().to_string(),
            namespace: o.namespace.clone(),
            name: o.name.clone(),
        }
    }

    /// "Pod contentgen/api-1", "SLO api-availability".
    pub fn label(&self) -> String {
        match self {
            Link::Object {
                kind,
                namespace: Some(ns),
                name,
            } => format!("{kind} {ns}/{name}"),
            Link::Object { kind, name, .. } => format!("{kind} {name}"),
            Link::Slo { name } => format!("SLO {name}"),
            Link::Queue { name } => format!("queue {name}"),
            Link::Alert { name } => format!("alert {name}"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Unique across every console writing to the incident.
    pub id: String,
    /// When it happened (not when it was written), unix milliseconds, UTC.
    pub at: i64,
    pub kind: Kind,
    /// Who saw it: alertmanager, prometheus, kubernetes, executor, runbook, operator.
    pub source: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<Link>,
    /// The entry this one corrects or hides.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supersedes: Option<String>,
    /// What the kind carries beyond its text (a milestone's time, an action's audit id).
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub data: Value,
}

impl Entry {
    /// A new entry of `kind` at `at` (ms); its id is unique to this process and time.
    pub fn new(kind: Kind, at: i64, source: &str, text: impl Into<String>) -> Entry {
        Entry {
            id: new_id(at),
            at,
            kind,
            source: source.to_string(),
            text: text.into(),
            operator: None,
            link: None,
            supersedes: None,
            data: Value::Null,
        }
    }

    pub fn by(mut self, operator: &str) -> Entry {
        self.operator = Some(operator.to_string());
        self
    }

    pub fn about(mut self, link: Link) -> Entry {
        self.link = Some(link);
        self
    }

    pub fn with(mut self, data: Value) -> Entry {
        self.data = data;
        self
    }

    pub fn superseding(mut self, id: &str) -> Entry {
        self.supersedes = Some(id.to_string());
        self
    }

    /// The time as the timeline prints it: "2026-12-02 14:02:11".
    pub fn time(&self) -> String {
        utc(self.at)
    }
}

/// "2026-12-02 14:02:11" (UTC) of unix milliseconds.
pub fn utc(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.strftime("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|_| "?".into())
}

/// Time first (ids sort by time), then this process and a counter: unique without a lock.
fn new_id(at: i64) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let seq = SEQ.fetch_add(1, Ordering::Relaxed);
    format!("{at:013}-{:x}-{seq:x}", std::process::id())
}

/// A new incident id: "inc-" and the start time's base-36 digits ("inc-mhx7k2a1").
pub fn incident_id(at: i64) -> String {
    let mut n = at.max(0) as u64;
    let mut digits = vec![];
    while n > 0 {
        let d = (n % 36) as u8;
        digits.push(if d < 10 { b'0' + d } else { b'a' + d - 10 } as char);
        n /= 36;
    }
    digits.reverse();
    format!("inc-{}", digits.into_iter().collect::<String>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_and_ids_are_unique() {
        let e = Entry::new(Kind::Note, 1_795_608_000_000, "operator", "rolled back")
            .by("alice")
            .about(Link::Slo {
                name: "api-availability".into(),
            });
        let line = serde_json::to_string(&e).unwrap();
        assert!(line.contains("\"kind\":\"note\""), "{line}");
        assert_eq!(serde_json::from_str::<Entry>(&line).unwrap(), e);
        let other = Entry::new(Kind::Note, e.at, "operator", "x");
        assert_ne!(other.id, e.id);
        assert_eq!(e.time(), "2026-11-25 12:00:00");
        assert_eq!(incident_id(1_795_608_000_000), "inc-mww2n400");
    }
}
