//! The executor's views: the plan preview with its confirmation prompt, the action panel
//! (progress and result, until dismissed with esc), and the runbook being walked.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::lock::LockState;
use super::panel::{ActionPanel, ActionPhase};
use super::plan::Plan;
use super::runbook::StepKind;
use super::runbook::walk::{Walk, WalkPhase};
use crate::ui::dialog::Dialog;
use crate::ui::table::{Ctx, block};
use crate::ui::text::wrap;

/// Label width of the plan preview's left column.
const LABEL: usize = 12;

/// `label` then `text`, the text wrapped to `width` under itself. A label longer than the
/// column ("template annotation kubectl.kubernetes.io/restartedAt") takes a line of its own,
/// so the value (what changes to) is never the part cut.
fn labelled(label: &str, text: &str, width: usize, style: Style, ctx: &Ctx) -> Vec<Line<'static>> {
    let own_line = crate::ui::text::width(label) > LABEL;
    let mut lines = vec![];
    if own_line {
        for part in wrap(label, width) {
            lines.push(Line::from(Span::styled(part, ctx.theme.dim)));
        }
    }
    let parts = wrap(text, width.saturating_sub(LABEL + 1));
    lines.extend(parts.into_iter().enumerate().map(|(i, part)| {
        let head = if i == 0 && !own_line { label } else { "" };
        Line::from(vec![
            Span::styled(format!("{head:<LABEL$} "), ctx.theme.dim),
            Span::styled(part, style),
        ])
    }));
    lines
}

/// The plan preview's parts at `width`: the head (target and changes: always shown) and the
/// details (warnings, access, dry run, the exact requests: scrolled when too many).
fn plan_parts(plan: &Plan, width: usize, ctx: &Ctx) -> (Vec<Line<'static>>, Vec<Line<'static>>) {
    // Where it acts comes first: with several clusters on screen, the wrong one is the mistake.
    let mut head = if plan.context.is_empty() {
        vec![]
    } else {
        labelled("context", &plan.context, width, ctx.theme.accent, ctx)
    };
    head.extend(labelled(
        "target",
        &plan.target,
        width,
        ctx.theme.accent,
        ctx,
    ));
    // Another console acting on the target is said before what would change.
    match plan.lock.as_ref().map(|l| &l.state) {
        Some(LockState::Held(h)) => {
            head.extend(labelled("LOCKED", &h.words(), width, ctx.theme.bad, ctx))
        }
        Some(LockState::Unavailable(why)) => {
            head.extend(labelled("no lock", why, width, ctx.theme.warn, ctx))
        }
        _ => {}
    }
    for c in &plan.changes {
        let change = format!("{} {} {}", c.before, ctx.symbols.arrow, c.after);
        head.extend(labelled(&c.what, &change, width, ctx.theme.warn, ctx));
    }
    let mut details: Vec<Line> = vec![];
    for w in &plan.warnings {
        for text in wrap(&format!("{} {w}", ctx.symbols.warn), width) {
            details.push(Line::from(Span::styled(text, ctx.theme.warn)));
        }
    }
    let permission = if plan.permission.allowed {
        format!("allowed: {}", plan.permission.reason)
    } else {
        format!("DENIED: {}", plan.permission.reason)
    };
    details.extend(labelled("access", &permission, width, ctx.theme.text, ctx));
    if let Some(d) = &plan.dry_run {
        details.extend(labelled("dry run", d, width, ctx.theme.text, ctx));
    }
    if let Some(l) = &plan.lock {
        // The holder is in the head already; here, which lease and when it frees itself.
        let text = match l.held_by() {
            Some(h) => format!(
                "lease {}: frees itself {}s after {}'s console stops renewing it",
                l.lease(),
                h.duration_s,
                h.identity
            ),
            None => l.line(),
        };
        details.extend(labelled("lock", &text, width, ctx.theme.text, ctx));
    }
    for call in &plan.calls {
        let request = format!("{} {}", call.describe(), call.body);
        details.extend(labelled("request", &request, width, ctx.theme.text, ctx));
    }
    (head, details)
}

/// Lines the confirmation's prompt takes (the question and the typed answer).
const PROMPT_LINES: usize = 2;

