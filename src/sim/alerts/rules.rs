//! The platform's alerting rules, one list used twice: the sim evaluates them over its own
//! series (the engine beside this file) and `opsdeck sim --rules-out DIR` writes them as Prometheus rule
//! files, so a real Prometheus scraping the sim's `/metrics` raises the same alerts.
//!
//! `for` durations are minutes shorter than kube-prometheus's (15m) and the windows of the
//! kube alerts shorter too: each scenario must fire within about a minute of sim time and
//! clear soon after the runbook's fix, where a production cluster would rather wait out
//! blips. The expressions are otherwise the ones production uses.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::slo::Slo;
use crate::slo::math::{Severity, sloth_windows_for};

/// The namespace the platform runs in; alerts about it carry it.
const NS: &str = "contentgen";
/// PLATFORM.md's daily LLM budget (the sim's config writes the same `llm_daily_usd`).
pub const DAILY_BUDGET_USD: f64 = 50.0;
/// Where runbook links point: the shipped runbook's name is the last segment.
pub const RUNBOOK_BASE: &str = "https://opsdeck.dev/runbooks/";

/// One alerting rule, as a Prometheus rule file holds it.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    /// The rule group it is written in.
    pub group: String,
    pub alert: String,
    pub expr: String,
    pub for_: Duration,
    pub labels: BTreeMap<String, String>,
    /// Prometheus templates: `{{ $labels.name }}` and `{{ $value }}` are expanded.
    pub annotations: BTreeMap<String, String>,
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect()
}

fn runbook(name: &str) -> String {
    format!("{RUNBOOK_BASE}{name}")
}

/// Every rule: the SLOs' burn-rate alerts, then the platform's own.
pub fn rules(slos: &[Slo]) -> Vec<Rule> {
    let mut out: Vec<Rule> = slos.iter().flat_map(slo_rules).collect();
    out.extend(budget_rules());
    out.push(queue_rule());
    out.extend(kube_rules());
    out
}

/// The rules over the SLO files the sim ships (`crate::slo::EXAMPLES`).
pub fn platform_rules() -> Vec<Rule> {
    rules(&crate::slo::examples().unwrap_or_default())
}

/// The runbook for an SLO's burn, where one ships.
fn slo_runbook(slo: &Slo) -> Option<&'static str> {
    match slo.name.as_str() {
        "api-availability" => Some("bad-rollout"),
        "pipeline-success" => Some("pipeline-stuck"),
        _ => None,
    }
}

/// `api-latency` -> `ApiLatencyBudgetBurn`, for SLO files that name no alert (Pyrra, OpenSLO).
fn default_alert_name(slo: &Slo) -> String {
    let camel: String = slo
        .name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w[..1].to_ascii_uppercase() + &w[1..])
        .collect();
    format!("{camel}BudgetBurn")
}

/// Sloth's multiwindow multi-burn-rate alerts for one SLO: a page rule (1h & 5m at 14.4x,
/// 6h & 30m at 6x) and a ticket rule (1d & 2h at 3x, 3d & 6h at 1x), windows scaled to the
/// SLO's period as opsdeck's SLO pane scales them. Rows are OR'ed; each ANDs its two windows.
fn slo_rules(slo: &Slo) -> Vec<Rule> {
    let windows = sloth_windows_for(slo.period);
    let budget = 1.0 - slo.objective;
    let id = slo
        .sloth_id
        .clone()
        .unwrap_or_else(|| format!("{}-{}", slo.service, slo.name));
    let alert = slo
        .alert_name
        .clone()
        .unwrap_or_else(|| default_alert_name(slo));
    [(Severity::Page, "page", 30), (Severity::Ticket, "ticket", 120)]
        .into_iter()
        .map(|(severity, sev, for_secs)| {
            let rows: Vec<String> = windows
                .iter()
                .filter(|w| w.severity == severity)
                .map(|w| {
                    let threshold = format!("({} * {budget})", w.factor);
                    let long = slo.sli.error_ratio_query(w.long);
                    let short = slo.sli.error_ratio_query(w.short);
                    format!("(\n  ({long}) > {threshold}\nand\n  ({short}) > {threshold}\n)")
                })
                .collect();
            let mut labels = slo.labels.clone();
            labels.entry("namespace".into()).or_insert_with(|| NS.into());
            labels.extend(map(&[
                ("severity", sev),
                ("sloth_id", &id),
                ("sloth_slo", &slo.name),
                ("sloth_service", &slo.service),
            ]));
            let mut annotations = map(&[
                (
                    "summary",
                    &format!("{} SLO error budget burn rate is too fast.", slo.name),
                ),
                (
                    "description",
                    &format!(
                        "({sev}) {{{{ $labels.sloth_service }}}} {{{{ $labels.sloth_slo }}}}: errors are spending the {:.3}% budget of {} fast enough to need a {sev}.",
                        budget * 100.0,
                        crate::slo::format_duration(slo.period)
                    ),
                ),
            ]);
            if let Some(name) = slo_runbook(slo) {
                annotations.insert("runbook_url".into(), runbook(name));
            }
            Rule {
                group: format!("sloth-slo-alerts-{id}"),
                alert: alert.clone(),
                expr: rows.join("\nor\n"),
                for_: Duration::from_secs(for_secs),
                labels,
                annotations,
            }
        })
        .collect()
}

