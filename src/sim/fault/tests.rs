//! The fault layer over a small router served on loopback, asked with a real HTTP client.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use tokio_util::sync::CancellationToken;

use super::conn::{ConnHandle, FaultListener};
use super::layer::{FaultCtx, Port, wrap};
use super::*;

const QUERY: &str = r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#;

struct Served {
    addr: SocketAddr,
    faults: Arc<Faults>,
    cancel: CancellationToken,
}

impl Drop for Served {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// A Prometheus-like query endpoint and a watch-like stream (a line every 100 ms), behind
/// the layer on a "platform" or "api" port.
async fn serve(port: Port) -> Served {
    // Some tests build their own reqwest client, which needs the provider installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let stream = || async {
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        tokio::spawn(async move {
            for i in 0..1000 {
                let line = format!("{{\"type\":\"ADDED\",\"object\":{{\"n\":{i}}}}}\n");
                if tx.send(Ok::<_, std::io::Error>(line)).await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
        axum::body::Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(rx))
    };
    let router = Router::new()
        .route("/api/v1/query", get(|| async { QUERY }))
        .route("/api/v1/pods", get(stream));
    // The "world" is at resource version 50: `gone` expires what is older.
    let faults = Arc::new(Faults::new(Arc::new(|| 50)));
    let cancel = CancellationToken::new();
    let ctx = FaultCtx {
        faults: faults.clone(),
        port,
        cancel: cancel.clone(),
    };
    let control = Arc::new(control::Control {
        faults: faults.clone(),
        proxies: Default::default(),
    });
    let app = wrap(router, ctx).merge(control::router(control));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let stop = cancel.clone();
    tokio::spawn(async move {
        let app = app.into_make_service_with_connect_info::<ConnHandle>();
        let _ = axum::serve(FaultListener(listener), app)
            .with_graceful_shutdown(stop.cancelled_owned())
            .await;
    });
    Served {
        addr,
        faults,
        cancel,
    }
}

fn client() -> reqwest::Client {
    crate::clients::http::client(Duration::from_secs(2)).expect("client")
}

fn set(s: &Served, spec: &str) {
    s.faults.set(spec.parse().expect("spec"));
}

async fn query(s: &Served) -> Result<(u16, String, String), reqwest::Error> {
    let resp = client()
        .get(format!("http://{}/api/v1/query", s.addr))
        .send()
        .await?;
    let status = resp.status().as_u16();
    let ctype = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    Ok((status, ctype, resp.text().await?))
}

/// The Retry-After of a query answered 429.
async fn too_many(s: &Served) -> String {
    let resp = client()
        .get(format!("http://{}/api/v1/query", s.addr))
        .send()
        .await
        .expect("answers");
    assert_eq!(resp.status().as_u16(), 429);
    let asked = resp.headers().get("retry-after").expect("Retry-After");
    asked.to_str().expect("text").to_string()
}

#[test]
fn paths_are_sources_and_specs_parse() {
    assert_eq!(
        Source::of_api_path("/api/v1/namespaces/a/pods/b/log"),
        Source::Logs
    );
    assert_eq!(Source::of_api_path("/api/v1/pods"), Source::Kube);
    let p = |path| Source::of_platform_path(path);
    assert_eq!(p("/api/v1/query_range"), Some(Source::Prometheus));
    assert_eq!(p("/api/v2/alerts/groups"), Some(Source::Alertmanager));
    assert_eq!(p("/api/queues/%2F"), Some(Source::Rabbitmq));
    assert_eq!(p("/allocation"), Some(Source::Opencost));
    assert_eq!(p("/services/api/health/ready"), Some(Source::Health));
    assert_eq!(p("/pipelines"), Some(Source::Platform));
    assert_eq!(p("/_sim/fault"), None);
    let spec: FaultSpec = "prometheus=5xx".parse().expect("parses");
    assert_eq!(spec.kind, Some(Kind::Unavailable));
    assert_eq!("kube=clear".parse::<FaultSpec>().map(|s| s.kind), Ok(None));
    assert!("prometheus=gone".parse::<FaultSpec>().is_err());
    let spec: FaultSpec = "health=429:3".parse().expect("parses");
    assert_eq!(
        (spec.kind, spec.retry_after),
        (Some(Kind::TooMany), Some(3))
    );
    assert!("health=5xx:3".parse::<FaultSpec>().is_err());
    assert!("health=429:soon".parse::<FaultSpec>().is_err());
    assert!("redis=5xx".parse::<FaultSpec>().is_err());
    assert!("kube".parse::<FaultSpec>().is_err());
    let proxy: proxy::ProxySpec = "redis=127.0.0.1:7000->127.0.0.1:6379"
        .parse()
        .expect("spec");
    assert_eq!(
        (proxy.name.as_str(), proxy.target.as_str()),
        ("redis", "127.0.0.1:6379")
    );
    assert!(
        "kube=127.0.0.1:7000->127.0.0.1:6379"
            .parse::<proxy::ProxySpec>()
            .is_err()
    );
    assert!("redis=127.0.0.1:7000".parse::<proxy::ProxySpec>().is_err());
}

#[tokio::test]
async fn status_faults_answer_as_a_server_would() {
    let s = serve(Port::Platform).await;
    assert_eq!(query(&s).await.expect("answers").2, QUERY);
    for (spec, code) in [
        ("prometheus=5xx", 503),
        ("prometheus=401", 401),
        ("prometheus=403", 403),
    ] {
        set(&s, spec);
        assert_eq!(query(&s).await.expect("answers").0, code, "{spec}");
    }
    set(&s, "prometheus=429");
    assert_eq!(too_many(&s).await, "5");
    set(&s, "prometheus=429:2");
    assert_eq!(too_many(&s).await, "2");
    set(&s, "prometheus=malformed");
    let (code, ctype, body) = query(&s).await.expect("answers");
    assert_eq!((code, ctype.as_str()), (200, "text/html"));
    assert!(body.contains("<html>"));
    set(&s, "prometheus=wrong-shape");
    assert_eq!(
        query(&s).await.expect("answers").2,
        r#"{"unexpected":true}"#
    );
    set(&s, "prometheus=clear");
    assert_eq!(query(&s).await.expect("answers").2, QUERY);
}

#[tokio::test]
async fn transport_faults_fail_the_way_clients_see_them() {
    let s = serve(Port::Platform).await;
    set(&s, "prometheus=truncated");
    let err = query(&s).await.expect_err("cut short");
    assert!(
        err.is_body() || err.is_decode() || err.is_request(),
        "{err:?}"
    );
    set(&s, "prometheus=silent");
    assert!(query(&s).await.expect_err("no answer").is_timeout());
    set(&s, "prometheus=slow");
    assert!(query(&s).await.expect_err("too slow").is_timeout());
    set(&s, "prometheus=refused");
    let err = query(&s).await.expect_err("reset");
    assert!(
        format!("{err:?}").to_lowercase().contains("reset")
            || format!("{err:?}").contains("closed"),
        "{err:?}"
    );
    set(&s, "prometheus=clear");
    assert_eq!(query(&s).await.expect("answers again").2, QUERY);
}

async fn lines_of(resp: reqwest::Response) -> (Vec<String>, bool) {
    let mut resp = resp;
    let mut text = Vec::new();
    let mut failed = false;
    loop {
        match tokio::time::timeout(Duration::from_secs(3), resp.chunk()).await {
            Ok(Ok(Some(c))) => text.extend_from_slice(&c),
            Ok(Ok(None)) => break,
            Ok(Err(_)) => {
                failed = true;
                break;
            }
            Err(_) => break,
        }
    }
    let text = String::from_utf8_lossy(&text).to_string();
    (
        text.split_inclusive('\n').map(str::to_string).collect(),
        failed,
    )
}

#[tokio::test]
async fn streams_are_cut_mid_line_and_gone_sends_the_410_event() {
    let s = serve(Port::Api).await;
    let http = reqwest::Client::new();
    let url = format!("http://{}/api/v1/pods?watch=true&resourceVersion=5", s.addr);
    set(&s, "kube=midstream");
    let (lines, failed) = lines_of(http.get(&url).send().await.expect("stream")).await;
    assert!(failed, "{lines:?}");
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].ends_with('\n') && !lines[1].ends_with('\n'),
        "{lines:?}"
    );

