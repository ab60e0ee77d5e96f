//! However the console ends (SIGHUP, SIGTERM, a panic, the terminal itself gone), it gives the
//! terminal back and ends promptly. Run on a pseudo-terminal the test owns
//! (`common/pty_exit.py`), so what happens after the cause is seen byte for byte: without the
//! handlers a signal kills the process where it stands, leaving the alternate screen up, the
//! cursor hidden and the tty raw, and the exit is a death by signal, not a status.

use std::process::Command;

use serde_json::Value;

const LEAVE_ALTERNATE_SCREEN: &str = "\u{1b}[?1049l";
const SHOW_CURSOR: &str = "\u{1b}[?25h";

fn end(how: &str, env: &[(&str, &str)]) -> Value {
    let home = std::env::temp_dir().join(format!("opsdeck-exits-{how}-{}", std::process::id()));
    std::fs::create_dir_all(&home).expect("home");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/common/pty_exit.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(how)
        .arg("Workloads")
        .arg(env!("CARGO_BIN_EXE_opsdeck"))
        .arg("demo")
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("TERM", "xterm-256color")
        .env("LANG", "C.UTF-8")
        .env_remove("NO_COLOR")
        .env_remove("OPSDECK_CONFIG")
        .envs(env.iter().copied())
        .output()
        .expect("python3 runs (the machine image ships it)");
    let _ = std::fs::remove_dir_all(&home);
    let text = String::from_utf8_lossy(&out.stdout);
    let report: Value = serde_json::from_str(text.trim())
        .unwrap_or_else(|e| panic!("{e}: {text}\n{}", String::from_utf8_lossy(&out.stderr)));
    assert!(report.get("error").is_none(), "{report:#}");
    eprintln!("{how}: ended in {} ms", report["elapsed_ms"]);
    report
}

/// The terminal as it was: the alternate screen left, the cursor shown, the tty cooked.
fn assert_restored(how: &str, report: &Value) {
    let after = report["after"].as_str().unwrap_or_default();
    assert!(
        after.contains(LEAVE_ALTERNATE_SCREEN),
        "{how}: the alternate screen was not left: {after:?}"
    );
    assert!(
        after.contains(SHOW_CURSOR),
        "{how}: the cursor was not shown again: {after:?}"
    );
    for mode in ["icanon", "echo", "isig", "icrnl", "opost"] {
        assert_eq!(
            report["modes"][mode], true,
            "{how}: tty left raw ({mode} off): {report:#}"
        );
    }
    // A hang would be caught here; the figure itself is measured in benches/exits.sh.
    assert!(
        report["elapsed_ms"].as_f64().is_some_and(|ms| ms < 5000.0),
        "{how}: {report:#}"
    );
}

/// A status of 0, not a death by the signal's default action.
fn assert_exited_cleanly(report: &Value) {
    assert_eq!(
        report["signal"],
        Value::Null,
        "killed by a signal: {report:#}"
    );
    assert_eq!(report["exit"], 0, "{report:#}");
}

#[test]
fn sighup_restores_the_terminal_and_exits_cleanly() {
    let report = end("hup", &[]);
    assert_exited_cleanly(&report);
    assert_restored("SIGHUP", &report);
}

#[test]
fn sigterm_restores_the_terminal_and_exits_cleanly() {
    let report = end("term", &[]);
    assert_exited_cleanly(&report);
    assert_restored("SIGTERM", &report);
}

#[test]
fn a_panic_restores_the_terminal_before_saying_why() {
    let report = end("panic", &[("OPSDECK_TEST_PANIC", "1")]);
    assert_eq!(report["exit"], 101, "a panic's status: {report:#}");
    assert_restored("a panic", &report);
    let after = report["after"].as_str().unwrap_or_default();
    let left = after.find(LEAVE_ALTERNATE_SCREEN).unwrap_or(usize::MAX);
    let said = after
        .find("OPSDECK_TEST_PANIC")
        .expect("the panic message is shown");
    assert!(
        left < said,
        "the message went to the alternate screen: {after:?}"
    );
}

#[test]
fn a_lost_terminal_ends_the_process_cleanly() {
    let report = end("lost", &[]);
    assert_exited_cleanly(&report);
    assert!(
        report["elapsed_ms"].as_f64().is_some_and(|ms| ms < 5000.0),
        "{report:#}"
    );
}
