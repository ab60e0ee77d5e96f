//! The executor trusts no Plan it did not make: a hand-built plan, a plan altered after it was
//! made (its calls, its permission, its phrase, its read-only context), a plan made by another
//! executor and a plan run a second time are refused before anything is sent; the sim's request
//! log shows what reached it. An audit path that cannot be written refuses every action, with
//! the reason, and nothing reaches the target.

#[path = "common/sim_env.rs"]
mod sim_env;

use std::time::Duration;

use opsdeck::actions::ActionError;
use opsdeck::actions::ActionRequest;
use opsdeck::actions::executor::{Executor, ExecutorConfig};
use opsdeck::actions::plan::Plan;
use opsdeck::sim::{RequestRecord, SimOptions};
use sim_env::SimEnv;
use tokio::sync::mpsc;

fn config(env: &SimEnv, audit: std::path::PathBuf) -> ExecutorConfig {
    ExecutorConfig {
        context: "opsdeck-sim".into(),
        cluster_url: env.sim.url(),
        user: "sim-admin".into(),
        readonly: false,
        production: false,
        platform_url: None,
        audit_path: audit,
        verify_timeout: Duration::from_secs(60),
        operator: "sim-operator".into(),
        lock_namespace: None,
    }
}

fn scale(replicas: &str) -> ActionRequest {
    ActionRequest::parse(&["scale", "publisher", replicas], "contentgen").expect("parses")
}

/// Requests that changed something the operator acts on: not dry runs, not the action lock's
/// Lease (coordination between consoles, taken after confirmation and released on refusal).
fn changes(env: &SimEnv) -> Vec<RequestRecord> {
    env.sim
        .requests()
        .into_iter()
        .filter(|r| r.is_mutating() && !r.query.contains("dryRun") && !r.path.contains("/leases"))
        .collect()
}

async fn run(ex: &Executor, plan: &Plan, phrase: &str) -> Result<String, ActionError> {
    let (tx, _rx) = mpsc::channel(256);
    ex.execute(plan, phrase, &tx).await.map(|o| o.summary)
}

fn refused(result: Result<String, ActionError>, words: &str) {
    match result {
        Err(ActionError::Refused(why)) => assert!(why.contains(words), "{why}"),
        other => panic!("expected a refusal saying {words:?}, got {other:?}"),
    }
}

/// A sim and an executor on it, writing its audit log in the sim's directory.
async fn start() -> (SimEnv, Executor) {
    let env = SimEnv::start(SimOptions::default()).await;
    let audit = env.dir.join("audit.jsonl");
    let ex = Executor::new(env.client().await, config(&env, audit)).expect("executor");
    (env, ex)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_plan_made_here_unaltered_runs_and_only_once() {
    let (env, ex) = start().await;
    let plan = ex.plan(&scale("3")).await.expect("plan");
    assert!(plan.permission.allowed);

    // Its calls changed: more replicas than planned.
    let mut more = plan.clone();
    for call in &mut more.calls {
        call.body = call.body.replace("\"replicas\":3", "\"replicas\":9");
    }
    assert_ne!(more.calls, plan.calls, "the body names the replicas");
    refused(run(&ex, &more, "y").await, "altered");
    // Its phrase made easier, its confirmation matching.
    let mut easier = plan.clone();
    easier.confirm_phrase = "ok".into();
    refused(run(&ex, &easier, "ok").await, "altered");
    // Its permission said allowed with another reason.
    let mut allowed = plan.clone();
    allowed.permission.reason = "trust me".into();
    refused(run(&ex, &allowed, "y").await, "altered");
    // Another context's plan relabelled as this one's.
    let mut other = plan.clone();
    other.id = "hand-made".into();
    refused(run(&ex, &other, "y").await, "not made by this executor");
    assert!(changes(&env).is_empty(), "{:#?}", changes(&env));

    // A plan of another executor on the same cluster and context.
    let second = Executor::new(
        env.client().await,
        config(&env, env.dir.join("audit2.jsonl")),
    )
    .expect("executor");
    let theirs = second.plan(&scale("4")).await.expect("plan");
    refused(run(&ex, &theirs, "y").await, "not made by this executor");
    assert!(changes(&env).is_empty(), "{:#?}", changes(&env));

    // The plan as it was made runs, once.
    run(&ex, &plan, "y").await.expect("runs");
    assert_eq!(changes(&env).len(), 1, "{:#?}", changes(&env));
    refused(run(&ex, &plan, "y").await, "already run");
    assert_eq!(changes(&env).len(), 1, "{:#?}", changes(&env));
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_confirmation_does_not_spend_the_plan() {
    let (env, ex) = start().await;
    let plan = ex.plan(&scale("3")).await.expect("plan");
    let err = run(&ex, &plan, "n").await.expect_err("not confirmed");
    assert!(matches!(err, ActionError::Confirmation(_)), "{err}");
    assert!(changes(&env).is_empty());
    run(&ex, &plan, "y").await.expect("then confirmed");
    assert_eq!(changes(&env).len(), 1);
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_audit_log_refuses_the_action_with_the_reason() {
    let env = SimEnv::start(SimOptions::default()).await;
    let ex = Executor::new(env.client().await, config(&env, "/dev/full".into())).expect("executor");
    let plan = ex.plan(&scale("3")).await.expect("the device opens");
    let err = run(&ex, &plan, "y")
        .await
        .expect_err("nothing can be recorded");
    assert!(matches!(err, ActionError::Audit(_)), "{err}");
    assert!(err.to_string().contains("No space left on device"), "{err}");
    assert!(changes(&env).is_empty(), "{:#?}", changes(&env));
    // The lock taken for it was given back.
    let leases = env.kubectl(&["get", "leases", "-A", "-o", "name"]).await;
    let names = String::from_utf8_lossy(&leases.stdout);
    assert!(!names.contains("opsdeck-"), "{names}");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_audit_path_that_cannot_be_written_refuses_before_planning() {
    let env = SimEnv::start(SimOptions::default()).await;
    // A directory under a regular file can never be made, not even by root.
    let file = env.dir.join("a-file");
    std::fs::write(&file, "").expect("file");
    let ex = Executor::new(env.client().await, config(&env, file.join("audit.jsonl")))
        .expect("executor");
    let err = ex.plan(&scale("3")).await.expect_err("refused");
    assert!(matches!(err, ActionError::Audit(_)), "{err}");
    let said = err.to_string();
    assert!(
        said.contains("a-file/audit.jsonl"),
        "names the path: {said}"
    );
    assert!(
        said.contains("a-file is a file, not a directory"),
        "says why: {said}"
    );
    assert!(
        env.sim.requests().iter().all(|r| !r.is_mutating()),
        "{:#?}",
        env.sim.requests()
    );
    env.stop().await;
}
