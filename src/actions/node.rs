//! What `cordon` and `uncordon` share, as kubectl does them: a strategic-merge patch of the
//! node's `spec.unschedulable` (the pods on it stay where they are), read back to verify.

use std::time::{Duration, Instant};

use kube::Client;
use serde_json::{Value, json};
use tokio::sync::mpsc::Sender;

use super::error::{ActionError, Progress};
use super::kube::{STRATEGIC, enc, get, patch_call, precondition};
use super::plan::{Change, Draft, Review};

const POLL: Duration = Duration::from_millis(500);

/// A node name as the API accepts it (a DNS subdomain): nothing that could leave the path.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
}

pub fn node_path(node: &str) -> String {
    format!("/api/v1/nodes/{node}")
}

/// `patch nodes` is cluster-scoped: no namespace, core group.
pub fn review(node: &str) -> Review {
    Review {
        namespace: String::new(),
        verb: "patch".into(),
        group: String::new(),
        resource: "nodes".into(),
        subresource: None,
        name: node.to_string(),
    }
}

fn unschedulable(obj: &Value) -> bool {
    obj.pointer("/spec/unschedulable")
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

/// The node's Ready condition status ("True", "False", "Unknown"), "?" when absent.
fn ready(obj: &Value) -> String {
    obj.pointer("/status/conditions")
        .and_then(Value::as_array)
        .and_then(|cs| cs.iter().find(|c| c["type"] == "Ready"))
        .and_then(|c| c["status"].as_str())
        .unwrap_or("?")
        .to_string()
}

/// The pods bound to the node, all namespaces.
async fn pods_on(client: &Client, node: &str) -> Result<Vec<Value>, ActionError> {
    let path = format!(
        "/api/v1/pods?fieldSelector={}",
        enc(&format!("spec.nodeName={node}"))
    );
    let list = get(client, &path).await?;
    Ok(list["items"].as_array().cloned().unwrap_or_default())
}

/// Reads the node and drafts the cordon (`cordon = true`) or uncordon.
pub async fn draft(client: &Client, node: &str, cordon: bool) -> Result<Draft, ActionError> {
    let obj = get(client, &node_path(node)).await?;
    let now = unschedulable(&obj);
    let mut d = Draft {
        precondition: precondition(node_path(node), &obj),
        ..Draft::default()
    };
    if now == cordon {
        d.noop = Some(if cordon {
            format!("node {node} is already cordoned")
        } else {
            format!("node {node} is not cordoned")
        });
        return Ok(d);
    }
    d.changes.push(Change {
        what: "spec.unschedulable".into(),
        before: now.to_string(),
        after: cordon.to_string(),
    });
    // What kubectl sends: uncordon removes the field (false is its omitted default).
    let value = if cordon { json!(true) } else { Value::Null };
    let body = json!({"spec": {"unschedulable": value}});
    d.calls.push(patch_call(node_path(node), STRATEGIC, &body));
    if cordon {
        let pods = match pods_on(client, node).await {
            Ok(p) => Some(p),
            Err(ActionError::Forbidden(m)) => {
                d.warnings
                    .push(format!("cannot list the pods on node {node}: {m}"));
                None
            }
            Err(e) => return Err(e),
        };
        if let Some(pods) = pods {
            d.warnings.push(format!(
                "{} pod(s) run on node {node}; cordoning does not evict them: only new pods stay off it (drain evicts)",
                pods.len()
            ));
        }
    } else if ready(&obj) != "True" {
        d.warnings.push(format!(
            "node {node} is not Ready (Ready={}): new pods may be scheduled onto it again",
            ready(&obj)
        ));
    }
    Ok(d)
}

/// Re-reads the node until `spec.unschedulable` is `want` or `timeout` passes.
pub async fn wait(
    client: &Client,
    node: &str,
    want: bool,
    timeout: Duration,
    progress: &Sender<Progress>,
) -> Result<String, ActionError> {
    let deadline = Instant::now() + timeout;
    let _ = progress
        .send(Progress::Message(format!(
            "re-reading node {node} until spec.unschedulable = {want}"
        )))
        .await;
    loop {
        let obj = get(client, &node_path(node)).await?;
        if unschedulable(&obj) == want {
            return Ok(format!(
                "node {node} spec.unschedulable = {want} ({})",
                if want {
                    "SchedulingDisabled"
                } else {
                    "schedulable"
                }
            ));
        }
        if Instant::now() >= deadline {
            return Err(ActionError::Verify(format!(
                "node {node} spec.unschedulable is still {} after {}s",
                !want,
                timeout.as_secs()
            )));
        }
        tokio::time::sleep(POLL).await;
    }
}

/// The live node in one line, for a Conflict: what changed since the plan.
pub async fn current_state(client: &Client, node: &str) -> String {
    let Ok(obj) = get(client, &node_path(node)).await else {
        return format!("node {node} could not be re-read");
    };
    format!(
        "node {node} now: resourceVersion {}, unschedulable {}, Ready={}",
        super::kube::str_at(&obj, "/metadata/resourceVersion"),
        unschedulable(&obj),
        ready(&obj)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_names_cannot_leave_the_path() {
        assert!(valid_name("pool-general-3"));
        assert!(valid_name("ip-10-0-1-2.eu-west-1.compute.internal"));
        assert!(!valid_name(""));
        assert!(!valid_name("a/b"));
        assert!(!valid_name("a?dryRun=All"));
    }

    #[test]
    fn the_review_is_cluster_scoped() {
        let r = review("pool-general-3");
        assert!(r.namespace.is_empty() && r.group.is_empty());
        assert_eq!(r.describe(), "patch nodes pool-general-3");
    }
}
