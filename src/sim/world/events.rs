//! Events recorded the way client-go's EventCorrelator records them: the same event again
//! (object, reason and message) bumps the count of the stored one; once an object has had
//! ten different messages for one reason within ten minutes, further ones fold into a single
//! "(combined from similar events): ..." event. The store keeps the newest `EVENT_CAP`.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use jiff::Timestamp;

use super::World;
use super::model::{EventM, Involved, Key, Labels};
use crate::sim::util::{fnv, secs_between};

const EVENT_CAP: usize = 2000;
/// client-go's `maxEvents` and `maxIntervalInSeconds` of the aggregator.
const SIMILAR_MAX: usize = 10;
const SIMILAR_WINDOW_SECS: i64 = 600;
/// client-go's aggregator cache is an LRU of 4096 entries.
const SIMILAR_CACHE: usize = 4096;
const COMBINED: &str = "(combined from similar events): ";
/// The dedupe key of the combined event (message hashes are never 0 in practice).
const COMBINED_KEY: u64 = 0;

/// Distinct messages lately seen for one (object, reason).
#[derive(Debug)]
struct Similar {
    messages: Vec<u64>,
    last: Timestamp,
}

/// Which stored event an incoming one folds into, and in what order they age out.
#[derive(Debug, Default)]
pub(super) struct Correlator {
    /// (object uid, reason, message hash or COMBINED_KEY) -> stored event.
    index: HashMap<(String, &'static str, u64), Key>,
    similar: HashMap<(String, &'static str), Similar>,
    order: VecDeque<Key>,
}

impl Correlator {
    /// The dedupe key and message an event is stored under: its own message, or the combined
    /// one once the object has had too many different messages for this reason.
    fn aggregate(
        &mut self,
        uid: &str,
        reason: &'static str,
        message: String,
        now: Timestamp,
    ) -> (u64, String) {
        let hash = fnv(message.as_bytes()).max(1);
        if self.similar.len() >= SIMILAR_CACHE {
            self.similar
                .retain(|_, s| secs_between(s.last, now) <= SIMILAR_WINDOW_SECS);
            if self.similar.len() >= SIMILAR_CACHE {
                self.similar.clear();
            }
        }
        let rec = self
            .similar
            .entry((uid.to_string(), reason))
            .or_insert_with(|| Similar {
                messages: Vec::new(),
                last: now,
            });
        if secs_between(rec.last, now) > SIMILAR_WINDOW_SECS {
            rec.messages.clear();
        }
        rec.last = now;
        if !rec.messages.contains(&hash) {
            rec.messages.push(hash);
        }
        if rec.messages.len() < SIMILAR_MAX {
            return (hash, message);
        }
        rec.messages.pop();
        (COMBINED_KEY, format!("{COMBINED}{message}"))
    }
}

impl World {
    /// Record an event as a controller or the kubelet would.
    pub(super) fn event(
        &mut self,
        inv: Involved,
        reason: &'static str,
        type_: &'static str,
        message: String,
        component: &'static str,
        host: Option<String>,
    ) {
        let now = self.now;
        let (dedupe, message) = self.correlator.aggregate(&inv.uid, reason, message, now);
        let idx = (inv.uid.clone(), reason, dedupe);
        if let Some(key) = self.correlator.index.get(&idx)
            && let Some(ev) = self.events.get_mut(key)
        {
            ev.count += 1;
            ev.last = now;
            ev.message = message;
            self.log.record(ev, "MODIFIED");
            return;
        }
        // Events about cluster-scoped objects (nodes) live in `default`.
        let ns: Arc<str> = if inv.ns.is_empty() {
            Arc::from("default")
        } else {
            inv.ns.clone()
        };
        let name = format!("{}.{:016x}", inv.name, self.rng.next() >> 1);
        let meta = self.meta(&ns, name, Arc::new(Labels::new()), now);
        let mut ev = EventM {
            meta,
            involved: inv,
            reason,
            message,
            type_,
            count: 1,
            first: now,
            last: now,
            component,
            host,
            dedupe,
        };
        self.log.record(&mut ev, "ADDED");
        let key = ev.meta.key();
        self.correlator.index.insert(idx, key.clone());
        self.correlator.order.push_back(key.clone());
        self.events.insert(key, ev);
        while self.correlator.order.len() > EVENT_CAP {
            let Some(old) = self.correlator.order.pop_front() else {
                break;
            };
            if let Some(mut ev) = self.events.remove(&old) {
                self.correlator
                    .index
                    .remove(&(ev.involved.uid.clone(), ev.reason, ev.dedupe));
                self.log.record(&mut ev, "DELETED");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::clock::TEST_NOW;

    fn involved(w: &World) -> Involved {
        let d = w.deployments.values().next().unwrap();
        Involved {
            kind: "Deployment",
            api_version: "apps/v1",
            ns: d.meta.ns.clone(),
            name: d.meta.name.clone(),
            uid: d.meta.uid.clone(),
        }
    }

    fn of(w: &World, inv: &Involved) -> Vec<(String, i32)> {
        let mut v: Vec<_> = w
            .events
            .values()
            .filter(|e| e.involved.uid == inv.uid)
            .map(|e| (e.message.clone(), e.count))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn the_same_event_counts_up_and_different_messages_stay_apart() {
        let mut w = World::new(None, None, TEST_NOW);
        let inv = involved(&w);
        for m in ["Scaled up to 2", "Scaled up to 2", "Scaled up to 3"] {
            w.event(
                inv.clone(),
                "ScalingReplicaSet",
                "Normal",
                m.into(),
                "x",
                None,
            );
        }
        assert_eq!(
            of(&w, &inv),
            vec![("Scaled up to 2".into(), 2), ("Scaled up to 3".into(), 1)]
        );
    }

    #[test]
    fn the_tenth_different_message_folds_into_a_combined_event() {
        let mut w = World::new(None, None, TEST_NOW);
        let inv = involved(&w);
        for i in 0..12 {
            w.event(inv.clone(), "R", "Normal", format!("m{i}"), "x", None);
        }
        let events = of(&w, &inv);
        assert_eq!(events.len(), 10, "{events:?}");
        assert!(
            events.contains(&("(combined from similar events): m11".into(), 3)),
            "{events:?}"
        );
        // An already seen message still counts on its own event.
        w.event(inv.clone(), "R", "Normal", "m0".into(), "x", None);
        assert!(of(&w, &inv).contains(&("m0".into(), 2)));
    }
}
