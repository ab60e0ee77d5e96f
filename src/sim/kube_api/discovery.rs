//! Discovery documents: /version, /api, /apis and the per-group resource lists.

use serde_json::{Value, json};

use crate::sim::world::Kind;

pub fn version() -> Value {
    json!({
        "major": "1", "minor": "33", "gitVersion": "v1.33.2", "gitCommit": "a57b6f7709f6c2722b92f07b8b4c48210a51fc40",
        "gitTreeState": "clean", "buildDate": "2025-06-17T18:36:53Z", "goVersion": "go1.24.4",
        "compiler": "gc", "platform": "linux/amd64", "emulationMajor": "1", "emulationMinor": "33",
        "minCompatibilityMajor": "1", "minCompatibilityMinor": "32"
    })
}

pub fn api_versions() -> Value {
    json!({"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:6443"}]})
}

const GROUPS: &[(&str, &str)] = &[
    ("apps", "v1"),
    ("autoscaling", "v2"),
    ("authorization.k8s.io", "v1"),
    ("coordination.k8s.io", "v1"),
];

fn group(name: &str, version: &str) -> Value {
    let gv = json!({"groupVersion": format!("{name}/{version}"), "version": version});
    json!({"name": name, "versions": [gv], "preferredVersion": gv})
}

pub fn api_group_list() -> Value {
    let groups: Vec<Value> = GROUPS.iter().map(|(n, v)| group(n, v)).collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

pub fn api_group(name: &str) -> Option<Value> {
    GROUPS.iter().find(|(n, _)| *n == name).map(|(n, v)| {
        let mut g = group(n, v);
        g["kind"] = json!("APIGroup");
        g["apiVersion"] = json!("v1");
        g
    })
}

const ALL_VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

fn resource(k: Kind) -> Value {
    let mut v = json!({
        "name": k.plural(), "singularName": k.singular(), "namespaced": k.namespaced(), "kind": k.kind(),
        "verbs": ALL_VERBS,
    });
    if !k.short_names().is_empty() {
        v["shortNames"] = json!(k.short_names());
    }
    if k.in_all_category() {
        v["categories"] = json!(["all"]);
    }
    v
}

fn sub(k: Kind, name: &str, kind: &str, verbs: &[&str], group: Option<(&str, &str)>) -> Value {
    let mut v = json!({"name": format!("{}/{name}", k.plural()), "singularName": "", "namespaced": k.namespaced(), "kind": kind, "verbs": verbs});
    if let Some((g, ver)) = group {
        v["group"] = json!(g);
        v["version"] = json!(ver);
    }
    v
}

/// The APIResourceList of one group/version, or None if the sim does not serve it.
pub fn resource_list(group: &str, version: &str) -> Option<Value> {
    let status_verbs: &[&str] = &["get", "patch", "update"];
    let mut resources = vec![];
    let kinds: Vec<Kind> = Kind::ALL
        .into_iter()
        .filter(|k| k.group() == group && k.version() == version)
        .collect();
    if group == "authorization.k8s.io" && version == "v1" {
        resources.push(json!({"name": "selfsubjectaccessreviews", "singularName": "selfsubjectaccessreview", "namespaced": false, "kind": "SelfSubjectAccessReview", "verbs": ["create"]}));
    } else if kinds.is_empty() {
        return None;
    }
    for k in kinds {
        resources.push(resource(k));
        match k {
            Kind::Pod => {
                resources.push(sub(k, "log", "Pod", &["get"], None));
                resources.push(sub(k, "status", "Pod", status_verbs, None));
            }
            Kind::Deployment | Kind::ReplicaSet | Kind::StatefulSet => {
                resources.push(sub(
                    k,
                    "scale",
                    "Scale",
                    status_verbs,
                    Some(("autoscaling", "v1")),
                ));
                resources.push(sub(k, "status", k.kind(), status_verbs, None));
            }
            Kind::Node | Kind::Namespace | Kind::Hpa => {
                resources.push(sub(k, "status", k.kind(), status_verbs, None))
            }
            Kind::Event | Kind::ControllerRevision | Kind::Lease | Kind::ConfigMap => {}
        }
    }
    let gv = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    Some(
        json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}),
    )
}
