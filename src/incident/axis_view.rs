//! Drawing the time axis: three charts over one time span (burn with its page thresholds,
//! queue depth, replicas), the marker strip under them and its legend. ASCII mode maps the
//! charts' cells to ASCII.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Chart, Dataset, GraphType, Paragraph};

use super::axis::{AxisData, PAGE_BURNS, Panel, Window, strip};
use super::entry::{Entry, utc};
use crate::status::LoadState;
use crate::ui::table::{Ctx, block, titled};

/// Everything the axis view draws.
pub struct AxisShown<'a> {
    pub window: Window,
    pub data: Option<&'a AxisData>,
    pub state: &'a LoadState,
    pub entries: Vec<&'a Entry>,
    /// The onset (unix seconds) and the changes in the 30 minutes before it, newest first.
    pub before: Option<(i64, Vec<&'a Entry>)>,
}

fn hhmm(secs: i64) -> String {
    let t = utc(secs * 1000);
    t.get(11..16).unwrap_or(&t).to_string()
}

pub fn draw(frame: &mut Frame, area: Rect, shown: &AxisShown, ctx: &Ctx) {
    let note = format!("last {} (z: 1h/6h/24h)", shown.window.label());
    let title = titled(ctx, "Time axis", &note, shown.state);
    let outer = block(ctx, title, area);
    let inner = outer.inner(area);
    frame.render_widget(outer, area);
    let Some(data) = shown.data else {
        let text = match shown.state {
            LoadState::Stale { reason, .. } => format!(" {reason}"),
            _ => " reading Prometheus...".into(),
        };
        frame.render_widget(Paragraph::new(text), inner);
        return;
    };
    let before_rows = shown
        .before
        .as_ref()
        .map_or(0, |(_, c)| c.len().min(4) as u16 + 1);
    let rows = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Fill(1),
        Constraint::Fill(1),
        Constraint::Length(2),
        Constraint::Length(before_rows),
    ])
    .split(inner);
    chart(frame, rows[0], &data.burn, data, true, ctx);
    chart(frame, rows[1], &data.queue, data, false, ctx);
    chart(frame, rows[2], &data.replicas, data, false, ctx);
    // The strip lines up with the charts' plot area (after the y labels).
    let label_w = 7u16.min(rows[3].width);
    let plot = rows[3].width.saturating_sub(label_w) as usize;
    let marks = strip(&shown.entries, data.start, data.end, plot);
    let lines = vec![
        Line::from(vec![
            Span::styled(
                format!("{:<w$}", "marks", w = label_w as usize),
                ctx.theme.dim,
            ),
            Span::styled(marks, ctx.theme.accent),
        ]),
        Line::from(Span::styled(
            format!(
                "{:<w$}{}  R revision  S scaling  A alert  X action  N node",
                "",
                hhmm(data.start),
                w = label_w as usize
            ),
            ctx.theme.dim,
        )),
    ];
    frame.render_widget(Paragraph::new(lines), rows[3]);
    if let Some((onset, changes)) = &shown.before {
        let mut lines = vec![Line::from(Span::styled(
            format!(
                "changed in the 30 min before the onset at {}:",
                hhmm(*onset)
            ),
            ctx.theme.title,
        ))];
        for e in changes.iter().take(4) {
            lines.push(Line::raw(format!(" {} {}", hhmm(e.at / 1000), e.text)));
        }
        frame.render_widget(Paragraph::new(lines), rows[4]);
    }
    if ctx.symbols.ascii {
        asciify(frame, inner);
    }
}

fn chart(frame: &mut Frame, area: Rect, panel: &Panel, data: &AxisData, burn: bool, ctx: &Ctx) {
    if area.height < 3 {
        return;
    }
    if let Some(why) = &panel.missing {
        let text = vec![
            Line::from(Span::styled(panel.title.clone(), ctx.theme.title)),
            Line::from(Span::styled(format!(" {why}"), ctx.theme.dim)),
        ];
        frame.render_widget(Paragraph::new(text), area);
        return;
    }
    let (x0, x1) = (data.start as f64, data.end as f64);
    let top = panel
        .points
        .iter()
        .map(|p| p.1)
        .fold(if burn { PAGE_BURNS[0] } else { 1.0 }, f64::max)
        * 1.1;
    let thresholds: Vec<Vec<(f64, f64)>> = if burn {
        PAGE_BURNS
            .iter()
            .map(|b| vec![(x0, *b), (x1, *b)])
            .collect()
    } else {
        vec![]
    };
    let marker = if ctx.symbols.ascii {
        Marker::Dot
    } else {
        Marker::Braille
    };
    let mut sets = vec![
        Dataset::default()
            .marker(marker)
            .graph_type(GraphType::Line)
            .style(ctx.theme.accent)
            .data(&panel.points),
    ];
    for t in &thresholds {
        sets.push(
            Dataset::default()
                .marker(marker)
                .graph_type(GraphType::Line)
                .style(ctx.theme.bad)
                .data(t),
        );
    }
    let last = panel.points.last().map_or(0.0, |p| p.1);
    let title = if burn {
        format!("{} now {last:.1}x (page at 14.4x / 6x)", panel.title)
    } else {
        format!("{} now {last:.0}", panel.title)
    };
    let chart = Chart::new(sets)
        .x_axis(Axis::default().bounds([x0, x1]).style(ctx.theme.dim))
        .y_axis(
            Axis::default()
                .bounds([0.0, top])
                .labels(vec![Span::raw("0"), Span::raw(format!("{top:.0}"))])
                .style(ctx.theme.dim),
        );
    let [head, body] = Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
    frame.render_widget(Paragraph::new(Span::styled(title, ctx.theme.title)), head);
    frame.render_widget(chart, body);
}

/// ASCII mode: every cell of `area` drawn with something else becomes its nearest ASCII.
fn asciify(frame: &mut Frame, area: Rect) {
    let buf = frame.buffer_mut();
    for y in area.top()..area.bottom() {
        for x in area.left()..area.right() {
            if let Some(cell) = buf.cell_mut((x, y)) {
                let sym = cell.symbol();
                if sym.is_ascii() {
                    continue;
                }
                let plain = match sym {
                    "\u{2800}" => " ",
                    "│" | "┃" => "|",
                    "─" | "━" => "-",
                    "└" | "┌" | "┐" | "┘" | "┼" => "+",
                    _ => "*",
                };
                cell.set_symbol(plain);
            }
        }
    }
}
