//! The SLO pane on the overview (worst first: state, budget gauge, burn, time to exhaustion,
//! trend) and the SLO view: every alert row's burns, plus the selected SLO's windows and the
//! exact queries behind them.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Wrap};

use super::format_duration;
use super::math::{AlertState, RowResult, Severity};
use super::model::SloRow;
use crate::cluster::model::LoadState;
use crate::cluster::rows::Health;
use crate::core::state::State;
use crate::core::table::TableState;
use crate::ui::sparkline::sparkline;
use crate::ui::table::{Ctx, col, draw_table, pane_title};

use Constraint::{Length, Min};

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

fn is_ascii(ctx: &Ctx) -> bool {
    ctx.symbols.ok == crate::ui::symbols::ASCII.ok
}

fn name_cell<'a>(row: &SloRow, ctx: &Ctx) -> Cell<'a> {
    crate::ui::table::health_cell(ctx, health(row), &row.name)
}

fn row_style(row: &SloRow, ctx: &Ctx) -> Style {
    match row.load {
        LoadState::Stale { .. } => ctx.theme.dim,
        _ => Style::default(),
    }
}

/// The overview's pane.
pub fn draw_slo_pane(frame: &mut Frame, area: Rect, state: &State, ctx: &Ctx) {
    let columns = [
        col("SLO", Min(16)),
        col("STATE", Length(7)),
        col("BUDGET LEFT", Length(15)),
        col("BURN", Length(6)),
        col("EXHAUSTS", Length(8)),
        col("TREND", Min(6)),
    ];
    let rows = state.slos.rows();
    let title = pane_title(
        ctx,
        "SLOs (worst first)",
        rows.len(),
        "",
        &state.slos.load(),
    );
    let table = TableState {
        rows: (0..rows.len()).collect(),
        ..TableState::default()
    };
    let ascii = is_ascii(ctx);
    draw_table(frame, area, ctx, title, &columns, &table, false, |i| {
        let r = rows.get(i)?;
        let h = health(r);
        Some((
            vec![
                name_cell(r, ctx),
                Cell::from(Span::styled(state_text(r, ctx), ctx.theme.health(h))),
                Cell::from(gauge(r.budget_remaining, 9, ascii)),
                Cell::from(burn_text(r.burn)),
                Cell::from(exhaustion_text(r)),
                Cell::from(sparkline(r.history.iter().copied(), 24, ascii)),
            ],
            row_style(r, ctx),
        ))
    });
}

/// "16.2/19.0": one alert row's long/short burns, marked when it fires.
fn alert_row_text(r: &RowResult) -> String {
    let b = |v: Option<f64>| v.map_or_else(|| "-".into(), |v| format!("{v:.1}"));
    let mark = if r.firing == Some(true) { "!" } else { "" };
    format!("{}/{}{mark}", b(r.long_burn), b(r.short_burn))
}

/// The SLO view: a table of every SLO, and the selected one's windows and queries.
pub fn draw_slos(frame: &mut Frame, area: Rect, state: &State, ctx: &Ctx) {
    let areas = split(area, state.slos.rows().len());
    let wide = area.width >= 120;
    let mut columns = vec![
        col("SLO", Min(16)),
        col("OBJECTIVE", Length(10)),
        col("STATE", Length(7)),
        col("SINCE", Length(5)),
        col("BUDGET LEFT", Length(15)),
        col("BURN", Length(6)),
        col("EXHAUSTS", Length(8)),
    ];
    if wide {
        columns.insert(1, col("SERVICE", Length(12)));
        columns.push(col("PAGE fast", Length(11)));
        columns.push(col("PAGE slow", Length(11)));
        columns.push(col("TICKET", Length(11)));
        columns.push(col("TREND", Min(10)));
    }
    let rows = state.slos.rows();
    let title = pane_title(ctx, "SLOs", rows.len(), "", &state.slos.load());
    let ascii = is_ascii(ctx);
    draw_table(
        frame,
        areas.table,
        ctx,
        title,
        &columns,
        &state.slo_table,
        true,
        |i| {
            let r = rows.get(i)?;
            let h = health(r);
            let since = r.state_since_ms.map_or_else(
                || "-".into(),
                |ms| crate::ui::format::age(ctx.now - ms / 1000),
            );
            let mut cells = vec![
                name_cell(r, ctx),
                Cell::from(format!(
                    "{}%/{}",
                    trim_percent(r.objective * 100.0),
                    format_duration(r.period)
                )),
                Cell::from(Span::styled(state_text(r, ctx), ctx.theme.health(h))),
                Cell::from(since),
                Cell::from(gauge(r.budget_remaining, 9, ascii)),
                Cell::from(burn_text(r.burn)),
                Cell::from(exhaustion_text(r)),
            ];
            if wide {
                cells.insert(1, Cell::from(r.service.clone()));
                for row in r.eval.rows.iter().take(3) {
                    cells.push(Cell::from(alert_row_text(row)));
                }
                cells.push(Cell::from(sparkline(r.history.iter().copied(), 40, ascii)));
            }
            Some((cells, row_style(r, ctx)))
        },
    );
    let selected = state.slo_table.selected_slot().and_then(|i| rows.get(i));
    draw_detail(frame, areas.detail, selected, ctx);
}

fn trim_percent(p: f64) -> String {
    let s = format!("{p:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The selected SLO: where it is defined, each alert row, each window's ratio and burn with
/// the query that produced it.
fn draw_detail(frame: &mut Frame, area: Rect, row: Option<&SloRow>, ctx: &Ctx) {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_set(ctx.symbols.border)
        .border_style(ctx.theme.border)
        .title(Span::styled(" Windows and queries ", ctx.theme.title));
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
