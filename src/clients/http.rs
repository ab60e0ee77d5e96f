//! The one way sources build an HTTP client: rustls with kube's `ring` provider, and timeouts,
//! so a slow endpoint marks its pane stale instead of hanging it.

use std::time::{Duration, SystemTime};

use crate::status::MAX_ASKED_WAIT;

/// A client whose requests give up after `timeout` (connecting included).
pub fn client(timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    // reqwest is built without a default provider; installing twice is a harmless no-op.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .build()
}

/// A short reason for a pane title: what went wrong, never the url (it may carry a user).
pub fn describe(err: &reqwest::Error) -> String {
    let chain = format!("{err:?}");
    if err.is_timeout() {
        "timed out".into()
    } else if err.is_connect() {
        if chain.contains("Connection refused") || chain.contains("ConnectionRefused") {
            "connection refused".into()
        } else {
            "cannot connect".into()
        }
    } else if chain.contains("ConnectionReset") || chain.contains("reset by peer") {
        "the connection was reset".into()
    } else if err.is_body() || err.is_decode() || chain.contains("IncompleteMessage") {
        "the response was cut short".into()
    } else {
        "connection lost".into()
    }
}

/// [`describe`], saying how long a request was given when it timed out.
pub fn describe_within(err: &reqwest::Error, timeout: Duration) -> String {
    if err.is_timeout() {
        format!("timed out after {}", seconds(timeout))
    } else {
        describe(err)
    }
}

/// "5 s", "1.5 s", "500 ms".
pub fn seconds(d: Duration) -> String {
    match d.as_millis() {
        ms if ms < 1000 => format!("{ms} ms"),
        ms if ms % 1000 == 0 => format!("{} s", ms / 1000),
        ms => format!("{:.1} s", ms as f64 / 1000.0),
    }
}

/// A response header as text (absent, or not text: None), read before the body consumes it.
pub fn header(resp: &reqwest::Response, name: reqwest::header::HeaderName) -> Option<String> {
    let value = resp.headers().get(name)?;
    value.to_str().ok().map(str::to_string)
}

/// How long a `Retry-After` value asks a client to wait from `now`: delta-seconds ("120") or
/// an HTTP-date ("Wed, 21 Oct 2026 07:28:00 GMT"), in whole seconds rounded up, at most
/// [`MAX_ASKED_WAIT`]; a date already past asks for no wait. None when it is neither form.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    let wait = if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Too many digits for a u64 is still a number of seconds: a very long one.
        value.parse().map_or(MAX_ASKED_WAIT, Duration::from_secs)
    } else {
        let at = httpdate::parse_http_date(value).ok()?;
        let d = at.duration_since(now).unwrap_or(Duration::ZERO);
        Duration::from_secs(d.as_secs() + u64::from(d.subsec_nanos() > 0))
    };
    Some(wait.min(MAX_ASKED_WAIT))
}

/// A non-2xx answer: its code, why it cannot be used in words ([`status_reason`]), and how
/// long the server asked to be left alone (`Retry-After`, parsed and capped): the source's
/// retry loop waits at least that long ([`crate::status::Backoff::next_delay_asked`]).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct StatusError {
    pub code: u16,
    pub reason: String,
    pub retry_after: Option<Duration>,
}

impl StatusError {
    /// From what the server sent: the code, the `Retry-After` header as text, the body.
    pub fn new(code: u16, retry_after: Option<&str>, body: &[u8]) -> Self {
        let retry_after = retry_after.and_then(|v| parse_retry_after(v, SystemTime::now()));
        StatusError {
            code,
            reason: status_reason(code, retry_after, body),
            retry_after,
        }
    }
}

/// Why an answer that is not 2xx cannot be used: "HTTP 503", "HTTP 401: not authorized",
/// "answered 429 (too many requests), retry after 5 s"; `body` adds the server's words when
/// they are short plain text, `retry_after` how long the server asked to be left alone.
pub fn status_reason(code: u16, retry_after: Option<Duration>, body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    let after = retry_after_words(retry_after).map_or_else(String::new, |a| format!(", {a}"));
    if code == 429 {
        return format!("answered 429 (too many requests){after}");
    }
    let words = match code {
        401 => Some("not authorized"),
        403 => Some("forbidden"),
        _ => None,
    };
    let html = text.starts_with('<');
    let reason = match (words, text.is_empty() || html || text.len() > 120) {
        (Some(w), _) => format!("HTTP {code}: {w}"),
        (None, true) => format!("HTTP {code}"),
        (None, false) => format!("HTTP {code}: {text}"),
    };
    reason + &after
}

