//! The OpenCost allocation API (`GET /allocation`): three small reads per refresh (this month
//! by namespace and controller, today, the last 7 days), parsed leniently: OpenCost writes NaN
//! for efficiencies it cannot compute, and omits fields it has no data for.

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::Url;
use serde::{Deserialize, Deserializer};

use super::model::{InfraReading, WorkloadCost};
use crate::clients::http::StatusError;

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum OpenCostError {
    #[error("{0}")]
    Transport(String),
    /// OpenCost's own error envelope: its code and message.
    #[error("HTTP {0}: {1}")]
    Status(u16, String),
    /// Not 2xx: the code, the reason in words ("HTTP 503", "answered 429 ..."), and how long
    /// the server asked to be left alone.
    #[error("{0}")]
    Http(StatusError),
    /// A 2xx body that is not OpenCost's JSON, in words.
    #[error("{0}")]
    Decode(String),
    #[error("not an OpenCost url: {0}")]
    BadUrl(String),
    #[error("environment variable {0} (token_env) is not set")]
    MissingTokenEnv(String),
}

impl OpenCostError {
    /// How long the server asked to be left alone (`Retry-After`), if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Http(s) => s.retry_after,
            _ => None,
        }
    }
}

/// A number as OpenCost writes it: a JSON number, a string ("NaN", "0.5"), or null/absent.
fn lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Number(f64),
        Text(String),
        Null(()),
    }
    Ok(match Option::<Raw>::deserialize(d)? {
        Some(Raw::Number(n)) => Some(n),
        Some(Raw::Text(s)) => s.parse::<f64>().ok(),
        Some(Raw::Null(())) | None => None,
    }
    .filter(|v| v.is_finite()))
}

/// The fields of an Allocation the console shows (OpenCost's names).
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Allocation {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub properties: Option<Properties>,
    #[serde(default, deserialize_with = "lenient")]
    pub minutes: Option<f64>,
    #[serde(default, deserialize_with = "lenient")]
    pub cpu_cost: Option<f64>,
    #[serde(default, deserialize_with = "lenient")]
    pub ram_cost: Option<f64>,
    #[serde(default, deserialize_with = "lenient")]
    pub pv_cost: Option<f64>,
    #[serde(default, deserialize_with = "lenient")]
    pub network_cost: Option<f64>,
    #[serde(default, deserialize_with = "lenient")]
    pub gpu_cost: Option<f64>,
    #[serde(default, deserialize_with = "lenient")]
    pub total_cost: Option<f64>,
    #[serde(default, deserialize_with = "lenient")]
    pub cpu_efficiency: Option<f64>,
    #[serde(default, deserialize_with = "lenient")]
    pub ram_efficiency: Option<f64>,
    #[serde(default, deserialize_with = "lenient")]
    pub total_efficiency: Option<f64>,
}

