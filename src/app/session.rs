//! One builder for the console, on a real cluster or on the demo's sim: the client, what the
//! header says, the namespaces, the sources, the executor, the keymap and the look; decided
//! before the terminal is touched, so a bad config or kubeconfig is a plain error.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use color_eyre::eyre::{Result, eyre};
use kube::Client;

use super::fleet::ClusterSpec;
use super::sources::Feeds;
use crate::actions;
use crate::actions::executor::Executor;
use crate::cluster::connect::{load_quiet, resolve_contexts};
use crate::cluster::source::Namespaces;
use crate::config::Config;
use crate::core::keymap::Keymap;
use crate::core::panes::views;
use crate::core::state::{Connection, State};
use crate::k8s::context::ContextName;
use crate::ui::symbols::{self, Symbols};
use crate::ui::theme::Theme;
use kube::config::Kubeconfig;

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

/// Everything a console needs, before it starts. No client is built yet: each context's is
/// built in the background (`fleet`), so none can delay the start.
pub struct Session {
    /// Every context to watch, the first being the home one (incidents, bare names).
    pub clusters: Vec<ClusterSpec>,
    pub connection: Connection,
    pub namespaces: Namespaces,
    /// Overrides the config's `[platform] url` (the demo's own sim).
    /// The demo's platform APIs, one per sim, by context (else the config's `[platform]`).
    pub platform_urls: BTreeMap<ContextName, String>,
    pub feeds: Feeds,
}

impl Session {
    /// A console on `--context a,b|all`, else the config's contexts, else the current one.
    pub async fn connect(opts: &Options) -> Result<Session> {
        let kubeconfig = load_quiet(opts.kubeconfig.as_deref())?;
        let configured: Vec<String> = opts
            .config
            .kubernetes
            .contexts
            .iter()
            .map(|c| c.name.clone())
            .collect();
        let names = resolve_contexts(&kubeconfig, opts.context.as_deref(), &configured)?;
        let session = Session::of(kubeconfig, &names, opts, None)?;
        Ok(Session {
            feeds: Feeds::from_config(&opts.config, &names).map_err(|e| eyre!(e))?,
            ..session
        })
    }

    /// The contexts `names` of `kubeconfig`, the first one's namespace the default.
    fn of(
        kubeconfig: Kubeconfig,
        names: &[String],
        opts: &Options,
        namespaces: Option<Namespaces>,
    ) -> Result<Session> {
        let first = names.first().ok_or_else(|| eyre!("no context to watch"))?;
        let default_namespace = namespace_of(&kubeconfig, first);
        let settings = |name: &str| opts.config.context(name);
        let kubeconfig = Arc::new(kubeconfig);
        Ok(Session {
            clusters: names
                .iter()
                .map(|n| ClusterSpec {
                    name: ContextName::new(n),
                    kubeconfig: kubeconfig.clone(),
                })
                .collect(),
            namespaces: namespaces.unwrap_or_else(|| pick_namespaces(opts, &default_namespace)),
            connection: Connection {
                context: first.clone(),
                cluster_url: server_of(&kubeconfig, first),
                production: names
                    .iter()
                    .any(|n| settings(n).is_some_and(|c| c.production)),
                readonly: opts.readonly
                    || names
                        .iter()
                        .all(|n| settings(n).is_some_and(|c| c.readonly)),
                default_namespace,
            },
            platform_urls: BTreeMap::new(),
            feeds: Feeds::default(),
        })
    }

