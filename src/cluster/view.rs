//! The cluster's views: workloads (also the overview's worst-first table), pods, nodes, HPAs,
//! warning events and a pod's log. Read-only over the pane; every figure was computed when
//! the rows arrived. Each table says how its rows become cells; the widget does the rest.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::logs::LogsView;
use super::model::{ClusterModel, Resource};
use crate::k8s::context::{ContextName, workload_key};
use std::collections::BTreeMap;

use super::rows::{HpaRow, LastExit, PodRow, WorkloadRow};
use crate::ui::format::age;
use crate::ui::pane::Scope;
use crate::ui::table::{
    Cell, Column, Ctx, Row, TableRows, block, col, draw_table, fill, give, pane_title,
};
use crate::ui::table_state::TableState;
use crate::ui::text::text_line;

const WORKLOAD_RESOURCES: &[Resource] = &[Resource::Deployments, Resource::StatefulSets];

/// Extra columns from this width on.
const WIDE: u16 = 120;

fn restarts_label(ctx: &Ctx, restarts: u32, last: Option<i64>) -> String {
    match (restarts, last) {
        (0, _) => "0".into(),
        (n, Some(t)) => format!("{n} ({} ago)", age(ctx.now - t)),
        (n, None) => n.to_string(),
    }
}

fn warn_if(ctx: &Ctx, bad: bool, text: String) -> Cell {
    Cell::styled(text, if bad { ctx.theme.warn } else { ctx.theme.text })
}

/// What every cluster table reads: the rows, and whether rows must say their namespace.
#[derive(Clone, Copy)]
pub struct Shown<'a> {
    pub model: &'a ClusterModel,
    /// More than one namespace is watched.
    pub many_namespaces: bool,
    /// More than one context is shown: every table leads with a CONTEXT column.
    pub many_contexts: bool,
    /// The queues each workload consumes ("namespace/name").
    pub queues_of: &'a BTreeMap<String, Vec<String>>,
    /// The contexts shown (empty: every one).
    pub showing: &'a [ContextName],
}

impl Shown<'_> {
    /// The worst state of these resources' watches in the contexts shown, naming the context
    /// when several are watched.
    fn load(&self, resources: &[Resource]) -> crate::status::LoadState {
        self.model.load_state_among(resources, self.showing)
    }

    /// The queues the workload an HPA scales consumes: what it scales on, when its metric
    /// is a queue's length.
    fn queues_of(&self, h: &HpaRow) -> String {
        let workload = h.target.rsplit('/').next().unwrap_or_default();
        self.queues_of
            .get(&format!("{}/{workload}", h.namespace))
            .map(|q| q.join(","))
            .unwrap_or_default()
    }

    /// Whether any HPA scales a queue's consumer (else no QUEUE column).
    fn any_queue(&self) -> bool {
        !self.queues_of.is_empty()
            && self
                .model
                .hpas
                .iter()
                .any(|(_, h)| !self.queues_of(h).is_empty())
    }
}

/// The CONTEXT column, first in every table while several contexts are shown; it gives way
/// before names do.
fn context_column(shown: &Shown, columns: &mut Vec<Column>) {
    if shown.many_contexts {
        columns.push(give("CONTEXT", 7, 14));
    }
}

fn context_cell(shown: &Shown, context: &ContextName, cells: &mut Vec<Cell>) {
    if shown.many_contexts {
        cells.push(Cell::from(context.as_str()));
    }
}

// ---------------------------------------------------------------- workloads

pub struct Workloads<'a>(pub Shown<'a>);

impl TableRows for Workloads<'_> {
    fn columns(&self, width: u16) -> Vec<Column> {
        let mut columns = vec![];
        context_column(&self.0, &mut columns);
        let wide = width >= WIDE;
        if wide || self.0.many_namespaces {
            columns.push(give("NAMESPACE", 4, 16));
        }
        columns.extend([
            col("NAME", 12, 40),
            col("KIND", 4, 6),
            col("READY", 5, 7),
            // The rollout's words take what is left on a narrow screen, and give way first.
            if wide {
                col("ROLLOUT", 8, 36)
            } else {
                fill("ROLLOUT", 8)
            },
            col("REV", 3, 4),
            col("RESTARTS", 8, 18),
        ]);
        if wide {
            columns.extend([
                col("UP-TO-DATE", 10, 10),
                col("AVAILABLE", 9, 9),
                col("AGE", 3, 5),
                fill("IMAGES", 10),
            ]);
        }
        columns
    }

    fn row(&self, slot: usize, width: u16, ctx: &Ctx) -> Option<Row> {
        let shown = self.0;
        let w = shown.model.workloads.get(slot)?;
        let wide = width >= WIDE;
        Some(Row::new(workload_cells(ctx, shown, w, wide)))
    }
}

