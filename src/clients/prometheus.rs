//! A thin typed client for Prometheus's HTTP query API (`/api/v1/query`, `/api/v1/query_range`):
//! GET for short queries, form-encoded POST for long ones, a typed error for every `errorType`,
//! and sample values parsed with Prometheus's spellings of NaN and the infinities.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use reqwest::{StatusCode, Url};
use serde::Deserialize;
use serde_json::Value as Json;

use crate::clients::http::StatusError;

/// Longer queries go as a form-encoded POST: proxies cut long URLs.
const MAX_GET_QUERY: usize = 1024;

/// Prometheus's `errorType`s (docs/querying/api.md).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorType {
    Timeout,
    Canceled,
    Execution,
    BadData,
    Internal,
    Unavailable,
    NotFound,
    Other(String),
}

impl ErrorType {
    fn parse(s: &str) -> Self {
        match s {
            "timeout" => Self::Timeout,
            "canceled" => Self::Canceled,
            "execution" => Self::Execution,
            "bad_data" => Self::BadData,
            "internal" => Self::Internal,
            "unavailable" => Self::Unavailable,
            "not_found" => Self::NotFound,
            other => Self::Other(other.to_string()),
        }
    }
}

impl std::fmt::Display for ErrorType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = match self {
            Self::Timeout => "timeout",
            Self::Canceled => "canceled",
            Self::Execution => "execution",
            Self::BadData => "bad_data",
            Self::Internal => "internal",
            Self::Unavailable => "unavailable",
            Self::NotFound => "not_found",
            Self::Other(s) => s,
        };
        f.write_str(s)
    }
}

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum PromError {
    /// Prometheus answered with its error envelope (a 503 may carry `Retry-After` too).
    #[error("{kind}: {message}")]
    Api {
        kind: ErrorType,
        message: String,
        retry_after: Option<Duration>,
    },
    #[error("{0}")]
    Transport(String),
    /// Not 2xx: the code, the reason in words ("HTTP 503", "answered 429 ..."), and how long
    /// the server asked to be left alone.
    #[error("{0}")]
    Status(StatusError),
    /// A 2xx body that is not Prometheus's JSON, in words.
    #[error("{0}")]
    Decode(String),
    #[error("not a Prometheus url: {0}")]
    BadUrl(String),
    #[error("environment variable {0} (token_env) is not set")]
    MissingTokenEnv(String),
}

