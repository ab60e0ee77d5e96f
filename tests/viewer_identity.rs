//! The restricted `viewer` identity: the real kubectl may read but every write answers 403,
//! and the sim's request log shows that no mutation got through.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use opsdeck::sim::{self, SimHandle, SimOptions};

const KUBECTL: &str = "/usr/bin/kubectl";

fn kubeconfig(sim: &SimHandle, dir: &Path, user: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join(format!("kubeconfig-{user}"));
    std::fs::write(&path, sim.kubeconfig_yaml_for(user)).unwrap();
    path
}

async fn kubectl(dir: &Path, config: &Path, args: &[&str]) -> Output {
    let mut c = Command::new(KUBECTL);
    c.arg("--kubeconfig")
        .arg(config)
        .arg("--cache-dir")
        .arg(dir.join("cache"))
        .args(args)
        .env("HOME", dir);
    tokio::task::spawn_blocking(move || c.output().expect("kubectl runs"))
        .await
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewer_reads_but_cannot_scale_and_nothing_mutates() {
    let sim = sim::start(SimOptions::default()).await.expect("sim starts");
    let dir = std::env::temp_dir().join(format!("opsdeck-viewer-{}", std::process::id()));
    let viewer = kubeconfig(&sim, &dir, "viewer");
    let admin = kubeconfig(&sim, &dir, "sim-admin");

    let pods = kubectl(&dir, &viewer, &["get", "pods", "-n", "contentgen"]).await;
    assert!(pods.status.success(), "{}", text(&pods));
    assert!(text(&pods).contains("api-"), "{}", text(&pods));

    let scale = kubectl(
        &dir,
        &viewer,
        &["scale", "deploy/api", "-n", "contentgen", "--replicas=5"],
    )
    .await;
    assert!(
        !scale.status.success(),
        "{}\n{:#?}",
        text(&scale),
        sim.requests()
    );
    let err = text(&scale);
    assert!(
        err.contains("forbidden") && err.contains("User \"viewer\" cannot patch"),
        "{err}"
    );

    let dry = kubectl(
        &dir,
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

    let no = kubectl(
        &dir,
        &viewer,
        &["auth", "can-i", "patch", "deployments", "-n", "contentgen"],
    )
    .await;
    assert!(
        String::from_utf8_lossy(&no.stdout).starts_with("no"),
        "{}",
        text(&no)
    );
    let yes = kubectl(
        &dir,
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
    let admin_yes = kubectl(
        &dir,
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

    let log = sim.requests();
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

    let api = kubectl(
        &dir,
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
    sim.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_sim_writes_a_viewer_kubeconfig() {
    let sim = sim::start(SimOptions {
        user: Some("viewer".into()),
        ..SimOptions::default()
    })
    .await
    .expect("sim starts");
    let yaml = sim.kubeconfig_yaml();
    assert!(
        yaml.contains("user: viewer") && yaml.contains("token: viewer"),
        "{yaml}"
    );
    let dir = std::env::temp_dir().join(format!("opsdeck-viewer-sim-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("kubeconfig");
    std::fs::write(&config, yaml).unwrap();
    let del = kubectl(
        &dir,
        &config,
        &["delete", "pod", "-n", "contentgen", "-l", "app=api"],
    )
    .await;
    assert!(!del.status.success(), "{}", text(&del));
    assert!(text(&del).contains("forbidden"), "{}", text(&del));
    assert!(
        sim.requests()
            .iter()
            .all(|r| !r.is_mutating() || r.status == 403)
    );
    sim.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kube_rs_with_the_viewer_kubeconfig_gets_403_on_writes_and_dry_runs() {
    use k8s_openapi::api::apps::v1::Deployment;
    use kube::api::{Api, Patch, PatchParams};
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sim = sim::start(SimOptions::default()).await.expect("sim starts");
    let kc = kube::config::Kubeconfig::from_yaml(&sim.kubeconfig_yaml_for("viewer")).unwrap();
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
    let writes: Vec<_> = sim
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
    sim.stop().await;
}
