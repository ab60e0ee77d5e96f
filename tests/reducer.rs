//! Reducer tests: sequences of Msgs in, State and Effects out. No terminal, no network.

mod common;

use std::time::Duration;

use common::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use opsdeck::cluster::logs::{LogEvent, LogMsg};
use opsdeck::cluster::model::{Resource, Rows};
use opsdeck::cluster::pane::{LOGS, OVERVIEW, PODS};
use opsdeck::cluster::source::Namespaces;
use opsdeck::core::msg::{Effect, Msg};
use opsdeck::core::state::Mode;
use opsdeck::cost::pane::COSTS;
use opsdeck::health::pane::HEALTH;
use opsdeck::queues::pane::QUEUES;
use opsdeck::slo::pane::SLOS;
use opsdeck::status::LoadState;
use opsdeck::ui::pane::{LogTarget, Scope};

fn selected_pod_names(state: &opsdeck::core::state::State) -> Vec<String> {
    state
        .panes
        .cluster
        .pods
        .rows
        .iter()
        .filter_map(|&s| state.panes.cluster.model.pods.get(s))
        .map(|p| p.name.clone())
        .collect()
}

#[test]
fn overview_lists_the_worst_workload_first() {
    let state = platform();
    let first = state
        .panes
        .cluster
        .overview
        .selected_slot()
        .and_then(|s| state.panes.cluster.model.workloads.get(s));
    assert_eq!(first.map(|w| w.name.as_str()), Some("fact-checker"));
    assert_eq!(
        state
            .panes
            .cluster
            .model
            .figures
            .restarts_by_workload
            .get("opsdeck-sim/contentgen/fact-checker"),
        Some(&11)
    );
}

#[test]
fn command_line_jumps_to_a_view_and_filter_narrows_it() {
    let mut state = platform();
    let mut msgs = vec![key(':')];
    msgs.extend(typed("pods"));
    keys(&mut state, msgs);
    assert_eq!(state.view(), PODS);
    assert_eq!(state.panes.cluster.pods.rows.len(), 8);

    let mut msgs = vec![key('/')];
    msgs.extend("crash".chars().map(key));
    keys(&mut state, msgs);
    assert!(
        matches!(state.mode, Mode::Filter(_)),
        "filter stays open while typing"
    );
    assert_eq!(
        state.panes.cluster.pods.rows.len(),
        2,
        "filtered live as you type"
    );
    keys(&mut state, vec![code(KeyCode::Enter)]);
    assert!(matches!(state.mode, Mode::Normal));
    assert!(
        selected_pod_names(&state)
            .iter()
            .all(|n| n.starts_with("fact-checker"))
    );

    // esc clears the filter first, then goes back.
    keys(&mut state, vec![code(KeyCode::Esc)]);
    assert_eq!(state.panes.cluster.pods.rows.len(), 8);
    assert_eq!(state.view(), PODS);
    keys(&mut state, vec![code(KeyCode::Esc)]);
    assert_eq!(state.view(), OVERVIEW);
}

#[test]
fn enter_drills_from_workload_to_pods_to_logs_and_esc_comes_back() {
    let mut state = platform();
    keys(&mut state, vec![code(KeyCode::Enter)]);
    assert_eq!(state.view(), PODS);
    assert_eq!(
        state.screen().scope,
        Some(Scope::Workload {
            context: "opsdeck-sim".into(),
            namespace: "contentgen".into(),
            name: "fact-checker".into()
        })
    );
    assert_eq!(state.panes.cluster.pods.rows.len(), 2);

    keys(&mut state, vec![key('j')]);
    let effects = keys(&mut state, vec![code(KeyCode::Enter)]);
    let target = LogTarget {
        context: "opsdeck-sim".into(),
        namespace: "contentgen".into(),
        pod: "fact-checker-6d4b7c9f8-t3u4v".into(),
        container: None,
        previous: false,
    };
    let session = state
        .panes
        .cluster
        .logs
        .as_ref()
        .map(|l| l.session)
        .expect("logs open");
    assert_eq!(
        effects,
        vec![Effect::StopLogs, Effect::FollowLogs { target, session }]
    );
    assert_eq!(state.view(), LOGS);

    let lines = |session, n: usize| {
        Msg::from(LogMsg {
            session,
            event: LogEvent::Lines((0..n).map(|i| format!("line {i}")).collect()),
        })
    };
    feed(
        &mut state,
        vec![lines(session, 10_000), lines(session + 99, 5)],
    );
    let logs = state.panes.cluster.logs.as_ref().expect("logs open");
    assert_eq!(
        logs.buffer.visible_len(),
        10_000,
        "burst kept whole, stale session ignored"
    );
    assert_eq!(logs.state, LoadState::Live);

    let effects = keys(&mut state, vec![code(KeyCode::Esc)]);
    assert_eq!(effects, vec![Effect::StopLogs]);
    assert_eq!(state.view(), PODS);
    assert!(state.panes.cluster.logs.is_none());
}

