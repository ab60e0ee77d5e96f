//! The cluster side of an incident, so every responder's console shares one timeline: its
//! entries live in ConfigMaps `opsdeck-incident-<id>` (then `-2`, `-3` past 900 KiB) labelled
//! `opsdeck.io/incident: <id>` and `opsdeck.io/part`, one data key per entry holding the
//! entry's JSON. Consoles append with the resourceVersion they read and retry on conflict, and
//! watch the label to see each other's entries. Without RBAC on ConfigMaps every call says so
//! (`ShareError::Forbidden`), and the caller keeps the incident local.

mod plan;
mod watch;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{ListParams, Patch, PatchParams, PostParams};
use kube::{Api, Client};
use serde_json::json;
use tokio::sync::{Mutex, mpsc};
use tokio::task::JoinHandle;

use super::entry::Entry;
pub use plan::part_name;
use plan::{Part, Write};

/// Names the incident a ConfigMap belongs to; what every console watches.
pub const INCIDENT_LABEL: &str = "opsdeck.io/incident";
/// Which part of the incident a ConfigMap is: "1", "2", ...
pub const PART_LABEL: &str = "opsdeck.io/part";
/// A part takes entries until its data reaches this; the API server stops a ConfigMap at 1 MiB.
pub const PART_BYTES: usize = 900 * 1024;
/// The most one ConfigMap may hold (data and binaryData together).
const CONFIGMAP_BYTES: usize = 1 << 20;
/// Tries of one append before giving up to other consoles' writes.
const ATTEMPTS: u32 = 12;
/// Parts are large: list a few at a time.
const PAGE: u32 = 16;

/// What the watch reports; the receiver dedups entries by id.
#[derive(Clone, Debug, PartialEq)]
pub enum SharedMsg {
    /// Every entry of one part of `incident`, as a console just wrote it (or as listed).
    Entries {
        incident: String,
        entries: Vec<Entry>,
    },
    /// Why the watch stopped; it retries, unless the reason is that it is forbidden.
    Failed { reason: String },
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ShareError {
    /// RBAC: the server's words, naming who may not do what.
    #[error("the cluster does not let this console share incidents ({0})")]
    Forbidden(String),
    #[error("other consoles kept writing incident {incident}: gave up after {attempts} tries")]
    Conflict { incident: String, attempts: u32 },
    #[error("entry {id} is {bytes} bytes: more than a ConfigMap holds (1 MiB)")]
    TooLarge { id: String, bytes: usize },
    #[error(
        "incident id {0:?} cannot name a ConfigMap: use lowercase letters, digits and '-' (at most 63)"
    )]
    BadId(String),
    /// Any other failure of the API server or of reaching it.
    #[error("{0}")]
    Api(String),
}

/// The incidents of one namespace in the cluster. Clones share the append lock.
#[derive(Clone)]
pub struct Share {
    api: Api<ConfigMap>,
    /// One append at a time from this console (it never races itself, only other consoles),
    /// and the parts each incident had after this console's last write.
    known: Arc<Mutex<HashMap<String, Vec<Part>>>>,
}

/// How one try of an append ended short of success.
enum Step {
    /// Another console wrote first: read again and retry.
    Raced,
    Failed(ShareError),
}

