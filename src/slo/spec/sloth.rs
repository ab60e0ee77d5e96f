//! Sloth files — `version: "prometheus/v1"` and the `PrometheusServiceLevel` CRD around the same
//! spec — read into [`Slo`]s.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_saphyr::Spanned;

use super::{
    Doc, Sli, Slo, SloFileError, SloFormat, Template, key_error, percent_objective, slo_error,
};

/// Sloth has no period in its spec; its default is 30 days.
const SLOTH_PERIOD: Duration = Duration::from_secs(30 * 86_400);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SlothSpec {
    #[serde(default)]
    #[allow(dead_code)]
    version: Option<IgnoredAny>,
    service: String,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    slos: Vec<SlothSlo>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SlothSlo {
    name: Spanned<String>,
    objective: Spanned<f64>,
    description: Option<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    sli: Spanned<SlothSli>,
    #[allow(dead_code)]
    alerting: Option<SlothAlerting>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SlothSli {
    events: Option<SlothEvents>,
    raw: Option<SlothRaw>,
    plugin: Option<Spanned<IgnoredAny>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SlothEvents {
    error_query: Option<Spanned<String>>,
    total_query: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SlothRaw {
    error_ratio_query: Option<Spanned<String>>,
}

/// Its name names the alerts (the sim's rules raise them); the rest is parsed only so misspelt
/// keys are caught: opsdeck computes its own alert state.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct SlothAlerting {
    name: Option<String>,
    labels: Option<IgnoredAny>,
    annotations: Option<IgnoredAny>,
    page_alert: Option<IgnoredAny>,
    ticket_alert: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct SlothCrd {
    spec: SlothSpec,
}

pub(super) fn sloth_file(doc: &Doc) -> Result<Vec<Slo>, Vec<SloFileError>> {
    let spec: SlothSpec = doc.parse(doc.text).map_err(|e| vec![e])?;
    sloth_slos(doc, spec)
}

pub(super) fn sloth_crd(doc: &Doc) -> Result<Vec<Slo>, Vec<SloFileError>> {
    let crd: SlothCrd = doc.parse(doc.text).map_err(|e| vec![e])?;
    sloth_slos(doc, crd.spec)
}

fn sloth_slos(doc: &Doc, spec: SlothSpec) -> Result<Vec<Slo>, Vec<SloFileError>> {
    let (slos, errors): (Vec<_>, Vec<_>) = spec
        .slos
        .into_iter()
        .map(|s| sloth_slo(doc, &spec.service, &spec.labels, s))
        .partition(Result::is_ok);
    if errors.is_empty() {
        Ok(slos.into_iter().flatten().collect())
    } else {
        Err(errors.into_iter().filter_map(Result::err).collect())
    }
}

fn sloth_slo(
    doc: &Doc,
    service: &str,
    labels: &BTreeMap<String, String>,
    s: SlothSlo,
) -> Result<Slo, SloFileError> {
    let name = s.name.value.as_str();
    let objective = percent_objective(
        doc,
        name,
        "objective",
        s.objective.value,
        s.objective.referenced,
    )?;
    let sli = sloth_sli(doc, name, &s.sli)?;
    let mut all_labels = labels.clone();
    all_labels.extend(s.labels);
    Ok(Slo {
        name: name.to_string(),
        service: service.to_string(),
        description: s.description,
        source: doc.source(&s.name, SloFormat::Sloth),
        objective,
        period: SLOTH_PERIOD,
        sli,
        labels: all_labels,
        sloth_id: Some(format!("{service}-{name}")),
        alert_name: s.alerting.and_then(|a| a.name),
        grouping: vec![],
    })
}

fn sloth_sli(doc: &Doc, name: &str, sli: &Spanned<SlothSli>) -> Result<Sli, SloFileError> {
    let window_query = |parent: &str, key: &str, q: &Option<Spanned<String>>| {
        let Some(q) = q else {
            let what = format!("sli.{parent} needs {key}");
            return Err(slo_error(doc, name, sli.referenced, what));
        };
        let what = if q.value.trim().is_empty() {
            format!("{key} is empty")
        } else {
            format!("{key} has no {{{{.window}}}} placeholder (Sloth puts each alert window there)")
        };
        Template::placeholder(&q.value).ok_or_else(|| slo_error(doc, name, q.referenced, what))
    };
    match &sli.value {
        SlothSli {
            plugin: Some(p), ..
        } => Err(key_error(
            doc,
            name,
            p.referenced,
            "plugin",
            "SLI plugins (sli.plugin) are not supported: write the queries as sli.events or sli.raw",
        )),
        SlothSli {
            events: Some(e),
            raw: None,
            ..
        } => Ok(Sli::Events {
            error_query: window_query("events", "error_query", &e.error_query)?,
            total_query: window_query("events", "total_query", &e.total_query)?,
        }),
        SlothSli {
            events: None,
            raw: Some(r),
            ..
        } => Ok(Sli::ErrorRatio {
            query: window_query("raw", "error_ratio_query", &r.error_ratio_query)?,
        }),
        SlothSli {
            events: Some(_),
            raw: Some(_),
            ..
        } => Err(slo_error(
            doc,
            name,
            sli.referenced,
            "sli has both events and raw: keep one",
        )),
        SlothSli { .. } => Err(slo_error(
            doc,
            name,
            sli.referenced,
            "sli needs events (error_query and total_query) or raw (error_ratio_query)",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slo::spec::SloSource;
    use crate::slo::spec::tests::{DAY, load, one};

    #[test]
    fn sloth_example_parses() {
        let slos = load("examples/slos/api.yaml");
        let labels: BTreeMap<String, String> = [("namespace", "contentgen"), ("owner", "platform")]
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .into();
        let expected = Slo {
            name: "api-availability".into(),
            service: "api".into(),
            description: Some("99.9% of API requests are not 5xx, over 30 days.".into()),
            source: SloSource {
                file: "examples/slos/api.yaml".into(),
                line: 8,
                format: SloFormat::Sloth,
            },
            objective: 0.999,
            period: Duration::from_secs(30 * DAY),
            sli: Sli::Events {
                error_query: Template::Placeholder(
                    r#"sum(rate(http_requests_total{service="api",code=~"5.."}[{{.window}}]))"#
                        .into(),
                ),
                total_query: Template::Placeholder(
                    r#"sum(rate(http_requests_total{service="api"}[{{.window}}]))"#.into(),
                ),
            },
            labels,
            sloth_id: Some("api-api-availability".into()),
            alert_name: Some("ApiHighErrorRate".into()),
            grouping: vec![],
        };
        assert_eq!(slos[0], expected);
        assert_eq!(slos[1].name, "api-latency");
        assert_eq!(slos[1].objective, 0.99);
        assert_eq!(
            slos[1].sli.error_ratio_query(Duration::from_secs(300)),
            "(sum(rate(http_request_duration_seconds_bucket{service=\"api\",le=\"+Inf\"}[5m]))\n-\n\
             sum(rate(http_request_duration_seconds_bucket{service=\"api\",le=\"1\"}[5m])))\n/\n\
             (sum(rate(http_request_duration_seconds_bucket{service=\"api\",le=\"+Inf\"}[5m])))"
        );
    }

    #[test]
    fn sloth_raw_crd_and_spaced_placeholder() {
        let slo = one(r#"
apiVersion: sloth.slok.dev/v1
kind: PrometheusServiceLevel
metadata: {name: api}
spec:
  service: api
  slos:
    - name: availability
      objective: 99.5
      sli:
        raw:
          error_ratio_query: sum(rate(e[{{ .window }}])) / sum(rate(t[{{.window}}]))
"#);
        assert_eq!(slo.objective, 0.995);
        assert_eq!(slo.sloth_id.as_deref(), Some("api-availability"));
        assert_eq!(
            slo.sli.error_ratio_query(Duration::from_secs(3600)),
            "sum(rate(e[1h])) / sum(rate(t[1h]))"
        );
    }
}
