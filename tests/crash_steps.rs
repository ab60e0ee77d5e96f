//! SIGKILL at each step of an action (planned, intent written, request sent, verifying),
//! headless and in the console: the audit log still verifies and names the action left
//! unfinished, and the next start says "unfinished action from TIME: check TARGET".
//! `OPSDECK_PAUSE_AFTER=STEP` halts the executor right after that step, so the kill lands there.

#[path = "common/sim_process.rs"]
mod sim_process;
#[path = "common/tmux.rs"]
mod tmux;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sim_process::{SimProcess, opsdeck};
use tmux::{Tmux, child_of};

const TARGET: &str = "deployment contentgen/publisher";

fn sim(tag: &str) -> SimProcess {
    let dir = std::env::temp_dir().join(format!("opsdeck-crash-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    SimProcess::start(opsdeck(&dir), dir, &[])
}

fn runbook(dir: &Path) -> PathBuf {
    let path = dir.join("scale.toml");
    std::fs::write(
        &path,
        "name = \"scale-publisher\"\nnamespace = \"contentgen\"\n\n[[step]]\naction = \"scale publisher 5\"\n",
    )
    .expect("runbook");
    path
}

fn wait_for(secs: u64, what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn phases(audit: &Path) -> Vec<String> {
    std::fs::read_to_string(audit)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["phase"].as_str().map(str::to_string))
        .collect()
}

/// `opsdeck audit verify` holds, and names the action as unfinished.
fn verify_names_the_unfinished_action(sim: &SimProcess, audit: &Path, state: &str) {
    let out = opsdeck(&sim.dir)
        .arg("--audit-log")
        .arg(audit)
        .args(["audit", "verify"])
        .output()
        .expect("verify runs");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains("hash chain intact, head matches"), "{said}");
    assert!(said.contains(&format!("scale {TARGET}")), "{said}");
    assert!(said.contains(state), "{said}");
}

/// The next headless start says it first, on stderr.
fn next_run_says_it(sim: &SimProcess, audit: &Path) {
    let out = opsdeck(&sim.dir)
        .arg("--kubeconfig")
        .arg(sim.kubeconfig())
        .arg("--audit-log")
        .arg(audit)
        .args(["run", "--dry-run"])
        .arg(runbook(&sim.dir))
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unfinished action from ") && err.contains(&format!("check {TARGET}")),
        "{err}"
    );
}

#[test]
fn sigkill_headless_at_each_step_is_named_by_verify_and_the_next_start() {
    // (step, what the audit log holds when halted there, what verify says of it)
    let steps = [
        ("intent", vec!["intent"], "no result on record"),
        ("sent", vec!["intent"], "no result on record"),
        ("verified", vec!["intent", "result"], "sent, not verified"),
    ];
    for (step, logged, state) in steps {
        let mut sim = sim(&format!("headless-{step}"));
        let audit = sim.dir.join("audit.jsonl");
        let mut child = opsdeck(&sim.dir)
            .arg("--kubeconfig")
            .arg(sim.kubeconfig())
            .arg("--audit-log")
            .arg(&audit)
            .arg("run")
            .arg(runbook(&sim.dir))
            .arg("--yes")
            .env("OPSDECK_PAUSE_AFTER", step)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run starts");
        let halted = sim.dir.join("halted");
        let stderr = child.stderr.take().expect("stderr");
        let copy = std::thread::spawn({
            let halted = halted.clone();
            move || {
                use std::io::BufRead;
                for line in std::io::BufReader::new(stderr)
                    .lines()
                    .map_while(Result::ok)
                {
                    if line.contains("halted after") {
                        let _ = std::fs::write(&halted, &line);
                    }
                }
            }
        });
        wait_for(60, &format!("the run halted after {step}"), || {
            halted.exists()
        });
        child.kill().expect("SIGKILL");
        child.wait().expect("reaped");
        let _ = copy.join();
        assert_eq!(phases(&audit), logged, "step {step}");
        verify_names_the_unfinished_action(&sim, &audit, state);
        next_run_says_it(&sim, &audit);
        sim.stop();
    }
}

#[test]
fn sigkill_in_the_console_while_verifying_is_shown_at_the_next_start() {
    let mut sim = sim("console");
    let audit = sim.dir.join("audit.jsonl");
    let args = [
        "--kubeconfig".to_string(),
        sim.kubeconfig().display().to_string(),
        "--audit-log".to_string(),
        audit.display().to_string(),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();

    // Killed with the plan on screen, unconfirmed: nothing is on record, nothing to say.
    let t = Tmux::start("crash-plan", 100, 30, &args, &[]);
    plan_the_scale(&t);
    kill_console(&t);
    assert!(phases(&audit).is_empty());
    drop(t);

    // Killed while verifying: intent and result on record, no verification.
    let t = Tmux::start(
        "crash-verify",
        100,
        30,
        &args,
        &[("OPSDECK_PAUSE_AFTER", "verified")],
    );
    plan_the_scale(&t);
    t.keys(&["y", "Enter"]);
    wait_for(60, "the result on record", || phases(&audit).len() == 2);
    // The verification (the rollout to 5 ready) ends, and the executor halts before its line.
    std::thread::sleep(Duration::from_secs(2));
    kill_console(&t);
    drop(t);
    verify_names_the_unfinished_action(&sim, &audit, "sent, not verified");

    let t = Tmux::start("crash-next", 200, 30, &args, &[]);
    let screen = t.wait_for("the notice", Duration::from_secs(30), |s| {
        s.contains("unfinished action from")
    });
    assert!(screen.contains(&format!("check {TARGET}")), "{screen}");
    drop(t);
    sim.stop();
}

/// `:scale publisher 5` typed, and its plan on screen awaiting confirmation.
fn plan_the_scale(t: &Tmux) {
    t.wait_for("the overview", Duration::from_secs(30), |s| {
        s.contains("publisher")
    });
    t.literal(":scale publisher 5");
    t.keys(&["Enter"]);
    t.wait_for("the plan", Duration::from_secs(30), |s| {
        s.contains("Confirm")
    });
}

fn kill_console(t: &Tmux) {
    let shell: i32 = t.format("#{pane_pid}").parse().expect("pane pid");
    let pid = child_of(shell).expect("opsdeck runs under the pane's shell");
    let status = Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    t.wait_dead(Duration::from_secs(10));
}
