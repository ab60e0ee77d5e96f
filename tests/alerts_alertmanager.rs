//! Alerts and silences against real Alertmanagers (Debian's prometheus-alertmanager 0.25, two
//! instances on free loopback ports): the same alert on both is one alert tagged with both;
//! silences, acknowledgements and expiry go through the executor (plan, confirmation, POST or
//! DELETE, read back, audit); read-only contexts and instances refuse.

#[path = "common/alertmanager_server.rs"]
mod alertmanager_server;
#[path = "common/offline_kube.rs"]
mod offline_kube;

use std::time::Duration;

use alertmanager_server::AlertmanagerServer;
use opsdeck::actions::condition::Condition;
use opsdeck::actions::executor::{Executor, ExecutorConfig};
use opsdeck::actions::probes::Probes;
use opsdeck::actions::{ActionError, ActionRequest, audit};
use opsdeck::alerts::client::Alertmanager;
use opsdeck::alerts::model::{AlertState, AlertsModel};
use opsdeck::config::AlertmanagerConfig;
use serde_json::{Value, json};
use tokio::sync::mpsc;

const API_ERRORS: &[(&str, &str)] = &[
    ("alertname", "ApiHighErrorRate"),
    ("severity", "page"),
    ("namespace", "contentgen"),
    ("sloth_slo", "api-availability"),
];
const CRASHLOOP: &[(&str, &str)] = &[
    ("alertname", "KubePodCrashLooping"),
    ("severity", "warning"),
    ("namespace", "contentgen"),
    ("pod", "fact-checker-7d9f-abcde"),
];

fn alert(labels: &[(&str, &str)]) -> Value {
    let labels: serde_json::Map<String, Value> = labels
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    let now = jiff::Timestamp::now();
    json!({
        "labels": labels,
        "annotations": {"summary": "test alert", "runbook_url": "https://opsdeck.dev/runbooks/bad-rollout"},
        "startsAt": (now - jiff::SignedDuration::from_mins(5)).to_string(),
        "endsAt": (now + jiff::SignedDuration::from_hours(1)).to_string(),
    })
}

