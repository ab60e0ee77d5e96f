//! End to end: the real binary in a real terminal (tmux), driven by keys, read by
//! capture-pane. Needs tmux (scripts/test.sh installs it); without it these tests fail.

use std::process::Command;
use std::time::{Duration, Instant};

#[path = "common/sim_process.rs"]
mod sim_process;

#[path = "common/tmux.rs"]
mod tmux;

use tmux::{Tmux, child_of};

const STARTUP: Duration = Duration::from_secs(30);

#[test]
fn demo_navigate_filter_open_logs_and_quit_restores_the_terminal() {
    let t = Tmux::start("nav", 80, 24, &["demo", "--scenario", "crashloop"], &[]);
    let screen = t.wait_for("the overview with workloads", STARTUP, |s| {
        s.contains("Workloads") && s.contains("fact-checker") && s.contains("article-generator")
    });
    assert!(screen.contains("Warning events"), "{screen}");
    assert_eq!(
        t.format("#{alternate_on}"),
        "1",
        "runs on the alternate screen"
    );

    // The crashloop plays out live: restarts and BackOff warnings appear within seconds.
    t.wait_for("BackOff warnings", STARTUP, |s| s.contains("BackOff"));

    t.literal(":pods");
    t.keys(&["Enter"]);
    t.wait_for("the pods view", STARTUP, |s| {
        s.contains("Pods [") && s.contains("api-")
    });

    t.literal("/fact");
    t.keys(&["Enter"]);
    let screen = t.wait_for("the filtered pods", STARTUP, |s| s.contains("/fact"));
    let rows: Vec<&str> = screen
        .lines()
        .filter(|l| l.contains("-") && l.starts_with('│'))
        .collect();
    assert!(
        rows.iter().all(|l| !l.contains("api-")),
        "filter left other pods:\n{screen}"
    );
    assert!(screen.contains("fact-checker-"), "{screen}");

    t.keys(&["Enter"]);
    t.wait_for("the log view with lines", STARTUP, |s| {
        s.contains("Logs ›")
            && s.contains("fact-checker")
            && s.lines().filter(|l| l.starts_with("│")).count() > 2
    });

    t.keys(&["Escape"]);
    t.wait_for("back to pods", STARTUP, |s| s.contains("Pods ["));

    t.literal(":q");
    t.keys(&["Enter"]);
    t.wait_dead(Duration::from_secs(10));
    assert_eq!(t.file("status").trim(), "0", "clean exit");
    assert_eq!(t.format("#{alternate_on}"), "0", "alternate screen left");
    let stty = t.file("stty");
    let modes: Vec<&str> = stty.split_whitespace().collect();
    for mode in ["icanon", "echo", "icrnl", "opost", "isig"] {
        assert!(
            modes.contains(&mode),
            "tty left in raw mode ({mode} missing):\n{stty}"
        );
    }
    let after = t.screen();
    assert!(
        !after.contains("Workloads"),
        "console left on screen:\n{after}"
    );
}

#[test]
fn ascii_and_no_color_modes_draw_plain_text() {
    let t = Tmux::start("ascii", 80, 24, &["demo", "--ascii"], &[("NO_COLOR", "1")]);
    let screen = t.wait_for("the overview", STARTUP, |s| {
        s.contains("Workloads") && s.contains("api")
    });
    let body: String = screen.lines().collect::<Vec<_>>().join("\n");
    assert!(body.is_ascii(), "non-ASCII in --ascii mode:\n{body}");
    assert!(body.contains("+-"), "ASCII borders:\n{body}");
    let escapes = t.run(&["capture-pane", "-p", "-e", "-t", "0"]);
    let styled = String::from_utf8_lossy(&escapes.stdout);
    // Under NO_COLOR no foreground colour is set (38;5 / 3x codes), only attributes.
    assert!(
        !styled.contains("\u{1b}[31m") && !styled.contains("\u{1b}[32m"),
        "colour used under NO_COLOR"
    );
    t.literal(":q");
    t.keys(&["Enter"]);
    t.wait_dead(Duration::from_secs(10));
}

