//! The executor: the one path every mutation takes — plan (live state, permission, server dry
//! run), then execute (confirmation, audit intent, precondition, request, audit result, verify,
//! audit verification).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use tokio::sync::mpsc::Sender;

use super::audit::{AuditLog, Phase, Record};
use super::kube as k;
use super::plan::{Draft, Permission, Plan, Review, new_id};
use super::verify::{self, Goal};
use super::{ActionRequest, http, node};

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
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Progress {
    Requested {
        status: u16,
    },
    Rollout {
        updated: i32,
        ready: i32,
        available: i32,
        desired: i32,
    },
    Message(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub ok: bool,
    pub summary: String,
    pub duration: Duration,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ActionError {
    #[error("read-only: {0}")]
    Readonly(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("conflict: {message}; {current}")]
    Conflict { message: String, current: String },
    #[error("refused: {0}")]
    Refused(String),
    #[error("invalid: {0}")]
    Invalid(String),
    #[error("API error: {0}")]
    Api(String),
    #[error("verification failed: {0}")]
    Verify(String),
    #[error("audit log: {0}")]
    Audit(String),
    #[error("not confirmed: {0}")]
    Confirmation(String),
}

#[derive(Clone)]
pub struct Executor {
    client: kube::Client,
    http: reqwest::Client,
    config: ExecutorConfig,
    audit: AuditLog,
    /// Queue and SLO readers for runbook conditions.
    probes: super::probes::Probes,
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
            probes: super::probes::Probes::default(),
        })
    }

    /// Lets runbook conditions read queues and SLOs the way the console does.
    pub fn with_probes(mut self, probes: super::probes::Probes) -> Self {
        self.probes = probes;
        self
    }

    pub fn probes(&self) -> &super::probes::Probes {
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

    fn refuse_readonly(&self, request: &ActionRequest) -> Result<(), ActionError> {
        if self.config.readonly {
            return Err(ActionError::Readonly(format!(
                "context {:?} is read-only (--readonly or readonly = true in the config): {} refused",
                self.config.context,
                request.verb()
            )));
        }
        Ok(())
    }

    /// Live state -> draft -> access review -> server-side dry run.
    pub async fn plan(&self, request: &ActionRequest) -> Result<Plan, ActionError> {
        self.refuse_readonly(request)?;
        let (draft, permission) = if request.is_kube() {
            // Permission first: a denied operator learns it before anything else is asked.
            let permission = self.permission(k::review_for(request).as_ref()).await?;
            let draft = k::draft(&self.client, request).await?;
            (draft, permission)
        } else {
            let draft =
                http::draft(&self.http, self.config.platform_url.as_deref(), request).await?;
            let permission = Permission {
                allowed: true,
                reason: "platform API: no access review; the API's own auth applies".into(),
                checks: vec![],
            };
            (draft, permission)
        };
        let mut plan = self.assemble(request, draft, permission);
        if request.is_kube() && plan.noop.is_none() {
            plan.dry_run = Some(self.dry_run(&plan).await?);
        }
        Ok(plan)
    }

    async fn permission(&self, review: Option<&Review>) -> Result<Permission, ActionError> {
        let Some(review) = review else {
            return Ok(Permission::default());
        };
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
        let name = match (request.workload(), request.node()) {
            (Some(w), _) => w.name.clone(),
            (None, Some(node)) => node.to_string(),
            (None, None) => "generation".to_string(),
        };
        let typed = d.destructive || self.config.production;
        Plan {
            id: new_id(),
            request: request.clone(),
            target: d.target,
            changes: d.changes,
            calls: d.calls,
            warnings: d.warnings,
            destructive: d.destructive,
            confirm_phrase: if typed { name } else { "y".into() },
            precondition: d.precondition,
            permission,
            dry_run: None,
            noop: d.noop,
        }
    }

    async fn dry_run(&self, plan: &Plan) -> Result<String, ActionError> {
        let mut said = vec![];
        for call in &plan.calls {
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
        let method = if plan.confirm_phrase == "y" {
            "y + Enter"
        } else {
            "typed the target's name"
        };
        self.execute_with(plan, confirmation, method, progress)
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
        self.refuse_readonly(&plan.request)?;
        if confirmation.trim() != plan.confirm_phrase {
            return Err(ActionError::Confirmation(format!(
                "type {:?} to confirm {} {}",
                plan.confirm_phrase,
                plan.request.verb(),
                plan.target
            )));
        }
        if !plan.permission.allowed && plan.request.is_kube() {
            return Err(ActionError::Forbidden(plan.permission.reason.clone()));
        }
        let started = Instant::now();
        if let Some(why) = &plan.noop {
            return Ok(Outcome {
                ok: true,
                summary: format!("nothing to do: {why}"),
                duration: started.elapsed(),
            });
        }
        let base = self.record(plan, method);
        self.log(&base, Phase::Intent, |_| {})?;
        let sent = match self.send(plan).await {
            Ok(s) => s,
            Err(e) => {
                self.log(&base, Phase::Result, |r| {
                    r.outcome = Some(format!("error: {e}"));
                    r.duration_ms = Some(ms(started));
                })?;
                return Err(e);
            }
        };
        self.log(&base, Phase::Result, |r| {
            r.outcome = Some("ok".into());
            r.http_status = Some(sent.0);
            r.audit_id = sent.1.clone();
            r.duration_ms = Some(ms(started));
        })?;
        let _ = progress.send(Progress::Requested { status: sent.0 }).await;
        let verified = self.verify(plan, progress).await;
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
        })?;
        let summary = verified?;
        Ok(Outcome {
            ok: true,
            summary,
            duration: started.elapsed(),
        })
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

    /// Sends the plan's calls; a Kubernetes write first re-checks the plan's resourceVersion.
    async fn send(&self, plan: &Plan) -> Result<(u16, Option<String>), ActionError> {
        if let Some(path) = k::target_path(&plan.request) {
            if let Some(rv) = &plan.precondition {
                let live = k::get(&self.client, &path).await?;
                let now = live
                    .pointer("/metadata/resourceVersion")
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or("");
                if now != rv {
                    return Err(self
                        .conflict(
                            &plan.request,
                            format!(
                                "{} changed since the plan (resourceVersion {rv} -> {now})",
                                plan.target
                            ),
                        )
                        .await);
                }
            }
            let mut last = (0, None);
            for call in &plan.calls {
                match k::send_call(&self.client, call, false).await {
                    Ok(s) => last = (s.status, s.audit_id),
                    Err(ActionError::Conflict { message, .. }) => {
                        return Err(self.conflict(&plan.request, message).await);
                    }
                    Err(e) => return Err(e),
                }
            }
            return Ok(last);
        }
        let mut last = (0, None);
        for call in &plan.calls {
            let (status, _) = http::send(
                &self.http,
                self.config.platform_url.as_deref(),
                &call.method,
                &call.path,
                Some(&call.body),
            )
            .await?;
            last = (status, None);
        }
        Ok(last)
    }

    async fn conflict(&self, request: &ActionRequest, message: String) -> ActionError {
        ActionError::Conflict {
            message,
            current: k::current_state_of(&self.client, request).await,
        }
    }

    async fn verify(
        &self,
        plan: &Plan,
        progress: &Sender<Progress>,
    ) -> Result<String, ActionError> {
        let timeout = self.config.verify_timeout;
        let goal = match &plan.request {
            ActionRequest::Restart { .. }
            | ActionRequest::Rollback { .. }
            | ActionRequest::ResumeRollout { .. } => Goal::RolloutComplete,
            ActionRequest::Scale { replicas, .. } => Goal::ReadyReplicas(*replicas),
            ActionRequest::PauseRollout { .. } => Goal::Paused(true),
            ActionRequest::Cordon { node } | ActionRequest::Uncordon { node } => {
                let want = matches!(plan.request, ActionRequest::Cordon { .. });
                return node::wait(&self.client, node, want, timeout, progress).await;
            }
            other => {
                let _ = progress
                    .send(Progress::Message("re-reading the platform's state".into()))
                    .await;
                return http::verify(
                    &self.http,
                    self.config.platform_url.as_deref(),
                    other,
                    timeout,
                )
                .await;
            }
        };
        let Some(w) = plan.request.workload() else {
            return Ok(String::new());
        };
        let _ = progress
            .send(Progress::Message(format!("waiting for {}", plan.target)))
            .await;
        verify::wait(&self.client, w, goal, timeout, progress).await
    }
}

fn ms(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)
}
