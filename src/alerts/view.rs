//! The alerts view (groups as Alertmanager formed them, worst first), the silences view, and
//! the overview's alerts pane.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;

use super::matcher::show_all;
use super::model::{AlertRow, AlertState, AlertsModel, Severity, SilenceRow};
use crate::status::{Health, LoadState};
use crate::ui::format::age;
use crate::ui::table::{
    Cell, Column, Ctx, Row, TableRows, col, draw_table, fill, give, pane_title, titled,
};
use crate::ui::table_state::TableState;

/// Wide enough for the instances, the runbook and the group columns.
const WIDE: u16 = 140;

pub fn health(a: &AlertRow) -> Health {
    match (a.state, a.severity) {
        (AlertState::Firing, Severity::Page | Severity::High) => Health::Bad,
        (AlertState::Firing, Severity::Warning) => Health::Warn,
        (AlertState::Firing, Severity::Info) => Health::Ok,
        _ => Health::Pending,
    }
}

/// What only stale instances hold, and what is muted, is dimmed.
fn alert_style(a: &AlertRow, ctx: &Ctx) -> Style {
    if a.stale || a.state != AlertState::Firing {
        ctx.theme.dim
    } else {
        Style::default()
    }
}

/// "firing", "silenced", "inhibited", plus "(stale)" when no live instance holds it.
fn state_text(a: &AlertRow) -> String {
    if a.stale {
        format!("{} (stale)", a.state.word())
    } else {
        a.state.word().to_string()
    }
}

pub struct Alerts<'a>(pub &'a AlertsModel);

impl TableRows for Alerts<'_> {
    fn columns(&self, width: u16) -> Vec<Column> {
        let mut columns = vec![
            col("STATE", 6, 17),
            col("SEVERITY", 4, 9),
            col("ALERT", 8, 32),
            give("ABOUT", 6, 40),
            col("AGE", 3, 4),
            fill("SUMMARY", 10),
        ];
        if width >= WIDE {
            columns.extend([
                give("RUNBOOK", 7, 20),
                give("ALERTMANAGER", 6, 30),
                give("GROUP", 5, 40),
            ]);
        }
        columns
    }

    fn row(&self, slot: usize, width: u16, ctx: &Ctx) -> Option<Row> {
        let a = self.0.alerts().get(slot)?;
        let mut cells = vec![
            Cell::marked(ctx, health(a), state_text(a)),
            Cell::from(a.severity_word()),
            Cell::from(a.name()),
            Cell::from(a.about.describe()),
            Cell::from(age(ctx.now - a.starts_at)),
            Cell::from(a.summary()),
        ];
        if width >= WIDE {
            let group = match self.0.groups().get(a.group) {
                Some(g) if a.first_in_group => g.key(),
                _ => String::new(),
            };
            cells.extend([
                Cell::from(
                    a.runbook
                        .as_ref()
                        .map_or(String::new(), |r| format!(":runbook {r}")),
                ),
                Cell::from(a.instances.join(",")),
                Cell::from(group),
            ]);
        }
        Some(Row::new(cells).style(alert_style(a, ctx)))
    }
}

/// "Alerts  3 firing (1 page), 1 silenced in 2 groups".
fn alerts_note(model: &AlertsModel) -> String {
    let (firing, pages) = model.firing();
    let muted = model.unique().count() - firing;
    let page = if pages > 0 {
        format!(" ({pages} page)")
    } else {
        String::new()
    };
    format!(
        "{firing} firing{page}, {muted} muted, in {} groups",
        model.groups().len()
    )
}

pub fn alerts_title(model: &AlertsModel, ctx: &Ctx) -> Line<'static> {
    if !model.configured() {
        return not_configured(ctx, "Alerts");
    }
    titled(ctx, "Alerts", &alerts_note(model), &model.load())
}

fn not_configured(ctx: &Ctx, name: &str) -> Line<'static> {
    titled(
        ctx,
        name,
        "not configured: no [[alertmanager]] in the config",
        &LoadState::Live,
    )
}

