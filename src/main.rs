//! The command line: opsdeck | demo | sim | snapshot | check | run | audit.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use color_eyre::eyre::{Result, eyre};

use opsdeck::actions;
use opsdeck::app::session::{Options, Session};
use opsdeck::app::{self, terminal};
use opsdeck::config::Config;
use opsdeck::incident;
use opsdeck::sim::fleet::{ScenarioPick, ScenarioPickParser, SimFleet};
use opsdeck::sim::{self, SimOptions};

#[derive(Parser, Debug)]
#[command(
    name = "opsdeck",
    version,
    about = "Terminal operations console for an AI content platform on Kubernetes"
)]
struct Cli {
    /// Config file (default: ~/.config/opsdeck/config.toml when it exists).
    #[arg(long, global = true, env = "OPSDECK_CONFIG")]
    config: Option<PathBuf>,
    /// Kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, as kubectl).
    #[arg(long, global = true)]
    kubeconfig: Option<PathBuf>,
    /// Kubeconfig context (default: its current-context).
    #[arg(long, global = true)]
    context: Option<String>,
    /// Namespaces to watch: a comma-separated list, or "all".
    #[arg(long, short = 'n', global = true)]
    namespace: Option<String>,
    /// Draw with ASCII only (default: Unicode when the locale is UTF-8).
    #[arg(long, global = true)]
    ascii: bool,
    /// No colours (also: the NO_COLOR environment variable).
    #[arg(long, global = true)]
    no_color: bool,
    /// Theme: a built-in name (default, mono) or a TOML file.
    #[arg(long, global = true)]
    theme: Option<String>,
    /// Keymap: a built-in name (default, vim, emacs) or a TOML file merged over the default.
    #[arg(long, global = true)]
    keymap: Option<String>,
    /// Audit log file (default: the config's [audit] path, else ~/.local/share/opsdeck/audit.jsonl).
    #[arg(long, global = true)]
    audit_log: Option<PathBuf>,
    /// Refuse every action up front.
    #[arg(long, global = true)]
    readonly: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
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
enum IncidentCommand {
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
enum ExportFormat {
    Markdown,
    Json,
}

fn parse_milestone(word: &str) -> std::result::Result<incident::Milestone, String> {
    incident::Milestone::parse(word)
        .ok_or_else(|| "one of started, detected, acknowledged, mitigated, resolved".to_string())
}

#[derive(Subcommand, Debug)]
enum AuditCommand {
    /// Check the hash chain; list actions started and not finished.
    Verify,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Output {
    Text,
    Json,
}

fn main() -> ExitCode {
    // reqwest/kube need a rustls crypto provider before the first client exists.
    let _ = rustls::crypto::ring::default_provider().install_default();
    if color_eyre::install().is_err() {
        eprintln!("opsdeck: cannot install the error reporter");
    }
    let cli = Cli::parse();
    let console = matches!(cli.command, None | Some(Command::Demo { .. }));
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .on_thread_start(move || {
            if console {
                yield_to_the_console();
            }
        })
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("opsdeck: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let run = std::panic::AssertUnwindSafe(|| runtime.block_on(dispatch(cli)));
    let Ok(result) = std::panic::catch_unwind(run) else {
        // The panic hook has restored the terminal and said why: end now, as a panic does
        // (101), without waiting for what was in flight.
        runtime.shutdown_background();
        return ExitCode::from(101);
    };
    // Watches and log streams may still be in flight; do not wait for them.
    runtime.shutdown_timeout(Duration::from_millis(200));
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("opsdeck: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The console's loop (keys, frames) runs on the main thread; the runtime's threads decode
/// watch pages (and in the demo serve the sim). Lowered to nice 10, they give way to the loop:
/// on 2 cores, with ten clusters listing 500,000 pods, a key otherwise waited up to 240 ms for
/// the CPU while they decoded (`benches/multi_cluster.sh`).
fn yield_to_the_console() {
    // On Linux, PRIO_PROCESS with no pid sets the calling thread's nice value. Best effort:
    // without it, the console is only slower to answer during a big sync.
    let _ = rustix::process::setpriority_process(None, 10);
}

async fn dispatch(cli: Cli) -> Result<ExitCode> {
    match &cli.command {
        Some(Command::Check { files }) => Ok(check(&cli, files)),
        Some(Command::Run { .. }) => run_runbook(&cli).await,
        Some(Command::Incident { command }) => incident_command(&cli, command).await,
        Some(Command::Audit {
            command: AuditCommand::Verify,
        }) => {
            let path = actions::cli::audit_path(cli.audit_log.as_deref(), &load_config(&cli)?)
                .ok_or_else(|| eyre!("no audit log path: pass --audit-log PATH"))?;
            Ok(actions::cli::audit_verify_command(&path))
        }
        Some(Command::Sim {
            listen,
            scenario,
            clusters,
            pods,
            forbid,
            user,
            platform_listen,
            start_at,
            redis,
            fault,
            fault_proxy,
            load,
            outputs,
        }) => {
            let opts = SimOptions {
                listen: *listen,
                scenario: None,
                pods: *pods,
                forbidden: forbid.clone(),
                platform_listen: *platform_listen,
                user: user.clone(),
                start_at: *start_at,
                redis: redis.clone(),
                faults: fault.clone(),
                proxies: fault_proxy.clone(),
                load: load.load(),
            };
            sim::serve::serve(opts, scenario, *clusters, &outputs.paths()).await?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Demo {
            scenario,
            clusters,
            pods,
            start_at,
            load,
        }) => {
            terminal::require_tty().map_err(|e| eyre!(e))?;
            let opts = options(&cli)?;
            let base = SimOptions {
                pods: *pods,
                start_at: *start_at,
                load: load.load(),
                ..SimOptions::default()
            };
            let fleet = SimFleet::start(*clusters, scenario, base).await?;
            // One cluster keeps the name the demo always had; several are sim-1 .. sim-N.
            let named: Vec<(String, &sim::SimHandle)> = match fleet.sims.as_slice() {
                [(_, one)] => {
                    let name = match scenario.first() {
                        Some(p) => format!("demo:{}", p.scenario.name()),
                        None => "demo".into(),
                    };
                    vec![(name, one)]
                }
                many => many.iter().map(|(n, s)| (n.clone(), s)).collect(),
            };
            let result = match Session::demo(&named, &opts).await {
                Ok(session) => app::console(session, &opts).await,
                Err(e) => Err(e),
            };
            fleet.stop().await;
            result.map(|_| ExitCode::SUCCESS)
        }
        Some(Command::Snapshot { output, timeout }) => {
            let json = matches!(output, Output::Json);
            app::snapshot::run(&options(&cli)?, json, Duration::from_secs(*timeout)).await
        }
        None => {
            terminal::require_tty().map_err(|e| eyre!(e))?;
            let opts = options(&cli)?;
            let session = Session::connect(&opts).await?;
            app::console(session, &opts).await?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The console's settings from the flags and the config file.
fn options(cli: &Cli) -> Result<Options> {
    Ok(Options {
        config: load_config(cli)?,
        kubeconfig: cli.kubeconfig.clone(),
        context: cli.context.clone(),
        namespace: cli.namespace.clone(),
        audit_log: cli.audit_log.clone(),
        readonly: cli.readonly,
        keymap: cli.keymap.clone(),
        theme: cli.theme.clone(),
        no_color: cli.no_color,
        ascii: cli.ascii,
    })
}

/// `opsdeck run`: the executor's headless path (src/actions/cli.rs).
async fn run_runbook(cli: &Cli) -> Result<ExitCode> {
    let Some(Command::Run {
        runbook,
        params,
        dry_run,
        yes,
        verify_timeout,
        incident,
    }) = &cli.command
    else {
        return Ok(ExitCode::FAILURE);
    };
    let session = actions::cli::Session {
        kubeconfig: cli.kubeconfig.clone(),
        context: cli.context.clone(),
        config: load_config(cli)?,
        audit_log: cli.audit_log.clone(),
        readonly: cli.readonly,
        verify_timeout: Duration::from_secs(*verify_timeout),
    };
    let args = actions::cli::RunArgs {
        runbook: runbook.clone(),
        params: params.clone(),
        dry_run: *dry_run,
        yes: *yes,
        incident: incident.clone(),
    };
    Ok(actions::cli::run_command(&session, &args).await)
}

/// The cluster's side of incidents for a headless command: a client within 5 s, or why not.
async fn incident_share(
    cli: &Cli,
    config: &Config,
) -> Result<(String, incident::share::Share), String> {
    let target = opsdeck::cluster::connect::KubeTarget {
        kubeconfig: cli.kubeconfig.clone(),
        context: cli.context.clone(),
    };
    let conn = tokio::time::timeout(
        Duration::from_secs(5),
        opsdeck::cluster::connect::connect(&target),
    )
    .await
    .map_err(|_| "the cluster did not answer within 5 s".to_string())?
    .map_err(|e| e.to_string())?;
    let namespace = config
        .incident
        .as_ref()
        .and_then(|i| i.namespace.clone())
        .unwrap_or(conn.default_namespace.clone());
    Ok((
        conn.context.clone(),
        incident::share::Share::new(conn.client, &namespace),
    ))
}

/// The incident commands, on the record beside the audit log, for this context; shared through
/// the cluster's ConfigMaps when it answers (else kept on this machine, and said).
async fn incident_command(cli: &Cli, command: &IncidentCommand) -> Result<ExitCode> {
    let config = load_config(cli)?;
    let audit = actions::cli::audit_path(cli.audit_log.as_deref(), &config)
        .ok_or_else(|| eyre!("no place for incidents: pass --audit-log PATH"))?;
    let store = incident::Store::beside(&audit);
    let shared = incident_share(cli, &config).await;
    let context = match &shared {
        Ok((context, _)) => context.clone(),
        Err(_) => cli.context.clone().unwrap_or_else(|| {
            opsdeck::cluster::connect::load_kubeconfig(cli.kubeconfig.as_deref())
                .ok()
                .and_then(|k| k.current_context)
                .unwrap_or_else(|| "default".into())
        }),
    };
    let mut unshared = shared.as_ref().err().cloned();
    if let Ok((_, share)) = &shared
        && let Err(why) = incident::cli::sync_down(share, &store).await
    {
        unshared = Some(why);
    }
    let desk = incident::cli::Desk {
        store,
        context,
        operator: incident::cli::operator(),
        now: jiff::Timestamp::now().as_millisecond(),
        written: Default::default(),
    };
    let code = run_incident_command(&desk, command);
    if matches!(command, IncidentCommand::Resolve { .. }) {
        incident::cli::measure_resolved(&desk, config.prometheus.as_ref()).await;
    }
    let written = desk.written.take();
    if let (Ok((_, share)), false) = (&shared, written.is_empty())
        && let Err(why) = incident::cli::sync_up(share, written.clone()).await
    {
        unshared = Some(why);
    }
    if let Some(why) = unshared.filter(|_| !written.is_empty()) {
        eprintln!("opsdeck: kept on this machine, not shared through the cluster: {why}");
    }
    Ok(code)
}

fn run_incident_command(desk: &incident::cli::Desk, command: &IncidentCommand) -> ExitCode {
    match command {
        IncidentCommand::Start { title, severity } => desk.start(&title.join(" "), severity),
        IncidentCommand::Note { text, id } => desk.note(id.as_deref(), &text.join(" ")),
        IncidentCommand::Milestone { name, at, id } => {
            desk.milestone(id.as_deref(), *name, at.map(|t| t.as_millisecond()))
        }
        IncidentCommand::Correct { entry, text, id } => {
            desk.supersede(id.as_deref(), entry, Some(&text.join(" ")))
        }
        IncidentCommand::Hide { entry, id } => desk.supersede(id.as_deref(), entry, None),
        IncidentCommand::Resolve { id } => {
            desk.milestone(id.as_deref(), incident::Milestone::Resolved, None)
        }
        IncidentCommand::List => desk.list(),
        IncidentCommand::Export { id, output } => {
            desk.export(id.as_deref(), matches!(output, ExportFormat::Json))
        }
    }
}

fn load_config(cli: &Cli) -> Result<Config> {
    let path = match &cli.config {
        Some(p) => p.clone(),
        None => match Config::default_path().filter(|p| p.exists()) {
            Some(p) => p,
            None => return Ok(Config::default()),
        },
    };
    Ok(Config::load(&path)?)
}

fn check(cli: &Cli, files: &[PathBuf]) -> ExitCode {
    let mut files = files.to_vec();
    if files.is_empty() {
        match cli
            .config
            .clone()
            .or_else(|| Config::default_path().filter(|p| p.exists()))
        {
            Some(p) => files.push(p),
            None => {
                eprintln!("opsdeck check: no config file given and none at the default path");
                return ExitCode::FAILURE;
            }
        }
    }
    let mut failed = false;
    let report_slos = |result: Result<Vec<opsdeck::slo::Slo>, Vec<opsdeck::slo::SloFileError>>,
                       what: &str| match result {
        Ok(slos) => {
            let names: Vec<String> = slos.iter().map(|s| s.key()).collect();
            println!("{what}: ok ({} SLOs: {})", slos.len(), names.join(", "));
            false
        }
        Err(errors) => {
            for e in errors {
                eprintln!("{e}");
            }
            true
        }
    };
    for file in &files {
        let yaml = file.extension().is_some_and(|e| e == "yaml" || e == "yml");
        if yaml {
            failed |= report_slos(opsdeck::slo::load_file(file), &file.display().to_string());
            continue;
        }
        if let Some(result) = actions::cli::check_file(file) {
            match result {
                Ok(()) => println!("{}: ok (runbook)", file.display()),
                Err(e) => {
                    failed = true;
                    eprintln!("{e}");
                }
            }
            continue;
        }
        match Config::load(file) {
            Ok(config) => {
                println!("{}: ok", file.display());
                // The SLO files it names are part of it.
                if let Some(slo) = &config.slo {
                    let what = format!("{} [slo] paths", file.display());
                    failed |= report_slos(opsdeck::slo::load_paths(&slo.paths), &what);
                }
            }
            Err(e) => {
                failed = true;
                eprintln!("{e}");
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Load on top of the platform, for benches (`sim::load`); none unless asked for.
#[derive(clap::Args, Debug)]
struct LoadArgs {
    /// Ten times the demo's churn (issue 15's bench): --churn 500 --extra-queues 1000
    /// --extra-slos 100 --extra-alerts 1000; each of those flags, given, overrides its part.
    /// Churn wants a bigger world than the natural one, e.g. --pods 10000.
    #[arg(long)]
    load: bool,
    /// Evict this many ready ReplicaSet pods a second; their ReplicaSets replace them.
    #[arg(long, value_name = "PODS_PER_SEC")]
    churn: Option<u32>,
    /// Serve this many more RabbitMQ queues (load-0001..) on the management API.
    #[arg(long, value_name = "N")]
    extra_queues: Option<usize>,
    /// Add this many SLOs (load-001..) over the platform's metrics: a Sloth file, load.yaml,
    /// beside the platform's SLO files.
    #[arg(long, value_name = "N")]
    extra_slos: Option<usize>,
    /// Keep this many more alerts firing in the sim's Alertmanager.
    #[arg(long, value_name = "N")]
    extra_alerts: Option<usize>,
}

impl LoadArgs {
    fn load(&self) -> sim::load::Load {
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
struct SimOutputs {
    /// Write a kubeconfig for kubectl and opsdeck here.
    #[arg(long)]
    kubeconfig_out: Option<PathBuf>,
    /// Write an opsdeck config pointing at every endpoint the sim serves.
    #[arg(long)]
    config_out: Option<PathBuf>,
    /// Write the last 30 days of the platform's metrics (history and live) as OpenMetrics,
    /// for `promtool tsdb create-blocks-from openmetrics FILE DIR`; the sim keeps serving.
    #[arg(long)]
    openmetrics_out: Option<PathBuf>,
    /// Write the alerting rules the sim evaluates (SLO burn rates, budget, queues,
    /// Kubernetes) into this directory as Prometheus rule files, so a real Prometheus
    /// scraping the sim's /metrics raises the same alerts.
    #[arg(long, value_name = "DIR")]
    rules_out: Option<PathBuf>,
}

impl SimOutputs {
    fn paths(&self) -> sim::serve::Outputs {
        sim::serve::Outputs {
            kubeconfig: self.kubeconfig_out.clone(),
            config: self.config_out.clone(),
            openmetrics: self.openmetrics_out.clone(),
            rules: self.rules_out.clone(),
        }
    }
}
