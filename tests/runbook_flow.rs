//! Walking a runbook in the console, as a reducer: each step waits for Enter; actions take the
//! same plan / confirm / execute path as typed commands; checks and waits go to the executor.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use common::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use opsdeck::actions::Outcome;
use opsdeck::actions::plan::{Permission, Plan};
use opsdeck::actions::runbook::Runbook;
use opsdeck::actions::runbook::walk::WalkPhase;
use opsdeck::actions::verbs::rollback::Rollback;
use opsdeck::actions::{ActionRequest, WorkloadRef};
use opsdeck::core::msg::{Effect, Msg};
use opsdeck::core::state::{Mode, State};
use opsdeck::k8s::WorkloadKind;

fn runbook(name: &str) -> Box<Runbook> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("runbooks")
        .join(format!("{name}.toml"));
    Box::new(Runbook::load(&path).expect("shipped runbook loads"))
}

fn start(state: &mut State, line: &str, params: &[(&str, &str)]) -> Vec<Effect> {
    let mut msgs = vec![key(':')];
    msgs.extend(typed(line));
    let effects = keys(state, msgs);
    let params: BTreeMap<String, String> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let name = line.split_whitespace().nth(1).expect("name").to_string();
    feed(
        state,
        vec![Msg::RunbookLoaded(Ok((runbook(&name), params)))],
    );
    effects
}

fn enter(state: &mut State) -> Vec<Effect> {
    keys(state, vec![code(KeyCode::Enter)])
}

/// What the walk has said so far.
fn walk_log(state: &State) -> Vec<String> {
    state
        .runbook
        .as_ref()
        .map(|w| w.log.clone())
        .unwrap_or_default()
}

fn phase(state: &State) -> Option<(usize, WalkPhase)> {
    state.runbook.as_ref().map(|w| (w.step, w.phase))
}

fn rollback_plan() -> Box<Plan> {
    let workload = WorkloadRef {
        kind: WorkloadKind::Deployment,
        namespace: "contentgen".into(),
        name: "api".into(),
    };
    Box::new(Plan {
        context: "opsdeck-sim".into(),
        id: "p".into(),
        request: ActionRequest::Rollback(Rollback {
            workload,
            to_revision: None,
        }),
        target: "deployment contentgen/api".into(),
        changes: vec![],
        calls: vec![],
        warnings: vec![],
        destructive: true,
        confirm_phrase: "api".into(),
        precondition: None,
        permission: Permission {
            allowed: true,
            reason: "allowed".into(),
            checks: vec![],
        },
        dry_run: None,
        noop: None,
        lock: None,
        runbook: None,
    })
}