/// LLM spend against the daily budget. PromQL cannot select "since midnight", so spend today is
/// estimated as the last 24 hours' spend times the share of today elapsed; the projection adds
/// the last 5 minutes' rate for the rest of the day (opsdeck's budget pane uses 15 minutes; 5
/// shows a prompt loop within a minute). Exceeded is the last 24 hours' spend itself.
fn budget_rules() -> Vec<Rule> {
    let budget = DAILY_BUDGET_USD;
    let day_spend = "sum(increase(llm_cost_usd_total[1d]))";
    let exceeded = format!("{day_spend} > {budget}");
    let projected = format!(
        "(\n  {day_spend} * (time() % 86400) / 86400\n+\n  sum(rate(llm_cost_usd_total[5m])) * (86400 - time() % 86400)\n) > {budget}\nunless\n{exceeded}"
    );
    let labels = |severity: &str| {
        map(&[
            ("severity", severity),
            ("namespace", NS),
            ("opsdeck_runbook", "high-cost"),
        ])
    };
    let annotations = |summary: &str, description: &str| {
        map(&[
            ("summary", summary),
            ("description", description),
            ("runbook_url", &runbook("high-cost")),
        ])
    };
    vec![
        Rule {
            group: "opsdeck-budget".into(),
            alert: "BudgetExceeded".into(),
            expr: exceeded,
            for_: Duration::from_secs(60),
            labels: labels("critical"),
            annotations: annotations(
                "LLM spend is over the daily budget.",
                &format!(
                    "The last 24 hours of LLM calls cost more than the ${budget} daily budget."
                ),
            ),
        },
        Rule {
            group: "opsdeck-budget".into(),
            alert: "BudgetAtRisk".into(),
            expr: projected,
            for_: Duration::from_secs(30),
            labels: labels("warning"),
            annotations: annotations(
                "LLM spend is projected over the daily budget.",
                &format!(
                    "At the last 5 minutes' rate, today's LLM spend ends the day over the ${budget} budget."
                ),
            ),
        },
    ]
}

/// A Celery queue that is long and still growing. `celery_queue_length{queue}` is what the
/// Celery exporter of `celery prometheus --queuelength-interval` (celery-redis-prometheus)
/// exports, the metric the article-generator HPA scales on.
fn queue_rule() -> Rule {
    Rule {
        group: "opsdeck-queues".into(),
        alert: "QueueBacklogGrowing".into(),
        expr: "celery_queue_length > 5\nand\nderiv(celery_queue_length[2m]) > 0".into(),
        for_: Duration::from_secs(30),
        labels: map(&[("severity", "warning"), ("namespace", NS)]),
        annotations: map(&[
            ("summary", "A queue's backlog is growing."),
            (
                "description",
                "Queue {{ $labels.queue }} holds more than 5 messages and has grown over the last 2 minutes: its workers take less than arrives.",
            ),
            ("runbook_url", &runbook("queue-backlog")),
        ]),
    }
}

/// kube-prometheus's alerts over kube-state-metrics, with short windows (see the module doc).
fn kube_rules() -> Vec<Rule> {
    let rule = |group: &str, alert: &str, expr: &str, labels: &[(&str, &str)], notes: [&str; 3]| {
        let [summary, description, book] = notes;
        Rule {
            group: group.into(),
            alert: alert.into(),
            expr: expr.into(),
            for_: Duration::from_secs(30),
            labels: map(labels),
            annotations: map(&[
                ("summary", summary),
                ("description", description),
                ("runbook_url", &runbook(book)),
            ]),
        }
    };
    vec![
        rule(
            "kubernetes-apps",
            "KubePodCrashLooping",
            r#"max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff"}[1m]) >= 1"#,
            &[("severity", "warning")],
            [
                "Pod is crash looping.",
                "Pod {{ $labels.namespace }}/{{ $labels.pod }} ({{ $labels.container }}) is in waiting state (reason: \"CrashLoopBackOff\").",
                "crashloop",
            ],
        ),
        // kube-prometheus's KubeDeploymentReplicasMismatch in the shape of a stuck rollout:
        // fewer pods of the new revision than wanted, and none added for a minute.
        rule(
            "kubernetes-apps",
            "KubeDeploymentRolloutStuck",
            "kube_deployment_spec_replicas > kube_deployment_status_replicas_updated\nand\nchanges(kube_deployment_status_replicas_updated[1m]) == 0",
            &[("severity", "warning")],
            [
                "Deployment rollout is not progressing.",
                "Rollout of deployment {{ $labels.namespace }}/{{ $labels.deployment }} has not added a pod of its new revision for a minute.",
                "bad-rollout",
            ],
        ),
        // Cordoned nodes are left out (as deckhouse's K8SNodeNotReady does): someone is on it.
        rule(
            "kubernetes-system-kubelet",
            "KubeNodeNotReady",
            "kube_node_status_condition{condition=\"Ready\",status=\"true\"} == 0\nand on (node)\nkube_node_spec_unschedulable == 0",
            &[("severity", "warning")],
            [
                "Node is not ready.",
                "{{ $labels.node }} is unready and not cordoned.",
                "node-notready",
            ],
        ),
    ]
}