impl PromError {
    /// Worth retrying later (the server or the network), as opposed to a query or config bug.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Api { kind, .. } => matches!(
                kind,
                ErrorType::Timeout
                    | ErrorType::Canceled
                    | ErrorType::Unavailable
                    | ErrorType::Internal
            ),
            Self::Transport(_) | Self::Status(..) | Self::Decode(_) => true,
            Self::BadUrl(_) | Self::MissingTokenEnv(_) => false,
        }
    }

    /// How long the server asked to be left alone (`Retry-After`), if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Status(s) => s.retry_after,
            Self::Api { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

pub type Labels = BTreeMap<String, String>;

#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    pub metric: Labels,
    /// Seconds since the epoch.
    pub at: f64,
    pub value: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub metric: Labels,
    pub values: Vec<(f64, f64)>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum QueryResult {
    Vector(Vec<Sample>),
    Matrix(Vec<Series>),
    Scalar(f64, f64),
    String(f64, String),
}

impl QueryResult {
    /// The one number an aggregated instant query answers: the single vector element, or the
    /// scalar. An empty vector (no series matched) is None; so is more than one element.
    pub fn single_value(&self) -> Option<f64> {
        match self {
            Self::Vector(v) if v.len() == 1 => Some(v[0].value),
            Self::Scalar(_, v) => Some(*v),
            _ => None,
        }
    }
}

/// Parses a sample value as Prometheus writes it ("1.5", "NaN", "+Inf", "-Inf").
pub fn parse_value(s: &str) -> Option<f64> {
    match s {
        "NaN" => Some(f64::NAN),
        "+Inf" | "Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        _ => s.parse().ok(),
    }
}

#[derive(Clone, Debug)]
pub struct Prometheus {
    base: Url,
    token: Option<String>,
    http: reqwest::Client,
    /// Sent as the `timeout` parameter so Prometheus gives up when the client does.
    timeout: Duration,
}

impl Prometheus {
    /// `token_env` names an environment variable holding a bearer token (never the token).
    pub fn new(url: &str, token_env: Option<&str>, timeout: Duration) -> Result<Self, PromError> {
        let base = Url::parse(url).map_err(|e| PromError::BadUrl(format!("{url}: {e}")))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(PromError::BadUrl(format!("{url}: expected http or https")));
        }
        let token =
            crate::clients::http::secret_from_env(token_env).map_err(PromError::MissingTokenEnv)?;
        let http = crate::clients::http::client(timeout)
            .map_err(|e| PromError::Transport(e.without_url().to_string()))?;
        Ok(Prometheus {
            base,
            token,
            http,
            timeout,
        })
    }

    /// The base url, for the pane and logs.
    pub fn url(&self) -> &str {
        self.base.as_str().trim_end_matches('/')
    }

    fn endpoint(&self, path: &str) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut p) = url.path_segments_mut() {
            p.pop_if_empty().extend(["api", "v1", path]);
        }
        url
    }

    /// An instant query at `time` (seconds since the epoch; None is the server's now).
    pub async fn query(&self, query: &str, time: Option<f64>) -> Result<QueryResult, PromError> {
        let mut params = vec![("query", query.to_string()), self.timeout_param()];
        if let Some(t) = time {
            params.push(("time", format_time(t)));
        }
        self.call("query", &params).await
    }

    /// A range query from `start` to `end` every `step`.
    pub async fn query_range(
        &self,
        query: &str,
        start: f64,
        end: f64,
        step: Duration,
    ) -> Result<QueryResult, PromError> {
        let params = vec![
            ("query", query.to_string()),
            ("start", format_time(start)),
            ("end", format_time(end)),
            ("step", format!("{}", step.as_secs_f64())),
            self.timeout_param(),
        ];
        self.call("query_range", &params).await
    }

    fn timeout_param(&self) -> (&'static str, String) {
        ("timeout", format!("{}ms", self.timeout.as_millis()))
    }

    async fn call(
        &self,
        path: &str,
        params: &[(&'static str, String)],
    ) -> Result<QueryResult, PromError> {
        let url = self.endpoint(path);
        let long = params.iter().map(|(_, v)| v.len()).sum::<usize>() > MAX_GET_QUERY;
        let mut req = if long {
            self.http.post(url).form(params)
        } else {
            self.http.get(url).query(params)
        };
        if let Some(token) = &self.token {
            req = req.bearer_auth(token);
        }
        let resp = req.send().await.map_err(|e| self.transport(&e))?;
        let status = resp.status();
        let (content_type, retry_after) = (
            crate::clients::http::header(&resp, reqwest::header::CONTENT_TYPE),
            crate::clients::http::header(&resp, reqwest::header::RETRY_AFTER),
        );
        let body = resp.bytes().await.map_err(|e| self.transport(&e))?;
        let headers = Headers {
            content_type: content_type.as_deref(),
            retry_after: retry_after.as_deref(),
        };
        decode_with(status, headers, &body)
    }

    fn transport(&self, err: &reqwest::Error) -> PromError {
        PromError::Transport(crate::clients::http::describe_within(err, self.timeout))
    }
}

fn format_time(t: f64) -> String {
    format!("{t:.3}")
}

/// The headers an answer is judged by besides its status.
#[derive(Clone, Copy, Default)]
struct Headers<'a> {
    content_type: Option<&'a str>,
    retry_after: Option<&'a str>,
}

#[derive(Deserialize)]
struct Envelope {
    status: String,
    #[serde(default)]
    data: Option<Data>,
    #[serde(rename = "errorType", default)]
    error_type: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Deserialize)]
struct Data {
    #[serde(rename = "resultType")]
    result_type: String,
    result: Json,
}

