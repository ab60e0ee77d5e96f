//! A keyed row store with stable slots, so table views can keep cheap `Vec<usize>` orderings.
//!
//! Watch resyncs are scoped: a re-list of namespace `a` must only drop rows of `a`. Each row is
//! stamped with the generation of its scope's latest list; rows with an older stamp are what a
//! finished list did not see, i.e. deletions missed while disconnected.

use std::collections::HashMap;

mod index;
use index::Index;

pub trait Keyed {
    /// Unique within its store, e.g. "contentgen/api-7d9f8c-x2v9q".
    fn key(&self) -> String;
    /// The watch scope the row belongs to (its namespace; "" for cluster-scoped objects).
    fn scope(&self) -> &str;
    /// Which watch feeds the row, when one store is fed by several (deployments and
    /// statefulsets share the workloads store).
    fn tag(&self) -> &'static str {
        ""
    }
    /// The kube context the row came from (one store holds every context's rows).
    fn context(&self) -> &str {
        ""
    }
}

#[derive(Debug)]
pub struct Store<R> {
    slots: Vec<Option<(R, u64)>>,
    free: Vec<usize>,
    index: Index,
    /// Current list generation per tag, context and scope (scope "" = a cluster-wide watch);
    /// nested so a lookup by `&str` allocates nothing (it happens for every row applied).
    generations: HashMap<&'static str, HashMap<String, HashMap<String, u64>>>,
    next_generation: u64,
    /// Bumped whenever rows are added or removed (orderings must be rebuilt).
    pub membership: u64,
    /// Bumped on any change at all (cells must be redrawn).
    pub revision: u64,
}

impl<R> Default for Store<R> {
    fn default() -> Self {
        Store {
            slots: Vec::new(),
            free: Vec::new(),
            index: Index::default(),
            generations: HashMap::new(),
            next_generation: 1,
            membership: 0,
            revision: 0,
        }
    }
}

