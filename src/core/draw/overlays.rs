//! What draws over the body: the runbook walk, the action panel, and whatever the mode shows
//! (help, the namespace picker, a row in full, the plan to confirm).

use std::collections::BTreeMap;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::super::action::Action;
use super::super::state::{Mode, State};
use crate::actions::verbs::VERBS;
use crate::actions::view as action_view;
use crate::ui::dialog::Dialog;
use crate::ui::pane::Layer;
use crate::ui::table::Ctx;
use crate::ui::text::{cut, wrap};

pub fn draw(frame: &mut Frame, body: Rect, state: &State, ctx: &Ctx) {
    if let Some(walk) = &state.runbook {
        action_view::draw_runbook(frame, body, walk, state.action.is_some(), ctx);
    }
    if let Some(panel) = &state.action {
        action_view::draw_panel(frame, body, panel, ctx);
    }
    match &state.mode {
        Mode::Help => draw_help(frame, body, state, ctx),
        Mode::InFull => draw_in_full(frame, body, state, ctx),
        Mode::NamespacePicker { cursor, chosen } => {
            draw_picker(frame, body, state, ctx, *cursor, chosen)
        }
        Mode::Confirm {
            plan,
            input,
            scroll,
        } => action_view::draw_confirm(frame, body, plan, &input.lines().join(" "), *scroll, ctx),
        Mode::Note { input, correcting } => {
            draw_note(frame, body, input, correcting.is_some(), ctx)
        }
        _ => {}
    }
}

/// The note editor: several lines of Markdown over the timeline.
fn draw_note(
    frame: &mut Frame,
    body: Rect,
    input: &tui_textarea::TextArea,
    correcting: bool,
    ctx: &Ctx,
) {
    let width = body.width.saturating_sub(4).clamp(20, 100);
    let height = body.height.saturating_sub(4).clamp(5, 14);
    let area = Rect {
        x: body.x + (body.width.saturating_sub(width)) / 2,
        y: body.y + (body.height.saturating_sub(height)) / 2,
        width: width.min(body.width),
        height: height.min(body.height),
    };
    let mut editor = input.clone();
    editor.set_block(crate::ui::table::block(
        ctx,
        Line::from(Span::styled(
            if correcting {
                " Correction (the original is kept) · ctrl-s save · esc cancel "
            } else {
                " Note (Markdown) · ctrl-s save · esc cancel "
            },
            ctx.theme.title,
        )),
        area,
    ));
    frame.render_widget(ratatui::widgets::Clear, area);
    frame.render_widget(&editor, area);
}

/// The keys, generated from the keymap (what you see is what is bound), one entry per action
/// with its keys in the current view's layer and the global one (what works here), in two
/// columns; then every `:` word, from the registry.
fn draw_help(frame: &mut Frame, body: Rect, state: &State, ctx: &Ctx) {
    let layer = state.spec(state.view()).map_or(Layer::Table, |v| v.layer);
    let mut by_action: BTreeMap<usize, (Action, Vec<String>)> = BTreeMap::new();
    let here = [Layer::Global, layer];
    for bindings in here.iter().filter_map(|l| state.keymap.layers.get(l)) {
        for (key, action) in bindings {
            // A key that only does something in another view is not listed here.
            if action.only_in().is_some_and(|v| v != state.view()) {
                continue;
            }
            let label = key.label();
            let entry = by_action
                .entry(action.rank(&state.views))
                .or_insert_with(|| (*action, vec![]));
            if !entry.1.contains(&label) {
                entry.1.push(label);
            }
        }
    }
    // Views are listed with their `:` words below, each with its keys.
    let (views, entries): (Vec<_>, Vec<_>) = by_action
        .into_values()
        .partition(|(a, _)| matches!(a, Action::Goto(_)));
    let inner = Dialog::inner_width(body, 100);
    let col_width = usize::from(inner.saturating_sub(1) / 2);
    let keys_width = 13.min(col_width / 2);
    let cell = |e: Option<&(Action, Vec<String>)>| -> Vec<Span<'static>> {
        let Some((action, keys)) = e else {
            return vec![];
        };
        let keys = cut(
            &keys.join(" "),
            keys_width.saturating_sub(1),
            ctx.symbols.cut,
        );
        let what = cut(
            action.description(&state.views),
            col_width.saturating_sub(keys_width),
            ctx.symbols.cut,
        );
        vec![
            Span::styled(format!("{keys:<keys_width$}"), ctx.theme.key),
            Span::raw(format!("{what:<w$}", w = col_width - keys_width)),
        ]
    };
    let half = entries.len().div_ceil(2);
    let mut lines: Vec<Line> = (0..half)
        .map(|i| {
            let mut spans = cell(entries.get(i));
            spans.push(Span::raw(" "));
            spans.extend(cell(entries.get(i + half)));
            Line::from(spans)
        })
        .collect();
    // Each verb's usage when it fits, else only its word (tab completes, and a wrong
    // command line says the usage).
    let room = Dialog::inner_height(body).saturating_sub(lines.len());
    let mut words = wrap_items(&command_words(state, &views, true), usize::from(inner));
    if words.len() > room {
        words = wrap_items(&command_words(state, &views, false), usize::from(inner));
    }
    for text in words {
        lines.push(Line::from(Span::styled(text, ctx.theme.dim)));
    }
    // On a short screen the command list gives way from the bottom: the keys come first.
    lines.truncate(Dialog::inner_height(body));
    Dialog::new("Keys (any key closes)", inner)
        .lines(lines)
        .render(frame, body, ctx);
}

