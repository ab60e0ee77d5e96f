//! opsdeck's describe against `kubectl describe` on the same sim objects: the same headings
//! and values, line for line (ages aside), for a crashlooping pod, a deployment mid-rollout,
//! a NotReady node, a StatefulSet and an event (an HPA at its maximum is compared in
//! tests/kubectl_sim, which brings it there); and the previous container's log as `kubectl
//! logs --previous` prints it.

#[path = "common/describe_compare.rs"]
mod describe_compare;
#[path = "common/eventually.rs"]
mod eventually;
#[path = "common/sim_env.rs"]
mod sim_env;

use std::time::Duration;

use describe_compare::{has, ours, same_as_kubectl};
use opsdeck::k8s::{ObjectKind, ObjectRef};
use opsdeck::sim::{Scenario, SimOptions};
use sim_env::SimEnv as Env;

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
        context: Default::default(),
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
