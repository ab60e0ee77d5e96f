//! GET of one object and paged lists, as JSON or as a server-side printed `Table`.

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::Response;
use jiff::Timestamp;
use serde_json::{Value, json};

use super::status::json_response;
use super::{ApiError, Params, Shared, Target};
use crate::sim::selector::{FieldSelector, LabelSelector, decode_continue, encode_continue};
use crate::sim::world::columns::columns;
use crate::sim::world::render::partial_meta;
use crate::sim::world::{Key, Kind, SimObject};

/// Parsed list/watch filters.
pub struct Filter {
    pub ns: Option<String>,
    pub labels: LabelSelector,
    pub fields: FieldSelector,
}

impl Filter {
    pub fn from(t: &Target, p: &Params) -> Result<Filter, ApiError> {
        let labels = LabelSelector::parse(p.get("labelSelector").map_or("", String::as_str))
            .map_err(|e| ApiError::bad_request(format!("unable to parse requirement: {e}")))?;
        let fields =
            FieldSelector::parse(p.get("fieldSelector").map_or("", String::as_str), t.kind)
                .map_err(ApiError::bad_request)?;
        Ok(Filter {
            ns: t.ns.clone(),
            labels,
            fields,
        })
    }
    pub fn matches(&self, o: &dyn SimObject) -> bool {
        (self.labels.is_empty() || self.labels.matches(&o.meta().labels))
            && (self.fields.is_empty() || self.fields.matches(|f| o.field(f)))
    }
}

#[derive(Clone, Copy, PartialEq)]
pub enum IncludeObject {
    None,
    Metadata,
    Object,
}

pub fn include_object(p: &Params) -> IncludeObject {
    match p.get("includeObject").map(String::as_str) {
        Some("None") => IncludeObject::None,
        Some("Object") => IncludeObject::Object,
        _ => IncludeObject::Metadata,
    }
}

pub fn table_row(o: &dyn SimObject, now: Timestamp, inc: IncludeObject) -> Value {
    let object = match inc {
        IncludeObject::None => Value::Null,
        IncludeObject::Metadata => partial_meta(o.meta()),
        IncludeObject::Object => {
            let mut buf = Vec::new();
            o.write_json(&mut buf);
            serde_json::from_slice(&buf).unwrap_or(Value::Null)
        }
    };
    let mut row = json!({"cells": o.cells(now)});
    if object != Value::Null {
        row["object"] = object;
    }
    row
}

pub fn get(shared: &Shared, t: &Target, p: &Params, table: bool) -> Result<Response, ApiError> {
    let name = t.name.as_deref().unwrap_or_default();
    let ns = t.ns.as_deref().unwrap_or_default();
    let w = shared.world();
    let o = w
        .get(t.kind, ns, name)
        .ok_or_else(|| ApiError::not_found(t.kind, name))?;
    if table {
        let v = json!({
            "kind": "Table", "apiVersion": "meta.k8s.io/v1",
            "metadata": {"resourceVersion": o.meta().rv.to_string()},
            "columnDefinitions": columns(t.kind),
            "rows": [table_row(o, w.now().max(shared.clock.now()), include_object(p))],
        });
        return Ok(json_response(
            StatusCode::OK,
            serde_json::to_vec(&v).unwrap_or_default(),
        ));
    }
    let mut buf = Vec::with_capacity(4096);
    o.write_json(&mut buf);
    Ok(json_response(StatusCode::OK, buf))
}

/// One page of matching objects after `after`; returns the last key if more remain.
fn page<'a>(
    w: &'a crate::sim::world::World,
    kind: Kind,
    f: &Filter,
    after: Option<&Key>,
    limit: usize,
) -> (Vec<&'a dyn SimObject>, Option<Key>) {
    let mut it = w
        .iter(kind, f.ns.as_deref(), after)
        .filter(|o| f.matches(*o));
    let items: Vec<&dyn SimObject> = it.by_ref().take(limit).collect();
    let more = items.len() == limit && it.next().is_some();
    let last = if more {
        items.last().map(|o| o.meta().key())
    } else {
        None
    };
    (items, last)
}

pub fn list(
    shared: &Arc<Shared>,
    t: &Target,
    p: &Params,
    table: bool,
) -> Result<Response, ApiError> {
    let f = Filter::from(t, p)?;
    let limit: usize = p
        .get("limit")
        .and_then(|l| l.parse().ok())
        .filter(|l| *l > 0)
        .unwrap_or(usize::MAX);
    // Every page of a list, and every chunk of a page, reports the resource version its first
    // page was served at, as kube-apiserver's paged lists do: a client then watches from there
    // and is sent every change after it, the deletion of a pod it was served on page one
    // included (the world itself is read live, page by page; the watch makes up the rest).
    let (mut after, continued_rv) = match p.get("continue").filter(|c| !c.is_empty()) {
        Some(c) => {
            let (rv, key) = decode_continue(c).ok_or_else(|| {
                ApiError::bad_request("continue key is not valid: invalid continue token")
            })?;
            if rv < shared.world().log.floor {
                return Err(ApiError::continue_expired());
            }
            (Some(key), Some(rv))
        }
        None => (None, None),
    };
    let inc = include_object(p);
    // One buffer for the whole body; metadata goes last, once the continue token is known.
    let mut items: Vec<u8> = Vec::with_capacity(64 * 1024);
    items.extend_from_slice(
        format!(
            "{{\"kind\":\"{}List\",\"apiVersion\":\"{}\",\"items\":[",
            t.kind.kind(),
            t.kind.api_version()
        )
        .as_bytes(),
    );
    let mut rows: Vec<Value> = vec![];
    let mut remaining = limit;
    let mut rv = continued_rv;
    let mut next = None;
    let mut first = true;
    // Serve in chunks so one huge list never holds the world lock for long.
    loop {
        let chunk = remaining.min(1000);
        let w = shared.world();
        let rv = *rv.get_or_insert(w.log.rv);
        let now = shared.clock.now();
        let (objs, last) = page(&w, t.kind, &f, after.as_ref(), chunk);
        for o in &objs {
            if table {
                rows.push(table_row(*o, now, inc));
            } else {
                if !first {
                    items.push(b',');
                }
                first = false;
                o.write_json(&mut items);
            }
        }
        remaining -= objs.len();
        drop(w);
        match last {
            Some(k) if remaining > 0 => after = Some(k),
            Some(k) => {
                next = Some(encode_continue(rv, &k));
                break;
            }
            None => break,
        }
    }
    let rv = rv.unwrap_or_default();
    let mut meta = json!({"resourceVersion": rv.to_string()});
    if let Some(c) = next {
        meta["continue"] = json!(c);
    }
    if table {
        let v = json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": meta, "columnDefinitions": columns(t.kind), "rows": rows});
        return Ok(json_response(
            StatusCode::OK,
            serde_json::to_vec(&v).unwrap_or_default(),
        ));
    }
    items.extend_from_slice(b"],\"metadata\":");
    items.extend_from_slice(&serde_json::to_vec(&meta).unwrap_or_default());
    items.push(b'}');
    Ok(json_response(StatusCode::OK, items))
}
