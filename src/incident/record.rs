//! Writing to an incident from outside the console: `opsdeck run --incident` records each
//! runbook step and each action (plan, outcome, audit id) as it happens.

use serde_json::json;

use super::entry::{Entry, Kind};
use super::share::Share;
use super::store::Store;
use crate::actions::plan::Plan;

/// What an action's entry says of its plan: the target and each change.
pub fn plan_summary(plan: &Plan) -> String {
    let changes: Vec<String> = plan
        .changes
        .iter()
        .map(|c| format!("{} {} -> {}", c.what, c.before, c.after))
        .collect();
    format!("{} ({})", plan.target, changes.join("; "))
}

/// An action's entry: what was typed, its plan, its outcome, its audit id.
pub fn action_entry(at: i64, operator: &str, typed: &str, plan: &Plan, outcome: &str) -> Entry {
    Entry::new(Kind::Action, at, "executor", format!("{typed}: {outcome}"))
        .by(operator)
        .with(json!({
            "plan": plan_summary(plan),
            "outcome": outcome,
            "audit_id": plan.id,
            "typed": typed,
        }))
}

/// An open incident being written to.
#[derive(Clone)]
pub struct Recorder {
    store: Store,
    id: String,
    operator: String,
    /// The cluster's side: every entry is shared as it is written.
    share: Option<Share>,
}

fn now() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

impl Recorder {
    /// Incident `id` (empty: the open incident of `context`), which must be open.
    pub fn open(store: Store, id: &str, context: &str, operator: &str) -> Result<Recorder, String> {
        let inc = if id.is_empty() {
            store
                .open_in(context)
                .ok_or_else(|| format!("no open incident in context {context}"))?
        } else {
            store.load(id)?
        };
        if !inc.is_open() {
            return Err(format!("incident {} is resolved", inc.id));
        }
        Ok(Recorder {
            store,
            id: inc.id,
            operator: operator.to_string(),
            share: None,
        })
    }

    /// Shares every entry through the cluster too.
    pub fn sharing(mut self, share: Share) -> Recorder {
        self.share = Some(share);
        self
    }

    /// Local first (fsynced), then the cluster; only the local record failing is an error (a
    /// cluster that refuses is said on stderr).
    async fn write(&self, mut e: Entry) -> Result<(), String> {
        self.store.stamp(std::slice::from_mut(&mut e));
        self.store.append(&self.id, &e)?;
        if let Some(share) = &self.share
            && let Err(why) = share.append(&self.id, &[e]).await
        {
            eprintln!("opsdeck: kept on this machine, not shared through the cluster: {why}");
        }
        Ok(())
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// A runbook's step line.
    pub async fn step(&self, line: &str) -> Result<(), String> {
        let e = Entry::new(Kind::RunbookStep, now(), "runbook", line).by(&self.operator);
        self.write(e).await
    }

    pub async fn action(&self, typed: &str, plan: &Plan, outcome: &str) -> Result<(), String> {
        let e = action_entry(now(), &self.operator, typed, plan, outcome);
        self.write(e).await
    }
}
