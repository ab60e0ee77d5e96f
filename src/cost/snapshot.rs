//! The costs in `opsdeck snapshot`: every budget (spent, projected, state), cost per article
//! and per run, LLM spend by provider, service and model, and OpenCost's infrastructure cost
//! per workload, from the model's own figures; the text is what the cost view shows.

use serde::Serialize;
use serde_json::Map;

use super::model::{Budget, BudgetState, CostModel, Period};
use super::view::{Budgets, Infra, infra_summary, llm_text, source_load, unit_summary};
use crate::ui::snapshot::{PaneSnapshot, Source, heading, json, section, state_note};
use crate::ui::table::{Ctx, line_text, plain_table};

/// Width of the spend sparkline in the text.
const SPARK: usize = 40;

#[derive(Serialize)]
struct BudgetJson<'a> {
    /// How runbooks name it: "llm/day", "infra/month", "openai/day".
    key: String,
    label: &'a str,
    /// "day" or "month".
    period: &'static str,
    /// "over", "warning" (projected over), "ok", "unknown".
    state: &'static str,
    limit_usd: f64,
    spent_usd: Option<f64>,
    projected_usd: Option<f64>,
}

fn budget(b: &Budget) -> BudgetJson<'_> {
    BudgetJson {
        key: b.key(),
        label: &b.label,
        period: match b.period {
            Period::Day => "day",
            Period::Month => "month",
        },
        state: match b.state {
            BudgetState::Over => "over",
            BudgetState::Warning => "warning",
            BudgetState::Ok => "ok",
            BudgetState::Unknown => "unknown",
        },
        limit_usd: b.limit_usd,
        spent_usd: b.spent_usd,
        projected_usd: b.projected_usd,
    }
}

/// The LLM counters' Prometheus and OpenCost, those configured.
pub fn sources(costs: &CostModel, prometheus: Option<&str>, opencost: Option<&str>) -> Vec<Source> {
    let mut out = vec![];
    if costs.sources.llm {
        let name = "Prometheus (LLM counters)";
        out.push(Source::new("prometheus", name, prometheus, &costs.llm_load));
    }
    if costs.sources.infra {
        out.push(Source::new(
            "opencost",
            "OpenCost",
            opencost,
            &costs.infra_load,
        ));
    }
    out
}

pub fn snapshot(costs: &CostModel, ctx: &Ctx) -> PaneSnapshot {
    let mut more = Map::new();
    more.insert("unit".into(), json(&costs.unit));
    more.insert("llm".into(), json(&costs.llm));
    more.insert("infra".into(), json(&costs.infra));
    PaneSnapshot {
        key: "cost",
        rows: costs.budgets().iter().map(|b| json(&budget(b))).collect(),
        more,
        text: text(costs, ctx),
    }
}

/// The budgets, then LLM spend, then infrastructure.
fn text(costs: &CostModel, ctx: &Ctx) -> Vec<String> {
    let n = costs.budgets().len();
    let mut title = heading("Budgets", n, &costs.load(), ctx);
    let unit = unit_summary(costs);
    if !unit.is_empty() {
        title = format!("{title}  {unit}");
    }
    let mut text = section(title, &Budgets(costs), n, ctx);
    let llm_load = source_load(costs.sources.llm, &costs.llm_load);
    text.push(String::new());
    text.push(format!("LLM SPEND{}", state_note(llm_load, ctx)));
    text.extend(llm_text(costs, SPARK, ctx).iter().map(line_text));
    let infra_load = source_load(costs.sources.infra, &costs.infra_load);
    text.push(String::new());
    text.push(format!(
        "INFRASTRUCTURE (OPENCOST)  {}{}",
        infra_summary(costs),
        state_note(infra_load, ctx)
    ));
    if let Some(infra) = costs.infra.as_ref().filter(|i| !i.workloads.is_empty()) {
        text.extend(plain_table(&Infra(infra), 0..infra.workloads.len(), ctx));
    }
    text
}
