//! Action locks: before a console acts on a Kubernetes target it holds a
//! `coordination.k8s.io/v1` Lease named after the target, so a second console planning on the
//! same target learns who is acting and why, and goes on only when forced. What a plan shows of
//! the lock lives here; the lease calls are in `lease`, holding it while acting in `guard`.
//!
//! kube-lease-manager (REFERENCE.md 6b) was weighed and not used: it writes with server-side
//! apply and strategic-merge patches (not create / update-with-resourceVersion, which is what
//! makes a lost race a 409), keeps the holder, the expiry and the lease private (a plan must
//! read another holder's lease: who, doing what, since when), writes no annotations, takes over
//! by patch without a precondition, and never deletes the lease on release.

pub mod guard;
pub mod lease;

use serde::{Deserialize, Serialize};

use super::verb::Subject;

/// How long a lease is good for after its last renewal: a dead console's lock frees itself.
pub const DURATION_S: i32 = 30;
/// How often the holder renews while it acts and verifies (a third of the duration).
pub const RENEW_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// Annotations saying, in words, what the holder is doing.
pub const DOING: &str = "opsdeck.io/action";
pub const VERB: &str = "opsdeck.io/verb";
pub const TARGET: &str = "opsdeck.io/target";
pub const RUNBOOK: &str = "opsdeck.io/runbook";
pub const SINCE: &str = "opsdeck.io/since";
pub const PLAN: &str = "opsdeck.io/plan";
/// The holder console's session (its audit log's): tells this console's own lease from
/// another console's, even when the same person runs both.
pub const SESSION: &str = "opsdeck.io/session";
/// A label on every action lock: `kubectl get lease -l opsdeck.io/lock`.
pub const LABEL: &str = "opsdeck.io/lock";

/// Who holds locks: the person, `$OPSDECK_OPERATOR`, else the OS user as the audit log names
/// it (incidents name their authors the same way). Not the kube user: teams often share one
/// (an admin context, a cloud role), and "sim-admin is rolling back" tells nobody whom to ask.
pub fn operator() -> String {
    std::env::var("OPSDECK_OPERATOR")
        .ok()
        .filter(|o| !o.trim().is_empty())
        .unwrap_or_else(|| super::audit::Who::current().os_user)
}

/// The lease of a target, `opsdeck-<kind>-<namespace>-<name>` (a node's namespace part is
/// `cluster`), and the target as the holder's words name it. None: the verb talks only to
/// Alertmanager or the platform API and takes no lock.
pub fn lease_for(subject: &Subject<'_>) -> Option<(String, String)> {
    let (kind, ns, name, words) = match subject {
        Subject::Workload(w) => (
            w.kind.singular(),
            w.namespace.as_str(),
            w.name.as_str(),
            format!("{}/{}", w.namespace, w.name),
        ),
        Subject::Node(n) => ("node", "cluster", *n, format!("node {n}")),
        Subject::Platform { .. } | Subject::Alertmanager { .. } => return None,
    };
    Some((format!("opsdeck-{kind}-{ns}-{name}").to_lowercase(), words))
}

/// Another holder of a lease, as read from it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    /// `spec.holderIdentity`.
    pub identity: String,
    /// "rolling back" (empty: a lease not written by opsdeck).
    pub doing: String,
    /// "contentgen/api".
    pub target: String,
    pub runbook: Option<String>,
    pub session: Option<String>,
    /// `spec.acquireTime`, ms since the epoch.
    pub acquired_ms: Option<i64>,
    /// `spec.renewTime`, ms since the epoch.
    pub renewed_ms: Option<i64>,
    pub duration_s: i32,
}

fn clock(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.strftime("%H:%M:%S UTC").to_string())
        .unwrap_or_else(|_| "?".into())
}

impl Holder {
    /// "alice is rolling back contentgen/api since 14:02:11 UTC (runbook bad-rollout)".
    pub fn words(&self) -> String {
        let doing = if self.doing.is_empty() {
            "holding the action lock on"
        } else {
            &self.doing
        };
        let mut s = format!("{} is {doing} {}", self.identity, self.target);
        if let Some(ms) = self.acquired_ms.or(self.renewed_ms) {
            s.push_str(&format!(" since {}", clock(ms)));
        }
        if let Some(r) = &self.runbook {
            s.push_str(&format!(" (runbook {r})"));
        }
        s
    }