fn workload_cells(ctx: &Ctx, shown: Shown, w: &WorkloadRow, wide: bool) -> Vec<Cell> {
    let restarts = shown
        .model
        .figures
        .restarts_by_workload
        .get(&workload_key(&w.context, &w.namespace, &w.name))
        .copied()
        .unwrap_or(0);
    let mut cells = vec![];
    context_cell(&shown, &w.context, &mut cells);
    if wide || shown.many_namespaces {
        cells.push(Cell::from(w.namespace.as_str()));
    }
    cells.extend([
        Cell::health(ctx, w.health, w.name.as_str()),
        Cell::from(w.kind.short()),
        Cell::from(format!("{}/{}", w.ready, w.desired)),
        Cell::from(w.rollout.label()),
        Cell::from(w.revision.as_str()),
        warn_if(ctx, restarts > 0, restarts_and_exit(shown, w, restarts)),
    ]);
    if wide {
        cells.extend([
            Cell::from(w.updated.to_string()),
            Cell::from(w.available.to_string()),
            Cell::from(age(ctx.now - w.created)),
            Cell::from(w.images.join(",")),
        ]);
    }
    cells
}

/// "6 OOMKilled": the restarts and why its pods last died.
fn restarts_and_exit(shown: Shown, w: &WorkloadRow, restarts: u32) -> String {
    let key = workload_key(&w.context, &w.namespace, &w.name);
    match shown.model.figures.last_exit_by_workload.get(&key) {
        Some(e) if restarts > 0 => format!("{restarts} {}", e.reason),
        _ => restarts.to_string(),
    }
}

pub fn workloads_title(
    shown: Shown,
    table: &TableState,
    overview: bool,
    ctx: &Ctx,
) -> Line<'static> {
    let name = if overview {
        "Workloads (worst first)"
    } else {
        "Workloads"
    };
    let load = shown.load(WORKLOAD_RESOURCES);
    pane_title(ctx, name, table.rows.len(), &table.filter, &load)
}

pub fn draw_workloads(
    frame: &mut Frame,
    area: Rect,
    shown: Shown,
    table: &TableState,
    overview: bool,
    ctx: &Ctx,
) {
    let title = workloads_title(shown, table, overview, ctx);
    draw_table(frame, area, ctx, title, table, true, &Workloads(shown));
}

// ---------------------------------------------------------------- pods

pub struct Pods<'a>(pub Shown<'a>);

impl TableRows for Pods<'_> {
    fn columns(&self, width: u16) -> Vec<Column> {
        let wide = width >= WIDE;
        let mut columns = vec![];
        context_column(&self.0, &mut columns);
        // The namespace gives way first: a pod's whole name matters more (StatefulSet pods
        // share names across namespaces, so it stays while more than one is watched).
        if wide || self.0.many_namespaces {
            columns.push(give("NAMESPACE", 4, 16));
        }
        columns.push(col("NAME", 16, 64));
        columns.extend([
            col("READY", 5, 5),
            col("STATUS", 7, 24),
            // Narrow, it says why the pod last died ("6 OOMKilled") and gives way before
            // the name does.
            if wide {
                col("RESTARTS", 8, 20)
            } else {
                give("RESTARTS", 8, 20)
            },
        ]);
        // Why a container last died: its own column when wide, else beside the count.
        if wide {
            columns.push(col("LAST EXIT", 9, 28));
        }
        columns.push(col("AGE", 3, 5));
        if wide {
            columns.extend([col("IP", 7, 15), fill("NODE", 8)]);
        }
        columns
    }

    fn row(&self, slot: usize, width: u16, ctx: &Ctx) -> Option<Row> {
        let p = self.0.model.pods.get(slot)?;
        Some(Row::new(pod_cells(ctx, self.0, p, width >= WIDE)))
    }
}

fn pod_cells(ctx: &Ctx, shown: Shown, p: &PodRow, wide: bool) -> Vec<Cell> {
    let restarts = match (&p.last_exit, wide) {
        (_, true) => restarts_label(ctx, p.restarts, p.last_restart),
        (Some(e), false) if p.restarts > 0 => format!("{} {}", p.restarts, e.reason),
        _ => p.restarts.to_string(),
    };
    let mut cells = vec![];
    context_cell(&shown, &p.context, &mut cells);
    if wide || shown.many_namespaces {
        cells.push(Cell::from(p.namespace.as_str()));
    }
    cells.extend([
        Cell::from(p.name.as_str()),
        Cell::from(format!("{}/{}", p.ready, p.containers)),
        Cell::health(ctx, p.health, p.status.as_str()),
        warn_if(ctx, p.restarts > 0, restarts),
    ]);
    if wide {
        cells.push(last_exit_cell(ctx, p.last_exit.as_ref()));
    }
    cells.push(Cell::from(age(ctx.now - p.created)));
    if wide {
        cells.extend([Cell::from(p.ip.as_str()), Cell::from(p.node.as_str())]);
    }
    cells
}

