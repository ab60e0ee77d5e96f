//! Incident sessions as a reducer: the timeline writing itself from what the console sees
//! (a test per entry kind), notes, milestones, the export, and the headless commands on the
//! durable record.

mod common;

use std::process::Command;

use common::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use opsdeck::cluster::model::{Resource, Rows};
use opsdeck::core::msg::{Effect, Msg};
use opsdeck::core::state::State;
use opsdeck::incident::pane::INCIDENT;
use opsdeck::incident::{Entry, Incident, Kind, Milestone};

fn command(state: &mut State, line: &str) -> Vec<Effect> {
    let mut msgs = vec![key(':')];
    msgs.extend(typed(line));
    keys(state, msgs)
}

/// Every entry the effects record.
fn recorded(effects: &[Effect]) -> Vec<Entry> {
    effects
        .iter()
        .flat_map(|e| match e {
            Effect::RecordIncident { entries, .. } => entries.clone(),
            _ => vec![],
        })
        .collect()
}

fn kinds(entries: &[Entry]) -> Vec<Kind> {
    entries.iter().map(|e| e.kind).collect()
}

fn started(state: &mut State) -> Vec<Entry> {
    recorded(&command(
        state,
        "incident start api returns 5xx --severity sev1",
    ))
}

#[test]
fn an_incident_starts_with_what_the_console_saw_in_the_30_minutes_before() {
    let mut state = platform();
    with_alerts(&mut state);
    with_slos(&mut state);
    let entries = started(&mut state);
    assert_eq!(state.view(), INCIDENT);
    assert_eq!(entries[0].kind, Kind::Started);
    assert_eq!(entries[0].data["severity"], "sev1");
    assert_eq!(entries[0].data["title"], "api returns 5xx");
    // The page fired 2 minutes ago (Alertmanager's startsAt): it is on the timeline.
    assert!(
        entries
            .iter()
            .any(|e| e.kind == Kind::AlertFired && e.text.contains("ApiHighErrorRate")),
        "{:#?}",
        kinds(&entries)
    );
    let inc = state.panes.incident.incident.as_ref().expect("open");
    assert_eq!(inc.status(), Milestone::Started);
    assert_eq!(inc.severity, "sev1");
    // One open incident per context.
    assert!(recorded(&command(&mut state, "incident start another")).is_empty());
    assert!(state.flash.as_deref().unwrap_or("").contains("is open"));
}

#[test]
fn alerts_resolving_become_entries_and_nothing_is_recorded_without_an_incident() {
    let mut state = platform();
    with_alerts(&mut state);
    // No incident: a resolve is seen (kept for later), not recorded.
    let quiet = feed(
        &mut state,
        vec![Msg::from(opsdeck::alerts::AlertMsg::Read {
            instance: 0,
            groups: vec![],
            silences: vec![],
        })],
    );
    assert!(recorded(&quiet).is_empty());
    with_alerts(&mut state);
    started(&mut state);
    let effects = feed(
        &mut state,
        vec![
            Msg::from(opsdeck::alerts::AlertMsg::Read {
                instance: 0,
                groups: vec![],
                silences: vec![],
            }),
            Msg::from(opsdeck::alerts::AlertMsg::Read {
                instance: 1,
                groups: vec![],
                silences: vec![],
            }),
        ],
    );
    let entries = recorded(&effects);
    assert!(
        entries.iter().any(|e| e.kind == Kind::AlertResolved),
        "{:?}",
        kinds(&entries)
    );
}

