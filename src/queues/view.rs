//! The queue pane on the overview (worst first) and the queues view with a depth history.

use std::collections::{BTreeMap, VecDeque};

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;

use super::model::QueueModel;
use super::model::{Drain, QueueRow};
use crate::k8s::hpa::Scaler;
use crate::status::{Health, LoadState};
use crate::ui::sparkline::sparkline;
use crate::ui::table::{
    Cell, Column, Ctx, Row, TableRows, col, draw_all, draw_table, fill, give, pane_title,
};
use crate::ui::table_state::TableState;

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
fn load(model: &QueueModel) -> LoadState {
    LoadState::worst(model.rows().iter().map(|q| &q.state))
}

/// What the queue tables read: the rows, and each queue's recent depths.
#[derive(Clone, Copy)]
pub struct Shown<'a> {
    pub model: &'a QueueModel,
    pub history: &'a BTreeMap<String, VecDeque<u64>>,
    /// The consumers' autoscalers ("namespace/name").
    pub scalers: &'a BTreeMap<String, Scaler>,
    /// Where a consumer named without a namespace runs.
    pub default_namespace: &'a str,
}

/// A consumer as "namespace/name".
pub fn consumer_key(consumer: &str, default_namespace: &str) -> String {
    match consumer.split_once('/') {
        Some(_) => consumer.to_string(),
        None => format!("{default_namespace}/{consumer}"),
    }
}

/// "2..12 at max": the autoscaler of the queue's consumer, "-" when it has none.
fn scaler_text(shown: Shown, q: &QueueRow, arrow: &str) -> String {
    q.consumer_workload
        .as_deref()
        .and_then(|c| shown.scalers.get(&consumer_key(c, shown.default_namespace)))
        .map_or_else(|| "-".into(), |s| s.describe(arrow))
}

/// Figures of a stale queue are the last ones read: dim them so nobody acts on them as live.
fn row_style(q: &QueueRow, ctx: &Ctx) -> Style {
    match q.state {
        LoadState::Stale { .. } => ctx.theme.dim,
        _ => Style::default(),
    }
}

fn oldest(q: &QueueRow) -> String {
    q.oldest_age_secs
        .map(duration)
        .unwrap_or_else(|| "-".into())
}

/// The overview's pane: name, depth, unacked, out-rate, time to drain, oldest.
struct Overview<'a>(&'a QueueModel);

impl TableRows for Overview<'_> {
    fn columns(&self, _width: u16) -> Vec<Column> {
        vec![
            col("QUEUE", 8, 40),
            col("DEPTH", 5, 8),
            col("UNACK", 5, 7),
            col("OUT/s", 5, 6),
            col("DRAIN", 5, 8),
            col("OLDEST", 6, 7),
        ]
    }

    fn row(&self, slot: usize, _width: u16, ctx: &Ctx) -> Option<Row> {
        let q = self.0.rows().get(slot)?;
        let h = health(q);
        Some(
            Row::new(vec![
                Cell::marked(ctx, h, q.name.as_str()),
                Cell::from(q.depth.to_string()),
                Cell::from(q.unacked.to_string()),
                Cell::from(format!("{:.1}", q.out_rate)),
                Cell::styled(drain_text(q.drain), ctx.theme.health(h)),
                Cell::from(oldest(q)),
            ])
            .style(row_style(q, ctx)),
        )
    }
}

pub fn draw_queue_pane(frame: &mut Frame, area: Rect, model: &QueueModel, ctx: &Ctx) {
    let rows = model.rows();
    let title = pane_title(ctx, "Queues (worst first)", rows.len(), "", &load(model));
    draw_all(frame, area, ctx, title, rows.len(), &Overview(model));
}

/// The queues view: every figure, the consuming workload and a short depth history.
pub struct Queues<'a>(pub Shown<'a>);

const WIDE: u16 = 120;

impl TableRows for Queues<'_> {
    fn columns(&self, width: u16) -> Vec<Column> {
        let mut columns = vec![
            col("QUEUE", 8, 40),
            col("KIND", 4, 8),
            col("DEPTH", 5, 8),
            col("UNACK", 5, 7),
            col("WORKERS", 7, 7),
            col("IN/s", 4, 6),
            col("OUT/s", 5, 6),
            col("DRAIN", 5, 8),
            col("OLDEST", 6, 7),
        ];
        if width >= WIDE {
            columns.extend([
                col("OVERDUE", 7, 7),
                col("FAILED", 6, 6),
                give("CONSUMER", 8, 40),
                col("AUTOSCALER", 10, 16),
                fill("DEPTH HISTORY", 13),
            ]);
        }
        columns
    }

    fn row(&self, slot: usize, width: u16, ctx: &Ctx) -> Option<Row> {
        let shown = self.0;
        let q = shown.model.rows().get(slot)?;
        let h = health(q);
        let dash = |n: Option<u64>| n.map_or_else(|| "-".into(), |n| n.to_string());
        let mut cells = vec![
            Cell::marked(ctx, h, q.name.as_str()),
            Cell::from(format!("{:?}", q.kind).to_lowercase()),
            Cell::from(q.depth.to_string()),
            Cell::from(q.unacked.to_string()),
            Cell::from(q.consumers.map_or_else(|| "-".into(), |c| c.to_string())),
            Cell::from(format!("{:.1}", q.in_rate)),
            Cell::from(format!("{:.1}", q.out_rate)),
            Cell::styled(drain_text(q.drain), ctx.theme.health(h)),
            Cell::from(oldest(q)),
        ];
        if width >= WIDE {
            let stale = stale_reason(q);
            let consumer = if stale.is_empty() {
                q.consumer_workload.clone().unwrap_or_default()
            } else {
                stale
            };
            let history = shown.history.get(&q.name);
            let depths = history.into_iter().flatten().map(|&d| d as f64);
            cells.extend([
                Cell::from(dash(q.overdue)),
                Cell::from(dash(q.failed)),
                Cell::from(consumer),
                Cell::from(scaler_text(shown, q, ctx.symbols.arrow)),
                Cell::history(sparkline(depths, 30, ctx.symbols.ascii)),
            ]);
        }
        Some(Row::new(cells).style(row_style(q, ctx)))
    }
}

pub fn title(model: &QueueModel, ctx: &Ctx) -> Line<'static> {
    pane_title(ctx, "Queues", model.rows().len(), "", &load(model))
}

pub fn draw_queues(frame: &mut Frame, area: Rect, shown: Shown, table: &TableState, ctx: &Ctx) {
    let title = title(shown.model, ctx);
    draw_table(frame, area, ctx, title, table, true, &Queues(shown));
}
