//! Rendering snapshots: every view at 80x24 and 200x50 through ratatui's TestBackend.
//! The clock is fixed (common::NOW), so ages are stable.

mod common;

use common::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use opsdeck::cluster::logs::{LogEvent, LogMsg};
use opsdeck::cluster::model::Resource;
use opsdeck::core::draw::draw;
use opsdeck::core::msg::Msg;
use opsdeck::core::state::State;
use opsdeck::core::update::prepare;
use opsdeck::ui::symbols::{ASCII, UNICODE};
use opsdeck::ui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const SIZES: [(u16, u16); 2] = [(80, 24), (200, 50)];

fn render(state: &mut State, width: u16, height: u16, ascii: bool) -> String {
    feed(state, vec![Msg::Resized { width, height }]);
    prepare(state);
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    let theme = Theme::default_for(false);
    let symbols = if ascii { ASCII } else { UNICODE };
    terminal
        .draw(|f| draw(f, state, &theme, &symbols))
        .expect("draws");
    terminal.backend().to_string()
}

fn snapshot_view(name: &str, setup: impl Fn(&mut State)) {
    for (w, h) in SIZES {
        let mut state = platform();
        setup(&mut state);
        let screen = render(&mut state, w, h, false);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), screen);
    }
}

#[test]
fn overview() {
    snapshot_view("overview", |_| {});
}

#[test]
fn two_contexts_overview() {
    snapshot_view("two_contexts_overview", with_second_context);
}

#[test]
fn two_contexts_pods_and_nodes() {
    snapshot_view("two_contexts_pods", |s| {
        with_second_context(s);
        keys(s, vec![key('2')]);
    });
    snapshot_view("two_contexts_nodes", |s| {
        with_second_context(s);
        keys(s, vec![key('3')]);
    });
}

#[test]
fn workloads() {
    snapshot_view("workloads", |s| {
        keys(s, vec![key('1')]);
    });
}

#[test]
fn pods() {
    snapshot_view("pods", |s| {
        keys(s, vec![key('2'), key('j')]);
    });
}

#[test]
fn pods_filtered_and_drilled() {
    snapshot_view("pods_drilled", |s| {
        keys(s, vec![code(KeyCode::Enter), key('/'), key('t'), key('3')]);
    });
}

#[test]
fn nodes() {
    snapshot_view("nodes", |s| {
        keys(s, vec![key('3')]);
    });
}

#[test]
fn hpas() {
    snapshot_view("hpas", |s| {
        keys(s, vec![key('4')]);
    });
}

#[test]
fn events() {
    snapshot_view("events", |s| {
        keys(s, vec![key('5')]);
    });
}

#[test]
fn logs_following_with_a_filter() {
    snapshot_view("logs", |s| {
        keys(s, vec![key('2'), code(KeyCode::Enter)]);
        let session = s
            .panes
            .cluster
            .logs
            .as_ref()
            .map(|l| l.session)
            .expect("logs open");
        let lines = (0..200u32)
            .map(|i| {
                let level = if i.is_multiple_of(7) { "ERROR" } else { "INFO" };
                format!(
                    "2026-11-25T11:59:{:02}Z {level} task=generate_article article_id={i}",
                    i % 60
                )
            })
            .collect();
        feed(
            s,
            vec![Msg::from(LogMsg {
                session,
                event: LogEvent::Lines(lines),
            })],
        );
        keys(
            s,
            vec![key('/'), key('e'), key('r'), key('r'), code(KeyCode::Enter)],
        );
    });
}

#[test]
fn help_overlay() {
    snapshot_view("help", |s| {
        keys(s, vec![key('?')]);
    });
}

#[test]
fn namespace_picker() {
    snapshot_view("picker", |s| {
        let ctrl_n = Msg::Key(KeyEvent::new(KeyCode::Char('n'), KeyModifiers::CONTROL));
        keys(s, vec![ctrl_n, code(KeyCode::Down), key(' ')]);
    });
}

#[test]
fn command_line_open() {
    snapshot_view("command", |s| {
        keys(s, vec![key(':'), key('p'), key('o')]);
    });
}

