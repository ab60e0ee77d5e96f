//! Several clusters in one process, each failing alone: real sims behind a kubeconfig of
//! several contexts, one answering 403 to everything, one server that accepts connections and
//! never answers, one exec credential plugin that hangs, and one sim killed once it is in
//! sync. The healthy contexts sync as if the others were not there, and stay live.

use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{Api, Patch, PatchParams};
use kube::config::Kubeconfig;
use opsdeck::app::fleet::{ClusterSpec, Fleet};
use opsdeck::cluster::model::{ClusterModel, ClusterMsg, Resource};
use opsdeck::cluster::source::Namespaces;
use opsdeck::k8s::context::ContextName;
use opsdeck::sim::{self, SimHandle, SimOptions};
use opsdeck::status::LoadState;
use tokio::sync::mpsc;

const EVERY_RESOURCE: [&str; 7] = [
    "deployments",
    "statefulsets",
    "pods",
    "nodes",
    "horizontalpodautoscalers",
    "events",
    "namespaces",
];

async fn sim_with(forbidden: &[&str]) -> SimHandle {
    sim::start(SimOptions {
        forbidden: forbidden.iter().map(|s| s.to_string()).collect(),
        start_at: Some("2026-12-03T06:00:00Z".parse().expect("instant")),
        ..SimOptions::default()
    })
    .await
    .expect("sim starts")
}

