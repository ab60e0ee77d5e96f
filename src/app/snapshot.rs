//! `opsdeck snapshot`: the console's sources started headless (the cluster's watches and every
//! pane's feeds), their messages applied to the panes until every source has answered or
//! failed for good, or the timeout; then each pane's part (`Pane::snapshot`) printed once, as
//! text or as JSON (`docs/snapshot.schema.json`). Exit 2 names each source that did not
//! answer. A new pane takes part by implementing `Pane::sources` and `Pane::snapshot`.

use std::io::Write;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use color_eyre::eyre::Result;
use serde_json::{Map, Value, json};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::session::{Options, Session, look};
use crate::cluster::pane::OVERVIEW;
use crate::core::msg::Msg;
use crate::core::panes::Panes;
use crate::status::{LoadState, unix_now};
use crate::ui::snapshot::{PaneSnapshot, Source, rfc3339};
use crate::ui::table::Ctx;

/// The JSON's `version`: raised when a field changes meaning or goes away (new fields and
/// new panes do not raise it).
pub const VERSION: u32 = 1;
/// The top-level keys that are not panes.
pub const RESERVED: [&str; 5] = ["version", "time", "context", "unanswered", "timing"];
/// The keys of a pane's object that are the runner's, not the pane's `more`.
const PANE_KEYS: [&str; 3] = ["state", "sources", "rows"];
/// Messages applied between two looks at whether every source has settled.
const DRAIN_LIMIT: usize = 256;

/// How long the sync took (the README's whole-process figures read these).
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Timing {
    pub first_pod_rows_ms: Option<u128>,
    /// Every source answered or failed for good (None: the timeout came first).
    pub full_sync_ms: Option<u128>,
    /// When each context's watches had all listed (or failed for good); a context missing
    /// never did within the timeout.
    pub contexts_synced_ms: std::collections::BTreeMap<String, u128>,
}

/// One pane's part, with its sources.
pub struct Part {
    pub snapshot: PaneSnapshot,
    pub sources: Vec<Source>,
}

/// A source that did not answer: which pane, which source, why.
pub struct Unanswered {
    pub pane: &'static str,
    pub source: String,
    pub reason: Option<String>,
}

/// `opsdeck snapshot [--output json] [--timeout S]`.
pub async fn run(opts: &Options, json: bool, timeout: Duration) -> Result<ExitCode> {
    let session = Session::connect(opts).await?;
    let (theme, symbols) = look(opts)?;
    let names: Vec<String> = session
        .clusters
        .iter()
        .map(|c| c.name.to_string())
        .collect();
    let context = names.join(",");
    let (panes, timing) = gather(session, timeout).await;
    let now = unix_now();
    let ctx = Ctx {
        theme: &theme,
        symbols: &symbols,
        now,
    };
    let parts = parts(&panes, &ctx);
    let missing = unanswered(&parts);
    if json {
        // Written as it is serialized: 500,000 pods make a 250 MB report, never held twice.
        let report = to_json(parts, &missing, &context, now, timing);
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
        out.flush()?;
    } else {
        print!("{}", to_text(&parts, &missing, &context, now));
    }
    if missing.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!(
        "opsdeck: not every source answered (waited up to {}s):",
        timeout.as_secs()
    );
    if names.len() > 1 {
        let unsynced: Vec<&str> = names
            .iter()
            .map(String::as_str)
            .filter(|n| {
                let on = format!("{n}: ");
                missing
                    .iter()
                    .any(|m| m.pane == "cluster" && m.source.starts_with(&on))
            })
            .collect();
        if !unsynced.is_empty() {
            eprintln!("  contexts not in sync: {}", unsynced.join(", "));
        }
    }
    for m in &missing {
        eprintln!("  {}", m.line());
    }
    Ok(ExitCode::from(2))
}

