//! The health source: one task per service asks its readiness endpoint (and its liveness one,
//! at the same time) every interval, each request within the client's timeout, and sends what
//! they answered. An endpoint that does not answer is asked again with backoff.

use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{ACCEPT, CONTENT_TYPE, RETRY_AFTER};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::answer::{self, MAX_BODY, Probe};
use super::model::HealthMsg;
use crate::clients::http::{describe, header, parse_retry_after, retry_after_words};
use crate::clients::poll::{self, Next, Step};
use crate::config::HealthConfig;
use crate::status::{Backoff, now_ms};

/// The draft's type first; MicroProfile and the rest answer JSON or anything.
const ACCEPTS: &str = "application/health+json, application/json;q=0.9, */*;q=0.5";

/// Asks one endpoint once: its answer read in any of the shapes, or why there was none.
pub async fn probe(http: &reqwest::Client, url: &str) -> Probe {
    if reqwest::Url::parse(url).is_err() {
        return Probe::Unreachable("not a valid url".into());
    }
    let started = Instant::now();
    let mut response = match http.get(url).header(ACCEPT, ACCEPTS).send().await {
        Ok(r) => r,
        Err(e) => return Probe::Unreachable(describe(&e)),
    };
    let code = response.status().as_u16();
    let content_type = header(&response, CONTENT_TYPE);
    let retry_after = header(&response, RETRY_AFTER);
    let mut body = Vec::new();
    // Past MAX_BODY the rest is not read: the cut body reads as unreadable.
    while body.len() <= MAX_BODY {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            Ok(None) => break,
            Err(e) => return Probe::Unreachable(describe(&e)),
        }
    }
    let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let mut reading = answer::read(code, content_type.as_deref(), &body, elapsed_ms);
    // Only a busy or unavailable endpoint's Retry-After asks anything of us.
    let asked = retry_after
        .filter(|_| matches!(code, 429 | 503))
        .and_then(|v| parse_retry_after(&v, SystemTime::now()));
    if let Some(after) = retry_after_words(asked) {
        reading.note = Some(match reading.note.take() {
            Some(note) => format!("{note}, {after}"),
            None => after,
        });
    }
    reading.retry_after = asked;
    Probe::Answered(reading)
}

struct ServiceTask<M> {
    config: HealthConfig,
    http: reqwest::Client,
    /// How often it is asked: an endpoint asking for less (Retry-After) is still asked no
    /// more often.
    interval: Duration,
    /// What each request is given, for the reason when one times out.
    timeout: Duration,
    tx: mpsc::Sender<M>,
    backoff: Backoff,
}

/// "timed out" says how long it was given.
fn within(p: Probe, timeout: Duration) -> Probe {
    match p {
        Probe::Unreachable(r) if r == "timed out" => Probe::Unreachable(format!(
            "timed out after {}",
            crate::clients::http::seconds(timeout)
        )),
        other => other,
    }
}

impl<M: From<HealthMsg> + Send + 'static> Step for ServiceTask<M> {
    async fn step(&mut self) -> Next {
        let live = async {
            match &self.config.live_url {
                Some(url) => Some(probe(&self.http, url).await),
                None => None,
            }
        };
        let (ready, live) = tokio::join!(probe(&self.http, &self.config.url), live);
        let ready = within(ready, self.timeout);
        let live = live.map(|p| within(p, self.timeout));
        let probes = || [Some(&ready), live.as_ref()].into_iter().flatten();
        let unanswered = probes().find_map(|p| match p {
            Probe::Unreachable(reason) => Some(reason.clone()),
            Probe::Answered(_) => None,
        });
        let asked = probes()
            .filter_map(|p| match p {
                Probe::Answered(r) => r.retry_after,
                Probe::Unreachable(_) => None,
            })
            .max();
        let retry_in = match unanswered {
            Some(reason) => {
                // The url is not logged: it may carry a token.
                tracing::warn!(service = %self.config.name, %reason, "health endpoint did not answer");
                Some(self.backoff.next_delay_asked(asked))
            }
            None => {
                self.backoff.reset();
                None
            }
        };
        // An endpoint that answered but asked for time is left alone that long, then polled
        // as before.
        let wait = retry_in.or(asked.map(|a| a.max(self.interval)));
        let msg = HealthMsg {
            service: self.config.name.clone(),
            at_ms: now_ms(),
            ready,
            live,
            retry_in,
        };
        match self.tx.send(M::from(msg)).await {
            Err(_) => Next::Stop,
            Ok(()) => wait.map_or(Next::Tick, Next::RetryIn),
        }
    }
}

/// Starts one polling task per service, each request given up after `timeout`; they stop
/// with `token`.
pub fn spawn_health_sources<M: From<HealthMsg> + Send + 'static>(
    configs: Vec<HealthConfig>,
    interval: Duration,
    timeout: Duration,
    tx: mpsc::Sender<M>,
    token: CancellationToken,
) {
    if configs.is_empty() {
        return;
    }
    let http = match crate::clients::http::client(timeout) {
        Ok(c) => c,
        Err(e) => {
            // Every service says why it is never read, instead of loading forever.
            let reason = format!("no HTTP client: {}", e.without_url());
            tokio::spawn(async move {
                for config in configs {
                    let msg = HealthMsg {
                        service: config.name,
                        at_ms: now_ms(),
                        ready: Probe::Unreachable(reason.clone()),
                        live: None,
                        retry_in: None,
                    };
                    let _ = tx.send(M::from(msg)).await;
                }
            });
            return;
        }
    };
    for config in configs {
        let mut task = ServiceTask {
            config,
            http: http.clone(),
            interval,
            timeout,
            tx: tx.clone(),
            backoff: Backoff::default(),
        };
        let token = token.clone();
        tokio::spawn(async move { poll::every(interval, &token, &mut task).await });
    }
}
