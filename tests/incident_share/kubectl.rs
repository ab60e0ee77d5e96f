//! The sim's ConfigMaps through the real kubectl: created, listed by the incident label,
//! read as YAML, replaced with a stale resourceVersion, patched with a failing `test`,
//! refused past 1 MiB, deleted, and what a Share wrote, as kubectl shows it.

use opsdeck::incident::entry::{Entry, Kind};
use opsdeck::incident::share::Share;
use opsdeck::sim::SimOptions;

use super::NS;
use super::sim_env::{SimEnv as Env, text};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_creates_lists_reads_and_deletes_configmaps() {
    let env = Env::start(SimOptions::default()).await;
    let out = env
        .ok(&[
            "create",
            "configmap",
            "notes",
            "-n",
            NS,
            "--from-literal=a=1",
        ])
        .await;
    assert_eq!(out.trim(), "configmap/notes created");
    env.ok(&[
        "label",
        "cm",
        "notes",
        "-n",
        NS,
        "opsdeck.io/incident=inc-k",
    ])
    .await;
    let table = env
        .ok(&["get", "cm", "-n", NS, "-l", "opsdeck.io/incident"])
        .await;
    let lines: Vec<&str> = table.lines().collect();
    assert!(
        lines[0].starts_with("NAME") && lines[0].contains("DATA   AGE"),
        "{table}"
    );
    assert!(
        lines[1].starts_with("notes") && lines[1].contains(" 1 "),
        "{table}"
    );
    let none = env
        .kubectl(&["get", "cm", "-n", NS, "-l", "opsdeck.io/incident=other"])
        .await;
    assert!(
        text(&none).contains("No resources found"),
        "{}",
        text(&none)
    );

    let yaml = env
        .ok(&["get", "cm", "notes", "-n", NS, "-o", "yaml"])
        .await;
    for line in [
        "kind: ConfigMap",
        "  a: \"1\"",
        "    opsdeck.io/incident: inc-k",
    ] {
        assert!(yaml.lines().any(|l| l == line), "{line:?} in\n{yaml}");
    }
    let again = env
        .kubectl(&["create", "configmap", "notes", "-n", NS])
        .await;
    assert!(
        text(&again).contains("configmaps \"notes\" already exists"),
        "{}",
        text(&again)
    );
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_hears_the_api_servers_refusals() {
    let env = Env::start(SimOptions::default()).await;
    env.ok(&[
        "create",
        "configmap",
        "notes",
        "-n",
        NS,
        "--from-literal=a=1",
    ])
    .await;
    let stale_rv = env
        .ok(&[
            "get",
            "cm",
            "notes",
            "-n",
            NS,
            "-o",
            "jsonpath={.metadata.resourceVersion}",
        ])
        .await;
    env.ok(&[
        "patch",
        "cm",
        "notes",
        "-n",
        NS,
        "-p",
        r#"{"data":{"b":"2"}}"#,
    ])
    .await;

    let test_rv = format!(
        r#"[{{"op":"test","path":"/metadata/resourceVersion","value":"{stale_rv}"}},{{"op":"add","path":"/data/c","value":"3"}}]"#
    );
    let failed = env
        .kubectl(&[
            "patch",
            "cm",
            "notes",
            "-n",
            NS,
            "--type=json",
            "-p",
            &test_rv,
        ])
        .await;
    assert_eq!(
        text(&failed).trim(),
        "The request is invalid: the server rejected our request due to an error in our request"
    );

    let stale = format!(
        r#"{{"apiVersion":"v1","kind":"ConfigMap","metadata":{{"name":"notes","namespace":"{NS}","resourceVersion":"{stale_rv}"}},"data":{{"a":"9"}}}}"#
    );
    let path = env.dir.join("stale.json");
    std::fs::write(&path, stale).expect("write");
    let replaced = env
        .kubectl(&["replace", "-f", path.to_str().expect("utf-8 path")])
        .await;
    assert!(
        text(&replaced).contains(r#"Operation cannot be fulfilled on configmaps "notes": the object has been modified; please apply your changes to the latest version and try again"#),
        "{}",
        text(&replaced)
    );

    let big = env.dir.join("big.txt");
    std::fs::write(&big, "a".repeat(1_100_000)).expect("write");
    let from_file = format!("--from-file={}", big.display());
    let refused = env
        .kubectl(&["create", "configmap", "big", "-n", NS, &from_file])
        .await;
    assert_eq!(
        text(&refused).trim(),
        r#"error: failed to create configmap: ConfigMap "big" is invalid: []: Too long: may not be more than 1048576 bytes"#
    );

    let gone = env.ok(&["delete", "cm", "notes", "-n", NS]).await;
    assert_eq!(gone.trim(), r#"configmap "notes" deleted"#);
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_lists_a_shared_incident() {
    let env = Env::start(SimOptions::default()).await;
    let share = Share::new(env.client().await, NS);
    let started = Entry::new(Kind::Started, 1_000, "operator", "api 5xx").by("alice");
    let note = Entry::new(Kind::Note, 2_000, "operator", "rolled back").by("bob");
    share
        .append("inc-shown", &[started.clone(), note])
        .await
        .expect("append");
    let table = env
        .ok(&["get", "configmap", "-n", NS, "-l", "opsdeck.io/incident"])
        .await;
    let row = table
        .lines()
        .find(|l| l.starts_with("opsdeck-incident-inc-shown "))
        .unwrap_or_else(|| panic!("no row in\n{table}"));
    assert_eq!(row.split_whitespace().nth(1), Some("2"), "{row}");

    let cm = env
        .json(&["get", "cm", "opsdeck-incident-inc-shown", "-n", NS])
        .await;
    assert_eq!(cm["metadata"]["labels"]["opsdeck.io/incident"], "inc-shown");
    assert_eq!(cm["metadata"]["labels"]["opsdeck.io/part"], "1");
    let stored: Entry =
        serde_json::from_str(cm["data"][&started.id].as_str().expect("a key per entry"))
            .expect("the entry's JSON");
    assert_eq!(stored, started);
    env.stop().await;
}
