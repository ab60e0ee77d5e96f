//! The alerts model: every instance's groups and silences, merged. Alerts with the same label
//! set are one alert, tagged with each instance that holds it (karma's rule); groups as
//! Alertmanager grouped them; worst first: firing before silenced and inhibited, then by
//! severity, then the longest firing.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use super::about::{About, about};
use super::matcher::Compiled;
use super::wire::{AlertGroup, Labels, Matcher, Silence};
use crate::status::LoadState;

/// What the Alertmanager source sends.
#[derive(Clone, Debug, PartialEq)]
pub enum AlertMsg {
    /// One instance's alert groups and silences, read together.
    Read {
        instance: usize,
        groups: Vec<AlertGroup>,
        silences: Vec<Silence>,
    },
    Failed {
        instance: usize,
        reason: String,
        retry_in: Option<Duration>,
    },
}

/// Firing sorts first: it is what pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertState {
    Firing,
    Silenced,
    Inhibited,
}

impl AlertState {
    pub fn word(self) -> &'static str {
        match self {
            AlertState::Firing => "firing",
            AlertState::Silenced => "silenced",
            AlertState::Inhibited => "inhibited",
        }
    }
}

/// The `severity` label's rank; teams spell it many ways.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// page, critical, emergency, p1: someone is woken.
    Page,
    /// ticket, error, high, major, p2.
    High,
    /// warning, medium, minor, p3, and any word not known here.
    Warning,
    /// info, low, none, p4, p5.
    Info,
}

impl Severity {
    pub fn of(labels: &Labels) -> Severity {
        let word = labels.get("severity").map_or("", String::as_str);
        match word.to_ascii_lowercase().as_str() {
            "page" | "critical" | "emergency" | "fatal" | "p1" => Severity::Page,
            "ticket" | "error" | "high" | "major" | "p2" => Severity::High,
            "info" | "informational" | "low" | "none" | "p4" | "p5" => Severity::Info,
            _ => Severity::Warning,
        }
    }
}

/// One alert, merged over the instances that hold it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AlertRow {
    pub labels: Labels,
    pub annotations: Labels,
    /// Unix seconds.
    pub starts_at: i64,
    pub state: AlertState,
    pub severity: Severity,
    pub silenced_by: Vec<String>,
    pub inhibited_by: Vec<String>,
    /// The instances that hold it, in config order.
    pub instances: Vec<String>,
    pub generator_url: String,
    /// Its group (an index into `AlertsModel::groups`).
    pub group: usize,
    /// The first alert of its group, where the table shows the group.
    pub first_in_group: bool,
    /// Only stale instances hold it: what they said last.
    pub stale: bool,
    /// What it is about, from its labels.
    pub about: About,
    /// A runbook the console has for it, by name.
    pub runbook: Option<String>,
}

impl AlertRow {
    pub fn name(&self) -> &str {
        self.labels.get("alertname").map_or("", String::as_str)
    }

    pub fn severity_word(&self) -> &str {
        self.labels.get("severity").map_or("-", String::as_str)
    }

    /// Its summary, else description, else message (annotations teams use).
    pub fn summary(&self) -> &str {
        ["summary", "description", "message"]
            .iter()
            .find_map(|k| self.annotations.get(*k))
            .map_or("", String::as_str)
    }
}

/// A group as Alertmanager formed it (per receiver, by the route's `group_by`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GroupRow {
    pub labels: Labels,
    pub receiver: String,
    pub alerts: usize,
    pub firing: usize,
}

impl GroupRow {
    /// `alertname=X namespace=Y`, or "(ungrouped)".
    pub fn key(&self) -> String {
        if self.labels.is_empty() {
            return "(ungrouped)".into();
        }
        let parts: Vec<String> = self
            .labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        parts.join(" ")
    }
}

/// A silence, merged over the instances that hold the same one.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SilenceRow {
    /// Its id on each instance that holds it (ids differ between unclustered instances).
    pub ids: Vec<(String, String)>,
    /// active, pending or expired.
    pub state: String,
    pub matchers: Vec<Matcher>,
    pub starts_at: i64,
    pub ends_at: i64,
    pub created_by: String,
    pub comment: String,
    /// Alerts it matches now (each label set once).
    pub matches: usize,
    pub stale: bool,
}

impl SilenceRow {
    /// The id to type in `:expire-silence` (the first instance's).
    pub fn id(&self) -> &str {
        self.ids.first().map_or("", |(_, id)| id.as_str())
    }