impl Allocation {
    /// `totalCost`, or the sum of its parts when OpenCost left it out.
    pub fn cost(&self) -> f64 {
        self.total_cost.unwrap_or_else(|| {
            [
                self.cpu_cost,
                self.ram_cost,
                self.pv_cost,
                self.network_cost,
                self.gpu_cost,
            ]
            .into_iter()
            .flatten()
            .sum()
        })
    }
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Properties {
    pub cluster: Option<String>,
    pub namespace: Option<String>,
    pub controller: Option<String>,
    pub controller_kind: Option<String>,
    pub pod: Option<String>,
}

/// One step of an allocation answer; OpenCost writes null for an empty one.
type Step = BTreeMap<String, Option<Allocation>>;

#[derive(Deserialize)]
struct Envelope {
    code: Option<u16>,
    /// Absent only from something that is not OpenCost's answer.
    data: Option<Vec<Option<Step>>>,
    message: Option<String>,
}

/// Parses an `/allocation` body: one map per step. Bare `NaN` tokens (older OpenCost builds)
/// are read as missing values.
pub fn parse_allocation(body: &[u8]) -> Result<Vec<BTreeMap<String, Allocation>>, OpenCostError> {
    parse_allocation_as(None, body)
}

fn parse_allocation_as(
    content_type: Option<&str>,
    body: &[u8],
) -> Result<Vec<BTreeMap<String, Allocation>>, OpenCostError> {
    let envelope: Envelope = match serde_json::from_slice(body) {
        Ok(e) => e,
        Err(first) => {
            let text = String::from_utf8_lossy(body)
                .replace(":NaN", ":null")
                .replace(": NaN", ": null");
            serde_json::from_str(&text).map_err(|_| {
                let why = crate::clients::http::body_reason("OpenCost", content_type, body, &first);
                OpenCostError::Decode(why)
            })?
        }
    };
    if let Some(code) = envelope.code.filter(|c| *c != 200) {
        return Err(OpenCostError::Status(
            code,
            envelope.message.unwrap_or_default(),
        ));
    }
    let data = envelope.data.ok_or_else(|| {
        OpenCostError::Decode("unexpected JSON shape: missing field `data`".into())
    })?;
    Ok(data
        .into_iter()
        .flatten()
        .map(|step| {
            step.into_iter()
                .filter_map(|(k, v)| Some((k, v?)))
                .collect()
        })
        .collect())
}

#[derive(Clone, Debug)]
pub struct OpenCost {
    base: Url,
    token: Option<String>,
    http: reqwest::Client,
    timeout: Duration,
}

impl OpenCost {
    pub fn new(
        url: &str,
        token_env: Option<&str>,
        timeout: Duration,
    ) -> Result<Self, OpenCostError> {
        let base = Url::parse(url).map_err(|e| OpenCostError::BadUrl(format!("{url}: {e}")))?;
        let token = crate::clients::http::secret_from_env(token_env)
            .map_err(OpenCostError::MissingTokenEnv)?;
        let http = crate::clients::http::client(timeout)
            .map_err(|e| OpenCostError::Transport(e.without_url().to_string()))?;
        Ok(OpenCost {
            base,
            token,
            http,
            timeout,
        })
    }

    pub fn url(&self) -> &str {
        self.base.as_str().trim_end_matches('/')
    }

    /// One accumulated allocation set for `window`, aggregated by `aggregate`.
    pub async fn allocation(
        &self,
        window: &str,
        aggregate: &str,
    ) -> Result<BTreeMap<String, Allocation>, OpenCostError> {
        let mut url = self.base.clone();
        if let Ok(mut p) = url.path_segments_mut() {
            p.pop_if_empty().push("allocation");
        }
        let mut req = self.http.get(url).query(&[
            ("window", window),
            ("aggregate", aggregate),
            ("accumulate", "true"),
            ("includeIdle", "true"),
        ]);
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        use crate::clients::http::describe_within;
        let transport =
            |e: reqwest::Error| OpenCostError::Transport(describe_within(&e, self.timeout));
        let resp = req.send().await.map_err(transport)?;
        let status = resp.status();
        let content_type = crate::clients::http::header(&resp, reqwest::header::CONTENT_TYPE);
        let retry_after = crate::clients::http::header(&resp, reqwest::header::RETRY_AFTER);
        let body = resp.bytes().await.map_err(transport)?;
        if !status.is_success() {
            let answer = StatusError::new(status.as_u16(), retry_after.as_deref(), &body);
            return Err(OpenCostError::Http(answer));
        }
        let mut steps = parse_allocation_as(content_type.as_deref(), &body)?;
        Ok(steps.pop().unwrap_or_default())
    }

