//! The in-process sim with a private directory holding its kubeconfig (and kubectl's cache):
//! what the kube-rs, kubectl and executor tests start, query and stop.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use opsdeck::sim::{self, SimHandle, SimOptions};
use serde_json::Value;

pub const KUBECTL: &str = "/usr/bin/kubectl";
static DIRS: AtomicUsize = AtomicUsize::new(0);

pub struct SimEnv {
    pub sim: SimHandle,
    /// Removed on `stop`: the kubeconfigs, kubectl's discovery cache, audit logs.
    pub dir: PathBuf,
}

impl SimEnv {
    /// Starts a sim and writes its admin kubeconfig to `dir/kubeconfig`.
    pub async fn start(opts: SimOptions) -> SimEnv {
        let sim = sim::start(opts).await.expect("sim starts");
        let dir = std::env::temp_dir().join(format!(
            "opsdeck-sim-env-{}-{}",
            std::process::id(),
            DIRS.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("test dir");
        std::fs::write(dir.join("kubeconfig"), sim.kubeconfig_yaml()).expect("kubeconfig");
        SimEnv { sim, dir }
    }

    pub fn kubeconfig(&self) -> PathBuf {
        self.dir.join("kubeconfig")
    }

    /// A kubeconfig for another identity of the sim (`viewer`, `sim-admin`).
    pub fn kubeconfig_for(&self, user: &str) -> PathBuf {
        let path = self.dir.join(format!("kubeconfig-{user}"));
        std::fs::write(&path, self.sim.kubeconfig_yaml_for(user)).expect("kubeconfig");
        path
    }

    /// A kube-rs client on the admin kubeconfig.
    pub async fn client(&self) -> kube::Client {
        let _ = rustls::crypto::ring::default_provider().install_default();
        opsdeck::cluster::connect::client_from_yaml(&self.sim.kubeconfig_yaml())
            .await
            .expect("sim client")
    }

    /// `kubectl --kubeconfig CONFIG ARGS`, with this env's cache and HOME.
    pub fn command_as(&self, config: &std::path::Path, args: &[&str]) -> Command {
        let mut c = Command::new(KUBECTL);
        c.arg("--kubeconfig")
            .arg(config)
            .arg("--cache-dir")
            .arg(self.dir.join("cache"))
            .args(args)
            .env("HOME", &self.dir);
        c
    }

    pub fn command(&self, args: &[&str]) -> Command {
        self.command_as(&self.kubeconfig(), args)
    }

    /// kubectl as the admin, off the async workers.
    pub async fn kubectl(&self, args: &[&str]) -> Output {
        run(self.command(args)).await
    }

    /// kubectl with another kubeconfig.
    pub async fn kubectl_as(&self, config: &std::path::Path, args: &[&str]) -> Output {
        run(self.command_as(config, args)).await
    }

    /// kubectl must succeed; its stdout.
    pub async fn ok(&self, args: &[&str]) -> String {
        let out = self.kubectl(args).await;
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(
            out.status.success(),
            "kubectl {args:?} failed: {}\nstdout: {stdout}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
    }

    /// kubectl ARGS -o json, parsed.
    pub async fn json(&self, args: &[&str]) -> Value {
        let mut a = args.to_vec();
        a.extend(["-o", "json"]);
        serde_json::from_str(&self.ok(&a).await).expect("kubectl json")
    }

    pub async fn stop(self) {
        self.sim.stop().await;
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn run(mut c: Command) -> Output {
    tokio::task::spawn_blocking(move || c.output().expect("kubectl runs"))
        .await
        .expect("join")
}

/// stdout and stderr together, for assertions and their messages.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}
