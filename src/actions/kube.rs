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
const HASH_LABEL: &str = "pod-template-hash";
/// Deployment annotations kubectl's undo keeps from the Deployment rather than the ReplicaSet.
const ANNOTATIONS_TO_SKIP: [&str; 6] = [
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION,
    "deployment.kubernetes.io/revision-history",
    "deployment.kubernetes.io/desired-replicas",
    "deployment.kubernetes.io/max-replicas",
    "apps.kubernetes.io/deprecated-rollback-to",
];
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

fn patch_call(path: String, content_type: &str, body: &Value) -> PlannedCall {
    PlannedCall {
        method: "PATCH".into(),
        path: format!("{path}?fieldManager=opsdeck"),
        content_type: content_type.into(),
        body: body.to_string(),
    }
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

fn selector(obj: &Value) -> String {
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
            rollback(client, w, &obj, *to_revision).await
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

fn base_draft(w: &WorkloadRef, obj: &Value, review: Review) -> Draft {
    Draft {
        target: w.describe(),
        changes: vec![],
        calls: vec![],
        warnings: vec![],
        destructive: false,
        precondition: Some(str_at(obj, "/metadata/resourceVersion").to_string())
            .filter(|s| !s.is_empty()),
        noop: None,
        review: Some(review),
    }
}

fn rv_meta(obj: &Value) -> Value {
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
    let mut d = base_draft(w, obj, review(w, None));
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

fn revision_of(obj: &Value) -> Option<i64> {
    str_at(
        obj,
        &format!("/metadata/annotations/{}", REVISION.replace('/', "~1")),
    )
    .parse()
    .ok()
}

/// kubectl's `deploymentRevision`: the requested revision, or the second-highest one.
fn pick_revision(
    rss: &[Value],
    name: &str,
    to_revision: Option<i64>,
) -> Result<Value, ActionError> {
    let mut latest: Option<(i64, &Value)> = None;
    let mut previous: Option<(i64, &Value)> = None;
    for rs in rss {
        let Some(v) = revision_of(rs) else { continue };
        match to_revision {
            Some(want) if want == v => return Ok(rs.clone()),
            Some(_) => {}
            None => {
                if latest.is_none_or(|(l, _)| l < v) {
                    previous = latest;
                    latest = Some((v, rs));
                } else if previous.is_none_or(|(p, _)| p < v) {
                    previous = Some((v, rs));
                }
            }
        }
    }
    if let Some(want) = to_revision {
        return Err(ActionError::Refused(format!(
            "unable to find specified revision {want} in history"
        )));
    }
    previous.map(|(_, rs)| rs.clone()).ok_or_else(|| {
        ActionError::Refused(format!("no rollout history found for deployment {name:?}"))
    })
}

fn without_hash(template: &Value) -> Value {
    let mut t = template.clone();
    if let Some(labels) = t
        .pointer_mut("/metadata/labels")
        .and_then(Value::as_object_mut)
    {
        labels.remove(HASH_LABEL);
    }
    t
}

async fn rollback(
    client: &Client,
    w: &WorkloadRef,
    obj: &Value,
    to_revision: Option<i64>,
) -> Result<Draft, ActionError> {
    if w.kind != WorkloadKind::Deployment {
        return Err(ActionError::Invalid(format!(
            "rollback of {} is not supported yet: StatefulSet history lives in ControllerRevisions",
            w.describe()
        )));
    }
    if obj.pointer("/spec/paused").and_then(Value::as_bool) == Some(true) {
        return Err(ActionError::Refused(
            "you cannot rollback a paused deployment; resume it first with resume-rollout and try again".into(),
        ));
    }
    let uid = str_at(obj, "/metadata/uid");
    let path = format!(
        "/apis/apps/v1/namespaces/{}/replicasets?labelSelector={}",
        w.namespace,
        enc(&selector(obj))
    );
    let list = get(client, &path).await?;
    let owned: Vec<Value> = list["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter(|rs| {
                    rs.pointer("/metadata/ownerReferences")
                        .and_then(Value::as_array)
                        .is_some_and(|o| {
                            o.iter()
                                .any(|r| r["uid"] == uid && r["controller"] != false)
                        })
                })
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let target = pick_revision(&owned, &w.name, to_revision)?;
    let target_rev = revision_of(&target).unwrap_or(0);
    let current_template = obj
        .pointer("/spec/template")
        .cloned()
        .unwrap_or(Value::Null);
    let wanted = without_hash(target.pointer("/spec/template").unwrap_or(&Value::Null));
    let mut d = base_draft(w, obj, review(w, None));
    d.destructive = true;
    if without_hash(&current_template) == wanted {
        d.noop = Some(format!(
            "skipped rollback (current template already matches revision {target_rev})"
        ));
        return Ok(d);
    }
    let current_rev = revision_of(obj).map_or_else(|| "?".to_string(), |r| r.to_string());
    d.changes.push(Change {
        what: "revision".into(),
        before: current_rev,
        after: target_rev.to_string(),
    });
    d.changes
        .extend(template_changes(&current_template, &wanted));
    let annotations = rollback_annotations(obj, &target);
    let body = json!([
        {"op": "replace", "path": "/metadata/resourceVersion", "value": str_at(obj, "/metadata/resourceVersion")},
        {"op": "replace", "path": "/spec/template", "value": wanted},
        {"op": "replace", "path": "/metadata/annotations", "value": annotations},
    ]);
    d.calls.push(patch_call(object_path(w), JSON_PATCH, &body));
    Ok(d)
}

/// kubectl's undo: the Deployment keeps its own revision bookkeeping, takes the rest from the RS.
fn rollback_annotations(deploy: &Value, rs: &Value) -> Value {
    let mut out = serde_json::Map::new();
    if let Some(own) = deploy
        .pointer("/metadata/annotations")
        .and_then(Value::as_object)
    {
        for k in ANNOTATIONS_TO_SKIP {
            if let Some(v) = own.get(k) {
                out.insert(k.to_string(), v.clone());
            }
        }
    }
    if let Some(theirs) = rs
        .pointer("/metadata/annotations")
        .and_then(Value::as_object)
    {
        for (k, v) in theirs {
            if !ANNOTATIONS_TO_SKIP.contains(&k.as_str()) {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    Value::Object(out)
}

/// The image, env and resources lines that differ between two pod templates, per container.
pub fn template_changes(from: &Value, to: &Value) -> Vec<Change> {
    let containers = |t: &Value| {
        t.pointer("/spec/containers")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let (a, b) = (containers(from), containers(to));
    let mut out = vec![];
    for cb in &b {
        let name = cb["name"].as_str().unwrap_or("?");
        let ca = a
            .iter()
            .find(|c| c["name"] == cb["name"])
            .cloned()
            .unwrap_or(Value::Null);
        let field = |c: &Value, k: &str| {
            if c[k].is_null() {
                "(none)".to_string()
            } else {
                c[k].to_string().trim_matches('"').to_string()
            }
        };
        for key in ["image", "resources", "command", "args"] {
            let (before, after) = (field(&ca, key), field(cb, key));
            if before != after {
                out.push(Change {
                    what: format!("{key} {name}"),
                    before,
                    after,
                });
            }
        }
        out.extend(env_changes(name, &ca["env"], &cb["env"]));
    }
    out
}

fn env_changes(container: &str, from: &Value, to: &Value) -> Vec<Change> {
    let lines = |v: &Value| -> Vec<(String, String)> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .map(|e| {
                        let value = e.get("value").map_or_else(
                            || e.get("valueFrom").map_or(String::new(), Value::to_string),
                            |v| v.as_str().unwrap_or("").to_string(),
                        );
                        (e["name"].as_str().unwrap_or("").to_string(), value)
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let (a, b) = (lines(from), lines(to));
    let mut out = vec![];
    let names: std::collections::BTreeSet<&String> =
        a.iter().chain(b.iter()).map(|(n, _)| n).collect();
    for n in names {
        let find = |l: &[(String, String)]| {
            l.iter()
                .find(|(k, _)| k == n)
                .map_or_else(|| "(unset)".to_string(), |(_, v)| v.clone())
        };
        let (before, after) = (find(&a), find(&b));
        if before != after {
            out.push(Change {
                what: format!("env {container} {n}"),
                before,
                after,
            });
        }
    }
    out
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
    let mut d = base_draft(w, obj, review(w, Some("scale")));
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
    let mut d = base_draft(w, obj, review(w, None));
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
    let mut attrs = json!({"namespace": r.namespace, "verb": r.verb, "group": r.group, "resource": r.resource, "name": r.name});
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

    fn rs(rev: &str, image: &str) -> Value {
        json!({"metadata": {"annotations": {REVISION: rev}}, "spec": {"template": {"metadata": {"labels": {"app": "api", HASH_LABEL: rev}}, "spec": {"containers": [{"name": "api", "image": image}]}}}})
    }

    #[test]
    fn previous_revision_is_the_second_highest() {
        let list = vec![rs("3", "a:3"), rs("7", "a:7"), rs("5", "a:5")];
        assert_eq!(
            revision_of(&pick_revision(&list, "api", None).expect("prev")),
            Some(5)
        );
        assert_eq!(
            revision_of(&pick_revision(&list, "api", Some(3)).expect("3")),
            Some(3)
        );
        assert!(pick_revision(&list, "api", Some(4)).is_err_and(|e| {
            e.to_string()
                .contains("unable to find specified revision 4")
        }));
        assert!(
            pick_revision(&list[..1], "api", None)
                .is_err_and(|e| e.to_string().contains("no rollout history found"))
        );
    }

    #[test]
    fn templates_compare_without_the_hash_label_and_changes_name_images_and_env() {
        let a = rs("1", "a:1");
        let b = rs("2", "a:1");
        assert_eq!(
            without_hash(&a["spec"]["template"]),
            without_hash(&b["spec"]["template"])
        );
        let from = json!({"spec": {"containers": [{"name": "api", "image": "a:2", "env": [{"name": "MODE", "value": "fast"}]}]}});
        let to = json!({"spec": {"containers": [{"name": "api", "image": "a:1", "env": [{"name": "MODE", "value": "safe"}, {"name": "X", "value": "1"}]}]}});
        let changes = template_changes(&from, &to);
        let lines: Vec<String> = changes
            .iter()
            .map(|c| format!("{}: {} -> {}", c.what, c.before, c.after))
            .collect();
        assert_eq!(
            lines,
            vec![
                "image api: a:2 -> a:1",
                "env api MODE: fast -> safe",
                "env api X: (unset) -> 1"
            ]
        );
    }

    #[test]
    fn undo_annotations_follow_kubectl() {
        let deploy = json!({"metadata": {"annotations": {REVISION: "7", "team": "content"}}});
        let rs = json!({"metadata": {"annotations": {REVISION: "6", "deployment.kubernetes.io/desired-replicas": "3", "note": "old"}}});
        assert_eq!(
            rollback_annotations(&deploy, &rs),
            json!({REVISION: "7", "note": "old"})
        );
    }

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(enc("app=api,tier=web"), "app%3Dapi%2Ctier%3Dweb");
    }
}
