//! Pod logs, generated lazily: line k of a container run is a pure function of (pod seed, k),
//! so no buffers are kept; the last `MAX_LINES` lines of the current run are available.

use jiff::Timestamp;

use super::model::PodM;
use super::pipelines::paused_at;
use crate::sim::util::{after_ms, mix};

pub const MAX_LINES: i64 = 2000;

/// The window of log lines a pod's current (or last, when crashed) container run produced.
#[derive(Clone, Debug)]
pub struct LogRun {
    pub seed: u64,
    pub app: String,
    pub start: Timestamp,
    /// Lines stop here (stuck worker, crashed container).
    pub end: Option<Timestamp>,
    pub period_ms: i64,
    pub oom: bool,
    /// Generation-paused windows: an article-generator idles through them.
    pub paused: Vec<(Timestamp, Option<Timestamp>)>,
}

impl LogRun {
    /// The current container's run (or the last one while it waits to restart);
    /// with `previous`, the last terminated run.
    pub fn of(pod: &PodM, previous: bool) -> Option<LogRun> {
        let (start, end, oom) = match (&pod.started, &pod.last_term) {
            (_, Some(t)) if previous => (t.started, Some(t.finished), t.reason == "OOMKilled"),
            (_, None) if previous => return None,
            (Some(s), _) => (*s, pod.stuck_since, false),
            (None, Some(t)) => (t.started, Some(t.finished), t.reason == "OOMKilled"),
            (None, None) => return None,
        };
        let image = pod
            .template
            .spec
            .as_ref()
            .and_then(|s| s.containers.first())
            .and_then(|c| c.image.as_deref())
            .unwrap_or("");
        // bad-rollout: the release candidate answers 5xx.
        let app = if image.ends_with("-rc1") {
            format!("{}-bad", pod.app())
        } else {
            pod.app().to_string()
        };
        Some(LogRun {
            seed: pod.seed,
            app,
            start,
            end,
            period_ms: 500 + (pod.seed % 500) as i64,
            oom,
            paused: Vec::new(),
        })
    }

    /// Number of regular lines produced by `now`.
    pub fn count(&self, now: Timestamp) -> i64 {
        let until = self.end.map_or(now, |e| e.min(now));
        let ms = until.as_millisecond() - self.start.as_millisecond();
        if ms < 0 { 0 } else { ms / self.period_ms + 1 }
    }

    pub fn time_of(&self, k: i64) -> Timestamp {
        after_ms(
            self.start,
            k * self.period_ms + (mix(self.seed ^ k as u64) % 97) as i64,
        )
    }

    /// Lines `from..to` as (time, text), plus the OOM trace after the last when the run crashed.
    pub fn lines(&self, from: i64, to: i64, now: Timestamp) -> Vec<(Timestamp, String)> {
        let mut out: Vec<(Timestamp, String)> = (from..to)
            .map(|k| {
                let t = self.time_of(k);
                if k > 0 && paused_at(&self.paused, t) {
                    return (t, "INFO generation paused, idle".to_string());
                }
                (t, line(&self.app, self.seed, k))
            })
            .collect();
        if self.oom && to >= self.count(now) {
            let at = self.end.unwrap_or(now);
            for l in OOM_TRACE {
                out.push((at, (*l).to_string()));
            }
        }
        out
    }

    /// The tail as kubectl asks for it: the last `tail` lines, those since `since`.
    pub fn select(
        &self,
        now: Timestamp,
        tail: Option<i64>,
        since: Option<Timestamp>,
    ) -> (Vec<(Timestamp, String)>, i64) {
        let n = self.count(now);
        let mut from = (n - MAX_LINES).max(0);
        if let Some(s) = since {
            let k = (s.as_millisecond() - self.start.as_millisecond()) / self.period_ms - 1;
            from = from.max(k.max(0));
        }
        let mut lines = self.lines(from.min(n), n, now);
        if let Some(s) = since {
            lines.retain(|(t, _)| *t >= s);
        }
        if let Some(t) = tail {
            let t = t.max(0) as usize;
            if lines.len() > t {
                lines.drain(..lines.len() - t);
            }
        }
        (lines, n)
    }
}

const OOM_TRACE: &[&str] = &[
    "Traceback (most recent call last):",
    "  File \"/app/worker/tasks.py\", line 212, in check_facts",
    "    embeddings = model.encode(chunks, batch_size=256)",
    "  File \"/usr/local/lib/python3.12/site-packages/sentence_transformers/SentenceTransformer.py\", line 517, in encode",
    "    all_embeddings = torch.stack(all_embeddings)",
    "MemoryError: Unable to allocate 1.21 GiB for an array with shape (4096, 77824) and data type float32",
    "Killed",
];

const TOPICS: &[&str] = &[
    "ai-regulation",
    "llm-pricing",
    "kubernetes-costs",
    "vector-databases",
    "seo-2026",
    "open-models",
];
const ROUTES: &[&str] = &[
    "/v1/articles",
    "/v1/articles/{id}",
    "/v1/topics",
    "/health/ready",
    "/v1/pipelines",
    "/metrics",
];

