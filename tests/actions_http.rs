//! The platform (HTTP) actions through the executor against a stand-in for the platform API of
//! PLATFORM.md, until the sim serves it (then this test moves onto the sim).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use kube::Client;
use kube::config::{KubeConfigOptions, Kubeconfig};
use opsdeck::actions::ActionRequest;
use opsdeck::actions::executor::{ActionError, Executor, ExecutorConfig};
use serde_json::{Value, json};
use tokio::sync::mpsc;

#[derive(Default)]
struct Platform {
    paused: bool,
    stuck: Vec<String>,
    calls: Vec<String>,
}

type Shared = Arc<Mutex<Platform>>;

fn lock(s: &Shared) -> std::sync::MutexGuard<'_, Platform> {
    s.lock().expect("lock")
}

async fn serve(platform: Shared) -> String {
    let app = Router::new()
        .route("/config", get(|State(s): State<Shared>| async move { axum::Json(json!({"paused": lock(&s).paused})) }))
        .route(
            "/config/pause-generation",
            post(|State(s): State<Shared>| async move {
                let mut p = lock(&s);
                p.paused = true;
                p.calls.push("pause".into());
                axum::Json(json!({"paused": true}))
            }),
        )
        .route(
            "/config/resume-generation",
            post(|State(s): State<Shared>| async move {
                let mut p = lock(&s);
                p.paused = false;
                p.calls.push("resume".into());
                axum::Json(json!({"paused": false}))
            }),
        )
        .route(
            "/pipelines",
            get(|State(s): State<Shared>, Query(q): Query<std::collections::HashMap<String, String>>| async move {
                let p = lock(&s);
                let list: Vec<Value> = match q.get("status").map(String::as_str) {
                    Some("stuck") => p.stuck.iter().map(|id| json!({"id": id, "status": "stuck"})).collect(),
                    _ => vec![],
                };
                axum::Json(json!({"pipelines": list}))
            }),
        )
        .route(
            "/pipeline/{id}/retry",
            post(|State(s): State<Shared>, Path(id): Path<String>| async move {
                let mut p = lock(&s);
                p.stuck.retain(|x| *x != id);
                p.calls.push(format!("retry {id}"));
                axum::Json(json!({"id": id, "status": "running"}))
            }),
        )
        .with_state(platform);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

async fn executor(platform_url: String, dir: &std::path::Path) -> Executor {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let kc = Kubeconfig::from_yaml(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: http://127.0.0.1:9\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\ncurrent-context: c\nusers:\n- name: u\n  user:\n    token: t\n",
    )
    .expect("kubeconfig");
    let config = kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .expect("config");
    let client = Client::try_from(config).expect("client");
    Executor::new(
        client,
        ExecutorConfig {
            context: "c".into(),
            cluster_url: "http://127.0.0.1:9".into(),
            user: "u".into(),
            readonly: false,
            production: false,
            platform_url: Some(platform_url),
            audit_path: dir.join("audit.jsonl"),
            verify_timeout: Duration::from_secs(5),
        },
    )
    .expect("executor")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_resume_and_retry_go_through_plan_confirm_verify_and_audit() {
    let dir = std::env::temp_dir().join(format!("opsdeck-actions-http-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let platform: Shared = Arc::new(Mutex::new(Platform {
        stuck: vec!["run-1042".into()],
        ..Platform::default()
    }));
    let ex = executor(serve(platform.clone()).await, &dir).await;
    let (tx, _rx) = mpsc::channel(64);

    let plan = ex
        .plan(&ActionRequest::PauseGeneration)
        .await
        .expect("plan");
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
    assert!(
        lock(&platform).calls.is_empty(),
        "nothing sent without confirmation"
    );
    let out = ex.execute(&plan, "generation", &tx).await.expect("pauses");
    assert!(out.summary.contains("paused = true"), "{}", out.summary);
    assert!(
        ex.plan(&ActionRequest::PauseGeneration)
            .await
            .expect("plan")
            .noop
            .is_some()
    );

    let plan = ex
        .plan(&ActionRequest::ResumeGeneration)
        .await
        .expect("plan");
    assert!(!plan.destructive && plan.confirm_phrase == "y");
    ex.execute(&plan, "y", &tx).await.expect("resumes");

    let plan = ex
        .plan(&ActionRequest::RetryPipeline {
            id: "run-1042".into(),
        })
        .await
        .expect("plan");
    assert_eq!(plan.calls[0].path, "/pipeline/run-1042/retry");
    assert_eq!(plan.changes[0].before, "stuck");
    let out = ex.execute(&plan, "y", &tx).await.expect("retries");
    assert!(
        out.summary.contains("no longer lists run-1042"),
        "{}",
        out.summary
    );

    assert_eq!(
        lock(&platform).calls,
        vec!["pause", "resume", "retry run-1042"]
    );
    let report = opsdeck::actions::audit::verify(&dir.join("audit.jsonl")).expect("verifies");
    assert_eq!((report.entries, report.unfinished.len()), (9, 0));
    let _ = std::fs::remove_dir_all(&dir);
}
