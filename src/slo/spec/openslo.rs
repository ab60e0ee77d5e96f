//! OpenSLO v1 files read into [`Slo`]s: `kind: SLO` documents, whose indicator is inline or is a
//! `kind: SLI` document of the same file named by `indicatorRef`.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_saphyr::{Location, Spanned};

use super::template::counter_template;
use super::{
    Doc, Sli, Slo, SloFileError, SloFormat, Template, key_error, percent_objective, period,
    slo_error,
};

/// OpenSLO kinds that carry no SLO of their own.
pub(super) const OPENSLO_SKIPPED: [&str; 5] = [
    "Service",
    "DataSource",
    "AlertPolicy",
    "AlertCondition",
    "AlertNotificationTarget",
];

#[derive(Deserialize)]
struct OsloMeta {
    name: Spanned<String>,
}

#[derive(Deserialize)]
pub(super) struct OsloSloDoc {
    metadata: OsloMeta,
    spec: Spanned<OsloSloSpec>,
}

#[derive(Deserialize)]
struct OsloSloSpec {
    description: Option<String>,
    service: String,
    indicator: Option<OsloIndicator>,
    #[serde(rename = "indicatorRef")]
    indicator_ref: Option<Spanned<String>>,
    #[serde(rename = "timeWindow")]
    time_window: Spanned<Vec<OsloTimeWindow>>,
    #[serde(rename = "budgetingMethod")]
    budgeting_method: Option<Spanned<String>>,
    objectives: Spanned<Vec<OsloObjective>>,
}

#[derive(Deserialize)]
struct OsloIndicator {
    spec: Spanned<OsloSliSpec>,
}

#[derive(Deserialize)]
struct OsloSliDoc {
    metadata: OsloMeta,
    spec: Spanned<OsloSliSpec>,
}

#[derive(Deserialize)]
pub(super) struct OsloSliSpec {
    #[serde(rename = "ratioMetric")]
    ratio_metric: Option<Spanned<OsloRatio>>,
    #[serde(rename = "thresholdMetric")]
    threshold_metric: Option<Spanned<IgnoredAny>>,
}

#[derive(Deserialize)]
struct OsloRatio {
    counter: Option<Spanned<bool>>,
    good: Option<OsloMetric>,
    bad: Option<OsloMetric>,
    total: Option<OsloMetric>,
    raw: Option<Spanned<IgnoredAny>>,
}

#[derive(Deserialize)]
struct OsloMetric {
    #[serde(rename = "metricSource")]
    metric_source: Spanned<OsloSource>,
}

#[derive(Deserialize)]
struct OsloSource {
    #[serde(rename = "type")]
    kind: Option<Spanned<String>>,
    spec: Option<OsloSourceSpec>,
}

#[derive(Deserialize)]
struct OsloSourceSpec {
    query: Option<Spanned<String>>,
}

#[derive(Deserialize)]
struct OsloTimeWindow {
    duration: Spanned<String>,
    #[serde(rename = "isRolling")]
    is_rolling: Option<Spanned<bool>>,
}

#[derive(Deserialize)]
struct OsloObjective {
    target: Option<Spanned<f64>>,
    #[serde(rename = "targetPercent")]
    target_percent: Option<Spanned<f64>>,
}

pub(super) fn openslo_slo(
    doc: &Doc,
    d: OsloSloDoc,
    slis: &BTreeMap<String, (&Doc, OsloSliSpec, Location)>,
) -> Result<Slo, SloFileError> {
    let name = d.metadata.name.value.as_str();
    let spec = &d.spec.value;
    // A missing budgetingMethod reads as Occurrences, the only method the ratio math fits.
    if let Some(m) = spec
        .budgeting_method
        .as_ref()
        .filter(|m| m.value != "Occurrences")
    {
        let what = format!(
            "budgetingMethod {} is not supported (only Occurrences)",
            m.value
        );
        return Err(slo_error(doc, name, m.referenced, what));
    }
    let objective = openslo_objective(doc, name, &spec.objectives)?;
    let period = openslo_period(doc, name, &spec.time_window)?;
    let sli_spec = match (&spec.indicator, &spec.indicator_ref) {
        (Some(i), _) => &i.spec,
        (None, Some(r)) => match slis.get(&r.value) {
            // The SLI's errors point into its own document.
            Some((sli_doc, s, at)) => {
                return openslo_finish(
                    doc,
                    &d,
                    objective,
                    period,
                    openslo_sli(sli_doc, name, s, *at)?,
                );
            }
            None => {
                let what = format!("indicatorRef {:?} names no SLI in this file", r.value);
                return Err(slo_error(doc, name, r.referenced, what));
            }
        },
        (None, None) => {
            return Err(slo_error(
                doc,
                name,
                d.spec.referenced,
                "needs an indicator or an indicatorRef",
            ));
        }
    };
    let sli = openslo_sli(doc, name, &sli_spec.value, sli_spec.referenced)?;
    openslo_finish(doc, &d, objective, period, sli)
}

