//! The real binary in a private tmux server, read back with capture-pane.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub struct Tmux {
    socket: String,
    pub dir: PathBuf,
}

impl Tmux {
    /// `opsdeck ARGS` with `env`, at `width` x `height`; tmux's own files under `dir`.
    pub fn start(dir: &Path, size: (u16, u16), args: &[String], env: &[(String, String)]) -> Tmux {
        let tmux = Tmux {
            socket: format!("opsdeck-tmux-{}", std::process::id()),
            dir: dir.to_path_buf(),
        };
        let mut cmd = String::from("env -u NO_COLOR -u OPSDECK_CONFIG -u KUBECONFIG LANG=C.UTF-8");
        for (k, v) in env {
            cmd.push_str(&format!(" {k}={v}"));
        }
        cmd.push_str(&format!(" {}", env!("CARGO_BIN_EXE_opsdeck")));
        for a in args {
            cmd.push_str(&format!(" {a}"));
        }
        let cmd = format!(
            "cd {} && {cmd} 2>{}/console.stderr",
            env!("CARGO_MANIFEST_DIR"),
            dir.display()
        );
        let (w, h) = (size.0.to_string(), size.1.to_string());
        let out = tmux.run(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-x",
            &w,
            "-y",
            &h,
            &format!("sh -c '{cmd}'"),
        ]);
        assert!(
            out.status.success(),
            "tmux new-session failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        tmux.run(&["set-option", "-g", "remain-on-exit", "on"]);
        tmux.run(&["set-option", "-g", "escape-time", "0"]);
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

    /// The screen, with the scrollback.
    pub fn screen(&self) -> String {
        let out = self.run(&["capture-pane", "-p", "-S", "-", "-t", "0"]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "0"];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    pub fn literal(&self, text: &str) {
        self.run(&["send-keys", "-t", "0", "-l", text]);
    }

    /// Waits until the screen satisfies `pred`; the last screen either way.
    pub fn wait_for(&self, timeout: Duration, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let screen = self.screen();
            if pred(&screen) || Instant::now() > deadline {
                return screen;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.run(&["kill-server"]);
    }
}
