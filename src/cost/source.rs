//! The cost sources: LLM spend from Prometheus's counters (eleven aggregated queries a refresh,
//! summed by provider and service on the server) and infrastructure from OpenCost. Each polls
//! on its own and fails on its own.

use std::collections::BTreeMap;
use std::time::Duration;

use futures::future::try_join_all;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::model::{CostMsg, LlmReading, Spend, since_day_and_month};
use super::opencost::OpenCost;
use crate::clients::poll::{self, Next, Step};
use crate::clients::prometheus::{PromError, Prometheus, QueryResult};
use crate::status::Backoff;
use crate::status::now_ms;

/// The PromQL of one LLM refresh at `now_ms` (windows since 00:00 UTC and since the 1st).
pub fn llm_queries(now_ms: i64) -> [String; 11] {
    let (day, month) = since_day_and_month(now_ms);
    // A window under a minute holds too few samples for increase(): widen it.
    let (day, month) = (day.max(60), month.max(60));
    let by = "sum by (provider, service)";
    [
        format!("{by} (increase(llm_cost_usd_total[{day}s]))"),
        format!("{by} (increase(llm_cost_usd_total[{month}s]))"),
        format!("{by} (rate(llm_cost_usd_total[15m])) * 3600"),
        format!("{by} (increase(llm_cost_usd_total[24h]))"),
        "sum(increase(llm_cost_usd_total[7d]))".into(),
        "sum by (model) (increase(llm_tokens_total[24h]))".into(),
        format!("sum(increase(articles_published_total[{day}s]))"),
        "sum(increase(articles_published_total[7d]))".into(),
        format!("sum(increase(pipeline_runs_total{{stage=\"generate\"}}[{day}s]))"),
        "sum(increase(pipeline_runs_total{stage=\"generate\"}[7d]))".into(),
        "sum(increase(llm_cost_usd_total[1h]))".into(),
    ]
}

/// Reads LLM spend, tokens and unit counts in one round of queries.
pub async fn read_llm(prom: &Prometheus, now_ms: i64) -> Result<LlmReading, PromError> {
    let queries = llm_queries(now_ms);
    let at = Some(now_ms as f64 / 1000.0);
    let answers = try_join_all(queries.iter().map(|q| prom.query(q, at))).await?;
    let mut reading = LlmReading::default();
    let setters: [fn(&mut Spend, f64); 4] = [
        |s, v| s.today_usd += v,
        |s, v| s.month_usd += v,
        |s, v| s.hourly_usd += v,
        |s, v| s.last_24h_usd += v,
    ];
    for (answer, set) in answers.iter().zip(setters) {
        for (labels, v) in samples(answer) {
            set(&mut reading.total, v);
            if let Some(p) = labels.get("provider") {
                set(reading.by_provider.entry(p.clone()).or_default(), v);
            }
            if let Some(s) = labels.get("service") {
                set(reading.by_service.entry(s.clone()).or_default(), v);
            }
        }
    }
    let one = |i: usize| {
        answers
            .get(i)
            .and_then(QueryResult::single_value)
            .filter(|v| v.is_finite())
    };
    reading.last_7d_usd = one(4).unwrap_or(0.0);
    reading.tokens_24h_by_model = answers
        .get(5)
        .map(|a| {
            samples(a)
                .filter_map(|(l, v)| Some((l.get("model")?.clone(), v)))
                .collect()
        })
        .unwrap_or_default();
    reading.articles_today = one(6).unwrap_or(0.0);
    reading.articles_7d = one(7).unwrap_or(0.0);
    reading.runs_today = one(8).unwrap_or(0.0);
    reading.runs_7d = one(9).unwrap_or(0.0);
    reading.last_hour_usd = one(10).unwrap_or(0.0);
    Ok(reading)
}

/// The finite samples of a vector answer.
fn samples(answer: &QueryResult) -> impl Iterator<Item = (&BTreeMap<String, String>, f64)> {
    let v = match answer {
        QueryResult::Vector(v) => v.as_slice(),
        _ => &[],
    };
    v.iter()
        .filter(|s| s.value.is_finite())
        .map(|s| (&s.metric, s.value))
}

/// One of the two cost sources, polled on its own.
enum Reader {
    Llm(Prometheus),
    Infra(OpenCost),
}

impl Reader {
    /// A reading, or why not and how long the server asked to be left alone.
    async fn read(&self) -> Result<CostMsg, (String, Option<Duration>)> {
        let at_ms = now_ms();
        match self {
            Reader::Llm(prom) => read_llm(prom, at_ms)
                .await
                .map(|r| CostMsg::Llm {
                    at_ms,
                    reading: Box::new(r),
                })
                .map_err(|e| (e.to_string(), e.retry_after())),
            Reader::Infra(opencost) => opencost
                .read()
                .await
                .map(|reading| CostMsg::Infra { at_ms, reading })
                .map_err(|e| (e.to_string(), e.retry_after())),
        }
    }

    fn failed(&self, reason: String, retry_in: Option<Duration>) -> CostMsg {
        match self {
            Reader::Llm(_) => CostMsg::LlmFailed { reason, retry_in },
            Reader::Infra(_) => CostMsg::InfraFailed { reason, retry_in },
        }
    }

    fn url(&self) -> &str {
        match self {
            Reader::Llm(p) => p.url(),
            Reader::Infra(o) => o.url(),
        }
    }
}

struct CostTask<M> {
    reader: Reader,
    tx: mpsc::Sender<M>,
    backoff: Backoff,
}

impl<M: From<CostMsg> + Send + 'static> Step for CostTask<M> {
    async fn step(&mut self) -> Next {
        let (msg, next) = match self.reader.read().await {
            Ok(msg) => {
                self.backoff.reset();
                (msg, Next::Tick)
            }
            Err((reason, asked)) => {
                tracing::warn!(url = %self.reader.url(), %reason, "cost source failed");
                let delay = self.backoff.next_delay_asked(asked);
                (
                    self.reader.failed(reason, Some(delay)),
                    Next::RetryIn(delay),
                )
            }
        };
        match self.tx.send(M::from(msg)).await {
            Ok(()) => next,
            Err(_) => Next::Stop,
        }
    }
}

/// Starts the cost sources that are configured.
pub fn spawn_cost_sources<M: From<CostMsg> + Send + 'static>(
    prometheus: Option<Prometheus>,
    opencost: Option<OpenCost>,
    (llm_every, infra_every): (Duration, Duration),
    tx: mpsc::Sender<M>,
    token: CancellationToken,
) {
    let readers = [
        prometheus.map(|p| (Reader::Llm(p), llm_every)),
        opencost.map(|o| (Reader::Infra(o), infra_every)),
    ];
    for (reader, every) in readers.into_iter().flatten() {
        let mut task = CostTask {
            reader,
            tx: tx.clone(),
            backoff: Backoff::default(),
        };
        let token = token.clone();
        tokio::spawn(async move { poll::every(every, &token, &mut task).await });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_use_windows_since_midnight_and_the_first() {
        // 2026-11-25 18:00:00 UTC.
        let q = llm_queries(1_795_629_600_000);
        assert_eq!(
            q[0],
            "sum by (provider, service) (increase(llm_cost_usd_total[64800s]))"
        );
        assert!(
            q[1].contains(&format!("[{}s]", 24 * 86_400 + 64_800)),
            "{}",
            q[1]
        );
        // At 00:00:10 the day window is widened to a minute.
        assert!(llm_queries(1_795_564_810_000)[0].contains("[60s]"));
    }
}
