//! The health pane on the overview (services worst first) and the health view: every service's
//! status, since when, its endpoints' answers and response time, what fails or warns, and the
//! selected service's problems one per line below.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::answer::Status;
use super::model::{Endpoint, HealthModel, HealthRow};
use crate::status::{Health, LoadState};
use crate::ui::format::since;
use crate::ui::table::{
    Cell, Column, Ctx, Row, TableRows, block, col, draw_all, draw_table, fill, pane_title,
};
use crate::ui::table_state::TableState;

/// The health view: the table on top (as tall as its rows, at most half the body), the
/// selected service's problems below.
pub struct HealthAreas {
    pub table: Rect,
    pub detail: Rect,
}

pub fn split(body: Rect, rows: usize) -> HealthAreas {
    let (table, detail) = crate::ui::layout::table_over_rest(body, rows);
    HealthAreas { table, detail }
}

fn mark(status: Status, load: &LoadState) -> Health {
    match (status, load) {
        (Status::Pass, _) => Health::Ok,
        (Status::Warn, _) => Health::Warn,
        (Status::Unknown, LoadState::Loading) => Health::Pending,
        (Status::Fail | Status::Unknown, _) => Health::Bad,
    }
}

fn health(r: &HealthRow) -> Health {
    mark(r.status, &r.load)
}

fn status_text(r: &HealthRow, ctx: &Ctx) -> &'static str {
    match r.load {
        LoadState::Loading => ctx.symbols.ellipsis,
        _ => r.status.word(),
    }
}

/// What a stale row shows is the last known: dim it.
fn row_style(r: &HealthRow, ctx: &Ctx) -> Style {
    match r.load {
        LoadState::Stale { .. } => ctx.theme.dim,
        _ => Style::default(),
    }
}

/// "12ms", "1.4s".
fn elapsed(e: &Endpoint) -> String {
    match e.elapsed_ms {
        Some(ms) if ms < 1_000 => format!("{ms}ms"),
        Some(ms) => format!("{:.1}s", ms as f64 / 1000.0),
        None => "-".into(),
    }
}

/// The first cells every table of services starts with.
fn leading(r: &HealthRow, ctx: &Ctx) -> [Cell; 3] {
    let h = health(r);
    [
        Cell::marked(ctx, h, r.name.as_str()),
        Cell::styled(status_text(r, ctx), ctx.theme.health(h)),
        Cell::from(since(r.since_ms, ctx.now)),
    ]
}

/// The overview's pane.
struct Overview<'a>(&'a HealthModel);

impl TableRows for Overview<'_> {
    fn columns(&self, _width: u16) -> Vec<Column> {
        vec![
            col("SERVICE", 7, 24),
            col("STATUS", 6, 7),
            col("SINCE", 5, 5),
            col("TIME", 4, 6),
            fill("PROBLEMS", 8),
        ]
    }

    fn row(&self, slot: usize, _width: u16, ctx: &Ctx) -> Option<Row> {
        let r = self.0.rows().get(slot)?;
        let mut cells = leading(r, ctx).to_vec();
        cells.extend([
            Cell::from(elapsed(&r.ready)),
            Cell::from(r.summary.as_str()),
        ]);
        Some(Row::new(cells).style(row_style(r, ctx)))
    }
}

pub fn draw_health_pane(frame: &mut Frame, area: Rect, model: &HealthModel, ctx: &Ctx) {
    let rows = model.rows();
    let title = pane_title(ctx, "Health (worst first)", rows.len(), "", &model.load());
    draw_all(frame, area, ctx, title, rows.len(), &Overview(model));
}

/// The health view's table: on a wide screen also each endpoint's answer and the body's shape.
pub struct Services<'a>(pub &'a HealthModel);

const WIDE: u16 = 120;

