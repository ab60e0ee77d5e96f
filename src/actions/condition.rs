//! Conditions a runbook checks or waits for, over what the executor can read: rollouts, pod
//! readiness, the platform's generation switch, stuck pipelines, queue depth, SLO states,
//! budgets and a service's health endpoint.

use super::error::ActionError;
use super::executor::Executor;
use super::kube::{get_workload, pods_of};
use super::platform;
use super::probes::Probes;
use super::target::WorkloadRef;
use super::verify::pod_problem;
use crate::alerts::model::AlertState;
use crate::k8s::rollout::{self, Rollout};
use crate::slo::math::AlertState as SloState;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Condition {
    RolloutComplete(WorkloadRef),
    PodsReady(WorkloadRef),
    GenerationPaused(bool),
    NoStuckPipelines,
    /// The queue's ready depth is below the number.
    QueueBelow(String, u64),
    /// The SLO is not paging (ticket or ok).
    SloNotPaging(String),
    /// Neither page nor ticket fires.
    SloOk(String),
    /// Spend is within the budget and projected to stay within it.
    BudgetOk(String),
    /// An alert of this name fires (not silenced, not inhibited) in an Alertmanager.
    AlertFiring(String),
    /// No alert of this name in any Alertmanager, firing or muted: a silence does not
    /// resolve it (every instance must answer).
    AlertResolved(String),
    /// The service's readiness endpoint (`[[health]]`) answers pass or warn.
    HealthReady(String),
    /// A container of the workload's pods has died (with this reason, when given): what
    /// `kubectl describe` calls Last State: Terminated, read for the runbook.
    LastExit(WorkloadRef, Option<String>),
}

const KNOWN: &str = "rollout-complete W, pods-ready W, generation-paused, generation-running, \
no-stuck-pipelines, queue-below QUEUE N, slo-not-paging SLO, slo-ok SLO, budget-ok BUDGET \
(llm/day, llm/month, infra/month, PROVIDER/day, SERVICE/month...), alert-firing ALERTNAME, \
alert-resolved ALERTNAME, health-ready SERVICE, last-exit W [REASON]";

impl Condition {
    /// Whether the config names every source the condition reads, or why not; nothing is
    /// asked. Kubernetes objects and the platform are read live, so only the configured
    /// sources are checked: one the config lacks cannot appear by waiting.
    pub fn names_what_it_reads(&self, probes: &Probes) -> Result<(), ActionError> {
        match self {
            Condition::QueueBelow(name, _) => {
                if probes.in_process_queue(name).is_none() {
                    probes.queue_entry(name)?;
                }
            }
            Condition::SloNotPaging(name) | Condition::SloOk(name) => {
                probes.slo_entry(name)?;
            }
            Condition::BudgetOk(key) => {
                probes.budget_model(key)?;
            }
            Condition::AlertFiring(_) | Condition::AlertResolved(_) => probes.any_alertmanager()?,
            Condition::HealthReady(service) => {
                probes.health_entry(service)?;
            }
            Condition::RolloutComplete(_)
            | Condition::PodsReady(_)
            | Condition::GenerationPaused(_)
            | Condition::NoStuckPipelines
            | Condition::LastExit(..) => {}
        }
        Ok(())
    }

    /// "rollout-complete api", "pods-ready contentgen/fact-checker", "generation-paused", ...
    pub fn parse(text: &str, default_namespace: &str) -> Result<Condition, String> {
        let words: Vec<&str> = text.split_whitespace().collect();
        let w = |s: &str| WorkloadRef::parse(s, default_namespace);
        match words.as_slice() {
            ["rollout-complete", target] => Ok(Condition::RolloutComplete(w(target)?)),
            ["pods-ready", target] => Ok(Condition::PodsReady(w(target)?)),
            ["generation-paused"] => Ok(Condition::GenerationPaused(true)),
            ["generation-running"] => Ok(Condition::GenerationPaused(false)),
            ["no-stuck-pipelines"] => Ok(Condition::NoStuckPipelines),
            ["queue-below", queue, n] => n
                .parse()
                .map(|n| Condition::QueueBelow(queue.to_string(), n))
                .map_err(|_| format!("queue-below needs a whole number, not {n:?}")),
            ["slo-not-paging", slo] => Ok(Condition::SloNotPaging(slo.to_string())),
            ["slo-ok", slo] => Ok(Condition::SloOk(slo.to_string())),
            ["budget-ok", budget] => Ok(Condition::BudgetOk(budget.to_lowercase())),
            ["alert-firing", name] => Ok(Condition::AlertFiring(name.to_string())),
            ["alert-resolved", name] => Ok(Condition::AlertResolved(name.to_string())),
            ["health-ready", service] => Ok(Condition::HealthReady(service.to_string())),
            ["last-exit", target] => Ok(Condition::LastExit(w(target)?, None)),
            ["last-exit", target, reason] => {
                Ok(Condition::LastExit(w(target)?, Some(reason.to_string())))
            }
            _ => Err(format!("unknown condition {text:?} (supported: {KNOWN})")),
        }
    }

