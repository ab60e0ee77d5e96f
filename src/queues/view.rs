//! The queue pane on the overview (worst first) and the queues view with a depth history.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::Cell;

use super::model::{Drain, QueueRow};
use crate::cluster::model::LoadState;
use crate::cluster::rows::Health;
use crate::core::state::State;
use crate::core::table::TableState;
use crate::ui::sparkline::sparkline;
use crate::ui::table::{Ctx, col, draw_table, health_cell, pane_title};

use Constraint::{Length, Min};

fn duration(secs: f64) -> String {
    let s = secs.max(0.0) as u64;
    match s {
        0..=119 => format!("{s}s"),
        120..=7_199 => format!("{}m", s / 60),
        _ => format!("{}h", s / 3_600),
    }
}

fn drain_text(d: Drain) -> String {
    match d {
        Drain::Seconds(s) => duration(s),
        Drain::Growing => "growing".into(),
        Drain::Idle => "empty".into(),
        Drain::Unknown => "?".into(),
    }
}

fn health(q: &QueueRow) -> Health {
    match (&q.state, q.drain) {
        (LoadState::Stale { .. }, _) => Health::Bad,
        (_, Drain::Growing) => Health::Bad,
        (_, Drain::Seconds(s)) if s > 600.0 => Health::Warn,
        (LoadState::Loading, _) => Health::Pending,
        _ if q.consumers == Some(0) && q.depth > 0 => Health::Bad,
        _ if q.overdue.is_some_and(|n| n > 0) => Health::Warn,
        _ => Health::Ok,
    }
}

fn stale_reason(q: &QueueRow) -> String {
    match &q.state {
        LoadState::Stale { reason, .. } => reason.clone(),
        _ => String::new(),
    }
}

/// The worst load state of all queues, for the pane title.
fn load(state: &State) -> LoadState {
    LoadState::worst(state.queues.rows().iter().map(|q| &q.state))
}

/// The overview's pane: name, depth, unacked, out-rate, time to drain, oldest.
pub fn draw_queue_pane(frame: &mut Frame, area: Rect, state: &State, ctx: &Ctx) {
    let columns = [
        col("QUEUE", Min(18)),
        col("DEPTH", Length(7)),
        col("UNACK", Length(6)),
        col("OUT/s", Length(6)),
        col("DRAIN", Length(8)),
        col("OLDEST", Length(7)),
    ];
    let rows = state.queues.rows();
    let title = pane_title(ctx, "Queues (worst first)", rows.len(), "", &load(state));
    let table = TableState {
        rows: (0..rows.len()).collect(),
        ..TableState::default()
    };
    draw_table(frame, area, ctx, title, &columns, &table, false, |i| {
        let q = rows.get(i)?;
        let h = health(q);
        Some((
            vec![
                health_cell(ctx, h, &q.name),
                Cell::from(q.depth.to_string()),
                Cell::from(q.unacked.to_string()),
                Cell::from(format!("{:.1}", q.out_rate)),
                Cell::from(Span::styled(drain_text(q.drain), ctx.theme.health(h))),
                Cell::from(
                    q.oldest_age_secs
                        .map(duration)
                        .unwrap_or_else(|| "-".into()),
                ),
            ],
            row_style(q, ctx),
        ))
    });
}

/// Figures of a stale queue are the last ones read: dim them so nobody acts on them as live.
fn row_style(q: &QueueRow, ctx: &Ctx) -> Style {
    match q.state {
        LoadState::Stale { .. } => ctx.theme.dim,
        _ => Style::default(),
    }
}

/// The queues view: every figure, the consuming workload and a short depth history.
pub fn draw_queues(frame: &mut Frame, area: Rect, state: &State, ctx: &Ctx) {
    let wide = area.width >= 120;
    let mut columns = vec![
        col("QUEUE", Min(18)),
        col("KIND", Length(8)),
        col("DEPTH", Length(7)),
        col("UNACK", Length(6)),
        col("WORKERS", Length(7)),
        col("IN/s", Length(6)),
        col("OUT/s", Length(6)),
        col("DRAIN", Length(8)),
        col("OLDEST", Length(7)),
    ];
    if wide {
        columns.push(col("OVERDUE", Length(7)));
        columns.push(col("FAILED", Length(6)));
        columns.push(col("CONSUMER", Length(30)));
        columns.push(col("DEPTH HISTORY", Length(30)));
    }
    let rows = state.queues.rows();
    let title = pane_title(ctx, "Queues", rows.len(), "", &load(state));
    let ascii = ctx.symbols.ok == crate::ui::symbols::ASCII.ok;
    draw_table(
        frame,
        area,
        ctx,
        title,
        &columns,
        &state.queue_table,
        true,
        |i| {
            let q = rows.get(i)?;
            let h = health(q);
            let kind = format!("{:?}", q.kind).to_lowercase();
            let mut cells = vec![
                health_cell(ctx, h, &q.name),
                Cell::from(kind),
                Cell::from(q.depth.to_string()),
                Cell::from(q.unacked.to_string()),
                Cell::from(
                    q.consumers
                        .map(|c| c.to_string())
                        .unwrap_or_else(|| "-".into()),
                ),
                Cell::from(format!("{:.1}", q.in_rate)),
                Cell::from(format!("{:.1}", q.out_rate)),
                Cell::from(Span::styled(drain_text(q.drain), ctx.theme.health(h))),
                Cell::from(
                    q.oldest_age_secs
                        .map(duration)
                        .unwrap_or_else(|| "-".into()),
                ),
            ];
            if wide {
                let dash = |n: Option<u64>| n.map_or_else(|| "-".into(), |n| n.to_string());
                cells.push(Cell::from(dash(q.overdue)));
                cells.push(Cell::from(
                    q.failed
                        .map(|f| f.to_string())
                        .unwrap_or_else(|| "-".into()),
                ));
                let stale = stale_reason(q);
                let consumer = if stale.is_empty() {
                    q.consumer_workload.clone().unwrap_or_default()
                } else {
                    stale
                };
                cells.push(Cell::from(consumer));
                let history = state.queue_history.get(&q.name);
                let depths = history.into_iter().flatten().map(|&d| d as f64);
                cells.push(Cell::from(sparkline(depths, 30, ascii)));
            }
            Some((cells, row_style(q, ctx)))
        },
    );
}
