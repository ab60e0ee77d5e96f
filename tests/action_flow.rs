//! The console's action flow as a reducer: command -> plan request -> confirmation -> execute,
//! with no mutation ever following a single key press.

mod common;

use std::time::Duration;

use common::*;
use crossterm::event::KeyCode;
use opsdeck::actions::panel::ActionPhase;
use opsdeck::actions::plan::{Change, Permission, Plan, PlannedCall};
use opsdeck::actions::verbs::cordon::Cordon;
use opsdeck::actions::verbs::restart::Restart;
use opsdeck::actions::verbs::rollback::Rollback;
use opsdeck::actions::verbs::scale::Scale;
use opsdeck::actions::verbs::uncordon::Uncordon;
use opsdeck::actions::{ActionError, Outcome, Progress};
use opsdeck::actions::{ActionRequest, WorkloadRef};
use opsdeck::core::msg::{Effect, Msg};
use opsdeck::core::state::{Mode, State};
use opsdeck::k8s::WorkloadKind;

fn api() -> WorkloadRef {
    WorkloadRef {
        kind: WorkloadKind::Deployment,
        namespace: "contentgen".into(),
        name: "api".into(),
    }
}

fn plan(request: ActionRequest, destructive: bool) -> Box<Plan> {
    Box::new(Plan {
        context: "opsdeck-sim".into(),
        id: "p1".into(),
        request,
        target: "deployment contentgen/api".into(),
        changes: vec![Change {
            what: "revision".into(),
            before: "7".into(),
            after: "6".into(),
        }],
        calls: vec![PlannedCall {
            api: opsdeck::actions::plan::Api::Kubernetes,
            method: "PATCH".into(),
            path: "/apis/apps/v1/namespaces/contentgen/deployments/api".into(),
            content_type: "application/json-patch+json".into(),
            body: "[{\"op\":\"replace\",\"path\":\"/spec/template\"}]".into(),
        }],
        warnings: vec!["3 pods will be replaced".into()],
        destructive,
        confirm_phrase: if destructive {
            "api".into()
        } else {
            "y".into()
        },
        precondition: Some(opsdeck::actions::plan::Precondition {
            path: "/apis/apps/v1/namespaces/contentgen/deployments/api".into(),
            resource_version: "1234".into(),
        }),
        permission: Permission {
            allowed: true,
            reason: "RBAC allows patch".into(),
            checks: vec![],
        },
        dry_run: Some("accepted by the server".into()),
        noop: None,
        lock: None,
        runbook: None,
    })
}

fn command(state: &mut State, line: &str) -> Vec<Effect> {
    let mut msgs = vec![key(':')];
    msgs.extend(typed(line));
    keys(state, msgs)
}

#[test]
fn a_command_asks_for_a_plan_and_nothing_else() {
    let mut state = platform();
    let effects = command(&mut state, "scale article-generator 8");
    let workload = WorkloadRef {
        name: "article-generator".into(),
        ..api()
    };
    assert_eq!(
        effects,
        vec![Effect::PlanAction {
            request: ActionRequest::Scale(Scale {
                workload,
                replicas: 8
            }),
            context: "opsdeck-sim".into(),
        }]
    );
    assert_eq!(
        state.action.as_ref().map(|a| a.phase),
        Some(ActionPhase::Planning)
    );
}

#[test]
fn bad_arguments_say_what_is_wrong() {
    let mut state = platform();
    let effects = command(&mut state, "scale api lots");
    assert!(effects.is_empty());
    assert!(
        state
            .flash
            .as_deref()
            .is_some_and(|f| f.contains("replica count")),
        "{:?}",
        state.flash
    );
}

#[test]
fn reversible_plans_need_y_and_enter_and_esc_only_cancels() {
    let mut state = platform();
    command(&mut state, "restart api");
    let request = ActionRequest::Restart(Restart { workload: api() });
    feed(
        &mut state,
        vec![Msg::ActionPlanned(Ok(plan(request.clone(), false)))],
    );
    assert!(matches!(state.mode, Mode::Confirm { .. }));

    // A lone key never acts; a wrong phrase is refused.
    assert!(keys(&mut state, vec![key('y')]).is_empty());
    assert!(matches!(state.mode, Mode::Confirm { .. }));
    assert!(
        keys(&mut state, vec![key('y'), code(KeyCode::Enter)]).is_empty(),
        "'yy' is not 'y'"
    );
    assert!(matches!(state.mode, Mode::Confirm { .. }));

    // Esc, as a split escape sequence over slow SSH would send, cancels.
    assert!(keys(&mut state, vec![code(KeyCode::Esc), key('['), key('A')]).is_empty());
    assert!(matches!(state.mode, Mode::Normal));
    assert_eq!(
        state.action.as_ref().map(|a| a.phase),
        Some(ActionPhase::Cancelled)
    );

    // Again, properly confirmed this time.
    command(&mut state, "restart api");
    feed(
        &mut state,
        vec![Msg::ActionPlanned(Ok(plan(request, false)))],
    );
    let effects = keys(&mut state, vec![key('y'), code(KeyCode::Enter)]);
    assert!(
        matches!(effects.as_slice(), [Effect::ExecuteAction { confirmation, .. }] if confirmation == "y")
    );
    assert_eq!(
        state.action.as_ref().map(|a| a.phase),
        Some(ActionPhase::Running)
    );
}