    /// This month per workload, and the cluster's totals today and over 7 days.
    pub async fn read(&self) -> Result<InfraReading, OpenCostError> {
        let (month, today, week) = tokio::try_join!(
            self.allocation("month", "namespace,controller"),
            self.allocation("today", "cluster"),
            self.allocation("7d", "cluster"),
        )?;
        Ok(infra_reading(&month, &today, &week))
    }
}

/// Folds the three reads into what the model needs.
pub fn infra_reading(
    month: &BTreeMap<String, Allocation>,
    today: &BTreeMap<String, Allocation>,
    week: &BTreeMap<String, Allocation>,
) -> InfraReading {
    let total =
        |set: &BTreeMap<String, Allocation>| set.values().map(Allocation::cost).sum::<f64>();
    let mut workloads: Vec<WorkloadCost> = month
        .iter()
        .map(|(key, a)| WorkloadCost {
            key: key.clone(),
            cost_usd: a.cost(),
            cpu_efficiency: a.cpu_efficiency,
            ram_efficiency: a.ram_efficiency,
        })
        .collect();
    workloads.sort_by(|a, b| {
        b.cost_usd
            .total_cmp(&a.cost_usd)
            .then_with(|| a.key.cmp(&b.key))
    });
    InfraReading {
        month_usd: total(month),
        today_usd: total(today),
        last_7d_usd: total(week),
        workloads,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Trimmed from a real `/allocation?window=month&aggregate=namespace,controller` answer.
    const BODY: &str = r#"{"code":200,"status":"success","data":[{
      "contentgen/article-generator":{"name":"contentgen/article-generator",
        "properties":{"cluster":"cluster-one","namespace":"contentgen","controller":"article-generator","controllerKind":"deployment"},
        "window":{"start":"2026-11-01T00:00:00Z","end":"2026-11-25T18:00:00Z"},"minutes":35640,
        "cpuCores":2.0,"cpuCoreHours":1188,"cpuCost":37.55,"gpuCost":0,"ramCost":10.12,"pvCost":0,
        "networkCost":0,"loadBalancerCost":0,"sharedCost":0,"externalCost":0,
        "cpuEfficiency":0.41,"ramEfficiency":0.72,"totalEfficiency":0.48,"totalCost":47.67},
      "__idle__":{"name":"__idle__","cpuCost":80.1,"ramCost":20.4,"totalCost":100.5,
        "cpuEfficiency":"NaN","ramEfficiency":null},
      "__unallocated__":{"name":"__unallocated__","cpuCost":1.5,"ramCost":0.5}
    }]}"#;

    #[test]
    fn real_field_names_missing_fields_and_nan() {
        let steps = parse_allocation(BODY.as_bytes()).expect("parses");
        let set = &steps[0];
        let generator = &set["contentgen/article-generator"];
        assert_eq!(generator.cost(), 47.67);
        assert_eq!(generator.cpu_efficiency, Some(0.41));
        let props = generator.properties.as_ref().expect("properties");
        assert_eq!(props.controller_kind.as_deref(), Some("deployment"));
        let idle = &set["__idle__"];
        assert_eq!((idle.cpu_efficiency, idle.ram_efficiency), (None, None));
        // No totalCost: the sum of the parts.
        assert_eq!(set["__unallocated__"].cost(), 2.0);
        let reading = infra_reading(set, set, set);
        assert_eq!(reading.workloads[0].key, "__idle__");
        assert!((reading.month_usd - 150.17).abs() < 1e-9);
    }

    #[test]
    fn bare_nan_tokens_and_error_envelopes() {
        let body =
            br#"{"code":200,"data":[{"a":{"name":"a","totalCost":1.5,"cpuEfficiency":NaN}}]}"#;
        let steps = parse_allocation(body).expect("NaN tolerated");
        assert_eq!(steps[0]["a"].cpu_efficiency, None);
        let err = parse_allocation(br#"{"code":400,"message":"invalid window"}"#).expect_err("400");
        assert_eq!(err, OpenCostError::Status(400, "invalid window".into()));
        assert!(matches!(
            parse_allocation(b"<html>"),
            Err(OpenCostError::Decode(_))
        ));
    }
}
