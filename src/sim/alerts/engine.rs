//! Evaluates the alerting rules over the sim's metrics as Prometheus's rule manager does: a
//! result becomes a pending alert, firing once it has lasted the rule's `for`, resolved when it
//! is gone (kept 15 minutes to be sent resolved); pending alerts that go away are forgotten.
//! What it sends to the Alertmanager is what Prometheus's notifier sends.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};

use super::rules::Rule;
use crate::sim::metrics::Metrics;
use crate::sim::metrics::promql::{self, Value};

/// Prometheus keeps resolved alerts this long, sending them resolved.
const RESOLVED_RETENTION: SignedDuration = SignedDuration::from_mins(15);
/// `ValidUntil`: four resend delays (1m) ahead, so a missed evaluation does not resolve.
const VALID_FOR: SignedDuration = SignedDuration::from_mins(4);

pub type LabelSet = BTreeMap<String, String>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleState {
    Pending,
    Firing,
    /// Resolved: no longer in the rule's result.
    Inactive,
}

/// One alert of one rule, as Prometheus tracks it.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleAlert {
    pub labels: LabelSet,
    pub annotations: LabelSet,
    pub state: RuleState,
    pub value: f64,
    pub active_at: Timestamp,
    pub fired_at: Option<Timestamp>,
    pub resolved_at: Option<Timestamp>,
}

/// What the notifier posts to an Alertmanager for one alert.
#[derive(Clone, Debug, PartialEq)]
pub struct Notification {
    pub labels: LabelSet,
    pub annotations: LabelSet,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub generator_url: String,
}

/// The rules and their alerts.
#[derive(Clone, Debug)]
pub struct Engine {
    rules: Vec<Rule>,
    /// Per rule, its alerts by label set.
    active: Vec<BTreeMap<LabelSet, RuleAlert>>,
    /// Prometheus's external URL, which generator URLs start with.
    external_url: String,
    /// The last evaluation's error per rule (a rule the evaluator cannot run).
    pub errors: Vec<Option<String>>,
}

impl Engine {
    pub fn new(rules: Vec<Rule>) -> Engine {
        let n = rules.len();
        Engine {
            rules,
            active: vec![BTreeMap::new(); n],
            external_url: "http://prometheus.monitoring:9090".into(),
            errors: vec![None; n],
        }
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn set_external_url(&mut self, url: String) {
        self.external_url = url;
    }

    /// One evaluation of every rule at `now`.
    pub fn evaluate(&mut self, m: &Metrics, now: Timestamp) {
        for i in 0..self.rules.len() {
            let result = promql::instant(m, &self.rules[i].expr, now.as_millisecond());
            let samples = match result {
                Ok(Value::Vector(v)) => {
                    self.errors[i] = None;
                    v
                }
                Ok(other) => {
                    self.errors[i] = Some(format!("not an instant vector: {other:?}"));
                    continue;
                }
                Err(e) => {
                    self.errors[i] = Some(e.to_string());
                    continue;
                }
            };
            let rule = &self.rules[i];
            let mut seen = BTreeMap::new();
            for s in samples {
                let mut labels = s.labels;
                labels.remove("__name__");
                labels.extend(rule.labels.clone());
                labels.insert("alertname".into(), rule.alert.clone());
                let annotations = rule
                    .annotations
                    .iter()
                    .map(|(k, v)| (k.clone(), expand(v, &labels, s.value)))
                    .collect();
                seen.insert(labels, (s.value, annotations));
            }
            step(&mut self.active[i], rule, seen, now);
        }
    }

    /// Every alert of every rule, pending ones included (Prometheus's `/api/v1/alerts`).
    pub fn alerts(&self) -> impl Iterator<Item = &RuleAlert> {
        self.active.iter().flat_map(BTreeMap::values)
    }

    /// What Prometheus's notifier sends after an evaluation at `now`: firing alerts and those
    /// resolved within the retention, never pending ones.
    pub fn notifications(&self, now: Timestamp) -> Vec<Notification> {
        let mut out = vec![];
        for (rule, alerts) in self.rules.iter().zip(&self.active) {
            for a in alerts.values() {
                let Some(fired) = a.fired_at else { continue };
                out.push(Notification {
                    labels: a.labels.clone(),
                    annotations: a.annotations.clone(),
                    starts_at: fired,
                    ends_at: a.resolved_at.unwrap_or(now + VALID_FOR),
                    generator_url: self.generator_url(&rule.expr),
                });
            }
        }
        out
    }

    /// `/graph?g0.expr=...&g0.tab=1`, as Prometheus links an alert to its expression.
    fn generator_url(&self, expr: &str) -> String {
        let encoded: String = expr
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    char::from(b).to_string()
                }
                b' ' => "+".into(),
                _ => format!("%{b:02X}"),
            })
            .collect();
        format!("{}/graph?g0.expr={encoded}&g0.tab=1", self.external_url)
    }
}

