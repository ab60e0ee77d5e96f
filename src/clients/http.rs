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

/// A url without its user and password, for titles, logs and the snapshot.
pub fn redact(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.to_string()
        }
        Err(_) => "<invalid url>".into(),
    }
}

/// `url` as given, unless it carries a user or password: then without them (a kubeconfig's
/// `server` is shown in titles, errors and the audit log).
pub fn without_userinfo(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(u) if !u.username().is_empty() || u.password().is_some() => redact(url),
        _ => url.to_string(),
    }
}

/// An HTTP API's base url and basic-auth credentials: the user from the url
/// (`http://monitor@host:15672`), the password only from the environment variable a config
/// names (`password_env`), never inline.
#[derive(Clone, Debug)]
pub struct BasicAuthUrl {
    /// The base, without credentials (safe to show).
    pub base: reqwest::Url,
    pub user: Option<String>,
    pub password: Option<String>,
}

impl BasicAuthUrl {
    pub fn parse(url: &str, password_env: Option<&str>) -> Result<Self, String> {
        let mut base = reqwest::Url::parse(url).map_err(|e| format!("bad url: {e}"))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(format!(
                "bad url: scheme {} (expected http or https)",
                base.scheme()
            ));
        }
        if base.password().is_some() {
            return Err(
                "the url carries a password: put it in an environment variable named by \
                 password_env"
                    .into(),
            );
        }
        let user = (!base.username().is_empty()).then(|| base.username().to_string());
        let password = secret_from_env(password_env)
            .map_err(|var| format!("environment variable {var} (password_env) is not set"))?;
        let _ = base.set_username("");
        Ok(BasicAuthUrl {
            base,
            user,
            password,
        })
    }

    /// The base with `segments` appended, each one path segment (percent-encoded).
    pub fn join(&self, segments: &[&str]) -> reqwest::Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    /// A request with the credentials attached.
    pub fn request(
        &self,
        http: &reqwest::Client,
        method: reqwest::Method,
        url: reqwest::Url,
    ) -> reqwest::RequestBuilder {
        let req = http.request(method, url);
        match &self.user {
            Some(user) => req.basic_auth(user, self.password.as_deref()),
            None => req,
        }
    }

    /// For titles and logs: the url without credentials.
    pub fn redacted(&self) -> String {
        self.base.as_str().trim_end_matches('/').to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_come_from_the_url_user_and_the_environment_only() {
        let ok = BasicAuthUrl::parse("http://monitor@am:9093/", None).expect("parses");
        assert_eq!(ok.user.as_deref(), Some("monitor"));
        assert_eq!(ok.redacted(), "http://am:9093");
        assert_eq!(
            ok.join(&["api", "v2", "silence", "a/b"]).as_str(),
            "http://am:9093/api/v2/silence/a%2Fb"
        );
        assert_eq!(
            without_userinfo("https://ops:secret@10.0.0.1:6443"),
            "https://10.0.0.1:6443/"
        );
        assert_eq!(
            without_userinfo("https://10.0.0.1:6443"),
            "https://10.0.0.1:6443"
        );
        assert!(
            BasicAuthUrl::parse("http://u:secret@am:9093", None)
                .is_err_and(|e| e.contains("password_env"))
        );
        assert!(
            BasicAuthUrl::parse("http://u@am", Some("OPSDECK_TEST_UNSET_VAR"))
                .is_err_and(|e| e.contains("OPSDECK_TEST_UNSET_VAR"))
        );
        assert!(BasicAuthUrl::parse("ftp://am", None).is_err());
    }
}
