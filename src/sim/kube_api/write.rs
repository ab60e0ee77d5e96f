//! Writes: PATCH (strategic/merge/JSON patch), the scale subresource, pod DELETE, access reviews.

use std::sync::Arc;

use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use super::status::value_response;
use super::{ApiError, Params, Shared, Target};
use crate::sim::world::{Kind, WorldError};

pub(super) async fn body_json(req: Request) -> Result<(String, Value), ApiError> {
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let bytes = axum::body::to_bytes(req.into_body(), 16 << 20)
        .await
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let v = serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))?;
    Ok((ct, v))
}

/// The strategic-merge-patch subset kubectl sends: a merge patch where lists of named objects
/// (containers, env) merge by `name`; an object with `"$patch": "replace"` replaces what it
/// patches (how `rollout undo sts` restores a ControllerRevision's template); other `$`
/// directives are ignored.
pub fn strategic_merge(doc: &mut Value, patch: &Value) {
    if patch.get("$patch").and_then(Value::as_str) == Some("replace") {
        *doc = Value::Object(serde_json::Map::new());
        let mut plain = patch.clone();
        if let Some(m) = plain.as_object_mut() {
            m.remove("$patch");
        }
        strategic_merge(doc, &plain);
        return;
    }
    match (doc, patch) {
        (Value::Object(d), Value::Object(p)) => {
            for (k, v) in p {
                if k.starts_with('$') {
                    continue;
                }
                if v.is_null() {
                    d.remove(k);
                } else if let Some(existing) = d.get_mut(k) {
                    strategic_merge(existing, v);
                } else {
                    let mut fresh = Value::Null;
                    strategic_merge(&mut fresh, v);
                    d.insert(k.clone(), fresh);
                }
            }
        }
        (Value::Array(d), Value::Array(p))
            if !p.is_empty()
                && p.iter()
                    .all(|e| e.get("name").is_some_and(Value::is_string)) =>
        {
            for item in p {
                match d.iter_mut().find(|e| e.get("name") == item.get("name")) {
                    Some(existing) => strategic_merge(existing, item),
                    None => d.push(item.clone()),
                }
            }
        }
        (d, p) => {
            *d = match p {
                Value::Object(m) => Value::Object(
                    m.iter()
                        .filter(|(k, v)| !k.starts_with('$') && !v.is_null())
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                ),
                other => other.clone(),
            }
        }
    }
}

fn apply_patch(ct: &str, doc: &mut Value, patch: &Value) -> Result<(), ApiError> {
    if ct.starts_with("application/json-patch+json") {
        let p: json_patch::Patch = serde_json::from_value(patch.clone())
            .map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))?;
        json_patch::patch(doc, &p).map_err(|_| ApiError::patch_not_applied())
    } else if ct.starts_with("application/merge-patch+json") {
        json_patch::merge(doc, patch);
        Ok(())
    } else if ct.starts_with("application/strategic-merge-patch+json") {
        strategic_merge(doc, patch);
        Ok(())
    } else {
        Err(ApiError::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (got {ct:?})"
            ),
        ))
    }
}

pub(super) fn world_error(kind: Kind, name: &str, e: WorldError) -> ApiError {
    match e {
        WorldError::NotFound => ApiError::not_found(kind, name),
        WorldError::Conflict => ApiError::conflict(kind, name),
        WorldError::Invalid(why) => ApiError::invalid(kind, name, &why),
        WorldError::AlreadyExists => ApiError::already_exists(kind, name),
        WorldError::NamespaceNotFound(ns) => ApiError::not_found(Kind::Namespace, &ns),
        WorldError::BadRequest(why) => ApiError::bad_request(why),
        WorldError::NoResourceVersion => ApiError::no_resource_version(kind, name),
        WorldError::Precondition(why) => ApiError::cannot_fulfill(kind, name, &why),
        WorldError::Fields(errs) => ApiError::invalid_fields(kind, name, &errs),
    }
}

pub(super) fn dry_run(p: &Params) -> bool {
    p.get("dryRun").is_some_and(|d| d == "All")
}