    /// (holds, what was seen).
    pub async fn evaluate(&self, ex: &Executor) -> Result<(bool, String), ActionError> {
        match self {
            Condition::RolloutComplete(w) => {
                let obj = get_workload(ex.client(), w).await?;
                let state = rollout::of_json(w.kind, &obj).map_err(ActionError::Api)?;
                let said = state.message(w.kind, &w.name);
                match state {
                    Rollout::Complete => Ok((true, said)),
                    // Waiting cannot finish a paused or stalled rollout.
                    s if s.is_stuck() => Err(ActionError::Refused(said)),
                    _ => Ok((false, said)),
                }
            }
            Condition::PodsReady(w) => {
                let obj = get_workload(ex.client(), w).await?;
                let pods = pods_of(ex.client(), w, &obj).await?;
                let bad: Vec<String> = pods.iter().filter_map(pod_problem).collect();
                if pods.is_empty() {
                    return Ok((false, format!("{} has no pods", w.describe())));
                }
                Ok(if bad.is_empty() {
                    (
                        true,
                        format!("{} pods of {} ready", pods.len(), w.describe()),
                    )
                } else {
                    (
                        false,
                        format!(
                            "{} of {} pods not ready: {}",
                            bad.len(),
                            pods.len(),
                            bad.join("; ")
                        ),
                    )
                })
            }
            Condition::GenerationPaused(want) => {
                let (_, config) = platform::send(
                    ex.http(),
                    ex.config().platform_url.as_deref(),
                    "GET",
                    "/config",
                    None,
                )
                .await?;
                let now = platform::paused_of(&config);
                let show = |p: bool| if p { "paused" } else { "running" };
                Ok((
                    now == Some(*want),
                    format!("generation is {}", now.map_or("unknown", show)),
                ))
            }
            Condition::AlertFiring(name) | Condition::AlertResolved(name) => {
                let (model, failed) = ex.probes().alerts().await?;
                let firing = matches!(self, Condition::AlertFiring(_));
                let held: Vec<String> = model
                    .unique()
                    .filter(|a| a.name() == name && (!firing || a.state == AlertState::Firing))
                    .map(|a| match a.about.describe() {
                        about if about.is_empty() => a.state.word().to_string(),
                        about => format!("{} ({about})", a.state.word()),
                    })
                    .collect();
                let seen = if held.is_empty() {
                    format!("{name}: none {}", if firing { "firing" } else { "held" })
                } else {
                    format!("{name}: {}", held.join(", "))
                };
                if firing {
                    return Ok((!held.is_empty(), seen));
                }
                // An instance that did not answer may still hold it.
                if !failed.is_empty() && held.is_empty() {
                    let why = failed.join("; ");
                    return Ok((
                        false,
                        format!("{seen}, but not every Alertmanager answered: {why}"),
                    ));
                }
                Ok((held.is_empty(), seen))
            }
            Condition::QueueBelow(name, limit) => {
                let q = ex.probes().queue(name).await?;
                Ok((
                    q.depth < *limit,
                    format!("{name}: {} waiting (below {limit} wanted)", q.depth),
                ))
            }
            Condition::SloNotPaging(name) | Condition::SloOk(name) => {
                let (state, burn) = ex.probes().slo(name).await?;
                let holds = match self {
                    Condition::SloOk(_) => state == SloState::Ok,
                    _ => state != SloState::Page,
                };
                let burn = burn.map_or_else(String::new, |b| format!(", burning {b:.1}x"));
                Ok((holds, format!("{name} is {state:?}{burn}")))
            }
            Condition::BudgetOk(key) => {
                let b = ex.probes().budget(key).await?;
                let money = |v: Option<f64>| v.map_or_else(|| "?".into(), |v| format!("${v:.2}"));
                Ok((
                    b.state == crate::cost::BudgetState::Ok,
                    format!(
                        "{key}: {:?}, {} spent, {} projected, limit ${:.2}",
                        b.state,
                        money(b.spent_usd),
                        money(b.projected_usd),
                        b.limit_usd
                    ),
                ))
            }
            Condition::LastExit(w, reason) => {
                let obj = get_workload(ex.client(), w).await?;
                let pods = pods_of(ex.client(), w, &obj).await?;
                let now = jiff::Timestamp::now().as_second();
                let mut exits: Vec<(i64, String, String)> =
                    pods.iter().flat_map(|p| last_exits(p, now)).collect();
                // The newest first: the death a runbook asks about.
                exits.sort_by_key(|e| std::cmp::Reverse(e.0));
                let Some((_, why, _)) = exits.first() else {
                    return Ok((false, format!("no pod of {} has died", w.describe())));
                };
                let holds = reason.as_ref().is_none_or(|r| r == why);
                let seen: Vec<String> = exits.iter().take(3).map(|e| e.2.clone()).collect();
                Ok((holds, seen.join("; ")))
            }
            Condition::HealthReady(service) => {
                let probe = ex.probes().readiness(service).await?;
                Ok(crate::health::answer::readiness(service, &probe))
            }
            Condition::NoStuckPipelines => {
                let (_, v) = platform::send(
                    ex.http(),
                    ex.config().platform_url.as_deref(),
                    "GET",
                    "/pipelines?status=stuck",
                    None,
                )
                .await?;
                let ids = platform::pipeline_ids(&v);
                Ok((
                    ids.is_empty(),
                    if ids.is_empty() {
                        "no stuck pipelines".into()
                    } else {
                        format!("stuck pipelines: {}", ids.join(", "))
                    },
                ))
            }
        }
    }
}

