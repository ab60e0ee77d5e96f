//! The command line as a user runs it: check, snapshot, the errors for missing kubeconfig and
//! malformed config, and `opsdeck sim` serving both kubectl and opsdeck.

#[path = "common/sim_process.rs"]
mod sim_process;

use std::process::Command;

use opsdeck::sim::Scenario;
use sim_process::SimProcess;

fn opsdeck() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_opsdeck"));
    // No user config: an empty XDG config dir, not whatever this machine has.
    let xdg = std::env::temp_dir().join(format!("opsdeck-cli-xdg-{}", std::process::id()));
    c.env("XDG_CONFIG_HOME", xdg)
        .env_remove("OPSDECK_CONFIG")
        .env_remove("KUBECONFIG");
    c
}

fn configs(kind: &str) -> Vec<std::path::PathBuf> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/configs")
        .join(kind);
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("fixture dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn check_accepts_valid_configs() {
    for file in configs("valid") {
        let out = opsdeck().arg("check").arg(&file).output().expect("runs");
        assert!(
            out.status.success(),
            "{}: {}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn check_names_file_line_column_and_what_is_wrong() {
    let expected = [
        (
            "bad_queue_kind.toml",
            ":3:8: unknown variant `kafka`, expected one of",
        ),
        ("misspelt_key.toml", ":2:1: unknown field `namespace`"),
        ("syntax.toml", ":2:"),
        (
            "wrong_type.toml",
            ":2:17: invalid type: string \"fifty\", expected f64",
        ),
    ];
    let files = configs("invalid");
    assert_eq!(files.len(), expected.len());
    for (file, (name, needle)) in files.iter().zip(expected) {
        assert!(file.ends_with(name));
        let out = opsdeck().arg("check").arg(file).output().expect("runs");
        assert_eq!(out.status.code(), Some(1), "{name}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!("{}{needle}", file.display())),
            "{name}: {err}"
        );
    }
    let out = opsdeck()
        .arg("check")
        .arg(&files[1])
        .output()
        .expect("runs");
    assert!(String::from_utf8_lossy(&out.stderr).contains("did you mean `namespaces`?"));
}

#[test]
fn check_reads_slo_files_and_names_the_line_of_a_bad_one() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let good = root.join("examples/slos/api.yaml");
    let bad = root.join("tests/configs/invalid/slo/objective_out_of_range.yaml");
    let out = opsdeck().arg("check").arg(&good).output().expect("runs");
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("ok (2 SLOs: api/api-availability, api/api-latency)")
    );
    let out = opsdeck().arg("check").arg(&bad).output().expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "{}:5:16: SLO \"api-availability\": objective 150 is out of range",
            bad.display()
        )),
        "{err}"
    );
}

#[test]
fn no_kubeconfig_names_the_paths_tried_and_suggests_the_demo() {
    let home = std::env::temp_dir().join(format!("opsdeck-nohome-{}", std::process::id()));
    std::fs::create_dir_all(&home).expect("home");
    let out = opsdeck()
        .env("HOME", &home)
        .arg("snapshot")
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("{}/.kube/config", home.display())),
        "{err}"
    );
    assert!(err.contains("opsdeck demo"), "{err}");

    let out = opsdeck()
        .env("KUBECONFIG", "/nonexistent/a:/nonexistent/b")
        .arg("snapshot")
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/a, /nonexistent/b"), "{err}");
}

/// `opsdeck sim` with a kubeconfig and an opsdeck config written to its own temp dir.
fn start_sim(extra: &[&str]) -> SimProcess {
    let dir = std::env::temp_dir().join(format!(
        "opsdeck-cli-sim-{}-{}",
        std::process::id(),
        extra.len()
    ));
    let config = dir.join("opsdeck.toml");
    let mut args = vec!["--config-out", config.to_str().expect("utf-8 path")];
    args.extend_from_slice(extra);
    SimProcess::start(opsdeck(), dir, &args)
}

