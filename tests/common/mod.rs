//! Fixtures shared by the reducer and rendering tests: a small platform built from real
//! Kubernetes JSON shapes, fed through the same rows and messages as the live sources.
#![allow(dead_code)]

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use opsdeck::app::sources::Feeds;
use opsdeck::cluster::model::{ClusterMsg, Resource, Rows, SourceEvent};
use opsdeck::cluster::rows::{EventRow, HpaRow, NodeRow, PodRow, WorkloadRow};
use opsdeck::cluster::source::Namespaces;
use opsdeck::core::keymap::Keymap;
use opsdeck::core::msg::{Effect, Msg};
use opsdeck::core::panes::views;
use opsdeck::core::state::{Connection, State};
use opsdeck::core::update::{prepare, update};
use serde_json::json;

/// A fixed clock: 2026-11-25T12:00:00Z.
pub const NOW: i64 = 1_795_608_000;

pub fn ts(secs_ago: i64) -> String {
    jiff::Timestamp::from_second(NOW - secs_ago)
        .expect("valid timestamp")
        .to_string()
}

pub fn deployment(
    name: &str,
    desired: i32,
    ready: i32,
    updated: i32,
    revision: u32,
) -> WorkloadRow {
    let wire = serde_json::from_value(json!({
        "metadata": {"name": name, "namespace": "contentgen", "generation": 3,
            "creationTimestamp": ts(86_400 * 3),
            "annotations": {"deployment.kubernetes.io/revision": revision.to_string()}},
        "spec": {"replicas": desired, "template": {"spec": {"containers": [
            {"name": name, "image": format!("registry.local/{name}:1.{revision}.0")}]}}},
        "status": {"observedGeneration": 3, "replicas": desired.max(updated), "updatedReplicas": updated,
            "readyReplicas": ready, "availableReplicas": ready}
    }))
    .expect("deployment fixture");
    WorkloadRow::from_deployment(&wire)
}

pub fn statefulset(name: &str, desired: i32, ready: i32) -> WorkloadRow {
    let wire = serde_json::from_value(json!({
        "metadata": {"name": name, "namespace": "contentgen", "generation": 1,
            "creationTimestamp": ts(86_400 * 9)},
        "spec": {"replicas": desired},
        "status": {"observedGeneration": 1, "replicas": desired, "readyReplicas": ready,
            "currentRevision": format!("{name}-5d9c"), "updateRevision": format!("{name}-5d9c")}
    }))
    .expect("statefulset fixture");
    WorkloadRow::from_statefulset(&wire)
}

pub fn pod(workload: &str, suffix: &str, node: &str, state: &str, restarts: i32) -> PodRow {
    let (ready, container_state) = match state {
        "Running" => (true, json!({"running": {"startedAt": ts(3_000)}})),
        "CrashLoopBackOff" => (false, json!({"waiting": {"reason": "CrashLoopBackOff"}})),
        other => (false, json!({"waiting": {"reason": other}})),
    };
    let hash = "6d4b7c9f8";
    let wire = serde_json::from_value(json!({
        "metadata": {"name": format!("{workload}-{hash}-{suffix}"), "namespace": "contentgen",
            "creationTimestamp": ts(3_600),
            "labels": {"app": workload, "pod-template-hash": hash},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                "name": format!("{workload}-{hash}"), "uid": "rs", "controller": true}]},
        "spec": {"nodeName": node, "containers": [{"name": workload}]},
        "status": {"phase": "Running", "podIP": "10.42.0.17", "containerStatuses": [{
            "name": workload, "ready": ready, "restartCount": restarts, "state": container_state,
            "lastState": if restarts > 0 { json!({"terminated": {"reason": "OOMKilled",
                "exitCode": 137, "finishedAt": ts(40)}}) } else { json!({}) }}]}
    }))
    .expect("pod fixture");
    PodRow::from_wire(&wire)
}

pub fn node(name: &str, ready: bool) -> NodeRow {
    let wire = serde_json::from_value(json!({
        "metadata": {"name": name, "creationTimestamp": ts(86_400 * 30),
            "labels": {"node-role.kubernetes.io/worker": ""}},
        "status": {"conditions": [{"type": "Ready", "status": if ready { "True" } else { "Unknown" }}],
            "capacity": {"cpu": "8", "memory": "32Gi"},
            "nodeInfo": {"kubeletVersion": "v1.33.2"}}
    }))
    .expect("node fixture");
    NodeRow::from_wire(&wire)
}