/// One rule's alerts after an evaluation that returned `seen` (labels -> value, annotations).
fn step(
    active: &mut BTreeMap<LabelSet, RuleAlert>,
    rule: &Rule,
    mut seen: BTreeMap<LabelSet, (f64, LabelSet)>,
    now: Timestamp,
) {
    let hold = SignedDuration::try_from(rule.for_).unwrap_or(SignedDuration::ZERO);
    active.retain(|labels, a| match seen.remove(labels) {
        Some((value, annotations)) => {
            if a.state == RuleState::Inactive {
                *a = new_alert(labels.clone(), now);
            }
            a.value = value;
            a.annotations = annotations;
            if a.state == RuleState::Pending && now.duration_since(a.active_at) >= hold {
                a.state = RuleState::Firing;
                a.fired_at = Some(now);
            }
            true
        }
        None => match a.state {
            RuleState::Pending => false,
            RuleState::Firing => {
                a.state = RuleState::Inactive;
                a.resolved_at = Some(now);
                true
            }
            RuleState::Inactive => a
                .resolved_at
                .is_some_and(|t| now.duration_since(t) < RESOLVED_RETENTION),
        },
    });
    for (labels, (value, annotations)) in seen {
        let mut a = new_alert(labels.clone(), now);
        a.value = value;
        a.annotations = annotations;
        if hold.is_zero() {
            a.state = RuleState::Firing;
            a.fired_at = Some(now);
        }
        active.insert(labels, a);
    }
}

fn new_alert(labels: LabelSet, now: Timestamp) -> RuleAlert {
    RuleAlert {
        labels,
        annotations: LabelSet::new(),
        state: RuleState::Pending,
        value: 0.0,
        active_at: now,
        fired_at: None,
        resolved_at: None,
    }
}

/// Expands `{{ $labels.name }}` and `{{ $value }}` (spaces inside the braces optional), the
/// part of Prometheus's templating the rules use.
pub fn expand(template: &str, labels: &LabelSet, value: f64) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start..].find("}}") else {
            break;
        };
        out.push_str(&rest[..start]);
        let inner = rest[start + 2..start + len].trim();
        if inner == "$value" {
            out.push_str(&crate::sim::metrics::exposition::format_value(value));
        } else if let Some(name) = inner.strip_prefix("$labels.") {
            out.push_str(labels.get(name).map_or("", String::as_str));
        } else {
            out.push_str(&rest[start..start + len + 2]);
        }
        rest = &rest[start + len + 2..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn rule(for_secs: u64) -> Rule {
        Rule {
            group: "g".into(),
            alert: "A".into(),
            expr: "x".into(),
            for_: Duration::from_secs(for_secs),
            labels: LabelSet::from([("severity".into(), "warning".into())]),
            annotations: LabelSet::new(),
        }
    }

    fn seen(pod: &str) -> BTreeMap<LabelSet, (f64, LabelSet)> {
        let labels = LabelSet::from([("pod".to_string(), pod.to_string())]);
        BTreeMap::from([(labels, (1.0, LabelSet::new()))])
    }

    #[test]
    fn pending_then_firing_after_for_then_resolved_then_forgotten() {
        let r = rule(30);
        let t0: Timestamp = "2026-11-25T12:00:00Z".parse().unwrap();
        let at = |s: i64| t0 + SignedDuration::from_secs(s);
        let mut active = BTreeMap::new();
        step(&mut active, &r, seen("a"), at(0));
        assert_eq!(active.values().next().unwrap().state, RuleState::Pending);
        step(&mut active, &r, seen("a"), at(25));
        assert_eq!(active.values().next().unwrap().state, RuleState::Pending);
        step(&mut active, &r, seen("a"), at(30));
        let a = active.values().next().unwrap();
        assert_eq!((a.state, a.fired_at), (RuleState::Firing, Some(at(30))));
        step(&mut active, &r, BTreeMap::new(), at(35));
        let a = active.values().next().unwrap();
        assert_eq!(
            (a.state, a.resolved_at),
            (RuleState::Inactive, Some(at(35)))
        );
        step(&mut active, &r, BTreeMap::new(), at(35 + 15 * 60));
        assert!(active.is_empty(), "kept 15 minutes");
        // A pending alert that goes away is forgotten at once.
        step(&mut active, &r, seen("b"), at(2000));
        step(&mut active, &r, BTreeMap::new(), at(2005));
        assert!(active.is_empty());
    }

    #[test]
    fn templates_expand_labels_and_value() {
        let labels = LabelSet::from([("pod".to_string(), "p-1".to_string())]);
        assert_eq!(
            expand(
                "Pod {{ $labels.pod }} at {{$value}}, {{ $labels.none }}.",
                &labels,
                2.5
            ),
            "Pod p-1 at 2.5, ."
        );
    }
}
