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
    pub client: Client,
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

/// Builds the client. Call before the terminal enters raw mode: an exec plugin may need it.
pub async fn connect(target: &KubeTarget) -> Result<Connection, ConnectError> {
    let mut kubeconfig = load_kubeconfig(target.kubeconfig.as_deref())?;
    // An exec plugin that prompts would scribble over the TUI: never let it be interactive.
    for auth in kubeconfig.auth_infos.iter_mut() {
        if let Some(exec) = auth.auth_info.as_mut().and_then(|a| a.exec.as_mut()) {
            exec.interactive_mode = Some(ExecInteractiveMode::Never);
        }
    }
    let context = target
        .context
        .clone()
        .or_else(|| kubeconfig.current_context.clone())
        .ok_or_else(|| ConnectError::Invalid("no current-context and no --context".into()))?;
    if !kubeconfig.contexts.iter().any(|c| c.name == context) {
        return Err(ConnectError::NoContext(context));
    }
    let options = KubeConfigOptions {
        context: Some(context.clone()),
        ..KubeConfigOptions::default()
    };
    let config = Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .map_err(|e| ConnectError::Invalid(e.to_string()))?;
    let cluster_url = config.cluster_url.to_string();
    let default_namespace = config.default_namespace.clone();
    let client = Client::try_from(config).map_err(|e| ConnectError::Invalid(e.to_string()))?;
    Ok(Connection {
        client,
        context,
        cluster_url,
        default_namespace,
    })
}

/// A client for a kubeconfig given as text, on its current context (the demo's in-process sim,
/// and tests).
pub async fn client_from_yaml(kubeconfig: &str) -> Result<Client, ConnectError> {
    let kubeconfig =
        Kubeconfig::from_yaml(kubeconfig).map_err(|e| ConnectError::Invalid(e.to_string()))?;
    let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .map_err(|e| ConnectError::Invalid(e.to_string()))?;
    Client::try_from(config).map_err(|e| ConnectError::Invalid(e.to_string()))
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
