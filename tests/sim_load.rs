//! The sim's load knob (`--load`, `--churn`, `--extra-*`; benches/load.sh) does what it says,
//! over the APIs a console reads: the extra queues on the RabbitMQ management API and in the
//! written config, the extra SLOs as a file the SLO loader takes whose queries the sim's
//! Prometheus answers, the extra alerts on Alertmanager v2, and pods replaced at the rate asked
//! for, counted on a kube watch. Without it, none of that.

#[path = "common/eventually.rs"]
mod eventually;

use std::time::{Duration, Instant};

use eventually::eventually;
use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams, WatchEvent, WatchParams};
use opsdeck::sim::load::Load;
use opsdeck::sim::{self, SimOptions};
use serde_json::Value;

async fn get(url: &str) -> Value {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let resp = reqwest::Client::new()
        .get(url)
        .basic_auth("opsdeck", Some(""))
        .send()
        .await
        .expect("GET");
    assert!(resp.status().is_success(), "{url}: {}", resp.status());
    resp.json().await.expect("json")
}

/// Names on `/api/queues` and `instance` labels on `/api/v2/alerts` that start with `load-`.
async fn load_queues_and_alerts(platform: &str) -> (usize, usize) {
    let queues = get(&format!("{platform}/api/queues")).await;
    let alerts = get(&format!("{platform}/api/v2/alerts")).await;
    let load = |v: &Value, field: &dyn Fn(&Value) -> &Value| {
        v.as_array()
            .expect("a list")
            .iter()
            .filter(|x| field(x).as_str().is_some_and(|n| n.starts_with("load-")))
            .count()
    };
    (
        load(&queues, &|q| &q["name"]),
        load(&alerts, &|a| &a["labels"]["instance"]),
    )
}

#[tokio::test]
async fn extra_queues_slos_and_alerts_are_served_over_the_platforms_apis() {
    let load = Load {
        queues: 40,
        slos: 12,
        alerts: 30,
        ..Load::default()
    };
    let sim = sim::start(SimOptions {
        load,
        ..SimOptions::default()
    })
    .await
    .expect("sim");
    let platform = sim.platform_url();
    // Alerts arrive with the first rule evaluation (a scrape every 5 s).
    let alerts = eventually(15, "the extra alerts", || async {
        let (_, alerts) = load_queues_and_alerts(&platform).await;
        (alerts > 0).then_some(alerts)
    })
    .await;
    assert_eq!(alerts, 30);
    let (queues, _) = load_queues_and_alerts(&platform).await;
    assert_eq!(queues, 40);
    assert!(sim.queue_config_toml().contains("\"load-0040\""));

    let slos = sim.load_slos().expect("the load's SLO file parses");
    assert_eq!(slos.len(), 12);
    // Their queries are the platform's own: the sim's Prometheus has data for them.
    let query = "sum(rate(pipeline_runs_total[5m]))";
    let url = format!("{}/api/v1/query?query={query}", sim.prometheus_url());
    let answer = eventually(15, "an answer to an SLO query", || async {
        let v = get(&url).await;
        let result = v["data"]["result"].as_array().cloned().unwrap_or_default();
        (!result.is_empty()).then_some(result)
    })
    .await;
    assert_eq!(answer.len(), 1);
    sim.stop().await;
}

#[tokio::test]
async fn without_load_nothing_extra() {
    let sim = sim::start(SimOptions::default()).await.expect("sim");
    // Past the first evaluation, so the alerts would be there.
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_eq!(load_queues_and_alerts(&sim.platform_url()).await, (0, 0));
    assert!(sim.load_slos().expect("none").is_empty());
    sim.stop().await;
}

#[tokio::test]
async fn pods_are_replaced_at_the_churn_rate_on_the_watch() {
    let sim = sim::start(SimOptions {
        pods: Some(3000),
        load: Load {
            churn_per_sec: 100,
            ..Load::default()
        },
        ..SimOptions::default()
    })
    .await
    .expect("sim");
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = opsdeck::cluster::connect::client_from_yaml(&sim.kubeconfig_yaml())
        .await
        .expect("client");
    let pods: Api<Pod> = Api::all(client);
    let rv = pods
        .list_metadata(&ListParams::default().limit(1))
        .await
        .expect("list")
        .metadata
        .resource_version
        .expect("a resourceVersion");
    let mut watch = pods
        .watch(&WatchParams::default(), &rv)
        .await
        .expect("watch")
        .boxed();
    let (mut deleted, mut added) = (0u32, 0u32);
    let window = Duration::from_secs(3);
    let started = Instant::now();
    while let Ok(Some(ev)) = tokio::time::timeout_at(
        tokio::time::Instant::from_std(started + window),
        watch.next(),
    )
    .await
    {
        match ev.expect("a watch event") {
            WatchEvent::Deleted(_) => deleted += 1,
            WatchEvent::Added(_) => added += 1,
            _ => {}
        }
    }
    // 100 a second for 3 s, give or take a tick at each end.
    assert!(
        (240..=360).contains(&deleted),
        "{deleted} pods deleted in 3 s"
    );
    assert!(added + 30 >= deleted, "{added} added for {deleted} deleted");
    sim.stop().await;
}