#[test]
fn slo_changes_are_entries_with_their_state() {
    let mut state = platform();
    with_slos(&mut state);
    let start = started(&mut state);
    // The start keeps what each SLO had left of its budget, to measure the impact from.
    assert!(
        start[0].data["budgets"]["api-availability"].is_number(),
        "{:?}",
        start[0].data
    );
    with_slos(&mut state);
    let before = state
        .panes
        .incident
        .incident
        .as_ref()
        .unwrap()
        .entries
        .len();
    with_slos(&mut state);
    let inc = state.panes.incident.incident.as_ref().unwrap();
    let slo: Vec<&Entry> = inc.entries[before..]
        .iter()
        .filter(|e| e.kind == Kind::Slo)
        .collect();
    // The first reading only learns; later ones that change the state are entries.
    assert!(
        slo.iter()
            .all(|e| e.data["slo"].is_string() && e.data["state"].is_string()),
        "{slo:?}"
    );
}

/// Ten busy clusters send thousands of updates a second: the cluster is looked at once a
/// second, and what came later in the second is the next tick's news, not lost.
#[test]
fn cluster_news_within_a_second_waits_for_the_tick() {
    let mut state = platform();
    started(&mut state);
    let nodes = |ready| {
        applied(
            Resource::Nodes,
            Rows::Nodes(vec![node("pool-general-2", ready)]),
        )
    };
    feed(&mut state, vec![nodes(true)]);
    state.now += 5;
    let first = opsdeck::core::update::update(&mut state, nodes(false));
    assert_eq!(kinds(&recorded(&first)), vec![Kind::NodeNotReady]);
    let same_second = opsdeck::core::update::update(&mut state, nodes(true));
    assert!(
        recorded(&same_second).is_empty(),
        "looked twice in one second"
    );
    let next = state.now + 1;
    let tick = opsdeck::core::update::update(&mut state, Msg::Ticked(next));
    assert_eq!(kinds(&recorded(&tick)), vec![Kind::NodeReady]);
    let quiet = opsdeck::core::update::update(&mut state, Msg::Ticked(next + 1));
    assert!(recorded(&quiet).is_empty(), "nothing pending: {quiet:?}");
}

#[test]
fn rollouts_scaling_crashloops_and_nodes_become_entries() {
    let mut state = platform();
    started(&mut state);
    let effects = feed(
        &mut state,
        vec![
            applied(
                Resource::Deployments,
                Rows::Workloads(vec![deployment("api", 3, 3, 3, 8)]),
            ),
            applied(
                Resource::Hpas,
                Rows::Hpas(vec![hpa("article-generator", 6, 12)]),
            ),
            applied(
                Resource::Pods,
                Rows::Pods(vec![pod(
                    "publisher",
                    "z9z9z",
                    "pool-general-1",
                    "CrashLoopBackOff",
                    3,
                )]),
            ),
            applied(
                Resource::Nodes,
                Rows::Nodes(vec![node("pool-general-2", false)]),
            ),
        ],
    );
    let entries = recorded(&effects);
    let got = kinds(&entries);
    for want in [
        Kind::Rollout,
        Kind::Scaling,
        Kind::Crashloop,
        Kind::NodeNotReady,
    ] {
        assert!(got.contains(&want), "{want:?} in {got:?}");
    }
    let rollout = entries.iter().find(|e| e.kind == Kind::Rollout).unwrap();
    assert!(rollout.text.contains("revision 7 -> 8"), "{}", rollout.text);
    let crash = entries.iter().find(|e| e.kind == Kind::Crashloop).unwrap();
    assert!(crash.text.contains("OOMKilled"), "{}", crash.text);
    // Enter on the rollout entry describes the workload.
    let effects = feed(
        &mut state,
        vec![applied(
            Resource::Nodes,
            Rows::Nodes(vec![node("pool-general-2", true)]),
        )],
    );
    assert!(kinds(&recorded(&effects)).contains(&Kind::NodeReady));
}

#[test]
fn queues_and_budgets_become_entries() {
    let mut state = platform();
    started(&mut state);
    with_queues(&mut state);
    with_costs(&mut state);
    let inc = state.panes.incident.incident.as_ref().unwrap();
    let got: Vec<Kind> = inc.entries.iter().map(|e| e.kind).collect();
    // A queue and a budget seen for the first time are learnt, not news: no entry yet.
    assert!(!got.contains(&Kind::QueueDrained), "{got:?}");
    with_queues(&mut state);
    with_costs(&mut state);
    assert!(state.panes.incident.incident.is_some());
}

