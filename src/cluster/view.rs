//! The cluster's views: overview panes, workloads, pods, nodes, HPAs, warning events, logs.
//! Read-only over State; every figure was computed in update.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Wrap};

use super::model::Resource;
use super::rows::{Health, PodRow, WorkloadRow};
use crate::core::state::State;
use crate::core::view::View;
use crate::ui::format::{age, truncate};
use crate::ui::layout::overview_split;
use crate::ui::table::{Ctx, col, draw_table, pane_title};

use Constraint::{Length, Min};

const WORKLOADS: &[Resource] = &[Resource::Deployments, Resource::StatefulSets];

fn status_cell<'a>(ctx: &Ctx, health: Health, text: String) -> Cell<'a> {
    Cell::from(Line::from(vec![
        Span::styled(ctx.symbols.health(health), ctx.theme.health(health)),
        Span::raw(" "),
        Span::styled(text, ctx.theme.health(health)),
    ]))
}

fn restarts_label(ctx: &Ctx, restarts: u32, last: Option<i64>) -> String {
    match (restarts, last) {
        (0, _) => "0".into(),
        (n, Some(t)) => format!("{n} ({} ago)", age(ctx.now - t)),
        (n, None) => n.to_string(),
    }
}

pub fn draw_overview(frame: &mut Frame, area: Rect, state: &State, ctx: &Ctx) {
    let areas = overview_split(area, state.overview_panes());
    if let Some(slos) = areas.slos {
        crate::slo::view::draw_slo_pane(frame, slos, state, ctx);
    }
    if let Some(costs) = areas.costs {
        crate::cost::view::draw_cost_pane(frame, costs, state, ctx);
    }
    let title = "Workloads (worst first)";
    draw_workload_table(frame, areas.workloads, state, ctx, View::Overview, title);
    if let Some(queues) = areas.queues {
        crate::queues::view::draw_queue_pane(frame, queues, state, ctx);
    }
    draw_warnings(frame, areas.events, state, ctx, View::Overview);
}

pub fn draw_workloads(frame: &mut Frame, area: Rect, state: &State, ctx: &Ctx) {
    draw_workload_table(frame, area, state, ctx, View::Workloads, "Workloads");
}

fn draw_workload_table(
    frame: &mut Frame,
    area: Rect,
    state: &State,
    ctx: &Ctx,
    view: View,
    name: &str,
) {
    let Some(table) = state.table(view) else {
        return;
    };
    let wide = area.width >= 120;
    let mut columns = vec![
        col("NAME", Min(16)),
        col("KIND", Length(6)),
        col("READY", Length(6)),
        col("ROLLOUT", Length(if wide { 24 } else { 18 })),
        col("REV", Length(4)),
        col("RESTARTS", Length(8)),
    ];
    if wide {
        columns.insert(0, col("NAMESPACE", Length(14)));
        columns.push(col("UP-TO-DATE", Length(10)));
        columns.push(col("AVAILABLE", Length(9)));
        columns.push(col("AGE", Length(5)));
        columns.push(col("IMAGES", Min(20)));
    }
    let load = state.cluster.load_state(WORKLOADS);
    let title = pane_title(ctx, name, table.rows.len(), &table.filter, &load);
    draw_table(frame, area, ctx, title, &columns, table, true, |slot| {
        let w = state.cluster.workloads.get(slot)?;
        Some((workload_cells(ctx, state, w, wide), Style::default()))
    });
}

fn workload_cells<'a>(ctx: &Ctx, state: &State, w: &WorkloadRow, wide: bool) -> Vec<Cell<'a>> {
    let restarts = state
        .cluster
        .restarts_by_workload
        .get(&format!("{}/{}", w.namespace, w.name))
        .copied()
        .unwrap_or(0);
    let restarts_style = if restarts > 0 {
        ctx.theme.warn
    } else {
        ctx.theme.text
    };
    let mut cells = vec![
        status_cell(ctx, w.health, w.name.clone()),
        Cell::from(w.kind.short()),
        Cell::from(format!("{}/{}", w.ready, w.desired)),
        Cell::from(w.rollout.label()),
        Cell::from(w.revision.clone()),
        Cell::from(Span::styled(restarts.to_string(), restarts_style)),
    ];
    if wide {
        cells.insert(0, Cell::from(w.namespace.clone()));
        cells.push(Cell::from(w.updated.to_string()));
        cells.push(Cell::from(w.available.to_string()));
        cells.push(Cell::from(age(ctx.now - w.created)));
        cells.push(Cell::from(w.images.join(",")));
    }
    cells
}

