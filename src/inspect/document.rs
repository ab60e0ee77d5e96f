//! The object being inspected: its describe and YAML text (rendered off the UI thread, the
//! objects themselves dropped), where each is scrolled to, the search, wrap and whether
//! managed fields show.

use crate::k8s::ObjectRef;
use crate::status::LoadState;

/// Which text of the object is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Face {
    Describe,
    Yaml,
}

/// What a fetch gives: the texts, and when (unix seconds) they were read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rendered {
    pub describe: Vec<String>,
    pub yaml: Vec<String>,
    /// The YAML with `metadata.managedFields`.
    pub yaml_managed: Vec<String>,
    pub at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    pub object: ObjectRef,
    /// Answers of earlier fetches carry other sessions and are dropped.
    pub session: u64,
    pub state: LoadState,
    pub text: Rendered,
    pub managed: bool,
    pub wrap: bool,
    /// The search, lower-case ("" none).
    pub search: String,
    /// The first line shown, per face.
    top: [usize; 2],
}

impl Document {
    pub fn new(object: ObjectRef, session: u64) -> Document {
        Document {
            object,
            session,
            state: LoadState::Loading,
            text: Rendered::default(),
            managed: false,
            wrap: false,
            search: String::new(),
            top: [0, 0],
        }
    }

    /// The fetch answered (`now`: when, for a failure's age).
    pub fn apply(&mut self, result: Result<Rendered, String>, now: i64) {
        match result {
            Ok(text) => {
                self.text = text;
                self.state = LoadState::Live;
                for face in [Face::Describe, Face::Yaml] {
                    self.scroll(face, 0, 1);
                }
            }
            Err(reason) => self.state = self.state.failed(&reason, None, now),
        }
    }

    /// A new fetch of the same object: the text stays until the answer replaces it.
    pub fn refetch(&mut self, session: u64) {
        self.session = session;
        self.state = LoadState::Loading;
    }

    pub fn lines(&self, face: Face) -> &[String] {
        match face {
            Face::Describe => &self.text.describe,
            Face::Yaml if self.managed => &self.text.yaml_managed,
            Face::Yaml => &self.text.yaml,
        }
    }

    pub fn top(&self, face: Face) -> usize {
        self.top[face as usize]
    }

    /// Moves by `delta` lines, the last page staying full (`page`: lines shown).
    pub fn scroll(&mut self, face: Face, delta: isize, page: usize) {
        let max = self.lines(face).len().saturating_sub(page.max(1));
        let top = self.top[face as usize] as isize + delta;
        self.top[face as usize] = top.clamp(0, max as isize) as usize;
    }

    pub fn toggle_managed(&mut self) {
        self.managed = !self.managed;
        self.top[Face::Yaml as usize] = 0;
    }

    pub fn toggle_wrap(&mut self) {
        self.wrap = !self.wrap;
    }

    fn matches(&self, line: &str) -> bool {
        !self.search.is_empty() && line.to_lowercase().contains(&self.search)
    }

    /// Lines of `face` the search finds.
    pub fn match_count(&self, face: Face) -> usize {
        self.lines(face).iter().filter(|l| self.matches(l)).count()
    }

    /// Searches for `text`: the first match at or below the top comes to the top.
    pub fn set_search(&mut self, face: Face, text: &str, page: usize) {
        self.search = text.to_lowercase();
        let top = self.top(face);
        if let Some(at) = self.find(face, top, true) {
            self.top[face as usize] = at;
            self.scroll(face, 0, page);
        }
    }

    /// `n` / `N`: the next match below the top, or the one above it (wrapping around).
    pub fn next_match(&mut self, face: Face, forward: bool, page: usize) {
        let top = self.top(face);
        let from = if forward {
            top + 1
        } else {
            top.wrapping_sub(1)
        };
        let found = self
            .find(face, from, forward)
            .or_else(|| self.find(face, if forward { 0 } else { usize::MAX }, forward));
        if let Some(at) = found {
            self.top[face as usize] = at;
            self.scroll(face, 0, page);
        }
    }

    fn find(&self, face: Face, from: usize, forward: bool) -> Option<usize> {
        let lines = self.lines(face);
        if forward {
            (from..lines.len()).find(|&i| self.matches(&lines[i]))
        } else {
            let from = from.min(lines.len().saturating_sub(1));
            if lines.is_empty() {
                return None;
            }
            (0..=from).rev().find(|&i| self.matches(&lines[i]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::k8s::ObjectKind;

    fn doc() -> Document {
        let mut d = Document::new(ObjectRef::namespaced(ObjectKind::Pod, "ns", "p"), 1);
        let lines: Vec<String> = (0..50)
            .map(|i| {
                if i % 10 == 5 {
                    format!("Reason: OOMKilled {i}")
                } else {
                    format!("line {i}")
                }
            })
            .collect();
        d.apply(
            Ok(Rendered {
                describe: lines.clone(),
                yaml: lines[..10].to_vec(),
                yaml_managed: lines.clone(),
                at: 0,
            }),
            0,
        );
        d
    }

    #[test]
    fn scrolling_keeps_the_last_page_full() {
        let mut d = doc();
        d.scroll(Face::Describe, 100, 20);
        assert_eq!(d.top(Face::Describe), 30);
        d.scroll(Face::Describe, -100, 20);
        assert_eq!(d.top(Face::Describe), 0);
        d.scroll(Face::Yaml, 5, 20);
        assert_eq!(d.top(Face::Yaml), 0, "a short text does not scroll");
    }

    #[test]
    fn search_jumps_to_matches_and_wraps_around() {
        let mut d = doc();
        d.set_search(Face::Describe, "oomkilled", 10);
        assert_eq!(d.top(Face::Describe), 5);
        assert_eq!(d.match_count(Face::Describe), 5);
        d.next_match(Face::Describe, true, 10);
        assert_eq!(d.top(Face::Describe), 15);
        d.next_match(Face::Describe, false, 10);
        assert_eq!(d.top(Face::Describe), 5);
        d.next_match(Face::Describe, false, 10);
        assert_eq!(
            d.top(Face::Describe),
            40,
            "wraps to the last match (page full)"
        );
    }

    #[test]
    fn a_failed_refetch_keeps_the_text() {
        let mut d = doc();
        d.refetch(2);
        d.apply(Err("connection refused".into()), 10);
        assert_eq!(d.lines(Face::Describe).len(), 50);
        assert!(matches!(d.state, LoadState::Stale { .. }));
        d.toggle_managed();
        assert_eq!(d.lines(Face::Yaml).len(), 50);
    }
}
