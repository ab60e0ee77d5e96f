//! The Kubernetes watch after a 410 and after streams cut mid-event, against kubectl; the log
//! follower; the platform API and per-cluster faults.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use kube::config::Kubeconfig;
use opsdeck::app::fleet::{ClusterSpec, Fleet, HEARTBEAT, PROBE_TIMEOUT};
use opsdeck::cluster::connect::{READ_TIMEOUT, client_from_yaml};
use opsdeck::cluster::logs::{LogEvent, LogMsg, spawn_log_follow};
use opsdeck::cluster::model::{ClusterModel, ClusterMsg, Resource};
use opsdeck::cluster::source::{Namespaces, WATCH_SECONDS, spawn_watches};
use opsdeck::sim::fault::FaultSpec;
use opsdeck::sim::{self, Scenario, SimOptions};
use opsdeck::status::LoadState;
use opsdeck::ui::pane::LogTarget;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

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

fn pods_live(model: &ClusterModel) -> bool {
    model.load_state(&[Resource::Pods]) == LoadState::Live
}

fn model_pods(model: &ClusterModel) -> BTreeSet<String> {
    model
        .pods
        .iter()
        .map(|(_, p)| format!("{}/{}", p.namespace, p.name))
        .collect()
}

/// The sim's kubeconfig in a file of this test's own, for kubectl.
fn kubeconfig_file(sim: &sim::SimHandle, test: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!(
        "opsdeck-faults-{test}-{}.kubeconfig",
        std::process::id()
    ));
    std::fs::write(&path, sim.kubeconfig_yaml()).expect("kubeconfig");
    path
}

/// What kubectl prints, run against `kubeconfig`; it must succeed.
fn kubectl(kubeconfig: &std::path::Path, args: &[&str]) -> String {
    let out = std::process::Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(args)
        .output()
        .expect("kubectl runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn kubectl_pods(kubeconfig: &std::path::Path) -> BTreeSet<String> {
    let columns = "custom-columns=NS:.metadata.namespace,NAME:.metadata.name";
    kubectl(
        kubeconfig,
        &["get", "pods", "-A", "--no-headers", "-o", columns],
    )
    .lines()
    .filter_map(|l| {
        let mut w = l.split_whitespace();
        Some(format!("{}/{}", w.next()?, w.next()?))
    })
    .collect()
}

/// The model and kubectl agree (churn may part them for a moment: they must meet again).
async fn agrees_with_kubectl(
    rx: &mut mpsc::Receiver<ClusterMsg>,
    model: &mut ClusterModel,
    kubeconfig: &std::path::Path,
    after: &str,
) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        while let Ok(msg) = rx.try_recv() {
            model.apply(msg, 0);
        }
        let (ours, theirs) = (model_pods(model), kubectl_pods(kubeconfig));
        if ours == theirs && pods_live(model) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "after {after}: ghosts {:?}, missing {:?}",
            ours.difference(&theirs).collect::<Vec<_>>(),
            theirs.difference(&ours).collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// Every resource of the sim watched into a model, its pods live: the messages still to come,
/// the model, and the token that ends the watches.
async fn watching(
    sim: &sim::SimHandle,
) -> (mpsc::Receiver<ClusterMsg>, ClusterModel, CancellationToken) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = client_from_yaml(&sim.kubeconfig_yaml())
        .await
        .expect("client");
    let (tx, mut rx) = mpsc::channel::<ClusterMsg>(4096);
    let token = CancellationToken::new();
    spawn_watches(&client, &"sim".into(), &Namespaces::All, tx, &token);
    let mut model = ClusterModel::default();
    until(&mut rx, &mut model, 20, "pods live", pods_live).await;
    (rx, model, token)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_410_and_streams_cut_mid_event_the_pods_equal_kubectl() {
    let sim = sim::start(SimOptions {
        scenario: Some(Scenario::BadRollout),
        ..SimOptions::default()
    })
    .await
    .expect("sim starts");
    let kubeconfig = kubeconfig_file(&sim, "watch");
    let (mut rx, mut model, token) = watching(&sim).await;

    // 410: the open watches end with the ERROR event, resuming answers it too; a relist.
    sim.faults()
        .set("kube=gone".parse::<FaultSpec>().expect("spec"));
    until(&mut rx, &mut model, 20, "the 410 said", |m| {
        matches!(m.load_state(&[Resource::Pods]), LoadState::Stale { reason, .. } if reason.contains("410"))
    })
    .await;
    until(
        &mut rx,
        &mut model,
        30,
        "pods live after the relist",
        pods_live,
    )
    .await;
    agrees_with_kubectl(&mut rx, &mut model, &kubeconfig, "a 410").await;

    // Every watch cut after its first event, mid-line: resumed each time, nothing lost.
    sim.faults()
        .set("kube=midstream".parse::<FaultSpec>().expect("spec"));
    let churn = Instant::now();
    while churn.elapsed() < Duration::from_secs(8) {
        if let Ok(Some(msg)) = tokio::time::timeout(Duration::from_millis(200), rx.recv()).await {
            model.apply(msg, 0);
        }
    }
    sim.faults()
        .set("kube=clear".parse::<FaultSpec>().expect("spec"));
    agrees_with_kubectl(&mut rx, &mut model, &kubeconfig, "streams cut mid-event").await;
    token.cancel();
    sim.stop().await;
}

/// Silences the sim's Kubernetes API; the pods must say `said` within `within`.
async fn goes_silent(
    sim: &sim::SimHandle,
    rx: &mut mpsc::Receiver<ClusterMsg>,
    model: &mut ClusterModel,
    within: Duration,
    said: &str,
) {
    sim.faults()
        .set("kube=silent".parse::<FaultSpec>().expect("spec"));
    let silent = Instant::now();
    until(
        rx,
        model,
        within.as_secs() + 10,
        "the silence said",
        |m| matches!(m.load_state(&[Resource::Pods]), LoadState::Stale { reason, .. } if reason.contains(said)),
    )
    .await;
    assert!(
        silent.elapsed() <= within,
        "said after {:?}, not within {within:?}",
        silent.elapsed()
    );
}

/// A Kubernetes API that goes silent once the watches have synced (connections kept, nothing
/// said), for the watches alone, without the console's heartbeat (the next test): the pods go
/// stale within the read timeout plus one watch's length, saying so, and are live again once
/// it answers. kube-rs's client waits for ever by default.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watches_alone_say_a_kubernetes_api_gone_silent_within_a_minute() {
    let sim = sim::start(SimOptions::default()).await.expect("sim starts");
    let (mut rx, mut model, token) = watching(&sim).await;

    // The open watches end on kube's idle timeout (the watch's length and its 5 s margin), the
    // watch that follows waits out the read timeout: 55 s on the dot, so a busy machine's
    // scheduling gets 5 s more. A minute, as the README says.
    let idle_margin = Duration::from_secs(5);
    let scheduling = Duration::from_secs(5);
    let within =
        Duration::from_secs(u64::from(WATCH_SECONDS)) + idle_margin + READ_TIMEOUT + scheduling;
    let said = format!("no answer in {} s", READ_TIMEOUT.as_secs());
    goes_silent(&sim, &mut rx, &mut model, within, &said).await;

    sim.faults()
        .set("kube=clear".parse::<FaultSpec>().expect("spec"));
    until(&mut rx, &mut model, 20, "pods live again", pods_live).await;
    token.cancel();
    sim.stop().await;
}

