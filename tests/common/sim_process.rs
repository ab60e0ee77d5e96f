//! `opsdeck sim` as its own process for tests that drive the binary: started with a kubeconfig
//! written to its dir, stopped with SIGTERM or killed on drop.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The `opsdeck` binary run from the repository (so `runbooks/...` resolve), with its config
/// and data dirs under `dir`: nothing of this machine's user leaks in.
pub fn opsdeck(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_opsdeck"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("XDG_CONFIG_HOME", dir.join("xdg-config"))
        .env("XDG_DATA_HOME", dir.join("xdg-data"))
        .env_remove("OPSDECK_CONFIG")
        .env_remove("KUBECONFIG");
    c
}

/// Runs `command` to the end; fails the test (with its stderr) unless it exits 0. Its stdout.
pub fn run_ok(command: &mut Command) -> String {
    let out = command.output().expect("the command runs");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{command:?}: {}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

pub struct SimProcess {
    pub child: std::process::Child,
    pub dir: PathBuf,
    /// Kept open so the sim can still print.
    _stdout: BufReader<std::process::ChildStdout>,
}

impl SimProcess {
    /// Runs `opsdeck` (as `command` sets it up) with `sim --kubeconfig-out DIR/kubeconfig
    /// EXTRA` and returns once it says where it listens.
    pub fn start(mut command: Command, dir: PathBuf, extra: &[&str]) -> SimProcess {
        std::fs::create_dir_all(&dir).expect("dir");
        let mut child = command
            .args(["sim", "--kubeconfig-out"])
            .arg(dir.join("kubeconfig"))
            .args(extra)
            .stdout(Stdio::piped())
            .spawn()
            .expect("sim starts");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut first = String::new();
        stdout
            .read_line(&mut first)
            .expect("sim prints its address");
        assert!(first.contains("listening on http://127.0.0.1:"), "{first}");
        SimProcess {
            child,
            dir,
            _stdout: stdout,
        }
    }

    pub fn kubeconfig(&self) -> PathBuf {
        self.dir.join("kubeconfig")
    }

    /// SIGTERM, and the exit status once it has stopped (within 10 s).
    pub fn stop(&mut self) -> ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "sim did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
