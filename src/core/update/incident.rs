//! The console's side of the incident: `:incident start|note|ack|mitigated|resolved|role`,
//! `:export`, the note editor (`n`), and what the console sees and does becoming entries.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::json;
use tui_textarea::TextArea;

use super::super::msg::Effect;
use super::super::state::{Mode, Screen, State};
use crate::actions::plan::Plan;
use crate::incident::entry::incident_id;
use crate::incident::export::markdown;
use crate::incident::observe::{Domain, Seen};
use crate::incident::pane::INCIDENT;
use crate::incident::record::action_entry;
use crate::incident::share::SharedMsg;
use crate::incident::{Entry, Incident, Kind, Milestone};

fn now_ms(state: &State) -> i64 {
    state.now * 1000
}

fn operator(state: &State) -> String {
    match state.panes.incident.operator.as_str() {
        "" => "unknown".into(),
        who => who.to_string(),
    }
}

/// Entries for the open incident become a record effect; none without an open incident.
fn record(state: &State, entries: Vec<Entry>) -> Vec<Effect> {
    match state.panes.incident.open_id() {
        Some(id) if !entries.is_empty() => vec![Effect::RecordIncident {
            id: id.to_string(),
            entries,
            share: true,
        }],
        _ => vec![],
    }
}

/// After a source message: what changed in its domain, for the timeline. Ten busy clusters
/// send thousands of updates a second: the cluster is looked at once a second at most, and
/// the news of the rest of the second at the next tick (`ticked`).
pub fn observed(state: &mut State, domain: Domain) -> Vec<Effect> {
    if domain == Domain::Cluster && !state.panes.incident.observer.cluster_due(now_ms(state)) {
        return vec![];
    }
    look(state, domain)
}

/// Each second: the cluster's news not looked at yet.
pub fn ticked(state: &mut State) -> Vec<Effect> {
    if state.panes.incident.observer.cluster_pending() {
        look(state, Domain::Cluster)
    } else {
        vec![]
    }
}

/// What changed in `domain` since the observer's last look, as timeline entries.
fn look(state: &mut State, domain: Domain) -> Vec<Effect> {
    let now = now_ms(state);
    let p = &mut state.panes;
    let seen = Seen {
        cluster: &mut p.cluster.model,
        context: &state.connection.context,
        alerts: &p.alerts.model,
        slo: &p.slo.model,
        queues: &p.queues.model,
        cost: &p.cost.model,
    };
    let entries = p.incident.observer.observe(seen, domain, now);
    if domain == Domain::Queues && p.incident.open_id().is_some() {
        for q in p.queues.model.rows() {
            if let Some(age) = q.oldest_age_secs {
                let seen = p.incident.oldest_seen.entry(q.name.clone()).or_default();
                *seen = seen.max(age);
            }
        }
    }
    let entries = if p.incident.open_id().is_some() {
        p.incident.add(entries)
    } else {
        vec![]
    };
    if !entries.is_empty() {
        state.dirty |= state.view() == INCIDENT;
    }
    record(state, entries)
}