/// YAML's double-quoted scalar is a superset of a JSON string: quote everything that way.
fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// Prometheus's duration syntax for `for`.
fn for_text(d: Duration) -> String {
    let s = d.as_secs();
    if s.is_multiple_of(60) {
        format!("{}m", s / 60)
    } else {
        format!("{s}s")
    }
}

/// A Prometheus rule file (`groups: - name, rules: - alert, expr, for, labels, annotations`)
/// holding `rules`, grouped in the order they come.
pub fn rule_file(rules: &[Rule]) -> String {
    let mut out = String::from(
        "# Written by `opsdeck sim --rules-out`: the sim raises the same alerts.\ngroups:\n",
    );
    let mut group: Option<&str> = None;
    for r in rules {
        if group != Some(r.group.as_str()) {
            out.push_str(&format!("- name: {}\n  rules:\n", quoted(&r.group)));
            group = Some(&r.group);
        }
        out.push_str(&format!(
            "  - alert: {}\n    expr: {}\n    for: {}\n",
            quoted(&r.alert),
            quoted(&r.expr),
            for_text(r.for_)
        ));
        for (key, map) in [("labels", &r.labels), ("annotations", &r.annotations)] {
            out.push_str(&format!("    {key}:\n"));
            for (k, v) in map {
                out.push_str(&format!("      {}: {}\n", quoted(k), quoted(v)));
            }
        }
    }
    out
}

/// Writes the rules as two files in `dir` (the SLOs' burn-rate alerts, the platform's own),
/// creating it; returns their paths.
pub fn write_rule_files(dir: &Path, rules: &[Rule]) -> io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let (slo, platform): (Vec<Rule>, Vec<Rule>) = rules
        .iter()
        .cloned()
        .partition(|r| r.group.starts_with("sloth-"));
    let mut paths = vec![];
    for (name, rules) in [("slo-alerts.yml", slo), ("platform-alerts.yml", platform)] {
        let path = dir.join(name);
        std::fs::write(&path, rule_file(&rules))?;
        paths.push(path);
    }
    Ok(paths)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_alert_links_to_what_it_is_about() {
        let rules = platform_rules();
        let names: Vec<&str> = rules.iter().map(|r| r.alert.as_str()).collect();
        for want in [
            "ApiHighErrorRate",
            "ApiHighLatency",
            "PipelineSuccessBudgetBurn",
            "PublishSuccessBudgetBurn",
            "BudgetExceeded",
            "BudgetAtRisk",
            "QueueBacklogGrowing",
            "KubePodCrashLooping",
            "KubeNodeNotReady",
            "KubeDeploymentRolloutStuck",
        ] {
            assert!(names.contains(&want), "{want} in {names:?}");
        }
        for r in &rules {
            assert!(r.labels.contains_key("severity"), "{}", r.alert);
            if let Some(url) = r.annotations.get("runbook_url") {
                let name = url.rsplit('/').next().unwrap_or_default();
                let file = format!("{}/runbooks/{name}.toml", env!("CARGO_MANIFEST_DIR"));
                assert!(Path::new(&file).exists(), "{}: {url}", r.alert);
            }
        }
        let api = rules
            .iter()
            .find(|r| r.alert == "ApiHighErrorRate" && r.labels["severity"] == "page")
            .unwrap();
        assert_eq!(api.labels["sloth_id"], "api-api-availability");
        assert_eq!(api.labels["sloth_slo"], "api-availability");
        assert_eq!(api.labels["sloth_service"], "api");
        assert_eq!(api.labels["namespace"], "contentgen");
        // 1h & 5m at 14.4x, 6h & 30m at 6x.
        assert!(
            api.expr.contains("[1h]") && api.expr.contains("(14.4 * "),
            "{}",
            api.expr
        );
        assert!(
            api.expr.contains("[30m]") && api.expr.contains("(6 * "),
            "{}",
            api.expr
        );
        let budget = rules.iter().find(|r| r.alert == "BudgetExceeded").unwrap();
        assert_eq!(budget.labels["opsdeck_runbook"], "high-cost");
    }

    #[test]
    fn windows_scale_with_the_period() {
        let rules = platform_rules();
        let publish = rules
            .iter()
            .find(|r| r.alert == "PublishSuccessBudgetBurn" && r.labels["severity"] == "page")
            .unwrap();
        // 7 days: 1h -> 14m, 5m -> 1m.
        assert!(
            publish.expr.contains("[14m]") && publish.expr.contains("[1m]"),
            "{}",
            publish.expr
        );
    }

    #[test]
    fn the_rule_file_is_yaml_prometheus_reads() {
        let text = rule_file(&platform_rules());
        assert!(
            text.contains("- name: \"opsdeck-budget\"\n  rules:\n  - alert: \"BudgetExceeded\"")
        );
        assert!(text.contains("    for: 30s\n"));
    }
}
