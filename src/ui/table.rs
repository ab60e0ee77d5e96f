//! The one table widget every view uses: it builds cells only for the rows on screen, so a
//! 50k-row table costs what a screenful costs.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Row, Table};

use super::theme::Theme;
use crate::cluster::model::LoadState;
use crate::cluster::rows::Health;
use crate::core::table::TableState;

use super::symbols::Symbols;

pub struct Column {
    pub title: &'static str,
    pub width: Constraint,
}

pub const fn col(title: &'static str, width: Constraint) -> Column {
    Column { title, width }
}

/// Shared drawing context.
pub struct Ctx<'a> {
    pub theme: &'a Theme,
    pub symbols: &'a Symbols,
    pub now: i64,
}

/// A pane title: "Pods (contentgen/api) 12 ─ filter: crash ─ stale: connection refused".
pub fn pane_title<'a>(
    ctx: &Ctx,
    name: &str,
    count: usize,
    filter: &str,
    load: &LoadState,
) -> Line<'a> {
    let mut spans = vec![
        Span::styled(format!(" {name} "), ctx.theme.title),
        Span::styled(format!("[{count}] "), ctx.theme.dim),
    ];
    if !filter.is_empty() {
        spans.push(Span::styled(format!("/{filter} "), ctx.theme.accent));
    }
    match load {
        LoadState::Loading => spans.push(Span::styled(
            format!("loading{} ", ctx.symbols.ellipsis),
            ctx.theme.pending,
        )),
        LoadState::Live => {}
        LoadState::Stale { since, reason } => spans.push(Span::styled(
            format!(" STALE {}: {reason} ", super::format::age(ctx.now - since)),
            ctx.theme.stale,
        )),
    }
    Line::from(spans)
}

/// A row's first cell: its health mark, coloured, then its name.
pub fn health_cell<'a>(ctx: &Ctx, health: Health, name: &str) -> Cell<'a> {
    Cell::from(Line::from(vec![
        Span::styled(ctx.symbols.health(health), ctx.theme.health(health)),
        Span::raw(format!(" {name}")),
    ]))
}

/// A title with a short note instead of a row count: "LLM spend  today $38.50 ─ STALE ...".
pub fn titled<'a>(ctx: &Ctx, name: &str, note: &str, load: &LoadState) -> Line<'a> {
    let mut title = pane_title(ctx, name, 0, "", load);
    title.spans.remove(1);
    if !note.is_empty() {
        title
            .spans
            .insert(1, Span::styled(format!("{note} "), ctx.theme.accent));
    }
    title
}

/// Draws `table.rows[offset..offset+height]`, asking `cells` for each visible slot only.
/// Without `focused`, the selection is not highlighted (a secondary pane).
#[allow(clippy::too_many_arguments)]
pub fn draw_table<'a>(
    frame: &mut Frame,
    area: Rect,
    ctx: &Ctx,
    title: Line<'a>,
    columns: &[Column],
    table: &TableState,
    focused: bool,
    mut cells: impl FnMut(usize) -> Option<(Vec<Cell<'a>>, Style)>,
) {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_set(ctx.symbols.border)
        .border_style(ctx.theme.border)
        .title(title);
    let height = usize::from(area.height.saturating_sub(3));
    let end = (table.offset + height).min(table.rows.len());
    let start = table.offset.min(end);
    let rows: Vec<Row> = table.rows[start..end]
        .iter()
        .enumerate()
        .filter_map(|(i, &slot)| {
            let (cells, style) = cells(slot)?;
            let style = if focused && start + i == table.selected {
                style.patch(ctx.theme.selected)
            } else {
                style
            };
            Some(Row::new(cells).style(style))
        })
        .collect();
    let header = Row::new(columns.iter().map(|c| Cell::from(c.title))).style(ctx.theme.header);
    let widths: Vec<Constraint> = columns.iter().map(|c| c.width).collect();
    let widget = Table::new(rows, widths)
        .header(header)
        .block(block)
        .column_spacing(1);
    frame.render_widget(widget, area);
}
