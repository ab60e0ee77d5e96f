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
