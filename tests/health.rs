//! The health source against a local server answering in every shape: IETF health+json,
//! MicroProfile (readiness and liveness), the platform's map of words, bare codes, a slow
//! endpoint (past the client timeout), garbage bodies, and a port nobody listens on. What the
//! source sends, through the model the pane keeps.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use opsdeck::config::HealthConfig;
use opsdeck::health::source::spawn_health_sources;
use opsdeck::health::{HealthModel, HealthMsg, Probe, Shape, Status};
use opsdeck::status::LoadState;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

const HEALTH_JSON: &str = "application/health+json";
const JSON: &str = "application/json";
const TIMEOUT: Duration = Duration::from_millis(700);

fn answer(code: u16, content_type: &'static str, body: &'static str) -> Response {
    let code = StatusCode::from_u16(code).expect("status code");
    (code, [(header::CONTENT_TYPE, content_type)], body).into_response()
}

/// A server answering each shape at its own path.
async fn serve() -> String {
    let app = Router::new()
        .route(
            "/ietf",
            get(|| async {
                answer(
                    200,
                    HEALTH_JSON,
                    r#"{"status":"warn","checks":{
                        "postgres:responseTime":[{"componentId":"pg-1","componentType":"datastore",
                          "observedValue":850,"observedUnit":"ms","status":"warn",
                          "time":"2026-11-25T12:00:00Z"}],
                        "uptime":[{"componentType":"system","observedValue":3600,
                          "observedUnit":"s","status":"pass"}]}}"#,
                )
            }),
        )
        .route(
            "/mp/ready",
            get(|| async {
                answer(
                    503,
                    JSON,
                    r#"{"status":"DOWN","checks":[
                        {"name":"llm-provider","status":"DOWN","data":{"error":"connect timed out"}},
                        {"name":"redis","status":"UP","data":{}}]}"#,
                )
            }),
        )
        .route(
            "/mp/live",
            get(|| async { answer(200, JSON, r#"{"status":"UP","checks":[]}"#) }),
        )
        .route(
            "/mp/error",
            get(|| async { answer(500, JSON, r#"{"status":"DOWN","checks":[]}"#) }),
        )
        .route(
            "/platform",
            get(|| async {
                answer(
                    200,
                    JSON,
                    r#"{"status":"degraded","checks":{"redis":"ok","postgres":"ok",
                        "api_ready_pods":"2/3","generation":"active"}}"#,
                )
            }),
        )
        .route("/bare", get(|| async { StatusCode::OK }))
        .route(
            "/bare/down",
            get(|| async { answer(503, "text/plain", "Service Unavailable") }),
        )
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(3)).await;
                StatusCode::OK
            }),
        )
        .route(
            "/garbage",
            get(|| async { answer(200, JSON, "{\"status\": \"pa") }),
        )
        .route(
            "/garbage/500",
            get(|| async { answer(500, JSON, "<html>Internal Server Error</html>") }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// A url on a port nobody listens on.
fn dead_url() -> String {
    let dead = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
    let url = format!("http://{}/health/ready", dead.local_addr().expect("addr"));
    drop(dead);
    url
}

fn config(name: &str, url: String, live_url: Option<String>) -> HealthConfig {
    HealthConfig {
        name: name.into(),
        url,
        live_url,
    }
}

fn configs(base: &str) -> Vec<HealthConfig> {
    let at = |path: &str| format!("{base}{path}");
    vec![
        config("ietf", at("/ietf"), None),
        config("mp", at("/mp/ready"), Some(at("/mp/live"))),
        config("mp-error", at("/mp/error"), None),
        config("platform", at("/platform"), None),
        config("bare", at("/bare"), None),
        config("bare-down", at("/bare/down"), None),
        config("slow", at("/slow"), None),
        config("garbage", at("/garbage"), None),
        config("garbage-500", at("/garbage/500"), None),
        config("dead", dead_url(), Some(at("/bare"))),
    ]
}

/// Messages per service until every service has sent `rounds` of them.
async fn rounds(
    rx: &mut mpsc::Receiver<HealthMsg>,
    services: usize,
    rounds: usize,
) -> BTreeMap<String, Vec<HealthMsg>> {
    let mut seen: BTreeMap<String, Vec<HealthMsg>> = BTreeMap::new();
    while seen.len() < services || seen.values().any(|m| m.len() < rounds) {
        let msg = tokio::time::timeout(Duration::from_secs(20), rx.recv())
            .await
            .unwrap_or_else(|_| panic!("every service read {rounds} times; so far {seen:#?}"))
            .expect("the sources run");
        seen.entry(msg.service.clone()).or_default().push(msg);
    }
    seen
}

fn reading(probe: &Probe) -> &opsdeck::health::Reading {
    match probe {
        Probe::Answered(r) => r,
        Probe::Unreachable(why) => panic!("no answer: {why}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_shape_dead_slow_and_garbage_endpoints_each_read_for_what_they_are() {
    let base = serve().await;
    let configs = configs(&base);
    let (tx, mut rx) = mpsc::channel::<HealthMsg>(64);
    let token = CancellationToken::new();
    spawn_health_sources(
        configs.clone(),
        Duration::from_millis(200),
        TIMEOUT,
        tx,
        token.clone(),
    );
    let seen = rounds(&mut rx, configs.len(), 2).await;
    token.cancel();
    let first = |name: &str| &seen[name][0];

    let ietf = reading(&first("ietf").ready);
    assert_eq!((ietf.status, ietf.shape), (Status::Warn, Shape::HealthJson));
    assert_eq!(
        ietf.checks.iter().map(|c| c.text()).collect::<Vec<_>>(),
        ["postgres:responseTime warn: 850 ms"]
    );

    let mp = first("mp");
    let ready = reading(&mp.ready);
    assert_eq!((ready.code, ready.status), (503, Status::Fail));
    assert_eq!(ready.shape, Shape::MicroProfile);
    assert_eq!(
        ready.checks[0].text(),
        "llm-provider fail: error=connect timed out"
    );
    let live = reading(mp.live.as_ref().expect("live asked"));
    assert_eq!(live.status, Status::Pass);
    assert_eq!(mp.retry_in, None, "it answered: no backoff");

    let mp_error = reading(&first("mp-error").ready);
    assert_eq!(
        (mp_error.status, mp_error.note.as_deref()),
        (Status::Fail, Some("HTTP 500"))
    );

    let platform = reading(&first("platform").ready);
    assert_eq!(
        (platform.status, platform.shape),
        (Status::Warn, Shape::Json)
    );
    assert_eq!(platform.checks[0].text(), "api_ready_pods warn: 2/3");

    let bare = reading(&first("bare").ready);
    assert_eq!(
        (bare.status, bare.shape, bare.note.as_deref()),
        (Status::Pass, Shape::Code, None)
    );
    let down = reading(&first("bare-down").ready);
    assert_eq!(
        (down.status, down.note.as_deref()),
        (Status::Fail, Some("HTTP 503"))
    );

    let garbage = reading(&first("garbage").ready);
    assert_eq!(
        (garbage.status, garbage.note.as_deref()),
        (Status::Pass, Some("unreadable body"))
    );
    let garbage = reading(&first("garbage-500").ready);
    assert_eq!(
        (garbage.status, garbage.note.as_deref()),
        (Status::Fail, Some("unreadable body"))
    );

    // Slow and dead: no answer, the reason, and a backoff that grows.
    let timed_out = format!(
        "timed out after {}",
        opsdeck::clients::http::seconds(TIMEOUT)
    );
    for (name, reason) in [("slow", timed_out.as_str()), ("dead", "connection refused")] {
        let msgs = &seen[name];
        assert_eq!(msgs[0].ready, Probe::Unreachable(reason.into()), "{name}");
        let delays: Vec<Option<Duration>> = msgs.iter().map(|m| m.retry_in).collect();
        assert_eq!(
            delays[..2],
            [Some(Duration::from_secs(1)), Some(Duration::from_secs(2))],
            "{name}"
        );
    }
    // The dead service's liveness answered; its readiness still makes it unknown.
    assert_eq!(
        seen["dead"][0].live.as_ref().map(Probe::status),
        Some(Status::Pass)
    );

    // Through the model: worst first, unknown never healthy.
    let mut model = HealthModel::new(&configs);
    for msg in seen.values().flatten() {
        model.apply(msg);
    }
    let order: Vec<(&str, Status)> = model
        .rows()
        .iter()
        .map(|r| (r.name.as_str(), r.status))
        .collect();
    assert_eq!(
        order,
        [
            ("bare-down", Status::Fail),
            ("garbage-500", Status::Fail),
            ("mp", Status::Fail),
            ("mp-error", Status::Fail),
            ("dead", Status::Unknown),
            ("slow", Status::Unknown),
            ("ietf", Status::Warn),
            ("platform", Status::Warn),
            ("bare", Status::Pass),
            ("garbage", Status::Pass),
        ]
    );
    let slow = model.row("slow").expect("slow");
    assert!(
        matches!(&slow.load, LoadState::Stale { reason, .. } if reason.starts_with("timed out after ") && reason.contains(", retrying in")),
        "{:?}",
        slow.load
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_runbook_condition_reads_readiness_once_and_says_why() {
    let base = serve().await;
    let probes = opsdeck::actions::probes::Probes {
        health: configs(&base),
        ..Default::default()
    };
    let ready = |name: &'static str| {
        let probes = probes.clone();
        async move {
            let probe = probes.readiness(name).await.expect("a [[health]] entry");
            opsdeck::health::answer::readiness(name, &probe)
        }
    };
    let (holds, said) = ready("mp").await;
    assert!(!holds);
    assert!(
        said.starts_with("mp is not ready (HTTP 503 in ")
            && said.ends_with("llm-provider fail: error=connect timed out"),
        "{said}"
    );
    let (holds, said) = ready("platform").await;
    assert!(holds, "warn is ready: {said}");
    let (holds, said) = ready("dead").await;
    assert_eq!(
        (holds, said.as_str()),
        (false, "dead is not ready: no answer (connection refused)")
    );
    let err = probes
        .readiness("nobody")
        .await
        .expect_err("not configured");
    assert!(
        err.is_permanent() && err.to_string().contains("known: ietf, mp"),
        "{err}"
    );
}

/// The demo's path: the sim's health endpoints for every service and dependency, in the three
/// shapes services answer with, read through the same source; a healthy platform passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sims_health_endpoints_are_read_in_each_shape() {
    let sim = opsdeck::sim::start(opsdeck::sim::SimOptions::default())
        .await
        .expect("sim starts");
    let configs = sim.health_configs();
    let (tx, mut rx) = mpsc::channel::<HealthMsg>(16);
    let token = CancellationToken::new();
    spawn_health_sources(
        configs.clone(),
        Duration::from_millis(200),
        TIMEOUT,
        tx,
        token.clone(),
    );
    let seen = rounds(&mut rx, configs.len(), 1).await;
    token.cancel();
    for (service, shape) in [
        ("api", Shape::HealthJson),
        ("fact-checker", Shape::MicroProfile),
        ("postgres", Shape::Code),
    ] {
        let round = &seen[service][0];
        let ready = reading(&round.ready);
        assert_eq!(ready.shape, shape, "{service}: {ready:?}");
        assert_eq!(ready.status, Status::Pass, "{service}: {ready:?}");
        assert_eq!(round.live.as_ref().map(Probe::status), Some(Status::Pass));
    }
    assert!(
        seen.len() >= 13,
        "every service and dependency: {:?}",
        seen.keys()
    );
    sim.stop().await;
}
