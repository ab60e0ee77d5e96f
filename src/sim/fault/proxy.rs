//! A TCP proxy that puts faults in front of a real server (redis-server, rabbitmq-server):
//! bytes pass both ways until told to refuse (its port is really closed: ECONNREFUSED, and open
//! connections are reset), go silent, trickle the replies, or cut the next reply in half.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::body::TRICKLE;

/// What the proxy does to the bytes of the server's replies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProxyFault {
    /// The port is closed (new connections are refused) and open ones are reset.
    Refused,
    /// Connections are accepted and requests forwarded, but nothing comes back.
    Silent,
    /// Replies trickle, a byte every 500 ms.
    Slow,
    /// The next reply is cut in the middle and the connection reset.
    Cut,
}

impl ProxyFault {
    /// The proxy's form of a sim fault kind (`truncated` and `midstream` cut the reply); None
    /// for kinds a byte pipe cannot show (status codes, bodies).
    pub fn of(kind: super::Kind) -> Option<ProxyFault> {
        use super::Kind;
        match kind {
            Kind::Refused => Some(ProxyFault::Refused),
            Kind::Silent => Some(ProxyFault::Silent),
            Kind::Slow => Some(ProxyFault::Slow),
            Kind::Truncated | Kind::Midstream => Some(ProxyFault::Cut),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ProxyFault::Refused => "refused",
            ProxyFault::Silent => "silent",
            ProxyFault::Slow => "slow",
            ProxyFault::Cut => "truncated",
        }
    }
}

/// `--fault-proxy NAME=LISTEN->TARGET`, e.g. `redis=127.0.0.1:7000->127.0.0.1:6379`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxySpec {
    pub name: String,
    pub listen: SocketAddr,
    pub target: String,
}

impl std::str::FromStr for ProxySpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "{s:?}: expected NAME=LISTEN->TARGET, e.g. redis=127.0.0.1:7000->127.0.0.1:6379"
            )
        };
        let (name, rest) = s.split_once('=').ok_or_else(bad)?;
        let (listen, target) = rest.split_once("->").ok_or_else(bad)?;
        if name.is_empty() || target.is_empty() || name.parse::<super::Source>().is_ok() {
            return Err(format!("{}; NAME must not be a sim source", bad()));
        }
        Ok(ProxySpec {
            name: name.to_string(),
            listen: listen.parse().map_err(|e| format!("{}: {e}", bad()))?,
            target: target.to_string(),
        })
    }
}

/// Sets a running proxy's fault from elsewhere (the sim's control endpoint).
#[derive(Clone)]
pub struct ProxyHandle(watch::Sender<Option<ProxyFault>>);

impl ProxyHandle {
    pub fn set(&self, fault: Option<ProxyFault>) {
        self.0.send_replace(fault);
    }

    pub fn get(&self) -> Option<ProxyFault> {
        *self.0.borrow()
    }
}

type Faults = watch::Receiver<Option<ProxyFault>>;

pub struct FaultProxy {
    addr: SocketAddr,
    fault: watch::Sender<Option<ProxyFault>>,
    cancel: CancellationToken,
    task: JoinHandle<()>,
}

impl FaultProxy {
    /// Listens on `listen` (port 0: a free one) and forwards each connection to `target`.
    pub async fn start(listen: SocketAddr, target: String) -> io::Result<FaultProxy> {
        let listener = TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let (fault, faults) = watch::channel(None);
        let cancel = CancellationToken::new();
        let task = tokio::spawn(serve(listener, addr, target, faults, cancel.clone()));
        Ok(FaultProxy {
            addr,
            fault,
            cancel,
            task,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Sets the fault; None lets bytes pass again.
    pub fn set(&self, fault: Option<ProxyFault>) {
        self.fault.send_replace(fault);
    }

    pub fn handle(&self) -> ProxyHandle {
        ProxyHandle(self.fault.clone())
    }

    pub async fn stop(self) {
        self.cancel.cancel();
        let _ = self.task.await;
    }
}

async fn serve(
    listener: TcpListener,
    addr: SocketAddr,
    target: String,
    mut faults: Faults,
    cancel: CancellationToken,
) {
    let mut listener = Some(listener);
    loop {
        let refused = *faults.borrow_and_update() == Some(ProxyFault::Refused);
        if refused {
            // Closing the listener is what makes the kernel refuse new connections.
            listener = None;
        } else if listener.is_none() {
            match TcpListener::bind(addr).await {
                Ok(l) => listener = Some(l),
                Err(e) => {
                    tracing::warn!("fault proxy cannot listen on {addr} again: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            }
        }
        let accept = async {
            match &listener {
                Some(l) => l.accept().await.ok(),
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = cancel.cancelled() => return,
            changed = faults.changed() => if changed.is_err() { return },
            accepted = accept => if let Some((client, _)) = accepted {
                tokio::spawn(connection(client, target.clone(), faults.clone(), cancel.clone()));
            },
        }
    }
}

async fn connection(
    mut client: TcpStream,
    target: String,
    faults: Faults,
    cancel: CancellationToken,
) {
    let Ok(mut server) = TcpStream::connect(&target).await else {
        let _ = client.set_zero_linger();
        return;
    };
    let outcome = {
        let (cr, cw) = client.split();
        let (sr, sw) = server.split();
        tokio::select! {
            () = cancel.cancelled() => Ok(()),
            r = upstream(cr, sw, faults.clone()) => r,
            r = downstream(sr, cw, faults) => r,
        }
    };
    if outcome.is_err() {
        // An RST, as when a server or a middlebox drops the connection.
        let _ = client.set_zero_linger();
    }
}

fn reset() -> io::Error {
    io::Error::from(io::ErrorKind::ConnectionReset)
}

/// Client to server: passes, until the proxy refuses.
async fn upstream(
    mut from: impl AsyncRead + Unpin,
    mut to: impl AsyncWrite + Unpin,
    mut faults: Faults,
) -> io::Result<()> {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        if *faults.borrow_and_update() == Some(ProxyFault::Refused) {
            return Err(reset());
        }
        tokio::select! {
            n = from.read(&mut buf) => match n? {
                0 => return Ok(()),
                n => to.write_all(&buf[..n]).await?,
            },
            changed = faults.changed() => changed.map_err(|_| reset())?,
        }
    }
}

/// Server to client: where the faults spoil the replies.
async fn downstream(
    mut from: impl AsyncRead + Unpin,
    mut to: impl AsyncWrite + Unpin,
    mut faults: Faults,
) -> io::Result<()> {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let fault = *faults.borrow_and_update();
        match fault {
            Some(ProxyFault::Refused) => return Err(reset()),
            Some(ProxyFault::Silent) => {
                faults.changed().await.map_err(|_| reset())?;
                continue;
            }
            _ => {}
        }
        let n = tokio::select! {
            n = from.read(&mut buf) => n?,
            changed = faults.changed() => { changed.map_err(|_| reset())?; continue; }
        };
        if n == 0 {
            return Ok(());
        }
        match fault {
            Some(ProxyFault::Slow) => {
                for byte in &buf[..n] {
                    tokio::time::sleep(TRICKLE).await;
                    to.write_all(std::slice::from_ref(byte)).await?;
                }
            }
            Some(ProxyFault::Cut) => {
                to.write_all(&buf[..n.div_ceil(2).min(n.saturating_sub(1)).max(1)])
                    .await?;
                return Err(reset());
            }
            _ => to.write_all(&buf[..n]).await?,
        }
    }
}
