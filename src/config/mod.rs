//! The TOML config file (DESIGN.md's format): typed, unknown keys refused, every error naming
//! file:line:col and, for a misspelt key, the nearest known one.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub kubernetes: KubernetesConfig,
    pub prometheus: Option<Endpoint>,
    pub opencost: Option<Endpoint>,
    pub platform: Option<Endpoint>,
    #[serde(default, rename = "queue")]
    pub queues: Vec<QueueConfig>,
    pub slo: Option<PathsConfig>,
    pub budget: Option<BudgetConfig>,
    #[serde(default, rename = "alertmanager")]
    pub alertmanagers: Vec<AlertmanagerConfig>,
    #[serde(default, rename = "health")]
    pub health: Vec<HealthConfig>,
    pub runbooks: Option<PathsConfig>,
    pub audit: Option<AuditConfig>,
    pub incident: Option<IncidentConfig>,
    #[serde(default)]
    pub ui: UiConfig,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct KubernetesConfig {
    /// Namespaces to watch; empty = the context's namespace. "all" = every namespace.
    #[serde(default)]
    pub namespaces: Vec<String>,
    #[serde(default, rename = "context")]
    pub contexts: Vec<ContextConfig>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ContextConfig {
    pub name: String,
    #[serde(default)]
    pub production: bool,
    #[serde(default)]
    pub readonly: bool,
    /// The context's own sources; what it does not name, it reads from the global ones.
    pub prometheus: Option<Endpoint>,
    pub platform: Option<Endpoint>,
    #[serde(
        default,
        rename = "alertmanager",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub alertmanagers: Vec<AlertmanagerConfig>,
    #[serde(default, rename = "health", skip_serializing_if = "Vec::is_empty")]
    pub health: Vec<HealthConfig>,
    #[serde(default, rename = "queue", skip_serializing_if = "Vec::is_empty")]
    pub queues: Vec<QueueConfig>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    pub url: String,
    /// Name of an environment variable holding a bearer token (never the token itself).
    pub token_env: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct QueueConfig {
    pub name: String,
    pub kind: QueueKind,
    pub url: String,
    /// "namespace/deployment" that drains the queue.
    pub consumer: Option<String>,
    pub password_env: Option<String>,
    pub group: Option<String>,
    /// Celery's `global_keyprefix` (kombu prefixes every key with it).
    pub keyprefix: Option<String>,
    /// Celery's `visibility_timeout` in seconds (kombu's default: 3600): an unacked message
    /// delivered longer ago is handed to another worker.
    pub visibility_timeout: Option<u64>,
    /// RabbitMQ's virtual host (default `/`).
    pub vhost: Option<String>,
}

/// `[[alertmanager]]`: one Alertmanager instance; alerts several instances hold are one alert.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AlertmanagerConfig {
    /// How the console tags the alerts this instance holds ("am-eu").
    pub name: String,
    /// `http://user@host:9093`: a user in the url, its password only from `password_env`.
    pub url: String,
    pub password_env: Option<String>,
    /// Refuse silences here (karma's per-instance read-only): the console only reads it.
    #[serde(default)]
    pub readonly: bool,
}

/// `[[health]]`: one service's readiness endpoint (`/health/ready`), polled.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HealthConfig {
    pub name: String,
    pub url: String,
    /// Its liveness endpoint, when it has one (`/health/live`).
    pub live_url: Option<String>,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum QueueKind {
    Celery,
    Rq,
    Stream,
    Rabbitmq,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PathsConfig {
    pub paths: Vec<PathBuf>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BudgetConfig {
    pub llm_daily_usd: Option<f64>,
    pub llm_monthly_usd: Option<f64>,
    pub infra_monthly_usd: Option<f64>,
    pub cost_per_article_usd: Option<f64>,
    /// Budgets for one LLM provider or one service.
    #[serde(default, rename = "limit")]
    pub limits: Vec<BudgetLimit>,
}

impl BudgetConfig {
    /// The teams' plan (PLATFORM.md): $50 a day and $1,200 a month of LLM spend, $500 a month
    /// of infrastructure, 5 cents an article. The demo's budgets when the config has none.
    pub fn platform_plan() -> Self {
        BudgetConfig {
            llm_daily_usd: Some(50.0),
            llm_monthly_usd: Some(1200.0),
            infra_monthly_usd: Some(500.0),
            cost_per_article_usd: Some(0.05),
            limits: vec![],
        }
    }
}

/// `[[budget.limit]]`: LLM spend of one provider or one service, per day and/or per month.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BudgetLimit {
    pub provider: Option<String>,
    pub service: Option<String>,
    pub daily_usd: Option<f64>,
    pub monthly_usd: Option<f64>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AuditConfig {
    pub path: PathBuf,
}

/// `[incident]`: what consoles share through the cluster.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct IncidentConfig {
    /// Where the shared incident ConfigMaps and the action Leases live; None: the context's
    /// default namespace.
    pub namespace: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct UiConfig {
    /// A built-in keymap name (default, vim, emacs) or a path to a TOML keymap.
    pub keymap: Option<String>,
    /// A built-in theme name (default, mono) or a path to a TOML theme.
    pub theme: Option<String>,
    pub ascii: Option<bool>,
    pub no_color: Option<bool>,
}

/// A config error with its place in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

impl std::error::Error for ConfigError {}

/// 1-based line and column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Adds "did you mean `x`?" to serde's "unknown field `y`, expected one of ...".
fn suggest(message: &str) -> String {
    let first_line = message.lines().next().unwrap_or(message).trim().to_string();
    let Some(rest) = first_line.strip_prefix("unknown field `") else {
        return first_line;
    };
    let Some((field, expected)) = rest.split_once('`') else {
        return first_line;
    };
    let nearest = expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(|k| (strsim::levenshtein(field, k), k))
        .filter(|(d, _)| *d <= 3)
        .min();
    match nearest {
        Some((_, k)) => format!("{first_line}; did you mean `{k}`?"),
        None => first_line,
    }
}

impl Config {
    pub fn parse(text: &str, file: &str) -> Result<Config, ConfigError> {
        toml::from_str(text).map_err(|e| {
            let (line, column) = e.span().map_or((1, 1), |s| line_col(text, s.start));
            ConfigError {
                file: file.to_string(),
                line,
                column,
                message: suggest(e.message()),
            }
        })
    }

    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: path.display().to_string(),
            line: 0,
            column: 0,
            message: e.to_string(),
        })?;
        let mut config = Config::parse(&text, &path.display().to_string())?;
        config.resolve_paths(path.parent().unwrap_or(Path::new(".")));
        Ok(config)
    }

    /// Relative paths in the file are relative to the file, not to where opsdeck runs.
    fn resolve_paths(&mut self, base: &Path) {
        let fix = |p: &mut PathBuf| {
            if p.is_relative() && !p.starts_with("~") {
                *p = base.join(&*p);
            }
        };
        for list in [self.slo.as_mut(), self.runbooks.as_mut()]
            .into_iter()
            .flatten()
        {
            list.paths.iter_mut().for_each(fix);
        }
        if let Some(a) = self.audit.as_mut() {
            fix(&mut a.path);
        }
    }

    /// The default file under the XDG config dir (~/.config/opsdeck/config.toml).
    pub fn default_path() -> Option<PathBuf> {
        directories::ProjectDirs::from("", "", "opsdeck")
            .map(|d| d.config_dir().join("config.toml"))
    }

    /// Settings for one context, if the file names it.
    pub fn context(&self, name: &str) -> Option<&ContextConfig> {
        self.kubernetes.contexts.iter().find(|c| c.name == name)
    }

    /// The sources to read when watching `contexts`. Watching one, its own sources replace
    /// the global ones of their kind. Watching several, the global ones serve every context
    /// that names none, and each context's own are added, named `context/name`.
    pub fn for_contexts(&self, contexts: &[String]) -> Config {
        let mut out = self.clone();
        let own: Vec<&ContextConfig> = contexts.iter().filter_map(|n| self.context(n)).collect();
        if let ([one], [_]) = (own.as_slice(), contexts) {
            if one.prometheus.is_some() {
                out.prometheus = one.prometheus.clone();
            }
            if one.platform.is_some() {
                out.platform = one.platform.clone();
            }
            if !one.alertmanagers.is_empty() {
                out.alertmanagers = one.alertmanagers.clone();
            }
            if !one.health.is_empty() {
                out.health = one.health.clone();
            }
            if !one.queues.is_empty() {
                out.queues = one.queues.clone();
            }
            return out;
        }
        for c in own {
            let named = |name: &str| format!("{}/{name}", c.name);
            out.alertmanagers
                .extend(c.alertmanagers.iter().map(|a| AlertmanagerConfig {
                    name: named(&a.name),
                    ..a.clone()
                }));
            out.health.extend(c.health.iter().map(|h| HealthConfig {
                name: named(&h.name),
                ..h.clone()
            }));
        }
        out
    }

    /// Each of `contexts` (when several) that names its own queues, with them: they are read
    /// by their names on their brokers and shown as `context/name`.
    pub fn context_queues(&self, contexts: &[String]) -> Vec<(String, Vec<QueueConfig>)> {
        if contexts.len() < 2 {
            return vec![];
        }
        contexts
            .iter()
            .filter_map(|n| self.context(n))
            .filter(|c| !c.queues.is_empty())
            .map(|c| (c.name.clone(), c.queues.clone()))
            .collect()
    }

    /// Each of `contexts` (when several) that names its own Prometheus: their SLOs are read
    /// there too.
    pub fn context_prometheus(&self, contexts: &[String]) -> Vec<(String, Endpoint)> {
        if contexts.len() < 2 {
            return vec![];
        }
        contexts
            .iter()
            .filter_map(|n| {
                let p = self.context(n)?.prometheus.clone()?;
                Some((n.clone(), p))
            })
            .collect()
    }

    /// The platform API `context`'s actions go to: its own, else the global one.
    pub fn platform_of(&self, context: &str) -> Option<&Endpoint> {
        self.context(context)
            .and_then(|c| c.platform.as_ref())
            .or(self.platform.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn design_md_example_parses() {
        let text = r#"
[kubernetes]
namespaces = ["contentgen"]
[[kubernetes.context]]
name = "prod-eu"
production = true
readonly = false
[prometheus]
url = "http://127.0.0.1:9090"
[[alertmanager]]
name = "am-eu"
url = "http://alertmanager.monitoring:9093"
[[health]]
name = "api"
url = "http://api.contentgen:8080/health/ready"
[[queue]]
name = "articles"
kind = "celery"
url = "redis://127.0.0.1:6379/0"
consumer = "contentgen/article-generator"
[slo]
paths = ["slos/"]
[budget]
llm_daily_usd = 50
cost_per_article_usd = 1.50
[audit]
path = "~/.local/share/opsdeck/audit.jsonl"
[incident]
namespace = "contentgen"
"#;
        let c = Config::parse(text, "c.toml").expect("parses");
        assert_eq!(
            c.incident.as_ref().and_then(|i| i.namespace.as_deref()),
            Some("contentgen")
        );
        assert_eq!(c.kubernetes.namespaces, vec!["contentgen"]);
        assert!(c.context("prod-eu").is_some_and(|c| c.production));
        assert_eq!(c.queues[0].kind, QueueKind::Celery);
        assert_eq!(c.alertmanagers[0].name, "am-eu");
        assert_eq!(c.health[0].name, "api");
    }

    #[test]
    fn unknown_key_names_line_column_and_nearest() {
        let text = "[kubernetes]\nnamespace = [\"a\"]\n";
        let err = Config::parse(text, "opsdeck.toml").expect_err("unknown key");
        assert_eq!((err.line, err.column), (2, 1));
        assert!(
            err.message.contains("did you mean `namespaces`?"),
            "{}",
            err.message
        );
        assert!(
            err.to_string()
                .starts_with("opsdeck.toml:2:1: unknown field `namespace`")
        );
    }

    const TWO_CONTEXTS: &str = r#"
[[alertmanager]]
name = "am"
url = "http://am:9093"
[[health]]
name = "api"
url = "http://api/health/ready"
[platform]
url = "http://platform"
[[kubernetes.context]]
name = "eu"
[[kubernetes.context]]
name = "us"
[kubernetes.context.prometheus]
url = "http://prom-us:9090"
[kubernetes.context.platform]
url = "http://platform-us"
[[kubernetes.context.alertmanager]]
name = "am"
url = "http://am-us:9093"
[[kubernetes.context.queue]]
name = "articles"
kind = "rabbitmq"
url = "http://rabbit-us:15672"
"#;

    #[test]
    fn a_context_alone_reads_its_own_sources_instead_of_the_global_ones() {
        let config = Config::parse(TWO_CONTEXTS, "f.toml").expect("parses");
        let us = config.for_contexts(&["us".into()]);
        let names: Vec<&str> = us.alertmanagers.iter().map(|a| a.url.as_str()).collect();
        assert_eq!(names, ["http://am-us:9093"]);
        assert_eq!(us.queues.len(), 1);
        assert_eq!(us.health.len(), 1, "health it does not name stays global");
        assert_eq!(
            us.prometheus.as_ref().map(|p| p.url.as_str()),
            Some("http://prom-us:9090")
        );
        let eu = config.for_contexts(&["eu".into()]);
        assert_eq!(eu.alertmanagers[0].url, "http://am:9093");
        assert_eq!(
            config.platform_of("us").map(|p| p.url.as_str()),
            Some("http://platform-us")
        );
        assert_eq!(
            config.platform_of("eu").map(|p| p.url.as_str()),
            Some("http://platform")
        );
    }

    #[test]
    fn several_contexts_add_their_own_sources_named_by_context() {
        let config = Config::parse(TWO_CONTEXTS, "f.toml").expect("parses");
        let both = ["eu".to_string(), "us".to_string()];
        let merged = config.for_contexts(&both);
        let names: Vec<&str> = merged
            .alertmanagers
            .iter()
            .map(|a| a.name.as_str())
            .collect();
        assert_eq!(names, ["am", "us/am"]);
        assert!(
            merged.queues.is_empty(),
            "a context's queues are read apart"
        );
        let queues = config.context_queues(&both);
        assert_eq!(queues.len(), 1);
        assert_eq!(queues[0].0, "us");
        assert_eq!(
            queues[0].1[0].name, "articles",
            "read by its name on its broker"
        );
        let prometheus = config.context_prometheus(&both);
        assert_eq!(prometheus.len(), 1);
        assert_eq!(prometheus[0].1.url, "http://prom-us:9090");
    }

    #[test]
    fn an_unknown_incident_key_is_refused() {
        let text = "[incident]\nnamespaces = \"contentgen\"\n";
        let err = Config::parse(text, "f.toml").expect_err("unknown key");
        assert_eq!(err.line, 2);
        assert!(
            err.message.contains("did you mean `namespace`?"),
            "{}",
            err.message
        );
    }

    #[test]
    fn wrong_type_is_located() {
        let text = "[ui]\nascii = \"yes\"\n";
        let err = Config::parse(text, "f.toml").expect_err("bad type");
        assert_eq!(err.line, 2);
        assert!(err.message.contains("bool"), "{}", err.message);
    }

    #[test]
    fn line_col_counts_characters() {
        assert_eq!(line_col("ab\ncdé\nx", 7), (2, 4));
    }
}
