//! Whole-object writes: create (POST), update (PUT) and delete of the kinds clients may write
//! directly: Leases and ConfigMaps. Other kinds change through PATCH and their controllers,
//! and answer 405 here. A kind joins by getting its arm in the world (`create_lease` & co.).

use std::sync::Arc;

use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::status::value_response;
use super::write::{dry_run, world_error};
use super::{ApiError, Params, Shared, Target};
use crate::sim::world::Kind;

fn not_allowed() -> ApiError {
    ApiError::new(
        405,
        "MethodNotAllowed",
        "the server does not allow this method on the requested resource",
    )
}

/// The request body as JSON (empty is null: a DELETE may carry no options). kubectl's typed
/// clients send built-in kinds as protobuf (`create configmap`): those are decoded.
async fn body(req: Request) -> Result<Value, ApiError> {
    let bytes = axum::body::to_bytes(req.into_body(), 4 << 20)
        .await
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    if bytes.starts_with(b"k8s\0") {
        return super::proto::configmap(&bytes)
            .ok_or_else(|| ApiError::bad_request("the sim reads only ConfigMaps as protobuf"));
    }
    serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::bad_request(format!(
            "Object 'Kind' is missing in '{}': {e}",
            String::from_utf8_lossy(&bytes)
        ))
    })
}

pub async fn create(
    shared: &Arc<Shared>,
    t: &Target,
    p: &Params,
    req: Request,
) -> Result<Response, ApiError> {
    let Some(ns) = t.ns.as_deref() else {
        return Err(not_allowed());
    };
    if !matches!(t.kind, Kind::Lease | Kind::ConfigMap) {
        return Err(not_allowed());
    }
    let obj = body(req).await?;
    let name = obj
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let mut w = shared.world();
    let out = match t.kind {
        Kind::Lease => w.create_lease(ns, &obj, dry_run(p)),
        _ => w.create_configmap(ns, &obj, dry_run(p)),
    };
    let out = out.map_err(|e| world_error(t.kind, &name, e))?;
    Ok(value_response(StatusCode::CREATED, &out))
}

pub async fn replace(
    shared: &Arc<Shared>,
    t: &Target,
    p: &Params,
    req: Request,
) -> Result<Response, ApiError> {
    let (Some(ns), Some(name)) = (t.ns.as_deref(), t.name.as_deref()) else {
        return Err(not_allowed());
    };
    if !matches!(t.kind, Kind::Lease | Kind::ConfigMap) {
        return Err(not_allowed());
    }
    let obj = body(req).await?;
    let mut w = shared.world();
    let (out, created) = match t.kind {
        Kind::Lease => w.replace_lease(ns, name, &obj, dry_run(p)),
        // A ConfigMap is never created by an update.
        _ => w
            .replace_configmap(ns, name, &obj, dry_run(p))
            .map(|v| (v, false)),
    }
    .map_err(|e| world_error(t.kind, name, e))?;
    let code = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(value_response(code, &out))
}

/// DELETE answers a Status naming what went, as kube-apiserver does for kinds that do not
/// return the deleted object.
pub async fn delete(shared: &Arc<Shared>, t: &Target, req: Request) -> Result<Response, ApiError> {
    let (Some(ns), Some(name)) = (t.ns.as_deref(), t.name.as_deref()) else {
        return Err(not_allowed());
    };
    if !matches!(t.kind, Kind::Lease | Kind::ConfigMap) {
        return Err(not_allowed());
    }
    let options = body(req).await?;
    let precondition = options
        .pointer("/preconditions/resourceVersion")
        .and_then(Value::as_str);
    let mut w = shared.world();
    let uid = match t.kind {
        Kind::Lease => w.delete_lease(ns, name, precondition).map(|l| l.meta.uid),
        _ => w
            .delete_configmap(ns, name, precondition)
            .map(|c| c.meta.uid),
    }
    .map_err(|e| world_error(t.kind, name, e))?;
    let mut details = json!({"name": name, "kind": t.kind.plural(), "uid": uid});
    if !t.kind.group().is_empty() {
        details["group"] = json!(t.kind.group());
    }
    let status = json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
        "details": details,
    });
    Ok(value_response(StatusCode::OK, &status))
}