impl<R: Keyed> Store<R> {
    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.len() == 0
    }

    /// Slots in use or free: a walk over `0..slot_count()` with `get` sees every row.
    pub fn slot_count(&self) -> usize {
        self.slots.len()
    }

    pub fn get(&self, slot: usize) -> Option<&R> {
        self.slots.get(slot)?.as_ref().map(|(r, _)| r)
    }

    pub fn find(&self, key: &str) -> Option<&R> {
        self.index.get(key).and_then(|s| self.get(s))
    }

    /// Every live row with its slot, in slot order.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &R)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.as_ref().map(|(r, _)| (i, r)))
    }

    fn generation_for(&self, tag: &'static str, context: &str, scope: &str) -> u64 {
        let Some(scopes) = self.generations.get(tag).and_then(|c| c.get(context)) else {
            return 0;
        };
        scopes
            .get(scope)
            .or_else(|| scopes.get(""))
            .copied()
            .unwrap_or(0)
    }

    pub fn upsert(&mut self, row: R) {
        self.replace(row);
    }

    /// As `upsert`, saying the row's slot and the row it replaced.
    pub fn replace(&mut self, row: R) -> (usize, Option<R>) {
        let generation = self.generation_for(row.tag(), row.context(), row.scope());
        let key = row.key();
        self.revision += 1;
        if let Some(slot) = self.index.get(&key) {
            let old = self.slots[slot].replace((row, generation));
            return (slot, old.map(|(r, _)| r));
        }
        let slot = match self.free.pop() {
            Some(s) => {
                self.slots[s] = Some((row, generation));
                s
            }
            None => {
                self.slots.push(Some((row, generation)));
                self.slots.len() - 1
            }
        };
        self.index.insert(key, slot);
        self.membership += 1;
        (slot, None)
    }

    /// Takes the row out; the row, if there was one.
    pub fn remove(&mut self, key: &str) -> Option<R> {
        let slot = self.index.remove(key)?;
        let gone = self.slots[slot].take();
        self.free.push(slot);
        self.membership += 1;
        self.revision += 1;
        gone.map(|(r, _)| r)
    }

    /// A (re-)list of `scope` begins: rows it re-sends get the new generation.
    pub fn begin_list(&mut self, tag: &'static str, context: &str, scope: &str) {
        let generation = self.next_generation;
        self.next_generation += 1;
        self.generations
            .entry(tag)
            .or_default()
            .entry(context.to_string())
            .or_default()
            .insert(scope.to_string(), generation);
    }

    /// The list of `scope` is complete: rows it did not re-send are gone (and returned).
    pub fn end_list(&mut self, tag: &'static str, context: &str, scope: &str) -> Vec<R> {
        let generation = self.generation_for(tag, context, scope);
        let stale: Vec<String> = self
            .slots
            .iter()
            .flatten()
            .filter(|(r, g)| {
                *g < generation
                    && r.tag() == tag
                    && r.context() == context
                    && (scope.is_empty() || r.scope() == scope)
            })
            .map(|(r, _)| r.key())
            .collect();
        stale.iter().filter_map(|key| self.remove(key)).collect()
    }

    /// Drop everything (the watched namespaces changed).
    pub fn clear(&mut self) {
        *self = Store {
            membership: self.membership + 1,
            revision: self.revision + 1,
            next_generation: self.next_generation,
            ..Store::default()
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    struct Row(&'static str, &'static str, u32);
    impl Keyed for Row {
        fn key(&self) -> String {
            format!("{}/{}", self.0, self.1)
        }
        fn scope(&self) -> &str {
            self.0
        }
    }

    #[test]
    fn relist_drops_only_unseen_rows_of_its_scope() {
        let mut store = Store::default();
        store.begin_list("", "", "a");
        store.upsert(Row("a", "x", 1));
        store.upsert(Row("a", "y", 1));
        store.end_list("", "", "a");
        store.begin_list("", "", "b");
        store.upsert(Row("b", "z", 1));
        store.end_list("", "", "b");
        // Namespace a reconnects and re-lists: y was deleted meanwhile, x changed.
        store.begin_list("", "", "a");
        store.upsert(Row("a", "x", 2));
        store.end_list("", "", "a");
        assert_eq!(store.len(), 2);
        assert_eq!(store.find("a/x"), Some(&Row("a", "x", 2)));
        assert!(store.find("a/y").is_none());
        assert!(store.find("b/z").is_some(), "other scopes are untouched");
    }

    #[derive(Debug, PartialEq)]
    struct InContext(&'static str, &'static str);
    impl Keyed for InContext {
        fn key(&self) -> String {
            format!("{}/{}", self.0, self.1)
        }
        fn scope(&self) -> &str {
            ""
        }
        fn context(&self) -> &str {
            self.0
        }
    }

    #[test]
    fn a_relist_in_one_context_leaves_the_others_rows() {
        let mut store = Store::default();
        for ctx in ["eu", "us"] {
            store.begin_list("", ctx, "");
            store.upsert(InContext(ctx, "node-1"));
            store.end_list("", ctx, "");
        }
        // eu reconnects and its node is gone; us, the same name in the same scope, stays.
        store.begin_list("", "eu", "");
        store.end_list("", "eu", "");
        assert!(store.find("eu/node-1").is_none());
        assert!(store.find("us/node-1").is_some());
    }

    #[test]
    fn slots_are_reused_and_membership_tracks_adds_and_removes() {
        let mut store = Store::default();
        store.upsert(Row("a", "x", 1));
        let m = store.membership;
        store.upsert(Row("a", "x", 2));
        assert_eq!(store.membership, m, "an update is not a membership change");
        store.remove("a/x");
        store.upsert(Row("a", "w", 1));
        assert_eq!(store.iter().count(), 1);
        assert_eq!(store.get(0), Some(&Row("a", "w", 1)));
    }
}
