//! Builds PLATFORM.md's world (optionally multiplied for scale tests) at startup.

use std::collections::BTreeMap;
use std::sync::Arc;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{
    Container, ContainerPort, EnvVar, HTTPGetAction, PodSpec, PodTemplateSpec, Probe,
    ResourceRequirements,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::model::*;
use super::{REVISION, World};
use crate::sim::util::{ago, fnv, safe_encode};

/// One workload of the platform, as the topology table describes it.
pub struct App {
    pub name: &'static str,
    pub stateful: bool,
    pub replicas: i32,
    pub image: &'static str,
    pub tags: [&'static str; 3],
    pub port: i32,
    pub cpu: &'static str,
    pub memory: &'static str,
    pub env: &'static [(&'static str, &'static str)],
}

const fn app(
    name: &'static str,
    replicas: i32,
    image: &'static str,
    tags: [&'static str; 3],
    (port, cpu, memory): (i32, &'static str, &'static str),
    env: &'static [(&'static str, &'static str)],
) -> App {
    App {
        name,
        stateful: false,
        replicas,
        image,
        tags,
        port,
        cpu,
        memory,
        env,
    }
}

/// A StatefulSet; its tags are its image history, oldest first (a repeated tag is no change).
const fn sts(
    name: &'static str,
    replicas: i32,
    image: &'static str,
    tags: [&'static str; 3],
    port: i32,
    memory: &'static str,
) -> App {
    App {
        name,
        stateful: true,
        replicas,
        image,
        tags,
        port,
        cpu: "250m",
        memory,
        env: &[],
    }
}

const LLM: &[(&str, &str)] = &[
    ("LLM_PROVIDER", "openai"),
    ("LLM_MODEL", "gpt-4o"),
    ("CELERY_BROKER_URL", "redis://redis:6379/0"),
];

pub const CONTENTGEN: &[App] = &[
    app(
        "api",
        3,
        "ghcr.io/contentgen/api",
        ["v1.8.0", "v1.8.1", "v1.8.2"],
        (8000, "250m", "512Mi"),
        &[
            ("DATABASE_URL", "postgresql://postgres:5432/contentgen"),
            ("REDIS_URL", "redis://redis:6379/0"),
        ],
    ),
    app(
        "article-generator",
        4,
        "ghcr.io/contentgen/worker",
        ["v2.3.0", "v2.3.1", "v2.4.0"],
        (8001, "500m", "1Gi"),
        LLM,
    ),
    app(
        "fact-checker",
        2,
        "ghcr.io/contentgen/worker",
        ["v2.3.0", "v2.3.1", "v2.4.0"],
        (8001, "250m", "512Mi"),
        LLM,
    ),
    app(
        "topic-analyzer",
        1,
        "ghcr.io/contentgen/worker",
        ["v2.3.0", "v2.3.1", "v2.4.0"],
        (8001, "250m", "512Mi"),
        LLM,
    ),
    app(
        "publisher",
        2,
        "ghcr.io/contentgen/publisher",
        ["v1.2.0", "v1.2.1", "v1.3.0"],
        (8002, "100m", "256Mi"),
        &[
            ("RQ_QUEUE", "publish"),
            ("WORDPRESS_URL", "https://blog.example.com"),
        ],
    ),
    app(
        "competitor-monitor",
        1,
        "ghcr.io/contentgen/scraper",
        ["v0.9.0", "v0.9.1", "v0.9.2"],
        (8003, "100m", "256Mi"),
        &[("STREAM", "events:competitors")],
    ),
    app(
        "scheduler",
        1,
        "ghcr.io/contentgen/worker",
        ["v2.3.0", "v2.3.1", "v2.4.0"],
        (8004, "50m", "128Mi"),
        &[("CELERY_BEAT", "1")],
    ),
    sts(
        "redis",
        1,
        "docker.io/library/redis",
        ["7.2.4", "7.2.5", "7.2.5"],
        6379,
        "1Gi",
    ),
    sts(
        "postgres",
        1,
        "docker.io/library/postgres",
        ["16.2", "16.3", "16.4"],
        5432,
        "2Gi",
    ),
    sts(
        "qdrant",
        1,
        "docker.io/qdrant/qdrant",
        ["v1.10.1", "v1.11.0", "v1.11.3"],
        6333,
        "2Gi",
    ),
    sts(
        "rabbitmq",
        3,
        "docker.io/library/rabbitmq",
        ["3.13-management"; 3],
        5672,
        "1Gi",
    ),
];

pub const MONITORING: &[App] = &[
    app(
        "prometheus",
        1,
        "quay.io/prometheus/prometheus",
        ["v2.53.0", "v2.54.1", "v2.55.1"],
        (9090, "500m", "2Gi"),
        &[],
    ),
    app(
        "alertmanager",
        1,
        "quay.io/prometheus/alertmanager",
        ["v0.27.0", "v0.27.0", "v0.28.1"],
        (9093, "100m", "256Mi"),
        &[],
    ),
    app(
        "opencost",
        1,
        "ghcr.io/opencost/opencost",
        ["1.110.0", "1.111.0", "1.112.0"],
        (9003, "100m", "512Mi"),
        &[],
    ),
];

const BASE_PODS: usize = 20;

pub fn template(app: &App, tag: &str) -> PodTemplateSpec {
    let labels: Labels = [
        ("app".to_string(), app.name.to_string()),
        (
            "app.kubernetes.io/part-of".to_string(),
            "contentgen".to_string(),
        ),
    ]
    .into();
    let q = |s: &str| Quantity(s.to_string());
    let mut env: Vec<EnvVar> = app
        .env
        .iter()
        .map(|(k, v)| EnvVar {
            name: (*k).into(),
            value: Some((*v).into()),
            ..Default::default()
        })
        .collect();
    env.push(EnvVar {
        name: "SERVICE_NAME".into(),
        value: Some(app.name.into()),
        ..Default::default()
    });
    PodTemplateSpec {
        metadata: Some(ObjectMeta {
            labels: Some(labels),
            ..Default::default()
        }),
        spec: Some(PodSpec {
            containers: vec![Container {
                name: app.name.into(),
                image: Some(format!("{}:{tag}", app.image)),
                image_pull_policy: Some("IfNotPresent".into()),
                ports: Some(vec![ContainerPort {
                    container_port: app.port,
                    name: Some("http".into()),
                    protocol: Some("TCP".into()),
                    ..Default::default()
                }]),
                env: Some(env),
                resources: Some(ResourceRequirements {
                    requests: Some(BTreeMap::from([
                        ("cpu".to_string(), q(app.cpu)),
                        ("memory".to_string(), q(app.memory)),
                    ])),
                    limits: Some(BTreeMap::from([("memory".to_string(), q(app.memory))])),
                    ..Default::default()
                }),
                readiness_probe: (!app.stateful).then(|| Probe {
                    http_get: Some(HTTPGetAction {
                        path: Some("/health/ready".into()),
                        port: IntOrString::Int(app.port),
                        scheme: Some("HTTP".into()),
                        ..Default::default()
                    }),
                    period_seconds: Some(10),
                    timeout_seconds: Some(1),
                    success_threshold: Some(1),
                    failure_threshold: Some(3),
                    ..Default::default()
                }),
                termination_message_path: Some("/dev/termination-log".into()),
                termination_message_policy: Some("File".into()),
                ..Default::default()
            }],
            restart_policy: Some("Always".into()),
            dns_policy: Some("ClusterFirst".into()),
            scheduler_name: Some("default-scheduler".into()),
            service_account_name: Some("default".into()),
            termination_grace_period_seconds: Some(30),
            ..Default::default()
        }),
    }
}

/// `pod-template-hash`: a stable hash of the template without its own hash label.
pub fn template_hash(t: &PodTemplateSpec) -> String {
    let mut t = t.clone();
    if let Some(l) = t.metadata.as_mut().and_then(|m| m.labels.as_mut()) {
        l.remove("pod-template-hash");
    }
    let bytes = serde_json::to_vec(&t).unwrap_or_default();
    safe_encode(fnv(&bytes), 10)
}

/// The InternalIP of the i-th node (`pool-general-<i>`).
fn node_ip(i: usize) -> String {
    format!("10.0.{}.{}", i / 250, i % 250 + 10)
}

/// A node's InternalIP by its name, for the pods it runs (`status.hostIP`).
pub(super) fn node_ip_of(name: &str) -> Option<String> {
    let i = name.strip_prefix("pool-general-")?.parse().ok()?;
    Some(node_ip(i))
}

pub fn with_label(t: &PodTemplateSpec, k: &str, v: &str) -> PodTemplateSpec {
    let mut t = t.clone();
    t.metadata
        .get_or_insert_default()
        .labels
        .get_or_insert_default()
        .insert(k.into(), v.into());
    t
}

fn template_labels(t: &PodTemplateSpec) -> Labels {
    t.metadata
        .as_ref()
        .and_then(|m| m.labels.clone())
        .unwrap_or_default()
}

impl World {
    pub(super) fn build(&mut self, pods: Option<usize>) {
        let now = self.now;
        let (copies, factor, nodes) = match pods {
            None => (1, 1.0, 4),
            Some(n) => {
                let copies = n.div_ceil(1000).max(1);
                let factor = (n.saturating_sub(3) as f64 / copies as f64) / BASE_PODS as f64;
                (copies, factor, n.div_ceil(110).max(4))
            }
        };
        for name in [
            "default",
            "kube-node-lease",
            "kube-public",
            "kube-system",
            "monitoring",
        ] {
            self.add_namespace(name, ago(now, 40 * 86400));
        }
        for i in 1..=nodes {
            self.add_node(i, ago(now, 35 * 86400));
        }
        for c in 1..=copies {
            let ns = if c == 1 {
                "contentgen".to_string()
            } else {
                format!("contentgen-{c}")
            };
            let ns_arc = self.add_namespace(&ns, ago(now, 30 * 86400));
            for app in CONTENTGEN {
                let r = ((f64::from(app.replicas) * factor).round() as i32).max(1);
                if app.stateful {
                    self.add_statefulset(&ns_arc, app, r);
                } else {
                    self.add_deployment(&ns_arc, app, r);
                }
            }
            self.add_hpas(&ns_arc, factor);
        }
        let mon: Arc<str> = Arc::from("monitoring");
        for app in MONITORING {
            self.add_deployment(&mon, app, app.replicas);
        }
        self.sync_dirty();
    }

    fn add_namespace(&mut self, name: &str, created: Timestamp) -> Arc<str> {
        let labels = Arc::new(Labels::from([(
            "kubernetes.io/metadata.name".to_string(),
            name.to_string(),
        )]));
        let cluster = self.cluster_ns.clone();
        let mut ns = NamespaceM {
            meta: self.meta(&cluster, name.to_string(), labels, created),
        };
        self.log.record(&mut ns, "ADDED");
        self.namespaces.insert(ns.meta.key(), ns);
        Arc::from(name)
    }

    fn add_node(&mut self, i: usize, created: Timestamp) {
        let name = format!("pool-general-{i}");
        let labels = Arc::new(Labels::from([
            ("kubernetes.io/hostname".to_string(), name.clone()),
            ("kubernetes.io/os".to_string(), "linux".to_string()),
            ("kubernetes.io/arch".to_string(), "amd64".to_string()),
            (
                "node.kubernetes.io/instance-type".to_string(),
                "e2-standard-8".to_string(),
            ),
            (
                "topology.kubernetes.io/zone".to_string(),
                format!("europe-west1-{}", ["b", "c", "d"][i % 3]),
            ),
            ("node-role.kubernetes.io/worker".to_string(), String::new()),
        ]));
        let cluster = self.cluster_ns.clone();
        let mut meta = self.meta(&cluster, name.clone(), labels, created);
        meta.annotations.extend([
            ("node.alpha.kubernetes.io/ttl".to_string(), "0".to_string()),
            (
                "volumes.kubernetes.io/controller-managed-attach-detach".to_string(),
                "true".to_string(),
            ),
        ]);
        // Kubelets post their status every 5 minutes, each at its own phase.
        let heartbeat = ago(self.now, self.rng.range(0, 299) as i64);
        let mut node = NodeM {
            meta,
            ready: NodeReady::True,
            transition: created,
            heartbeat,
            unschedulable: false,
            cordoned: created,
            cpu: 8,
            memory_gi: 32,
            kubelet: "v1.33.2",
            ip: node_ip(i),
        };
        self.log.record(&mut node, "ADDED");
        let key = node.meta.key();
        self.nodes.insert(key.clone(), node);
        self.node_names.push(Arc::from(name));
        // Kubelets renew at their own phase: the leases' renewals spread over 10 s.
        let renewed = crate::sim::util::after_ms(self.now, -(self.rng.range(0, 9_999) as i64));
        self.add_node_lease(&key, renewed);
    }

    fn add_deployment(&mut self, ns: &Arc<str>, app: &App, replicas: i32) {
        let created = ago(self.now, 21 * 86400);
        let tpl = template(app, app.tags[2]);
        let selector = Arc::new(Labels::from([("app".to_string(), app.name.to_string())]));
        let labels = Arc::new(template_labels(&tpl));
        let mut meta = self.meta(ns, app.name.to_string(), labels, created);
        meta.generation = 3;
        meta.annotations.insert(REVISION.into(), "3".into());
        let mut d = DeploymentM {
            meta,
            replicas,
            paused: false,
            selector,
            template: Arc::new(tpl),
            progress_deadline: 600,
            revision_history: 10,
            last_progress: created,
            status: DeployStatus::default(),
        };
        self.log.record(&mut d, "ADDED");
        let key = d.meta.key();
        let owner = OwnerRef {
            kind: "Deployment",
            api_version: "apps/v1",
            name: d.meta.name.clone(),
            uid: d.meta.uid.clone(),
        };
        self.deployments.insert(key.clone(), d);
        for (rev, tag) in app.tags.iter().enumerate() {
            let current = rev == 2;
            let tpl = Arc::new(template(app, tag));
            let age_days = 21 - 7 * rev as i64;
            let rs = self.add_rs(
                &key,
                &owner,
                &tpl,
                rev as i64 + 1,
                if current { replicas } else { 0 },
                ago(self.now, age_days * 86400),
            );
            if current {
                for _ in 0..replicas {
                    self.spawn_rs_pod(&rs, true);
                }
            }
        }
        self.dirty_deploy.insert(key);
    }

    pub(super) fn add_rs(
        &mut self,
        dep: &Key,
        owner: &OwnerRef,
        tpl: &Arc<PodTemplateSpec>,
        revision: i64,
        replicas: i32,
        created: Timestamp,
    ) -> Key {
        let hash = template_hash(tpl);
        let rs_tpl = Arc::new(with_label(tpl, "pod-template-hash", &hash));
        let labels = Arc::new(template_labels(&rs_tpl));
        let mut selector = self
            .deployments
            .get(dep)
            .map(|d| (*d.selector).clone())
            .unwrap_or_default();
        selector.insert("pod-template-hash".into(), hash.clone());
        let mut meta = self.meta(&dep.ns, format!("{}-{hash}", dep.name), labels, created);
        meta.generation = 1;
        meta.annotations
            .insert(REVISION.into(), revision.to_string());
        if let Some(d) = self.deployments.get(dep) {
            meta.annotations.insert(
                "deployment.kubernetes.io/desired-replicas".into(),
                d.replicas.to_string(),
            );
            meta.annotations.insert(
                "deployment.kubernetes.io/max-replicas".into(),
                (d.replicas + (d.replicas + 3) / 4).to_string(),
            );
            if let Some(cause) = d.meta.annotations.get(super::CHANGE_CAUSE) {
                meta.annotations
                    .insert(super::CHANGE_CAUSE.into(), cause.clone());
            }
        }
        let mut rs = ReplicaSetM {
            meta,
            owner: owner.clone(),
            selector: Arc::new(selector),
            template: rs_tpl,
            hash,
            replicas,
            pods: Default::default(),
            ready: 0,
            observed_generation: 1,
        };
        self.log.record(&mut rs, "ADDED");
        let key = rs.meta.key();
        self.replicasets.insert(key.clone(), rs);
        self.dirty_rs.insert(key.clone());
        key
    }

    fn add_statefulset(&mut self, ns: &Arc<str>, app: &App, replicas: i32) {
        let mut tags = app.tags.to_vec();
        tags.dedup();
        let templates: Vec<Arc<PodTemplateSpec>> =
            tags.iter().map(|t| Arc::new(template(app, t))).collect();
        let Some(tpl) = templates.last().cloned() else {
            return;
        };
        let selector = Arc::new(Labels::from([("app".to_string(), app.name.to_string())]));
        let labels = Arc::new(template_labels(&tpl));
        let mut meta = self.meta(ns, app.name.to_string(), labels, ago(self.now, 30 * 86400));
        meta.generation = templates.len() as i64;
        let mut s = StatefulSetM {
            meta,
            replicas,
            selector,
            template: tpl,
            revision: String::new(),
            current_revision: String::new(),
            pods: Default::default(),
            ready: 0,
            current: 0,
            updated: 0,
            observed_generation: templates.len() as i64,
        };
        self.log.record(&mut s, "ADDED");
        let key = s.meta.key();
        self.statefulsets.insert(key.clone(), s);
        // Its image history, the first revision as old as the StatefulSet, the last 4 days old.
        for (i, t) in templates.into_iter().enumerate() {
            let age_days = 30 - 13 * i as i64;
            self.record_sts_revision(&key, t, ago(self.now, age_days * 86400));
        }
        if let Some(s) = self.statefulsets.get_mut(&key) {
            s.current_revision.clone_from(&s.revision);
        }
        for i in 0..replicas {
            self.spawn_sts_pod(&key, i, true);
        }
        self.dirty_sts.insert(key);
    }
}