#[test]
fn notes_are_written_in_an_editor_and_milestones_are_marked_and_corrected() {
    let mut state = platform();
    started(&mut state);
    keys(&mut state, vec![key('n')]);
    assert!(matches!(
        state.mode,
        opsdeck::core::state::Mode::Note { .. }
    ));
    let mut msgs: Vec<Msg> = "rolled back api".chars().map(key).collect();
    msgs.push(code(KeyCode::Enter));
    msgs.extend("error rate falling".chars().map(key));
    msgs.push(Msg::Key(KeyEvent::new(
        KeyCode::Char('s'),
        KeyModifiers::CONTROL,
    )));
    let entries = recorded(&keys(&mut state, msgs));
    assert_eq!(kinds(&entries), [Kind::Note]);
    assert_eq!(entries[0].text, "rolled back api\nerror rate falling");
    assert!(entries[0].operator.is_some());

    let entries = recorded(&command(&mut state, "incident ack"));
    assert_eq!(entries[0].data["milestone"], "acknowledged");
    recorded(&command(&mut state, "incident detected 11:50"));
    let inc = state.panes.incident.incident.as_ref().unwrap();
    assert_eq!(inc.status(), Milestone::Acknowledged);
    // Detected at 11:50 UTC corrects the start: started is the earliest.
    assert_eq!(inc.started_at(), (NOW - 600) * 1000);
    let effects = command(&mut state, "incident resolved");
    assert_eq!(state.panes.incident.open_id(), None);
    // Resolving measures the impact (Prometheus completes it with the failed requests).
    assert!(
        effects.iter().any(|e| matches!(e, Effect::MeasureImpact { measured, .. }
            if measured["error_budget_burned"].is_string() && measured["llm_over_budget"].is_string())),
        "{effects:?}"
    );
    // :export writes the draft of the incident shown.
    let effects = command(&mut state, "export");
    assert!(
        matches!(effects.as_slice(), [Effect::ExportIncident { markdown, .. }] if markdown.contains("## Timeline")),
        "{effects:?}"
    );
}