pub fn draw_pods(frame: &mut Frame, area: Rect, state: &State, ctx: &Ctx) {
    let table = &state.pods;
    let wide = area.width >= 120;
    let mut columns = vec![
        col("NAME", Min(24)),
        col("READY", Length(5)),
        col("STATUS", Length(18)),
        col("RESTARTS", Length(if wide { 14 } else { 8 })),
        col("AGE", Length(4)),
    ];
    if wide {
        columns.insert(0, col("NAMESPACE", Length(14)));
        columns.push(col("IP", Length(15)));
        columns.push(col("NODE", Min(16)));
    }
    let scope = state
        .screen()
        .pod_scope
        .as_ref()
        .map(|s| format!("Pods {} {}", ctx.symbols.arrow, s.label()))
        .unwrap_or_else(|| "Pods".into());
    let load = state.cluster.load_state(&[Resource::Pods]);
    let title = pane_title(ctx, &scope, table.rows.len(), &table.filter, &load);
    draw_table(frame, area, ctx, title, &columns, table, true, |slot| {
        let p = state.cluster.pods.get(slot)?;
        Some((pod_cells(ctx, p, wide), Style::default()))
    });
}

fn pod_cells<'a>(ctx: &Ctx, p: &PodRow, wide: bool) -> Vec<Cell<'a>> {
    let restarts = if wide {
        restarts_label(ctx, p.restarts, p.last_restart)
    } else {
        p.restarts.to_string()
    };
    let restarts_style = if p.restarts > 0 {
        ctx.theme.warn
    } else {
        ctx.theme.text
    };
    let mut cells = vec![
        Cell::from(p.name.clone()),
        Cell::from(format!("{}/{}", p.ready, p.containers)),
        status_cell(ctx, p.health, p.status.clone()),
        Cell::from(Span::styled(restarts, restarts_style)),
        Cell::from(age(ctx.now - p.created)),
    ];
    if wide {
        cells.insert(0, Cell::from(p.namespace.clone()));
        cells.push(Cell::from(p.ip.clone()));
        cells.push(Cell::from(p.node.clone()));
    }
    cells
}

pub fn draw_nodes(frame: &mut Frame, area: Rect, state: &State, ctx: &Ctx) {
    let columns = [
        col("NAME", Min(16)),
        col("STATUS", Length(28)),
        col("ROLES", Length(10)),
        col("PODS", Length(5)),
        col("CPU", Length(5)),
        col("MEMORY", Length(10)),
        col("VERSION", Length(9)),
        col("AGE", Length(4)),
    ];
    let load = state.cluster.load_state(&[Resource::Nodes]);
    let title = pane_title(
        ctx,
        "Nodes",
        state.nodes.rows.len(),
        &state.nodes.filter,
        &load,
    );
    draw_table(
        frame,
        area,
        ctx,
        title,
        &columns,
        &state.nodes,
        true,
        |slot| {
            let n = state.cluster.nodes.get(slot)?;
            let pods = state
                .cluster
                .pods_by_node
                .get(&n.name)
                .copied()
                .unwrap_or(0);
            Some((
                vec![
                    Cell::from(n.name.clone()),
                    status_cell(ctx, n.health, n.status.clone()),
                    Cell::from(n.roles.clone()),
                    Cell::from(pods.to_string()),
                    Cell::from(n.cpu.clone()),
                    Cell::from(n.memory.clone()),
                    Cell::from(n.version.clone()),
                    Cell::from(age(ctx.now - n.created)),
                ],
                Style::default(),
            ))
        },
    );
}