    pub fn instances(&self) -> Vec<&str> {
        self.ids.iter().map(|(i, _)| i.as_str()).collect()
    }
}

/// One instance: its state and what it said last.
#[derive(Clone, Debug, PartialEq)]
pub struct Instance {
    pub name: String,
    pub state: LoadState,
    groups: Vec<AlertGroup>,
    silences: Vec<Silence>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct AlertsModel {
    instances: Vec<Instance>,
    /// Names of the runbooks the console can run, to offer `:runbook NAME`.
    runbooks: Vec<String>,
    alerts: Vec<AlertRow>,
    /// Each label set's first row in `alerts` (an alert under two receivers is in two groups).
    unique: Vec<usize>,
    groups: Vec<GroupRow>,
    silences: Vec<SilenceRow>,
}

/// An RFC 3339 time as unix seconds (0 when unreadable).
pub fn unix(text: &str) -> i64 {
    text.parse::<jiff::Timestamp>()
        .map_or(0, jiff::Timestamp::as_second)
}

impl AlertsModel {
    pub fn new(instances: &[String], runbooks: Vec<String>) -> AlertsModel {
        AlertsModel {
            instances: instances
                .iter()
                .map(|name| Instance {
                    name: name.clone(),
                    state: LoadState::Loading,
                    groups: vec![],
                    silences: vec![],
                })
                .collect(),
            runbooks,
            ..AlertsModel::default()
        }
    }

    /// Whether any Alertmanager is configured (no pane otherwise).
    pub fn configured(&self) -> bool {
        !self.instances.is_empty()
    }

    pub fn apply(&mut self, msg: AlertMsg, now: i64) {
        match msg {
            AlertMsg::Read {
                instance,
                groups,
                silences,
            } => {
                if let Some(i) = self.instances.get_mut(instance) {
                    i.state = LoadState::Live;
                    i.groups = groups;
                    i.silences = silences;
                }
            }
            AlertMsg::Failed {
                instance,
                reason,
                retry_in,
            } => {
                if let Some(i) = self.instances.get_mut(instance) {
                    i.state = i.state.failed(&reason, retry_in, now);
                }
            }
        }
        self.rebuild();
    }

    pub fn instances(&self) -> &[Instance] {
        &self.instances
    }

    /// Alerts in display order: groups worst first, each group's alerts worst first.
    pub fn alerts(&self) -> &[AlertRow] {
        &self.alerts
    }

    pub fn groups(&self) -> &[GroupRow] {
        &self.groups
    }

    /// Active first, then pending, then expired (most recent first).
    pub fn silences(&self) -> &[SilenceRow] {
        &self.silences
    }

    /// The pane's state: a stale instance first, then one still loading.
    pub fn load(&self) -> LoadState {
        LoadState::worst(self.instances.iter().map(|i| &i.state))
    }

    /// Each label set once (an alert under two receivers is in two groups).
    pub fn unique(&self) -> impl Iterator<Item = &AlertRow> {
        self.unique.iter().filter_map(|&i| self.alerts.get(i))
    }

    /// Firing alerts, and how many of them page.
    pub fn firing(&self) -> (usize, usize) {
        self.unique()
            .filter(|a| a.state == AlertState::Firing)
            .fold((0, 0), |(n, p), a| {
                (n + 1, p + usize::from(a.severity == Severity::Page))
            })
    }

    /// The alerts (each label set once) a silence with `matchers` would match now.
    pub fn matching<'a>(&'a self, matchers: &'a [Matcher]) -> impl Iterator<Item = &'a AlertRow> {
        let compiled = Compiled::new(matchers);
        self.unique().filter(move |a| compiled.matches(&a.labels))
    }

    /// Whether an alert named `name` is firing (any label set), for runbook conditions.
    pub fn is_firing(&self, name: &str) -> bool {
        self.unique()
            .any(|a| a.name() == name && a.state == AlertState::Firing)
    }

