//! The executor against the simulated platform, cross-checked with the real kubectl: scale,
//! restart, rollback (against `kubectl rollout undo` on an identical world), no-op rollback,
//! paused refusal, stale preconditions, denied permission and read-only mode.

#[path = "common/offline_kube.rs"]
mod offline_kube;
#[path = "common/sim_env.rs"]
mod sim_env;

use std::time::Duration;

use opsdeck::actions::executor::{Executor, ExecutorConfig};
use opsdeck::actions::{ActionError, Progress};
use opsdeck::actions::{ActionRequest, audit};
use opsdeck::sim::SimOptions;
use serde_json::Value;
use sim_env::SimEnv;
use tokio::sync::mpsc;

fn exec_config(dir: &std::path::Path, url: String, readonly: bool) -> ExecutorConfig {
    ExecutorConfig {
        context: "opsdeck-sim".into(),
        cluster_url: url,
        user: "sim-admin".into(),
        readonly,
        production: false,
        platform_url: None,
        audit_path: dir.join("audit.jsonl"),
        verify_timeout: Duration::from_secs(60),
        operator: "sim-operator".into(),
        lock_namespace: None,
    }
}

/// The sim (with kubectl beside it) and an executor writing its own audit log.
struct Env {
    env: SimEnv,
    ex: Executor,
}

impl std::ops::Deref for Env {
    type Target = SimEnv;
    fn deref(&self) -> &SimEnv {
        &self.env
    }
}

impl Env {
    async fn start(opts: SimOptions) -> Env {
        let env = SimEnv::start(opts).await;
        let config = exec_config(&env.dir, env.sim.url(), false);
        let ex = Executor::new(env.client().await, config).expect("executor");
        Env { env, ex }
    }

    /// An executor with other settings on the same sim and audit log.
    async fn executor(&self, config: ExecutorConfig) -> Executor {
        Executor::new(self.client().await, config).expect("executor")
    }

    /// Plans and executes with the plan's own phrase, collecting progress.
    async fn act(&self, request: ActionRequest) -> (opsdeck::actions::plan::Plan, Vec<Progress>) {
        let plan = self.ex.plan(&request).await.expect("plan");
        let (tx, mut rx) = mpsc::channel(256);
        let outcome = self
            .ex
            .execute(&plan, &plan.confirm_phrase, &tx)
            .await
            .expect("execute");
        assert!(outcome.ok, "{outcome:?}");
        drop(tx);
        let mut seen = vec![];
        while let Some(p) = rx.recv().await {
            seen.push(p);
        }
        (plan, seen)
    }