#[test]
fn the_bad_rollout_runbook_walks_step_by_step() {
    let mut state = platform();
    let effects = start(&mut state, "runbook bad-rollout", &[]);
    assert_eq!(
        effects,
        vec![Effect::LoadRunbook {
            name: "bad-rollout".into(),
            params: BTreeMap::new()
        }]
    );
    assert!(matches!(state.mode, Mode::Runbook));
    assert_eq!(phase(&state), Some((0, WalkPhase::Ready)));

    // 1. observe: read and said; whatever it finds, the walk goes on.
    assert_eq!(
        enter(&mut state),
        vec![Effect::EvaluateCondition {
            context: "opsdeck-sim".into(),
            condition: "alert-firing ApiHighErrorRate".into(),
            namespace: "contentgen".into(),
            wait: None,
        }]
    );
    feed(
        &mut state,
        vec![Msg::ConditionEvaluated(Ok((
            false,
            "ApiHighErrorRate: none firing".into(),
        )))],
    );
    assert_eq!(phase(&state), Some((1, WalkPhase::Ready)));

    // 2. manual: Enter acknowledges it.
    assert!(enter(&mut state).is_empty());
    assert_eq!(phase(&state), Some((2, WalkPhase::Ready)));

    // 3. action: planned like `:rollback api`, confirmed by typing the name.
    let effects = enter(&mut state);
    let workload = WorkloadRef {
        kind: WorkloadKind::Deployment,
        namespace: "contentgen".into(),
        name: "api".into(),
    };
    assert_eq!(
        effects,
        vec![Effect::PlanAction {
            request: ActionRequest::Rollback(Rollback {
                workload,
                to_revision: None
            }),
            context: "opsdeck-sim".into(),
        }]
    );
    feed(&mut state, vec![Msg::ActionPlanned(Ok(rollback_plan()))]);
    // The plan names the runbook it comes from (its action lock says so).
    assert!(
        matches!(&state.mode, Mode::Confirm { plan, .. } if plan.runbook.as_deref() == Some("bad-rollout"))
    );
    let effects = keys(&mut state, typed("api"));
    assert!(matches!(effects.as_slice(), [Effect::ExecuteAction { .. }]));
    assert_eq!(phase(&state), Some((2, WalkPhase::Acting)));
    feed(
        &mut state,
        vec![Msg::ActionFinished(Ok(Outcome {
            ok: true,
            summary: "rolled back".into(),
            duration: Duration::from_secs(3),
        }))],
    );
    assert_eq!(phase(&state), Some((3, WalkPhase::Ready)));
    assert!(matches!(state.mode, Mode::Runbook));

    // 4. wait-until: the executor polls, up to the step's timeout.
    let effects = enter(&mut state);
    assert_eq!(
        effects,
        vec![Effect::EvaluateCondition {
            context: "opsdeck-sim".into(),
            condition: "rollout-complete api".into(),
            namespace: "contentgen".into(),
            wait: Some(Duration::from_secs(300)),
        }]
    );
    feed(
        &mut state,
        vec![Msg::ConditionEvaluated(Ok((
            true,
            "rollout complete".into(),
        )))],
    );

    // 5. check: fails -> the walk stops there.
    let effects = enter(&mut state);
    assert!(matches!(
        effects.as_slice(),
        [Effect::EvaluateCondition { wait: None, .. }]
    ));
    feed(
        &mut state,
        vec![Msg::ConditionEvaluated(Ok((
            false,
            "1/3 pods ready".into(),
        )))],
    );
    assert_eq!(phase(&state), Some((4, WalkPhase::Failed)));
    assert!(
        enter(&mut state).is_empty(),
        "a failed walk runs nothing more"
    );
    let log = walk_log(&state);
    assert_eq!(
        log.last().map(String::as_str),
        Some("[5/7] check pods-ready api: FAILED (1/3 pods ready)")
    );

    // Esc closes it.
    keys(&mut state, vec![code(KeyCode::Esc)]);
    assert!(state.runbook.is_none());
    assert!(matches!(state.mode, Mode::Normal));
}

/// bad-rollout's first step: whether the page fires, read and said.
fn past_the_observation(state: &mut opsdeck::core::state::State) {
    enter(state);
    feed(
        state,
        vec![Msg::ConditionEvaluated(Ok((true, "firing".into())))],
    );
    assert_eq!(phase(state), Some((1, WalkPhase::Ready)));
}

#[test]
fn a_cancelled_confirmation_fails_the_step() {
    let mut state = platform();
    start(&mut state, "runbook bad-rollout", &[]);
    past_the_observation(&mut state);
    enter(&mut state);
    enter(&mut state);
    feed(&mut state, vec![Msg::ActionPlanned(Ok(rollback_plan()))]);
    keys(&mut state, vec![code(KeyCode::Esc)]);
    assert_eq!(phase(&state), Some((2, WalkPhase::Failed)));
    assert!(matches!(state.mode, Mode::Runbook));
}

#[test]
fn missing_parameters_are_named() {
    let mut state = platform();
    start(&mut state, "runbook pipeline-stuck", &[]);
    assert!(state.runbook.is_none());
    assert!(
        state
            .flash
            .as_deref()
            .is_some_and(|f| f.contains("\"pipeline\"")),
        "{:?}",
        state.flash
    );
}