/// "OOMKilled (137) 2m ago"; OOM kills and errors in the warning colour.
fn last_exit_cell(ctx: &Ctx, exit: Option<&LastExit>) -> Cell {
    let Some(e) = exit else {
        return Cell::from("");
    };
    let text = match e.finished {
        Some(at) => format!("{} ({}) {} ago", e.reason, e.exit_code, age(ctx.now - at)),
        None => format!("{} ({})", e.reason, e.exit_code),
    };
    warn_if(ctx, e.reason != "Completed", text)
}

pub fn pods_title(
    shown: Shown,
    table: &TableState,
    scope: Option<&Scope>,
    ctx: &Ctx,
) -> Line<'static> {
    let name = scope
        .map(|s| format!("Pods {} {}", ctx.symbols.arrow, s.label()))
        .unwrap_or_else(|| "Pods".into());
    let load = shown.load(&[Resource::Pods]);
    pane_title(ctx, &name, table.rows.len(), &table.filter, &load)
}

pub fn draw_pods(
    frame: &mut Frame,
    area: Rect,
    shown: Shown,
    table: &TableState,
    scope: Option<&Scope>,
    ctx: &Ctx,
) {
    let title = pods_title(shown, table, scope, ctx);
    draw_table(frame, area, ctx, title, table, true, &Pods(shown));
}

// ---------------------------------------------------------------- nodes

pub struct Nodes<'a>(pub Shown<'a>);

impl TableRows for Nodes<'_> {
    fn columns(&self, _width: u16) -> Vec<Column> {
        let mut columns = vec![];
        context_column(&self.0, &mut columns);
        columns.extend([
            col("NAME", 8, 48),
            col("STATUS", 6, 28),
            col("ROLES", 5, 10),
            col("PODS", 4, 5),
            col("CPU", 3, 5),
            col("MEMORY", 6, 10),
            col("VERSION", 7, 9),
            col("AGE", 3, 4),
        ]);
        columns
    }

    fn row(&self, slot: usize, _width: u16, ctx: &Ctx) -> Option<Row> {
        let c = &self.0.model;
        let n = c.nodes.get(slot)?;
        let at = format!("{}/{}", n.context, n.name);
        let pods = c.figures.pods_by_node.get(&at).copied().unwrap_or(0);
        let mut cells = vec![];
        context_cell(&self.0, &n.context, &mut cells);
        cells.extend([
            Cell::from(n.name.as_str()),
            Cell::health(ctx, n.health, n.status.as_str()),
            Cell::from(n.roles.as_str()),
            Cell::from(pods.to_string()),
            Cell::from(n.cpu.as_str()),
            Cell::from(n.memory.as_str()),
            Cell::from(n.version.as_str()),
            Cell::from(age(ctx.now - n.created)),
        ]);
        Some(Row::new(cells))
    }
}

pub fn nodes_title(shown: Shown, table: &TableState, ctx: &Ctx) -> Line<'static> {
    let load = shown.load(&[Resource::Nodes]);
    pane_title(ctx, "Nodes", table.rows.len(), &table.filter, &load)
}

pub fn draw_nodes(frame: &mut Frame, area: Rect, shown: Shown, table: &TableState, ctx: &Ctx) {
    let title = nodes_title(shown, table, ctx);
    draw_table(frame, area, ctx, title, table, true, &Nodes(shown));
}

// ---------------------------------------------------------------- HPAs

pub struct Hpas<'a>(pub Shown<'a>);

impl TableRows for Hpas<'_> {
    fn columns(&self, width: u16) -> Vec<Column> {
        let mut columns = vec![];
        context_column(&self.0, &mut columns);
        if width >= WIDE || self.0.many_namespaces {
            columns.push(give("NAMESPACE", 4, 16));
        }
        columns.extend([
            col("NAME", 8, 40),
            give("REFERENCE", 10, 40),
            fill("TARGETS", 10),
        ]);
        if width >= WIDE && self.0.any_queue() {
            columns.push(give("QUEUE", 5, 30));
        }
        columns.extend([
            col("MIN", 3, 3),
            col("MAX", 3, 3),
            col("REPLICAS", 8, 8),
            col("AGE", 3, 4),
        ]);
        columns
    }

    fn row(&self, slot: usize, width: u16, ctx: &Ctx) -> Option<Row> {
        let h = self.0.model.hpas.get(slot)?;
        let replicas = if h.current == h.desired {
            h.current.to_string()
        } else {
            format!("{}{}{}", h.current, ctx.symbols.arrow, h.desired)
        };
        let mut cells = vec![];
        context_cell(&self.0, &h.context, &mut cells);
        if width >= WIDE || self.0.many_namespaces {
            cells.push(Cell::from(h.namespace.as_str()));
        }
        cells.extend([
            Cell::health(ctx, h.health, h.name.as_str()),
            Cell::from(h.target.as_str()),
            Cell::from(h.metrics.as_str()),
        ]);
        if width >= WIDE && self.0.any_queue() {
            cells.push(Cell::from(self.0.queues_of(h)));
        }
        cells.extend([
            Cell::from(h.min.to_string()),
            Cell::from(h.max.to_string()),
            Cell::from(replicas),
            Cell::from(age(ctx.now - h.created)),
        ]);
        Some(Row::new(cells))
    }
}

