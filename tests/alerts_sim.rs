//! The sim's Alertmanager agrees with a real one (Debian's prometheus-alertmanager 0.25, routed
//! as the sim routes): the sim's alerts posted to both give the same groups with the same
//! alerts and fingerprints, and the same silence (a regex and a negative matcher) suppresses
//! the same alerts. The sim's alerting rules pass `promtool check rules`.

#[path = "common/alertmanager_server.rs"]
mod alertmanager_server;

use std::collections::BTreeSet;
use std::process::Command;

use alertmanager_server::AlertmanagerServer;
use opsdeck::sim::{self, SimOptions};
use serde_json::{Value, json};

async fn get(url: &str) -> Value {
    let resp = reqwest::get(url).await.expect("GET");
    assert!(resp.status().is_success(), "{url}: {}", resp.status());
    resp.json().await.expect("json")
}

async fn post(url: &str, body: &Value) -> Value {
    let resp = reqwest::Client::new()
        .post(url)
        .json(body)
        .send()
        .await
        .expect("POST");
    let status = resp.status();
    let text = resp.text().await.expect("body");
    assert!(status.is_success(), "{url}: {status}: {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// Alerts as Prometheus sends them: some share a group, one has no namespace.
fn alerts(now: jiff::Timestamp) -> Value {
    let starts = (now - jiff::SignedDuration::from_mins(3)).to_string();
    let ends = (now + jiff::SignedDuration::from_hours(1)).to_string();
    let alert = |labels: Value| {
        json!({"labels": labels, "annotations": {"summary": "s"}, "startsAt": starts,
               "endsAt": ends, "generatorURL": "http://prometheus/graph?g0.expr=up"})
    };
    json!([
        alert(
            json!({"alertname": "KubePodCrashLooping", "namespace": "contentgen", "pod": "fact-checker-a", "severity": "warning"})
        ),
        alert(
            json!({"alertname": "KubePodCrashLooping", "namespace": "contentgen", "pod": "fact-checker-b", "severity": "warning"})
        ),
        alert(
            json!({"alertname": "KubePodCrashLooping", "namespace": "monitoring", "pod": "prometheus-0", "severity": "warning"})
        ),
        alert(
            json!({"alertname": "ApiHighErrorRate", "namespace": "contentgen", "severity": "page", "sloth_slo": "api-availability"})
        ),
        alert(
            json!({"alertname": "KubeNodeNotReady", "node": "pool-general-3", "severity": "warning"})
        ),
        alert(
            json!({"alertname": "BudgetAtRisk", "namespace": "contentgen", "severity": "warning", "opsdeck_runbook": "high-cost"})
        ),
    ])
}

/// What comparing needs from groups: each group's labels with its alerts' labels and
/// fingerprints, in the order given.
fn groups_shape(groups: &Value) -> Vec<(Value, Vec<(Value, Value)>)> {
    groups
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| {
            let alerts = g["alerts"]
                .as_array()
                .expect("alerts")
                .iter()
                .map(|a| (a["labels"].clone(), a["fingerprint"].clone()))
                .collect();
            (g["labels"].clone(), alerts)
        })
        .collect()
}

/// The label sets of the alerts in a given state.
fn in_state(alerts: &Value, state: &str) -> BTreeSet<String> {
    alerts
        .as_array()
        .expect("alerts")
        .iter()
        .filter(|a| a["status"]["state"] == state)
        .map(|a| a["labels"].to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_and_silences_agree_with_a_real_alertmanager() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let real = AlertmanagerServer::start();
    let sim = sim::start(SimOptions::default()).await.expect("sim");
    let (ours, theirs) = (sim.alertmanager_url(), real.url());
    post(&format!("{ours}/api/v2/alerts"), &alerts(sim.now())).await;

    // The sim's current alerts, rule-raised or posted, go to the real one as they are.
    let current = get(&format!("{ours}/api/v2/alerts")).await;
    let forwarded: Vec<Value> = current
        .as_array()
        .expect("alerts")
        .iter()
        .map(|a| {
            json!({"labels": a["labels"], "annotations": a["annotations"], "startsAt": a["startsAt"],
                   "endsAt": a["endsAt"], "generatorURL": a["generatorURL"]})
        })
        .collect();
    assert!(forwarded.len() >= 6, "{current}");
    post(&format!("{theirs}/api/v2/alerts"), &Value::from(forwarded)).await;

    let groups = |base: String| async move {
        // The real one dispatches within a moment of receiving.
        for _ in 0..50 {
            let g = get(&format!("{base}/api/v2/alerts/groups")).await;
            let n: usize = g.as_array().map_or(0, |a| {
                a.iter()
                    .map(|g| g["alerts"].as_array().map_or(0, Vec::len))
                    .sum()
            });
            if n >= 6 {
                return g;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("{base}: the alerts never showed in groups");
    };
    let (g_ours, g_theirs) = (groups(ours.clone()).await, groups(theirs.clone()).await);
    assert_eq!(groups_shape(&g_ours), groups_shape(&g_theirs));
    assert_eq!(g_ours[0]["receiver"], g_theirs[0]["receiver"]);

    // One silence, a regex and a negative matcher, to both.
    let silence = json!({
        "matchers": [
            {"name": "alertname", "value": "Kube.*|Budget.*", "isRegex": true, "isEqual": true},
            {"name": "namespace", "value": "monitoring", "isRegex": false, "isEqual": false},
        ],
        "startsAt": sim.now().to_string(),
        "endsAt": (sim.now() + jiff::SignedDuration::from_hours(1)).to_string(),
        "createdBy": "alerts_sim", "comment": "the same silence in both",
    });
    for base in [&ours, &theirs] {
        let id = post(&format!("{base}/api/v2/silences"), &silence).await;
        assert!(id["silenceID"].is_string(), "{base}: {id}");
    }
    let mut suppressed = vec![];
    for base in [&ours, &theirs] {
        let mut seen = BTreeSet::new();
        for _ in 0..50 {
            seen = in_state(&get(&format!("{base}/api/v2/alerts")).await, "suppressed");
            if seen.len() >= 4 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        suppressed.push(seen);
    }
    assert_eq!(suppressed[0], suppressed[1]);
    assert_eq!(suppressed[0].len(), 4, "{:?}", suppressed[0]);
    let active = |base: String| async move {
        in_state(
            &get(&format!("{base}/api/v2/alerts?silenced=false")).await,
            "active",
        )
    };
    assert_eq!(active(ours.clone()).await, active(theirs.clone()).await);
    let silences = |base: String| async move {
        let s = get(&format!("{base}/api/v2/silences")).await;
        s.as_array()
            .expect("silences")
            .iter()
            .map(|s| (s["matchers"].clone(), s["status"].clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(silences(ours).await, silences(theirs).await);
    sim.stop().await;
}

#[test]
fn promtool_accepts_the_sims_rules() {
    let dir = std::env::temp_dir().join(format!("opsdeck-rules-{}", std::process::id()));
    let files =
        opsdeck::sim::alerts::write_rule_files(&dir, &opsdeck::sim::alerts::platform_rules())
            .expect("write rules");
    let out = Command::new("promtool")
        .arg("check")
        .arg("rules")
        .args(&files)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run promtool ({e}): install it (apt-get install -y prometheus); scripts/test.sh does this")
        });
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("SUCCESS: 6 rules found") && text.contains("SUCCESS: 8 rules found"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(dir);
}