    fn rebuild(&mut self) {
        self.alerts = vec![];
        self.groups = vec![];
        for (group, alerts) in merge_groups(&self.instances) {
            let at = self.groups.len();
            let firing = alerts
                .iter()
                .filter(|a| a.state == AlertState::Firing)
                .count();
            self.groups.push(GroupRow {
                alerts: alerts.len(),
                firing,
                ..group
            });
            for (i, mut a) in alerts.into_iter().enumerate() {
                a.group = at;
                a.first_in_group = i == 0;
                a.runbook = runbook_of(&a.labels, &a.annotations, &self.runbooks);
                self.alerts.push(a);
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        self.unique = (0..self.alerts.len())
            .filter(|&i| seen.insert(&self.alerts[i].labels))
            .collect();
        self.silences = merge_silences(&self.instances);
        let matches: Vec<usize> = self
            .silences
            .iter()
            .map(|s| self.matching(&s.matchers).count())
            .collect();
        for (s, n) in self.silences.iter_mut().zip(matches) {
            s.matches = n;
        }
    }
}

/// Worst first: firing, then severity, then the one firing longest.
fn rank(a: &AlertRow) -> (AlertState, Severity, i64) {
    (a.state, a.severity, a.starts_at)
}

type GroupKey = (String, Labels);

fn merge_groups(instances: &[Instance]) -> Vec<(GroupRow, Vec<AlertRow>)> {
    let mut groups: BTreeMap<GroupKey, BTreeMap<Labels, AlertRow>> = BTreeMap::new();
    for inst in instances {
        let stale = matches!(inst.state, LoadState::Stale { .. });
        for g in &inst.groups {
            let key = (g.receiver.name.clone(), g.labels.clone());
            let alerts = groups.entry(key).or_default();
            for a in &g.alerts {
                let state = match a.status.state.as_str() {
                    "suppressed" if !a.status.silenced_by.is_empty() => AlertState::Silenced,
                    "suppressed" => AlertState::Inhibited,
                    _ => AlertState::Firing,
                };
                let row = alerts.entry(a.labels.clone()).or_insert_with(|| AlertRow {
                    labels: a.labels.clone(),
                    annotations: a.annotations.clone(),
                    starts_at: unix(&a.starts_at),
                    state,
                    severity: Severity::of(&a.labels),
                    silenced_by: vec![],
                    inhibited_by: vec![],
                    instances: vec![],
                    generator_url: a.generator_url.clone(),
                    group: 0,
                    first_in_group: false,
                    stale,
                    about: about(&a.labels),
                    runbook: None,
                });
                // One instance still notifying is enough for it to be firing.
                row.state = row.state.min(state);
                row.starts_at = row.starts_at.min(unix(&a.starts_at));
                row.stale &= stale;
                push_new(&mut row.instances, &inst.name);
                for id in &a.status.silenced_by {
                    push_new(&mut row.silenced_by, id);
                }
                for id in &a.status.inhibited_by {
                    push_new(&mut row.inhibited_by, id);
                }
            }
        }
    }
    let mut out: Vec<(GroupRow, Vec<AlertRow>)> = groups
        .into_iter()
        .map(|((receiver, labels), alerts)| {
            let mut alerts: Vec<AlertRow> = alerts.into_values().collect();
            alerts.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| a.labels.cmp(&b.labels)));
            let group = GroupRow {
                labels,
                receiver,
                alerts: 0,
                firing: 0,
            };
            (group, alerts)
        })
        .filter(|(_, alerts)| !alerts.is_empty())
        .collect();
    out.sort_by(|(ga, a), (gb, b)| {
        rank(&a[0])
            .cmp(&rank(&b[0]))
            .then_with(|| ga.labels.cmp(&gb.labels))
            .then_with(|| ga.receiver.cmp(&gb.receiver))
    });
    out
}

fn push_new(list: &mut Vec<String>, item: &str) {
    if !list.iter().any(|i| i == item) {
        list.push(item.to_string());
    }
}

fn merge_silences(instances: &[Instance]) -> Vec<SilenceRow> {
    // Not the start: Alertmanager moves a start in the past to when it received the silence,
    // so the same silence posted to two instances starts a few milliseconds apart.
    type Key = (Vec<Matcher>, i64, String, String);
    let mut merged: BTreeMap<Key, SilenceRow> = BTreeMap::new();
    for inst in instances {
        let stale = matches!(inst.state, LoadState::Stale { .. });
        for s in &inst.silences {
            let mut matchers = s.matchers.clone();
            matchers.sort();
            let key = (
                matchers.clone(),
                unix(&s.ends_at),
                s.created_by.clone(),
                s.comment.clone(),
            );
            let row = merged.entry(key).or_insert_with(|| SilenceRow {
                ids: vec![],
                state: s.status.state.clone(),
                matchers,
                starts_at: unix(&s.starts_at),
                ends_at: unix(&s.ends_at),
                created_by: s.created_by.clone(),
                comment: s.comment.clone(),
                matches: 0,
                stale,
            });
            row.ids.push((inst.name.clone(), s.id.clone()));
            row.stale &= stale;
        }
    }
    let order = |state: &str| match state {
        "active" => 0,
        "pending" => 1,
        _ => 2,
    };
    let mut rows: Vec<SilenceRow> = merged.into_values().collect();
    rows.sort_by(|a, b| {
        order(&a.state)
            .cmp(&order(&b.state))
            .then_with(|| match order(&a.state) {
                2 => b.ends_at.cmp(&a.ends_at),
                _ => a.ends_at.cmp(&b.ends_at),
            })
    });
    rows
}

/// The runbook named by an `opsdeck_runbook` label (or annotation), or by the last part of
/// `runbook_url`, when the console has one of that name.
fn runbook_of(labels: &Labels, annotations: &Labels, known: &[String]) -> Option<String> {
    let named = labels
        .get("opsdeck_runbook")
        .or_else(|| annotations.get("opsdeck_runbook"))
        .cloned();
    let from_url = annotations.get("runbook_url").and_then(|url| {
        let last = url
            .split(['?', '#'])
            .next()?
            .trim_end_matches('/')
            .rsplit('/')
            .next()?;
        let stem = last
            .strip_suffix(".toml")
            .or_else(|| last.strip_suffix(".md"))
            .unwrap_or(last);
        Some(stem.to_string())
    });
    [named, from_url]
        .into_iter()
        .flatten()
        .find(|name| known.iter().any(|k| k == name))
}

#[cfg(test)]
mod tests {
    use super::super::wire::{Alert, AlertStatus, Receiver, SilenceStatus};
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn alert(pairs: &[(&str, &str)], started: &str, state: &str, silenced: &[&str]) -> Alert {
        Alert {
            labels: labels(pairs),
            annotations: labels(&[("runbook_url", "https://x/runbooks/bad-rollout")]),
            starts_at: started.into(),
            ends_at: String::new(),
            fingerprint: String::new(),
            receivers: vec![],
            generator_url: String::new(),
            status: AlertStatus {
                state: state.into(),
                silenced_by: silenced.iter().map(|s| s.to_string()).collect(),
                inhibited_by: vec![],
            },
        }
    }

