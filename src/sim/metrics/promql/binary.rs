//! Binary operators: arithmetic and comparisons between scalars and vectors, one-to-one vector
//! matching (with `on`/`ignoring`), and the set operators `and`, `or`, `unless`.

use std::collections::{BTreeMap, BTreeSet};

use promql_parser::parser::{BinaryExpr, LabelModifier, VectorMatchCardinality};

use super::eval::{Ctx, unsupported};
use super::{Labels, QueryError, Sample, Value};

/// Go's float semantics: `/` by zero gives ±Inf or NaN, `%` is `math.Mod`, `^` is `math.Pow`.
/// `None` when a comparison is false.
fn apply(op: &str, l: f64, r: f64) -> Option<f64> {
    let cmp = |b: bool| b.then_some(l);
    match op {
        "+" => Some(l + r),
        "-" => Some(l - r),
        "*" => Some(l * r),
        "/" => Some(l / r),
        "%" => Some(l % r),
        "^" => Some(l.powf(r)),
        "==" => cmp(l == r),
        "!=" => cmp(l != r),
        ">" => cmp(l > r),
        "<" => cmp(l < r),
        ">=" => cmp(l >= r),
        "<=" => cmp(l <= r),
        _ => None,
    }
}

fn is_comparison(op: &str) -> bool {
    matches!(op, "==" | "!=" | ">" | "<" | ">=" | "<=")
}

/// The labels two samples are matched on.
fn signature(l: &Labels, matching: Option<&LabelModifier>) -> Labels {
    l.iter()
        .filter(|(k, _)| match matching {
            Some(LabelModifier::Include(on)) => on.labels.contains(k),
            Some(LabelModifier::Exclude(ign)) => *k != "__name__" && !ign.labels.contains(k),
            None => *k != "__name__",
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn show(l: &Labels) -> String {
    let parts: Vec<String> = l.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
    format!("{{{}}}", parts.join(", "))
}

impl Ctx<'_> {
    pub(super) fn binary(&self, b: &BinaryExpr) -> Result<Value, QueryError> {
        let op = b.op.to_string();
        let bool_ = b.return_bool();
        let lhs = self.eval(&b.lhs)?;
        let rhs = self.eval(&b.rhs)?;
        let matching = b.modifier.as_ref().and_then(|m| m.matching.as_ref());
        if matches!(op.as_str(), "and" | "or" | "unless") {
            let (Value::Vector(l), Value::Vector(r)) = (lhs, rhs) else {
                return Err(QueryError::BadData(format!(
                    "set operator \"{op}\" needs two vectors"
                )));
            };
            return Ok(Value::Vector(set_op(&op, l, r, matching)));
        }
        match (lhs, rhs) {
            (Value::Scalar(l), Value::Scalar(r)) => {
                let v = if is_comparison(&op) {
                    f64::from(u8::from(apply(&op, l, r).is_some()))
                } else {
                    apply(&op, l, r).unwrap_or(f64::NAN)
                };
                Ok(Value::Scalar(v))
            }
            (Value::Vector(v), Value::Scalar(x)) => {
                Ok(Value::Vector(scalar_op(&op, v, x, false, bool_)))
            }
            (Value::Scalar(x), Value::Vector(v)) => {
                Ok(Value::Vector(scalar_op(&op, v, x, true, bool_)))
            }
            (Value::Vector(l), Value::Vector(r)) => {
                let card = b.modifier.as_ref().map(|m| &m.card);
                if matches!(
                    card,
                    Some(
                        VectorMatchCardinality::ManyToOne(_) | VectorMatchCardinality::OneToMany(_)
                    )
                ) {
                    return Err(unsupported("group_left/group_right"));
                }
                self.vector_op(&op, l, r, matching, bool_)
                    .map(Value::Vector)
            }
            _ => Err(QueryError::BadData(format!(
                "operator \"{op}\" needs scalars or instant vectors"
            ))),
        }
    }

    fn vector_op(
        &self,
        op: &str,
        lhs: Vec<Sample>,
        rhs: Vec<Sample>,
        matching: Option<&LabelModifier>,
        bool_: bool,
    ) -> Result<Vec<Sample>, QueryError> {
        let mut right: BTreeMap<Labels, Sample> = BTreeMap::new();
        for s in rhs {
            let sig = signature(&s.labels, matching);
            if right.contains_key(&sig) {
                return Err(QueryError::Execution(format!(
                    "found duplicate series for the match group {} on the right hand-side of the operation: {};many-to-many matching not allowed: matching labels must be unique on one side",
                    show(&sig),
                    show(&s.labels)
                )));
            }
            right.insert(sig, s);
        }
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for mut s in lhs {
            let sig = signature(&s.labels, matching);
            let Some(r) = right.get(&sig) else { continue };
            if !seen.insert(sig.clone()) {
                return Err(QueryError::Execution(format!(
                    "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right) (match group {})",
                    show(&sig)
                )));
            }
            let result = apply(op, s.value, r.value);
            let value = match (is_comparison(op), bool_, result) {
                (true, true, r) => f64::from(u8::from(r.is_some())),
                (_, _, Some(v)) => v,
                (_, _, None) => continue,
            };
            if !is_comparison(op) || bool_ {
                s.labels.remove("__name__");
            }
            match matching {
                Some(LabelModifier::Include(on)) => s.labels.retain(|k, _| on.labels.contains(k)),
                Some(LabelModifier::Exclude(ign)) => {
                    s.labels.retain(|k, _| !ign.labels.contains(k))
                }
                None => {}
            }
            s.value = value;
            out.push(s);
        }
        Ok(out)
    }
}

/// `vector op scalar` (or `scalar op vector` when `swap`): a comparison keeps the vector's value.
fn scalar_op(op: &str, v: Vec<Sample>, x: f64, swap: bool, bool_: bool) -> Vec<Sample> {
    v.into_iter()
        .filter_map(|mut s| {
            let (l, r) = if swap { (x, s.value) } else { (s.value, x) };
            let result = apply(op, l, r);
            let value = if is_comparison(op) {
                if bool_ {
                    f64::from(u8::from(result.is_some()))
                } else {
                    result.map(|_| s.value)?
                }
            } else {
                result?
            };
            if !is_comparison(op) || bool_ {
                s.labels.remove("__name__");
            }
            s.value = value;
            Some(s)
        })
        .collect()
}

fn set_op(
    op: &str,
    l: Vec<Sample>,
    r: Vec<Sample>,
    matching: Option<&LabelModifier>,
) -> Vec<Sample> {
    let right: BTreeSet<Labels> = r.iter().map(|s| signature(&s.labels, matching)).collect();
    match op {
        "and" => l
            .into_iter()
            .filter(|s| right.contains(&signature(&s.labels, matching)))
            .collect(),
        "unless" => l
            .into_iter()
            .filter(|s| !right.contains(&signature(&s.labels, matching)))
            .collect(),
        _ => {
            let left: BTreeSet<Labels> = l.iter().map(|s| signature(&s.labels, matching)).collect();
            let mut out = l;
            out.extend(
                r.into_iter()
                    .filter(|s| !left.contains(&signature(&s.labels, matching))),
            );
            out
        }
    }
}
