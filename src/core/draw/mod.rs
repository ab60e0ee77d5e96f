//! The root of every frame: header, the current view, footer, and the overlays (help, the
//! namespace picker, a row in full, the runbook walk, the action panel, the plan to confirm).
//!
//! ```text
//! +--------------------------------------------------+
//! | header: context, namespaces, alerts, counts       |  1 line
//! +--------------------------------------------------+
//! | body: the current view                            |
//! |   overview: the panes' band, workloads, warnings  |
//! +--------------------------------------------------+
//! | footer: key hints | command line | message       |  1 line
//! +--------------------------------------------------+
//! ```

pub mod header;
mod overlays;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::action::Action;
use super::layout;
use super::state::{Mode, State};
use crate::cluster::pane::OVERVIEW;
use crate::ui::layout::regions;
use crate::ui::pane::{Layer, Pane};
use crate::ui::symbols::Symbols;
use crate::ui::table::Ctx;
use crate::ui::text::fit_line;
use crate::ui::theme::Theme;

pub fn draw(frame: &mut Frame, state: &State, theme: &Theme, symbols: &Symbols) {
    let ctx = Ctx {
        theme,
        symbols,
        now: state.now,
    };
    let r = regions(frame.area());
    header::draw(frame, r.header, state, &ctx);
    draw_body(frame, r.body, state, &ctx);
    draw_footer(frame, r.footer, state, &ctx);
    overlays::draw(frame, r.body, state, &ctx);
}

fn draw_body(frame: &mut Frame, body: Rect, state: &State, ctx: &Ctx) {
    let view = state.view();
    if view != OVERVIEW {
        if let Some(pane) = state.pane() {
            pane.draw(view, frame, body, state.screen().scope.as_ref(), ctx);
        }
        return;
    }
    let with_band: Vec<&dyn Pane> = state
        .panes
        .all()
        .into_iter()
        .filter(|p| p.band().is_some())
        .collect();
    let areas = layout::overview(&state.panes, body);
    for (pane, area) in with_band.iter().zip(&areas.bands) {
        if let Some(area) = area {
            pane.draw_band(frame, *area, ctx);
        }
    }
    state
        .panes
        .cluster
        .draw_main(frame, areas.workloads, areas.events, ctx);
}

fn draw_footer(frame: &mut Frame, area: Rect, state: &State, ctx: &Ctx) {
    let line = match &state.mode {
        Mode::Command(input) => {
            let mut line = prompt(ctx, ":", &input.lines().join(" "));
            if !state.completions.is_empty() {
                let options = format!("   {}", state.completions.join(" "));
                line.spans.push(Span::styled(options, ctx.theme.dim));
            } else if let Some(msg) = &state.flash {
                line.spans
                    .push(Span::styled(format!("   {msg}"), ctx.theme.warn));
            }
            line
        }
        Mode::Filter(input) => prompt(ctx, "/", &input.lines().join(" ")),
        _ => match &state.flash {
            Some(msg) => Line::from(Span::styled(format!(" {msg}"), ctx.theme.warn)),
            None => hints(state, ctx),
        },
    };
    let line = fit_line(
        line.spans,
        usize::from(area.width),
        ctx.symbols.cut,
        ctx.theme.dim,
    );
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
    let layer = state.spec(state.view()).map_or(Layer::Table, |v| v.layer);
    let inspecting = crate::inspect::pane::face(state.view()).is_some();
    let wanted: &[(Action, &str)] = if inspecting {
        &[
            (Action::Describe, "describe"),
            (Action::Yaml, "yaml"),
            (Action::Filter, "search"),
            (Action::NextMatch, "next"),
            (Action::ToggleWrap, "wrap"),
            (Action::Back, "back"),
            (Action::Help, "help"),
        ]
    } else if layer == Layer::Logs {
        &[
            (Action::ToggleFollow, "follow"),
            (Action::Filter, "filter"),
            (Action::ToggleWrap, "wrap"),
            (Action::PreviousLog, "previous"),
            (Action::Describe, "describe"),
            (Action::Back, "back"),
            (Action::Help, "help"),
        ]
    } else {
        &[
            (Action::Command, "view"),
            (Action::Filter, "filter"),
            (Action::Open, "open"),
            (Action::InFull, "full"),
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
