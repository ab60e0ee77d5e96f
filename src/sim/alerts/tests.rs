//! Each scenario fires what it would in production and clears after its runbook's fix; the
//! healthy platform fires nothing. The world is ticked with a fast-forwarded clock.

use jiff::SignedDuration;
use serde_json::json;

use crate::sim::Scenario;
use crate::sim::clock::TEST_NOW;
use crate::sim::world::{Kind, World};

/// Ticks the world `secs` seconds, a second at a time.
fn advance(w: &mut World, secs: i64) {
    advance_by(w, secs, 1);
}

/// Ticks the world `secs` seconds in steps of `step` seconds (coarse steps for long waits).
fn advance_by(w: &mut World, secs: i64, step: i64) {
    for _ in 0..secs / step {
        let t = w.now() + SignedDuration::from_secs(step);
        w.tick(t);
    }
}

fn firing(w: &World, alert: &str, severity: &str) -> bool {
    w.alerts.engine.alerts().any(|a| {
        a.state == super::engine::RuleState::Firing
            && a.labels["alertname"] == alert
            && a.labels["severity"] == severity
    })
}

/// Seconds since the start when `alert` (with `label` = `value` if given) first fired, ticking
/// at most `limit` seconds; panics if it never does.
fn fires_within(w: &mut World, alert: &str, label: Option<(&str, &str)>, limit: i64) -> i64 {
    for _ in 0..limit {
        advance(w, 1);
        let firing = w.alerts.engine.alerts().any(|a| {
            a.state == super::engine::RuleState::Firing
                && a.labels["alertname"] == alert
                && label.is_none_or(|(k, v)| a.labels.get(k).is_some_and(|x| x == v))
        });
        if firing {
            return w.now().duration_since(TEST_NOW).as_secs();
        }
    }
    panic!(
        "{alert} did not fire within {limit} s; firing: {:?}",
        w.alerts.firing()
    );
}

/// Seconds until nothing fires any more (and the Alertmanager lists nothing), ticking at most
/// `limit` seconds.
fn clears_within(w: &mut World, limit: i64) -> i64 {
    let from = w.now();
    for _ in 0..limit {
        advance(w, 1);
        let listed = w.alerts.am.alerts(&Default::default(), w.now()).len();
        if w.alerts.firing().is_empty() && listed == 0 {
            return w.now().duration_since(from).as_secs();
        }
    }
    panic!("still firing after {limit} s: {:?}", w.alerts.firing());
}

