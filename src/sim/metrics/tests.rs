//! The metrics model and evaluator: Prometheus's rate arithmetic by hand, the baselines the SLO
//! panes start from, PromQL coverage, and the scenarios that move the numbers.

use jiff::{SignedDuration, Timestamp};

use super::promql::{self, QueryError, Value, extrapolated_rate};
use super::{Metrics, RangeSummary};
use crate::sim::Scenario;
use crate::sim::world::{Kind, World};

fn start() -> Timestamp {
    "2026-11-20T12:00:00.250Z".parse().unwrap()
}

fn summary(points: &[(i64, f64)], reset_correction: f64) -> RangeSummary {
    RangeSummary {
        count: points.len(),
        first: points[0],
        last: points[points.len() - 1],
        reset_correction,
    }
}

#[test]
fn extrapolated_rate_matches_prometheus_by_hand() {
    // Samples 30 s inside both edges of a 5 m range: extrapolated to the edges, 40 * 300 / 240.
    let s = summary(&[(30_000, 10.0), (270_000, 50.0)], 0.0);
    let s = RangeSummary { count: 5, ..s };
    assert_eq!(extrapolated_rate(&s, 0, 300_000, false), Some(50.0));
    assert_eq!(extrapolated_rate(&s, 0, 300_000, true), Some(50.0 / 300.0));
    // The counter would reach zero 12 s before its first sample: extrapolate only that far.
    let s = RangeSummary {
        count: 5,
        ..summary(&[(30_000, 2.0), (270_000, 42.0)], 0.0)
    };
    assert_eq!(
        extrapolated_rate(&s, 0, 300_000, false),
        Some(40.0 * 282.0 / 240.0)
    );
    // An edge further than 1.1 average intervals away gets half an interval: 300 * 450 / 300.
    let s = RangeSummary {
        count: 4,
        ..summary(&[(100_000, 100.0), (400_000, 400.0)], 0.0)
    };
    assert_eq!(extrapolated_rate(&s, 0, 600_000, false), Some(450.0));
    // A reset from 20 to 5 adds 20 back: 10, 20, 5, 15 increased by 25.
    let s = RangeSummary {
        count: 4,
        ..summary(&[(0, 10.0), (180_000, 15.0)], 20.0)
    };
    assert_eq!(extrapolated_rate(&s, 0, 180_000, false), Some(25.0));
    // One sample: no rate at all.
    let s = summary(&[(0, 10.0)], 0.0);
    assert_eq!(extrapolated_rate(&s, 0, 60_000, true), None);
}

fn scalar(m: &Metrics, q: &str, t_ms: i64) -> f64 {
    match promql::instant(m, q, t_ms) {
        Ok(Value::Vector(v)) if v.len() == 1 => v[0].value,
        Ok(Value::Scalar(v)) => v,
        other => panic!("{q}: {other:?}"),
    }
}

fn vector(m: &Metrics, q: &str, t_ms: i64) -> Vec<promql::Sample> {
    match promql::instant(m, q, t_ms) {
        Ok(Value::Vector(v)) => v,
        other => panic!("{q}: {other:?}"),
    }
}

const AVAIL: &str = r#"sum(rate(http_requests_total{service="api",code=~"5.."}[W])) / sum(rate(http_requests_total{service="api"}[W]))"#;

fn ratio(m: &Metrics, template: &str, w: &str, t_ms: i64) -> f64 {
    scalar(m, &template.replace('W', w), t_ms)
}

#[test]
fn history_starts_the_slo_panes_with_budget_spent_but_not_exhausted() {
    let m = Metrics::new(start());
    let t = m.last_sample_ms();
    let avail = ratio(&m, AVAIL, "30d", t);
    assert!(
        (0.0003..0.00045).contains(&avail),
        "api availability {avail}"
    );
    let slow = scalar(
        &m,
        r#"1 - sum(rate(http_request_duration_seconds_bucket{service="api",le="1"}[30d])) / sum(rate(http_request_duration_seconds_bucket{service="api",le="+Inf"}[30d]))"#,
        t,
    );
    assert!((0.0035..0.0045).contains(&slow), "api latency {slow}");
    let publish = scalar(
        &m,
        r#"sum(rate(pipeline_runs_total{stage="publish",status="failure"}[7d])) / sum(rate(pipeline_runs_total{stage="publish"}[7d]))"#,
        t,
    );
    assert!((0.012..0.03).contains(&publish), "publish {publish}");
    let pipeline = scalar(
        &m,
        r#"sum(rate(pipeline_runs_total{status="failure"}[30d])) / sum(rate(pipeline_runs_total[30d]))"#,
        t,
    );
    assert!((0.005..0.0095).contains(&pipeline), "pipeline {pipeline}");
    let spend = scalar(&m, "sum(increase(llm_cost_usd_total[1d]))", t);
    assert!((30.0..40.0).contains(&spend), "spend {spend}");
    let articles = scalar(&m, "sum(increase(articles_published_total[1d]))", t);
    assert!((1500.0..2500.0).contains(&articles), "articles {articles}");
    let providers = vector(&m, "sum by (provider) (rate(llm_cost_usd_total[1h]))", t);
    assert_eq!(providers.len(), 2);
}