/// Turns any answer into a result or a typed error. Prometheus sends its error envelope with
/// 400, 422 and 503; a proxy in front may send anything.
/// As `decode_with`, without the headers (the fuzz targets and tests call it bare).
pub fn decode(status: StatusCode, body: &[u8]) -> Result<QueryResult, PromError> {
    decode_with(status, Headers::default(), body)
}

fn decode_with(status: StatusCode, h: Headers, body: &[u8]) -> Result<QueryResult, PromError> {
    use crate::clients::http::body_reason;
    let envelope: Envelope = match serde_json::from_slice(body) {
        Ok(e) => e,
        Err(_) if !status.is_success() => {
            let answer = StatusError::new(status.as_u16(), h.retry_after, body);
            return Err(PromError::Status(answer));
        }
        Err(e) => {
            let why = body_reason("Prometheus", h.content_type, body, &e);
            return Err(PromError::Decode(why));
        }
    };
    if envelope.status != "success" {
        return Err(PromError::Api {
            kind: ErrorType::parse(envelope.error_type.as_deref().unwrap_or("")),
            message: envelope.error.unwrap_or_default(),
            retry_after: h
                .retry_after
                .and_then(|v| crate::clients::http::parse_retry_after(v, SystemTime::now())),
        });
    }
    let data = envelope
        .data
        .ok_or_else(|| PromError::Decode("unexpected JSON shape: success without data".into()))?;
    parse_result(&data.result_type, data.result)
        .map_err(|e| PromError::Decode(format!("unexpected JSON shape: {e}")))
}

