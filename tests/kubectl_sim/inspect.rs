//! What `kubectl describe`, `rollout history` and the coordination verbs read from the sim:
//! StatefulSet history as ControllerRevisions, a lost node, an autoscaler at its max, Leases.

use std::io::Write;
use std::process::{Output, Stdio};

use super::describe_compare::{has, same_as_kubectl};
use super::sim_env::{SimEnv as Env, text};
use super::{eventually, row};
use opsdeck::k8s::{ObjectKind, ObjectRef};
use opsdeck::sim::{Scenario, SimOptions};

/// kubectl with `input` on its stdin (for `-f -`).
async fn kubectl_stdin(env: &Env, args: &[&str], input: String) -> Output {
    let mut cmd = env.command(args);
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    tokio::task::spawn_blocking(move || {
        let mut child = cmd.spawn().expect("kubectl runs");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
        child.wait_with_output().expect("kubectl output")
    })
    .await
    .expect("join")
}

/// The revision numbers `kubectl rollout history` lists.
fn revisions(history: &str) -> Vec<u32> {
    history
        .lines()
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .collect()
}

fn image_of(template: &str) -> &str {
    template
        .lines()
        .find_map(|l| l.trim().strip_prefix("Image:"))
        .map_or("", str::trim)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statefulset_history_is_its_controller_revisions() {
    let env = Env::start(SimOptions::default()).await;
    let resources = env.ok(&["api-resources", "--api-group=apps"]).await;
    assert!(resources.contains("controllerrevisions"), "{resources}");

    let crs = env.ok(&["get", "controllerrevisions"]).await;
    assert!(
        crs.starts_with("NAME") && crs.contains("CONTROLLER") && crs.contains("REVISION"),
        "{crs}"
    );
    let sts = env
        .ok(&[
            "get",
            "sts",
            "postgres",
            "-o",
            "jsonpath={.status.updateRevision}",
        ])
        .await;
    let current = row(&crs, &sts);
    assert!(
        current.contains("statefulset.apps/postgres") && current.contains(" 3 "),
        "{current}"
    );

    let history = env
        .ok(&[
            "rollout",
            "history",
            "statefulset/postgres",
            "-n",
            "contentgen",
        ])
        .await;
    assert!(
        history.starts_with("statefulset.apps/postgres"),
        "{history}"
    );
    assert_eq!(revisions(&history), vec![1, 2, 3], "{history}");
    for (rev, tag) in [("1", "16.2"), ("2", "16.3"), ("3", "16.4")] {
        let template = env
            .ok(&[
                "rollout",
                "history",
                "statefulset/postgres",
                "-n",
                "contentgen",
                &format!("--revision={rev}"),
            ])
            .await;
        assert!(
            template.contains(&format!("with revision #{rev}")),
            "{template}"
        );
        assert_eq!(
            image_of(&template),
            format!("docker.io/library/postgres:{tag}")
        );
    }

    // A new image is the next revision; undo to 2 renumbers 2 to the top.
    env.ok(&[
        "set",
        "image",
        "sts/postgres",
        "postgres=docker.io/library/postgres:16.5",
    ])
    .await;
    let history = env.ok(&["rollout", "history", "sts/postgres"]).await;
    assert_eq!(revisions(&history), vec![1, 2, 3, 4], "{history}");
    env.ok(&["rollout", "undo", "sts/postgres", "--to-revision=2"])
        .await;
    let history = env.ok(&["rollout", "history", "sts/postgres"]).await;
    assert_eq!(revisions(&history), vec![1, 3, 4, 5], "{history}");
    let top = env
        .ok(&["rollout", "history", "sts/postgres", "--revision=5"])
        .await;
    assert_eq!(image_of(&top), "docker.io/library/postgres:16.3");
    env.ok(&["rollout", "status", "sts/postgres", "--timeout=60s"])
        .await;
    let pod_image = env
        .ok(&[
            "get",
            "pod",
            "postgres-0",
            "-o",
            "jsonpath={.spec.containers[0].image}",
        ])
        .await;
    assert_eq!(pod_image, "docker.io/library/postgres:16.3");
    env.stop().await;
}

/// The lines of `kubectl describe node`'s Conditions block.
fn conditions(describe: &str) -> Vec<&str> {
    describe
        .lines()
        .skip_while(|l| !l.starts_with("Conditions:"))
        .skip(3)
        .take_while(|l| l.starts_with("  "))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_node_is_unknown_tainted_unreachable_and_its_lease_frozen() {
    let env = Env::start(SimOptions {
        scenario: Some(Scenario::NodeNotReady),
        ..Default::default()
    })
    .await;
    let ready = env.ok(&["describe", "node", "pool-general-1"]).await;
    assert!(ready.contains("HolderIdentity:  pool-general-1"), "{ready}");
    assert!(!ready.contains("Failed to get lease"), "{ready}");
    let describe = eventually(25, "pool-general-3 NotReady", || async {
        let d = env.ok(&["describe", "node", "pool-general-3"]).await;
        d.contains("NodeStatusUnknown").then_some(d)
    })
    .await;
    let conds = conditions(&describe);
    assert_eq!(conds.len(), 4, "{describe}");
    for (line, type_) in
        conds
            .iter()
            .zip(["MemoryPressure", "DiskPressure", "PIDPressure", "Ready"])
    {
        let words: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(&words[..2], [type_, "Unknown"], "{line}");
        assert!(
            line.contains("NodeStatusUnknown   Kubelet stopped posting node status."),
            "{line}"
        );
    }
    let taints: Vec<&str> = describe
        .lines()
        .skip_while(|l| !l.starts_with("Taints:"))
        .take(2)
        .collect();
    assert!(
        taints[0].ends_with("node.kubernetes.io/unreachable:NoExecute")
            && taints[1].trim() == "node.kubernetes.io/unreachable:NoSchedule",
        "{describe}"
    );
    assert!(
        describe.contains("Lease:\n  HolderIdentity:  pool-general-3\n  AcquireTime:     <unset>\n  RenewTime:       "),
        "{describe}"
    );
    assert!(
        row(&describe, "NodeNotReady").contains("node-controller"),
        "{describe}"
    );
    let uid = env
        .ok(&[
            "get",
            "node",
            "pool-general-3",
            "-o",
            "jsonpath={.metadata.uid}",
        ])
        .await;
    let involved = env
        .ok(&[
            "get",
            "events",
            "-n",
            "default",
            "--field-selector",
            "reason=NodeNotReady",
            "-o",
            "jsonpath={.items[*].involvedObject.uid}",
        ])
        .await;
    assert_eq!(involved, uid);

    // The lost kubelet renews no more; the others do, every 10 s.
    let renew = |node: &'static str| {
        let env = &env;
        async move {
            env.ok(&[
                "get",
                "lease",
                node,
                "-n",
                "kube-node-lease",
                "-o",
                "jsonpath={.spec.renewTime}",
            ])
            .await
        }
    };
    let (lost, fine) = (renew("pool-general-3").await, renew("pool-general-1").await);
    eventually(15, "pool-general-1 renewed", || async {
        (renew("pool-general-1").await != fine).then_some(())
    })
    .await;
    assert_eq!(renew("pool-general-3").await, lost);
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_autoscaler_at_its_max_says_too_many_replicas() {
    let env = Env::start(SimOptions {
        scenario: Some(Scenario::QueueBacklog),
        ..Default::default()
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
    // The backlog outgrows 4 workers' worth (4 x 30, past the 10% tolerance) by the 60 s sync.
    let describe = eventually(90, "ScalingLimited True", || async {
        let d = env.ok(&["describe", "hpa", "article-generator"]).await;
        d.contains("TooManyReplicas").then_some(d)
    })
    .await;
    let limited = row(&describe, "ScalingLimited");
    assert!(
        limited.contains("True")
            && limited.contains("the desired replica count is more than the maximum replica count"),
        "{describe}"
    );
    assert!(
        row(&describe, "AbleToScale").contains("ReadyForNewScale"),
        "{describe}"
    );
    assert!(
        row(&describe, "ScalingActive")
            .contains("calculate a replica count from external metric celery_queue_length"),
        "{describe}"
    );
    assert!(row(&describe, "Max replicas").ends_with(" 4"), "{describe}");
    assert!(
        row(&describe, "Deployment pods").ends_with("4 current / 4 desired"),
        "{describe}"
    );
    assert!(
        !describe.contains("SuccessfulRescale"),
        "held at max: {describe}"
    );
    // opsdeck's describe of it reads like kubectl's.
    let hpa = ObjectRef::namespaced(ObjectKind::Hpa, "contentgen", "article-generator");
    let ours = same_as_kubectl(&env, &hpa).await;
    assert!(has(&ours, "Max replicas: 4"), "{}", ours.join("\n"));
    assert!(has(&ours, "TooManyReplicas"), "{}", ours.join("\n"));
    let replicas = env
        .ok(&[
            "get",
            "deploy",
            "article-generator",
            "-o",
            "jsonpath={.spec.replicas}",
        ])
        .await;
    assert_eq!(replicas, "4");

    // Below the count, the controller scales down to the max and records why.
    env.ok(&[
        "patch",
        "hpa",
        "article-generator",
        "--type",
        "merge",
        "-p",
        r#"{"spec":{"maxReplicas":3}}"#,
    ])
    .await;
    let event = eventually(30, "a SuccessfulRescale event", || async {
        let d = env.ok(&["describe", "hpa", "article-generator"]).await;
        d.lines()
            .find(|l| l.contains("SuccessfulRescale"))
            .map(str::to_string)
    })
    .await;
    assert!(
        event.contains("horizontal-pod-autoscaler")
            && event.ends_with(
                "New size: 3; reason: Current number of replicas above Spec.MaxReplicas"
            ),
        "{event}"
    );
    let refused = env
        .kubectl(&[
            "patch",
            "hpa",
            "article-generator",
            "--type",
            "merge",
            "-p",
            r#"{"spec":{"minReplicas":5}}"#,
        ])
        .await;
    assert!(
        text(&refused).contains(
            "spec.maxReplicas: Invalid value: 3: must be greater than or equal to `minReplicas`"
        ),
        "{}",
        text(&refused)
    );
    env.stop().await;
}

const LOCK: &str = "apiVersion: coordination.k8s.io/v1
kind: Lease
metadata:
  name: opsdeck-lock
  namespace: contentgen
spec:
  holderIdentity: HOLDER
  leaseDurationSeconds: 30
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leases_are_created_applied_and_a_stale_update_conflicts() {
    let env = Env::start(SimOptions::default()).await;
    let lock = |holder: &str| LOCK.replace("HOLDER", holder);
    let created = kubectl_stdin(&env, &["create", "-f", "-"], lock("alice")).await;
    assert!(
        text(&created).contains("lease.coordination.k8s.io/opsdeck-lock created"),
        "{}",
        text(&created)
    );
    let again = kubectl_stdin(&env, &["create", "-f", "-"], lock("alice")).await;
    assert!(
        text(&again).contains(r#"leases.coordination.k8s.io "opsdeck-lock" already exists"#),
        "{}",
        text(&again)
    );
    let read = env
        .ok(&["get", "lease", "opsdeck-lock", "-o", "yaml"])
        .await;
    let rv = env
        .ok(&[
            "get",
            "lease",
            "opsdeck-lock",
            "-o",
            "jsonpath={.metadata.resourceVersion}",
        ])
        .await;

    let applied = kubectl_stdin(&env, &["apply", "-f", "-"], lock("bob")).await;
    assert!(applied.status.success(), "{}", text(&applied));
    assert!(
        text(&applied).contains("opsdeck-lock configured"),
        "{}",
        text(&applied)
    );
    let holder = || async {
        env.ok(&[
            "get",
            "lease",
            "opsdeck-lock",
            "-o",
            "jsonpath={.spec.holderIdentity}",
        ])
        .await
    };
    assert_eq!(holder().await, "bob");

    // An update carrying the resourceVersion read before bob's apply loses the race.
    let stale = read.replace("holderIdentity: alice", "holderIdentity: carol");
    assert!(
        stale.contains(&format!("resourceVersion: \"{rv}\"")),
        "{stale}"
    );
    let conflict = kubectl_stdin(&env, &["replace", "-f", "-"], stale).await;
    assert!(!conflict.status.success());
    assert!(
        text(&conflict).contains(
            r#"Error from server (Conflict): error when replacing "STDIN": Operation cannot be fulfilled on leases.coordination.k8s.io "opsdeck-lock": the object has been modified; please apply your changes to the latest version and try again"#
        ),
        "{}",
        text(&conflict)
    );
    assert_eq!(holder().await, "bob");

    let leases = env.ok(&["get", "leases"]).await;
    assert!(row(&leases, "opsdeck-lock").contains("bob"), "{leases}");
    env.ok(&["delete", "lease", "opsdeck-lock"]).await;
    let nodes = env.ok(&["get", "leases", "-n", "kube-node-lease"]).await;
    assert_eq!(
        nodes
            .lines()
            .filter(|l| l.starts_with("pool-general-"))
            .count(),
        4
    );
    env.stop().await;
}