#[test]
fn scrolling_up_pauses_follow_and_bottom_resumes_it() {
    let mut state = platform();
    keys(&mut state, vec![key('2'), code(KeyCode::Enter)]);
    let session = state
        .panes
        .cluster
        .logs
        .as_ref()
        .map(|l| l.session)
        .expect("logs open");
    feed(
        &mut state,
        vec![Msg::from(LogMsg {
            session,
            event: LogEvent::Lines((0..500).map(|i| format!("l{i}")).collect()),
        })],
    );
    keys(&mut state, vec![key('k'), key('k')]);
    let logs = state.panes.cluster.logs.as_ref().expect("logs");
    assert!(!logs.follow);
    let top = logs.top;
    feed(
        &mut state,
        vec![Msg::from(LogMsg {
            session,
            event: LogEvent::Lines(vec!["new".into()]),
        })],
    );
    assert_eq!(
        state.panes.cluster.logs.as_ref().map(|l| l.top),
        Some(top),
        "paused view does not move"
    );
    keys(&mut state, vec![key('G')]);
    assert!(state.panes.cluster.logs.as_ref().is_some_and(|l| l.follow));
}

#[test]
fn a_failing_source_goes_stale_with_its_reason_and_recovers_after_a_relist() {
    let mut state = platform();
    feed(
        &mut state,
        vec![failed(Resource::Pods, "connection refused", Some(4))],
    );
    match state.panes.cluster.model.load_state(&[Resource::Pods]) {
        LoadState::Stale { reason, since } => {
            assert_eq!(reason, "connection refused, retrying in 4s");
            assert_eq!(since, NOW);
        }
        other => panic!("expected stale, got {other:?}"),
    }
    assert_eq!(
        state.panes.cluster.model.load_state(&[Resource::Nodes]),
        LoadState::Live,
        "others unaffected"
    );
    assert_eq!(
        state.panes.cluster.model.pods.len(),
        8,
        "rows are kept while stale"
    );

    // Reconnected: the re-list no longer has two pods that were deleted meanwhile.
    let survivors: Vec<_> = ["a1b2c", "d3e4f", "g5h6i", "j7k8l", "m9n0p", "w5x6y"]
        .iter()
        .zip([
            "api",
            "api",
            "api",
            "article-generator",
            "article-generator",
            "publisher",
        ])
        .map(|(s, w)| pod(w, s, "pool-general-1", "Running", 0))
        .collect();
    feed(&mut state, listed(Resource::Pods, Rows::Pods(survivors)));
    assert_eq!(
        state.panes.cluster.model.load_state(&[Resource::Pods]),
        LoadState::Live
    );
    assert_eq!(state.panes.cluster.model.pods.len(), 6);
    assert_eq!(
        state
            .panes
            .cluster
            .model
            .figures
            .restarts_by_workload
            .get("opsdeck-sim/contentgen/fact-checker"),
        None
    );
}

#[test]
fn forbidden_is_shown_without_retry() {
    let mut state = platform();
    let reason = "nodes is forbidden: User \"viewer\" cannot list resource \"nodes\"";
    feed(&mut state, vec![failed(Resource::Nodes, reason, None)]);
    match state.panes.cluster.model.load_state(&[Resource::Nodes]) {
        LoadState::Stale { reason: r, .. } => assert_eq!(r, reason),
        other => panic!("expected stale, got {other:?}"),
    }
}

#[test]
fn new_rows_keep_the_selection_on_the_same_pod() {
    let mut state = platform();
    keys(&mut state, vec![key('2'), key('j'), key('j')]);
    let before = state
        .panes
        .cluster
        .pods
        .selected_slot()
        .and_then(|s| state.panes.cluster.model.pods.get(s))
        .map(|p| p.name.clone());
    feed(
        &mut state,
        vec![applied(
            Resource::Pods,
            Rows::Pods(vec![pod("aaa", "zzzzz", "n", "Running", 0)]),
        )],
    );
    let after = state
        .panes
        .cluster
        .pods
        .selected_slot()
        .and_then(|s| state.panes.cluster.model.pods.get(s))
        .map(|p| p.name.clone());
    assert_eq!(before, after);
    assert_eq!(state.panes.cluster.pods.rows.len(), 9);
}

#[test]
fn unknown_command_says_so() {
    let mut state = platform();
    let mut msgs = vec![key(':')];
    msgs.extend(typed("podz"));
    keys(&mut state, msgs);
    assert_eq!(
        state.flash.as_deref(),
        Some("unknown command :podz (tab completes, ? shows the keys)")
    );
    assert_eq!(state.view(), OVERVIEW);
}

#[test]
fn quit_from_the_command_line_and_from_ctrl_c() {
    let mut state = platform();
    let mut msgs = vec![key(':')];
    msgs.extend(typed("q"));
    assert_eq!(keys(&mut state, msgs), vec![Effect::Quit]);
    let ctrl_c = Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert_eq!(keys(&mut state, vec![ctrl_c.clone()]), vec![Effect::Quit]);

    // From inside every prompt and overlay too.
    for opener in [key(':'), key('/'), key('?'), key('v')] {
        let mut state = platform();
        keys(&mut state, vec![opener]);
        assert!(!matches!(state.mode, Mode::Normal));
        assert_eq!(keys(&mut state, vec![ctrl_c.clone()]), vec![Effect::Quit]);
    }
}

