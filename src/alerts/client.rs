//! One Alertmanager instance over its v2 API: groups and silences for the pane (two requests a
//! refresh), and the silence calls actions make.

use std::time::Duration;

use reqwest::{Method, StatusCode};

use super::wire::{Alert, AlertGroup, AmStatus, Matcher, Silence, SilenceCreated};
use crate::clients::http::{BasicAuthUrl, StatusError, body_reason, client, describe_within};
use crate::config::AlertmanagerConfig;

/// Why a request to an Alertmanager failed, in words for a pane title (never the url).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AmError {
    #[error("{0}")]
    Config(String),
    #[error("authentication failed (HTTP {0}): check the user in the url and password_env")]
    Auth(u16),
    /// Not 2xx: the code, the reason in words ("HTTP 503: ...", "answered 429 ..."), and how
    /// long the server asked to be left alone.
    #[error("{0}")]
    Status(StatusError),
    #[error("{0}")]
    Transport(String),
    /// A 2xx body that is not Alertmanager's JSON, in words.
    #[error("{0}")]
    Decode(String),
}

impl AmError {
    /// Retrying cannot fix a configuration mistake.
    pub fn is_final(&self) -> bool {
        matches!(self, AmError::Config(_))
    }

    /// How long the server asked to be left alone (`Retry-After`), if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            AmError::Status(s) => s.retry_after,
            _ => None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Alertmanager {
    name: String,
    readonly: bool,
    url: BasicAuthUrl,
    http: reqwest::Client,
    timeout: Duration,
}

impl Alertmanager {
    pub fn new(config: &AlertmanagerConfig, timeout: Duration) -> Result<Self, AmError> {
        let url = BasicAuthUrl::parse(&config.url, config.password_env.as_deref())
            .map_err(|e| AmError::Config(format!("[[alertmanager]] {}: {e}", config.name)))?;
        let http = client(timeout).map_err(|e| AmError::Config(e.to_string()))?;
        Ok(Alertmanager {
            name: config.name.clone(),
            readonly: config.readonly,
            url,
            http,
            timeout,
        })
    }

    /// How the console tags what this instance holds.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The config says the console may only read this instance.
    pub fn readonly(&self) -> bool {
        self.readonly
    }

    pub fn redacted_url(&self) -> String {
        self.url.redacted()
    }

    /// `GET /api/v2/alerts/groups`: every alert, active, silenced and inhibited.
    pub async fn groups(&self) -> Result<Vec<AlertGroup>, AmError> {
        self.get_json(&["alerts", "groups"], &[]).await
    }

    /// `GET /api/v2/alerts` narrowed by matchers (`filter=`).
    pub async fn alerts(&self, filter: &[Matcher]) -> Result<Vec<Alert>, AmError> {
        let filters: Vec<String> = filter.iter().map(super::matcher::show).collect();
        self.get_json(&["alerts"], &filters).await
    }

    pub async fn silences(&self) -> Result<Vec<Silence>, AmError> {
        self.get_json(&["silences"], &[]).await
    }

    /// `GET /api/v2/status`: which cluster it gossips in.
    pub async fn status(&self) -> Result<AmStatus, AmError> {
        self.get_json(&["status"], &[]).await
    }

    pub async fn silence(&self, id: &str) -> Result<Silence, AmError> {
        self.get_json(&["silence", id], &[]).await
    }

    /// `POST /api/v2/silences` with a JSON body as the plan shows it; the id that came back,
    /// which is new when an update changed the matchers.
    pub async fn post_silence(&self, body: &str) -> Result<(u16, String), AmError> {
        let (status, text) = self.send(Method::POST, &["silences"], Some(body)).await?;
        let created: SilenceCreated =
            serde_json::from_str(&text).map_err(|e| decode_error(&text, &e))?;
        Ok((status, created.silence_id))
    }

    /// `DELETE /api/v2/silence/{id}`: expires it (Alertmanager keeps it, expired).
    pub async fn expire(&self, id: &str) -> Result<u16, AmError> {
        self.send(Method::DELETE, &["silence", id], None)
            .await
            .map(|(s, _)| s)
    }

    /// A request exactly as a plan shows it (`path` from the server's root, `/api/v2/...`),
    /// to this instance's base url.
    pub async fn send_planned(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
    ) -> Result<(u16, String), AmError> {
        let method = Method::from_bytes(method.as_bytes())
            .map_err(|_| AmError::Config(format!("bad method {method}")))?;
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        self.call(method, self.url.join(&segments), body).await
    }

    async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        path: &[&str],
        filters: &[String],
    ) -> Result<T, AmError> {
        let mut url = self.api(path);
        for f in filters {
            url.query_pairs_mut().append_pair("filter", f);
        }
        let (_, text) = self.call(Method::GET, url, None).await?;
        serde_json::from_str(&text).map_err(|e| decode_error(&text, &e))
    }

    async fn send(
        &self,
        method: Method,
        path: &[&str],
        body: Option<&str>,
    ) -> Result<(u16, String), AmError> {
        self.call(method, self.api(path), body).await
    }

    fn api(&self, path: &[&str]) -> reqwest::Url {
        let mut segments = vec!["api", "v2"];
        segments.extend_from_slice(path);
        self.url.join(&segments)
    }

    async fn call(
        &self,
        method: Method,
        url: reqwest::Url,
        body: Option<&str>,
    ) -> Result<(u16, String), AmError> {
        let mut req = self.url.request(&self.http, method, url);
        if let Some(body) = body {
            req = req
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.to_string());
        }
        let transport = |e: reqwest::Error| AmError::Transport(describe_within(&e, self.timeout));
        let resp = req.send().await.map_err(transport)?;
        let status = resp.status();
        let retry_after = crate::clients::http::header(&resp, reqwest::header::RETRY_AFTER);
        let text = resp.text().await.map_err(transport)?;
        if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
            return Err(AmError::Auth(status.as_u16()));
        }
        if !status.is_success() {
            let body = error_text(&text);
            let answer = StatusError::new(status.as_u16(), retry_after.as_deref(), body.as_bytes());
            return Err(AmError::Status(answer));
        }
        Ok((status.as_u16(), text))
    }
}

fn decode_error(text: &str, e: &serde_json::Error) -> AmError {
    AmError::Decode(body_reason("Alertmanager", None, text.as_bytes(), e))
}

/// Alertmanager answers errors as a bare JSON string ("silence not found") or plain text.
fn error_text(body: &str) -> String {
    let text = serde_json::from_str::<String>(body).unwrap_or_else(|_| body.to_string());
    text.trim().chars().take(160).collect()
}
