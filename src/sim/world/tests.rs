//! World-level tests: revision selection, rollouts and scaling without the HTTP layer.

use jiff::SignedDuration;
use serde_json::json;

use super::*;
use crate::sim::clock::TEST_NOW;

fn advance(w: &mut World, secs: i64) {
    let mut t = w.now();
    for _ in 0..secs * 4 {
        t = t.checked_add(SignedDuration::from_millis(250)).unwrap();
        w.tick(t);
    }
}

fn api_revisions(w: &World) -> Vec<(i64, String, i32)> {
    let d = w
        .deployments
        .values()
        .find(|d| d.meta.name == "api" && &*d.meta.ns == "contentgen")
        .unwrap();
    w.owned_rs(&d.meta.key(), &d.meta.uid)
        .iter()
        .map(|k| {
            let r = &w.replicasets[k];
            (r.revision(), r.hash.clone(), r.replicas)
        })
        .collect()
}

#[test]
fn restart_creates_next_revision_and_undo_reuses_the_old_replicaset() {
    let mut w = World::new(None, None, TEST_NOW);
    let before = api_revisions(&w);
    assert_eq!(
        before.iter().map(|r| r.0).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    let mut d = w
        .object_json(Kind::Deployment, "contentgen", "api")
        .unwrap();
    let old_template = d["spec"]["template"].clone();
    d["spec"]["template"]["metadata"]["annotations"] =
        json!({"kubectl.kubernetes.io/restartedAt": "2026-11-25T10:00:00Z"});
    w.apply_json(Kind::Deployment, "contentgen", "api", d, false)
        .unwrap();
    advance(&mut w, 15);
    let after = api_revisions(&w);
    assert_eq!(after.len(), 4);
    assert_eq!(after.last().map(|r| (r.0, r.2)), Some((4, 3)), "{after:?}");
    assert!(
        after[..3].iter().all(|r| r.2 == 0),
        "old ReplicaSets scaled to 0: {after:?}"
    );
    let dep = w
        .object_json(Kind::Deployment, "contentgen", "api")
        .unwrap();
    assert_eq!(dep["metadata"]["annotations"][REVISION], "4");
    assert_eq!(dep["status"]["updatedReplicas"], 3);

    // Undo as kubectl does it: the previous revision's template goes back into the deployment.
    let mut d = w
        .object_json(Kind::Deployment, "contentgen", "api")
        .unwrap();
    d["spec"]["template"] = old_template;
    w.apply_json(Kind::Deployment, "contentgen", "api", d, false)
        .unwrap();
    advance(&mut w, 15);
    let undone = api_revisions(&w);
    assert_eq!(
        undone.len(),
        4,
        "no new ReplicaSet for a known template: {undone:?}"
    );
    let top = undone.last().unwrap();
    assert_eq!((top.0, top.1.as_str(), top.2), (5, before[2].1.as_str(), 3));
    assert!(
        !undone.iter().any(|r| r.0 == 3),
        "revision 3 was renumbered to 5"
    );
}

#[test]
fn dry_run_and_stale_resource_version_change_nothing() {
    let mut w = World::new(None, None, TEST_NOW);
    let mut d = w
        .object_json(Kind::Deployment, "contentgen", "api")
        .unwrap();
    let rv = d["metadata"]["resourceVersion"].clone();
    d["spec"]["replicas"] = json!(5);
    w.apply_json(Kind::Deployment, "contentgen", "api", d.clone(), true)
        .unwrap();
    assert_eq!(
        w.object_json(Kind::Deployment, "contentgen", "api")
            .unwrap()["spec"]["replicas"],
        3
    );
    d["metadata"]["resourceVersion"] = json!("1");
    assert_eq!(
        w.apply_json(Kind::Deployment, "contentgen", "api", d, false),
        Err(WorldError::Conflict)
    );
    assert_eq!(
        w.object_json(Kind::Deployment, "contentgen", "api")
            .unwrap()["metadata"]["resourceVersion"],
        rv
    );
}

#[test]
fn scaled_world_has_about_the_requested_pods_and_nodes() {
    let w = World::new(None, Some(5000), TEST_NOW);
    let n = w.pods.len();
    assert!((4500..5500).contains(&n), "{n}");
    assert_eq!(w.nodes.len(), 5000usize.div_ceil(110));
    assert!(w.namespaces.contains_key(&Key {
        ns: Arc::from(""),
        name: "contentgen-5".into()
    }));
}

#[test]
fn watch_window_is_bounded_and_reports_expiry() {
    let mut w = World::new(None, None, TEST_NOW);
    let start = w.log.rv;
    assert!(w.log.since(start).unwrap().is_empty());
    assert!(
        w.log.since(start - 1).is_none(),
        "before the sim started: 410"
    );
    assert!(w.log.since(start + 1).is_none(), "from the future: 410");
    w.set_replicas(Kind::Deployment, "contentgen", "api", 4)
        .unwrap();
    let changes = w.log.since(start).unwrap();
    assert!(changes.iter().any(|c| c.kind == Kind::Deployment));
    assert!(changes.windows(2).all(|p| p[0].rv < p[1].rv));
}

#[test]
fn node_notready_scenario_loses_then_reschedules_pods() {
    let mut w = World::new(Some(Scenario::NodeNotReady), None, TEST_NOW);
    advance(&mut w, 12);
    let node3 = w
        .nodes
        .values()
        .find(|n| n.meta.name == "pool-general-3")
        .unwrap();
    assert_eq!(node3.ready, model::NodeReady::Unknown);
    let lost = w.pods.values().filter(|p| p.node_lost).count();
    assert!(lost > 0);
    assert!(
        w.pods
            .values()
            .filter(|p| p.node_lost)
            .all(|p| !p.ready && p.phase() == "Running")
    );
    advance(&mut w, 35);
    assert_eq!(
        w.pods
            .values()
            .filter(|p| p.node.as_deref() == Some("pool-general-3"))
            .count(),
        0
    );
    assert!(
        w.pods.values().all(|p| p.ready),
        "replacements are up elsewhere"
    );
}

#[test]
fn serializing_a_page_of_pods_is_fast_and_matches_k8s_openapi() {
    let w = World::new(None, Some(2000), TEST_NOW);
    let t = std::time::Instant::now();
    let mut buf = b"[".to_vec();
    for (i, p) in w.pods.values().take(500).enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        p.write_json(&mut buf);
    }
    buf.push(b']');
    let elapsed = t.elapsed();
    eprintln!("500 pods: {elapsed:?}, {} bytes", buf.len());
    // Release builds take ~3 ms; this bound only catches accidental quadratic work in debug.
    assert!(
        elapsed < std::time::Duration::from_millis(400),
        "{elapsed:?}"
    );
    // The hand-spliced JSON (cached spec) must equal what k8s-openapi itself would write.
    let pods: Vec<k8s_openapi::api::core::v1::Pod> = serde_json::from_slice(&buf).unwrap();
    assert_eq!(pods.len(), 500);
    for (p, m) in pods.iter().zip(w.pods.values()) {
        assert_eq!(
            serde_json::to_value(p).unwrap(),
            serde_json::to_value(m.to_pod()).unwrap()
        );
    }
}

