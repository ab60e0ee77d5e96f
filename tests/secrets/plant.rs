//! Where the canaries go: kubeconfigs (token, basic auth, client key, exec plugin; a dead
//! server with userinfo), and configs derived from the sim's own (`password_env` and
//! `token_env` everywhere, userinfo in every url, every port dead).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicUsize;

use reqwest::Url;
use toml::{Table, Value};

use super::sim_process::SimProcess;

const KUBE_TOKEN: &str = "CANARY-kubetoken-7f3a";
const KUBE_PASSWORD: &str = "CANARY-kubepass-19c2";
const CLIENT_KEY: &str = "CANARY-clientkey-5b8e";
const EXEC_ENV: &str = "CANARY-execenv-2d41";
const EXEC_TOKEN: &str = "CANARY-exectoken-8e07";
const SERVER_PASSWORD: &str = "CANARY-serverpass-77d1";
const URL_PASSWORD: &str = "CANARY-urlpass-c3d9";

/// (environment variable, its secret), as `password_env` and `token_env` name them.
const ENV: &[(&str, &str)] = &[
    ("OPSDECK_CANARY_PROM", "CANARY-promtoken-3b72"),
    ("OPSDECK_CANARY_OPENCOST", "CANARY-opencosttoken-51aa"),
    ("OPSDECK_CANARY_PLATFORM", "CANARY-platformtoken-e6f0"),
    ("OPSDECK_CANARY_RABBIT", "CANARY-rabbitpass-0a9f"),
    ("OPSDECK_CANARY_AM", "CANARY-ampass-6e13"),
    ("OPSDECK_CANARY_REDIS", "CANARY-redispass-4c6d"),
];

pub struct Canaries {
    client_key_pem: String,
}

impl Canaries {
    pub fn new() -> Canaries {
        Canaries {
            client_key_pem: format!(
                "-----BEGIN EC PRIVATE KEY-----\n{CLIENT_KEY}\n-----END EC PRIVATE KEY-----\n"
            ),
        }
    }

    /// The password the Redis server requires (and the sim writes with).
    pub fn redis_password(&self) -> &'static str {
        ENV[5].1
    }

    pub fn env(&self) -> Vec<(&'static str, &'static str)> {
        ENV.to_vec()
    }

    /// What must appear nowhere: every canary, and the client key as the kubeconfig holds it.
    pub fn needles(&self) -> Vec<String> {
        let mut out: Vec<String> = [
            KUBE_TOKEN,
            KUBE_PASSWORD,
            CLIENT_KEY,
            EXEC_ENV,
            EXEC_TOKEN,
            SERVER_PASSWORD,
            URL_PASSWORD,
        ]
        .map(String::from)
        .into();
        out.extend(ENV.iter().map(|(_, v)| v.to_string()));
        out.push(base64(self.client_key_pem.as_bytes()));
        out
    }
}

pub struct Planted {
    pub canaries: Canaries,
    pub dir: PathBuf,
    /// Against the live sim, by kind of credential: token, basic, exec, client-key, and a
    /// password in the server's url.
    pub kubeconfigs: Vec<(&'static str, PathBuf)>,
    pub kubeconfig_dead: PathBuf,
    pub config_env: PathBuf,
    pub config_userinfo: PathBuf,
    pub config_dead: PathBuf,
    /// The files planted (and the sim's own): not outputs.
    pub inputs: BTreeSet<PathBuf>,
    pub tmux_runs: AtomicUsize,
}

pub fn plant(sim: &SimProcess, canaries: Canaries) -> Planted {
    let dir = sim.dir.clone();
    let kube = std::fs::read_to_string(sim.kubeconfig()).expect("sim kubeconfig");
    let user = |block: &str| kube.replace("    token: sim-admin\n", block);
    let exec = dir.join("exec-credential.sh");
    std::fs::write(
        &exec,
        format!(
            "#!/bin/sh\ntest \"$OPSDECK_EXEC_SECRET\" = {EXEC_ENV} || exit 1\necho '{{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\",\"status\":{{\"token\":\"{EXEC_TOKEN}\"}}}}'\n"
        ),
    )
    .expect("exec plugin");
    std::process::Command::new("chmod")
        .args(["+x"])
        .arg(&exec)
        .status()
        .expect("chmod");
    let variants = [
        ("token", format!("    token: {KUBE_TOKEN}\n")),
        (
            "basic",
            format!("    username: ops\n    password: {KUBE_PASSWORD}\n"),
        ),
        (
            "exec",
            format!(
                "    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: {}\n      interactiveMode: Never\n      env:\n      - name: OPSDECK_EXEC_SECRET\n        value: {EXEC_ENV}\n",
                exec.display()
            ),
        ),
        (
            "client-key",
            format!(
                "    client-certificate-data: {}\n    client-key-data: {}\n",
                base64(
                    b"-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n"
                ),
                base64(canaries.client_key_pem.as_bytes())
            ),
        ),
    ];
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).expect("write");
        path
    };
    let mut kubeconfigs: Vec<(&'static str, PathBuf)> = variants
        .iter()
        .map(|(name, block)| (*name, write(&format!("kubeconfig-{name}"), &user(block))))
        .collect();
    let with_server = |port: u16| {
        let server = format!("http://ops:{SERVER_PASSWORD}@127.0.0.1:{port}");
        kube.lines()
            .map(|l| {
                if l.trim_start().starts_with("server:") {
                    format!("    server: {server}")
                } else {
                    l.replace("token: sim-admin", &format!("token: {KUBE_TOKEN}"))
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let sim_port = kube
        .lines()
        .find_map(|l| Url::parse(l.trim().strip_prefix("server: ")?).ok()?.port())
        .expect("the sim's port");
    kubeconfigs.push((
        "server-userinfo",
        write("kubeconfig-server-userinfo", &with_server(sim_port)),
    ));
    let kubeconfig_dead = write("kubeconfig-dead", &with_server(9));

    let sim_config: Table =
        toml::from_str(&std::fs::read_to_string(dir.join("sim.toml")).expect("the sim's config"))
            .expect("the sim's config parses");
    let env = with_env(sim_config.clone());
    let config_env = write("config-env.toml", &toml::to_string(&env).expect("toml"));
    let userinfo = with_userinfo(sim_config);
    let config_userinfo = write(
        "config-userinfo.toml",
        &toml::to_string(&userinfo).expect("toml"),
    );
    let dead = dead_ports(with_env(env.clone()));
    let config_dead = write("config-dead.toml", &toml::to_string(&dead).expect("toml"));

    let inputs = files_under(&dir);
    Planted {
        canaries,
        dir,
        kubeconfigs,
        kubeconfig_dead,
        config_env,
        config_userinfo,
        config_dead,
        inputs,
        tmux_runs: AtomicUsize::new(0),
    }
}

fn files_under(dir: &Path) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = e.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.insert(path);
            }
        }
    }
    out
}

