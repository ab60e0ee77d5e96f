//! Watches: newline-delimited watch events streamed from the shared change ring.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::response::Response;
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc};

use super::read::{Filter, IncludeObject, include_object, table_row};
use super::{ApiError, Params, Shared, Target, stream_response};
use crate::sim::world::columns::columns;
use crate::sim::world::{Change, Kind};

const BOOKMARK_EVERY: Duration = Duration::from_secs(5);

fn bookmark(kind: Kind, rv: u64, initial_end: bool) -> Bytes {
    let mut meta = json!({"resourceVersion": rv.to_string()});
    if initial_end {
        meta["annotations"] = json!({"k8s.io/initial-events-end": "true"});
    }
    let v = json!({"type": "BOOKMARK", "object": {"kind": kind.kind(), "apiVersion": kind.api_version(), "metadata": meta}});
    line(&v)
}

fn line(v: &serde_json::Value) -> Bytes {
    let mut b = serde_json::to_vec(v).unwrap_or_default();
    b.push(b'\n');
    Bytes::from(b)
}

/// The `ERROR` watch event carrying a Status (410 for expired resource versions).
pub fn error_event(e: &ApiError) -> Bytes {
    line(&json!({"type": "ERROR", "object": e.to_value()}))
}

/// How a Table watch renders events (`kubectl get -w`); None for plain objects.
#[derive(Clone, Copy)]
struct TableMode {
    include: IncludeObject,
}

fn table_event(kind: Kind, etype: &str, row: Value, rv: u64, first: bool) -> Bytes {
    let cols = if first {
        Value::Array(columns(kind))
    } else {
        Value::Array(vec![])
    };
    line(&json!({"type": etype, "object": {
        "kind": "Table", "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": rv.to_string()},
        "columnDefinitions": cols, "rows": [row],
    }}))
}

/// Render a change as a Table event from the object's current state.
fn table_change(shared: &Shared, c: &Change, mode: TableMode, first: bool) -> Bytes {
    let w = shared.world();
    let row = match w.get(c.kind, &c.ns, &c.name) {
        Some(o) if c.etype != "DELETED" => table_row(o, shared.clock.now(), mode.include),
        _ => {
            let n = columns(c.kind).len();
            let mut cells = vec![Value::from("")];
            cells.resize(n, Value::from(""));
            let name_col = if c.kind == Kind::Event { 9 } else { 0 };
            if let Some(cell) = cells.get_mut(name_col) {
                *cell = Value::from(c.name.clone());
            }
            json!({"cells": cells, "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                "metadata": {"name": c.name, "namespace": (!c.ns.is_empty()).then(|| c.ns.to_string()), "resourceVersion": c.rv.to_string()}}})
        }
    };
    table_event(c.kind, c.etype, row, c.rv, first)
}

fn change_matches(c: &Change, kind: Kind, f: &Filter) -> bool {
    c.kind == kind
        && f.ns.as_deref().is_none_or(|ns| *c.ns == *ns)
        && (f.labels.is_empty() || f.labels.matches(&c.labels))
        && (f.fields.is_empty() || f.fields.matches(|name| c.field(name).map(str::to_string)))
}

struct Plan {
    initial: Vec<Bytes>,
    initial_end: bool,
    expired: Option<ApiError>,
    backlog: Vec<Arc<Change>>,
    rv: u64,
    sub: broadcast::Receiver<Arc<Change>>,
}

fn plan(shared: &Shared, t: &Target, p: &Params, f: &Filter, table: Option<TableMode>) -> Plan {
    let w = shared.world();
    let rv = w.log.rv;
    let send_initial = p.get("sendInitialEvents").is_some_and(|s| s == "true");
    let from = p
        .get("resourceVersion")
        .filter(|s| !s.is_empty() && *s != "0");
    let mut plan = Plan {
        initial: vec![],
        initial_end: send_initial,
        expired: None,
        backlog: vec![],
        rv,
        sub: w.log.tx.subscribe(),
    };
    if send_initial || from.is_none() {
        for o in w
            .iter(t.kind, f.ns.as_deref(), None)
            .filter(|o| f.matches(*o))
        {
            if let Some(mode) = table {
                let first = plan.initial.is_empty();
                let row = table_row(o, shared.clock.now(), mode.include);
                plan.initial
                    .push(table_event(t.kind, "ADDED", row, o.meta().rv, first));
                continue;
            }
            let mut b = Vec::with_capacity(2048);
            b.extend_from_slice(b"{\"type\":\"ADDED\",\"object\":");
            o.write_json(&mut b);
            b.extend_from_slice(b"}\n");
            plan.initial.push(Bytes::from(b));
        }
    } else if let Some(from) = from {
        let n = from.parse::<u64>().unwrap_or(0);
        match w.log.since(n) {
            Some(changes) => {
                plan.backlog = changes
                    .into_iter()
                    .filter(|c| change_matches(c, t.kind, f))
                    .collect()
            }
            None => plan.expired = Some(ApiError::gone(n, w.log.floor)),
        }
    }
    plan
}

pub fn watch(
    shared: &Arc<Shared>,
    t: &Target,
    p: &Params,
    table: bool,
) -> Result<Response, ApiError> {
    let f = Filter::from(t, p)?;
    let table = table.then(|| TableMode {
        include: include_object(p),
    });
    let bookmarks = p.get("allowWatchBookmarks").is_some_and(|s| s == "true");
    let timeout = p
        .get("timeoutSeconds")
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(1800);
    let Plan {
        initial,
        initial_end,
        expired,
        backlog,
        rv,
        mut sub,
    } = plan(shared, t, p, &f, table);
    let mut first_table = initial.is_empty();
    let shared = shared.clone();
    let kind = t.kind;
    let cancel = shared.cancel.clone();
    let render = move |shared: &Shared, c: &Change, first: &mut bool| match table {
        Some(mode) => {
            let b = table_change(shared, c, mode, *first);
            *first = false;
            b
        }
        None => c.line.clone(),
    };
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(256);
    tokio::spawn(async move {
        let send = |b: Bytes| {
            let tx = tx.clone();
            async move { tx.send(Ok(b)).await.is_ok() }
        };
        if let Some(e) = expired {
            send(error_event(&e)).await;
            return;
        }
        for b in initial {
            if !send(b).await {
                return;
            }
        }
        if initial_end && !send(bookmark(kind, rv, true)).await {
            return;
        }
        let mut last = rv;
        for c in backlog {
            last = c.rv;
            let b = render(&shared, &c, &mut first_table);
            if !send(b).await {
                return;
            }
        }
        let deadline = tokio::time::sleep(Duration::from_secs(timeout));
        tokio::pin!(deadline);
        let mut tick = tokio::time::interval(BOOKMARK_EVERY);
        tick.tick().await;
        loop {
            tokio::select! {
                () = cancel.cancelled() => return,
                () = &mut deadline => return,
                () = tx.closed() => return,
                _ = tick.tick(), if bookmarks => {
                    if !send(bookmark(kind, last, false)).await { return; }
                }
                r = sub.recv() => match r {
                    Ok(c) => {
                        if c.rv <= last { continue; }
                        last = c.rv;
                        if change_matches(&c, kind, &f) {
                            let b = render(&shared, &c, &mut first_table);
                            if !send(b).await { return; }
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        send(error_event(&ApiError::gone(last, last + 1))).await;
                        return;
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                }
            }
        }
    });
    Ok(stream_response("application/json", rx))
}
