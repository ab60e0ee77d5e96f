//! The autoscaler controller against a whole world: calm, at its max, above it, refused.

use std::sync::Arc;

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

fn key(name: &str) -> Key {
    Key::new(&Arc::from("contentgen"), name.to_string())
}

fn condition(w: &World, name: &str, type_: &str) -> (&'static str, &'static str) {
    let c = w.hpas[&key(name)]
        .conditions
        .iter()
        .find(|c| c.type_ == type_)
        .unwrap();
    (c.status, c.reason)
}

fn patch_bounds(w: &mut World, name: &str, min: i32, max: i32) -> Result<Value, WorldError> {
    let mut h = w.object_json(Kind::Hpa, "contentgen", name).unwrap();
    h["spec"]["minReplicas"] = json!(min);
    h["spec"]["maxReplicas"] = json!(max);
    w.apply_json(Kind::Hpa, "contentgen", name, h, false)
}

fn rescales(w: &World, name: &str) -> Vec<String> {
    w.events
        .values()
        .filter(|e| e.reason == "SuccessfulRescale" && e.involved.name == name)
        .map(|e| e.message.clone())
        .collect()
}

#[test]
fn a_calm_platform_keeps_its_counts_and_says_so() {
    let mut w = World::new(None, None, TEST_NOW);
    advance(&mut w, 61);
    for name in ["api", "article-generator", "fact-checker"] {
        let h = &w.hpas[&key(name)];
        assert_eq!(h.desired, h.current_replicas, "{name}");
        assert_eq!(
            condition(&w, name, "AbleToScale"),
            ("True", "ReadyForNewScale")
        );
        assert_eq!(
            condition(&w, name, "ScalingActive"),
            ("True", "ValidMetricFound")
        );
        assert_eq!(
            condition(&w, name, "ScalingLimited"),
            ("False", "DesiredWithinRange")
        );
        assert!(rescales(&w, name).is_empty(), "{name}");
    }
}

#[test]
fn at_its_max_a_growing_backlog_is_limited_by_too_many_replicas() {
    let mut w = World::new(Some(Scenario::QueueBacklog), None, TEST_NOW);
    patch_bounds(&mut w, "article-generator", 2, 4).unwrap();
    advance(&mut w, 61);
    let h = &w.hpas[&key("article-generator")];
    assert!(h.recommendation(4) > 4, "the backlog wants more");
    assert_eq!((h.current_replicas, h.desired), (4, 4));
    assert_eq!(
        condition(&w, "article-generator", "ScalingLimited"),
        ("True", "TooManyReplicas")
    );
    assert_eq!(w.deployments[&key("article-generator")].replicas, 4);
    assert!(rescales(&w, "article-generator").is_empty());
    assert_eq!(h.observed_generation, h.meta.generation);
}

#[test]
fn a_max_below_the_count_scales_down_to_it_and_says_why() {
    let mut w = World::new(None, None, TEST_NOW);
    patch_bounds(&mut w, "article-generator", 2, 3).unwrap();
    advance(&mut w, 16);
    assert_eq!(w.deployments[&key("article-generator")].replicas, 3);
    assert_eq!(
        rescales(&w, "article-generator"),
        vec!["New size: 3; reason: Current number of replicas above Spec.MaxReplicas"]
    );
    assert_eq!(
        condition(&w, "article-generator", "AbleToScale"),
        ("True", "SucceededRescale")
    );
}

#[test]
fn bounds_are_validated_as_the_api_server_does() {
    let mut w = World::new(None, None, TEST_NOW);
    assert_eq!(
        patch_bounds(&mut w, "api", 4, 3),
        Err(WorldError::Invalid(
            "spec.maxReplicas: Invalid value: 3: must be greater than or equal to `minReplicas`"
                .into()
        ))
    );
    assert!(patch_bounds(&mut w, "api", 0, 3).is_err());
    assert_eq!(w.hpas[&key("api")].max, 6, "nothing changed");
}