    /// When the lease frees itself unless renewed (ms); None: it cannot be told, so it is
    /// taken as free, as client-go does with a lease missing its times.
    pub fn expires_ms(&self) -> Option<i64> {
        let last = self.renewed_ms.or(self.acquired_ms)?;
        Some(last + i64::from(self.duration_s) * 1000)
    }

    pub fn expired(&self, now_ms: i64) -> bool {
        self.expires_ms().is_none_or(|at| at < now_ms)
    }

    /// The same holding: who, which console and since when (a force confirms this one only).
    pub fn same_as(&self, other: &Holder) -> bool {
        (&self.identity, &self.session, self.acquired_ms)
            == (&other.identity, &other.session, other.acquired_ms)
    }
}

/// What the plan found of the target's lease.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LockState {
    /// Nobody holds it (absent, released, or this console's own): taking it is a create or
    /// an update.
    Free,
    /// A dead holder's lease (renewTime + duration passed): taken by an update.
    Expired(Holder),
    /// Another console holds it: acting needs "<name> --force".
    Held(Holder),
    /// No lock can be had here (leases forbidden, ...): the action goes on without one.
    Unavailable(String),
}

/// The target's action lock as the plan saw it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockCheck {
    pub namespace: String,
    pub name: String,
    pub state: LockState,
}

impl LockCheck {
    pub fn held_by(&self) -> Option<&Holder> {
        match &self.state {
            LockState::Held(h) => Some(h),
            _ => None,
        }
    }

    /// "contentgen/opsdeck-deployment-contentgen-api".
    pub fn lease(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }

    /// One line for the plan: the holder's words first when it is held.
    pub fn line(&self) -> String {
        match &self.state {
            LockState::Held(h) => format!("LOCKED: {}", h.words()),
            LockState::Expired(h) => format!(
                "action lock: lease {} expired (was: {}); it is taken over when this runs",
                self.lease(),
                h.words()
            ),
            LockState::Free => format!(
                "action lock: lease {} is free; held for {DURATION_S}s, renewed every {}s while this runs",
                self.lease(),
                RENEW_EVERY.as_secs()
            ),
            LockState::Unavailable(why) => format!("no action lock: {why}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::target::WorkloadRef;
    use crate::k8s::WorkloadKind;

    #[test]
    fn leases_are_named_after_their_targets() {
        let w = WorkloadRef {
            kind: WorkloadKind::StatefulSet,
            namespace: "contentgen".into(),
            name: "Redis".into(),
        };
        assert_eq!(
            lease_for(&Subject::Workload(&w)),
            Some((
                "opsdeck-statefulset-contentgen-redis".into(),
                "contentgen/Redis".into()
            ))
        );
        assert_eq!(
            lease_for(&Subject::Node("pool-general-3")).map(|l| l.0),
            Some("opsdeck-node-cluster-pool-general-3".into())
        );
        let platform = Subject::Platform {
            target: "platform generation".into(),
            name: "generation".into(),
        };
        assert_eq!(lease_for(&platform), None);
    }

    #[test]
    fn a_holder_says_who_what_since_when_and_expires() {
        let at = jiff::Timestamp::constant(1_795_608_000 + 7_331, 0).as_millisecond();
        let h = Holder {
            identity: "alice".into(),
            doing: "rolling back".into(),
            target: "contentgen/api".into(),
            runbook: Some("bad-rollout".into()),
            acquired_ms: Some(at),
            renewed_ms: Some(at + 20_000),
            duration_s: 30,
            ..Holder::default()
        };
        assert_eq!(
            h.words(),
            "alice is rolling back contentgen/api since 14:02:11 UTC (runbook bad-rollout)"
        );
        assert!(!h.expired(at + 49_000));
        assert!(h.expired(at + 50_001));
        let bare = Holder {
            identity: "kube-controller".into(),
            target: "contentgen/api".into(),
            ..Holder::default()
        };
        assert!(bare.expired(0), "no times: cannot be told, so free");
        assert_eq!(
            bare.words(),
            "kube-controller is holding the action lock on contentgen/api"
        );
    }
}
