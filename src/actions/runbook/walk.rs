//! The one runbook state machine, pure: inputs in, effects out, a log of what each step said.
//! The console drives it with Enter and its confirmation dialog; `opsdeck run` drives it with
//! `--yes`. Only who answers confirmations and manual steps differs: the steps, their order,
//! what a failure stops and what each line says are the same.

use std::collections::BTreeMap;
use std::time::Duration;

use super::{Runbook, Step, StepKind, substitute};

/// Who answers the walk's questions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Driver {
    /// An operator at the console: Enter runs each step, manual steps wait for them.
    Console,
    /// `opsdeck run`: steps run one after another; manual steps are shown, not awaited; a
    /// dry run plans actions without executing them and skips waits.
    Headless { dry_run: bool },
}

/// Where the walk stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WalkPhase {
    /// The current step waits to be run (Enter, or the headless runner at once).
    Ready,
    /// A check or wait-until is being evaluated.
    Evaluating,
    /// The step's action is being planned, confirmed or executed.
    Acting,
    Done,
    Failed,
    Stopped,
}

/// What moves a walk on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WalkInput {
    /// Run (or acknowledge) the current step.
    Proceed,
    /// A check or wait-until was evaluated: (holds, what was seen), or why it could not be.
    Evaluated(Result<(bool, String), String>),
    /// The current step's action ended: its last word on success, or why it failed.
    Acted(Result<String, String>),
    /// The operator stopped the walk (only between steps).
    Stop,
}

/// What the driver must do for the walk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WalkEffect {
    /// Evaluate a condition once, or poll it until it holds or `wait` passes.
    Evaluate {
        condition: String,
        namespace: String,
        wait: Option<Duration>,
    },
    /// Plan this action line, have it confirmed, execute it (a dry run only plans it).
    Act { line: String, namespace: String },
}

/// Why a walk failed: the step (1-based), its line in the file, and what went wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub step: usize,
    pub line: usize,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Walk {
    pub runbook: Runbook,
    pub values: BTreeMap<String, String>,
    pub driver: Driver,
    /// Index of the current step.
    pub step: usize,
    pub phase: WalkPhase,
    /// What happened, one line each, "[2/5] ..." (the console shows it, `run` prints it).
    pub log: Vec<String>,
    pub failure: Option<Failure>,
}

impl Walk {
    /// A walk at its first step, with the parameters checked against the runbook's.
    pub fn start(
        runbook: Runbook,
        params: &BTreeMap<String, String>,
        driver: Driver,
    ) -> Result<Walk, String> {
        let values = runbook.values(params)?;
        Ok(Walk {
            runbook,
            values,
            driver,
            step: 0,
            phase: WalkPhase::Ready,
            log: vec![],
            failure: None,
        })
    }

    pub fn finished(&self) -> bool {
        matches!(
            self.phase,
            WalkPhase::Done | WalkPhase::Failed | WalkPhase::Stopped
        )
    }

    /// Whether any step changes anything (a read-only context refuses such a runbook).
    pub fn has_actions(&self) -> bool {
        self.runbook
            .steps
            .iter()
            .any(|s| matches!(s.kind, StepKind::Action(_)))
    }

    /// The conditions that stop the walk when they fail (checks and waits, not observations):
    /// the 1-based step, its line in the file and the condition with the parameters filled in.
    pub fn stopping_conditions(&self) -> Vec<(usize, usize, String)> {
        (self.runbook.steps.iter().enumerate())
            .filter(|(_, s)| matches!(s.kind, StepKind::Check(_) | StepKind::WaitUntil { .. }))
            .map(|(i, s)| (i + 1, s.line, self.text(&s.kind)))
            .collect()
    }

    fn dry_run(&self) -> bool {
        self.driver == Driver::Headless { dry_run: true }
    }

    /// A step's text with the parameters filled in.
    pub fn text(&self, kind: &StepKind) -> String {
        let raw = match kind {
            StepKind::Note(t)
            | StepKind::Manual(t)
            | StepKind::Check(t)
            | StepKind::Observe(t)
            | StepKind::Action(t) => t,
            StepKind::WaitUntil { condition, .. } => condition,
        };
        substitute(raw, &self.values).unwrap_or_else(|e| format!("{raw} ({e})"))
    }

    fn current(&self) -> Option<&Step> {
        self.runbook.steps.get(self.step)
    }

    /// "[2/5] " for the current step.
    fn tag(&self) -> String {
        format!("[{}/{}] ", self.step + 1, self.runbook.steps.len())
    }

    /// A warning before the walk starts, untagged.
    pub fn warn(&mut self, line: &str) {
        self.log.push(format!("warning: {line}"));
    }

    fn say(&mut self, line: impl AsRef<str>) {
        let tagged = format!("{}{}", self.tag(), line.as_ref());
        self.log.push(tagged);
    }

