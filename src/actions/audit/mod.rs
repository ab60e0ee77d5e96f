//! The append-only audit log (REFERENCE.md §10): one hash-chained JSON line per step, locked,
//! written with one `write_all` and fsynced before the step reports done; and its verifier.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::plan::hex;

mod head;
mod verify;

use head::write_head;
pub use head::{Head, head, head_path};
pub use verify::{Unfinished, VerifyReport, recent_unfinished, unfinished_notice, verify};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuditError {
    #[error("audit log {path}: {message}")]
    Io { path: String, message: String },
    #[error("audit log {path}:{line}: {reason}")]
    Broken {
        path: String,
        line: usize,
        reason: String,
    },
}

/// Which step of an action a line records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    Intent,
    Result,
    Verify,
    /// An action refused by another console's lock (nothing was sent).
    Lock,
}

/// What the executor knows about one step; the log adds who, when, sequence and chain.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Record {
    pub phase: Option<Phase>,
    pub context: String,
    pub cluster_url: String,
    pub namespace: Option<String>,
    pub kube_user: String,
    pub action: String,
    pub target: String,
    pub request: Option<Value>,
    pub plan_id: String,
    pub plan_hash: String,
    pub confirmation: Option<String>,
    pub ssar: Option<String>,
    pub http_status: Option<u16>,
    pub audit_id: Option<String>,
    pub outcome: Option<String>,
    pub verification: Option<String>,
    pub duration_ms: Option<u64>,
    /// The action lock: taken, taken over, refused, released, or why there was none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock: Option<String>,
}

/// The operator's side of "who": OS user, host and the SSH connection they came in on.
#[derive(Clone, Debug, Serialize)]
pub struct Who {
    pub os_user: String,
    host: String,
    ssh_connection: Option<String>,
}

impl Who {
    pub fn current() -> Who {
        let os_user = std::env::var("USER")
            .or_else(|_| std::env::var("LOGNAME"))
            .unwrap_or_else(|_| {
                use std::os::unix::fs::MetadataExt;
                std::fs::metadata("/proc/self")
                    .map_or_else(|_| "unknown".into(), |m| format!("uid:{}", m.uid()))
            });
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .or_else(|_| std::fs::read_to_string("/etc/hostname"))
            .map(|h| h.trim().to_string())
            .unwrap_or_else(|_| std::env::var("HOSTNAME").unwrap_or_else(|_| "unknown".into()));
        Who {
            os_user,
            host,
            ssh_connection: std::env::var("SSH_CONNECTION").ok(),
        }
    }
}

/// An audit log file and this session's identity.
#[derive(Clone, Debug)]
pub struct AuditLog {
    path: PathBuf,
    session: String,
    who: Who,
}

/// The default place: the XDG data dir (~/.local/share/opsdeck/audit.jsonl).
pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "opsdeck").map(|d| d.data_dir().join("audit.jsonl"))
}

