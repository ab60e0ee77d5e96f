//! The command line's grammar: every subcommand and flag, as clap reads them. What each one
//! does is in `main.rs`.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use opsdeck::incident;
use opsdeck::sim;
use opsdeck::sim::fleet::{ScenarioPick, ScenarioPickParser};

#[derive(Parser, Debug)]
#[command(
    name = "opsdeck",
    version,
    about = "Terminal operations console for an AI content platform on Kubernetes"
)]
pub struct Cli {
    /// Config file (default: ~/.config/opsdeck/config.toml when it exists).
    #[arg(long, global = true, env = "OPSDECK_CONFIG")]
    pub config: Option<PathBuf>,
    /// Kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, as kubectl).
    #[arg(long, global = true)]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context (default: its current-context).
    #[arg(long, global = true)]
    pub context: Option<String>,
    /// Namespaces to watch: a comma-separated list, or "all".
    #[arg(long, short = 'n', global = true)]
    pub namespace: Option<String>,
    /// Draw with ASCII only (default: Unicode when the locale is UTF-8).
    #[arg(long, global = true)]
    pub ascii: bool,
    /// No colours (also: the NO_COLOR environment variable).
    #[arg(long, global = true)]
    pub no_color: bool,
    /// Theme: a built-in name (default, mono) or a TOML file.
    #[arg(long, global = true)]
    pub theme: Option<String>,
    /// Keymap: a built-in name (default, vim, emacs) or a TOML file merged over the default.
    #[arg(long, global = true)]
    pub keymap: Option<String>,
    /// Audit log file (default: the config's [audit] path, else ~/.local/share/opsdeck/audit.jsonl).
    #[arg(long, global = true)]
    pub audit_log: Option<PathBuf>,
    /// Refuse every action up front.
    #[arg(long, global = true)]
    pub readonly: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// The console on the embedded simulated platform.
    Demo {
        /// An incident for the platform to play: NAME in every cluster, or CLUSTER:NAME in
        /// one (`sim-2:bad-rollout`). Repeatable.
        #[arg(long, value_name = "[CLUSTER:]NAME", value_parser = ScenarioPickParser)]
        scenario: Vec<ScenarioPick>,
        /// Simulate this many clusters, shown together (contexts sim-1 .. sim-N).
        #[arg(long, default_value = "1")]
        clusters: usize,
        /// Scale the platform to about this many pods.
        #[arg(long)]
        pods: Option<usize>,
        /// Start the platform's clock at this instant (RFC 3339), e.g. 2026-12-03T06:00:00Z.
        #[arg(long, value_name = "RFC3339")]
        start_at: Option<jiff::Timestamp>,
        #[command(flatten)]
        load: LoadArgs,
    },
    /// The simulated platform alone, in the foreground, until SIGINT/SIGTERM.
    Sim {
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: std::net::SocketAddr,
        /// An incident for the platform to play: NAME in every cluster, or CLUSTER:NAME in
        /// one (`sim-2:bad-rollout`). Repeatable.
        #[arg(long, value_name = "[CLUSTER:]NAME", value_parser = ScenarioPickParser)]
        scenario: Vec<ScenarioPick>,
        /// Serve this many clusters, each with its own world and port; the kubeconfig names
        /// them sim-1 .. sim-N.
        #[arg(long, default_value = "1")]
        clusters: usize,
        #[arg(long)]
        pods: Option<usize>,
        /// Resources that answer 403 Forbidden (comma-separated plurals, for testing RBAC).
        #[arg(long, value_delimiter = ',')]
        forbid: Vec<String>,
        /// The identity of the written kubeconfig: `viewer` may only get, list and watch.
        #[arg(long, value_parser = ["sim-admin", "viewer"])]
        user: Option<String>,
        /// Where the platform's own HTTP API listens (default: a free loopback port).
        #[arg(long)]
        platform_listen: Option<std::net::SocketAddr>,
        /// Start the platform's clock at this instant (RFC 3339), e.g. 2026-12-03T06:00:00Z; it
        /// then advances in real time. Default: now.
        #[arg(long, value_name = "RFC3339")]
        start_at: Option<jiff::Timestamp>,
        /// Write the Celery, RQ and stream queues into this Redis (redis://host:port/db), in
        /// their libraries' wire formats, as the platform's workers would; the sim takes over
        /// those keys. --config-out then points opsdeck at them.
        #[arg(long, value_name = "URL")]
        redis: Option<String>,
        /// Put a fault in front of a source from the start, e.g. `prometheus=5xx`, `kube=gone`
        /// (repeatable; each cluster has its own). Sources: kube, logs, prometheus, opencost,
        /// rabbitmq, alertmanager, health, platform. Faults: refused, silent, slow, 5xx, 401,
        /// 403, 429, truncated, malformed, wrong-shape, midstream, gone. 429 answers with
        /// `Retry-After: 5`; `429:N` with N seconds. At run time: POST /_sim/fault
        /// {"source":..,"kind":..} (optional "retry_after":N with "429") on the platform port,
        /// DELETE /_sim/fault/SOURCE; GET /_sim/fault lists the faults and requests per source.
        #[arg(long, value_name = "SOURCE=KIND")]
        fault: Vec<sim::fault::FaultSpec>,
        /// A TCP proxy in front of a real server (redis-server, rabbitmq-server), e.g.
        /// `redis=127.0.0.1:7000->127.0.0.1:6379`; POST /_sim/fault {"source":"redis",
        /// "kind":"silent"} makes it refuse, go silent, trickle or cut (truncated) replies.
        #[arg(long, value_name = "NAME=LISTEN->TARGET")]
        fault_proxy: Vec<sim::fault::proxy::ProxySpec>,
        #[command(flatten)]
        load: LoadArgs,
        #[command(flatten)]
        outputs: Box<SimOutputs>,
    },
    /// Wait until every source has answered (or the timeout), print every pane once, exit;
    /// exit 2 naming each source that did not answer.
    Snapshot {
        #[arg(long, value_enum, default_value = "text")]
        output: Output,
        /// Give up waiting for the sources after this many seconds.
        #[arg(long, default_value = "60")]
        timeout: u64,
    },
    /// Validate config and runbook files: errors name file:line:col; exit 1 on any error.
    Check { files: Vec<PathBuf> },
    /// Run a runbook headless through the executor: prints each step, exits 1 on the first failure.
    Run {
        /// A runbook file, or its name in the runbook folders.
        runbook: PathBuf,
        /// A runbook parameter, key=value (repeatable).
        #[arg(long = "param", value_name = "KEY=VALUE")]
        params: Vec<String>,
        /// Print the plans (server-side dry run), change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Confirm the runbook's actions (required to change anything headless).
        #[arg(long)]
        yes: bool,
        /// Give up verifying an action after this many seconds.
        #[arg(long, default_value = "300")]
        verify_timeout: u64,
        /// Record each step and action in this incident (without an id: the open one).
        #[arg(long, value_name = "ID", num_args = 0..=1, default_missing_value = "")]
        incident: Option<String>,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Incidents: start one, note, mark milestones, resolve, list, export a postmortem draft.
    Incident {
        #[command(subcommand)]
        command: IncidentCommand,
    },
}

#[derive(Subcommand, Debug)]
pub enum IncidentCommand {
    /// Start an incident in this context (one open per context); prints its id alone first.
    Start {
        #[arg(required = true)]
        title: Vec<String>,
        #[arg(long, default_value = "sev2")]
        severity: String,
    },
    /// Add a note (Markdown) to the open incident of this context, or to --id.
    Note {
        #[arg(required = true)]
        text: Vec<String>,
        #[arg(long)]
        id: Option<String>,
    },
    /// Mark a milestone (detected, acknowledged, mitigated, resolved); --at corrects its time.
    Milestone {
        #[arg(value_parser = parse_milestone)]
        name: incident::Milestone,
        #[arg(long, value_name = "RFC3339")]
        at: Option<jiff::Timestamp>,
        #[arg(long)]
        id: Option<String>,
    },
    /// Correct an entry (the original is kept): its id from `export --output json`.
    Correct {
        entry: String,
        #[arg(required = true)]
        text: Vec<String>,
        #[arg(long)]
        id: Option<String>,
    },
    /// Hide an entry from the timeline (it is kept in the record).
    Hide {
        entry: String,
        #[arg(long)]
        id: Option<String>,
    },
    /// Resolve the open incident of this context, or --id.
    Resolve {
        #[arg(long)]
        id: Option<String>,
    },
    /// Every incident on record, newest first.
    List,
    /// A postmortem draft: the open incident of this context by default, else its newest.
    Export {
        id: Option<String>,
        #[arg(long, value_enum, default_value = "markdown")]
        output: ExportFormat,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ExportFormat {
    Markdown,
    Json,
}

fn parse_milestone(word: &str) -> std::result::Result<incident::Milestone, String> {
    incident::Milestone::parse(word)
        .ok_or_else(|| "one of started, detected, acknowledged, mitigated, resolved".to_string())
}

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Check the hash chain; list actions started and not finished.
    Verify,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Output {
    Text,
    Json,
}

/// Load on top of the platform, for benches (`sim::load`); none unless asked for.
#[derive(clap::Args, Debug)]
pub struct LoadArgs {
    /// Ten times the demo's churn (issue 15's bench): --churn 500 --extra-queues 1000
    /// --extra-slos 100 --extra-alerts 1000; each of those flags, given, overrides its part.
    /// Churn wants a bigger world than the natural one, e.g. --pods 10000.
    #[arg(long)]
    pub load: bool,
    /// Evict this many ready ReplicaSet pods a second; their ReplicaSets replace them.
    #[arg(long, value_name = "PODS_PER_SEC")]
    pub churn: Option<u32>,
    /// Serve this many more RabbitMQ queues (load-0001..) on the management API.
    #[arg(long, value_name = "N")]
    pub extra_queues: Option<usize>,
    /// Add this many SLOs (load-001..) over the platform's metrics: a Sloth file, load.yaml,
    /// beside the platform's SLO files.
    #[arg(long, value_name = "N")]
    pub extra_slos: Option<usize>,
    /// Keep this many more alerts firing in the sim's Alertmanager.
    #[arg(long, value_name = "N")]
    pub extra_alerts: Option<usize>,
}

impl LoadArgs {
    pub fn load(&self) -> sim::load::Load {
        let base = if self.load {
            sim::load::Load::TEN_TIMES
        } else {
            sim::load::Load::default()
        };
        sim::load::Load {
            churn_per_sec: self.churn.unwrap_or(base.churn_per_sec),
            queues: self.extra_queues.unwrap_or(base.queues),
            slos: self.extra_slos.unwrap_or(base.slos),
            alerts: self.extra_alerts.unwrap_or(base.alerts),
        }
    }
}

/// Files `opsdeck sim` writes once it is up.
#[derive(clap::Args, Debug)]
pub struct SimOutputs {
    /// Write a kubeconfig for kubectl and opsdeck here.
    #[arg(long)]
    pub kubeconfig_out: Option<PathBuf>,
    /// Write an opsdeck config pointing at every endpoint the sim serves.
    #[arg(long)]
    pub config_out: Option<PathBuf>,
    /// Write the last 30 days of the platform's metrics (history and live) as OpenMetrics,
    /// for `promtool tsdb create-blocks-from openmetrics FILE DIR`; the sim keeps serving.
    #[arg(long)]
    pub openmetrics_out: Option<PathBuf>,
    /// Write the alerting rules the sim evaluates (SLO burn rates, budget, queues,
    /// Kubernetes) into this directory as Prometheus rule files, so a real Prometheus
    /// scraping the sim's /metrics raises the same alerts.
    #[arg(long, value_name = "DIR")]
    pub rules_out: Option<PathBuf>,
}

impl SimOutputs {
    pub fn paths(&self) -> sim::serve::Outputs {
        sim::serve::Outputs {
            kubeconfig: self.kubeconfig_out.clone(),
            config: self.config_out.clone(),
            openmetrics: self.openmetrics_out.clone(),
            rules: self.rules_out.clone(),
        }
    }
}
