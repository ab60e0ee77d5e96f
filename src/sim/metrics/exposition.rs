//! The metrics as text: `GET /metrics` (Prometheus exposition, current values) and the
//! OpenMetrics history a real Prometheus is backfilled from (`promtool tsdb
//! create-blocks-from openmetrics`).

use std::fmt::Write as _;
use std::io::{self, Write};

use super::Metrics;
use super::series::Series;

/// (family, type, help) of a sample name: OpenMetrics names counter families without `_total`.
fn family(name: &str) -> (&str, &'static str, &'static str) {
    match name {
        "http_request_duration_seconds_bucket" | "http_request_duration_seconds_count" => (
            "http_request_duration_seconds",
            "histogram",
            "API request latency.",
        ),
        "generation_paused" => (name, "gauge", "1 while article generation is paused."),
        "http_requests_total" => (
            "http_requests",
            "counter",
            "API requests by route and code.",
        ),
        "pipeline_runs_total" => ("pipeline_runs", "counter", "Pipeline stage runs by status."),
        "articles_published_total" => ("articles_published", "counter", "Articles published."),
        "llm_tokens_total" => ("llm_tokens", "counter", "LLM tokens by provider and model."),
        "llm_cost_usd_total" => ("llm_cost_usd", "counter", "LLM spend in US dollars."),
        name => (name, "gauge", gauge_help(name)),
    }
}

/// The exporters' gauges, with their own help texts (kube-state-metrics 2.x, the Celery
/// exporter of `celery prometheus --queuelength-interval`).
fn gauge_help(name: &str) -> &'static str {
    match name {
        "kube_pod_container_status_waiting_reason" => {
            "Describes the reason the container is currently in waiting state."
        }
        "kube_node_status_condition" => "The condition of a cluster node.",
        "kube_node_spec_unschedulable" => "Whether a node can schedule new pods.",
        "kube_deployment_spec_replicas" => "Number of desired pods for a deployment.",
        "kube_deployment_status_replicas_available" => {
            "The number of available replicas per deployment."
        }
        "kube_deployment_status_replicas_updated" => {
            "The number of updated replicas per deployment."
        }
        "kube_deployment_status_condition" => "The current status conditions of a deployment.",
        "celery_queue_length" => "Number of tasks waiting in a Celery queue.",
        _ => "",
    }
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn selector(s: &Series) -> String {
    if s.labels.is_empty() {
        return s.name.to_string();
    }
    let labels: Vec<String> = s
        .labels
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
        .collect();
    format!("{}{{{}}}", s.name, labels.join(","))
}

/// Values as Prometheus writes them (Go's `FormatFloat(v, 'g', -1, 64)` spellings for the
/// special ones); Rust's shortest round-trip form keeps exports exact.
pub fn format_value(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v == f64::INFINITY {
        "+Inf".into()
    } else if v == f64::NEG_INFINITY {
        "-Inf".into()
    } else {
        format!("{v}")
    }
}

/// The Prometheus text exposition (version 0.0.4) of every series' current value.
pub fn text(m: &Metrics) -> String {
    let mut out = String::new();
    let mut last = "";
    for s in m
        .series()
        .iter()
        .filter(|s| !super::series::is_stale(s.current))
    {
        let (fam, ty, help) = family(s.name);
        let named = if ty == "counter" { s.name } else { fam };
        if named != last {
            let _ = writeln!(out, "# HELP {named} {help}\n# TYPE {named} {ty}");
            last = named;
        }
        let _ = writeln!(out, "{} {}", selector(s), format_value(s.current));
    }
    out
}

/// Every stored sample in `[from_ms, to_ms]` as OpenMetrics: `# TYPE` per family, a timestamp
/// in seconds on each sample, `# EOF` at the end. Exactly the samples the sim's own PromQL
/// evaluates, so a Prometheus backfilled from it must give the same answers.
pub fn write_openmetrics(
    m: &Metrics,
    from_ms: i64,
    to_ms: i64,
    out: &mut impl Write,
) -> io::Result<()> {
    let mut last = "";
    for (i, s) in m.series().iter().enumerate() {
        let points = m.points(i, from_ms, to_ms);
        if points.is_empty() {
            continue;
        }
        let (fam, ty, help) = family(s.name);
        if fam != last {
            writeln!(out, "# HELP {fam} {help}\n# TYPE {fam} {ty}")?;
            last = fam;
        }
        let sel = selector(s);
        for (t, v) in points {
            writeln!(
                out,
                "{sel} {} {}.{:03}",
                format_value(v),
                t.div_euclid(1000),
                t.rem_euclid(1000)
            )?;
        }
    }
    writeln!(out, "# EOF")
}

/// [`write_openmetrics`] into a string (tests, small ranges).
pub fn openmetrics(m: &Metrics, from_ms: i64, to_ms: i64) -> String {
    let mut buf = Vec::new();
    let _ = write_openmetrics(m, from_ms, to_ms, &mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}