/// Each url-bearing table of the config (top level and per context), with its section name.
fn each_source(config: &mut Table, f: &mut dyn FnMut(&str, &mut Table)) {
    for section in ["prometheus", "opencost", "platform"] {
        if let Some(Value::Table(t)) = config.get_mut(section) {
            f(section, t);
        }
    }
    for section in ["queue", "alertmanager", "health"] {
        if let Some(Value::Array(items)) = config.get_mut(section) {
            for item in items.iter_mut().filter_map(Value::as_table_mut) {
                f(section, item);
            }
        }
    }
}

fn edit_url(t: &mut Table, key: &str, f: impl Fn(&mut Url)) {
    if let Some(Value::String(s)) = t.get_mut(key)
        && let Ok(mut url) = Url::parse(s)
    {
        f(&mut url);
        *s = url.to_string();
    }
}

/// Every secret from the environment: tokens for Prometheus, OpenCost and the platform API,
/// a user in the url and its password for RabbitMQ, Alertmanager and Redis.
fn with_env(mut config: Table) -> Table {
    each_source(&mut config, &mut |section, t| {
        let var = match section {
            "prometheus" => "OPSDECK_CANARY_PROM",
            "opencost" => "OPSDECK_CANARY_OPENCOST",
            "platform" => "OPSDECK_CANARY_PLATFORM",
            "alertmanager" => "OPSDECK_CANARY_AM",
            "queue" if t.get("kind").and_then(Value::as_str) == Some("rabbitmq") => {
                "OPSDECK_CANARY_RABBIT"
            }
            "queue" => "OPSDECK_CANARY_REDIS",
            _ => return,
        };
        let key = if ["prometheus", "opencost", "platform"].contains(&section) {
            "token_env"
        } else {
            "password_env"
        };
        t.insert(key.into(), Value::String(var.into()));
        let redis = section == "queue" && var == "OPSDECK_CANARY_REDIS";
        edit_url(t, "url", |u| {
            let _ = u.set_password(None);
            if !redis {
                let _ = u.set_username("monitor");
            }
        });
    });
    config
}

/// A password in every url (the sources that refuse one say so; the others must not show it).
fn with_userinfo(mut config: Table) -> Table {
    each_source(&mut config, &mut |_, t| {
        for key in ["url", "live_url"] {
            edit_url(t, key, |u| {
                let _ = u.set_username("ops");
                let _ = u.set_password(Some(URL_PASSWORD));
            });
        }
    });
    config
}

/// Every source on a port nobody listens on; the ones without a user get a password in the url.
fn dead_ports(mut config: Table) -> Table {
    each_source(&mut config, &mut |_, t| {
        for key in ["url", "live_url"] {
            edit_url(t, key, |u| {
                let _ = u.set_port(Some(9));
                if u.username().is_empty() && u.scheme().starts_with("http") {
                    let _ = u.set_username("ops");
                    let _ = u.set_password(Some(URL_PASSWORD));
                }
            });
        }
    });
    config
}

fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
