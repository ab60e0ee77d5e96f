//! Action locks against the in-process sim: two consoles (two executors, alice and bob) on one
//! cluster. The one acting holds a Lease on its target while it verifies (kubectl sees it);
//! the other's plan names the holder and wants "<name> --force"; a forced action takes the
//! lock over; a dead holder's lease frees itself 30 s after its last renewal; a cluster
//! forbidding leases lets actions go on, saying there is no lock. Every lock step is in the
//! audit log, whose chain stays valid.

#[path = "common/sim_env.rs"]
mod sim_env;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use opsdeck::actions::executor::{Executor, ExecutorConfig};
use opsdeck::actions::lock::LockState;
use opsdeck::actions::plan::Plan;
use opsdeck::actions::runbook::{Runbook, headless};
use opsdeck::actions::{ActionError, ActionRequest, Progress, audit};
use opsdeck::sim::{Scenario, SimOptions};
use serde_json::{Value, json};
use sim_env::SimEnv;
use tokio::sync::mpsc;

const NS: &str = "contentgen";

/// A console of `operator` on the sim, writing its own audit log.
async fn console(env: &SimEnv, operator: &str, verify: Duration) -> Executor {
    let config = ExecutorConfig {
        context: "opsdeck-sim".into(),
        cluster_url: env.sim.url(),
        user: "sim-admin".into(),
        readonly: false,
        production: false,
        platform_url: Some(env.sim.platform_url()),
        audit_path: audit_path(env, operator),
        verify_timeout: verify,
        operator: operator.into(),
        lock_namespace: Some(NS.into()),
    };
    Executor::new(env.client().await, config).expect("executor")
}

fn audit_path(env: &SimEnv, operator: &str) -> PathBuf {
    env.dir.join(operator).join("audit.jsonl")
}

fn req(words: &[&str]) -> ActionRequest {
    ActionRequest::parse(words, NS).expect("request parses")
}

/// The audit log's entries, after checking its chain.
fn audit_lines(path: &Path) -> Vec<Value> {
    audit::verify(path).expect("the audit chain holds");
    std::fs::read_to_string(path)
        .expect("audit log")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect()
}

/// Executes with `phrase`, collecting the progress lines.
async fn run(
    ex: &Executor,
    plan: &Plan,
    phrase: &str,
) -> (Result<String, ActionError>, Vec<String>) {
    let (tx, mut rx) = mpsc::channel(256);
    let result = ex.execute(plan, phrase, &tx).await.map(|o| o.summary);
    drop(tx);
    let mut lines = vec![];
    while let Some(p) = rx.recv().await {
        lines.push(p.line());
    }
    (result, lines)
}

async fn lease(env: &SimEnv, name: &str) -> Option<Value> {
    let out = env
        .kubectl(&["-n", NS, "get", "lease", name, "-o", "json"])
        .await;
    out.status
        .success()
        .then(|| serde_json::from_slice(&out.stdout).expect("lease json"))
}

/// A lease as another console (or a dead one) left it, written with kubectl.
async fn plant_lease(env: &SimEnv, name: &str, acquired_s_ago: i64, renewed_s_ago: i64) {
    let ago = |s: i64| {
        let t = jiff::Timestamp::now() - jiff::SignedDuration::from_secs(s);
        serde_json::to_value(MicroTime(t)).expect("time")
    };
    let body = json!({
        "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
        "metadata": {"name": name, "namespace": NS,
            "annotations": {"opsdeck.io/action": "rolling back", "opsdeck.io/target": "contentgen/api",
                "opsdeck.io/runbook": "bad-rollout", "opsdeck.io/session": "s-alice"}},
        "spec": {"holderIdentity": "alice", "leaseDurationSeconds": 30,
            "acquireTime": ago(acquired_s_ago), "renewTime": ago(renewed_s_ago)},
    });
    let file = env.dir.join(format!("{name}.json"));
    std::fs::write(&file, body.to_string()).expect("lease file");
    let _ = env.kubectl(&["-n", NS, "delete", "lease", name]).await;
    env.ok(&["create", "-f", file.to_str().expect("path")])
        .await;
}

