//! The SLO pane on the overview (worst first: state, budget gauge, burn, time to exhaustion,
//! trend) and the SLO view: every alert row's burns, plus the selected SLO's windows and the
//! exact queries behind them.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::format_duration;
use super::math::{AlertState, RowResult, Severity};
use super::model::SloModel;
use super::model::SloRow;
use crate::status::{Health, LoadState};
use crate::ui::sparkline::sparkline;
use crate::ui::table::{
    Cell, Column, Ctx, Row, TableRows, block, col, draw_all, draw_table, fill, pane_title,
};
use crate::ui::table_state::TableState;

/// The SLO view: the table on top (as tall as its rows, at most half the body), the selected
/// SLO's details below.
pub struct SloAreas {
    pub table: Rect,
    pub detail: Rect,
}

pub fn split(body: Rect, rows: usize) -> SloAreas {
    let (table, detail) = crate::ui::layout::table_over_rest(body, rows);
    SloAreas { table, detail }
}

fn health(row: &SloRow) -> Health {
    // A stale row keeps its last state's mark (dimmed by `row_style`): which SLO was paging
    // still matters while Prometheus is away.
    match (&row.load, row.eval.state) {
        (LoadState::Loading, _) => Health::Pending,
        (_, AlertState::Page) => Health::Bad,
        (_, AlertState::Ticket) => Health::Warn,
        (_, AlertState::NoData) => Health::Pending,
        (_, AlertState::Ok) if row.error.is_some() => Health::Warn,
        (_, AlertState::Ok) => Health::Ok,
    }
}

fn state_text(row: &SloRow, ctx: &Ctx) -> &'static str {
    match (&row.load, row.eval.state) {
        (LoadState::Loading, _) => ctx.symbols.ellipsis,
        (_, AlertState::Page) => "PAGE",
        (_, AlertState::Ticket) => "TICKET",
        (_, AlertState::NoData) => "no data",
        (_, AlertState::Ok) => "ok",
    }
}

/// The budget left as a bar (empty when overspent) and a percentage.
fn gauge(left: Option<f64>, width: usize, ascii: bool) -> String {
    left.map_or_else(|| "-".into(), |l| crate::ui::format::gauge(l, width, ascii))
}

fn burn_text(burn: Option<f64>) -> String {
    match burn {
        Some(b) if b >= 100.0 => format!("{b:.0}x"),
        Some(b) => format!("{b:.1}x"),
        None => "-".into(),
    }
}

fn duration_text(d: std::time::Duration) -> String {
    let s = d.as_secs();
    match s {
        0..=5_399 => format!("{}m", s / 60),
        5_400..=172_799 => format!("{}h", s / 3_600),
        _ => format!("{}d", s / 86_400),
    }
}

fn exhaustion_text(row: &SloRow) -> String {
    match (row.budget_remaining, row.exhaustion) {
        (Some(left), _) if left <= 0.0 => "spent".into(),
        (_, Some(d)) if d > row.period => "-".into(),
        (_, Some(d)) => duration_text(d),
        _ => "-".into(),
    }
}

fn name_cell(row: &SloRow, ctx: &Ctx) -> Cell {
    Cell::marked(ctx, health(row), row.name.as_str())
}

fn row_style(row: &SloRow, ctx: &Ctx) -> Style {
    match row.load {
        LoadState::Stale { .. } => ctx.theme.dim,
        _ => Style::default(),
    }
}

/// The overview's pane.
struct Overview<'a>(&'a SloModel);

impl TableRows for Overview<'_> {
    fn columns(&self, _width: u16) -> Vec<Column> {
        vec![
            col("SLO", 8, 40),
            col("STATE", 5, 7),
            col("BUDGET LEFT", 11, 15),
            col("BURN", 4, 6),
            col("EXHAUSTS", 8, 8),
            fill("TREND", 5),
        ]
    }

    fn row(&self, slot: usize, _width: u16, ctx: &Ctx) -> Option<Row> {
        let r = self.0.rows().get(slot)?;
        let h = health(r);
        let ascii = ctx.symbols.ascii;
        Some(
            Row::new(vec![
                name_cell(r, ctx),
                Cell::styled(state_text(r, ctx), ctx.theme.health(h)),
                Cell::from(gauge(r.budget_remaining, 9, ascii)),
                Cell::from(burn_text(r.burn)),
                Cell::from(exhaustion_text(r)),
                Cell::history(sparkline(r.history.iter().copied(), 24, ascii)),
            ])
            .style(row_style(r, ctx)),
        )
    }
}

pub fn draw_slo_pane(frame: &mut Frame, area: Rect, model: &SloModel, ctx: &Ctx) {
    let rows = model.rows();
    let title = pane_title(ctx, "SLOs (worst first)", rows.len(), "", &model.load());
    draw_all(frame, area, ctx, title, rows.len(), &Overview(model));
}

/// "16.2/19.0": one alert row's long/short burns, marked when it fires.
fn alert_row_text(r: &RowResult) -> String {
    let b = |v: Option<f64>| v.map_or_else(|| "-".into(), |v| format!("{v:.1}"));
    let mark = if r.firing == Some(true) { "!" } else { "" };
    format!("{}/{}{mark}", b(r.long_burn), b(r.short_burn))
}

/// The SLO view's table: every SLO, each alert row's burns on a wide screen.
pub struct Slos<'a>(pub &'a SloModel);

const WIDE: u16 = 120;

