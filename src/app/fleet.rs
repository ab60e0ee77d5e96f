//! Every context the console watches, each on its own: its client is built in the background,
//! all contexts at once, each bounded in time (a hanging exec plugin or a server that never
//! answers delays nobody else), then asked for its version before its watches start. A context
//! that cannot be reached marks its rows stale with the reason and is tried again with backoff.
//! Once watching, a context is asked its version again every [`HEARTBEAT`]: a server that stops
//! answering with its watches open is said within that and [`PROBE_TIMEOUT`], its watches are
//! stopped, and they start over (a fresh list) when it answers again.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kube::Client;
use kube::config::Kubeconfig;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::cluster::connect::connect_context;
use crate::cluster::failure::{asked_wait_of, describe_client};
use crate::cluster::model::{ClusterMsg, SourceEvent};
use crate::cluster::snapshot::expected;
use crate::cluster::source::{Namespaces, Sender, spawn_watches};
use crate::k8s::context::ContextName;
use crate::status::Backoff;

/// How long a reachable API server takes at most to say its version.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(10);
/// How often a context being watched is asked its version. Its watches alone notice a silent
/// server only after their own length, kube's idle margin and the read timeout (55 s).
pub const HEARTBEAT: Duration = Duration::from_secs(10);

/// One context to watch, and how to reach it.
#[derive(Clone)]
pub struct ClusterSpec {
    pub name: ContextName,
    /// The merged kubeconfig it is read from.
    pub kubeconfig: Arc<Kubeconfig>,
}

/// The connected contexts' clients, and the watches they feed.
#[derive(Clone)]
pub struct Fleet {
    inner: Arc<Mutex<Inner>>,
    /// The first context: what an unnamed target means.
    first: ContextName,
    /// Ends the fleet: every watch, and every context still connecting.
    stopped: CancellationToken,
    /// Where contexts added later (`:ctx`) are read from.
    kubeconfig: Option<Arc<Kubeconfig>>,
}

struct Inner {
    namespaces: Namespaces,
    /// Cancels every watch (a new child of `stopped` per rewatch).
    watches: CancellationToken,
    /// Each watched context's own watches (children of `watches`).
    watching: BTreeMap<ContextName, CancellationToken>,
    clients: BTreeMap<ContextName, Clients>,
    /// Why a context has no client yet.
    failures: BTreeMap<ContextName, String>,
    /// Connected contexts that stopped answering: not watched until they answer again.
    silent: BTreeSet<ContextName>,
}

/// A connected context's clients (see `connect::Connection`): one for requests and watches,
/// one with no read timeout for log follows.
#[derive(Clone)]
struct Clients {
    api: Client,
    follow: Client,
}

