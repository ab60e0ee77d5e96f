//! Pod logs: a bounded ring buffer with an incrementally maintained filter, and the task that
//! follows a pod's log stream into it.
//!
//! Memory is bounded by line count (and line length), not by time spent in the view; the filter
//! only ever looks at each line once, so it stays responsive while a burst is arriving.

use std::collections::VecDeque;
use std::time::Duration;

use futures::{AsyncBufReadExt, FutureExt, StreamExt};
use k8s_openapi::api::core::v1::Pod;
use kube::api::LogParams;
use kube::{Api, Client};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::cluster::connect::READ_TIMEOUT;
use crate::cluster::failure::{asked_wait_of, describe_client, stream_cut};
use crate::status::Backoff;

/// Lines kept per stream: a 10k-line burst fits whole.
pub const LOG_CAPACITY: usize = 20_000;
/// Longer lines are cut: one runaway JSON blob must not cost megabytes.
pub const MAX_LINE: usize = 4_096;

#[derive(Debug, Clone)]
pub struct LogBuffer {
    lines: VecDeque<String>,
    /// Sequence number of `lines[0]`; sequence numbers never repeat.
    first_seq: u64,
    capacity: usize,
    filter: String,
    /// Sequence numbers of the lines matching `filter` (all lines when it is empty).
    matches: VecDeque<u64>,
}

impl Default for LogBuffer {
    fn default() -> Self {
        Self::with_capacity(LOG_CAPACITY)
    }
}

impl LogBuffer {
    pub fn with_capacity(capacity: usize) -> Self {
        LogBuffer {
            lines: VecDeque::new(),
            first_seq: 0,
            capacity: capacity.max(1),
            filter: String::new(),
            matches: VecDeque::new(),
        }
    }

    pub fn push(&mut self, mut line: String) {
        if line.len() > MAX_LINE {
            let mut cut = MAX_LINE;
            while !line.is_char_boundary(cut) {
                cut -= 1;
            }
            line.truncate(cut);
            line.push('…');
        }
        let seq = self.first_seq + self.lines.len() as u64;
        if self.matches_filter(&line) {
            self.matches.push_back(seq);
        }
        self.lines.push_back(line);
        while self.lines.len() > self.capacity {
            self.lines.pop_front();
            self.first_seq += 1;
            while self.matches.front().is_some_and(|&s| s < self.first_seq) {
                self.matches.pop_front();
            }
        }
    }

    fn matches_filter(&self, line: &str) -> bool {
        self.filter.is_empty() || contains_ignore_case(line, &self.filter)
    }

    pub fn set_filter(&mut self, filter: &str) {
        let filter = filter.to_lowercase();
        if filter == self.filter {
            return;
        }
        self.filter = filter;
        self.matches = (0..self.lines.len())
            .filter(|&i| self.matches_filter(&self.lines[i]))
            .map(|i| self.first_seq + i as u64)
            .collect();
    }

    pub fn filter(&self) -> &str {
        &self.filter
    }

    /// Lines shown (those matching the filter).
    pub fn visible_len(&self) -> usize {
        self.matches.len()
    }

    /// The i-th shown line.
    pub fn visible(&self, i: usize) -> Option<&str> {
        let seq = *self.matches.get(i)?;
        self.lines
            .get((seq - self.first_seq) as usize)
            .map(String::as_str)
    }

    pub fn total(&self) -> usize {
        self.lines.len()
    }

    /// Lines ever received, including those the ring has dropped.
    pub fn received(&self) -> u64 {
        self.first_seq + self.lines.len() as u64
    }
}

fn contains_ignore_case(line: &str, lowered_needle: &str) -> bool {
    if line.is_ascii() && lowered_needle.is_ascii() {
        let (h, n) = (line.as_bytes(), lowered_needle.as_bytes());
        return h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n));
    }
    line.to_lowercase().contains(lowered_needle)
}

use crate::status::{LoadState, retry_reason};
use crate::ui::pane::LogTarget;

/// The pod log being read, and how.
#[derive(Debug, Clone)]
pub struct LogsView {
    pub target: LogTarget,
    pub session: u64,
    pub buffer: LogBuffer,
    /// Stick to the newest line.
    pub follow: bool,
    /// First shown line when not following.
    pub top: usize,
    pub wrap: bool,
    pub state: LoadState,
    /// A previous container's log, read to its end.
    pub ended: bool,
}

impl LogsView {
    /// A log about to be read, following its newest line.
    pub fn new(target: LogTarget, session: u64) -> LogsView {
        LogsView {
            target,
            session,
            buffer: LogBuffer::default(),
            follow: true,
            top: 0,
            wrap: false,
            state: LoadState::Loading,
            ended: false,
        }
    }

    /// New lines, or the stream failing (`now`: unix seconds).
    pub fn apply(&mut self, event: LogEvent, now: i64) {
        match event {
            LogEvent::Lines(lines) => {
                for line in lines {
                    self.buffer.push(line);
                }
                self.state = LoadState::Live;
            }
            LogEvent::Ended => {
                self.state = LoadState::Live;
                self.ended = true;
            }
            LogEvent::Failed { reason, retry_in } => {
                self.state = LoadState::Stale {
                    since: now,
                    reason: retry_reason(&reason, Some(retry_in)),
                };
            }
        }
    }

    /// Follow on/off; `page`: the log's height.
    pub fn toggle_follow(&mut self, page: usize) {
        self.follow = !self.follow;
        self.top = self.buffer.visible_len().saturating_sub(page);
    }

    pub fn toggle_wrap(&mut self) {
        self.wrap = !self.wrap;
    }