/// Starts every source, applies what they send until all have settled or `timeout` passes.
async fn gather(session: Session, timeout: Duration) -> (Panes, Timing) {
    let started = Instant::now();
    let default_namespace = &session.connection.default_namespace;
    let mut panes = session.feeds.panes(
        session.namespaces.clone(),
        session.clusters.iter().map(|c| c.name.clone()).collect(),
        default_namespace,
    );
    let (tx, mut rx) = mpsc::channel::<Msg>(1024);
    let token = CancellationToken::new();
    let fleet = super::fleet::Fleet::start(&session.clusters, &session.namespaces, tx.clone());
    session.feeds.start(&tx, &token);
    drop(tx);
    let deadline = tokio::time::Instant::now() + timeout;
    let mut timing = Timing::default();
    while !settled(&panes) {
        let Ok(Some(msg)) = tokio::time::timeout_at(deadline, rx.recv()).await else {
            break;
        };
        apply(&mut panes, msg);
        for _ in 0..DRAIN_LIMIT {
            match rx.try_recv() {
                Ok(msg) => apply(&mut panes, msg),
                Err(_) => break,
            }
        }
        if timing.first_pod_rows_ms.is_none() && !panes.cluster.model.pods.is_empty() {
            timing.first_pod_rows_ms = Some(started.elapsed().as_millis());
        }
        for c in &panes.cluster.contexts {
            if !timing.contexts_synced_ms.contains_key(c.as_str()) && panes.cluster.synced(c) {
                let ms = started.elapsed().as_millis();
                timing.contexts_synced_ms.insert(c.to_string(), ms);
            }
        }
    }
    if settled(&panes) {
        timing.full_sync_ms = Some(started.elapsed().as_millis());
    }
    token.cancel();
    fleet.stop();
    for pane in panes.all_mut() {
        pane.prepare(OVERVIEW, None, unix_now());
    }
    (panes, timing)
}

fn apply(panes: &mut Panes, msg: Msg) {
    if let Msg::Pane(m) = msg {
        panes.apply(m, unix_now(), OVERVIEW, false);
    }
}

/// Every source has answered or failed for good: waiting longer changes nothing.
fn settled(panes: &Panes) -> bool {
    panes
        .all()
        .iter()
        .all(|p| p.sources().iter().all(|s| s.state.settled()))
}

/// Each pane's part, in registry order.
pub fn parts(panes: &Panes, ctx: &Ctx) -> Vec<Part> {
    panes
        .all()
        .iter()
        .filter_map(|p| {
            Some(Part {
                snapshot: p.snapshot(ctx)?,
                sources: p.sources(),
            })
        })
        .collect()
}

pub fn unanswered(parts: &[Part]) -> Vec<Unanswered> {
    let mut out = vec![];
    for part in parts {
        for s in part.sources.iter().filter(|s| !s.answered) {
            out.push(Unanswered {
                pane: part.snapshot.key,
                source: s.label(),
                reason: match &s.state {
                    LoadState::Stale { reason, .. } => Some(reason.clone()),
                    _ => None,
                },
            });
        }
    }
    out
}

impl Unanswered {
    /// "slo: Prometheus http://127.0.0.1:9090: connection refused, retrying in 4s".
    fn line(&self) -> String {
        let reason = self.reason.as_deref().unwrap_or("no answer yet");
        format!("{}: {}: {reason}", self.pane, self.source)
    }
}

/// A pane's state from its sources': "unconfigured" (none), "stale" (one failed), "loading"
/// (one has not answered yet), else "live".
fn pane_state(sources: &[Source]) -> &'static str {
    let any = |f: fn(&LoadState) -> bool| sources.iter().any(|s| f(&s.state));
    if sources.is_empty() {
        "unconfigured"
    } else if any(|s| matches!(s, LoadState::Stale { .. })) {
        "stale"
    } else if any(|s| *s == LoadState::Loading) {
        "loading"
    } else {
        "live"
    }
}

/// The JSON report: version, time, context, unanswered, timing, then one object per pane.
pub fn to_json(
    parts: Vec<Part>,
    missing: &[Unanswered],
    context: &str,
    now: i64,
    timing: Timing,
) -> Value {
    let mut top = Map::new();
    top.insert("version".into(), json!(VERSION));
    top.insert("time".into(), json!(rfc3339(now)));
    top.insert("context".into(), json!(context));
    let missing: Vec<Value> = missing
        .iter()
        .map(|m| json!({"pane": m.pane, "source": m.source, "reason": m.reason}))
        .collect();
    top.insert("unanswered".into(), Value::Array(missing));
    top.insert("timing".into(), json!(timing));
    for part in parts {
        let key = part.snapshot.key;
        let mut pane = Map::new();
        pane.insert("state".into(), json!(pane_state(&part.sources)));
        let sources = part.sources.iter().map(Source::to_json).collect();
        pane.insert("sources".into(), Value::Array(sources));
        pane.insert("rows".into(), Value::Array(part.snapshot.rows));
        for (k, v) in part.snapshot.more {
            debug_assert!(
                !PANE_KEYS.contains(&k.as_str()),
                "{}: {k}",
                part.snapshot.key
            );
            pane.insert(k, v);
        }
        top.insert(key.into(), Value::Object(pane));
    }
    Value::Object(top)
}