impl Fleet {
    /// Starts connecting every context; each starts its watches once it answers. Everything
    /// stops with `stop`.
    pub fn start<M: From<ClusterMsg> + Send + 'static>(
        specs: &[ClusterSpec],
        namespaces: &Namespaces,
        tx: mpsc::Sender<M>,
    ) -> Fleet {
        let stopped = CancellationToken::new();
        let fleet = Fleet {
            inner: Arc::new(Mutex::new(Inner {
                namespaces: namespaces.clone(),
                watches: stopped.child_token(),
                watching: BTreeMap::new(),
                clients: BTreeMap::new(),
                failures: BTreeMap::new(),
                silent: BTreeSet::new(),
            })),
            first: specs.first().map(|s| s.name.clone()).unwrap_or_default(),
            stopped,
            kubeconfig: specs.first().map(|s| s.kubeconfig.clone()),
        };
        for spec in specs {
            fleet.spawn_connect(spec.clone(), tx.clone());
        }
        fleet
    }

    fn spawn_connect<M: From<ClusterMsg> + Send + 'static>(
        &self,
        spec: ClusterSpec,
        tx: mpsc::Sender<M>,
    ) {
        let (fleet, stop) = (self.clone(), self.stopped.clone());
        tokio::spawn(async move {
            tokio::select! {
                _ = stop.cancelled() => {}
                _ = fleet.connect(spec, tx) => {}
            }
        });
    }

    /// Starts connecting contexts of the kubeconfig not watched yet (`:ctx`). One the
    /// kubeconfig does not have goes stale, saying so.
    pub fn add<M: From<ClusterMsg> + Send + 'static>(
        &self,
        names: &[String],
        tx: &mpsc::Sender<M>,
    ) {
        let Some(kubeconfig) = self.kubeconfig.clone() else {
            return;
        };
        for name in names {
            let spec = ClusterSpec {
                name: ContextName::new(name),
                kubeconfig: kubeconfig.clone(),
            };
            self.spawn_connect(spec, tx.clone());
        }
    }

    /// A fleet of clients already built (tests, and the headless paths that build their own).
    pub fn of_clients(clients: Vec<(ContextName, Client)>, namespaces: &Namespaces) -> Fleet {
        let first = clients.first().map(|(n, _)| n.clone()).unwrap_or_default();
        let stopped = CancellationToken::new();
        Fleet {
            inner: Arc::new(Mutex::new(Inner {
                namespaces: namespaces.clone(),
                watches: stopped.child_token(),
                clients: clients
                    .into_iter()
                    .map(|(name, c)| {
                        let both = Clients {
                            api: c.clone(),
                            follow: c,
                        };
                        (name, both)
                    })
                    .collect(),
                failures: BTreeMap::new(),
                watching: BTreeMap::new(),
                silent: BTreeSet::new(),
            })),
            first,
            stopped,
            kubeconfig: None,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Connects one context until it answers, starts its watches, then keeps asking it.
    async fn connect<M: From<ClusterMsg> + Send + 'static>(
        &self,
        spec: ClusterSpec,
        tx: mpsc::Sender<M>,
    ) {
        let sender = Sender::new(tx.clone(), spec.name.clone());
        let mut backoff = Backoff::default();
        let conn = loop {
            let (reason, asked) =
                match connect_context((*spec.kubeconfig).clone(), &spec.name).await {
                    Ok(conn) => match probe(&conn.client).await {
                        Ok(()) => break conn,
                        Err((why, asked)) => (at_url(&why, &conn.cluster_url), asked),
                    },
                    Err(why) => (why, None),
                };
            let retry_in = backoff.next_delay_asked(asked);
            tracing::warn!(context = %spec.name, reason, "context unreachable");
            self.lock()
                .failures
                .insert(spec.name.clone(), reason.clone());
            if !self.say_stale(&sender, &reason, retry_in).await {
                return;
            }
            tokio::time::sleep(retry_in).await;
        };
        let client = conn.client.clone();
        {
            let mut inner = self.lock();
            inner.failures.remove(&spec.name);
            let both = Clients {
                api: conn.client,
                follow: conn.follow_client,
            };
            inner.clients.insert(spec.name.clone(), both);
            inner.watch(&spec.name, &tx);
        }
        self.heartbeat(&spec.name, &client, &conn.cluster_url, &sender, &tx)
            .await;
    }

    /// Asks a watched context its version every [`HEARTBEAT`]. One that stops answering goes
    /// stale with the reason and its watches stop; they start again when it answers.
    async fn heartbeat<M: From<ClusterMsg> + Send + 'static>(
        &self,
        name: &ContextName,
        client: &Client,
        cluster_url: &str,
        sender: &Sender<M>,
        tx: &mpsc::Sender<M>,
    ) {
        let mut backoff = Backoff::default();
        let mut wait = HEARTBEAT;
        loop {
            tokio::time::sleep(wait).await;
            match probe(client).await {
                Ok(()) => {
                    let mut inner = self.lock();
                    if inner.silent.remove(name) {
                        tracing::info!(context = %name, "context answers again");
                        inner.watch(name, tx);
                        backoff.reset();
                    }
                    wait = HEARTBEAT;
                }
                Err((why, asked)) => {
                    let reason = at_url(&why, cluster_url);
                    wait = backoff.next_delay_asked(asked);
                    tracing::warn!(context = %name, reason, "context stopped answering");
                    {
                        let mut inner = self.lock();
                        inner.silent.insert(name.clone());
                        if let Some(watches) = inner.watching.remove(name) {
                            watches.cancel();
                        }
                    }
                    if !self.say_stale(sender, &reason, wait).await {
                        return;
                    }
                }
            }
        }
    }

    /// Marks every watch the context has (or would have) stale, with the reason. False when
    /// the UI has gone away.
    async fn say_stale<M: From<ClusterMsg>>(
        &self,
        sender: &Sender<M>,
        reason: &str,
        retry_in: Duration,
    ) -> bool {
        let namespaces = self.lock().namespaces.clone();
        for (resource, scope) in expected(&namespaces) {
            let event = SourceEvent::Failed {
                reason: reason.to_string(),
                retry_in: Some(retry_in),
            };
            if !sender.send(resource, &scope, event).await {
                return false;
            }
        }
        true
    }

    /// The client of `context` ("" is the first), or why there is none.
    pub fn client(&self, context: &str) -> Result<Client, String> {
        self.clients(context).map(|c| c.api)
    }

    /// The client for following a log in `context`: it has no read timeout.
    pub fn follow_client(&self, context: &str) -> Result<Client, String> {
        self.clients(context).map(|c| c.follow)
    }

    fn clients(&self, context: &str) -> Result<Clients, String> {
        let name = if context.is_empty() {
            self.first.clone()
        } else {
            ContextName::new(context)
        };
        let inner = self.lock();
        if let Some(c) = inner.clients.get(&name) {
            return Ok(c.clone());
        }
        Err(match inner.failures.get(&name) {
            Some(why) => format!("context {name} is unreachable: {why}"),
            None if inner.failures.is_empty() && inner.clients.is_empty() => {
                format!("context {name} is still connecting")
            }
            None => format!("context {name} is not connected yet"),
        })
    }

    pub fn first(&self) -> &ContextName {
        &self.first
    }

    /// Watches other namespaces from now on, in every connected context.
    pub fn rewatch<M: From<ClusterMsg> + Send + 'static>(
        &self,
        namespaces: &Namespaces,
        tx: &mpsc::Sender<M>,
    ) {
        let mut inner = self.lock();
        inner.watches.cancel();
        inner.watches = self.stopped.child_token();
        inner.watching.clear();
        inner.namespaces = namespaces.clone();
        let answering: Vec<ContextName> = (inner.clients.keys())
            .filter(|name| !inner.silent.contains(*name))
            .cloned()
            .collect();
        for name in &answering {
            inner.watch(name, tx);
        }
    }

    /// Stops every watch and every context still connecting.
    pub fn stop(&self) {
        self.stopped.cancel();
    }
}

