//! `meta/v1 Status` errors with the real API server's reasons, codes and messages.

use axum::body::Body;
use axum::http::{StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use crate::sim::world::Kind;
use crate::sim::world::fields::{FieldError, aggregate};

/// `ConfigMap`, `Deployment.apps`: a GroupKind as messages print it.
fn group_kind(kind: Kind) -> String {
    match kind.group() {
        "" => kind.kind().to_string(),
        g => format!("{}.{g}", kind.kind()),
    }
}

/// An API error, rendered as a Status object.
#[derive(Debug)]
pub struct ApiError {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
    pub details: Option<Value>,
}

impl ApiError {
    pub fn new(code: u16, reason: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            reason,
            message: message.into(),
            details: None,
        }
    }
    pub fn not_found(kind: Kind, name: &str) -> ApiError {
        ApiError {
            details: Some(json!({"name": name, "group": kind.group(), "kind": kind.plural()})),
            ..ApiError::new(
                404,
                "NotFound",
                format!("{} \"{name}\" not found", kind.qualified()),
            )
        }
    }
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "BadRequest", message)
    }
    pub fn conflict(kind: Kind, name: &str) -> ApiError {
        ApiError {
            details: Some(json!({"name": name, "group": kind.group(), "kind": kind.plural()})),
            ..ApiError::new(
                409,
                "Conflict",
                format!(
                    "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
                    kind.qualified()
                ),
            )
        }
    }
    pub fn already_exists(kind: Kind, name: &str) -> ApiError {
        ApiError {
            details: Some(json!({"name": name, "group": kind.group(), "kind": kind.plural()})),
            ..ApiError::new(
                409,
                "AlreadyExists",
                format!("{} \"{name}\" already exists", kind.qualified()),
            )
        }
    }
    /// A 409 naming why the write cannot be done (`Precondition failed: ...`).
    pub fn cannot_fulfill(kind: Kind, name: &str, why: &str) -> ApiError {
        ApiError {
            details: Some(json!({"name": name, "group": kind.group(), "kind": kind.plural()})),
            ..ApiError::new(
                409,
                "Conflict",
                format!(
                    "Operation cannot be fulfilled on {} \"{name}\": {why}",
                    kind.qualified()
                ),
            )
        }
    }
    /// The 422 of an update without a resourceVersion, which kube-apiserver words with the
    /// resource (`leases.coordination.k8s.io "x" is invalid: ...`) rather than the kind.
    pub fn no_resource_version(kind: Kind, name: &str) -> ApiError {
        let why = "Invalid value: 0x0: must be specified for an update";
        ApiError {
            details: Some(
                json!({"name": name, "group": kind.group(), "kind": kind.plural(),
                "causes": [{"reason": "FieldValueInvalid", "message": why, "field": "metadata.resourceVersion"}]}),
            ),
            ..ApiError::new(
                422,
                "Invalid",
                format!(
                    "{} \"{name}\" is invalid: metadata.resourceVersion: {why}",
                    kind.qualified()
                ),
            )
        }
    }
    /// The 422 of failed field validation, as apimachinery's NewInvalid builds it: the
    /// message aggregates the field errors, each cause names its field.
    pub fn invalid_fields(kind: Kind, name: &str, errs: &[FieldError]) -> ApiError {
        let causes: Vec<Value> = errs
            .iter()
            .map(|e| json!({"reason": e.reason(), "message": e.body(), "field": e.field}))
            .collect();
        let mut details = json!({"name": name, "kind": kind.kind(), "causes": causes});
        if !kind.group().is_empty() {
            details["group"] = json!(kind.group());
        }
        ApiError {
            details: Some(details),
            ..ApiError::new(
                422,
                "Invalid",
                format!(
                    "{} \"{name}\" is invalid: {}",
                    group_kind(kind),
                    aggregate(errs)
                ),
            )
        }
    }
    /// A JSON patch that cannot be applied (a failed `test`, a missing path): kube-apiserver
    /// answers a bare 422 that names neither the object nor the operation.
    pub fn patch_not_applied() -> ApiError {
        ApiError {
            details: Some(json!({})),
            ..ApiError::new(
                422,
                "Invalid",
                "the server rejected our request due to an error in our request",
            )
        }
    }
    pub fn invalid(kind: Kind, name: &str, why: &str) -> ApiError {
        ApiError {
            details: Some(
                json!({"name": name, "group": kind.group(), "kind": kind.kind(), "causes": [{"reason": "FieldValueInvalid", "message": why}]}),
            ),
            ..ApiError::new(
                422,
                "Invalid",
                format!(
                    "{}.{} \"{name}\" is invalid: {why}",
                    kind.kind(),
                    kind.group()
                )
                .replace(". \"", " \""),
            )
        }
    }
    pub fn gone(rv: u64, floor: u64) -> ApiError {
        ApiError::new(
            410,
            "Expired",
            format!("too old resource version: {rv} ({floor})"),
        )
    }
    /// A continue token from before the retained window (kube-apiserver's words, shortened).
    pub fn continue_expired() -> ApiError {
        ApiError::new(
            410,
            "Expired",
            "The provided continue parameter is too old to display a consistent list result. \
             You can start a new list without the continue parameter."
                .to_string(),
        )
    }
    /// The 403 for `user`, naming the object when the request named one, like kube-apiserver:
    /// `deployments.apps "api" is forbidden: User "viewer" cannot patch resource ...`.
    pub fn forbidden_as(
        user: &str,
        verb: &str,
        resource: &str,
        group: &str,
        ns: Option<&str>,
        name: Option<&str>,
    ) -> ApiError {
        let base = resource.split('/').next().unwrap_or(resource);
        let qualified = match group {
            "" => base.to_string(),
            g => format!("{base}.{g}"),
        };
        let subject = match name {
            Some(n) => format!("{qualified} \"{n}\""),
            None => qualified,
        };
        let scope = match ns {
            Some(ns) => format!("in the namespace \"{ns}\""),
            None => "at the cluster scope".to_string(),
        };
        let mut details = json!({"group": group, "kind": base});
        if let Some(n) = name {
            details["name"] = json!(n);
        }
        ApiError {
            details: Some(details),
            ..ApiError::new(
                403,
                "Forbidden",
                format!(
                    "{subject} is forbidden: User \"{user}\" cannot {verb} resource \"{resource}\" in API group \"{group}\" {scope}"
                ),
            )
        }
    }

    pub fn to_value(&self) -> Value {
        let mut v = json!({
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": self.message, "reason": self.reason, "code": self.code,
        });
        if let Some(d) = &self.details {
            v["details"] = d.clone();
        }
        v
    }

    pub fn into_response(self) -> Response {
        let code = StatusCode::from_u16(self.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        json_response(
            code,
            serde_json::to_vec(&self.to_value()).unwrap_or_default(),
        )
    }
}

pub fn json_response(code: StatusCode, body: Vec<u8>) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = code;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    r
}

pub fn value_response(code: StatusCode, v: &Value) -> Response {
    json_response(code, serde_json::to_vec(v).unwrap_or_default())
}
