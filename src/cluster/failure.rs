//! A Kubernetes client's failures in words a person understands ("no answer in 30 s", "HTTP
//! 503", "the response was cut short"), whether retrying can help, and how long the server
//! asked to be left alone. Shared by the watches, the log follower, the connect probe and the
//! shared incident's watch.

use std::time::Duration;

use kube::runtime::watcher;

use crate::clients::http::retry_after_words;
use crate::status::MAX_ASKED_WAIT;

use super::connect;

/// A short human reason for a watch failure, and whether retrying is pointless.
pub fn describe(err: &watcher::Error) -> (String, bool) {
    let client_err = match err {
        watcher::Error::InitialListFailed(e)
        | watcher::Error::WatchStartFailed(e)
        | watcher::Error::WatchFailed(e) => Some(e),
        watcher::Error::WatchError(status) if status.code == 410 => {
            return ("the watch expired (410 Gone): listing again".into(), false);
        }
        watcher::Error::WatchError(status) => {
            return (status.message.clone(), status.is_forbidden());
        }
        watcher::Error::NoResourceVersion => None,
    };
    match client_err {
        Some(kube::Error::Api(status)) => {
            let fatal = status.is_forbidden() || status.code == 401;
            (api_reason(status), fatal)
        }
        Some(e) => (describe_client(e), false),
        None => (err.to_string(), false),
    }
}

/// How long the API server asked to be left alone: a 429's `details.retryAfterSeconds` (the
/// apiserver sets it with the `Retry-After` header; kube-rs keeps only the Status), capped.
pub fn asked_wait(err: &watcher::Error) -> Option<Duration> {
    match err {
        watcher::Error::InitialListFailed(e)
        | watcher::Error::WatchStartFailed(e)
        | watcher::Error::WatchFailed(e) => asked_wait_of(e),
        watcher::Error::WatchError(status) => retry_after_seconds(status),
        watcher::Error::NoResourceVersion => None,
    }
}

/// As [`asked_wait`], for one request's error (a log follow, the connect probe).
pub fn asked_wait_of(err: &kube::Error) -> Option<Duration> {
    match err {
        kube::Error::Api(status) => retry_after_seconds(status),
        _ => None,
    }
}

fn retry_after_seconds(status: &kube::core::Status) -> Option<Duration> {
    let secs = status.details.as_ref()?.retry_after_seconds;
    (secs > 0).then(|| Duration::from_secs(secs.into()).min(MAX_ASKED_WAIT))
}

/// What the API server said, in words: its message, with the code when that is what matters.
fn api_reason(status: &kube::core::Status) -> String {
    match status.code {
        401 => format!("unauthorized: {}", status.message),
        403 if !status.message.is_empty() => status.message.clone(),
        429 => match retry_after_words(retry_after_seconds(status)) {
            Some(after) => format!("answered 429 (too many requests), {after}"),
            None => "answered 429 (too many requests)".into(),
        },
        code if status.message.is_empty() => format!("HTTP {code} {}", status.reason),
        code if code >= 500 || status.message.starts_with('<') => {
            let text = status.message.trim();
            if text.starts_with('<') || text.len() > 120 {
                format!("HTTP {code}")
            } else {
                format!("HTTP {code}: {text}")
            }
        }
        _ => status.message.clone(),
    }
}

/// A client error (list, watch, log stream) in words.
pub fn describe_client(err: &kube::Error) -> String {
    match err {
        kube::Error::Api(status) => api_reason(status),
        kube::Error::SerdeError(e) if e.is_eof() => "the response was cut short".into(),
        kube::Error::SerdeError(e) if e.is_syntax() => {
            "the Kubernetes API did not answer JSON".into()
        }
        kube::Error::SerdeError(e) => {
            let detail = e.to_string();
            let detail = detail.split(" at line ").next().unwrap_or_default();
            format!("unexpected JSON shape: {detail}")
        }
        kube::Error::ReadEvents(_) | kube::Error::LinesCodecMaxLineLengthExceeded => {
            stream_cut(err, "the stream")
        }
        e => match short_cause(e).as_str() {
            "connection reset" => "the connection was reset".into(),
            c if c.contains("before message length") || c.contains("incomplete") => {
                "the response was cut short".into()
            }
            // hyper-timeout's read timeout says "timed out", its connect timeout tokio's
            // "deadline has elapsed".
            "timed out" => format!("no answer in {} s", connect::READ_TIMEOUT.as_secs()),
            "deadline has elapsed" => {
                format!("no connection in {} s", connect::CONNECT_TIMEOUT.as_secs())
            }
            other => other.to_string(),
        },
    }
}

/// A stream that broke after it had answered, in words; `what` names it ("the log stream").
pub fn stream_cut(err: &(dyn std::error::Error + 'static), what: &str) -> String {
    match short_cause(err).as_str() {
        "connection reset" => "the connection was reset".into(),
        _ => format!("{what} was cut short"),
    }
}

/// The innermost useful cause: "connection refused" rather than five nested wrappers.
pub fn short_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut chain = vec![err.to_string()];
    let mut source = err.source();
    while let Some(s) = source {
        chain.push(s.to_string());
        source = s.source();
    }
    let all = chain.join(": ").to_lowercase();
    for known in [
        "connection refused",
        "timed out",
        "connection reset",
        "broken pipe",
        "dns error",
    ] {
        if all.contains(known) {
            return known.to_string();
        }
    }
    let last = chain.last().cloned().unwrap_or_default();
    last.chars().take(120).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_429_is_waited_out_as_its_status_asks_up_to_ten_minutes() {
        let throttled = |secs: u64| {
            let status: kube::core::Status = serde_json::from_value(serde_json::json!({
                "status": "Failure", "message": "too many requests", "reason": "TooManyRequests",
                "details": {"retryAfterSeconds": secs}, "code": 429}))
            .expect("a Status");
            watcher::Error::InitialListFailed(kube::Error::Api(Box::new(status)))
        };
        let err = throttled(3);
        assert_eq!(
            describe(&err),
            (
                "answered 429 (too many requests), retry after 3 s".into(),
                false
            )
        );
        assert_eq!(asked_wait(&err), Some(Duration::from_secs(3)));
        assert_eq!(asked_wait(&throttled(86_400)), Some(MAX_ASKED_WAIT));
        assert_eq!(asked_wait(&throttled(0)), None);
        assert_eq!(
            describe(&throttled(0)).0,
            "answered 429 (too many requests)"
        );
    }

    #[test]
    fn forbidden_is_final_and_says_who() {
        let status = kube::core::Status::failure(
            "pods is forbidden: User \"viewer\" cannot list resource \"pods\"",
            "Forbidden",
        )
        .with_code(403);
        let err = watcher::Error::InitialListFailed(kube::Error::Api(Box::new(status)));
        let (reason, fatal) = describe(&err);
        assert!(fatal);
        assert!(reason.contains("forbidden: User \"viewer\""), "{reason}");
    }
}