#[test]
fn destructive_plans_need_the_target_name() {
    let mut state = platform();
    command(&mut state, "rollback api");
    let request = ActionRequest::Rollback(Rollback {
        workload: api(),
        to_revision: None,
    });
    feed(
        &mut state,
        vec![Msg::ActionPlanned(Ok(plan(request, true)))],
    );
    assert!(keys(&mut state, vec![key('y'), code(KeyCode::Enter)]).is_empty());
    assert!(
        state
            .flash
            .as_deref()
            .is_some_and(|f| f.contains("\"api\""))
    );
    // Clear the wrong text, then type the name.
    let mut msgs = vec![code(KeyCode::Backspace)];
    msgs.extend(typed("api"));
    let effects = keys(&mut state, msgs);
    assert!(
        matches!(effects.as_slice(), [Effect::ExecuteAction { confirmation, .. }] if confirmation == "api")
    );
}

#[test]
fn progress_and_result_fill_the_panel_until_dismissed() {
    let mut state = platform();
    command(&mut state, "restart api");
    feed(
        &mut state,
        vec![Msg::ActionPlanned(Ok(plan(
            ActionRequest::Restart(Restart { workload: api() }),
            false,
        )))],
    );
    keys(&mut state, vec![key('y'), code(KeyCode::Enter)]);
    feed(
        &mut state,
        vec![
            Msg::ActionProgressed(Progress::Requested { status: 200 }),
            Msg::ActionProgressed(Progress::Rollout {
                updated: 2,
                ready: 1,
                available: 1,
                desired: 3,
            }),
            Msg::ActionFinished(Ok(Outcome {
                ok: true,
                summary: "rollout complete: 3/3 ready".into(),
                duration: Duration::from_millis(4200),
            })),
        ],
    );
    let panel = state.action.clone().expect("panel");
    assert_eq!(panel.phase, ActionPhase::Succeeded);
    assert!(
        panel
            .lines
            .iter()
            .any(|l| l == "updated 2/3, ready 1/3, available 1/3")
    );
    assert_eq!(
        panel.lines.last().map(String::as_str),
        Some("done in 4.2s: rollout complete: 3/3 ready")
    );
    keys(&mut state, vec![code(KeyCode::Esc)]);
    assert!(
        state.action.is_none(),
        "esc dismisses a finished action first"
    );
}

#[test]
fn a_refused_plan_is_shown_and_never_confirmed() {
    let mut state = platform();
    command(&mut state, "scale api 0");
    let denied = "deployments.apps \"api\" is forbidden: User \"viewer\" cannot patch resource \"deployments/scale\"";
    feed(
        &mut state,
        vec![Msg::ActionPlanned(Err(ActionError::Forbidden(
            denied.into(),
        )))],
    );
    assert!(matches!(state.mode, Mode::Normal));
    let panel = state.action.clone().expect("panel");
    assert_eq!(panel.phase, ActionPhase::Failed);
    assert!(
        panel
            .lines
            .iter()
            .any(|l| l.contains("User \"viewer\" cannot patch"))
    );
}

/// Read-only is the executor's to refuse (once, in one wording, before it asks the cluster
/// anything: tests/actions.rs); the console shows its refusal and never offers a confirmation.
#[test]
fn a_readonly_refusal_is_shown_in_the_executors_words() {
    let mut state = platform();
    state.connection.readonly = true;
    let effects = command(&mut state, "restart api");
    assert!(matches!(effects.as_slice(), [Effect::PlanAction { .. }]));
    let refusal = ActionError::readonly("opsdeck-sim", "restart");
    feed(&mut state, vec![Msg::ActionPlanned(Err(refusal))]);
    let panel = state.action.clone().expect("panel");
    assert_eq!(panel.phase, ActionPhase::Failed);
    assert!(matches!(state.mode, Mode::Normal), "nothing to confirm");
    assert_eq!(
        panel.lines.last().map(String::as_str),
        Some(
            "read-only: context \"opsdeck-sim\" is read-only (--readonly or readonly = true in the config): restart refused"
        )
    );
}