/// A server that accepts every connection and never says a word.
async fn silent_server() -> (u16, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let task = tokio::spawn(async move {
        let mut held = vec![];
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    (port, task)
}

/// Contexts beside the sims: `hang` (the silent server) and `exec-hangs` (sim-1's server,
/// behind an exec plugin that never returns).
fn extra_contexts(silent_port: u16, sim1_url: &str) -> Kubeconfig {
    Kubeconfig::from_yaml(&format!(
        "apiVersion: v1\nkind: Config\nclusters:\n\
         - name: hang\n  cluster:\n    server: http://127.0.0.1:{silent_port}\n\
         - name: sim-1-again\n  cluster:\n    server: {sim1_url}\n\
         contexts:\n\
         - name: hang\n  context:\n    cluster: hang\n    user: plain\n\
         - name: exec-hangs\n  context:\n    cluster: sim-1-again\n    user: hanging-plugin\n\
         users:\n\
         - name: plain\n  user:\n    token: sim-admin\n\
         - name: hanging-plugin\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: sh\n      args: [\"-c\", \"sleep 600\"]\n"
    ))
    .expect("kubeconfig")
}

/// Stale if any of the three is, live once every one has listed.
fn state_of(model: &ClusterModel, context: &str) -> LoadState {
    let each = [Resource::Pods, Resource::Deployments, Resource::Nodes]
        .map(|r| model.load_state_in(context, &[r]));
    LoadState::worst(each.iter())
}

fn stale_reason(model: &ClusterModel, context: &str) -> Option<String> {
    match state_of(model, context) {
        LoadState::Stale { reason, .. } => Some(reason),
        _ => None,
    }
}

/// Applies what the fleet sends until `until` holds of the model, or `secs` pass.
async fn drain_until(
    rx: &mut mpsc::Receiver<ClusterMsg>,
    model: &mut ClusterModel,
    secs: u64,
    what: &str,
    until: impl Fn(&ClusterModel) -> bool,
) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while !until(model) {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(msg)) => model.apply(msg, 0),
            Ok(None) => panic!("the fleet stopped sending while waiting for {what}"),
            Err(_) => panic!(
                "timed out after {secs}s waiting for {what}; sources: {:#?}",
                model.sources
            ),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_context_fails_alone_and_the_others_stay_live() {
    let sim1 = sim_with(&[]).await;
    let sim2 = sim_with(&[]).await;
    let forbidden = sim_with(&EVERY_RESOURCE).await;
    let (silent_port, silent) = silent_server().await;
    let yaml = SimHandle::kubeconfig_of(&[
        ("sim-1", &sim1),
        ("sim-2", &sim2),
        ("forbidden", &forbidden),
    ]);
    let kubeconfig = Kubeconfig::from_yaml(&yaml)
        .expect("kubeconfig")
        .merge(extra_contexts(silent_port, &sim1.url()))
        .expect("merged");
    let kubeconfig = std::sync::Arc::new(kubeconfig);
    // The failing ones first: they must not delay the ones after them.
    let names = ["hang", "exec-hangs", "forbidden", "sim-1", "sim-2"];
    let specs: Vec<ClusterSpec> = names
        .iter()
        .map(|n| ClusterSpec {
            name: ContextName::new(n),
            kubeconfig: kubeconfig.clone(),
        })
        .collect();
    let (tx, mut rx) = mpsc::channel::<ClusterMsg>(1024);
    let started = Instant::now();
    let fleet = Fleet::start(&specs, &Namespaces::Only(vec!["contentgen".into()]), tx);
    let mut model = ClusterModel::default();

    drain_until(&mut rx, &mut model, 8, "sim-1 and sim-2 in sync", |m| {
        state_of(m, "sim-1").is_live() && state_of(m, "sim-2").is_live()
    })
    .await;
    let synced = started.elapsed();
    assert!(
        synced < Duration::from_secs(5),
        "the healthy contexts took {synced:?}: the hanging ones held them up"
    );
    let pods_in = |m: &ClusterModel, c: &str| {
        m.pods
            .iter()
            .filter(|(_, p)| p.context.as_str() == c)
            .count()
    };
    assert!(pods_in(&model, "sim-1") > 10);
    let by_context: std::collections::BTreeMap<String, usize> =
        model.pods.iter().fold(Default::default(), |mut m, (_, p)| {
            *m.entry(p.context.to_string()).or_default() += 1;
            m
        });
    assert_eq!(
        pods_in(&model, "sim-1"),
        pods_in(&model, "sim-2"),
        "{by_context:?} {:#?}",
        model.sources
    );

    drain_until(&mut rx, &mut model, 5, "forbidden to say so", |m| {
        stale_reason(m, "forbidden").is_some_and(|r| r.contains("forbidden"))
    })
    .await;

    // The silent server and the hanging plugin are given up on within their timeouts, with
    // a reason a person reads.
    drain_until(
        &mut rx,
        &mut model,
        20,
        "hang and exec-hangs to go stale",
        |m| {
            stale_reason(m, "hang").is_some_and(|r| r.contains("no answer in 10 s"))
                && stale_reason(m, "exec-hangs")
                    .is_some_and(|r| r.contains("exec plugin sh did not answer in 10 s"))
        },
    )
    .await;
    assert!(fleet.client("exec-hangs").is_err());

    // sim-2 dies: its rows go stale, sim-1 goes on changing.
    sim2.stop().await;
    drain_until(&mut rx, &mut model, 15, "sim-2 to go stale", |m| {
        stale_reason(m, "sim-2").is_some()
    })
    .await;
    assert!(state_of(&model, "sim-1").is_live(), "{:?}", model.sources);
    let client = fleet.client("sim-1").expect("sim-1 connected");
    let deployments: Api<Deployment> = Api::namespaced(client, "contentgen");
    deployments
        .patch(
            "publisher",
            &PatchParams::default(),
            &Patch::Merge(serde_json::json!({"spec": {"replicas": 5}})),
        )
        .await
        .expect("scale publisher in sim-1");
    drain_until(&mut rx, &mut model, 10, "sim-1's change to arrive", |m| {
        m.workloads
            .iter()
            .any(|(_, w)| w.context.as_str() == "sim-1" && w.name == "publisher" && w.desired == 5)
    })
    .await;
    let other = model
        .workloads
        .iter()
        .find(|(_, w)| w.context.as_str() == "sim-2" && w.name == "publisher")
        .map(|(_, w)| w.desired);
    assert_eq!(other, Some(2), "sim-2's rows are kept, stale, as they were");

    fleet.stop();
    silent.abort();
    for s in [sim1, forbidden] {
        s.stop().await;
    }
}

/// An HTTP proxy that only tunnels (CONNECT), counting the tunnels it opened.
async fn connect_proxy() -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let tunnels = std::sync::Arc::new(AtomicUsize::new(0));
    let count = tunnels.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let count = count.clone();
            tokio::spawn(async move {
                let mut client = BufReader::new(client);
                let mut line = String::new();
                if client.read_line(&mut line).await.is_err() {
                    return;
                }
                let Some(target) = line
                    .strip_prefix("CONNECT ")
                    .and_then(|r| r.split(' ').next())
                else {
                    return;
                };
                let target = target.to_string();
                // The rest of the request head.
                loop {
                    let mut header = String::new();
                    match client.read_line(&mut header).await {
                        Ok(0) | Err(_) => return,
                        Ok(_) if header == "\r\n" => break,
                        Ok(_) => {}
                    }
                }
                let Ok(mut upstream) = tokio::net::TcpStream::connect(&target).await else {
                    return;
                };
                count.fetch_add(1, Ordering::SeqCst);
                let mut client = client.into_inner();
                if client
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .await
                    .is_err()
                {
                    return;
                }
                let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
            });
        }
    });
    (port, tunnels)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contexts_proxy_url_is_honoured() {
    let sim = sim_with(&[]).await;
    let (proxy, tunnels) = connect_proxy().await;
    let yaml = SimHandle::kubeconfig_of(&[("behind-proxy", &sim)]).replace(
        "    server: ",
        &format!("    proxy-url: http://127.0.0.1:{proxy}\n    server: "),
    );
    let kubeconfig = std::sync::Arc::new(Kubeconfig::from_yaml(&yaml).expect("kubeconfig"));
    let specs = [ClusterSpec {
        name: ContextName::new("behind-proxy"),
        kubeconfig,
    }];
    let (tx, mut rx) = mpsc::channel::<ClusterMsg>(1024);
    let fleet = Fleet::start(&specs, &Namespaces::Only(vec!["contentgen".into()]), tx);
    let mut model = ClusterModel::default();
    drain_until(
        &mut rx,
        &mut model,
        10,
        "the context behind the proxy",
        |m| state_of(m, "behind-proxy").is_live(),
    )
    .await;
    assert!(
        tunnels.load(std::sync::atomic::Ordering::SeqCst) > 0,
        "nothing went through the proxy"
    );
    fleet.stop();
    sim.stop().await;
}
