//! A property of the console, over random key sequences, command lines and plan arrivals: the
//! only way to an execution is a plan asked for, made by the executor, shown, and confirmed with
//! exactly its phrase; each plan executes at most once. (The executor then re-checks all of it:
//! tests/executor_integrity.rs.)

mod common;

use common::*;
use crossterm::event::KeyCode;
use opsdeck::actions::ActionRequest;
use opsdeck::actions::plan::{Permission, Plan};
use opsdeck::core::msg::{Effect, Msg};
use proptest::prelude::*;

/// What an operator (or a slow network) can do next.
#[derive(Clone, Debug)]
enum Step {
    Char(char),
    Code(KeyCode),
    /// `:` and one of COMMANDS, typed out.
    Command(usize),
    /// The executor answers the last plan asked for (destructive: the phrase is the name).
    Planned {
        destructive: bool,
    },
}

const COMMANDS: [&str; 8] = [
    "restart api",
    "scale article-generator 8",
    "rollback api",
    "scale publisher 0",
    "cordon node-1",
    "pause-generation",
    "q",
    "pods",
];

fn steps() -> impl Strategy<Value = Vec<Step>> {
    let step = prop_oneof![
        4 => prop::sample::select(vec!['y', 'n', 'a', 'p', 'i', ':', 'r', 's', 'u', 'j', 'k', '1'])
            .prop_map(Step::Char),
        3 => prop::sample::select(vec![
            KeyCode::Enter,
            KeyCode::Esc,
            KeyCode::Tab,
            KeyCode::Backspace,
            KeyCode::Down,
        ])
        .prop_map(Step::Code),
        2 => (0..COMMANDS.len()).prop_map(Step::Command),
        2 => any::<bool>().prop_map(|destructive| Step::Planned { destructive }),
    ];
    prop::collection::vec(step, 1..60)
}

/// The plan the executor would send back for `request`.
fn plan_for(request: &ActionRequest, n: usize, destructive: bool) -> Box<Plan> {
    let verb = request.as_verb();
    Box::new(Plan {
        id: format!("plan-{n}"),
        context: "opsdeck-sim".into(),
        request: request.clone(),
        target: verb.target(),
        changes: vec![],
        calls: vec![],
        warnings: vec![],
        destructive,
        confirm_phrase: if destructive {
            verb.confirm_name()
        } else {
            "y".into()
        },
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

/// Plays `steps` on the console; the ids of the plans executed, or the first violation.
fn drive(steps: Vec<Step>) -> Result<Vec<String>, TestCaseError> {
    let mut state = platform();
    let mut asked: Vec<ActionRequest> = vec![];
    let mut made: Vec<Box<Plan>> = vec![];
    let mut executed: Vec<String> = vec![];
    for step in steps {
        let msgs = match step {
            Step::Char(c) => vec![key(c)],
            Step::Code(c) => vec![code(c)],
            Step::Command(i) => {
                let mut m = vec![key(':')];
                m.extend(typed(COMMANDS[i]));
                m
            }
            Step::Planned { destructive } => match asked.last() {
                Some(request) => {
                    let plan = plan_for(request, made.len(), destructive);
                    made.push(plan.clone());
                    vec![Msg::ActionPlanned(Ok(plan))]
                }
                None => vec![],
            },
        };
        for effect in feed(&mut state, msgs) {
            match effect {
                Effect::PlanAction { request, .. } => asked.push(request),
                Effect::ExecuteAction { plan, confirmation } => {
                    let ours = made.iter().find(|p| p.id == plan.id);
                    prop_assert!(ours.is_some(), "executes a plan nobody made: {}", plan.id);
                    prop_assert_eq!(ours.map(|p| p.as_ref()), Some(plan.as_ref()));
                    prop_assert_eq!(&confirmation, &plan.confirm_phrase);
                    prop_assert!(asked.contains(&plan.request), "never asked for");
                    prop_assert!(!executed.contains(&plan.id), "executed twice: {}", plan.id);
                    executed.push(plan.id.clone());
                }
                _ => {}
            }
        }
    }
    Ok(executed)
}

#[test]
fn the_whole_path_does_execute() {
    // So the property below is not vacuous: this path reaches the executor, once.
    let path = vec![
        Step::Command(0),
        Step::Planned { destructive: false },
        Step::Char('y'),
        Step::Code(KeyCode::Enter),
        Step::Code(KeyCode::Enter),
    ];
    assert_eq!(
        drive(path).expect("no violation"),
        vec!["plan-0".to_string()]
    );
    let typed_name = vec![
        Step::Command(2),
        Step::Planned { destructive: true },
        Step::Char('y'),
        Step::Code(KeyCode::Enter),
    ];
    assert!(
        drive(typed_name).expect("no violation").is_empty(),
        "y is not the name"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn only_a_requested_plan_confirmed_with_its_phrase_executes(steps in steps()) {
        drive(steps)?;
    }
}
