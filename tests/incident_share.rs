//! Shared incidents against the in-process sim: two consoles appending to one incident at
//! once, a console's watch seeing another's entries, kubectl listing the ConfigMaps, the
//! second part past 900 KiB, and an incident kept local without RBAC on ConfigMaps.

#[path = "common/sim_env.rs"]
mod sim_env;

#[path = "incident_share/kubectl.rs"]
mod kubectl;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use futures::future::join_all;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::Api;
use kube::api::ListParams;
use opsdeck::incident::entry::{Entry, Kind};
use opsdeck::incident::share::{INCIDENT_LABEL, PART_LABEL, Share, ShareError, SharedMsg};
use opsdeck::sim::SimOptions;
use sim_env::SimEnv as Env;
use tokio::sync::mpsc;

const NS: &str = "contentgen";

fn note(at: i64, who: &str, text: &str) -> Entry {
    Entry::new(Kind::Note, at, "operator", text).by(who)
}

/// The incident's ConfigMaps as the API holds them.
async fn parts(env: &Env, incident: &str) -> Vec<ConfigMap> {
    let api: Api<ConfigMap> = Api::namespaced(env.client().await, NS);
    let lp = ListParams::default().labels(&format!("{INCIDENT_LABEL}={incident}"));
    api.list(&lp).await.expect("list").items
}

