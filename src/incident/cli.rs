//! `opsdeck incident start|note|milestone|resolve|list|export`: the incident from a shell, on
//! the same local record the console writes.

use std::process::ExitCode;

use serde_json::json;

use super::entry::{Entry, Kind, Milestone, incident_id};
use super::export;
use super::model::Incident;
use super::share::Share;
use super::store::Store;

/// Who writes: the same person the action locks name.
pub fn operator() -> String {
    crate::actions::lock::operator()
}

/// What the commands share: where incidents are kept, the context, who acts, and now (ms).
pub struct Desk {
    pub store: Store,
    pub context: String,
    pub operator: String,
    pub now: i64,
    /// What this command wrote (to share through the cluster afterwards).
    pub written: std::cell::RefCell<Vec<(String, Entry)>>,
}

fn fail(why: impl std::fmt::Display) -> ExitCode {
    eprintln!("opsdeck: {why}");
    ExitCode::FAILURE
}

impl Desk {
    /// Appends to the local record (fsynced) and keeps it to share.
    fn append(&self, id: &str, entry: &Entry) -> Result<(), String> {
        self.store.append(id, entry)?;
        self.written
            .borrow_mut()
            .push((id.to_string(), entry.clone()));
        Ok(())
    }

    /// `id`, or the open incident of this context.
    fn pick(&self, id: Option<&str>) -> Result<Incident, String> {
        match id {
            Some(id) => self.store.load(id),
            None => self.store.open_in(&self.context).ok_or_else(|| {
                format!("no open incident in context {}: pass its id", self.context)
            }),
        }
    }

    /// Starts an incident; prints its id alone on the first line.
    pub fn start(&self, title: &str, severity: &str) -> ExitCode {
        if title.trim().is_empty() {
            return fail("an incident needs a title");
        }
        if let Some(open) = self.store.open_in(&self.context) {
            return fail(format!(
                "incident {} ({}) is open in context {}: resolve it first",
                open.id, open.title, self.context
            ));
        }
        let id = incident_id(self.now);
        let entry = Entry::new(Kind::Started, self.now, "operator", title)
            .by(&self.operator)
            .with(json!({"title": title, "severity": severity, "context": self.context}));
        if let Err(e) = self.append(&id, &entry) {
            return fail(e);
        }
        println!("{id}");
        println!("started {title} ({severity}) in context {}", self.context);
        ExitCode::SUCCESS
    }

