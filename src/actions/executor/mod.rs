//! The executor: the one path every mutation takes. Plan: read-only refusal, the access
//! review, the verb's draft from live state, a server-side dry run, the target's action lock.
//! Execute: read-only again, the confirmation, the action lock, an fsynced audit intent, the
//! precondition, the requests, the audit result, the verb's verification (the lock renewed
//! meanwhile), the lock's release, the audit verification. Every verb goes the same way.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use tokio::sync::mpsc::Sender;

use super::audit::{AuditLog, Phase, Record};
use super::error::{ActionError, Outcome, Progress};
use super::kube as k;
use super::plan::{Api, Draft, Permission, Plan, PlannedCall, Review, new_id};
use super::platform;
use super::probes::Probes;
use super::signals::Watch;
use super::verb::Cx;
use super::verbs::ActionRequest;

mod issued;
mod locking;
mod pause;

use issued::Issued;
use pause::Step;

#[derive(Clone, Debug)]
pub struct ExecutorConfig {
    pub context: String,
    pub cluster_url: String,
    /// The kube identity, best effort (the kubeconfig's user name).
    pub user: String,
    pub readonly: bool,
    pub production: bool,
    pub platform_url: Option<String>,
    pub audit_path: PathBuf,
    pub verify_timeout: Duration,
    /// Who holds action locks: the person (`lock::operator()`), not the kube identity.
    pub operator: String,
    /// Where action locks live (`[incident] namespace`); None: the context's namespace.
    pub lock_namespace: Option<String>,
}

#[derive(Clone)]
pub struct Executor {
    client: kube::Client,
    http: reqwest::Client,
    config: ExecutorConfig,
    audit: AuditLog,
    /// Queue, SLO and budget readers for runbook conditions.
    probes: Probes,
    /// The plans made here and not yet run: nothing else runs.
    issued: Issued,
}