#[test]
fn sim_serves_kubectl_and_snapshot_and_stops_on_sigterm() {
    let mut sim = start_sim(&[]);
    let kubectl = Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(sim.kubeconfig())
        .args(["get", "deploy", "-n", "contentgen"])
        .output()
        .expect("kubectl runs");
    assert!(
        kubectl.status.success(),
        "{}",
        String::from_utf8_lossy(&kubectl.stderr)
    );
    assert!(String::from_utf8_lossy(&kubectl.stdout).contains("article-generator"));

    let out = opsdeck()
        .arg("--kubeconfig")
        .arg(sim.kubeconfig())
        .args(["--namespace", "all", "snapshot", "--output", "json"])
        .output()
        .expect("snapshot runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let snap: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let cluster = &snap["cluster"];
    assert_eq!(cluster["state"], "live", "{cluster}");
    let names: Vec<&str> = cluster["rows"]
        .as_array()
        .expect("workloads")
        .iter()
        .filter_map(|w| w["name"].as_str())
        .collect();
    for w in [
        "api",
        "article-generator",
        "fact-checker",
        "redis",
        "rabbitmq",
        "prometheus",
    ] {
        assert!(names.contains(&w), "{w} missing from {names:?}");
    }
    assert_eq!(cluster["nodes"].as_array().map(Vec::len), Some(4));
    assert!(cluster["pods"].as_array().map(Vec::len).unwrap_or(0) >= 20);

    let text = opsdeck()
        .arg("--kubeconfig")
        .arg(sim.kubeconfig())
        .args(["--namespace", "contentgen", "snapshot"])
        .output()
        .expect("snapshot runs");
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("WORKLOADS") && text.contains("PODS") && text.contains("synced"),
        "{text}"
    );
    assert!(
        !text.contains("prometheus-"),
        "only contentgen was asked for:\n{text}"
    );

    let check = opsdeck()
        .arg("check")
        .arg(sim.dir.join("opsdeck.toml"))
        .output()
        .expect("runs");
    assert!(check.status.success(), "the sim's config validates");

    let status = sim.stop();
    assert!(status.success(), "sim exits cleanly on SIGTERM: {status:?}");
}

