//! Connections the fault layer can reset: `refused` cannot be a true ECONNREFUSED when other
//! sources share the port, so the connection is accepted, its request read, and then it is
//! reset (SO_LINGER 0, so the peer gets an RST, not a clean close) before any byte is answered.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// One accepted connection's kill switch, reachable from a request's extensions.
#[derive(Clone, Debug)]
pub struct ConnHandle {
    pub peer: SocketAddr,
    killed: Arc<AtomicBool>,
}

impl ConnHandle {
    /// From now on the connection fails every read and write; when dropped it is reset.
    pub fn kill(&self) {
        self.killed.store(true, Ordering::SeqCst);
    }
}

/// A TCP listener whose connections carry a [`ConnHandle`].
pub struct FaultListener(pub TcpListener);

impl Listener for FaultListener {
    type Io = Killable;
    type Addr = ConnHandle;

    async fn accept(&mut self) -> (Killable, ConnHandle) {
        let (stream, peer) = Listener::accept(&mut self.0).await;
        let killed = Arc::new(AtomicBool::new(false));
        let io = Killable {
            inner: stream,
            killed: killed.clone(),
        };
        (io, ConnHandle { peer, killed })
    }

    fn local_addr(&self) -> io::Result<ConnHandle> {
        Ok(ConnHandle {
            peer: self.0.local_addr()?,
            killed: Arc::default(),
        })
    }
}

impl Connected<IncomingStream<'_, FaultListener>> for ConnHandle {
    fn connect_info(stream: IncomingStream<'_, FaultListener>) -> Self {
        stream.remote_addr().clone()
    }
}

/// A stream that errors once killed, and resets the connection when dropped killed.
pub struct Killable {
    inner: TcpStream,
    killed: Arc<AtomicBool>,
}

impl Killable {
    fn dead(&self) -> Option<io::Error> {
        self.killed
            .load(Ordering::SeqCst)
            .then(|| io::Error::from(io::ErrorKind::ConnectionReset))
    }
}

impl Drop for Killable {
    fn drop(&mut self) {
        if self.killed.load(Ordering::SeqCst) {
            let _ = self.inner.set_zero_linger();
        }
    }
}

impl AsyncRead for Killable {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if let Some(e) = self.dead() {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Killable {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if let Some(e) = self.dead() {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some(e) = self.dead() {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some(e) = self.dead() {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
