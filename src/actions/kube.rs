//! The Kubernetes API as actions use it: requests sent raw (so a plan shows the exact bytes and
//! the audit log gets the API server's Audit-ID), access reviews, and the reads the workload
//! verbs share.

use axum::http::{Method, Request};
use kube::Client;
use kube::client::Body;
use serde_json::{Value, json};

use super::error::ActionError;
use super::plan::{Api, Draft, PlannedCall, Precondition, Review};
use super::target::WorkloadRef;
use crate::k8s::hpa::Hpa;

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
        api: Api::Kubernetes,
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

/// `patch` on a workload (or its scale subresource): what every workload verb asks first.
pub fn workload_review(w: &WorkloadRef, subresource: Option<&str>) -> Review {
    Review {
        namespace: w.namespace.clone(),
        verb: "patch".into(),
        group: "apps".into(),
        resource: w.kind.plural().into(),
        subresource: subresource.map(str::to_string),
        name: w.name.clone(),
    }
}

/// Reads the workload a verb acts on.
pub async fn get_workload(client: &Client, w: &WorkloadRef) -> Result<Value, ActionError> {
    get(client, &w.path()).await
}

/// The HPA that scales `w`, if any.
pub async fn hpa_of(client: &kube::Client, w: &WorkloadRef) -> Result<Option<Hpa>, ActionError> {
    let path = format!(
        "/apis/autoscaling/v2/namespaces/{}/horizontalpodautoscalers",
        w.namespace
    );
    let list = get(client, &path).await?;
    Ok(Hpa::from_list(&list)
        .into_iter()
        .find(|h| h.scales(w.kind, &w.name)))
}

/// A draft for `w` with the object's resourceVersion as the write's precondition.
pub(super) fn base_draft(w: &WorkloadRef, obj: &Value) -> Draft {
    Draft {
        precondition: precondition(w.path(), obj),
        ..Draft::default()
    }
}

/// The object must still be at this resourceVersion when the write is sent.
pub(super) fn precondition(path: String, obj: &Value) -> Option<Precondition> {
    let resource_version = str_at(obj, "/metadata/resourceVersion");
    (!resource_version.is_empty()).then(|| Precondition {
        path,
        resource_version: resource_version.to_string(),
    })
}

pub(super) fn rv_meta(obj: &Value) -> Value {
    json!({"resourceVersion": str_at(obj, "/metadata/resourceVersion")})
}

pub(super) fn revision_of(obj: &Value) -> Option<i64> {
    str_at(
        obj,
        &format!("/metadata/annotations/{}", REVISION.replace('/', "~1")),
    )
    .parse()
    .ok()
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

/// The live state in one line, for a Conflict: what changed since the plan.
pub async fn current_state(client: &Client, w: &WorkloadRef) -> String {
    let Ok(obj) = get_workload(client, w).await else {
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
