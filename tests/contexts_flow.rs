//! Several contexts in one console, as the reducer sees them: rows merged with their context,
//! `:ctx` narrowing what is shown from the rows already held, actions going to the context
//! they name (or refused when it is not clear which), and the header's health per context.

mod common;

use common::*;
use crossterm::event::KeyCode;
use opsdeck::actions::ActionRequest;
use opsdeck::cluster::model::Resource;
use opsdeck::core::draw::header;
use opsdeck::core::msg::Effect;
use opsdeck::core::state::{Mode, State};
use opsdeck::core::update::prepare;
use opsdeck::ui::pane::Target;
use opsdeck::ui::symbols::UNICODE;
use opsdeck::ui::table::Ctx;
use opsdeck::ui::theme::Theme;

fn two() -> State {
    let mut state = platform();
    with_second_context(&mut state);
    prepare(&mut state);
    state
}

fn header_text(state: &State) -> String {
    let theme = Theme::default_for(false);
    let ctx = Ctx {
        theme: &theme,
        symbols: &UNICODE,
        now: NOW,
    };
    header::text(state, &ctx)
}

fn shown_contexts_of_workloads(state: &State) -> Vec<String> {
    let c = &state.panes.cluster;
    c.workloads
        .rows
        .iter()
        .filter_map(|&s| c.model.workloads.get(s))
        .map(|w| w.context.to_string())
        .collect()
}

fn command(state: &mut State, line: &str) -> Vec<Effect> {
    let mut msgs = vec![key(':')];
    msgs.extend(typed(line));
    keys(state, msgs)
}

#[test]
fn rows_of_both_contexts_are_merged_and_the_worst_comes_first_across_them() {
    let state = two();
    let c = &state.panes.cluster;
    assert!(c.many_contexts());
    // The same workload in two clusters is two rows.
    let apis: Vec<String> = c
        .model
        .workloads
        .iter()
        .filter(|(_, w)| w.name == "api")
        .map(|(_, w)| w.context.to_string())
        .collect();
    assert_eq!(apis.len(), 2, "{apis:?}");
    // The overview: fact-checker (crashlooping in opsdeck-sim) first, then prod-us's api,
    // mid-rollout, before every healthy row of either cluster.
    let order: Vec<(String, String)> = c
        .overview
        .rows
        .iter()
        .filter_map(|&s| c.model.workloads.get(s))
        .map(|w| (w.context.to_string(), w.name.clone()))
        .take(2)
        .collect();
    assert_eq!(order[0], ("opsdeck-sim".into(), "fact-checker".into()));
    assert_eq!(order[1], ("prod-us".into(), "api".into()));
}

#[test]
fn the_header_says_each_contexts_health() {
    let state = two();
    let text = header_text(&state);
    assert!(text.contains("prod-us ✖ 1 not ready"), "{text}");
    assert!(text.contains("opsdeck-sim ✖ 1 failing"), "{text}");
    // One context: no per-context badge, the context's name as before.
    let one = platform();
    let text = header_text(&one);
    assert!(text.contains("opsdeck-sim │ ns:all"), "{text}");
    assert!(!text.contains("prod-us"), "{text}");
}

#[test]
fn a_context_that_cannot_be_reached_says_why_in_the_header_and_titles() {
    let mut state = two();
    feed(
        &mut state,
        vec![opsdeck::core::msg::Msg::from(
            opsdeck::cluster::model::ClusterMsg {
                context: "prod-us".into(),
                resource: Resource::Pods,
                scope: String::new(),
                event: opsdeck::cluster::model::SourceEvent::Failed {
                    reason: "connection refused (https://10.0.0.1:6443)".into(),
                    retry_in: Some(std::time::Duration::from_secs(4)),
                },
            },
        )],
    );
    let text = header_text(&state);
    assert!(text.contains("prod-us ✖ connection refused"), "{text}");
    let load = state
        .panes
        .cluster
        .model
        .load_state_among(&[Resource::Pods], &[]);
    assert!(
        matches!(&load, opsdeck::status::LoadState::Stale { reason, .. } if reason.starts_with("prod-us: connection refused")),
        "{load:?}"
    );
    // The other context's pods are still live.
    assert!(
        state
            .panes
            .cluster
            .model
            .load_state_in("opsdeck-sim", &[Resource::Pods])
            .is_live()
    );
}

