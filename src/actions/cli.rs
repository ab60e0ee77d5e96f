//! The bodies of `opsdeck run` and `opsdeck audit verify` (main.rs keeps only thin arms).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use super::audit;
use super::executor::{Executor, ExecutorConfig};
use super::probes::Probes;
use super::runbook::{self, Runbook};
use crate::cluster::connect::{KubeTarget, connect, load_kubeconfig};
use crate::config::{Config, ConfigError};

/// What the global flags and the config say about where and how to act.
#[derive(Clone, Debug)]
pub struct Session {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    pub config: Config,
    pub audit_log: Option<PathBuf>,
    pub readonly: bool,
    pub verify_timeout: Duration,
}

#[derive(Clone, Debug)]
pub struct RunArgs {
    pub runbook: PathBuf,
    /// "key=value" pairs.
    pub params: Vec<String>,
    pub dry_run: bool,
    pub yes: bool,
    /// Record each step and action in this incident ("": the context's open one).
    pub incident: Option<String>,
}

fn expand_home(p: &Path) -> PathBuf {
    match (p.strip_prefix("~"), std::env::var_os("HOME")) {
        (Ok(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => p.to_path_buf(),
    }
}

/// `--audit-log`, else the config's `[audit] path`, else the XDG data dir.
pub fn audit_path(flag: Option<&Path>, config: &Config) -> Option<PathBuf> {
    flag.map(Path::to_path_buf)
        .or_else(|| config.audit.as_ref().map(|a| a.path.clone()))
        .or_else(audit::default_path)
        .map(|p| expand_home(&p))
}

/// Connects to the cluster and builds the executor the way the console does.
pub async fn executor_for(session: &Session) -> Result<Executor, String> {
    let target = KubeTarget {
        kubeconfig: session.kubeconfig.clone(),
        context: session.context.clone(),
    };
    let conn = connect(&target).await.map_err(|e| e.to_string())?;
    let user = kube_user(session.kubeconfig.as_deref(), &conn.context);
    let config = executor_config(session, &conn.context, &conn.cluster_url, user, None)?;
    Executor::new(conn.client, config)
        .map(|ex| ex.with_probes(Probes::from_config(&session.config)))
        .map_err(|e| e.to_string())
}

/// The kubeconfig user of a context (best effort: what the audit log names as the identity).
pub fn kube_user(kubeconfig: Option<&Path>, context: &str) -> String {
    load_kubeconfig(kubeconfig)
        .ok()
        .and_then(|kc| kc.contexts.into_iter().find(|c| c.name == context))
        .and_then(|c| c.context.map(|c| c.user.unwrap_or_default()))
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

/// The executor's settings from the flags and the config file, for the console and `run`
/// alike. `platform_url` overrides the config's `[platform] url` (the demo's own sim).
pub fn executor_config(
    session: &Session,
    context: &str,
    cluster_url: &str,
    user: String,
    platform_url: Option<String>,
) -> Result<ExecutorConfig, String> {
    let ctx = session.config.context(context);
    let audit_path = audit_path(session.audit_log.as_deref(), &session.config)
        .ok_or("no audit log path: pass --audit-log PATH")?;
    Ok(ExecutorConfig {
        context: context.to_string(),
        cluster_url: cluster_url.to_string(),
        user,
        readonly: session.readonly || ctx.is_some_and(|c| c.readonly),
        production: ctx.is_some_and(|c| c.production),
        platform_url: platform_url
            .or_else(|| session.config.platform_of(context).map(|p| p.url.clone())),
        audit_path,
        verify_timeout: session.verify_timeout,
        operator: super::lock::operator(),
        lock_namespace: session
            .config
            .incident
            .as_ref()
            .and_then(|i| i.namespace.clone()),
    })
}

/// A path as given, else NAME(.toml) in the config's runbook folders, else in ./runbooks; or
/// where it was looked for.
pub fn find_runbook(given: &Path, config: &Config) -> Result<PathBuf, String> {
    if given.exists() {
        return Ok(given.to_path_buf());
    }
    let file = if given.extension().is_some() {
        given.to_path_buf()
    } else {
        given.with_extension("toml")
    };
    let mut dirs = config
        .runbooks
        .as_ref()
        .map(|r| r.paths.clone())
        .unwrap_or_default();
    dirs.push(PathBuf::from("runbooks"));
    let candidates: Vec<PathBuf> = dirs.iter().map(|d| d.join(&file)).collect();
    if let Some(found) = candidates.iter().find(|p| p.exists()) {
        return Ok(found.clone());
    }
    let tried: Vec<String> = std::iter::once(given)
        .chain(candidates.iter().map(PathBuf::as_path))
        .map(|p| p.display().to_string())
        .collect();
    Err(format!(
        "no runbook {} (tried {}; [runbooks] paths in the config adds folders)",
        given.display(),
        tried.join(", ")
    ))
}

fn parse_params(pairs: &[String]) -> Result<BTreeMap<String, String>, String> {
    pairs
        .iter()
        .map(|kv| {
            kv.split_once('=')
                .map(|(k, v)| (k.trim().to_string(), v.to_string()))
                .ok_or_else(|| format!("--param wants key=value, not {kv:?}"))
        })
        .collect()
}

/// `opsdeck run RUNBOOK [--param k=v]... [--dry-run] [--yes]`.
pub async fn run_command(session: &Session, args: &RunArgs) -> ExitCode {
    let found = find_runbook(&args.runbook, &session.config);
    let rb = match found.and_then(|path| Runbook::load(&path).map_err(|e| e.to_string())) {
        Ok(rb) => rb,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let params = match parse_params(&args.params) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("opsdeck run: {e}");
            return ExitCode::from(2);
        }
    };
    let executor = match executor_for(session).await {
        Ok(ex) => ex,
        Err(e) => {
            eprintln!("opsdeck run: {e}");
            return ExitCode::FAILURE;
        }
    };
    // A crash or a kill during an earlier action is said before anything else is done.
    if let Some(notice) = audit::unfinished_notice(&executor.config().audit_path) {
        eprintln!("opsdeck run: {notice}");
    }
    let recorder = match &args.incident {
        None => None,
        Some(id) => {
            let cfg = executor.config();
            let store = crate::incident::Store::beside(&cfg.audit_path);
            let who = crate::incident::cli::operator();
            let namespace = executor.lock_namespace();
            let share = crate::incident::share::Share::new(executor.client().clone(), namespace);
            // What another responder started is taken up: the cluster's incidents first.
            if let Err(why) = crate::incident::cli::sync_down(&share, &store).await {
                eprintln!("opsdeck run: incidents in the cluster not read: {why}");
            }
            match crate::incident::record::Recorder::open(store, id, &cfg.context, &who) {
                Ok(r) => Some(r.sharing(share)),
                Err(e) => {
                    eprintln!("opsdeck run: --incident: {e}");
                    return ExitCode::FAILURE;
                }
            }
        }
    };
    let mut out = std::io::stdout();
    let how = runbook::headless::How {
        dry_run: args.dry_run,
        yes: args.yes,
        recorder: recorder.as_ref(),
    };
    match runbook::headless::run(&rb, &params, &executor, how, &mut out).await {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("opsdeck run {}: {e}", rb.name);
            ExitCode::FAILURE
        }
    }
}

/// `opsdeck audit verify`: exit 0 when the chain holds, 1 when it is broken or unreadable.
pub fn audit_verify_command(path: &Path) -> ExitCode {
    match audit::verify(path) {
        Ok(report) => {
            println!("{}: ok", path.display());
            for line in report.lines() {
                println!("  {line}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("opsdeck audit verify: {e}");
            ExitCode::FAILURE
        }
    }
}

/// For `opsdeck check`: a TOML with `[[step]]` tables is a runbook.
pub fn check_file(path: &Path) -> Option<Result<(), ConfigError>> {
    let text = std::fs::read_to_string(path).ok()?;
    runbook::is_runbook(&text)
        .then(|| Runbook::parse(&text, &path.display().to_string()).map(|_| ()))
}
