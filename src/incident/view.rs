//! Drawing the incident: its status and milestones in the title, the timeline as a table
//! (UTC time, kind, source, text, who), newest last.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::entry::utc;
use super::model::{Incident, Shown};
use crate::status::LoadState;
use crate::ui::table::{Cell, Column, Ctx, Row, TableRows, block, col, draw_table, fill, titled};
use crate::ui::table_state::TableState;

/// The timeline's rows, as corrected (read once per frame, not per row).
pub struct Timeline<'a>(pub Vec<Shown<'a>>);

impl TableRows for Timeline<'_> {
    fn columns(&self, width: u16) -> Vec<Column> {
        let mut c = vec![col("UTC", 8, 8), col("KIND", 4, 14)];
        if width >= 120 {
            c.push(col("SOURCE", 6, 12));
        }
        c.push(fill("WHAT", 10));
        if width >= 100 {
            c.push(col("WHO", 3, 12));
        }
        c
    }

    fn row(&self, slot: usize, width: u16, ctx: &Ctx) -> Option<Row> {
        let s = self.0.get(slot)?;
        let e = s.entry;
        let time = utc(e.at);
        let mut cells = vec![
            Cell::from(time.get(11..).unwrap_or(&time).to_string()),
            Cell::styled(e.kind.word(), ctx.theme.accent),
        ];
        if width >= 120 {
            cells.push(Cell::from(e.source.as_str()));
        }
        let corrected = if s.corrected { " (corrected)" } else { "" };
        cells.push(Cell::from(format!(
            "{}{corrected}",
            s.text.lines().next().unwrap_or_default()
        )));
        if width >= 100 {
            cells.push(Cell::from(e.operator.clone().unwrap_or_default()));
        }
        Some(Row::new(cells))
    }
}

/// " Incident inc-x: api 5xx  sev2 mitigated  detected 14:02 ack 14:05 ... ".
pub fn title(incident: Option<&Incident>, sharing: Option<&str>, ctx: &Ctx) -> Line<'static> {
    let Some(inc) = incident else {
        return titled(ctx, "Incident", "none open", &LoadState::Live);
    };
    // Not shared through the cluster: said first, where the incident is named.
    let shared = sharing.map_or_else(String::new, |why| format!("{why} | "));
    let milestones: Vec<String> = inc
        .milestones
        .iter()
        .map(|(m, at)| {
            let t = utc(*at);
            format!("{} {}", m.word(), t.get(11..16).unwrap_or(&t))
        })
        .collect();
    let name = format!("Incident {}: {}", inc.id, inc.title);
    let note = format!(
        "{shared}{} {} | {}",
        inc.severity,
        inc.status().word(),
        milestones.join("  ")
    );
    titled(ctx, &name, &note, &LoadState::Live)
}

/// The incident (or how to start one), its timeline table, and the record's last notice.
pub fn draw(
    frame: &mut Frame,
    area: Rect,
    (incident, table, notice, sharing): (
        Option<&Incident>,
        &TableState,
        Option<&str>,
        Option<&str>,
    ),
    ctx: &Ctx,
) {
    let title = title(incident, sharing, ctx);
    let Some(inc) = incident else {
        let text = vec![
            Line::raw(""),
            Line::raw(" No incident is open in this context."),
            Line::raw(" :incident start TITLE [--severity sev1]  starts one; the timeline then"),
            Line::raw(" writes itself from what the console sees and does, from 30 minutes"),
            Line::raw(" before. n adds a note; :export writes the postmortem draft."),
        ];
        frame.render_widget(Paragraph::new(text).block(block(ctx, title, area)), area);
        return;
    };
    let (table_area, notice_area) = match notice {
        Some(_) if area.height > 4 => (
            Rect {
                height: area.height - 1,
                ..area
            },
            Some(Rect {
                y: area.y + area.height - 1,
                height: 1,
                ..area
            }),
        ),
        _ => (area, None),
    };
    draw_table(
        frame,
        table_area,
        ctx,
        title,
        table,
        true,
        &Timeline(inc.timeline()),
    );
    if let (Some(a), Some(n)) = (notice_area, notice) {
        let style = if n.starts_with("NOT RECORDED") {
            ctx.theme.bad
        } else {
            ctx.theme.dim
        };
        frame.render_widget(
            Paragraph::new(Line::from(Span::styled(n.to_string(), style))),
            a,
        );
    }
}
