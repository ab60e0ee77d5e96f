//! `sum`, `count`, `avg`, `min`, `max`, with `by` and `without`.

use std::collections::BTreeMap;

use promql_parser::parser::{AggregateExpr, LabelModifier};

use super::eval::{Ctx, unsupported};
use super::{Labels, QueryError, Sample, Value};

/// The group a sample falls in: `by` keeps the listed labels, `without` drops them and the name.
fn group_labels(l: &Labels, modifier: Option<&LabelModifier>) -> Labels {
    match modifier {
        None => Labels::new(),
        Some(LabelModifier::Include(keep)) => l
            .iter()
            .filter(|(k, _)| keep.labels.contains(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        Some(LabelModifier::Exclude(drop)) => l
            .iter()
            .filter(|(k, _)| *k != "__name__" && !drop.labels.contains(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    }
}

impl Ctx<'_> {
    pub(super) fn aggregate(&self, a: &AggregateExpr) -> Result<Value, QueryError> {
        let op = a.op.to_string();
        if !matches!(op.as_str(), "sum" | "count" | "avg" | "min" | "max") {
            return Err(unsupported(format!("aggregation \"{op}\"")));
        }
        let input = self.eval_vector(&a.expr)?;
        // (sum, count, min, max) per group.
        let mut groups: BTreeMap<Labels, (f64, f64, f64, f64)> = BTreeMap::new();
        for s in input {
            let g = groups
                .entry(group_labels(&s.labels, a.modifier.as_ref()))
                .or_insert((0.0, 0.0, s.value, s.value));
            g.0 += s.value;
            g.1 += 1.0;
            // Prometheus replaces a NaN min/max by any number that comes after it.
            if s.value < g.2 || g.2.is_nan() {
                g.2 = s.value;
            }
            if s.value > g.3 || g.3.is_nan() {
                g.3 = s.value;
            }
        }
        let out = groups
            .into_iter()
            .map(|(labels, (sum, count, min, max))| Sample {
                labels,
                value: match op.as_str() {
                    "sum" => sum,
                    "count" => count,
                    "avg" => sum / count,
                    "min" => min,
                    _ => max,
                },
            })
            .collect();
        Ok(Value::Vector(out))
    }
}
