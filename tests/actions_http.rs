//! The platform (HTTP) actions through the executor against the sim's platform API
//! (PLATFORM.md): pause and resume generation, retry a stuck pipeline — each planned,
//! confirmed, executed, verified and audited.

use opsdeck::cluster::connect::client_from_yaml;
use std::time::Duration;

use opsdeck::actions::ActionError;
use opsdeck::actions::ActionRequest;
use opsdeck::actions::executor::{Executor, ExecutorConfig};
use opsdeck::actions::verbs::retry_pipeline::RetryPipeline;
use opsdeck::sim::{self, Scenario, SimHandle, SimOptions};
use serde_json::Value;
use tokio::sync::mpsc;

async fn executor(sim: &SimHandle, dir: &std::path::Path) -> Executor {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = client_from_yaml(&sim.kubeconfig_yaml())
        .await
        .expect("sim client");
    Executor::new(
        client,
        ExecutorConfig {
            context: "opsdeck-sim".into(),
            cluster_url: sim.url(),
            user: "sim-admin".into(),
            readonly: false,
            production: false,
            platform_url: Some(sim.platform_url()),
            audit_path: dir.join("audit.jsonl"),
            verify_timeout: Duration::from_secs(20),
            operator: "sim-operator".into(),
            lock_namespace: None,
        },
    )
    .expect("executor")
}

async fn plan_pause(ex: &Executor) -> opsdeck::actions::plan::Plan {
    ex.plan(&ActionRequest::PauseGeneration(Default::default()))
        .await
        .expect("plan")
}

async fn get(sim: &SimHandle, path: &str) -> Value {
    reqwest::get(format!("{}{path}", sim.platform_url()))
        .await
        .expect("platform API answers")
        .json()
        .await
        .expect("json")
}

async fn paused(sim: &SimHandle) -> bool {
    get(sim, "/config").await["generation_paused"] == true
}

/// A stuck pipeline run, once the scenario has produced one.
async fn stuck_run(sim: &SimHandle) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    loop {
        let answer = get(sim, "/pipelines?status=stuck").await;
        if let Some(id) = answer["pipelines"][0]["id"].as_str() {
            return id.to_string();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no stuck run appeared: {answer}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_resume_and_retry_go_through_plan_confirm_verify_and_audit() {
    let dir = std::env::temp_dir().join(format!("opsdeck-actions-http-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let sim = sim::start(SimOptions {
        scenario: Some(Scenario::PipelineStuck),
        ..SimOptions::default()
    })
    .await
    .expect("sim starts");
    let ex = executor(&sim, &dir).await;
    let (tx, _rx) = mpsc::channel(64);

    let plan = plan_pause(&ex).await;
    assert!(plan.destructive);
    assert_eq!(plan.confirm_phrase, "generation");
    assert_eq!(
        (plan.calls[0].method.as_str(), plan.calls[0].path.as_str()),
        ("POST", "/config/pause-generation")
    );
    assert_eq!(
        (
            plan.changes[0].before.as_str(),
            plan.changes[0].after.as_str()
        ),
        ("running", "paused")
    );
    let err = ex
        .execute(&plan, "y", &tx)
        .await
        .expect_err("needs the name");
    assert!(matches!(err, ActionError::Confirmation(_)));
    assert!(!paused(&sim).await, "nothing sent without confirmation");
    let out = ex.execute(&plan, "generation", &tx).await.expect("pauses");
    assert!(out.ok, "{}", out.summary);
    assert!(paused(&sim).await);
    let again = ex
        .plan(&ActionRequest::PauseGeneration(Default::default()))
        .await
        .expect("plan");
    assert!(again.noop.is_some(), "pausing a paused platform is a no-op");

    let plan = ex
        .plan(&ActionRequest::ResumeGeneration(Default::default()))
        .await
        .expect("plan");
    assert!(!plan.destructive && plan.confirm_phrase == "y");
    ex.execute(&plan, "y", &tx).await.expect("resumes");
    assert!(!paused(&sim).await);

    let id = stuck_run(&sim).await;
    let plan = ex
        .plan(&ActionRequest::RetryPipeline(RetryPipeline {
            id: id.clone(),
        }))
        .await
        .expect("plan");
    assert_eq!(plan.calls[0].path, format!("/pipeline/{id}/retry"));
    assert_eq!(plan.changes[0].before, "stuck");
    let out = ex.execute(&plan, "y", &tx).await.expect("retries");
    assert!(out.ok, "{}", out.summary);
    let stuck = get(&sim, "/pipelines?status=stuck").await;
    let still: Vec<&str> = stuck["pipelines"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["id"].as_str())
        .collect();
    assert!(
        !still.contains(&id.as_str()),
        "{id} is still stuck: {stuck}"
    );

    let report = opsdeck::actions::audit::verify(&dir.join("audit.jsonl")).expect("verifies");
    assert_eq!((report.entries, report.unfinished.len()), (9, 0));
    sim.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// A platform API that answers an action 429 with Retry-After: the action fails, says when
/// the server would take it again, and is not retried behind the user's back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_action_answered_429_says_when_to_try_again_and_changes_nothing() {
    let dir = std::env::temp_dir().join(format!("opsdeck-actions-http-429-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let sim = sim::start(SimOptions::default()).await.expect("sim starts");
    let ex = executor(&sim, &dir).await;
    let (tx, _rx) = mpsc::channel(64);
    let plan = plan_pause(&ex).await;
    sim.faults().set(
        "platform=429:3"
            .parse::<opsdeck::sim::fault::FaultSpec>()
            .expect("spec"),
    );
    let err = ex
        .execute(&plan, "generation", &tx)
        .await
        .expect_err("refused by the server");
    let said = err.to_string();
    assert!(
        said.contains("HTTP 429") && said.contains("retry after 3 s"),
        "{said}"
    );
    sim.faults().set(
        "platform=clear"
            .parse::<opsdeck::sim::fault::FaultSpec>()
            .expect("spec"),
    );
    assert!(!paused(&sim).await, "nothing changed");
    let posts = sim
        .requests()
        .iter()
        .filter(|r| r.path == "/config/pause-generation")
        .count();
    assert!(posts <= 1, "tried once at most: {posts}");
    sim.stop().await;
}
