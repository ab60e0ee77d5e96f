//! kubectl's describe writer: lines at an indent level, cells split by tabs and aligned the way
//! Go's tabwriter aligns them (padding 2), in segments (kubectl flushes before the events).

use std::io::Write;

use tabwriter::TabWriter;

/// The text being written, and the aligned lines of earlier segments.
#[derive(Default)]
pub struct Out {
    done: Vec<String>,
    segment: String,
}

impl Out {
    /// One line at `level` (two spaces each); `\t` separates aligned cells.
    pub fn line(&mut self, level: usize, text: &str) {
        self.write(level, text);
        self.segment.push('\n');
    }

    /// Text at `level` without ending the line (kubectl's `w.Write` without a newline).
    pub fn write(&mut self, level: usize, text: &str) {
        for _ in 0..level {
            self.segment.push_str("  ");
        }
        self.segment.push_str(text);
    }

    /// "Name:\tvalue" at `level`.
    pub fn field(&mut self, level: usize, name: &str, value: impl std::fmt::Display) {
        self.line(level, &format!("{name}:\t{value}"));
    }

    /// Aligns what was written so far on its own (the next lines start a new alignment).
    pub fn flush(&mut self) {
        if self.segment.is_empty() {
            return;
        }
        let mut tw = TabWriter::new(Vec::new()).padding(2).minwidth(0);
        // Writing to a Vec cannot fail.
        let _ = tw.write_all(self.segment.as_bytes());
        let _ = tw.flush();
        let aligned = tw
            .into_inner()
            .map(|v| String::from_utf8_lossy(&v).into_owned())
            .unwrap_or_default();
        self.done.extend(aligned.lines().map(str::to_string));
        self.segment.clear();
    }

    pub fn finish(mut self) -> Vec<String> {
        self.flush();
        self.done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contiguous_cells_align_and_a_flush_starts_over() {
        let mut out = Out::default();
        out.field(0, "Name", "api");
        out.field(0, "Service Account", "default");
        out.line(0, "Containers:");
        out.field(1, "x", "1");
        out.flush();
        out.line(0, "Events:\t<none>");
        assert_eq!(
            out.finish(),
            [
                "Name:             api",
                "Service Account:  default",
                "Containers:",
                "  x:  1",
                "Events:  <none>",
            ]
        );
    }
}
