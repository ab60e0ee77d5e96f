//! A source answered 429 with `Retry-After: N` sends the sim nothing more for N seconds (its
//! own backoff would have retried after 1 s), says so in its reason, and answers again within
//! one step once the fault is cleared: Prometheus, OpenCost, RabbitMQ, Alertmanager, health.

use std::time::{Duration, Instant};

use opsdeck::alerts::AlertMsg;
use opsdeck::alerts::client::Alertmanager;
use opsdeck::alerts::source::spawn_alert_sources;
use opsdeck::clients::prometheus::Prometheus;
use opsdeck::cost::model::CostMsg;
use opsdeck::cost::opencost::OpenCost;
use opsdeck::cost::source::spawn_cost_sources;
use opsdeck::health::answer::Probe;
use opsdeck::health::model::HealthMsg;
use opsdeck::health::source::spawn_health_sources;
use opsdeck::queues::QueueMsg;
use opsdeck::queues::rabbitmq::spawn_rabbitmq_queues;
use opsdeck::sim::fault::{FaultSpec, Faults, Source};
use opsdeck::sim::{self, SimHandle, SimOptions};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// What the sim asks for: longer than the 1 s a source's own backoff starts with.
const ASKED: Duration = Duration::from_secs(2);
/// How often each source polls when all is well.
const EVERY: Duration = Duration::from_secs(1);
/// Requests of one round may still be arriving when its failure is reported.
const SETTLE: Duration = Duration::from_millis(300);
/// Timers and scheduling on a busy machine.
const SLACK: Duration = Duration::from_millis(250);

/// What a source reported, whatever its message type.
#[derive(Debug)]
enum Seen {
    Failed {
        reason: String,
        retry_in: Option<Duration>,
    },
    Answered,
}

impl From<CostMsg> for Seen {
    fn from(msg: CostMsg) -> Self {
        match msg {
            CostMsg::LlmFailed { reason, retry_in } | CostMsg::InfraFailed { reason, retry_in } => {
                Seen::Failed { reason, retry_in }
            }
            CostMsg::Llm { .. } | CostMsg::Infra { .. } => Seen::Answered,
        }
    }
}

impl From<AlertMsg> for Seen {
    fn from(msg: AlertMsg) -> Self {
        match msg {
            AlertMsg::Failed {
                reason, retry_in, ..
            } => Seen::Failed { reason, retry_in },
            AlertMsg::Read { .. } => Seen::Answered,
        }
    }
}

impl From<QueueMsg> for Seen {
    fn from(msg: QueueMsg) -> Self {
        match msg {
            QueueMsg::Failed {
                reason, retry_in, ..
            } => Seen::Failed { reason, retry_in },
            QueueMsg::Sampled(_) => Seen::Answered,
        }
    }
}

/// A health endpoint answering 429 answered, but is not read: what it asked for is the wait
/// (the source polls every [`EVERY`], less than [`ASKED`]).
impl From<HealthMsg> for Seen {
    fn from(msg: HealthMsg) -> Self {
        match msg.ready {
            Probe::Answered(r) if r.code == 429 => Seen::Failed {
                reason: r.note.unwrap_or_default(),
                retry_in: r.retry_after.map(|a| a.max(EVERY)),
            },
            Probe::Answered(_) => Seen::Answered,
            Probe::Unreachable(reason) => Seen::Failed {
                reason,
                retry_in: msg.retry_in,
            },
        }
    }
}

async fn next(rx: &mut mpsc::Receiver<Seen>, within: Duration, what: &str) -> Result<Seen, String> {
    match tokio::time::timeout(within, rx.recv()).await {
        Ok(Some(seen)) => Ok(seen),
        Ok(None) => Err(format!("the source stopped before {what}")),
        Err(_) => Err(format!("nothing within {within:?} ({what})")),
    }
}

