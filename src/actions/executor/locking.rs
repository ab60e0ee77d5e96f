//! The executor's side of action locks: the plan reads the target's lease, the execution
//! takes it before the first request (or is refused, on record) and says when it has none.

use tokio::sync::mpsc::Sender;

use super::Executor;
use crate::actions::audit::{Phase, Record};
use crate::actions::error::{ActionError, Progress};
use crate::actions::lock::guard::Guard;
use crate::actions::lock::lease::{Leases, Mine, Taken};
use crate::actions::lock::{self, Holder, LockCheck};
use crate::actions::plan::Plan;

impl Executor {
    /// Where action locks live: `[incident] namespace`, else the context's namespace.
    pub fn lock_namespace(&self) -> &str {
        self.config
            .lock_namespace
            .as_deref()
            .unwrap_or_else(|| self.client.default_namespace())
    }

    fn leases(&self) -> Leases {
        Leases::new(self.client.clone(), self.lock_namespace())
    }

    /// The target's lease as it stands (None: the verb takes no lock).
    pub(super) async fn check_lock(&self, plan: &Plan) -> Option<LockCheck> {
        let (name, _) = lock::lease_for(&plan.request.as_verb().subject())?;
        Some(self.leases().check(&name, self.audit.session()).await)
    }

    /// Takes the target's lease before anything is sent. Another console holding it (or
    /// winning the race for it) refuses the action, on record; a cluster where no lease can be
    /// had lets it go on without one, saying so. What happened goes on `base`'s audit lines.
    pub(super) async fn take_lock(
        &self,
        plan: &Plan,
        base: &mut Record,
        progress: &Sender<Progress>,
    ) -> Result<Guard, ActionError> {
        let verb = plan.request.as_verb();
        let Some((name, target)) = lock::lease_for(&verb.subject()) else {
            return Ok(Guard::Unneeded);
        };
        let mine = Mine {
            operator: self.config.operator.clone(),
            session: self.audit.session().to_string(),
            doing: verb.doing().into(),
            verb: verb.verb().into(),
            target,
            runbook: plan.runbook.clone(),
            plan: plan.id.clone(),
        };
        let forced = plan.lock.as_ref().and_then(LockCheck::held_by);
        let (guard, note) = match self.leases().take(&name, &mine, forced).await {
            Taken::Held { lease, over } => {
                let mut note = format!(
                    "action lock {} taken as {} ({}s, renewed every {}s)",
                    lease.describe(),
                    mine.operator,
                    lock::DURATION_S,
                    lock::RENEW_EVERY.as_secs()
                );
                if let Some(h) = over {
                    let now = jiff::Timestamp::now().as_millisecond();
                    let how = if h.expired(now) { "expired" } else { "forced" };
                    note.push_str(&format!("; taken over ({how}) from: {}", h.words()));
                }
                (Guard::held(lease), note)
            }
            Taken::Without(why) => (
                Guard::Without(why.clone()),
                format!("no action lock: {why}"),
            ),
            Taken::Refused(h) => {
                let then = format!(
                    "plan again to see it; typing \"{} --force\" takes the lock over",
                    verb.confirm_name()
                );
                return Err(self.refused(
                    plan,
                    &base.confirmation.clone().unwrap_or_default(),
                    &h,
                    &then,
                ));
            }
        };
        let _ = progress.send(Progress::Message(note.clone())).await;
        base.lock = Some(note);
        Ok(guard)
    }

    /// Refuses a plan whose target another console holds (a plain confirmation, or `--yes`
    /// headless), naming the holder and `then` (what the operator can do); on record.
    pub fn refuse_held(&self, plan: &Plan, method: &str, then: &str) -> ActionError {
        match plan.lock.as_ref().and_then(LockCheck::held_by) {
            Some(h) => self.refused(plan, method, h, then),
            None => ActionError::Confirmation(format!("{} is not held", plan.target)),
        }
    }

    fn refused(&self, plan: &Plan, method: &str, holder: &Holder, then: &str) -> ActionError {
        let held = format!("held: {}", holder.words());
        let logged = self.log(&self.record(plan, method), Phase::Lock, |r| {
            r.outcome = Some("refused".into());
            r.lock = Some(held.clone());
        });
        match logged {
            Ok(()) => ActionError::Refused(format!("{held}; {then}")),
            Err(e) => e,
        }
    }
}