pub fn hpa(name: &str, current: i32, max: i32) -> HpaRow {
    let wire = serde_json::from_value(json!({
        "metadata": {"name": name, "namespace": "contentgen", "creationTimestamp": ts(86_400 * 3)},
        "spec": {"scaleTargetRef": {"kind": "Deployment", "name": name}, "minReplicas": 2,
            "maxReplicas": max, "metrics": [{"type": "Resource", "resource": {"name": "cpu",
                "target": {"type": "Utilization", "averageUtilization": 70}}}]},
        "status": {"currentReplicas": current, "desiredReplicas": current,
            "currentMetrics": [{"type": "Resource", "resource": {"name": "cpu",
                "current": {"averageUtilization": 64}}}]}
    }))
    .expect("hpa fixture");
    HpaRow::from_wire(&wire)
}

pub fn warning(
    name: &str,
    object: &str,
    reason: &str,
    message: &str,
    count: i32,
    ago: i64,
) -> EventRow {
    let (kind, obj) = object.split_once('/').expect("Kind/name");
    let wire = serde_json::from_value(json!({
        "metadata": {"name": name, "namespace": "contentgen"},
        "involvedObject": {"kind": kind, "name": obj},
        "reason": reason, "message": message, "type": "Warning", "count": count,
        "lastTimestamp": ts(ago)
    }))
    .expect("event fixture");
    EventRow::from_wire(&wire)
}

fn msg(resource: Resource, event: SourceEvent) -> Msg {
    Msg::from(ClusterMsg {
        context: "opsdeck-sim".into(),
        resource,
        scope: String::new(),
        event,
    })
}

pub fn listed(resource: Resource, rows: Rows) -> Vec<Msg> {
    vec![
        msg(resource, SourceEvent::ListStarted),
        msg(resource, SourceEvent::Applied(rows)),
        msg(resource, SourceEvent::ListDone),
    ]
}

pub fn applied(resource: Resource, rows: Rows) -> Msg {
    msg(resource, SourceEvent::Applied(rows))
}

pub fn failed(resource: Resource, reason: &str, retry_secs: Option<u64>) -> Msg {
    msg(
        resource,
        SourceEvent::Failed {
            reason: reason.into(),
            retry_in: retry_secs.map(std::time::Duration::from_secs),
        },
    )
}

/// The crashloop scenario as the console sees it, at 80x24.
pub fn platform() -> State {
    let mut state = State::new(
        Connection {
            context: "opsdeck-sim".into(),
            cluster_url: "http://127.0.0.1:6443".into(),
            production: false,
            readonly: false,
            default_namespace: "contentgen".into(),
        },
        Feeds::default().panes(Namespaces::All, vec!["opsdeck-sim".into()], "contentgen"),
        Keymap::default_keymap(&views()),
        NOW,
    );
    let workloads = vec![
        deployment("api", 3, 3, 3, 7),
        deployment("article-generator", 4, 4, 4, 12),
        deployment("fact-checker", 2, 0, 2, 5),
        deployment("topic-analyzer", 1, 1, 1, 2),
        deployment("publisher", 2, 2, 2, 4),
        statefulset("redis", 1, 1),
        statefulset("rabbitmq", 3, 3),
    ];
    let (deploys, sts): (Vec<_>, Vec<_>) = workloads
        .into_iter()
        .partition(|w| w.kind == opsdeck::k8s::WorkloadKind::Deployment);
    let pods = vec![
        pod("api", "a1b2c", "pool-general-1", "Running", 0),
        pod("api", "d3e4f", "pool-general-2", "Running", 0),
        pod("api", "g5h6i", "pool-general-3", "Running", 0),
        pod("article-generator", "j7k8l", "pool-general-1", "Running", 0),
        pod("article-generator", "m9n0p", "pool-general-2", "Running", 1),
        pod(
            "fact-checker",
            "q1r2s",
            "pool-general-3",
            "CrashLoopBackOff",
            6,
        ),
        pod(
            "fact-checker",
            "t3u4v",
            "pool-general-4",
            "CrashLoopBackOff",
            5,
        ),
        pod("publisher", "w5x6y", "pool-general-4", "Running", 0),
    ];
    let mut msgs = Vec::new();
    msgs.extend(listed(Resource::Deployments, Rows::Workloads(deploys)));
    msgs.extend(listed(Resource::StatefulSets, Rows::Workloads(sts)));
    msgs.extend(listed(Resource::Pods, Rows::Pods(pods)));
    msgs.extend(listed(
        Resource::Nodes,
        Rows::Nodes(
            (1..=4)
                .map(|i| node(&format!("pool-general-{i}"), true))
                .collect(),
        ),
    ));
    msgs.extend(listed(
        Resource::Hpas,
        Rows::Hpas(vec![hpa("api", 3, 6), hpa("article-generator", 12, 12)]),
    ));
    msgs.extend(listed(
        Resource::Events,
        Rows::Events(vec![
            warning(
                "e1",
                "Pod/fact-checker-6d4b7c9f8-q1r2s",
                "BackOff",
                "Back-off restarting failed container fact-checker",
                14,
                20,
            ),
            warning(
                "e2",
                "Pod/fact-checker-6d4b7c9f8-q1r2s",
                "OOMKilling",
                "Memory cgroup out of memory: Killed process 4121 (python)",
                6,
                45,
            ),
            warning(
                "e3",
                "Pod/fact-checker-6d4b7c9f8-t3u4v",
                "BackOff",
                "Back-off restarting failed container fact-checker",
                11,
                30,
            ),
        ]),
    ));
    msgs.extend(listed(
        Resource::Namespaces,
        Rows::Namespaces(vec!["contentgen".into(), "monitoring".into()]),
    ));
    feed(&mut state, msgs);
    state
}