/// A scripted bad-rollout incident: what the console would have seen and done.
fn bad_rollout_incident() -> Incident {
    use serde_json::json;
    let t = |min: i64| 1_795_608_000_000 + min * 60_000;
    let mut entries = vec![
        Entry::new(Kind::Rollout, t(-12), "kubernetes",
            "contentgen/api: revision 7 -> 8, image ghcr.io/contentgen/api:v2.5.0 -> ghcr.io/contentgen/api:v2.5.1")
            .with(json!({"before": ["ghcr.io/contentgen/api:v2.5.0"], "after": ["ghcr.io/contentgen/api:v2.5.1"]})),
        Entry::new(Kind::Scaling, t(-20), "kubernetes", "HPA contentgen/article-generator: desired replicas 4 -> 5"),
        Entry::new(Kind::Slo, t(-8), "prometheus", "api-availability is PAGE")
            .with(json!({"slo": "api-availability", "state": "PAGE"})),
        Entry::new(Kind::AlertFired, t(-7), "alertmanager", "ApiHighErrorRate (deployment contentgen/api) fired"),
        Entry::new(Kind::Started, t(-5), "operator", "api returns 5xx after rollout")
            .by("alice")
            .with(json!({"title": "api returns 5xx after rollout", "severity": "sev2", "context": "prod-eu"})),
        Entry::new(Kind::Milestone, t(-5), "operator", "detected").by("alice")
            .with(json!({"milestone": "detected", "at": t(-6)})),
        Entry::new(Kind::Role, t(-4), "operator", "commander: alice").by("alice")
            .with(json!({"role": "commander", "who": "alice"})),
        Entry::new(Kind::Milestone, t(-4), "operator", "acknowledged").by("alice")
            .with(json!({"milestone": "acknowledged", "at": t(-4)})),
        Entry::new(Kind::Action, t(-2), "executor", "rollback api: deployment \"api\" successfully rolled out")
            .by("alice")
            .with(json!({"plan": "deployment contentgen/api (revision 8 -> 7)",
                         "outcome": "deployment \"api\" successfully rolled out", "audit_id": "p-4f2a"})),
        Entry::new(Kind::Milestone, t(-1), "operator", "mitigated").by("alice")
            .with(json!({"milestone": "mitigated", "at": t(-1)})),
        Entry::new(Kind::Slo, t(6), "prometheus", "api-availability is ok")
            .with(json!({"slo": "api-availability", "state": "ok"})),
        Entry::new(Kind::AlertResolved, t(9), "alertmanager", "ApiHighErrorRate resolved"),
    ];
    let note = Entry::new(
        Kind::Note,
        t(0),
        "operator",
        "5xx rate falling since the rollback",
    )
    .by("bob");
    let correction = Entry::new(
        Kind::Correction,
        t(1),
        "operator",
        "5xx rate falling since the rollback (v2.5.1 breaks the\nretry budget)",
    )
    .by("bob")
    .superseding(&note.id);
    entries.extend([note, correction]);
    entries.push(
        Entry::new(Kind::Milestone, t(10), "operator", "resolved")
            .by("alice")
            .with(json!({"milestone": "resolved", "at": t(10)})),
    );
    entries.push(
        Entry::new(Kind::Impact, t(10), "prometheus", "impact measured").with(json!({
            "failed_requests": "18,400 (4.1% of 450k)",
            "error_budget_burned": "api-availability 31% of its 30-day budget"})),
    );
    // Ids carry the process; the document must not depend on them.
    for (i, e) in entries.iter_mut().enumerate() {
        e.id = format!("{:013}-{i:02}", e.at);
    }
    let note_id = entries
        .iter()
        .find(|e| e.kind == Kind::Note)
        .unwrap()
        .id
        .clone();
    for e in entries.iter_mut().filter(|e| e.kind == Kind::Correction) {
        e.supersedes = Some(note_id.clone());
    }
    Incident::from_entries("inc-mww2n400", entries).expect("an incident")
}

#[test]
fn the_postmortem_draft_of_a_scripted_bad_rollout() {
    let inc = bad_rollout_incident();
    let md = opsdeck::incident::export::markdown(&inc);
    insta::assert_snapshot!("postmortem_bad_rollout", md);
    // The same entries in another order give the same document.
    let mut shuffled = inc.entries.clone();
    shuffled.reverse();
    let again = Incident::from_entries("inc-mww2n400", shuffled).unwrap();
    assert_eq!(opsdeck::incident::export::markdown(&again), md);
    let json = opsdeck::incident::export::json(&inc);
    assert_eq!(json["status"], "resolved");
    assert_eq!(json["minutes_in_page"]["api-availability"], 12);
}

// ---------------------------------------------------------------- headless

fn opsdeck(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .arg("--audit-log")
        .arg(dir.join("audit.jsonl"))
        .args(["--context", "prod-eu"])
        .args(args)
        .env("OPSDECK_OPERATOR", "alice")
        .env_remove("OPSDECK_CONFIG")
        .output()
        .expect("opsdeck runs")
}

