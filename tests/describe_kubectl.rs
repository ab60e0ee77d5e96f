//! opsdeck's describe against `kubectl describe` on the same sim objects: the same headings
//! and values, line for line (ages aside), for a crashlooping pod, a deployment mid-rollout,
//! a NotReady node, an HPA at max, a StatefulSet and an event; and the previous container's
//! log as `kubectl logs --previous` prints it.

#[path = "common/eventually.rs"]
mod eventually;
#[path = "common/sim_env.rs"]
mod sim_env;

use std::time::Duration;

use opsdeck::k8s::{ObjectKind, ObjectRef};
use opsdeck::sim::{Scenario, SimOptions};
use sim_env::SimEnv as Env;

/// An age as kubectl prints it ("45s", "5m30s", "2d5h"), alone or as "(x5 over 26s)".
fn is_age(word: &str) -> bool {
    let w = word.trim_end_matches(')');
    !w.is_empty()
        && w.chars().next().is_some_and(|c| c.is_ascii_digit())
        && w.chars().all(|c| c.is_ascii_digit() || "smhdy".contains(c))
        && w.chars().last().is_some_and(|c| "smhdy".contains(c))
}

/// Whitespace collapsed and ages replaced: what must be equal.
fn normalize(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .map(|l| {
            l.split_whitespace()
                .map(|w| if is_age(w) { "AGE" } else { w })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .filter(|l| !l.is_empty())
        .collect()
}

/// opsdeck's own section (kubectl keeps revisions for `rollout history`), left out to compare.
fn without_revisions(lines: &[String]) -> Vec<String> {
    let mut out = vec![];
    let mut skipping = false;
    for l in lines {
        if l.starts_with("Revisions:") {
            skipping = true;
            continue;
        }
        if skipping && l.starts_with(' ') {
            continue;
        }
        skipping = false;
        out.push(l.clone());
    }
    out
}

async fn ours(env: &Env, object: &ObjectRef) -> Vec<String> {
    let client = env.client().await;
    opsdeck::inspect::source::render(&client, object)
        .await
        .unwrap_or_else(|e| panic!("describe {}: {e}", object.label()))
        .describe
}

async fn kubectl(env: &Env, object: &ObjectRef) -> Vec<String> {
    let mut args = vec!["describe", object.kind.word(), &object.name];
    if let Some(ns) = &object.namespace {
        args.extend(["-n", ns]);
    }
    env.ok(&args).await.lines().map(str::to_string).collect()
}

/// Both describes, read back to back until they agree (a crashlooping pod changes between
/// two reads); panics with both texts when they never do.
async fn same_as_kubectl(env: &Env, object: &ObjectRef) -> Vec<String> {
    let mut last = (vec![], vec![]);
    for _ in 0..5 {
        let theirs = kubectl(env, object).await;
        let mine = ours(env, object).await;
        let (a, b) = (normalize(&without_revisions(&mine)), normalize(&theirs));
        if a == b {
            return mine;
        }
        last = (mine, theirs);
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let (mine, theirs) = last;
    let (a, b) = (normalize(&without_revisions(&mine)), normalize(&theirs));
    let first = a
        .iter()
        .zip(&b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()));
    panic!(
        "describe {} differs from kubectl's at line {first}:\n  opsdeck: {:?}\n  kubectl: {:?}\n--- opsdeck\n{}\n--- kubectl\n{}",
        object.label(),
        a.get(first),
        b.get(first),
        mine.join("\n"),
        theirs.join("\n")
    );
}

fn has(lines: &[String], needle: &str) -> bool {
    normalize(lines).iter().any(|l| l.contains(needle))
}

async fn first_pod(env: &Env, prefix: &str, ready: impl Fn(&serde_json::Value) -> bool) -> String {
    eventually::eventually(40, "a pod that was OOMKilled", || async {
        let pods = env.json(&["get", "pods", "-n", "contentgen"]).await;
        pods["items"]
            .as_array()?
            .iter()
            .find(|p| {
                p["metadata"]["name"]
                    .as_str()
                    .is_some_and(|n| n.starts_with(prefix))
                    && ready(p)
            })
            .and_then(|p| p["metadata"]["name"].as_str().map(str::to_string))
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashlooping_pod_reads_like_kubectl_with_its_last_termination() {
    let env = Env::start(SimOptions {
        scenario: Some(Scenario::Crashloop),
        ..SimOptions::default()
    })
    .await;
    let pod = first_pod(&env, "fact-checker-", |p| {
        p["status"]["containerStatuses"][0]["lastState"]["terminated"]["reason"] == "OOMKilled"
    })
    .await;
    let object = ObjectRef::namespaced(ObjectKind::Pod, "contentgen", &pod);
    let text = same_as_kubectl(&env, &object).await;
    for needle in [
        "Last State: Terminated",
        "Reason: OOMKilled",
        "Exit Code: 137",
        "QoS Class: Burstable",
        "Warning BackOff",
    ] {
        assert!(has(&text, needle), "{needle:?} in\n{}", text.join("\n"));
    }
    // The previous container's log, as kubectl prints it.
    let theirs = env
        .ok(&["logs", "-n", "contentgen", &pod, "--previous"])
        .await;
    let client = env.client().await;
    let ours = previous_log(&client, &pod).await;
    assert!(!ours.is_empty());
    assert_eq!(ours.join("\n"), theirs.trim_end(), "previous log");
    env.stop().await;
}

/// The previous container's log through the console's log task.
async fn previous_log(client: &kube::Client, pod: &str) -> Vec<String> {
    use opsdeck::cluster::logs::{LogEvent, LogMsg, spawn_log_follow};
    let (tx, mut rx) = tokio::sync::mpsc::channel::<LogMsg>(16);
    let token = tokio_util::sync::CancellationToken::new();
    let target = opsdeck::ui::pane::LogTarget {
        namespace: "contentgen".into(),
        pod: pod.into(),
        container: None,
        previous: true,
    };
    spawn_log_follow(client.clone(), target, 1, tx, token.clone());
    let mut lines = vec![];
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .expect("the previous log arrives")
            .expect("channel open");
        match msg.event {
            LogEvent::Lines(l) => lines.extend(l),
            LogEvent::Ended => break,
            LogEvent::Failed { reason, .. } => panic!("previous log failed: {reason}"),
        }
    }
    token.cancel();
    lines
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deployment_mid_rollout_reads_like_kubectl_with_its_revisions() {
    let env = Env::start(SimOptions {
        scenario: Some(Scenario::BadRollout),
        ..SimOptions::default()
    })
    .await;
    let object = ObjectRef::namespaced(ObjectKind::Deployment, "contentgen", "api");
    let text = same_as_kubectl(&env, &object).await;
    assert!(has(&text, "NewReplicaSet:"), "{}", text.join("\n"));
    let revisions: Vec<&String> = text
        .iter()
        .skip_while(|l| !l.starts_with("Revisions:"))
        .skip(3)
        .take_while(|l| l.starts_with(' '))
        .collect();
    assert!(revisions.len() >= 2, "{}", text.join("\n"));
    assert!(
        revisions.last().is_some_and(|r| r.contains("(current)")),
        "the newest revision is current: {revisions:?}"
    );
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notready_node_a_statefulset_and_an_event_read_like_kubectl() {
    let env = Env::start(SimOptions {
        scenario: Some(Scenario::NodeNotReady),
        ..SimOptions::default()
    })
    .await;
    let sts = ObjectRef::namespaced(ObjectKind::StatefulSet, "contentgen", "postgres");
    let text = same_as_kubectl(&env, &sts).await;
    assert!(has(&text, "Pods Status: 1 Running"), "{}", text.join("\n"));

    let node = eventually::eventually(40, "a NotReady node", || async {
        let nodes = env.json(&["get", "nodes"]).await;
        nodes["items"].as_array()?.iter().find_map(|n| {
            let ready = n["status"]["conditions"]
                .as_array()?
                .iter()
                .find(|c| c["type"] == "Ready")?;
            (ready["status"] != "True")
                .then(|| n["metadata"]["name"].as_str().map(str::to_string))?
        })
    })
    .await;
    let text = same_as_kubectl(&env, &ObjectRef::node(&node)).await;
    assert!(has(&text, "Non-terminated Pods:"), "{}", text.join("\n"));

    let events = env.json(&["get", "events", "-n", "contentgen"]).await;
    let name = events["items"][0]["metadata"]["name"]
        .as_str()
        .expect("an event")
        .to_string();
    let event = ObjectRef::namespaced(ObjectKind::Event, "contentgen", &name);
    same_as_kubectl(&env, &event).await;
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_leave_to_list_events_or_replicasets_the_describe_still_shows_and_says_so() {
    let env = Env::start(SimOptions {
        forbidden: vec!["events".into(), "replicasets".into()],
        ..SimOptions::default()
    })
    .await;
    let object = ObjectRef::namespaced(ObjectKind::Deployment, "contentgen", "api");
    let text = ours(&env, &object).await;
    let events = text
        .iter()
        .find(|l| l.starts_with("Events:"))
        .expect("an Events line");
    assert!(events.contains("<unknown: events is forbidden"), "{events}");
    let revisions = text
        .iter()
        .find(|l| l.starts_with("Revisions:"))
        .expect("a Revisions line");
    assert!(
        revisions.contains("replicasets.apps is forbidden"),
        "{revisions}"
    );
    assert!(has(&text, "Replicas: 3 desired"), "{}", text.join("\n"));
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_hpa_at_its_maximum_reads_like_kubectl() {
    let env = Env::start(SimOptions {
        scenario: Some(Scenario::QueueBacklog),
        ..SimOptions::default()
    })
    .await;
    env.ok(&[
        "patch",
        "hpa",
        "article-generator",
        "-n",
        "contentgen",
        "--type",
        "merge",
        "-p",
        r#"{"spec":{"maxReplicas":4}}"#,
    ])
    .await;
    // The backlog outgrows 4 workers' worth by the controller's sync: limited at the maximum.
    eventually::eventually(90, "the HPA limited at its maximum", || async {
        let hpa = env
            .json(&["get", "hpa", "-n", "contentgen", "article-generator"])
            .await;
        hpa["status"]["conditions"]
            .as_array()?
            .iter()
            .any(|c| c["type"] == "ScalingLimited" && c["status"] == "True")
            .then_some(())
    })
    .await;
    let object = ObjectRef::namespaced(ObjectKind::Hpa, "contentgen", "article-generator");
    let text = same_as_kubectl(&env, &object).await;
    assert!(has(&text, "Max replicas: 4"), "{}", text.join("\n"));
    assert!(has(&text, "TooManyReplicas"), "{}", text.join("\n"));
    env.stop().await;
}
