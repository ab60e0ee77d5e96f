//! The RabbitMQ source: the management HTTP API (`GET /api/queues/{vhost}`), one request per
//! broker and vhost for all its configured queues, on an interval, with backoff on failure.
//! A failure marks only that broker's queues stale.

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::{StatusCode, Url};
use serde::Deserialize;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::QueueMsg;
use super::model::{BrokerRates, QueueSample};
use crate::clients::http::StatusError;
use crate::clients::poll::{self, Next, Step};
use crate::config::{QueueConfig, QueueKind};
use crate::status::Backoff;
use crate::status::now_ms;

/// Only what the console shows: the management API computes the rest for nothing.
const COLUMNS: &str = "name,messages_ready,messages_unacknowledged,consumers,\
head_message_timestamp,message_stats.publish,message_stats.publish_details,\
message_stats.deliver_get,message_stats.deliver_get_details";

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum RabbitError {
    #[error("the url carries a password: put it in an environment variable named by password_env")]
    InlinePassword,
    #[error("environment variable {0} (password_env) is not set")]
    MissingPasswordEnv(String),
    #[error("not a management API url: {0}")]
    BadUrl(String),
    #[error("authentication failed (HTTP {0}): check the user in the url and password_env")]
    Auth(u16),
    #[error("vhost {0:?} not found")]
    NoVhost(String),
    #[error("HTTP {0}: {1}")]
    Status(u16, String),
    /// Not 2xx: the reason in words (the management API's own when it gave one), and how long
    /// the server asked to be left alone.
    #[error("{0}")]
    Http(StatusError),
    #[error("{0}")]
    Transport(String),
    /// A 2xx body that is not the management API's JSON, in words.
    #[error("{0}")]
    Decode(String),
}

impl RabbitError {
    /// Retrying cannot fix a configuration mistake.
    fn is_final(&self) -> bool {
        matches!(
            self,
            Self::InlinePassword | Self::MissingPasswordEnv(_) | Self::BadUrl(_)
        )
    }

    /// How long the server asked to be left alone (`Retry-After`), if it did.
    fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Http(s) => s.retry_after,
            _ => None,
        }
    }
}

/// One broker (management API) and vhost, with the user and password to ask it with.
#[derive(Clone, Debug)]
pub struct Broker {
    /// The management API's base, without credentials.
    base: Url,
    user: Option<String>,
    password: Option<String>,
    vhost: String,
}

impl Broker {
    /// The user comes from the url (`http://monitor@host:15672`), the password only from the
    /// environment variable named by `password_env`.
    pub fn new(url: &str, password_env: Option<&str>, vhost: &str) -> Result<Self, RabbitError> {
        let mut base = Url::parse(url).map_err(|e| RabbitError::BadUrl(e.to_string()))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(RabbitError::BadUrl(format!(
                "scheme {} (expected http or https)",
                base.scheme()
            )));
        }
        if base.password().is_some() {
            return Err(RabbitError::InlinePassword);
        }
        let user = (!base.username().is_empty()).then(|| base.username().to_string());
        let password = match password_env {
            Some(var) => {
                Some(std::env::var(var).map_err(|_| RabbitError::MissingPasswordEnv(var.into()))?)
            }
            None => None,
        };
        let _ = base.set_username("");
        Ok(Broker {
            base,
            user,
            password,
            vhost: vhost.to_string(),
        })
    }

    /// `{base}/api/queues/{vhost}` with the vhost as one path segment (`/` becomes `%2F`).
    fn queues_url(&self) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty()
                .extend(["api", "queues", self.vhost.as_str()]);
        }
        url.query_pairs_mut().append_pair("columns", COLUMNS);
        url
    }

    /// For the pane and logs: the url without credentials.
    pub fn redacted(&self) -> String {
        self.base.as_str().trim_end_matches('/').to_string()
    }

    /// Reads every queue of the vhost in one request and returns the named ones as samples.
    pub async fn sample_once(
        &self,
        http: &reqwest::Client,
        names: &[String],
        now_ms: i64,
    ) -> Result<Listing, RabbitError> {
        let mut req = http.get(self.queues_url());
        if let Some(user) = &self.user {
            req = req.basic_auth(user, self.password.as_deref());
        }
        let resp = req.send().await.map_err(|e| describe_transport(&e))?;
        let status = resp.status();
        if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
            return Err(RabbitError::Auth(status.as_u16()));
        }
        if status == StatusCode::NOT_FOUND {
            return Err(RabbitError::NoVhost(self.vhost.clone()));
        }
        let content_type = crate::clients::http::header(&resp, reqwest::header::CONTENT_TYPE);
        let retry_after = crate::clients::http::header(&resp, reqwest::header::RETRY_AFTER);
        let body = resp.bytes().await.map_err(|e| describe_transport(&e))?;
        if !status.is_success() {
            // The management API's own words when it gave them, else what the body says.
            let words = error_reason(&body);
            let said = words.as_deref().map_or(&body[..], str::as_bytes);
            let answer = StatusError::new(status.as_u16(), retry_after.as_deref(), said);
            return Err(RabbitError::Http(answer));
        }
        read_listing(&body, content_type.as_deref(), names, now_ms)
    }
}

