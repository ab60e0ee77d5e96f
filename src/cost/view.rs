//! The cost pane on the overview (budgets worst first, with gauges and projections) and the
//! cost view: every budget, LLM spend by provider, service and model with unit cost and a spend
//! history, and OpenCost's infrastructure cost per workload with efficiency.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::model::{Budget, BudgetState, CostModel, InfraReading, LlmReading};
use crate::status::{Health, LoadState};
use crate::ui::sparkline::sparkline;
use crate::ui::table::{
    Cell, Column, Ctx, Row, TableRows, block, col, draw_all, draw_table, pane_title, titled,
};
use crate::ui::table_state::TableState;

/// The cost view: budgets on top, LLM spend (left) and infrastructure (right) below.
pub struct CostAreas {
    pub budgets: Rect,
    pub llm: Rect,
    pub infra: Rect,
}

pub fn split(body: Rect, budgets: usize) -> CostAreas {
    let (top, rest) = crate::ui::layout::table_over_rest(body, budgets);
    let (llm, infra) = if body.width >= 120 {
        let half = body.width / 2;
        (
            Rect {
                width: half,
                ..rest
            },
            Rect {
                x: rest.x + half,
                width: rest.width - half,
                ..rest
            },
        )
    } else {
        let h = rest.height / 2;
        (
            Rect { height: h, ..rest },
            Rect {
                y: rest.y + h,
                height: rest.height - h,
                ..rest
            },
        )
    };
    CostAreas {
        budgets: top,
        llm,
        infra,
    }
}

fn health(b: &Budget) -> Health {
    match b.state {
        BudgetState::Over => Health::Bad,
        BudgetState::Warning => Health::Warn,
        BudgetState::Ok => Health::Ok,
        BudgetState::Unknown => Health::Pending,
    }
}

fn state_text(b: &Budget) -> &'static str {
    match b.state {
        BudgetState::Over => "OVER",
        BudgetState::Warning => "WARN",
        BudgetState::Ok => "ok",
        BudgetState::Unknown => "?",
    }
}

pub fn usd(v: f64) -> String {
    if v.abs() >= 1000.0 {
        format!("${:.1}k", v / 1000.0)
    } else if v.abs() >= 100.0 {
        format!("${v:.0}")
    } else {
        format!("${v:.2}")
    }
}

fn opt_usd(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), usd)
}

/// The share of the limit spent as a bar, "#####.... 62%" (over 100% fills it).
fn gauge(b: &Budget, width: usize, ascii: bool) -> String {
    let Some(spent) = b.spent_usd else {
        return "-".into();
    };
    crate::ui::format::gauge(spent / b.limit_usd.max(f64::EPSILON), width, ascii)
}

/// "$0.06/article (target $0.05)" for pane titles.
pub(super) fn unit_summary(costs: &CostModel) -> String {
    let u = &costs.unit;
    match (u.per_article_today, u.target_per_article) {
        (Some(c), Some(t)) => format!("{}/article today (target {})", usd(c), usd(t)),
        (Some(c), None) => format!("{}/article today", usd(c)),
        _ => String::new(),
    }
}

/// The budgets, worst first: on the overview (unfocused) and on top of the cost view.
pub struct Budgets<'a>(pub &'a CostModel);

impl TableRows for Budgets<'_> {
    fn columns(&self, _width: u16) -> Vec<Column> {
        vec![
            col("BUDGET", 12, 24),
            col("STATE", 5, 5),
            col("SPENT", 14, 14),
            col("SO FAR / LIMIT", 14, 20),
            col("PROJECTED", 9, 12),
        ]
    }

    fn row(&self, slot: usize, _width: u16, ctx: &Ctx) -> Option<Row> {
        let b = self.0.budgets().get(slot)?;
        let h = health(b);
        Some(
            Row::new(vec![
                Cell::marked(ctx, h, b.label.as_str()),
                Cell::styled(state_text(b), ctx.theme.health(h)),
                Cell::from(gauge(b, 8, ctx.symbols.ascii)),
                Cell::from(format!("{} / {}", opt_usd(b.spent_usd), usd(b.limit_usd))),
                Cell::from(opt_usd(b.projected_usd)),
            ])
            .style(budget_style(b, self.0, ctx)),
        )
    }
}

