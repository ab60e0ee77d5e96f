//! Finding the cluster: kubeconfig files read and merged as kubectl does, a context picked,
//! exec auth plugins kept off the terminal, and a client built before the TUI starts.

use std::path::{Path, PathBuf};

use kube::config::{ExecInteractiveMode, KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};

/// Where to look and which context to use (flags and environment).
#[derive(Clone, Debug, Default)]
pub struct KubeTarget {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
}

/// A client and what the header and the audit log say about it.
#[derive(Clone)]
pub struct Connection {
    /// Every request is answered within [`READ_TIMEOUT`] or fails: a server that goes silent
    /// after connecting is noticed.
    pub client: Client,
    /// No read timeout: a pod's log follow may rightly stay quiet for hours.
    pub follow_client: Client,
    pub context: String,
    pub cluster_url: String,
    pub default_namespace: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(
        "no kubeconfig found (tried: {tried}).\n\
         Point --kubeconfig or KUBECONFIG at one, or try the simulated platform: opsdeck demo"
    )]
    NoKubeconfig { tried: String },
    #[error("cannot read kubeconfig {path}: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("kubeconfig has no context {0:?} (see: kubectl config get-contexts)")]
    NoContext(String),
    #[error("kubeconfig: {0}")]
    Invalid(String),
}

/// The files kubectl would read, in order: --kubeconfig, else $KUBECONFIG's list, else
/// ~/.kube/config.
pub fn candidate_paths(explicit: Option<&Path>) -> Vec<PathBuf> {
    if let Some(p) = explicit {
        return vec![p.to_path_buf()];
    }
    if let Some(value) = std::env::var_os("KUBECONFIG") {
        let list: Vec<PathBuf> = std::env::split_paths(&value)
            .filter(|p| !p.as_os_str().is_empty())
            .collect();
        if !list.is_empty() {
            return list;
        }
    }
    directories::BaseDirs::new()
        .map(|d| vec![d.home_dir().join(".kube").join("config")])
        .unwrap_or_default()
}