fn parse_result(kind: &str, result: Json) -> Result<QueryResult, String> {
    #[derive(Deserialize)]
    struct VectorItem {
        #[serde(default)]
        metric: Labels,
        value: (f64, String),
    }
    #[derive(Deserialize)]
    struct MatrixItem {
        #[serde(default)]
        metric: Labels,
        values: Vec<(f64, String)>,
    }
    let value = |s: &str| parse_value(s).ok_or_else(|| format!("not a sample value: {s:?}"));
    match kind {
        "vector" => {
            let items: Vec<VectorItem> =
                serde_json::from_value(result).map_err(|e| e.to_string())?;
            let samples = items
                .into_iter()
                .map(|i| {
                    Ok(Sample {
                        value: value(&i.value.1)?,
                        at: i.value.0,
                        metric: i.metric,
                    })
                })
                .collect::<Result<_, String>>()?;
            Ok(QueryResult::Vector(samples))
        }
        "matrix" => {
            let items: Vec<MatrixItem> =
                serde_json::from_value(result).map_err(|e| e.to_string())?;
            let series = items
                .into_iter()
                .map(|i| {
                    let values = i
                        .values
                        .iter()
                        .map(|(t, v)| Ok((*t, value(v)?)))
                        .collect::<Result<_, String>>()?;
                    Ok(Series {
                        metric: i.metric,
                        values,
                    })
                })
                .collect::<Result<_, String>>()?;
            Ok(QueryResult::Matrix(series))
        }
        "scalar" => {
            let (t, v): (f64, String) =
                serde_json::from_value(result).map_err(|e| e.to_string())?;
            Ok(QueryResult::Scalar(t, value(&v)?))
        }
        "string" => {
            let (t, v): (f64, String) =
                serde_json::from_value(result).map_err(|e| e.to_string())?;
            Ok(QueryResult::String(t, v))
        }
        other => Err(format!("unknown resultType {other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(body: &str) -> QueryResult {
        decode(StatusCode::OK, body.as_bytes()).expect("decodes")
    }

    #[test]
    fn vectors_with_nan_and_infinities() {
        let r = ok(
            r#"{"status":"success","data":{"resultType":"vector","result":[
            {"metric":{"service":"api"},"value":[1795340016.5,"0.0125"]},
            {"metric":{},"value":[1795340016.5,"NaN"]},
            {"metric":{"x":"1"},"value":[1795340016.5,"+Inf"]},
            {"metric":{"x":"2"},"value":[1795340016.5,"-Inf"]}]}}"#,
        );
        let QueryResult::Vector(v) = r else {
            panic!("vector")
        };
        assert_eq!(v[0].value, 0.0125);
        assert_eq!(v[0].metric.get("service").map(String::as_str), Some("api"));
        assert!(v[1].value.is_nan());
        assert_eq!((v[2].value, v[3].value), (f64::INFINITY, f64::NEG_INFINITY));
        assert_eq!(v[0].at, 1_795_340_016.5);
    }

    #[test]
    fn single_value_is_only_for_one_element_or_a_scalar() {
        let one = ok(
            r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"2"]}]}}"#,
        );
        assert_eq!(one.single_value(), Some(2.0));
        let none = ok(r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#);
        assert_eq!(none.single_value(), None);
        let scalar =
            ok(r#"{"status":"success","data":{"resultType":"scalar","result":[1,"0.5"]}}"#);
        assert_eq!(scalar.single_value(), Some(0.5));
    }

    #[test]
    fn matrices() {
        let r = ok(
            r#"{"status":"success","data":{"resultType":"matrix","result":[
            {"metric":{"le":"1"},"values":[[10,"1"],[20,"NaN"]]}]}}"#,
        );
        let QueryResult::Matrix(m) = r else {
            panic!("matrix")
        };
        assert_eq!(m[0].values[0], (10.0, 1.0));
        assert!(m[0].values[1].1.is_nan());
    }

    #[test]
    fn every_error_type_is_typed() {
        for (name, kind) in [
            ("timeout", ErrorType::Timeout),
            ("canceled", ErrorType::Canceled),
            ("execution", ErrorType::Execution),
            ("bad_data", ErrorType::BadData),
            ("internal", ErrorType::Internal),
            ("unavailable", ErrorType::Unavailable),
            ("not_found", ErrorType::NotFound),
            ("brand_new", ErrorType::Other("brand_new".into())),
        ] {
            let body = format!(r#"{{"status":"error","errorType":"{name}","error":"boom"}}"#);
            let err = decode(StatusCode::BAD_REQUEST, body.as_bytes()).expect_err("error");
            assert_eq!(
                err,
                PromError::Api {
                    kind,
                    message: "boom".into(),
                    retry_after: None,
                }
            );
        }
        // An overloaded Prometheus's 503 envelope with Retry-After: the wait is kept.
        let busy = decode_with(
            StatusCode::SERVICE_UNAVAILABLE,
            Headers {
                content_type: Some("application/json"),
                retry_after: Some("7"),
            },
            br#"{"status":"error","errorType":"unavailable","error":"too many queries"}"#,
        )
        .expect_err("unavailable");
        assert_eq!(busy.retry_after(), Some(Duration::from_secs(7)));
        assert!(busy.is_transient());
        let bad = decode(
            StatusCode::BAD_REQUEST,
            br#"{"status":"error","errorType":"bad_data","error":"1:5: parse error"}"#,
        )
        .expect_err("bad data");
        assert_eq!(bad.to_string(), "bad_data: 1:5: parse error");
        assert!(!bad.is_transient());
    }

    #[test]
    fn a_proxy_page_is_a_status_error_and_garbage_is_a_decode_error() {
        let err = decode(StatusCode::BAD_GATEWAY, b"<html>502 Bad Gateway</html>").expect_err("e");
        assert_eq!(err.to_string(), "HTTP 502");
        assert!(matches!(
            err,
            PromError::Status(StatusError { code: 502, .. })
        ));
        assert!(err.is_transient());
        assert!(matches!(
            decode(StatusCode::OK, b"{}"),
            Err(PromError::Decode(_))
        ));
    }

    #[test]
    fn endpoints_keep_a_path_prefix() {
        let p = Prometheus::new(
            "https://ops.example/prometheus/",
            None,
            Duration::from_secs(2),
        )
        .expect("client");
        assert_eq!(
            p.endpoint("query").as_str(),
            "https://ops.example/prometheus/api/v1/query"
        );
        assert_eq!(p.url(), "https://ops.example/prometheus");
    }
}