#[test]
fn ctx_shows_one_context_from_the_rows_already_held_and_all_brings_both_back() {
    let mut state = two();
    open_view(&mut state, "workloads");
    let effects = command(&mut state, "ctx prod-us");
    assert!(effects.is_empty(), "no watch restarts: {effects:?}");
    prepare(&mut state);
    let shown = shown_contexts_of_workloads(&state);
    assert_eq!(shown, ["prod-us", "prod-us"]);
    assert!(!state.panes.cluster.many_contexts());
    command(&mut state, "ctx all");
    prepare(&mut state);
    assert_eq!(shown_contexts_of_workloads(&state).len(), 9);
    // A context not watched yet is asked for, and shown once it comes.
    let effects = command(&mut state, "ctx prod-us,staging");
    assert_eq!(effects, vec![Effect::WatchContexts(vec!["staging".into()])]);
    assert_eq!(state.panes.cluster.contexts.len(), 3);
}

#[test]
fn an_action_goes_to_the_context_it_names_and_is_refused_when_none_is_clear() {
    let mut state = two();
    let effects = command(&mut state, "restart api");
    assert!(effects.is_empty(), "{effects:?}");
    let said = state.flash.clone().unwrap_or_default();
    assert!(said.contains("which context?"), "{said}");
    assert!(said.contains("opsdeck-sim, prod-us"), "{said}");

    let effects = command(&mut state, "restart api --context prod-us");
    match &effects[..] {
        [Effect::PlanAction { request, context }] => {
            assert_eq!(context, "prod-us");
            assert!(matches!(request, ActionRequest::Restart(_)), "{request:?}");
        }
        other => panic!("expected a plan request, got {other:?}"),
    }

    let mut state = two();
    command(&mut state, "restart api --context nowhere");
    let said = state.flash.clone().unwrap_or_default();
    assert!(
        said.contains("not a context opsdeck watches: nowhere"),
        "{said}"
    );

    // Narrowed to one context, a bare name goes there.
    let mut state = two();
    command(&mut state, "ctx prod-us");
    let effects = command(&mut state, "restart api");
    assert!(
        matches!(&effects[..], [Effect::PlanAction { context, .. }] if context == "prod-us"),
        "{effects:?}"
    );
}

#[test]
fn r_on_a_row_types_the_action_with_that_rows_context() {
    let mut state = two();
    open_view(&mut state, "workloads");
    keys(&mut state, typed_filter("api"));
    prepare(&mut state);
    // Both apis are listed; the second is prod-us's.
    keys(&mut state, vec![key('j')]);
    let selected = state.pane().and_then(|p| p.selected(state.view()));
    assert!(
        matches!(&selected, Some(Target::Workload { context, .. }) if context.as_str() == "prod-us"),
        "{selected:?}"
    );
    keys(&mut state, vec![key('r')]);
    let Mode::Command(input) = &state.mode else {
        panic!("r opens the command line, mode is {:?}", state.mode);
    };
    assert_eq!(
        input.lines().join(""),
        "restart deploy/contentgen/api --context prod-us"
    );
}

#[test]
fn the_pods_of_a_workload_are_its_contexts_only() {
    let mut state = two();
    open_view(&mut state, "workloads");
    keys(&mut state, typed_filter("api"));
    prepare(&mut state);
    keys(&mut state, vec![key('j'), code(KeyCode::Enter)]);
    prepare(&mut state);
    let c = &state.panes.cluster;
    let pods: Vec<String> = c
        .pods
        .rows
        .iter()
        .filter_map(|&s| c.model.pods.get(s))
        .map(|p| format!("{}/{}", p.context, p.name))
        .collect();
    assert_eq!(pods.len(), 2, "{pods:?}");
    assert!(pods.iter().all(|p| p.starts_with("prod-us/")), "{pods:?}");
}

#[test]
fn a_runbook_needs_one_context_shown() {
    let mut state = two();
    feed(
        &mut state,
        vec![opsdeck::core::msg::Msg::RunbookLoaded(Ok((
            Box::new(
                opsdeck::actions::runbook::Runbook::parse(
                    "name = \"check\"\nnamespace = \"contentgen\"\n[[step]]\ncheck = \"generation-paused\"\n",
                    "check.toml",
                )
                .expect("runbook"),
            ),
            Default::default(),
        )))],
    );
    assert!(state.runbook.is_none());
    let said = state.flash.clone().unwrap_or_default();
    assert!(said.contains("runs in one context"), "{said}");
}
