//! A kube client for a port nobody listens on: any request it makes would fail with an API
//! error, so a test using it proves none was made (read-only refusals, Alertmanager actions).
#![allow(dead_code)]

use kube::config::{KubeConfigOptions, Kubeconfig};

pub const URL: &str = "http://127.0.0.1:9";

pub async fn client() -> kube::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let kc = Kubeconfig::from_yaml(&format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: {URL}\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\ncurrent-context: c\nusers:\n- name: u\n  user:\n    token: t\n"
    ))
    .expect("kubeconfig");
    let config = kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .expect("config");
    kube::Client::try_from(config).expect("client")
}
