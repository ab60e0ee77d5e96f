//! Checking an audit log: every line's hash and link, the head sidecar, and the actions
//! started and never finished (what the next start names).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use super::head::{head_path, read_head};
use super::{AuditError, canonical, chain_hash, io_err};

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
