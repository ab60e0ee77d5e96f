//! Where a client finds the sim: its URLs, kubeconfigs for kubectl and opsdeck, and the
//! opsdeck config entries (queues, Alertmanager, health, a context) that point at it.

use super::{SimHandle, health, kube_api};
use crate::config::{
    AlertmanagerConfig, ContextConfig, Endpoint, HealthConfig, QueueConfig, QueueKind,
};

impl SimHandle {
    /// The sim's queues as opsdeck config entries; RabbitMQ ones point at the sim's
    /// management API (any user is accepted; the demo's carries no password), the others at
    /// the Redis the sim writes them to (`SimOptions::redis`), else they are in process only.
    pub fn queue_configs(&self) -> Vec<QueueConfig> {
        let mut configs = self.shared.world().queues.configs();
        for q in &mut configs {
            if q.kind == QueueKind::Rabbitmq {
                q.url = self.rabbitmq_url();
            } else if let Some(url) = &self.redis_url {
                q.url.clone_from(url);
            }
        }
        configs
    }

    /// The queues a separate opsdeck can read over the network: RabbitMQ always; Celery, RQ
    /// and the stream when the sim writes them to a Redis.
    fn network_queue_configs(&self) -> Vec<QueueConfig> {
        self.queue_configs()
            .into_iter()
            .filter(|q| q.kind == QueueKind::Rabbitmq || self.redis_url.is_some())
            .collect()
    }

    /// The `[[queue]]` entries of an opsdeck config for this sim (see
    /// [`Self::network_queue_configs`]).
    pub fn queue_config_toml(&self) -> String {
        #[derive(serde::Serialize)]
        struct Queues {
            queue: Vec<QueueConfig>,
        }
        let queue = self.network_queue_configs();
        toml::to_string(&Queues { queue }).unwrap_or_default()
    }

    /// The `[[kubernetes.context]]` entry of a config watching this sim as context `name`,
    /// with its own sources (`own`: its Prometheus, platform API, Alertmanager, health
    /// endpoints and network-readable queues), or none (they are the config's global ones).
    pub fn context_config(&self, name: &str, own: bool) -> ContextConfig {
        let endpoint = |url: String| Endpoint {
            url,
            token_env: None,
        };
        let mut c = ContextConfig {
            name: name.into(),
            ..Default::default()
        };
        if own {
            c.prometheus = Some(endpoint(self.prometheus_url()));
            c.platform = Some(endpoint(self.platform_url()));
            c.alertmanagers = self.alertmanager_configs();
            c.health = self.health_configs();
            c.queues = self.network_queue_configs();
        }
        c
    }

    /// The OpenCost allocation API over the sim's workloads, served beside the platform API.
    pub fn opencost_url(&self) -> String {
        self.platform_url()
    }

    /// The Alertmanager v2 API (`/api/v2/alerts/groups`, `/api/v2/silences`...), served
    /// beside the platform API.
    pub fn alertmanager_url(&self) -> String {
        self.platform_url()
    }

    /// The `[[alertmanager]]` entries of an opsdeck config for this sim: its one Alertmanager.
    pub fn alertmanager_configs(&self) -> Vec<AlertmanagerConfig> {
        vec![AlertmanagerConfig {
            name: "sim".into(),
            url: self.alertmanager_url(),
            password_env: None,
            readonly: false,
        }]
    }

    /// The `[[health]]` entries of an opsdeck config for this sim: every service's and
    /// dependency's readiness endpoint (`/services/{name}/health/ready`), with its liveness one
    /// (`.../live`). Shapes differ by service: see [`health::SERVICES`].
    pub fn health_configs(&self) -> Vec<HealthConfig> {
        health::SERVICES
            .iter()
            .map(|(name, _)| {
                let base = format!("{}/services/{name}/health", self.platform_url());
                HealthConfig {
                    name: (*name).into(),
                    url: format!("{base}/ready"),
                    live_url: Some(format!("{base}/live")),
                }
            })
            .collect()
    }

    /// The `[[alertmanager]]` and `[[health]]` entries as opsdeck config TOML.
    pub fn alerting_config_toml(&self) -> String {
        #[derive(serde::Serialize)]
        struct Entries {
            alertmanager: Vec<AlertmanagerConfig>,
            health: Vec<HealthConfig>,
        }
        let entries = Entries {
            alertmanager: self.alertmanager_configs(),
            health: self.health_configs(),
        };
        toml::to_string(&entries).unwrap_or_default()
    }

    /// The RabbitMQ management API, served beside the platform API.
    pub fn rabbitmq_url(&self) -> String {
        format!("http://opsdeck@{}", self.platform_addr)
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The platform's own HTTP API (health, config, pipelines).
    pub fn platform_url(&self) -> String {
        format!("http://{}", self.platform_addr)
    }

    /// The sim's Prometheus HTTP API (`/api/v1/query`, `/api/v1/query_range`), served beside
    /// the platform API.
    pub fn prometheus_url(&self) -> String {
        format!("http://{}", self.platform_addr)
    }

    /// A kubeconfig for the sim's user (`sim-admin` unless `SimOptions::user` says otherwise).
    pub fn kubeconfig_yaml(&self) -> String {
        self.kubeconfig_yaml_for(&self.user)
    }

    /// A kubeconfig whose user name and bearer token are `user` (`sim-admin` or `viewer`).
    /// Unless it is the plain admin one, it also says `as: user`: kubectl drops bearer tokens
    /// over plain http but sends `Impersonate-User`, which the sim authenticates by.
    pub fn kubeconfig_yaml_for(&self, user: &str) -> String {
        let as_user = if user == kube_api::ADMIN && self.user == kube_api::ADMIN {
            String::new()
        } else {
            format!("    as: {user}\n")
        };
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: opsdeck-sim\n  cluster:\n    server: {}\ncontexts:\n- name: opsdeck-sim\n  context:\n    cluster: opsdeck-sim\n    user: {user}\n    namespace: contentgen\ncurrent-context: opsdeck-sim\nusers:\n- name: {user}\n  user:\n    token: {user}\n{as_user}preferences: {{}}\n",
            self.url()
        )
    }

    /// One kubeconfig for several sims, a context per sim under the name given (`sim-1` ..
    /// `sim-N`), each with its own cluster and user; the first is current.
    pub fn kubeconfig_of(clusters: &[(&str, &SimHandle)]) -> String {
        let mut out = String::from("apiVersion: v1\nkind: Config\nclusters:\n");
        for (name, sim) in clusters {
            out.push_str(&format!(
                "- name: {name}\n  cluster:\n    server: {}\n",
                sim.url()
            ));
        }
        out.push_str("contexts:\n");
        for (name, sim) in clusters {
            out.push_str(&format!(
                "- name: {name}\n  context:\n    cluster: {name}\n    user: {name}-{}\n    namespace: contentgen\n",
                sim.user
            ));
        }
        let first = clusters.first().map(|(n, _)| *n).unwrap_or_default();
        out.push_str(&format!("current-context: {first}\nusers:\n"));
        for (name, sim) in clusters {
            let as_user = if sim.user == kube_api::ADMIN {
                String::new()
            } else {
                format!("    as: {}\n", sim.user)
            };
            out.push_str(&format!(
                "- name: {name}-{user}\n  user:\n    token: {user}\n{as_user}",
                user = sim.user
            ));
        }
        out.push_str("preferences: {}\n");
        out
    }
}