/// A `/api/queues/{vhost}` body: the named queues as samples, the others left out.
pub fn read_listing(
    body: &[u8],
    content_type: Option<&str>,
    names: &[String],
    now_ms: i64,
) -> Result<Listing, RabbitError> {
    let listed: Vec<ApiQueue> = serde_json::from_slice(body).map_err(|e| {
        RabbitError::Decode(crate::clients::http::body_reason(
            "RabbitMQ",
            content_type,
            body,
            &e,
        ))
    })?;
    Ok(pick(listed, names, now_ms))
}

/// The management API's own `{"error", "reason"}`; None for anything else.
pub fn error_reason(body: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct ApiError {
        error: Option<String>,
        reason: Option<String>,
    }
    match serde_json::from_slice::<ApiError>(body) {
        Ok(ApiError {
            error: Some(e),
            reason: Some(r),
        }) => Some(format!("{e}: {r}")),
        Ok(ApiError { error: Some(e), .. }) => Some(e),
        _ => None,
    }
}

impl RabbitError {
    /// Says how long the request was given, when it timed out.
    pub fn within(self, timeout: Duration) -> RabbitError {
        match self {
            RabbitError::Transport(t) if t == "timed out" => RabbitError::Transport(format!(
                "timed out after {}",
                crate::clients::http::seconds(timeout)
            )),
            other => other,
        }
    }
}

fn describe_transport(err: &reqwest::Error) -> RabbitError {
    RabbitError::Transport(crate::clients::http::describe(err))
}

/// One item of `/api/queues` (RabbitMQ 3.x field names). `message_stats` only appears once
/// the queue has seen traffic.
#[derive(Debug, Deserialize)]
struct ApiQueue {
    name: String,
    #[serde(default)]
    messages_ready: Option<u64>,
    #[serde(default)]
    messages_unacknowledged: Option<u64>,
    #[serde(default)]
    consumers: Option<u32>,
    /// Seconds since the epoch; only for messages that carry a timestamp property.
    #[serde(default)]
    head_message_timestamp: Option<f64>,
    #[serde(default)]
    message_stats: Option<MessageStats>,
}

#[derive(Debug, Default, Deserialize)]
struct MessageStats {
    publish: Option<u64>,
    publish_details: Option<Details>,
    deliver_get: Option<u64>,
    deliver_get_details: Option<Details>,
}

#[derive(Debug, Deserialize)]
struct Details {
    rate: Option<f64>,
}

/// What one listing says about the configured queues.
#[derive(Debug, Default, PartialEq)]
pub struct Listing {
    pub samples: Vec<QueueSample>,
    /// Configured but not declared on the broker.
    pub missing: Vec<String>,
    /// Listed without figures yet (a broker still recovering its queues after a start).
    pub no_stats: Vec<String>,
}

fn pick(listed: Vec<ApiQueue>, names: &[String], now_ms: i64) -> Listing {
    let mut by_name: BTreeMap<String, ApiQueue> =
        listed.into_iter().map(|q| (q.name.clone(), q)).collect();
    let mut out = Listing::default();
    for name in names {
        match by_name.remove(name) {
            Some(q) if q.messages_ready.is_some() => out.samples.push(to_sample(q, now_ms)),
            Some(_) => out.no_stats.push(name.clone()),
            None => out.missing.push(name.clone()),
        }
    }
    out
}

