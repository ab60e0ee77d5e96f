//! The platform's pipeline runs (generate -> fact_check -> publish) as a pure model: workers
//! take runs, a hung worker holds them forever, the platform API retries them. Time is passed in.

use std::collections::VecDeque;

use jiff::Timestamp;

use crate::sim::util::Rng;
#[cfg(test)]
use crate::sim::util::after_ms;

/// A run "running" longer than this is reported `stuck`. The teams' runbook says 30 minutes;
/// the sim uses 20 s so the pipeline-stuck scenario shows within a test's (and a demo's) patience.
pub const STUCK_AFTER_MS: i64 = 20_000;
/// `GET /pipelines` answers at most this many runs, newest first.
pub const LIST_MAX: usize = 200;
const START_EVERY_MS: i64 = 1_500;
const KEEP: usize = 500;
/// A hung Celery worker still holds its prefetched messages, then takes no more.
const HUNG_PREFETCH: usize = 4;
const PAUSE_WINDOWS: usize = 16;
/// Statuses `GET /pipelines?status=` accepts.
pub const STATUSES: [&str; 5] = ["stuck", "failed", "running", "succeeded", "queued"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    Generate,
    FactCheck,
    Publish,
}

impl Stage {
    pub fn name(self) -> &'static str {
        match self {
            Stage::Generate => "generate",
            Stage::FactCheck => "fact_check",
            Stage::Publish => "publish",
        }
    }
    fn next(self) -> Option<Stage> {
        match self {
            Stage::Generate => Some(Stage::FactCheck),
            Stage::FactCheck => Some(Stage::Publish),
            Stage::Publish => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunState {
    Queued,
    Running,
    Succeeded,
    Failed,
}

#[derive(Clone, Debug)]
pub struct Run {
    pub id: String,
    pub stage: Stage,
    pub state: RunState,
    pub started_at: Timestamp,
    pub updated_at: Timestamp,
    pub worker: Option<String>,
    pub article_id: u64,
    pub attempt: u32,
    pub error: Option<String>,
    /// When the current stage finishes, unless its worker hangs.
    due_ms: i64,
    /// The stage this attempt fails at (drawn at start; retries do not fail).
    fail_at: Option<Stage>,
    /// Its worker hung while it ran: it never progresses again, even once the worker is gone.
    hung: bool,
}

impl Run {
    /// What the API reports: `stuck` is a run still running past [`STUCK_AFTER_MS`].
    pub fn status(&self, now: Timestamp) -> &'static str {
        match self.state {
            RunState::Queued => "queued",
            RunState::Running
                if now.as_millisecond() - self.started_at.as_millisecond() >= STUCK_AFTER_MS =>
            {
                "stuck"
            }
            RunState::Running => "running",
            RunState::Succeeded => "succeeded",
            RunState::Failed => "failed",
        }
    }
}

/// A running article-generator pod as the pipelines see it.
#[derive(Clone, Debug)]
pub struct Worker {
    pub name: String,
    pub hung: bool,
}

/// Why a retry was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum RetryError {
    NotFound,
    /// The run's current status: only stuck or failed runs are retried.
    NotRetryable(&'static str),
}

#[derive(Clone, Debug)]
pub struct Pipelines {
    /// Oldest first.
    runs: VecDeque<Run>,
    next_seq: u64,
    next_start_ms: i64,
    paused: bool,
    /// When generation was paused (and resumed): article-generator logs say so.
    pauses: VecDeque<(Timestamp, Option<Timestamp>)>,
    rng: Rng,
    rr: usize,
}

impl Pipelines {
    pub fn new(seed: u64, now: Timestamp) -> Pipelines {
        Pipelines {
            runs: VecDeque::new(),
            next_seq: 1000,
            next_start_ms: now.as_millisecond() + 1000,
            paused: false,
            pauses: VecDeque::new(),
            rng: Rng(seed ^ 0x9193),
            rr: 0,
        }
    }

    pub fn paused(&self) -> bool {
        self.paused
    }

    /// Idempotent: pausing a paused platform changes nothing.
    pub fn set_paused(&mut self, paused: bool, now: Timestamp) {
        if paused == self.paused {
            return;
        }
        self.paused = paused;
        if paused {
            self.pauses.push_back((now, None));
            while self.pauses.len() > PAUSE_WINDOWS {
                self.pauses.pop_front();
            }
        } else {
            if let Some(last) = self.pauses.back_mut() {
                last.1 = Some(now);
            }
            self.next_start_ms = now.as_millisecond();
        }
    }

    pub fn pause_windows(&self) -> Vec<(Timestamp, Option<Timestamp>)> {
        self.pauses.iter().copied().collect()
    }

    pub fn get(&self, id: &str) -> Option<&Run> {
        self.runs.iter().find(|r| r.id == id)
    }

    /// Newest first, at most [`LIST_MAX`], optionally only those with `status`.
    pub fn list(&self, now: Timestamp, status: Option<&str>) -> Vec<&Run> {
        self.runs
            .iter()
            .rev()
            .filter(|r| status.is_none_or(|s| r.status(now) == s))
            .take(LIST_MAX)
            .collect()
    }

    /// Queue a new attempt of a stuck or failed run; it starts on a healthy worker.
    pub fn retry(&mut self, id: &str, now: Timestamp) -> Result<&Run, RetryError> {
        let run = self
            .runs
            .iter_mut()
            .find(|r| r.id == id)
            .ok_or(RetryError::NotFound)?;
        match run.status(now) {
            "stuck" | "failed" => {}
            other => return Err(RetryError::NotRetryable(other)),
        }
        run.state = RunState::Queued;
        run.attempt += 1;
        run.worker = None;
        run.hung = false;
        run.fail_at = None;
        run.error = None;
        run.updated_at = now;
        Ok(run)
    }

    pub fn tick(&mut self, now: Timestamp, workers: &[Worker]) {
        self.progress(now, workers);
        if !self.paused {
            self.dispatch_queued(now, workers);
            while self.next_start_ms <= now.as_millisecond() {
                self.next_start_ms += START_EVERY_MS;
                self.start_new(now, workers);
            }
        }
        self.evict();
    }

    fn progress(&mut self, now: Timestamp, workers: &[Worker]) {
        let now_ms = now.as_millisecond();
        for i in 0..self.runs.len() {
            let lo_hi = self.stage_ms();
            let run = &mut self.runs[i];
            if run.state != RunState::Running || run.hung {
                continue;
            }
            let worker = workers
                .iter()
                .find(|w| Some(&w.name) == run.worker.as_ref());
            match worker {
                None => {
                    run.state = RunState::Failed;
                    run.error = Some("worker lost".into());
                    run.updated_at = now;
                }
                Some(w) if w.hung => run.hung = true,
                Some(_) if now_ms < run.due_ms => {}
                Some(_) if run.fail_at == Some(run.stage) => {
                    run.state = RunState::Failed;
                    run.error = Some(format!("{} failed: upstream LLM timeout", run.stage.name()));
                    run.updated_at = now;
                }
                Some(_) => {
                    match run.stage.next() {
                        Some(next) => {
                            run.stage = next;
                            run.due_ms = now_ms + lo_hi;
                        }
                        None => run.state = RunState::Succeeded,
                    }
                    run.updated_at = now;
                }
            }
        }
    }

    fn stage_ms(&mut self) -> i64 {
        self.rng.range(600, 1600) as i64
    }

    fn hung_held(&self, worker: &str) -> usize {
        self.runs
            .iter()
            .filter(|r| r.state == RunState::Running && r.worker.as_deref() == Some(worker))
            .count()
    }

    /// Round-robin over workers that take messages: healthy ones, and a hung one until its
    /// prefetch is full.
    fn pick(&mut self, workers: &[Worker], healthy_only: bool) -> Option<String> {
        let takers: Vec<&Worker> = workers
            .iter()
            .filter(|w| !w.hung || (!healthy_only && self.hung_held(&w.name) < HUNG_PREFETCH))
            .collect();
        if takers.is_empty() {
            return None;
        }
        self.rr = self.rr.wrapping_add(1);
        Some(takers[self.rr % takers.len()].name.clone())
    }

    fn dispatch_queued(&mut self, now: Timestamp, workers: &[Worker]) {
        for i in 0..self.runs.len() {
            if self.runs[i].state != RunState::Queued {
                continue;
            }
            let Some(worker) = self.pick(workers, true) else {
                return;
            };
            let due = now.as_millisecond() + self.stage_ms();
            let run = &mut self.runs[i];
            run.state = RunState::Running;
            run.worker = Some(worker);
            run.started_at = now;
            run.updated_at = now;
            run.due_ms = due;
        }
    }

    fn start_new(&mut self, now: Timestamp, workers: &[Worker]) {
        let Some(worker) = self.pick(workers, false) else {
            return;
        };
        let seq = self.next_seq;
        self.next_seq += 1;
        let r = self.rng.next();
        let fail_at = match r % 25 {
            0 => Some(Stage::Generate),
            1 => Some(Stage::FactCheck),
            2 => Some(Stage::Publish),
            _ => None,
        };
        let due_ms = now.as_millisecond() + self.stage_ms();
        self.runs.push_back(Run {
            id: format!("run-{seq}"),
            stage: Stage::Generate,
            state: RunState::Running,
            started_at: now,
            updated_at: now,
            worker: Some(worker),
            article_id: 100_000 + (r >> 8) % 900_000,
            attempt: 1,
            error: None,
            due_ms,
            fail_at,
            hung: false,
        });
    }

    /// Drop the oldest finished runs beyond [`KEEP`]; running and queued ones stay.
    fn evict(&mut self) {
        while self.runs.len() > KEEP {
            let Some(i) = self
                .runs
                .iter()
                .position(|r| matches!(r.state, RunState::Succeeded | RunState::Failed))
            else {
                return;
            };
            self.runs.remove(i);
        }
    }
}

/// Whether `t` falls in one of the pause windows.
pub fn paused_at(windows: &[(Timestamp, Option<Timestamp>)], t: Timestamp) -> bool {
    windows
        .iter()
        .any(|(from, to)| t >= *from && to.is_none_or(|to| t < to))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::clock::TEST_NOW;

    fn later(t: Timestamp, ms: i64) -> Timestamp {
        after_ms(t, ms)
    }

    fn workers(hung: bool) -> Vec<Worker> {
        vec![
            Worker {
                name: "article-generator-a".into(),
                hung,
            },
            Worker {
                name: "article-generator-b".into(),
                hung: false,
            },
        ]
    }

    /// Tick every 250 ms for `ms`; returns the time reached.
    fn run_for(p: &mut Pipelines, from: Timestamp, ms: i64, w: &[Worker]) -> Timestamp {
        let mut t = from;
        for _ in 0..ms / 250 {
            t = later(t, 250);
            p.tick(t, w);
        }
        t
    }

    #[test]
    fn healthy_workers_finish_runs_and_none_is_stuck() {
        let t0 = TEST_NOW;
        let mut p = Pipelines::new(7, t0);
        let t = run_for(&mut p, t0, 60_000, &workers(false));
        assert!(p.list(t, Some("succeeded")).len() > 20);
        assert!(p.list(t, Some("stuck")).is_empty());
        let newest = p.list(t, None);
        assert!(newest.windows(2).all(|w| w[0].id > w[1].id));
    }

    #[test]
    fn runs_on_a_hung_worker_turn_stuck_after_the_threshold_and_outlive_it() {
        let t0 = TEST_NOW;
        let mut p = Pipelines::new(7, t0);
        let hung = workers(true);
        let t = run_for(&mut p, t0, STUCK_AFTER_MS - 1000, &hung);
        assert!(p.list(t, Some("stuck")).is_empty());
        let held = p.list(t, Some("running"));
        assert!(
            held.iter()
                .any(|r| r.worker.as_deref() == Some("article-generator-a"))
        );
        let t = run_for(&mut p, t, 5000, &hung);
        let stuck = p.list(t, Some("stuck"));
        assert!(!stuck.is_empty() && stuck.len() <= HUNG_PREFETCH);
        assert!(
            stuck
                .iter()
                .all(|r| r.worker.as_deref() == Some("article-generator-a"))
        );
        // The worker is replaced: its runs stay stuck until retried.
        let replaced = vec![
            Worker {
                name: "article-generator-c".into(),
                hung: false,
            },
            hung[1].clone(),
        ];
        let ids: Vec<String> = stuck.iter().map(|r| r.id.clone()).collect();
        let t = run_for(&mut p, t, 10_000, &replaced);
        for id in ids {
            assert_eq!(p.get(&id).map(|r| r.status(t)), Some("stuck"), "{id}");
        }
    }

    #[test]
    fn retry_requeues_stuck_or_failed_runs_and_they_succeed() {
        let t0 = TEST_NOW;
        let mut p = Pipelines::new(7, t0);
        let t = run_for(&mut p, t0, STUCK_AFTER_MS + 3000, &workers(true));
        let id = p.list(t, Some("stuck"))[0].id.clone();
        let run = p.retry(&id, t).unwrap();
        assert_eq!((run.status(t), run.attempt), ("queued", 2));
        assert_eq!(
            p.retry(&id, t).unwrap_err(),
            RetryError::NotRetryable("queued")
        );
        let t = run_for(&mut p, t, 250, &workers(true));
        let run = p.get(&id).unwrap();
        assert_eq!(run.status(t), "running");
        assert_eq!(run.worker.as_deref(), Some("article-generator-b"));
        let t = run_for(&mut p, t, 6000, &workers(true));
        assert_eq!(p.get(&id).unwrap().status(t), "succeeded");
        assert_eq!(
            p.retry(&id, t).unwrap_err(),
            RetryError::NotRetryable("succeeded")
        );
        assert_eq!(p.retry("run-1", t).unwrap_err(), RetryError::NotFound);
    }

    #[test]
    fn failed_runs_are_retryable() {
        let t0 = TEST_NOW;
        let mut p = Pipelines::new(7, t0);
        let t = run_for(&mut p, t0, 120_000, &workers(false));
        let failed = p.list(t, Some("failed"));
        assert!(!failed.is_empty());
        let id = failed[0].id.clone();
        assert!(p.retry(&id, t).is_ok());
    }

    #[test]
    fn paused_generation_starts_nothing_and_resume_starts_again() {
        let t0 = TEST_NOW;
        let mut p = Pipelines::new(7, t0);
        p.set_paused(true, t0);
        p.set_paused(true, t0);
        let t = run_for(&mut p, t0, 10_000, &workers(false));
        assert_eq!(p.list(t, None).len(), 0);
        assert!(paused_at(&p.pause_windows(), t));
        p.set_paused(false, t);
        let t2 = run_for(&mut p, t, 3000, &workers(false));
        assert!(!p.list(t2, None).is_empty());
        assert!(!paused_at(&p.pause_windows(), t2));
        assert_eq!(p.pause_windows().len(), 1);
    }

    #[test]
    fn queued_retries_wait_while_paused() {
        let t0 = TEST_NOW;
        let mut p = Pipelines::new(7, t0);
        let t = run_for(&mut p, t0, STUCK_AFTER_MS + 3000, &workers(true));
        let id = p.list(t, Some("stuck"))[0].id.clone();
        p.set_paused(true, t);
        p.retry(&id, t).unwrap();
        let t = run_for(&mut p, t, 5000, &workers(true));
        assert_eq!(p.get(&id).unwrap().status(t), "queued");
    }
}
