//! Who is asking (the bearer token) and what they may do: `viewer` only reads.

use axum::http::{HeaderMap, header};

use super::{ApiError, Target};

pub const ADMIN: &str = "sim-admin";
pub const VIEWER: &str = "viewer";

/// The user a request authenticates as: a known `Impersonate-User` (kubeconfig `as:`), else a
/// known bearer token, else the sim's default user. kubectl (client-go) never sends a bearer
/// token to a plain-http server, but it does send the impersonation header, as kube-rs does.
pub fn user_of(headers: &HeaderMap, default: &str) -> String {
    let header_str = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let token = header_str(header::AUTHORIZATION.as_str()).and_then(|v| v.strip_prefix("Bearer "));
    known(header_str("impersonate-user"))
        .or_else(|| known(token))
        .unwrap_or(default)
        .to_string()
}

fn known(user: Option<&str>) -> Option<&str> {
    user.map(str::trim).filter(|u| matches!(*u, ADMIN | VIEWER))
}

/// RBAC as the sim plays it: the viewer may get, list and watch; everyone else anything.
pub fn may(user: &str, verb: &str) -> bool {
    user != VIEWER || matches!(verb, "get" | "list" | "watch")
}

/// The 403 the API server gives when `user` lacks `verb` on the target.
pub fn denial(user: &str, verb: &str, t: &Target) -> ApiError {
    let resource = match &t.sub {
        Some(s) => format!("{}/{s}", t.kind.plural()),
        None => t.kind.plural().to_string(),
    };
    ApiError::forbidden_as(
        user,
        verb,
        &resource,
        t.kind.group(),
        t.ns.as_deref(),
        t.name.as_deref(),
    )
}

/// What a SelfSubjectAccessReview answers: (allowed, reason).
pub fn review(user: &str, verb: &str, resource: &str, denied_resource: bool) -> (bool, String) {
    if denied_resource {
        return (
            false,
            format!("RBAC: {user} may not touch {resource} (sim option `forbidden`)"),
        );
    }
    if !may(user, verb) {
        return (
            false,
            format!(
                "RBAC: User \"{user}\" is bound to ClusterRole \"view\", which does not allow {verb} on {resource}"
            ),
        );
    }
    let role = if user == VIEWER {
        "view"
    } else {
        "cluster-admin"
    };
    (
        true,
        format!(
            "RBAC: allowed by ClusterRoleBinding \"{user}\" of ClusterRole \"{role}\" to User \"{user}\""
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::world::Kind;
    use axum::http::HeaderValue;

    #[test]
    fn tokens_name_users_and_unknown_tokens_get_the_default() {
        let mut h = HeaderMap::new();
        assert_eq!(user_of(&h, ADMIN), ADMIN);
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer viewer"),
        );
        assert_eq!(user_of(&h, ADMIN), VIEWER);
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer sim-admin"),
        );
        assert_eq!(user_of(&h, VIEWER), ADMIN);
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer x"));
        assert_eq!(user_of(&h, VIEWER), VIEWER);
        h.insert("impersonate-user", HeaderValue::from_static("viewer"));
        assert_eq!(user_of(&h, ADMIN), VIEWER);
    }

    #[test]
    fn viewer_denial_reads_like_the_api_server() {
        let t = Target {
            kind: Kind::Deployment,
            ns: Some("contentgen".into()),
            name: Some("api".into()),
            sub: None,
        };
        assert!(may(VIEWER, "list") && !may(VIEWER, "patch") && may(ADMIN, "delete"));
        assert_eq!(
            denial(VIEWER, "patch", &t).message,
            "deployments.apps \"api\" is forbidden: User \"viewer\" cannot patch resource \"deployments\" in API group \"apps\" in the namespace \"contentgen\""
        );
        assert!(!review(VIEWER, "patch", "deployments", false).0);
        assert!(review(VIEWER, "get", "deployments", false).0);
    }
}