impl std::fmt::Debug for Executor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Executor")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Executor {
    pub fn new(client: kube::Client, config: ExecutorConfig) -> Result<Executor, ActionError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| ActionError::Api(format!("cannot build the platform HTTP client: {e}")))?;
        let audit = AuditLog::new(config.audit_path.clone());
        Ok(Executor {
            client,
            http,
            config,
            audit,
            probes: Probes::default(),
            issued: Issued::default(),
        })
    }

    /// Lets runbook conditions read queues and SLOs the way the console does.
    pub fn with_probes(mut self, probes: Probes) -> Self {
        self.probes = probes;
        self
    }

    pub fn probes(&self) -> &Probes {
        &self.probes
    }

    pub fn config(&self) -> &ExecutorConfig {
        &self.config
    }

    pub fn client(&self) -> &kube::Client {
        &self.client
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    fn cx(&self) -> Cx<'_> {
        Cx {
            client: &self.client,
            http: &self.http,
            platform_url: self.config.platform_url.as_deref(),
            probes: &self.probes,
            operator: &self.config.user,
            verify_timeout: self.config.verify_timeout,
        }
    }

    /// The read-only refusal, the one place it is decided (`what`: the verb or the runbook).
    pub fn check_writable(&self, what: &str) -> Result<(), ActionError> {
        if self.config.readonly {
            return Err(ActionError::readonly(&self.config.context, what));
        }
        Ok(())
    }

    /// Read-only -> access review -> the verb's draft from live state -> server-side dry run.
    pub async fn plan(&self, request: &ActionRequest) -> Result<Plan, ActionError> {
        let verb = request.as_verb();
        self.check_writable(verb.verb())?;
        // An action that could not be put on record is not offered.
        self.audit
            .check_writable()
            .map_err(|e| ActionError::Audit(e.to_string()))?;
        // Permission first: a denied operator learns it before anything else is asked.
        let permission = match verb.review() {
            Some(review) => self.permission(&review).await?,
            None => Permission {
                allowed: true,
                reason: verb.access_note().into(),
                checks: vec![],
            },
        };
        let draft = verb.draft(&self.cx()).await?;
        let mut plan = self.assemble(request, draft, permission);
        let to_kube = plan.calls.iter().any(|c| c.api == Api::Kubernetes);
        if to_kube && plan.noop.is_none() {
            plan.dry_run = Some(self.dry_run(&plan).await?);
        }
        if plan.noop.is_none() {
            plan.lock = self.check_lock(&plan).await;
        }
        if plan.held() {
            // Acting over another console's lock is typed out, whatever the verb.
            plan.confirm_phrase = format!("{} --force", verb.confirm_name());
        }
        self.issued.record(&plan);
        Ok(plan)
    }

    async fn permission(&self, review: &Review) -> Result<Permission, ActionError> {
        let (allowed, reason) = k::access_review(&self.client, review).await?;
        if !allowed {
            return Err(ActionError::Forbidden(format!(
                "{} may not {} (SelfSubjectAccessReview: {})",
                self.config.user,
                review.describe(),
                if reason.is_empty() { "denied" } else { &reason }
            )));
        }
        Ok(Permission {
            allowed,
            reason: if reason.is_empty() {
                "allowed".into()
            } else {
                reason
            },
            checks: vec![review.describe()],
        })
    }

    fn assemble(&self, request: &ActionRequest, d: Draft, permission: Permission) -> Plan {
        let verb = request.as_verb();
        let typed = d.destructive || self.config.production;
        Plan {
            id: new_id(),
            context: self.config.context.clone(),
            request: request.clone(),
            target: verb.target(),
            changes: d.changes,
            calls: d.calls,
            warnings: d.warnings,
            destructive: d.destructive,
            confirm_phrase: if typed {
                verb.confirm_name()
            } else {
                "y".into()
            },
            precondition: d.precondition,
            permission,
            dry_run: None,
            noop: d.noop,
            lock: None,
            runbook: None,
        }
    }

    async fn dry_run(&self, plan: &Plan) -> Result<String, ActionError> {
        let mut said = vec![];
        for call in plan.calls.iter().filter(|c| c.api == Api::Kubernetes) {
            let sent = k::send_call(&self.client, call, true).await?;
            said.push(format!(
                "{} {}: accepted (HTTP {})",
                call.method, call.path, sent.status
            ));
        }
        Ok(said.join("; "))
    }

    /// `confirmation` must equal the plan's phrase; confirmation method recorded as typed.
    pub async fn execute(
        &self,
        plan: &Plan,
        confirmation: &str,
        progress: &Sender<Progress>,
    ) -> Result<Outcome, ActionError> {
        let method = if plan.held() && confirmation.trim() == plan.confirm_phrase {
            "typed the target's name with --force (over another console's lock)".to_string()
        } else if plan.held() {
            format!("typed {:?}", confirmation.trim())
        } else if plan.confirm_phrase == "y" {
            "y + Enter".into()
        } else {
            "typed the target's name".into()
        };
        self.execute_with(plan, confirmation, &method, progress)
            .await
    }

    /// As `execute`, naming how the operator confirmed (e.g. "--yes (headless runbook)").
    pub async fn execute_with(
        &self,
        plan: &Plan,
        confirmation: &str,
        method: &str,
        progress: &Sender<Progress>,
    ) -> Result<Outcome, ActionError> {
        self.check_writable(plan.request.verb())?;
        // A plan made in another context never runs here, whatever else it says.
        if !plan.context.is_empty() && plan.context != self.config.context {
            return Err(ActionError::Invalid(format!(
                "this plan was made in context {}, not {}: plan it again there",
                plan.context, self.config.context
            )));
        }
        // Only a plan made here, as it was made, runs: its fields are trusted from then on.
        self.issued.check(plan)?;
        if confirmation.trim() != plan.confirm_phrase {
            if plan.held() {
                let then = format!("type {:?} to take the lock over", plan.confirm_phrase);
                return Err(self.refuse_held(plan, method, &then));
            }
            return Err(ActionError::Confirmation(format!(
                "type {:?} to confirm {} {}",
                plan.confirm_phrase,
                plan.request.verb(),
                plan.target
            )));
        }
        // Whatever the plan says, the cluster is asked again.
        if !plan.permission.allowed {
            return Err(ActionError::Forbidden(plan.permission.reason.clone()));
        }
        if let Some(review) = plan.request.as_verb().review() {
            self.permission(&review).await?;
        }
        self.issued.spend(plan)?;
        let started = Instant::now();
        if let Some(why) = &plan.noop {
            return Ok(Outcome {
                ok: true,
                summary: format!("nothing to do: {why}"),
                duration: started.elapsed(),
            });
        }
        // A restart or rollback also reports the signals of what it touched.
        let watch = match &plan.request {
            ActionRequest::Restart(r) => Watch::start(&self.probes, &r.workload).await,
            ActionRequest::Rollback(r) => Watch::start(&self.probes, &r.workload).await,
            _ => None,
        };
        let mut base = self.record(plan, method);
        let mut guard = self.take_lock(plan, &mut base, progress).await?;
        if let Err(e) = self.log(&base, Phase::Intent, |_| {}) {
            guard.release().await;
            return Err(e);
        }
        pause::after(Step::Intent).await;
        let sent = match guard.hold(self.send(plan), progress).await {
            Ok(s) => s,
            Err(e) => {
                let released = guard.release().await;
                self.log(&base, Phase::Result, |r| {
                    r.outcome = Some(format!("error: {e}"));
                    r.duration_ms = Some(ms(started));
                    r.lock = released.or(r.lock.take());
                })?;
                return Err(e);
            }
        };
        pause::after(Step::Sent).await;
        let logged = self.log(&base, Phase::Result, |r| {
            r.outcome = Some("ok".into());
            r.http_status = Some(sent.0);
            r.audit_id = sent.1.clone();
            r.duration_ms = Some(ms(started));
            // Said on the intent; the verify line says how it ended.
            r.lock = None;
        });
        if let Err(e) = logged {
            guard.release().await;
            return Err(e);
        }
        let _ = progress.send(Progress::Requested { status: sent.0 }).await;
        let verify = self.verify(plan, watch, started, progress);
        let verified = guard.hold(verify, progress).await;
        pause::after(Step::Verified).await;
        let released = guard.release().await;
        self.log(&base, Phase::Verify, |r| {
            r.outcome = Some(if verified.is_ok() {
                "ok".into()
            } else {
                "failed".into()
            });
            r.verification = Some(
                verified
                    .as_ref()
                    .map_or_else(ToString::to_string, Clone::clone),
            );
            r.duration_ms = Some(ms(started));
            r.lock = released.or(r.lock.take());
        })?;
        let summary = verified?;
        Ok(Outcome {
            ok: true,
            summary,
            duration: started.elapsed(),
        })
    }

    /// The verb's verification, then what the signals of a restart or rollback say.
    async fn verify(
        &self,
        plan: &Plan,
        watch: Option<Watch>,
        started: Instant,
        progress: &Sender<Progress>,
    ) -> Result<String, ActionError> {
        let mut verified = plan.request.as_verb().verify(&self.cx(), progress).await;
        if let (Ok(summary), Some(watch)) = (&mut verified, &watch) {
            let until = started + self.config.verify_timeout;
            let signals = watch.follow(&self.probes, until, progress).await;
            *summary = format!("{summary}; {signals}");
        }
        verified
    }

    fn record(&self, plan: &Plan, method: &str) -> Record {
        Record {
            phase: None,
            context: self.config.context.clone(),
            cluster_url: self.config.cluster_url.clone(),
            namespace: plan.request.workload().map(|w| w.namespace.clone()),
            kube_user: self.config.user.clone(),
            action: plan.request.verb().into(),
            target: plan.target.clone(),
            request: serde_json::to_value(&plan.request).ok(),
            plan_id: plan.id.clone(),
            plan_hash: plan.hash(),
            confirmation: Some(method.into()),
            ssar: Some(format!(
                "allowed={}: {}",
                plan.permission.allowed, plan.permission.reason
            )),
            ..Record::default()
        }
    }

    fn log(
        &self,
        base: &Record,
        phase: Phase,
        fill: impl FnOnce(&mut Record),
    ) -> Result<(), ActionError> {
        let mut r = base.clone();
        r.phase = Some(phase);
        fill(&mut r);
        self.audit
            .append(&r)
            .map(|_| ())
            .map_err(|e| ActionError::Audit(e.to_string()))
    }

    /// Sends the plan's calls, each to its API; a Kubernetes write first re-reads the object
    /// and stops if it changed since the plan (its resourceVersion).
    async fn send(&self, plan: &Plan) -> Result<(u16, Option<String>), ActionError> {
        if let Some(pre) = &plan.precondition {
            let live = k::get(&self.client, &pre.path).await?;
            let now = live
                .pointer("/metadata/resourceVersion")
                .and_then(serde_json::Value::as_str)
                .unwrap_or("");
            if now != pre.resource_version {
                let message = format!(
                    "{} changed since the plan (resourceVersion {} -> {now})",
                    plan.target, pre.resource_version
                );
                return Err(self.conflict(&plan.request, message).await);
            }
        }
        let mut last = (0, None);
        for call in &plan.calls {
            last = self.send_call(&plan.request, call).await?;
        }
        Ok(last)
    }

    async fn send_call(
        &self,
        request: &ActionRequest,
        call: &PlannedCall,
    ) -> Result<(u16, Option<String>), ActionError> {
        match &call.api {
            Api::Kubernetes => match k::send_call(&self.client, call, false).await {
                Ok(s) => Ok((s.status, s.audit_id)),
                Err(ActionError::Conflict { message, .. }) => {
                    Err(self.conflict(request, message).await)
                }
                Err(e) => Err(e),
            },
            Api::Platform => {
                let url = self.config.platform_url.as_deref();
                let (status, _) =
                    platform::send(&self.http, url, &call.method, &call.path, Some(&call.body))
                        .await?;
                Ok((status, None))
            }
            Api::Alertmanager(name) => {
                let status = super::alertmanager::send(
                    &self.probes,
                    name,
                    &call.method,
                    &call.path,
                    &call.body,
                )
                .await?;
                Ok((status, None))
            }
        }
    }

    async fn conflict(&self, request: &ActionRequest, message: String) -> ActionError {
        ActionError::Conflict {
            message,
            current: request.as_verb().current_state(&self.cx()).await,
        }
    }
}

fn ms(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)
}
