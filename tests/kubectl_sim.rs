//! The real kubectl (and kube-rs) against the in-process simulated platform.

#[path = "common/eventually.rs"]
mod eventually;
use eventually::eventually;

#[path = "common/sim_env.rs"]
mod sim_env;

#[path = "common/describe_compare.rs"]
mod describe_compare;

#[path = "kubectl_sim/inspect.rs"]
mod inspect;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::Stdio;
use std::time::{Duration, Instant};

use opsdeck::sim::{self, Scenario, SimOptions};
use sim_env::SimEnv as Env;

fn row<'a>(table: &'a str, name: &str) -> &'a str {
    table
        .lines()
        .find(|l| l.contains(name))
        .unwrap_or_else(|| panic!("no row {name} in\n{table}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_all_kinds_prints_server_side_columns() {
    let env = Env::start(SimOptions::default()).await;
    let out = env
        .ok(&["get", "deploy,sts,pods,nodes,hpa,events", "-A"])
        .await;
    assert!(
        out.contains("READY   UP-TO-DATE   AVAILABLE   AGE"),
        "{out}"
    );
    let api = row(&out, "deployment.apps/api ");
    assert!(api.contains("contentgen") && api.contains("3/3"), "{api}");
    assert!(row(&out, "statefulset.apps/rabbitmq").contains("3/3"));
    let pod = row(&out, "pod/api-");
    assert!(pod.contains("Running") && pod.contains("1/1"), "{pod}");
    assert!(row(&out, "node/pool-general-4").contains("Ready"));
    let hpa = row(&out, "horizontalpodautoscaler.autoscaling/api");
    assert!(
        hpa.contains("%/70%") && hpa.contains("Deployment/api"),
        "{hpa}"
    );
    assert!(out.contains("STATUS   ROLES    AGE   VERSION"), "{out}");

    let json: serde_json::Value = serde_json::from_str(
        &env.ok(&["get", "deploy,pods", "-n", "contentgen", "-o", "json"])
            .await,
    )
    .unwrap();
    let items = json["items"].as_array().unwrap();
    assert!(
        items
            .iter()
            .any(|i| i["kind"] == "Deployment" && i["metadata"]["name"] == "api")
    );
    let pods: Vec<_> = items.iter().filter(|i| i["kind"] == "Pod").collect();
    assert!(pods.len() >= 15, "{}", pods.len());
    assert_eq!(
        pods[0]["metadata"]["ownerReferences"][0]["kind"],
        "ReplicaSet"
    );

    let wide = env
        .ok(&["get", "pods", "-n", "contentgen", "-o", "wide"])
        .await;
    assert!(
        wide.contains("IP") && wide.contains("NODE") && wide.contains("NOMINATED NODE"),
        "{wide}"
    );
    assert!(row(&wide, "redis-0").contains("pool-general-"));
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scale_deployment_brings_up_pods() {
    let env = Env::start(SimOptions::default()).await;
    env.ok(&[
        "scale",
        "deploy/article-generator",
        "-n",
        "contentgen",
        "--replicas=6",
    ])
    .await;
    let replicas = env
        .ok(&[
            "get",
            "deploy",
            "article-generator",
            "-o",
            "jsonpath={.spec.replicas}",
        ])
        .await;
    assert_eq!(replicas, "6");
    eventually(20, "6 ready article-generator pods", || async {
        let out = env.ok(&["get", "deploy", "article-generator"]).await;
        row(&out, "article-generator").contains("6/6").then_some(())
    })
    .await;
    let pods = env
        .ok(&["get", "pods", "-l", "app=article-generator", "--no-headers"])
        .await;
    assert_eq!(
        pods.lines().filter(|l| l.contains("Running")).count(),
        6,
        "{pods}"
    );
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollout_restart_then_undo_follows_revisions() {
    let env = Env::start(SimOptions::default()).await;
    let history = |s: String| {
        s.lines()
            .filter(|l| l.trim().chars().next().is_some_and(|c| c.is_ascii_digit()))
            .count()
    };
    let before = history(env.ok(&["rollout", "history", "deploy/api"]).await);
    let rs_before = env
        .ok(&["get", "rs", "-l", "app=api", "--no-headers"])
        .await
        .lines()
        .count();
    env.ok(&["rollout", "restart", "deploy/api"]).await;
    let annotation = env
        .ok(&[
            "get",
            "deploy",
            "api",
            "-o",
            "jsonpath={.spec.template.metadata.annotations}",
        ])
        .await;
    assert!(
        annotation.contains("kubectl.kubernetes.io/restartedAt"),
        "{annotation}"
    );
    env.ok(&["rollout", "status", "deploy/api", "--timeout=60s"])
        .await;
    assert_eq!(
        history(env.ok(&["rollout", "history", "deploy/api"]).await),
        before + 1
    );
    assert_eq!(
        env.ok(&["get", "rs", "-l", "app=api", "--no-headers"])
            .await
            .lines()
            .count(),
        rs_before + 1
    );
    let rev = env
        .ok(&[
            "get",
            "deploy",
            "api",
            "-o",
            "jsonpath={.metadata.annotations.deployment\\.kubernetes\\.io/revision}",
        ])
        .await;
    assert_eq!(rev, (before + 1).to_string());

    env.ok(&["rollout", "undo", "deploy/api"]).await;
    env.ok(&["rollout", "status", "deploy/api", "--timeout=60s"])
        .await;
    let annotation = env
        .ok(&[
            "get",
            "deploy",
            "api",
            "-o",
            "jsonpath={.spec.template.metadata.annotations}",
        ])
        .await;
    assert!(
        !annotation.contains("restartedAt"),
        "undo restores the previous template: {annotation}"
    );
    let rev = env
        .ok(&[
            "get",
            "deploy",
            "api",
            "-o",
            "jsonpath={.metadata.annotations.deployment\\.kubernetes\\.io/revision}",
        ])
        .await;
    assert_eq!(
        rev,
        (before + 2).to_string(),
        "undo moves the old revision to the top"
    );
    let hist = env.ok(&["rollout", "history", "deploy/api"]).await;
    assert!(
        !hist
            .lines()
            .any(|l| l.trim_start().starts_with(&format!("{before} "))),
        "revision {before} was renumbered: {hist}"
    );
    let image = env
        .ok(&[
            "get",
            "deploy",
            "api",
            "-o",
            "jsonpath={.spec.template.spec.containers[0].image}",
        ])
        .await;
    assert_eq!(image, "ghcr.io/contentgen/api:v1.8.2");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_tail_and_follow() {
    let env = Env::start(SimOptions::default()).await;
    let from_deploy = env.ok(&["logs", "deploy/api", "--tail=3"]).await;
    assert_eq!(from_deploy.lines().count(), 3, "{from_deploy}");
    assert!(from_deploy.contains("HTTP/1.1"), "{from_deploy}");
    let pod = env
        .ok(&[
            "get",
            "pods",
            "-l",
            "app=article-generator",
            "-o",
            "jsonpath={.items[0].metadata.name}",
        ])
        .await;
    let tail = env.ok(&["logs", "--tail=5", &pod]).await;
    assert_eq!(tail.lines().count(), 5, "{tail}");
    assert!(
        tail.contains("task=generate_article") && tail.contains("model=gpt-4o"),
        "{tail}"
    );

    let mut child = env
        .command(&["logs", "-f", "--tail=1", &pod])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let lines = tokio::task::spawn_blocking(move || {
        let mut r = BufReader::new(stdout);
        let mut got = vec![];
        let start = Instant::now();
        while got.len() < 4 && start.elapsed() < Duration::from_secs(15) {
            let mut l = String::new();
            if r.read_line(&mut l).unwrap() == 0 {
                break;
            }
            got.push(l);
        }
        got
    })
    .await
    .unwrap();
    child.kill().unwrap();
    let _ = child.wait();
    assert_eq!(lines.len(), 4, "follow streams new lines: {lines:?}");
    assert_eq!(
        lines.iter().collect::<std::collections::HashSet<_>>().len(),
        4,
        "{lines:?}"
    );
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crashloop_restarts_rise_with_backoff_events() {
    let env = Env::start(SimOptions {
        scenario: Some(Scenario::Crashloop),
        ..Default::default()
    })
    .await;
    let restarts = || async {
        let out = env
            .ok(&[
                "get",
                "pods",
                "-l",
                "app=fact-checker",
                "-o",
                "jsonpath={.items[*].status.containerStatuses[0].restartCount}",
            ])
            .await;
        out.split_whitespace()
            .filter_map(|n| n.parse::<i32>().ok())
            .max()
    };
    eventually(15, "a fact-checker restart", || async {
        restarts().await.filter(|r| *r >= 1)
    })
    .await;
    let first = restarts().await.unwrap();
    eventually(15, "restarts rising", || async {
        restarts().await.filter(|r| *r > first)
    })
    .await;
    let pods = env.ok(&["get", "pods", "-l", "app=fact-checker"]).await;
    assert!(
        pods.contains("CrashLoopBackOff") || pods.contains("ago)"),
        "{pods}"
    );
    let events = env.ok(&["get", "events", "-n", "contentgen"]).await;
    let backoff = row(&events, "BackOff");
    assert!(
        backoff.contains("Warning") && backoff.contains("pod/fact-checker-"),
        "{backoff}"
    );
    eventually(
        15,
        "BackOff events aggregated with a rising count",
        || async {
            let counts = env
                .ok(&[
                    "get",
                    "events",
                    "--field-selector",
                    "reason=BackOff",
                    "-o",
                    "jsonpath={.items[*].count}",
                ])
                .await;
            counts
                .split_whitespace()
                .filter_map(|n| n.parse::<i32>().ok())
                .max()
                .filter(|c| *c >= 2)
        },
    )
    .await;
    let last = env
        .ok(&[
            "get",
            "pods",
            "-l",
            "app=fact-checker",
            "-o",
            "jsonpath={.items[0].status.containerStatuses[0].lastState.terminated.reason}",
        ])
        .await;
    assert_eq!(last, "OOMKilled");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forbidden_resources_answer_403() {
    let env = Env::start(SimOptions {
        forbidden: vec!["nodes".into()],
        ..Default::default()
    })
    .await;
    let out = env.kubectl(&["get", "nodes"]).await;
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("forbidden") && err.contains("cannot list resource \"nodes\""),
        "{err}"
    );
    env.ok(&["get", "pods"]).await;
    let can = env.kubectl(&["auth", "can-i", "list", "nodes"]).await;
    let can = String::from_utf8_lossy(&can.stdout);
    assert!(can.starts_with("no"), "{can}");
    env.stop().await;
}

/// A hand-written HTTP/1.1 GET; returns everything the server sends before closing.
fn raw_get(addr: std::net::SocketAddr, path: &str) -> String {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: sim\r\nAuthorization: Bearer sim-admin\r\nConnection: close\r\n\r\n").unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

/// The resourceVersion of a pod list, read with the raw client.
fn list_rv(addr: std::net::SocketAddr) -> String {
    let resp = raw_get(addr, "/api/v1/namespaces/contentgen/pods?limit=1");
    let body = resp.split_once("\r\n\r\n").unwrap().1;
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    v["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_from_too_old_resource_version_gets_410() {
    let env = Env::start(SimOptions::default()).await;
    let addr = env.sim.addr();
    let body = tokio::task::spawn_blocking(move || {
        raw_get(
            addr,
            "/api/v1/namespaces/contentgen/pods?watch=true&resourceVersion=5",
        )
    })
    .await
    .unwrap();
    assert!(body.contains("\"type\":\"ERROR\""), "{body}");
    assert!(
        body.contains("\"code\":410") && body.contains("too old resource version: 5"),
        "{body}"
    );
    assert!(body.to_ascii_lowercase().contains("audit-id:"), "{body}");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sim_restarts_on_the_same_port_and_stop_ends_streams() {
    let env = Env::start(SimOptions::default()).await;
    let addr = env.sim.addr();
    env.ok(&["get", "pods"]).await;
    let rv = tokio::task::spawn_blocking(move || list_rv(addr))
        .await
        .unwrap();
    let path = format!("/api/v1/namespaces/contentgen/pods?watch=true&resourceVersion={rv}");
    let watch = tokio::task::spawn_blocking(move || raw_get(addr, &path));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let dir = env.dir.clone();
    let stopped = Instant::now();
    env.sim.stop().await;
    let body = tokio::time::timeout(Duration::from_secs(8), watch)
        .await
        .expect("stop closes open watches")
        .unwrap();
    assert!(body.starts_with("HTTP/1.1 200"), "{body}");
    assert!(stopped.elapsed() < Duration::from_secs(8));
    let sim = sim::start(SimOptions {
        listen: addr,
        ..Default::default()
    })
    .await
    .expect("same port again");
    let env = Env { sim, dir };
    env.ok(&["get", "pods"]).await;
    // A resourceVersion from the previous process is unknown here: 410, so clients re-list.
    let path = format!("/api/v1/namespaces/contentgen/pods?watch=true&resourceVersion={rv}");
    let body = tokio::task::spawn_blocking(move || raw_get(addr, &path))
        .await
        .unwrap();
    assert!(body.contains("\"code\":410"), "{body}");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kube_rs_lists_pages_and_streams_watch_lists() {
    use futures::{StreamExt, TryStreamExt};
    use k8s_openapi::api::core::v1::Pod;
    use kube::api::{Api, ListParams};
    use kube::runtime::{WatchStreamExt, watcher};
    let _ = rustls::crypto::ring::default_provider().install_default();
    let env = Env::start(SimOptions {
        pods: Some(2000),
        ..Default::default()
    })
    .await;
    let client = opsdeck::cluster::connect::client_from_yaml(&env.sim.kubeconfig_yaml())
        .await
        .expect("a client for the sim");
    let pods: Api<Pod> = Api::all(client.clone());
    let mut seen = std::collections::HashSet::new();
    let mut lp = ListParams::default().limit(500);
    loop {
        let page = pods.list(&lp).await.unwrap();
        for p in &page.items {
            assert!(
                seen.insert(p.metadata.uid.clone().unwrap()),
                "duplicate across pages"
            );
        }
        match page.metadata.continue_ {
            Some(c) if !c.is_empty() => lp = lp.continue_token(&c),
            _ => break,
        }
    }
    assert!((1800..2300).contains(&seen.len()), "{}", seen.len());
    let api_pods: Api<Pod> = Api::namespaced(client, "contentgen");
    let stream = watcher(
        api_pods,
        watcher::Config::default()
            .labels("app=api")
            .streaming_lists(),
    )
    .applied_objects();
    let first: Vec<Pod> = stream.take(3).try_collect().await.unwrap();
    assert!(
        first
            .iter()
            .all(|p| p.metadata.labels.as_ref().unwrap()["app"] == "api")
    );
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_watch_prints_table_rows_for_new_pods() {
    let env = Env::start(SimOptions::default()).await;
    let mut child = env
        .command(&["get", "pods", "-w", "-l", "app=publisher", "--no-headers"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for l in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(l).is_err() {
                break;
            }
        }
    });
    let initial: Vec<String> = (0..2)
        .map(|_| rx.recv_timeout(Duration::from_secs(10)).unwrap())
        .collect();
    env.ok(&["scale", "deploy/publisher", "--replicas=3"]).await;
    let known: Vec<&str> = initial
        .iter()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut ready_new = false;
    while Instant::now() < deadline && !ready_new {
        if let Ok(l) = rx.recv_timeout(Duration::from_millis(500)) {
            let name = l.split_whitespace().next().unwrap_or("").to_string();
            ready_new =
                !known.contains(&name.as_str()) && l.contains("1/1") && l.contains("Running");
        }
    }
    child.kill().unwrap();
    let _ = child.wait();
    assert!(
        ready_new,
        "kubectl get -w showed the new pod becoming ready"
    );
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_resource_version_in_a_scale_patch_is_a_conflict() {
    let env = Env::start(SimOptions::default()).await;
    let patch = |rv: &str| {
        format!(r#"{{"metadata":{{"resourceVersion":"{rv}"}},"spec":{{"replicas":5}}}}"#)
    };
    let out = env
        .kubectl(&[
            "-n",
            "contentgen",
            "patch",
            "deploy",
            "api",
            "--subresource=scale",
            "--type=merge",
            "-p",
            &patch("1"),
        ])
        .await;
    assert!(!out.status.success(), "a stale precondition must fail");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("the object has been modified") || err.contains("Conflict"),
        "{err}"
    );
    let replicas = env
        .ok(&[
            "-n",
            "contentgen",
            "get",
            "deploy",
            "api",
            "-o",
            "jsonpath={.spec.replicas}",
        ])
        .await;
    assert_eq!(replicas.trim(), "3", "nothing changed");
    let rv = env
        .ok(&[
            "-n",
            "contentgen",
            "get",
            "deploy",
            "api",
            "-o",
            "jsonpath={.metadata.resourceVersion}",
        ])
        .await;
    env.ok(&[
        "-n",
        "contentgen",
        "patch",
        "deploy",
        "api",
        "--subresource=scale",
        "--type=merge",
        "-p",
        &patch(rv.trim()),
    ])
    .await;
    let replicas = env
        .ok(&[
            "-n",
            "contentgen",
            "get",
            "deploy",
            "api",
            "-o",
            "jsonpath={.spec.replicas}",
        ])
        .await;
    assert_eq!(replicas.trim(), "5", "a current precondition passes");
    env.stop().await;
}

/// A paged list reports its first page's resource version on every page, as kube-apiserver
/// does: a pod deleted after page one was served reaches a watch from the list's version as
/// DELETED, so a client's store drops it (without this, rows of pods long gone stayed on
/// screen under churn).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pod_deleted_between_pages_reaches_the_watch_from_the_lists_version() {
    use futures::StreamExt;
    use k8s_openapi::api::core::v1::Pod;
    use kube::api::{Api, DeleteParams, ListParams, WatchEvent, WatchParams};
    let _ = rustls::crypto::ring::default_provider().install_default();
    let env = Env::start(SimOptions {
        pods: Some(2000),
        ..Default::default()
    })
    .await;
    let client = opsdeck::cluster::connect::client_from_yaml(&env.sim.kubeconfig_yaml())
        .await
        .expect("a client for the sim");
    let pods: Api<Pod> = Api::all(client.clone());
    let first = pods.list(&ListParams::default().limit(500)).await.unwrap();
    let list_rv = first.metadata.resource_version.clone().unwrap();
    let victim = &first.items[0];
    let (ns, name) = (
        victim.metadata.namespace.clone().unwrap(),
        victim.metadata.name.clone().unwrap(),
    );
    Api::<Pod>::namespaced(client.clone(), &ns)
        .delete(&name, &DeleteParams::default().grace_period(0))
        .await
        .unwrap();
    let mut token = first.metadata.continue_.clone().unwrap();
    let mut pages = 1;
    while !token.is_empty() {
        let page = pods
            .list(&ListParams::default().limit(500).continue_token(&token))
            .await
            .unwrap();
        assert_eq!(
            page.metadata.resource_version.as_deref(),
            Some(list_rv.as_str()),
            "page {pages} is served at another version than the list's first page"
        );
        pages += 1;
        token = page.metadata.continue_.unwrap_or_default();
    }
    assert!(pages >= 4, "{pages} pages");
    let mut events = pods
        .watch(&WatchParams::default().timeout(20), &list_rv)
        .await
        .unwrap()
        .boxed();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut deleted = false;
    while !deleted && Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_secs(6), events.next()).await {
            Ok(Some(Ok(WatchEvent::Deleted(p)))) => {
                deleted = p.metadata.name.as_deref() == Some(&name)
            }
            Ok(Some(Ok(_))) => {}
            other => panic!("the watch ended before {name}'s deletion: {other:?}"),
        }
    }
    assert!(
        deleted,
        "no DELETED for {ns}/{name} from the list's version"
    );
    env.stop().await;
}
