//! `rollback W [--to-revision N]`: `kubectl rollout undo` without kubectl. The owned
//! ReplicaSets' revisions, the previous or the requested one, a no-op when the templates
//! already match, a JSON Patch of the template and annotations; verified by the rollout.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::mpsc::Sender;

use crate::actions::error::{ActionError, Progress};
use crate::actions::kube::{
    JSON_PATCH, REVISION, base_draft, enc, get, get_workload, patch_call, revision_of, selector,
    str_at,
};
use crate::actions::plan::{Change, Draft};
use crate::actions::target::WorkloadRef;
use crate::actions::verb::{ArgError, Cx, Subject, Usage, Verb};
use crate::actions::verify::wait_rollout;
use crate::k8s::WorkloadKind;

pub const USAGE: Usage = Usage {
    name: "rollback",
    usage: "rollback W [--to-revision N]",
    help: "roll a Deployment back to its previous (or a given) revision (rollout undo)",
};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rollback {
    pub workload: WorkloadRef,
    pub to_revision: Option<i64>,
}

pub fn parse(args: &[&str], namespace: &str) -> Result<Rollback, ArgError> {
    let (target, to_revision) = match args {
        [target] => (target, None),
        [target, "--to-revision", n] | ["--to-revision", n, target] => {
            let rev = n
                .parse::<i64>()
                .ok()
                .filter(|r| *r > 0)
                .ok_or_else(|| format!("--to-revision wants a positive number, not {n:?}"))?;
            (target, Some(rev))
        }
        _ => return Err(ArgError::Shape),
    };
    Ok(Rollback {
        workload: WorkloadRef::parse(target, namespace)?,
        to_revision,
    })
}

#[async_trait]
impl Verb for Rollback {
    fn verb(&self) -> &'static str {
        USAGE.name
    }

    fn doing(&self) -> &'static str {
        "rolling back"
    }

    fn subject(&self) -> Subject<'_> {
        Subject::Workload(&self.workload)
    }

    async fn draft(&self, cx: &Cx<'_>) -> Result<Draft, ActionError> {
        let obj = get_workload(cx.client, &self.workload).await?;
        rollback(cx.client, &self.workload, &obj, self.to_revision).await
    }

    async fn verify(
        &self,
        cx: &Cx<'_>,
        progress: &Sender<Progress>,
    ) -> Result<String, ActionError> {
        wait_rollout(cx, &self.workload, progress).await
    }
}

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
    client: &kube::Client,
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
    let mut d = base_draft(w, obj);
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
    d.calls.push(patch_call(w.path(), JSON_PATCH, &body));
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
}