fn rollback(w: &mut World, name: &str, template: serde_json::Value) {
    let mut d = w.object_json(Kind::Deployment, "contentgen", name).unwrap();
    d["spec"]["template"] = template;
    d["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("resourceVersion");
    w.apply_json(Kind::Deployment, "contentgen", name, d, false)
        .unwrap();
}

fn template(w: &World, name: &str) -> serde_json::Value {
    w.object_json(Kind::Deployment, "contentgen", name).unwrap()["spec"]["template"].clone()
}

#[test]
fn the_healthy_platform_fires_nothing() {
    let mut w = World::new(None, None, TEST_NOW);
    advance(&mut w, 240);
    assert!(
        w.alerts.engine.errors.iter().all(Option::is_none),
        "{:?}",
        w.alerts.engine.errors
    );
    let any: Vec<_> = w.alerts.engine.alerts().map(|a| a.labels.clone()).collect();
    assert!(any.is_empty(), "{any:?}");
}

#[test]
fn bad_rollout_pages_and_the_page_clears_after_the_rollback() {
    let mut w = World::new(Some(Scenario::BadRollout), None, TEST_NOW);
    let good = template(&w, "api");
    let at = fires_within(&mut w, "ApiHighErrorRate", Some(("severity", "page")), 120);
    eprintln!("ApiHighErrorRate page at {at} s");
    let at = fires_within(
        &mut w,
        "ApiHighErrorRate",
        Some(("severity", "ticket")),
        180,
    );
    eprintln!("ApiHighErrorRate ticket at {at} s");
    rollback(&mut w, "api", good);
    // The 6h & 30m row holds the page until the 30m window has forgotten the errors.
    let mut secs = 0;
    while firing(&w, "ApiHighErrorRate", "page") {
        advance_by(&mut w, 10, 5);
        secs += 10;
        assert!(secs <= 35 * 60, "still paging {secs} s after the rollback");
    }
    eprintln!("page cleared {secs} s after the rollback");
    // The tickets' 6h window (3d & 6h at 1x) holds the ticket about six hours.
    while firing(&w, "ApiHighErrorRate", "ticket") {
        advance_by(&mut w, 60, 30);
        secs += 60;
        assert!(
            secs <= 7 * 3600,
            "still a ticket {secs} s after the rollback"
        );
    }
    eprintln!("ticket cleared {secs} s after the rollback");
    assert!(w.alerts.firing().is_empty(), "{:?}", w.alerts.firing());
}

#[test]
fn queue_backlog_fires_and_clears_after_scaling_up() {
    let mut w = World::new(Some(Scenario::QueueBacklog), None, TEST_NOW);
    let at = fires_within(
        &mut w,
        "QueueBacklogGrowing",
        Some(("queue", "articles")),
        90,
    );
    eprintln!("QueueBacklogGrowing at {at} s");
    w.set_replicas(Kind::Deployment, "contentgen", "article-generator", 10)
        .unwrap();
    eprintln!("cleared after {} s", clears_within(&mut w, 240));
}

#[test]
fn pipeline_stuck_fires_and_clears_after_the_restart_and_retries() {
    let mut w = World::new(Some(Scenario::PipelineStuck), None, TEST_NOW);
    let at = fires_within(
        &mut w,
        "QueueBacklogGrowing",
        Some(("queue", "articles")),
        120,
    );
    eprintln!("QueueBacklogGrowing at {at} s");
    let hung: Vec<String> = w
        .pods
        .values()
        .filter(|p| p.stuck_since.is_some())
        .map(|p| p.meta.name.clone())
        .collect();
    for name in hung {
        w.delete_pod("contentgen", &name).unwrap();
    }
    let now = w.now();
    let stuck: Vec<String> = w
        .pipelines
        .list(now, Some("stuck"))
        .iter()
        .map(|r| r.id.clone())
        .collect();
    for id in stuck {
        w.pipelines.retry(&id, now).unwrap();
    }
    eprintln!("cleared after {} s", clears_within(&mut w, 300));
}

#[test]
fn cost_spike_puts_the_budget_at_risk_until_generation_is_paused() {
    let mut w = World::new(Some(Scenario::CostSpike), None, TEST_NOW);
    let at = fires_within(
        &mut w,
        "BudgetAtRisk",
        Some(("opsdeck_runbook", "high-cost")),
        120,
    );
    eprintln!("BudgetAtRisk at {at} s");
    let now = w.now();
    w.pipelines.set_paused(true, now);
    eprintln!("cleared after {} s", clears_within(&mut w, 600));
    let now = w.now();
    w.pipelines.set_paused(false, now);
    advance(&mut w, 120);
    assert!(w.alerts.firing().is_empty(), "{:?}", w.alerts.firing());
}

#[test]
fn crashloop_fires_and_clears_after_the_rollback() {
    let mut w = World::new(Some(Scenario::Crashloop), None, TEST_NOW);
    let good = template(&w, "fact-checker");
    let at = fires_within(
        &mut w,
        "KubePodCrashLooping",
        Some(("namespace", "contentgen")),
        90,
    );
    eprintln!("KubePodCrashLooping at {at} s");
    let at = fires_within(
        &mut w,
        "KubeDeploymentRolloutStuck",
        Some(("deployment", "fact-checker")),
        90,
    );
    eprintln!("KubeDeploymentRolloutStuck at {at} s");
    rollback(&mut w, "fact-checker", good);
    eprintln!("cleared after {} s", clears_within(&mut w, 180));
}

#[test]
fn node_notready_fires_until_the_node_is_cordoned() {
    let mut w = World::new(Some(Scenario::NodeNotReady), None, TEST_NOW);
    let at = fires_within(
        &mut w,
        "KubeNodeNotReady",
        Some(("node", "pool-general-3")),
        90,
    );
    eprintln!("KubeNodeNotReady at {at} s");
    let mut node = w.object_json(Kind::Node, "", "pool-general-3").unwrap();
    node["spec"]["unschedulable"] = json!(true);
    node["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("resourceVersion");
    w.apply_json(Kind::Node, "", "pool-general-3", node, false)
        .unwrap();
    eprintln!("cleared after {} s", clears_within(&mut w, 180));
}
