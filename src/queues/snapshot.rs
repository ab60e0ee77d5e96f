//! The queues in `opsdeck snapshot`: depth, unacked, rates, time to drain and oldest message of
//! every queue, worst first, from the model's own figures; the brokers they are read from as the
//! pane's sources; the text is the queues view's table at full width.

use serde::Serialize;

use super::model::{Drain, QueueModel, QueueRow};
use super::rabbitmq::Broker;
use super::redis::redact_url;
use super::view::{Queues, Shown};
use crate::config::{QueueConfig, QueueKind};
use crate::status::LoadState;
use crate::ui::snapshot::{PaneSnapshot, Source, heading, json, section};
use crate::ui::table::Ctx;

/// One broker (or Redis) and the configured queues read from it.
#[derive(Clone, Debug, PartialEq)]
pub struct BrokerQueues {
    pub kind: &'static str,
    /// Without credentials.
    pub url: String,
    /// RabbitMQ's virtual host.
    pub vhost: Option<String>,
    pub queues: Vec<String>,
}

impl BrokerQueues {
    /// "RabbitMQ (notifications)", "RabbitMQ vhost jobs (render)", "Redis (articles, images)".
    fn name(&self) -> String {
        let what = match (self.kind, self.vhost.as_deref()) {
            ("rabbitmq", Some("/") | None) => "RabbitMQ".to_string(),
            ("rabbitmq", Some(v)) => format!("RabbitMQ vhost {v}"),
            _ => "Redis".to_string(),
        };
        format!("{what} ({})", self.queues.join(", "))
    }
}

/// The config's queues grouped by where they are read.
pub fn brokers(configs: &[QueueConfig]) -> Vec<BrokerQueues> {
    let mut out: Vec<BrokerQueues> = vec![];
    for q in configs {
        let (kind, url, vhost) = match q.kind {
            QueueKind::Rabbitmq => {
                let vhost = q.vhost.as_deref().unwrap_or("/");
                let url = Broker::new(&q.url, None, vhost)
                    .map_or_else(|_| "<invalid url>".to_string(), |b| b.redacted());
                ("rabbitmq", url, Some(vhost.to_string()))
            }
            _ => ("redis", redact_url(&q.url), None),
        };
        match out
            .iter_mut()
            .find(|b| (b.kind, &b.url, &b.vhost) == (kind, &url, &vhost))
        {
            Some(b) => b.queues.push(q.name.clone()),
            None => out.push(BrokerQueues {
                kind,
                url,
                vhost,
                queues: vec![q.name.clone()],
            }),
        }
    }
    out
}

#[derive(Serialize)]
struct QueueJson<'a> {
    name: &'a str,
    /// "celery", "rq", "stream", "rabbitmq".
    kind: QueueKind,
    /// Ready messages, waiting for a consumer.
    depth: u64,
    /// Delivered, not acknowledged.
    unacked: u64,
    consumers: Option<u32>,
    in_per_sec: f64,
    out_per_sec: f64,
    /// "draining" (see drain_secs), "growing", "empty", "unknown".
    drain: &'static str,
    drain_secs: Option<f64>,
    oldest_secs: Option<f64>,
    /// Unacked past the visibility timeout (due for redelivery).
    overdue: Option<u64>,
    failed: Option<u64>,
    /// The workload that drains it (namespace/name).
    consumer: Option<&'a str>,
    /// Its figures were read just now (false: the last ones read, or none yet).
    live: bool,
}

fn row(q: &QueueRow) -> QueueJson<'_> {
    let (drain, drain_secs) = match q.drain {
        Drain::Seconds(s) => ("draining", Some(s)),
        Drain::Growing => ("growing", None),
        Drain::Idle => ("empty", None),
        Drain::Unknown => ("unknown", None),
    };
    QueueJson {
        name: &q.name,
        kind: q.kind,
        depth: q.depth,
        unacked: q.unacked,
        consumers: q.consumers,
        in_per_sec: q.in_rate,
        out_per_sec: q.out_rate,
        drain,
        drain_secs,
        oldest_secs: q.oldest_age_secs,
        overdue: q.overdue,
        failed: q.failed,
        consumer: q.consumer_workload.as_deref(),
        live: q.state == LoadState::Live,
    }
}

/// Each broker, in the state of its queues (the worst of them).
pub fn sources(model: &QueueModel, brokers: &[BrokerQueues]) -> Vec<Source> {
    brokers
        .iter()
        .map(|b| {
            let rows = b.queues.iter().filter_map(|name| model.row(name));
            let state = LoadState::worst(rows.map(|r| &r.state));
            Source::new(b.kind, b.name(), Some(&b.url), &state)
        })
        .collect()
}

pub fn snapshot(shown: Shown, ctx: &Ctx) -> PaneSnapshot {
    let rows = shown.model.rows();
    let load = LoadState::worst(rows.iter().map(|q| &q.state));
    PaneSnapshot {
        key: "queues",
        rows: rows.iter().map(|q| json(&row(q))).collect(),
        more: serde_json::Map::new(),
        text: section(
            heading("Queues", rows.len(), &load, ctx),
            &Queues(shown),
            rows.len(),
            ctx,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(name: &str, kind: QueueKind, url: &str) -> QueueConfig {
        QueueConfig {
            name: name.into(),
            kind,
            url: url.into(),
            consumer: None,
            password_env: None,
            group: None,
            keyprefix: None,
            visibility_timeout: None,
            vhost: None,
        }
    }

    #[test]
    fn queues_are_grouped_by_where_they_are_read_without_credentials() {
        let b = brokers(&[
            config(
                "articles",
                QueueKind::Celery,
                "redis://u:pw@10.0.0.1:6379/0",
            ),
            config(
                "notify",
                QueueKind::Rabbitmq,
                "http://monitor@10.0.0.5:15672",
            ),
            config("images", QueueKind::Rq, "redis://u:pw@10.0.0.1:6379/0"),
        ]);
        assert_eq!(b.len(), 2);
        assert_eq!(b[0].url, "redis://10.0.0.1:6379/0");
        assert_eq!(b[0].queues, ["articles", "images"]);
        assert_eq!(
            (b[1].kind, b[1].url.as_str()),
            ("rabbitmq", "http://10.0.0.5:15672")
        );
        let model = QueueModel::new(
            &[config(
                "notify",
                QueueKind::Rabbitmq,
                "http://10.0.0.5:15672",
            )],
            10.0,
        );
        let s = sources(&model, &b[1..]);
        assert_eq!(s[0].name, "RabbitMQ (notify)");
        assert_eq!(s[0].state, LoadState::Loading);
        assert!(!s[0].answered);
    }
}
