//! The Alertmanager's state with 0.25's semantics: alerts by fingerprint (merged as its memory
//! provider merges them), silences (update in place only with unchanged matchers, else expire
//! and replace), each alert's status, and the groups of the route `group_by: [alertname,
//! namespace]` with the one receiver `opsdeck`. Pure: the time is always passed in.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};

use super::engine::{LabelSet, Notification};
use super::matchers::{Matcher, all_match, valid_label_name};
use crate::sim::util::Rng;

/// The receiver of the only route.
pub const RECEIVER: &str = "opsdeck";
/// The route's `group_by`.
pub const GROUP_BY: [&str; 2] = ["alertname", "namespace"];
/// `resolve_timeout`: an alert posted without `endsAt` resolves this long after.
const RESOLVE_TIMEOUT: SignedDuration = SignedDuration::from_mins(5);

/// `model.LabelSet.Fingerprint()`: FNV-1a 64 over sorted names and values, each followed by
/// the separator byte 0xff. The same labels give the same fingerprint as a real Alertmanager.
pub fn fingerprint(labels: &LabelSet) -> u64 {
    let mut h: u64 = 14_695_981_039_346_656_037;
    for (k, v) in labels {
        for b in k.bytes().chain([0xff]).chain(v.bytes()).chain([0xff]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(1_099_511_628_211);
        }
    }
    h
}

/// `LabelSet.Before`: fewer labels first, then by the values of the sorted names.
pub fn labels_before(a: &LabelSet, b: &LabelSet) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| {
        let mut names: Vec<&String> = a.keys().chain(b.keys()).collect();
        names.sort();
        for n in names {
            match (a.get(n), b.get(n)) {
                (None, _) => return Ordering::Less,
                (_, None) => return Ordering::Greater,
                (Some(x), Some(y)) if x != y => return x.cmp(y),
                _ => {}
            }
        }
        Ordering::Equal
    })
}

#[derive(Clone, Debug, PartialEq)]
pub struct Alert {
    pub labels: LabelSet,
    pub annotations: LabelSet,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub updated_at: Timestamp,
    pub generator_url: Option<String>,
    /// `endsAt` was set by `resolve_timeout`, not by the sender.
    pub timeout: bool,
}

impl Alert {
    pub fn resolved(&self, now: Timestamp) -> bool {
        self.ends_at <= now
    }

    /// `types.Alert.Merge`: the younger one wins, the earliest start stays, and an explicit end
    /// that is later wins over a timeout.
    fn merge(&self, newer: Alert, now: Timestamp) -> Alert {
        let (a, o) = if newer.updated_at < self.updated_at {
            (&newer, self)
        } else {
            (self, &newer)
        };
        let mut res = o.clone();
        res.starts_at = res.starts_at.min(a.starts_at);
        if o.resolved(now) {
            if a.resolved(now) && a.ends_at > o.ends_at {
                res.ends_at = a.ends_at;
            }
        } else if a.ends_at > o.ends_at && !a.timeout {
            res.ends_at = a.ends_at;
        }
        res
    }
}

/// What `POST /api/v2/alerts` carries for one alert.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PostedAlert {
    pub labels: LabelSet,
    pub annotations: LabelSet,
    pub starts_at: Option<Timestamp>,
    pub ends_at: Option<Timestamp>,
    pub generator_url: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Silence {
    pub id: String,
    pub matchers: Vec<Matcher>,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub updated_at: Timestamp,
    pub created_by: String,
    pub comment: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SilenceState {
    Active,
    Pending,
    Expired,
}

impl SilenceState {
    pub fn name(self) -> &'static str {
        match self {
            SilenceState::Active => "active",
            SilenceState::Pending => "pending",
            SilenceState::Expired => "expired",
        }
    }
}

impl Silence {
    pub fn state(&self, now: Timestamp) -> SilenceState {
        if now < self.starts_at {
            SilenceState::Pending
        } else if now < self.ends_at {
            SilenceState::Active
        } else {
            SilenceState::Expired
        }
    }
}

/// A silence as `POST /api/v2/silences` carries it (matchers as name, value, isRegex, isEqual).
#[derive(Clone, Debug, PartialEq)]
pub struct PostedSilence {
    pub id: Option<String>,
    pub matchers: Vec<(String, String, bool, bool)>,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub created_by: String,
    pub comment: String,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SilenceError {
    #[error("silence not found")]
    NotFound,
    /// 400, with Alertmanager's message.
    #[error("{0}")]
    Invalid(String),
}

/// An alert with its status now.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertView<'a> {
    pub fingerprint: u64,
    pub alert: &'a Alert,
    pub silenced_by: Vec<String>,
}

impl AlertView<'_> {
    pub fn state(&self) -> &'static str {
        if self.silenced_by.is_empty() {
            "active"
        } else {
            "suppressed"
        }
    }
}

/// The `GET /api/v2/alerts` and `/alerts/groups` parameters.
#[derive(Clone, Debug)]
pub struct AlertQuery {
    pub active: bool,
    pub silenced: bool,
    pub inhibited: bool,
    pub unprocessed: bool,
    pub filter: Vec<Matcher>,
    pub receiver: Option<regex::Regex>,
}