#[test]
fn history_counters_never_go_backwards() {
    let m = Metrics::new(start());
    for (i, s) in m.series().iter().enumerate() {
        let points = m.points(i, m.origin_ms(), m.last_sample_ms());
        assert!(points.len() > 43_000, "{}", s.name);
        assert!(
            points
                .windows(2)
                .all(|w| w[1].1 >= w[0].1 && w[1].0 > w[0].0),
            "{} {:?}",
            s.name,
            s.labels
        );
    }
}

#[test]
fn selectors_aggregations_and_binary_operators() {
    let m = Metrics::new(start());
    let t = m.last_sample_ms();
    let v = vector(
        &m,
        r#"http_requests_total{code!="200",route!~"/api/articles.*"}"#,
        t,
    );
    assert_eq!(v.len(), 3);
    assert!(
        v.iter()
            .all(|s| s.labels["__name__"] == "http_requests_total")
    );
    let by = vector(&m, "sum by (code) (rate(http_requests_total[5m]))", t);
    assert_eq!(by.len(), 4);
    assert!(by.iter().all(|s| s.labels.keys().eq(["code"])));
    let without = vector(&m, "sum without (route) (rate(http_requests_total[5m]))", t);
    assert!(
        without
            .iter()
            .all(|s| s.labels.keys().eq(["code", "service"]))
    );
    assert_eq!(scalar(&m, "count(pipeline_runs_total)", t), 6.0);
    let total = scalar(&m, "sum(rate(http_requests_total[5m]))", t);
    let parts: f64 = by.iter().map(|s| s.value).sum();
    assert!((total - parts).abs() < 1e-9 * total);
    // One-to-one matching on identical label sets, and with on/ignoring.
    let share = vector(
        &m,
        "sum by (code) (rate(http_requests_total[5m])) / ignoring(x) sum by (code) (rate(http_requests_total[5m]))",
        t,
    );
    assert!(share.iter().all(|s| s.value == 1.0), "{share:?}");
    let on = vector(
        &m,
        r#"rate(pipeline_runs_total{status="failure"}[1h]) / on(stage) sum by (stage) (rate(pipeline_runs_total[1h]))"#,
        t,
    );
    assert_eq!(on.len(), 3);
    assert!(on.iter().all(|s| s.labels.keys().eq(["stage"])));
    assert_eq!(scalar(&m, "-(2 * 3) + 10 / 4", t), -3.5);
    assert!(scalar(&m, "0/0", t).is_nan());
    assert_eq!(scalar(&m, "1/0", t), f64::INFINITY);
    assert!(
        scalar(
            &m,
            r#"sum(rate(http_requests_total{code="999"}[5m])) or vector(0)"#,
            t
        ) == 0.0
    );
    assert!(scalar(&m, "vector(0) / vector(0)", t).is_nan());
    assert_eq!(vector(&m, "generation_paused > 0", t).len(), 0);
    assert_eq!(scalar(&m, "generation_paused == bool 0", t), 1.0);
    let batched = vector(
        &m,
        r#"label_replace(sum(rate(http_requests_total[5m])), "window", "5m", "", "") or label_replace(sum(rate(http_requests_total[1h])), "window", "1h", "", "")"#,
        t,
    );
    assert_eq!(batched.len(), 2);
}

#[test]
fn unsupported_queries_are_bad_data() {
    let m = Metrics::new(start());
    let t = m.last_sample_ms();
    for q in [
        "holt_winters(http_requests_total[5m], 0.5, 0.5)",
        "quantile(0.9, http_requests_total)",
        "rate(http_requests_total[5m:1m])",
        "sum(",
    ] {
        let e = promql::instant(&m, q, t).unwrap_err();
        assert!(matches!(e, QueryError::BadData(_)), "{q}: {e:?}");
    }
    let e = promql::range(&m, "1", 0, 100_000_000, 1000).unwrap_err();
    assert!(e.to_string().contains("11,000 points"), "{e}");
}

fn advance(w: &mut World, secs: i64) {
    let mut t = w.now();
    for _ in 0..secs * 4 {
        t = t.checked_add(SignedDuration::from_millis(250)).unwrap();
        w.tick(t);
    }
}