fn openslo_finish(
    doc: &Doc,
    d: &OsloSloDoc,
    objective: f64,
    period: Duration,
    sli: Sli,
) -> Result<Slo, SloFileError> {
    Ok(Slo {
        name: d.metadata.name.value.clone(),
        service: d.spec.value.service.clone(),
        description: d.spec.value.description.clone(),
        source: doc.source(&d.metadata.name, SloFormat::OpenSlo),
        objective,
        period,
        sli,
        labels: BTreeMap::new(),
        sloth_id: None,
        alert_name: None,
        grouping: vec![],
    })
}

/// The first objective's `target` (a ratio) or `targetPercent`.
fn openslo_objective(
    doc: &Doc,
    name: &str,
    objectives: &Spanned<Vec<OsloObjective>>,
) -> Result<f64, SloFileError> {
    let missing = || {
        slo_error(
            doc,
            name,
            objectives.referenced,
            "objectives[0] needs a target (like 0.999) or a targetPercent (like 99.9)",
        )
    };
    let first = objectives.value.first().ok_or_else(missing)?;
    match (&first.target, &first.target_percent) {
        (Some(t), _) if t.value > 0.0 && t.value < 1.0 => Ok(t.value),
        (Some(t), _) => {
            let what = format!(
                "target {} is out of range: a ratio above 0 and below 1, like 0.999",
                t.value
            );
            Err(slo_error(doc, name, t.referenced, what))
        }
        (None, Some(p)) => percent_objective(doc, name, "targetPercent", p.value, p.referenced),
        (None, None) => Err(missing()),
    }
}

fn openslo_period(
    doc: &Doc,
    name: &str,
    windows: &Spanned<Vec<OsloTimeWindow>>,
) -> Result<Duration, SloFileError> {
    let Some(w) = windows.value.first() else {
        return Err(slo_error(
            doc,
            name,
            windows.referenced,
            "timeWindow needs one entry with a duration, like 30d",
        ));
    };
    if let Some(r) = w.is_rolling.as_ref().filter(|r| !r.value) {
        return Err(slo_error(
            doc,
            name,
            r.referenced,
            "calendar-aligned time windows (isRolling: false) are not supported: use a rolling window",
        ));
    }
    period(doc, name, "timeWindow duration", &w.duration)
}

fn openslo_sli(
    doc: &Doc,
    name: &str,
    spec: &OsloSliSpec,
    at: Location,
) -> Result<Sli, SloFileError> {
    if let Some(t) = &spec.threshold_metric {
        return Err(key_error(
            doc,
            name,
            t.referenced,
            "thresholdMetric",
            "thresholdMetric indicators are not supported: use a ratioMetric",
        ));
    }
    let Some(ratio) = &spec.ratio_metric else {
        return Err(slo_error(doc, name, at, "indicator needs a ratioMetric"));
    };
    let r = &ratio.value;
    if let Some(raw) = &r.raw {
        return Err(key_error(
            doc,
            name,
            raw.referenced,
            "raw",
            "raw ratio metrics are not supported: give good or bad, and total",
        ));
    }
    if let Some(c) = r.counter.as_ref().filter(|c| !c.value) {
        return Err(slo_error(
            doc,
            name,
            c.referenced,
            "counter: false (gauge ratios) is not supported: opsdeck windows counters with rate()",
        ));
    }
    let Some(total) = &r.total else {
        return Err(slo_error(
            doc,
            name,
            ratio.referenced,
            "ratioMetric needs total",
        ));
    };
    let total_query = openslo_query(doc, name, "total", total)?;
    match (&r.good, &r.bad) {
        (Some(g), None) => Ok(Sli::Good {
            good_query: openslo_query(doc, name, "good", g)?,
            total_query,
        }),
        (None, Some(b)) => Ok(Sli::Events {
            error_query: openslo_query(doc, name, "bad", b)?,
            total_query,
        }),
        (Some(_), Some(_)) => Err(slo_error(
            doc,
            name,
            ratio.referenced,
            "ratioMetric has both good and bad: keep one",
        )),
        (None, None) => Err(slo_error(
            doc,
            name,
            ratio.referenced,
            "ratioMetric needs good or bad",
        )),
    }
}

fn openslo_query(
    doc: &Doc,
    name: &str,
    key: &str,
    m: &OsloMetric,
) -> Result<Template, SloFileError> {
    let src = &m.metric_source;
    if let Some(k) = src
        .value
        .kind
        .as_ref()
        .filter(|k| !k.value.eq_ignore_ascii_case("prometheus"))
    {
        let what = format!(
            "{key}: metric source type {} is not supported (only Prometheus)",
            k.value
        );
        return Err(slo_error(doc, name, k.referenced, what));
    }
    let Some(q) = src.value.spec.as_ref().and_then(|s| s.query.as_ref()) else {
        let what = format!("{key}: metricSource needs spec.query");
        return Err(slo_error(doc, name, src.referenced, what));
    };
    counter_template(&q.value).ok_or_else(|| {
        let what = format!(
            "{key}: query {:?} is not a counter selector: write `metric{{labels}}` (or \
             sum(metric{{labels}})); opsdeck adds the rate and the window",
            q.value
        );
        slo_error(doc, name, q.referenced, what)
    })
}