#[test]
fn parameters_fill_the_steps() {
    let mut state = platform();
    let effects = start(
        &mut state,
        "runbook pipeline-stuck pipeline=run-7",
        &[("pipeline", "run-7")],
    );
    assert!(
        matches!(&effects[..], [Effect::LoadRunbook { params, .. }] if params.get("pipeline").map(String::as_str) == Some("run-7"))
    );
    let walk = state.runbook.clone().expect("walking");
    let texts: Vec<String> = walk
        .runbook
        .steps
        .iter()
        .map(|s| walk.text(&s.kind))
        .collect();
    assert!(
        texts.iter().any(|t| t == "retry-pipeline run-7"),
        "{texts:?}"
    );
}

#[test]
fn steps_the_config_cannot_read_are_said_before_the_first_step_and_not_after() {
    let mut state = platform();
    start(&mut state, "runbook queue-backlog", &[]);
    let unreadable = "step 4 (line 34): queue-below articles 20: no queue \"articles\" in the config (known: none)";
    feed(
        &mut state,
        vec![Msg::RunbookUnreadable(vec![unreadable.into()])],
    );
    let log = walk_log(&state);
    assert_eq!(
        log,
        vec![format!("warning: {unreadable}: the walk will stop there")],
        "said before anything runs"
    );
    assert_eq!(
        phase(&state),
        Some((0, WalkPhase::Ready)),
        "and the walk waits for Enter"
    );

    // Once a step has run, a late word changes nothing.
    enter(&mut state);
    let before = walk_log(&state);
    feed(
        &mut state,
        vec![Msg::RunbookUnreadable(vec![unreadable.into()])],
    );
    assert_eq!(walk_log(&state), before);
}

#[test]
fn esc_stops_a_walk_between_steps() {
    let mut state = platform();
    start(&mut state, "runbook bad-rollout", &[]);
    keys(&mut state, vec![code(KeyCode::Esc)]);
    assert_eq!(phase(&state), Some((0, WalkPhase::Stopped)));
}

#[test]
fn ctrl_c_quits_from_the_runbook_dialog_and_its_confirmation() {
    let ctrl_c = || Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    let mut state = platform();
    start(&mut state, "runbook bad-rollout", &[]);
    assert!(matches!(state.mode, Mode::Runbook));
    assert_eq!(keys(&mut state, vec![ctrl_c()]), vec![Effect::Quit]);

    past_the_observation(&mut state);
    enter(&mut state);
    enter(&mut state);
    feed(&mut state, vec![Msg::ActionPlanned(Ok(rollback_plan()))]);
    assert!(matches!(state.mode, Mode::Confirm { .. }));
    assert_eq!(keys(&mut state, vec![ctrl_c()]), vec![Effect::Quit]);
}

#[test]
fn a_runbook_walked_during_an_incident_puts_its_steps_on_the_timeline() {
    let mut state = platform();
    let mut msgs = vec![key(':')];
    msgs.extend(typed("incident start fact-checker crashloops"));
    keys(&mut state, msgs);
    let recorded = |effects: &[Effect]| -> Vec<String> {
        effects
            .iter()
            .flat_map(|e| match e {
                Effect::RecordIncident { entries, .. } => entries
                    .iter()
                    .filter(|e| e.kind == opsdeck::incident::Kind::RunbookStep)
                    .map(|e| e.text.clone())
                    .collect(),
                _ => vec![],
            })
            .collect()
    };
    start(&mut state, "runbook crashloop", &[]);
    let mut lines = recorded(&enter(&mut state));
    lines.extend(recorded(&feed(
        &mut state,
        vec![Msg::ConditionEvaluated(Ok((
            true,
            "fact-checker-x: OOMKilled (exit 137) 40s ago".into(),
        )))],
    )));
    assert!(
        lines.iter().any(|l| l.contains("OOMKilled (exit 137)")),
        "{lines:?}"
    );
    let timeline = &state.panes.incident.incident.as_ref().unwrap().entries;
    assert!(
        timeline
            .iter()
            .any(|e| e.kind == opsdeck::incident::Kind::RunbookStep)
    );
}
