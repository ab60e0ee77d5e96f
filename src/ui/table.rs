//! The one table widget every view uses. It asks only for the rows on screen (a 50k-row table
//! costs what a screenful costs), sizes each column to what those rows hold, between the
//! column's minimum and cap, and cuts what does not fit with a mark, never silently.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Row as TuiRow, Table};

use super::symbols::Symbols;
use super::table_state::TableState;
use super::text::{cut, fit_line, tail, width};
use super::theme::Theme;
use crate::status::{Health, LoadState};

/// Shared drawing context.
pub struct Ctx<'a> {
    pub theme: &'a Theme,
    pub symbols: &'a Symbols,
    /// Unix seconds: ages are drawn against it.
    pub now: i64,
}

/// A column, sized to its content (its title and the visible rows) within `min..=max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Column {
    pub title: &'static str,
    pub min: u16,
    pub max: u16,
    /// Gives way first when the screen is too narrow (free text, secondary figures).
    pub gives: bool,
}

/// A column sized to its content, from `min` up to `max`.
pub const fn col(title: &'static str, min: u16, max: u16) -> Column {
    Column {
        title,
        min,
        max,
        gives: false,
    }
}

/// A column sized to its content that gives way before the others (a namespace beside a
/// name: the name is what must stay whole).
pub const fn give(title: &'static str, min: u16, max: u16) -> Column {
    Column {
        title,
        min,
        max,
        gives: true,
    }
}

/// A column that takes whatever room the others leave, and gives way first (messages,
/// images).
pub const fn fill(title: &'static str, min: u16) -> Column {
    Column {
        title,
        min,
        max: u16::MAX,
        gives: true,
    }
}

/// One cell: an optional leading mark (a health symbol) and its text, each with a style.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Cell {
    pub mark: Option<(&'static str, Style)>,
    pub text: String,
    pub style: Style,
    /// Too wide, it keeps its end rather than its start (a sparkline's newest points).
    pub keep_end: bool,
}

impl Cell {
    pub fn styled(text: impl Into<String>, style: Style) -> Cell {
        Cell {
            text: text.into(),
            style,
            ..Cell::default()
        }
    }

    /// A history drawn as text: a narrow column shows its newest end, unmarked.
    pub fn history(text: String) -> Cell {
        Cell {
            text,
            keep_end: true,
            ..Cell::default()
        }
    }

    /// A row's first cell: its health mark and its name, both in the health's style.
    pub fn health(ctx: &Ctx, health: Health, text: impl Into<String>) -> Cell {
        let style = ctx.theme.health(health);
        Cell {
            mark: Some((ctx.symbols.health(health), style)),
            text: text.into(),
            style,
            keep_end: false,
        }
    }

    /// A health mark before plain text (a name whose state the mark alone tells).
    pub fn marked(ctx: &Ctx, health: Health, text: impl Into<String>) -> Cell {
        Cell {
            mark: Some((ctx.symbols.health(health), ctx.theme.health(health))),
            text: text.into(),
            ..Cell::default()
        }
    }

    fn width(&self) -> usize {
        self.mark.map_or(0, |(m, _)| width(m) + 1) + width(&self.text)
    }

    /// The cell in at most `max` columns, cut with `mark` when it does not fit.
    fn line(&self, max: usize, cut_mark: &str) -> Line<'static> {
        let mut spans = vec![];
        let mut room = max;
        if let Some((m, style)) = self.mark {
            spans.push(Span::styled(format!("{m} "), style));
            room = room.saturating_sub(width(m) + 1);
        }
        let text = if self.keep_end {
            tail(&self.text, room)
        } else {
            cut(&self.text, room, cut_mark)
        };
        spans.push(Span::styled(text, self.style));
        Line::from(spans)
    }
}

impl From<String> for Cell {
    fn from(text: String) -> Cell {
        Cell::styled(text, Style::default())
    }
}

impl From<&str> for Cell {
    fn from(text: &str) -> Cell {
        Cell::styled(text, Style::default())
    }
}

