//! The plans this executor made, by id and hash: a plan runs only if this executor made it,
//! unaltered, and only once. A Plan is plain data anyone can build or edit (its permission,
//! its calls, its confirmation phrase); the executor trusts none of it that it did not write.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use crate::actions::error::ActionError;
use crate::actions::plan::Plan;

/// Plans kept for execution at most; an operator who planned more than this and never ran
/// them plans the oldest again.
const KEPT: usize = 256;

#[derive(Clone, Debug, Default)]
pub struct Issued {
    inner: Arc<Mutex<Book>>,
}

#[derive(Debug, Default)]
struct Book {
    hashes: HashMap<String, String>,
    order: VecDeque<String>,
}

impl Issued {
    /// Notes a plan as made here, as it stands now.
    pub fn record(&self, plan: &Plan) {
        let mut book = self.lock();
        if book.hashes.insert(plan.id.clone(), sealed(plan)).is_none() {
            book.order.push_back(plan.id.clone());
        }
        while book.order.len() > KEPT {
            if let Some(old) = book.order.pop_front() {
                book.hashes.remove(&old);
            }
        }
    }

    /// The plan as it was made here, else why it may not run.
    pub fn check(&self, plan: &Plan) -> Result<(), ActionError> {
        self.lock().check(plan)
    }

    /// A plan runs once: taken out, under the same lock, as its execution starts.
    pub fn spend(&self, plan: &Plan) -> Result<(), ActionError> {
        let mut book = self.lock();
        book.check(plan)?;
        book.hashes.remove(&plan.id);
        book.order.retain(|id| *id != plan.id);
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Book> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Book {
    fn check(&self, plan: &Plan) -> Result<(), ActionError> {
        match self.hashes.get(&plan.id) {
            None => Err(ActionError::Refused(format!(
                "plan {} was not made by this executor (or has already run): plan it again",
                plan.id
            ))),
            Some(hash) if *hash != sealed(plan) => Err(ActionError::Refused(format!(
                "plan {} was altered after it was made (its hash changed): plan it again",
                plan.id
            ))),
            Some(_) => Ok(()),
        }
    }
}

/// The plan's hash as sealed: everything but the runbook's name, which the caller adds after
/// planning (a runbook walking the plan) and which only names the action lock's holder.
fn sealed(plan: &Plan) -> String {
    if plan.runbook.is_none() {
        return plan.hash();
    }
    let mut bare = plan.clone();
    bare.runbook = None;
    bare.hash()
}
