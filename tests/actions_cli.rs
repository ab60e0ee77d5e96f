//! `opsdeck run` and `opsdeck audit verify` as an operator runs them, against an `opsdeck sim`
//! process: dry runs change nothing, a failed check stops the run, a malformed runbook is located,
//! and a SIGKILL during verification leaves an audit log that verifies and names the open step.

#[path = "common/sim_process.rs"]
mod sim_process;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use sim_process::{SimProcess, opsdeck};

static DIRS: AtomicUsize = AtomicUsize::new(0);

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "opsdeck-actions-cli-{tag}-{}-{}",
        std::process::id(),
        DIRS.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    dir
}

/// `opsdeck sim` in the background, in its own temp dir (removed on drop).
struct Sim(SimProcess);

impl std::ops::Deref for Sim {
    type Target = SimProcess;
    fn deref(&self) -> &SimProcess {
        &self.0
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0.dir);
    }
}

impl Sim {
    fn start(extra: &[&str]) -> Sim {
        let dir = temp_dir("sim");
        Sim(SimProcess::start(opsdeck(&dir), dir, extra))
    }

    fn kubectl(&self, args: &[&str]) -> String {
        let out = Command::new("/usr/bin/kubectl")
            .arg("--kubeconfig")
            .arg(self.kubeconfig())
            .arg("--cache-dir")
            .arg(self.dir.join("cache"))
            .env("HOME", &self.dir)
            .args(args)
            .output()
            .expect("kubectl runs");
        assert!(
            out.status.success(),
            "kubectl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    }

    /// `opsdeck --kubeconfig K --audit-log A ARGS`.
    fn opsdeck(&self, audit: &Path, args: &[&str]) -> Command {
        let mut c = opsdeck(&self.dir);
        c.arg("--kubeconfig")
            .arg(self.kubeconfig())
            .arg("--audit-log")
            .arg(audit)
            .args(args);
        c
    }
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn wait_for(secs: u64, what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn replicas(sim: &Sim, name: &str) -> String {
    sim.kubectl(&[
        "-n",
        "contentgen",
        "get",
        "deploy",
        name,
        "-o",
        "jsonpath={.spec.replicas}",
    ])
}

#[test]
fn dry_run_prints_the_plans_and_changes_nothing() {
    let sim = Sim::start(&[]);
    let audit = sim.dir.join("audit.jsonl");
    let out = sim
        .opsdeck(&audit, &["run", "runbooks/queue-backlog.toml", "--dry-run"])
        .output()
        .expect("runs");
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    for needle in [
        "scale deployment contentgen/article-generator",
        "replicas: 4 -> 10",
        "PATCH /apis/apps/v1/namespaces/contentgen/deployments/article-generator/scale?fieldManager=opsdeck",
        "warning: HPA contentgen/",
        "server dry run: PATCH",
        "dry run: not executed",
        "skipped in a dry run",
        // No config names the queue the runbook waits on: the preview says so.
        "warning: step 4 (line 34): queue-below articles 20: no queue \"articles\" in the config (known: none); a real run stops before any action",
        "a real run stops before any action",
    ] {
        assert!(stdout.contains(needle), "missing {needle:?} in:\n{stdout}");
    }
    assert_eq!(replicas(&sim, "article-generator"), "4");
    assert!(!audit.exists(), "a dry run writes no audit entries");

    // The real run stops there before its first action: nothing is changed, nothing audited.
    let out = sim
        .opsdeck(&audit, &["run", "runbooks/queue-backlog.toml", "--yes"])
        .output()
        .expect("runs");
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("step 4 (line 34) failed: queue-below articles 20: no queue \"articles\"")
            && stderr.contains("(nothing was changed)"),
        "{stderr}"
    );
    assert!(!stdout.contains("action: scale"), "{stdout}");
    assert_eq!(replicas(&sim, "article-generator"), "4");
    assert!(!audit.exists(), "no action was started");

    // --readonly refuses even the plan, before any request.
    let out = sim
        .opsdeck(&audit, &["--readonly", "run", "queue-backlog", "--dry-run"])
        .output()
        .expect("runs");
    let (_, stderr) = text(&out);
    assert!(!out.status.success());
    assert!(stderr.contains("read-only"), "{stderr}");

    // Without --yes (and without --dry-run) a runbook that acts is refused up front.
    let out = sim
        .opsdeck(&audit, &["run", "queue-backlog"])
        .output()
        .expect("runs");
    let (_, stderr) = text(&out);
    assert!(!out.status.success());
    assert!(stderr.contains("pass --yes"), "{stderr}");
    assert_eq!(replicas(&sim, "article-generator"), "4");
}

#[test]
fn a_failing_check_stops_the_run_with_a_nonzero_exit() {
    let sim = Sim::start(&["--scenario", "crashloop"]);
    wait_for(30, "fact-checker crashlooping", || {
        sim.kubectl(&["-n", "contentgen", "get", "pods", "-l", "app=fact-checker"])
            .contains("CrashLoopBackOff")
    });
    let rb = sim.dir.join("check.toml");
    std::fs::write(
        &rb,
        "name = \"check-then-scale\"\nnamespace = \"contentgen\"\n\n[[step]]\ncheck = \"pods-ready fact-checker\"\n\n[[step]]\naction = \"scale scheduler 2\"\n",
    )
    .expect("runbook");
    let audit = sim.dir.join("audit.jsonl");
    let out = sim
        .opsdeck(&audit, &["run"])
        .arg(&rb)
        .arg("--yes")
        .output()
        .expect("runs");
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("check pods-ready fact-checker: FAILED"),
        "{stdout}"
    );
    assert!(stdout.contains("CrashLoopBackOff"), "{stdout}");
    assert!(stderr.contains("step 1 (line 4) failed"), "{stderr}");
    assert!(!stdout.contains("action: scale"), "{stdout}");
    assert_eq!(replicas(&sim, "scheduler"), "1");
}

#[test]
fn a_malformed_runbook_names_file_line_and_what_in_check_and_run() {
    let dir = temp_dir("bad");
    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        "name = \"bad\"\n\n[[step]]\nnote = \"ok\"\n\n[[step]]\naction = \"restrat api\"\n",
    )
    .expect("write");
    let typo = dir.join("typo.toml");
    std::fs::write(
        &typo,
        "name = \"typo\"\n\n[[step]]\nacton = \"restart api\"\n",
    )
    .expect("write");
    for args in [&["check"][..], &["run", "--dry-run"]] {
        let out = opsdeck(&dir).args(args).arg(&bad).output().expect("runs");
        let (_, stderr) = text(&out);
        assert!(!out.status.success());
        assert!(
            stderr.contains("bad.toml:7:10: unknown action in \"restrat api\""),
            "{args:?}: {stderr}"
        );
        let out = opsdeck(&dir).args(args).arg(&typo).output().expect("runs");
        let (_, stderr) = text(&out);
        assert!(!out.status.success());
        assert!(
            stderr.contains("typo.toml:4:1: unknown field `acton`"),
            "{args:?}: {stderr}"
        );
    }
    // A runbook not found says where it was looked for (the console's `:runbook` too).
    let out = opsdeck(&dir)
        .args(["run", "no-such-runbook"])
        .output()
        .expect("runs");
    let (_, stderr) = text(&out);
    assert!(!out.status.success());
    assert!(
        stderr.contains(
            "no runbook no-such-runbook (tried no-such-runbook, runbooks/no-such-runbook.toml;"
        ),
        "{stderr}"
    );
    let shipped: Vec<PathBuf> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks"))
            .expect("runbooks/")
            .map(|e| e.expect("entry").path())
            .collect();
    assert!(shipped.len() >= 7, "{shipped:?}");
    let out = opsdeck(&dir)
        .arg("check")
        .args(&shipped)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sigkill_during_verification_leaves_a_log_that_verifies_and_shows_the_step_started() {
    let sim = Sim::start(&["--scenario", "crashloop"]);
    let audit = sim.dir.join("audit.jsonl");
    // The rollback's verification waits for a rollout that crashlooping pods never finish.
    let mut child = sim
        .opsdeck(&audit, &["run", "runbooks/crashloop.toml", "--yes"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run starts");
    wait_for(60, "the rollback's result on record", || {
        std::fs::read_to_string(&audit).is_ok_and(|t| t.contains("\"phase\":\"result\""))
    });
    child.kill().expect("SIGKILL");
    let status = child.wait().expect("reaped");
    assert!(!status.success());
    let out = sim
        .opsdeck(&audit, &["audit", "verify"])
        .output()
        .expect("verify runs");
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("2 entries, hash chain intact"), "{stdout}");
    assert!(
        stdout.contains("rollback deployment contentgen/fact-checker")
            && stdout.contains("started and sent, not verified"),
        "{stdout}"
    );

    // Tampering is reported, naming the line.
    let log = std::fs::read_to_string(&audit).expect("log");
    std::fs::write(&audit, log.replacen("fact-checker", "fact-checkr", 1)).expect("tamper");
    let out = sim
        .opsdeck(&audit, &["audit", "verify"])
        .output()
        .expect("verify runs");
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("audit.jsonl:1: hash does not match"),
        "{stderr}"
    );
}

#[test]
fn queue_and_slo_conditions_read_the_sims_broker_and_prometheus() {
    let dir = temp_dir("conditions");
    let config = dir.join("config.toml");
    let sim = Sim::start(&["--config-out", config.to_str().expect("utf-8 path")]);
    wait_for(10, "the config", || config.exists());
    let rb = sim.dir.join("conditions.toml");
    std::fs::write(
        &rb,
        "name = \"conditions\"\nnamespace = \"contentgen\"\n\n\
         [[step]]\ncheck = \"slo-not-paging api-availability\"\n\n\
         [[step]]\ncheck = \"queue-below notifications 100000\"\n\n\
         [[step]]\ncheck = \"budget-ok infra/month\"\n\n\
         [[step]]\ncheck = \"queue-below notifications 0\"\n",
    )
    .expect("runbook");
    let audit = sim.dir.join("audit.jsonl");
    let out = sim
        .opsdeck(&audit, &["--config", config.to_str().expect("path"), "run"])
        .arg(&rb)
        .output()
        .expect("runs");
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    for needle in [
        "api-availability is Ok",
        "waiting (below 100000 wanted)",
        "infra/month: Ok,",
        "check queue-below notifications 0: FAILED",
    ] {
        assert!(
            stdout.contains(needle),
            "missing {needle:?} in:\n{stdout}\n{stderr}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_headless_runbook_records_its_steps_and_actions_in_the_open_incident() {
    let sim = Sim::start(&["--scenario", "bad-rollout"]);
    let audit = sim.dir.join("audit.jsonl");
    let start = sim
        .opsdeck(&audit, &["incident", "start", "api", "5xx"])
        .env("OPSDECK_OPERATOR", "alice")
        .output()
        .expect("runs");
    let (stdout, stderr) = text(&start);
    assert!(start.status.success(), "{stdout}\n{stderr}");
    let id = stdout.lines().next().unwrap_or_default().to_string();
    let out = sim
        .opsdeck(
            &audit,
            &["run", "runbooks/bad-rollout.toml", "--yes", "--incident"],
        )
        .env("OPSDECK_OPERATOR", "alice")
        .output()
        .expect("runs");
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let export = sim
        .opsdeck(&audit, &["incident", "export", &id, "--output", "json"])
        .output()
        .expect("runs");
    let json: serde_json::Value = serde_json::from_slice(&export.stdout).expect("json");
    let entries = json["entries"].as_array().expect("entries");
    let steps = entries
        .iter()
        .filter(|e| e["kind"] == "runbook-step")
        .count();
    assert!(steps >= 7, "every step line is recorded: {steps}");
    let action = entries
        .iter()
        .find(|e| e["kind"] == "action")
        .expect("the rollback's entry");
    assert_eq!(action["operator"], "alice");
    assert!(
        action["data"]["plan"]
            .as_str()
            .is_some_and(|p| p.contains("deployment contentgen/api")),
        "{action}"
    );
    // Its audit id is the audit log's.
    let audit_text = std::fs::read_to_string(&audit).expect("audit log");
    let audit_id = action["data"]["audit_id"].as_str().expect("audit id");
    assert!(
        audit_text.contains(audit_id),
        "{audit_id} not in the audit log"
    );
    // A resolved incident takes no more.
    sim.opsdeck(&audit, &["incident", "resolve", "--id", &id])
        .output()
        .expect("runs");
    let out = sim
        .opsdeck(
            &audit,
            &[
                "run",
                "runbooks/bad-rollout.toml",
                "--dry-run",
                "--incident",
                &id,
            ],
        )
        .output()
        .expect("runs");
    let (_, stderr) = text(&out);
    assert!(
        !out.status.success() && stderr.contains("is resolved"),
        "{stderr}"
    );
}

#[test]
fn headless_incident_commands_on_two_machines_share_one_incident_through_the_cluster() {
    let sim = Sim::start(&[]);
    let (a, b) = (sim.dir.join("a.jsonl"), sim.dir.join("b.jsonl"));
    let run = |audit: &Path, who: &str, args: &[&str]| {
        let out = sim
            .opsdeck(audit, args)
            .env("OPSDECK_OPERATOR", who)
            .output()
            .expect("runs");
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{args:?}: {stdout}\n{stderr}");
        assert!(!stderr.contains("not shared"), "{stderr}");
        stdout
    };
    let started = run(&a, "alice", &["incident", "start", "api", "5xx"]);
    let id = started.lines().next().unwrap_or_default().to_string();
    // Bob's machine has no record of it: the cluster's open incident is his too.
    let noted = run(&b, "bob", &["incident", "note", "bob", "was", "here"]);
    assert!(noted.contains(&id), "{noted}");
    let md = run(&a, "alice", &["incident", "export", &id]);
    assert!(
        md.contains("bob was here") && md.contains("**bob**"),
        "{md}"
    );
    let listed = sim.kubectl(&["get", "configmap", "-A", "-l", "opsdeck.io/incident"]);
    assert!(
        listed.contains(&format!("opsdeck-incident-{id}")),
        "{listed}"
    );
}

#[test]
fn a_headless_resolve_measures_the_failed_requests_from_prometheus() {
    let dir = temp_dir("impact");
    let config = dir.join("config.toml");
    let sim = Sim::start(&[
        "--scenario",
        "bad-rollout",
        "--config-out",
        config.to_str().expect("utf-8"),
    ]);
    wait_for(10, "the config", || config.exists());
    let audit = sim.dir.join("audit.jsonl");
    let cfg = config.to_str().expect("utf-8");
    let run = |args: &[&str]| {
        let out = sim
            .opsdeck(&audit, &[&["--config", cfg], args].concat())
            .output()
            .expect("runs");
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{args:?}: {stdout}\n{stderr}");
        stdout
    };
    let id = run(&["incident", "start", "api", "5xx"])
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    std::thread::sleep(std::time::Duration::from_secs(2));
    run(&["incident", "resolve"]);
    let json: serde_json::Value =
        serde_json::from_str(&run(&["incident", "export", &id, "--output", "json"])).expect("json");
    let impact = json["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["kind"] == "impact")
        .expect("an impact entry");
    let failed = impact["data"]["failed_requests"]
        .as_str()
        .unwrap_or_default();
    assert!(
        failed.starts_with(|c: char| c.is_ascii_digit()) && failed.contains("% of"),
        "{impact}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
