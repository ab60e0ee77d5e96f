//! A PromQL evaluator for the queries opsdeck issues, over [`Metrics`]: parsed by
//! `promql-parser`, evaluated with Prometheus 2.x semantics (inclusive ranges, 5 m lookback,
//! `extrapolatedRate`, float division by zero).

mod aggregate;
mod binary;
mod eval;
mod functions;

use std::collections::BTreeMap;

use super::Metrics;

pub use functions::extrapolated_rate;

/// Label name to value; `__name__` included where Prometheus keeps it.
pub type Labels = BTreeMap<String, String>;

/// Prometheus's default `--query.lookback-delta`.
pub const LOOKBACK_MS: i64 = 5 * 60_000;
/// Prometheus refuses range queries with more points per series than this.
pub const MAX_POINTS: i64 = 11_000;

#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    pub labels: Labels,
    pub value: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RangeSeries {
    pub labels: Labels,
    pub points: Vec<(i64, f64)>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Scalar(f64),
    String(String),
    Vector(Vec<Sample>),
    Matrix(Vec<RangeSeries>),
}

/// Prometheus's `errorType`s for what can go wrong here.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// Unparsable or unsupported: HTTP 400.
    #[error("{0}")]
    BadData(String),
    /// Well-formed but failed while evaluating (e.g. many-to-many matching): HTTP 422.
    #[error("{0}")]
    Execution(String),
}

impl QueryError {
    pub fn error_type(&self) -> &'static str {
        match self {
            QueryError::BadData(_) => "bad_data",
            QueryError::Execution(_) => "execution",
        }
    }
}

fn parse(query: &str) -> Result<promql_parser::parser::Expr, QueryError> {
    promql_parser::parser::parse(query).map_err(QueryError::BadData)
}

/// Evaluate `query` at `t_ms`, as `GET /api/v1/query` does.
pub fn instant(m: &Metrics, query: &str, t_ms: i64) -> Result<Value, QueryError> {
    let expr = parse(query)?;
    eval::Ctx { m, t_ms }.eval(&expr)
}

/// Evaluate `query` at every step from `start_ms` to `end_ms`, as `/api/v1/query_range` does.
pub fn range(
    m: &Metrics,
    query: &str,
    start_ms: i64,
    end_ms: i64,
    step_ms: i64,
) -> Result<Vec<RangeSeries>, QueryError> {
    if end_ms < start_ms {
        return Err(QueryError::BadData(
            "end timestamp must not be before start time".into(),
        ));
    }
    if step_ms <= 0 {
        return Err(QueryError::BadData(
            "zero or negative query resolution step widths are not accepted. Try a positive integer".into(),
        ));
    }
    if (end_ms - start_ms) / step_ms > MAX_POINTS {
        return Err(QueryError::BadData(
            "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)".into(),
        ));
    }
    let expr = parse(query)?;
    let mut out: BTreeMap<Labels, Vec<(i64, f64)>> = BTreeMap::new();
    let mut t = start_ms;
    while t <= end_ms {
        match (eval::Ctx { m, t_ms: t }).eval(&expr)? {
            Value::Scalar(v) => out.entry(Labels::new()).or_default().push((t, v)),
            Value::Vector(samples) => {
                for s in samples {
                    out.entry(s.labels).or_default().push((t, s.value));
                }
            }
            Value::Matrix(_) | Value::String(_) => {
                return Err(QueryError::BadData(
                    "invalid expression type for range query, must be Scalar or instant Vector"
                        .into(),
                ));
            }
        }
        t += step_ms;
    }
    Ok(out
        .into_iter()
        .map(|(labels, points)| RangeSeries { labels, points })
        .collect())
}