/// One row's cells and the style over all of them (dimmed when stale).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Row {
    pub cells: Vec<Cell>,
    pub style: Style,
}

impl Row {
    pub fn new(cells: Vec<Cell>) -> Row {
        Row {
            cells,
            style: Style::default(),
        }
    }

    pub fn style(mut self, style: Style) -> Row {
        self.style = style;
        self
    }
}

/// How a view's rows become cells (`slot`: the row's place in the view's store).
pub trait TableRows {
    /// The columns at this width (narrow screens get fewer).
    fn columns(&self, width: u16) -> Vec<Column>;
    fn row(&self, slot: usize, width: u16, ctx: &Ctx) -> Option<Row>;
}

/// A pane title: " Pods (contentgen/api) [12] /crash  STALE 2m: connection refused ".
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
    spans.extend(load_span(ctx, load));
    Line::from(spans)
}

/// What a title says of its source: nothing when live.
fn load_span<'a>(ctx: &Ctx, load: &LoadState) -> Option<Span<'a>> {
    match load {
        LoadState::Loading => Some(Span::styled(
            format!("loading{} ", ctx.symbols.ellipsis),
            ctx.theme.pending,
        )),
        LoadState::Live => None,
        LoadState::Stale { since, reason } => Some(Span::styled(
            format!(" STALE {}: {reason} ", super::format::age(ctx.now - since)),
            ctx.theme.stale,
        )),
    }
}

/// A title with a short note instead of a row count: " LLM spend today $38.50 ".
pub fn titled<'a>(ctx: &Ctx, name: &str, note: &str, load: &LoadState) -> Line<'a> {
    let mut spans = vec![Span::styled(format!(" {name} "), ctx.theme.title)];
    if !note.is_empty() {
        spans.push(Span::styled(format!("{note} "), ctx.theme.accent));
    }
    spans.extend(load_span(ctx, load));
    Line::from(spans)
}

/// A bordered block whose title is cut (with a mark) to the block's width.
pub fn block<'a>(ctx: &Ctx, title: Line<'a>, area: Rect) -> Block<'a> {
    let room = usize::from(area.width.saturating_sub(2));
    Block::default()
        .borders(Borders::ALL)
        .border_set(ctx.symbols.border)
        .border_style(ctx.theme.border)
        .title(fit_line(title.spans, room, ctx.symbols.cut, ctx.theme.dim))
}

/// Rows a table of this height shows (borders and header off).
fn visible_rows(area: Rect) -> usize {
    usize::from(area.height.saturating_sub(3))
}

/// Draws `table.rows[offset..offset+height]`, asking `rows` for each visible slot only.
/// Without `focused`, the selection is not highlighted (a secondary pane).
pub fn draw_table(
    frame: &mut Frame,
    area: Rect,
    ctx: &Ctx,
    title: Line<'_>,
    table: &TableState,
    focused: bool,
    rows: &dyn TableRows,
) {
    let columns = rows.columns(area.width);
    let visible: Vec<(usize, Row)> = table
        .window(visible_rows(area))
        .iter()
        .enumerate()
        .filter_map(|(i, &slot)| Some((table.offset + i, rows.row(slot, area.width, ctx)?)))
        .collect();
    let room = area.width.saturating_sub(2);
    let widths = widths(&columns, visible.iter().map(|(_, r)| r), room);
    let mark = ctx.symbols.cut;
    let tui_rows: Vec<TuiRow> = visible
        .iter()
        .map(|(at, row)| {
            let cells = row
                .cells
                .iter()
                .zip(&widths)
                .map(|(c, w)| c.line(usize::from(*w), mark));
            let style = if focused && *at == table.selected {
                row.style.patch(ctx.theme.selected)
            } else {
                row.style
            };
            TuiRow::new(cells).style(style)
        })
        .collect();
    let header = TuiRow::new(
        columns
            .iter()
            .zip(&widths)
            .map(|(c, w)| cut(c.title, usize::from(*w), mark)),
    )
    .style(ctx.theme.header);
    let widget = Table::new(tui_rows, widths.iter().map(|w| Constraint::Length(*w)))
        .header(header)
        .block(block(ctx, title, area))
        .column_spacing(1);
    frame.render_widget(widget, area);
}