fn to_sample(q: ApiQueue, now_ms: i64) -> QueueSample {
    let stats = q.message_stats.unwrap_or_default();
    let rate = |d: &Option<Details>| d.as_ref().and_then(|d| d.rate).filter(|r| r.is_finite());
    let broker_rates = match (
        rate(&stats.publish_details),
        rate(&stats.deliver_get_details),
    ) {
        (None, None) => None,
        (i, o) => Some(BrokerRates {
            in_per_sec: i.unwrap_or(0.0),
            out_per_sec: o.unwrap_or(0.0),
        }),
    };
    let ready = q.messages_ready.unwrap_or(0);
    let oldest_age_secs = q
        .head_message_timestamp
        .filter(|_| ready > 0)
        .map(|ts| (now_ms as f64 / 1000.0 - ts).max(0.0));
    QueueSample {
        name: q.name,
        kind: Some(QueueKind::Rabbitmq),
        at_ms: now_ms,
        depth: ready,
        unacked: q.messages_unacknowledged.unwrap_or(0),
        consumers: q.consumers,
        oldest_age_secs,
        enqueued_total: stats.publish,
        processed_total: stats.deliver_get,
        broker_rates,
        ..QueueSample::default()
    }
}

/// Starts one sampling task per (management url, vhost, password_env) among the RabbitMQ
/// queues in `queues` (other kinds are ignored).
pub fn spawn_rabbitmq_queues<M: From<QueueMsg> + Send + 'static>(
    queues: &[QueueConfig],
    interval: Duration,
    tx: mpsc::Sender<M>,
    token: CancellationToken,
) {
    let mut by_broker: BTreeMap<(String, String, Option<String>), Vec<String>> = BTreeMap::new();
    for q in queues.iter().filter(|q| q.kind == QueueKind::Rabbitmq) {
        let vhost = q.vhost.clone().unwrap_or_else(|| "/".into());
        by_broker
            .entry((q.url.clone(), vhost, q.password_env.clone()))
            .or_default()
            .push(q.name.clone());
    }
    for ((url, vhost, password_env), names) in by_broker {
        let source = BrokerSource {
            broker: Broker::new(&url, password_env.as_deref(), &vhost),
            names,
            interval,
        };
        tokio::spawn(source.run(tx.clone(), token.clone()));
    }
}

struct BrokerSource {
    broker: Result<Broker, RabbitError>,
    names: Vec<String>,
    interval: Duration,
}

impl BrokerSource {
    async fn run<M: From<QueueMsg> + Send + 'static>(
        self,
        tx: mpsc::Sender<M>,
        token: CancellationToken,
    ) {
        let broker = match self.broker {
            Ok(b) => b,
            Err(err) => {
                let msg = failed(String::new(), self.names.clone(), &err, None);
                let _ = tx.send(M::from(msg)).await;
                return;
            }
        };
        let timeout = self
            .interval
            .clamp(Duration::from_secs(1), Duration::from_secs(3));
        let http = match crate::clients::http::client(timeout) {
            Ok(c) => c,
            Err(e) => {
                let err = RabbitError::Transport(e.to_string());
                let _ = tx
                    .send(M::from(failed(broker.redacted(), self.names, &err, None)))
                    .await;
                return;
            }
        };
        let mut task = BrokerTask {
            broker,
            http,
            names: self.names,
            interval: self.interval,
            timeout,
            tx,
            backoff: Backoff::default(),
        };
        poll::every(self.interval, &token, &mut task).await;
    }
}

struct BrokerTask<M> {
    broker: Broker,
    http: reqwest::Client,
    names: Vec<String>,
    interval: Duration,
    /// What each request is given, for the reason when one times out.
    timeout: Duration,
    tx: mpsc::Sender<M>,
    backoff: Backoff,
}

impl<M: From<QueueMsg> + Send + 'static> Step for BrokerTask<M> {
    async fn step(&mut self) -> Next {
        let broker = &self.broker;
        let (msgs, next) = match broker.sample_once(&self.http, &self.names, now_ms()).await {
            Ok(listing) => {
                self.backoff.reset();
                (listing_msgs(broker, listing, self.interval), Next::Tick)
            }
            Err(err) => {
                let err = err.within(self.timeout);
                tracing::warn!(url = %broker.redacted(), %err, "rabbitmq queue source failed");
                let delay = self.backoff.next_delay_asked(err.retry_after());
                let msg = failed(broker.redacted(), self.names.clone(), &err, Some(delay));
                (vec![msg], Next::RetryIn(delay))
            }
        };
        for msg in msgs {
            if self.tx.send(M::from(msg)).await.is_err() {
                return Next::Stop;
            }
        }
        next
    }
}

