//! Platform actions over its own HTTP API (PLATFORM.md): pause/resume generation, retry a
//! pipeline; planned from `GET /config` and `GET /pipelines`, verified by reading them again.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::ActionRequest;
use super::executor::ActionError;
use super::plan::{Change, Draft, PlannedCall};

const POLL: Duration = Duration::from_millis(500);

/// The exact request an HTTP action sends (pure: what the plan shows and the tests check).
pub fn call_for(request: &ActionRequest) -> Option<PlannedCall> {
    let path = match request {
        ActionRequest::PauseGeneration => "/config/pause-generation".to_string(),
        ActionRequest::ResumeGeneration => "/config/resume-generation".to_string(),
        ActionRequest::RetryPipeline { id } => format!(
            "/pipeline/{}/retry",
            super::kube::enc(id).replace('/', "%2F")
        ),
        _ => return None,
    };
    Some(PlannedCall {
        method: "POST".into(),
        path,
        content_type: "application/json".into(),
        body: "{}".into(),
    })
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
                "platform API {method} {path}: HTTP {status}: {msg}"
            )),
        });
    }
    Ok((status, value))
}

/// Reads the platform's state and drafts the action.
pub async fn draft(
    http: &reqwest::Client,
    url: Option<&str>,
    request: &ActionRequest,
) -> Result<Draft, ActionError> {
    let call = call_for(request).ok_or_else(|| {
        ActionError::Invalid(format!("{} is not a platform action", request.verb()))
    })?;
    let mut d = Draft {
        target: String::new(),
        changes: vec![],
        calls: vec![],
        warnings: vec![],
        destructive: false,
        precondition: None,
        noop: None,
    };
    match request {
        ActionRequest::PauseGeneration | ActionRequest::ResumeGeneration => {
            let pause = matches!(request, ActionRequest::PauseGeneration);
            d.target = "platform generation".into();
            d.destructive = pause;
            let (_, config) = send(http, url, "GET", "/config", None).await?;
            let now = paused_of(&config);
            if now == Some(pause) {
                d.noop = Some(format!(
                    "generation is already {}",
                    if pause { "paused" } else { "running" }
                ));
                return Ok(d);
            }
            let show = |p: Option<bool>| {
                p.map_or("unknown".to_string(), |p| {
                    if p { "paused".into() } else { "running".into() }
                })
            };
            d.changes.push(Change {
                what: "generation".into(),
                before: show(now),
                after: show(Some(pause)),
            });
            if pause {
                d.warnings.push(
                    "no new articles are generated until resume-generation; queued work waits"
                        .into(),
                );
            }
        }
        ActionRequest::RetryPipeline { id } => {
            d.target = format!("pipeline {id}");
            let stuck = pipelines(http, url, "stuck").await?;
            let failed = pipelines(http, url, "failed").await?;
            let before = if stuck.contains(id) {
                "stuck"
            } else if failed.contains(id) {
                "failed"
            } else {
                "not stuck or failed"
            };
            if before == "not stuck or failed" {
                d.warnings.push(format!("{id} is not listed as stuck or failed: the retry may be refused or run it twice"));
            }
            d.changes.push(Change {
                what: format!("pipeline {id}"),
                before: before.into(),
                after: "retried".into(),
            });
        }
        _ => {}
    }
    d.calls.push(call);
    Ok(d)
}

async fn pipelines(
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

/// Re-reads the platform until the action shows, or the timeout passes.
pub async fn verify(
    http: &reqwest::Client,
    url: Option<&str>,
    request: &ActionRequest,
    timeout: Duration,
) -> Result<String, ActionError> {
    let deadline = Instant::now() + timeout;
    loop {
        let (done, seen) = match request {
            ActionRequest::PauseGeneration | ActionRequest::ResumeGeneration => {
                let want = matches!(request, ActionRequest::PauseGeneration);
                let (_, config) = send(http, url, "GET", "/config", None).await?;
                let now = paused_of(&config);
                (
                    now == Some(want),
                    format!(
                        "GET /config: paused = {}",
                        now.map_or("unknown".into(), |p| p.to_string())
                    ),
                )
            }
            ActionRequest::RetryPipeline { id } => {
                let stuck = pipelines(http, url, "stuck").await?;
                (
                    !stuck.contains(id),
                    format!(
                        "GET /pipelines?status=stuck {} {id}",
                        if stuck.contains(id) {
                            "still lists"
                        } else {
                            "no longer lists"
                        }
                    ),
                )
            }
            _ => (true, String::new()),
        };
        if done {
            return Ok(seen);
        }
        if Instant::now() >= deadline {
            return Err(ActionError::Verify(format!(
                "not confirmed after {}s: {seen}",
                timeout.as_secs()
            )));
        }
        tokio::time::sleep(POLL).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn requests_follow_the_platform_contract() {
        let c = call_for(&ActionRequest::PauseGeneration).expect("call");
        assert_eq!(
            (c.method.as_str(), c.path.as_str()),
            ("POST", "/config/pause-generation")
        );
        let c = call_for(&ActionRequest::ResumeGeneration).expect("call");
        assert_eq!(c.path, "/config/resume-generation");
        let c = call_for(&ActionRequest::RetryPipeline {
            id: "run-1042".into(),
        })
        .expect("call");
        assert_eq!(c.path, "/pipeline/run-1042/retry");
        let c = call_for(&ActionRequest::RetryPipeline { id: "a/b c".into() }).expect("call");
        assert_eq!(c.path, "/pipeline/a%2Fb%20c/retry");
        assert!(
            call_for(&ActionRequest::PauseRollout {
                workload: super::super::WorkloadRef::parse("api", "x").expect("w")
            })
            .is_none()
        );
    }

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