    fn group(name: &str, alerts: Vec<Alert>) -> AlertGroup {
        AlertGroup {
            labels: labels(&[("alertname", name)]),
            receiver: Receiver {
                name: "opsdeck".into(),
            },
            alerts,
        }
    }

    fn model() -> AlertsModel {
        AlertsModel::new(&["am-a".into(), "am-b".into()], vec!["bad-rollout".into()])
    }

    const T1: &str = "2026-12-02T10:00:00Z";
    const T2: &str = "2026-12-02T11:00:00Z";

    #[test]
    fn the_same_label_set_on_two_instances_is_one_alert_tagged_with_both() {
        let mut m = model();
        let api = &[("alertname", "ApiHighErrorRate"), ("severity", "page")];
        for instance in 0..2 {
            m.apply(
                AlertMsg::Read {
                    instance,
                    groups: vec![group(
                        "ApiHighErrorRate",
                        vec![alert(api, T1, "active", &[])],
                    )],
                    silences: vec![],
                },
                0,
            );
        }
        assert_eq!(m.alerts().len(), 1);
        assert_eq!(m.alerts()[0].instances, ["am-a", "am-b"]);
        assert_eq!(m.firing(), (1, 1));
        assert_eq!(m.alerts()[0].runbook.as_deref(), Some("bad-rollout"));
        assert_eq!(m.load(), LoadState::Live);
    }

