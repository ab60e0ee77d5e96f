//! A bounded log of every Kubernetes API request the sim answered (for permission tests).

use std::collections::VecDeque;
use std::sync::Mutex;

const CAP: usize = 10_000;

/// One request as the server saw it, with the status it answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestRecord {
    pub method: String,
    pub path: String,
    pub query: String,
    pub user: String,
    pub status: u16,
}

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
