//! The change ring: one global resourceVersion, recent changes kept as ready-to-send watch lines.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use tokio::sync::broadcast;

use super::model::{Kind, Labels};
use super::render::SimObject;

/// Retained changes for watch resumption (~2-3 KB each): at least this many...
const RING_CAP: usize = 10_000;
/// ...and every change of the last 30 s: a paged list reports its first page's version, so a
/// client listing 10,000 pods in 20 pages while `--load` makes 7,500 changes a second must
/// still be able to watch from there (kube-apiserver keeps minutes, until etcd compacts).
const RING_KEEP: std::time::Duration = std::time::Duration::from_secs(30);
/// And at most this many bytes of them: a ConfigMap near 1 MiB, rewritten for every entry
/// appended to it, would otherwise keep gigabytes of old copies. Older resumes get 410.
pub(super) const RING_BYTES: usize = 256 << 20;

/// One change, serialized once and shared by every watcher.
#[derive(Debug)]
pub struct Change {
    pub rv: u64,
    pub kind: Kind,
    pub ns: Arc<str>,
    pub name: String,
    pub etype: &'static str,
    pub labels: Arc<Labels>,
    pub fields: Vec<(&'static str, String)>,
    /// `{"type":"MODIFIED","object":{...}}\n`
    pub line: Bytes,
    /// When it was recorded (wall time: what a client's paged list takes).
    pub at: Instant,
}

impl Change {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(f, _)| *f == name)
            .map(|(_, v)| v.as_str())
    }
}

pub struct ChangeLog {
    pub rv: u64,
    /// Watches must start at or after this resourceVersion; older ones get 410.
    pub floor: u64,
    pub ring: VecDeque<Arc<Change>>,
    /// The watch lines the ring holds, in bytes.
    bytes: usize,
    pub tx: broadcast::Sender<Arc<Change>>,
    /// While building the world: assign versions, record nothing.
    pub quiet: bool,
}

impl ChangeLog {
    pub fn new(base_rv: u64) -> ChangeLog {
        let (tx, _) = broadcast::channel(16_384);
        ChangeLog {
            rv: base_rv,
            floor: base_rv,
            ring: VecDeque::new(),
            bytes: 0,
            tx,
            quiet: false,
        }
    }

    /// Give the object the next resourceVersion and publish the change.
    pub fn record(&mut self, obj: &mut dyn SimObject, etype: &'static str) {
        self.rv += 1;
        obj.meta_mut().rv = self.rv;
        if self.quiet {
            return;
        }
        let mut buf = Vec::with_capacity(2048);
        buf.extend_from_slice(b"{\"type\":\"");
        buf.extend_from_slice(etype.as_bytes());
        buf.extend_from_slice(b"\",\"object\":");
        obj.write_json(&mut buf);
        buf.extend_from_slice(b"}\n");
        let kind = obj.kind();
        let fields = kind
            .fields()
            .iter()
            .filter_map(|f| obj.field(f).map(|v| (*f, v)))
            .collect();
        let change = Arc::new(Change {
            rv: self.rv,
            kind,
            ns: obj.meta().ns.clone(),
            name: obj.meta().name.clone(),
            etype,
            labels: obj.meta().labels.clone(),
            fields,
            line: Bytes::from(buf),
            at: Instant::now(),
        });
        self.bytes += change.line.len();
        self.ring.push_back(change.clone());
        while let Some(oldest) = self.ring.front() {
            let too_many = self.ring.len() > RING_CAP && oldest.at.elapsed() > RING_KEEP;
            let too_big = self.bytes > RING_BYTES && self.ring.len() > 1;
            if !(too_many || too_big) {
                break;
            }
            self.bytes -= oldest.line.len();
            self.floor = oldest.rv;
            self.ring.pop_front();
        }
        // No receivers is fine: nobody is watching.
        let _ = self.tx.send(change);
    }

    /// Changes after `rv`, or None when `rv` is outside the retained window.
    pub fn since(&self, rv: u64) -> Option<Vec<Arc<Change>>> {
        if rv < self.floor || rv > self.rv {
            return None;
        }
        let start = self.ring.partition_point(|c| c.rv <= rv);
        Some(self.ring.iter().skip(start).cloned().collect())
    }
}
