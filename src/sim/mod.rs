//! The simulated platform: an in-process world evolving in time, served over a loopback
//! Kubernetes API that the real kubectl and kube-rs accept.

pub mod kube_api;
pub mod scenarios;
mod selector;
mod util;
pub mod world;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

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
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            scenario: None,
            pods: None,
            forbidden: vec![],
        }
    }
}

/// A running sim: its address, and how to stop it.
pub struct SimHandle {
    addr: SocketAddr,
    cancel: CancellationToken,
    server: Option<JoinHandle<()>>,
    ticker: Option<JoinHandle<()>>,
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

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn kubeconfig_yaml(&self) -> String {
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: opsdeck-sim\n  cluster:\n    server: {}\ncontexts:\n- name: opsdeck-sim\n  context:\n    cluster: opsdeck-sim\n    user: sim-admin\n    namespace: contentgen\ncurrent-context: opsdeck-sim\nusers:\n- name: sim-admin\n  user:\n    token: sim-admin\npreferences: {{}}\n",
            self.url()
        )
    }

    /// Stop serving: watches and log streams end, the world stops, the port is free again.
    pub async fn stop(mut self) {
        self.cancel.cancel();
        if let Some(server) = self.server.take() {
            let abort = server.abort_handle();
            if tokio::time::timeout(Duration::from_secs(3), server)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
        if let Some(ticker) = self.ticker.take() {
            let _ = ticker.await;
        }
    }
}

/// Build the world and start serving it on `opts.listen`.
pub async fn start(opts: SimOptions) -> std::io::Result<SimHandle> {
    let listener = tokio::net::TcpListener::bind(opts.listen).await?;
    let addr = listener.local_addr()?;
    let cancel = CancellationToken::new();
    let (scenario, pods) = (opts.scenario, opts.pods);
    // Building a 50k-pod world takes a moment: keep it off the async workers.
    let world =
        tokio::task::spawn_blocking(move || world::World::new(scenario, pods, Timestamp::now()))
            .await
            .map_err(std::io::Error::other)?;
    let shared = Arc::new(kube_api::Shared::new(
        world,
        opts.forbidden.clone(),
        cancel.clone(),
    ));
    let ticker = tokio::spawn(run_world(shared.clone()));
    let app = kube_api::router(shared);
    let stop = cancel.clone();
    let server = tokio::spawn(async move {
        let serve = axum::serve(listener, app).with_graceful_shutdown(stop.cancelled_owned());
        if let Err(e) = serve.await {
            tracing::warn!("sim API server stopped: {e}");
        }
    });
    Ok(SimHandle {
        addr,
        cancel,
        server: Some(server),
        ticker: Some(ticker),
    })
}

async fn run_world(shared: Arc<kube_api::Shared>) {
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shared.cancel.cancelled() => return,
            _ = tick.tick() => shared.world().tick(Timestamp::now()),
        }
    }
}