    // A watch open when `gone` is set ends with the 410 event; one resuming from before it
    // is answered with it at once.
    set(&s, "kube=clear");
    let open = http.get(&url).send().await.expect("stream");
    tokio::time::sleep(Duration::from_millis(250)).await;
    set(&s, "kube=gone");
    let (lines, _) = lines_of(open).await;
    let last = lines.last().expect("lines");
    assert!(
        last.contains("\"code\":410") && last.contains("ERROR"),
        "{lines:?}"
    );
    let (lines, _) = lines_of(http.get(&url).send().await.expect("stream")).await;
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains("Expired"), "{lines:?}");
    // A watch from after the expiry (the relist's resource version) and a list pass.
    let fresh = format!(
        "http://{}/api/v1/pods?watch=true&resourceVersion=51",
        s.addr
    );
    let resp = http.get(&fresh).send().await.expect("stream");
    let mut resp = resp;
    let first = resp.chunk().await.expect("a line").expect("a line");
    assert!(first.starts_with(b"{\"type\":\"ADDED\""), "{first:?}");
}

#[tokio::test]
async fn the_control_endpoint_sets_lists_and_clears() {
    let s = serve(Port::Platform).await;
    let http = reqwest::Client::new();
    let url = format!("http://{}/_sim/fault", s.addr);
    let resp = http
        .post(&url)
        .json(&serde_json::json!({"source": "prometheus", "kind": "5xx"}))
        .send()
        .await
        .expect("answers");
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(query(&s).await.expect("answers").0, 503);
    let listed: serde_json::Value = http
        .get(&url)
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("json");
    assert_eq!(listed["faults"]["prometheus"], "5xx");
    assert_eq!(listed["hits"]["prometheus"], 1, "{listed}");
    assert_eq!(listed["hits"]["opencost"], 0, "{listed}");
    let resp = http
        .post(&url)
        .json(&serde_json::json!({"source": "prometheus", "kind": "429", "retry_after": 2}))
        .send()
        .await
        .expect("answers");
    let listed: serde_json::Value = resp.json().await.expect("json");
    assert_eq!(listed["faults"]["prometheus"], "429:2");
    assert_eq!(too_many(&s).await, "2");
    let bad = http
        .post(&url)
        .json(&serde_json::json!({"source": "opencost", "kind": "gone"}))
        .send()
        .await
        .expect("answers");
    assert_eq!(bad.status().as_u16(), 400);
    let resp = http
        .delete(format!("{url}/prometheus"))
        .send()
        .await
        .expect("answers");
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(query(&s).await.expect("answers").2, QUERY);
}