/// A fleet watching the sim as the console does, its pods live: the messages still to come,
/// the model, and the fleet (`stop` ends it).
async fn fleet_watching(sim: &sim::SimHandle) -> (mpsc::Receiver<ClusterMsg>, ClusterModel, Fleet) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let yaml = sim::SimHandle::kubeconfig_of(&[("sim", sim)]);
    let spec = ClusterSpec {
        name: "sim".into(),
        kubeconfig: std::sync::Arc::new(Kubeconfig::from_yaml(&yaml).expect("kubeconfig")),
    };
    let (tx, mut rx) = mpsc::channel::<ClusterMsg>(4096);
    let fleet = Fleet::start(&[spec], &Namespaces::All, tx);
    let mut model = ClusterModel::default();
    until(&mut rx, &mut model, 20, "pods live", pods_live).await;
    (rx, model, fleet)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_says_a_kubernetes_api_gone_silent_within_its_probe_and_resyncs() {
    let sim = sim::start(SimOptions::default()).await.expect("sim starts");
    let kubeconfig = kubeconfig_file(&sim, "heartbeat");
    let (mut rx, mut model, fleet) = fleet_watching(&sim).await;

    // The next heartbeat at most HEARTBEAT away, and its PROBE_TIMEOUT; 5 s for a busy machine.
    let within = HEARTBEAT + PROBE_TIMEOUT + Duration::from_secs(5);
    let said = format!("no answer in {} s", PROBE_TIMEOUT.as_secs());
    goes_silent(&sim, &mut rx, &mut model, within, &said).await;
    // Every pane of the context says it, not only the pods (said together, read in turn).
    until(&mut rx, &mut model, 2, "every resource stale", |m| {
        Resource::ALL.iter().all(|r| {
            matches!(m.load_state(&[*r]), LoadState::Stale { reason, .. } if reason.contains(&said))
        })
    })
    .await;

    // Pods change while nobody is listening; the console lists again when the API answers.
    sim.faults()
        .set("kube=clear".parse::<FaultSpec>().expect("spec"));
    let publishers = "--selector=app=publisher";
    kubectl(
        &kubeconfig,
        &[
            "delete",
            "pod",
            "-n",
            "contentgen",
            publishers,
            "--wait=false",
        ],
    );
    until(&mut rx, &mut model, 20, "pods live again", pods_live).await;
    agrees_with_kubectl(&mut rx, &mut model, &kubeconfig, "the API answered again").await;
    fleet.stop();
    sim.stop().await;
    let _ = std::fs::remove_file(&kubeconfig);
}