    pub fn handle(&mut self, input: WalkInput) -> Vec<WalkEffect> {
        match input {
            WalkInput::Proceed if self.phase == WalkPhase::Ready => self.run_step(),
            WalkInput::Evaluated(result) if self.phase == WalkPhase::Evaluating => {
                self.evaluated(result);
                vec![]
            }
            WalkInput::Acted(result) if self.phase == WalkPhase::Acting => {
                match result {
                    Ok(said) => self.advance(said),
                    Err(why) => self.fail(why),
                }
                vec![]
            }
            WalkInput::Stop if self.phase == WalkPhase::Ready => {
                self.say("stopped by the operator before this step");
                self.phase = WalkPhase::Stopped;
                vec![]
            }
            // Anything else arrives out of turn (a late answer, Enter while waiting): ignored.
            _ => vec![],
        }
    }

    fn run_step(&mut self) -> Vec<WalkEffect> {
        let Some(step) = self.current().cloned() else {
            self.phase = WalkPhase::Done;
            return vec![];
        };
        if let Some(title) = &step.title {
            self.say(title);
        }
        let text = self.text(&step.kind);
        let namespace = self.runbook.namespace.clone();
        match step.kind {
            StepKind::Note(_) => {
                self.advance(format!("note: {text}"));
                vec![]
            }
            StepKind::Manual(_) => {
                let how = match self.driver {
                    Driver::Console => "acknowledged",
                    Driver::Headless { .. } => "headless: shown, not awaited",
                };
                self.advance(format!("manual: {text} ({how})"));
                vec![]
            }
            StepKind::Check(_) | StepKind::Observe(_) => {
                self.phase = WalkPhase::Evaluating;
                vec![WalkEffect::Evaluate {
                    condition: text,
                    namespace,
                    wait: None,
                }]
            }
            StepKind::WaitUntil { timeout, .. } if self.dry_run() => {
                self.advance(format!(
                    "wait until {text} (up to {}s): skipped in a dry run",
                    timeout.as_secs()
                ));
                vec![]
            }
            StepKind::WaitUntil { timeout, .. } => {
                self.phase = WalkPhase::Evaluating;
                self.say(format!(
                    "waiting until {text} (up to {}s)",
                    timeout.as_secs()
                ));
                vec![WalkEffect::Evaluate {
                    condition: text,
                    namespace,
                    wait: Some(timeout),
                }]
            }
            StepKind::Action(_) => {
                self.phase = WalkPhase::Acting;
                self.say(format!("action: {text}"));
                vec![WalkEffect::Act {
                    line: text,
                    namespace,
                }]
            }
        }
    }

    fn evaluated(&mut self, result: Result<(bool, String), String>) {
        let Some(step) = self.current().cloned() else {
            return;
        };
        let text = self.text(&step.kind);
        match (&step.kind, result) {
            (StepKind::Check(_), Ok((true, seen))) => {
                self.advance(format!("check {text}: ok ({seen})"))
            }
            (StepKind::Check(_), Ok((false, seen))) => {
                self.say(format!("check {text}: FAILED ({seen})"));
                self.failed(format!("check {text} does not hold: {seen}"));
            }
            // An observation is said whatever it finds; the runbook goes on.
            (StepKind::Observe(_), Ok((holds, seen))) => {
                let word = if holds { "yes" } else { "no" };
                self.advance(format!("observe {text}: {word} ({seen})"))
            }
            (StepKind::Observe(_), Err(why)) => {
                self.advance(format!("observe {text}: cannot tell ({why})"))
            }
            (_, Ok((true, seen))) => self.advance(format!("ok: {seen}")),
            (_, Ok((false, seen))) => self.fail(seen),
            (_, Err(why)) => self.fail(why),
        }
    }

    fn advance(&mut self, line: String) {
        self.say(line);
        self.step += 1;
        self.phase = if self.step >= self.runbook.steps.len() {
            WalkPhase::Done
        } else {
            WalkPhase::Ready
        };
    }

    fn fail(&mut self, why: String) {
        self.say(format!("FAILED: {why}"));
        self.failed(why);
    }