/// One list of `resource` in `context`, as its watch sends it.
pub fn listed_in(context: &str, resource: Resource, rows: Rows) -> Vec<Msg> {
    let at = |event| {
        Msg::from(ClusterMsg {
            context: context.into(),
            resource,
            scope: String::new(),
            event,
        })
    };
    vec![
        at(SourceEvent::ListStarted),
        at(SourceEvent::Applied(rows)),
        at(SourceEvent::ListDone),
    ]
}

/// A second cluster watched beside the platform's: `prod-us`, where api is rolling out a
/// new revision, one node of two is NotReady, and publisher's pods are all ready.
pub fn with_second_context(state: &mut State) {
    state.panes.cluster.contexts.push("prod-us".into());
    let mut msgs = vec![];
    msgs.extend(listed_in(
        "prod-us",
        Resource::Deployments,
        Rows::Workloads(vec![
            deployment("api", 3, 2, 1, 8),
            deployment("publisher", 2, 2, 2, 4),
        ]),
    ));
    msgs.extend(listed_in(
        "prod-us",
        Resource::StatefulSets,
        Rows::Workloads(vec![]),
    ));
    msgs.extend(listed_in(
        "prod-us",
        Resource::Pods,
        Rows::Pods(vec![
            pod("api", "u1v2w", "us-general-1", "Running", 0),
            pod("api", "x3y4z", "us-general-2", "Running", 1),
            pod("publisher", "p9q8r", "us-general-1", "Running", 0),
        ]),
    ));
    msgs.extend(listed_in(
        "prod-us",
        Resource::Nodes,
        Rows::Nodes(vec![
            node("us-general-1", true),
            node("us-general-2", false),
        ]),
    ));
    for r in [Resource::Hpas, Resource::Events] {
        let empty = match r {
            Resource::Hpas => Rows::Hpas(vec![]),
            _ => Rows::Events(vec![]),
        };
        msgs.extend(listed_in("prod-us", r, empty));
    }
    feed(state, msgs);
}

/// The messages, then the second's tick (which brings what is looked at once a second).
pub fn feed(state: &mut State, msgs: Vec<Msg>) -> Vec<Effect> {
    let mut effects = Vec::new();
    for m in msgs {
        effects.extend(update(state, m));
    }
    effects.extend(update(state, Msg::Ticked(state.now)));
    prepare(state);
    effects
}

pub fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