/// How far the plan's details can scroll in `body` (0 when they all fit).
pub fn confirm_scroll_limit(plan: &Plan, body: Rect) -> usize {
    let theme = crate::ui::theme::Theme::default();
    // Line counts do not depend on colours or on which symbol set marks a warning.
    let ctx = Ctx {
        theme: &theme,
        symbols: &crate::ui::symbols::UNICODE,
        now: 0,
    };
    let width = usize::from(Dialog::inner_width(body, DIALOG_WIDTH));
    let (head, details) = plan_parts(plan, width, &ctx);
    let room = Dialog::inner_height(body).saturating_sub(head.len() + PROMPT_LINES);
    // One line of the room says what is out of sight.
    details.len().saturating_sub(room.saturating_sub(1))
}

/// The plan preview's widest inner width.
const DIALOG_WIDTH: u16 = 110;

/// Everything the plan says, then the prompt: what changes, what else it touches, the
/// permission and dry-run answers, and the exact requests (wrapped, never cut: they are what
/// the operator is about to send). The target, the changes and the prompt always show; the
/// details below them scroll (page up/down) when the screen is too small for all of them.
pub fn draw_confirm(
    frame: &mut Frame,
    body: Rect,
    plan: &Plan,
    typed: &str,
    scroll: usize,
    ctx: &Ctx,
) {
    let inner = Dialog::inner_width(body, DIALOG_WIDTH);
    let width = usize::from(inner);
    let (mut head, mut details) = plan_parts(plan, width, ctx);
    let (ask, ask_style) = if plan.held() {
        (
            format!(
                "HELD: type {} and Enter to take the lock over and act; esc cancels",
                plan.confirm_phrase
            ),
            ctx.theme.bad,
        )
    } else if plan.destructive {
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
        Line::from(Span::styled(ask, ask_style)),
        Line::from(vec![
            Span::styled("> ", ctx.theme.key),
            Span::raw(typed.to_string()),
            Span::styled("_", ctx.theme.dim),
        ]),
    ];
    let height = Dialog::inner_height(body);
    // The prompt always shows; on a very short screen the head gives way below it.
    head.truncate(height.saturating_sub(foot.len()));
    let room = height.saturating_sub(head.len() + foot.len());
    if room == 0 {
        // A screen too short for any detail: the target, the changes and the prompt.
        details.clear();
    } else if details.len() > room {
        // One line says what is out of sight; the rest show from `scroll` on.
        let shown = room.saturating_sub(1);
        let top = scroll.min(details.len() - shown);
        let below = details.len() - top - shown;
        details = details.into_iter().skip(top).take(shown).collect();
        details.push(Line::from(Span::styled(
            format!("({top} lines above, {below} below: pgup/pgdn)"),
            ctx.theme.dim,
        )));
    }
    let mut lines = head;
    lines.extend(details);
    lines.extend(foot);
    let border = if plan.destructive {
        ctx.theme.bad
    } else {
        ctx.theme.accent
    };
    let title = if plan.context.is_empty() {
        format!("Confirm {}", plan.request.verb())
    } else {
        format!("Confirm {} in {}", plan.request.verb(), plan.context)
    };
    Dialog::new(title, inner)
        .border(border)
        .lines(lines)
        .render(frame, body, ctx);
}