impl Default for AlertQuery {
    fn default() -> Self {
        AlertQuery {
            active: true,
            silenced: true,
            inhibited: true,
            unprocessed: true,
            filter: vec![],
            receiver: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Group<'a> {
    pub labels: LabelSet,
    pub alerts: Vec<AlertView<'a>>,
}

#[derive(Clone, Debug)]
pub struct Alertmanager {
    alerts: BTreeMap<u64, Alert>,
    silences: Vec<Silence>,
    rng: Rng,
    pub started: Timestamp,
}

impl Alertmanager {
    pub fn new(now: Timestamp) -> Alertmanager {
        Alertmanager {
            alerts: BTreeMap::new(),
            silences: vec![],
            rng: Rng(now.as_nanosecond() as u64 ^ 0xa1e7),
            started: now,
        }
    }

    fn put(&mut self, alert: Alert, now: Timestamp) {
        let fp = fingerprint(&alert.labels);
        let alert = match self.alerts.get(&fp) {
            Some(old)
                if (alert.ends_at > old.starts_at && alert.ends_at < old.ends_at)
                    || (alert.starts_at > old.starts_at && alert.starts_at < old.ends_at) =>
            {
                old.merge(alert, now)
            }
            _ => alert,
        };
        self.alerts.insert(fp, alert);
    }

    /// `POST /api/v2/alerts`: every valid alert is taken; the others' errors come back joined.
    pub fn post(&mut self, posted: Vec<PostedAlert>, now: Timestamp) -> Result<(), String> {
        let mut errors = vec![];
        for p in posted {
            let starts_at = p.starts_at.or(p.ends_at).unwrap_or(now);
            let (ends_at, timeout) = match p.ends_at {
                Some(t) => (t, false),
                None => (now + RESOLVE_TIMEOUT, true),
            };
            if let Some(bad) = p.labels.keys().find(|k| !valid_label_name(k)) {
                errors.push(format!("invalid label set: invalid name {bad:?}"));
                continue;
            }
            if p.labels.is_empty() {
                errors.push("at least one label pair required".to_string());
                continue;
            }
            if ends_at < starts_at {
                errors.push("start time must be before end time".to_string());
                continue;
            }
            let alert = Alert {
                labels: p.labels,
                annotations: p.annotations,
                starts_at,
                ends_at,
                updated_at: now,
                generator_url: p.generator_url.filter(|u| !u.is_empty()),
                timeout,
            };
            self.put(alert, now);
        }
        self.forget_resolved(now);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("; "))
        }
    }

    /// What the sim's own Prometheus sends after an evaluation.
    pub fn receive(&mut self, notes: Vec<Notification>, now: Timestamp) {
        let posted = notes
            .into_iter()
            .map(|n| PostedAlert {
                labels: n.labels,
                annotations: n.annotations,
                starts_at: Some(n.starts_at),
                ends_at: Some(n.ends_at),
                generator_url: Some(n.generator_url),
            })
            .collect();
        let _ = self.post(posted, now);
    }

    /// Resolved alerts are kept a while (the API hides them); then they go.
    fn forget_resolved(&mut self, now: Timestamp) {
        let horizon = now - SignedDuration::from_hours(1);
        self.alerts.retain(|_, a| a.ends_at > horizon);
    }

    fn silenced_by(&self, labels: &LabelSet, now: Timestamp) -> Vec<String> {
        let mut ids: Vec<String> = self
            .silences
            .iter()
            .filter(|s| s.state(now) == SilenceState::Active && all_match(&s.matchers, labels))
            .map(|s| s.id.clone())
            .collect();
        ids.sort();
        ids
    }

    fn keep(&self, q: &AlertQuery, view: &AlertView) -> bool {
        let silenced = !view.silenced_by.is_empty();
        (q.active || silenced)
            && (q.silenced || !silenced)
            && q.receiver.as_ref().is_none_or(|r| r.is_match(RECEIVER))
            && all_match(&q.filter, &view.alert.labels)
    }

