//! The Lease calls, through kube's `Api<Lease>`: read (the plan), take (a create, or an update
//! with the resourceVersion just read), renew (an update with ours), release (a delete with
//! ours as its precondition). A 409 on a take means another console got there first.

use std::collections::BTreeMap;

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use kube::Client;
use kube::api::{Api, DeleteParams, PostParams, Preconditions};

use super::{
    DOING, DURATION_S, Holder, LABEL, LockCheck, LockState, PLAN, RUNBOOK, SESSION, SINCE, TARGET,
    VERB,
};

/// Who takes a lock and for what: what its annotations say.
#[derive(Clone, Debug, Default)]
pub struct Mine {
    pub operator: String,
    pub session: String,
    /// "rolling back".
    pub doing: String,
    pub verb: String,
    /// "contentgen/api".
    pub target: String,
    pub runbook: Option<String>,
    pub plan: String,
}

/// How a take ended.
#[derive(Debug)]
pub enum Taken {
    /// Held; `over`: the holder it was taken from (a dead one, or forced).
    Held {
        lease: Box<HeldLease>,
        over: Option<Holder>,
    },
    /// Another console holds it, or won the race for it.
    Refused(Holder),
    /// No lock can be had (why); the action goes on without one, and says so.
    Without(String),
}

/// Why a renewal did not happen.
#[derive(Debug)]
pub enum RenewError {
    /// Someone else replaced or deleted it: to whom.
    Lost(String),
    /// The request failed; the lease still stands until it expires.
    Failed(String),
}

/// A lease this console holds: the object as last written (its resourceVersion is ours).
#[derive(Debug)]
pub struct HeldLease {
    api: Api<Lease>,
    lease: Lease,
    name: String,
}

fn status(e: &kube::Error) -> Option<&kube::core::Status> {
    match e {
        kube::Error::Api(s) => Some(s),
        _ => None,
    }
}

fn code(e: &kube::Error) -> u16 {
    status(e).map_or(0, |s| s.code)
}

/// Why no lock can be had, in words ("leases forbidden (...)").
fn without(namespace: &str, e: &kube::Error) -> String {
    match status(e) {
        Some(s) if s.code == 403 => format!("leases forbidden ({})", s.message),
        Some(s) if s.code == 404 => format!("namespace {namespace} not found ({})", s.message),
        Some(s) => format!("leases unavailable (HTTP {}: {})", s.code, s.message),
        None => format!("leases unavailable ({e})"),
    }
}

fn ms(t: Option<&MicroTime>) -> Option<i64> {
    t.map(|t| t.0.as_millisecond())
}

/// The holder a lease names, if it names one.
pub fn holder_of(lease: &Lease) -> Option<Holder> {
    let spec = lease.spec.as_ref()?;
    let identity = spec.holder_identity.clone().filter(|h| !h.is_empty())?;
    let notes = lease.metadata.annotations.clone().unwrap_or_default();
    let note = |k: &str| notes.get(k).cloned().filter(|v| !v.is_empty());
    Some(Holder {
        identity,
        doing: note(DOING).unwrap_or_default(),
        target: note(TARGET)
            .or_else(|| lease.metadata.name.clone())
            .unwrap_or_default(),
        runbook: note(RUNBOOK),
        session: note(SESSION),
        acquired_ms: ms(spec.acquire_time.as_ref()),
        renewed_ms: ms(spec.renew_time.as_ref()),
        duration_s: spec.lease_duration_seconds.unwrap_or(0),
    })
}

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// The lease as this console writes it; `transitions`: the count so far (bumped when the
/// holder changes).
fn written(name: &str, mine: &Mine, transitions: i32) -> Lease {
    let now = jiff::Timestamp::now();
    let mut notes = BTreeMap::from([
        (DOING.to_string(), mine.doing.clone()),
        (VERB.to_string(), mine.verb.clone()),
        (TARGET.to_string(), mine.target.clone()),
        (SINCE.to_string(), now.to_string()),
        (PLAN.to_string(), mine.plan.clone()),
        (SESSION.to_string(), mine.session.clone()),
    ]);
    if let Some(r) = &mine.runbook {
        notes.insert(RUNBOOK.to_string(), r.clone());
    }
    Lease {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            labels: Some(BTreeMap::from([
                (LABEL.to_string(), "true".to_string()),
                (
                    "app.kubernetes.io/managed-by".to_string(),
                    "opsdeck".to_string(),
                ),
            ])),
            annotations: Some(notes),
            ..ObjectMeta::default()
        },
        spec: Some(LeaseSpec {
            holder_identity: Some(mine.operator.clone()),
            lease_duration_seconds: Some(DURATION_S),
            acquire_time: Some(MicroTime(now)),
            renew_time: Some(MicroTime(now)),
            lease_transitions: Some(transitions),
            ..LeaseSpec::default()
        }),
    }
}

/// The leases of one namespace (`[incident] namespace`, else the context's).
#[derive(Clone)]
pub struct Leases {
    api: Api<Lease>,
    namespace: String,
}

impl Leases {
    pub fn new(client: Client, namespace: &str) -> Leases {
        Leases {
            api: Api::namespaced(client, namespace),
            namespace: namespace.to_string(),
        }
    }

