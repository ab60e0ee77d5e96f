//! A minimal OpenAPI v3 (`/openapi/v3`): one PATCH operation per served kind, accepting the
//! `fieldValidation` query parameter. kubectl reads it to learn that the server validates
//! fields itself, so `kubectl create/apply/replace -f` skip client-side schema validation
//! (which would need the full OpenAPI v2 document the sim does not serve). The PATCH
//! operations name no request bodies: `kubectl apply` then builds strategic merge patches
//! from its compiled-in types, quietly, as it does when a schema is missing.

use serde_json::{Value, json};

use crate::sim::world::Kind;

/// `api/v1`, `apis/apps/v1`: the group versions the sim serves, as the index names them.
fn group_versions() -> Vec<String> {
    let mut gvs: Vec<String> = Kind::ALL
        .iter()
        .map(|k| match k.group() {
            "" => format!("api/{}", k.version()),
            g => format!("apis/{g}/{}", k.version()),
        })
        .collect();
    gvs.sort();
    gvs.dedup();
    gvs
}

/// `GET /openapi/v3`: where each group version's document is.
pub fn index() -> Value {
    let paths: serde_json::Map<String, Value> = group_versions()
        .into_iter()
        .map(|gv| {
            let url = json!({"serverRelativeURL": format!("/openapi/v3/{gv}?hash=sim-{}", super::discovery::version()["gitVersion"].as_str().unwrap_or(""))});
            (gv, url)
        })
        .collect();
    json!({ "paths": paths })
}

fn patch_path(k: Kind) -> String {
    let prefix = match k.group() {
        "" => format!("/api/{}", k.version()),
        g => format!("/apis/{g}/{}", k.version()),
    };
    if k.namespaced() {
        format!("{prefix}/namespaces/{{namespace}}/{}/{{name}}", k.plural())
    } else {
        format!("{prefix}/{}/{{name}}", k.plural())
    }
}

/// `GET /openapi/v3/<gv>` (`api/v1`, `apis/apps/v1`), or None for a group version not served.
pub fn document(gv: &str) -> Option<Value> {
    let kinds: Vec<Kind> = Kind::ALL
        .into_iter()
        .filter(|k| match k.group() {
            "" => gv == format!("api/{}", k.version()),
            g => gv == format!("apis/{g}/{}", k.version()),
        })
        .collect();
    if kinds.is_empty() {
        return None;
    }
    let field_validation = json!({
        "name": "fieldValidation", "in": "query", "schema": {"type": "string", "uniqueItems": true},
        "description": "fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields.",
    });
    let paths: serde_json::Map<String, Value> = kinds
        .into_iter()
        .map(|k| {
            let op = json!({
                "description": format!("partially update the specified {}", k.kind()),
                "parameters": [field_validation],
                "x-kubernetes-action": "patch",
                "x-kubernetes-group-version-kind": {"group": k.group(), "version": k.version(), "kind": k.kind()},
                "responses": {"200": {"description": "OK"}},
            });
            (patch_path(k), json!({"patch": op}))
        })
        .collect();
    Some(json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": super::discovery::version()["gitVersion"]},
        "paths": paths,
        "components": {"schemas": {}},
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_served_group_version_has_a_patch_path_per_kind() {
        let index = index();
        let gvs: Vec<&String> = index["paths"].as_object().unwrap().keys().collect();
        assert!(
            gvs.contains(&&"apis/coordination.k8s.io/v1".to_string()),
            "{gvs:?}"
        );
        let doc = document("apis/coordination.k8s.io/v1").unwrap();
        let path =
            &doc["paths"]["/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases/{name}"];
        assert_eq!(path["patch"]["parameters"][0]["name"], "fieldValidation");
        assert_eq!(
            path["patch"]["x-kubernetes-group-version-kind"]["kind"],
            "Lease"
        );
        assert!(document("api/v1").unwrap()["paths"]["/api/v1/nodes/{name}"].is_object());
        assert!(document("apis/batch/v1").is_none());
    }
}