/// The text report: a header naming what did not answer, then each pane's section.
pub fn to_text(parts: &[Part], missing: &[Unanswered], context: &str, now: i64) -> String {
    let mut out = format!("opsdeck snapshot  context {context}  {}\n", rfc3339(now));
    if missing.is_empty() {
        out.push_str("every source answered\n");
    } else {
        out.push_str(&format!("NOT ANSWERED ({}):\n", missing.len()));
        for m in missing {
            out.push_str(&format!("  {}\n", m.line()));
        }
    }
    for part in parts {
        out.push('\n');
        for (i, line) in part.snapshot.text.iter().enumerate() {
            out.push_str(line);
            if i == 0 && part.sources.is_empty() {
                out.push_str("  (not configured)");
            }
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::sources::Feeds;
    use crate::cluster::source::Namespaces;

    fn ctx_parts(panes: &Panes) -> Vec<Part> {
        let theme = crate::ui::theme::Theme::default_for(true);
        let ctx = Ctx {
            theme: &theme,
            symbols: &crate::ui::symbols::ASCII,
            now: 1_795_608_000,
        };
        parts(panes, &ctx)
    }

    #[test]
    fn every_pane_has_its_own_key_clear_of_the_reports() {
        let panes = Feeds::default().panes(Namespaces::All, vec!["default".into()], "default");
        let parts = ctx_parts(&panes);
        // Every pane but the inspect pane (one object on demand) and the incident's timeline
        // (`opsdeck incident export` is its report).
        assert_eq!(parts.len(), panes.all().len() - 2, "every pane takes part");
        let mut seen = std::collections::BTreeSet::new();
        for p in &parts {
            let key = p.snapshot.key;
            assert!(seen.insert(key), "{key} twice");
            assert!(!RESERVED.contains(&key), "{key} is a report key");
            assert!(!key.is_empty() && key.chars().all(|c| c.is_ascii_lowercase()));
            for k in p.snapshot.more.keys() {
                assert!(
                    !PANE_KEYS.contains(&k.as_str()),
                    "{key}.{k} is the runner's"
                );
            }
        }
    }

    #[test]
    fn nothing_configured_is_said_and_the_cluster_waits_for_its_watches() {
        let panes = Feeds::default().panes(Namespaces::All, vec!["default".into()], "default");
        assert!(!settled(&panes), "the watches have not listed yet");
        let parts = ctx_parts(&panes);
        let states: Vec<&str> = parts.iter().map(|p| pane_state(&p.sources)).collect();
        assert_eq!(
            states,
            [
                "loading",
                "unconfigured",
                "unconfigured",
                "unconfigured",
                "unconfigured",
                "unconfigured"
            ]
        );
        let missing = unanswered(&parts);
        assert_eq!(missing.len(), 7);
        assert_eq!(
            missing[0].line(),
            "cluster: Kubernetes deployments: no answer yet"
        );
        let text = to_text(&parts, &missing, "prod", 1_795_608_000);
        assert!(text.starts_with("opsdeck snapshot  context prod  2026-11-25T12:00:00Z\n"));
        assert!(text.contains("NOT ANSWERED (7):\n  cluster: Kubernetes deployments"));
        assert!(text.contains("\nSLOS (0)  (not configured)\n"), "{text}");
        let report = to_json(parts, &missing, "prod", 1_795_608_000, Timing::default());
        assert_eq!(report["version"], 1);
        assert_eq!(report["slo"]["state"], "unconfigured");
        assert_eq!(report["cluster"]["sources"][0]["state"], "loading");
        assert_eq!(report["unanswered"][0]["pane"], "cluster");
    }
}