    /// The unresolved alerts the query keeps, by fingerprint.
    pub fn alerts(&self, q: &AlertQuery, now: Timestamp) -> Vec<AlertView<'_>> {
        self.alerts
            .iter()
            .filter(|(_, a)| !a.resolved(now))
            .map(|(&fp, a)| AlertView {
                fingerprint: fp,
                alert: a,
                silenced_by: self.silenced_by(&a.labels, now),
            })
            .filter(|v| self.keep(q, v))
            .collect()
    }

    /// The route's groups of the alerts the query keeps: labels are the alerts' `alertname` and
    /// `namespace` (those they have), both groups and alerts in `LabelSet.Before` order.
    pub fn groups(&self, q: &AlertQuery, now: Timestamp) -> Vec<Group<'_>> {
        let mut groups: BTreeMap<LabelSet, Vec<AlertView>> = BTreeMap::new();
        for v in self.alerts(q, now) {
            let key = GROUP_BY
                .iter()
                .filter_map(|n| {
                    v.alert
                        .labels
                        .get(*n)
                        .map(|val| ((*n).to_string(), val.clone()))
                })
                .collect();
            groups.entry(key).or_default().push(v);
        }
        let mut out: Vec<Group> = groups
            .into_iter()
            .map(|(labels, mut alerts)| {
                alerts.sort_by(|a, b| labels_before(&a.alert.labels, &b.alert.labels));
                Group { labels, alerts }
            })
            .collect();
        out.sort_by(|a, b| labels_before(&a.labels, &b.labels));
        out
    }

    pub fn silence(&self, id: &str) -> Option<&Silence> {
        self.silences.iter().find(|s| s.id == id)
    }

    /// The silences whose matchers, read as labels (name = value), match `filter`; sorted as the API sorts: active by end, pending by start, expired latest first.
    pub fn silences(&self, filter: &[Matcher], now: Timestamp) -> Vec<&Silence> {
        let mut out: Vec<&Silence> = self
            .silences
            .iter()
            .filter(|s| {
                let labels: LabelSet = s
                    .matchers
                    .iter()
                    .map(|m| (m.name.clone(), m.value.clone()))
                    .collect();
                all_match(filter, &labels)
            })
            .collect();
        out.sort_by(|a, b| {
            let (sa, sb) = (a.state(now), b.state(now));
            sa.cmp(&sb).then_with(|| match sa {
                SilenceState::Active => a.ends_at.cmp(&b.ends_at),
                SilenceState::Pending => a.starts_at.cmp(&b.starts_at),
                SilenceState::Expired => b.ends_at.cmp(&a.ends_at),
            })
        });
        out
    }

    /// `POST /api/v2/silences`: a new silence, or an update of `id` in place when its matchers
    /// are unchanged and its times may change (an active one keeps its start and must not end in
    /// the past, a pending one must not start in the past); otherwise the old one is expired and
    /// a new id returned.
    pub fn set_silence(
        &mut self,
        p: PostedSilence,
        now: Timestamp,
    ) -> Result<String, SilenceError> {
        if p.starts_at >= p.ends_at {
            return Err(SilenceError::Invalid(
                "Failed to create silence: start time must be before end time".into(),
            ));
        }
        if p.ends_at < now {
            return Err(SilenceError::Invalid(
                "Failed to create silence: end time can't be in the past".into(),
            ));
        }
        let matchers = validate_matchers(&p.matchers)?;
        let prev = match &p.id {
            Some(id) if !id.is_empty() => Some(
                self.silences
                    .iter()
                    .position(|s| &s.id == id)
                    .ok_or(SilenceError::NotFound)?,
            ),
            _ => None,
        };
        let mut new = Silence {
            id: String::new(),
            matchers,
            starts_at: p.starts_at,
            ends_at: p.ends_at,
            updated_at: now,
            created_by: p.created_by,
            comment: p.comment,
        };
        if let Some(i) = prev {
            let old = &self.silences[i];
            let can_update = old.matchers == new.matchers
                && match old.state(now) {
                    SilenceState::Active => new.starts_at == old.starts_at && new.ends_at >= now,
                    SilenceState::Pending => new.starts_at >= now,
                    SilenceState::Expired => false,
                };
            if can_update {
                new.id = old.id.clone();
                self.silences[i] = new;
                return Ok(self.silences[i].id.clone());
            }
            self.expire_at(i, now);
        }
        new.id = self.rng.uid();
        new.starts_at = new.starts_at.max(now);
        let id = new.id.clone();
        self.silences.push(new);
        Ok(id)
    }

    fn expire_at(&mut self, i: usize, now: Timestamp) {
        let s = &mut self.silences[i];
        match s.state(now) {
            SilenceState::Expired => return,
            SilenceState::Active => s.ends_at = now,
            SilenceState::Pending => {
                s.starts_at = now;
                s.ends_at = now;
            }
        }
        s.updated_at = now;
    }

    /// `DELETE /api/v2/silence/{id}`: expires it (an expired one stays as it is).
    pub fn expire_silence(&mut self, id: &str, now: Timestamp) -> Result<(), SilenceError> {
        let i = self
            .silences
            .iter()
            .position(|s| s.id == id)
            .ok_or(SilenceError::NotFound)?;
        self.expire_at(i, now);
        Ok(())
    }
}

fn validate_matchers(raw: &[(String, String, bool, bool)]) -> Result<Vec<Matcher>, SilenceError> {
    let invalid = |m: String| SilenceError::Invalid(format!("silence invalid: {m}"));
    let matchers = raw
        .iter()
        .enumerate()
        .map(|(i, (name, value, re, eq))| {
            Matcher::from_silence(name, value, *re, *eq)
                .map_err(|e| invalid(format!("invalid label matcher {i}: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if matchers.is_empty() {
        return Err(invalid("at least one matcher required".into()));
    }
    if matchers.iter().all(|m| m.matches_value("")) {
        return Err(invalid(
            "at least one matcher must not match the empty string".into(),
        ));
    }
    Ok(matchers)
}

#[cfg(test)]
mod tests;