    /// A console on the demo's sims: one (its context named `demo`, or `demo:SCENARIO`), or
    /// several (`sim-1` .. `sim-N`, the first one's sources beside the clusters).
    pub async fn demo(
        sims: &[(String, &crate::sim::SimHandle)],
        opts: &Options,
    ) -> Result<Session> {
        let (_, first) = sims.first().ok_or_else(|| eyre!("no sim"))?;
        let named: Vec<(&str, &crate::sim::SimHandle)> =
            sims.iter().map(|(n, s)| (n.as_str(), *s)).collect();
        let yaml = crate::sim::SimHandle::kubeconfig_of(&named);
        let kubeconfig = Kubeconfig::from_yaml(&yaml).map_err(|e| eyre!("kubeconfig: {e}"))?;
        let names: Vec<String> = sims.iter().map(|(n, _)| n.clone()).collect();
        let namespaces = opts
            .namespace
            .as_deref()
            .map(Namespaces::parse)
            .unwrap_or(Namespaces::All);
        let session = Session::of(kubeconfig, &names, opts, Some(namespaces))?;
        // The first sim's sources are the console's own; the others' are added per context.
        let feeds = Feeds::from_sim(first, &opts.config)
            .and_then(|f| f.with_other_sims(sims.get(1..).unwrap_or_default()))
            .map_err(|e| eyre!(e))?;
        Ok(Session {
            platform_urls: sims
                .iter()
                .map(|(name, sim)| (ContextName::new(name), sim.platform_url()))
                .collect(),
            feeds,
            ..session
        })
    }

    /// Builds each context's executor once its client exists; an error (no audit log path)
    /// is shown when an action is asked for, not at start.
    pub fn executors(&self, opts: &Options) -> ExecutorFactory {
        let probes = self.feeds.probes();
        let platform_urls = self.platform_urls.clone();
        let kubeconfig = self.clusters.first().map(|c| c.kubeconfig.clone());
        let opts = opts.clone();
        Arc::new(move |context: &ContextName, client: Client| {
            let settings = actions::cli::Session {
                kubeconfig: opts.kubeconfig.clone(),
                context: Some(context.to_string()),
                config: opts.config.clone(),
                audit_log: opts.audit_log.clone(),
                readonly: opts.readonly,
                verify_timeout: Duration::from_secs(300),
            };
            let (url, user) = match &kubeconfig {
                Some(kc) => (server_of(kc, context), user_of(kc, context)),
                None => (String::new(), "unknown".into()),
            };
            let config = actions::cli::executor_config(
                &settings,
                context,
                &url,
                user,
                platform_urls.get(context).cloned(),
            )?;
            Executor::new(client, config)
                .map(|ex| Arc::new(ex.with_probes(probes.clone())))
                .map_err(|e| e.to_string())
        })
    }

    /// The console's first state: every pane empty, shaped by its sources.
    pub fn state(&self, keymap: Keymap, now: i64) -> State {
        let contexts: Vec<ContextName> = self.clusters.iter().map(|c| c.name.clone()).collect();
        let panes = self.feeds.panes(
            self.namespaces.clone(),
            contexts,
            &self.connection.default_namespace,
        );
        State::new(self.connection.clone(), panes, keymap, now)
    }
}

/// Makes the executor of a context from its client.
pub type ExecutorFactory =
    Arc<dyn Fn(&ContextName, Client) -> Result<Arc<Executor>, String> + Send + Sync>;

fn context_of<'a>(kc: &'a Kubeconfig, name: &str) -> Option<&'a kube::config::Context> {
    kc.contexts
        .iter()
        .find(|c| c.name == name)?
        .context
        .as_ref()
}

/// The context's namespace, else `default` (as kubectl reads it).
fn namespace_of(kc: &Kubeconfig, name: &str) -> String {
    context_of(kc, name)
        .and_then(|c| c.namespace.clone())
        .unwrap_or_else(|| "default".into())
}

/// The context's API server, as the audit log names it.
fn server_of(kc: &Kubeconfig, name: &str) -> String {
    let cluster = context_of(kc, name).map(|c| c.cluster.clone());
    kc.clusters
        .iter()
        .find(|c| Some(&c.name) == cluster.as_ref())
        .and_then(|c| c.cluster.as_ref()?.server.as_deref())
        .map(crate::clients::http::without_userinfo)
        .unwrap_or_default()
}

/// The context's kubeconfig user (best effort: what the audit log names as the identity).
fn user_of(kc: &Kubeconfig, name: &str) -> String {
    context_of(kc, name)
        .and_then(|c| c.user.clone())
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "unknown".into())
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