/// `:incident WORDS...`.
pub fn command(state: &mut State, words: &[&str]) -> Vec<Effect> {
    let now = now_ms(state);
    let who = operator(state);
    match words {
        ["start", rest @ ..] => start(state, rest),
        ["note", text @ ..] if !text.is_empty() => {
            let e = Entry::new(Kind::Note, now, "operator", text.join(" ")).by(&who);
            add(state, vec![e], "noted")
        }
        ["correct", text @ ..] => supersede(state, Kind::Correction, text),
        ["hide"] => supersede(state, Kind::Hidden, &[]),
        ["role", role, who_else @ ..] if !who_else.is_empty() => {
            let name = who_else.join(" ");
            let e = Entry::new(Kind::Role, now, "operator", format!("{role}: {name}"))
                .by(&who)
                .with(json!({"role": role, "who": name}));
            add(state, vec![e], "role given")
        }
        [word, at @ ..] => {
            let word = match *word {
                "ack" => "acknowledged",
                "mitigate" => "mitigated",
                "resolve" => "resolved",
                "detect" => "detected",
                w => w,
            };
            let Some(m) = Milestone::parse(word) else {
                state.flash = Some(
                    "usage: :incident start TITLE [--severity S] | note TEXT | detected | ack | \
                     mitigated | resolved [HH:MM] | role commander NAME | correct [TEXT] | hide"
                        .into(),
                );
                return vec![];
            };
            let when = match at.first() {
                Some(t) => match at_time(t, now) {
                    Some(ms) => ms,
                    None => {
                        state.flash = Some(format!("{t:?} is not HH:MM (UTC) or RFC 3339"));
                        return vec![];
                    }
                },
                None => now,
            };
            let text = format!("{} at {} UTC", m.word(), crate::incident::entry::utc(when));
            let e = Entry::new(Kind::Milestone, now, "operator", text)
                .by(&who)
                .with(json!({"milestone": m.word(), "at": when}));
            let resolving = m == Milestone::Resolved && state.panes.incident.open_id().is_some();
            let mut effects = add(state, vec![e], m.word());
            if resolving {
                effects.extend(measure_impact(state, when));
            }
            effects
        }
        [] => {
            state.stack.truncate(1);
            state.stack.push(Screen::of(INCIDENT));
            vec![]
        }
    }
}

/// "14:02" today (UTC) or an RFC 3339 instant, as unix milliseconds.
fn at_time(text: &str, now: i64) -> Option<i64> {
    if let Ok(t) = text.parse::<jiff::Timestamp>() {
        return Some(t.as_millisecond());
    }
    let (h, m) = text.split_once(':')?;
    let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
    if !(0..24).contains(&h) || !(0..60).contains(&m) {
        return None;
    }
    let day = now.div_euclid(86_400_000) * 86_400_000;
    Some(day + (h * 60 + m) * 60_000)
}

fn add(state: &mut State, entries: Vec<Entry>, what: &str) -> Vec<Effect> {
    if state.panes.incident.open_id().is_none() {
        state.flash = Some("no incident is open: :incident start TITLE".into());
        return vec![];
    }
    let added = state.panes.incident.add(entries);
    state.flash = Some(format!("incident: {what}"));
    state.dirty = true;
    record(state, added)
}

fn start(state: &mut State, words: &[&str]) -> Vec<Effect> {
    if let Some(id) = state.panes.incident.open_id() {
        state.flash = Some(format!("incident {id} is open: resolve it first"));
        return vec![];
    }
    let mut severity = "sev2".to_string();
    let mut title = vec![];
    let mut it = words.iter();
    while let Some(w) = it.next() {
        match *w {
            "--severity" | "-s" => severity = it.next().map_or(severity, |s| s.to_string()),
            w => title.push(w),
        }
    }
    if title.is_empty() {
        state.flash = Some("usage: :incident start TITLE [--severity sev1]".into());
        return vec![];
    }
    let now = now_ms(state);
    let title = title.join(" ");
    let id = incident_id(now);
    let context = state.connection.context.clone();
    // What each SLO had left of its budget: the impact at resolution is measured from it.
    let budgets: serde_json::Map<String, serde_json::Value> = state
        .panes
        .slo
        .model
        .rows()
        .iter()
        .filter_map(|r| Some((r.name.clone(), json!(r.budget_remaining?))))
        .collect();
    let start = Entry::new(Kind::Started, now, "operator", title.clone())
        .by(&operator(state))
        .with(
            json!({"title": title, "severity": severity, "context": context,
                     "budgets": budgets}),
        );
    let incident = Incident::new(&id);
    let entries = state.panes.incident.start(incident, start);
    state.stack.truncate(1);
    state.stack.push(Screen::of(INCIDENT));
    state.flash = Some(format!("incident {id} started"));
    state.dirty = true;
    vec![Effect::RecordIncident {
        id,
        entries,
        share: true,
    }]
}

/// `:export`: the postmortem draft of the incident shown (open or last).
pub fn export(state: &mut State) -> Vec<Effect> {
    match &state.panes.incident.incident {
        Some(inc) => vec![Effect::ExportIncident {
            id: inc.id.clone(),
            markdown: markdown(inc),
        }],
        None => {
            state.flash = Some("no incident to export".into());
            vec![]
        }
    }
}

