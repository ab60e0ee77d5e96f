//! The audit log's head sidecar (`audit.jsonl.head`): the last line's seq and hash, written
//! after each line, so a log whose tail was cut off is told from one that ends there.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{AuditError, io_err};

/// The sidecar holding the log's head (`audit.jsonl.head`): the last line's seq and hash,
/// so a log whose tail was cut off is told from a log that simply ends there.
pub fn head_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".head");
    PathBuf::from(name)
}

/// The last line on record, as the sidecar has it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    pub seq: u64,
    pub hash: String,
}

/// Written after the line is on disk (a crash in between leaves the head one line behind,
/// which verify accepts), atomically: a temporary file, fsynced, renamed over the old head.
pub(super) fn write_head(path: &Path, seq: u64, hash: &str) -> std::io::Result<()> {
    let head = head_path(path);
    let mut tmp = head.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let line = serde_json::to_string(&Head {
        seq,
        hash: hash.into(),
    })?;
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)?;
    f.write_all(line.as_bytes())?;
    f.write_all(b"\n")?;
    f.sync_data()?;
    std::fs::rename(&tmp, &head)
}

/// The log's head as its sidecar records it (None: no sidecar yet).
pub fn head(path: &Path) -> Result<Option<Head>, AuditError> {
    read_head(path)
}

pub(super) fn read_head(path: &Path) -> Result<Option<Head>, AuditError> {
    let head = head_path(path);
    match std::fs::read_to_string(&head) {
        Ok(text) => serde_json::from_str(text.trim())
            .map(Some)
            .map_err(|e| io_err(&head, format!("unreadable head: {e}"))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err(&head, e)),
    }
}