pub fn hpas_title(shown: Shown, table: &TableState, ctx: &Ctx) -> Line<'static> {
    let load = shown.load(&[Resource::Hpas]);
    pane_title(ctx, "HPAs", table.rows.len(), &table.filter, &load)
}

pub fn draw_hpas(frame: &mut Frame, area: Rect, shown: Shown, table: &TableState, ctx: &Ctx) {
    let title = hpas_title(shown, table, ctx);
    draw_table(frame, area, ctx, title, table, true, &Hpas(shown));
}

// ---------------------------------------------------------------- events

pub struct Events<'a>(pub Shown<'a>);

impl TableRows for Events<'_> {
    fn columns(&self, _width: u16) -> Vec<Column> {
        let mut columns = vec![];
        context_column(&self.0, &mut columns);
        columns.extend([
            col("LAST", 4, 4),
            col("REASON", 6, 20),
            col("OBJECT", 12, 48),
            col("COUNT", 5, 5),
            fill("MESSAGE", 20),
        ]);
        columns
    }

    fn row(&self, slot: usize, _width: u16, ctx: &Ctx) -> Option<Row> {
        let e = self.0.model.events.get(slot)?;
        let mut cells = vec![];
        context_cell(&self.0, &e.context, &mut cells);
        cells.extend([
            Cell::from(age(ctx.now - e.last_seen)),
            warn_if(ctx, e.warning, e.reason.clone()),
            Cell::from(e.object.as_str()),
            Cell::from(e.count.to_string()),
            Cell::from(e.message.as_str()),
        ]);
        Some(Row::new(cells))
    }
}

pub fn events_title(shown: Shown, table: &TableState, ctx: &Ctx) -> Line<'static> {
    let load = shown.load(&[Resource::Events]);
    pane_title(
        ctx,
        "Warning events",
        table.rows.len(),
        &table.filter,
        &load,
    )
}

/// Warning events, newest first (the overview shows the same rows, unfocused).
pub fn draw_events(
    frame: &mut Frame,
    area: Rect,
    shown: Shown,
    table: &TableState,
    focused: bool,
    ctx: &Ctx,
) {
    let title = events_title(shown, table, ctx);
    draw_table(frame, area, ctx, title, table, focused, &Events(shown));
}

// ---------------------------------------------------------------- logs

pub fn draw_logs(frame: &mut Frame, area: Rect, logs: &LogsView, ctx: &Ctx) {
    let height = usize::from(area.height.saturating_sub(2));
    let len = logs.buffer.visible_len();
    let top = if logs.follow {
        len.saturating_sub(height)
    } else {
        logs.top.min(len.saturating_sub(height))
    };
    let mut title = pane_title(
        ctx,
        &format!(
            "Logs {} {}/{}",
            ctx.symbols.arrow, logs.target.namespace, logs.target.pod
        ),
        len,
        logs.buffer.filter(),
        &logs.state,
    );
    let mode = match (logs.target.previous, logs.follow) {
        (true, _) => "previous container (p: current)",
        (false, true) => "following",
        (false, false) => "paused",
    };
    // The mode goes first: it must stay when a long stale reason is cut.
    title
        .spans
        .insert(2, Span::styled(format!("{mode} "), ctx.theme.accent));
    let filter = logs.buffer.filter();
    let room = usize::from(area.width.saturating_sub(2));
    let lines: Vec<Line> = (top..(top + height).min(len))
        .filter_map(|i| logs.buffer.visible(i))
        .map(|l| {
            text_line(
                l,
                filter,
                logs.wrap,
                room,
                (ctx.symbols.cut, ctx.theme.matched),
            )
        })
        .collect();
    let mut para = Paragraph::new(lines).block(block(ctx, title, area));
    if logs.wrap {
        para = para.wrap(Wrap { trim: false });
    }
    frame.render_widget(para, area);
}
