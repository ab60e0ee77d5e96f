//! The load knob (issue 15's bench): pods replaced at a rate, and extra RabbitMQ queues, SLOs
//! and Alertmanager alerts on top of the platform's own. Off by default: the default world
//! is PLATFORM.md's, unchanged. What it adds is served over the same APIs as the rest (the kube
//! watch, the management API, the SLO files beside `--config-out`, Alertmanager v2), so a
//! console sees it the way it sees a real platform's.

use std::borrow::Cow;
use std::fmt::Write;

use jiff::{SignedDuration, Timestamp};

use crate::config::QueueKind;
use crate::sim::alerts::LabelSet;
use crate::sim::alerts::engine::Notification;
use crate::sim::world::queues::SimQueue;

/// The extra SLOs' file name, beside the platform's SLO files.
pub const SLO_FILE: &str = "load.yaml";

/// How much more than the platform's own the sim serves.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Load {
    /// Ready ReplicaSet pods evicted a second (each replaced by its ReplicaSet: a deletion, a
    /// new pod scheduled, started and ready, and their events).
    pub churn_per_sec: u32,
    /// RabbitMQ queues `load-0001`.. beside `notifications`.
    pub queues: usize,
    /// SLOs `load-001`.. in a Sloth file (`load.yaml`) beside the platform's.
    pub slos: usize,
    /// Alerts firing in the sim's Alertmanager beside the rules' own.
    pub alerts: usize,
}

impl Load {
    /// Issue 15: the demo at ten times its churn.
    pub const TEN_TIMES: Load = Load {
        churn_per_sec: 500,
        queues: 1000,
        slos: 100,
        alerts: 1000,
    };

    pub fn is_off(&self) -> bool {
        *self == Load::default()
    }

    /// The extra queues: drained by the broker's consumers (`rabbitmq`, 3 pods) at half again
    /// their arrival rate, so they stay short and their arrival marks stay few.
    pub fn extra_queues(&self) -> impl Iterator<Item = SimQueue> {
        (1..=self.queues).map(|i| {
            let rate = 0.2 + (i % 13) as f64 * 0.2;
            SimQueue::new(
                Cow::Owned(format!("load-{i:04}")),
                QueueKind::Rabbitmq,
                "contentgen/rabbitmq",
                rate,
                rate / 2.0,
            )
        })
    }

    /// The extra SLOs as a Sloth `prometheus/v1` file over the platform's own metrics (the
    /// sim's Prometheus answers them as it answers the shipped ones); None without any.
    pub fn slo_file(&self) -> Option<String> {
        if self.slos == 0 {
            return None;
        }
        let mut out = String::from(
            "# The sim's load (`--extra-slos`): SLOs over the platform's own metrics.\n\
             version: \"prometheus/v1\"\nservice: \"load\"\nlabels:\n  owner: \"load\"\nslos:\n",
        );
        for i in 1..=self.slos {
            let (error, total) = SLIS[i % SLIS.len()];
            let objective = OBJECTIVES[i % OBJECTIVES.len()];
            let _ = write!(
                out,
                "  - name: \"load-{i:03}\"\n    objective: {objective}\n    sli:\n      events:\n        \
                 error_query: {error}\n        total_query: {total}\n    alerting:\n      \
                 name: Load{i:03}\n      page_alert:\n        labels: {{severity: page}}\n      \
                 ticket_alert:\n        labels: {{severity: ticket}}\n"
            );
        }
        Some(out)
    }

    /// What a Prometheus with the extra alerts firing sends after an evaluation at `now`
    /// (firing since the sim started, valid for four minutes as Prometheus's notifier says).
    pub fn alert_notifications(&self, started: Timestamp, now: Timestamp) -> Vec<Notification> {
        (1..=self.alerts)
            .map(|i| {
                let (name, summary) = ALERTS[i % ALERTS.len()];
                let labels = LabelSet::from([
                    ("alertname".to_string(), name.to_string()),
                    ("severity".into(), SEVERITIES[i % SEVERITIES.len()].into()),
                    ("namespace".into(), "contentgen".into()),
                    ("instance".into(), format!("load-{i:04}")),
                ]);
                let annotations =
                    LabelSet::from([("summary".to_string(), format!("{summary} on load-{i:04}"))]);
                Notification {
                    labels,
                    annotations,
                    starts_at: started,
                    ends_at: now + SignedDuration::from_mins(4),
                    generator_url: String::new(),
                }
            })
            .collect()
    }
}

/// (error, total) queries of the platform's SLIs, `{{.window}}` left for Sloth's windows.
const SLIS: [(&str, &str); 3] = [
    (
        "sum(rate(http_requests_total{service=\"api\",code=~\"5..\"}[{{.window}}]))",
        "sum(rate(http_requests_total{service=\"api\"}[{{.window}}]))",
    ),
    (
        "sum(rate(pipeline_runs_total{status=\"failure\"}[{{.window}}]))",
        "sum(rate(pipeline_runs_total[{{.window}}]))",
    ),
    (
        "sum(rate(pipeline_runs_total{stage=\"publish\",status=\"failure\"}[{{.window}}]))",
        "sum(rate(pipeline_runs_total{stage=\"publish\"}[{{.window}}]))",
    ),
];

const OBJECTIVES: [f64; 4] = [99.9, 99.5, 99.0, 95.0];

const SEVERITIES: [&str; 3] = ["page", "ticket", "warning"];

const ALERTS: [(&str, &str); 4] = [
    ("LoadQueueBacklog", "Queue backlog growing"),
    ("LoadHighLatency", "p99 latency over 1 s"),
    ("LoadPodRestarts", "Pods restarting"),
    ("LoadDiskPressure", "Disk over 85%"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_by_default_and_the_preset_is_issue_15s() {
        assert!(Load::default().is_off());
        assert_eq!(Load::default().slo_file(), None);
        assert_eq!(Load::TEN_TIMES.extra_queues().count(), 1000);
    }

    #[test]
    fn the_slo_file_parses_into_as_many_slos() {
        let load = Load {
            slos: 7,
            ..Load::default()
        };
        let text = load.slo_file().unwrap();
        let slos = crate::slo::parse_file(&text, std::path::Path::new("load.yaml")).unwrap();
        assert_eq!(slos.len(), 7);
    }

    #[test]
    fn alerts_are_distinct_and_firing() {
        let now = crate::sim::clock::TEST_NOW;
        let load = Load {
            alerts: 50,
            ..Load::default()
        };
        let notes = load.alert_notifications(now, now);
        let distinct: std::collections::BTreeSet<_> = notes.iter().map(|n| &n.labels).collect();
        assert_eq!(distinct.len(), 50);
        assert!(notes.iter().all(|n| n.ends_at > now));
    }
}
