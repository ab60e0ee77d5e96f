//! The control endpoint on the platform port: `GET /_sim/fault` lists the faults in force,
//! `POST /_sim/fault` with `{"source": "prometheus", "kind": "5xx"}` sets one (`"clear"`
//! clears it), `DELETE /_sim/fault/{source}` clears one.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde::Deserialize;

use super::{FaultSpec, Faults};

#[derive(Deserialize)]
struct SetFault {
    source: String,
    kind: String,
}

pub fn router(faults: Arc<Faults>) -> Router {
    Router::new()
        .route("/_sim/fault", get(list).post(set))
        .route("/_sim/fault/{source}", delete(clear))
        .with_state(faults)
}

type Answer = (StatusCode, Json<serde_json::Value>);

fn listed(faults: &Faults, status: StatusCode) -> Answer {
    (status, Json(serde_json::json!({"faults": faults.list()})))
}

fn refused(why: String) -> Answer {
    (
        StatusCode::BAD_REQUEST,
        Json(serde_json::json!({"error": why})),
    )
}

async fn list(State(faults): State<Arc<Faults>>) -> Answer {
    listed(&faults, StatusCode::OK)
}

async fn set(State(faults): State<Arc<Faults>>, Json(body): Json<SetFault>) -> Answer {
    match FaultSpec::new(&body.source, &body.kind) {
        Ok(spec) => {
            faults.set(spec);
            listed(&faults, StatusCode::OK)
        }
        Err(why) => refused(why),
    }
}

async fn clear(State(faults): State<Arc<Faults>>, Path(source): Path<String>) -> Answer {
    match FaultSpec::new(&source, "clear") {
        Ok(spec) => {
            faults.set(spec);
            listed(&faults, StatusCode::OK)
        }
        Err(why) => refused(why),
    }
}
