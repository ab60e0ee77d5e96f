//! Exec credential plugins (`aws eks get-token`, `gke-gcloud-auth-plugin`...) run before a
//! context's client is built, with a timeout and off the terminal: one that hangs or fails
//! is killed and named, and its context alone waits (kube-rs would run it synchronously,
//! unbounded, inside the client's construction).

use std::process::Stdio;
use std::time::Duration;

use kube::config::{ExecConfig, Kubeconfig};

/// How long a plugin may take (EKS tokens take 1 to 3 s).
pub const EXEC_TIMEOUT: Duration = Duration::from_secs(10);

/// The exec plugin of `context`'s user, if it has one.
pub fn plugin_of<'a>(kubeconfig: &'a Kubeconfig, context: &str) -> Option<&'a ExecConfig> {
    let user = kubeconfig
        .contexts
        .iter()
        .find(|c| c.name == context)?
        .context
        .as_ref()?
        .user
        .clone()?;
    kubeconfig
        .auth_infos
        .iter()
        .find(|a| a.name == user)?
        .auth_info
        .as_ref()?
        .exec
        .as_ref()
}

/// Runs the plugin once, as client-go would, and says why it did not give a credential.
pub async fn check(exec: &ExecConfig, timeout: Duration) -> Result<(), String> {
    let Some(program) = &exec.command else {
        return Err("exec plugin without a command".into());
    };
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(exec.args.iter().flatten())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for pair in exec.env.iter().flatten() {
        if let (Some(name), Some(value)) = (pair.get("name"), pair.get("value")) {
            cmd.env(name, value);
        }
    }
    for name in exec.drop_env.iter().flatten() {
        cmd.env_remove(name);
    }
    let info = serde_json::json!({
        "apiVersion": exec.api_version.clone().unwrap_or_default(),
        "kind": "ExecCredential",
        "spec": {"interactive": false},
    });
    cmd.env("KUBERNETES_EXEC_INFO", info.to_string());
    let child = cmd
        .spawn()
        .map_err(|e| format!("exec plugin {program}: {e}"))?;
    // Dropping the future on timeout kills the plugin (kill_on_drop).
    let out = match tokio::time::timeout(timeout, child.wait_with_output()).await {
        Err(_) => {
            return Err(format!(
                "exec plugin {program} did not answer in {} s",
                timeout.as_secs()
            ));
        }
        Ok(Err(e)) => return Err(format!("exec plugin {program}: {e}")),
        Ok(Ok(out)) => out,
    };
    if !out.status.success() {
        let said = String::from_utf8_lossy(&out.stderr);
        let first = said.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        return Err(format!(
            "exec plugin {program} failed ({}){}{}",
            out.status,
            if first.is_empty() { "" } else { ": " },
            first.chars().take(160).collect::<String>()
        ));
    }
    let credential: serde_json::Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("exec plugin {program} printed no ExecCredential: {e}"))?;
    if credential.pointer("/status").is_none() {
        return Err(format!(
            "exec plugin {program} printed an ExecCredential without a status"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exec(script: &str) -> ExecConfig {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "client.authentication.k8s.io/v1",
            "command": "sh",
            "args": ["-c", script],
        }))
        .expect("exec config")
    }

    #[tokio::test]
    async fn a_hanging_plugin_is_killed_and_named() {
        let started = std::time::Instant::now();
        let err = check(&exec("sleep 30"), Duration::from_millis(300))
            .await
            .unwrap_err();
        assert!(err.contains("did not answer in 0 s"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn a_failing_plugin_says_what_it_printed() {
        let err = check(
            &exec("echo 'token expired: run aws sso login' >&2; exit 3"),
            EXEC_TIMEOUT,
        )
        .await
        .unwrap_err();
        assert!(err.contains("token expired: run aws sso login"), "{err}");
    }

    #[tokio::test]
    async fn a_credential_passes() {
        let ok = r#"echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"t"}}'"#;
        assert_eq!(check(&exec(ok), EXEC_TIMEOUT).await, Ok(()));
    }
}