/// The next failure the log follower reports, and when it retries (lines before it are fine).
async fn next_log_failure(
    rx: &mut mpsc::Receiver<LogMsg>,
    sim: &sim::SimHandle,
) -> (String, Duration) {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(15), rx.recv())
            .await
            .unwrap_or_else(|_| {
                let asked: Vec<String> = sim
                    .requests()
                    .iter()
                    .map(|r| format!("{} {}?{} {}", r.method, r.path, r.query, r.status))
                    .collect();
                panic!("the follower said nothing; the sim was asked {asked:#?}")
            })
            .expect("channel open");
        eprintln!("log follower: {:?}", msg.event);
        if let LogEvent::Failed { reason, retry_in } = msg.event {
            return (reason, retry_in);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_follower_says_why_and_follows_again() {
    let sim = sim::start(SimOptions::default()).await.expect("sim starts");
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = client_from_yaml(&sim.kubeconfig_yaml())
        .await
        .expect("client");
    let pod = {
        let out = kubectl_pods_of(&sim);
        out.into_iter()
            .find(|p| p.starts_with("contentgen/article-generator-"))
            .expect("an article-generator pod")
    };
    let (ltx, mut lrx) = mpsc::channel::<LogMsg>(256);
    let token = CancellationToken::new();
    let target = LogTarget {
        context: Default::default(),
        namespace: "contentgen".into(),
        pod: pod.trim_start_matches("contentgen/").to_string(),
        container: None,
        previous: false,
    };
    spawn_log_follow(client, target, 1, ltx, token.clone());
    for (kind, want) in [
        ("midstream", "the log stream was cut short"),
        ("5xx", "HTTP 503"),
        ("refused", "the connection was reset"),
        // Last: the follower then waits the 5 s the server asked for.
        ("429", "answered 429 (too many requests), retry after 5 s"),
    ] {
        sim.faults()
            .set(FaultSpec::new("logs", kind).expect("spec"));
        let (reason, retry_in) = next_log_failure(&mut lrx, &sim).await;
        assert!(reason.contains(want), "logs={kind}: {reason}");
        if kind == "429" {
            assert!(
                retry_in >= Duration::from_secs(5),
                "retrying in {retry_in:?}"
            );
        }
    }
    sim.faults()
        .set(FaultSpec::new("logs", "clear").expect("spec"));
    let lines = loop {
        let msg = tokio::time::timeout(Duration::from_secs(20), lrx.recv())
            .await
            .expect("lines again")
            .expect("channel open");
        if let LogEvent::Lines(lines) = msg.event {
            break lines;
        }
    };
    assert!(!lines.is_empty());
    token.cancel();
    sim.stop().await;
}

fn kubectl_pods_of(sim: &sim::SimHandle) -> BTreeSet<String> {
    kubectl_pods(&kubeconfig_file(sim, "logs"))
}

async fn status_of(url: String) -> u16 {
    let http = opsdeck::clients::http::client(Duration::from_secs(5)).expect("client");
    http.get(url)
        .send()
        .await
        .expect("answers")
        .status()
        .as_u16()
}

/// The platform's own API is a source like the others, and each cluster of a fleet has its
/// own faults: clearing one cluster's leaves the other's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_platform_api_faults_and_each_cluster_keeps_its_own() {
    let base = SimOptions {
        faults: vec![
            "platform=5xx".parse().expect("spec"),
            "prometheus=429".parse().expect("spec"),
        ],
        ..SimOptions::default()
    };
    let fleet = opsdeck::sim::fleet::SimFleet::start(2, &[], base)
        .await
        .expect("fleet");
    let (one, two) = (&fleet.sims[0].1, &fleet.sims[1].1);
    two.faults()
        .set(FaultSpec::new("prometheus", "clear").expect("spec"));
    let query = |s: &sim::SimHandle| format!("{}/api/v1/query?query=up", s.prometheus_url());
    assert_eq!(
        status_of(format!("{}/pipelines", one.platform_url())).await,
        503
    );
    assert_eq!(status_of(query(one)).await, 429);
    assert_eq!(status_of(query(two)).await, 200);
    assert_eq!(
        status_of(format!("{}/pipelines", two.platform_url())).await,
        503
    );
    fleet.stop().await;
}