#[test]
fn stale_sources_are_marked() {
    snapshot_view("stale", |s| {
        feed(
            s,
            vec![
                failed(Resource::Deployments, "connection refused", Some(4)),
                failed(
                    Resource::Events,
                    "events is forbidden: User \"viewer\" cannot list resource \"events\"",
                    None,
                ),
            ],
        );
    });
}

#[test]
fn ascii_mode_uses_no_unicode() {
    let mut state = platform();
    let screen = render(&mut state, 80, 24, true);
    assert!(screen.is_ascii(), "non-ASCII in ASCII mode:\n{screen}");
    insta::assert_snapshot!("overview_ascii_80x24", screen);
}

/// Every pane, in every load state, and every view: nothing but ASCII under `--ascii`.
#[test]
fn ascii_mode_stays_ascii_in_every_view_and_load_state() {
    let loading = |s: &mut State| {
        let slos = opsdeck::slo::examples().expect("examples");
        s.panes.slo.model = opsdeck::slo::model::SloModel::new(&slos);
        let plan = opsdeck::config::BudgetConfig::platform_plan();
        let both = opsdeck::cost::CostSources {
            llm: true,
            infra: true,
        };
        s.panes.cost.model = opsdeck::cost::CostModel::new(Some(&plan), both);
        let api = opsdeck::config::HealthConfig {
            name: "api".into(),
            url: "http://api:8080/health/ready".into(),
            live_url: None,
        };
        s.panes.health.model = opsdeck::health::HealthModel::new(&[api]);
    };
    let everything = |s: &mut State| {
        with_slos(s);
        with_queues(s);
        with_costs(s);
        with_health(s);
    };
    for (what, setup) in [
        ("loading", &loading as &dyn Fn(&mut State)),
        ("live", &everything),
        ("stale", &|s: &mut State| {
            with_dead_prometheus(s);
            with_dead_broker(s);
            with_dead_health(s);
        }),
    ] {
        for view in ['0', '6', '7', '8', '9'] {
            for (w, h) in SIZES {
                let mut state = platform();
                setup(&mut state);
                keys(&mut state, vec![key(view)]);
                let screen = render(&mut state, w, h, true);
                assert!(screen.is_ascii(), "{what}, view {view}, {w}x{h}:\n{screen}");
            }
        }
    }
}

fn rollback_plan() -> Box<opsdeck::actions::plan::Plan> {
    use opsdeck::actions::plan::{Change, Permission, Plan, PlannedCall};
    use opsdeck::actions::{ActionRequest, WorkloadRef};
    let workload = WorkloadRef {
        kind: opsdeck::k8s::WorkloadKind::Deployment,
        namespace: "contentgen".into(),
        name: "api".into(),
    };
    Box::new(Plan {
        context: "opsdeck-sim".into(),
        id: "p1".into(),
        request: ActionRequest::Rollback(opsdeck::actions::verbs::rollback::Rollback {
            workload,
            to_revision: None,
        }),
        target: "deployment contentgen/api".into(),
        changes: vec![
            Change {
                what: "revision".into(),
                before: "7".into(),
                after: "6".into(),
            },
            Change {
                what: "image api".into(),
                before: "registry.local/api:1.9.0-rc1".into(),
                after: "registry.local/api:1.8.2".into(),
            },
        ],
        calls: vec![PlannedCall {
            api: opsdeck::actions::plan::Api::Kubernetes,
            method: "PATCH".into(),
            path: "/apis/apps/v1/namespaces/contentgen/deployments/api".into(),
            content_type: "application/json-patch+json".into(),
            body: "[{\"op\":\"replace\",\"path\":\"/spec/template\",\"value\":{}}]".into(),
        }],
        warnings: vec!["3 pods will be replaced; in-flight requests on them are cut".into()],
        destructive: true,
        confirm_phrase: "api".into(),
        precondition: Some(opsdeck::actions::plan::Precondition {
            path: "/apis/apps/v1/namespaces/contentgen/deployments/api".into(),
            resource_version: "1234".into(),
        }),
        permission: Permission {
            allowed: true,
            reason: "patch deployments (apps) allowed".into(),
            checks: vec![],
        },
        dry_run: Some("accepted (dryRun=All)".into()),
        noop: None,
        lock: None,
        runbook: None,
    })
}

