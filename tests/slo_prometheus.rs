//! The SLO source and the LLM cost reader against a real Prometheus holding 30 days of the
//! sim's history: budget left, burn rates and today's spend agree within 1% with the same
//! figures computed independently from the exported series; a dead Prometheus marks the SLOs
//! stale with the reason, and they recover when it comes back.

#[path = "common/prometheus_server.rs"]
mod prometheus_server;

use std::time::Duration;

use opsdeck::clients::prometheus::Prometheus;
use opsdeck::slo::source::{SloMsg, SloSource};
use opsdeck::slo::{Slo, parse_duration};
use prometheus_server::{OmSample, PrometheusServer, growth, read_openmetrics};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

fn within_1_percent(what: &str, ours: f64, theirs: f64) {
    let rel = ((ours - theirs) / theirs.abs().max(1e-12)).abs();
    assert!(
        rel <= 0.01,
        "{what}: opsdeck {ours} vs independent {theirs} ({:.3}%)",
        rel * 100.0
    );
}

fn api(s: &OmSample) -> bool {
    s.label("service") == Some("api")
}

fn api_5xx(s: &OmSample) -> bool {
    api(s) && s.label("code").is_some_and(|c| c.starts_with('5'))
}

async fn with_prometheus() -> (opsdeck::sim::SimHandle, PrometheusServer) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sim = opsdeck::sim::start(opsdeck::sim::SimOptions {
        scenario: Some(opsdeck::sim::Scenario::BadRollout),
        ..Default::default()
    })
    .await
    .expect("sim");
    // Live samples every 5 s, with the bad revision's errors among them.
    tokio::time::sleep(Duration::from_secs(11)).await;
    let prom = PrometheusServer::backfilled(&sim, "slo").await;
    (sim, prom)
}