/// `n` in the incident view: a note editor (several lines, Markdown).
pub fn open_note(state: &mut State) {
    if state.panes.incident.open_id().is_none() {
        state.flash = Some("no incident is open: :incident start TITLE".into());
        return;
    }
    state.mode = Mode::Note {
        input: TextArea::default(),
        correcting: None,
    };
}

/// The entry selected in the incident view: its id and the text it shows now.
fn selected_entry(state: &State) -> Option<(String, String)> {
    let inc = state.panes.incident.incident.as_ref()?;
    let slot = state.panes.incident.table.selected_slot()?;
    let shown = inc.timeline();
    let s = shown.get(slot)?;
    Some((s.entry.id.clone(), s.text.to_string()))
}

/// `:incident correct [TEXT]` (no text: the editor, holding what the entry says) and
/// `:incident hide`: new entries superseding the selected one, which is kept.
fn supersede(state: &mut State, kind: Kind, text: &[&str]) -> Vec<Effect> {
    let Some((id, current)) = selected_entry(state) else {
        state.flash = Some("select an entry in :incident first".into());
        return vec![];
    };
    if kind == Kind::Correction && text.is_empty() {
        if state.panes.incident.open_id().is_some() {
            let lines: Vec<String> = current.lines().map(str::to_string).collect();
            let mut input = TextArea::new(lines);
            input.move_cursor(tui_textarea::CursorMove::Bottom);
            input.move_cursor(tui_textarea::CursorMove::End);
            state.mode = Mode::Note {
                input,
                correcting: Some(id),
            };
        }
        return vec![];
    }
    let e = Entry::new(kind, now_ms(state), "operator", text.join(" "))
        .by(&operator(state))
        .superseding(&id);
    let what = if kind == Kind::Hidden {
        "entry hidden (kept in the record)"
    } else {
        "entry corrected (the original is kept)"
    };
    add(state, vec![e], what)
}

/// Keys in the note editor: ctrl-s saves (an entry with author and time), esc cancels.
pub fn note_key(
    state: &mut State,
    key: KeyEvent,
    mut input: TextArea<'static>,
    correcting: Option<String>,
) -> Vec<Effect> {
    let save = key.code == KeyCode::Char('s') && key.modifiers.contains(KeyModifiers::CONTROL);
    if save {
        let text = input.lines().join("\n").trim().to_string();
        if text.is_empty() {
            return vec![];
        }
        let who = operator(state);
        return match correcting {
            Some(id) => {
                let e = Entry::new(Kind::Correction, now_ms(state), "operator", text)
                    .by(&who)
                    .superseding(&id);
                add(state, vec![e], "entry corrected (the original is kept)")
            }
            None => {
                let e = Entry::new(Kind::Note, now_ms(state), "operator", text).by(&who);
                add(state, vec![e], "note saved")
            }
        };
    }
    if key.code == KeyCode::Esc {
        return vec![];
    }
    input.input(key);
    state.mode = Mode::Note { input, correcting };
    vec![]
}

/// A confirmed plan is about to run: kept for its entry when it ends.
pub fn executing(state: &mut State, plan: &Plan) {
    let typed = state
        .action
        .as_ref()
        .map_or_else(String::new, |a| a.title.clone());
    state.panes.incident.pending = Some((typed, Box::new(plan.clone())));
}

/// An action ended: its plan, outcome and audit id on the timeline.
pub fn action_finished(state: &mut State, outcome: &str) -> Vec<Effect> {
    let Some((typed, plan)) = state.panes.incident.pending.take() else {
        return vec![];
    };
    if state.panes.incident.open_id().is_none() {
        return vec![];
    }
    let e = action_entry(now_ms(state), &operator(state), &typed, &plan, outcome);
    let added = state.panes.incident.add(vec![e]);
    record(state, added)
}