/// Each container of `pod` that has died: (when, reason, "POD: OOMKilled (exit 137) 40s ago,
/// 6 restarts, memory limit 96Mi").
fn last_exits(pod: &serde_json::Value, now: i64) -> Vec<(i64, String, String)> {
    let name = pod["metadata"]["name"].as_str().unwrap_or("?");
    let statuses = pod["status"]["containerStatuses"].as_array();
    statuses
        .into_iter()
        .flatten()
        .filter_map(|c| {
            let t = &c["lastState"]["terminated"];
            let reason = t["reason"].as_str().unwrap_or("Error").to_string();
            let code = t["exitCode"].as_i64()?;
            let at = t["finishedAt"]
                .as_str()
                .and_then(|s| s.parse::<jiff::Timestamp>().ok())
                .map_or(0, |t| t.as_second());
            let limit = pod["spec"]["containers"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|s| s["name"] == c["name"])
                .and_then(|s| s["resources"]["limits"]["memory"].as_str())
                .map_or_else(String::new, |m| format!(", memory limit {m}"));
            let ago = crate::ui::format::age(now - at);
            let restarts = c["restartCount"].as_i64().unwrap_or(0);
            let text =
                format!("{name}: {reason} (exit {code}) {ago} ago, {restarts} restarts{limit}");
            Some((at, reason, text))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_parse_and_bad_ones_are_refused_clearly() {
        assert!(
            matches!(Condition::parse("rollout-complete api", "contentgen"), Ok(Condition::RolloutComplete(w)) if w.namespace == "contentgen")
        );
        assert_eq!(
            Condition::parse("generation-running", "x"),
            Ok(Condition::GenerationPaused(false))
        );
        assert_eq!(
            Condition::parse("queue-below articles 100", "x"),
            Ok(Condition::QueueBelow("articles".into(), 100))
        );
        assert!(
            Condition::parse("queue-below articles many", "x")
                .is_err_and(|e| e.contains("whole number"))
        );
        assert_eq!(
            Condition::parse("slo-not-paging api-availability", "x"),
            Ok(Condition::SloNotPaging("api-availability".into()))
        );
        assert_eq!(
            Condition::parse("health-ready api", "x"),
            Ok(Condition::HealthReady("api".into()))
        );
        assert!(Condition::parse("sunny", "x").is_err_and(|e| e.contains("unknown condition")));
        assert!(matches!(
            Condition::parse("last-exit fact-checker OOMKilled", "contentgen"),
            Ok(Condition::LastExit(w, Some(r))) if w.name == "fact-checker" && r == "OOMKilled"
        ));
    }

    #[test]
    fn a_last_exit_says_why_when_and_the_limit() {
        let pod = serde_json::json!({
            "metadata": {"name": "fc-1"},
            "spec": {"containers": [{"name": "w", "resources": {"limits": {"memory": "96Mi"}}}]},
            "status": {"containerStatuses": [{"name": "w", "restartCount": 6, "lastState":
                {"terminated": {"reason": "OOMKilled", "exitCode": 137,
                                "finishedAt": "2026-11-25T11:59:20Z"}}}]}
        });
        let now = 1_795_608_000;
        let exits = last_exits(&pod, now);
        assert_eq!(exits.len(), 1);
        assert_eq!(
            exits[0].2,
            "fc-1: OOMKilled (exit 137) 40s ago, 6 restarts, memory limit 96Mi"
        );
        assert!(last_exits(&serde_json::json!({"status": {}}), now).is_empty());
    }
}