impl TableRows for Services<'_> {
    fn columns(&self, width: u16) -> Vec<Column> {
        let mut columns = vec![
            col("SERVICE", 7, 32),
            col("STATUS", 6, 7),
            col("SINCE", 5, 5),
        ];
        if width >= WIDE {
            columns.extend([col("READY", 5, 12), col("LIVE", 4, 12)]);
        }
        columns.push(col("TIME", 4, 6));
        if width >= WIDE {
            columns.push(col("FORMAT", 6, 12));
        }
        columns.push(fill("PROBLEMS", 8));
        columns
    }

    fn row(&self, slot: usize, width: u16, ctx: &Ctx) -> Option<Row> {
        let r = self.0.rows().get(slot)?;
        let wide = width >= WIDE;
        let mut cells = leading(r, ctx).to_vec();
        if wide {
            let live = r.live.as_ref().map_or_else(|| "-".into(), Endpoint::text);
            cells.extend([Cell::from(r.ready.text()), Cell::from(live)]);
        }
        cells.push(Cell::from(elapsed(&r.ready)));
        if wide {
            let shape = r.ready.shape.map_or("-", |s| s.label());
            cells.push(Cell::from(shape));
        }
        cells.push(Cell::from(r.summary.as_str()));
        Some(Row::new(cells).style(row_style(r, ctx)))
    }
}

pub fn title(model: &HealthModel, ctx: &Ctx) -> Line<'static> {
    pane_title(ctx, "Health", model.rows().len(), "", &model.load())
}

pub fn draw_health(
    frame: &mut Frame,
    area: Rect,
    model: &HealthModel,
    table: &TableState,
    ctx: &Ctx,
) {
    let areas = split(area, model.rows().len());
    let rows = Services(model);
    draw_table(
        frame,
        areas.table,
        ctx,
        title(model, ctx),
        table,
        true,
        &rows,
    );
    let selected = table.selected_slot().and_then(|i| model.rows().get(i));
    draw_detail(frame, areas.detail, selected, ctx);
}

/// "ready 503 fail in 12ms (health+json)".
fn endpoint_line(which: &str, e: &Endpoint) -> String {
    let mut text = format!("{which} {}", e.text());
    if e.elapsed_ms.is_some() {
        text.push_str(&format!(" in {}", elapsed(e)));
    }
    if let Some(shape) = e.shape {
        text.push_str(&format!(" ({})", shape.label()));
    }
    text
}

/// The selected service: each endpoint's answer, then what fails or warns, one per line.
fn draw_detail(frame: &mut Frame, area: Rect, row: Option<&HealthRow>, ctx: &Ctx) {
    let title = Line::from(Span::styled(" Checks ", ctx.theme.title));
    let block = block(ctx, title, area);
    let Some(r) = row else {
        frame.render_widget(Paragraph::new("no service selected").block(block), area);
        return;
    };
    let mut endpoints = vec![endpoint_line("ready", &r.ready)];
    endpoints.extend(r.live.as_ref().map(|l| endpoint_line("live", l)));
    let sep = format!(" {} ", ctx.symbols.separator);
    let mut lines = vec![Line::from(vec![
        Span::styled(format!("{} ", r.name), ctx.theme.title),
        Span::styled(endpoints.join(&sep), ctx.theme.dim),
    ])];
    if let LoadState::Stale { reason, .. } = &r.load {
        lines.push(Line::styled(
            format!("not answering: {reason}"),
            ctx.theme.stale,
        ));
    }
    for (status, text) in &r.problems {
        let h = mark(*status, &r.load);
        let style = ctx.theme.health(h);
        lines.push(Line::from(vec![
            Span::styled(format!("{} ", ctx.symbols.health(h)), style),
            Span::styled(text.clone(), style),
        ]));
    }
    if r.problems.is_empty() && r.status == Status::Pass {
        lines.push(Line::styled("every check passes", ctx.theme.dim));
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
    fn response_times_read_short() {
        let e = |ms| Endpoint {
            elapsed_ms: ms,
            ..Endpoint::default()
        };
        assert_eq!(elapsed(&e(Some(12))), "12ms");
        assert_eq!(elapsed(&e(Some(1_460))), "1.5s");
        assert_eq!(elapsed(&e(None)), "-");
    }
}
