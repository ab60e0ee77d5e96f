//! The simulated platform: an in-process world evolving in time, served over a loopback
//! Kubernetes API that the real kubectl and kube-rs accept.

pub mod addresses;
pub mod alertmanager_api;
pub mod alerts;
pub mod clock;
pub mod fault;
pub mod fleet;
pub mod health;
pub mod kube_api;
pub mod load;
pub mod metrics;
pub mod opencost_api;
pub mod platform_api;
pub mod rabbitmq_api;
pub mod redis;
pub mod scenarios;
mod selector;
pub mod serve;
mod util;
pub mod world;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use kube_api::{ArrivalProbe, RequestRecord, ReviewAnswer};
pub use scenarios::Scenario;

const TICK: Duration = Duration::from_millis(250);

#[derive(Clone, Debug)]
pub struct SimOptions {
    /// Port 0 picks a free one.
    pub listen: SocketAddr,
    pub scenario: Option<Scenario>,
    /// Approximate total pod count; None is PLATFORM.md's natural world.
    pub pods: Option<usize>,
    /// Resource plurals that answer 403 for every verb.
    pub forbidden: Vec<String>,
    /// Where the platform's own HTTP API listens; None is a free loopback port.
    pub platform_listen: Option<SocketAddr>,
    /// The identity of `kubeconfig_yaml()` and of requests without a known token:
    /// `viewer` may only read. None is `sim-admin`.
    pub user: Option<String>,
    /// The instant the world's time starts at (then it advances in real time); None is now.
    /// Tests pin it so nothing they assert depends on the calendar.
    pub start_at: Option<Timestamp>,
    /// A Redis (`redis://host:port/db`, no password) to write the Celery, RQ and stream queues
    /// into, as the platform's workers would; None keeps them in process only.
    pub redis: Option<String>,
    /// Faults in force from the start (`--fault SOURCE=KIND`); the control endpoint changes them.
    pub faults: Vec<fault::FaultSpec>,
    /// TCP fault proxies in front of real servers (`--fault-proxy`), set through the control
    /// endpoint by name.
    pub proxies: Vec<fault::proxy::ProxySpec>,
    /// Load on top of the platform (`--load`, `--churn`, `--extra-*`); off by default.
    pub load: load::Load,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            scenario: None,
            pods: None,
            forbidden: vec![],
            platform_listen: None,
            user: None,
            start_at: None,
            redis: None,
            faults: vec![],
            proxies: vec![],
            load: load::Load::default(),
        }
    }
}

/// A running sim: its address, and how to stop it.
pub struct SimHandle {
    addr: SocketAddr,
    platform_addr: SocketAddr,
    user: String,
    shared: Arc<kube_api::Shared>,
    cancel: CancellationToken,
    server: Option<JoinHandle<()>>,
    platform: Option<JoinHandle<()>>,
    ticker: Option<JoinHandle<()>>,
    redis_url: Option<String>,
    redis_writer: Option<JoinHandle<()>>,
    faults: Arc<fault::Faults>,
    proxies: Vec<fault::proxy::FaultProxy>,
    load: load::Load,
}

impl Drop for SimHandle {
    /// A handle dropped without `stop()` still shuts the sim down (in the background).
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

impl SimHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The faults in force, to set and clear from tests (the control endpoint does the same).
    pub fn faults(&self) -> &fault::Faults {
        &self.faults
    }

    /// The sim's now (its clock, which need not be the wall clock's).
    pub fn now(&self) -> Timestamp {
        self.shared.clock.now()
    }