impl Inner {
    /// Starts the context's watches, in its own token so that they can stop alone.
    fn watch<M: From<ClusterMsg> + Send + 'static>(
        &mut self,
        name: &ContextName,
        tx: &mpsc::Sender<M>,
    ) {
        let Some(clients) = self.clients.get(name) else {
            return;
        };
        let token = self.watches.child_token();
        spawn_watches(&clients.api, name, &self.namespaces, tx.clone(), &token);
        if let Some(old) = self.watching.insert(name.clone(), token) {
            old.cancel();
        }
    }
}

/// A probe's failure, with the server it was asked of (never with a password in it).
fn at_url(why: &str, cluster_url: &str) -> String {
    format!("{why} ({})", cluster_url.trim_end_matches('/'))
}

/// A reachable server says its version; one that accepts the connection and never answers,
/// or refuses who we are, is said here rather than by watches hanging for minutes.
/// The error says why, and how long the server asked to be left alone (a 429's wait).
async fn probe(client: &Client) -> Result<(), (String, Option<Duration>)> {
    match tokio::time::timeout(PROBE_TIMEOUT, client.apiserver_version()).await {
        Err(_) => Err((format!("no answer in {} s", PROBE_TIMEOUT.as_secs()), None)),
        Ok(Ok(_)) => Ok(()),
        Ok(Err(kube::Error::Api(status))) if status.code == 401 => Err((
            format!("unauthorized (expired token?): {}", status.message),
            None,
        )),
        // Some clusters refuse /version to the anonymous or the narrow: the watches then say
        // what they may see.
        Ok(Err(kube::Error::Api(status))) if status.code == 403 => Ok(()),
        Ok(Err(e)) => Err((describe_client(&e), asked_wait_of(&e))),
    }
}
