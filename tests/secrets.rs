//! Secrets never leave: canary secrets planted in every place one lives (kubeconfig bearer
//! token, basic-auth password, client key, exec plugin env and token; Redis, RabbitMQ and
//! Alertmanager `password_env`; Prometheus/OpenCost/platform `token_env`; userinfo in every
//! url) must not appear in `check`, `snapshot` (text and JSON), the failures of dead sources,
//! a headless `run` and its audit log, the console's screens (tmux), stderr, or any file
//! opsdeck writes.

#[path = "common/redis_server.rs"]
mod redis_server;
#[path = "common/sim_process.rs"]
mod sim_process;
#[path = "common/tmux.rs"]
mod tmux;

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Mutex;
use std::time::Duration;

use redis_server::RedisServer;
use sim_process::{SimProcess, opsdeck};

#[path = "secrets/plant.rs"]
mod plant;

use plant::{Canaries, Planted};

/// Each leak found: which secret, where, and the line it was on.
static LEAKS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Records every canary (or its base64 form) found in `text`; the test fails at its end,
/// listing them all.
fn assert_clean(canaries: &Canaries, what: &str, text: &str) {
    for needle in canaries.needles() {
        for line in text.lines().filter(|l| l.contains(&needle)) {
            let leak = format!("{needle} in {what}: {}", line.trim());
            LEAKS.lock().expect("leaks").push(leak);
        }
    }
}

