//! The real binary in a real terminal: a private tmux server per test, keys sent with
//! send-keys, the screen read with capture-pane. After opsdeck exits, the pane stays (its exit
//! status and the tty's modes are written to the test's directory).
#![allow(dead_code)]

use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub struct Tmux {
    pub socket: String,
    pub dir: std::path::PathBuf,
    /// The server's pid: a test that removes `dir` takes the socket with it, and `kill-server`
    /// can no longer reach the server (it kept running after CI, one per such test).
    server: Option<u32>,
}

impl Tmux {
    pub fn start(name: &str, width: u16, height: u16, args: &[&str], env: &[(&str, &str)]) -> Tmux {
        let dir = std::env::temp_dir().join(format!("opsdeck-e2e-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let mut tmux = Tmux {
            socket: format!("opsdeck-{name}-{}", std::process::id()),
            dir,
            server: None,
        };
        let bin = env!("CARGO_BIN_EXE_opsdeck");
        let mut cmd = format!(
            "env -u NO_COLOR -u OPSDECK_CONFIG -u KUBECONFIG LANG=C.UTF-8 XDG_CONFIG_HOME={}",
            tmux.dir.display()
        );
        for (k, v) in env {
            cmd.push_str(&format!(" {k}={v}"));
        }
        cmd.push_str(&format!(" {bin}"));
        for a in args {
            cmd.push_str(&format!(" {a}"));
        }
        // After opsdeck, record its exit status and the tty's mode (raw mode must be undone).
        let cmd = format!(
            "sh -c '{cmd}; echo $? > {dir}/status; stty -a > {dir}/stty'",
            dir = tmux.dir.display()
        );
        let out = tmux.run(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
            &cmd,
        ]);
        assert!(
            out.status.success(),
            "tmux new-session failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        tmux.run(&["set-option", "-g", "remain-on-exit", "on"]);
        tmux.run(&["set-option", "-g", "escape-time", "0"]);
        tmux.server = tmux.format("#{pid}").parse().ok();
        tmux
    }

    pub fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .env("TMUX_TMPDIR", &self.dir)
            .env_remove("TMUX")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux must be installed (scripts/test.sh installs it)")
    }

    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "0"]).stdout).into_owned()
    }

    pub fn format(&self, fmt: &str) -> String {
        let out = self.run(&["display-message", "-p", "-t", "0", fmt]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "0"];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    pub fn literal(&self, text: &str) {
        self.run(&["send-keys", "-t", "0", "-l", text]);
    }

    /// Waits until the screen satisfies `pred`, or fails with the last screen.
    pub fn wait_for(&self, what: &str, timeout: Duration, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let screen = self.screen();
            if pred(&screen) {
                return screen;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {what}; screen was:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until the screen satisfies `pred`; the last screen either way.
    pub fn screen_when(&self, timeout: Duration, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let screen = self.screen();
            if pred(&screen) || Instant::now() > deadline {
                return screen;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn file(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.join(name)).unwrap_or_default()
    }

    pub fn wait_dead(&self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while self.format("#{pane_dead}") != "1" {
            assert!(
                Instant::now() < deadline,
                "opsdeck did not exit; screen:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.run(&["kill-server"]);
        // Whether or not the socket was still there, the server goes (if that pid is still ours).
        if let Some(pid) = self.server {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            if String::from_utf8_lossy(&cmdline).contains(&self.socket) {
                let _ = Command::new("kill")
                    .arg("-KILL")
                    .arg(pid.to_string())
                    .status();
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The first child process of `parent`, from /proc.
pub fn child_of(parent: i32) -> Option<i32> {
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
        let pid: i32 = e.file_name().to_str()?.parse().ok()?;
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // Fields after the command name: state, ppid, ...
        let after = stat.rsplit_once(") ")?.1;
        let ppid: i32 = after.split_whitespace().nth(1)?.parse().ok()?;
        (ppid == parent).then_some(pid)
    })
}
