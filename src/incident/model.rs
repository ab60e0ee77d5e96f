//! An incident is what its entries say: folded in time order, corrections and hidings applied,
//! nothing ever removed. The same entries always give the same incident.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::entry::{Entry, Kind, Milestone};

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Incident {
    pub id: String,
    pub title: String,
    pub severity: String,
    /// The kubeconfig context it is about.
    pub context: String,
    /// Every milestone reached, at its (possibly corrected) time, unix ms.
    pub milestones: BTreeMap<Milestone, i64>,
    /// commander, scribe -> who.
    pub roles: BTreeMap<String, String>,
    /// Every entry ever written, in time order (then id): corrections and hidings too.
    pub entries: Vec<Entry>,
    ids: BTreeSet<String>,
}

impl Incident {
    /// An incident with no entries yet (its `started` entry comes next).
    pub fn new(id: &str) -> Incident {
        Incident {
            id: id.to_string(),
            ..Incident::default()
        }
    }

    /// The incident `entries` describe (None: no `started` entry among them).
    pub fn from_entries(id: &str, entries: impl IntoIterator<Item = Entry>) -> Option<Incident> {
        let mut inc = Incident::new(id);
        inc.extend(entries);
        (!inc.title.is_empty()).then_some(inc)
    }

    /// Adds one entry (from this console, a file or another console); false when it is known.
    pub fn add(&mut self, e: Entry) -> bool {
        !self.extend([e]).is_empty()
    }

    /// Adds entries, folding once; returns those it did not have.
    pub fn extend(&mut self, entries: impl IntoIterator<Item = Entry>) -> Vec<Entry> {
        let mut added = vec![];
        for e in entries {
            if !self.ids.insert(e.id.clone()) {
                continue;
            }
            let at = self
                .entries
                .partition_point(|x| (x.at, &x.id) <= (e.at, &e.id));
            self.entries.insert(at, e.clone());
            added.push(e);
        }
        if !added.is_empty() {
            self.refold();
        }
        added
    }

    /// Title, severity, milestones and roles from the entries, in time order.
    fn refold(&mut self) {
        self.milestones.clear();
        self.roles.clear();
        for e in &self.entries {
            let text = |k: &str| e.data.get(k).and_then(Value::as_str).map(str::to_string);
            match e.kind {
                Kind::Started => {
                    self.title = text("title").unwrap_or_else(|| e.text.clone());
                    self.severity = text("severity").unwrap_or_default();
                    self.context = text("context").unwrap_or_default();
                    self.milestones.entry(Milestone::Started).or_insert(e.at);
                }
                Kind::Milestone => {
                    let Some(m) = text("milestone").and_then(|m| Milestone::parse(&m)) else {
                        continue;
                    };
                    let at = e.data.get("at").and_then(Value::as_i64).unwrap_or(e.at);
                    // The latest word on a milestone wins: a correction is a later entry.
                    self.milestones.insert(m, at);
                }
                Kind::Role => {
                    if let (Some(role), Some(who)) = (text("role"), text("who")) {
                        self.roles.insert(role, who);
                    }
                }
                _ => {}
            }
        }
        // Started is the earliest milestone, whatever was typed.
        if let Some(first) = self.milestones.values().copied().min() {
            self.milestones.insert(Milestone::Started, first);
        }
    }

    /// The last milestone reached: the incident's status.
    pub fn status(&self) -> Milestone {
        Milestone::ALL
            .into_iter()
            .rev()
            .find(|m| self.milestones.contains_key(m))
            .unwrap_or(Milestone::Started)
    }

    pub fn is_open(&self) -> bool {
        !self.milestones.contains_key(&Milestone::Resolved)
    }

    pub fn started_at(&self) -> i64 {
        self.milestones
            .get(&Milestone::Started)
            .copied()
            .unwrap_or_default()
    }