/// The runbook walk's new lines, as steps on the timeline.
pub fn runbook_steps(state: &mut State) -> Vec<Effect> {
    let Some(walk) = &state.runbook else {
        state.panes.incident.runbook_seen = 0;
        return vec![];
    };
    let seen = state.panes.incident.runbook_seen;
    let seen = if walk.log.len() < seen { 0 } else { seen };
    let (now, who) = (now_ms(state), operator(state));
    let lines: Vec<Entry> = walk.log[seen..]
        .iter()
        .map(|l| Entry::new(Kind::RunbookStep, now, "runbook", l.clone()).by(&who))
        .collect();
    state.panes.incident.runbook_seen = walk.log.len();
    if state.panes.incident.open_id().is_none() {
        return vec![];
    }
    let added = state.panes.incident.add(lines);
    record(state, added)
}

/// At resolution: what the console measured itself (each SLO's budget burned since the start,
/// the oldest queued article, LLM spend over its budget), for the runner to complete with
/// Prometheus (failed requests) and record as the impact entry.
fn measure_impact(state: &State, end: i64) -> Vec<Effect> {
    let Some(inc) = state.panes.incident.incident.as_ref() else {
        return vec![];
    };
    let start = inc.started_at();
    let at_start = inc
        .entries
        .iter()
        .find(|e| e.kind == Kind::Started)
        .map(|e| e.data["budgets"].clone())
        .unwrap_or_default();
    let burned: Vec<String> = state
        .panes
        .slo
        .model
        .rows()
        .iter()
        .filter_map(|r| {
            let before = at_start.get(&r.name)?.as_f64()?;
            let now = r.budget_remaining?;
            let days = r.period.as_secs() / 86_400;
            let used = (before - now) * 100.0;
            (used >= 0.05).then(|| format!("{} {used:.1}% of its {days}-day budget", r.name))
        })
        .collect();
    let delayed = state
        .panes
        .incident
        .oldest_seen
        .iter()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(q, age)| {
            format!(
                "oldest waiting {} ({q})",
                crate::ui::format::age(*age as i64)
            )
        });
    let over: Vec<String> = state
        .panes
        .cost
        .model
        .budgets()
        .iter()
        .filter(|b| b.state == crate::cost::model::BudgetState::Over)
        .filter_map(|b| {
            Some(format!(
                "${:.2} over {}",
                b.spent_usd? - b.limit_usd,
                b.label
            ))
        })
        .collect();
    let or_none = |v: Vec<String>| (!v.is_empty()).then(|| v.join("; "));
    vec![Effect::MeasureImpact {
        id: inc.id.clone(),
        start,
        end,
        measured: json!({
            "error_budget_burned": or_none(burned).unwrap_or_else(|| "none measurable".into()),
            "articles_delayed": delayed,
            "llm_over_budget": or_none(over).unwrap_or_else(|| "none".into()),
        }),
    }]
}

/// Entries from the cluster (another console's notes and actions): added to the incident
/// shown, or, with none open here, an open incident of this context taken up; kept locally.
pub fn shared(state: &mut State, msg: SharedMsg) -> Vec<Effect> {
    let (id, entries) = match msg {
        SharedMsg::Entries { incident, entries } => (incident, entries),
        SharedMsg::Failed { reason } => {
            state.panes.incident.sharing = Some(reason);
            return vec![];
        }
    };
    state.panes.incident.sharing = None;
    let pane = &mut state.panes.incident;
    let shown = pane.incident.as_ref().map(|i| i.id.clone());
    let new = if shown.as_deref() == Some(id.as_str()) {
        pane.add(entries)
    } else if pane.open_id().is_none() {
        match Incident::from_entries(&id, entries.clone()) {
            Some(inc) if inc.is_open() && inc.context == state.connection.context => {
                state.flash = Some(format!("incident {id} ({}) is open: :incident", inc.title));
                pane.incident = Some(inc);
                entries
            }
            _ => return vec![],
        }
    } else {
        return vec![];
    };
    state.dirty = true;
    if new.is_empty() {
        return vec![];
    }
    vec![Effect::RecordIncident {
        id,
        entries: new,
        share: false,
    }]
}