/// The samples, and a failure for each queue the broker could not give figures for.
fn listing_msgs(broker: &Broker, listing: Listing, retry_in: Duration) -> Vec<QueueMsg> {
    let mut msgs = vec![QueueMsg::Sampled(listing.samples)];
    let vhost = &broker.vhost;
    for (queues, why) in [
        (listing.missing, format!("no such queue in vhost {vhost:?}")),
        (
            listing.no_stats,
            "no figures yet (the broker is starting)".to_string(),
        ),
    ] {
        if !queues.is_empty() {
            let err = RabbitError::Status(404, why);
            msgs.push(failed(broker.redacted(), queues, &err, Some(retry_in)));
        }
    }
    msgs
}

fn failed(
    url_redacted: String,
    queues: Vec<String>,
    err: &RabbitError,
    retry_in: Option<Duration>,
) -> QueueMsg {
    QueueMsg::Failed {
        url_redacted,
        queues,
        reason: err.to_string(),
        retry_in: retry_in.filter(|_| !err.is_final()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vhost_is_one_encoded_segment_and_credentials_stay_out_of_the_url() {
        let b = Broker::new("http://monitor@10.0.0.5:15672/", None, "/").expect("broker");
        assert_eq!(
            b.queues_url().as_str().split('?').next(),
            Some("http://10.0.0.5:15672/api/queues/%2F")
        );
        assert_eq!(b.redacted(), "http://10.0.0.5:15672");
        assert_eq!(b.user.as_deref(), Some("monitor"));
        let behind_proxy = Broker::new("https://ops.example/rabbitmq", None, "prod").expect("b");
        assert_eq!(
            behind_proxy.queues_url().as_str().split('?').next(),
            Some("https://ops.example/rabbitmq/api/queues/prod")
        );
    }

    #[test]
    fn inline_password_and_other_schemes_are_refused() {
        assert_eq!(
            Broker::new("http://guest:guest@h:15672", None, "/").err(),
            Some(RabbitError::InlinePassword)
        );
        assert!(matches!(
            Broker::new("amqp://h:5672", None, "/"),
            Err(RabbitError::BadUrl(_))
        ));
        assert!(RabbitError::InlinePassword.is_final());
        assert!(!RabbitError::Auth(401).is_final());
    }

    #[test]
    fn queue_items_become_samples_with_the_brokers_rates() {
        let body = r#"[
          {"name":"notifications","messages_ready":120,"messages_unacknowledged":7,"consumers":3,
           "head_message_timestamp":1795340000,
           "message_stats":{"publish":5000,"publish_details":{"rate":3.2},
                            "deliver_get":4880,"deliver_get_details":{"rate":2.4}}},
          {"name":"fresh","messages_ready":0,"messages_unacknowledged":0,"consumers":0},
          {"name":"unrelated","messages_ready":9},
          {"name":"recovering","state":"down"}
        ]"#;
        let listed: Vec<ApiQueue> = serde_json::from_str(body).expect("json");
        let names = vec![
            "notifications".into(),
            "fresh".into(),
            "gone".into(),
            "recovering".into(),
        ];
        let Listing {
            samples,
            missing,
            no_stats,
        } = pick(listed, &names, 1_795_340_030_000);
        assert_eq!(missing, vec!["gone".to_string()]);
        assert_eq!(no_stats, vec!["recovering".to_string()]);
        let n = &samples[0];
        assert_eq!((n.depth, n.unacked, n.consumers), (120, 7, Some(3)));
        assert_eq!(n.oldest_age_secs, Some(30.0));
        assert_eq!(
            (n.enqueued_total, n.processed_total),
            (Some(5000), Some(4880))
        );
        assert_eq!(
            n.broker_rates,
            Some(BrokerRates {
                in_per_sec: 3.2,
                out_per_sec: 2.4
            })
        );
        let f = &samples[1];
        assert_eq!((f.broker_rates, f.oldest_age_secs), (None, None));
    }

    #[test]
    fn error_bodies_are_read_for_the_reason() {
        assert_eq!(
            error_reason(br#"{"error":"bad_request","reason":"no columns"}"#).unwrap_or_default(),
            "bad_request: no columns"
        );
        assert_eq!(error_reason(b"<html>oops</html>"), None);
    }
}