pub fn code(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// Types a line into whatever input is open, then presses Enter.
pub fn typed(text: &str) -> Vec<Msg> {
    let mut v: Vec<Msg> = text.chars().map(key).collect();
    v.push(code(KeyCode::Enter));
    v
}

pub fn keys(state: &mut State, msgs: Vec<Msg>) -> Vec<Effect> {
    feed(state, msgs)
}

/// The platform's queues, two samples 10 s apart: `articles` growing, the rest draining.
pub fn with_queues(state: &mut State) {
    use opsdeck::config::{QueueConfig, QueueKind};
    use opsdeck::queues::{QueueMsg, QueueSample};
    let configs: Vec<QueueConfig> = [
        (
            "articles",
            QueueKind::Celery,
            "contentgen/article-generator",
        ),
        ("fact_checks", QueueKind::Celery, "contentgen/fact-checker"),
        ("publish", QueueKind::Rq, "contentgen/publisher"),
        (
            "events:competitors",
            QueueKind::Stream,
            "contentgen/competitor-monitor",
        ),
        ("notifications", QueueKind::Rabbitmq, "contentgen/notifier"),
    ]
    .into_iter()
    .map(|(name, kind, consumer)| QueueConfig {
        name: name.into(),
        kind,
        url: match kind {
            QueueKind::Rabbitmq => "http://monitor@rabbitmq.contentgen:15672".into(),
            _ => "redis://127.0.0.1:6379/0".into(),
        },
        consumer: Some(consumer.into()),
        password_env: None,
        group: None,
        keyprefix: None,
        visibility_timeout: None,
        vhost: None,
    })
    .collect();
    state.panes.queues = opsdeck::queues::pane::QueuePane::new(&configs, "contentgen");
    // As `Feeds::panes` links them: the HPA view's queues, the queue view's autoscalers.
    state.panes.cluster.queues_of = state.panes.queues.queues_by_consumer();
    state
        .panes
        .queues
        .set_scalers(state.panes.cluster.scalers());
    let sample = |name: &str, at_s: i64, depth: u64, enq: u64, done: u64| QueueSample {
        name: name.into(),
        at_ms: (NOW + at_s) * 1000,
        depth,
        unacked: 3,
        consumers: Some(4),
        failed: None,
        oldest_age_secs: (depth > 0).then_some(95.0 + at_s as f64),
        enqueued_total: Some(enq),
        processed_total: Some(done),
        ..QueueSample::default()
    };
    let at = |t: i64, d: u64| {
        vec![
            sample("articles", t, d, 1_000 + d * 3, 1_000 + d),
            sample(
                "fact_checks",
                t,
                40 - t as u64,
                500 + t as u64,
                460 + 2 * t as u64,
            ),
            sample("publish", t, 0, 300 + t as u64, 300 + t as u64),
            sample("events:competitors", t, 2, 80 + t as u64, 78 + t as u64),
            QueueSample {
                broker_rates: Some(opsdeck::queues::BrokerRates {
                    in_per_sec: 3.0,
                    out_per_sec: 3.5,
                }),
                ..sample("notifications", t, 12, 9_000, 8_990)
            },
        ]
    };
    // One worker has held two articles past Celery's visibility timeout.
    let with_overdue = |mut v: Vec<QueueSample>| {
        v[0].overdue = Some(2);
        v
    };
    feed(state, vec![Msg::from(QueueMsg::Sampled(at(0, 100)))]);
    feed(
        state,
        vec![Msg::from(QueueMsg::Sampled(with_overdue(at(10, 180))))],
    );
}

/// `with_queues`, then the RabbitMQ broker stops answering.
pub fn with_dead_broker(state: &mut State) {
    with_queues(state);
    feed(
        state,
        vec![Msg::from(opsdeck::queues::QueueMsg::Failed {
            url_redacted: "http://rabbitmq.contentgen:15672".into(),
            queues: vec!["notifications".into()],
            reason: "connection refused".into(),
            retry_in: Some(std::time::Duration::from_secs(8)),
        })],
    );
}

/// The platform's example SLOs, read from a Prometheus: availability paging (a bad rollout),
/// latency ticketing, pipelines fine, publish without traffic in its short windows.
pub fn with_slos(state: &mut State) {
    use opsdeck::slo::model::SloModel;
    use opsdeck::slo::source::{SloMsg, SloReading};
    use std::collections::BTreeMap;
    use std::time::Duration;
    let slos = opsdeck::slo::examples().expect("examples parse");
    state.panes.slo = opsdeck::slo::pane::SloPane::new(SloModel::new(&slos));
    let d = Duration::from_secs;
    let (h, day) = (3600, 86_400);
    let ratios = |r: [f64; 5]| -> BTreeMap<Duration, f64> {
        [d(300), d(1800), d(h), d(6 * h), d(3 * day)]
            .into_iter()
            .zip(r)
            .collect()
    };
    let queries = |slo: &opsdeck::slo::Slo| -> Vec<(Duration, String)> {
        [d(300), d(1800), d(h), d(6 * h), d(3 * day), slo.period]
            .into_iter()
            .map(|w| (w, slo.sli.error_ratio_query(w)))
            .collect()
    };
    let find = |key: &str| slos.iter().find(|s| s.key() == key).expect("slo");
    let reading = |key: &str, r: [f64; 5], period: f64| SloReading {
        key: key.into(),
        ratios: ratios(r),
        period_ratio: Some(period),
        queries: queries(find(key)),
        ..SloReading::default()
    };
    let publish = SloReading {
        key: "publisher/publish-success".into(),
        period_ratio: Some(0.021),
        queries: queries(find("publisher/publish-success")),
        ..SloReading::default()
    };
    let at = |t: i64, avail_1h: f64| SloMsg::Refreshed {
        at_ms: (NOW + t) * 1000,
        readings: vec![
            reading(
                "api/api-availability",
                [0.62, 0.21, avail_1h, 0.0021, 0.0004],
                0.00041,
            ),
            reading("api/api-latency", [0.004, 0.07, 0.065, 0.05, 0.02], 0.0035),
            reading(
                "pipeline/pipeline-success",
                [0.004, 0.005, 0.005, 0.005, 0.005],
                0.005,
            ),
            publish.clone(),
        ],
    };
    feed(
        state,
        vec![
            Msg::from(at(-60, 0.004)),
            Msg::from(at(-40, 0.008)),
            Msg::from(at(-20, 0.0158)),
            Msg::from(at(0, 0.021)),
        ],
    );
}

/// `with_slos`, then Prometheus stops answering.
pub fn with_dead_prometheus(state: &mut State) {
    with_slos(state);
    feed(
        state,
        vec![Msg::from(opsdeck::slo::source::SloMsg::Failed {
            reason: "connection refused".into(),
            retry_in: Some(std::time::Duration::from_secs(4)),
        })],
    );
}

/// Budgets from DESIGN.md's example, a cost spike on LLM spend, OpenCost answering.
pub fn with_costs(state: &mut State) {
    use opsdeck::config::{BudgetConfig, BudgetLimit};
    use opsdeck::cost::CostModel;
    use opsdeck::cost::model::{CostMsg, InfraReading, LlmReading, Spend, WorkloadCost};
    use std::collections::BTreeMap;
    let config = BudgetConfig {
        llm_daily_usd: Some(50.0),
        llm_monthly_usd: Some(1200.0),
        infra_monthly_usd: Some(500.0),
        cost_per_article_usd: Some(0.05),
        limits: vec![BudgetLimit {
            provider: Some("anthropic".into()),
            service: None,
            daily_usd: Some(20.0),
            monthly_usd: None,
        }],
    };
    let sources = opsdeck::cost::CostSources {
        llm: true,
        infra: true,
    };
    state.panes.cost = opsdeck::cost::pane::CostPane::new(CostModel::new(Some(&config), sources));
    let spend = |today: f64, month: f64, hourly: f64, day: f64| Spend {
        today_usd: today,
        month_usd: month,
        hourly_usd: hourly,
        last_24h_usd: day,
    };
    let llm = |hourly: f64| LlmReading {
        total: spend(38.5, 810.0, hourly, 41.0),
        by_provider: BTreeMap::from([
            ("openai".into(), spend(26.0, 560.0, hourly * 0.7, 28.0)),
            ("anthropic".into(), spend(12.5, 250.0, hourly * 0.3, 13.0)),
        ]),
        by_service: BTreeMap::from([
            (
                "article-generator".into(),
                spend(30.0, 620.0, hourly * 0.8, 32.0),
            ),
            ("fact-checker".into(), spend(8.5, 190.0, hourly * 0.2, 9.0)),
        ]),
        last_7d_usd: 250.0,
        last_hour_usd: 3.1,
        tokens_24h_by_model: BTreeMap::from([
            ("gpt-4o".into(), 9_400_000.0),
            ("claude-sonnet".into(), 3_100_000.0),
            ("gpt-4o-mini".into(), 12_000_000.0),
        ]),
        articles_today: 700.0,
        articles_7d: 12_600.0,
        runs_today: 760.0,
        runs_7d: 13_400.0,
    };
    let infra = InfraReading {
        month_usd: 367.0,
        today_usd: 11.0,
        last_7d_usd: 102.8,
        workloads: vec![
            WorkloadCost {
                key: "__idle__".into(),
                cost_usd: 303.25,
                cpu_efficiency: None,
                ram_efficiency: None,
            },
            WorkloadCost {
                key: "contentgen/article-generator".into(),
                cost_usd: 18.9,
                cpu_efficiency: Some(0.49),
                ram_efficiency: Some(0.59),
            },
            WorkloadCost {
                key: "contentgen/api".into(),
                cost_usd: 7.09,
                cpu_efficiency: Some(0.81),
                ram_efficiency: Some(0.91),
            },
        ],
    };
    let at = (NOW - 6 * 3600) * 1000; // 06:00 UTC: 18 hours left today
    feed(
        state,
        vec![
            Msg::from(CostMsg::Llm {
                at_ms: at,
                reading: Box::new(llm(1.5)),
            }),
            Msg::from(CostMsg::Llm {
                at_ms: at,
                reading: Box::new(llm(4.0)),
            }),
            Msg::from(CostMsg::Infra {
                at_ms: at,
                reading: infra,
            }),
        ],
    );
}

/// Two Alertmanagers (`am-eu`, `am-us`): the API's availability page on both, a crashlooping
/// pod and a silenced queue backlog on one, a budget warning inhibited; one active silence.
pub fn with_alerts(state: &mut State) {
    use opsdeck::alerts::AlertMsg;
    use opsdeck::alerts::model::AlertsModel;
    use opsdeck::alerts::wire::{
        Alert, AlertGroup, AlertStatus, Matcher, Receiver, Silence, SilenceStatus,
    };
    let names = ["am-eu".to_string(), "am-us".to_string()];
    let runbooks = vec!["bad-rollout".to_string(), "queue-backlog".to_string()];
    state.panes.alerts = opsdeck::alerts::pane::AlertsPane::new(AlertsModel::new(&names, runbooks));
    let labels = |pairs: &[(&str, &str)]| -> std::collections::BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let alert = |pairs: &[(&str, &str)],
                 summary: &str,
                 runbook: &str,
                 ago: i64,
                 state: &str,
                 silenced: &[&str]| Alert {
        labels: labels(pairs),
        annotations: labels(&[
            ("summary", summary),
            (
                "runbook_url",
                &format!("https://opsdeck.dev/runbooks/{runbook}"),
            ),
        ]),
        starts_at: ts(ago),
        ends_at: ts(-3600),
        fingerprint: String::new(),
        receivers: vec![],
        generator_url: String::new(),
        status: AlertStatus {
            state: state.into(),
            silenced_by: silenced.iter().map(|s| s.to_string()).collect(),
            inhibited_by: if state == "suppressed" && silenced.is_empty() {
                vec!["f00d".into()]
            } else {
                vec![]
            },
        },
    };
    let group = |name: &str, alerts: Vec<Alert>| AlertGroup {
        labels: labels(&[("alertname", name), ("namespace", "contentgen")]),
        receiver: Receiver {
            name: "oncall".into(),
        },
        alerts,
    };
    let page = || {
        group(
            "ApiHighErrorRate",
            vec![alert(
                &[
                    ("alertname", "ApiHighErrorRate"),
                    ("severity", "page"),
                    ("namespace", "contentgen"),
                    ("sloth_slo", "api-availability"),
                ],
                "api-availability is burning its error budget at 14.4x",
                "bad-rollout",
                240,
                "active",
                &[],
            )],
        )
    };
    let silence = Silence {
        id: "6a1f0c2e-9b7d-4e1a-8c3f-0d2b5e7a9c11".into(),
        status: SilenceStatus {
            state: "active".into(),
        },
        updated_at: ts(600),
        matchers: vec![Matcher {
            name: "alertname".into(),
            value: "QueueBacklogGrowing".into(),
            is_regex: false,
            is_equal: true,
        }],
        starts_at: ts(600),
        ends_at: ts(-3000),
        created_by: "ana".into(),
        comment: "scaling article-generator".into(),
    };
    let eu = vec![
        page(),
        group(
            "KubePodCrashLooping",
            vec![alert(
                &[
                    ("alertname", "KubePodCrashLooping"),
                    ("severity", "warning"),
                    ("namespace", "contentgen"),
                    ("pod", "fact-checker-5f7c9d-x2x8q"),
                ],
                "Pod contentgen/fact-checker-5f7c9d-x2x8q is crash looping",
                "crashloop",
                900,
                "active",
                &[],
            )],
        ),
        group(
            "QueueBacklogGrowing",
            vec![alert(
                &[
                    ("alertname", "QueueBacklogGrowing"),
                    ("severity", "warning"),
                    ("namespace", "contentgen"),
                    ("queue", "articles"),
                ],
                "Queue articles grows faster than it drains",
                "queue-backlog",
                1_200,
                "suppressed",
                &["6a1f0c2e-9b7d-4e1a-8c3f-0d2b5e7a9c11"],
            )],
        ),
        group(
            "BudgetAtRisk",
            vec![alert(
                &[
                    ("alertname", "BudgetAtRisk"),
                    ("severity", "info"),
                    ("namespace", "contentgen"),
                ],
                "LLM spend is projected over the daily budget",
                "high-cost",
                3_000,
                "suppressed",
                &[],
            )],
        ),
    ];
    feed(
        state,
        vec![
            Msg::from(AlertMsg::Read {
                instance: 0,
                groups: eu,
                silences: vec![silence],
            }),
            Msg::from(AlertMsg::Read {
                instance: 1,
                groups: vec![page()],
                silences: vec![],
            }),
        ],
    );
}

/// `with_alerts`, then `am-us` stops answering.
pub fn with_dead_alertmanager(state: &mut State) {
    with_alerts(state);
    feed(
        state,
        vec![Msg::from(opsdeck::alerts::AlertMsg::Failed {
            instance: 1,
            reason: "connection refused".into(),
            retry_in: Some(std::time::Duration::from_secs(4)),
        })],
    );
}

/// The platform's services' health endpoints, one in each shape: fact-checker's MicroProfile
/// readiness down (it crashloops), article-generator's health+json warning about its LLM's
/// response time, the API degraded by the platform's map of words (its liveness fine),
/// topic-analyzer not answering, publisher passing, qdrant passing with an unreadable body.
pub fn with_health(state: &mut State) {
    use opsdeck::config::HealthConfig;
    use opsdeck::health::answer::read;
    use opsdeck::health::pane::HealthPane;
    use opsdeck::health::{HealthModel, HealthMsg, Probe};
    let names = [
        "api",
        "article-generator",
        "fact-checker",
        "topic-analyzer",
        "publisher",
        "qdrant",
    ];
    let configs: Vec<HealthConfig> = names
        .iter()
        .map(|n| HealthConfig {
            name: n.to_string(),
            url: format!("http://{n}.contentgen:8080/health/ready"),
            live_url: (*n == "api").then(|| format!("http://{n}.contentgen:8080/health/live")),
        })
        .collect();
    state.panes.health = HealthPane::new(HealthModel::new(&configs));
    let answered = |code, content_type, body: &str, ms| {
        Probe::Answered(read(code, Some(content_type), body.as_bytes(), ms))
    };
    let round = |service: &str, ago: i64, ready: Probe| {
        let live = (service == "api").then(|| answered(200, "application/json", OK, 2));
        let retry_in =
            matches!(ready, Probe::Unreachable(_)).then(|| std::time::Duration::from_secs(8));
        Msg::from(HealthMsg {
            service: service.into(),
            at_ms: (NOW - ago) * 1000,
            ready,
            live,
            retry_in,
        })
    };
    const OK: &str = r#"{"status":"ok","checks":{"redis":"ok","postgres":"ok"}}"#;
    let degraded = r#"{"status":"degraded","checks":{"redis":"ok","postgres":"ok",
        "qdrant":"ok","rabbitmq":"ok","api_ready_pods":"2/3","generation":"active"}}"#;
    let llm_slow = r#"{"status":"warn","checks":{"openai:responseTime":[{
        "componentId":"gpt-4o","componentType":"component","observedValue":2300,
        "observedUnit":"ms","status":"warn","time":"2026-11-25T11:59:58Z"}]}}"#;
    let crashing = r#"{"status":"DOWN","checks":[{"name":"model-cache","status":"DOWN",
        "data":{"error":"OOMKilled while loading the model"}},{"name":"redis","status":"UP"}]}"#;
    let pass = r#"{"status":"pass","checks":{"uptime":[{"observedValue":86400,"status":"pass"}]}}"#;
    feed(
        state,
        vec![
            round("api", 900, answered(200, "application/json", OK, 11)),
            round("api", 240, answered(200, "application/json", degraded, 14)),
            round(
                "article-generator",
                600,
                answered(200, "application/health+json", llm_slow, 2_340),
            ),
            round(
                "fact-checker",
                45,
                answered(503, "application/json", crashing, 6),
            ),
            round(
                "topic-analyzer",
                3_000,
                answered(200, "text/plain", "OK", 3),
            ),
            round(
                "topic-analyzer",
                90,
                Probe::Unreachable("connection refused".into()),
            ),
            round(
                "publisher",
                7_200,
                answered(200, "application/health+json", pass, 4),
            ),
            round(
                "qdrant",
                1_800,
                answered(200, "application/json", "{\"status\": \"gr", 9),
            ),
        ],
    );
}

