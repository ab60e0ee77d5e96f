//! One builder for the console, on a real cluster or on the demo's sim: the client, what the
//! header says, the namespaces, the sources, the executor, the keymap and the look; decided
//! before the terminal is touched, so a bad config or kubeconfig is a plain error.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use color_eyre::eyre::{Result, eyre};
use kube::Client;

use super::sources::Feeds;
use crate::actions;
use crate::actions::executor::Executor;
use crate::cluster::connect::{KubeTarget, client_from_yaml, connect};
use crate::cluster::source::Namespaces;
use crate::config::Config;
use crate::core::keymap::Keymap;
use crate::core::panes::views;
use crate::core::state::{Connection, State};
use crate::ui::symbols::{self, Symbols};
use crate::ui::theme::Theme;

/// The flags and config every console reads.
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub config: Config,
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    /// `-n a,b` or `all`.
    pub namespace: Option<String>,
    pub audit_log: Option<PathBuf>,
    pub readonly: bool,
    pub keymap: Option<String>,
    pub theme: Option<String>,
    pub no_color: bool,
    pub ascii: bool,
}

/// Everything a console needs, before it starts.
pub struct Session {
    pub client: Client,
    pub connection: Connection,
    pub namespaces: Namespaces,
    /// The kube identity the audit log names.
    pub user: String,
    /// Overrides the config's `[platform] url` (the demo's own sim).
    pub platform_url: Option<String>,
    pub feeds: Feeds,
}

impl Session {
    /// A console on the kubeconfig's context (or `--context`).
    pub async fn connect(opts: &Options) -> Result<Session> {
        let target = KubeTarget {
            kubeconfig: opts.kubeconfig.clone(),
            context: opts.context.clone(),
        };
        let conn = connect(&target).await?;
        let settings = opts.config.context(&conn.context);
        Ok(Session {
            namespaces: pick_namespaces(opts, &conn.default_namespace),
            connection: Connection {
                context: conn.context.clone(),
                cluster_url: conn.cluster_url.clone(),
                production: settings.is_some_and(|c| c.production),
                readonly: opts.readonly || settings.is_some_and(|c| c.readonly),
                default_namespace: conn.default_namespace.clone(),
            },
            user: actions::cli::kube_user(opts.kubeconfig.as_deref(), &conn.context),
            client: conn.client,
            platform_url: None,
            feeds: Feeds::from_config(&opts.config).map_err(|e| eyre!(e))?,
        })
    }

    /// A console on the demo's sim (`scenario`: its name, shown as the context).
    pub async fn demo(
        sim: &crate::sim::SimHandle,
        scenario: Option<&str>,
        opts: &Options,
    ) -> Result<Session> {
        let client = client_from_yaml(&sim.kubeconfig_yaml()).await?;
        let context = match scenario {
            Some(s) => format!("demo:{s}"),
            None => "demo".into(),
        };
        Ok(Session {
            client,
            namespaces: opts
                .namespace
                .as_deref()
                .map(Namespaces::parse)
                .unwrap_or(Namespaces::All),
            connection: Connection {
                context,
                cluster_url: sim.url(),
                production: false,
                readonly: opts.readonly,
                default_namespace: "contentgen".into(),
            },
            user: "sim-admin".into(),
            platform_url: Some(sim.platform_url()),
            feeds: Feeds::from_sim(sim, &opts.config).map_err(|e| eyre!(e))?,
        })
    }

    /// The console's executor; an error (no audit log path) is shown when an action is asked
    /// for, not at start.
    pub fn executor(&self, opts: &Options) -> Result<Arc<Executor>, String> {
        let settings = actions::cli::Session {
            kubeconfig: opts.kubeconfig.clone(),
            context: opts.context.clone(),
            config: opts.config.clone(),
            audit_log: opts.audit_log.clone(),
            readonly: self.connection.readonly,
            verify_timeout: Duration::from_secs(300),
        };
        let config = actions::cli::executor_config(
            &settings,
            &self.connection.context,
            &self.connection.cluster_url,
            self.user.clone(),
            self.platform_url.clone(),
        )?;
        Executor::new(self.client.clone(), config)
            .map(|ex| Arc::new(ex.with_probes(self.feeds.probes())))
            .map_err(|e| e.to_string())
    }

    /// The console's first state: every pane empty, shaped by its sources.
    pub fn state(&self, keymap: Keymap, now: i64) -> State {
        let panes = self
            .feeds
            .panes(self.namespaces.clone(), &self.connection.default_namespace);
        State::new(self.connection.clone(), panes, keymap, now)
    }
}

/// --namespace, else the config's list, else the context's namespace.
pub fn pick_namespaces(opts: &Options, context_default: &str) -> Namespaces {
    if let Some(ns) = &opts.namespace {
        return Namespaces::parse(ns);
    }
    let configured = &opts.config.kubernetes.namespaces;
    if !configured.is_empty() {
        return Namespaces::parse(&configured.join(","));
    }
    Namespaces::Only(vec![context_default.to_string()])
}

/// The keymap named (built-in or a file merged over the default), and its warnings.
pub fn keymap(opts: &Options) -> Result<(Keymap, Vec<String>)> {
    let views = views();
    let spec = opts.keymap.as_deref().or(opts.config.ui.keymap.as_deref());
    let Some(spec) = spec else {
        return Ok((Keymap::default_keymap(&views), vec![]));
    };
    if let Some(km) = Keymap::builtin(spec, &views) {
        return Ok((km, vec![]));
    }
    let text = std::fs::read_to_string(spec).map_err(|e| eyre!("keymap {spec}: {e}"))?;
    let mut km = Keymap::default_keymap(&views);
    let warnings = km
        .merge_toml(&text, &views)
        .map_err(|e| eyre!("keymap {spec}: {e}"))?;
    Ok((km, warnings))
}

/// The theme and symbol set: NO_COLOR and --no-color win; ASCII when asked or when the locale
/// is not UTF-8.
pub fn look(opts: &Options) -> Result<(Theme, Symbols)> {
    let no_color = opts.no_color
        || opts.config.ui.no_color.unwrap_or(false)
        || std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let theme = match opts.theme.as_deref().or(opts.config.ui.theme.as_deref()) {
        _ if no_color => Theme::default_for(true),
        Some(name) => match Theme::builtin(name) {
            Some(t) => t,
            None => {
                let text = std::fs::read_to_string(name).map_err(|e| eyre!("theme {name}: {e}"))?;
                Theme::from_toml(&text).map_err(|e| eyre!("theme {name}: {e}"))?
            }
        },
        None => Theme::default_for(false),
    };
    let env = |k| std::env::var(k).ok();
    let utf8 = symbols::locale_is_utf8(
        env("LC_ALL").as_deref(),
        env("LC_CTYPE").as_deref(),
        env("LANG").as_deref(),
    );
    let ascii = opts.ascii || opts.config.ui.ascii.unwrap_or(false) || !utf8;
    Ok((
        theme,
        if ascii {
            symbols::ASCII
        } else {
            symbols::UNICODE
        },
    ))
}
