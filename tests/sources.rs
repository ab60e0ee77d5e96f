//! The kube-rs sources against the simulated API server, in process: rows arrive, a dead
//! server marks panes stale with the reason and they recover when it returns, a 403 marks
//! only its own pane, and pod logs follow.

use opsdeck::cluster::connect::client_from_yaml;
use std::time::Duration;

use kube::Client;
use opsdeck::cluster::logs::{LogEvent, LogMsg, spawn_log_follow};
use opsdeck::cluster::model::{ClusterModel, ClusterMsg, Resource};
use opsdeck::cluster::source::{Namespaces, spawn_watches};
use opsdeck::sim::{self, SimHandle, SimOptions};
use opsdeck::status::LoadState;
use opsdeck::ui::pane::LogTarget;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

async fn client_for(sim: &SimHandle) -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    client_from_yaml(&sim.kubeconfig_yaml())
        .await
        .expect("sim client")
}

/// Feeds source messages into a model until `done` holds, failing after `secs`.
async fn until(
    rx: &mut mpsc::Receiver<ClusterMsg>,
    model: &mut ClusterModel,
    secs: u64,
    what: &str,
    done: impl Fn(&ClusterModel) -> bool,
) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while !done(model) {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(msg)) => {
                model.apply(msg, 0);
            }
            _ => panic!("timed out waiting for {what}; sources: {:?}", model.sources),
        }
    }
}

fn live(model: &ClusterModel, r: Resource) -> bool {
    model.load_state(&[r]) == LoadState::Live
}

fn stale_reason(model: &ClusterModel, r: Resource) -> Option<String> {
    match model.load_state(&[r]) {
        LoadState::Stale { reason, .. } => Some(reason),
        _ => None,
    }
}

#[tokio::test]
async fn watches_fill_the_model_and_recover_after_the_server_comes_back() {
    let sim = sim::start(SimOptions::default()).await.expect("sim starts");
    let addr = sim.addr();
    let client = client_for(&sim).await;
    let (tx, mut rx) = mpsc::channel::<ClusterMsg>(1024);
    let token = CancellationToken::new();
    spawn_watches(&client, &"sim".into(), &Namespaces::All, tx, &token);
    let mut model = ClusterModel::default();
    until(&mut rx, &mut model, 20, "every source live", |m| {
        Resource::ALL.iter().all(|r| live(m, *r))
    })
    .await;
    assert!(model.pods.len() >= 20, "pods: {}", model.pods.len());
    assert_eq!(model.nodes.len(), 4);
    assert!(model.workloads.find("sim/deploy/contentgen/api").is_some());
    assert!(model.workloads.find("sim/sts/contentgen/redis").is_some());
    assert!(
        model
            .hpas
            .find("sim/contentgen/article-generator")
            .is_some()
    );

    sim.stop().await;
    until(&mut rx, &mut model, 20, "pods stale", |m| {
        stale_reason(m, Resource::Pods).is_some_and(|r| r.contains("retrying in"))
    })
    .await;
    let reason = stale_reason(&model, Resource::Pods).unwrap_or_default();
    assert!(reason.contains("connection refused"), "{reason}");
    assert!(!model.pods.is_empty(), "rows are kept while stale");

    let sim = sim::start(SimOptions {
        listen: addr,
        ..SimOptions::default()
    })
    .await
    .expect("sim restarts on the same port");
    until(&mut rx, &mut model, 60, "pods live again", |m| {
        live(m, Resource::Pods) && live(m, Resource::Deployments)
    })
    .await;
    assert!(model.pods.len() >= 20);
    token.cancel();
    sim.stop().await;
}

#[tokio::test]
async fn a_forbidden_resource_marks_only_its_pane() {
    let sim = sim::start(SimOptions {
        forbidden: vec!["nodes".into()],
        ..SimOptions::default()
    })
    .await
    .expect("sim starts");
    let client = client_for(&sim).await;
    let (tx, mut rx) = mpsc::channel::<ClusterMsg>(1024);
    let token = CancellationToken::new();
    spawn_watches(
        &client,
        &"sim".into(),
        &Namespaces::Only(vec!["contentgen".into()]),
        tx,
        &token,
    );
    let mut model = ClusterModel::default();
    until(
        &mut rx,
        &mut model,
        20,
        "pods live and nodes forbidden",
        |m| live(m, Resource::Pods) && stale_reason(m, Resource::Nodes).is_some(),
    )
    .await;
    let reason = stale_reason(&model, Resource::Nodes).unwrap_or_default();
    assert!(reason.contains("forbidden"), "{reason}");
    assert!(!reason.contains("retrying"), "403 is not retried: {reason}");
    assert!(model.pods.iter().all(|(_, p)| p.namespace == "contentgen"));
    assert!(!model.pods.is_empty());
    token.cancel();
    sim.stop().await;
}

#[tokio::test]
async fn pod_logs_follow_new_lines() {
    let sim = sim::start(SimOptions::default()).await.expect("sim starts");
    let client = client_for(&sim).await;
    let (tx, mut rx) = mpsc::channel::<ClusterMsg>(1024);
    let token = CancellationToken::new();
    spawn_watches(
        &client,
        &"sim".into(),
        &Namespaces::Only(vec!["contentgen".into()]),
        tx,
        &token,
    );
    let mut model = ClusterModel::default();
    until(&mut rx, &mut model, 20, "pods", |m| live(m, Resource::Pods)).await;
    let pod = model
        .pods
        .iter()
        .find(|(_, p)| p.workload.as_deref() == Some("article-generator") && p.status == "Running")
        .map(|(_, p)| p.name.clone())
        .expect("a running article-generator pod");

    let (ltx, mut lrx) = mpsc::channel::<LogMsg>(64);
    let target = LogTarget {
        context: Default::default(),
        namespace: "contentgen".into(),
        pod,
        container: None,
        previous: false,
    };
    spawn_log_follow(client.clone(), target, 7, ltx, token.clone());
    let mut received = 0;
    let mut batches = 0;
    while batches < 3 {
        let msg = tokio::time::timeout(Duration::from_secs(15), lrx.recv())
            .await
            .expect("log lines keep coming")
            .expect("channel open");
        assert_eq!(msg.session, 7);
        match msg.event {
            LogEvent::Lines(lines) => {
                received += lines.len();
                batches += 1;
            }
            LogEvent::Failed { reason, .. } => panic!("log stream failed: {reason}"),
            LogEvent::Ended => panic!("a followed log never ends while its pod runs"),
        }
    }
    assert!(received >= 3, "received {received} lines");
    token.cancel();
    sim.stop().await;
}