#[test]
fn a_letter_bound_to_quit_is_still_typed_into_the_command_line() {
    let mut state = platform();
    state
        .keymap
        .merge_toml("[global]\nQ = \"quit\"\n", &state.views)
        .expect("keymap parses");
    assert_eq!(keys(&mut state, vec![key('Q')]), vec![Effect::Quit]);
    let mut msgs = vec![key(':')];
    msgs.extend(typed("Q"));
    msgs.pop(); // keep the line open: no Enter
    assert!(keys(&mut state, msgs).is_empty());
    assert_eq!(command_line(&state).as_deref(), Some("Q"));
}

#[test]
fn namespaces_from_the_command_line_and_the_picker_rewatch() {
    let mut state = platform();
    let mut msgs = vec![key(':')];
    msgs.extend(typed("ns contentgen,monitoring"));
    let effects = keys(&mut state, msgs);
    let both = Namespaces::Only(vec!["contentgen".into(), "monitoring".into()]);
    assert_eq!(effects, vec![Effect::Rewatch(both.clone())]);
    assert_eq!(state.panes.cluster.namespaces, both);
    assert!(
        state.panes.cluster.model.pods.is_empty(),
        "rows of the old scope are dropped"
    );

    // Picker: "all" is first; pick only "contentgen" (the first namespace) — but the
    // namespace list survives the reset, since namespaces are cluster-scoped.
    let ctrl_n = Msg::Key(KeyEvent::new(KeyCode::Char('n'), KeyModifiers::CONTROL));
    keys(&mut state, vec![ctrl_n]);
    assert!(matches!(state.mode, Mode::NamespacePicker { .. }));
    // Both are chosen; untick monitoring (index 2) to leave contentgen.
    let effects = keys(
        &mut state,
        vec![
            code(KeyCode::Down),
            code(KeyCode::Down),
            key(' '),
            code(KeyCode::Enter),
        ],
    );
    assert_eq!(
        effects,
        vec![Effect::Rewatch(Namespaces::Only(vec!["contentgen".into()]))]
    );
}

#[test]
fn help_opens_and_any_key_closes_it() {
    let mut state = platform();
    keys(&mut state, vec![key('?')]);
    assert!(matches!(state.mode, Mode::Help));
    keys(&mut state, vec![key('x')]);
    assert!(matches!(state.mode, Mode::Normal));
}

#[test]
fn ticks_redraw_only_when_a_shown_age_changes() {
    let mut state = platform();
    state.dirty = false;
    // Workloads are days old, warnings 20-45 s: at this grain, three seconds change nothing.
    feed(&mut state, vec![Msg::Ticked(NOW + 3)]);
    assert!(!state.dirty, "no age on screen moved");
    // Ten seconds later the youngest warning reads 30s instead of 20s.
    feed(&mut state, vec![Msg::Ticked(NOW + 11)]);
    assert!(state.dirty);

    // Nodes are 30 days old: minutes pass without a redraw.
    keys(&mut state, vec![key('3')]);
    state.dirty = false;
    feed(&mut state, vec![Msg::Ticked(NOW + 120)]);
    assert!(!state.dirty, "30d stays 30d");
}

#[test]
fn hpa_drills_to_its_target_pods() {
    let mut state = platform();
    keys(&mut state, vec![key('4'), code(KeyCode::Enter)]);
    assert_eq!(state.view(), PODS);
    assert_eq!(selected_pod_names(&state).len(), 3, "api's three pods");
    let _ = Duration::ZERO;
}

#[test]
fn changes_the_current_view_does_not_show_cost_no_redraw() {
    let mut state = platform();
    keys(&mut state, vec![key('2')]);
    state.dirty = false;
    feed(
        &mut state,
        vec![applied(Resource::Hpas, Rows::Hpas(vec![hpa("api", 4, 6)]))],
    );
    assert!(
        !state.dirty,
        "an HPA change is invisible from the pods view"
    );
    feed(
        &mut state,
        vec![applied(
            Resource::Pods,
            Rows::Pods(vec![pod(
                "api",
                "a1b2c",
                "pool-general-1",
                "CrashLoopBackOff",
                1,
            )]),
        )],
    );
    assert!(state.dirty, "a pod change is visible");
    state.dirty = false;
    feed(
        &mut state,
        vec![failed(Resource::Hpas, "connection refused", Some(1))],
    );
    assert!(state.dirty, "a stale source shows in the header");
}