pub async fn patch(
    shared: &Arc<Shared>,
    t: &Target,
    p: &Params,
    req: Request,
) -> Result<Response, ApiError> {
    let (ct, patch) = body_json(req).await?;
    let (ns, name) = (
        t.ns.as_deref().unwrap_or_default(),
        t.name.as_deref().unwrap_or_default(),
    );
    let mut w = shared.world();
    let mut doc = w
        .object_json(t.kind, ns, name)
        .ok_or_else(|| ApiError::not_found(t.kind, name))?;
    apply_patch(&ct, &mut doc, &patch)?;
    let out = w
        .apply_json(t.kind, ns, name, doc, dry_run(p))
        .map_err(|e| world_error(t.kind, name, e))?;
    Ok(value_response(StatusCode::OK, &out))
}

fn scale_json(obj: &Value) -> Value {
    let sel = obj
        .pointer("/spec/selector/matchLabels")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default();
    let m = &obj["metadata"];
    json!({
        "kind": "Scale", "apiVersion": "autoscaling/v1",
        "metadata": {"name": m["name"], "namespace": m["namespace"], "uid": m["uid"], "resourceVersion": m["resourceVersion"], "creationTimestamp": m["creationTimestamp"]},
        "spec": {"replicas": obj.pointer("/spec/replicas").cloned().unwrap_or(json!(0))},
        "status": {"replicas": obj.pointer("/status/replicas").cloned().unwrap_or(json!(0)), "selector": sel},
    })
}

pub async fn scale(
    shared: &Arc<Shared>,
    t: &Target,
    p: &Params,
    req: Request,
) -> Result<Response, ApiError> {
    if !matches!(
        t.kind,
        Kind::Deployment | Kind::StatefulSet | Kind::ReplicaSet
    ) {
        return Err(ApiError::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        ));
    }
    let method = req.method().clone();
    let (ns, name) = (
        t.ns.clone().unwrap_or_default(),
        t.name.clone().unwrap_or_default(),
    );
    let current = {
        let w = shared.world();
        w.object_json(t.kind, &ns, &name)
            .ok_or_else(|| ApiError::not_found(t.kind, &name))?
    };
    let mut scale = scale_json(&current);
    if method == axum::http::Method::GET {
        return Ok(value_response(StatusCode::OK, &scale));
    }
    let (ct, body) = body_json(req).await?;
    // A resourceVersion in the body (PUT or patch) is a precondition, as on the real server.
    if let Some(rv) = body
        .pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
        && Some(rv)
            != scale
                .pointer("/metadata/resourceVersion")
                .and_then(Value::as_str)
    {
        return Err(ApiError::conflict(t.kind, &name));
    }
    if method == axum::http::Method::PUT {
        scale = body;
    } else {
        apply_patch(&ct, &mut scale, &body)?;
    }
    let replicas = scale
        .pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .ok_or_else(|| ApiError::invalid(t.kind, &name, "spec.replicas: Required value"))?;
    let replicas = i32::try_from(replicas)
        .map_err(|_| ApiError::invalid(t.kind, &name, "spec.replicas: Invalid value"))?;
    if dry_run(p) {
        return Ok(value_response(StatusCode::OK, &scale));
    }
    let mut w = shared.world();
    w.set_replicas(t.kind, &ns, &name, replicas)
        .map_err(|e| world_error(t.kind, &name, e))?;
    let after = w
        .object_json(t.kind, &ns, &name)
        .ok_or_else(|| ApiError::not_found(t.kind, &name))?;
    Ok(value_response(StatusCode::OK, &scale_json(&after)))
}

pub fn delete_pod(shared: &Arc<Shared>, t: &Target) -> Result<Response, ApiError> {
    let (ns, name) = (
        t.ns.as_deref().unwrap_or_default(),
        t.name.as_deref().unwrap_or_default(),
    );
    let out = shared
        .world()
        .delete_pod(ns, name)
        .map_err(|e| world_error(Kind::Pod, name, e))?;
    Ok(value_response(StatusCode::OK, &out))
}

