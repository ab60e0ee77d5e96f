//! One alerts refresh (what the console does every 5 s) against two real Alertmanagers
//! (Debian's prometheus-alertmanager) holding 1,000 alerts and 100 silences each: the requests
//! it makes and its wall time. Target: 2 requests per instance, under 50 ms.
//!
//! `cargo bench --bench alerts` (criterion); the request count and a plain timing print first.
//! Requests are counted by a loopback proxy in front of each instance, since Alertmanager 0.25
//! has no per-handler request counter.

#[path = "../tests/common/alertmanager_server.rs"]
mod alertmanager_server;

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use alertmanager_server::AlertmanagerServer;
use criterion::{Criterion, criterion_group, criterion_main};
use opsdeck::alerts::client::Alertmanager;
use opsdeck::alerts::model::AlertsModel;
use opsdeck::config::AlertmanagerConfig;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ALERTS: usize = 1_000;
const SILENCES: usize = 100;

/// 1,000 alerts over 50 alert names and 4 namespaces, as a busy platform would hold.
async fn fill(http: &reqwest::Client, url: &str) {
    let now = jiff::Timestamp::now();
    let alerts: Vec<Value> = (0..ALERTS)
        .map(|i| {
            let severity = ["page", "ticket", "warning", "info"][i % 4];
            json!({
                "labels": {
                    "alertname": format!("Alert{}", i % 50),
                    "namespace": format!("ns{}", i % 4),
                    "pod": format!("pod-{i}"),
                    "severity": severity,
                },
                "annotations": {"summary": format!("alert number {i}"), "runbook_url": "https://x/runbooks/bad-rollout"},
                "startsAt": (now - jiff::SignedDuration::from_mins(10)).to_string(),
                "endsAt": (now + jiff::SignedDuration::from_hours(2)).to_string(),
            })
        })
        .collect();
    let resp = http
        .post(format!("{url}/api/v2/alerts"))
        .json(&alerts)
        .send()
        .await
        .expect("post alerts");
    assert!(resp.status().is_success());
    for i in 0..SILENCES {
        let body = json!({
            "matchers": [{"name": "pod", "value": format!("pod-{}", i * 7), "isRegex": false, "isEqual": true}],
            "startsAt": now.to_string(),
            "endsAt": (now + jiff::SignedDuration::from_hours(1)).to_string(),
            "createdBy": "bench",
            "comment": format!("silence {i}"),
        });
        let resp = http
            .post(format!("{url}/api/v2/silences"))
            .json(&body)
            .send()
            .await
            .expect("post silence");
        assert!(resp.status().is_success());
    }
}

/// A TCP proxy to `port` that counts the HTTP requests passing through it.
async fn counting_proxy(port: u16, count: Arc<AtomicUsize>) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let local = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let count = count.clone();
            tokio::spawn(async move {
                let Ok(mut server) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await
                else {
                    return;
                };
                let (mut cr, mut cw) = client.split();
                let (mut sr, mut sw) = server.split();
                let up = async {
                    let mut buf = vec![0u8; 16 * 1024];
                    loop {
                        let n = match cr.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => n,
                        };
                        let text = String::from_utf8_lossy(&buf[..n]);
                        count.fetch_add(text.matches(" HTTP/1.1\r\n").count(), Ordering::SeqCst);
                        if sw.write_all(&buf[..n]).await.is_err() {
                            return;
                        }
                    }
                };
                let down = tokio::io::copy(&mut sr, &mut cw);
                tokio::select! {
                    () = up => {}
                    _ = down => {}
                }
            });
        }
    });
    local
}

/// Both instances read concurrently and merged, as the console's sources and pane do.
async fn refresh(instances: &[Alertmanager]) -> AlertsModel {
    let names: Vec<String> = instances.iter().map(|a| a.name().to_string()).collect();
    let mut model = AlertsModel::new(&names, vec![]);
    let reads = futures::future::join_all(
        instances
            .iter()
            .enumerate()
            .map(|(i, am)| opsdeck::alerts::source::read(am, i)),
    )
    .await;
    for read in reads {
        model.apply(read.expect("read"), 0);
    }
    model
}

fn bench(c: &mut Criterion) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let servers = [AlertmanagerServer::start(), AlertmanagerServer::start()];
    let http = reqwest::Client::new();
    let counts: Vec<Arc<AtomicUsize>> = (0..2).map(|_| Arc::new(AtomicUsize::new(0))).collect();
    let client = |i: usize, url: String| {
        let config = AlertmanagerConfig {
            name: format!("am-{i}"),
            url,
            password_env: None,
            readonly: false,
        };
        Alertmanager::new(&config, Duration::from_secs(5)).expect("client")
    };
    // Requests are counted through the proxies; time is measured without them (a userspace
    // copy of each 370 KB answer doubles the time on two cores).
    let (counted, instances): (Vec<Alertmanager>, Vec<Alertmanager>) = rt.block_on(async {
        let mut out = (vec![], vec![]);
        for (i, s) in servers.iter().enumerate() {
            fill(&http, &s.url()).await;
            let port = counting_proxy(s.port, counts[i].clone()).await;
            out.0.push(client(i, format!("http://127.0.0.1:{port}")));
            out.1.push(client(i, s.url()));
        }
        out
    });
    let model = rt.block_on(refresh(&instances));
    assert_eq!(
        model.unique().count(),
        ALERTS,
        "the same 1,000 alerts on both, merged"
    );
    assert_eq!(model.silences().len(), SILENCES);
    let mut walls = vec![];
    for _ in 0..30 {
        let start = Instant::now();
        black_box(rt.block_on(refresh(&instances)));
        walls.push(start.elapsed());
    }
    for _ in 0..10 {
        black_box(rt.block_on(refresh(&counted)));
    }
    let per_refresh: Vec<f64> = counts
        .iter()
        .map(|c| c.load(Ordering::SeqCst) as f64 / 10.0)
        .collect();
    walls.sort();
    println!(
        "alerts refresh: 2 Alertmanagers x {ALERTS} alerts, {SILENCES} silences; requests per instance {per_refresh:?}; wall median {:.1?} (p90 {:.1?}, max {:.1?}) over {} runs",
        walls[walls.len() / 2],
        walls[walls.len() * 9 / 10],
        walls[walls.len() - 1],
        walls.len()
    );
    // Where the time goes: the reads (Alertmanager answering, the JSON decoded) and the merge.
    let mut reads = vec![];
    let mut merges = vec![];
    for _ in 0..30 {
        let start = Instant::now();
        let msgs = rt.block_on(futures::future::join_all(
            instances
                .iter()
                .enumerate()
                .map(|(i, am)| opsdeck::alerts::source::read(am, i)),
        ));
        reads.push(start.elapsed());
        let names: Vec<String> = instances.iter().map(|a| a.name().to_string()).collect();
        let mut model = AlertsModel::new(&names, vec![]);
        let start = Instant::now();
        for m in msgs {
            model.apply(m.expect("read"), 0);
        }
        merges.push(start.elapsed());
    }
    reads.sort();
    merges.sort();
    println!(
        "of which: both reads median {:.1?}, both merges median {:.1?}",
        reads[15], merges[15]
    );
    c.bench_function("refresh 2 alertmanagers x 1000 alerts", |b| {
        b.iter(|| black_box(rt.block_on(refresh(&instances))));
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
