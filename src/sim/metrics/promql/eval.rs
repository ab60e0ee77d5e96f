//! Walks the parsed expression: selectors read [`Metrics`], the rest is delegated by node kind.

use promql_parser::label::Matchers;
use promql_parser::parser::{Expr, Offset, VectorSelector};

use super::{Labels, QueryError, RangeSeries, Sample, Value};
use crate::sim::metrics::Metrics;
use crate::sim::metrics::series::Series;

pub struct Ctx<'a> {
    pub m: &'a Metrics,
    pub t_ms: i64,
}

pub fn unsupported(what: impl std::fmt::Display) -> QueryError {
    QueryError::BadData(format!("{what} is not supported by the opsdeck sim"))
}

/// A missing label matches as the empty string, as in Prometheus.
fn matches(name: Option<&str>, matchers: &Matchers, s: &Series) -> bool {
    let one = |ms: &[promql_parser::label::Matcher]| {
        ms.iter()
            .all(|m| m.is_match(s.label(&m.name).unwrap_or_default()))
    };
    name.is_none_or(|n| n == s.name)
        && one(&matchers.matchers)
        && (matchers.or_matchers.is_empty() || matchers.or_matchers.iter().any(|g| one(g)))
}

pub fn labels_of(s: &Series, with_name: bool) -> Labels {
    let mut l: Labels = s
        .labels
        .iter()
        .map(|(k, v)| ((*k).to_string(), v.clone()))
        .collect();
    if with_name {
        l.insert("__name__".into(), s.name.to_string());
    }
    l
}

impl Ctx<'_> {
    /// The evaluation time of a selector: `offset` is honoured, `@` is not.
    pub fn selector_time(&self, vs: &VectorSelector) -> Result<i64, QueryError> {
        if vs.at.is_some() {
            return Err(unsupported("the @ modifier"));
        }
        Ok(match &vs.offset {
            None => self.t_ms,
            Some(Offset::Pos(d)) => self.t_ms - d.as_millis() as i64,
            Some(Offset::Neg(d)) => self.t_ms + d.as_millis() as i64,
        })
    }

    /// Indices of the series a selector picks.
    pub fn select(&self, vs: &VectorSelector) -> Vec<usize> {
        self.m
            .series()
            .iter()
            .enumerate()
            .filter(|(_, s)| matches(vs.name.as_deref(), &vs.matchers, s))
            .map(|(i, _)| i)
            .collect()
    }

    pub fn eval(&self, e: &Expr) -> Result<Value, QueryError> {
        match e {
            Expr::NumberLiteral(n) => Ok(Value::Scalar(n.val)),
            Expr::StringLiteral(s) => Ok(Value::String(s.val.clone())),
            Expr::Paren(p) => self.eval(&p.expr),
            Expr::Unary(u) => Ok(match self.eval(&u.expr)? {
                Value::Scalar(v) => Value::Scalar(-v),
                Value::Vector(v) => Value::Vector(
                    v.into_iter()
                        .map(|mut s| {
                            s.labels.remove("__name__");
                            s.value = -s.value;
                            s
                        })
                        .collect(),
                ),
                _ => {
                    return Err(QueryError::BadData(
                        "unary minus needs a scalar or vector".into(),
                    ));
                }
            }),
            Expr::VectorSelector(vs) => self.vector(vs).map(Value::Vector),
            Expr::MatrixSelector(ms) => {
                let t = self.selector_time(&ms.vs)?;
                let from = t - ms.range.as_millis() as i64;
                Ok(Value::Matrix(
                    self.select(&ms.vs)
                        .into_iter()
                        .map(|i| RangeSeries {
                            labels: labels_of(&self.m.series()[i], true),
                            points: self.m.points(i, from, t),
                        })
                        .filter(|r| !r.points.is_empty())
                        .collect(),
                ))
            }
            Expr::Call(c) => self.call(c),
            Expr::Aggregate(a) => self.aggregate(a),
            Expr::Binary(b) => self.binary(b),
            Expr::Subquery(_) => Err(unsupported("a subquery")),
            Expr::Extension(_) => Err(unsupported("an extension expression")),
        }
    }

    fn vector(&self, vs: &VectorSelector) -> Result<Vec<Sample>, QueryError> {
        let t = self.selector_time(vs)?;
        Ok(self
            .select(vs)
            .into_iter()
            .filter_map(|i| {
                self.m
                    .latest(i, t, super::LOOKBACK_MS)
                    .map(|(_, value)| Sample {
                        labels: labels_of(&self.m.series()[i], true),
                        value,
                    })
            })
            .collect())
    }

    pub fn eval_vector(&self, e: &Expr) -> Result<Vec<Sample>, QueryError> {
        match self.eval(e)? {
            Value::Vector(v) => Ok(v),
            _ => Err(QueryError::BadData(format!(
                "expected an instant vector: {e}"
            ))),
        }
    }
}