/// Draws every row of `rows` (slots `0..count`, in order) from the top, nothing selected: an
/// overview pane or a secondary table.
pub fn draw_all(
    frame: &mut Frame,
    area: Rect,
    ctx: &Ctx,
    title: Line<'_>,
    count: usize,
    rows: &dyn TableRows,
) {
    let table = TableState {
        rows: (0..count).collect(),
        ..TableState::default()
    };
    draw_table(frame, area, ctx, title, &table, false, rows);
}

/// Column widths for `room` columns of space: each column's content (title included) within
/// its bounds. When that is too wide the columns that give way do first, then the others;
/// within each group the column with the most above its minimum, one column at a time. Room
/// left over goes to the fill columns.
pub fn widths<'r>(columns: &[Column], rows: impl Iterator<Item = &'r Row>, room: u16) -> Vec<u16> {
    let mut content: Vec<usize> = columns.iter().map(|c| width(c.title)).collect();
    for row in rows {
        for (w, cell) in content.iter_mut().zip(&row.cells) {
            *w = (*w).max(cell.width());
        }
    }
    let mut want: Vec<u16> = columns
        .iter()
        .zip(content)
        .map(|(c, w)| u16::try_from(w).unwrap_or(u16::MAX).clamp(c.min, c.max))
        .collect();
    let spacing = u16::try_from(columns.len().saturating_sub(1)).unwrap_or(u16::MAX);
    let avail = room.saturating_sub(spacing);
    let mut total: u32 = want.iter().map(|&w| u32::from(w)).sum();
    let (givers, keepers): (Vec<usize>, Vec<usize>) =
        (0..columns.len()).partition(|&i| columns[i].gives);
    for givers in [&givers, &keepers] {
        while total > u32::from(avail) {
            let widest = givers
                .iter()
                .copied()
                .filter(|&i| want[i] > columns[i].min)
                .max_by_key(|&i| (want[i] - columns[i].min, i));
            let Some(i) = widest else { break };
            want[i] -= 1;
            total -= 1;
        }
    }
    let fills: Vec<usize> = (0..columns.len())
        .filter(|&i| columns[i].max == u16::MAX)
        .collect();
    if let Some(extra) = u32::from(avail).checked_sub(total).filter(|e| *e > 0)
        && !fills.is_empty()
    {
        let n = u32::try_from(fills.len()).unwrap_or(1);
        for (k, &i) in fills.iter().enumerate() {
            let share = extra / n + u32::from(k == 0) * (extra % n);
            want[i] = want[i].saturating_add(u16::try_from(share).unwrap_or(u16::MAX));
        }
    }
    want
}

/// A title's text, without its styling or edge spaces.
pub fn line_text(line: &Line) -> String {
    let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
    text.trim().to_string()
}

/// A table view's selected row in full, under its title: every column the widest screen
/// shows, whatever this one shows.
pub fn selected_in_full(
    title: &Line,
    rows: &dyn TableRows,
    table: &TableState,
    ctx: &Ctx,
) -> (String, Vec<(String, String)>) {
    let fields = table
        .selected_slot()
        .map(|slot| row_in_full(rows, slot, u16::MAX, ctx))
        .unwrap_or_default();
    (line_text(title), fields)
}

/// The selected row in full, one (column, whole text) pair per column: what a cut cell said.
fn row_in_full(rows: &dyn TableRows, slot: usize, width: u16, ctx: &Ctx) -> Vec<(String, String)> {
    let Some(row) = rows.row(slot, width, ctx) else {
        return vec![];
    };
    rows.columns(width)
        .iter()
        .zip(row.cells)
        .map(|(c, cell)| (c.title.to_string(), whole_text(cell)))
        .collect()
}