/// Until `f` holds, polling every 250 ms for at most `secs`.
async fn until<F: AsyncFn() -> bool>(secs: u64, what: &str, f: F) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while !f().await {
        assert!(tokio::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_target_names_its_holder_and_a_forced_action_takes_the_lock_over() {
    let env = SimEnv::start(SimOptions {
        scenario: Some(Scenario::Crashloop),
        ..SimOptions::default()
    })
    .await;
    let lease_name = "opsdeck-deployment-contentgen-fact-checker";
    // alice restarts the crashlooping worker: its rollout never completes, so she holds the
    // lock while she verifies (up to 25 s).
    let alice = console(&env, "alice", Duration::from_secs(25)).await;
    let bob = console(&env, "bob", Duration::from_secs(20)).await;
    let plan = alice
        .plan(&req(&["restart", "fact-checker"]))
        .await
        .expect("plan");
    assert!(
        plan.lock
            .as_ref()
            .is_some_and(|l| l.state == LockState::Free),
        "{:?}",
        plan.lock
    );
    let (tx, mut rx) = mpsc::channel(256);
    let acting = tokio::spawn({
        let alice = alice.clone();
        async move { alice.execute(&plan, "y", &tx).await }
    });
    let mut alice_said = vec![];
    while let Some(p) = rx.recv().await {
        alice_said.push(p.line());
        if matches!(p, Progress::Requested { .. }) {
            break;
        }
    }
    assert!(
        alice_said[0].starts_with(&format!(
            "action lock contentgen/{lease_name} taken as alice (30s, renewed every 10s)"
        )),
        "{alice_said:?}"
    );
    // kubectl sees the lock while it is held.
    let table = env.ok(&["get", "lease", "-n", NS]).await;
    assert!(
        table
            .lines()
            .any(|l| l.starts_with(lease_name) && l.contains("alice")),
        "{table}"
    );
    let held = lease(&env, lease_name).await.expect("held");
    assert_eq!(held["spec"]["leaseDurationSeconds"], 30);
    assert_eq!(
        held["metadata"]["annotations"]["opsdeck.io/action"],
        "restarting"
    );
    assert_eq!(held["metadata"]["labels"]["opsdeck.io/lock"], "true");

    // bob plans on the same target: the plan names alice first, and wants the name + --force.
    let plan = bob
        .plan(&req(&["restart", "fact-checker"]))
        .await
        .expect("plan");
    assert_eq!(plan.confirm_phrase, "fact-checker --force");
    let lines = plan.lines();
    assert!(
        lines[1].starts_with("  LOCKED: alice is restarting contentgen/fact-checker since "),
        "{lines:?}"
    );
    for typed in ["y", "fact-checker"] {
        let (result, _) = run(&bob, &plan, typed).await;
        let err = result.expect_err("held");
        assert!(
            matches!(&err, ActionError::Refused(why) if why.contains("alice is restarting contentgen/fact-checker since")
                && why.contains("type \"fact-checker --force\"")),
            "{err}"
        );
    }

    // alice renews every 10 s while her verification waits.
    let acquired = held["spec"]["acquireTime"].clone();
    until(15, "alice renews her lease", async || {
        lease(&env, lease_name)
            .await
            .is_some_and(|l| l["spec"]["renewTime"] != acquired)
    })
    .await;

    // bob forces: he pauses the rollout, over alice's lock.
    let plan = bob
        .plan(&req(&["pause-rollout", "fact-checker"]))
        .await
        .expect("plan");
    assert_eq!(plan.confirm_phrase, "fact-checker --force");
    let (result, said) = run(&bob, &plan, "fact-checker --force").await;
    result.expect("bob's forced pause");
    assert!(
        said[0].contains(
            "taken as bob (30s, renewed every 10s); taken over (forced) from: alice is restarting contentgen/fact-checker"
        ),
        "{said:?}"
    );
    // alice's rollout is paused now: her verification ends; her lock is gone.
    let alice_result = acting.await.expect("join");
    assert!(alice_result.is_err(), "{alice_result:?}");
    assert!(lease(&env, lease_name).await.is_none(), "bob released it");

    // On record: bob's two refusals and his takeover, alice's lost lock, chains intact.
    let bobs = audit_lines(&audit_path(&env, "bob"));
    let refusals: Vec<&Value> = bobs.iter().filter(|l| l["phase"] == "lock").collect();
    assert_eq!(refusals.len(), 2, "{bobs:#?}");
    assert!(refusals.iter().all(|l| {
        l["outcome"] == "refused"
            && l["lock"]
                .as_str()
                .is_some_and(|w| w.starts_with("held: alice is restarting"))
    }));
    let intent = bobs
        .iter()
        .find(|l| l["phase"] == "intent")
        .expect("intent");
    assert!(
        intent["lock"]
            .as_str()
            .is_some_and(|w| w.contains("taken over (forced) from: alice"))
    );
    assert!(
        intent["confirmation"]
            .as_str()
            .is_some_and(|c| c.contains("--force"))
    );
    let last = bobs.last().expect("bob's last line");
    assert_eq!(last["phase"], "verify");
    assert!(
        last["lock"]
            .as_str()
            .is_some_and(|w| w.starts_with("released contentgen/")),
        "{last}"
    );
    let alices = audit_lines(&audit_path(&env, "alice"));
    let last = alices.last().expect("alice's last line");
    assert!(
        last["lock"]
            .as_str()
            .is_some_and(|w| w.contains("lost") || w.contains("not released")),
        "{last}"
    );
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_holders_lease_expires_30_s_after_its_last_renewal() {
    let env = SimEnv::start(SimOptions::default()).await;
    let bob = console(&env, "bob", Duration::from_secs(60)).await;
    let name = "opsdeck-deployment-contentgen-api";

    // Renewed 40 s ago: alice's console died; the lease is free for an update.
    plant_lease(&env, name, 100, 40).await;
    let plan = bob.plan(&req(&["scale", "api", "4"])).await.expect("plan");
    assert!(
        matches!(&plan.lock.as_ref().expect("lock").state, LockState::Expired(h) if h.identity == "alice"),
        "{:?}",
        plan.lock
    );
    assert_eq!(plan.confirm_phrase, "y");
    let (result, said) = run(&bob, &plan, "y").await;
    result.expect("scaled");
    assert!(
        said[0].contains("taken over (expired) from: alice is rolling back contentgen/api"),
        "{said:?}"
    );
    assert!(lease(&env, name).await.is_none(), "released when done");

    // Renewed 20 s ago: alice is still at it.
    plant_lease(&env, name, 100, 20).await;
    let plan = bob.plan(&req(&["scale", "api", "3"])).await.expect("plan");
    assert_eq!(plan.confirm_phrase, "api --force");
    let lines = plan.lines();
    let since = lines[1]
        .strip_prefix("  LOCKED: alice is rolling back contentgen/api since ")
        .unwrap_or_else(|| panic!("{lines:?}"));
    assert!(
        since.len() > 12
            && since[..12].ends_with(" UTC")
            && since.contains("(runbook bad-rollout)"),
        "{since}"
    );
    for typed in ["y", "api"] {
        let (result, said) = run(&bob, &plan, typed).await;
        assert!(matches!(result, Err(ActionError::Refused(_))), "{result:?}");
        assert!(said.is_empty(), "nothing was sent: {said:?}");
    }
    assert_eq!(
        lease(&env, name).await.expect("still alice's")["spec"]["holderIdentity"],
        "alice"
    );

    // Headless `--yes` never forces: it refuses, naming the holder.
    let rb = Runbook::parse(
        "name = \"scale-api\"\ndescription = \"d\"\nnamespace = \"contentgen\"\n\
         [[step]]\naction = \"scale api 3\"\n",
        "scale-api.toml",
    )
    .expect("runbook");
    let how = headless::How {
        dry_run: false,
        yes: true,
        recorder: None,
    };
    let mut out = vec![];
    let err = headless::run(&rb, &BTreeMap::new(), &bob, how, &mut out)
        .await
        .expect_err("refused");
    let why = err.to_string();
    assert!(
        why.contains("held: alice is rolling back contentgen/api since")
            && why.contains("no --force"),
        "{why}"
    );

    // Typed with --force, bob takes it over; the lease names him and his runbook-less action.
    let (result, said) = run(&bob, &plan, "api --force").await;
    result.expect("forced");
    assert!(
        said[0].contains("taken over (forced) from: alice"),
        "{said:?}"
    );
    let lines = audit_lines(&audit_path(&env, "bob"));
    let phases: Vec<(&str, &str)> = lines
        .iter()
        .map(|l| {
            (
                l["phase"].as_str().unwrap_or_default(),
                l["outcome"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        phases,
        vec![
            ("intent", ""),
            ("result", "ok"),
            ("verify", "ok"),
            ("lock", "refused"),
            ("lock", "refused"),
            ("lock", "refused"),
            ("intent", ""),
            ("result", "ok"),
            ("verify", "ok"),
        ]
    );
    assert_eq!(lines[3]["confirmation"], "typed \"y\"");
    assert_eq!(lines[4]["confirmation"], "typed \"api\"");
    assert_eq!(
        lines[5]["confirmation"], "--yes (headless runbook)",
        "the headless refusal is on record"
    );
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_headless_runbook_names_itself_on_the_lock_it_takes() {
    let env = SimEnv::start(SimOptions::default()).await;
    let bob = console(&env, "bob", Duration::from_secs(60)).await;
    let rb = Runbook::parse(
        "name = \"scale-api\"\ndescription = \"d\"\nnamespace = \"contentgen\"\n\
         [[step]]\naction = \"scale api 4\"\n",
        "scale-api.toml",
    )
    .expect("runbook");
    let how = headless::How {
        dry_run: false,
        yes: true,
        recorder: None,
    };
    // Another console watches the lease while the runbook acts.
    let watcher = {
        let client = env.client().await;
        tokio::spawn(async move {
            let api: kube::Api<k8s_openapi::api::coordination::v1::Lease> =
                kube::Api::namespaced(client, NS);
            for _ in 0..400 {
                if let Ok(Some(l)) = api.get_opt("opsdeck-deployment-contentgen-api").await {
                    return Some(l);
                }
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            None
        })
    };
    let mut out = vec![];
    headless::run(&rb, &BTreeMap::new(), &bob, how, &mut out)
        .await
        .expect("runs");
    let seen = watcher.await.expect("join").expect("the lease was seen");
    let notes = seen.metadata.annotations.unwrap_or_default();
    assert_eq!(
        notes.get("opsdeck.io/runbook").map(String::as_str),
        Some("scale-api")
    );
    assert_eq!(
        notes.get("opsdeck.io/action").map(String::as_str),
        Some("scaling")
    );
    assert_eq!(
        seen.spec.and_then(|s| s.holder_identity).as_deref(),
        Some("bob")
    );
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_rbac_on_leases_an_action_goes_on_and_says_it_has_no_lock() {
    let env = SimEnv::start(SimOptions {
        forbidden: vec!["leases".into()],
        ..SimOptions::default()
    })
    .await;
    let bob = console(&env, "bob", Duration::from_secs(60)).await;
    let plan = bob.plan(&req(&["scale", "api", "4"])).await.expect("plan");
    let lines = plan.lines();
    assert!(
        lines[1].starts_with("  no action lock: leases forbidden ("),
        "{lines:?}"
    );
    let (result, said) = run(&bob, &plan, "y").await;
    result.expect("scaled without a lock");
    assert!(
        said[0].starts_with("no action lock: leases forbidden ("),
        "{said:?}"
    );
    let intent = audit_lines(&audit_path(&env, "bob"))
        .into_iter()
        .find(|l| l["phase"] == "intent")
        .expect("intent");
    assert!(
        intent["lock"]
            .as_str()
            .is_some_and(|w| w.starts_with("no action lock: leases forbidden")),
        "{intent}"
    );
    // Platform-only verbs take no lock at all.
    let plan = bob
        .plan(&ActionRequest::PauseGeneration(Default::default()))
        .await
        .expect("plan");
    assert_eq!(plan.lock, None);
    env.stop().await;
}
