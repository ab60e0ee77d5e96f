//! The one way sources build an HTTP client: rustls with kube's `ring` provider, and timeouts,
//! so a slow endpoint marks its pane stale instead of hanging it.

use std::time::Duration;

/// A client whose requests give up after `timeout` (connecting included).
pub fn client(timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    // reqwest is built without a default provider; installing twice is a harmless no-op.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .build()
}

/// A short reason for a pane title: what went wrong, never the url (it may carry a user).
pub fn describe(err: &reqwest::Error) -> String {
    if err.is_timeout() {
        "timed out".into()
    } else if err.is_connect() {
        let chain = format!("{err:?}");
        if chain.contains("Connection refused") || chain.contains("ConnectionRefused") {
            "connection refused".into()
        } else {
            "cannot connect".into()
        }
    } else {
        "connection lost".into()
    }
}

/// The secret held by the environment variable a config names (`token_env`, `password_env`):
/// None when no variable is named, an error naming it when it is not set.
pub fn secret_from_env(var: Option<&str>) -> Result<Option<String>, String> {
    match var {
        Some(v) => std::env::var(v).map(Some).map_err(|_| v.to_string()),
        None => Ok(None),
    }
}
