//! Owning the terminal: raw mode and the alternate screen in, and out again on every exit path
//! (normal, error, panic, SIGHUP/SIGTERM). Frames are buffered and written in one `write()`,
//! wrapped in synchronized output so slow links never show half a frame.

use std::io::{self, IsTerminal, Stdout, Write};
use std::sync::{Arc, Mutex};

use crossterm::terminal::{
    BeginSynchronizedUpdate, EndSynchronizedUpdate, EnterAlternateScreen, LeaveAlternateScreen,
    disable_raw_mode, enable_raw_mode,
};
use crossterm::{cursor, execute, queue};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

/// Collects a whole frame; `Terminal::draw`'s flush is deferred to `commit`. Cloning gives a
/// second handle on the same buffer (ratatui 0.29 does not lend its backend's writer).
pub struct FrameWriter<W: Write> {
    inner: Arc<Mutex<FrameBuf<W>>>,
}

pub struct FrameBuf<W> {
    buf: Vec<u8>,
    out: W,
    /// write() calls made on `out` so far (for the benchmark).
    pub writes: u64,
    /// Bytes written to `out` so far.
    pub bytes: u64,
}

impl<W: Write> Clone for FrameWriter<W> {
    fn clone(&self) -> Self {
        FrameWriter {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<W: Write> FrameWriter<W> {
    pub fn new(out: W) -> Self {
        FrameWriter {
            inner: Arc::new(Mutex::new(FrameBuf {
                buf: Vec::with_capacity(64 * 1024),
                out,
                writes: 0,
                bytes: 0,
            })),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FrameBuf<W>> {
        // A panic while holding the lock leaves a frame half-built; drawing the next is fine.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sends the buffered frame in one write.
    pub fn commit(&self) -> io::Result<()> {
        let mut b = self.lock();
        if b.buf.is_empty() {
            return Ok(());
        }
        let FrameBuf { buf, out, .. } = &mut *b;
        out.write_all(buf)?;
        out.flush()?;
        b.writes += 1;
        b.bytes += b.buf.len() as u64;
        b.buf.clear();
        Ok(())
    }

    /// (write calls, bytes) sent so far.
    pub fn counters(&self) -> (u64, u64) {
        let b = self.lock();
        (b.writes, b.bytes)
    }
}

impl<W: Write> Write for FrameWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.lock().buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The terminal plus a handle on its frame buffer.
pub struct Tui {
    pub terminal: Terminal<CrosstermBackend<FrameWriter<Stdout>>>,
    pub frames: FrameWriter<Stdout>,
}

/// Refuses to start a TUI without a terminal (`ssh host opsdeck` without `-t`, a pipe).
pub fn require_tty() -> Result<(), String> {
    if io::stdin().is_terminal() && io::stdout().is_terminal() {
        Ok(())
    } else {
        Err(
            "opsdeck needs a terminal on stdin and stdout (over ssh use `ssh -t`).\n\
             For scripts, use `opsdeck snapshot --output json`."
                .into(),
        )
    }
}

pub fn enter() -> io::Result<Tui> {
    // crossterm drops every attribute, reverse video included, when it sees NO_COLOR; opsdeck
    // honours NO_COLOR itself with the monochrome theme, so selection stays visible.
    crossterm::style::force_color_output(true);
    install_panic_hook();
    enable_raw_mode()?;
    let mut out = io::stdout();
    if let Err(e) = execute!(out, EnterAlternateScreen, cursor::Hide) {
        restore();
        return Err(e);
    }
    let frames = FrameWriter::new(out);
    let terminal = Terminal::new(CrosstermBackend::new(frames.clone()))?;
    Ok(Tui { terminal, frames })
}

/// Draws one frame inside a synchronized update and writes it at once.
pub fn draw<W: Write>(
    terminal: &mut Terminal<CrosstermBackend<FrameWriter<W>>>,
    frames: &FrameWriter<W>,
    render: impl FnOnce(&mut ratatui::Frame),
) -> io::Result<()> {
    let mut sink = frames.clone();
    queue!(sink, BeginSynchronizedUpdate)?;
    terminal.draw(render)?;
    queue!(sink, EndSynchronizedUpdate)?;
    frames.commit()
}

/// Best effort: on a dead terminal these writes fail, and that is fine.
pub fn restore() {
    let _ = disable_raw_mode();
    let _ = execute!(io::stdout(), LeaveAlternateScreen, cursor::Show);
}

fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_is_one_write() {
        let mut w = FrameWriter::new(Vec::new());
        for _ in 0..1000 {
            w.write_all(b"x").expect("buffered");
            w.flush().expect("deferred");
        }
        assert_eq!(w.counters(), (0, 0));
        w.commit().expect("committed");
        assert_eq!(w.counters(), (1, 1000));
        assert_eq!(w.lock().out.len(), 1000);
    }
}