#[test]
fn queues_are_worst_first_and_enter_jumps_to_the_consumers_pods() {
    let mut state = platform();
    with_queues(&mut state);
    let first = &state.panes.queues.model.rows()[0];
    assert_eq!(first.name, "articles", "the growing queue leads");
    assert_eq!(first.drain, opsdeck::queues::Drain::Growing);
    assert_eq!(
        state.panes.queues.history.get("articles").map(|h| h.len()),
        Some(2)
    );
    keys(&mut state, vec![key('6')]);
    assert_eq!(state.view(), QUEUES);
    keys(&mut state, vec![code(KeyCode::Enter)]);
    assert_eq!(
        state.screen().scope,
        Some(Scope::Workload {
            context: Default::default(),
            namespace: "contentgen".into(),
            name: "article-generator".into()
        })
    );
    assert_eq!(selected_pod_names(&state).len(), 2);
}

#[test]
fn a_failed_broker_marks_only_its_queues_stale() {
    let mut state = platform();
    with_queues(&mut state);
    feed(
        &mut state,
        vec![Msg::from(opsdeck::queues::QueueMsg::Failed {
            url_redacted: "redis://127.0.0.1:6379/0".into(),
            queues: vec!["publish".into()],
            reason: "connection refused".into(),
            retry_in: Some(Duration::from_secs(4)),
        })],
    );
    let publish = state.panes.queues.model.row("publish").expect("publish");
    assert!(
        matches!(&publish.state, LoadState::Stale { reason, .. } if reason == "connection refused, retrying in 4s"),
        "{:?}",
        publish.state
    );
    assert_eq!(
        state.panes.queues.model.row("articles").map(|q| &q.state),
        Some(&LoadState::Live)
    );
}

#[test]
fn slo_readings_sort_worst_first_and_enter_opens_the_service() {
    let mut state = platform();
    with_slos(&mut state);
    let keys_in_order: Vec<&str> = state
        .panes
        .slo
        .model
        .rows()
        .iter()
        .map(|r| r.key.as_str())
        .collect();
    assert_eq!(
        keys_in_order,
        [
            "api/api-availability",
            "api/api-latency",
            "publisher/publish-success",
            "pipeline/pipeline-success"
        ]
    );
    keys(&mut state, vec![key('7')]);
    assert_eq!(state.view(), SLOS);
    keys(&mut state, vec![code(KeyCode::Enter)]);
    assert_eq!(state.view(), PODS);
    assert_eq!(
        state.screen().scope,
        Some(Scope::Workload {
            context: "opsdeck-sim".into(),
            namespace: "contentgen".into(),
            name: "api".into()
        })
    );
    // A reading while the pods view is up changes nothing on screen: no redraw.
    state.dirty = false;
    feed(
        &mut state,
        vec![Msg::from(opsdeck::slo::source::SloMsg::Failed {
            reason: "connection refused".into(),
            retry_in: None,
        })],
    );
    assert!(!state.dirty);
    assert!(matches!(
        state.panes.slo.model.load(),
        LoadState::Stale { .. }
    ));
}

#[test]
fn cost_readings_project_budgets_and_a_dead_opencost_leaves_llm_spend_live() {
    use opsdeck::cost::BudgetState;
    use opsdeck::cost::model::CostMsg;
    let mut state = platform();
    with_costs(&mut state);
    // 06:00 UTC, $38.50 spent, $4/h now: 38.5 + 4 x 18 = $110 projected against $50.
    let daily = &state.panes.cost.model.budgets()[0];
    assert_eq!(daily.label, "LLM/day");
    assert_eq!(
        (daily.spent_usd, daily.projected_usd),
        (Some(38.5), Some(110.5))
    );
    assert_eq!(daily.state, BudgetState::Warning);
    assert!(
        state.panes.cost.model.unit.over_target(),
        "{:?}",
        state.panes.cost.model.unit
    );
    keys(&mut state, vec![key('8')]);
    assert_eq!(state.view(), COSTS);
    state.dirty = false;
    feed(
        &mut state,
        vec![Msg::from(CostMsg::InfraFailed {
            reason: "connection refused".into(),
            retry_in: None,
        })],
    );
    assert!(state.dirty, "the cost view shows the stale title");
    assert_eq!(state.panes.cost.model.llm_load, LoadState::Live);
    assert!(matches!(
        state.panes.cost.model.infra_load,
        LoadState::Stale { .. }
    ));
}

/// Every pane's stale time is in seconds, as its title reads it ("STALE 30s").
#[test]
fn stale_times_of_queues_slos_and_costs_are_seconds() {
    use opsdeck::cost::model::CostMsg;
    let since = |s: &LoadState| match s {
        LoadState::Stale { since, .. } => *since,
        other => panic!("not stale: {other:?}"),
    };
    let mut state = platform();
    with_dead_broker(&mut state);
    let q = state.panes.queues.model.row("notifications").expect("row");
    assert_eq!(since(&q.state), NOW);
    let mut state = platform();
    with_dead_prometheus(&mut state);
    assert_eq!(since(&state.panes.slo.model.load()), NOW);
    let mut state = platform();
    with_costs(&mut state);
    feed(
        &mut state,
        vec![Msg::from(CostMsg::InfraFailed {
            reason: "connection refused".into(),
            retry_in: None,
        })],
    );
    assert_eq!(since(&state.panes.cost.model.infra_load), NOW);
}