/// "retry after 5 s": how long a server asked to be left alone, in a reason; None when it
/// did not ask (or asked for no wait).
pub fn retry_after_words(retry_after: Option<Duration>) -> Option<String> {
    let d = retry_after.filter(|d| !d.is_zero())?;
    Some(format!("retry after {}", seconds(d)))
}

/// Why a 2xx body could not be read as `what` (Prometheus, OpenCost...) would send it: an
/// HTML page, a cut body, or JSON of another shape.
pub fn body_reason(
    what: &str,
    content_type: Option<&str>,
    body: &[u8],
    err: &serde_json::Error,
) -> String {
    let html = content_type.is_some_and(|c| c.contains("html"))
        || body.trim_ascii_start().starts_with(b"<");
    if html {
        format!("{what} answered HTML, not JSON")
    } else if err.is_eof() {
        "the response was cut short".into()
    } else if err.is_syntax() {
        format!("{what} answered something that is not JSON")
    } else {
        let detail = err.to_string();
        let detail = detail.split(" at line ").next().unwrap_or_default();
        format!("unexpected JSON shape: {detail}")
    }
}

/// The secret held by the environment variable a config names (`token_env`, `password_env`):
/// None when no variable is named, an error naming it when it is not set.
pub fn secret_from_env(var: Option<&str>) -> Result<Option<String>, String> {
    match var {
        Some(v) => std::env::var(v).map(Some).map_err(|_| v.to_string()),
        None => Ok(None),
    }
}

/// A url without its user and password, for titles, logs and the snapshot.
pub fn redact(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.to_string()
        }
        Err(_) => "<invalid url>".into(),
    }
}

/// `url` as given, unless it carries a user or password: then without them (a kubeconfig's
/// `server` is shown in titles, errors and the audit log).
pub fn without_userinfo(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(u) if !u.username().is_empty() || u.password().is_some() => redact(url),
        _ => url.to_string(),
    }
}

/// An HTTP API's base url and basic-auth credentials: the user from the url
/// (`http://monitor@host:15672`), the password only from the environment variable a config
/// names (`password_env`), never inline.
#[derive(Clone, Debug)]
pub struct BasicAuthUrl {
    /// The base, without credentials (safe to show).
    pub base: reqwest::Url,
    pub user: Option<String>,
    pub password: Option<String>,
}

