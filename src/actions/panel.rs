//! The action panel: what the executor is doing for the console, its progress and result,
//! until dismissed.

use super::error::{ActionError, Outcome, Progress};

/// Where the current action stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActionPhase {
    Planning,
    AwaitingConfirmation,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionPanel {
    pub title: String,
    pub phase: ActionPhase,
    pub lines: Vec<String>,
}

impl ActionPanel {
    /// Progress lines kept: the panel is a summary, the audit log has everything.
    pub const MAX_LINES: usize = 40;

    /// A panel for `title` while its plan is being made.
    pub fn planning(title: String) -> ActionPanel {
        ActionPanel {
            title,
            phase: ActionPhase::Planning,
            lines: vec!["planning: live state, permission check, server-side dry run".into()],
        }
    }

    pub fn push(&mut self, line: String) {
        self.lines.push(line);
        let excess = self.lines.len().saturating_sub(Self::MAX_LINES);
        self.lines.drain(..excess);
    }

    pub fn finished(&self) -> bool {
        matches!(
            self.phase,
            ActionPhase::Succeeded | ActionPhase::Failed | ActionPhase::Cancelled
        )
    }

    pub fn progressed(&mut self, progress: &Progress) {
        self.push(progress.line());
    }

    /// The executor's answer: done (with how long it took) or why not.
    pub fn finish(&mut self, result: Result<Outcome, ActionError>) {
        match result {
            Ok(o) if o.ok => {
                self.phase = ActionPhase::Succeeded;
                self.push(format!(
                    "done in {:.1}s: {}",
                    o.duration.as_secs_f64(),
                    o.summary
                ));
            }
            Ok(o) => {
                self.phase = ActionPhase::Failed;
                self.push(format!(
                    "failed after {:.1}s: {}",
                    o.duration.as_secs_f64(),
                    o.summary
                ));
            }
            Err(e) => {
                self.phase = ActionPhase::Failed;
                self.push(e.to_string());
            }
        }
    }

    /// The last thing it said (what a runbook step records of it).
    pub fn last_line(&self) -> String {
        self.lines.last().cloned().unwrap_or_default()
    }
}