#[test]
fn confirm_dialog() {
    snapshot_view("confirm", |s| {
        keys(s, vec![key(':')]);
        keys(s, typed("rollback api"));
        feed(s, vec![Msg::ActionPlanned(Ok(rollback_plan()))]);
        keys(s, vec![key('a')]);
    });
}

#[test]
fn action_panel_with_progress() {
    use opsdeck::actions::Progress;
    snapshot_view("action_panel", |s| {
        keys(s, vec![key(':')]);
        keys(s, typed("rollback api"));
        feed(s, vec![Msg::ActionPlanned(Ok(rollback_plan()))]);
        keys(s, typed("api"));
        feed(
            s,
            vec![
                Msg::ActionProgressed(Progress::Requested { status: 200 }),
                Msg::ActionProgressed(Progress::Rollout {
                    updated: 1,
                    ready: 2,
                    available: 2,
                    desired: 3,
                }),
            ],
        );
    });
}

#[test]
fn runbook_walk() {
    snapshot_view("runbook", |s| {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks/bad-rollout.toml");
        let rb = opsdeck::actions::runbook::Runbook::load(&path).expect("runbook");
        keys(s, vec![key(':')]);
        keys(s, typed("runbook bad-rollout"));
        feed(
            s,
            vec![Msg::RunbookLoaded(Ok((Box::new(rb), Default::default())))],
        );
        keys(s, vec![code(KeyCode::Enter)]);
    });
}

#[test]
fn overview_with_queues() {
    snapshot_view("overview_queues", with_queues);
}

#[test]
fn overview_with_a_dead_broker() {
    snapshot_view("overview_queues_stale", with_dead_broker);
}

#[test]
fn queues_view_with_a_dead_broker() {
    snapshot_view("queues_stale", |s| {
        with_dead_broker(s);
        keys(s, vec![key('6')]);
    });
}

#[test]
fn overview_with_slos_and_queues() {
    snapshot_view("overview_slos", |s| {
        with_slos(s);
        with_queues(s);
    });
}

#[test]
fn slos_view() {
    snapshot_view("slos", |s| {
        with_slos(s);
        keys(s, vec![key('7')]);
    });
}

#[test]
fn slos_view_with_a_dead_prometheus() {
    snapshot_view("slos_stale", |s| {
        with_dead_prometheus(s);
        keys(s, vec![key('7'), key('j')]);
    });
}

#[test]
fn overview_with_everything() {
    snapshot_view("overview_all", |s| {
        with_slos(s);
        with_queues(s);
        with_costs(s);
    });
}

#[test]
fn costs_view() {
    snapshot_view("costs", |s| {
        with_costs(s);
        keys(s, vec![key('8')]);
    });
}

/// Without `[opencost]` the infrastructure pane says so once, and loads nothing.
#[test]
fn costs_view_without_opencost() {
    snapshot_view("costs_no_opencost", |s| {
        let plan = opsdeck::config::BudgetConfig::platform_plan();
        let llm_only = opsdeck::cost::CostSources {
            llm: true,
            infra: false,
        };
        s.panes.cost.model = opsdeck::cost::CostModel::new(Some(&plan), llm_only);
        keys(s, vec![key('8')]);
    });
}

#[test]
fn costs_view_with_a_dead_opencost() {
    snapshot_view("costs_stale", |s| {
        with_costs(s);
        feed(
            s,
            vec![Msg::from(opsdeck::cost::model::CostMsg::InfraFailed {
                reason: "connection refused".into(),
                retry_in: Some(std::time::Duration::from_secs(2)),
            })],
        );
        keys(s, vec![key('8')]);
    });
}

#[test]
fn overview_with_health() {
    snapshot_view("overview_health", with_health);
}