/// Waits for an Entries message holding `id`; how long it took.
async fn seen(rx: &mut mpsc::Receiver<SharedMsg>, id: &str, within: Duration) -> Duration {
    let start = Instant::now();
    loop {
        let left = within.saturating_sub(start.elapsed());
        match tokio::time::timeout(left, rx.recv()).await {
            Ok(Some(SharedMsg::Entries { entries, .. })) if entries.iter().any(|e| e.id == id) => {
                return start.elapsed();
            }
            Ok(Some(SharedMsg::Failed { reason })) => panic!("watch failed: {reason}"),
            Ok(Some(_)) => {}
            Ok(None) => panic!("watch ended"),
            Err(_) => panic!("entry {id} not seen within {within:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_consoles_appending_at_once_keep_every_entry_exactly_once() {
    let env = Env::start(SimOptions::default()).await;
    let (alice, bob) = (
        Share::new(env.client().await, NS),
        Share::new(env.client().await, NS),
    );
    let id = "inc-concurrent";
    // Interleaved in time: alice's at even milliseconds, bob's at odd ones.
    let mine: Vec<Entry> = (0..50).map(|i| note(1_000 + 2 * i, "alice", "a")).collect();
    let theirs: Vec<Entry> = (0..50).map(|i| note(1_001 + 2 * i, "bob", "b")).collect();
    let appends = |share: &Share, entries: &[Entry]| {
        join_all(
            entries
                .iter()
                .map(|e| {
                    let share = share.clone();
                    let e = e.clone();
                    async move { share.append(id, &[e]).await }
                })
                .collect::<Vec<_>>(),
        )
    };
    let (a, b) = tokio::join!(appends(&alice, &mine), appends(&bob, &theirs));
    for r in a.into_iter().chain(b) {
        r.expect("every append lands");
    }
    // Appending what is there already writes nothing.
    alice.append(id, &mine[..3]).await.expect("re-append");

    let loaded = bob.load(id).await.expect("load");
    let want: BTreeSet<&str> = mine.iter().chain(&theirs).map(|e| e.id.as_str()).collect();
    let got: BTreeSet<&str> = loaded.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(loaded.len(), 100, "each entry once");
    assert_eq!(got, want);
    assert!(loaded.windows(2).all(|w| w[0].at <= w[1].at), "time order");

    let cms = parts(&env, id).await;
    assert_eq!(cms.len(), 1, "100 notes fit one part");
    assert_eq!(
        cms[0].metadata.name.as_deref(),
        Some("opsdeck-incident-inc-concurrent")
    );
    let labels = cms[0].metadata.labels.clone().unwrap_or_default();
    assert_eq!(labels.get(PART_LABEL).map(String::as_str), Some("1"));
    assert_eq!(cms[0].data.as_ref().map(|d| d.len()), Some(100));

    let listed = alice.list().await.expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].0.as_str(), listed[0].1.len()), (id, 100));
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_console_that_read_before_another_wrote_retries_on_the_conflict() {
    let env = Env::start(SimOptions::default()).await;
    let (alice, bob) = (
        Share::new(env.client().await, NS),
        Share::new(env.client().await, NS),
    );
    let id = "inc-raced";
    let first = note(1_000, "alice", "first");
    alice
        .append(id, std::slice::from_ref(&first))
        .await
        .expect("alice");
    let second = note(2_000, "bob", "second");
    bob.append(id, std::slice::from_ref(&second))
        .await
        .expect("bob");
    // Alice writes with the resourceVersion of her last write: stale since bob's.
    let third = note(3_000, "alice", "third");
    alice
        .append(id, std::slice::from_ref(&third))
        .await
        .expect("alice again");

    let conflicts: Vec<String> = env
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "PATCH" && r.status == 409)
        .map(|r| r.path)
        .collect();
    assert_eq!(
        conflicts,
        [format!(
            "/api/v1/namespaces/{NS}/configmaps/opsdeck-incident-inc-raced"
        )]
    );
    assert_eq!(alice.load(id).await.expect("load"), [first, second, third]);
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_console_sees_anothers_note_within_two_seconds() {
    let env = Env::start(SimOptions::default()).await;
    let (alice, bob) = (
        Share::new(env.client().await, NS),
        Share::new(env.client().await, NS),
    );
    let id = "inc-watched";
    let started = Entry::new(Kind::Started, 1_000, "operator", "api 5xx").by("alice");
    alice
        .append(id, std::slice::from_ref(&started))
        .await
        .expect("start");

    let (tx, mut rx) = mpsc::channel::<SharedMsg>(64);
    let watch = bob.clone().watch(tx);
    // The initial list brings what is there; then the watch is live.
    seen(&mut rx, &started.id, Duration::from_secs(10)).await;

    let rolled_back = note(2_000, "alice", "rolled back api to revision 4");
    alice
        .append(id, std::slice::from_ref(&rolled_back))
        .await
        .expect("note");
    let took = seen(&mut rx, &rolled_back.id, Duration::from_secs(2)).await;
    assert!(took < Duration::from_secs(2), "{took:?}");

    // And the other way round, with bob's own action.
    let (tx, mut alice_rx) = mpsc::channel::<SharedMsg>(64);
    let alice_watch = alice.watch(tx);
    seen(&mut alice_rx, &started.id, Duration::from_secs(10)).await;
    let action = Entry::new(Kind::Action, 3_000, "executor", "scaled api to 6").by("bob");
    bob.append(id, std::slice::from_ref(&action))
        .await
        .expect("action");
    seen(&mut alice_rx, &action.id, Duration::from_secs(2)).await;

    watch.abort();
    alice_watch.abort();
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_900_kib_the_incident_continues_in_a_second_configmap() {
    let env = Env::start(SimOptions::default()).await;
    let share = Share::new(env.client().await, NS);
    let id = "inc-long";
    // Twelve entries of about 100 KiB: more than one part holds.
    let text = "log line from the crashlooping fact-checker\n".repeat(2_300);
    let entries: Vec<Entry> = (0..12).map(|i| note(1_000 + i, "alice", &text)).collect();
    for e in &entries[..6] {
        share
            .append(id, std::slice::from_ref(e))
            .await
            .expect("append");
    }
    share
        .append(id, &entries[6..])
        .await
        .expect("append the rest at once");

    let cms = parts(&env, id).await;
    let mut names: Vec<String> = cms.iter().filter_map(|c| c.metadata.name.clone()).collect();
    names.sort();
    assert_eq!(
        names,
        ["opsdeck-incident-inc-long", "opsdeck-incident-inc-long-2"]
    );
    for cm in &cms {
        let bytes: usize = cm.data.iter().flatten().map(|(_, v)| v.len()).sum();
        assert!(bytes <= 900 * 1024, "{bytes} bytes in one part");
    }
    let loaded = share.load(id).await.expect("load");
    assert_eq!(loaded.len(), 12);
    assert_eq!(loaded, entries);

    let out = env
        .ok(&[
            "get",
            "configmap",
            "-n",
            NS,
            "-l",
            "opsdeck.io/incident=inc-long",
        ])
        .await;
    assert!(out.contains("opsdeck-incident-inc-long-2"), "{out}");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_rbac_on_configmaps_the_incident_stays_local_and_says_why() {
    let env = Env::start(SimOptions {
        forbidden: vec!["configmaps".into()],
        ..SimOptions::default()
    })
    .await;
    let share = Share::new(env.client().await, NS);
    let err = share
        .append("inc-local", &[note(1_000, "alice", "x")])
        .await
        .expect_err("forbidden");
    let ShareError::Forbidden(why) = &err else {
        panic!("{err:?}");
    };
    assert!(why.contains("cannot list resource \"configmaps\""), "{why}");
    assert!(
        err.to_string().contains("does not let this console share"),
        "{err}"
    );
    assert!(matches!(
        share.load("inc-local").await,
        Err(ShareError::Forbidden(_))
    ));
    assert!(matches!(share.list().await, Err(ShareError::Forbidden(_))));

    let (tx, mut rx) = mpsc::channel::<SharedMsg>(8);
    let watch = share.watch(tx);
    let msg = tokio::time::timeout(Duration::from_secs(10), rx.recv()).await;
    let Ok(Some(SharedMsg::Failed { reason })) = msg else {
        panic!("{msg:?}");
    };
    assert!(
        reason.contains("forbidden") && reason.contains("stay on this machine"),
        "{reason}"
    );
    // A forbidden watch ends rather than retrying.
    tokio::time::timeout(Duration::from_secs(5), watch)
        .await
        .expect("the watch ends")
        .expect("without panicking");
    env.stop().await;
}
