//! Function calls: `rate` and `increase` with Prometheus's own extrapolation, the gauge
//! functions over a range (`*_over_time`, `changes`, `deriv`), `label_replace`, and the
//! scalar/vector conversions.

use promql_parser::parser::{Call, Expr};

use super::eval::{Ctx, labels_of, unsupported};
use super::{QueryError, Sample, Value};
use crate::sim::metrics::RangeSummary;

/// Prometheus 2.42's `extrapolatedRate` (promql/functions.go) for a counter: the increase
/// between the first and last sample, resets added back, extrapolated towards the range's edges
/// when the samples reach within 1.1 average intervals of them (half an interval otherwise), and
/// never past the counter's extrapolated zero. `None` under two samples, as Prometheus drops it.
pub fn extrapolated_rate(
    s: &RangeSummary,
    range_start_ms: i64,
    range_end_ms: i64,
    is_rate: bool,
) -> Option<f64> {
    if s.count < 2 {
        return None;
    }
    let mut result = s.last.1 - s.first.1 + s.reset_correction;
    let mut to_start = (s.first.0 - range_start_ms) as f64 / 1000.0;
    let to_end = (range_end_ms - s.last.0) as f64 / 1000.0;
    let sampled = (s.last.0 - s.first.0) as f64 / 1000.0;
    let average = sampled / (s.count - 1) as f64;
    if result > 0.0 && s.first.1 >= 0.0 {
        let to_zero = sampled * (s.first.1 / result);
        if to_zero < to_start {
            to_start = to_zero;
        }
    }
    let threshold = average * 1.1;
    let mut interval = sampled;
    interval += if to_start < threshold {
        to_start
    } else {
        average / 2.0
    };
    interval += if to_end < threshold {
        to_end
    } else {
        average / 2.0
    };
    let mut factor = interval / sampled;
    if is_rate {
        factor /= (range_end_ms - range_start_ms) as f64 / 1000.0;
    }
    result *= factor;
    Some(result)
}