/// Four band panes: side by side at 200 columns; at 80x24 health gives way first (the header
/// keeps its badge).
#[test]
fn overview_with_everything_and_health() {
    snapshot_view("overview_all_health", |s| {
        with_slos(s);
        with_queues(s);
        with_costs(s);
        with_health(s);
    });
}

#[test]
fn health_view() {
    snapshot_view("health", |s| {
        with_health(s);
        open_view(s, "health");
    });
}

#[test]
fn health_view_with_nothing_answering() {
    snapshot_view("health_stale", |s| {
        with_dead_health(s);
        open_view(s, "health");
    });
}

#[test]
fn health_view_in_ascii() {
    let mut state = platform();
    with_health(&mut state);
    open_view(&mut state, "health");
    keys(&mut state, vec![key('j')]);
    let screen = render(&mut state, 80, 24, true);
    assert!(screen.is_ascii(), "non-ASCII in ASCII mode:\n{screen}");
    insta::assert_snapshot!("health_ascii_80x24", screen);
}

#[test]
fn a_service_in_full() {
    snapshot_view("health_in_full", |s| {
        with_health(s);
        open_view(s, "health");
        keys(s, vec![key('j'), key('j'), key('v')]);
    });
}

#[test]
fn queues_view() {
    snapshot_view("queues", |s| {
        with_queues(s);
        keys(s, vec![key('6')]);
    });
}

#[test]
fn a_row_in_full() {
    snapshot_view("in_full", |s| {
        with_dead_broker(s);
        keys(s, vec![key('6'), key('j'), key('v')]);
    });
}

#[test]
fn a_row_in_full_on_a_stale_overview() {
    snapshot_view("in_full_stale", |s| {
        feed(
            s,
            vec![
                failed(Resource::Deployments, "connection refused", Some(4)),
                failed(Resource::Pods, "connection refused", Some(4)),
            ],
        );
        keys(s, vec![key('v')]);
    });
}

#[test]
fn tab_completion_lists_what_it_could_be() {
    snapshot_view("completion", |s| {
        keys(s, vec![key(':'), key('p'), code(KeyCode::Tab)]);
    });
}

#[test]
fn overview_with_alerts() {
    snapshot_view("overview_alerts", |s| {
        with_alerts(s);
        with_slos(s);
    });
}

#[test]
fn alerts_view() {
    snapshot_view("alerts", |s| {
        with_alerts(s);
        keys(s, vec![key('9')]);
    });
}

#[test]
fn alerts_view_with_a_dead_alertmanager() {
    snapshot_view("alerts_stale", |s| {
        with_dead_alertmanager(s);
        keys(s, vec![key('9')]);
    });
}

#[test]
fn an_alert_in_full() {
    snapshot_view("alert_in_full", |s| {
        with_alerts(s);
        keys(s, vec![key('9'), key('v')]);
    });
}

#[test]
fn silences_view() {
    snapshot_view("silences", |s| {
        with_alerts(s);
        keys(s, vec![key(':')]);
        keys(s, typed("silences"));
        keys(s, vec![code(KeyCode::Enter)]);
    });
}

#[test]
fn alerts_view_without_an_alertmanager() {
    snapshot_view("alerts_not_configured", |s| {
        keys(s, vec![key('9')]);
    });
}

#[test]
fn alerts_and_silences_stay_ascii() {
    for setup in [with_alerts as fn(&mut State), with_dead_alertmanager] {
        for view in ["9", ":silences\n"] {
            for (w, h) in SIZES {
                let mut state = platform();
                setup(&mut state);
                for c in view.chars() {
                    let msg = if c == '\n' {
                        code(KeyCode::Enter)
                    } else {
                        key(c)
                    };
                    keys(&mut state, vec![msg]);
                }
                let screen = render(&mut state, w, h, true);
                assert!(screen.is_ascii(), "view {view:?}, {w}x{h}:\n{screen}");
                if view == "9" && w == 80 {
                    insta::assert_snapshot!(
                        format!(
                            "alerts_ascii_{}",
                            state.panes.alerts.model.load() != opsdeck::status::LoadState::Live
                        ),
                        screen
                    );
                }
            }
        }
    }
}

