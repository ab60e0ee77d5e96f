//! A table's navigation state and its display order (slots into a row store), rebuilt only
//! when the rows, the filter or the scope changed. Widget state: panes own one per table.

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TableState {
    pub selected: usize,
    /// First row shown.
    pub offset: usize,
    pub filter: String,
    /// Store slots in display order (after filter and scope).
    pub rows: Vec<usize>,
    /// Fingerprint of what `rows` was built from; a different one means rebuild.
    pub built_from: Option<(u64, String, String)>,
}

impl TableState {
    pub fn selected_slot(&self) -> Option<usize> {
        self.rows.get(self.selected).copied()
    }

    /// Replaces the order, keeping the same row selected if it is still there.
    pub fn set_rows(&mut self, rows: Vec<usize>) {
        let keep = self.selected_slot();
        self.rows = rows;
        if let Some(slot) = keep
            && self.rows.get(self.selected) != Some(&slot)
            && let Some(at) = self.rows.iter().position(|&s| s == slot)
        {
            self.selected = at;
        }
        self.selected = self.selected.min(self.rows.len().saturating_sub(1));
    }

    /// A table over rows 0..count that keep their order (rows already sorted by the model).
    pub fn cover(&mut self, count: usize) {
        if self.rows.len() != count {
            self.set_rows((0..count).collect());
        }
    }

    /// The slots shown in a window of `height` rows from `offset`.
    pub fn window(&self, height: usize) -> &[usize] {
        let end = self.offset.saturating_add(height).min(self.rows.len());
        &self.rows[self.offset.min(end)..end]
    }

    /// Selects the row at store slot `slot`; false when the table does not show it.
    pub fn select_slot(&mut self, slot: usize) -> bool {
        match self.rows.iter().position(|&s| s == slot) {
            Some(at) => {
                self.selected = at;
                true
            }
            None => false,
        }
    }

    pub fn move_by(&mut self, delta: isize) {
        let last = self.rows.len().saturating_sub(1) as isize;
        self.selected = (self.selected as isize + delta).clamp(0, last.max(0)) as usize;
    }

    pub fn bottom(&mut self) {
        self.selected = self.rows.len().saturating_sub(1);
    }

    /// Scrolls so the selection is inside a window of `height` rows.
    pub fn scroll_into_view(&mut self, height: usize) {
        let height = height.max(1);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + height {
            self.offset = self.selected + 1 - height;
        }
        let max_offset = self.rows.len().saturating_sub(height);
        self.offset = self.offset.min(max_offset);
    }
}

/// Case-insensitive substring match without allocating for ASCII text.
pub fn matches(haystack: &str, lowered_needle: &str) -> bool {
    if lowered_needle.is_empty() {
        return true;
    }
    if haystack.is_ascii() && lowered_needle.is_ascii() {
        let n = lowered_needle.as_bytes();
        return haystack
            .as_bytes()
            .windows(n.len())
            .any(|w| w.eq_ignore_ascii_case(n));
    }
    haystack.to_lowercase().contains(lowered_needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selection_follows_its_row_when_rows_are_inserted_above() {
        let mut t = TableState::default();
        t.set_rows(vec![10, 11, 12]);
        t.selected = 1; // slot 11
        t.set_rows(vec![5, 6, 10, 11, 12]);
        assert_eq!(t.selected_slot(), Some(11));
    }

    #[test]
    fn selection_clamps_when_rows_vanish() {
        let mut t = TableState::default();
        t.set_rows(vec![1, 2, 3]);
        t.bottom();
        t.set_rows(vec![1]);
        assert_eq!(t.selected, 0);
        t.set_rows(vec![]);
        assert_eq!(t.selected_slot(), None);
    }

    #[test]
    fn scrolling_keeps_the_selection_visible() {
        let mut t = TableState::default();
        t.set_rows((0..100).collect());
        t.move_by(30);
        t.scroll_into_view(10);
        assert_eq!(t.offset, 21);
        t.move_by(-25);
        t.scroll_into_view(10);
        assert_eq!(t.offset, 5);
        t.move_by(-1000);
        assert_eq!(t.selected, 0);
    }

    #[test]
    fn matches_ignores_case() {
        assert!(matches("CrashLoopBackOff", "crashloop"));
        assert!(!matches("Running", "crash"));
        assert!(matches("anything", ""));
    }
}
