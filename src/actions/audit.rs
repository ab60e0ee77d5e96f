//! The append-only audit log (REFERENCE.md §10): one hash-chained JSON line per step, locked,
//! written with one `write_all` and fsynced before the step reports done; and its verifier.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::plan::hex;

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
fn write_head(path: &Path, seq: u64, hash: &str) -> std::io::Result<()> {
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

fn read_head(path: &Path) -> Result<Option<Head>, AuditError> {
    let head = head_path(path);
    match std::fs::read_to_string(&head) {
        Ok(text) => serde_json::from_str(text.trim())
            .map(Some)
            .map_err(|e| io_err(&head, format!("unreadable head: {e}"))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err(&head, e)),
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

/// An action whose intent is on record but whose result (or verification) is not.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Unfinished {
    pub line: usize,
    pub time: String,
    pub plan_id: String,
    pub action: String,
    pub target: String,
    /// The last phase on record: "intent" (sent or not, unknown) or "result" (sent, not verified).
    pub last_phase: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    pub entries: usize,
    /// Lines cut short by a crash mid-write (tolerated: the chain continues around them).
    pub torn: Vec<usize>,
    pub unfinished: Vec<Unfinished>,
    pub last_hash: Option<String>,
    /// The head sidecar was found and matches a line of the log.
    pub head: bool,
}

/// Checks every line's hash and its link to the previous one.
pub fn verify(path: &Path) -> Result<VerifyReport, AuditError> {
    let bytes = std::fs::read(path).map_err(|e| io_err(path, e))?;
    let text = String::from_utf8_lossy(&bytes);
    let broken = |line: usize, reason: String| AuditError::Broken {
        path: path.display().to_string(),
        line,
        reason,
    };
    let mut report = VerifyReport::default();
    let mut prev = String::new();
    let mut prev_line = 0usize;
    let mut last_seq = 0u64;
    let mut open: BTreeMap<String, Unfinished> = BTreeMap::new();
    let head = read_head(path)?;
    let mut head_seen = false;
    for (i, raw) in text.split('\n').enumerate() {
        let n = i + 1;
        if raw.is_empty() {
            continue;
        }
        let Ok(entry) = serde_json::from_str::<Value>(raw) else {
            report.torn.push(n);
            continue;
        };
        let stated_prev = entry["prev_hash"].as_str().unwrap_or_default();
        if stated_prev != prev {
            let after = if prev_line == 0 {
                "the start of the log".to_string()
            } else {
                format!("line {prev_line}")
            };
            return Err(broken(
                n,
                format!(
                    "prev_hash does not match the hash of {after}: a line was removed, reordered or edited before it"
                ),
            ));
        }
        let stated = entry["hash"].as_str().unwrap_or_default();
        if chain_hash(&prev, &canonical(&entry)) != stated {
            return Err(broken(
                n,
                "hash does not match the line's content: the line was edited".into(),
            ));
        }
        let seq = entry["seq"].as_u64().unwrap_or(0);
        if seq != last_seq + 1 {
            return Err(broken(
                n,
                format!("seq {seq} follows {last_seq}: lines are missing"),
            ));
        }
        if let Some(h) = head.as_ref().filter(|h| h.seq == seq) {
            if h.hash != stated {
                return Err(broken(
                    n,
                    format!(
                        "seq {seq} does not have the hash its head ({}) records: the line was replaced",
                        head_path(path).display()
                    ),
                ));
            }
            head_seen = true;
        }
        track(&mut open, &entry, n);
        last_seq = seq;
        prev = stated.to_string();
        prev_line = n;
        report.entries += 1;
    }
    // The head is at most one line behind the log (a crash between the two writes), never
    // ahead of it: lines after the last one here were cut off.
    if let Some(h) = head.filter(|_| !head_seen)
        && h.seq > last_seq
    {
        return Err(broken(
            text.split('\n').count(),
            format!(
                "the log ends at seq {last_seq} but its head ({}) records seq {}: the last {} line(s) were cut off",
                head_path(path).display(),
                h.seq,
                h.seq - last_seq
            ),
        ));
    }
    report.head = head_seen;
    // A torn line is tolerated only where a crash can leave one: nowhere but right before an
    // append that continued the chain, or at the very end.
    report.last_hash = (!prev.is_empty()).then_some(prev);
    report.unfinished = open.into_values().collect();
    report.unfinished.sort_by_key(|u| u.line);
    Ok(report)
}

fn track(open: &mut BTreeMap<String, Unfinished>, entry: &Value, line: usize) {
    let s = |k: &str| entry[k].as_str().unwrap_or_default().to_string();
    let plan_id = s("plan_id");
    match entry["phase"].as_str() {
        Some("intent") => {
            open.insert(
                plan_id.clone(),
                Unfinished {
                    line,
                    time: s("time"),
                    plan_id,
                    action: s("action"),
                    target: s("target"),
                    last_phase: "intent".into(),
                },
            );
        }
        Some("result") if entry["outcome"].as_str() == Some("ok") => {
            if let Some(u) = open.get_mut(&plan_id) {
                u.last_phase = "result".into();
            }
        }
        Some("lock") => {}
        Some(_) => {
            open.remove(&plan_id);
        }
        None => {}
    }
}

impl Unfinished {
    /// What the next start says: "unfinished action from 07:20:11 UTC: check deployment
    /// contentgen/api (restart: started, no result on record)".
    pub fn notice(&self) -> String {
        let when = self.time.parse::<jiff::Timestamp>().map_or_else(
            |_| self.time.clone(),
            |t| t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string(),
        );
        let state = if self.last_phase == "intent" {
            "started, no result on record"
        } else {
            "sent, not verified"
        };
        format!(
            "unfinished action from {when}: check {} ({}: {state})",
            self.target, self.action
        )
    }
}

/// The actions started in the last `within` and never finished (a crash, a kill), for the
/// next start to name; an unreadable or broken log says so instead.
pub fn recent_unfinished(
    path: &Path,
    within: std::time::Duration,
) -> Result<Vec<Unfinished>, AuditError> {
    if !path.exists() {
        return Ok(vec![]);
    }
    let since = jiff::Timestamp::now()
        .checked_sub(jiff::SignedDuration::try_from(within).unwrap_or_default())
        .unwrap_or(jiff::Timestamp::MIN);
    let report = verify(path)?;
    Ok(report
        .unfinished
        .into_iter()
        .filter(|u| u.time.parse::<jiff::Timestamp>().is_ok_and(|t| t >= since))
        .collect())
}

/// One line for the footer or stderr: the newest unfinished action, and how many more.
pub fn unfinished_notice(path: &Path) -> Option<String> {
    const WITHIN: std::time::Duration = std::time::Duration::from_secs(24 * 3600);
    match recent_unfinished(path, WITHIN) {
        Ok(open) => {
            let newest = open.last()?;
            let more = match open.len() - 1 {
                0 => String::new(),
                n => format!("; {n} more: opsdeck audit verify"),
            };
            Some(format!("{}{more}", newest.notice()))
        }
        Err(e) => Some(format!("{e}: opsdeck audit verify")),
    }
}

impl VerifyReport {
    /// What `opsdeck audit verify` prints.
    pub fn lines(&self) -> Vec<String> {
        let head = if self.head {
            ", head matches"
        } else {
            ", no head on record"
        };
        let mut out = vec![format!("{} entries, hash chain intact{head}", self.entries)];
        for t in &self.torn {
            out.push(format!(
                "line {t}: torn (a write cut short by a crash); the chain continues past it"
            ));
        }
        for u in &self.unfinished {
            let state = if u.last_phase == "intent" {
                "started, no result on record (the request may or may not have been sent)"
            } else {
                "started and sent, not verified"
            };
            out.push(format!(
                "line {}: {} {} (plan {}, {}): {state}",
                u.line, u.action, u.target, u.plan_id, u.time
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("opsdeck-audit-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir.join("sub").join("audit.jsonl")
    }

    fn rec(phase: Phase, plan: &str, outcome: Option<&str>) -> Record {
        Record {
            phase: Some(phase),
            action: "restart".into(),
            target: "deployment contentgen/api".into(),
            plan_id: plan.into(),
            outcome: outcome.map(str::to_string),
            ..Record::default()
        }
    }

    fn write_three(path: &Path) -> AuditLog {
        let log = AuditLog::new(path.to_path_buf());
        log.append(&rec(Phase::Intent, "p1", None)).expect("intent");
        log.append(&rec(Phase::Result, "p1", Some("ok")))
            .expect("result");
        log.append(&rec(Phase::Verify, "p1", Some("ok")))
            .expect("verify");
        log
    }

    #[test]
    fn entries_chain_and_verify() {
        let path = temp("chain");
        write_three(&path);
        let text = std::fs::read_to_string(&path).expect("read");
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("json"))
            .collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[1]["prev_hash"], lines[0]["hash"]);
        assert_eq!(lines[2]["seq"], 3);
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let report = verify(&path).expect("verifies");
        assert_eq!((report.entries, report.unfinished.len()), (3, 0));
    }

    #[test]
    fn an_edited_line_is_named() {
        let path = temp("edit");
        write_three(&path);
        let text = std::fs::read_to_string(&path).expect("read");
        std::fs::write(&path, text.replacen("contentgen/api", "contentgen/apj", 2)).expect("write");
        let err = verify(&path).expect_err("edited");
        assert!(matches!(err, AuditError::Broken { line: 1, .. }), "{err}");
        assert!(err.to_string().contains("edited"), "{err}");
    }

    #[test]
    fn a_removed_line_is_named() {
        let path = temp("cut");
        write_three(&path);
        let text = std::fs::read_to_string(&path).expect("read");
        let kept: Vec<&str> = text
            .lines()
            .enumerate()
            .filter(|(i, _)| *i != 1)
            .map(|(_, l)| l)
            .collect();
        std::fs::write(&path, kept.join("\n") + "\n").expect("write");
        let err = verify(&path).expect_err("cut");
        assert!(matches!(err, AuditError::Broken { line: 2, .. }), "{err}");
        assert!(err.to_string().contains("removed"), "{err}");
    }

    #[test]
    fn a_torn_last_line_is_tolerated_and_the_next_append_continues_the_chain() {
        let path = temp("torn");
        let log = write_three(&path);
        let mut f = OpenOptions::new().append(true).open(&path).expect("open");
        f.write_all(b"{\"seq\":4,\"phase\":\"int")
            .expect("torn write");
        let report = verify(&path).expect("tolerated");
        assert_eq!((report.entries, report.torn.clone()), (3, vec![4]));
        log.append(&rec(Phase::Intent, "p2", None))
            .expect("append after torn");
        let report = verify(&path).expect("still verifies");
        assert_eq!(report.entries, 4);
        assert_eq!(report.torn, vec![4]);
        assert_eq!(report.unfinished.len(), 1);
        assert_eq!(report.unfinished[0].plan_id, "p2");
        assert_eq!(report.unfinished[0].last_phase, "intent");
    }

    #[test]
    fn intents_without_results_are_listed() {
        let path = temp("open");
        let log = AuditLog::new(path.clone());
        log.append(&rec(Phase::Intent, "a", None)).expect("a");
        log.append(&rec(Phase::Intent, "b", None)).expect("b");
        log.append(&rec(Phase::Result, "b", Some("ok")))
            .expect("b result");
        log.append(&rec(Phase::Intent, "c", None)).expect("c");
        log.append(&rec(Phase::Result, "c", Some("error")))
            .expect("c result");
        let report = verify(&path).expect("verifies");
        let open: Vec<(&str, &str)> = report
            .unfinished
            .iter()
            .map(|u| (u.plan_id.as_str(), u.last_phase.as_str()))
            .collect();
        assert_eq!(open, vec![("a", "intent"), ("b", "result")]);
        assert!(
            report
                .lines()
                .iter()
                .any(|l| l.contains("no result on record"))
        );
    }

    #[test]
    fn a_cut_tail_is_told_by_the_head() {
        let path = temp("head-cut");
        write_three(&path);
        assert!(verify(&path).expect("whole").head);
        let text = std::fs::read_to_string(&path).expect("read");
        let kept: Vec<&str> = text.lines().take(2).collect();
        std::fs::write(&path, kept.join("\n") + "\n").expect("cut the last line");
        let err = verify(&path).expect_err("cut");
        let said = err.to_string();
        assert!(said.contains("ends at seq 2"), "{said}");
        assert!(said.contains("records seq 3"), "{said}");
        assert!(said.contains("cut off"), "{said}");
    }

    #[test]
    fn a_head_one_line_behind_is_a_crash_between_two_writes() {
        let path = temp("head-behind");
        write_three(&path);
        let lines: Vec<Value> = std::fs::read_to_string(&path)
            .expect("read")
            .lines()
            .map(|l| serde_json::from_str(l).expect("json"))
            .collect();
        let second = lines[1]["hash"].as_str().expect("hash");
        write_head(&path, 2, second).expect("head");
        let report = verify(&path).expect("a lagging head is tolerated");
        assert!(report.head);
        write_head(&path, 2, "0000").expect("head");
        let err = verify(&path).expect_err("a replaced line");
        assert!(err.to_string().contains("replaced"), "{err}");
    }

    #[test]
    fn a_full_disk_refuses_the_line_with_the_reason() {
        let log = AuditLog::new(PathBuf::from("/dev/full"));
        log.check_writable().expect("the device opens");
        let err = log
            .append(&rec(Phase::Intent, "p1", None))
            .expect_err("nothing fits");
        assert!(err.to_string().contains("No space left on device"), "{err}");
    }
}
