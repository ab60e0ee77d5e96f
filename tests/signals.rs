//! After a rollback, verification follows the signals of what it touched: the short-window
//! burn of the SLOs the workload serves, before the request and after, read from the sim's
//! Prometheus API through the same client and SLO files the console uses.

#[path = "common/sim_env.rs"]
mod sim_env;

use std::time::{Duration, Instant};

use opsdeck::actions::ActionRequest;
use opsdeck::actions::executor::{Executor, ExecutorConfig};
use opsdeck::app::sources::Feeds;
use opsdeck::config::Config;
use opsdeck::sim::{Scenario, SimOptions};
use sim_env::SimEnv;
use tokio::sync::mpsc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollback_reports_the_burn_of_the_slos_its_workload_serves() {
    let env = SimEnv::start(SimOptions {
        scenario: Some(Scenario::BadRollout),
        ..SimOptions::default()
    })
    .await;
    let probes = Feeds::from_sim(&env.sim, &Config::default())
        .expect("the sim's sources")
        .probes();
    let slo = probes
        .slos_of("api")
        .into_iter()
        .find(|s| s.name == "api-availability")
        .cloned()
        .expect("api-availability");
    // Until the bad revision's 5xx show in the 5m window.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, burn) = probes.short_burn(&slo).await.expect("burn");
        if burn.is_some_and(|b| b > 14.4) {
            break;
        }
        assert!(Instant::now() < deadline, "api never burned: {burn:?}");
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let settings = ExecutorConfig {
        context: "opsdeck-sim".into(),
        cluster_url: env.sim.url(),
        user: "sim-admin".into(),
        readonly: false,
        production: false,
        platform_url: Some(env.sim.platform_url()),
        audit_path: env.dir.join("audit.jsonl"),
        // The signals are followed within what is left of the window: short, for a test.
        verify_timeout: Duration::from_secs(20),
        operator: "sim-operator".into(),
        lock_namespace: None,
    };
    let ex = Executor::new(env.client().await, settings)
        .expect("executor")
        .with_probes(probes);
    let request = ActionRequest::parse(&["rollback", "api"], "contentgen").expect("parses");
    let plan = ex.plan(&request).await.expect("plan");
    let (tx, mut rx) = mpsc::channel(256);
    let drain = tokio::spawn(async move {
        let mut said = vec![];
        while let Some(p) = rx.recv().await {
            said.push(format!("{p:?}"));
        }
        said
    });
    let outcome = ex
        .execute(&plan, &plan.confirm_phrase, &tx)
        .await
        .expect("rollback");
    drop(tx);
    let said = drain.await.expect("progress");
    let summary = outcome.summary;
    assert!(
        summary.starts_with("deployment \"api\" successfully rolled out; "),
        "{summary}"
    );
    // "api-availability 5m burn 414x -> 380x": before, above the page factor, and after.
    let burns = summary
        .split("api-availability 5m burn ")
        .nth(1)
        .and_then(|rest| rest.split(';').next())
        .expect("the availability burn is reported");
    let (before, after) = burns.split_once(" -> ").expect("before -> after");
    let number = |t: &str| -> f64 {
        t.trim_end_matches(" (not clear after the verification window)")
            .trim_end_matches('x')
            .parse()
            .unwrap_or_else(|_| panic!("{t:?} in {summary}"))
    };
    assert!(number(before) > 14.4, "{summary}");
    // Seconds after the rollback the 5-minute window still holds the errors: a reading, not
    // yet a clear one.
    assert!(number(after) >= 0.0, "{summary}");
    assert!(
        said.iter().any(|p| p.contains("api-availability 5m burn")),
        "{said:?}"
    );
    env.stop().await;
}