/// When the next request of `source` reaches the sim, waiting at most `within`.
async fn next_request(faults: &Faults, source: Source, within: Duration) -> Option<Instant> {
    let seen = faults.hits(source);
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if faults.hits(source) > seen {
            return Some(Instant::now());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

/// One source through a 429 asking for [`ASKED`], then cleared: what went wrong, if anything.
async fn waits_then_recovers(
    sim: &SimHandle,
    source: Source,
    mut rx: mpsc::Receiver<Seen>,
) -> Result<(), String> {
    let faults = sim.faults();
    let first = next(&mut rx, Duration::from_secs(10), "the first 429").await?;
    let failed_at = Instant::now();
    let Seen::Failed { reason, retry_in } = first else {
        return Err(format!("answered through a 429: {first:?}"));
    };
    if !reason.contains("retry after 2 s") || retry_in != Some(ASKED) {
        return Err(format!(
            "the reason and the wait disagree with Retry-After: 2: {reason:?}, {retry_in:?}"
        ));
    }
    tokio::time::sleep(SETTLE).await;
    let retried = next_request(faults, source, ASKED + Duration::from_secs(3)).await;
    let Some(retried) = retried else {
        return Err("never asked again".into());
    };
    let waited = retried - failed_at;
    if waited + SLACK < ASKED {
        return Err(format!(
            "asked again after {waited:?}, not the {ASKED:?} asked for"
        ));
    }
    // Still 429 (asked again): cleared now, it answers within one step (the 2 s asked).
    faults.set(FaultSpec::new(source.name(), "clear").expect("spec"));
    let cleared_at = Instant::now();
    loop {
        let within = (ASKED + Duration::from_secs(3)).saturating_sub(cleared_at.elapsed());
        match next(&mut rx, within, "an answer after the fault is cleared").await? {
            Seen::Answered => break,
            Seen::Failed { .. } => {}
        }
    }
    // And it keeps its own cadence again.
    match next(&mut rx, EVERY + Duration::from_secs(2), "the next round").await? {
        Seen::Answered => Ok(()),
        other => Err(format!("failed again after recovering: {other:?}")),
    }
}

/// Starts each source on its own channel, polling every [`EVERY`].
fn spawn_sources(
    sim: &SimHandle,
    token: &CancellationToken,
) -> Vec<(Source, mpsc::Receiver<Seen>)> {
    let timeout = Duration::from_secs(5);
    let channel = |source: Source| {
        let (tx, rx) = mpsc::channel::<Seen>(64);
        (tx, (source, rx))
    };
    let (prom_tx, prom) = channel(Source::Prometheus);
    let prometheus = Prometheus::new(&sim.prometheus_url(), None, timeout).expect("prometheus");
    spawn_cost_sources(
        Some(prometheus),
        None,
        (EVERY, EVERY),
        prom_tx,
        token.clone(),
    );
    let (oc_tx, oc) = channel(Source::Opencost);
    let opencost = OpenCost::new(&sim.opencost_url(), None, timeout).expect("opencost");
    spawn_cost_sources(None, Some(opencost), (EVERY, EVERY), oc_tx, token.clone());
    let (rabbit_tx, rabbit) = channel(Source::Rabbitmq);
    spawn_rabbitmq_queues(&sim.queue_configs(), EVERY, rabbit_tx, token.clone());
    let (am_tx, am) = channel(Source::Alertmanager);
    let instances = sim.alertmanager_configs()[..1]
        .iter()
        .map(|c| Alertmanager::new(c, timeout).expect("alertmanager"))
        .collect();
    spawn_alert_sources(instances, EVERY, am_tx, token.clone());
    let (health_tx, health) = channel(Source::Health);
    let one_service = sim.health_configs()[..1].to_vec();
    spawn_health_sources(one_service, EVERY, timeout, health_tx, token.clone());
    vec![prom, oc, rabbit, am, health]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_with_retry_after_holds_every_http_source_back_that_long() {
    let sources = [
        Source::Prometheus,
        Source::Opencost,
        Source::Rabbitmq,
        Source::Alertmanager,
        Source::Health,
    ];
    let faults = sources
        .iter()
        .map(|s| FaultSpec::new(s.name(), "429:2").expect("spec"))
        .collect();
    let sim = sim::start(SimOptions {
        faults,
        ..SimOptions::default()
    })
    .await
    .expect("sim starts");
    let token = CancellationToken::new();
    let runs = spawn_sources(&sim, &token).into_iter().map(|(source, rx)| {
        let sim = &sim;
        async move { (source, waits_then_recovers(sim, source, rx).await) }
    });
    let failures: Vec<String> = futures::future::join_all(runs)
        .await
        .into_iter()
        .filter_map(|(source, r)| r.err().map(|e| format!("{source}: {e}")))
        .collect();
    token.cancel();
    sim.stop().await;
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
