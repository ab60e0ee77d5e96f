//! The ways a fault spoils a real answer's body: trickled, cut in half, cut mid-event, or (for
//! a stream already open) ended when a fault is set while it runs.

use std::collections::BTreeMap;
use std::io;
use std::time::Duration;

use axum::body::{Body, Bytes};
use futures::StreamExt;
use tokio::sync::{mpsc, watch};

use super::{Active, Kind, Source};

/// How long a `slow` answer waits between two bytes.
pub const TRICKLE: Duration = Duration::from_millis(500);
/// How long a `midstream` cut waits for a second event before cutting a made-up one.
const SECOND_EVENT_WAIT: Duration = Duration::from_secs(2);

type Tx = mpsc::Sender<Result<Bytes, io::Error>>;

fn channel_body(task: impl FnOnce(Tx) -> futures::future::BoxFuture<'static, ()>) -> Body {
    let (tx, rx) = mpsc::channel(16);
    tokio::spawn(task(tx));
    Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(rx))
}

fn cut() -> io::Error {
    io::Error::new(io::ErrorKind::ConnectionAborted, "cut by a sim fault")
}

/// Sends what was sent so far, then aborts: hyper drops unflushed bytes on a body error, so
/// the part is given a moment to leave first.
async fn send_then_cut(tx: &Tx, part: Bytes) {
    if tx.send(Ok(part)).await.is_ok() {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let _ = tx.send(Err(cut())).await;
    }
}

/// The real body, one byte every [`TRICKLE`].
pub fn trickle(body: Body) -> Body {
    channel_body(|tx| {
        Box::pin(async move {
            let mut data = body.into_data_stream();
            while let Some(chunk) = data.next().await {
                let Ok(chunk) = chunk else {
                    let _ = tx.send(Err(cut())).await;
                    return;
                };
                for i in 0..chunk.len() {
                    tokio::time::sleep(TRICKLE).await;
                    if tx.send(Ok(chunk.slice(i..=i))).await.is_err() {
                        return;
                    }
                }
            }
        })
    })
}

/// The first half of `full`, then the connection aborted (the caller keeps the full
/// Content-Length, so the client knows it was cut).
pub fn half(full: Bytes) -> Body {
    channel_body(move |tx| {
        Box::pin(async move {
            send_then_cut(&tx, full.slice(..full.len() / 2)).await;
        })
    })
}

/// A stream's first line whole, then half of the next one, then the connection aborted.
pub fn cut_after_first_line(body: Body) -> Body {
    channel_body(|tx| {
        Box::pin(async move {
            let mut data = body.into_data_stream();
            let mut first_done = false;
            loop {
                let next = if first_done {
                    tokio::time::timeout(SECOND_EVENT_WAIT, data.next())
                        .await
                        .unwrap_or(None)
                } else {
                    data.next().await
                };
                let chunk = match next {
                    Some(Ok(chunk)) => chunk,
                    // Nothing more came: cut a made-up event in its middle.
                    _ if first_done => Bytes::from_static(b"{\"type\":\"MODIFIED\",\"object\":{"),
                    _ => return,
                };
                if first_done {
                    let end = (chunk.len() / 2).max(1).min(chunk.len());
                    send_then_cut(&tx, chunk.slice(..end)).await;
                    return;
                }
                match chunk.iter().position(|b| *b == b'\n') {
                    Some(at) => {
                        let _ = tx.send(Ok(chunk.slice(..=at))).await;
                        first_done = true;
                        let rest = chunk.slice(at + 1..);
                        if !rest.is_empty() {
                            let end = (rest.len() / 2).max(1);
                            send_then_cut(&tx, rest.slice(..end)).await;
                            return;
                        }
                    }
                    None => {
                        if tx.send(Ok(chunk)).await.is_err() {
                            return;
                        }
                    }
                }
            }
        })
    })
}

/// The `ERROR` event kube-apiserver sends when a watch's resource version was compacted.
pub fn gone_event(floor: u64) -> Bytes {
    let status = crate::sim::kube_api::ApiError::gone(floor.saturating_sub(1), floor).to_value();
    let mut line = serde_json::to_vec(&serde_json::json!({"type": "ERROR", "object": status}))
        .unwrap_or_default();
    line.push(b'\n');
    Bytes::from(line)
}

/// An open stream (watch, log follow) that reacts when a fault is set for its source while it
/// runs: `gone` ends it with the 410 event, `silent` stops it talking, `slow` leaves it, any
/// other cuts it (the server went away; reconnects meet the fault). `faults` has seen the
/// fault the request was answered under; only later changes count.
pub fn watched(
    body: Body,
    source: Source,
    mut faults: watch::Receiver<BTreeMap<Source, Active>>,
) -> Body {
    channel_body(move |tx| {
        Box::pin(async move {
            let mut data = body.into_data_stream();
            loop {
                tokio::select! {
                    () = tx.closed() => return,
                    chunk = data.next() => match chunk {
                        Some(Ok(c)) => if tx.send(Ok(c)).await.is_err() { return },
                        Some(Err(_)) => { let _ = tx.send(Err(cut())).await; return }
                        None => return,
                    },
                    changed = faults.changed() => {
                        if changed.is_err() { return; }
                        let now = faults.borrow_and_update().get(&source).copied();
                        match now.map(|a| (a.kind, a.floor)) {
                            None | Some((Kind::Slow, _)) => {}
                            Some((Kind::Gone, floor)) => {
                                let _ = tx.send(Ok(gone_event(floor))).await;
                                return;
                            }
                            Some((Kind::Silent, _)) => {
                                tx.closed().await;
                                return;
                            }
                            Some(_) => {
                                let _ = tx.send(Err(cut())).await;
                                return;
                            }
                        }
                    }
                }
            }
        })
    })
}
