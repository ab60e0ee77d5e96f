//! The Redis queue source: one task and one multiplexed connection per Redis URL, sampling on an
//! interval, reconnecting with backoff; a failure marks only that URL's queues stale.

use std::collections::BTreeMap;
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Client, IntoConnectionInfo};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::QueueMsg;
use super::redis_read;
pub use super::redis_read::{ReadError, Refresh, sample_once};
use crate::config::{QueueConfig, QueueKind};
use crate::status::Backoff;
use crate::status::now_ms;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("the url carries a password: put it in an environment variable named by password_env")]
    InlinePassword,
    #[error("environment variable {0} (password_env) is not set")]
    MissingPasswordEnv(String),
    #[error(transparent)]
    Redis(#[from] redis::RedisError),
}

impl ConnectError {
    /// Retrying cannot fix a configuration mistake.
    fn is_final(&self) -> bool {
        matches!(self, Self::InlinePassword | Self::MissingPasswordEnv(_))
    }
}

/// The URL without credentials, for the UI and logs.
pub fn redact_url(url: &str) -> String {
    match redis::parse_redis_url(url) {
        Some(mut u) => {
            let _ = u.set_password(None);
            let _ = u.set_username("");
            u.to_string()
        }
        None => "<invalid redis url>".into(),
    }
}

/// Opens the one multiplexed connection for `url`; the password only ever comes from the
/// environment variable named by `password_env`.
pub async fn connect(
    url: &str,
    password_env: Option<&str>,
    response_timeout: Duration,
) -> Result<MultiplexedConnection, ConnectError> {
    if redis::parse_redis_url(url).is_some_and(|u| u.password().is_some()) {
        return Err(ConnectError::InlinePassword);
    }
    let mut info = url.into_connection_info()?;
    if let Some(var) = password_env {
        let password =
            std::env::var(var).map_err(|_| ConnectError::MissingPasswordEnv(var.into()))?;
        let settings = info.redis_settings().clone().set_password(password);
        info = info.set_redis_settings(settings);
    }
    let client = Client::open(info)?;
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(CONNECT_TIMEOUT))
        .set_response_timeout(Some(response_timeout));
    Ok(client
        .get_multiplexed_async_connection_with_config(&config)
        .await?)
}

/// A short reason for the pane title: what went wrong, not a stack of wrappers.
pub fn describe_redis(err: &redis::RedisError) -> String {
    if err.is_connection_refusal() {
        "connection refused".into()
    } else if err.is_timeout() {
        "timed out".into()
    } else if matches!(err.code(), Some("NOAUTH" | "WRONGPASS" | "NOPERM")) {
        format!("authentication failed: {err}")
    } else if err.is_connection_dropped() || err.is_io_error() {
        "connection lost".into()
    } else {
        err.to_string()
    }
}

fn describe_read(err: &ReadError) -> String {
    match err {
        ReadError::Redis(e) => describe_redis(e),
        ReadError::Auth(_) => err.to_string(),
    }
}

fn describe_connect(err: &ConnectError) -> String {
    match err {
        ConnectError::Redis(e) => describe_redis(e),
        other => other.to_string(),
    }
}

/// Starts one sampling task per (Redis URL, password_env) among `queues` (RabbitMQ ones are
/// ignored). Each sends `QueueMsg::Sampled` every `interval`, or `QueueMsg::Failed`.
pub fn spawn_redis_queues<M: From<QueueMsg> + Send + 'static>(
    queues: Vec<QueueConfig>,
    interval: Duration,
    tx: mpsc::Sender<M>,
    token: CancellationToken,
) {
    let mut by_url: BTreeMap<(String, Option<String>), Vec<QueueConfig>> = BTreeMap::new();
    for q in queues.into_iter().filter(|q| q.kind != QueueKind::Rabbitmq) {
        by_url
            .entry((q.url.clone(), q.password_env.clone()))
            .or_default()
            .push(q);
    }
    for ((url, password_env), queues) in by_url {
        let source = UrlSource {
            url,
            password_env,
            queues,
            interval,
        };
        tokio::spawn(source.run(tx.clone(), token.clone()));
    }
}

struct UrlSource {
    url: String,
    password_env: Option<String>,
    queues: Vec<QueueConfig>,
    interval: Duration,
}

impl UrlSource {
    async fn run<M: From<QueueMsg> + Send + 'static>(
        self,
        tx: mpsc::Sender<M>,
        token: CancellationToken,
    ) {
        let mut backoff = Backoff::default();
        let response_timeout = self.interval.clamp(Duration::from_secs(1), CONNECT_TIMEOUT);
        loop {
            let connected = tokio::select! {
                () = token.cancelled() => return,
                c = connect(&self.url, self.password_env.as_deref(), response_timeout) => c,
            };
            let (reason, retry_in) = match connected {
                Ok(mut conn) => {
                    let Some(err) = self.sample_loop(&mut conn, &tx, &token, &mut backoff).await
                    else {
                        return;
                    };
                    (describe_read(&err), Some(backoff.next_delay()))
                }
                Err(err) => {
                    let retry = (!err.is_final()).then(|| backoff.next_delay());
                    (describe_connect(&err), retry)
                }
            };
            let reason = if reason == "timed out" {
                let given = crate::clients::http::seconds(response_timeout);
                format!("timed out after {given}")
            } else {
                reason
            };
            tracing::warn!(url = %redact_url(&self.url), reason, "redis queue source failed");
            if !self.send_failed(&tx, reason, retry_in).await {
                return;
            }
            let Some(delay) = retry_in else { return };
            tokio::select! {
                () = token.cancelled() => return,
                () = tokio::time::sleep(delay) => {}
            }
        }
    }

    /// Samples until a read fails (returns the error) or the UI/token goes away (None).
    async fn sample_loop<M: From<QueueMsg> + Send + 'static>(
        &self,
        conn: &mut MultiplexedConnection,
        tx: &mpsc::Sender<M>,
        token: &CancellationToken,
        backoff: &mut Backoff,
    ) -> Option<ReadError> {
        let mut ticker = tokio::time::interval(self.interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = token.cancelled() => return None,
                _ = ticker.tick() => {}
            }
            match redis_read::sample_once(conn, &self.queues, now_ms()).await {
                Ok(refresh) => {
                    backoff.reset();
                    let msg = QueueMsg::Sampled(refresh.samples);
                    if tx.send(M::from(msg)).await.is_err() {
                        return None;
                    }
                }
                Err(err) => return Some(err),
            }
        }
    }

    /// False when the receiver is gone.
    async fn send_failed<M: From<QueueMsg>>(
        &self,
        tx: &mpsc::Sender<M>,
        reason: String,
        retry_in: Option<Duration>,
    ) -> bool {
        let msg = QueueMsg::Failed {
            url_redacted: redact_url(&self.url),
            queues: self.queues.iter().map(|q| q.name.clone()).collect(),
            reason,
            retry_in,
        };
        tx.send(M::from(msg)).await.is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_drops_credentials() {
        assert_eq!(
            redact_url("redis://user:secret@10.0.0.1:6379/2"),
            "redis://10.0.0.1:6379/2"
        );
        assert_eq!(redact_url("nonsense"), "<invalid redis url>");
    }

    #[tokio::test]
    async fn inline_password_is_refused_without_connecting() {
        let err = connect("redis://:pw@127.0.0.1:1/0", None, Duration::from_secs(1))
            .await
            .expect_err("refused");
        assert!(err.is_final());
    }
}