fn availability() -> Slo {
    let slos = opsdeck::slo::examples().expect("examples");
    slos.into_iter()
        .find(|s| s.name == "api-availability")
        .expect("api-availability")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn budget_and_burn_agree_with_the_series_and_a_dead_prometheus_recovers() {
    let (sim, mut prom) = with_prometheus().await;
    let client = Prometheus::new(&prom.url, None, Duration::from_secs(5)).expect("client");
    let slo = availability();
    let objective = slo.objective;
    let mut source = SloSource::new(client.clone(), vec![slo.clone()], Duration::from_secs(1))
        .at_time(prom.last as f64);
    let readings = source.refresh().await.expect("refresh");
    let r = &readings[0];
    // The first refresh brings the last hour of the burn window's ratio (a range query).
    let history = r.history.as_ref().expect("history");
    assert_eq!(history.len(), 60, "{history:?}");

    // Independently: counter growth over each window, straight from the exported samples.
    let samples = read_openmetrics(&prom.history);
    let end = prom.last as f64;
    let ratio = |w: &str| {
        let secs = parse_duration(w).expect("window").as_secs_f64();
        growth(&samples, "http_requests_total", api_5xx, end, secs)
            / growth(&samples, "http_requests_total", api, end, secs)
    };
    let budget = 1.0 - objective;
    let left = r
        .period_ratio
        .map(|p| 1.0 - p / budget)
        .expect("period ratio");
    within_1_percent("budget left", left, 1.0 - ratio("30d") / budget);
    for w in ["1h", "6h", "3d"] {
        let ours = r.ratios[&parse_duration(w).expect("w")] / budget;
        within_1_percent(&format!("burn over {w}"), ours, ratio(w) / budget);
    }
    // The bad rollout is live: the fast page row fires.
    let fast = r.ratios[&parse_duration("5m").expect("5m")] / budget;
    assert!(fast > 14.4, "5m burn {fast}");

    // The LLM spend reader, on the same data: today's spend and the last 24 hours', read at
    // 15:00 UTC yesterday. A fixed time of day: "today" is then always 15 hours (read at the
    // export's end it would be seconds long just after midnight, and too short to agree).
    let at = prom.last - prom.last.rem_euclid(86_400) - 86_400 + 15 * 3_600;
    let llm = opsdeck::cost::source::read_llm(&client, at * 1000)
        .await
        .expect("llm");
    let cost = |window: f64| growth(&samples, "llm_cost_usd_total", |_| true, at as f64, window);
    within_1_percent("LLM spend today", llm.total.today_usd, cost(15.0 * 3_600.0));
    within_1_percent("LLM spend 24h", llm.total.last_24h_usd, cost(86_400.0));
    // Over one hour Prometheus's extrapolation to the window's start (the history's samples
    // are a minute apart) is worth up to ~1.7%: closer than 3% is agreement here.
    let (ours, theirs) = (llm.last_hour_usd, cost(3_600.0));
    assert!(
        (ours - theirs).abs() / theirs <= 0.03,
        "last hour: {ours} vs {theirs}"
    );
    let by_provider: f64 = llm.by_provider.values().map(|s| s.today_usd).sum();
    within_1_percent("providers add up", by_provider, llm.total.today_usd);
    assert!(llm.articles_7d > 1000.0, "{llm:?}");

    // Take Prometheus away while the source polls: stale with the reason, then recovery.
    let (tx, mut rx) = mpsc::channel::<SloMsg>(16);
    let token = CancellationToken::new();
    tokio::spawn(
        SloSource::new(client, vec![slo], Duration::from_millis(300)).run(tx, token.clone()),
    );
    let next = async |rx: &mut mpsc::Receiver<SloMsg>, what: &str, want: fn(&SloMsg) -> bool| {
        let wait = async {
            loop {
                match rx.recv().await {
                    Some(m) if want(&m) => return m,
                    Some(_) => {}
                    None => panic!("source ended waiting for {what}"),
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(30), wait)
            .await
            .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
    };
    next(&mut rx, "a first reading", |m| {
        matches!(m, SloMsg::Refreshed { .. })
    })
    .await;
    prom.kill();
    let failed = next(&mut rx, "the failure", |m| {
        matches!(m, SloMsg::Failed { .. })
    })
    .await;
    let SloMsg::Failed { reason, retry_in } = failed else {
        unreachable!()
    };
    assert_eq!(reason, "connection refused");
    assert!(retry_in.is_some());
    prom.restart().await;
    let back = next(&mut rx, "recovery", |m| {
        matches!(m, SloMsg::Refreshed { .. })
    })
    .await;
    let SloMsg::Refreshed { readings, .. } = back else {
        unreachable!()
    };
    assert!(readings[0].period_ratio.is_some(), "{readings:?}");
    token.cancel();

    // With Sloth's recording rules in Prometheus, the source reads them instead of raw queries.
    let id = slo_id(&availability());
    prom.kill();
    prom.set_rules(&sloth_rules(&availability()));
    prom.restart().await;
    let client = Prometheus::new(&prom.url, None, Duration::from_secs(5)).expect("client");
    let rule = format!("slo:sli_error:ratio_rate1h{{sloth_id=\"{id}\"}}");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while client
        .query(&rule, None)
        .await
        .ok()
        .and_then(|r| r.single_value())
        .is_none()
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the rules never evaluated"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut source = SloSource::new(client.clone(), vec![availability()], Duration::from_secs(1));
    let readings = source.refresh().await.expect("refresh");
    let r = &readings[0];
    assert!(r.recording_rules, "{r:?}");
    assert!(
        r.queries
            .iter()
            .all(|(_, q)| q.contains("slo:sli_error:ratio_rate")),
        "{:?}",
        r.queries
    );
    let hour = parse_duration("1h").expect("1h");
    let raw = client
        .query(&availability().sli.error_ratio_query(hour), None)
        .await
        .expect("raw")
        .single_value()
        .expect("value");
    within_1_percent("recording rule vs raw, 1h", r.ratios[&hour], raw);
    sim.stop().await;
}

fn slo_id(slo: &Slo) -> String {
    slo.sloth_id.clone().expect("a Sloth SLO")
}

/// The recording rules Sloth generates for an SLO (its `slo:sli_error:ratio_rate<window>`
/// family), one per window the source reads.
fn sloth_rules(slo: &Slo) -> String {
    let id = slo_id(slo);
    let mut rules = String::from("groups:\n- name: sloth-slo-sli-recordings\n  rules:\n");
    for w in ["5m", "30m", "1h", "6h", "3d", "30d"] {
        let expr = slo
            .sli
            .error_ratio_query(parse_duration(w).expect("window"));
        let expr = expr.split_whitespace().collect::<Vec<_>>().join(" ");
        rules.push_str(&format!(
            "  - record: slo:sli_error:ratio_rate{w}\n    expr: '{}'\n    labels: {{sloth_id: {id}, sloth_service: {}, sloth_slo: {}, sloth_window: {w}}}\n",
            expr.replace('\'', "''"),
            slo.service,
            slo.name
        ));
    }
    rules
}