pub fn draw_hpas(frame: &mut Frame, area: Rect, state: &State, ctx: &Ctx) {
    let columns = [
        col("NAME", Min(16)),
        col("REFERENCE", Length(26)),
        col("TARGETS", Min(18)),
        col("MIN", Length(3)),
        col("MAX", Length(3)),
        col("REPLICAS", Length(8)),
        col("AGE", Length(4)),
    ];
    let load = state.cluster.load_state(&[Resource::Hpas]);
    let title = pane_title(
        ctx,
        "HPAs",
        state.hpas.rows.len(),
        &state.hpas.filter,
        &load,
    );
    draw_table(
        frame,
        area,
        ctx,
        title,
        &columns,
        &state.hpas,
        true,
        |slot| {
            let h = state.cluster.hpas.get(slot)?;
            let replicas = if h.current == h.desired {
                h.current.to_string()
            } else {
                format!("{}{}{}", h.current, ctx.symbols.arrow, h.desired)
            };
            Some((
                vec![
                    status_cell(ctx, h.health, h.name.clone()),
                    Cell::from(h.target.clone()),
                    Cell::from(h.metrics.clone()),
                    Cell::from(h.min.to_string()),
                    Cell::from(h.max.to_string()),
                    Cell::from(replicas),
                    Cell::from(age(ctx.now - h.created)),
                ],
                Style::default(),
            ))
        },
    );
}

pub fn draw_events(frame: &mut Frame, area: Rect, state: &State, ctx: &Ctx) {
    draw_warnings(frame, area, state, ctx, View::Events);
}

/// Warning events, newest first (the overview shows the same rows in a smaller pane).
fn draw_warnings(frame: &mut Frame, area: Rect, state: &State, ctx: &Ctx, view: View) {
    let columns = [
        col("LAST", Length(4)),
        col("REASON", Length(16)),
        col("OBJECT", Length(32)),
        col("COUNT", Length(5)),
        col("MESSAGE", Min(20)),
    ];
    let load = state.cluster.load_state(&[Resource::Events]);
    let table = &state.events;
    let title = pane_title(
        ctx,
        "Warning events",
        table.rows.len(),
        &state.events.filter,
        &load,
    );
    draw_table(
        frame,
        area,
        ctx,
        title,
        &columns,
        table,
        view == View::Events,
        |slot| {
            let e = state.cluster.events.get(slot)?;
            let style = if e.warning {
                ctx.theme.warn
            } else {
                ctx.theme.text
            };
            Some((
                vec![
                    Cell::from(age(ctx.now - e.last_seen)),
                    Cell::from(Span::styled(e.reason.clone(), style)),
                    Cell::from(truncate(&e.object, 32, ctx.symbols.ellipsis)),
                    Cell::from(e.count.to_string()),
                    Cell::from(e.message.clone()),
                ],
                Style::default(),
            ))
        },
    );
}

pub fn draw_logs(frame: &mut Frame, area: Rect, state: &State, ctx: &Ctx) {
    let Some(logs) = &state.logs else { return };
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
    let mode = if logs.follow { "following" } else { "paused" };
    title
        .spans
        .push(Span::styled(format!(" {mode} "), ctx.theme.accent));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_set(ctx.symbols.border)
        .border_style(ctx.theme.border)
        .title(title);
    let filter = logs.buffer.filter();
    let lines: Vec<Line> = (top..(top + height).min(len))
        .filter_map(|i| logs.buffer.visible(i))
        .map(|l| highlight(l, filter, ctx))
        .collect();
    let mut para = Paragraph::new(lines).block(block);
    if logs.wrap {
        para = para.wrap(Wrap { trim: false });
    }
    frame.render_widget(para, area);
}

/// The filter's matches marked in a log line.
fn highlight<'a>(line: &'a str, lowered: &str, ctx: &Ctx) -> Line<'a> {
    if lowered.is_empty() || !line.is_ascii() {
        return Line::raw(line);
    }
    let lower = line.to_ascii_lowercase();
    let mut spans = Vec::new();
    let mut at = 0;
    while let Some(found) = lower[at..].find(lowered) {
        let start = at + found;
        let end = start + lowered.len();
        spans.push(Span::raw(&line[at..start]));
        spans.push(Span::styled(&line[start..end], ctx.theme.matched));
        at = end;
    }
    spans.push(Span::raw(&line[at..]));
    Line::from(spans)
}