fn assert_no_leaks() {
    let leaks = LEAKS.lock().expect("leaks");
    let mut unique: Vec<&String> = leaks.iter().collect();
    unique.sort();
    unique.dedup();
    assert!(
        unique.is_empty(),
        "secrets leaked:\n{}",
        unique
            .iter()
            .map(|l| l.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

fn output_text(out: &Output) -> String {
    format!(
        "--- stdout\n{}\n--- stderr\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Runs `opsdeck` with the canaries' environment and `args`; checks every byte it printed.
fn run(p: &Planted, what: &str, args: &[&str]) -> Output {
    let mut c: Command = opsdeck(&p.dir);
    c.envs(p.canaries.env()).args(args);
    let out = c.output().expect("opsdeck runs");
    assert_clean(&p.canaries, what, &output_text(&out));
    out
}

/// Every file under `dir` opsdeck may have written (not the inputs planted there).
fn sweep(p: &Planted, dir: &Path) {
    let mut stack = vec![dir.to_path_buf()];
    let mut seen = 0;
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            if path.is_dir() {
                stack.push(path);
            } else if !p.inputs.contains(&path) {
                let bytes = std::fs::read(&path).unwrap_or_default();
                assert_clean(
                    &p.canaries,
                    &path.display().to_string(),
                    &String::from_utf8_lossy(&bytes),
                );
                seen += 1;
            }
        }
    }
    assert!(seen > 0, "no file written under {}", dir.display());
}

/// The sim, mirroring its Celery, RQ and stream queues into a Redis that then starts to
/// require the canary password (the sim's writer backs off; what it wrote stays readable).
fn start(canaries: &Canaries) -> (SimProcess, RedisServer) {
    let redis = RedisServer::start(&[]);
    let dir = std::env::temp_dir().join(format!("opsdeck-secrets-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let config = dir.join("sim.toml");
    let sim = SimProcess::start(
        opsdeck(&dir),
        dir,
        &[
            "--config-out",
            config.to_str().expect("utf-8"),
            "--redis",
            &redis.url(),
        ],
    );
    std::thread::sleep(Duration::from_secs(2));
    let port = redis.port.to_string();
    let status = Command::new("redis-cli")
        .args(["-p", &port, "CONFIG", "SET", "requirepass"])
        .arg(canaries.redis_password())
        .stdout(std::process::Stdio::null())
        .status()
        .expect("redis-cli runs");
    assert!(status.success(), "redis-cli CONFIG SET requirepass");
    (sim, redis)
}

#[test]
fn no_secret_reaches_any_output() {
    let canaries = Canaries::new();
    let (sim, _redis) = start(&canaries);
    let p = plant::plant(&sim, canaries);
    let s = |p: &Path| p.to_str().expect("utf-8 path").to_string();

    // Files only: check.
    for config in [&p.config_env, &p.config_userinfo, &p.config_dead] {
        run(&p, "check", &["--config", &s(config), "check"]);
    }

    // Every kubeconfig against the live sim, every config, text and JSON. The secrets from
    // the environment are used (Redis requires its password; the exec plugin checks its env):
    // every source answers. Passwords in urls are refused, naming password_env.
    for (kind, kube) in &p.kubeconfigs {
        for (config, ok) in [(&p.config_env, true), (&p.config_userinfo, false)] {
            for format in ["text", "json"] {
                let args = [
                    "--config",
                    &s(config),
                    "--kubeconfig",
                    &s(kube),
                    "snapshot",
                    "--output",
                    format,
                    "--timeout",
                    "10",
                ];
                let out = run(&p, "snapshot", &args);
                let answered = out.status.success();
                let expected = ok && *kind != "client-key";
                assert_eq!(
                    answered,
                    expected,
                    "{kind} {}: {}",
                    config.display(),
                    output_text(&out)
                );
                if !ok {
                    let text = output_text(&out);
                    assert!(text.contains("password_env"), "{text}");
                }
            }
        }
    }
    // Everything dead: every source fails, and says why.
    let out = run(
        &p,
        "snapshot of dead sources",
        &[
            "--config",
            &s(&p.config_dead),
            "--kubeconfig",
            &s(&p.kubeconfig_dead),
            "snapshot",
            "--timeout",
            "5",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));

    // A runbook headless, dry and for real (through a server url with a password: the audit
    // log names the cluster), and the audit log it leaves.
    let audit = p.dir.join("audit.jsonl");
    let kube = |kind: &str| {
        let (_, path) = p
            .kubeconfigs
            .iter()
            .find(|(k, _)| *k == kind)
            .expect("kubeconfig");
        s(path)
    };
    for (kind, extra) in [
        ("token", "--dry-run"),
        ("exec", "--dry-run"),
        ("server-userinfo", "--yes"),
    ] {
        let args = [
            "--config",
            &s(&p.config_env),
            "--kubeconfig",
            &kube(kind),
            "--audit-log",
            &s(&audit),
            "run",
            "runbooks/queue-backlog.toml",
            extra,
        ];
        let out = run(&p, "run", &args);
        assert!(out.status.success(), "{kind}: {}", output_text(&out));
    }
    let log = std::fs::read_to_string(&audit).expect("the run wrote its audit log");
    assert!(
        log.contains("127.0.0.1"),
        "the audit log names the cluster:\n{log}"
    );
    run(
        &p,
        "audit verify",
        &["--audit-log", &s(&audit), "audit", "verify"],
    );

    console(&p, &p.config_env, Path::new(&kube("server-userinfo")), true);
    console(&p, &p.config_env, Path::new(&kube("client-key")), true);
    console(&p, &p.config_userinfo, Path::new(&kube("token")), false);
    console(&p, &p.config_dead, &p.kubeconfig_dead, true);
    sweep(&p, &p.dir);
    assert_no_leaks();
}

/// The console in tmux on `config` and `kubeconfig`: every view's screen; or, when it must
/// refuse the config (`starts` false), its refusal.
fn console(p: &Planted, config: &Path, kubeconfig: &Path, starts: bool) {
    let run = p
        .tmux_runs
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let tdir = p.dir.join(format!("tmux-{run}"));
    std::fs::create_dir_all(&tdir).expect("dir");
    let mut env: Vec<(String, String)> = p
        .canaries
        .env()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    env.push((
        "XDG_CONFIG_HOME".into(),
        p.dir.join("xdg-config").display().to_string(),
    ));
    env.push((
        "XDG_DATA_HOME".into(),
        p.dir.join("xdg-data").display().to_string(),
    ));
    let args: Vec<String> = [
        "--config",
        config.to_str().expect("utf-8"),
        "--kubeconfig",
        kubeconfig.to_str().expect("utf-8"),
    ]
    .map(String::from)
    .into();
    // The console's stderr goes to a file the canaries are searched in.
    let redirect = format!("2>{}", tdir.join("console.stderr").display());
    let mut argv: Vec<&str> = args.iter().map(String::as_str).collect();
    argv.push(&redirect);
    let envs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let name = tdir
        .file_name()
        .map_or_else(|| "secrets".into(), |n| n.to_string_lossy().into_owned());
    let t = tmux::Tmux::start(&name, 200, 50, &argv, &envs);
    let wait = Duration::from_secs(if starts { 20 } else { 3 });
    let first = t.screen_when(wait, |s| s.contains("Workloads"));
    let stderr = std::fs::read_to_string(tdir.join("console.stderr")).unwrap_or_default();
    assert_clean(&p.canaries, "the console's stderr", &stderr);
    if !starts {
        assert_clean(&p.canaries, "the console's refusal", &first);
        assert!(
            stderr.contains("password_env"),
            "refused, saying why: {stderr}"
        );
        return;
    }
    assert!(
        first.contains("Workloads"),
        "the console started with {args:?}:\n{first}\nstderr: {stderr}"
    );
    assert_clean(&p.canaries, "the console's first screen", &first);
    std::thread::sleep(Duration::from_secs(4));
    for view in opsdeck::core::panes::views() {
        let Some(command) = view.commands.first() else {
            continue;
        };
        t.literal(&format!(":{command}"));
        t.keys(&["Enter"]);
        std::thread::sleep(Duration::from_millis(700));
        assert_clean(
            &p.canaries,
            &format!("the console's :{command} screen"),
            &t.screen(),
        );
        t.keys(&["Escape"]);
    }
    t.literal(":q");
    t.keys(&["Enter"]);
    std::thread::sleep(Duration::from_millis(500));
    assert_clean(&p.canaries, "the console after quitting", &t.screen());
}