    /// Reads the sim's Redis-backed queues in process: the demo's stand-in for the Redis
    /// source (which reads a real Redis in production). RabbitMQ queues are not here: the
    /// demo reads them over the sim's management API, as it would a real broker.
    pub fn queue_sampler(
        &self,
    ) -> impl Fn() -> Vec<crate::queues::QueueSample> + Send + Sync + 'static {
        let shared = Arc::clone(&self.shared);
        move || {
            let w = shared.world();
            let mut samples = w.queues.samples(w.now().as_millisecond());
            samples.retain(|s| s.kind != Some(crate::config::QueueKind::Rabbitmq));
            samples
        }
    }

    /// The load on top of the platform (`SimOptions::load`).
    pub fn load(&self) -> load::Load {
        self.load
    }

    /// The extra SLOs of the load (`--extra-slos`), as the file `--config-out` writes.
    pub fn load_slos(&self) -> Result<Vec<crate::slo::Slo>, Vec<crate::slo::SloFileError>> {
        match self.load.slo_file() {
            Some(text) => crate::slo::parse_file(&text, std::path::Path::new(load::SLO_FILE)),
            None => Ok(vec![]),
        }
    }

    /// Every stored sample from `from` to the newest, as OpenMetrics for `promtool tsdb
    /// create-blocks-from openmetrics`; returns the newest sample's time. The metrics are
    /// copied under the world's lock and written outside it, so the sim keeps ticking.
    pub fn write_openmetrics(
        &self,
        from: Timestamp,
        out: &mut impl std::io::Write,
    ) -> std::io::Result<Timestamp> {
        let metrics = self.shared.world().metrics.clone();
        let to_ms = metrics.last_sample_ms();
        metrics::write_openmetrics(&metrics, from.as_millisecond(), to_ms, out)?;
        Timestamp::from_millisecond(to_ms).map_err(std::io::Error::other)
    }

    /// Every Kubernetes API request answered so far, and every platform API request but a
    /// read (bounded, oldest first).
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared.requests.snapshot()
    }

    /// Runs `probe` on each Kubernetes API request (and platform API write) as it arrives,
    /// before it is answered, and keeps its answer on the request's record (`RequestRecord::witness`): what a test saw at
    /// that instant (an audit log's lines, say). Replaces any earlier probe.
    pub fn on_arrival(&self, probe: ArrivalProbe) {
        *self
            .shared
            .probe
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(probe);
    }

    /// Stop serving: watches and log streams end, the world stops, the port is free again.
    pub async fn stop(mut self) {
        self.cancel.cancel();
        for server in [self.server.take(), self.platform.take()]
            .into_iter()
            .flatten()
        {
            let abort = server.abort_handle();
            if tokio::time::timeout(Duration::from_secs(3), server)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
        for proxy in std::mem::take(&mut self.proxies) {
            proxy.stop().await;
        }
        for task in [self.ticker.take(), self.redis_writer.take()]
            .into_iter()
            .flatten()
        {
            let _ = task.await;
        }
    }
}

