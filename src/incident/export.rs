//! The postmortem draft: Markdown (or JSON) from the incident's entries alone, so the same
//! entries always give the same document. What only people know (summary, root cause, lessons,
//! action items) is left as headings to fill in.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::{Value, json};

use super::entry::{Entry, Kind, Milestone, utc};
use super::model::Incident;

/// Minutes between two unix-millisecond times, rounded down.
fn minutes(from: i64, to: i64) -> i64 {
    (to - from).max(0) / 60_000
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// Minutes each SLO spent in PAGE between the start and the resolution (or its last entry).
fn minutes_in_page(inc: &Incident) -> BTreeMap<String, i64> {
    let end = inc
        .milestones
        .get(&Milestone::Resolved)
        .copied()
        .or(inc.entries.last().map(|e| e.at))
        .unwrap_or_default();
    let start = inc.started_at();
    let mut paging_since: BTreeMap<String, i64> = BTreeMap::new();
    let mut total: BTreeMap<String, i64> = BTreeMap::new();
    for e in inc.entries.iter().filter(|e| e.kind == Kind::Slo) {
        let (Some(slo), Some(state)) = (e.data["slo"].as_str(), e.data["state"].as_str()) else {
            continue;
        };
        let at = e.at.clamp(start, end.max(start));
        if state == "PAGE" {
            paging_since.entry(slo.to_string()).or_insert(at);
        } else if let Some(since) = paging_since.remove(slo) {
            *total.entry(slo.to_string()).or_default() += at - since;
        }
    }
    for (slo, since) in paging_since {
        *total.entry(slo).or_default() += end.max(since) - since;
    }
    total.into_iter().map(|(k, ms)| (k, ms / 60_000)).collect()
}

/// The first signal: the first alert fired or SLO change.
fn first_signal(inc: &Incident) -> Option<&Entry> {
    inc.entries
        .iter()
        .find(|e| matches!(e.kind, Kind::AlertFired | Kind::Slo))
}

/// When it began: the first alert or SLO change, else the start (unix ms).
pub fn onset(inc: &Incident) -> i64 {
    first_signal(inc).map_or(inc.started_at(), |e| e.at)
}

/// The changes (revisions, scaling, nodes, actions) in the 30 minutes before `onset` (ms),
/// newest first; hidden ones left out.
pub fn changes_before(inc: &Incident, onset: i64) -> Vec<&Entry> {
    let mut changes: Vec<&Entry> = inc
        .timeline()
        .into_iter()
        .map(|s| s.entry)
        .filter(|e| e.kind.is_change() && e.at <= onset && e.at >= onset - 30 * 60_000)
        .collect();
    changes.sort_by_key(|e| std::cmp::Reverse((e.at, e.id.clone())));
    changes
}

pub fn markdown(inc: &Incident) -> String {
    let mut md = String::new();
    let shown = inc.timeline();
    let _ = writeln!(md, "# {}: {}\n", inc.id, inc.title);
    let _ = writeln!(md, "| | |\n|---|---|");
    let _ = writeln!(md, "| Severity | {} |", cell(&inc.severity));
    let _ = writeln!(md, "| Status | {} |", inc.status().word());
    if !inc.context.is_empty() {
        let _ = writeln!(md, "| Context | {} |", cell(&inc.context));
    }
    let _ = writeln!(md, "| Started | {} UTC |", utc(inc.started_at()));
    for (role, who) in &inc.roles {
        let _ = writeln!(md, "| {} | {} |", cell(role), cell(who));
    }
    md.push_str("\n## Summary\n\n_What happened, in two or three sentences, for someone who was not there._\n");

    md.push_str("\n## Impact\n\n");
    let paging = minutes_in_page(inc);
    if paging.is_empty() {
        md.push_str("- Time in PAGE: none recorded\n");
    }
    for (slo, m) in &paging {
        let _ = writeln!(md, "- Time in PAGE: {m} min ({slo})");
    }
    let impact = inc
        .entries
        .iter()
        .rev()
        .find(|e| e.kind == Kind::Impact)
        .map(|e| &e.data);
    let measured = |key: &str, what: &str| match impact.and_then(|i| i.get(key)) {
        Some(Value::String(s)) => format!("- {what}: {s}\n"),
        Some(v) if !v.is_null() => format!("- {what}: {v}\n"),
        _ => format!("- {what}: not measured\n"),
    };
    md.push_str(&measured("error_budget_burned", "Error budget burned"));
    md.push_str(&measured("failed_requests", "Failed requests"));
    md.push_str(&measured("articles_delayed", "Articles delayed"));
    md.push_str(&measured("llm_over_budget", "LLM spend above the budget"));

    md.push_str("\n## Detection\n\n");
    match first_signal(inc) {
        Some(e) => {
            let _ = writeln!(
                md,
                "- First signal: {} UTC, {} ({})",
                e.time(),
                e.text,
                e.source
            );
            match inc.milestones.get(&Milestone::Detected) {
                Some(&d) => {
                    let _ = writeln!(md, "- Time to detect: {} min", minutes(e.at, d));
                }
                None => md.push_str("- Time to detect: not marked\n"),
            }
        }
        None => md.push_str("- First signal: none recorded\n"),
    }

    md.push_str("\n## Response\n\n| Milestone | Time (UTC) | After the start |\n|---|---|---|\n");
    for (m, at) in &inc.milestones {
        let _ = writeln!(
            md,
            "| {} | {} | {} min |",
            m.word(),
            utc(*at),
            minutes(inc.started_at(), *at)
        );
    }

    md.push_str("\n## Timeline\n\n| Time (UTC) | Event | Source |\n|---|---|---|\n");
    for s in &shown {
        let by = s
            .entry
            .operator
            .as_deref()
            .map_or_else(String::new, |o| format!(" ({o})"));
        let corrected = if s.corrected { " (corrected)" } else { "" };
        let _ = writeln!(
            md,
            "| {} | {}: {}{by}{corrected} | {} |",
            s.entry.time(),
            s.entry.kind.word(),
            cell(s.text),
            cell(&s.entry.source)
        );
    }

    md.push_str("\n## Actions taken\n");
    let actions: Vec<_> = shown
        .iter()
        .filter(|s| s.entry.kind == Kind::Action)
        .collect();
    if actions.is_empty() {
        md.push_str("\nNone through opsdeck.\n");
    }
    for s in actions {
        let e = s.entry;
        let data = |k: &str| e.data[k].as_str().unwrap_or("-").to_string();
        let _ = writeln!(
            md,
            "\n### {} UTC: {}\n\n- By: {}\n- Plan: {}\n- Outcome: {}\n- Audit id: {}",
            e.time(),
            s.text,
            e.operator.as_deref().unwrap_or("-"),
            data("plan"),
            data("outcome"),
            data("audit_id")
        );
    }

    md.push_str("\n## Notes\n");
    let notes: Vec<_> = shown
        .iter()
        .filter(|s| s.entry.kind == Kind::Note)
        .collect();
    if notes.is_empty() {
        md.push_str("\nNone.\n");
    }
    for s in notes {
        let _ = writeln!(
            md,
            "\n**{}**, {} UTC{}:\n",
            s.entry.operator.as_deref().unwrap_or("someone"),
            s.entry.time(),
            if s.corrected { " (corrected)" } else { "" }
        );
        for line in s.text.lines() {
            let _ = writeln!(md, "> {line}");
        }
    }

    md.push_str("\n## What changed before it started\n\n");
    let onset = onset(inc);
    let changes = changes_before(inc, onset);
    if changes.is_empty() {
        md.push_str("No change recorded in the 30 minutes before the first signal.\n");
    }
    for e in changes {
        let _ = writeln!(
            md,
            "- {} UTC ({} min before): {}: {}",
            e.time(),
            minutes(e.at, onset),
            e.kind.word(),
            e.text
        );
    }

    md.push_str(
        "\n## Root cause\n\n_Why it happened, and why then._\n\
         \n## Lessons\n\n### What went well\n\n### What went wrong\n\n### Where we got lucky\n\
         \n## Action items\n\n| Item | Type (mitigate/prevent) | Owner | Tracking |\n|---|---|---|---|\n",
    );
    md
}

/// The incident and every entry, as JSON.
pub fn json(inc: &Incident) -> Value {
    let milestones: BTreeMap<&str, String> = inc
        .milestones
        .iter()
        .map(|(m, at)| (m.word(), utc(*at)))
        .collect();
    json!({
        "id": inc.id,
        "title": inc.title,
        "severity": inc.severity,
        "status": inc.status().word(),
        "context": inc.context,
        "milestones": milestones,
        "roles": inc.roles,
        "minutes_in_page": minutes_in_page(inc),
        "entries": inc.entries,
    })
}