pub fn draw_alerts(
    frame: &mut Frame,
    area: Rect,
    model: &AlertsModel,
    table: &TableState,
    ctx: &Ctx,
) {
    draw_table(
        frame,
        area,
        ctx,
        alerts_title(model, ctx),
        table,
        true,
        &Alerts(model),
    );
}

/// The overview's pane: state, alert, what about, age.
struct Overview<'a>(&'a AlertsModel);

impl TableRows for Overview<'_> {
    fn columns(&self, _width: u16) -> Vec<Column> {
        vec![
            col("ALERT", 8, 32),
            col("SEVERITY", 4, 8),
            give("ABOUT", 6, 32),
            col("AGE", 3, 4),
        ]
    }

    fn row(&self, slot: usize, _width: u16, ctx: &Ctx) -> Option<Row> {
        let a = self.0.alerts().get(slot)?;
        Some(
            Row::new(vec![
                Cell::marked(ctx, health(a), a.name()),
                Cell::from(a.severity_word()),
                Cell::from(a.about.describe()),
                Cell::from(age(ctx.now - a.starts_at)),
            ])
            .style(alert_style(a, ctx)),
        )
    }
}

pub fn draw_alert_pane(frame: &mut Frame, area: Rect, model: &AlertsModel, ctx: &Ctx) {
    let (firing, _) = model.firing();
    let title = pane_title(ctx, "Alerts (worst first)", firing, "", &model.load());
    let table = TableState {
        rows: (0..model.alerts().len()).collect(),
        ..TableState::default()
    };
    draw_table(frame, area, ctx, title, &table, false, &Overview(model));
}

/// "in 42m", "3h ago".
fn when(at: i64, now: i64) -> String {
    if at >= now {
        format!("in {}", age(at - now))
    } else {
        format!("{} ago", age(now - at))
    }
}

fn silence_health(s: &SilenceRow) -> Health {
    match s.state.as_str() {
        "active" => Health::Ok,
        _ => Health::Pending,
    }
}

pub struct Silences<'a>(pub &'a AlertsModel);

impl TableRows for Silences<'_> {
    fn columns(&self, width: u16) -> Vec<Column> {
        let mut columns = vec![
            col("ID", 8, 8),
            col("STATE", 6, 9),
            give("MATCHERS", 10, 60),
            col("MATCH", 5, 5),
            col("ENDS", 4, 10),
            give("BY", 2, 16),
            fill("COMMENT", 8),
        ];
        if width >= WIDE {
            columns.push(give("ALERTMANAGER", 6, 30));
        }
        columns
    }

    fn row(&self, slot: usize, width: u16, ctx: &Ctx) -> Option<Row> {
        let s = self.0.silences().get(slot)?;
        let short: String = s.id().chars().take(8).collect();
        let mut cells = vec![
            Cell::from(short),
            Cell::marked(ctx, silence_health(s), s.state.as_str()),
            Cell::from(show_all(&s.matchers)),
            Cell::from(s.matches.to_string()),
            Cell::from(when(s.ends_at, ctx.now)),
            Cell::from(s.created_by.as_str()),
            Cell::from(s.comment.as_str()),
        ];
        if width >= WIDE {
            cells.push(Cell::from(s.instances().join(",")));
        }
        let style = if s.stale || s.state == "expired" {
            ctx.theme.dim
        } else {
            Style::default()
        };
        Some(Row::new(cells).style(style))
    }
}

pub fn silences_title(model: &AlertsModel, ctx: &Ctx) -> Line<'static> {
    if !model.configured() {
        return not_configured(ctx, "Silences");
    }
    let active = model
        .silences()
        .iter()
        .filter(|s| s.state == "active")
        .count();
    pane_title(
        ctx,
        &format!("Silences ({active} active)"),
        model.silences().len(),
        "",
        &model.load(),
    )
}

pub fn draw_silences(
    frame: &mut Frame,
    area: Rect,
    model: &AlertsModel,
    table: &TableState,
    ctx: &Ctx,
) {
    draw_table(
        frame,
        area,
        ctx,
        silences_title(model, ctx),
        table,
        true,
        &Silences(model),
    );
}
