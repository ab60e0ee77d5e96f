//! What an action reports: its errors, its progress while it runs, and its outcome. Below the
//! executor and the verbs, so neither imports the other for them.

use std::time::Duration;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ActionError {
    #[error("read-only: {0}")]
    Readonly(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("conflict: {message}; {current}")]
    Conflict { message: String, current: String },
    #[error("refused: {0}")]
    Refused(String),
    #[error("invalid: {0}")]
    Invalid(String),
    #[error("API error: {0}")]
    Api(String),
    #[error("verification failed: {0}")]
    Verify(String),
    /// The audit log could not take the line (its words name the log): nothing was sent.
    #[error("{0}; nothing was sent")]
    Audit(String),
    #[error("not confirmed: {0}")]
    Confirmation(String),
}

impl ActionError {
    /// Waiting cannot fix it (a typo, a missing config section, a permission): a runbook's
    /// wait-until fails at once instead of waiting out its timeout.
    pub fn is_permanent(&self) -> bool {
        matches!(
            self,
            ActionError::Invalid(_)
                | ActionError::NotFound(_)
                | ActionError::Forbidden(_)
                | ActionError::Readonly(_)
                | ActionError::Refused(_)
        )
    }

    /// The one refusal of a read-only context, wherever it is met.
    pub fn readonly(context: &str, what: &str) -> ActionError {
        ActionError::Readonly(format!(
            "context {context:?} is read-only (--readonly or readonly = true in the config): {what} refused"
        ))
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Progress {
    Requested {
        status: u16,
    },
    Rollout {
        updated: i32,
        ready: i32,
        available: i32,
        desired: i32,
    },
    Message(String),
}

impl Progress {
    /// One line, as the action panel and the headless runner print it.
    pub fn line(&self) -> String {
        match self {
            Progress::Requested { status } => format!("request accepted (HTTP {status})"),
            Progress::Rollout {
                updated,
                ready,
                available,
                desired,
            } => format!(
                "updated {updated}/{desired}, ready {ready}/{desired}, available {available}/{desired}"
            ),
            Progress::Message(m) => m.clone(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub ok: bool,
    pub summary: String,
    pub duration: Duration,
}
