//! The header line: where opsdeck is connected, then what pages (it stays in view when the
//! line is cut), then counts, then stale sources; cut at the edge with a mark.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::Paragraph;

use super::super::state::State;
use crate::ui::pane::Badge;
use crate::ui::table::Ctx;
use crate::ui::text::fit_line;

pub fn draw(frame: &mut Frame, area: Rect, state: &State, ctx: &Ctx) {
    let line = fit_line(
        spans(state, ctx),
        usize::from(area.width),
        ctx.symbols.cut,
        ctx.theme.dim,
    );
    frame.render_widget(Paragraph::new(line), area);
}

/// The whole header as text (what a cut header said).
pub fn text(state: &State, ctx: &Ctx) -> String {
    spans(state, ctx)
        .iter()
        .map(|s| s.content.as_ref())
        .collect()
}

fn spans(state: &State, ctx: &Ctx) -> Vec<Span<'static>> {
    let sep = Span::styled(format!(" {} ", ctx.symbols.separator), ctx.theme.dim);
    let mut spans = vec![Span::styled(" opsdeck ", ctx.theme.title)];
    if state.connection.production {
        spans.push(Span::styled(" PRODUCTION ", ctx.theme.production));
    }
    if state.connection.readonly {
        spans.push(Span::styled(" READ-ONLY ", ctx.theme.accent));
    }
    // With several contexts each has its badge below (its name and health) instead.
    if state.panes.cluster.contexts.len() < 2 {
        spans.push(Span::styled(
            state.connection.context.clone(),
            ctx.theme.accent,
        ));
        spans.push(sep.clone());
    }
    spans.push(Span::raw(format!(
        "ns:{}",
        state.panes.cluster.namespaces.label()
    )));
    let mut badges: Vec<Badge> = state
        .panes
        .all()
        .iter()
        .flat_map(|p| p.badges(ctx))
        .collect();
    // Stable: within a rank, the registry's order.
    badges.sort_by_key(|b| b.rank);
    for b in badges {
        spans.push(sep.clone());
        spans.push(b.span);
    }
    spans
}
