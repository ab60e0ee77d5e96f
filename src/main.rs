//! The command line: opsdeck | demo | sim | snapshot | check | run | audit | incident; its
//! grammar is in `args.rs`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use color_eyre::eyre::{Result, eyre};

use opsdeck::actions;
use opsdeck::app::session::{Options, Session};
use opsdeck::app::{self, terminal};
use opsdeck::config::Config;
use opsdeck::incident;
use opsdeck::sim::fleet::SimFleet;
use opsdeck::sim::{self, SimOptions};

mod args;
use args::{AuditCommand, Cli, Command, ExportFormat, IncidentCommand, Output};

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