    /// Until a fact-checker pod of the crashloop scenario's bad revision is crashing.
    async fn wait_for_crashloop(&self) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            let pods = self.ok(&["-n", "contentgen", "get", "pods"]).await;
            if pods
                .lines()
                .any(|l| l.starts_with("fact-checker-") && l.contains("CrashLoopBackOff"))
            {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no crashloop appeared:\n{pods}"
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    async fn deploy(&self, name: &str) -> Value {
        self.json(&["-n", "contentgen", "get", "deploy", name])
            .await
    }

    async fn history(&self, name: &str) -> Vec<i64> {
        let deploy = format!("deploy/{name}");
        revisions(
            &self
                .ok(&["-n", "contentgen", "rollout", "history", &deploy])
                .await,
        )
    }

    /// `kubectl rollout VERB deploy/NAME`, then waits for `rollout status`.
    async fn rollout(&self, verb: &str, name: &str) {
        let deploy = format!("deploy/{name}");
        self.ok(&["-n", "contentgen", "rollout", verb, &deploy])
            .await;
        self.ok(&[
            "-n",
            "contentgen",
            "rollout",
            "status",
            &deploy,
            "--timeout=60s",
        ])
        .await;
    }

    async fn stop(self) {
        self.env.stop().await;
    }
}

fn req(words: &[&str]) -> ActionRequest {
    ActionRequest::parse(words, "contentgen").expect("request parses")
}

/// REVISION numbers as `kubectl rollout history` prints them.
fn revisions(history: &str) -> Vec<i64> {
    history
        .lines()
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scale_is_seen_by_kubectl_and_warns_about_the_hpa() {
    let env = Env::start(SimOptions::default()).await;
    let (plan, progress) = env.act(req(&["scale", "api", "5"])).await;
    assert_eq!(plan.target, "deployment contentgen/api");
    assert_eq!(
        (
            plan.changes[0].before.as_str(),
            plan.changes[0].after.as_str()
        ),
        ("3", "5")
    );
    assert!(
        plan.calls[0]
            .path
            .ends_with("/deployments/api/scale?fieldManager=opsdeck")
    );
    assert_eq!(plan.calls[0].content_type, "application/merge-patch+json");
    assert!(
        plan.warnings
            .iter()
            .any(|w| w.contains("HPA contentgen/") && w.contains("min 2, max 6")),
        "{:?}",
        plan.warnings
    );
    assert!(
        plan.dry_run
            .as_deref()
            .is_some_and(|d| d.contains("accepted"))
    );
    assert!(!plan.destructive && plan.confirm_phrase == "y");
    assert!(
        progress
            .iter()
            .any(|p| matches!(p, Progress::Requested { status: 200 }))
    );
    assert!(progress.iter().any(|p| matches!(
        p,
        Progress::Rollout {
            desired: 5,
            ready: 5,
            ..
        }
    )));
    let d = env
        .json(&["-n", "contentgen", "get", "deploy", "api"])
        .await;
    assert_eq!(d["spec"]["replicas"], 5);
    let table = env.ok(&["-n", "contentgen", "get", "deploy", "api"]).await;
    assert!(table.contains("5/5"), "{table}");
    // Every step is on record, chained, with the API server's Audit-ID.
    let report = audit::verify(&env.dir.join("audit.jsonl")).expect("audit verifies");
    assert_eq!((report.entries, report.unfinished.len()), (3, 0));
    let text = std::fs::read_to_string(env.dir.join("audit.jsonl")).expect("audit log");
    let result: Value =
        serde_json::from_str(text.lines().nth(1).expect("result line")).expect("json");
    assert_eq!(result["phase"], "result");
    assert_eq!(result["http_status"], 200);
    assert!(
        result["audit_id"].as_str().is_some_and(|a| a.len() == 36),
        "{result}"
    );
    assert_eq!(result["kube_user"], "sim-admin");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scale_to_zero_is_destructive_and_wants_the_name() {
    let env = Env::start(SimOptions::default()).await;
    let plan = env
        .ex
        .plan(&req(&["scale", "scheduler", "0"]))
        .await
        .expect("plan");
    assert!(plan.destructive);
    assert_eq!(plan.confirm_phrase, "scheduler");
    let (tx, _rx) = mpsc::channel(16);
    let err = env
        .ex
        .execute(&plan, "y", &tx)
        .await
        .expect_err("y is not enough");
    assert!(matches!(err, ActionError::Confirmation(_)), "{err}");
    let d = env
        .json(&["-n", "contentgen", "get", "deploy", "scheduler"])
        .await;
    assert_eq!(d["spec"]["replicas"], 1);
    env.stop().await;
}

/// The template as kubectl shows it, without the fields that differ between two worlds.
fn template_of(deploy: &Value) -> Value {
    deploy["spec"]["template"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_then_rollback_matches_kubectl_rollout_undo() {
    let ours = Env::start(SimOptions::default()).await;
    let theirs = Env::start(SimOptions::default()).await;
    let d0 = ours.deploy("topic-analyzer").await;

    // opsdeck restart: a new revision appears in kubectl's history.
    let (plan, _) = ours.act(req(&["restart", "topic-analyzer"])).await;
    let body: Value = serde_json::from_str(&plan.calls[0].body).expect("patch body");
    let annotations = &body["spec"]["template"]["metadata"]["annotations"];
    assert!(annotations["kubectl.kubernetes.io/restartedAt"].is_string());
    assert!(
        plan.warnings.iter().any(|w| w.contains("replaces 1 pod")),
        "{:?}",
        plan.warnings
    );
    assert_eq!(ours.history("topic-analyzer").await, vec![1, 2, 3, 4]);

    // opsdeck rollback, against kubectl's restart + undo on an identical world.
    let (plan, _) = ours.act(req(&["rollback", "topic-analyzer"])).await;
    assert!(plan.destructive && plan.confirm_phrase == "topic-analyzer");
    let first = &plan.changes[0];
    assert_eq!(
        (
            first.what.as_str(),
            first.before.as_str(),
            first.after.as_str()
        ),
        ("revision", "4", "3")
    );
    assert_eq!(plan.calls[0].content_type, "application/json-patch+json");
    theirs.rollout("restart", "topic-analyzer").await;
    theirs.rollout("undo", "topic-analyzer").await;

    let (a, b) = (
        ours.deploy("topic-analyzer").await,
        theirs.deploy("topic-analyzer").await,
    );
    assert_eq!(template_of(&a), template_of(&b));
    assert_eq!(
        template_of(&a),
        template_of(&d0),
        "back to the template before the restart"
    );
    let rev = |d: &Value| d["metadata"]["annotations"]["deployment.kubernetes.io/revision"].clone();
    assert_eq!(rev(&a), rev(&b));
    let (ha, hb) = (
        ours.history("topic-analyzer").await,
        theirs.history("topic-analyzer").await,
    );
    assert_eq!(ha, hb);
    assert_eq!(ha, vec![1, 2, 4, 5]);
    ours.stop().await;
    theirs.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollback_to_the_current_template_is_a_noop_and_bad_revisions_are_refused() {
    let env = Env::start(SimOptions::default()).await;
    let plan = env
        .ex
        .plan(&req(&["rollback", "publisher", "--to-revision", "3"]))
        .await
        .expect("plan");
    assert_eq!(
        plan.noop.as_deref(),
        Some("skipped rollback (current template already matches revision 3)")
    );
    assert!(plan.calls.is_empty() && plan.dry_run.is_none());
    let (tx, _rx) = mpsc::channel(16);
    let out = env
        .ex
        .execute(&plan, &plan.confirm_phrase, &tx)
        .await
        .expect("noop runs");
    assert!(out.summary.contains("nothing to do"));
    let err = env
        .ex
        .plan(&req(&["rollback", "publisher", "--to-revision", "9"]))
        .await
        .expect_err("no revision 9");
    assert!(
        err.to_string()
            .contains("unable to find specified revision 9"),
        "{err}"
    );
    let history = env
        .ok(&["-n", "contentgen", "rollout", "history", "deploy/publisher"])
        .await;
    assert_eq!(revisions(&history), vec![1, 2, 3]);
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_deployment_refuses_restart_and_rollback_until_resumed() {
    let env = Env::start(SimOptions::default()).await;
    let (plan, _) = env.act(req(&["pause-rollout", "scheduler"])).await;
    assert!(plan.calls[0].body.contains("\"paused\":true"));
    let d = env
        .json(&["-n", "contentgen", "get", "deploy", "scheduler"])
        .await;
    assert_eq!(d["spec"]["paused"], true);
    let err = env
        .ex
        .plan(&req(&["restart", "scheduler"]))
        .await
        .expect_err("paused");
    assert!(
        matches!(err, ActionError::Refused(_)) && err.to_string().contains("paused"),
        "{err}"
    );
    let err = env
        .ex
        .plan(&req(&["rollback", "scheduler"]))
        .await
        .expect_err("paused");
    assert!(
        err.to_string()
            .contains("cannot rollback a paused deployment"),
        "{err}"
    );
    env.act(req(&["resume-rollout", "scheduler"])).await;
    let d = env
        .json(&["-n", "contentgen", "get", "deploy", "scheduler"])
        .await;
    assert_ne!(d["spec"]["paused"], true);
    env.ex
        .plan(&req(&["restart", "scheduler"]))
        .await
        .expect("resumed: restart plans");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_between_plan_and_execute_stops_with_the_current_state() {
    let env = Env::start(SimOptions::default()).await;
    let plan = env
        .ex
        .plan(&req(&["scale", "publisher", "3"]))
        .await
        .expect("plan");
    assert!(plan.precondition.is_some());
    env.ok(&[
        "-n",
        "contentgen",
        "scale",
        "deploy/publisher",
        "--replicas=4",
    ])
    .await;
    let (tx, _rx) = mpsc::channel(16);
    let err = env.ex.execute(&plan, "y", &tx).await.expect_err("stale");
    let ActionError::Conflict { message, current } = &err else {
        panic!("expected Conflict, got {err}");
    };
    assert!(message.contains("changed since the plan"), "{message}");
    assert!(current.contains("replicas 4"), "{current}");
    let d = env
        .json(&["-n", "contentgen", "get", "deploy", "publisher"])
        .await;
    assert_eq!(d["spec"]["replicas"], 4, "the stale plan did not act");

    // The same for a restart: the object's resourceVersion is the precondition of the patch.
    let plan = env
        .ex
        .plan(&req(&["restart", "publisher"]))
        .await
        .expect("plan");
    env.ok(&[
        "-n",
        "contentgen",
        "annotate",
        "deploy/publisher",
        "team=content",
    ])
    .await;
    let err = env.ex.execute(&plan, "y", &tx).await.expect_err("stale");
    assert!(matches!(err, ActionError::Conflict { .. }), "{err}");
    let history = env
        .ok(&["-n", "contentgen", "rollout", "history", "deploy/publisher"])
        .await;
    assert_eq!(revisions(&history), vec![1, 2, 3], "no restart happened");
    let report = audit::verify(&env.dir.join("audit.jsonl")).expect("verifies");
    assert_eq!(report.entries, 4, "two intents, two conflict results");
    assert!(report.unfinished.is_empty());
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_denied_action_is_refused_before_any_request() {
    let env = Env::start(SimOptions {
        forbidden: vec!["deployments".into()],
        ..SimOptions::default()
    })
    .await;
    let before = env
        .ok(&["-n", "contentgen", "get", "rs", "-o", "name"])
        .await;
    let err = env
        .ex
        .plan(&req(&["restart", "api"]))
        .await
        .expect_err("denied");
    let ActionError::Forbidden(why) = &err else {
        panic!("expected Forbidden, got {err}");
    };
    assert!(
        why.contains("sim-admin may not patch deployments (apps) contentgen/api"),
        "{why}"
    );
    let err = env
        .ex
        .plan(&req(&["scale", "api", "5"]))
        .await
        .expect_err("denied");
    assert!(err.to_string().contains("patch deployments/scale"), "{err}");
    let after = env
        .ok(&["-n", "contentgen", "get", "rs", "-o", "name"])
        .await;
    assert_eq!(before, after, "no new ReplicaSet: nothing was patched");
    assert!(
        !env.dir.join("audit.jsonl").exists(),
        "nothing to audit: nothing was attempted"
    );
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_is_refused_and_no_mutating_request_reaches_the_server() {
    let env = SimEnv::start(SimOptions::default()).await;
    let client =
        opsdeck::cluster::connect::client_from_yaml(&env.sim.kubeconfig_yaml_for("viewer"))
            .await
            .expect("viewer client");
    let mut settings = exec_config(&env.dir, env.sim.url(), false);
    settings.user = "viewer".into();
    let ex = Executor::new(client, settings).expect("executor");
    for words in [
        &["scale", "api", "5"][..],
        &["restart", "api"],
        &["rollback", "api"],
    ] {
        let err = ex.plan(&req(words)).await.expect_err("denied");
        assert!(matches!(err, ActionError::Forbidden(_)), "{words:?}: {err}");
        assert!(
            err.to_string().contains("viewer"),
            "says who is denied: {err}"
        );
    }
    let mutating: Vec<_> = env
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.is_mutating())
        .collect();
    assert!(
        mutating.is_empty(),
        "mutating requests reached the server: {mutating:?}"
    );
    assert!(
        env.sim
            .requests()
            .iter()
            .any(|r| r.path.ends_with("/selfsubjectaccessreviews") && r.user == "viewer"),
        "the denial came from an access review"
    );
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readonly_refuses_before_any_request() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = std::env::temp_dir().join(format!("opsdeck-actions-ro-{}", std::process::id()));
    let client = offline_kube::client().await;
    let ex =
        Executor::new(client, exec_config(&dir, offline_kube::URL.into(), true)).expect("executor");
    for words in [
        &["scale", "api", "5"][..],
        &["restart", "api"],
        &["pause-generation"],
    ] {
        let err = ex.plan(&req(words)).await.expect_err("readonly");
        assert!(matches!(err, ActionError::Readonly(_)), "{words:?}: {err}");
        assert!(err.to_string().contains("read-only"), "{err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollout_that_never_completes_fails_verification_naming_the_pods() {
    let env = Env::start(SimOptions {
        scenario: Some(opsdeck::sim::Scenario::Crashloop),
        ..SimOptions::default()
    })
    .await;
    env.wait_for_crashloop().await;
    let mut config = exec_config(&env.dir, env.sim.url(), false);
    config.verify_timeout = Duration::from_secs(10);
    let ex = env.executor(config).await;
    let plan = ex
        .plan(&req(&["restart", "fact-checker"]))
        .await
        .expect("plan");
    let (tx, mut rx) = mpsc::channel(256);
    let err = ex
        .execute(&plan, "y", &tx)
        .await
        .expect_err("never completes");
    let ActionError::Verify(why) = &err else {
        panic!("expected Verify, got {err}");
    };
    assert!(
        why.contains("deployment contentgen/fact-checker not done after 10s"),
        "{why}"
    );
    assert!(why.contains("pod fact-checker-"), "{why}");
    assert!(
        why.contains("CrashLoopBackOff") || why.contains("OOMKilled"),
        "{why}"
    );
    drop(tx);
    let mut rollout = 0;
    while let Some(p) = rx.recv().await {
        rollout += usize::from(matches!(p, Progress::Rollout { .. }));
    }
    assert!(rollout >= 1, "progress was reported");
    let text = std::fs::read_to_string(env.dir.join("audit.jsonl")).expect("log");
    let last: Value = serde_json::from_str(text.lines().last().expect("line")).expect("json");
    assert_eq!(
        (last["phase"].as_str(), last["outcome"].as_str()),
        (Some("verify"), Some("failed"))
    );
    assert!(
        last["verification"]
            .as_str()
            .is_some_and(|v| v.contains("not done after 10s"))
    );
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cordon_and_uncordon_a_node_as_kubectl_does() {
    let env = Env::start(SimOptions::default()).await;
    let (plan, seen) = env.act(req(&["cordon", "pool-general-3"])).await;
    assert_eq!(plan.target, "node pool-general-3");
    assert_eq!(plan.confirm_phrase, "y", "cordon is reversible");
    assert!(!plan.destructive);
    assert!(plan.precondition.is_some(), "the node's resourceVersion");
    assert_eq!(plan.changes[0].what, "spec.unschedulable");
    assert_eq!(
        (
            plan.changes[0].before.as_str(),
            plan.changes[0].after.as_str()
        ),
        ("false", "true")
    );
    let call = &plan.calls[0];
    assert_eq!(call.method, "PATCH");
    assert_eq!(
        call.path,
        "/api/v1/nodes/pool-general-3?fieldManager=opsdeck"
    );
    assert_eq!(call.content_type, "application/strategic-merge-patch+json");
    assert_eq!(call.body, r#"{"spec":{"unschedulable":true}}"#);
    assert!(
        plan.warnings.iter().any(
            |w| w.contains("pod(s) run on node pool-general-3") && w.contains("does not evict")
        ),
        "{:?}",
        plan.warnings
    );
    assert!(
        plan.dry_run
            .as_deref()
            .is_some_and(|d| d.contains("accepted")),
        "{:?}",
        plan.dry_run
    );
    assert!(
        plan.permission
            .checks
            .iter()
            .any(|c| c == "patch nodes pool-general-3")
    );
    assert!(seen.contains(&Progress::Requested { status: 200 }));
    let row = env.ok(&["get", "node", "pool-general-3"]).await;
    assert!(row.contains("SchedulingDisabled"), "{row}");
    let dry = env
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "PATCH" && r.path == "/api/v1/nodes/pool-general-3")
        .collect::<Vec<_>>();
    assert_eq!(dry.len(), 2, "one dry run, one patch: {dry:?}");
    assert!(dry[0].query.contains("dryRun=All"), "{dry:?}");

    // Cordoning again changes nothing and sends nothing.
    let again = env
        .ex
        .plan(&req(&["cordon", "pool-general-3"]))
        .await
        .expect("plan");
    assert_eq!(
        again.noop.as_deref(),
        Some("node pool-general-3 is already cordoned")
    );
    assert!(again.calls.is_empty() && again.dry_run.is_none());

    let (plan, _) = env.act(req(&["uncordon", "pool-general-3"])).await;
    assert_eq!(plan.calls[0].body, r#"{"spec":{"unschedulable":null}}"#);
    let row = env.ok(&["get", "node", "pool-general-3"]).await;
    assert!(!row.contains("SchedulingDisabled"), "{row}");
    let node = env.json(&["get", "node", "pool-general-3"]).await;
    assert_eq!(node["spec"]["unschedulable"], Value::Null);

    let report = audit::verify(&env.dir.join("audit.jsonl")).expect("verifies");
    assert_eq!(report.entries, 6, "intent, result, verify for each");
    assert!(report.unfinished.is_empty());
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cordon_of_an_unknown_node_is_not_found() {
    let env = Env::start(SimOptions::default()).await;
    let err = env
        .ex
        .plan(&req(&["cordon", "pool-general-9"]))
        .await
        .expect_err("no such node");
    let ActionError::NotFound(why) = &err else {
        panic!("expected NotFound, got {err}");
    };
    assert!(why.contains("pool-general-9"), "{why}");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_cordon_plan_stops_with_the_current_state() {
    let env = Env::start(SimOptions::default()).await;
    let plan = env
        .ex
        .plan(&req(&["cordon", "pool-general-2"]))
        .await
        .expect("plan");
    env.ok(&["label", "node", "pool-general-2", "team=content"])
        .await;
    let (tx, _rx) = mpsc::channel(16);
    let err = env.ex.execute(&plan, "y", &tx).await.expect_err("stale");
    let ActionError::Conflict { message, current } = &err else {
        panic!("expected Conflict, got {err}");
    };
    assert!(message.contains("changed since the plan"), "{message}");
    assert!(
        current.contains("node pool-general-2 now") && current.contains("unschedulable false"),
        "{current}"
    );
    let row = env.ok(&["get", "node", "pool-general-2"]).await;
    assert!(!row.contains("SchedulingDisabled"), "{row}");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_denied_cordon_sends_no_mutating_request() {
    let env = Env::start(SimOptions {
        forbidden: vec!["nodes".into()],
        ..SimOptions::default()
    })
    .await;
    let err = env
        .ex
        .plan(&req(&["cordon", "pool-general-3"]))
        .await
        .expect_err("denied");
    let ActionError::Forbidden(why) = &err else {
        panic!("expected Forbidden, got {err}");
    };
    assert!(
        why.contains("sim-admin may not patch nodes pool-general-3"),
        "{why}"
    );
    let mutating: Vec<_> = env
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.is_mutating())
        .collect();
    assert!(
        mutating.is_empty(),
        "mutating requests reached the server: {mutating:?}"
    );
    assert!(
        env.sim
            .requests()
            .iter()
            .any(|r| r.path.ends_with("/selfsubjectaccessreviews")),
        "the denial came from an access review"
    );
    assert!(!env.dir.join("audit.jsonl").exists());
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rolling_back_the_crashloop_revision_brings_the_pods_back() {
    let env = Env::start(SimOptions {
        scenario: Some(opsdeck::sim::Scenario::Crashloop),
        ..SimOptions::default()
    })
    .await;
    env.wait_for_crashloop().await;
    let (plan, _) = env.act(req(&["rollback", "fact-checker"])).await;
    assert!(plan.destructive);
    assert!(
        plan.changes.iter().any(|c| c.before.contains("96Mi")
            || c.after.contains("96Mi")
            || c.what.contains("revision")),
        "the plan says what changes: {:?}",
        plan.changes
    );
    // The verify step already waited for the rollout; no fact-checker pod crashes any more.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let pods = env.ok(&["-n", "contentgen", "get", "pods"]).await;
        let fc: Vec<&str> = pods
            .lines()
            .filter(|l| l.starts_with("fact-checker-"))
            .collect();
        if fc.len() == 2
            && fc
                .iter()
                .all(|l| l.contains("Running") && l.contains("1/1"))
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "still crashing:\n{pods}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    env.stop().await;
}

/// A rollout the controller has given up on (ProgressDeadlineExceeded) will not finish by
/// waiting: verification says so at once, in kubectl's words, long before its timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_rollout_fails_verification_at_once_in_kubectls_words() {
    let env = Env::start(SimOptions {
        scenario: Some(opsdeck::sim::Scenario::Crashloop),
        ..SimOptions::default()
    })
    .await;
    env.wait_for_crashloop().await;
    env.ok(&[
        "-n",
        "contentgen",
        "patch",
        "deploy/fact-checker",
        "-p",
        r#"{"spec":{"progressDeadlineSeconds":3}}"#,
    ])
    .await;
    let plan = env
        .ex
        .plan(&req(&["restart", "fact-checker"]))
        .await
        .expect("plan");
    let (tx, _rx) = mpsc::channel(256);
    let started = std::time::Instant::now();
    let err = env.ex.execute(&plan, "y", &tx).await.expect_err("stalls");
    assert_eq!(
        err,
        ActionError::Verify("deployment \"fact-checker\" exceeded its progress deadline".into())
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "failed at once, not after the 60 s verify timeout: {:?}",
        started.elapsed()
    );
    env.stop().await;
}

/// A paused rollout will not finish either: a runbook waiting for it fails at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_for_a_paused_rollout_fails_at_once() {
    let env = Env::start(SimOptions::default()).await;
    env.act(req(&["pause-rollout", "api"])).await;
    let started = std::time::Instant::now();
    let result = opsdeck::actions::runbook::headless::evaluate(
        "rollout-complete api",
        "contentgen",
        Some(Duration::from_secs(120)),
        &env.ex,
    )
    .await;
    let err = result.expect_err("paused");
    assert!(err.contains("deployment \"api\" is paused"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(10));
    env.stop().await;
}

/// The operator scales to 6; before the pods are up, the replica count is moved again (an
/// HPA, here kubectl standing in for it). Verification judges what the controller wants now,
/// and says who moved it, instead of waiting out its timeout for a count nobody wants.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scale_moved_again_during_verification_is_judged_at_the_new_count() {
    let env = Env::start(SimOptions::default()).await;
    let plan = env
        .ex
        .plan(&req(&["scale", "article-generator", "6"]))
        .await
        .expect("plan");
    let (tx, mut rx) = mpsc::channel(256);
    let execute = env.ex.execute(&plan, "y", &tx);
    let mover = async {
        // The scale was sent once the first progress arrives.
        while let Some(p) = rx.recv().await {
            if matches!(p, Progress::Requested { .. }) {
                break;
            }
        }
        env.ok(&[
            "-n",
            "contentgen",
            "scale",
            "deploy/article-generator",
            "--replicas=7",
        ])
        .await;
    };
    let (outcome, ()) = tokio::join!(execute, mover);
    let outcome = outcome.expect("verified at the new count");
    assert!(
        outcome.summary.contains(
            "has 7 ready replicas (asked 6; HPA contentgen/article-generator set it to 7)"
        ),
        "{}",
        outcome.summary
    );
    env.stop().await;
}

/// A condition that cannot be evaluated (a queue the config does not name, no Prometheus for
/// an SLO) fails its wait at once with the reason: waiting out the timeout cannot fix it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_condition_that_cannot_be_evaluated_fails_at_once() {
    let env = Env::start(SimOptions::default()).await;
    let started = std::time::Instant::now();
    for (condition, says) in [
        (
            "queue-below articles 20",
            "no queue \"articles\" in the config",
        ),
        (
            "slo-ok api-availability",
            "no [prometheus] url in the config",
        ),
        ("budget-ok llm/day", "no [budget] in the config"),
    ] {
        let err = opsdeck::actions::runbook::headless::evaluate(
            condition,
            "contentgen",
            Some(Duration::from_secs(300)),
            &env.ex,
        )
        .await
        .expect_err("cannot be evaluated");
        assert!(err.contains(says), "{condition}: {err}");
    }
    assert!(started.elapsed() < Duration::from_secs(5));
    env.stop().await;
}