#[test]
fn bad_rollout_pages_within_a_minute_and_undo_recovers() {
    let mut w = World::new(Some(Scenario::BadRollout), None, start());
    let good = w
        .object_json(Kind::Deployment, "contentgen", "api")
        .unwrap()["spec"]["template"]
        .clone();
    advance(&mut w, 60);
    let t = w.metrics.last_sample_ms();
    for window in ["5m", "1h"] {
        let r = ratio(&w.metrics, AVAIL, window, t);
        assert!(r > 14.4 * 0.001, "{window}: {r}");
    }
    let mut d = w
        .object_json(Kind::Deployment, "contentgen", "api")
        .unwrap();
    d["spec"]["template"] = good;
    w.apply_json(Kind::Deployment, "contentgen", "api", d, false)
        .unwrap();
    advance(&mut w, 6 * 60);
    let r = ratio(&w.metrics, AVAIL, "5m", w.metrics.last_sample_ms());
    assert!(r < 0.001, "after undo: {r}");
}

#[test]
fn cost_spike_crosses_the_daily_budget_and_pausing_stops_spend() {
    let mut w = World::new(Some(Scenario::CostSpike), None, start());
    advance(&mut w, 60);
    let m = &w.metrics;
    let per_day = scalar(
        m,
        "sum(rate(llm_cost_usd_total[1m])) * 86400",
        m.last_sample_ms(),
    );
    assert!(per_day > 50.0, "{per_day}");
    let now = w.now();
    w.pipelines.set_paused(true, now);
    advance(&mut w, 10);
    let before = scalar(
        &w.metrics,
        "sum(llm_cost_usd_total) + sum(articles_published_total) + sum(pipeline_runs_total)",
        w.metrics.last_sample_ms(),
    );
    assert_eq!(
        scalar(&w.metrics, "generation_paused", w.metrics.last_sample_ms()),
        1.0
    );
    advance(&mut w, 30);
    let after = scalar(
        &w.metrics,
        "sum(llm_cost_usd_total) + sum(articles_published_total) + sum(pipeline_runs_total)",
        w.metrics.last_sample_ms(),
    );
    assert_eq!(before, after);
}

#[test]
fn openmetrics_export_has_types_timestamps_and_eof() {
    let m = Metrics::new(start());
    let to = m.last_sample_ms();
    let text = super::openmetrics(&m, to - 120_000, to);
    assert!(text.contains("# TYPE http_requests counter\n"));
    assert!(text.contains("# TYPE http_request_duration_seconds histogram\n"));
    assert!(text.contains("# TYPE generation_paused gauge\n"));
    assert!(text.ends_with("# EOF\n"));
    let samples: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    assert!(
        samples
            .iter()
            .all(|l| l.rsplit(' ').next().unwrap().ends_with(".000"))
    );
    let exposition = super::exposition::text(&m);
    assert!(exposition.contains("# TYPE http_requests_total counter\n"));
    assert!(exposition.contains("articles_published_total "));
}

fn waiting(pod: &str, value: f64) -> super::GaugeSample {
    super::GaugeSample {
        name: "kube_pod_container_status_waiting_reason",
        labels: vec![("pod", pod.to_string()), ("namespace", "contentgen".into())],
        value,
    }
}

fn node_unschedulable(node: &str) -> super::GaugeSample {
    super::GaugeSample {
        name: "kube_node_spec_unschedulable",
        labels: vec![("node", node.to_string())],
        value: 0.0,
    }
}

#[test]
fn gauges_first_seen_together_join_their_family_once_each() {
    let mut m = Metrics::new(start());
    let t = *m.scrapes.back().unwrap();
    m.set_gauges(t, vec![waiting("a", 1.0), node_unschedulable("n1")]);
    // A later scrape: many new pods at once, one reported twice (the last value wins), a node.
    let mut samples: Vec<_> = (0..500).map(|i| waiting(&format!("p{i}"), 1.0)).collect();
    samples.push(node_unschedulable("n2"));
    samples.push(waiting("p7", 0.0));
    samples.push(waiting("a", 1.0));
    m.set_gauges(t + 5000, samples);

    let names: Vec<&str> = m.series().iter().map(|s| s.name).collect();
    let family = |name: &str| {
        let at: Vec<usize> = (0..names.len()).filter(|&i| names[i] == name).collect();
        assert!(
            at.windows(2).all(|w| w[1] == w[0] + 1),
            "{name} is not contiguous"
        );
        at
    };
    assert_eq!(
        family("kube_pod_container_status_waiting_reason").len(),
        501
    );
    assert_eq!(family("kube_node_spec_unschedulable").len(), 2);
    let value = |pod: &str| {
        let s = m
            .series()
            .iter()
            .find(|s| s.label("pod") == Some(pod))
            .unwrap();
        s.current
    };
    assert_eq!(value("p7"), 0.0);
    assert_eq!(value("p499"), 1.0);
    // The index points at the right series after the move.
    for (key, &i) in &m.gauges {
        assert_eq!((m.series[i].name, &m.series[i].labels), (key.0, &key.1));
    }
}
