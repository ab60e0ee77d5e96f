//! The one dialog box every overlay uses (help, the namespace picker, the plan preview, the
//! runbook walk, a row in full): cleared, bordered, titled, centred, as tall as its lines.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::layout::centered;
use super::table::Ctx;
use super::text::fit_line;

pub struct Dialog<'a> {
    title: String,
    border: Option<Style>,
    lines: Vec<Line<'a>>,
    /// Inner width wanted (the area may give less).
    width: u16,
}

impl<'a> Dialog<'a> {
    pub fn new(title: impl Into<String>, width: u16) -> Dialog<'a> {
        Dialog {
            title: title.into(),
            border: None,
            lines: vec![],
            width,
        }
    }

    pub fn border(mut self, style: Style) -> Self {
        self.border = Some(style);
        self
    }

    pub fn lines(mut self, lines: Vec<Line<'a>>) -> Self {
        self.lines = lines;
        self
    }

    /// Text width inside the box when drawn in `area`.
    pub fn inner_width(area: Rect, wanted: u16) -> u16 {
        wanted.min(area.width.saturating_sub(2))
    }

    /// Lines that fit inside the box when drawn in `area`.
    pub fn inner_height(area: Rect) -> usize {
        usize::from(area.height.saturating_sub(2))
    }

    /// Draws it centred in `area`; lines wider than the box are cut with a mark, and lines
    /// past its height are dropped (callers put what must show first).
    pub fn render(self, frame: &mut Frame, area: Rect, ctx: &Ctx) {
        let inner = Self::inner_width(area, self.width);
        let height = u16::try_from(self.lines.len())
            .unwrap_or(u16::MAX)
            .saturating_add(2);
        let rect = centered(area, inner + 2, height);
        let room = usize::from(inner);
        let lines: Vec<Line> = self
            .lines
            .into_iter()
            .map(|l| fit_line(l.spans, room, ctx.symbols.cut, ctx.theme.dim))
            .collect();
        let title = fit_line(
            vec![Span::styled(format!(" {} ", self.title), ctx.theme.title)],
            room,
            ctx.symbols.cut,
            ctx.theme.dim,
        );
        let block = Block::default()
            .borders(Borders::ALL)
            .border_set(ctx.symbols.border)
            .border_style(self.border.unwrap_or(ctx.theme.accent))
            .title(title);
        frame.render_widget(Clear, rect);
        frame.render_widget(Paragraph::new(lines).block(block), rect);
    }
}