#[test]
fn sighup_ends_the_process_at_once() {
    let t = Tmux::start("hup", 80, 24, &["demo"], &[]);
    t.wait_for("the overview", STARTUP, |s| s.contains("Workloads"));
    let shell: i32 = t.format("#{pane_pid}").parse().expect("pane pid");
    // The pane runs `sh -c 'env ... opsdeck ...'`; env execs, so opsdeck is sh's child.
    let pid = child_of(shell).expect("opsdeck runs under the pane's shell");
    let alive = |pid: i32| {
        std::path::Path::new(&format!("/proc/{pid}")).exists()
            && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .unwrap_or_default()
                .contains(") Z ")
    };
    assert!(alive(pid));
    // Killing the session hangs up the terminal, as a dropped SSH connection does.
    t.run(&["kill-server"]);
    let deadline = Instant::now() + Duration::from_secs(5);
    while alive(pid) {
        assert!(Instant::now() < deadline, "opsdeck outlived its terminal");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn refuses_without_a_terminal_and_points_to_snapshot() {
    let out = Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .arg("demo")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("needs a terminal"), "{err}");
    assert!(err.contains("opsdeck snapshot"), "{err}");
}

#[test]
fn demo_rolls_back_a_bad_rollout_after_typed_confirmation_and_audits_it() {
    let dir = std::env::temp_dir().join(format!("opsdeck-e2e-audit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let audit = dir.join("audit.jsonl");
    let audit_arg = format!("--audit-log={}", audit.display());
    let t = Tmux::start(
        "fix",
        80,
        24,
        &["demo", "--scenario", "bad-rollout", &audit_arg],
        &[],
    );
    // The bad revision arrives a few seconds in: api's revision moves past 3.
    let api_revision = |s: &str| -> Option<u32> {
        s.lines()
            .find(|l| l.contains(" api ") && l.contains("deploy"))
            // "│● api  deploy 3/3  complete  4  0  │": REV is third from the end.
            .and_then(|l| l.split_whitespace().rev().nth(2)?.parse().ok())
    };
    t.wait_for("the bad rollout", Duration::from_secs(60), |s| {
        api_revision(s).is_some_and(|r| r > 3)
    });
    let bad = api_revision(&t.screen()).expect("revision");

    t.literal(":rollback api");
    t.keys(&["Enter"]);
    t.wait_for("the plan preview", STARTUP, |s| {
        s.contains("Confirm rollback") && s.contains("type api")
    });
    // A bare y (or Enter) does nothing for a destructive action.
    t.literal("y");
    t.keys(&["Enter"]);
    t.wait_for("the refusal", STARTUP, |s| {
        s.contains("type \"api\" and Enter")
    });
    t.keys(&["BSpace"]);
    t.literal("api");
    t.keys(&["Enter"]);
    let screen = t.wait_for("the rollback to finish", Duration::from_secs(90), |s| {
        s.contains("rollback api done") || s.contains("FAILED")
    });
    assert!(screen.contains("rollback api done"), "{screen}");
    t.wait_for("a new revision on api", STARTUP, |s| {
        api_revision(s).is_some_and(|r| r > bad)
    });

    t.keys(&["Escape"]);
    t.literal(":q");
    t.keys(&["Enter"]);
    t.wait_dead(Duration::from_secs(10));

    let log = std::fs::read_to_string(&audit).expect("audit log written");
    assert!(log.lines().count() >= 3, "intent, result, verify:\n{log}");
    let verify = Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .args(["audit", "verify", &audit_arg])
        .output()
        .expect("runs");
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn demo_walks_the_bad_rollout_runbook_to_the_end() {
    let dir = std::env::temp_dir().join(format!("opsdeck-e2e-runbook-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let audit_arg = format!("--audit-log={}", dir.join("audit.jsonl").display());
    let t = Tmux::start(
        "runbook",
        80,
        24,
        &["demo", "--scenario", "bad-rollout", &audit_arg],
        &[],
    );
    t.wait_for("the console", STARTUP, |s| {
        s.contains("Workloads") && s.contains(" api ")
    });
    // Let the bad revision land first (a few seconds into the scenario).
    t.wait_for("the bad revision", Duration::from_secs(60), |s| {
        s.lines()
            .any(|l| l.contains(" api ") && l.contains("deploy") && !l.contains(" 3    0"))
    });
    t.literal(":runbook bad-rollout");
    t.keys(&["Enter"]);
    t.wait_for("the runbook", STARTUP, |s| {
        s.contains("Runbook bad-rollout") && s.contains("run step 1 of 7")
    });
    t.keys(&["Enter"]); // 1. observe: is the page firing? (said, never stops)
    t.wait_for("step 2", STARTUP, |s| s.contains("run step 2 of 7"));
    t.keys(&["Enter"]); // 2. manual: acknowledged
    t.wait_for("step 3", STARTUP, |s| s.contains("run step 3 of 7"));
    t.keys(&["Enter"]); // 3. action: rollback api -> plan
    t.wait_for("the plan", STARTUP, |s| s.contains("Confirm rollback"));
    t.literal("api");
    t.keys(&["Enter"]);
    // The rollout, then up to a minute of the SLO's burn and the page followed.
    t.wait_for("step 4", Duration::from_secs(120), |s| {
        s.contains("run step 4 of 7")
    });
    t.keys(&["Enter"]); // 4. wait until the rollout completes
    t.wait_for("step 5", Duration::from_secs(90), |s| {
        s.contains("run step 5 of 7")
    });
    t.keys(&["Enter"]); // 5. check pods ready
    t.wait_for("step 6", Duration::from_secs(30), |s| {
        s.contains("run step 6 of 7")
    });
    t.keys(&["Enter"]); // 6. note
    t.wait_for("step 7", STARTUP, |s| s.contains("run step 7 of 7"));
    t.keys(&["Enter"]); // 7. observe: has the page resolved?
    t.wait_for("the end", STARTUP, |s| s.contains("runbook done: 7 steps"));
    t.keys(&["Escape"]);
    t.keys(&["Escape"]);
    t.literal(":q");
    t.keys(&["Enter"]);
    t.wait_dead(Duration::from_secs(10));
    let verify = Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .args(["audit", "verify", &audit_arg])
        .output()
        .expect("runs");
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn demo_bad_rollout_pages_the_availability_slo_within_a_minute_and_a_half() {
    let t = Tmux::start("slo", 80, 24, &["demo", "--scenario", "bad-rollout"], &[]);
    // The SLO pane leads the overview; api-availability rises to the top when it pages.
    let screen = t.wait_for("api-availability paging", Duration::from_secs(90), |s| {
        s.lines()
            .any(|l| l.contains("api-availability") && l.contains("PAGE"))
    });
    assert!(screen.contains("SLOs (worst first)"), "{screen}");
    t.keys(&["7"]);
    let screen = t.wait_for("the SLO view's alert rows", STARTUP, |s| {
        s.contains("Windows and queries") && s.contains("(FIRING)")
    });
    assert!(screen.contains("page   1h/5m over 14.4x"), "{screen}");
    t.keys(&["8"]);
    t.wait_for("the cost view", STARTUP, |s| {
        s.contains("LLM/day") && s.contains("Infrastructure (OpenCost)")
    });
    t.literal(":q");
    t.keys(&["Enter"]);
    t.wait_dead(Duration::from_secs(10));
}

/// What a new user meets at 80x24: every `:` word in the help, tab completing a view's name,
/// and a cut row shown in full, then closed by any key.
#[test]
fn demo_help_tab_completion_and_a_row_in_full() {
    let t = Tmux::start("full", 80, 24, &["demo"], &[]);
    t.wait_for("the overview", STARTUP, |s| s.contains("Workloads"));

    t.keys(&["?"]);
    // The whole help, not its first lines: tmux may be captured while the frame that opens it
    // is still arriving (a full screen of bytes is more than one pty read).
    let words = [":queues", ":slos", ":costs", ":restart W", ":runbook NAME"];
    let help = t.wait_for("the help with every command word", STARTUP, |s| {
        s.contains("Keys (any key closes)") && words.iter().all(|w| s.contains(w))
    });
    let right_edge = help
        .lines()
        .filter(|l| l.contains("show the keys"))
        .all(|l| l.trim_end().ends_with('│'));
    assert!(
        right_edge,
        "the help box closes on the screen's edge:\n{help}"
    );
    t.keys(&["q"]);
    t.wait_for("help closed", STARTUP, |s| {
        !s.contains("Keys (any key closes)")
    });

    t.literal(":que");
    t.keys(&["Tab"]);
    t.wait_for("the completions", STARTUP, |s| s.contains("queue queues"));
    t.literal("s");
    t.keys(&["Tab", "Enter"]);
    t.wait_for("the queues view", STARTUP, |s| {
        s.contains("Queues [") && s.contains("articles")
    });

    t.keys(&["v"]);
    let full = t.wait_for("the row in full", STARTUP, |s| s.contains("In full"));
    assert!(
        full.contains("CONSUMER") || full.contains("QUEUE"),
        "{full}"
    );
    t.keys(&["j"]);
    t.wait_for("the row in full closed", STARTUP, |s| {
        !s.contains("In full")
    });
    t.literal(":q");
    t.keys(&["Enter"]);
    t.wait_dead(Duration::from_secs(10));
}

#[test]
fn demo_crashloop_why_it_died_is_one_key_away() {
    let t = Tmux::start("inspect", 80, 24, &["demo", "--scenario", "crashloop"], &[]);
    t.wait_for("the overview", STARTUP, |s| s.contains("Workloads"));
    t.literal(":pods");
    t.keys(&["Enter"]);
    t.wait_for("the pods view", STARTUP, |s| s.contains("Pods ["));
    // Pods filter by why they last died; the row says it beside the restarts.
    t.literal("/oomkilled");
    t.keys(&["Enter"]);
    t.wait_for("a pod that was OOMKilled", Duration::from_secs(40), |s| {
        s.contains("fact-checker-") && s.contains("OOMKil")
    });
    t.keys(&["d"]);
    t.wait_for("its describe", STARTUP, |s| {
        s.contains("Describe ›") && s.contains("Name:") && s.contains("fact-checker-")
    });
    t.literal("/last state");
    t.keys(&["Enter"]);
    let screen = t.wait_for("the last termination", STARTUP, |s| {
        s.contains("Last State:") && s.contains("OOMKilled") && s.contains("137")
    });
    assert!(screen.contains("Exit Code:"), "{screen}");
    t.keys(&["y"]);
    t.wait_for("its YAML", STARTUP, |s| {
        s.contains("YAML ›") && s.contains("apiVersion: v1") && s.contains("kind: Pod")
    });
    // Esc clears the search first, as it clears a table's filter, then goes back.
    t.keys(&["Escape"]);
    t.wait_for("the search cleared", STARTUP, |s| {
        !s.contains("/last state")
    });
    t.keys(&["Escape"]);
    t.wait_for("back to pods", STARTUP, |s| s.contains("Pods ["));
    t.keys(&["l"]);
    t.wait_for("its log", STARTUP, |s| s.contains("Logs ›"));
    t.keys(&["p"]);
    t.wait_for("the previous container's last lines", STARTUP, |s| {
        s.contains("previous container") && s.contains("Killed")
    });
    t.literal(":q");
    t.keys(&["Enter"]);
    t.wait_dead(Duration::from_secs(10));
    assert_eq!(t.file("status").trim(), "0", "clean exit");
}

#[test]
fn demo_incident_bad_rollout_roll_back_note_resolve_export() {
    let dir = std::env::temp_dir().join(format!("opsdeck-e2e-incident-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let audit = dir.join("audit.jsonl");
    let audit_arg = format!("--audit-log={}", audit.display());
    let t = Tmux::start(
        "incident",
        80,
        24,
        &["demo", "--scenario", "bad-rollout", &audit_arg],
        &[("OPSDECK_OPERATOR", "alice")],
    );
    t.wait_for("the overview", STARTUP, |s| s.contains("Workloads"));
    t.literal(":incident start api returns 5xx --severity sev1");
    t.keys(&["Enter"]);
    t.wait_for("the incident view", STARTUP, |s| {
        s.contains("Incident inc-") && s.contains("api returns 5xx") && s.contains("started")
    });
    // The bad revision arrives: the timeline says so by itself.
    t.wait_for(
        "the rollout on the timeline",
        Duration::from_secs(60),
        |s| s.contains("rollout") && s.contains("contentgen/api: revision"),
    );
    t.literal(":rollback api");
    t.keys(&["Enter"]);
    t.wait_for("the plan preview", STARTUP, |s| s.contains("type api"));
    t.literal("api");
    t.keys(&["Enter"]);
    t.wait_for("the rollback to finish", Duration::from_secs(90), |s| {
        s.contains("rollback api done") || s.contains("FAILED")
    });
    t.keys(&["Escape"]);
    t.wait_for("the action on the timeline", STARTUP, |s| {
        s.contains("action") && s.contains("rollback api:")
    });
    t.keys(&["n"]);
    t.wait_for("the note editor", STARTUP, |s| {
        s.contains("Note (Markdown)")
    });
    t.literal("5xx falling since the rollback");
    t.keys(&["C-s"]);
    t.wait_for("the note on the timeline", STARTUP, |s| {
        s.contains("note") && s.contains("5xx falling since the rollback")
    });
    t.literal(":incident resolved");
    t.keys(&["Enter"]);
    t.wait_for("resolved", STARTUP, |s| s.contains("resolved"));
    t.literal(":export");
    t.keys(&["Enter"]);
    t.wait_for("the export written", STARTUP, |s| {
        s.contains("postmortem draft written")
    });
    t.literal(":q");
    t.keys(&["Enter"]);
    t.wait_dead(Duration::from_secs(10));
    // The draft beside the record, and the same incident headless.
    let drafts: Vec<_> = std::fs::read_dir(dir.join("incidents"))
        .expect("incidents")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with("-postmortem.md"))
        .collect();
    assert_eq!(drafts.len(), 1);
    let md = std::fs::read_to_string(drafts[0].path()).expect("draft");
    for needle in [
        "api returns 5xx",
        "| Status | resolved |",
        "rollback api:",
        "**alice**",
        "5xx falling since the rollback",
        "## What changed before it started",
    ] {
        assert!(md.contains(needle), "{needle:?} in\n{md}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Two responders, two consoles, one incident: what one writes, the other sees within seconds
/// through the cluster's ConfigMaps, and `kubectl get configmap -l opsdeck.io/incident` shows it.
#[test]
fn two_consoles_share_one_incident_through_the_cluster() {
    let dir = std::env::temp_dir().join(format!("opsdeck-e2e-share-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut sim = sim_process::SimProcess::start(
        sim_process::opsdeck(&dir),
        dir.clone(),
        &["--scenario", "bad-rollout"],
    );
    let kubeconfig = format!("--kubeconfig={}", sim.kubeconfig().display());
    let console = |name: &str, who: &str| {
        let audit = format!(
            "--audit-log={}",
            dir.join(name).join("audit.jsonl").display()
        );
        Tmux::start(
            name,
            100,
            30,
            &[&kubeconfig, &audit],
            &[("OPSDECK_OPERATOR", who)],
        )
    };
    let alice = console("alice", "alice");
    let bob = console("bob", "bob");
    for t in [&alice, &bob] {
        t.wait_for("the overview", STARTUP, |s| s.contains("Workloads"));
    }
    alice.literal(":incident start api returns 5xx");
    alice.keys(&["Enter"]);
    alice.wait_for("the incident", STARTUP, |s| s.contains("Incident inc-"));
    // Bob's console takes it up by itself.
    bob.wait_for("the shared incident", Duration::from_secs(5), |s| {
        s.contains("inc-") && s.contains("started")
    });
    bob.literal(":incident note bob checked the api logs");
    bob.keys(&["Enter"]);
    let started = Instant::now();
    alice.wait_for(
        "bob's note on alice's timeline",
        Duration::from_secs(5),
        |s| s.contains("bob checked the api logs"),
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "seen after {:?}",
        started.elapsed()
    );
    let out = Command::new("kubectl")
        .arg(&kubeconfig)
        .args(["get", "configmap", "-A", "-l", "opsdeck.io/incident"])
        .output()
        .expect("kubectl runs");
    let listed = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(listed.contains("opsdeck-incident-inc-"), "{listed}");
    for t in [&alice, &bob] {
        t.literal(":q");
        t.keys(&["Enter"]);
        t.wait_dead(Duration::from_secs(10));
    }
    sim.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

/// Two sims in this process (their request logs are what the test reads), as contexts of one
/// kubeconfig; sim-1 read-only in the config.
#[test]
fn two_clusters_actions_go_to_the_named_context_and_a_readonly_one_refuses() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let start = || {
        rt.block_on(opsdeck::sim::start(opsdeck::sim::SimOptions::default()))
            .expect("sim")
    };
    let (sim1, sim2) = (start(), start());
    let dir = std::env::temp_dir().join(format!("opsdeck-e2e-ctx-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let kubeconfig = dir.join("kubeconfig");
    let yaml = opsdeck::sim::SimHandle::kubeconfig_of(&[("sim-1", &sim1), ("sim-2", &sim2)]);
    std::fs::write(&kubeconfig, yaml).expect("kubeconfig");
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        "[kubernetes]\nnamespaces = [\"contentgen\"]\n\n\
         [[kubernetes.context]]\nname = \"sim-1\"\nreadonly = true\n\n\
         [[kubernetes.context]]\nname = \"sim-2\"\n",
    )
    .expect("config");
    let args = [
        format!("--kubeconfig={}", kubeconfig.display()),
        format!("--config={}", config.display()),
        format!("--audit-log={}", dir.join("audit.jsonl").display()),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let t = Tmux::start("contexts", 100, 30, &args, &[]);
    let screen = t.wait_for("both contexts in sync", STARTUP, |s| {
        s.contains("sim-1 ok") && s.contains("sim-2 ok")
    });
    assert!(screen.contains("CONTEXT"), "{screen}");

    // sim-2: planned, confirmed and executed there.
    t.literal(":scale deploy/contentgen/publisher 3 --context sim-2");
    t.keys(&["Enter"]);
    t.wait_for("the plan, in sim-2", STARTUP, |s| {
        s.contains("Confirm scale in sim-2")
    });
    t.literal("y");
    t.keys(&["Enter"]);
    t.wait_for("the scale to finish", Duration::from_secs(60), |s| {
        s.contains("succeeded") || s.contains("done")
    });
    let scaled = |sim: &opsdeck::sim::SimHandle| {
        sim.requests()
            .iter()
            .filter(|r| r.is_mutating() && !r.query.contains("dryRun"))
            .filter(|r| r.path.contains("/deployments/publisher"))
            .count()
    };
    assert_eq!(scaled(&sim2), 1, "{:#?}", sim2.requests());

    // sim-1 is read-only: refused before anything is asked of it.
    t.keys(&["Escape"]);
    t.literal(":scale deploy/contentgen/publisher 3 --context sim-1");
    t.keys(&["Enter"]);
    let screen = t.wait_for("the read-only refusal", STARTUP, |s| {
        s.contains("read-only")
    });
    assert!(screen.contains("sim-1"), "{screen}");
    assert!(
        sim1.requests().iter().all(|r| !r.is_mutating()),
        "sim-1 got a mutating request: {:#?}",
        sim1.requests()
    );

    // The audit log names the context the action went to.
    let audit = std::fs::read_to_string(dir.join("audit.jsonl")).expect("audit log");
    assert!(audit.contains("\"context\":\"sim-2\""), "{audit}");

    t.keys(&["Escape"]);
    t.literal(":q");
    t.keys(&["Enter"]);
    t.wait_dead(Duration::from_secs(10));
    rt.block_on(async {
        sim1.stop().await;
        sim2.stop().await;
    });
    let _ = std::fs::remove_dir_all(&dir);
}

/// A fault set at run time through the sim's control endpoint: the SLO pane goes stale with
/// the reason in words, the cluster stays live, keys are answered meanwhile, and once the
/// fault is cleared the pane recovers within one backoff step.
#[test]
fn a_fault_at_run_time_stales_one_pane_with_its_reason_and_it_recovers() {
    let dir = std::env::temp_dir().join(format!("opsdeck-e2e-fault-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let config = dir.join("opsdeck.toml");
    let mut sim = sim_process::SimProcess::start(
        sim_process::opsdeck(&dir),
        dir.clone(),
        &["--config-out", config.to_str().expect("utf-8")],
    );
    let written = std::fs::read_to_string(&config).expect("config");
    let needle = "[platform]\nurl = \"";
    let at = written.find(needle).expect("[platform]") + needle.len();
    let platform = written[at..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_string();
    let fault = |body: &str| {
        let out = Command::new("curl")
            .args([
                "-sf",
                "-XPOST",
                "-H",
                "content-type: application/json",
                "-d",
                body,
            ])
            .arg(format!("{platform}/_sim/fault"))
            .output()
            .expect("curl runs");
        assert!(out.status.success(), "POST /_sim/fault {body}");
    };
    let args = [
        format!("--config={}", config.display()),
        format!("--kubeconfig={}", sim.kubeconfig().display()),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let t = Tmux::start("fault", 120, 40, &args, &[]);
    t.wait_for("SLOs read", STARTUP, |s| {
        s.contains("Workloads") && s.contains("api-availability")
    });

    fault(r#"{"source":"prometheus","kind":"5xx"}"#);
    let screen = t.wait_for(
        "the SLO pane stale with HTTP 503",
        Duration::from_secs(30),
        |s| s.contains("HTTP 503"),
    );
    // Only what reads Prometheus is stale (SLOs; the budgets too, when they read it).
    for line in screen.lines().filter(|l| l.contains("STALE")) {
        assert!(
            line.contains("SLOs") || line.contains("Budgets"),
            "{line}\n{screen}"
        );
    }
    assert!(
        screen.contains("article-generator"),
        "the cluster stays: {screen}"
    );
    // Keys are answered while the source fails: the help opens and closes at once.
    let mut took_all = vec![];
    for _ in 0..3 {
        let asked = Instant::now();
        t.keys(&["?"]);
        let mut seen = None;
        while asked.elapsed() < Duration::from_secs(2) {
            if t.screen().contains("Keys") {
                seen = Some(asked.elapsed());
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let took = seen.unwrap_or_else(|| panic!("no help within 2 s:\n{}", t.screen()));
        eprintln!("help answered in {took:?} while Prometheus fails");
        took_all.push(took);
        // capture-pane itself takes a few ms: the bound is loose, the figure is what counts.
        assert!(took < Duration::from_millis(300), "help took {took:?}");
        t.keys(&["Escape"]);
        t.wait_for("help closed", Duration::from_secs(2), |s| {
            !s.contains("Keys")
        });
    }

    // The median, measured through capture-pane (a few ms of its own), within 100 ms.
    took_all.sort();
    assert!(took_all[1] < Duration::from_millis(100), "{took_all:?}");

    fault(r#"{"source":"prometheus","kind":"clear"}"#);
    let cleared = Instant::now();
    t.wait_for("the SLO pane live again", Duration::from_secs(30), |s| {
        !s.contains("HTTP 503")
    });
    // One backoff step: the retry the pane announced (at most 8 s early on) plus a read.
    assert!(
        cleared.elapsed() < Duration::from_secs(15),
        "recovered after {:?}",
        cleared.elapsed()
    );
    t.literal(":q");
    t.keys(&["Enter"]);
    t.wait_dead(Duration::from_secs(10));
    sim.stop();
    let _ = std::fs::remove_dir_all(&dir);
}