/// One readiness round of `service` at `NOW + at`, answered with `code` and `body`.
fn health_round(service: &str, at: i64, code: u16, body: &str) -> Msg {
    use opsdeck::health::{HealthMsg, Probe};
    let reading = opsdeck::health::answer::read(code, Some("application/json"), body.as_bytes(), 5);
    Msg::from(HealthMsg {
        service: service.into(),
        at_ms: (NOW + at) * 1000,
        ready: Probe::Answered(reading),
        live: None,
        retry_in: None,
    })
}

#[test]
fn health_rows_are_worst_first_and_enter_opens_the_services_pods() {
    use opsdeck::health::Status;
    let mut state = platform();
    with_health(&mut state);
    let order: Vec<(&str, Status)> = state
        .panes
        .health
        .model
        .rows()
        .iter()
        .map(|r| (r.name.as_str(), r.status))
        .collect();
    assert_eq!(
        order,
        [
            ("fact-checker", Status::Fail),
            ("topic-analyzer", Status::Unknown),
            ("api", Status::Warn),
            ("article-generator", Status::Warn),
            ("publisher", Status::Pass),
            ("qdrant", Status::Pass),
        ]
    );
    open_view(&mut state, "health");
    assert_eq!(state.view(), HEALTH);
    keys(&mut state, vec![code(KeyCode::Enter)]);
    assert_eq!(state.view(), PODS);
    assert_eq!(
        state.screen().scope,
        Some(Scope::Workload {
            context: "opsdeck-sim".into(),
            namespace: "contentgen".into(),
            name: "fact-checker".into()
        })
    );
    // A service no workload is named after says so.
    keys(
        &mut state,
        vec![code(KeyCode::Esc), key('G'), code(KeyCode::Enter)],
    );
    assert_eq!(state.view(), HEALTH);
    assert_eq!(state.flash.as_deref(), Some("no workload named qdrant"));
}

#[test]
fn a_health_round_moves_since_on_a_change_and_redraws_only_where_shown() {
    use opsdeck::health::Status;
    let mut state = platform();
    with_health(&mut state);
    let api = |s: &opsdeck::core::state::State| s.panes.health.model.row("api").cloned();
    let row = api(&state).expect("api");
    assert_eq!(
        row.since_ms,
        Some((NOW - 240) * 1000),
        "warn since the degraded round"
    );
    assert_eq!(
        row.problems,
        [(Status::Warn, "api_ready_pods warn: 2/3".into())]
    );
    let degraded = r#"{"status":"degraded","checks":{"api_ready_pods":"2/3"}}"#;
    keys(&mut state, vec![key('2')]);
    state.dirty = false;
    feed(&mut state, vec![health_round("api", 0, 200, degraded)]);
    assert!(!state.dirty, "nothing of health is on the pods view");
    assert_eq!(
        api(&state).and_then(|r| r.since_ms),
        Some((NOW - 240) * 1000)
    );
    open_view(&mut state, "health");
    state.dirty = false;
    feed(
        &mut state,
        vec![health_round(
            "api",
            5,
            503,
            r#"{"status":"down","checks":{"redis":"down"}}"#,
        )],
    );
    assert!(state.dirty);
    let row = api(&state).expect("api");
    assert_eq!(
        (row.status, row.since_ms),
        (Status::Fail, Some((NOW + 5) * 1000))
    );
    assert_eq!(row.summary, "redis fail");
}

#[test]
fn the_header_counts_unhealthy_and_unreachable_services() {
    use opsdeck::ui::pane::Pane;
    let theme = opsdeck::ui::theme::Theme::default_for(false);
    let ctx = opsdeck::ui::table::Ctx {
        theme: &theme,
        symbols: &opsdeck::ui::symbols::UNICODE,
        now: NOW,
    };
    let badges = |state: &opsdeck::core::state::State| -> Vec<String> {
        state
            .panes
            .health
            .badges(&ctx)
            .iter()
            .map(|b| b.span.content.to_string())
            .collect()
    };
    let mut state = platform();
    assert!(badges(&state).is_empty(), "no [[health]]: nothing to say");
    with_health(&mut state);
    assert_eq!(badges(&state), ["✖ 1 unhealthy", "1 health unknown"]);
    let ok = r#"{"status":"UP","checks":[]}"#;
    feed(&mut state, vec![health_round("fact-checker", 1, 200, ok)]);
    assert_eq!(badges(&state), ["▲ 2 degraded", "1 health unknown"]);
}

#[test]
fn ticks_redraw_the_health_view_when_a_since_or_stale_age_moves() {
    let mut state = platform();
    with_health(&mut state);
    open_view(&mut state, "health");
    state.dirty = false;
    // fact-checker failing for 45 s reads 40s until 50 s.
    feed(&mut state, vec![Msg::Ticked(NOW + 3)]);
    assert!(!state.dirty);
    feed(&mut state, vec![Msg::Ticked(NOW + 6)]);
    assert!(state.dirty);
}

