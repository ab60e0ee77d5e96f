//! The platform's own HTTP API as actions use it (PLATFORM.md): requests with clear errors,
//! and the answers of `GET /config` and `GET /pipelines` read in either shape services use.

use serde_json::Value;
use tokio::sync::mpsc::Sender;

use super::error::{ActionError, Progress};
use super::plan::{Api, PlannedCall};

/// Platform verbs verify by re-reading the API: the action panel says so while they poll.
pub async fn say_rereading(progress: &Sender<Progress>) {
    let _ = progress
        .send(Progress::Message("re-reading the platform's state".into()))
        .await;
}

/// A POST to the platform API, exactly as the plan shows it.
pub fn post(path: String) -> PlannedCall {
    PlannedCall {
        api: Api::Platform,
        method: "POST".into(),
        path,
        content_type: "application/json".into(),
        body: "{}".into(),
    }
}

/// Whether `GET /config` says generation is paused (`paused` or `generation_paused`).
pub fn paused_of(config: &Value) -> Option<bool> {
    config
        .get("paused")
        .or_else(|| config.get("generation_paused"))
        .and_then(|v| v.as_bool().or_else(|| v.as_i64().map(|n| n != 0)))
}

/// Pipeline ids in a `GET /pipelines` answer (a bare list, or under `pipelines`/`items`).
pub fn pipeline_ids(answer: &Value) -> Vec<String> {
    let list = answer
        .as_array()
        .or_else(|| answer.get("pipelines").and_then(Value::as_array))
        .or_else(|| answer.get("items").and_then(Value::as_array));
    list.into_iter()
        .flatten()
        .filter_map(|p| {
            p.get("id").and_then(|v| {
                v.as_str()
                    .map(str::to_string)
                    .or_else(|| v.as_i64().map(|n| n.to_string()))
            })
        })
        .collect()
}

fn base(url: Option<&str>) -> Result<&str, ActionError> {
    url.map(|u| u.trim_end_matches('/')).ok_or_else(|| {
        ActionError::Invalid("no platform API configured: set [platform] url in the config".into())
    })
}

fn net_err(path: &str, e: &reqwest::Error) -> ActionError {
    // URLs may carry tokens: name the path, never the URL.
    ActionError::Api(format!("platform API {path}: {}", strip_url(e)))
}

fn strip_url(e: &reqwest::Error) -> String {
    let mut msg = String::new();
    let mut src: Option<&dyn std::error::Error> = Some(e);
    while let Some(err) = src {
        let text = err.to_string();
        if !msg.contains(&text) {
            if !msg.is_empty() {
                msg.push_str(": ");
            }
            msg.push_str(&text);
        }
        src = err.source();
    }
    msg
}

/// One request to the platform API; non-2xx answers become errors.
pub async fn send(
    http: &reqwest::Client,
    url: Option<&str>,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> Result<(u16, Value), ActionError> {
    let full = format!("{}{path}", base(url)?);
    let req = match method {
        "POST" => http
            .post(&full)
            .header("content-type", "application/json")
            .body(body.unwrap_or("{}").to_string()),
        _ => http.get(&full),
    };
    let resp = req
        .send()
        .await
        .map_err(|e| net_err(path, &e.without_url()))?;
    let status = resp.status().as_u16();
    // An action is not retried behind the user's back: they are told when the server would
    // take it again.
    let after = crate::clients::http::header(&resp, reqwest::header::RETRY_AFTER)
        .and_then(|v| crate::clients::http::parse_retry_after(&v, std::time::SystemTime::now()))
        .and_then(|d| crate::clients::http::retry_after_words(Some(d)))
        .map_or_else(String::new, |words| format!(" ({words})"));
    let text = resp
        .text()
        .await
        .map_err(|e| net_err(path, &e.without_url()))?;
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    if !(200..300).contains(&status) {
        let msg = value
            .get("error")
            .or_else(|| value.get("message"))
            .map_or_else(
                || value.to_string(),
                |m| m.as_str().unwrap_or("").to_string(),
            );
        return Err(match status {
            403 | 401 => ActionError::Forbidden(format!(
                "platform API {method} {path}: HTTP {status}: {msg}"
            )),
            404 => ActionError::NotFound(format!("platform API {method} {path}: {msg}")),
            409 => ActionError::Conflict {
                message: format!("platform API {method} {path}: {msg}"),
                current: String::new(),
            },
            _ => ActionError::Api(format!(
                "platform API {method} {path}: HTTP {status}: {msg}{after}"
            )),
        });
    }
    Ok((status, value))
}

/// The ids `GET /pipelines?status=STATUS` lists.
pub async fn pipelines(
    http: &reqwest::Client,
    url: Option<&str>,
    status: &str,
) -> Result<Vec<String>, ActionError> {
    let (_, v) = send(
        http,
        url,
        "GET",
        &format!("/pipelines?status={status}"),
        None,
    )
    .await?;
    Ok(pipeline_ids(&v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn answers_are_read_in_either_shape() {
        assert_eq!(paused_of(&json!({"paused": true})), Some(true));
        assert_eq!(paused_of(&json!({"generation_paused": 0})), Some(false));
        assert_eq!(paused_of(&json!({})), None);
        assert_eq!(
            pipeline_ids(&json!([{"id": "run-1"}, {"id": 7}])),
            vec!["run-1", "7"]
        );
        assert_eq!(
            pipeline_ids(&json!({"pipelines": [{"id": "run-2", "status": "stuck"}]})),
            vec!["run-2"]
        );
    }

    #[test]
    fn no_platform_url_is_a_clear_error() {
        assert!(base(None).is_err_and(|e| e.to_string().contains("[platform] url")));
        assert_eq!(base(Some("http://h:1/")).ok(), Some("http://h:1"));
    }
}