    #[test]
    fn firing_sorts_before_silenced_then_severity_then_age() {
        let mut m = model();
        let warn_old = alert(
            &[("alertname", "B"), ("severity", "warning")],
            T1,
            "active",
            &[],
        );
        let page_new = alert(
            &[("alertname", "A"), ("severity", "page")],
            T2,
            "active",
            &[],
        );
        let page_old_silenced = alert(
            &[("alertname", "C"), ("severity", "page")],
            T1,
            "suppressed",
            &["s1"],
        );
        let inhibited = alert(
            &[("alertname", "D"), ("severity", "page")],
            T1,
            "suppressed",
            &[],
        );
        m.apply(
            AlertMsg::Read {
                instance: 0,
                groups: vec![
                    group("B", vec![warn_old]),
                    group("C", vec![page_old_silenced]),
                    group("A", vec![page_new]),
                    group("D", vec![inhibited]),
                ],
                silences: vec![],
            },
            0,
        );
        let order: Vec<(&str, AlertState)> =
            m.alerts().iter().map(|a| (a.name(), a.state)).collect();
        assert_eq!(
            order,
            [
                ("A", AlertState::Firing),
                ("B", AlertState::Firing),
                ("C", AlertState::Silenced),
                ("D", AlertState::Inhibited)
            ]
        );
        assert_eq!(m.firing(), (2, 1));
        assert!(m.is_firing("B") && !m.is_firing("C"));
    }

    #[test]
    fn silenced_on_one_instance_but_active_on_another_still_fires() {
        let mut m = model();
        let l = &[("alertname", "X")];
        m.apply(
            AlertMsg::Read {
                instance: 0,
                groups: vec![group("X", vec![alert(l, T1, "suppressed", &["s1"])])],
                silences: vec![],
            },
            0,
        );
        assert_eq!(m.alerts()[0].state, AlertState::Silenced);
        m.apply(
            AlertMsg::Read {
                instance: 1,
                groups: vec![group("X", vec![alert(l, T1, "active", &[])])],
                silences: vec![],
            },
            0,
        );
        assert_eq!(m.alerts()[0].state, AlertState::Firing);
        assert_eq!(m.alerts()[0].silenced_by, ["s1"]);
    }

    #[test]
    fn a_failed_instance_goes_stale_keeping_what_it_said() {
        let mut m = model();
        m.apply(
            AlertMsg::Read {
                instance: 0,
                groups: vec![group(
                    "X",
                    vec![alert(&[("alertname", "X")], T1, "active", &[])],
                )],
                silences: vec![],
            },
            0,
        );
        m.apply(
            AlertMsg::Failed {
                instance: 0,
                reason: "connection refused".into(),
                retry_in: Some(Duration::from_secs(2)),
            },
            50,
        );
        assert!(matches!(m.load(), LoadState::Stale { since: 50, .. }));
        assert!(m.alerts()[0].stale);
    }

    #[test]
    fn silences_merge_across_instances_and_count_what_they_match() {
        let mut m = model();
        let silence = |id: &str, state: &str| Silence {
            id: id.into(),
            status: SilenceStatus {
                state: state.into(),
            },
            updated_at: String::new(),
            matchers: vec![super::super::matcher::parse("alertname=~\"A|B\"").expect("m")],
            starts_at: T1.into(),
            ends_at: T2.into(),
            created_by: "ana".into(),
            comment: "deploying".into(),
        };
        for (instance, id) in [(0, "id-a"), (1, "id-b")] {
            m.apply(
                AlertMsg::Read {
                    instance,
                    groups: vec![
                        group("A", vec![alert(&[("alertname", "A")], T1, "active", &[])]),
                        group("C", vec![alert(&[("alertname", "C")], T1, "active", &[])]),
                    ],
                    silences: vec![silence(id, "active")],
                },
                0,
            );
        }
        let s = &m.silences()[0];
        assert_eq!(m.silences().len(), 1);
        assert_eq!(
            s.ids,
            [
                ("am-a".into(), "id-a".into()),
                ("am-b".into(), "id-b".into())
            ]
        );
        assert_eq!((s.id(), s.matches), ("id-a", 1));
    }

    #[test]
    fn runbooks_are_offered_only_when_the_console_has_them() {
        let known = vec!["high-cost".to_string()];
        let by_label = labels(&[("opsdeck_runbook", "high-cost")]);
        assert_eq!(
            runbook_of(&by_label, &Labels::new(), &known).as_deref(),
            Some("high-cost")
        );
        let by_url = labels(&[("runbook_url", "https://wiki/runbooks/high-cost.md#steps")]);
        assert_eq!(
            runbook_of(&Labels::new(), &by_url, &known).as_deref(),
            Some("high-cost")
        );
        let unknown = labels(&[("runbook_url", "https://wiki/runbooks/other")]);
        assert_eq!(runbook_of(&Labels::new(), &unknown, &known), None);
    }
}