/// Unreachable services are stale since their first failed round, in seconds.
#[test]
fn a_dead_health_endpoint_is_stale_since_its_first_failure_in_seconds() {
    let mut state = platform();
    with_health(&mut state);
    let stale_since = |s: &opsdeck::core::state::State, name: &str| match s
        .panes
        .health
        .model
        .row(name)
        .map(|r| r.load.clone())
    {
        Some(LoadState::Stale { since, .. }) => since,
        other => panic!("{name} not stale: {other:?}"),
    };
    assert_eq!(stale_since(&state, "topic-analyzer"), NOW - 90);
    with_dead_health(&mut state);
    assert_eq!(stale_since(&state, "topic-analyzer"), NOW - 90);
    assert_eq!(stale_since(&state, "api"), NOW);
}

fn command_line(state: &opsdeck::core::state::State) -> Option<String> {
    match &state.mode {
        Mode::Command(input) => Some(input.lines().join(" ")),
        _ => None,
    }
}

#[test]
fn tab_completes_the_first_word_from_the_registry_and_the_verbs() {
    let mut state = platform();
    keys(&mut state, vec![key(':'), key('q'), key('u'), key('e')]);
    keys(&mut state, vec![code(KeyCode::Tab)]);
    assert_eq!(command_line(&state).as_deref(), Some("queue"));
    assert_eq!(state.completions, ["queue", "queues"]);
    keys(&mut state, vec![key('s'), code(KeyCode::Tab)]);
    assert_eq!(command_line(&state).as_deref(), Some("queues "));
    assert!(state.completions.is_empty());
    keys(&mut state, vec![code(KeyCode::Enter)]);
    assert_eq!(state.view(), QUEUES);

    // Verbs complete too, and a word nothing starts with says so.
    let mut state = platform();
    keys(
        &mut state,
        vec![key(':'), key('r'), key('e'), key('s'), key('t')],
    );
    keys(&mut state, vec![code(KeyCode::Tab)]);
    assert_eq!(command_line(&state).as_deref(), Some("restart "));
    let mut state = platform();
    keys(&mut state, vec![key(':'), key('z'), code(KeyCode::Tab)]);
    assert_eq!(command_line(&state).as_deref(), Some("z"));
    assert_eq!(state.flash.as_deref(), Some("nothing starts with \"z\""));
}

#[test]
fn colon_q_quits_and_every_view_opens_by_each_of_its_words() {
    let mut state = platform();
    let mut msgs = vec![key(':')];
    msgs.extend(typed("q"));
    assert_eq!(keys(&mut state, msgs), vec![Effect::Quit]);
    for spec in opsdeck::core::panes::views() {
        for word in spec.commands {
            let mut state = platform();
            let mut msgs = vec![key(':')];
            msgs.extend(typed(word));
            keys(&mut state, msgs);
            assert_eq!(state.view(), spec.id, ":{word}");
        }
        if let Some(c) = spec.key {
            let mut state = platform();
            keys(&mut state, vec![key(c)]);
            assert_eq!(state.view(), spec.id, "key {c}");
        }
    }
}

#[test]
fn v_shows_the_row_in_full_and_any_key_closes_it() {
    let mut state = platform();
    keys(&mut state, vec![key('v')]);
    assert!(matches!(state.mode, Mode::InFull));
    keys(&mut state, vec![key('j')]);
    assert!(matches!(state.mode, Mode::Normal));
    assert_eq!(
        state.panes.cluster.overview.selected, 0,
        "the closing key does nothing else"
    );
}

#[test]
fn enter_on_a_cost_row_opens_nothing_and_says_nothing() {
    let mut state = platform();
    with_costs(&mut state);
    keys(&mut state, vec![key('8')]);
    let effects = keys(&mut state, vec![code(KeyCode::Enter)]);
    assert!(effects.is_empty());
    assert_eq!(state.view(), COSTS);
    assert_eq!(state.flash, None);
}

#[test]
fn enter_on_an_alert_opens_what_its_labels_name() {
    use opsdeck::alerts::pane::ALERTS;
    let mut state = platform();
    with_alerts(&mut state);
    with_slos(&mut state);
    with_queues(&mut state);
    keys(&mut state, vec![key('9')]);
    assert_eq!(state.view(), ALERTS);
    // The page is about an SLO: the SLO view, with it selected.
    keys(&mut state, vec![code(KeyCode::Enter)]);
    assert_eq!(state.view(), SLOS);
    let slot = state.panes.slo.table.selected_slot().expect("selected");
    assert_eq!(state.panes.slo.model.rows()[slot].name, "api-availability");
    // The crashlooping pod: its log.
    keys(&mut state, vec![code(KeyCode::Esc), key('j')]);
    let effects = keys(&mut state, vec![code(KeyCode::Enter)]);
    assert_eq!(state.view(), LOGS);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::FollowLogs { target, .. }
        if target.pod == "fact-checker-5f7c9d-x2x8q" && target.namespace == "contentgen"))
    );
    // The silenced backlog: the queue.
    keys(
        &mut state,
        vec![code(KeyCode::Esc), key('j'), code(KeyCode::Enter)],
    );
    assert_eq!(state.view(), QUEUES);
    let slot = state.panes.queues.table.selected_slot().expect("selected");
    assert_eq!(state.panes.queues.model.rows()[slot].name, "articles");
    // The budget warning names nothing to open: the footer says so.
    keys(
        &mut state,
        vec![code(KeyCode::Esc), key('j'), code(KeyCode::Enter)],
    );
    assert_eq!(state.view(), ALERTS);
    assert!(
        state
            .flash
            .as_deref()
            .is_some_and(|f| f.contains("BudgetAtRisk names no"))
    );
}