/// One plausible log line for a role, deterministic in (seed, k).
pub fn line(app: &str, seed: u64, k: i64) -> String {
    let r = mix(seed ^ (k as u64).wrapping_mul(0x9E37));
    if k == 0 {
        return format!("INFO starting {app} pid=1 version=sim");
    }
    let id = 100_000 + (r % 900_000);
    let lat = 200 + (r >> 20) % 4000;
    match app {
        "api" | "api-bad" => {
            let route = ROUTES[(r % ROUTES.len() as u64) as usize].replace("{id}", &id.to_string());
            let code = if app == "api-bad" && !(r >> 6).is_multiple_of(3) {
                [500, 502, 503][((r >> 9) % 3) as usize]
            } else if (r >> 8).is_multiple_of(50) {
                404
            } else if route == "/v1/articles" && (r >> 12).is_multiple_of(3) {
                201
            } else {
                200
            };
            format!(
                "10.244.{}.{} - - \"{} {route} HTTP/1.1\" {code} {} {}ms",
                (r >> 4) % 8,
                (r >> 16) % 250,
                if code == 201 { "POST" } else { "GET" },
                120 + (r >> 24) % 9000,
                2 + (r >> 32) % 180
            )
        }
        "article-generator" => format!(
            "INFO task=generate_article article_id={id} tokens={} provider=openai model=gpt-4o latency_ms={lat}",
            800 + (r >> 28) % 3200
        ),
        "fact-checker" => format!(
            "INFO task=check_facts article_id={id} claims={} verified={} provider=openai model=gpt-4o-mini latency_ms={lat}",
            3 + r % 9,
            2 + r % 7
        ),
        "topic-analyzer" => format!(
            "INFO task=analyze_topics topic={} score={:.2} sources={}",
            TOPICS[(r % TOPICS.len() as u64) as usize],
            (r % 100) as f64 / 100.0,
            3 + (r >> 8) % 20
        ),
        "publisher" => format!(
            "INFO job=publish article_id={id} target={} status=ok duration_ms={lat}",
            if r.is_multiple_of(3) {
                "twitter"
            } else {
                "wordpress"
            }
        ),
        "competitor-monitor" => format!(
            "INFO scraped url=https://competitor{}.example.com/blog new_items={} xadd stream=events:competitors",
            r % 12,
            r % 4
        ),
        "scheduler" => format!(
            "INFO beat: Scheduler: Sending due task {} (tasks.{})",
            TOPICS[(r % TOPICS.len() as u64) as usize],
            if r.is_multiple_of(2) {
                "refresh_topics"
            } else {
                "enqueue_articles"
            }
        ),
        "redis" => format!("1:M * {} changes in 60 seconds. Saving...", 1 + r % 100),
        "postgres" => format!(
            "LOG:  checkpoint complete: wrote {} buffers ({:.1}%); write={:.3} s",
            r % 900,
            (r % 100) as f64 / 10.0,
            (r % 3000) as f64 / 1000.0
        ),
        "rabbitmq" => format!(
            "[info] <0.{}.0> accepting AMQP connection 10.244.{}.{}:{}",
            r % 9000,
            r % 8,
            (r >> 8) % 250,
            30000 + r % 30000
        ),
        "qdrant" => format!(
            "INFO actix_web::middleware::logger: 10.244.0.{} \"POST /collections/articles/points/search HTTP/1.1\" 200 {} {:.6}",
            r % 250,
            200 + r % 4000,
            (r % 1000) as f64 / 100_000.0
        ),
        _ => format!(
            "level=info ts=sim caller=main.go:{} msg=\"tick\" n={k}",
            100 + r % 400
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::clock::TEST_NOW;

    fn run(now: Timestamp) -> LogRun {
        LogRun {
            seed: 42,
            app: "article-generator".into(),
            start: crate::sim::util::ago(now, 60),
            end: None,
            period_ms: 500,
            oom: false,
            paused: Vec::new(),
        }
    }

    #[test]
    fn tail_returns_exactly_n_lines_and_lines_are_stable() {
        let now = TEST_NOW;
        let r = run(now);
        let (lines, n) = r.select(now, Some(5), None);
        assert_eq!(lines.len(), 5);
        assert!(n >= 100);
        assert!(
            lines[4].1.contains("task=generate_article"),
            "{}",
            lines[4].1
        );
        let (again, _) = r.select(now, Some(5), None);
        assert_eq!(lines, again);
    }

    #[test]
    fn paused_windows_idle_the_generator() {
        let now = TEST_NOW;
        let mut r = run(now);
        r.paused = vec![(crate::sim::util::ago(now, 10), None)];
        let (lines, _) = r.select(now, Some(3), None);
        assert!(lines.iter().all(|l| l.1 == "INFO generation paused, idle"));
        let (old, _) = r.select(now, Some(40), None);
        assert!(old[0].1.contains("task=generate_article"), "{}", old[0].1);
    }

    #[test]
    fn since_filters_old_lines() {
        let now = TEST_NOW;
        let r = run(now);
        let (lines, _) = r.select(now, None, Some(crate::sim::util::ago(now, 5)));
        assert!(lines.len() <= 12 && lines.len() >= 8, "{}", lines.len());
    }
}