/// `with_health`, then no endpoint answers (the bastion lost its route to the cluster).
pub fn with_dead_health(state: &mut State) {
    use opsdeck::health::{HealthMsg, Probe};
    with_health(state);
    let services: Vec<String> = state
        .panes
        .health
        .model
        .rows()
        .iter()
        .map(|r| r.name.clone())
        .collect();
    let msgs = services
        .into_iter()
        .map(|service| {
            Msg::from(HealthMsg {
                live: (service == "api").then(|| Probe::Unreachable("timed out".into())),
                service,
                at_ms: NOW * 1000,
                ready: Probe::Unreachable("timed out".into()),
                retry_in: Some(std::time::Duration::from_secs(4)),
            })
        })
        .collect();
    feed(state, msgs);
}

/// `:WORD` Enter: the view a `:` word opens (views without a number key).
pub fn open_view(state: &mut State, word: &str) {
    keys(state, vec![key(':')]);
    keys(state, typed(word));
}

/// A crashlooping pod as the API server sends it: OOMKilled last time, backing off.
pub fn crashlooping_pod_json() -> serde_json::Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "fact-checker-6d4b7c9f8-q1r2s", "namespace": "contentgen",
            "uid": "0b1c-pod", "creationTimestamp": ts(3_600),
            "labels": {"app": "fact-checker", "pod-template-hash": "6d4b7c9f8"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                "name": "fact-checker-6d4b7c9f8", "uid": "rs", "controller": true}],
            "managedFields": [{"manager": "kube-controller-manager", "operation": "Update"}]},
        "spec": {"nodeName": "pool-general-3", "serviceAccountName": "default",
            "containers": [{"name": "fact-checker", "image": "ghcr.io/contentgen/worker:v2.4.0",
                "ports": [{"containerPort": 8001, "protocol": "TCP"}],
                "resources": {"limits": {"memory": "96Mi"},
                              "requests": {"cpu": "250m", "memory": "512Mi"}},
                "env": [{"name": "SERVICE_NAME", "value": "fact-checker"}]}]},
        "status": {"phase": "Running", "hostIP": "10.0.0.13", "podIP": "10.42.0.17",
            "podIPs": [{"ip": "10.42.0.17"}], "startTime": ts(3_600), "qosClass": "Burstable",
            "conditions": [{"type": "Ready", "status": "False"},
                           {"type": "PodScheduled", "status": "True"}],
            "containerStatuses": [{"name": "fact-checker", "ready": false, "restartCount": 6,
                "image": "ghcr.io/contentgen/worker:v2.4.0", "imageID": "sha256:d413",
                "containerID": "containerd://d4135250",
                "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137,
                    "startedAt": ts(45), "finishedAt": ts(40)}}}]}
    })
}