#[test]
fn silence_ack_and_expire_are_typed_from_the_selected_row() {
    let mut state = platform();
    with_alerts(&mut state);
    keys(&mut state, vec![key('9'), key('S')]);
    assert_eq!(
        command_line(&state).as_deref(),
        Some(r#"silence alertname="ApiHighErrorRate" namespace="contentgen" --for 1h --comment "#)
    );
    keys(&mut state, vec![code(KeyCode::Esc), key('a')]);
    assert_eq!(
        command_line(&state).as_deref(),
        Some(
            r#"ack alertname="ApiHighErrorRate" namespace="contentgen" severity="page" sloth_slo="api-availability""#
        )
    );
    keys(&mut state, vec![code(KeyCode::Esc), key(':')]);
    keys(&mut state, typed("silences"));
    keys(&mut state, vec![key('x')]);
    assert_eq!(
        command_line(&state).as_deref(),
        Some("expire-silence 6a1f0c2e-9b7d-4e1a-8c3f-0d2b5e7a9c11")
    );
    // Completing the silence's comment plans it: the executor takes it from there.
    let mut state = platform();
    with_alerts(&mut state);
    keys(&mut state, vec![key('9'), key('S')]);
    let effects = keys(&mut state, typed("deploying a fix"));
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::PlanAction { request: opsdeck::actions::ActionRequest::Silence(s), .. }]
                if s.comment == "deploying a fix" && s.matchers.len() == 2
        ),
        "{effects:?}"
    );
    // On a workload, S has nothing to silence.
    let mut state = platform();
    keys(&mut state, vec![key('1'), key('S')]);
    assert!(
        state
            .flash
            .as_deref()
            .is_some_and(|f| f.contains("select an alert")),
        "{:?}",
        state.flash
    );
}

#[test]
fn a_queue_shows_its_consumers_autoscaler_as_it_changes() {
    let mut state = platform();
    with_queues(&mut state);
    let scaler = |s: &opsdeck::core::state::State| {
        s.panes
            .queues
            .scalers
            .get("contentgen/article-generator")
            .map(|h| h.describe("->"))
    };
    assert_eq!(scaler(&state).as_deref(), Some("2..12 at max"));
    // The HPA is given room: the queue view says so (and redraws).
    keys(&mut state, vec![key('6')]);
    feed(
        &mut state,
        vec![applied(
            Resource::Hpas,
            Rows::Hpas(vec![hpa("article-generator", 12, 20)]),
        )],
    );
    assert_eq!(scaler(&state).as_deref(), Some("2..20 12"));
    assert!(state.dirty, "the queues view shows the autoscaler");
}

// ---------------------------------------------------------------- inspect

#[test]
fn d_on_a_pod_fetches_it_and_its_text_arrives_for_that_session_only() {
    use opsdeck::inspect::pane::{DESCRIBE, YAML};
    use opsdeck::k8s::{ObjectKind, ObjectRef};
    let mut state = platform();
    open_view(&mut state, "pods");
    keys(&mut state, typed_filter("q1r2s"));
    let effects = keys(&mut state, vec![key('d')]);
    let object = ObjectRef::namespaced(
        ObjectKind::Pod,
        "contentgen",
        "fact-checker-6d4b7c9f8-q1r2s",
    )
    .in_context(&"opsdeck-sim".into());
    assert!(
        matches!(&effects[..], [Effect::Inspect { object: o, .. }] if *o == object),
        "{effects:?}"
    );
    assert_eq!(state.view(), DESCRIBE);
    // An answer for another session is not this object's.
    feed(
        &mut state,
        vec![Msg::from(opsdeck::inspect::InspectMsg {
            session: 999,
            result: Err("late".into()),
        })],
    );
    let doc = state.panes.inspect.doc.as_ref().expect("a document");
    assert_eq!(doc.state, opsdeck::status::LoadState::Loading);

    let mut state = platform();
    with_described_pod(&mut state);
    let doc = state.panes.inspect.doc.as_ref().expect("a document");
    assert!(doc.text.describe.iter().any(|l| l.contains("OOMKilled")));
    // y shows the same object's YAML without a new fetch; d again reads it anew.
    assert!(keys(&mut state, vec![key('y')]).is_empty());
    assert_eq!(state.view(), YAML);
    let again = keys(&mut state, vec![key('y')]);
    assert!(matches!(&again[..], [Effect::Inspect { .. }]), "{again:?}");
    let doc = state
        .panes
        .inspect
        .doc
        .as_ref()
        .expect("kept while it is read anew");
    assert!(!doc.text.yaml.is_empty());
    // m shows managed fields; esc goes back to the pods and lets the text go.
    keys(&mut state, vec![key('m')]);
    assert!(state.panes.inspect.doc.as_ref().unwrap().managed);
    keys(&mut state, vec![code(KeyCode::Esc)]);
    assert_eq!(state.view(), PODS);
    assert!(state.panes.inspect.doc.is_none(), "nothing is kept");
}