    /// The walk stops at the current step, for `why`.
    fn failed(&mut self, why: String) {
        self.failure = Some(Failure {
            step: self.step + 1,
            line: self.current().map_or(0, |s| s.line),
            message: why,
        });
        self.phase = WalkPhase::Failed;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUNBOOK: &str = r#"
name = "t"
namespace = "contentgen"
[[param]]
name = "w"
default = "api"
[[step]]
manual = "look at {{w}}"
[[step]]
title = "Roll back"
action = "rollback {{w}}"
[[step]]
wait-until = "rollout-complete {{w}}"
timeout = "2m"
[[step]]
check = "pods-ready {{w}}"
"#;

    fn walk(driver: Driver) -> Walk {
        let rb = Runbook::parse(RUNBOOK, "t.toml").expect("parses");
        Walk::start(rb, &BTreeMap::new(), driver).expect("starts")
    }

    #[test]
    fn steps_run_in_order_and_a_failed_check_stops_the_walk() {
        let mut w = walk(Driver::Console);
        assert!(w.handle(WalkInput::Proceed).is_empty());
        assert_eq!(w.log, ["[1/4] manual: look at api (acknowledged)"]);
        let act = w.handle(WalkInput::Proceed);
        assert_eq!(
            act,
            [WalkEffect::Act {
                line: "rollback api".into(),
                namespace: "contentgen".into()
            }]
        );
        assert!(
            w.handle(WalkInput::Proceed).is_empty(),
            "Enter while acting does nothing"
        );
        w.handle(WalkInput::Acted(Ok("done in 3.0s: rolled back".into())));
        let wait = w.handle(WalkInput::Proceed);
        assert!(matches!(
            wait.as_slice(),
            [WalkEffect::Evaluate { wait: Some(d), .. }] if *d == Duration::from_secs(120)
        ));
        w.handle(WalkInput::Evaluated(Ok((true, "complete".into()))));
        w.handle(WalkInput::Proceed);
        w.handle(WalkInput::Evaluated(Ok((false, "1/3 pods ready".into()))));
        assert_eq!(w.phase, WalkPhase::Failed);
        assert_eq!(
            w.log.last().map(String::as_str),
            Some("[4/4] check pods-ready api: FAILED (1/3 pods ready)")
        );
        assert_eq!(
            w.failure.as_ref().map(|f| f.message.as_str()),
            Some("check pods-ready api does not hold: 1/3 pods ready")
        );
        assert_eq!(w.failure.as_ref().map(|f| (f.step, f.line)), Some((4, 15)));
        assert!(w.handle(WalkInput::Proceed).is_empty());
        assert_eq!(
            &w.log[1..4],
            [
                "[2/4] Roll back",
                "[2/4] action: rollback api",
                "[2/4] done in 3.0s: rolled back"
            ]
        );
    }

    #[test]
    fn an_observation_is_said_whatever_it_finds_and_the_walk_goes_on() {
        let text = "name = \"o\"\n[[step]]\nobserve = \"alert-firing BudgetExceeded\"\n\
                    [[step]]\nobserve = \"slo-ok api-availability\"\n[[step]]\nnote = \"end\"\n";
        let rb = Runbook::parse(text, "o.toml").expect("parses");
        let mut w =
            Walk::start(rb, &BTreeMap::new(), Driver::Headless { dry_run: false }).expect("starts");
        assert!(matches!(
            w.handle(WalkInput::Proceed).as_slice(),
            [WalkEffect::Evaluate { wait: None, .. }]
        ));
        w.handle(WalkInput::Evaluated(Ok((false, "none firing".into()))));
        w.handle(WalkInput::Proceed);
        w.handle(WalkInput::Evaluated(Err("no [prometheus] url".into())));
        w.handle(WalkInput::Proceed);
        assert_eq!(w.phase, WalkPhase::Done);
        assert_eq!(
            &w.log[..2],
            [
                "[1/3] observe alert-firing BudgetExceeded: no (none firing)",
                "[2/3] observe slo-ok api-availability: cannot tell (no [prometheus] url)"
            ]
        );
    }

    #[test]
    fn a_headless_dry_run_skips_waits_and_does_not_await_manual_steps() {
        let mut w = walk(Driver::Headless { dry_run: true });
        w.handle(WalkInput::Proceed);
        assert_eq!(
            w.log[0],
            "[1/4] manual: look at api (headless: shown, not awaited)"
        );
        w.handle(WalkInput::Proceed);
        w.handle(WalkInput::Acted(Ok("dry run: not executed".into())));
        assert!(w.handle(WalkInput::Proceed).is_empty());
        assert!(
            w.log
                .last()
                .is_some_and(|l| l.ends_with("skipped in a dry run"))
        );
        assert_eq!(w.phase, WalkPhase::Ready);
    }

    #[test]
    fn stop_only_between_steps_and_unknown_params_are_refused() {
        let mut w = walk(Driver::Console);
        w.handle(WalkInput::Proceed);
        w.handle(WalkInput::Proceed);
        w.handle(WalkInput::Stop);
        assert_eq!(w.phase, WalkPhase::Acting, "an action in flight is not cut");
        w.handle(WalkInput::Acted(Err("cancelled: nothing was sent".into())));
        assert_eq!(w.phase, WalkPhase::Failed);
        let rb = Runbook::parse(RUNBOOK, "t.toml").expect("parses");
        let given = BTreeMap::from([("x".to_string(), "1".to_string())]);
        assert!(Walk::start(rb, &given, Driver::Console).is_err());
    }
}