#[test]
fn r_types_the_restart_for_the_selected_workload_and_waits() {
    let mut state = platform();
    let effects = keys(&mut state, vec![key('r')]);
    assert!(effects.is_empty());
    match &state.mode {
        Mode::Command(input) => assert_eq!(
            input.lines().join(""),
            "restart deploy/contentgen/fact-checker"
        ),
        other => panic!("expected the command line, got {other:?}"),
    }
    let effects = keys(&mut state, vec![code(KeyCode::Enter)]);
    assert!(matches!(
        effects.as_slice(),
        [Effect::PlanAction {
            request: ActionRequest::Restart(_),
            ..
        }]
    ));
}

#[test]
fn cordon_is_an_action_verb() {
    let mut state = platform();
    let effects = command(&mut state, "cordon pool-general-3");
    assert_eq!(
        effects,
        vec![Effect::PlanAction {
            request: ActionRequest::Cordon(Cordon {
                node: "pool-general-3".into()
            }),
            context: "opsdeck-sim".into(),
        }]
    );
    let mut state = platform();
    let effects = command(&mut state, "uncordon pool-general-3");
    assert_eq!(
        effects,
        vec![Effect::PlanAction {
            request: ActionRequest::Uncordon(Uncordon {
                node: "pool-general-3".into()
            }),
            context: "opsdeck-sim".into(),
        }]
    );
}

#[test]
fn c_types_the_cordon_for_the_selected_node_and_waits() {
    let mut state = platform();
    // Not on a workload: c names what it wants and opens nothing.
    assert!(keys(&mut state, vec![key('c')]).is_empty());
    assert!(!matches!(state.mode, Mode::Command(_)));
    let effects = keys(&mut state, vec![key('3'), key('c')]);
    assert!(effects.is_empty(), "a key press alone never plans");
    match &state.mode {
        Mode::Command(input) => assert_eq!(input.lines().join(""), "cordon pool-general-1"),
        other => panic!("expected the command line, got {other:?}"),
    }
    let effects = keys(&mut state, vec![code(KeyCode::Enter)]);
    assert_eq!(
        effects,
        vec![Effect::PlanAction {
            request: ActionRequest::Cordon(Cordon {
                node: "pool-general-1".into()
            }),
            context: "opsdeck-sim".into(),
        }]
    );
}

#[test]
fn an_action_during_an_incident_goes_on_its_timeline_with_plan_outcome_and_audit_id() {
    let mut state = platform();
    command(&mut state, "incident start api 5xx");
    command(&mut state, "rollback api");
    let request = ActionRequest::Rollback(Rollback {
        workload: api(),
        to_revision: None,
    });
    feed(
        &mut state,
        vec![Msg::ActionPlanned(Ok(plan(request, true)))],
    );
    keys(&mut state, typed("api"));
    let effects = feed(
        &mut state,
        vec![Msg::ActionFinished(Ok(Outcome {
            ok: true,
            summary: "deployment \"api\" successfully rolled out".into(),
            duration: Duration::from_secs(12),
        }))],
    );
    let entries = match effects.as_slice() {
        [Effect::RecordIncident { entries, .. }] => entries,
        other => panic!("{other:?}"),
    };
    let e = &entries[0];
    assert_eq!(e.kind, opsdeck::incident::Kind::Action);
    assert_eq!(
        e.text,
        "rollback api: deployment \"api\" successfully rolled out"
    );
    assert_eq!(e.data["audit_id"], "p1");
    assert_eq!(
        e.data["plan"],
        "deployment contentgen/api (revision 7 -> 6)"
    );
    // Without an incident, an action writes no entry.
    let mut state = platform();
    command(&mut state, "restart api");
    feed(
        &mut state,
        vec![Msg::ActionPlanned(Ok(plan(
            ActionRequest::Restart(Restart { workload: api() }),
            false,
        )))],
    );
    keys(&mut state, vec![key('y'), code(KeyCode::Enter)]);
    let effects = feed(
        &mut state,
        vec![Msg::ActionFinished(Ok(Outcome {
            ok: true,
            summary: "done".into(),
            duration: Duration::from_secs(1),
        }))],
    );
    assert!(effects.is_empty(), "{effects:?}");
}