    pub fn note(&self, id: Option<&str>, text: &str) -> ExitCode {
        let inc = match self.pick(id) {
            Ok(i) => i,
            Err(e) => return fail(e),
        };
        let entry = Entry::new(Kind::Note, self.now, "operator", text).by(&self.operator);
        match self.append(&inc.id, &entry) {
            Ok(()) => {
                println!("noted in {} at {} UTC", inc.id, entry.time());
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        }
    }

    /// Marks a milestone (now, or at a corrected time).
    pub fn milestone(&self, id: Option<&str>, milestone: Milestone, at: Option<i64>) -> ExitCode {
        let inc = match self.pick(id) {
            Ok(i) => i,
            Err(e) => return fail(e),
        };
        let at = at.unwrap_or(self.now);
        let text = format!("{} at {} UTC", milestone.word(), super::entry::utc(at));
        let entry = Entry::new(Kind::Milestone, self.now, "operator", text)
            .by(&self.operator)
            .with(json!({"milestone": milestone.word(), "at": at}));
        match self.append(&inc.id, &entry) {
            Ok(()) => {
                println!("{}: {}", inc.id, entry.text);
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        }
    }

    /// A correction (with `text`) or a hiding (without) of entry `entry`, which is kept.
    pub fn supersede(&self, id: Option<&str>, entry: &str, text: Option<&str>) -> ExitCode {
        let inc = match self.pick(id) {
            Ok(i) => i,
            Err(e) => return fail(e),
        };
        if !inc.entries.iter().any(|e| e.id == entry) {
            return fail(format!(
                "incident {} has no entry {entry} (export --output json lists their ids)",
                inc.id
            ));
        }
        let (kind, said) = match text {
            Some(_) => (Kind::Correction, "corrected"),
            None => (Kind::Hidden, "hidden"),
        };
        let e = Entry::new(kind, self.now, "operator", text.unwrap_or_default())
            .by(&self.operator)
            .superseding(entry);
        match self.append(&inc.id, &e) {
            Ok(()) => {
                println!("{}: entry {entry} {said} (the original is kept)", inc.id);
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        }
    }

    pub fn list(&self) -> ExitCode {
        let all = self.store.list();
        if all.is_empty() {
            println!("no incidents in {}", self.store.dir().display());
        }
        for i in all {
            println!(
                "{}  {:<12} {:<5} {}  {}  {}",
                i.id,
                i.status().word(),
                i.severity,
                super::entry::utc(i.started_at()),
                i.context,
                i.title
            );
        }
        ExitCode::SUCCESS
    }

    pub fn export(&self, id: Option<&str>, json: bool) -> ExitCode {
        let inc = match self.pick(id).or_else(|e| {
            // Without an id and nothing open: the newest incident of the context.
            if id.is_some() {
                return Err(e);
            }
            self.store
                .list()
                .into_iter()
                .find(|i| i.context == self.context)
                .ok_or(e)
        }) {
            Ok(i) => i,
            Err(e) => return fail(e),
        };
        if json {
            println!("{:#}", export::json(&inc));
        } else {
            print!("{}", export::markdown(&inc));
        }
        ExitCode::SUCCESS
    }
}

/// Before a command: what the cluster holds that this machine does not (another responder's
/// incident and entries), added to the local record.
pub async fn sync_down(share: &Share, store: &Store) -> Result<(), String> {
    for (id, entries) in share.list().await.map_err(|e| e.to_string())? {
        let known: std::collections::BTreeSet<String> = store
            .entries(&id)
            .map(|(e, _)| e.into_iter().map(|e| e.id).collect())
            .unwrap_or_default();
        for e in entries.iter().filter(|e| !known.contains(&e.id)) {
            store.append(&id, e)?;
        }
    }
    Ok(())
}

/// After a command: what it wrote, appended to the incident's ConfigMaps.
pub async fn sync_up(share: &Share, written: Vec<(String, Entry)>) -> Result<(), String> {
    let mut by_incident: std::collections::BTreeMap<String, Vec<Entry>> = Default::default();
    for (id, e) in written {
        by_incident.entry(id).or_default().push(e);
    }
    for (id, entries) in by_incident {
        share
            .append(&id, &entries)
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// After a headless resolve: the impact entry, with the failed requests over the incident's
/// span from Prometheus; what only the console measures (SLO budgets, queue ages, LLM spend
/// over budget) is said to be so.
pub async fn measure_resolved(desk: &Desk, prometheus: Option<&crate::config::Endpoint>) {
    let resolved = desk.written.borrow().iter().rev().find_map(|(id, e)| {
        (e.kind == Kind::Milestone && e.data["milestone"] == "resolved").then(|| id.clone())
    });
    let Some(id) = resolved else { return };
    let Ok(inc) = desk.store.load(&id) else {
        return;
    };
    let failed = match prometheus {
        None => "not measured: no [prometheus] url configured".to_string(),
        Some(p) => match crate::clients::prometheus::Prometheus::new(
            &p.url,
            p.token_env.as_deref(),
            std::time::Duration::from_secs(10),
        ) {
            Ok(prom) => super::impact::failed_requests(&prom, inc.started_at(), desk.now).await,
            Err(e) => format!("not measured: {e}"),
        },
    };
    let console = "not measured headless (resolve in the console to measure it)";
    let e = Entry::new(Kind::Impact, desk.now, "prometheus", "impact at resolution").with(json!({
        "failed_requests": failed,
        "error_budget_burned": console,
        "articles_delayed": console,
        "llm_over_budget": console,
    }));
    if let Err(why) = desk.append(&id, &e) {
        eprintln!("opsdeck: the impact was not recorded: {why}");
    }
}