fn budget_style(b: &Budget, costs: &CostModel, ctx: &Ctx) -> Style {
    let stale = match b.scope {
        super::model::Scope::Infra => &costs.infra_load,
        _ => &costs.llm_load,
    };
    match stale {
        LoadState::Stale { .. } => ctx.theme.dim,
        _ => Style::default(),
    }
}

/// The overview's pane: budgets worst first, cost per article in its title.
pub fn draw_cost_pane(frame: &mut Frame, area: Rect, costs: &CostModel, ctx: &Ctx) {
    let budgets = costs.budgets();
    let mut title = pane_title(
        ctx,
        "Budgets (worst first)",
        budgets.len(),
        "",
        &costs.load(),
    );
    let unit = unit_summary(costs);
    if !unit.is_empty() {
        let style = if costs.unit.over_target() {
            ctx.theme.bad
        } else {
            ctx.theme.dim
        };
        title
            .spans
            .insert(2, Span::styled(format!("{unit} "), style));
    }
    draw_all(frame, area, ctx, title, budgets.len(), &Budgets(costs));
}

pub fn title(costs: &CostModel, ctx: &Ctx) -> Line<'static> {
    let mut title = pane_title(ctx, "Budgets", costs.budgets().len(), "", &costs.load());
    let how = "projected: a day at the last 15 min's rate, a month at the last 24 h's, \
               infra at the 7-day average ";
    title.spans.insert(2, Span::styled(how, ctx.theme.dim));
    title
}

/// The cost view.
pub fn draw_costs(frame: &mut Frame, area: Rect, costs: &CostModel, table: &TableState, ctx: &Ctx) {
    let areas = split(area, costs.budgets().len());
    let title = title(costs, ctx);
    draw_table(
        frame,
        areas.budgets,
        ctx,
        title,
        table,
        true,
        &Budgets(costs),
    );
    draw_llm(frame, areas.llm, costs, ctx);
    draw_infra(frame, areas.infra, costs, ctx);
}

/// What the LLM spend box says: its figures, or why there are none.
pub(super) fn llm_text<'a>(costs: &CostModel, spark_width: usize, ctx: &Ctx) -> Vec<Line<'a>> {
    match &costs.llm {
        _ if !costs.sources.llm => vec![Line::from(
            "not configured: no [prometheus] url to read LLM counters from",
        )],
        Some(l) => llm_lines(l, costs, spark_width, ctx.symbols.ascii, ctx),
        None => vec![Line::from("waiting for Prometheus")],
    }
}

/// A source's state as its box shows it: an unconfigured one is said so, never "loading".
pub(super) fn source_load(configured: bool, load: &LoadState) -> &LoadState {
    if configured { load } else { &LoadState::Live }
}

fn draw_llm(frame: &mut Frame, area: Rect, costs: &CostModel, ctx: &Ctx) {
    let load = source_load(costs.sources.llm, &costs.llm_load);
    let title = titled(ctx, "LLM spend", "", load);
    let lines = llm_text(costs, area.width.saturating_sub(16) as usize, ctx);
    frame.render_widget(Paragraph::new(lines).block(block(ctx, title, area)), area);
}