    /// Scrolling up leaves follow mode; reaching the bottom re-enters it.
    pub fn scroll(&mut self, delta: isize, page: usize) {
        let max_top = self.buffer.visible_len().saturating_sub(page);
        let top = if self.follow {
            max_top
        } else {
            self.top.min(max_top)
        };
        let new_top = (top as isize + delta).clamp(0, max_top as isize) as usize;
        self.top = new_top;
        self.follow = new_top >= max_top && delta > 0;
    }
}

#[derive(Clone, Debug)]
pub enum LogEvent {
    Lines(Vec<String>),
    /// A previous container's log was read whole: nothing more comes.
    Ended,
    /// The stream ended (the pod terminated); it is retried after the delay.
    Failed {
        reason: String,
        retry_in: Duration,
    },
}

/// A log message tagged with its session, so lines of a pod no longer shown are ignored.
#[derive(Clone, Debug)]
pub struct LogMsg {
    pub session: u64,
    pub event: LogEvent,
}

/// Lines per message in a burst.
const LOG_BATCH: usize = 2_000;
/// On first open, how much history to fetch.
const INITIAL_TAIL: i64 = 1_000;

pub fn spawn_log_follow<M: From<LogMsg> + Send + 'static>(
    client: Client,
    target: LogTarget,
    session: u64,
    tx: mpsc::Sender<M>,
    token: CancellationToken,
) {
    tokio::spawn(async move {
        tokio::select! {
            _ = token.cancelled() => {}
            _ = follow(client, target, session, tx) => {}
        }
    });
}

async fn follow<M: From<LogMsg>>(
    client: Client,
    target: LogTarget,
    session: u64,
    tx: mpsc::Sender<M>,
) {
    let api: Api<Pod> = Api::namespaced(client, &target.namespace);
    let mut backoff = Backoff::default();
    let mut since_reconnect: Option<jiff::Timestamp> = None;
    let send = |event| tx.send(M::from(LogMsg { session, event }));
    loop {
        // A previous container's log is whole and finished: read it all, once.
        let params = LogParams {
            container: target.container.clone(),
            follow: !target.previous,
            previous: target.previous,
            tail_lines: (since_reconnect.is_none() && !target.previous).then_some(INITIAL_TAIL),
            since_time: since_reconnect,
            ..LogParams::default()
        };
        // The follow client has no read timeout (a quiet pod is no fault); the request has one.
        let opened = tokio::time::timeout(READ_TIMEOUT, api.log_stream(&target.pod, &params));
        // A 429's wait, when the server asked for one.
        let mut asked = None;
        let reason = match opened.await {
            Err(_) => format!("no answer in {} s", READ_TIMEOUT.as_secs()),
            Ok(Ok(reader)) => {
                let mut lines = std::pin::pin!(reader.lines());
                loop {
                    let Some(first) = lines.next().await else {
                        if target.previous {
                            let _ = send(LogEvent::Ended).await;
                            return;
                        }
                        break "log stream ended".to_string();
                    };
                    let mut batch = Vec::new();
                    let mut failure = None;
                    let mut item = Some(first);
                    // Drain what is already buffered, so a burst becomes a few messages.
                    while let Some(next) = item.take() {
                        match next {
                            Ok(line) => batch.push(line),
                            Err(e) => {
                                failure = Some(stream_cut(&e, "the log stream"));
                                break;
                            }
                        }
                        if batch.len() >= LOG_BATCH {
                            break;
                        }
                        item = lines.next().now_or_never().flatten();
                    }
                    backoff.reset();
                    since_reconnect = Some(jiff::Timestamp::now());
                    if !batch.is_empty() && send(LogEvent::Lines(batch)).await.is_err() {
                        return;
                    }
                    if let Some(f) = failure {
                        break f;
                    }
                }
            }
            Ok(Err(e)) => {
                asked = asked_wait_of(&e);
                describe_client(&e)
            }
        };
        let retry_in = backoff.next_delay_asked(asked);
        if send(LogEvent::Failed { reason, retry_in }).await.is_err() {
            return;
        }
        tokio::time::sleep(retry_in).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_of_10k_lines_is_kept_whole() {
        let mut buf = LogBuffer::default();
        for i in 0..10_000 {
            buf.push(format!("line {i}"));
        }
        assert_eq!(buf.visible_len(), 10_000);
        assert_eq!(buf.visible(0), Some("line 0"));
        assert_eq!(buf.visible(9_999), Some("line 9999"));
    }

    #[test]
    fn memory_is_bounded_by_the_ring() {
        let mut buf = LogBuffer::with_capacity(100);
        buf.set_filter("error");
        for i in 0..1_000 {
            buf.push(if i % 10 == 0 {
                format!("ERROR {i}")
            } else {
                format!("ok {i}")
            });
        }
        assert_eq!(buf.total(), 100);
        assert_eq!(buf.received(), 1_000);
        // Only the matches still in the ring are indexed.
        assert_eq!(buf.visible_len(), 10);
        assert_eq!(buf.visible(0), Some("ERROR 900"));
    }

    #[test]
    fn filter_is_case_insensitive_and_can_be_cleared() {
        let mut buf = LogBuffer::default();
        for line in ["INFO start", "WARN slow", "info done"] {
            buf.push(line.into());
        }
        buf.set_filter("Info");
        assert_eq!(buf.visible_len(), 2);
        assert_eq!(buf.visible(1), Some("info done"));
        buf.set_filter("");
        assert_eq!(buf.visible_len(), 3);
    }

    #[test]
    fn long_lines_are_cut_at_a_char_boundary() {
        let mut buf = LogBuffer::default();
        buf.push("é".repeat(MAX_LINE));
        let line = buf.visible(0).expect("line kept");
        assert!(line.len() <= MAX_LINE + '…'.len_utf8());
        assert!(line.ends_with('…'));
    }
}