/// A `kind: SLI` document as its name, spec and the spec's place: what an `indicatorRef`
/// looks up.
pub(super) fn openslo_sli_doc(doc: &Doc) -> Result<(String, OsloSliSpec, Location), SloFileError> {
    let s: OsloSliDoc = doc.parse(doc.text)?;
    Ok((s.metadata.name.value, s.spec.value, s.spec.referenced))
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::slo::spec::tests::{DAY, load, parse};

    #[test]
    fn openslo_example_resolves_its_sli_across_documents() {
        let slo = load("examples/slos/publish.yaml").remove(0);
        assert_eq!(slo.name, "publish-success");
        assert_eq!(slo.service, "publisher");
        assert_eq!(slo.source.line, 32);
        assert_eq!(slo.source.format, SloFormat::OpenSlo);
        assert_eq!(slo.objective, 0.95);
        assert_eq!(slo.period, Duration::from_secs(7 * DAY));
        assert_eq!(
            slo.sli,
            Sli::Good {
                good_query: Template::Counter(
                    r#"pipeline_runs_total{stage="publish",status="success"}"#.into()
                ),
                total_query: Template::Counter(r#"pipeline_runs_total{stage="publish"}"#.into()),
            }
        );
    }

    // The cross-format error tests in spec/mod.rs edit this file too.
    pub(crate) const OPENSLO_TWO: &str = r#"apiVersion: openslo/v1
kind: SLO
metadata:
  name: api-availability
spec:
  service: api
  indicator:
    metadata: {name: api-errors}
    spec:
      ratioMetric:
        counter: true
        bad:
          metricSource:
            type: Prometheus
            spec:
              query: sum(http_requests_total{code=~"5.."})
        total:
          metricSource:
            type: Prometheus
            spec:
              query: http_requests_total
  timeWindow: [{duration: 30d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{displayName: avail, targetPercent: 99.9}]
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: api-latency
spec:
  service: api
  indicator:
    spec:
      ratioMetric:
        counter: true
        good:
          metricSource:
            type: Prometheus
            spec:
              query: sum(rate(http_request_duration_seconds_bucket{le="1"}[{{.window}}]))
        total:
          metricSource:
            type: Prometheus
            spec:
              query: sum(rate(http_request_duration_seconds_bucket{le="+Inf"}[{{.window}}]))
  timeWindow: [{duration: 1d12h}]
  objectives: [{target: 0.99}]
"#;

    #[test]
    fn openslo_several_slos_in_one_file() {
        let slos = parse(OPENSLO_TWO).expect("parses");
        assert_eq!(slos.len(), 2);
        assert_eq!(slos[0].objective, 0.999);
        assert_eq!((slos[0].source.line, slos[1].source.line), (4, 29));
        // `sum(selector)` is unwrapped and re-aggregated around the rate.
        assert_eq!(
            slos[0].sli,
            Sli::Events {
                error_query: Template::Counter(r#"http_requests_total{code=~"5.."}"#.into()),
                total_query: Template::Counter("http_requests_total".into()),
            }
        );
        assert_eq!(slos[1].period, Duration::from_secs(36 * 3600));
        assert_eq!(
            slos[1].sli.error_ratio_query(Duration::from_secs(300)),
            "1 - (\n(sum(rate(http_request_duration_seconds_bucket{le=\"1\"}[5m])))\n/\n\
             (sum(rate(http_request_duration_seconds_bucket{le=\"+Inf\"}[5m])))\n)"
        );
    }

    #[test]
    fn an_error_in_a_referenced_sli_names_the_sli_documents_line() {
        // A long SLO first, its SLI after it: the error is in the SLI, at its thresholdMetric.
        let text = "apiVersion: openslo/v1\nkind: SLO\nmetadata:\n  name: publish\nspec:\n  \
                    service: pipeline\n  indicatorRef: publish-ratio\n  timeWindow: [{duration: \
                    30d, isRolling: true}]\n  objectives: [{target: 0.99}]\n  description: a\n  \
                    budgetingMethod: Occurrences\n---\napiVersion: openslo/v1\nkind: SLI\n\
                    metadata:\n  name: publish-ratio\nspec:\n  thresholdMetric:\n    \
                    metricSource: {type: Prometheus}\n";
        let path = std::path::Path::new("t.yaml");
        let errors = super::super::parse_file(text, path).expect_err("a threshold SLI is refused");
        assert_eq!(errors.len(), 1);
        let e = &errors[0];
        assert!(e.message.contains("thresholdMetric"), "{}", e.message);
        assert_eq!(e.line, 18, "{e:?}");
        assert!(e.line <= text.lines().count());
    }
}
