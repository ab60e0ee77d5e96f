//! Pyrra `ServiceLevelObjective` files read into [`Slo`]s.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_saphyr::Spanned;

use super::template::is_selector;
use super::{
    Doc, Sli, Slo, SloFileError, SloFormat, Template, key_error, percent_objective, period,
    slo_error,
};

#[derive(Deserialize)]
struct PyrraDoc {
    metadata: PyrraMeta,
    spec: PyrraSpec,
}

#[derive(Deserialize)]
struct PyrraMeta {
    name: Spanned<String>,
    namespace: Option<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct PyrraSpec {
    description: Option<String>,
    target: Spanned<String>,
    window: Spanned<String>,
    indicator: Spanned<PyrraIndicator>,
}

#[derive(Deserialize)]
struct PyrraIndicator {
    ratio: Option<PyrraRatio>,
    latency: Option<PyrraLatency>,
    #[serde(rename = "latencyNative")]
    latency_native: Option<Spanned<IgnoredAny>>,
    bool_gauge: Option<Spanned<IgnoredAny>>,
}

#[derive(Deserialize)]
struct PyrraRatio {
    errors: PyrraMetric,
    total: PyrraMetric,
    #[serde(default)]
    grouping: Vec<String>,
}

#[derive(Deserialize)]
struct PyrraLatency {
    success: PyrraMetric,
    total: PyrraMetric,
    #[serde(default)]
    grouping: Vec<String>,
}

#[derive(Deserialize)]
struct PyrraMetric {
    metric: Spanned<String>,
}

/// Pyrra has no service field: the `service` label, else the namespace, else the SLO's name.
pub(super) fn pyrra(doc: &Doc) -> Result<Slo, SloFileError> {
    let d: PyrraDoc = doc.parse(doc.text)?;
    let name = d.metadata.name.value.as_str();
    let target = &d.spec.target;
    let percent = target.value.trim().parse::<f64>().map_err(|_| {
        let what = format!("target {:?} is not a percent (like '99.9')", target.value);
        slo_error(doc, name, target.referenced, what)
    })?;
    let objective = percent_objective(doc, name, "target", percent, target.referenced)?;
    let period = period(doc, name, "window", &d.spec.window)?;
    let (sli, grouping) = pyrra_sli(doc, name, &d.spec.indicator)?;
    let service = d
        .metadata
        .labels
        .get("service")
        .or(d.metadata.namespace.as_ref())
        .map_or_else(|| name.to_string(), Clone::clone);
    Ok(Slo {
        name: name.to_string(),
        service,
        description: d.spec.description,
        source: doc.source(&d.metadata.name, SloFormat::Pyrra),
        objective,
        period,
        sli,
        labels: d.metadata.labels,
        sloth_id: None,
        alert_name: None,
        grouping,
    })
}

fn pyrra_sli(
    doc: &Doc,
    name: &str,
    ind: &Spanned<PyrraIndicator>,
) -> Result<(Sli, Vec<String>), SloFileError> {
    let selector = |key: &str, m: &PyrraMetric| {
        let q = m.metric.value.trim();
        if is_selector(q) {
            Ok(Template::Counter(q.to_string()))
        } else {
            let what = format!("{key}.metric {q:?} is not a selector (like metric{{label=\"x\"}})");
            Err(slo_error(doc, name, m.metric.referenced, what))
        }
    };
    let i = &ind.value;
    if let Some(r) = &i.ratio {
        let sli = Sli::Events {
            error_query: selector("errors", &r.errors)?,
            total_query: selector("total", &r.total)?,
        };
        return Ok((sli, r.grouping.clone()));
    }
    if let Some(l) = &i.latency {
        let sli = Sli::Good {
            good_query: selector("success", &l.success)?,
            total_query: selector("total", &l.total)?,
        };
        return Ok((sli, l.grouping.clone()));
    }
    let (at, key, what) = match (&i.latency_native, &i.bool_gauge) {
        (Some(n), _) => (
            n.referenced,
            "latencyNative",
            "latencyNative indicators are not supported: use ratio or latency",
        ),
        (None, Some(b)) => (
            b.referenced,
            "bool_gauge",
            "bool_gauge indicators are not supported: use ratio or latency",
        ),
        (None, None) => (
            ind.referenced,
            "indicator",
            "indicator needs ratio (errors and total) or latency (success and total)",
        ),
    };
    Err(key_error(doc, name, at, key, what))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slo::spec::tests::{DAY, load, one};
    use std::time::Duration;

    #[test]
    fn pyrra_example_parses() {
        let slo = load("examples/slos/pipeline.yaml").remove(0);
        assert_eq!(
            (slo.name.as_str(), slo.service.as_str()),
            ("pipeline-success", "pipeline")
        );
        assert_eq!(slo.source.format, SloFormat::Pyrra);
        assert_eq!(slo.source.line, 5);
        assert_eq!(slo.objective, 0.99);
        assert_eq!(slo.period, Duration::from_secs(30 * DAY));
        assert_eq!(slo.grouping, vec!["stage"]);
        assert_eq!(
            slo.sli,
            Sli::Events {
                error_query: Template::Counter(r#"pipeline_runs_total{status="failure"}"#.into()),
                total_query: Template::Counter("pipeline_runs_total".into()),
            }
        );
        assert_eq!(
            slo.sli.error_ratio_query(Duration::from_secs(30 * DAY)),
            "(sum(rate(pipeline_runs_total{status=\"failure\"}[30d])))\n/\n\
             (sum(rate(pipeline_runs_total[30d])))"
        );
    }

    #[test]
    fn pyrra_latency_is_good_over_total() {
        let slo = one(r#"
apiVersion: pyrra.dev/v1alpha1
kind: ServiceLevelObjective
metadata:
  name: api-latency
  namespace: contentgen
spec:
  target: "99.5"
  window: 4w
  indicator:
    latency:
      success:
        metric: http_request_duration_seconds_bucket{service="api",le="1"}
      total:
        metric: http_request_duration_seconds_bucket{service="api",le="+Inf"}
"#);
        assert_eq!(slo.service, "contentgen");
        assert_eq!(slo.period, Duration::from_secs(28 * DAY));
        assert_eq!(
            slo.sli.error_ratio_query(Duration::from_secs(3600)),
            "1 - (\n(sum(rate(http_request_duration_seconds_bucket{service=\"api\",le=\"1\"}[1h])))\n/\n\
             (sum(rate(http_request_duration_seconds_bucket{service=\"api\",le=\"+Inf\"}[1h])))\n)"
        );
    }
}