impl Ctx<'_> {
    pub(super) fn call(&self, c: &Call) -> Result<Value, QueryError> {
        let args = &c.args.args;
        match c.func.name {
            "rate" | "increase" => self.rate(args, c.func.name == "rate"),
            "max_over_time" => self.over_range(args, |p| p.iter().map(|s| s.1).reduce(max)),
            "min_over_time" => self.over_range(args, |p| p.iter().map(|s| s.1).reduce(min)),
            "avg_over_time" => self.over_range(args, |p| {
                Some(p.iter().map(|s| s.1).sum::<f64>() / p.len() as f64)
            }),
            "changes" => self.over_range(args, |p| Some(changes(p))),
            "deriv" => self.over_range(args, slope),
            "label_replace" => self.label_replace(args),
            "vector" => match self.eval(&args[0])? {
                Value::Scalar(v) => Ok(Value::Vector(vec![Sample {
                    labels: Default::default(),
                    value: v,
                }])),
                _ => Err(QueryError::BadData("vector() needs a scalar".into())),
            },
            "scalar" => {
                let v = self.eval_vector(&args[0])?;
                Ok(Value::Scalar(match v.as_slice() {
                    [one] => one.value,
                    _ => f64::NAN,
                }))
            }
            "time" => Ok(Value::Scalar(self.t_ms as f64 / 1000.0)),
            other => Err(unsupported(format!("function \"{other}\""))),
        }
    }

    fn rate(&self, args: &[Box<Expr>], is_rate: bool) -> Result<Value, QueryError> {
        self.per_series_in_range(args, |i, start, end| {
            let sum = self.m.summary(i, start, end)?;
            extrapolated_rate(&sum, start, end, is_rate)
        })
    }

    /// A function of each selected series' samples in the range (none: no output for it).
    fn over_range(
        &self,
        args: &[Box<Expr>],
        f: impl Fn(&[(i64, f64)]) -> Option<f64>,
    ) -> Result<Value, QueryError> {
        self.per_series_in_range(args, |i, start, end| {
            let points = self.m.points(i, start, end);
            f(&points).filter(|_| !points.is_empty())
        })
    }

    /// `f(series, start, end)` for every series the range selector argument picks; series it
    /// gives nothing for are left out, and their name is dropped as functions drop it.
    fn per_series_in_range(
        &self,
        args: &[Box<Expr>],
        f: impl Fn(usize, i64, i64) -> Option<f64>,
    ) -> Result<Value, QueryError> {
        let Some(Expr::MatrixSelector(ms)) = args.first().map(|a| a.as_ref()) else {
            return Err(unsupported(
                "a range function over anything but a range selector",
            ));
        };
        let end = self.selector_time(&ms.vs)?;
        let start = end - ms.range.as_millis() as i64;
        let out = self
            .select(&ms.vs)
            .into_iter()
            .filter_map(|i| {
                Some(Sample {
                    labels: labels_of(&self.m.series()[i], false),
                    value: f(i, start, end)?,
                })
            })
            .collect();
        Ok(Value::Vector(out))
    }

    fn string_arg(&self, e: &Expr) -> Result<String, QueryError> {
        match self.eval(e)? {
            Value::String(s) => Ok(s),
            _ => Err(QueryError::BadData("expected a string argument".into())),
        }
    }

    /// `label_replace(v, dst, replacement, src, regex)`: the regex is anchored, `$1` and
    /// `${name}` expand, an empty result removes the label.
    fn label_replace(&self, args: &[Box<Expr>]) -> Result<Value, QueryError> {
        let [v, dst, repl, src, re] = args else {
            return Err(QueryError::BadData(
                "label_replace takes 5 arguments".into(),
            ));
        };
        let (dst, repl, src, re) = (
            self.string_arg(dst)?,
            self.string_arg(repl)?,
            self.string_arg(src)?,
            self.string_arg(re)?,
        );
        let re = regex::Regex::new(&format!("^(?s:{re})$")).map_err(|e| {
            QueryError::BadData(format!(
                "invalid regular expression in label_replace(): {e}"
            ))
        })?;
        let mut out = self.eval_vector(v)?;
        for s in &mut out {
            let value = s.labels.get(&src).cloned().unwrap_or_default();
            if let Some(caps) = re.captures(&value) {
                let mut new = String::new();
                caps.expand(&repl, &mut new);
                if new.is_empty() {
                    s.labels.remove(&dst);
                } else {
                    s.labels.insert(dst.clone(), new);
                }
            }
        }
        Ok(Value::Vector(out))
    }
}

/// Prometheus's max/min over time: a NaN is replaced by any number after it.
fn max(a: f64, b: f64) -> f64 {
    if b > a || a.is_nan() { b } else { a }
}

fn min(a: f64, b: f64) -> f64 {
    if b < a || a.is_nan() { b } else { a }
}

/// How many times the value changed between consecutive samples.
fn changes(points: &[(i64, f64)]) -> f64 {
    points
        .windows(2)
        .filter(|p| p[0].1 != p[1].1 && !(p[0].1.is_nan() && p[1].1.is_nan()))
        .count() as f64
}

/// `deriv`: the least-squares slope per second (Prometheus's `linearRegression`, times taken
/// from the first sample); none under two samples.
fn slope(points: &[(i64, f64)]) -> Option<f64> {
    let &(t0, _) = points.first()?;
    if points.len() < 2 {
        return None;
    }
    let n = points.len() as f64;
    let (mut sx, mut sy, mut sxy, mut sxx) = (0.0, 0.0, 0.0, 0.0);
    for &(t, v) in points {
        let x = (t - t0) as f64 / 1000.0;
        sx += x;
        sy += v;
        sxy += x * v;
        sxx += x * x;
    }
    let cov = sxy - sx * sy / n;
    let var = sxx - sx * sx / n;
    Some(cov / var)
}