/// A plain client for what the tests post and read themselves.
fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// Posts alerts as Prometheus would, then waits until the instance lists them all.
async fn fire(am: &AlertmanagerServer, alerts: &[&[(&str, &str)]]) {
    let body: Vec<Value> = alerts.iter().map(|a| alert(a)).collect();
    let http = http();
    let resp = http
        .post(format!("{}/api/v2/alerts", am.url()))
        .json(&body)
        .send()
        .await
        .expect("post alerts");
    assert!(resp.status().is_success(), "{}", resp.status());
    for _ in 0..100 {
        let listed: Vec<Value> = http
            .get(format!("{}/api/v2/alerts", am.url()))
            .send()
            .await
            .expect("list")
            .json()
            .await
            .expect("json");
        if listed.len() >= alerts.len() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("alertmanager did not list the alerts posted");
}

fn client(name: &str, am: &AlertmanagerServer, readonly: bool) -> Alertmanager {
    let config = AlertmanagerConfig {
        name: name.into(),
        url: am.url(),
        password_env: None,
        readonly,
    };
    Alertmanager::new(&config, Duration::from_secs(5)).expect("client")
}

/// Every instance read once and merged, as the pane merges them.
async fn read_all(instances: &[Alertmanager]) -> AlertsModel {
    let names: Vec<String> = instances.iter().map(|a| a.name().to_string()).collect();
    let mut model = AlertsModel::new(&names, vec!["bad-rollout".into()]);
    for (i, am) in instances.iter().enumerate() {
        let msg = opsdeck::alerts::source::read(am, i).await.expect("read");
        model.apply(msg, 0);
    }
    model
}

/// An executor whose kube client points at a closed port: silences never ask Kubernetes.
async fn executor(dir: &std::path::Path, readonly: bool, ams: Vec<Alertmanager>) -> Executor {
    let client = offline_kube::client().await;
    let settings = ExecutorConfig {
        context: "prod-eu".into(),
        cluster_url: offline_kube::URL.into(),
        user: "ana".into(),
        readonly,
        production: false,
        platform_url: None,
        audit_path: dir.join("audit.jsonl"),
        verify_timeout: Duration::from_secs(20),
        operator: "sim-operator".into(),
        lock_namespace: None,
    };
    Executor::new(client, settings)
        .expect("executor")
        .with_probes(Probes {
            alertmanagers: ams,
            ..Probes::default()
        })
}

fn req(line: &str) -> ActionRequest {
    let words: Vec<&str> = line.split_whitespace().collect();
    ActionRequest::parse(&words, "contentgen").expect("parses")
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("opsdeck-am-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    dir
}

/// Plans, confirms with the plan's phrase and executes; the outcome's summary.
async fn act(ex: &Executor, line: &str) -> (opsdeck::actions::plan::Plan, String) {
    let plan = ex.plan(&req(line)).await.expect("plan");
    let (tx, mut rx) = mpsc::channel(64);
    let drain = tokio::spawn(async move { while rx.recv().await.is_some() {} });
    let outcome = ex
        .execute(&plan, &plan.confirm_phrase, &tx)
        .await
        .expect("execute");
    drop(tx);
    let _ = drain.await;
    (plan, outcome.summary)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_alert_on_two_instances_is_one_alert_tagged_with_both() {
    let (a, b) = (AlertmanagerServer::start(), AlertmanagerServer::start());
    fire(&a, &[API_ERRORS, CRASHLOOP]).await;
    fire(&b, &[API_ERRORS]).await;
    let model = read_all(&[client("am-a", &a, false), client("am-b", &b, false)]).await;
    let alerts = model.alerts();
    assert_eq!(alerts.len(), 2, "{alerts:#?}");
    // Worst first: the page before the warning.
    assert_eq!(alerts[0].name(), "ApiHighErrorRate");
    assert_eq!(alerts[0].instances, ["am-a", "am-b"]);
    assert_eq!(alerts[0].about.describe(), "slo api-availability");
    assert_eq!(alerts[0].runbook.as_deref(), Some("bad-rollout"));
    assert_eq!(alerts[1].instances, ["am-a"]);
    assert_eq!(
        alerts[1].about.describe(),
        "pod contentgen/fact-checker-7d9f-abcde"
    );
    // Grouped as the route says: by alertname and namespace.
    assert_eq!(model.groups().len(), 2);
    assert_eq!(
        model.groups()[0].key(),
        "alertname=ApiHighErrorRate namespace=contentgen"
    );
    assert_eq!(model.firing(), (2, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silence_goes_through_the_executor_to_both_and_is_expired_the_same_way() {
    let (a, b) = (AlertmanagerServer::start(), AlertmanagerServer::start());
    fire(&a, &[API_ERRORS, CRASHLOOP]).await;
    fire(&b, &[API_ERRORS, CRASHLOOP]).await;
    let dir = temp_dir("silence");
    let ams = || vec![client("am-a", &a, false), client("am-b", &b, false)];
    let ex = executor(&dir, false, ams()).await;

    // Regex and negative matchers: the crashloop warning only, not the page.
    let line = r#"silence alertname=~"Kube.*" severity!="page" --for 2h --comment fact-checker fix rolling out"#;
    let (plan, summary) = act(&ex, line).await;
    assert_eq!(plan.calls.len(), 2, "one POST per instance");
    assert!(
        plan.calls
            .iter()
            .all(|c| c.method == "POST" && c.path == "/api/v2/silences")
    );
    let body: Value = serde_json::from_str(&plan.calls[0].body).expect("exact JSON");
    assert_eq!(body["createdBy"], "ana");
    assert_eq!(body["comment"], "fact-checker fix rolling out");
    assert_eq!(
        body["matchers"][1],
        json!({"name": "severity", "value": "page", "isRegex": false, "isEqual": false})
    );
    let preview = plan.lines().join("\n");
    assert!(
        preview
            .contains("1 silenced: KubePodCrashLooping (pod contentgen/fact-checker-7d9f-abcde)"),
        "{preview}"
    );
    assert!(preview.contains("(alertmanager am-b)"), "{preview}");
    assert!(
        summary.contains("am-a: silence") && summary.contains("1/1 matching alerts suppressed"),
        "{summary}"
    );

    let model = read_all(&ams()).await;
    let crash = model
        .alerts()
        .iter()
        .find(|a| a.name() == "KubePodCrashLooping")
        .expect("crash");
    assert_eq!(crash.state, AlertState::Silenced);
    let page = model
        .alerts()
        .iter()
        .find(|a| a.name() == "ApiHighErrorRate")
        .expect("page");
    assert_eq!(page.state, AlertState::Firing);
    let silence = &model.silences()[0];
    assert_eq!(silence.instances(), ["am-a", "am-b"]);
    assert_eq!((silence.state.as_str(), silence.matches), ("active", 1));
    assert_eq!(silence.ends_at - silence.starts_at, 7200);

    // Expire it by the id the silences view shows (its first 8 characters).
    let short: String = silence.id().chars().take(8).collect();
    let (plan, summary) = act(&ex, &format!("expire-silence {short}")).await;
    assert_eq!(plan.calls.len(), 2);
    assert!(plan.calls.iter().all(|c| c.method == "DELETE"));
    assert!(summary.contains("expired on am-a, am-b"), "{summary}");
    let model = read_all(&ams()).await;
    assert_eq!(model.firing(), (2, 1), "both alerts notify again");
    // Expiring again is nothing to do.
    let again = ex
        .plan(&req(&format!("expire-silence {short}")))
        .await
        .expect("plan");
    assert!(again.noop.is_some(), "{again:?}");

    // Each action left intent, result and verification in the audit log, and the chain holds.
    let text = std::fs::read_to_string(dir.join("audit.jsonl")).expect("audit");
    for action in ["\"silence\"", "\"expire-silence\""] {
        assert_eq!(
            text.lines().filter(|l| l.contains(action)).count(),
            3,
            "{text}"
        );
    }
    assert!(audit::verify(&dir.join("audit.jsonl")).is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ack_is_a_fifteen_minute_silence_of_one_alert() {
    let am = AlertmanagerServer::start();
    fire(&am, &[API_ERRORS, CRASHLOOP]).await;
    let dir = temp_dir("ack");
    let ex = executor(&dir, false, vec![client("am", &am, false)]).await;
    let (_, summary) = act(
        &ex,
        r#"ack alertname="ApiHighErrorRate" namespace="contentgen""#,
    )
    .await;
    assert!(
        summary.contains("1/1 matching alerts suppressed"),
        "{summary}"
    );
    let model = read_all(&[client("am", &am, false)]).await;
    let s = &model.silences()[0];
    assert_eq!(s.comment, "acknowledged by ana");
    assert_eq!(s.created_by, "ana");
    assert_eq!(s.ends_at - s.starts_at, 900);
    assert_eq!(model.firing(), (1, 0), "only the warning still fires");

    // Runbook conditions read the same: acknowledged is not firing, and not resolved either.
    let check = |text: &str| {
        let c = Condition::parse(text, "contentgen").expect("condition");
        let ex = ex.clone();
        async move { c.evaluate(&ex).await.expect("evaluates") }
    };
    let (holds, seen) = check("alert-firing KubePodCrashLooping").await;
    assert!(holds, "{seen}");
    assert_eq!(
        seen,
        "KubePodCrashLooping: firing (pod contentgen/fact-checker-7d9f-abcde)"
    );
    assert!(!check("alert-firing ApiHighErrorRate").await.0);
    let (holds, seen) = check("alert-resolved ApiHighErrorRate").await;
    assert!(!holds, "a silenced alert is not resolved: {seen}");
    assert!(check("alert-resolved NoSuchAlert").await.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_contexts_and_instances_refuse_silences() {
    let (a, b) = (AlertmanagerServer::start(), AlertmanagerServer::start());
    fire(&a, &[API_ERRORS]).await;
    fire(&b, &[API_ERRORS]).await;
    let dir = temp_dir("ro");
    let line = r#"silence alertname="ApiHighErrorRate" --comment x"#;

    let ex = executor(&dir, true, vec![client("am-a", &a, false)]).await;
    let err = ex.plan(&req(line)).await.expect_err("read-only context");
    assert!(matches!(err, ActionError::Readonly(_)), "{err}");

    let ex = executor(&dir, false, vec![client("am-a", &a, true)]).await;
    let err = ex.plan(&req(line)).await.expect_err("read-only instance");
    assert!(
        err.to_string().contains("every Alertmanager is read-only"),
        "{err}"
    );

    // One read-only instance of two: the silence goes to the other only, and says so.
    let ex = executor(
        &dir,
        false,
        vec![client("am-a", &a, true), client("am-b", &b, false)],
    )
    .await;
    let plan = ex.plan(&req(line)).await.expect("plan");
    assert_eq!(plan.calls.len(), 1);
    assert_eq!(
        plan.calls[0].api,
        opsdeck::actions::plan::Api::Alertmanager("am-b".into())
    );
    assert!(
        plan.warnings
            .iter()
            .any(|w| w.contains("am-a is read-only")),
        "{:?}",
        plan.warnings
    );
    // Nothing reached am-a.
    let silences: Vec<Value> = http()
        .get(format!("{}/api/v2/silences", a.url()))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert!(silences.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_instance_goes_stale_and_the_other_keeps_answering() {
    let a = AlertmanagerServer::start();
    let mut b = AlertmanagerServer::start();
    fire(&a, &[API_ERRORS]).await;
    b.kill();
    let instances = [client("am-a", &a, false), client("am-b", &b, false)];
    let mut model = AlertsModel::new(&["am-a".into(), "am-b".into()], vec![]);
    for (i, am) in instances.iter().enumerate() {
        match opsdeck::alerts::source::read(am, i).await {
            Ok(msg) => model.apply(msg, 10),
            Err(reason) => {
                assert_eq!(reason, "connection refused");
                model.apply(
                    opsdeck::alerts::AlertMsg::Failed {
                        instance: i,
                        reason,
                        retry_in: None,
                    },
                    10,
                );
            }
        }
    }
    assert_eq!(model.firing(), (1, 1));
    assert!(matches!(
        model.load(),
        opsdeck::status::LoadState::Stale { .. }
    ));
    // A silence is still planned, for the instance that answered, with a warning.
    let dir = temp_dir("dead");
    let ex = executor(&dir, false, instances.to_vec()).await;
    let plan = ex
        .plan(&req(r#"silence alertname="ApiHighErrorRate" --comment x"#))
        .await
        .expect("plan");
    assert_eq!(plan.calls.len(), 1);
    assert!(
        plan.warnings
            .iter()
            .any(|w| w.contains("did not answer: am-b")),
        "{:?}",
        plan.warnings
    );
}

/// bcrypt (cost 4) of "opsdeck-secret", as `--web.config.file` takes it.
const HASH: &str = "$2b$04$rodRanHkE/hur/ixsoyTK.bWQrNKNtHiAZO2XZnMmpiwc2QxyEL8W";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_basic_auth_the_user_comes_from_the_url_and_the_password_from_the_environment() {
    let am = AlertmanagerServer::start_with_auth("oncall", HASH);
    let with = |user: &str, password_env: Option<&str>| {
        let config = AlertmanagerConfig {
            name: "am".into(),
            url: format!("http://{user}@127.0.0.1:{}", am.port),
            password_env: password_env.map(str::to_string),
            readonly: false,
        };
        Alertmanager::new(&config, Duration::from_secs(5)).expect("client")
    };
    // Only this test reads these variables.
    unsafe {
        std::env::set_var("OPSDECK_TEST_AM_PASSWORD", "opsdeck-secret");
        std::env::set_var("OPSDECK_TEST_AM_WRONG", "guess");
    }
    let oncall = with("oncall", Some("OPSDECK_TEST_AM_PASSWORD"));
    assert!(oncall.groups().await.is_ok(), "the right password reads");
    // Someone without the password is refused, in words, and so is their silence.
    for refused in [
        with("oncall", Some("OPSDECK_TEST_AM_WRONG")),
        with("viewer", None),
    ] {
        let err = refused.groups().await.expect_err("refused");
        assert_eq!(
            err.to_string(),
            "authentication failed (HTTP 401): check the user in the url and password_env"
        );
        let dir = temp_dir("auth");
        let ex = executor(&dir, false, vec![refused]).await;
        let err = ex
            .plan(&req(r#"silence alertname="X" --comment x"#))
            .await
            .expect_err("no silence without the password");
        assert!(
            err.to_string().contains("authentication failed (HTTP 401)"),
            "{err}"
        );
    }
    // A password written into the url is refused before anything is sent.
    let inline = AlertmanagerConfig {
        name: "am".into(),
        url: format!("http://oncall:opsdeck-secret@127.0.0.1:{}", am.port),
        password_env: None,
        readonly: false,
    };
    let err = Alertmanager::new(&inline, Duration::from_secs(5)).expect_err("inline password");
    assert!(err.to_string().contains("password_env"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peers_of_one_cluster_get_one_silence_and_one_expiry() {
    let a = AlertmanagerServer::start_in_cluster(None);
    let b = AlertmanagerServer::start_in_cluster(Some(&a));
    // Until each lists the other as a peer.
    let http = http();
    for am in [&a, &b] {
        let mut peers = 0;
        for _ in 0..200 {
            let status: Value = http
                .get(format!("{}/api/v2/status", am.url()))
                .send()
                .await
                .expect("status")
                .json()
                .await
                .expect("json");
            peers = status["cluster"]["peers"].as_array().map_or(0, Vec::len);
            if peers == 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(peers, 2, "the two did not form a cluster");
    }
    fire(&a, &[API_ERRORS]).await;
    fire(&b, &[API_ERRORS]).await;
    let dir = temp_dir("cluster");
    let ams = || vec![client("am-a", &a, false), client("am-b", &b, false)];
    let ex = executor(&dir, false, ams()).await;
    let (plan, summary) = act(&ex, r#"silence alertname="ApiHighErrorRate" --comment one"#).await;
    assert_eq!(
        plan.calls.len(),
        1,
        "one POST for the cluster: {:?}",
        plan.calls
    );
    assert!(
        plan.warnings
            .iter()
            .any(|w| w.contains("am-b is a peer of am-a")),
        "{:?}",
        plan.warnings
    );
    // Verification waited for the peer to hold it too.
    assert!(summary.contains("am-b: silence"), "{summary}");
    let model = read_all(&ams()).await;
    assert_eq!(model.silences().len(), 1);
    let s = &model.silences()[0];
    assert_eq!(s.ids[0].1, s.ids[1].1, "one silence, one id, on both peers");
    let short: String = s.id().chars().take(8).collect();
    let (plan, summary) = act(&ex, &format!("expire-silence {short}")).await;
    assert_eq!(plan.calls.len(), 1, "one DELETE for the cluster");
    assert!(summary.contains("expired"), "{summary}");
}