    /// The timeline as it reads now: corrections shown in place of what they correct, hidden
    /// entries and the corrections and hidings themselves left out.
    pub fn timeline(&self) -> Vec<Shown<'_>> {
        let mut replaced: BTreeMap<&str, &Entry> = BTreeMap::new();
        let mut hidden: BTreeSet<&str> = BTreeSet::new();
        for e in &self.entries {
            match (e.kind, e.supersedes.as_deref()) {
                (Kind::Correction, Some(id)) => {
                    replaced.insert(id, e);
                }
                (Kind::Hidden, Some(id)) => {
                    hidden.insert(id);
                }
                _ => {}
            }
        }
        self.entries
            .iter()
            .filter(|e| !matches!(e.kind, Kind::Correction | Kind::Hidden))
            .filter(|e| !hidden.contains(e.id.as_str()))
            .map(|e| Shown {
                entry: e,
                text: replaced
                    .get(e.id.as_str())
                    .map_or(e.text.as_str(), |c| c.text.as_str()),
                corrected: replaced.contains_key(e.id.as_str()),
            })
            .collect()
    }
}

/// One line of the timeline: an entry with its text as corrected.
#[derive(Clone, Debug, PartialEq)]
pub struct Shown<'a> {
    pub entry: &'a Entry,
    pub text: &'a str,
    pub corrected: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const T: i64 = 1_795_608_000_000;

    fn started() -> Entry {
        Entry::new(Kind::Started, T, "operator", "api 5xx").with(json!({
            "title": "api 5xx", "severity": "sev2", "context": "prod"
        }))
    }

    #[test]
    fn milestones_fold_in_time_order_and_corrections_win() {
        let mut inc = Incident::from_entries("inc-1", [started()]).unwrap();
        assert_eq!(inc.status(), Milestone::Started);
        inc.add(
            Entry::new(Kind::Milestone, T + 60_000, "operator", "mitigated")
                .with(json!({"milestone": "mitigated"})),
        );
        assert_eq!(inc.status(), Milestone::Mitigated);
        // Detection corrected to before the start: started follows it (started is earliest).
        inc.add(
            Entry::new(Kind::Milestone, T + 90_000, "operator", "detected at 11:58")
                .with(json!({"milestone": "detected", "at": T - 120_000})),
        );
        assert_eq!(inc.milestones[&Milestone::Detected], T - 120_000);
        assert_eq!(inc.started_at(), T - 120_000);
        assert!(inc.is_open());
    }

    #[test]
    fn corrections_and_hidings_keep_the_original() {
        let mut inc = Incident::from_entries("inc-1", [started()]).unwrap();
        let note = Entry::new(Kind::Note, T + 1_000, "operator", "rolled back api").by("alice");
        let id = note.id.clone();
        inc.add(note.clone());
        assert!(!inc.add(note), "an entry is added once");
        inc.add(
            Entry::new(
                Kind::Correction,
                T + 2_000,
                "operator",
                "rolled back api to rev 6",
            )
            .by("alice")
            .superseding(&id),
        );
        let shown = inc.timeline();
        assert_eq!(shown.len(), 2);
        assert_eq!(shown[1].text, "rolled back api to rev 6");
        assert!(shown[1].corrected);
        inc.add(Entry::new(Kind::Hidden, T + 3_000, "operator", "").superseding(&id));
        assert_eq!(inc.timeline().len(), 1);
        assert_eq!(inc.entries.len(), 4, "nothing is removed");
    }

    #[test]
    fn entries_from_two_consoles_interleave_by_time() {
        let start = started();
        let mut a = Incident::from_entries("inc-1", [start.clone()]).unwrap();
        let late = Entry::new(Kind::Note, T + 5_000, "operator", "b");
        let early = Entry::new(Kind::Note, T + 1_000, "operator", "a");
        a.add(late.clone());
        a.add(early.clone());
        let b = Incident::from_entries("inc-1", [early, start, late]).unwrap();
        assert_eq!(a, b, "the same entries give the same incident");
        assert_eq!(a.timeline()[1].text, "a");
    }
}
