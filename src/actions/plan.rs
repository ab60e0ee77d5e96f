//! A Plan: what exactly an action will change, the exact requests, and what stands in its way.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::ActionRequest;
use super::lock::{DURATION_S, LockCheck, LockState};

/// One field before -> after ("replicas" 4 -> 8).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub what: String,
    pub before: String,
    pub after: String,
}

/// Which API a call goes to (always said: a call never goes to the cluster by default).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Api {
    /// The cluster's API server, through the kube client (its credentials, its Audit-ID).
    Kubernetes,
    /// The platform's own HTTP API (`[platform] url`).
    Platform,
    /// The `[[alertmanager]]` instance of this name.
    Alertmanager(String),
}

impl PlannedCall {
    /// "POST /api/v2/silences", with the instance when it goes to an Alertmanager.
    pub fn describe(&self) -> String {
        match &self.api {
            Api::Alertmanager(name) => {
                format!("{} {} (alertmanager {name})", self.method, self.path)
            }
            _ => format!("{} {}", self.method, self.path),
        }
    }
}

/// A request exactly as it will be sent (path relative to the server, query included).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedCall {
    pub api: Api,
    pub method: String,
    pub path: String,
    pub content_type: String,
    pub body: String,
}

/// The answer of the access review (or, for platform actions, why none applies).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permission {
    pub allowed: bool,
    pub reason: String,
    pub checks: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub id: String,
    /// The kube context the plan acts in: its first line says so, and only that context's
    /// executor runs it.
    #[serde(default)]
    pub context: String,
    pub request: ActionRequest,
    pub target: String,
    pub changes: Vec<Change>,
    pub calls: Vec<PlannedCall>,
    pub warnings: Vec<String>,
    pub destructive: bool,
    pub confirm_phrase: String,
    pub precondition: Option<Precondition>,
    pub permission: Permission,
    pub dry_run: Option<String>,
    pub noop: Option<String>,
    /// The target's action lock as the plan read it (None: the verb takes no lock).
    #[serde(default)]
    pub lock: Option<LockCheck>,
    /// The runbook this action is a step of, named on the lock it takes.
    #[serde(default)]
    pub runbook: Option<String>,
}

/// The access review a Kubernetes action needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    pub namespace: String,
    pub verb: String,
    pub group: String,
    pub resource: String,
    pub subresource: Option<String>,
    pub name: String,
}

impl Review {
    /// "patch deployments/scale (apps) contentgen/api"; cluster-scoped core resources read
    /// "patch nodes pool-general-3".
    pub fn describe(&self) -> String {
        let res = match &self.subresource {
            Some(s) => format!("{}/{s}", self.resource),
            None => self.resource.clone(),
        };
        let group = if self.group.is_empty() {
            String::new()
        } else {
            format!(" ({})", self.group)
        };
        let object = if self.namespace.is_empty() {
            self.name.clone()
        } else {
            format!("{}/{}", self.namespace, self.name)
        };
        format!("{} {res}{group} {object}", self.verb)
    }
}

/// The object a write expects unchanged since the plan read it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Precondition {
    /// Its path on the API server, re-read just before the write.
    pub path: String,
    pub resource_version: String,
}

/// What a verb works out from live state; the executor adds id, permission and dry run.
/// (The access review comes first, from the request alone: `Verb::review`.)
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Draft {
    pub changes: Vec<Change>,
    pub calls: Vec<PlannedCall>,
    pub warnings: Vec<String>,
    pub destructive: bool,
    pub precondition: Option<Precondition>,
    pub noop: Option<String>,
}

impl Plan {
    /// SHA-256 of the plan's JSON: the audit log names exactly what was confirmed.
    pub fn hash(&self) -> String {
        let text = serde_json::to_string(self).unwrap_or_default();
        hex(&Sha256::digest(text.as_bytes()))
    }

    /// Another console holds the target's lock: acting needs "<name> --force".
    pub fn held(&self) -> bool {
        self.lock.as_ref().is_some_and(|l| l.held_by().is_some())
    }