/// The action panel, pinned to the bottom of the body.
pub fn draw_panel(frame: &mut Frame, body: Rect, panel: &ActionPanel, ctx: &Ctx) {
    let wrapped: Vec<String> = panel
        .lines
        .iter()
        .flat_map(|l| wrap(l, usize::from(body.width.saturating_sub(2))))
        .collect();
    let height = (wrapped.len() as u16 + 2).clamp(3, 8).min(body.height);
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
    // Lines wrap (a conflict or a failure reason is read whole); the newest stay in view.
    let visible = usize::from(height.saturating_sub(2));
    let lines: Vec<Line> = wrapped
        .iter()
        .skip(wrapped.len().saturating_sub(visible))
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
    let mut block = block(ctx, Line::from(title), area);
    block = block.border_style(style);
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// The runbook being walked: its steps with where the walk stands, the last outcomes, and what
/// Enter will do. Leaves room at the bottom for the action panel.
pub fn draw_runbook(frame: &mut Frame, body: Rect, walk: &Walk, with_panel: bool, ctx: &Ctx) {
    let room = Rect {
        height: body
            .height
            .saturating_sub(if with_panel { 8 } else { 0 })
            .max(6)
            .min(body.height),
        ..body
    };
    let inner = Dialog::inner_width(room, 100);
    let total = walk.runbook.steps.len();
    // Built in parts so a small screen drops the least useful first: finished steps, then
    // steps to come, then older outcomes, then the description. The step about to run and
    // the prompt always show.
    let mut done: Vec<Line> = vec![];
    let mut current: Vec<Line> = vec![];
    let mut coming: Vec<Line> = vec![];
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
            StepKind::Observe(_) => "observe",
            StepKind::Action(_) => "action",
            StepKind::WaitUntil { .. } => "wait",
        };
        let text = step.title.clone().map_or_else(
            || walk.text(&step.kind),
            |t| format!("{t}: {}", walk.text(&step.kind)),
        );
        let head = format!("{mark} {:>2}. {kind:<8}", i + 1);
        if i == walk.step {
            // The step about to run (or the one that failed) is read whole.
            let indent = " ".repeat(crate::ui::text::width(&head));
            let width = usize::from(inner).saturating_sub(indent.len());
            for (k, part) in wrap(&text, width).into_iter().enumerate() {
                let lead = if k == 0 { &head } else { &indent };
                current.push(Line::from(Span::styled(format!("{lead}{part}"), style)));
            }
        } else {
            let line = Line::from(Span::styled(format!("{head}{text}"), style));
            if i < walk.step {
                &mut done
            } else {
                &mut coming
            }
            .push(line);
        }
    }
    let mut outcomes: Vec<Line> = walk
        .log
        .iter()
        .rev()
        .take(2)
        .rev()
        .flat_map(|entry| wrap(entry, usize::from(inner)))
        .map(|part| Line::from(Span::styled(part, ctx.theme.dim)))
        .collect();
    let (prompt, style) = match walk.phase {
        WalkPhase::Ready => (
            format!(
                "enter: run step {} of {total}; esc: stop the runbook",
                walk.step + 1
            ),
            ctx.theme.key,
        ),
        WalkPhase::Evaluating => (
            format!("checking{}", ctx.symbols.ellipsis),
            ctx.theme.pending,
        ),
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
    let mut description = vec![Line::from(Span::styled(
        walk.runbook.description.clone(),
        ctx.theme.dim,
    ))];
    let fit = Dialog::inner_height(room);
    let count = |parts: [&Vec<Line>; 5]| parts.iter().map(|p| p.len()).sum::<usize>() + 1;
    while count([&description, &done, &current, &coming, &outcomes]) > fit {
        if !done.is_empty() {
            done.remove(0);
        } else if !coming.is_empty() {
            coming.pop();
        } else if outcomes.len() > 1 {
            outcomes.remove(0);
        } else if !description.is_empty() {
            description.clear();
        } else {
            break;
        }
    }
    let mut lines = description;
    lines.extend(done);
    lines.extend(current);
    lines.extend(coming);
    lines.extend(outcomes);
    lines.push(Line::from(Span::styled(prompt, style)));
    Dialog::new(format!("Runbook {}", walk.runbook.name), inner)
        .lines(lines)
        .render(frame, room, ctx);
}

#[cfg(test)]
mod tests {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use super::*;

    #[test]
    fn the_confirmation_names_the_holder_under_the_target_and_asks_for_force() {
        let plan = crate::actions::plan::tests::held_plan();
        let theme = crate::ui::theme::Theme::default();
        let ctx = Ctx {
            theme: &theme,
            symbols: &crate::ui::symbols::ASCII,
            now: 0,
        };
        let mut terminal = Terminal::new(TestBackend::new(120, 20)).expect("terminal");
        terminal
            .draw(|f| draw_confirm(f, f.area(), &plan, "", 0, &ctx))
            .expect("draws");
        let buffer = terminal.backend().buffer();
        let rows: Vec<String> = (0..buffer.area.height)
            .map(|y| {
                (0..buffer.area.width)
                    .map(|x| buffer[(x, y)].symbol())
                    .collect::<String>()
            })
            .collect();
        let row = |text: &str| rows.iter().position(|r| r.contains(text));
        let target = row("deployment contentgen/api").expect("target");
        let held = row("alice is rolling back contentgen/api since 14:02:11 UTC").expect("holder");
        assert_eq!(held, target + 1, "{rows:#?}");
        assert!(rows[held].contains("LOCKED"));
        assert!(row("type api --force and Enter").is_some(), "{rows:#?}");
    }
}
