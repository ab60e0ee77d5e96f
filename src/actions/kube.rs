//! Kubernetes actions exactly as kubectl does them (REFERENCE.md §6): reads the live objects and
//! drafts the patch; sends planned calls raw so the plan shows the exact bytes and the audit log
//! gets the API server's Audit-ID.

use axum::http::{Method, Request};
use kube::Client;
use kube::client::Body;
use serde_json::{Value, json};

use super::executor::ActionError;
use super::plan::{Change, Draft, PlannedCall, Review};
use super::{ActionRequest, WorkloadKind, WorkloadRef};

pub const RESTARTED_AT: &str = "kubectl.kubernetes.io/restartedAt";
pub const REVISION: &str = "deployment.kubernetes.io/revision";
pub const STRATEGIC: &str = "application/strategic-merge-patch+json";
pub const MERGE: &str = "application/merge-patch+json";
pub const JSON_PATCH: &str = "application/json-patch+json";

/// What the API server answered.
#[derive(Clone, Debug)]
pub struct Sent {
    pub status: u16,
    pub audit_id: Option<String>,
    pub body: Value,
}

pub fn plural(kind: WorkloadKind) -> &'static str {
    match kind {
        WorkloadKind::Deployment => "deployments",
        WorkloadKind::StatefulSet => "statefulsets",
    }
}

pub fn object_path(w: &WorkloadRef) -> String {
    format!(
        "/apis/apps/v1/namespaces/{}/{}/{}",
        w.namespace,
        plural(w.kind),
        w.name
    )
}