    /// The preview as plain lines, for the headless runner and the dialog alike.
    pub fn lines(&self) -> Vec<String> {
        let on = if self.context.is_empty() {
            String::new()
        } else {
            format!(" in context {}", self.context)
        };
        let mut out = vec![format!("{} {}{on}", self.request.verb(), self.target)];
        // Someone else acting on the target is the first thing to know.
        let lock_first = self
            .lock
            .as_ref()
            .filter(|l| !matches!(l.state, LockState::Free));
        if let Some(l) = lock_first {
            out.push(format!("  {}", l.line()));
        }
        if let Some(l) = self.lock.as_ref().filter(|_| self.held()) {
            out.push(format!(
                "  type {:?} to act anyway: it takes lease {} over (a holder's lease frees \
                 itself {DURATION_S}s after its console stops renewing it)",
                self.confirm_phrase,
                l.lease()
            ));
        }
        if let Some(why) = &self.noop {
            out.push(format!("  nothing to do: {why}"));
        }
        for c in &self.changes {
            out.push(format!("  {}: {} -> {}", c.what, c.before, c.after));
        }
        for call in &self.calls {
            out.push(format!("  {} ({})", call.describe(), call.content_type));
            if !call.body.is_empty() {
                out.push(format!("    {}", call.body));
            }
        }
        for w in &self.warnings {
            out.push(format!("  warning: {w}"));
        }
        if let Some(p) = &self.precondition {
            out.push(format!(
                "  precondition: resourceVersion {}",
                p.resource_version
            ));
        }
        if let Some(l) = self.lock.as_ref().filter(|l| l.state == LockState::Free) {
            out.push(format!("  {}", l.line()));
        }
        out.push(format!("  permission: {}", self.permission.reason));
        if let Some(d) = &self.dry_run {
            out.push(format!("  server dry run: {d}"));
        }
        if self.destructive {
            out.push(format!(
                "  destructive: type {:?} to confirm",
                self.confirm_phrase
            ));
        }
        out
    }
}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// A plan id unique within and across sessions: time plus a process-wide counter.
pub fn new_id() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let now = jiff::Timestamp::now();
    format!("p{}-{}-{n}", now.as_millisecond(), std::process::id())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn hex_and_hash_are_stable() {
        assert_eq!(hex(&[0, 15, 255]), "000fff");
        let plan = Plan {
            context: String::new(),
            id: "p1".into(),
            request: ActionRequest::PauseGeneration(Default::default()),
            target: "platform generation".into(),
            changes: vec![],
            calls: vec![],
            warnings: vec![],
            destructive: true,
            confirm_phrase: "generation".into(),
            precondition: None,
            permission: Permission::default(),
            dry_run: None,
            noop: None,
            lock: None,
            runbook: None,
        };
        assert_eq!(plan.hash(), plan.clone().hash());
        assert_eq!(plan.hash().len(), 64);
        assert!(
            plan.lines()
                .iter()
                .any(|l| l.contains("type \"generation\""))
        );
    }

    /// A plan on a target another console holds, as `Executor::plan` makes it.
    pub(crate) fn held_plan() -> Plan {
        use crate::actions::lock::Holder;
        let words = ["rollback", "api"];
        let request = ActionRequest::parse(&words, "contentgen").expect("parses");
        let at = jiff::Timestamp::constant(1_795_608_000 + 7_331, 0).as_millisecond();
        Plan {
            context: String::new(),
            id: "p2".into(),
            request,
            target: "deployment contentgen/api".into(),
            changes: vec![Change {
                what: "revision".into(),
                before: "7".into(),
                after: "6".into(),
            }],
            calls: vec![],
            warnings: vec![],
            destructive: false,
            confirm_phrase: "api --force".into(),
            precondition: None,
            permission: Permission::default(),
            dry_run: None,
            noop: None,
            lock: Some(LockCheck {
                namespace: "contentgen".into(),
                name: "opsdeck-deployment-contentgen-api".into(),
                state: LockState::Held(Holder {
                    identity: "alice".into(),
                    doing: "rolling back".into(),
                    target: "contentgen/api".into(),
                    runbook: Some("bad-rollout".into()),
                    acquired_ms: Some(at),
                    renewed_ms: Some(at),
                    duration_s: 30,
                    ..Holder::default()
                }),
            }),
            runbook: None,
        }
    }

    #[test]
    fn a_held_target_is_said_first() {
        let lines = held_plan().lines();
        assert_eq!(
            lines[1],
            "  LOCKED: alice is rolling back contentgen/api since 14:02:11 UTC (runbook bad-rollout)"
        );
        assert!(lines[2].starts_with("  type \"api --force\" to act anyway"));
        assert!(held_plan().held());
    }
}
