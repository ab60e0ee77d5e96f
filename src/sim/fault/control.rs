//! The control endpoint on the platform port: `GET /_sim/fault` lists the faults in force and
//! the requests each source has sent (`hits`), `POST /_sim/fault` with `{"source":
//! "prometheus", "kind": "5xx"}` sets one (`"clear"` clears it; `"retry_after": N` with
//! `"429"` sends `Retry-After: N`), `DELETE /_sim/fault/{source}` clears one. A source may also be the name of a
//! TCP fault proxy (`--fault-proxy NAME=...`): refused, silent, slow, truncated apply to it.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde::Deserialize;

use super::proxy::{ProxyFault, ProxyHandle};
use super::{FaultSpec, Faults, Kind};

/// What the endpoint changes: the sim's faults and its proxies'.
pub struct Control {
    pub faults: Arc<Faults>,
    pub proxies: BTreeMap<String, ProxyHandle>,
}

impl Control {
    fn set(&self, source: &str, kind: &str) -> Result<(), String> {
        let Some(proxy) = self.proxies.get(source) else {
            self.faults.set(FaultSpec::new(source, kind)?);
            return Ok(());
        };
        let fault = match kind {
            "clear" => None,
            k => Some(
                ProxyFault::of(k.parse::<Kind>()?)
                    .ok_or_else(|| format!("{k} does not apply to a TCP proxy"))?,
            ),
        };
        proxy.set(fault);
        Ok(())
    }

    fn list(&self) -> BTreeMap<String, String> {
        let mut all = self.faults.list();
        for (name, p) in &self.proxies {
            if let Some(f) = p.get() {
                all.insert(name.clone(), f.name().to_string());
            }
        }
        all
    }
}

#[derive(Deserialize)]
struct SetFault {
    source: String,
    kind: String,
    /// Seconds a `429` asks for (as `429:N` does).
    #[serde(default)]
    retry_after: Option<u64>,
}

pub fn router(control: Arc<Control>) -> Router {
    Router::new()
        .route("/_sim/fault", get(list).post(set))
        .route("/_sim/fault/{source}", delete(clear))
        .with_state(control)
}

type Answer = (StatusCode, Json<serde_json::Value>);

fn listed(control: &Control, status: StatusCode) -> Answer {
    let hits = control.faults.all_hits();
    (
        status,
        Json(serde_json::json!({"faults": control.list(), "hits": hits})),
    )
}

fn refused(why: String) -> Answer {
    (
        StatusCode::BAD_REQUEST,
        Json(serde_json::json!({"error": why})),
    )
}

async fn list(State(control): State<Arc<Control>>) -> Answer {
    listed(&control, StatusCode::OK)
}

async fn set(State(control): State<Arc<Control>>, Json(body): Json<SetFault>) -> Answer {
    let kind = match body.retry_after {
        Some(secs) => format!("{}:{secs}", body.kind),
        None => body.kind,
    };
    match control.set(&body.source, &kind) {
        Ok(()) => listed(&control, StatusCode::OK),
        Err(why) => refused(why),
    }
}

async fn clear(State(control): State<Arc<Control>>, Path(source): Path<String>) -> Answer {
    match control.set(&source, "clear") {
        Ok(()) => listed(&control, StatusCode::OK),
        Err(why) => refused(why),
    }
}
