//! Drawing a describe or YAML text: the lines on screen only, the search's matches marked,
//! wrapped or cut.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::document::{Document, Face};
use crate::ui::table::{Ctx, block, pane_title};
use crate::ui::text::text_line;

pub fn draw(frame: &mut Frame, area: Rect, doc: &Document, face: Face, ctx: &Ctx) {
    let height = usize::from(area.height.saturating_sub(2));
    let lines = doc.lines(face);
    let top = doc.top(face).min(lines.len());
    let what = match face {
        Face::Describe => "Describe",
        Face::Yaml => "YAML",
    };
    let name = format!("{what} {} {}", ctx.symbols.arrow, doc.object.label());
    let mut title = pane_title(ctx, &name, lines.len(), &doc.search, &doc.state);
    let mut notes = vec![];
    if !doc.search.is_empty() {
        notes.push(format!("{} matches", doc.match_count(face)));
    }
    if face == Face::Yaml && doc.managed {
        notes.push("managed fields".into());
    }
    if doc.text.at > 0 {
        let at = jiff::Timestamp::from_second(doc.text.at)
            .map(|t| t.strftime("%H:%M:%S UTC").to_string())
            .unwrap_or_default();
        notes.push(format!("read {at}"));
    }
    if !notes.is_empty() {
        title.spans.push(Span::styled(
            format!("{} ", notes.join(", ")),
            ctx.theme.dim,
        ));
    }
    // Unwrapped, a line too wide ends with the cut mark: nothing is cut silently.
    let room = usize::from(area.width.saturating_sub(2));
    let shown: Vec<Line> = lines[top..(top + height).min(lines.len())]
        .iter()
        .map(|l| {
            text_line(
                l,
                &doc.search,
                doc.wrap,
                room,
                (ctx.symbols.cut, ctx.theme.matched),
            )
        })
        .collect();
    let mut para = Paragraph::new(shown).block(block(ctx, title, area));
    if doc.wrap {
        para = para.wrap(Wrap { trim: false });
    }
    frame.render_widget(para, area);
}
