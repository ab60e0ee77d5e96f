//! `pods/log`: text/plain tails, and `follow=true` streams that end when the pod goes away.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::Response;
use jiff::{SignedDuration, Timestamp};
use tokio::sync::mpsc;

use super::{ApiError, Params, Shared, Target, stream_response};
use crate::sim::world::logs::LogRun;

fn render(lines: &[(Timestamp, String)], timestamps: bool) -> Bytes {
    let mut s = String::new();
    for (t, l) in lines {
        if timestamps {
            s.push_str(&format!("{} ", t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")));
        }
        s.push_str(l);
        s.push('\n');
    }
    Bytes::from(s)
}

/// The run to read now, with the pod's uid, or an error like the kubelet's.
fn current(
    shared: &Shared,
    ns: &str,
    name: &str,
    container: Option<&str>,
    previous: bool,
) -> Result<(LogRun, String), ApiError> {
    let w = shared.world();
    let pod = w
        .pod(ns, name)
        .ok_or_else(|| ApiError::not_found(crate::sim::world::Kind::Pod, name))?;
    let cname = pod.app().to_string();
    if let Some(c) = container.filter(|c| *c != cname) {
        return Err(ApiError::bad_request(format!(
            "container {c} is not valid for pod {name}"
        )));
    }
    if previous && pod.last_term.is_none() {
        return Err(ApiError::bad_request(format!(
            "previous terminated container \"{cname}\" in pod \"{name}\" not found"
        )));
    }
    let mut run = LogRun::of(pod, previous).ok_or_else(|| {
        let reason = match &pod.cstate {
            crate::sim::world::model::CState::Waiting(r) => *r,
            crate::sim::world::model::CState::Running => "PodInitializing",
        };
        ApiError::bad_request(format!(
            "container \"{cname}\" in pod \"{name}\" is waiting to start: {reason}"
        ))
    })?;
    if run.app == "article-generator" {
        run.paused = w.pipelines.pause_windows();
    }
    Ok((run, pod.meta.uid.clone()))
}

pub fn logs(shared: &Arc<Shared>, t: &Target, p: &Params) -> Result<Response, ApiError> {
    let ns = t.ns.clone().unwrap_or_default();
    let name = t.name.clone().unwrap_or_default();
    let container = p.get("container").cloned();
    let previous = p.get("previous").is_some_and(|s| s == "true");
    let (run, uid) = current(shared, &ns, &name, container.as_deref(), previous)?;
    let now = shared.clock.now();
    let tail = p.get("tailLines").and_then(|s| s.parse::<i64>().ok());
    let since = p
        .get("sinceSeconds")
        .and_then(|s| s.parse::<i64>().ok())
        .and_then(|s| now.checked_sub(SignedDuration::from_secs(s)).ok());
    let timestamps = p.get("timestamps").is_some_and(|s| s == "true");
    let follow = p.get("follow").is_some_and(|s| s == "true");
    let (lines, count) = run.select(now, tail, since);
    let first = render(&lines, timestamps);
    if !follow {
        let mut r = Response::new(axum::body::Body::from(first));
        *r.status_mut() = StatusCode::OK;
        r.headers_mut().insert(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("text/plain"),
        );
        return Ok(r);
    }
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(64);
    let shared = shared.clone();
    tokio::spawn(async move {
        if tx.send(Ok(first)).await.is_err() {
            return;
        }
        let (mut run, mut sent) = (run, count);
        loop {
            tokio::select! {
                () = shared.cancel.cancelled() => return,
                () = tx.closed() => return,
                () = tokio::time::sleep(Duration::from_millis(250)) => {}
            }
            let Ok((now_run, now_uid)) = current(&shared, &ns, &name, None, previous) else {
                return;
            };
            if now_uid != uid {
                return;
            }
            if now_run.start != run.start {
                run = now_run;
                sent = 0;
            }
            let now = shared.clock.now();
            let n = run.count(now);
            if n > sent {
                let lines = run.lines(sent, n, now);
                sent = n;
                if tx.send(Ok(render(&lines, timestamps))).await.is_err() {
                    return;
                }
            }
        }
    });
    Ok(stream_response("text/plain", rx))
}