/// The pod's own events: scheduled, then backing off.
pub fn crashlooping_pod_events() -> Vec<k8s_openapi::api::core::v1::Event> {
    let event = |reason: &str, type_: &str, from: &str, msg: &str, count: i32, first: i64| {
        serde_json::from_value(json!({
            "metadata": {"name": format!("fact-checker.{reason}"), "namespace": "contentgen"},
            "involvedObject": {"kind": "Pod", "name": "fact-checker-6d4b7c9f8-q1r2s",
                "namespace": "contentgen", "uid": "0b1c-pod"},
            "reason": reason, "type": type_, "message": msg, "count": count,
            "source": {"component": from},
            "firstTimestamp": ts(first), "lastTimestamp": ts(40)
        }))
        .expect("event fixture")
    };
    vec![
        event(
            "BackOff",
            "Warning",
            "kubelet",
            "Back-off restarting failed container fact-checker",
            5,
            300,
        ),
        event(
            "Scheduled",
            "Normal",
            "default-scheduler",
            "Successfully assigned contentgen/fact-checker-6d4b7c9f8-q1r2s to pool-general-3",
            1,
            3_600,
        ),
    ]
}

/// The pods view, `d` on the crashlooping pod, and its describe and YAML arriving.
pub fn with_described_pod(state: &mut State) {
    use opsdeck::inspect::describe::{Subject, describe};
    use opsdeck::inspect::document::Rendered;
    use opsdeck::inspect::yaml::to_yaml;
    let pods = state.panes.cluster.model.pods.len();
    assert!(pods > 0, "the platform has pods");
    open_view(state, "pods");
    keys(state, typed_filter("q1r2s"));
    let effects = keys(state, vec![key('d')]);
    let session = effects
        .iter()
        .find_map(|e| match e {
            Effect::Inspect { session, .. } => Some(*session),
            _ => None,
        })
        .expect("d asks for the object");
    let object = crashlooping_pod_json();
    let pod = serde_json::from_value(object.clone()).expect("typed pod");
    let rendered = Rendered {
        describe: describe(
            &Subject::Pod(Box::new(pod)),
            &Ok(crashlooping_pod_events()),
            NOW,
        ),
        yaml: to_yaml(&object, false),
        yaml_managed: to_yaml(&object, true),
        at: NOW,
    };
    feed(
        state,
        vec![Msg::from(opsdeck::inspect::InspectMsg {
            session,
            result: Ok(rendered),
        })],
    );
}

/// `/TEXT` then Enter: a table's filter.
pub fn typed_filter(text: &str) -> Vec<Msg> {
    let mut v = vec![key('/')];
    v.extend(typed(text));
    v
}