    /// What a plan shows: free, a dead holder's, another console's, or no lock at all.
    pub async fn check(&self, name: &str, session: &str) -> LockCheck {
        let state = match self.api.get_opt(name).await {
            Err(e) => LockState::Unavailable(without(&self.namespace, &e)),
            Ok(None) => LockState::Free,
            Ok(Some(lease)) => match holder_of(&lease) {
                None => LockState::Free,
                Some(h) if h.session.as_deref() == Some(session) => LockState::Free,
                Some(h) if h.expired(now_ms()) => LockState::Expired(h),
                Some(h) => LockState::Held(h),
            },
        };
        LockCheck {
            namespace: self.namespace.clone(),
            name: name.to_string(),
            state,
        }
    }

    /// Takes the lease: a create when there is none, an update with the read resourceVersion
    /// when it is free, expired, this console's, or held by `force` (the holder the operator
    /// confirmed taking it from). Anyone else holding it refuses.
    pub async fn take(&self, name: &str, mine: &Mine, force: Option<&Holder>) -> Taken {
        let current = match self.api.get_opt(name).await {
            Err(e) => return Taken::Without(without(&self.namespace, &e)),
            Ok(c) => c,
        };
        let Some(current) = current else {
            let result = self
                .api
                .create(&PostParams::default(), &written(name, mine, 0))
                .await;
            return self.taken(name, result, None).await;
        };
        let holder = holder_of(&current);
        let ours = holder
            .as_ref()
            .is_some_and(|h| h.session.as_deref() == Some(mine.session.as_str()));
        let over = holder.filter(|_| !ours);
        if let Some(h) = &over
            && !h.expired(now_ms())
            && !force.is_some_and(|f| f.same_as(h))
        {
            return Taken::Refused(h.clone());
        }
        let transitions = current
            .spec
            .as_ref()
            .and_then(|s| s.lease_transitions)
            .unwrap_or(0);
        let mut lease = written(name, mine, transitions + i32::from(over.is_some()));
        lease.metadata.resource_version = current.metadata.resource_version.clone();
        let result = self.api.replace(name, &PostParams::default(), &lease).await;
        self.taken(name, result, over).await
    }

    /// A write's answer: held, lost the race (409: whoever holds it now), or no lock.
    async fn taken(
        &self,
        name: &str,
        result: Result<Lease, kube::Error>,
        over: Option<Holder>,
    ) -> Taken {
        match result {
            Ok(lease) => Taken::Held {
                lease: Box::new(HeldLease {
                    api: self.api.clone(),
                    lease,
                    name: name.to_string(),
                }),
                over,
            },
            Err(e) if code(&e) == 409 => Taken::Refused(self.holder_now(name).await),
            Err(e) => Taken::Without(without(&self.namespace, &e)),
        }
    }

    /// Whoever holds the lease now (after a lost race), as well as it can be told.
    async fn holder_now(&self, name: &str) -> Holder {
        let read = self.api.get_opt(name).await.ok().flatten();
        read.as_ref().and_then(holder_of).unwrap_or_else(|| Holder {
            identity: "another console".into(),
            target: name.to_string(),
            ..Holder::default()
        })
    }
}

impl HeldLease {
    /// "contentgen/opsdeck-deployment-contentgen-api".
    pub fn describe(&self) -> String {
        format!(
            "{}/{}",
            self.lease.metadata.namespace.as_deref().unwrap_or_default(),
            self.name
        )
    }

    /// Moves renewTime to now, with our resourceVersion.
    pub async fn renew(&mut self) -> Result<(), RenewError> {
        let mut lease = self.lease.clone();
        if let Some(spec) = lease.spec.as_mut() {
            spec.renew_time = Some(MicroTime(jiff::Timestamp::now()));
        }
        match self
            .api
            .replace(&self.name, &PostParams::default(), &lease)
            .await
        {
            Ok(l) => {
                self.lease = l;
                Ok(())
            }
            Err(e) if matches!(code(&e), 404 | 409) => Err(RenewError::Lost(self.lost().await)),
            Err(e) => Err(RenewError::Failed(e.to_string())),
        }
    }

    /// Who has it now that ours was replaced or deleted.
    async fn lost(&self) -> String {
        match self.api.get_opt(&self.name).await {
            Ok(Some(l)) => match holder_of(&l) {
                Some(h) => format!("taken over: {}", h.words()),
                None => "released by someone else".into(),
            },
            Ok(None) => "deleted by someone else".into(),
            Err(e) => format!("lost ({e})"),
        }
    }

    /// Deletes the lease if it is still ours (its resourceVersion as precondition). What
    /// happened, for the audit log.
    pub async fn release(self) -> String {
        let dp = DeleteParams {
            preconditions: Some(Preconditions {
                resource_version: self.lease.metadata.resource_version.clone(),
                uid: None,
            }),
            ..DeleteParams::default()
        };
        match self.api.delete(&self.name, &dp).await {
            Ok(_) => format!("released {}", self.describe()),
            Err(e) if matches!(code(&e), 404 | 409) => {
                format!("not released ({}): {}", self.describe(), self.lost().await)
            }
            Err(e) => format!(
                "not released ({}): {e}; it expires {DURATION_S}s after its last renewal",
                self.describe()
            ),
        }
    }
}