fn io_err(path: &Path, e: impl std::fmt::Display) -> AuditError {
    AuditError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// SHA-256 over the previous hash and the canonical line (the entry without its `hash`).
fn chain_hash(prev: &str, canonical: &str) -> String {
    let mut h = Sha256::new();
    h.update(prev.as_bytes());
    h.update(canonical.as_bytes());
    hex(&h.finalize())
}

impl AuditLog {
    pub fn new(path: PathBuf) -> AuditLog {
        let session = format!(
            "s{}-{}",
            jiff::Timestamp::now().as_millisecond(),
            std::process::id()
        );
        AuditLog {
            path,
            session,
            who: Who::current(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn session(&self) -> &str {
        &self.session
    }

    /// Can a line be appended here? Asked before an action is offered, so an audit path that
    /// cannot be written refuses the action with the reason before anything is planned.
    pub fn check_writable(&self) -> Result<(), AuditError> {
        let path = &self.path;
        if path.exists() {
            return OpenOptions::new()
                .append(true)
                .open(path)
                .map(drop)
                .map_err(|e| io_err(path, e));
        }
        // No log yet: it is created by the first line, so only its directory is tried.
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        // create_dir_all says "File exists" of a file in the way: name it instead.
        if let Some(file) = dir.ancestors().find(|d| d.is_file()) {
            return Err(io_err(
                path,
                format!("{} is a file, not a directory", file.display()),
            ));
        }
        std::fs::create_dir_all(dir).map_err(|e| io_err(path, e))?;
        let probe = dir.join(format!(".opsdeck-audit-probe-{}", std::process::id()));
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&probe)
            .map_err(|e| io_err(path, e))?;
        std::fs::remove_file(&probe).map_err(|e| io_err(path, e))
    }

    /// Appends one record; returns its hash once it is on disk.
    pub fn append(&self, record: &Record) -> Result<String, AuditError> {
        let path = &self.path;
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let existed = path.exists();
        if !existed {
            std::fs::create_dir_all(dir).map_err(|e| io_err(path, e))?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .mode(0o600)
            .open(path)
            .map_err(|e| io_err(path, e))?;
        file.lock().map_err(|e| io_err(path, e))?;
        let result = self.append_locked(&mut file, record);
        let _ = file.unlock();
        if result.is_ok() && !existed {
            File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(|e| io_err(path, e))?;
        }
        result
    }

    fn append_locked(&self, file: &mut File, record: &Record) -> Result<String, AuditError> {
        let path = &self.path;
        let tail = read_tail(file).map_err(|e| io_err(path, e))?;
        let mut entry = serde_json::to_value(record).map_err(|e| io_err(path, e))?;
        let fields = json!({
            "seq": tail.seq + 1,
            "time": jiff::Timestamp::now().to_string(),
            "session": self.session,
            "os_user": self.who.os_user,
            "host": self.who.host,
            "ssh_connection": self.who.ssh_connection,
            "prev_hash": tail.hash,
        });
        if let (Some(map), Value::Object(extra)) = (entry.as_object_mut(), fields) {
            map.extend(extra);
        }
        let canonical = canonical(&entry);
        let hash = chain_hash(&tail.hash, &canonical);
        entry["hash"] = json!(hash);
        let mut line = if tail.torn {
            "\n".to_string()
        } else {
            String::new()
        };
        line.push_str(&entry.to_string());
        line.push('\n');
        file.write_all(line.as_bytes())
            .map_err(|e| io_err(path, e))?;
        file.sync_data().map_err(|e| io_err(path, e))?;
        write_head(path, tail.seq + 1, &hash).map_err(|e| io_err(&head_path(path), e))?;
        Ok(hash)
    }
}

/// The entry as hashed: every field but `hash`, keys in serde_json's map order.
fn canonical(entry: &Value) -> String {
    let mut v = entry.clone();
    if let Some(m) = v.as_object_mut() {
        m.remove("hash");
    }
    v.to_string()
}

struct Tail {
    seq: u64,
    hash: String,
    torn: bool,
}

/// The last complete entry's seq and hash, read from the end of the file.
fn read_tail(file: &mut File) -> std::io::Result<Tail> {
    const WINDOW: u64 = 256 * 1024;
    let len = file.seek(SeekFrom::End(0))?;
    let start = len.saturating_sub(WINDOW);
    file.seek(SeekFrom::Start(start))?;
    let mut buf = Vec::new();
    // Bounded: a device (a full disk's stand-in, /dev/full) reads forever.
    file.take(len - start).read_to_end(&mut buf)?;
    let text = String::from_utf8_lossy(&buf);
    let torn = !text.is_empty() && !text.ends_with('\n');
    let complete = if torn {
        text.rsplit_once('\n').map_or("", |(a, _)| a)
    } else {
        &text
    };
    let last = complete
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str::<Value>(l).ok());
    Ok(match last {
        Some(v) => Tail {
            seq: v["seq"].as_u64().unwrap_or(0),
            hash: v["hash"].as_str().unwrap_or("").to_string(),
            torn,
        },
        None => Tail {
            seq: 0,
            hash: String::new(),
            torn,
        },
    })
}

#[cfg(test)]
mod tests;
