//! ConfigMap storage: the writes clients make and what kube-apiserver refuses.

use serde_json::{Value, json};

use super::*;
use crate::sim::clock::TEST_NOW;
use crate::sim::world::fields::Problem;

fn cm(name: &str, data: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "contentgen", "labels": {"opsdeck.io/incident": "inc-1"}},
        "data": data})
}

fn rv(v: &Value) -> String {
    v["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn configmaps_are_created_updated_and_deleted_as_on_the_api_server() {
    let mut w = World::new(None, None, TEST_NOW);
    let created = w
        .create_configmap("contentgen", &cm("notes", json!({"a": "1"})), false)
        .unwrap();
    assert_eq!(created["data"]["a"], "1");
    assert_eq!(
        created["metadata"]["labels"]["opsdeck.io/incident"],
        "inc-1"
    );
    assert_eq!(
        w.create_configmap("contentgen", &cm("notes", json!({})), false),
        Err(WorldError::AlreadyExists)
    );

    // Unconditional update (no resourceVersion) is allowed for ConfigMaps.
    let updated = w
        .replace_configmap(
            "contentgen",
            "notes",
            &cm("notes", json!({"a": "2"})),
            false,
        )
        .unwrap();
    assert_eq!(updated["data"]["a"], "2");
    assert_ne!(rv(&updated), rv(&created));

    let mut stale = cm("notes", json!({"a": "3"}));
    stale["metadata"]["resourceVersion"] = json!(rv(&created));
    assert_eq!(
        w.replace_configmap("contentgen", "notes", &stale, false),
        Err(WorldError::Conflict)
    );
    // The same content again is no write: the resourceVersion stays.
    let mut same = cm("notes", json!({"a": "2"}));
    same["metadata"]["resourceVersion"] = json!(rv(&updated));
    let again = w
        .replace_configmap("contentgen", "notes", &same, false)
        .unwrap();
    assert_eq!(rv(&again), rv(&updated));
    // No create on update.
    assert_eq!(
        w.replace_configmap("contentgen", "other", &cm("other", json!({})), false),
        Err(WorldError::NotFound)
    );

    assert!(matches!(
        w.delete_configmap("contentgen", "notes", Some("1")),
        Err(WorldError::Precondition(_))
    ));
    w.delete_configmap("contentgen", "notes", None).unwrap();
    assert!(w.configmaps.is_empty());
}

#[test]
fn more_than_a_mebibyte_of_data_is_refused_with_the_servers_words() {
    let mut w = World::new(None, None, TEST_NOW);
    let half = "x".repeat(MAX_BYTES / 2);
    let exactly = cm("big", json!({"a": half, "b": half}));
    w.create_configmap("contentgen", &exactly, false).unwrap();
    let over = cm("bigger", json!({"a": half, "b": half, "c": "!"}));
    let Err(WorldError::Fields(errs)) = w.create_configmap("contentgen", &over, false) else {
        panic!("a ConfigMap over 1 MiB was stored");
    };
    assert_eq!(
        crate::sim::world::fields::aggregate(&errs),
        "[]: Too long: may not be more than 1048576 bytes"
    );
    assert_eq!(errs[0].problem, Problem::TooLong);
    // binaryData counts decoded: 4 base64 characters are 3 bytes.
    let mut binary = cm("bin", json!({"a": "x".repeat(MAX_BYTES - 3)}));
    binary["binaryData"] = json!({"b": "YWJj"});
    w.create_configmap("contentgen", &binary, false).unwrap();
}

#[test]
fn keys_and_names_are_checked_and_an_immutable_configmap_keeps_its_data() {
    let mut w = World::new(None, None, TEST_NOW);
    let Err(WorldError::Fields(errs)) =
        w.create_configmap("contentgen", &cm("Bad_Name", json!({"a b": "1"})), false)
    else {
        panic!("an invalid name and key were accepted");
    };
    let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["metadata.name", "data[a b]"]);

    let mut frozen = cm("frozen", json!({"a": "1"}));
    frozen["immutable"] = json!(true);
    w.create_configmap("contentgen", &frozen, false).unwrap();
    frozen["data"] = json!({"a": "2"});
    let Err(WorldError::Fields(errs)) = w.replace_configmap("contentgen", "frozen", &frozen, false)
    else {
        panic!("an immutable ConfigMap's data changed");
    };
    assert_eq!(
        errs[0].to_string(),
        "data: Forbidden: field is immutable when `immutable` is set"
    );
}

#[test]
fn a_patch_lands_as_one_event_and_is_checked_like_an_update() {
    let mut w = World::new(None, None, TEST_NOW);
    let created = w
        .create_configmap("contentgen", &cm("notes", json!({"a": "1"})), false)
        .unwrap();
    let mut patched = created.clone();
    patched["data"]["b"] = json!("2");
    patched["metadata"]["labels"]["opsdeck.io/part"] = json!("1");
    let before = w.log.rv;
    let out = w
        .apply_json(Kind::ConfigMap, "contentgen", "notes", patched, false)
        .unwrap();
    assert_eq!(w.log.rv, before + 1, "labels and data in one change");
    assert_eq!(out["data"]["b"], "2");
    assert_eq!(out["metadata"]["labels"]["opsdeck.io/part"], "1");

    // The resourceVersion it read is a precondition.
    let mut stale = created;
    stale["data"]["c"] = json!("3");
    assert_eq!(
        w.apply_json(Kind::ConfigMap, "contentgen", "notes", stale, false),
        Err(WorldError::Conflict)
    );
    let mut big = out;
    big["data"]["c"] = json!("x".repeat(MAX_BYTES));
    assert!(matches!(
        w.apply_json(Kind::ConfigMap, "contentgen", "notes", big, false),
        Err(WorldError::Fields(_))
    ));
}

#[test]
fn rewriting_a_large_configmap_keeps_the_change_ring_bounded() {
    let mut w = World::new(None, None, TEST_NOW);
    let floor = w.log.floor;
    let chunk = "x".repeat(MAX_BYTES - 100);
    w.create_configmap("contentgen", &cm("big", json!({"a": chunk})), false)
        .unwrap();
    // More rewrites of a mebibyte than the ring may hold bytes.
    let rewrites = (crate::sim::world::changes::RING_BYTES >> 20) + 20;
    for i in 0..rewrites {
        let body = cm("big", json!({"a": chunk, "n": i.to_string()}));
        w.replace_configmap("contentgen", "big", &body, false)
            .unwrap();
    }
    let held: usize = w.log.ring.iter().map(|c| c.line.len()).sum();
    assert!(
        held <= crate::sim::world::changes::RING_BYTES,
        "{held} bytes of old ConfigMaps kept"
    );
    assert!(w.log.floor > floor, "older resumes now answer 410");
}