fn out(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("opsdeck-incident-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn headless_start_note_resolve_list_and_export() {
    let dir = temp_dir("cli");
    let o = opsdeck(
        &dir,
        &[
            "incident",
            "start",
            "api",
            "returns",
            "5xx",
            "--severity",
            "sev1",
        ],
    );
    assert!(o.status.success(), "{}", out(&o));
    let stdout = String::from_utf8_lossy(&o.stdout).to_string();
    let id = stdout.lines().next().unwrap().to_string();
    assert!(
        id.starts_with("inc-") && !id.contains(' '),
        "the id alone first: {stdout}"
    );
    let again = opsdeck(&dir, &["incident", "start", "other"]);
    assert!(
        !again.status.success() && out(&again).contains("is open"),
        "{}",
        out(&again)
    );
    assert!(
        opsdeck(&dir, &["incident", "note", "rolled", "back", "api"])
            .status
            .success()
    );
    let o = opsdeck(
        &dir,
        &[
            "incident",
            "milestone",
            "detected",
            "--at",
            "2026-12-02T10:00:00Z",
        ],
    );
    assert!(o.status.success(), "{}", out(&o));
    assert!(opsdeck(&dir, &["incident", "resolve"]).status.success());
    let list = out(&opsdeck(&dir, &["incident", "list"]));
    assert!(
        list.contains(&id) && list.contains("resolved") && list.contains("sev1"),
        "{list}"
    );
    let md = out(&opsdeck(&dir, &["incident", "export", &id]));
    assert!(md.contains("# ") && md.contains("api returns 5xx"), "{md}");
    assert!(
        md.contains("rolled back api") && md.contains("**alice**"),
        "{md}"
    );
    assert!(md.contains("| detected | 2026-12-02 10:00:00 |"), "{md}");
    let json: serde_json::Value =
        serde_json::from_slice(&opsdeck(&dir, &["incident", "export", "--output", "json"]).stdout)
            .expect("json");
    assert_eq!(json["status"], "resolved");
    // An entry corrected and another hidden, by id; the originals are kept.
    let entries = json["entries"].as_array().unwrap();
    let note = entries.iter().find(|e| e["kind"] == "note").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let o = opsdeck(
        &dir,
        &[
            "incident", "correct", &note, "rolled", "back", "api", "to", "rev", "6", "--id", &id,
        ],
    );
    assert!(o.status.success(), "{}", out(&o));
    let o = opsdeck(&dir, &["incident", "hide", "no-such-entry", "--id", &id]);
    assert!(
        !o.status.success() && out(&o).contains("has no entry"),
        "{}",
        out(&o)
    );
    let md = out(&opsdeck(&dir, &["incident", "export", &id]));
    assert!(
        md.contains("rolled back api to rev 6 (alice) (corrected)"),
        "{md}"
    );
    // A note to a resolved context without an id has nowhere to go: it says so.
    let o = opsdeck(&dir, &["incident", "note", "late"]);
    assert!(
        !o.status.success() && out(&o).contains("no open incident"),
        "{}",
        out(&o)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sigkill_while_notes_are_saved_loses_no_acknowledged_note() {
    let dir = temp_dir("sigkill");
    assert!(
        opsdeck(&dir, &["incident", "start", "crash", "test"])
            .status
            .success()
    );
    let mut acknowledged = vec![];
    for i in 0..30 {
        let text = format!("note number {i}");
        let mut child = Command::new(env!("CARGO_BIN_EXE_opsdeck"))
            .arg("--audit-log")
            .arg(dir.join("audit.jsonl"))
            .args(["--context", "prod-eu", "incident", "note", &text])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("spawns");
        // Kill some mid-flight, let others finish.
        if i % 3 == 0 {
            std::thread::sleep(std::time::Duration::from_millis(i as u64 % 7));
            let _ = child.kill();
        }
        let o = child.wait_with_output().expect("waits");
        if String::from_utf8_lossy(&o.stdout).contains("noted in") {
            acknowledged.push(text);
        }
    }
    let store = opsdeck::incident::Store::new(dir.join("incidents"));
    let inc = store.list().pop().expect("the incident");
    let (_, warnings) = store.entries(&inc.id).unwrap();
    let notes: Vec<&str> = inc
        .entries
        .iter()
        .filter(|e| e.kind == Kind::Note)
        .map(|e| e.text.as_str())
        .collect();
    for text in &acknowledged {
        assert!(
            notes.contains(&text.as_str()),
            "{text} was acknowledged and lost"
        );
    }
    assert!(acknowledged.len() >= 20, "{acknowledged:?}");
    assert!(warnings.len() <= 10, "{warnings:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_entry_is_corrected_or_hidden_never_rewritten() {
    let mut state = platform();
    started(&mut state);
    command(&mut state, "incident note rolled back api");
    // Select the note (the timeline follows its newest entry).
    let note_id = state
        .panes
        .incident
        .incident
        .as_ref()
        .unwrap()
        .entries
        .last()
        .unwrap()
        .id
        .clone();
    // Without text, the editor opens holding what the entry says.
    command(&mut state, "incident correct");
    assert!(matches!(
        &state.mode,
        opsdeck::core::state::Mode::Note { correcting: Some(id), .. } if *id == note_id
    ));
    let mut msgs: Vec<Msg> = " to revision 6".chars().map(key).collect();
    msgs.push(Msg::Key(KeyEvent::new(
        KeyCode::Char('s'),
        KeyModifiers::CONTROL,
    )));
    let entries = recorded(&keys(&mut state, msgs));
    assert_eq!(kinds(&entries), [Kind::Correction]);
    assert_eq!(entries[0].text, "rolled back api to revision 6");
    assert_eq!(entries[0].supersedes.as_deref(), Some(note_id.as_str()));
    let inc = state.panes.incident.incident.as_ref().unwrap();
    let shown = inc.timeline();
    assert!(
        shown
            .iter()
            .any(|s| s.text == "rolled back api to revision 6" && s.corrected)
    );
    assert!(
        inc.entries.iter().any(|e| e.text == "rolled back api"),
        "the original is kept"
    );
    // Hidden: gone from the timeline, kept in the record.
    let entries = recorded(&command(&mut state, "incident hide"));
    assert_eq!(kinds(&entries), [Kind::Hidden]);
    let inc = state.panes.incident.incident.as_ref().unwrap();
    assert!(!inc.timeline().iter().any(|s| s.entry.id == note_id));
    assert!(inc.entries.iter().any(|e| e.id == note_id));
}

#[test]
fn another_consoles_incident_is_taken_up_and_its_entries_added_and_kept_locally() {
    use opsdeck::incident::share::SharedMsg;
    // Console A starts an incident; its entries reach console B through the cluster.
    let mut a = platform();
    let entries = started(&mut a);
    let id = a.panes.incident.open_id().unwrap().to_string();
    let mut b = platform();
    let effects = feed(
        &mut b,
        vec![Msg::from(SharedMsg::Entries {
            incident: id.clone(),
            entries: entries.clone(),
        })],
    );
    assert_eq!(b.panes.incident.open_id(), Some(id.as_str()), "taken up");
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::RecordIncident { share: false, .. }]
        ),
        "kept locally, not shared back: {effects:?}"
    );
    // B's note goes to the cluster; A gets it once, however often the ConfigMap is seen.
    let note = recorded(&command(&mut b, "incident note from bob"));
    let back = vec![entries[0].clone(), note[0].clone()];
    for _ in 0..2 {
        feed(
            &mut a,
            vec![Msg::from(SharedMsg::Entries {
                incident: id.clone(),
                entries: back.clone(),
            })],
        );
    }
    let inc = a.panes.incident.incident.as_ref().unwrap();
    assert_eq!(
        inc.entries.iter().filter(|e| e.text == "from bob").count(),
        1
    );
    // An incident of another context is not taken up; a failure to share is said.
    let mut c = platform();
    c.connection.context = "prod-us".into();
    feed(
        &mut c,
        vec![
            Msg::from(SharedMsg::Entries {
                incident: id.clone(),
                entries,
            }),
            Msg::from(SharedMsg::Failed {
                reason: "local only (configmaps forbidden)".into(),
            }),
        ],
    );
    assert!(c.panes.incident.incident.is_none());
    assert!(c.panes.incident.sharing.is_some());
}
