//! The root of every frame: header, the current view, footer, and overlays (help, namespace
//! picker). See `layout` for the regions.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::layout::{centered, regions};
use super::symbols::Symbols;
use super::table::Ctx;
use super::theme::Theme;
use crate::cluster::model::{LoadState, Resource};
use crate::cluster::view as cluster_view;
use crate::config::keymap::Layer;
use crate::core::action::Action;
use crate::core::state::{Mode, State};
use crate::core::view::View;

pub fn draw(frame: &mut Frame, state: &State, theme: &Theme, symbols: &Symbols) {
    let ctx = Ctx {
        theme,
        symbols,
        now: state.now,
    };
    let r = regions(frame.area());
    draw_header(frame, r.header, state, &ctx);
    match state.view() {
        View::Overview => cluster_view::draw_overview(frame, r.body, state, &ctx),
        View::Workloads => cluster_view::draw_workloads(frame, r.body, state, &ctx),
        View::Pods => cluster_view::draw_pods(frame, r.body, state, &ctx),
        View::Nodes => cluster_view::draw_nodes(frame, r.body, state, &ctx),
        View::Hpas => cluster_view::draw_hpas(frame, r.body, state, &ctx),
        View::Events => cluster_view::draw_events(frame, r.body, state, &ctx),
        View::Queues => crate::queues::view::draw_queues(frame, r.body, state, &ctx),
        View::Slos => crate::slo::view::draw_slos(frame, r.body, state, &ctx),
        View::Costs => crate::cost::view::draw_costs(frame, r.body, state, &ctx),
        View::Logs => cluster_view::draw_logs(frame, r.body, state, &ctx),
    }
    draw_footer(frame, r.footer, state, &ctx);
    if let Some(walk) = &state.runbook {
        crate::actions::view::draw_runbook(frame, r.body, walk, state.action.is_some(), &ctx);
    }
    if let Some(panel) = &state.action {
        crate::actions::view::draw_panel(frame, r.body, panel, &ctx);
    }
    match &state.mode {
        Mode::Help => draw_help(frame, r.body, state, &ctx),
        Mode::NamespacePicker { cursor, chosen } => {
            draw_picker(frame, r.body, state, &ctx, *cursor, chosen)
        }
        Mode::Confirm { plan, input } => {
            crate::actions::view::draw_confirm(frame, r.body, plan, &input.lines().join(" "), &ctx)
        }
        _ => {}
    }
}