/// A cell's mark and whole text, unstyled.
fn whole_text(cell: Cell) -> String {
    match cell.mark {
        Some((m, _)) => format!("{m} {}", cell.text),
        None => cell.text,
    }
}

/// The rows at `slots` as plain text (`opsdeck snapshot`): a header line, then one line per
/// row; every column the widest screen shows, each as wide as its widest cell, nothing cut.
pub fn plain_table(
    rows: &dyn TableRows,
    slots: impl IntoIterator<Item = usize>,
    ctx: &Ctx,
) -> Vec<String> {
    let columns = rows.columns(u16::MAX);
    let titles: Vec<String> = columns.iter().map(|c| c.title.to_string()).collect();
    let mut lines: Vec<Vec<String>> = vec![titles];
    lines.extend(
        slots
            .into_iter()
            .filter_map(|slot| rows.row(slot, u16::MAX, ctx))
            .map(|row| row.cells.into_iter().map(whole_text).collect()),
    );
    let mut widths = vec![0; columns.len()];
    for line in &lines {
        for (w, text) in widths.iter_mut().zip(line) {
            *w = (*w).max(width(text));
        }
    }
    lines
        .iter()
        .map(|line| {
            let mut out = String::new();
            for (text, w) in line.iter().zip(&widths) {
                out.push_str(text);
                out.extend(std::iter::repeat_n(' ', w - width(text) + 1));
            }
            out.trim_end().to_string()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cells: &[&str]) -> Row {
        Row::new(cells.iter().map(|c| Cell::from(*c)).collect())
    }

    #[test]
    fn columns_fit_their_content_within_bounds() {
        let columns = [fill("NAME", 8), col("READY", 5, 6), col("AGE", 3, 5)];
        let rows = [
            row(&["api", "3/3", "2d"]),
            row(&["article-generator", "4/4", "9d"]),
        ];
        // Plenty of room: content widths, the rest to NAME.
        assert_eq!(widths(&columns, rows.iter(), 40), [30, 5, 3]);
        // Tight: NAME (the fill column) gives way down to its minimum, the others keep theirs.
        assert_eq!(widths(&columns, rows.iter(), 20), [10, 5, 3]);
        assert_eq!(widths(&columns, rows.iter(), 10), [8, 5, 3]);
        // Then the others, widest first.
        let columns = [fill("MESSAGE", 4), col("OBJECT", 4, 30), col("AGE", 3, 5)];
        let rows = [row(&[
            "Back-off restarting",
            "Pod/fact-checker-6d4b7c9f8-q1r2s",
            "2d",
        ])];
        assert_eq!(widths(&columns, rows.iter(), 40), [5, 30, 3]);
        assert_eq!(widths(&columns, rows.iter(), 30), [4, 21, 3]);
    }

    struct Two;

    impl TableRows for Two {
        fn columns(&self, width: u16) -> Vec<Column> {
            let mut c = vec![col("NAME", 4, 8), col("N", 1, 3)];
            if width >= 120 {
                c.push(fill("NOTE", 4));
            }
            c
        }

        fn row(&self, slot: usize, _width: u16, _ctx: &Ctx) -> Option<Row> {
            let name = ["api", "article-generator"].get(slot)?;
            Some(row(&[name, &slot.to_string(), "é whole"]))
        }
    }

    #[test]
    fn a_plain_table_has_every_column_aligned_and_nothing_cut() {
        let theme = crate::ui::theme::Theme::default_for(true);
        let ctx = Ctx {
            theme: &theme,
            symbols: &crate::ui::symbols::ASCII,
            now: 0,
        };
        assert_eq!(
            plain_table(&Two, 0..3, &ctx),
            [
                "NAME              N NOTE",
                "api               0 é whole",
                "article-generator 1 é whole",
            ]
        );
    }

    #[test]
    fn a_cut_cell_says_so_and_its_whole_text_is_kept() {
        let cell = Cell::from("api-availability");
        let line = cell.line(10, "…");
        let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
        assert_eq!(text, "api-avail…");
    }
}