impl BasicAuthUrl {
    pub fn parse(url: &str, password_env: Option<&str>) -> Result<Self, String> {
        let mut base = reqwest::Url::parse(url).map_err(|e| format!("bad url: {e}"))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(format!(
                "bad url: scheme {} (expected http or https)",
                base.scheme()
            ));
        }
        if base.password().is_some() {
            return Err(
                "the url carries a password: put it in an environment variable named by \
                 password_env"
                    .into(),
            );
        }
        let user = (!base.username().is_empty()).then(|| base.username().to_string());
        let password = secret_from_env(password_env)
            .map_err(|var| format!("environment variable {var} (password_env) is not set"))?;
        let _ = base.set_username("");
        Ok(BasicAuthUrl {
            base,
            user,
            password,
        })
    }

    /// The base with `segments` appended, each one path segment (percent-encoded).
    pub fn join(&self, segments: &[&str]) -> reqwest::Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    /// A request with the credentials attached.
    pub fn request(
        &self,
        http: &reqwest::Client,
        method: reqwest::Method,
        url: reqwest::Url,
    ) -> reqwest::RequestBuilder {
        let req = http.request(method, url);
        match &self.user {
            Some(user) => req.basic_auth(user, self.password.as_deref()),
            None => req,
        }
    }

    /// For titles and logs: the url without credentials.
    pub fn redacted(&self) -> String {
        self.base.as_str().trim_end_matches('/').to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_come_from_the_url_user_and_the_environment_only() {
        let ok = BasicAuthUrl::parse("http://monitor@am:9093/", None).expect("parses");
        assert_eq!(ok.user.as_deref(), Some("monitor"));
        assert_eq!(ok.redacted(), "http://am:9093");
        assert_eq!(
            ok.join(&["api", "v2", "silence", "a/b"]).as_str(),
            "http://am:9093/api/v2/silence/a%2Fb"
        );
        assert_eq!(
            without_userinfo("https://ops:secret@10.0.0.1:6443"),
            "https://10.0.0.1:6443/"
        );
        assert_eq!(
            without_userinfo("https://10.0.0.1:6443"),
            "https://10.0.0.1:6443"
        );
        assert!(
            BasicAuthUrl::parse("http://u:secret@am:9093", None)
                .is_err_and(|e| e.contains("password_env"))
        );
        assert!(
            BasicAuthUrl::parse("http://u@am", Some("OPSDECK_TEST_UNSET_VAR"))
                .is_err_and(|e| e.contains("OPSDECK_TEST_UNSET_VAR"))
        );
        assert!(BasicAuthUrl::parse("ftp://am", None).is_err());
    }

    #[test]
    fn answers_are_told_in_words() {
        assert_eq!(
            status_reason(503, None, b"upstream unavailable\n"),
            "HTTP 503: upstream unavailable"
        );
        assert_eq!(status_reason(502, None, b"<html>..</html>"), "HTTP 502");
        assert_eq!(status_reason(401, None, b"x"), "HTTP 401: not authorized");
        assert_eq!(
            StatusError::new(429, Some("5"), b"").reason,
            "answered 429 (too many requests), retry after 5 s"
        );
        assert_eq!(
            StatusError::new(503, Some("7"), b"upstream unavailable").reason,
            "HTTP 503: upstream unavailable, retry after 7 s"
        );
        assert_eq!(
            StatusError::new(429, Some("soon"), b"").reason,
            "answered 429 (too many requests)"
        );
        let err = |body: &[u8]| serde_json::from_slice::<serde_json::Value>(body).expect_err("bad");
        assert_eq!(
            body_reason("Prometheus", Some("text/html"), b"<html>", &err(b"<html>")),
            "Prometheus answered HTML, not JSON"
        );
        assert_eq!(
            body_reason("Prometheus", None, b"{\"a\": [1,", &err(b"{\"a\": [1,")),
            "the response was cut short"
        );
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Shape {
            status: String,
        }
        let shape = serde_json::from_slice::<Shape>(b"{}").expect_err("shape");
        assert_eq!(
            body_reason("Prometheus", None, b"{}", &shape),
            "unexpected JSON shape: missing field `status`"
        );
        assert_eq!(seconds(Duration::from_secs(5)), "5 s");
    }

    #[test]
    fn retry_after_is_read_in_seconds_or_as_a_date_and_capped() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_784_000_000);
        let parse = |v: &str| parse_retry_after(v, now);
        assert_eq!(parse("5"), Some(Duration::from_secs(5)));
        assert_eq!(parse(" 120 "), Some(Duration::from_secs(120)));
        assert_eq!(parse("0"), Some(Duration::ZERO));
        // Huge asks are held to ten minutes, even past what a u64 holds.
        assert_eq!(parse("86400"), Some(MAX_ASKED_WAIT));
        assert_eq!(parse("99999999999999999999999999"), Some(MAX_ASKED_WAIT));
        let date =
            |secs_from_now: u64| httpdate::fmt_http_date(now + Duration::from_secs(secs_from_now));
        assert_eq!(parse(&date(30)), Some(Duration::from_secs(30)));
        assert_eq!(parse(&date(7 * 86_400)), Some(MAX_ASKED_WAIT));
        assert_eq!(
            parse_retry_after(&date(30), now + Duration::from_millis(500)),
            Some(Duration::from_secs(30)),
            "a part second left is waited whole"
        );
        assert_eq!(parse("Thu, 01 Jan 1970 00:00:00 GMT"), Some(Duration::ZERO));
        for garbage in [
            "",
            "soon",
            "-5",
            "+5",
            "5.5",
            "5 s",
            "Tomorrow, 25:61:00 GMT",
        ] {
            assert_eq!(parse(garbage), None, "{garbage:?}");
        }
        assert_eq!(seconds(Duration::from_millis(1500)), "1.5 s");
    }
}