#[test]
fn snapshot_reports_a_forbidden_resource_and_the_rest() {
    let mut sim = start_sim(&["--forbid", "nodes"]);
    let out = opsdeck()
        .arg("--kubeconfig")
        .arg(sim.kubeconfig())
        .args(["snapshot", "--output", "json"])
        .output()
        .expect("snapshot runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let snap: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let cluster = &snap["cluster"];
    let nodes = cluster["sources"]
        .as_array()
        .expect("sources")
        .iter()
        .find(|s| s["name"] == "Kubernetes nodes")
        .expect("nodes source");
    // Forbidden is an answer: the snapshot says so and still exits 0.
    assert_eq!(
        (&nodes["state"], &nodes["answered"]),
        (&"stale".into(), &true.into())
    );
    let reason = nodes["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("forbidden"), "{nodes}");
    assert!(
        !cluster["pods"].as_array().expect("pods").is_empty(),
        "pods still listed"
    );
    sim.stop();
}

#[test]
fn snapshot_of_a_dead_server_says_why_and_exits_2() {
    // A kubeconfig pointing at a port nobody listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let dir = std::env::temp_dir().join(format!("opsdeck-cli-dead-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let kubeconfig = dir.join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: dead\n\
             clusters: [{{name: dead, cluster: {{server: \"http://127.0.0.1:{port}\"}}}}]\n\
             users: [{{name: u, user: {{token: t}}}}]\n\
             contexts: [{{name: dead, context: {{cluster: dead, user: u, namespace: contentgen}}}}]\n"
        ),
    )
    .expect("write kubeconfig");
    let out = opsdeck()
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .args(["snapshot", "--timeout", "3"])
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("NOT SYNCED"), "{text}");
    assert!(
        text.contains(&format!(
            "stale pods contentgen: connection refused (http://127.0.0.1:{port}), retrying in"
        )),
        "{text}"
    );
}

/// `opsdeck demo --help` and `opsdeck sim --help` list every scenario with its one line (from
/// the one list in src/sim/scenarios.rs); a wrong name is refused with the valid ones.
#[test]
fn demo_and_sim_help_list_every_scenario_with_its_line() {
    for sub in ["demo", "sim"] {
        let out = opsdeck().args([sub, "--help"]).output().expect("runs");
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{sub} --help: {help}");
        for sc in Scenario::ALL {
            // `- name:   line`, the names padded to one width.
            let prefix = format!("- {}:", sc.name());
            let listed = help.lines().any(|l| {
                l.trim()
                    .strip_prefix(&prefix)
                    .is_some_and(|rest| rest.trim() == sc.describe())
            });
            assert!(listed, "{sub} --help lacks {}:\n{help}", sc.name());
        }
    }
    let out = opsdeck()
        .args(["sim", "--scenario", "queue-backlogg"])
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("invalid value 'queue-backlogg'") && err.contains("queue-backlog"),
        "{err}"
    );
}

/// `snapshot --context all`: every context of the kubeconfig, rows saying theirs; one that
/// cannot be reached is named, and the exit is 2 after at most the timeout.
#[test]
fn snapshot_of_every_context_names_the_one_that_did_not_sync() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let start = || {
        rt.block_on(opsdeck::sim::start(opsdeck::sim::SimOptions::default()))
            .expect("sim")
    };
    let (one, two) = (start(), start());
    let dir = std::env::temp_dir().join(format!("opsdeck-cli-ctx-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
    let dead = listener.local_addr().expect("addr").port();
    drop(listener);
    let yaml = opsdeck::sim::SimHandle::kubeconfig_of(&[("eu", &one), ("us", &two)]);
    let yaml = yaml.replace(
        "contexts:\n",
        &format!(
            "- name: dead\n  cluster:\n    server: http://127.0.0.1:{dead}\ncontexts:\n\
             - name: dead\n  context:\n    cluster: dead\n    user: eu-sim-admin\n    namespace: contentgen\n"
        ),
    );
    let kubeconfig = dir.join("kubeconfig");
    std::fs::write(&kubeconfig, yaml).expect("kubeconfig");
    let started = std::time::Instant::now();
    let out = opsdeck()
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .args([
            "--context",
            "all",
            "-n",
            "contentgen",
            "snapshot",
            "--timeout",
            "4",
        ])
        .output()
        .expect("runs");
    let (text, err) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(2), "{err}\n{text}");
    assert!(started.elapsed() < std::time::Duration::from_secs(8));
    assert!(err.contains("contexts not in sync: dead"), "{err}");
    assert!(
        err.contains("dead: Kubernetes pods in contentgen: connection refused"),
        "{err}"
    );
    assert!(text.contains("CLUSTER  contexts dead,eu,us"), "{text}");
    for context in ["eu", "us"] {
        let rows = text
            .lines()
            .filter(|l| l.starts_with(&format!("{context:<12} contentgen")))
            .count();
        assert!(rows > 20, "{context}: {rows} rows\n{text}");
    }
    rt.block_on(async {
        one.stop().await;
        two.stop().await;
    });
    let _ = std::fs::remove_dir_all(&dir);
}

/// A runbook acts in one context: `run --context a,b` is refused before anything is asked.
#[test]
fn run_refuses_several_contexts() {
    let dir = std::env::temp_dir().join(format!("opsdeck-cli-two-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let kubeconfig = dir.join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\ncurrent-context: a\n\
         clusters: [{name: c, cluster: {server: \"http://127.0.0.1:1\"}}]\n\
         users: [{name: u, user: {token: t}}]\n\
         contexts: [{name: a, context: {cluster: c, user: u}}, {name: b, context: {cluster: c, user: u}}]\n",
    )
    .expect("kubeconfig");
    let out = opsdeck()
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .args(["--context", "a,b", "--audit-log"])
        .arg(dir.join("audit.jsonl"))
        .args(["run", "runbooks/crashloop.toml", "--yes"])
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("acts on one context, not a,b: pass --context NAME"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
