//! The local record of incidents: one JSON-lines file per incident, each entry appended and
//! fsynced before it is acknowledged, so a note survives SIGKILL. A torn last line (a crash
//! mid-write) is skipped with a warning, never fatal.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use super::entry::{Entry, Kind};
use super::model::Incident;

#[derive(Clone, Debug)]
pub struct Store {
    dir: PathBuf,
    /// The audit log this store is beside: its head goes on every action entry.
    audit: Option<PathBuf>,
}

impl Store {
    /// Incidents live in `dir` (beside the audit log: `.../opsdeck/incidents`).
    pub fn new(dir: PathBuf) -> Store {
        Store { dir, audit: None }
    }

    /// The store beside an audit log file.
    pub fn beside(audit_log: &Path) -> Store {
        let parent = audit_log.parent().unwrap_or(Path::new("."));
        Store {
            dir: parent.join("incidents"),
            audit: Some(audit_log.to_path_buf()),
        }
    }

    /// Puts the audit log's head (seq and hash, from its sidecar) on each action entry, so the
    /// incident's record (and its ConfigMap) can tell a log whose tail was cut off.
    pub fn stamp(&self, entries: &mut [Entry]) {
        let Some(audit) = &self.audit else { return };
        for e in entries.iter_mut().filter(|e| e.kind == Kind::Action) {
            if let (Ok(Some(head)), Some(data)) =
                (crate::actions::audit::head(audit), e.data.as_object_mut())
            {
                data.insert(
                    "audit_head".into(),
                    serde_json::json!({"log": audit, "seq": head.seq, "hash": head.hash}),
                );
            }
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.jsonl"))
    }

    /// Appends `entry` to incident `id` and fsyncs it.
    pub fn append(&self, id: &str, entry: &Entry) -> Result<(), String> {
        let path = self.path(id);
        let fail = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
        std::fs::create_dir_all(&self.dir).map_err(fail)?;
        let mut line = serde_json::to_string(entry).map_err(|e| e.to_string())?;
        line.push('\n');
        // After a crash mid-write, the torn line is ended first, so this one stays whole.
        if !ends_with_newline(&path) {
            line.insert(0, '\n');
        }
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(fail)?;
        f.write_all(line.as_bytes()).map_err(fail)?;
        f.sync_data().map_err(fail)
    }

    /// Every entry of incident `id`, and a warning per line that could not be read.
    pub fn entries(&self, id: &str) -> Result<(Vec<Entry>, Vec<String>), String> {
        let path = self.path(id);
        let f = File::open(&path).map_err(|e| format!("no incident {id}: {e}"))?;
        let mut entries = vec![];
        let mut warnings = vec![];
        for (n, line) in BufReader::new(f).lines().enumerate() {
            let line = line.map_err(|e| format!("{}: {e}", path.display()))?;
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<Entry>(&line) {
                Ok(e) => entries.push(e),
                Err(e) => warnings.push(format!("{}:{}: skipped: {e}", path.display(), n + 1)),
            }
        }
        Ok((entries, warnings))
    }

    pub fn load(&self, id: &str) -> Result<Incident, String> {
        let (entries, _) = self.entries(id)?;
        Incident::from_entries(id, entries).ok_or_else(|| format!("incident {id} has no start"))
    }

    /// Every incident on record, newest first.
    pub fn list(&self) -> Vec<Incident> {
        let Ok(dir) = std::fs::read_dir(&self.dir) else {
            return vec![];
        };
        let mut all: Vec<Incident> = dir
            .filter_map(Result::ok)
            .filter_map(|d| {
                let name = d.file_name().to_string_lossy().to_string();
                let id = name.strip_suffix(".jsonl")?.to_string();
                self.load(&id).ok()
            })
            .collect();
        all.sort_by_key(|i| std::cmp::Reverse(i.started_at()));
        all
    }

    /// The open incident of `context`, if there is one (the newest).
    pub fn open_in(&self, context: &str) -> Option<Incident> {
        self.list()
            .into_iter()
            .find(|i| i.is_open() && i.context == context)
    }
}

/// True for a missing or empty file, or one whose last byte is a newline.
fn ends_with_newline(path: &Path) -> bool {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut f) = File::open(path) else {
        return true;
    };
    if f.seek(SeekFrom::End(-1)).is_err() {
        return true;
    }
    let mut last = [0u8; 1];
    f.read_exact(&mut last).map_or(true, |_| last[0] == b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::entry::Kind;

    #[test]
    fn appended_entries_read_back_and_a_torn_line_is_skipped() {
        let dir =
            std::env::temp_dir().join(format!("opsdeck-incident-store-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = Store::new(dir.clone());
        let start = Entry::new(Kind::Started, 1_000, "operator", "api 5xx")
            .with(serde_json::json!({"title": "api 5xx", "context": "prod"}));
        store.append("inc-1", &start).unwrap();
        store
            .append("inc-1", &Entry::new(Kind::Note, 2_000, "operator", "hi"))
            .unwrap();
        // A crash mid-write leaves half a line.
        let mut f = OpenOptions::new()
            .append(true)
            .open(dir.join("inc-1.jsonl"))
            .unwrap();
        f.write_all(b"{\"id\":\"x\",\"at\":3").unwrap();
        let (entries, warnings) = store.entries("inc-1").unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        // The next entry after the torn line is whole.
        store
            .append("inc-1", &Entry::new(Kind::Note, 4_000, "operator", "after"))
            .unwrap();
        let (entries, _) = store.entries("inc-1").unwrap();
        assert_eq!(entries.len(), 3);
        assert_eq!(
            store.open_in("prod").map(|i| i.title),
            Some("api 5xx".into())
        );
        assert!(store.open_in("staging").is_none());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