#[test]
fn hpas_name_the_queue_their_workload_drains() {
    snapshot_view("hpas_queues", |s| {
        with_queues(s);
        keys(s, vec![key('4')]);
    });
}

#[test]
fn describe_of_a_crashlooping_pod() {
    snapshot_view("describe_pod", with_described_pod);
}

#[test]
fn describe_searched_and_wrapped() {
    snapshot_view("describe_pod_search", |s| {
        with_described_pod(s);
        keys(s, typed_filter("oomkilled"));
        keys(s, vec![key('w')]);
    });
}

#[test]
fn yaml_of_a_crashlooping_pod() {
    snapshot_view("yaml_pod", |s| {
        with_described_pod(s);
        keys(s, vec![key('y')]);
    });
}

#[test]
fn describe_and_yaml_in_ascii() {
    for (face, name) in [('d', "describe"), ('y', "yaml")] {
        let mut state = platform();
        with_described_pod(&mut state);
        keys(&mut state, vec![key(face)]);
        let screen = render(&mut state, 80, 24, true);
        assert!(screen.is_ascii(), "non-ASCII in ASCII mode:\n{screen}");
        insta::assert_snapshot!(format!("{name}_pod_ascii_80x24"), screen);
    }
}

fn command_line(state: &mut State, line: &str) {
    let mut msgs = vec![key(':')];
    msgs.extend(typed(line));
    keys(state, msgs);
}

#[test]
fn an_incident_timeline() {
    snapshot_view("incident", |s| {
        with_alerts(s);
        command_line(s, "incident start api returns 5xx --severity sev1");
        command_line(s, "incident ack");
        command_line(s, "incident note rolled back api to revision 6");
        keys(
            s,
            vec![applied(
                Resource::Nodes,
                opsdeck::cluster::model::Rows::Nodes(vec![node("pool-general-2", false)]),
            )],
        );
    });
}

#[test]
fn no_incident_says_how_to_start_one_and_the_note_editor() {
    snapshot_view("incident_none", |s| command_line(s, "incident"));
    snapshot_view("incident_note", |s| {
        command_line(s, "incident start api returns 5xx");
        keys(s, vec![key('n')]);
        keys(s, "5xx falling".chars().map(key).collect());
    });
}

/// The time axis of the bad rollout: the burn crossing the page thresholds, the queue, the
/// replicas, and the incident's markers.
fn with_axis(s: &mut State) {
    use opsdeck::incident::axis::{AxisData, Panel, Window};
    use opsdeck::incident::pane::IncidentMsg;
    command_line(s, "incident start api returns 5xx");
    keys(
        s,
        vec![applied(
            Resource::Deployments,
            opsdeck::cluster::model::Rows::Workloads(vec![deployment("api", 3, 3, 3, 8)]),
        )],
    );
    command_line(s, "axis");
    let start = NOW - 3_600;
    let series = |f: &dyn Fn(i64) -> f64| -> Vec<(f64, f64)> {
        (0..=240)
            .map(|i| {
                let t = start + i * 15;
                (t as f64, f(i))
            })
            .collect()
    };
    let data = AxisData {
        window: Window::Hour,
        start,
        end: NOW,
        burn: Panel {
            title: "api-availability burn rate (5m)".into(),
            points: series(&|i| if (150..215).contains(&i) { 40.0 } else { 0.5 }),
            missing: None,
        },
        queue: Panel {
            title: "articles depth".into(),
            points: series(&|i| 100.0 + i as f64),
            missing: None,
        },
        replicas: Panel {
            title: "contentgen/api available replicas".into(),
            points: vec![],
            missing: Some("no data for sum(kube_deployment_status_replicas_available)".into()),
        },
    };
    keys(s, vec![Msg::from(IncidentMsg::Axis(Box::new(data)))]);
}

#[test]
fn the_time_axis() {
    snapshot_view("axis", with_axis);
    let mut state = platform();
    with_axis(&mut state);
    let screen = render(&mut state, 80, 24, true);
    assert!(screen.is_ascii(), "non-ASCII in ASCII mode:\n{screen}");
    insta::assert_snapshot!("axis_ascii_80x24", screen);
}
