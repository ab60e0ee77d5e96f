//! The executor's views: the plan preview with its confirmation prompt, and the action panel
//! (progress and result) that stays on screen until dismissed with esc.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::plan::Plan;
use super::runbook::StepKind;
use crate::core::runbook_flow::{RunbookWalk, WalkPhase};
use crate::core::state::{ActionPanel, ActionPhase};
use crate::ui::format::truncate;
use crate::ui::layout::centered;
use crate::ui::table::Ctx;

/// Everything the plan says, then the prompt: what changes, the exact calls, what else it
/// touches, the permission and dry-run answers. Lines are cut to the dialog's width and, on a
/// small terminal, details give way first: the target, the changes and the prompt always show.
pub fn draw_confirm(frame: &mut Frame, body: Rect, plan: &Plan, typed: &str, ctx: &Ctx) {
    let width = body.width.saturating_sub(4).min(110);
    let inner = usize::from(width.saturating_sub(2));
    let cut = |text: String| truncate(&text, inner, ctx.symbols.ellipsis);
    let labelled = |label: &str, text: String, style| {
        Line::from(vec![
            Span::styled(format!("{label:<12} "), ctx.theme.dim),
            Span::styled(
                truncate(&text, inner.saturating_sub(13), ctx.symbols.ellipsis),
                style,
            ),
        ])
    };
    let mut head = vec![labelled("target", plan.target.clone(), ctx.theme.accent)];
    for c in &plan.changes {
        let what = truncate(&c.what, 12, ctx.symbols.ellipsis);
        let change = format!("{} {} {}", c.before, ctx.symbols.arrow, c.after);
        head.push(labelled(&what, change, ctx.theme.warn));
    }
    let mut details: Vec<Line> = plan
        .calls
        .iter()
        .map(|call| {
            labelled(
                "request",
                format!("{} {} {}", call.method, call.path, call.body),
                ctx.theme.text,
            )
        })
        .collect();
    for w in &plan.warnings {
        details.push(Line::from(Span::styled(
            cut(format!("{} {w}", ctx.symbols.warn)),
            ctx.theme.warn,
        )));
    }
    let permission = if plan.permission.allowed {
        format!("allowed: {}", plan.permission.reason)
    } else {
        format!("DENIED: {}", plan.permission.reason)
    };
    details.push(labelled("access", permission, ctx.theme.text));
    if let Some(d) = &plan.dry_run {
        details.push(labelled("dry run", d.clone(), ctx.theme.text));
    }
    let (ask, ask_style) = if plan.destructive {
        (
            format!(
                "DESTRUCTIVE: type {} and Enter to apply; esc cancels",
                plan.confirm_phrase
            ),
            ctx.theme.bad,
        )
    } else {
        (
            format!(
                "type {} and Enter to apply; esc cancels",
                plan.confirm_phrase
            ),
            ctx.theme.key,
        )
    };
    let foot = vec![
        Line::from(Span::styled(cut(ask), ask_style)),
        Line::from(vec![
            Span::styled("> ", ctx.theme.key),
            Span::raw(typed.to_string()),
            Span::styled("_", ctx.theme.dim),
        ]),
    ];
    let room = usize::from(body.height.saturating_sub(2)).saturating_sub(head.len() + foot.len());
    if details.len() > room {
        let hidden = details.len() + 1 - room.max(1);
        details.truncate(room.saturating_sub(1));
        details.push(Line::from(Span::styled(
            format!("({hidden} more lines)"),
            ctx.theme.dim,
        )));
    }
    let mut lines = head;
    lines.extend(details);
    lines.extend(foot);
    let area = centered(body, width, lines.len() as u16 + 2);
    frame.render_widget(Clear, area);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_set(ctx.symbols.border)
        .border_style(if plan.destructive {
            ctx.theme.bad
        } else {
            ctx.theme.accent
        })
        .title(Span::styled(
            format!(" Confirm {} ", plan.request.verb()),
            ctx.theme.title,
        ));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// The action panel, pinned to the bottom of the body.
pub fn draw_panel(frame: &mut Frame, body: Rect, panel: &ActionPanel, ctx: &Ctx) {
    let height = (panel.lines.len() as u16 + 2).clamp(3, 8).min(body.height);
    let area = Rect {
        y: body.y + body.height - height,
        height,
        ..body
    };
    let (word, style) = match panel.phase {
        ActionPhase::Planning => ("planning", ctx.theme.pending),
        ActionPhase::AwaitingConfirmation => ("awaiting confirmation", ctx.theme.warn),
        ActionPhase::Running => ("running", ctx.theme.pending),
        ActionPhase::Succeeded => ("done", ctx.theme.ok),
        ActionPhase::Failed => ("FAILED", ctx.theme.bad),
        ActionPhase::Cancelled => ("cancelled", ctx.theme.dim),
    };
    let visible = usize::from(height.saturating_sub(2));
    let lines: Vec<Line> = panel
        .lines
        .iter()
        .skip(panel.lines.len().saturating_sub(visible))
        .map(|l| Line::raw(l.clone()))
        .collect();
    let mut title = vec![
        Span::styled(format!(" {} ", panel.title), ctx.theme.title),
        Span::styled(format!("{word} "), style),
    ];
    if panel.finished() {
        title.push(Span::styled("(esc dismisses) ", ctx.theme.dim));
    }
    frame.render_widget(Clear, area);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_set(ctx.symbols.border)
        .border_style(style)
        .title(Line::from(title));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// The runbook being walked: its steps with where the walk stands, the last outcomes, and what
/// Enter will do. Leaves room at the bottom for the action panel.
pub fn draw_runbook(
    frame: &mut Frame,
    body: Rect,
    walk: &RunbookWalk,
    with_panel: bool,
    ctx: &Ctx,
) {
    let room = Rect {
        height: body
            .height
            .saturating_sub(if with_panel { 8 } else { 0 })
            .max(6)
            .min(body.height),
        ..body
    };
    let width = room.width.saturating_sub(4).min(100);
    let inner = usize::from(width.saturating_sub(2));
    let total = walk.runbook.steps.len();
    let mut lines = vec![Line::from(Span::styled(
        truncate(&walk.runbook.description, inner, ctx.symbols.ellipsis),
        ctx.theme.dim,
    ))];
    for (i, step) in walk.runbook.steps.iter().enumerate() {
        let (mark, style) = match i.cmp(&walk.step) {
            std::cmp::Ordering::Less => (ctx.symbols.ok, ctx.theme.ok),
            std::cmp::Ordering::Equal if walk.phase == WalkPhase::Failed => {
                (ctx.symbols.bad, ctx.theme.bad)
            }
            std::cmp::Ordering::Equal if !walk.finished() => (ctx.symbols.arrow, ctx.theme.accent),
            _ => (" ", ctx.theme.text),
        };
        let kind = match step.kind {
            StepKind::Note(_) => "note",
            StepKind::Manual(_) => "manual",
            StepKind::Check(_) => "check",
            StepKind::Action(_) => "action",
            StepKind::WaitUntil { .. } => "wait",
        };
        let text = step.title.clone().map_or_else(
            || walk.text(&step.kind),
            |t| format!("{t}: {}", walk.text(&step.kind)),
        );
        let line = format!("{mark} {:>2}. {kind:<7}{text}", i + 1);
        lines.push(Line::from(Span::styled(
            truncate(&line, inner, ctx.symbols.ellipsis),
            style,
        )));
    }
    for entry in walk.log.iter().rev().take(2).rev() {
        lines.push(Line::from(Span::styled(
            truncate(entry, inner, ctx.symbols.ellipsis),
            ctx.theme.dim,
        )));
    }
    let (prompt, style) = match walk.phase {
        WalkPhase::Ready => (
            format!(
                "enter: run step {} of {total}; esc: stop the runbook",
                walk.step + 1
            ),
            ctx.theme.key,
        ),
        WalkPhase::Evaluating => ("checking...".to_string(), ctx.theme.pending),
        WalkPhase::Acting => (
            "the step's action: see the plan and the action panel".to_string(),
            ctx.theme.pending,
        ),
        WalkPhase::Done => (
            format!("runbook done: {total} steps; esc closes"),
            ctx.theme.ok,
        ),
        WalkPhase::Failed => (
            "runbook stopped at a failed step; esc closes".to_string(),
            ctx.theme.bad,
        ),
        WalkPhase::Stopped => ("runbook stopped; esc closes".to_string(), ctx.theme.dim),
    };
    lines.push(Line::from(Span::styled(prompt, style)));
    // On a small screen the step list gives way from the top; the prompt always shows.
    let fit = usize::from(room.height.saturating_sub(2));
    if lines.len() > fit {
        let drop = lines.len() - fit;
        lines.drain(1..(1 + drop).min(lines.len() - 1));
    }
    let area = centered(room, width, lines.len() as u16 + 2);
    frame.render_widget(Clear, area);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_set(ctx.symbols.border)
        .border_style(ctx.theme.accent)
        .title(Span::styled(
            format!(" Runbook {} ", walk.runbook.name),
            ctx.theme.title,
        ));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
