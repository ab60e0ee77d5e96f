//! The platform's own HTTP API served by the sim: health, the generation switch, pipelines.

#[path = "common/eventually.rs"]
mod eventually;
use eventually::eventually;

use std::time::Duration;

use opsdeck::sim::{self, Scenario, SimHandle, SimOptions};
use serde_json::Value;

async fn start(scenario: Option<Scenario>) -> (SimHandle, reqwest::Client) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sim = sim::start(SimOptions {
        scenario,
        ..SimOptions::default()
    })
    .await
    .expect("sim starts");
    (sim, reqwest::Client::new())
}

async fn call(c: &reqwest::Client, method: reqwest::Method, url: String) -> (u16, Value) {
    let resp = c.request(method, &url).send().await.expect("request");
    let code = resp.status().as_u16();
    let body = resp.json::<Value>().await.expect("JSON body");
    (code, body)
}

async fn get(c: &reqwest::Client, url: String) -> (u16, Value) {
    call(c, reqwest::Method::GET, url).await
}

async fn post(c: &reqwest::Client, url: String) -> (u16, Value) {
    call(c, reqwest::Method::POST, url).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_endpoints_report_dependencies_and_ready_pods() {
    let (sim, c) = start(None).await;
    let base = sim.platform_url();
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    let (code, live) = get(&c, format!("{base}/health/live")).await;
    assert_eq!((code, live["status"].as_str()), (200, Some("ok")));
    let (code, health) = get(&c, format!("{base}/health")).await;
    assert_eq!(code, 200, "{health}");
    assert_eq!(health["checks"]["redis"], "ok");
    assert_eq!(health["checks"]["postgres"], "ok");
    assert_eq!(health["checks"]["api_ready_pods"], "3/3");
    assert_eq!(health["status"], "ok");
    let (code, ready) = get(&c, format!("{base}/health/ready")).await;
    assert_eq!((code, ready["status"].as_str()), (200, Some("ok")));
    let (code, err) = get(&c, format!("{base}/nope")).await;
    assert_eq!(code, 404);
    assert!(err["error"].is_string(), "{err}");
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_answers_503_once_api_has_no_ready_pods() {
    let (sim, c) = start(None).await;
    let scale = format!(
        "{}/apis/apps/v1/namespaces/contentgen/deployments/api/scale",
        sim.url()
    );
    let resp = c
        .patch(&scale)
        .bearer_auth("sim-admin")
        .header("content-type", "application/merge-patch+json")
        .body(r#"{"spec":{"replicas":0}}"#)
        .send()
        .await
        .expect("scale");
    assert!(resp.status().is_success(), "{}", resp.status());
    let base = sim.platform_url();
    let body = eventually(60, "/health/ready 503", || async {
        let (code, body) = get(&c, format!("{base}/health/ready")).await;
        (code == 503).then_some(body)
    })
    .await;
    assert_eq!(body["status"], "down");
    assert_eq!(body["checks"]["api_ready_pods"], "0/0");
    let (code, _) = get(&c, format!("{base}/health/live")).await;
    assert_eq!(code, 200);
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_and_resume_round_trip_and_are_idempotent() {
    let (sim, c) = start(None).await;
    let base = sim.platform_url();
    let (code, cfg) = get(&c, format!("{base}/config")).await;
    assert_eq!(
        (code, &cfg["generation_paused"]),
        (200, &Value::Bool(false))
    );
    for _ in 0..2 {
        let (code, cfg) = post(&c, format!("{base}/config/pause-generation")).await;
        assert_eq!((code, &cfg["generation_paused"]), (200, &Value::Bool(true)));
    }
    let (_, cfg) = get(&c, format!("{base}/config")).await;
    assert_eq!(cfg["generation_paused"], true);
    let (_, health) = get(&c, format!("{base}/health")).await;
    assert_eq!(health["checks"]["generation"], "paused");
    let (_, before) = get(&c, format!("{base}/pipelines")).await;
    let pods = format!("{}/api/v1/namespaces/contentgen/pods", sim.url());
    let (_, list) = get(&c, format!("{pods}?labelSelector=app%3Darticle-generator")).await;
    let pod = list["items"][0]["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let idle = eventually(30, "the generator logs that it idles", || async {
        let text = c
            .get(format!("{pods}/{pod}/log?tailLines=1"))
            .send()
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        text.contains("generation paused, idle").then_some(text)
    })
    .await;
    assert!(idle.starts_with("INFO"), "{idle}");
    let (_, after) = get(&c, format!("{base}/pipelines")).await;
    let newest = |v: &Value| v["pipelines"][0]["id"].clone();
    assert_eq!(
        newest(&before),
        newest(&after),
        "no run starts while paused"
    );
    for _ in 0..2 {
        let (code, cfg) = post(&c, format!("{base}/config/resume-generation")).await;
        assert_eq!(
            (code, &cfg["generation_paused"]),
            (200, &Value::Bool(false))
        );
    }
    let (code, err) = get(&c, format!("{base}/config/pause-generation")).await;
    assert_eq!(code, 405, "{err}");
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelines_are_listed_newest_first_and_filtered() {
    let (sim, c) = start(None).await;
    let base = sim.platform_url();
    let runs = eventually(45, "a few runs", || async {
        let (_, body) = get(&c, format!("{base}/pipelines")).await;
        let runs = body["pipelines"].as_array().cloned().unwrap_or_default();
        (runs.len() >= 3).then_some(runs)
    })
    .await;
    let first = &runs[0];
    for field in [
        "id",
        "stage",
        "status",
        "started_at",
        "updated_at",
        "worker",
    ] {
        assert!(first[field].is_string(), "{field} in {first}");
    }
    assert!(first["article_id"].is_u64(), "{first}");
    assert!(
        first["started_at"]
            .as_str()
            .unwrap_or("")
            .parse::<jiff::Timestamp>()
            .is_ok()
    );
    assert!(runs[0]["id"].as_str() > runs[1]["id"].as_str());
    let succeeded = eventually(45, "a succeeded run", || async {
        let (_, body) = get(&c, format!("{base}/pipelines?status=succeeded")).await;
        let runs = body["pipelines"].as_array().cloned().unwrap_or_default();
        (!runs.is_empty()).then_some(runs)
    })
    .await;
    assert!(succeeded.iter().all(|r| r["status"] == "succeeded"));
    let id = succeeded[0]["id"].as_str().unwrap_or_default().to_string();
    let (code, err) = post(&c, format!("{base}/pipeline/{id}/retry")).await;
    assert_eq!(code, 409, "{err}");
    assert!(
        err["error"]
            .as_str()
            .unwrap_or("")
            .contains("only stuck or failed"),
        "{err}"
    );
    let (code, err) = post(&c, format!("{base}/pipeline/run-1/retry")).await;
    assert_eq!(code, 404, "{err}");
    let (code, err) = get(&c, format!("{base}/pipelines?status=bogus")).await;
    assert_eq!(code, 400, "{err}");
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipeline_stuck_runs_appear_and_a_retry_succeeds() {
    let (sim, c) = start(Some(Scenario::PipelineStuck)).await;
    let base = sim.platform_url();
    let stuck = eventually(120, "a stuck run", || async {
        let (_, body) = get(&c, format!("{base}/pipelines?status=stuck")).await;
        let runs = body["pipelines"].as_array().cloned().unwrap_or_default();
        runs.first().cloned()
    })
    .await;
    assert_eq!(stuck["status"], "stuck");
    let id = stuck["id"].as_str().unwrap_or_default().to_string();
    let (code, body) = post(&c, format!("{base}/pipeline/{id}/retry")).await;
    assert_eq!(code, 202, "{body}");
    assert_eq!(
        (body["id"].as_str(), body["status"].as_str()),
        (Some(id.as_str()), Some("queued"))
    );
    let (code, err) = post(&c, format!("{base}/pipeline/{id}/retry")).await;
    assert_eq!(code, 409, "{err}");
    let (_, health) = get(&c, format!("{base}/health")).await;
    assert_eq!(health["status"], "degraded", "{health}");
    eventually(60, "the retried run succeeds", || async {
        let (_, body) = get(&c, format!("{base}/pipelines")).await;
        let runs = body["pipelines"].as_array().cloned().unwrap_or_default();
        runs.iter()
            .find(|r| r["id"] == id.as_str())
            .filter(|r| r["status"] == "succeeded" && r["worker"] != stuck["worker"])
            .map(|_| ())
    })
    .await;
    sim.stop().await;
}

/// The sim's RabbitMQ management API, read by opsdeck's production RabbitMQ client (as the
/// demo and `sim --config-out` do): basic auth demanded, the `notifications` queue with its
/// consumers and the broker's own rates, and a paused generation switch leaves it untouched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rabbitmq_management_api_serves_the_notifications_queue() {
    use opsdeck::config::QueueKind;
    use opsdeck::queues::rabbitmq::Broker;
    let (sim, c) = start(None).await;
    let base = sim.platform_url();
    let (code, body) = get(&c, format!("{base}/api/queues/%2F")).await;
    assert_eq!(
        (code, body["error"].as_str()),
        (401, Some("not_authorized"))
    );
    let (code, body) = call_as(&c, format!("{base}/api/queues/%2F/nope")).await;
    assert_eq!(
        (code, body["error"].as_str()),
        (404, Some("Object Not Found"))
    );

    let configs = sim.queue_configs();
    let rabbit = configs
        .iter()
        .find(|q| q.kind == QueueKind::Rabbitmq)
        .expect("a RabbitMQ queue in the demo config");
    assert_eq!(rabbit.name, "notifications");
    let broker = Broker::new(&rabbit.url, None, "/").expect("broker");
    let http = opsdeck::clients::http::client(Duration::from_secs(2)).expect("client");
    let names = vec!["notifications".to_string()];
    let sample = eventually(30, "notifications with consumers and rates", || async {
        let listing = broker.sample_once(&http, &names, 0).await.expect("listing");
        assert!(listing.missing.is_empty() && listing.no_stats.is_empty());
        listing
            .samples
            .into_iter()
            .next()
            .filter(|s| s.consumers.is_some_and(|c| c > 0) && s.enqueued_total > Some(0))
    })
    .await;
    let rates = sample.broker_rates.expect("rates");
    assert!(rates.in_per_sec > 0.0, "{rates:?}");
    sim.stop().await;
}

async fn call_as(c: &reqwest::Client, url: String) -> (u16, Value) {
    let resp = c
        .get(&url)
        .basic_auth("guest", Some("guest"))
        .send()
        .await
        .expect("request");
    let code = resp.status().as_u16();
    (code, resp.json::<Value>().await.expect("JSON body"))
}

/// A sim whose clock starts at `at` (RFC 3339): its calendar, not the wall clock's, decides
/// what "today", "this month" and "the last 7 days" cover.
async fn start_at(at: &str) -> (SimHandle, reqwest::Client) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sim = sim::start(SimOptions {
        start_at: Some(at.parse().expect("an RFC 3339 instant")),
        ..SimOptions::default()
    })
    .await
    .expect("sim starts");
    (sim, reqwest::Client::new())
}

/// `a / b` is `want` to within a part in 10^4 (the sim's clock moves on while it is read).
fn assert_ratio(a: f64, b: f64, want: f64, what: &str) {
    let got = a / b;
    assert!(
        (got - want).abs() <= want * 1e-4,
        "{what}: {a} / {b} = {got}, want {want}"
    );
}

/// Infrastructure (OpenCost) and LLM spend (Prometheus) as the cost pane reads them, at the
/// sim's now.
async fn spend_at_sim_now(
    sim: &SimHandle,
) -> (
    opsdeck::cost::model::InfraReading,
    opsdeck::cost::model::LlmReading,
) {
    use opsdeck::clients::prometheus::Prometheus;
    use opsdeck::cost::opencost::OpenCost;
    let timeout = Duration::from_secs(5);
    let opencost = OpenCost::new(&sim.opencost_url(), None, timeout).expect("client");
    let infra = opencost.read().await.expect("allocation");
    let prom = Prometheus::new(&sim.prometheus_url(), None, timeout).expect("prom");
    let llm = opsdeck::cost::source::read_llm(&prom, sim.now().as_millisecond())
        .await
        .expect("LLM spend");
    (infra, llm)
}

/// The sim's OpenCost allocation API, read by opsdeck's OpenCost client, on the 15th at noon:
/// today is 12 hours, the month 14.5 days, exactly; LLM spend from the sim's Prometheus
/// agrees on the calendar (today < 24 h < 7 days < the month so far).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opencost_and_llm_spend_follow_the_sims_calendar_mid_month() {
    let (sim, c) = start_at("2026-11-15T12:00:00Z").await;
    let base = sim.opencost_url();
    let (code, body) = get(&c, format!("{base}/allocation?window=fortnight")).await;
    assert_eq!((code, body["code"].as_u64()), (400, Some(400)), "{body}");
    let (code, body) = get(
        &c,
        format!("{base}/allocation?window=month&accumulate=true"),
    )
    .await;
    assert_eq!(code, 200, "{body}");
    let first = body["data"][0]
        .as_object()
        .and_then(|m| m.values().next())
        .cloned()
        .unwrap_or_default();
    assert_eq!(first["window"]["start"], "2026-11-01T00:00:00Z", "{first}");

    let (infra, llm) = spend_at_sim_now(&sim).await;
    assert_eq!(
        infra.workloads.first().map(|w| w.key.as_str()),
        Some("__idle__")
    );
    let generator = infra
        .workloads
        .iter()
        .find(|w| w.key == "contentgen/article-generator")
        .expect("article-generator");
    assert!(generator.cost_usd > 0.0 && generator.cpu_efficiency.is_some());
    assert_ratio(infra.month_usd, infra.last_7d_usd, 14.5 / 7.0, "month / 7d");
    assert_ratio(infra.today_usd, infra.last_7d_usd, 0.5 / 7.0, "today / 7d");
    assert!(
        infra.month_usd < 500.0,
        "the plan's budget holds: {}",
        infra.month_usd
    );
    let t = &llm.total;
    assert!(
        0.0 < t.today_usd
            && t.today_usd < t.last_24h_usd
            && t.last_24h_usd < llm.last_7d_usd
            && llm.last_7d_usd < t.month_usd,
        "{llm:?}"
    );
    sim.stop().await;
}

/// On the 3rd at 06:00 the month so far (2.25 days) is below the last 7 days, for OpenCost and
/// for LLM spend: a sim that took its windows from the wall clock would not know.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn early_in_the_month_the_month_so_far_is_below_the_last_7_days() {
    let (sim, _) = start_at("2026-12-03T06:00:00Z").await;
    let (infra, llm) = spend_at_sim_now(&sim).await;
    assert_ratio(infra.month_usd, infra.last_7d_usd, 2.25 / 7.0, "month / 7d");
    assert_ratio(infra.today_usd, infra.last_7d_usd, 0.25 / 7.0, "today / 7d");
    let t = &llm.total;
    assert!(
        0.0 < t.today_usd && t.today_usd < t.month_usd && t.month_usd < llm.last_7d_usd,
        "{llm:?}"
    );
    sim.stop().await;
}

/// Both cost sources polling: an OpenCost that goes away marks only infrastructure stale; LLM
/// spend stays live. (The sources stamp readings with the wall clock, so only what holds on
/// every day is asserted here; the calendar is the two tests above.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_opencost_is_stale_alone() {
    use opsdeck::clients::prometheus::Prometheus;
    use opsdeck::cost::model::CostMsg;
    use opsdeck::cost::opencost::OpenCost;
    let (sim, _) = start(None).await;
    let timeout = Duration::from_secs(2);
    // OpenCost on a port nobody listens on; LLM spend from the sim's Prometheus API.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
    let dead_url = format!("http://{}", dead.local_addr().expect("addr"));
    drop(dead);
    let (tx, mut rx) = tokio::sync::mpsc::channel::<CostMsg>(16);
    let token = tokio_util::sync::CancellationToken::new();
    opsdeck::cost::source::spawn_cost_sources(
        Some(Prometheus::new(&sim.prometheus_url(), None, timeout).expect("prom")),
        Some(OpenCost::new(&dead_url, None, timeout).expect("opencost")),
        (Duration::from_millis(200), Duration::from_millis(200)),
        tx,
        token.clone(),
    );
    let both = opsdeck::cost::CostSources {
        llm: true,
        infra: true,
    };
    let plan = opsdeck::config::BudgetConfig::platform_plan();
    let mut model = opsdeck::cost::CostModel::new(Some(&plan), both);
    let (mut llm_seen, mut infra_failed) = (false, false);
    while !(llm_seen && infra_failed) {
        let msg = tokio::time::timeout(Duration::from_secs(20), rx.recv())
            .await
            .expect("a cost message")
            .expect("sources alive");
        match &msg {
            CostMsg::Llm { reading, .. } => {
                // Equal only in the first minute of a month (both windows are then 60 s).
                assert!(reading.total.month_usd >= reading.total.today_usd);
                llm_seen = true;
            }
            CostMsg::InfraFailed { reason, .. } => {
                assert_eq!(reason, "connection refused");
                infra_failed = true;
            }
            other => panic!("unexpected {other:?}"),
        }
        model.apply(&msg, 0);
    }
    assert_eq!(model.llm_load, opsdeck::status::LoadState::Live);
    assert!(matches!(
        model.infra_load,
        opsdeck::status::LoadState::Stale { .. }
    ));
    let daily = model
        .budgets()
        .iter()
        .find(|b| b.label == "LLM/day")
        .expect("daily budget");
    assert!(daily.spent_usd.is_some() && daily.projected_usd >= daily.spent_usd);
    token.cancel();
    sim.stop().await;
}
