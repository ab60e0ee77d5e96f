//! A bounded log of every Kubernetes API request the sim answered and every write to the
//! platform API and to Alertmanager's silences (for permission tests), and the probe a test
//! can run as each request arrives, before it is answered.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;

use super::Shared;

const CAP: usize = 10_000;

/// A layer for the sim's other APIs: every request but a read joins the Kubernetes API's in
/// the request log, by its path (`/config/pause-generation`), as from `api` (its `user`), with
/// the arrival probe's answer: a test sees what changed the platform, and what was on disk as
/// it came.
pub async fn log_writes(
    State((shared, api)): State<(Arc<Shared>, &'static str)>,
    req: Request,
    next: Next,
) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD) {
        return next.run(req).await;
    }
    let mut record = shared.arrived(&req, api.to_string());
    let resp = next.run(req).await;
    record.status = resp.status().as_u16();
    shared.requests.push(record);
    resp
}

/// One request as the server saw it, with the status it answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestRecord {
    pub method: String,
    pub path: String,
    pub query: String,
    pub user: String,
    pub status: u16,
    /// What a SelfSubjectAccessReview was asked and answered; None for any other request.
    pub review: Option<ReviewAnswer>,
    /// What the arrival probe (`SimHandle::on_arrival`) returned as the request arrived.
    pub witness: Option<String>,
}

/// One access review as the sim answered it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReviewAnswer {
    pub verb: String,
    pub resource: String,
    pub subresource: Option<String>,
    pub namespace: String,
    pub name: String,
    pub allowed: bool,
}

/// Run on each request as it arrives (its status not known yet, 0): what it returns is kept
/// on the request's record. A test reads here what was already on disk when a request came.
pub type ArrivalProbe = Arc<dyn Fn(&RequestRecord) -> Option<String> + Send + Sync>;

impl RequestRecord {
    /// Anything but a read (SelfSubjectAccessReviews, which only ask, count as reads).
    pub fn is_mutating(&self) -> bool {
        !matches!(self.method.as_str(), "GET" | "HEAD" | "OPTIONS")
            && !self.path.ends_with("/selfsubjectaccessreviews")
    }
}

#[derive(Default)]
pub struct RequestLog {
    records: Mutex<VecDeque<RequestRecord>>,
}

impl RequestLog {
    pub fn push(&self, r: RequestRecord) {
        let mut q = self
            .records
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        q.push_back(r);
        while q.len() > CAP {
            q.pop_front();
        }
    }

    /// Oldest first.
    pub fn snapshot(&self) -> Vec<RequestRecord> {
        self.records
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .cloned()
            .collect()
    }
}