/// Build the world and start serving it on `opts.listen`.
pub async fn start(opts: SimOptions) -> std::io::Result<SimHandle> {
    if let Some(url) = &opts.redis {
        check_redis_url(url)?;
    }
    let listener = tokio::net::TcpListener::bind(opts.listen).await?;
    let addr = listener.local_addr()?;
    let platform_listener = tokio::net::TcpListener::bind(
        opts.platform_listen
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0))),
    )
    .await?;
    let platform_addr = platform_listener.local_addr()?;
    let user = opts
        .user
        .clone()
        .unwrap_or_else(|| kube_api::ADMIN.to_string());
    let cancel = CancellationToken::new();
    let (scenario, pods, load) = (opts.scenario, opts.pods, opts.load);
    let clock = clock::SimClock::starting_at(opts.start_at);
    // Building a 50k-pod world takes a moment: keep it off the async workers.
    let world = tokio::task::spawn_blocking(move || {
        world::World::new(scenario, pods, clock.now()).with_load(load)
    })
    .await
    .map_err(std::io::Error::other)?;
    let shared = Arc::new(
        kube_api::Shared::new(world, clock, opts.forbidden.clone(), cancel.clone())
            .with_default_user(&user),
    );
    shared
        .world()
        .alerts
        .engine
        .set_external_url(format!("http://{platform_addr}"));
    let ticker = tokio::spawn(run_world(shared.clone()));
    let redis_writer = opts
        .redis
        .clone()
        .map(|url| redis::spawn(shared.clone(), url));
    let faults = faults_of(&shared, &opts.faults);
    let mut proxies = vec![];
    for p in &opts.proxies {
        let proxy = fault::proxy::FaultProxy::start(p.listen, p.target.clone()).await?;
        proxies.push((p.name.clone(), proxy));
    }
    let ctx = |port| fault::layer::FaultCtx {
        faults: faults.clone(),
        port,
        cancel: cancel.clone(),
    };
    let api = fault::layer::wrap(
        kube_api::router(shared.clone()),
        ctx(fault::layer::Port::Api),
    );
    let server = serve(listener, api, &cancel, "API");
    let platform_routes = platform_api::router(shared.clone())
        .merge(rabbitmq_api::router(shared.clone()))
        .merge(opencost_api::router(shared.clone()))
        .merge(alertmanager_api::router(shared.clone()))
        .merge(health::router(shared.clone()))
        .merge(metrics::http::router(shared.clone()));
    let platform_routes = fault::layer::wrap(platform_routes, ctx(fault::layer::Port::Platform))
        .merge(fault::control::router(Arc::new(fault::control::Control {
            faults: faults.clone(),
            proxies: proxies
                .iter()
                .map(|(n, p)| (n.clone(), p.handle()))
                .collect(),
        })));
    let platform = serve(platform_listener, platform_routes, &cancel, "platform");
    Ok(SimHandle {
        addr,
        platform_addr,
        user,
        shared,
        cancel,
        server: Some(server),
        platform: Some(platform),
        ticker: Some(ticker),
        redis_url: opts.redis,
        redis_writer,
        faults,
        proxies: proxies.into_iter().map(|(_, p)| p).collect(),
        load,
    })
}

/// The sim's faults, those asked for at start in force; `gone` expires what came before now.
fn faults_of(shared: &Arc<kube_api::Shared>, specs: &[fault::FaultSpec]) -> Arc<fault::Faults> {
    let world = Arc::clone(shared);
    let faults = Arc::new(fault::Faults::new(Arc::new(move || world.world().log.rv)));
    for spec in specs {
        faults.set(*spec);
    }
    faults
}

/// The sim's Redis URL must parse, and carry no password: the config it writes is read by
/// opsdeck, which takes Redis passwords only from the environment (`password_env`).
fn check_redis_url(url: &str) -> std::io::Result<()> {
    let invalid = |why: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, why);
    match ::redis::parse_redis_url(url) {
        None => Err(invalid(format!(
            "--redis {url:?}: not a redis URL (redis://host:port/db)"
        ))),
        Some(u) if u.password().is_some() => Err(invalid(format!(
            "--redis {}: carries a password; the sim's Redis must not need one",
            crate::queues::redis::redact_url(url)
        ))),
        Some(_) => Ok(()),
    }
}

fn serve(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    cancel: &CancellationToken,
    what: &'static str,
) -> JoinHandle<()> {
    let stop = cancel.clone();
    // Connections carry a handle the fault layer can reset them by (`refused`).
    let listener = fault::conn::FaultListener(listener);
    let app = app.into_make_service_with_connect_info::<fault::conn::ConnHandle>();
    tokio::spawn(async move {
        let serve = axum::serve(listener, app).with_graceful_shutdown(stop.cancelled_owned());
        if let Err(e) = serve.await {
            tracing::warn!("sim {what} server stopped: {e}");
        }
    })
}

async fn run_world(shared: Arc<kube_api::Shared>) {
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shared.cancel.cancelled() => return,
            _ = tick.tick() => {
                let now = shared.clock.now();
                shared.world().tick(now);
            }
        }
    }
}