/// Percent-encodes a query value.
pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Sends one request; non-2xx answers become the matching ActionError.
pub async fn send(
    client: &Client,
    method: &str,
    path: &str,
    content_type: &str,
    body: &str,
) -> Result<Sent, ActionError> {
    let method =
        Method::from_bytes(method.as_bytes()).map_err(|e| ActionError::Invalid(e.to_string()))?;
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header("accept", "application/json");
    if !content_type.is_empty() {
        req = req.header("content-type", content_type);
    }
    let req = req
        .body(Body::from(body.as_bytes().to_vec()))
        .map_err(|e| ActionError::Invalid(e.to_string()))?;
    let resp = client
        .send(req)
        .await
        .map_err(|e| ActionError::Api(format!("{path}: {e}")))?;
    let status = resp.status().as_u16();
    let audit_id = resp
        .headers()
        .get("audit-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let bytes = resp
        .into_body()
        .collect_bytes()
        .await
        .map_err(|e| ActionError::Api(format!("{path}: reading the answer: {e}")))?;
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    if (200..300).contains(&status) {
        return Ok(Sent {
            status,
            audit_id,
            body,
        });
    }
    let message = body["message"]
        .as_str()
        .map_or_else(|| format!("HTTP {status} from {path}"), str::to_string);
    Err(match status {
        403 => ActionError::Forbidden(message),
        404 => ActionError::NotFound(message),
        409 => ActionError::Conflict {
            message,
            current: String::new(),
        },
        400 | 422 => ActionError::Invalid(message),
        _ => ActionError::Api(format!("HTTP {status}: {message}")),
    })
}

pub async fn get(client: &Client, path: &str) -> Result<Value, ActionError> {
    Ok(send(client, "GET", path, "", "").await?.body)
}

/// Sends a planned call; `dry_run` adds `dryRun=All` (the server validates, changes nothing).
pub async fn send_call(
    client: &Client,
    call: &PlannedCall,
    dry_run: bool,
) -> Result<Sent, ActionError> {
    let path = if dry_run {
        let sep = if call.path.contains('?') { '&' } else { '?' };
        format!("{}{sep}dryRun=All", call.path)
    } else {
        call.path.clone()
    };
    send(client, &call.method, &path, &call.content_type, &call.body).await
}

pub(super) fn patch_call(path: String, content_type: &str, body: &Value) -> PlannedCall {
    PlannedCall {
        method: "PATCH".into(),
        path: format!("{path}?fieldManager=opsdeck"),
        content_type: content_type.into(),
        body: body.to_string(),
    }
}

pub(super) fn str_at<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

pub(super) fn selector(obj: &Value) -> String {
    obj.pointer("/spec/selector/matchLabels")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default()
}

/// The pods a workload's selector picks.
pub async fn pods_of(
    client: &Client,
    w: &WorkloadRef,
    obj: &Value,
) -> Result<Vec<Value>, ActionError> {
    let path = format!(
        "/api/v1/namespaces/{}/pods?labelSelector={}",
        w.namespace,
        enc(&selector(obj))
    );
    let list = get(client, &path).await?;
    Ok(list["items"].as_array().cloned().unwrap_or_default())
}

/// The access review an action needs: known from the request alone, so it runs before any read.
pub fn review_for(request: &ActionRequest) -> Option<Review> {
    if let Some(node) = request.node() {
        return Some(super::node::review(node));
    }
    let w = request.workload()?;
    Some(review(
        w,
        matches!(request, ActionRequest::Scale { .. }).then_some("scale"),
    ))
}

fn review(w: &WorkloadRef, subresource: Option<&str>) -> Review {
    Review {
        namespace: w.namespace.clone(),
        verb: "patch".into(),
        group: "apps".into(),
        resource: plural(w.kind).into(),
        subresource: subresource.map(str::to_string),
        name: w.name.clone(),
    }
}

/// Reads the live state and drafts the change a Kubernetes action makes.
pub async fn draft(client: &Client, request: &ActionRequest) -> Result<Draft, ActionError> {
    if let Some(node) = request.node() {
        let cordon = matches!(request, ActionRequest::Cordon { .. });
        return super::node::draft(client, node, cordon).await;
    }
    let Some(w) = request.workload() else {
        return Err(ActionError::Invalid(format!(
            "{} is not a Kubernetes action",
            request.verb()
        )));
    };
    let obj = get(client, &object_path(w)).await?;
    match request {
        ActionRequest::Restart { .. } => restart(client, w, &obj).await,
        ActionRequest::Rollback { to_revision, .. } => {
            super::undo::rollback(client, w, &obj, *to_revision).await
        }
        ActionRequest::Scale { replicas, .. } => scale(client, w, &obj, *replicas).await,
        ActionRequest::PauseRollout { .. } => pause(w, &obj, true),
        ActionRequest::ResumeRollout { .. } => pause(w, &obj, false),
        _ => Err(ActionError::Invalid(format!(
            "{} is not a Kubernetes action",
            request.verb()
        ))),
    }
}

pub(super) fn base_draft(w: &WorkloadRef, obj: &Value) -> Draft {
    Draft {
        target: w.describe(),
        changes: vec![],
        calls: vec![],
        warnings: vec![],
        destructive: false,
        precondition: Some(str_at(obj, "/metadata/resourceVersion").to_string())
            .filter(|s| !s.is_empty()),
        noop: None,
    }
}

pub(super) fn rv_meta(obj: &Value) -> Value {
    json!({"resourceVersion": str_at(obj, "/metadata/resourceVersion")})
}

async fn restart(client: &Client, w: &WorkloadRef, obj: &Value) -> Result<Draft, ActionError> {
    if obj.pointer("/spec/paused").and_then(Value::as_bool) == Some(true) {
        return Err(ActionError::Refused(format!(
            "can't restart paused {} (run resume-rollout {} first)",
            w.describe(),
            w.name
        )));
    }
    let now = jiff::Timestamp::from_second(jiff::Timestamp::now().as_second())
        .unwrap_or_else(|_| jiff::Timestamp::now());
    let at = now.to_string();
    let before = str_at(
        obj,
        &format!(
            "/spec/template/metadata/annotations/{}",
            RESTARTED_AT.replace('/', "~1")
        ),
    )
    .to_string();
    let mut d = base_draft(w, obj);
    d.changes.push(Change {
        what: format!("template annotation {RESTARTED_AT}"),
        before: if before.is_empty() {
            "(none)".into()
        } else {
            before
        },
        after: at.clone(),
    });
    let body = json!({"metadata": rv_meta(obj), "spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: at}}}}});
    d.calls.push(patch_call(object_path(w), STRATEGIC, &body));
    let pods = pods_of(client, w, obj).await?;
    if !pods.is_empty() {
        let names: Vec<&str> = pods.iter().map(|p| str_at(p, "/metadata/name")).collect();
        d.warnings.push(format!(
            "replaces {} pod(s) one by one: {}; work in flight on them is interrupted (workers must ack late / requeue)",
            names.len(),
            names.join(", ")
        ));
    }
    Ok(d)
}

pub(super) fn revision_of(obj: &Value) -> Option<i64> {
    str_at(
        obj,
        &format!("/metadata/annotations/{}", REVISION.replace('/', "~1")),
    )
    .parse()
    .ok()
}

async fn scale(
    client: &Client,
    w: &WorkloadRef,
    obj: &Value,
    replicas: i32,
) -> Result<Draft, ActionError> {
    let current = obj
        .pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    let mut d = base_draft(w, obj);
    d.destructive = replicas == 0;
    if current == i64::from(replicas) {
        d.noop = Some(format!("{} already has {replicas} replicas", w.describe()));
        return Ok(d);
    }
    d.changes.push(Change {
        what: "replicas".into(),
        before: current.to_string(),
        after: replicas.to_string(),
    });
    if replicas == 0 {
        d.warnings.push(format!(
            "scaling to 0 stops every pod of {}: it serves and drains nothing until scaled up",
            w.describe()
        ));
    }
    if let Some(w) = hpa_warning(client, w, replicas).await? {
        d.warnings.push(w);
    }
    let body = json!({"metadata": rv_meta(obj), "spec": {"replicas": replicas}});
    d.calls.push(patch_call(
        format!("{}/scale", object_path(w)),
        MERGE,
        &body,
    ));
    Ok(d)
}

/// The HPA that targets the workload, if any, and what it will do to a manual scale.
async fn hpa_warning(
    client: &Client,
    w: &WorkloadRef,
    replicas: i32,
) -> Result<Option<String>, ActionError> {
    let path = format!(
        "/apis/autoscaling/v2/namespaces/{}/horizontalpodautoscalers",
        w.namespace
    );
    let list = match get(client, &path).await {
        Ok(l) => l,
        Err(ActionError::Forbidden(m)) => {
            return Ok(Some(format!(
                "cannot read HPAs to see whether one manages the replicas: {m}"
            )));
        }
        Err(e) => return Err(e),
    };
    let kind = match w.kind {
        WorkloadKind::Deployment => "Deployment",
        WorkloadKind::StatefulSet => "StatefulSet",
    };
    let Some(hpa) = list["items"].as_array().and_then(|items| {
        items
            .iter()
            .find(|h| {
                str_at(h, "/spec/scaleTargetRef/kind") == kind
                    && str_at(h, "/spec/scaleTargetRef/name") == w.name
            })
            .cloned()
    }) else {
        return Ok(None);
    };
    let min = hpa
        .pointer("/spec/minReplicas")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    let max = hpa
        .pointer("/spec/maxReplicas")
        .and_then(Value::as_i64)
        .unwrap_or(min);
    let desired = hpa
        .pointer("/status/desiredReplicas")
        .and_then(Value::as_i64)
        .unwrap_or(min);
    let name = str_at(&hpa, "/metadata/name");
    let n = i64::from(replicas);
    let what = if n == 0 {
        "with replicas at 0 it stops autoscaling until the workload is scaled up again".to_string()
    } else if n < min || n > max {
        format!(
            "{n} is outside its range, so it will set replicas back to {} on its next sync (~15 s)",
            n.clamp(min, max)
        )
    } else {
        format!(
            "it will move replicas from {n} back toward what its metrics ask (now {desired}) on its next sync (~15 s)"
        )
    };
    Ok(Some(format!(
        "HPA {}/{name} manages this replica count (min {min}, max {max}, desired {desired}): {what}; to hold a size, change the HPA's min/max",
        w.namespace
    )))
}

fn pause(w: &WorkloadRef, obj: &Value, paused: bool) -> Result<Draft, ActionError> {
    if w.kind != WorkloadKind::Deployment {
        return Err(ActionError::Invalid(format!(
            "{} has no rollout to pause or resume (Deployments only)",
            w.describe()
        )));
    }
    let now = obj
        .pointer("/spec/paused")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let mut d = base_draft(w, obj);
    if now == paused {
        d.noop = Some(format!(
            "{} is already {}",
            w.describe(),
            if paused { "paused" } else { "resumed" }
        ));
        return Ok(d);
    }
    d.changes.push(Change {
        what: "paused".into(),
        before: now.to_string(),
        after: paused.to_string(),
    });
    let value = if paused { json!(true) } else { Value::Null };
    let body = json!({"metadata": rv_meta(obj), "spec": {"paused": value}});
    d.calls.push(patch_call(object_path(w), STRATEGIC, &body));
    if paused {
        d.warnings.push(
            "while paused, template changes (restart, rollback, new images) do not roll out".into(),
        );
    }
    Ok(d)
}

/// A SelfSubjectAccessReview: (allowed, the server's reason).
pub async fn access_review(client: &Client, r: &Review) -> Result<(bool, String), ActionError> {
    let mut attrs =
        json!({"verb": r.verb, "group": r.group, "resource": r.resource, "name": r.name});
    if !r.namespace.is_empty() {
        attrs["namespace"] = json!(r.namespace);
    }
    if let Some(sub) = &r.subresource {
        attrs["subresource"] = json!(sub);
    }
    let body = json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview", "spec": {"resourceAttributes": attrs}});
    let sent = send(
        client,
        "POST",
        "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
        "application/json",
        &body.to_string(),
    )
    .await?;
    let allowed = sent
        .body
        .pointer("/status/allowed")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let reason = str_at(&sent.body, "/status/reason").to_string();
    Ok((allowed, reason))
}

/// The path of the object a Kubernetes action patches (its precondition's object).
pub fn target_path(request: &ActionRequest) -> Option<String> {
    match (request.workload(), request.node()) {
        (Some(w), _) => Some(object_path(w)),
        (None, Some(node)) => Some(super::node::node_path(node)),
        (None, None) => None,
    }
}

/// The live state of a Kubernetes action's target in one line, for a Conflict.
pub async fn current_state_of(client: &Client, request: &ActionRequest) -> String {
    match (request.workload(), request.node()) {
        (Some(w), _) => current_state(client, w).await,
        (None, Some(node)) => super::node::current_state(client, node).await,
        (None, None) => String::new(),
    }
}

/// The live state in one line, for a Conflict: what changed since the plan.
pub async fn current_state(client: &Client, w: &WorkloadRef) -> String {
    let Ok(obj) = get(client, &object_path(w)).await else {
        return format!("{} could not be re-read", w.describe());
    };
    let images: Vec<String> = obj
        .pointer("/spec/template/spec/containers")
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .map(|c| {
                    format!(
                        "{}={}",
                        c["name"].as_str().unwrap_or(""),
                        c["image"].as_str().unwrap_or("")
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    format!(
        "{} now: resourceVersion {}, replicas {}, revision {}, paused {}, images {}",
        w.describe(),
        str_at(&obj, "/metadata/resourceVersion"),
        obj.pointer("/spec/replicas")
            .and_then(Value::as_i64)
            .unwrap_or(0),
        revision_of(&obj).map_or_else(|| "?".into(), |r| r.to_string()),
        obj.pointer("/spec/paused")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        images.join(" ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(enc("app=api,tier=web"), "app%3Dapi%2Ctier%3Dweb");
    }
}