pub async fn ssar(shared: &Arc<Shared>, req: Request, user: &str) -> Result<Response, ApiError> {
    let bytes = axum::body::to_bytes(req.into_body(), 1 << 20)
        .await
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let body = match super::proto::ssar_spec(&bytes) {
        Some(spec) => json!({ "spec": spec }),
        None => serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::bad_request(format!("error decoding body: {e}")))?,
    };
    let attrs = body
        .pointer("/spec/resourceAttributes")
        .cloned()
        .unwrap_or(json!({}));
    let resource = attrs.get("resource").and_then(Value::as_str).unwrap_or("");
    let verb = attrs.get("verb").and_then(Value::as_str).unwrap_or("get");
    let denied = shared.forbidden.iter().any(|f| f == resource);
    let (allowed, reason) = super::auth::review(user, verb, resource, denied);
    let mut status = json!({"allowed": allowed, "reason": reason});
    if denied {
        status["denied"] = json!(true);
    }
    let out = json!({
        "kind": "SelfSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1",
        "metadata": {"creationTimestamp": null},
        "spec": body.get("spec").cloned().unwrap_or(json!({})),
        "status": status,
    });
    let attr = |k: &str| attrs.get(k).and_then(Value::as_str).map(str::to_string);
    let answer = super::ReviewAnswer {
        verb: verb.to_string(),
        resource: resource.to_string(),
        subresource: attr("subresource").filter(|s| !s.is_empty()),
        namespace: attr("namespace").unwrap_or_default(),
        name: attr("name").unwrap_or_default(),
        allowed,
    };
    let mut resp = value_response(StatusCode::CREATED, &out);
    // Not sent: `handle` moves it onto the request's record.
    resp.extensions_mut().insert(answer);
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strategic_merge_handles_kubectl_restart_patch() {
        let mut doc = json!({"spec": {"template": {"metadata": {"labels": {"app": "api"}}, "spec": {"containers": [{"name": "api", "image": "a:1", "env": [{"name": "X", "value": "1"}]}]}}}});
        let patch = json!({"spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": "2026-01-01T00:00:00Z"}}}}});
        strategic_merge(&mut doc, &patch);
        assert_eq!(
            doc.pointer("/spec/template/metadata/annotations/kubectl.kubernetes.io~1restartedAt"),
            Some(&json!("2026-01-01T00:00:00Z"))
        );
        assert_eq!(
            doc.pointer("/spec/template/metadata/labels/app"),
            Some(&json!("api"))
        );
    }

    #[test]
    fn strategic_merge_merges_containers_by_name_and_ignores_directives() {
        let mut doc = json!({"spec": {"paused": true, "template": {"spec": {"containers": [{"name": "api", "image": "a:1", "ports": [{"containerPort": 80}]}]}}}});
        let patch = json!({"spec": {"paused": null, "replicas": 5, "template": {"spec": {"$setElementOrder/containers": [{"name": "api"}], "containers": [{"name": "api", "image": "a:2"}]}}}});
        strategic_merge(&mut doc, &patch);
        assert_eq!(
            doc.pointer("/spec/template/spec/containers/0/image"),
            Some(&json!("a:2"))
        );
        assert_eq!(
            doc.pointer("/spec/template/spec/containers/0/ports/0/containerPort"),
            Some(&json!(80))
        );
        assert_eq!(doc.pointer("/spec/paused"), None);
        assert_eq!(doc.pointer("/spec/replicas"), Some(&json!(5)));
        assert!(
            doc.pointer("/spec/template/spec/$setElementOrder~1containers")
                .is_none()
        );
    }

    #[test]
    fn a_replace_directive_replaces_the_object_it_patches() {
        let mut doc = json!({"spec": {"replicas": 1, "template": {"metadata": {"labels": {"a": "1"}, "annotations": {"x": "y"}}, "spec": {"containers": [{"name": "db", "image": "pg:17"}]}}}});
        let patch = json!({"spec": {"template": {"$patch": "replace", "metadata": {"labels": {"a": "1"}}, "spec": {"containers": [{"name": "db", "image": "pg:16"}]}}}});
        strategic_merge(&mut doc, &patch);
        assert_eq!(
            doc,
            json!({"spec": {"replicas": 1, "template": {"metadata": {"labels": {"a": "1"}}, "spec": {"containers": [{"name": "db", "image": "pg:16"}]}}}})
        );
    }

    #[test]
    fn unknown_patch_types_are_refused() {
        let mut doc = json!({});
        let e = apply_patch("application/apply-patch+yaml", &mut doc, &json!({})).unwrap_err();
        assert_eq!(e.code, 415);
    }
}