fn llm_lines<'a>(
    l: &LlmReading,
    costs: &CostModel,
    spark_width: usize,
    ascii: bool,
    ctx: &Ctx,
) -> Vec<Line<'a>> {
    let u = &costs.unit;
    let mut lines = vec![
        Line::from(format!(
            "today {}  month {}  last hour {} (now {}/h)  7d {}",
            usd(l.total.today_usd),
            usd(l.total.month_usd),
            usd(l.last_hour_usd),
            usd(l.total.hourly_usd),
            usd(l.last_7d_usd)
        )),
        Line::from(vec![
            Span::raw(format!(
                "per article {} today, {} 7d; per run {} today",
                opt_usd(u.per_article_today),
                opt_usd(u.per_article_7d),
                opt_usd(u.per_run_today)
            )),
            Span::styled(
                match u.target_per_article {
                    Some(t) if u.over_target() => format!("  over target {}", usd(t)),
                    Some(t) => format!("  target {}", usd(t)),
                    None => String::new(),
                },
                if u.over_target() {
                    ctx.theme.bad
                } else {
                    ctx.theme.dim
                },
            ),
        ]),
        Line::from(vec![
            Span::styled("spend/h ", ctx.theme.dim),
            Span::raw(sparkline(costs.history.iter().copied(), spark_width, ascii)),
        ]),
    ];
    let mut by = |what: &str, map: &std::collections::BTreeMap<String, super::model::Spend>| {
        let mut v: Vec<_> = map.iter().collect();
        v.sort_by(|a, b| b.1.today_usd.total_cmp(&a.1.today_usd));
        let parts: Vec<String> = v
            .iter()
            .map(|(k, s)| format!("{k} {} ({}/h)", usd(s.today_usd), usd(s.hourly_usd)))
            .collect();
        lines.push(Line::from(vec![
            Span::styled(format!("{what:<9}"), ctx.theme.dim),
            Span::raw(parts.join("  ")),
        ]));
    };
    by("provider", &l.by_provider);
    by("service", &l.by_service);
    let mut tokens: Vec<_> = l.tokens_24h_by_model.iter().collect();
    tokens.sort_by(|a, b| b.1.total_cmp(a.1));
    let parts: Vec<String> = tokens
        .iter()
        .map(|(m, t)| format!("{m} {}", short_count(**t)))
        .collect();
    lines.push(Line::from(vec![
        Span::styled("tokens/24h ", ctx.theme.dim),
        Span::raw(parts.join("  ")),
    ]));
    lines
}

fn short_count(v: f64) -> String {
    if v >= 1e9 {
        format!("{:.1}G", v / 1e9)
    } else if v >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if v >= 1e3 {
        format!("{:.0}k", v / 1e3)
    } else {
        format!("{v:.0}")
    }
}

/// OpenCost's month-to-date cost per workload.
pub(super) struct Infra<'a>(pub(super) &'a InfraReading);

impl TableRows for Infra<'_> {
    fn columns(&self, _width: u16) -> Vec<Column> {
        vec![
            col("WORKLOAD (month to date)", 12, 48),
            col("COST", 6, 8),
            col("CPU EFF", 7, 7),
            col("RAM EFF", 7, 7),
        ]
    }

    fn row(&self, slot: usize, _width: u16, _ctx: &Ctx) -> Option<Row> {
        let w = self.0.workloads.get(slot)?;
        let pct = |v: Option<f64>| v.map_or_else(|| "-".into(), |e| format!("{:.0}%", e * 100.0));
        // OpenCost's special keys say what they are.
        let name = match w.key.as_str() {
            "__idle__" => "(idle: unallocated node capacity)".to_string(),
            "__unallocated__" => "(unallocated: no controller)".to_string(),
            k => k.to_string(),
        };
        Some(Row::new(vec![
            Cell::from(name),
            Cell::from(usd(w.cost_usd)),
            Cell::from(pct(w.cpu_efficiency)),
            Cell::from(pct(w.ram_efficiency)),
        ]))
    }
}

/// What the infrastructure box's title says besides its name: the month, today and 7 days, or
/// that OpenCost is not configured.
pub(super) fn infra_summary(costs: &CostModel) -> String {
    match &costs.infra {
        // Said once, plainly: nothing is loading when nothing is configured.
        _ if !costs.sources.infra => "not configured: no [opencost] url".into(),
        Some(i) => format!(
            "month {}  today {}  7d {}",
            usd(i.month_usd),
            usd(i.today_usd),
            usd(i.last_7d_usd)
        ),
        None => String::new(),
    }
}

fn draw_infra(frame: &mut Frame, area: Rect, costs: &CostModel, ctx: &Ctx) {
    let empty = InfraReading::default();
    let infra = costs.infra.as_ref().unwrap_or(&empty);
    let load = source_load(costs.sources.infra, &costs.infra_load);
    let title = titled(
        ctx,
        "Infrastructure (OpenCost)",
        &infra_summary(costs),
        load,
    );
    let count = infra.workloads.len();
    draw_all(frame, area, ctx, title, count, &Infra(infra));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_reads_short() {
        assert_eq!(usd(0.0612), "$0.06");
        assert_eq!(usd(48.0), "$48.00");
        assert_eq!(usd(484.5), "$484");
        assert_eq!(usd(1260.0), "$1.3k");
        assert_eq!(short_count(2_400_000.0), "2.4M");
    }
}
