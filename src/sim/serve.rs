//! `opsdeck sim`: start the fleet, write the files asked for (kubeconfig, opsdeck config with
//! its SLO files, OpenMetrics history, alerting rules), say where everything listens, and
//! serve until SIGTERM or SIGINT.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::fleet::{ScenarioPick, SimFleet};
use super::{SimHandle, SimOptions};
use crate::config::ContextConfig;

/// Files `opsdeck sim` writes once it is up; each is optional.
#[derive(Debug, Default, Clone)]
pub struct Outputs {
    /// A kubeconfig for kubectl and opsdeck (one context per cluster).
    pub kubeconfig: Option<PathBuf>,
    /// An opsdeck config pointing at every endpoint the sim serves.
    pub config: Option<PathBuf>,
    /// The last 30 days of the platform's metrics as OpenMetrics.
    pub openmetrics: Option<PathBuf>,
    /// A directory for the alerting rules the sim evaluates, as Prometheus rule files.
    pub rules: Option<PathBuf>,
}

/// Runs the sim until SIGTERM or SIGINT.
pub async fn serve(
    opts: SimOptions,
    picks: &[ScenarioPick],
    clusters: usize,
    outputs: &Outputs,
) -> io::Result<()> {
    let proxies = opts.proxies.clone();
    let fleet = SimFleet::start(clusters, picks, opts).await?;
    let Some((_, sim)) = fleet.sims.first() else {
        return Err(io::Error::other("no cluster to serve"));
    };
    let rule_files = write_outputs(&fleet, sim, outputs)?;
    // Whoever started the sim may have stopped reading: printing must never kill it.
    let say = |line: String| {
        let mut out = io::stdout();
        let _ = writeln!(out, "{line}").and_then(|_| out.flush());
    };
    if fleet.sims.len() > 1 {
        for (name, s) in &fleet.sims {
            say(format!("{name} listening on {}", s.url()));
        }
    } else {
        say(format!("opsdeck sim listening on {}", sim.url()));
    }
    say(format!("platform API on {}", sim.platform_url()));
    say(format!("Prometheus API on {}", sim.prometheus_url()));
    for p in &proxies {
        say(format!(
            "fault proxy {} on {} -> {} (POST /_sim/fault {{\"source\":\"{}\",\"kind\":..}})",
            p.name, p.listen, p.target, p.name
        ));
    }
    if let Some(path) = &outputs.openmetrics {
        say(format!(
            "OpenMetrics history: {} (promtool tsdb create-blocks-from openmetrics {} DIR)",
            path.display(),
            path.display()
        ));
    }
    for path in &rule_files {
        say(format!("alerting rules: {}", path.display()));
    }
    if let Some(path) = &outputs.kubeconfig {
        say(format!(
            "kubeconfig: {} (kubectl --kubeconfig {} get pods -A)",
            path.display(),
            path.display()
        ));
    }
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    fleet.stop().await;
    say("opsdeck sim stopped".into());
    Ok(())
}

/// Writes every file asked for; returns the rule files written.
fn write_outputs(fleet: &SimFleet, sim: &SimHandle, outputs: &Outputs) -> io::Result<Vec<PathBuf>> {
    let many = fleet.sims.len() > 1;
    if let Some(path) = &outputs.openmetrics {
        // A day past 30: a 30-day window evaluated at the export's last sample is then whole
        // (the history itself starts 30 days before the sim, so this is all of it).
        let from = sim.now() - jiff::SignedDuration::from_hours(31 * 24);
        let mut file = io::BufWriter::new(std::fs::File::create(path)?);
        sim.write_openmetrics(from, &mut file)?;
        file.flush()?;
    }
    if let Some(path) = &outputs.kubeconfig {
        let yaml = if many {
            fleet.kubeconfig_yaml()
        } else {
            sim.kubeconfig_yaml()
        };
        std::fs::write(path, yaml)?;
    }
    let rule_files = match &outputs.rules {
        Some(dir) => super::alerts::write_rule_files(dir, &super::alerts::platform_rules())?,
        None => vec![],
    };
    if let Some(path) = &outputs.config {
        let slo_dir = write_example_slos(path, sim.load())?;
        // The first cluster's sources are the config's global ones; the others name theirs.
        let contexts: Vec<ContextConfig> = if many {
            fleet
                .sims
                .iter()
                .enumerate()
                .map(|(i, (n, s))| s.context_config(n, i > 0))
                .collect()
        } else {
            vec![sim.context_config("opsdeck-sim", false)]
        };
        std::fs::write(path, config_toml(sim, &contexts, &slo_dir))?;
    }
    Ok(rule_files)
}

/// The platform's SLO files beside the sim's config (`<config>.slos/`), so the config that
/// points at them works from anywhere; with the load's extra SLOs, their file too.
fn write_example_slos(config: &Path, load: super::load::Load) -> io::Result<PathBuf> {
    let mut dir = config.as_os_str().to_owned();
    dir.push(".slos");
    let dir = std::path::absolute(PathBuf::from(dir))?;
    std::fs::create_dir_all(&dir)?;
    for (name, text) in crate::slo::EXAMPLES {
        std::fs::write(dir.join(name), text)?;
    }
    if let Some(text) = load.slo_file() {
        std::fs::write(dir.join(super::load::SLO_FILE), text)?;
    }
    Ok(dir)
}

/// The opsdeck config for a running sim: Kubernetes, the platform API, Prometheus, OpenCost,
/// the queues it serves over the network (RabbitMQ's management API; with --redis, the Redis
/// queues), its Alertmanager and every service's health endpoints.
fn config_toml(sim: &SimHandle, contexts: &[ContextConfig], slo_dir: &Path) -> String {
    #[derive(serde::Serialize)]
    struct Kubernetes<'a> {
        namespaces: [&'a str; 1],
        context: &'a [ContextConfig],
    }
    #[derive(serde::Serialize)]
    struct Head<'a> {
        kubernetes: Kubernetes<'a>,
    }
    let head = Head {
        kubernetes: Kubernetes {
            namespaces: ["all"],
            context: contexts,
        },
    };
    let mut out = String::from("# Written by `opsdeck sim --config-out`.\n");
    out.push_str(&toml::to_string(&head).unwrap_or_default());
    out.push_str(&format!("\n[platform]\nurl = \"{}\"\n", sim.platform_url()));
    out.push_str(&format!(
        "\n[prometheus]\nurl = \"{}\"\n\n[opencost]\nurl = \"{}\"\n\n[slo]\npaths = [{:?}]\n\n\
         [budget]\nllm_daily_usd = 50\nllm_monthly_usd = 1200\ninfra_monthly_usd = 500\n\
         cost_per_article_usd = 0.05\n",
        sim.prometheus_url(),
        sim.opencost_url(),
        slo_dir.display().to_string()
    ));
    out.push('\n');
    out.push_str(&sim.queue_config_toml());
    out.push('\n');
    out.push_str(&sim.alerting_config_toml());
    out
}
