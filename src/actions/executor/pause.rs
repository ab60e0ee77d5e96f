//! A stop in the executor's path for crash tests: with `OPSDECK_PAUSE_AFTER=STEP` (intent,
//! sent, verified), the executor halts for good after that step, so a test can kill the
//! process exactly there and check what the audit log and the next start say.

use std::sync::OnceLock;

/// Where an action can be halted for a crash test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// The audit intent line is on disk; nothing has been sent.
    Intent,
    /// The request was answered; its result line is not written yet.
    Sent,
    /// The verification ended; its line is not written yet.
    Verified,
}

impl Step {
    fn name(self) -> &'static str {
        match self {
            Step::Intent => "intent",
            Step::Sent => "sent",
            Step::Verified => "verified",
        }
    }
}

fn configured() -> Option<&'static str> {
    static AT: OnceLock<Option<String>> = OnceLock::new();
    AT.get_or_init(|| std::env::var("OPSDECK_PAUSE_AFTER").ok())
        .as_deref()
}

/// Never returns when the environment asks to halt after `step`.
pub async fn after(step: Step) {
    if configured() == Some(step.name()) {
        eprintln!(
            "opsdeck: halted after {} (OPSDECK_PAUSE_AFTER, for crash tests)",
            step.name()
        );
        std::future::pending::<()>().await;
    }
}