impl Share {
    pub fn new(client: Client, namespace: &str) -> Share {
        Share {
            api: Api::namespaced(client, namespace),
            known: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Adds `entries` to the incident's ConfigMaps, creating them as needed; entries already
    /// there are not written again.
    pub async fn append(&self, incident: &str, entries: &[Entry]) -> Result<(), ShareError> {
        check_id(incident)?;
        let fresh = encode(entries)?;
        if fresh.is_empty() {
            return Ok(());
        }
        let mut known = self.known.lock().await;
        for attempt in 1..=ATTEMPTS {
            let parts = match known.remove(incident) {
                Some(parts) => parts,
                None => self.parts(incident).await?,
            };
            match self.write(incident, parts, &fresh).await {
                Ok(parts) => {
                    known.insert(incident.to_string(), parts);
                    return Ok(());
                }
                Err(Step::Raced) => tokio::time::sleep(jitter(attempt)).await,
                Err(Step::Failed(e)) => return Err(e),
            }
        }
        Err(ShareError::Conflict {
            incident: incident.to_string(),
            attempts: ATTEMPTS,
        })
    }

    /// Every entry of the incident, from every part, once each, in time order.
    pub async fn load(&self, incident: &str) -> Result<Vec<Entry>, ShareError> {
        check_id(incident)?;
        let cms = self
            .list_all(&format!("{INCIDENT_LABEL}={incident}"))
            .await?;
        Ok(merge(cms.iter().flat_map(entries_of)))
    }

    /// Every shared incident in the namespace with its entries, by id.
    pub async fn list(&self) -> Result<Vec<(String, Vec<Entry>)>, ShareError> {
        let mut by_id: BTreeMap<String, Vec<Entry>> = BTreeMap::new();
        for cm in self.list_all(INCIDENT_LABEL).await? {
            let labels = cm.metadata.labels.as_ref();
            if let Some(id) = labels.and_then(|l| l.get(INCIDENT_LABEL)) {
                by_id.entry(id.clone()).or_default().extend(entries_of(&cm));
            }
        }
        Ok(by_id.into_iter().map(|(id, e)| (id, merge(e))).collect())
    }

    /// Watches every shared incident of the namespace until `tx` closes.
    pub fn watch<M>(self, tx: mpsc::Sender<M>) -> JoinHandle<()>
    where
        M: From<SharedMsg> + Send + 'static,
    {
        tokio::spawn(watch::run(self.api, tx))
    }

    /// The incident's parts as they are now, in order.
    async fn parts(&self, incident: &str) -> Result<Vec<Part>, ShareError> {
        let cms = self
            .list_all(&format!("{INCIDENT_LABEL}={incident}"))
            .await?;
        let mut parts: Vec<Part> = cms.iter().filter_map(|c| Part::of(incident, c)).collect();
        parts.sort_by_key(|p| p.number);
        Ok(parts)
    }

    async fn list_all(&self, selector: &str) -> Result<Vec<ConfigMap>, ShareError> {
        let mut out = vec![];
        let mut params = ListParams::default().labels(selector).limit(PAGE);
        loop {
            let page = self
                .api
                .list(&params)
                .await
                .map_err(|e| api_error(e, "reading shared incidents"))?;
            out.extend(page.items);
            match page.metadata.continue_.filter(|c| !c.is_empty()) {
                Some(token) => params = params.continue_token(&token),
                None => return Ok(out),
            }
        }
    }

    /// One try: the writes the plan asks for, each answered with the part as now stored.
    async fn write(
        &self,
        incident: &str,
        mut parts: Vec<Part>,
        fresh: &[(String, String)],
    ) -> Result<Vec<Part>, Step> {
        for w in plan::plan(&parts, fresh) {
            let stored = match w {
                Write::Add { name, rv, data } => self.add(&name, &rv, data).await?,
                Write::Create { number, data } => self.create(incident, number, data).await?,
            };
            if let Some(p) = Part::of(incident, &stored) {
                parts.retain(|old| old.number != p.number);
                parts.push(p);
                parts.sort_by_key(|p| p.number);
            }
        }
        Ok(parts)
    }

    /// A merge patch carrying the resourceVersion read: the API server applies it only if
    /// the part is unchanged since (409 Conflict otherwise), and sends only the new keys.
    async fn add(
        &self,
        name: &str,
        rv: &str,
        data: BTreeMap<String, String>,
    ) -> Result<ConfigMap, Step> {
        let patch = json!({"metadata": {"resourceVersion": rv}, "data": data});
        let params = PatchParams {
            field_manager: Some("opsdeck".into()),
            ..PatchParams::default()
        };
        self.api
            .patch(name, &params, &Patch::Merge(&patch))
            .await
            .map_err(|e| step_error(e, name))
    }

    async fn create(
        &self,
        incident: &str,
        number: u32,
        data: BTreeMap<String, String>,
    ) -> Result<ConfigMap, Step> {
        let name = part_name(incident, number);
        let labels = [
            (INCIDENT_LABEL.to_string(), incident.to_string()),
            (PART_LABEL.to_string(), number.to_string()),
        ];
        let cm = ConfigMap {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                labels: Some(labels.into_iter().collect()),
                ..ObjectMeta::default()
            },
            data: Some(data),
            ..ConfigMap::default()
        };
        let params = PostParams {
            field_manager: Some("opsdeck".into()),
            ..PostParams::default()
        };
        match self.api.create(&params, &cm).await {
            Err(kube::Error::Api(s)) if s.is_already_exists() => {
                // Another console began this part first, unless the name is not ours at all.
                match self.api.get_opt(&name).await {
                    Ok(Some(other)) if Part::of(incident, &other).is_none() => {
                        Err(Step::Failed(ShareError::Api(format!(
                            "ConfigMap {name} exists and is not part of incident {incident}"
                        ))))
                    }
                    _ => Err(Step::Raced),
                }
            }
            other => other.map_err(|e| step_error(e, &name)),
        }
    }
}

/// The entries one ConfigMap holds (values that are not entries are skipped, and logged).
fn entries_of(cm: &ConfigMap) -> Vec<Entry> {
    let Some(data) = &cm.data else {
        return vec![];
    };
    data.iter()
        .filter_map(|(key, json)| match serde_json::from_str::<Entry>(json) {
            Ok(e) => Some(e),
            Err(err) => {
                tracing::warn!(key, %err, "shared incident: a value that is not an entry");
                None
            }
        })
        .collect()
}

/// Once each (by id), in time order.
fn merge(entries: impl IntoIterator<Item = Entry>) -> Vec<Entry> {
    let mut by_id: BTreeMap<String, Entry> = BTreeMap::new();
    for e in entries {
        by_id.entry(e.id.clone()).or_insert(e);
    }
    let mut out: Vec<Entry> = by_id.into_values().collect();
    out.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
    out
}

/// Each entry as (data key, JSON), refusing one no ConfigMap could hold.
fn encode(entries: &[Entry]) -> Result<Vec<(String, String)>, ShareError> {
    entries
        .iter()
        .map(|e| {
            let json = serde_json::to_string(e).map_err(|err| ShareError::Api(err.to_string()))?;
            if json.len() > CONFIGMAP_BYTES {
                return Err(ShareError::TooLarge {
                    id: e.id.clone(),
                    bytes: json.len(),
                });
            }
            Ok((plan::key_of(&e.id), json))
        })
        .collect()
}

/// An id must serve as a label value and inside a ConfigMap name.
fn check_id(id: &str) -> Result<(), ShareError> {
    let b = id.as_bytes();
    let ok = !b.is_empty()
        && b.len() <= 63
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-';
    if ok {
        Ok(())
    } else {
        Err(ShareError::BadId(id.to_string()))
    }
}

fn api_error(e: kube::Error, doing: &str) -> ShareError {
    match e {
        kube::Error::Api(s) if s.is_forbidden() => ShareError::Forbidden(s.message),
        kube::Error::Api(s) => ShareError::Api(format!("{doing}: {} ({})", s.message, s.code)),
        other => ShareError::Api(format!("{doing}: cannot reach the cluster: {other}")),
    }
}

fn step_error(e: kube::Error, name: &str) -> Step {
    match &e {
        // Changed or removed since it was read: read again.
        kube::Error::Api(s) if s.is_conflict() || s.is_not_found() => Step::Raced,
        _ => Step::Failed(api_error(e, &format!("writing ConfigMap {name}"))),
    }
}

/// How long to wait after losing a race: doubling from 25 ms to 1 s, times 0.5-1.5 so
/// consoles that collided do not collide again.
fn jitter(attempt: u32) -> Duration {
    use std::hash::{BuildHasher, Hasher};
    let base = (25u64 << attempt.saturating_sub(1).min(6)).min(1000);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(attempt);
    let unit = (h.finish() % 1000) as f64 / 1000.0;
    Duration::from_millis((base as f64 * (0.5 + unit)) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::entry::Kind;

    #[test]
    fn ids_must_name_a_configmap_and_a_label() {
        assert!(check_id("inc-mww2n400").is_ok());
        for bad in ["", "Inc-1", "inc_1", "-inc", "inc-", &"a".repeat(64)] {
            assert_eq!(check_id(bad), Err(ShareError::BadId(bad.to_string())));
        }
    }

    #[test]
    fn entries_merge_once_each_in_time_order() {
        let a = Entry::new(Kind::Note, 20, "operator", "a");
        let b = Entry::new(Kind::Note, 10, "operator", "b");
        let merged = merge([a.clone(), b.clone(), a.clone()]);
        assert_eq!(merged, [b, a]);
    }

    #[test]
    fn an_entry_no_configmap_could_hold_is_refused_before_any_write() {
        let big = Entry::new(Kind::Note, 1, "operator", "x".repeat(CONFIGMAP_BYTES));
        assert!(matches!(
            encode(&[big]),
            Err(ShareError::TooLarge { bytes, .. }) if bytes > CONFIGMAP_BYTES
        ));
    }

    #[test]
    fn jitter_grows_and_stays_bounded() {
        assert!(jitter(1) <= Duration::from_millis(38));
        assert!(jitter(30) >= Duration::from_millis(500));
        assert!(jitter(30) <= Duration::from_millis(1500));
    }
}