#[test]
fn search_in_a_describe_moves_to_matches_and_esc_clears_it_first() {
    use opsdeck::inspect::document::Face;
    use opsdeck::inspect::pane::DESCRIBE;
    let mut state = platform();
    feed(
        &mut state,
        vec![Msg::Resized {
            width: 80,
            height: 12,
        }],
    );
    with_described_pod(&mut state);
    keys(&mut state, typed_filter("oomkilled"));
    let doc = state.panes.inspect.doc.as_ref().unwrap();
    let top = doc.top(Face::Describe);
    assert!(
        doc.lines(Face::Describe)[top].contains("OOMKilled"),
        "{top}"
    );
    keys(&mut state, vec![key('n')]);
    keys(&mut state, vec![code(KeyCode::Esc)]);
    assert_eq!(state.view(), DESCRIBE, "esc clears the search first");
    assert!(state.panes.inspect.doc.as_ref().unwrap().search.is_empty());
}

#[test]
fn d_with_nothing_selected_says_so_and_d_on_a_node_an_hpa_and_an_event_names_their_objects() {
    use opsdeck::k8s::{ObjectKind, ObjectRef};
    let mut state = platform();
    let inspected = |state: &mut opsdeck::core::state::State, view: &str| {
        open_view(state, view);
        match &keys(state, vec![key('d')])[..] {
            [Effect::Inspect { object, .. }] => Some(object.clone()),
            _ => None,
        }
    };
    assert_eq!(
        inspected(&mut state, "nodes"),
        Some(ObjectRef::node("pool-general-1").in_context(&"opsdeck-sim".into()))
    );
    let hpa = inspected(&mut state, "hpa").expect("an hpa");
    assert_eq!(hpa.kind, ObjectKind::Hpa);
    let event = inspected(&mut state, "events").expect("an event's object");
    assert_eq!(
        event.kind,
        ObjectKind::Pod,
        "a pod's warning describes the pod"
    );
    let workload = inspected(&mut state, "workloads").expect("a workload");
    assert_eq!(workload.kind, ObjectKind::Deployment);

    let mut state = platform();
    open_view(&mut state, "pods");
    keys(&mut state, typed_filter("no-such-pod"));
    assert!(keys(&mut state, vec![key('d')]).is_empty());
    assert!(state.flash.as_deref().unwrap_or("").contains("select"));
}

#[test]
fn p_in_a_log_reads_the_previous_container_and_back() {
    let mut state = platform();
    open_view(&mut state, "pods");
    keys(&mut state, typed_filter("q1r2s"));
    keys(&mut state, vec![key('l')]);
    assert_eq!(state.view(), LOGS);
    let effects = keys(&mut state, vec![key('p')]);
    match &effects[..] {
        [Effect::StopLogs, Effect::FollowLogs { target, session }] => {
            assert!(target.previous);
            feed(
                &mut state,
                vec![
                    Msg::from(LogMsg {
                        session: *session,
                        event: LogEvent::Lines(vec!["MemoryError".into(), "Killed".into()]),
                    }),
                    Msg::from(LogMsg {
                        session: *session,
                        event: LogEvent::Ended,
                    }),
                ],
            );
        }
        other => panic!("{other:?}"),
    }
    let logs = state.panes.cluster.logs.as_ref().unwrap();
    assert!(logs.ended && logs.buffer.visible(1) == Some("Killed"));
    let effects = keys(&mut state, vec![key('p')]);
    assert!(
        matches!(&effects[..], [_, Effect::FollowLogs { target, .. }] if !target.previous),
        "{effects:?}"
    );
    // d from a log describes its pod.
    let effects = keys(&mut state, vec![key('d')]);
    assert!(
        matches!(&effects[..], [Effect::Inspect { .. }]),
        "{effects:?}"
    );
}

#[test]
fn d_on_an_alert_describes_what_its_labels_name() {
    use opsdeck::inspect::pane::DESCRIBE;
    use opsdeck::k8s::{ObjectKind, ObjectRef};
    let mut state = platform();
    with_alerts(&mut state);
    keys(&mut state, vec![key('9'), key('j')]);
    let effects = keys(&mut state, vec![key('d')]);
    let pod = ObjectRef::namespaced(ObjectKind::Pod, "contentgen", "fact-checker-5f7c9d-x2x8q");
    assert!(
        matches!(&effects[..], [Effect::Inspect { object, .. }] if *object == pod),
        "{effects:?}"
    );
    assert_eq!(state.view(), DESCRIBE);
}