/// Reads and merges the kubeconfig; the first file to set a value wins, as in kubectl.
pub fn load_kubeconfig(explicit: Option<&Path>) -> Result<Kubeconfig, ConnectError> {
    let paths = candidate_paths(explicit);
    let existing: Vec<&PathBuf> = paths.iter().filter(|p| p.exists()).collect();
    if existing.is_empty() {
        let tried = paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ");
        return Err(ConnectError::NoKubeconfig {
            tried: if tried.is_empty() {
                "no KUBECONFIG and no home directory".into()
            } else {
                tried
            },
        });
    }
    let mut merged = Kubeconfig::default();
    for path in existing {
        let one = Kubeconfig::read_from(path).map_err(|e| ConnectError::Unreadable {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        merged = merged
            .merge(one)
            .map_err(|e| ConnectError::Invalid(e.to_string()))?;
    }
    Ok(merged)
}

/// Reads the kubeconfig with every exec plugin kept off the terminal: one that prompted would
/// scribble over the TUI.
pub fn load_quiet(explicit: Option<&Path>) -> Result<Kubeconfig, ConnectError> {
    let mut kubeconfig = load_kubeconfig(explicit)?;
    quiet(&mut kubeconfig);
    Ok(kubeconfig)
}

fn quiet(kubeconfig: &mut Kubeconfig) {
    for auth in kubeconfig.auth_infos.iter_mut() {
        if let Some(exec) = auth.auth_info.as_mut().and_then(|a| a.exec.as_mut()) {
            exec.interactive_mode = Some(ExecInteractiveMode::Never);
        }
    }
}

/// The contexts to watch: `--context a,b` (or `all`, every one in the kubeconfig), else the
/// config's `[[kubernetes.context]]` names, else the current context. Each must exist.
pub fn resolve_contexts(
    kubeconfig: &Kubeconfig,
    flag: Option<&str>,
    configured: &[String],
) -> Result<Vec<String>, ConnectError> {
    let words: Vec<String> = match flag {
        Some(list) => list
            .split(',')
            .map(str::trim)
            .filter(|w| !w.is_empty())
            .map(String::from)
            .collect(),
        None if !configured.is_empty() => configured.to_vec(),
        None => kubeconfig.current_context.clone().into_iter().collect(),
    };
    if words.iter().any(|w| w == "all") {
        return Ok(kubeconfig.contexts.iter().map(|c| c.name.clone()).collect());
    }
    if words.is_empty() {
        return Err(ConnectError::Invalid(
            "no current-context and no --context".into(),
        ));
    }
    let mut out: Vec<String> = vec![];
    for w in words {
        if !kubeconfig.contexts.iter().any(|c| c.name == w) {
            return Err(ConnectError::NoContext(w));
        }
        if !out.contains(&w) {
            out.push(w);
        }
    }
    Ok(out)
}

/// How long a context may take to give a client (its exec plugin aside).
const BUILD_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);
/// A server that accepts no connection is given up on after this (kube's default is 30 s).
pub const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
/// A connection that says nothing for this long is given up on (kube's default is never). The
/// watches ask the server to end them sooner (`source::WATCH_SECONDS`), so a quiet, healthy
/// watch never reaches it.
pub const READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// The settings every client of ours shares: our timeouts, and our backoff, with the reason
/// shown, rather than kube's retry of 429/503/504, which backs off up to 15 times, for
/// minutes, saying nothing.
fn bounded(mut config: Config) -> Config {
    config.connect_timeout = Some(CONNECT_TIMEOUT);
    config.read_timeout = Some(READ_TIMEOUT);
    // The timeout counts from each request sent, not from when its pooled connection went idle.
    config.reset_reader_on_write = true;
    config.default_retry = false;
    config
}

/// The two clients of a context (see [`Connection`]).
fn clients(config: Config) -> Result<(Client, Client), kube::Error> {
    let mut follow = config.clone();
    follow.read_timeout = None;
    Ok((Client::try_from(config)?, Client::try_from(follow)?))
}

/// Builds one context's client: its exec plugin first, bounded (see `exec`), then the client
/// off the async threads, bounded too. The error says why, for the context's stale rows.
pub async fn connect_context(kubeconfig: Kubeconfig, context: &str) -> Result<Connection, String> {
    let mut kubeconfig = kubeconfig;
    quiet(&mut kubeconfig);
    if let Some(exec) = super::exec::plugin_of(&kubeconfig, context) {
        super::exec::check(exec, super::exec::EXEC_TIMEOUT).await?;
    }
    let options = KubeConfigOptions {
        context: Some(context.to_string()),
        ..KubeConfigOptions::default()
    };
    let config = tokio::time::timeout(
        BUILD_TIMEOUT,
        Config::from_custom_kubeconfig(kubeconfig, &options),
    )
    .await
    .map_err(|_| "reading its kubeconfig took too long".to_string())?
    .map_err(|e| format!("kubeconfig: {e}"))?;
    let config = bounded(config);
    // Shown in titles and errors and written to the audit log: never with a password.
    let cluster_url = crate::clients::http::without_userinfo(&config.cluster_url.to_string());
    let default_namespace = config.default_namespace.clone();
    // Building the client runs the exec plugin again, synchronously: never on a UI thread.
    let build = tokio::task::spawn_blocking(move || clients(config));
    let (client, follow_client) = match tokio::time::timeout(BUILD_TIMEOUT, build).await {
        Err(_) => return Err("its credentials did not come in 15 s".into()),
        Ok(Err(e)) => return Err(format!("building its client: {e}")),
        Ok(Ok(Err(e))) => return Err(format!("building its client: {e}")),
        Ok(Ok(Ok(both))) => both,
    };
    Ok(Connection {
        client,
        follow_client,
        context: context.to_string(),
        cluster_url,
        default_namespace,
    })
}

/// Builds the client of one context (`run`, `incident`, and the console's first context).
pub async fn connect(target: &KubeTarget) -> Result<Connection, ConnectError> {
    let kubeconfig = load_quiet(target.kubeconfig.as_deref())?;
    let contexts = resolve_contexts(&kubeconfig, target.context.as_deref(), &[])?;
    let [context] = contexts.as_slice() else {
        return Err(ConnectError::Invalid(format!(
            "this command acts on one context, not {}: pass --context NAME",
            contexts.join(",")
        )));
    };
    connect_context(kubeconfig, context)
        .await
        .map_err(ConnectError::Invalid)
}

/// A client for a kubeconfig given as text, on its current context, with the timeouts of
/// [`Connection::client`] (tests).
pub async fn client_from_yaml(kubeconfig: &str) -> Result<Client, ConnectError> {
    let kubeconfig =
        Kubeconfig::from_yaml(kubeconfig).map_err(|e| ConnectError::Invalid(e.to_string()))?;
    let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .map_err(|e| ConnectError::Invalid(e.to_string()))?;
    Client::try_from(bounded(config)).map_err(|e| ConnectError::Invalid(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_path_is_the_only_candidate() {
        let p = Path::new("/nonexistent/kubeconfig");
        assert_eq!(candidate_paths(Some(p)), vec![p.to_path_buf()]);
        match load_kubeconfig(Some(p)) {
            Err(e @ ConnectError::NoKubeconfig { .. }) => {
                let text = e.to_string();
                assert!(text.contains("/nonexistent/kubeconfig"), "{text}");
                assert!(text.contains("opsdeck demo"), "{text}");
            }
            other => panic!("expected NoKubeconfig, got {:?}", other.err()),
        }
    }
}