/// "views: 0 :overview 1 :workloads ... | actions: :restart W ... | :ns a,b|all ... :q", each
/// view with the keys bound to it (without `usage`, the verbs' words alone).
/// Items packed into lines of `max` columns, an item never split unless it alone is wider.
fn wrap_items(items: &[String], max: usize) -> Vec<String> {
    let mut lines: Vec<String> = vec![];
    for item in items {
        match lines.last_mut() {
            Some(line)
                if crate::ui::text::width(line) + 1 + crate::ui::text::width(item) <= max =>
            {
                line.push(' ');
                line.push_str(item);
            }
            _ => lines.extend(wrap(item, max)),
        }
    }
    lines
}

/// The help's `:` words, each usage one item: views (with their keys), the console's own
/// words, then the actions.
fn command_words(state: &State, keys: &[(Action, Vec<String>)], usage: bool) -> Vec<String> {
    let views: Vec<String> = state
        .views
        .iter()
        .filter_map(|v| {
            let word = v.commands.first()?;
            let bound = keys
                .iter()
                .find(|(a, _)| *a == Action::Goto(v.id))
                .map(|(_, k)| format!("{} ", k.join(" ")))
                .unwrap_or_default();
            Some(format!("{bound}:{word}"))
        })
        .collect();
    let verbs: Vec<String> = VERBS
        .iter()
        .map(|v| match usage {
            true => format!(":{}", v.usage.usage),
            false => format!(":{}", v.usage.name),
        })
        .collect();
    let mut items = vec!["views:".to_string()];
    items.extend(views.into_iter().map(|v| format!("{v} ")));
    items.extend(
        [
            "[filter] |",
            ":runbook NAME [k=v]",
            ":incident start TITLE",
            ":export",
            ":ns a,b|all",
            ":logs",
            ":q |",
            "actions:",
        ]
        .map(str::to_string),
    );
    items.extend(verbs);
    items
}

/// The selected row and its pane's state, in full: what a cut cell or title said.
fn draw_in_full(frame: &mut Frame, body: Rect, state: &State, ctx: &Ctx) {
    let view = state.view();
    let inner = Dialog::inner_width(body, 110);
    let found = state
        .pane()
        .and_then(|p| p.in_full(view, state.screen().scope.as_ref(), ctx));
    let mut lines = vec![];
    for text in wrap(super::header::text(state, ctx).trim(), usize::from(inner)) {
        lines.push(Line::from(Span::styled(text, ctx.theme.dim)));
    }
    let title = match found {
        Some((title, fields)) => {
            for text in wrap(&title, usize::from(inner)) {
                lines.push(Line::from(Span::styled(text, ctx.theme.accent)));
            }
            let label = fields.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
            let room = usize::from(inner).saturating_sub(label + 1).max(1);
            for (name, value) in fields {
                for (i, text) in wrap(&value, room).into_iter().enumerate() {
                    let head = if i == 0 { name.as_str() } else { "" };
                    lines.push(Line::from(vec![
                        Span::styled(format!("{head:<label$} "), ctx.theme.dim),
                        Span::raw(text),
                    ]));
                }
            }
            "In full (any key closes)"
        }
        None => {
            lines.push(Line::from("this view has no rows to show in full"));
            "In full"
        }
    };
    lines.truncate(Dialog::inner_height(body));
    Dialog::new(title, inner)
        .lines(lines)
        .render(frame, body, ctx);
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
            .panes
            .cluster
            .model
            .namespaces
            .iter()
            .map(|n| (n.clone(), chosen.contains(n))),
    );
    let visible = Dialog::inner_height(body);
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
    Dialog::new("Namespaces: space toggles, enter", 38)
        .lines(lines)
        .render(frame, body, ctx);
}
