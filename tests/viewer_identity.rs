//! The restricted `viewer` identity: the real kubectl may read but every write answers 403,
//! and the sim's request log shows that no mutation got through.

#[path = "common/sim_env.rs"]
mod sim_env;

use opsdeck::sim::SimOptions;
use sim_env::{SimEnv, text};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewer_reads_but_cannot_scale_and_nothing_mutates() {
    let env = SimEnv::start(SimOptions::default()).await;
    let viewer = env.kubeconfig_for("viewer");
    let admin = env.kubeconfig_for("sim-admin");

    let pods = env
        .kubectl_as(&viewer, &["get", "pods", "-n", "contentgen"])
        .await;
    assert!(pods.status.success(), "{}", text(&pods));
    assert!(text(&pods).contains("api-"), "{}", text(&pods));

    let scale = env
        .kubectl_as(
            &viewer,
            &["scale", "deploy/api", "-n", "contentgen", "--replicas=5"],
        )
        .await;
    assert!(
        !scale.status.success(),
        "{}\n{:#?}",
        text(&scale),
        env.sim.requests()
    );
    let err = text(&scale);
    assert!(
        err.contains("forbidden") && err.contains("User \"viewer\" cannot patch"),
        "{err}"
    );

    let dry = env
        .kubectl_as(
            &viewer,
            &[
                "scale",
                "deploy/api",
                "-n",
                "contentgen",
                "--replicas=5",
                "--dry-run=server",
            ],
        )
        .await;
    assert!(!dry.status.success(), "{}", text(&dry));

    let no = env
        .kubectl_as(
            &viewer,
            &["auth", "can-i", "patch", "deployments", "-n", "contentgen"],
        )
        .await;
    assert!(
        String::from_utf8_lossy(&no.stdout).starts_with("no"),
        "{}",
        text(&no)
    );
    let yes = env
        .kubectl_as(
            &viewer,
            &["auth", "can-i", "list", "pods", "-n", "contentgen"],
        )
        .await;
    assert_eq!(
        String::from_utf8_lossy(&yes.stdout).trim(),
        "yes",
        "{}",
        text(&yes)
    );
    let admin_yes = env
        .kubectl_as(
            &admin,
            &["auth", "can-i", "patch", "deployments", "-n", "contentgen"],
        )
        .await;
    assert_eq!(
        String::from_utf8_lossy(&admin_yes.stdout).trim(),
        "yes",
        "{}",
        text(&admin_yes)
    );

    let log = env.sim.requests();
    let viewer_writes: Vec<_> = log
        .iter()
        .filter(|r| r.user == "viewer" && r.is_mutating())
        .collect();
    assert!(!viewer_writes.is_empty());
    assert!(
        viewer_writes.iter().all(|r| r.status == 403),
        "{viewer_writes:?}"
    );
    assert!(
        viewer_writes
            .iter()
            .any(|r| r.method == "PATCH" && r.path.ends_with("/deployments/api/scale")),
        "{viewer_writes:?}"
    );
    assert!(
        viewer_writes.iter().any(|r| r.query.contains("dryRun=All")),
        "{viewer_writes:?}"
    );
    assert!(
        log.iter()
            .any(|r| r.user == "viewer" && r.method == "GET" && r.status == 200)
    );
    // Each access review is on record with what it asked and what the sim answered.
    let answered = |user: &str| {
        log.iter()
            .filter(|r| r.user == user)
            .filter_map(|r| r.review.as_ref())
            .find(|a| a.verb == "patch" && a.resource == "deployments")
            .map(|a| (a.namespace.as_str(), a.allowed))
    };
    assert_eq!(answered("viewer"), Some(("contentgen", false)), "{log:#?}");
    assert_eq!(
        answered("sim-admin"),
        Some(("contentgen", true)),
        "{log:#?}"
    );

    let api = env
        .kubectl_as(
            &admin,
            &[
                "get",
                "deploy/api",
                "-n",
                "contentgen",
                "-o",
                "jsonpath={.spec.replicas}",
            ],
        )
        .await;
    assert_eq!(
        String::from_utf8_lossy(&api.stdout).trim(),
        "3",
        "{}",
        text(&api)
    );
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_sim_writes_a_viewer_kubeconfig() {
    let env = SimEnv::start(SimOptions {
        user: Some("viewer".into()),
        ..SimOptions::default()
    })
    .await;
    let yaml = env.sim.kubeconfig_yaml();
    assert!(
        yaml.contains("user: viewer") && yaml.contains("token: viewer"),
        "{yaml}"
    );
    let config = env.kubeconfig();
    let del = env
        .kubectl_as(
            &config,
            &["delete", "pod", "-n", "contentgen", "-l", "app=api"],
        )
        .await;
    assert!(!del.status.success(), "{}", text(&del));
    assert!(text(&del).contains("forbidden"), "{}", text(&del));
    assert!(
        env.sim
            .requests()
            .iter()
            .all(|r| !r.is_mutating() || r.status == 403)
    );
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kube_rs_with_the_viewer_kubeconfig_gets_403_on_writes_and_dry_runs() {
    use k8s_openapi::api::apps::v1::Deployment;
    use kube::api::{Api, Patch, PatchParams};
    let _ = rustls::crypto::ring::default_provider().install_default();
    let env = SimEnv::start(SimOptions::default()).await;
    let kc = kube::config::Kubeconfig::from_yaml(&env.sim.kubeconfig_yaml_for("viewer")).unwrap();
    let cfg = kube::Config::from_custom_kubeconfig(kc, &Default::default())
        .await
        .unwrap();
    let deploys: Api<Deployment> =
        Api::namespaced(kube::Client::try_from(cfg).unwrap(), "contentgen");
    assert!(deploys.get("api").await.is_ok());
    let patch = Patch::Merge(serde_json::json!({"spec": {"replicas": 5}}));
    for pp in [PatchParams::default(), PatchParams::default().dry_run()] {
        match deploys.patch_scale("api", &pp, &patch).await {
            Err(kube::Error::Api(s)) => {
                assert_eq!(s.code, 403);
                assert!(
                    s.message.contains("User \"viewer\" cannot patch"),
                    "{}",
                    s.message
                );
            }
            other => panic!("expected 403, got {other:?}"),
        }
    }
    let writes: Vec<_> = env
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.is_mutating())
        .collect();
    assert_eq!(writes.len(), 2, "{writes:?}");
    assert!(writes.iter().all(|r| r.status == 403 && r.user == "viewer"));
    assert_eq!(
        deploys
            .get("api")
            .await
            .unwrap()
            .spec
            .and_then(|s| s.replicas),
        Some(3)
    );
    env.stop().await;
}