fn articles_depth(w: &World) -> f64 {
    w.queues
        .queues
        .iter()
        .find(|q| q.name == "articles")
        .map_or(0.0, |q| q.depth())
}

fn generator(w: &World) -> (i32, i32, i64) {
    let key = Key::new(&Arc::from("contentgen"), "article-generator".to_string());
    let h = &w.hpas[&key];
    let metric = match h.metric {
        model::HpaMetric::External { current, .. } => current,
        model::HpaMetric::Cpu { .. } => -1,
    };
    (w.deployments[&key].replicas, h.desired, metric)
}

/// queue-backlog's numbers (PLATFORM.md, runbooks/queue-backlog.toml): from 3 s the spike
/// (5/s) outruns the 4 workers (2.4/s) and the HPA, whose metric is the queue's depth, adds
/// one pod a minute at most.
#[test]
fn queue_backlog_outruns_the_hpa_which_adds_a_pod_a_minute() {
    let mut w = World::new(Some(Scenario::QueueBacklog), None, TEST_NOW);
    advance(&mut w, 25);
    let depth = articles_depth(&w);
    assert!((50.0..64.0).contains(&depth), "22 s x 2.6/s = 57: {depth}");
    let (replicas, _, metric) = generator(&w);
    assert_eq!(replicas, 4, "the HPA has not caught up");
    assert!(
        (28..=32).contains(&metric),
        "the depth at the 15 s sync: {metric}"
    );
    advance(&mut w, 40);
    let (replicas, desired, metric) = generator(&w);
    assert_eq!(
        (replicas, desired),
        (5, 5),
        "one pod at the 60 s sync (depth {metric})"
    );
    advance(&mut w, 30);
    assert_eq!(generator(&w).0, 5, "and no second one within the minute");
}

/// The runbook's fix: 10 replicas (6/s) drain the spike's backlog below 20 within a minute.
#[test]
fn queue_backlog_drains_below_20_within_a_minute_of_scaling_to_10() {
    let mut w = World::new(Some(Scenario::QueueBacklog), None, TEST_NOW);
    advance(&mut w, 25);
    w.set_replicas(Kind::Deployment, "contentgen", "article-generator", 10)
        .unwrap();
    let mut secs = 0;
    while articles_depth(&w) >= 20.0 {
        advance(&mut w, 1);
        secs += 1;
        assert!(secs <= 60, "still {} waiting", articles_depth(&w));
    }
    assert!(secs >= 30, "new pods take seconds to be ready: {secs}");
    assert_eq!(generator(&w).0, 10, "the HPA does not fight the operator");
}