impl TableRows for Slos<'_> {
    fn columns(&self, width: u16) -> Vec<Column> {
        let wide = width >= WIDE;
        let mut columns = vec![col("SLO", 8, 40)];
        if wide {
            columns.push(col("SERVICE", 7, 16));
        }
        columns.extend([
            col("OBJECTIVE", 9, 12),
            col("STATE", 5, 7),
            col("SINCE", 5, 5),
            col("BUDGET LEFT", 11, 15),
            col("BURN", 4, 6),
            col("EXHAUSTS", 8, 8),
        ]);
        if wide {
            columns.extend([
                col("PAGE fast", 9, 11),
                col("PAGE slow", 9, 11),
                col("TICKET", 6, 11),
                fill("TREND", 5),
            ]);
        }
        columns
    }

    fn row(&self, slot: usize, width: u16, ctx: &Ctx) -> Option<Row> {
        let r = self.0.rows().get(slot)?;
        let h = health(r);
        let ascii = ctx.symbols.ascii;
        let since = crate::ui::format::since(r.state_since_ms, ctx.now);
        let wide = width >= WIDE;
        let mut cells = vec![name_cell(r, ctx)];
        if wide {
            cells.push(Cell::from(r.service.as_str()));
        }
        cells.extend([
            Cell::from(format!(
                "{}%/{}",
                trim_percent(r.objective * 100.0),
                format_duration(r.period)
            )),
            Cell::styled(state_text(r, ctx), ctx.theme.health(h)),
            Cell::from(since),
            Cell::from(gauge(r.budget_remaining, 9, ascii)),
            Cell::from(burn_text(r.burn)),
            Cell::from(exhaustion_text(r)),
        ]);
        if wide {
            for row in r.eval.rows.iter().take(3) {
                cells.push(Cell::from(alert_row_text(row)));
            }
            cells.push(Cell::history(sparkline(
                r.history.iter().copied(),
                40,
                ascii,
            )));
        }
        Some(Row::new(cells).style(row_style(r, ctx)))
    }
}

pub fn title(model: &SloModel, ctx: &Ctx) -> Line<'static> {
    pane_title(ctx, "SLOs", model.rows().len(), "", &model.load())
}

/// The SLO view: a table of every SLO, and the selected one's windows and queries.
pub fn draw_slos(frame: &mut Frame, area: Rect, model: &SloModel, table: &TableState, ctx: &Ctx) {
    let areas = split(area, model.rows().len());
    draw_table(
        frame,
        areas.table,
        ctx,
        title(model, ctx),
        table,
        true,
        &Slos(model),
    );
    let selected = table.selected_slot().and_then(|i| model.rows().get(i));
    draw_detail(frame, areas.detail, selected, ctx);
}

fn trim_percent(p: f64) -> String {
    let s = format!("{p:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The selected SLO: where it is defined, each alert row, each window's ratio and burn with
/// the query that produced it.
fn draw_detail(frame: &mut Frame, area: Rect, row: Option<&SloRow>, ctx: &Ctx) {
    let title = Line::from(Span::styled(" Windows and queries ", ctx.theme.title));
    let block = block(ctx, title, area);
    let Some(r) = row else {
        frame.render_widget(Paragraph::new("no SLO selected").block(block), area);
        return;
    };
    let mut lines = vec![Line::from(vec![
        Span::styled(format!("{} ", r.key), ctx.theme.title),
        Span::styled(
            format!(
                "{:?} {}{}",
                r.format,
                r.origin,
                if r.recording_rules {
                    "  (Sloth recording rules)"
                } else {
                    ""
                }
            ),
            ctx.theme.dim,
        ),
    ])];
    if let Some(e) = &r.error {
        lines.push(Line::styled(format!("query refused: {e}"), ctx.theme.bad));
    }
    for row in &r.eval.rows {
        let sev = match row.window.severity {
            Severity::Page => "page",
            Severity::Ticket => "ticket",
        };
        let firing = match row.firing {
            Some(true) => "FIRING",
            Some(false) => "quiet",
            None => "no data",
        };
        lines.push(Line::from(format!(
            "{sev:<6} {}/{} over {:.1}x: {} ({firing})",
            format_duration(row.window.long),
            format_duration(row.window.short),
            row.window.factor,
            alert_row_text(row),
        )));
    }
    let budget = 1.0 - r.objective;
    for (window, query) in &r.queries {
        let ratio = r.ratios.get(window);
        let figures = match ratio {
            Some(v) => format!("{:.4}% burn {:.1}x", v * 100.0, v / budget),
            None if *window == r.period => r.budget_remaining.map_or_else(
                || "no data".into(),
                |b| format!("budget left {:.1}%", b * 100.0),
            ),
            None => "no data".into(),
        };
        let query = query.split_whitespace().collect::<Vec<_>>().join(" ");
        lines.push(Line::from(vec![
            Span::styled(format!("{:>4} ", format_duration(*window)), ctx.theme.key),
            Span::raw(format!("{figures:<24} ")),
            Span::styled(query, ctx.theme.dim),
        ]));
    }
    let widget = Paragraph::new(lines)
        .block(block)
        .wrap(Wrap { trim: false });
    frame.render_widget(widget, area);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gauges_and_texts() {
        assert_eq!(gauge(Some(0.71), 10, true), "#######...   71%");
        assert_eq!(gauge(Some(-0.2), 4, true), "....  -20%");
        assert_eq!(gauge(None, 4, true), "-");
        assert_eq!(burn_text(Some(14.44)), "14.4x");
        assert_eq!(burn_text(Some(250.0)), "250x");
        assert_eq!(trim_percent(99.9), "99.9");
        assert_eq!(trim_percent(95.0), "95");
        assert_eq!(duration_text(std::time::Duration::from_secs(60_000)), "16h");
    }
}