fn draw_header(frame: &mut Frame, area: Rect, state: &State, ctx: &Ctx) {
    let c = &state.cluster;
    let sep = Span::styled(format!(" {} ", ctx.symbols.separator), ctx.theme.dim);
    let mut spans = vec![Span::styled(" opsdeck ", ctx.theme.title)];
    if state.connection.production {
        spans.push(Span::styled(" PRODUCTION ", ctx.theme.production));
    }
    if state.connection.readonly {
        spans.push(Span::styled(" READ-ONLY ", ctx.theme.accent));
    }
    spans.push(Span::styled(
        state.connection.context.clone(),
        ctx.theme.accent,
    ));
    spans.push(sep.clone());
    spans.push(Span::raw(format!("ns:{}", state.namespaces.label())));
    spans.push(sep.clone());
    // What pages first, before the counts: it stays in view when a small screen drops panes.
    for alert in header_alerts(state, ctx) {
        spans.push(alert);
        spans.push(sep.clone());
    }
    let not_ready = c
        .nodes
        .iter()
        .filter(|(_, n)| n.health != crate::cluster::rows::Health::Ok)
        .count();
    let node_style = if not_ready > 0 {
        ctx.theme.bad
    } else {
        ctx.theme.text
    };
    spans.push(Span::styled(
        format!("nodes {}/{}", c.nodes.len() - not_ready, c.nodes.len()),
        node_style,
    ));
    spans.push(sep.clone());
    spans.push(Span::raw(format!("pods {}", c.pods.len())));
    let warnings = c.warning_count();
    if warnings > 0 {
        spans.push(sep.clone());
        spans.push(Span::styled(
            format!("{} {warnings} warnings", ctx.symbols.warn),
            ctx.theme.warn,
        ));
    }
    let stale: Vec<&str> = Resource::ALL
        .iter()
        .filter(|r| matches!(c.load_state(&[**r]), LoadState::Stale { .. }))
        .map(|r| r.plural())
        .collect();
    if !stale.is_empty() {
        spans.push(sep);
        spans.push(Span::styled(
            format!("STALE: {}", stale.join(",")),
            ctx.theme.stale,
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// "✖ 1 SLO paging", "▲ 2 SLO tickets", "✖ over budget", "▲ budget at risk" (projected over).
fn header_alerts<'a>(state: &State, ctx: &Ctx) -> Vec<Span<'a>> {
    use crate::cost::BudgetState;
    use crate::slo::math::AlertState;
    let mut out = Vec::new();
    let count = |s: AlertState| {
        state
            .slos
            .rows()
            .iter()
            .filter(|r| r.eval.state == s)
            .count()
    };
    let (pages, tickets) = (count(AlertState::Page), count(AlertState::Ticket));
    if pages > 0 {
        let text = format!("{} {pages} SLO paging", ctx.symbols.bad);
        out.push(Span::styled(text, ctx.theme.bad));
    } else if tickets > 0 {
        let text = format!(
            "{} {tickets} SLO ticket{}",
            ctx.symbols.warn,
            if tickets > 1 { "s" } else { "" }
        );
        out.push(Span::styled(text, ctx.theme.warn));
    }
    let worst = state.costs.budgets().iter().map(|b| b.state).min();
    match worst {
        Some(BudgetState::Over) => {
            out.push(Span::styled(
                format!("{} over budget", ctx.symbols.bad),
                ctx.theme.bad,
            ));
        }
        Some(BudgetState::Warning) => out.push(Span::styled(
            format!("{} budget at risk", ctx.symbols.warn),
            ctx.theme.warn,
        )),
        _ => {}
    }
    out
}

fn draw_footer(frame: &mut Frame, area: Rect, state: &State, ctx: &Ctx) {
    let line = match &state.mode {
        Mode::Command(input) => prompt(ctx, ":", &input.lines().join(" ")),
        Mode::Filter(input) => prompt(ctx, "/", &input.lines().join(" ")),
        _ => match &state.flash {
            Some(msg) => Line::from(Span::styled(format!(" {msg}"), ctx.theme.warn)),
            None => hints(state, ctx),
        },
    };
    frame.render_widget(Paragraph::new(line), area);
}

fn prompt<'a>(ctx: &Ctx, sigil: &'a str, text: &str) -> Line<'a> {
    Line::from(vec![
        Span::styled(sigil, ctx.theme.key),
        Span::raw(text.to_string()),
        Span::styled("_", ctx.theme.dim),
    ])
}

/// A few keys for the current view, from the keymap itself.
fn hints<'a>(state: &State, ctx: &Ctx) -> Line<'a> {
    let layer = if state.view() == View::Logs {
        Layer::Logs
    } else {
        Layer::Table
    };
    let wanted: &[(Action, &str)] = if state.view() == View::Logs {
        &[
            (Action::ToggleFollow, "follow"),
            (Action::Filter, "filter"),
            (Action::ToggleWrap, "wrap"),
            (Action::Back, "back"),
            (Action::Help, "help"),
        ]
    } else {
        &[
            (Action::Command, "view"),
            (Action::Filter, "filter"),
            (Action::Open, "open"),
            (Action::Back, "back"),
            (Action::Namespaces, "ns"),
            (Action::Help, "help"),
        ]
    };
    let mut spans = vec![Span::raw(" ")];
    for (action, label) in wanted {
        let mut keys = state.keymap.keys_for(layer, *action);
        keys.extend(state.keymap.keys_for(Layer::Global, *action));
        if let Some(k) = keys.first() {
            spans.push(Span::styled(k.clone(), ctx.theme.key));
            spans.push(Span::styled(format!(" {label}  "), ctx.theme.dim));
        }
    }
    Line::from(spans)
}

/// The help overlay, generated from the keymap: what you see is what is bound. One entry per
/// action (keys from every layer), in two columns so it fits 80x24.
fn draw_help(frame: &mut Frame, body: Rect, state: &State, ctx: &Ctx) {
    let mut entries: Vec<(Action, Vec<String>)> = Vec::new();
    for bindings in state.keymap.layers.values() {
        for (key, action) in bindings {
            let label = key.label();
            match entries.iter_mut().find(|(a, _)| a == action) {
                Some((_, keys)) if !keys.contains(&label) => keys.push(label),
                Some(_) => {}
                None => entries.push((*action, vec![label])),
            }
        }
    }
    entries.sort_by_key(|(a, _)| Action::ALL.iter().position(|(x, _, _)| x == a));
    let half = entries.len().div_ceil(2);
    let col_width = usize::from(body.width.saturating_sub(4) / 2).min(48);
    let cell = |e: Option<&(Action, Vec<String>)>| -> Vec<Span<'static>> {
        let Some((action, keys)) = e else {
            return vec![];
        };
        let keys = super::format::truncate(&keys.join(" "), 12, ctx.symbols.ellipsis);
        let text = format!("{keys:<13}{}", action.description());
        let text =
            super::format::truncate(&text, col_width.saturating_sub(1), ctx.symbols.ellipsis);
        let (k, d) = text.split_at(text.char_indices().nth(13).map_or(text.len(), |(i, _)| i));
        vec![
            Span::styled(k.to_string(), ctx.theme.key),
            Span::raw(format!("{d:<width$}", width = col_width.saturating_sub(13))),
        ]
    };
    let mut lines: Vec<Line> = (0..half)
        .map(|i| {
            let mut spans = cell(entries.get(i));
            spans.push(Span::raw(" "));
            spans.extend(cell(entries.get(i + half)));
            Line::from(spans)
        })
        .collect();
    lines.push(Line::from(Span::styled(
        ":pods :deploy :nodes :hpa :events :overview [filter] | :ns a,b|all | :q",
        ctx.theme.dim,
    )));
    let area = centered(body, (col_width * 2 + 3) as u16, lines.len() as u16 + 2);
    frame.render_widget(Clear, area);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_set(ctx.symbols.border)
        .border_style(ctx.theme.accent)
        .title(Span::styled(" Keys (any key closes) ", ctx.theme.title));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn draw_picker(
    frame: &mut Frame,
    body: Rect,
    state: &State,
    ctx: &Ctx,
    cursor: usize,
    chosen: &std::collections::BTreeSet<String>,
) {
    let mut items = vec![("all namespaces".to_string(), chosen.is_empty())];
    items.extend(
        state
            .cluster
            .namespaces
            .iter()
            .map(|n| (n.clone(), chosen.contains(n))),
    );
    let height = (items.len() as u16 + 2).min(body.height);
    let area = centered(body, 40, height);
    let visible = usize::from(height.saturating_sub(2));
    let start = cursor.saturating_sub(visible.saturating_sub(1));
    let lines: Vec<Line> = items
        .iter()
        .enumerate()
        .skip(start)
        .take(visible)
        .map(|(i, (name, on))| {
            let mark = if *on {
                ctx.symbols.checked
            } else {
                ctx.symbols.unchecked
            };
            let style = if i == cursor {
                ctx.theme.selected
            } else {
                ctx.theme.text
            };
            Line::from(Span::styled(format!("{mark} {name}"), style))
        })
        .collect();
    frame.render_widget(Clear, area);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_set(ctx.symbols.border)
        .border_style(ctx.theme.accent)
        .title(Span::styled(
            " Namespaces: space toggles, enter ",
            ctx.theme.title,
        ));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
