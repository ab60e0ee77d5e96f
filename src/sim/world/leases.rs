//! coordination.k8s.io/v1 Leases: the kubelets' node leases in `kube-node-lease` (renewed
//! every 10 s while the node is Ready, frozen once it is not), and any lease a client creates,
//! updates or deletes, in any namespace, with kube-apiserver's rules: an update must carry the
//! resourceVersion it read (409 Conflict when it is stale), an update of a missing lease
//! creates it.

use std::sync::Arc;

use jiff::Timestamp;
use k8s_openapi::api::coordination::v1::LeaseSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, OwnerReference};
use serde_json::Value;

use super::World;
use super::model::{Key, Labels, Meta};
use super::patch::WorldError;

pub const NODE_LEASE_NS: &str = "kube-node-lease";
/// The kubelet renews its lease every 10 s (a quarter of its 40 s duration).
const RENEW_MS: i64 = 10_000;
const NODE_LEASE_SECONDS: i32 = 40;

#[derive(Clone, Debug)]
pub struct LeaseM {
    pub meta: Meta,
    pub spec: LeaseSpec,
    pub owners: Vec<OwnerReference>,
}

/// What a create or update body says, once checked.
struct LeaseBody {
    name: String,
    rv: Option<String>,
    labels: Labels,
    annotations: Labels,
    spec: LeaseSpec,
    owners: Vec<OwnerReference>,
}

fn parse(ns: &str, body: &Value) -> Result<LeaseBody, WorldError> {
    let meta = body.get("metadata").cloned().unwrap_or(Value::Null);
    if let Some(body_ns) = meta.get("namespace").and_then(Value::as_str)
        && body_ns != ns
    {
        return Err(WorldError::BadRequest(
            "the namespace of the provided object does not match the namespace sent on the request"
                .into(),
        ));
    }
    let map = |k: &str| -> Result<Labels, WorldError> {
        match meta.get(k) {
            None | Some(Value::Null) => Ok(Labels::new()),
            Some(v) => serde_json::from_value(v.clone())
                .map_err(|e| WorldError::Invalid(format!("metadata.{k}: {e}"))),
        }
    };
    let spec: LeaseSpec = match body.get("spec") {
        None | Some(Value::Null) => LeaseSpec::default(),
        Some(s) => serde_json::from_value(s.clone())
            .map_err(|e| WorldError::Invalid(format!("spec: Invalid value: {e}")))?,
    };
    if let Some(d) = spec.lease_duration_seconds.filter(|d| *d <= 0) {
        return Err(WorldError::Invalid(format!(
            "spec.leaseDurationSeconds: Invalid value: {d}: must be greater than 0"
        )));
    }
    if let Some(t) = spec.lease_transitions.filter(|t| *t < 0) {
        return Err(WorldError::Invalid(format!(
            "spec.leaseTransitions: Invalid value: {t}: must be greater than or equal to 0"
        )));
    }
    Ok(LeaseBody {
        name: meta
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        rv: meta
            .get("resourceVersion")
            .and_then(Value::as_str)
            .filter(|rv| !rv.is_empty())
            .map(str::to_string),
        labels: map("labels")?,
        annotations: map("annotations")?,
        spec,
        owners: match meta.get("ownerReferences") {
            None | Some(Value::Null) => vec![],
            Some(v) => serde_json::from_value(v.clone())
                .map_err(|e| WorldError::Invalid(format!("metadata.ownerReferences: {e}")))?,
        },
    })
}

impl World {
    fn lease_json(&self, key: &Key) -> Result<Value, WorldError> {
        self.object_json(super::Kind::Lease, &key.ns, &key.name)
            .ok_or(WorldError::NotFound)
    }

    fn insert_lease(&mut self, ns: &str, b: LeaseBody) -> Result<Value, WorldError> {
        let meta = self.client_meta(ns, b.name, b.labels, b.annotations)?;
        let mut lease = LeaseM {
            meta,
            spec: b.spec,
            owners: b.owners,
        };
        self.log.record(&mut lease, "ADDED");
        let key = lease.meta.key();
        self.leases.insert(key.clone(), lease);
        self.lease_json(&key)
    }

    /// POST: a new lease (`generateName` gets a random suffix).
    pub fn create_lease(
        &mut self,
        ns: &str,
        body: &Value,
        dry_run: bool,
    ) -> Result<Value, WorldError> {
        let mut b = parse(ns, body)?;
        if b.rv.is_some() {
            return Err(WorldError::BadRequest(
                "resourceVersion should not be set on objects to be created".into(),
            ));
        }
        if b.name.is_empty() {
            match body
                .pointer("/metadata/generateName")
                .and_then(Value::as_str)
            {
                Some(prefix) => b.name = format!("{prefix}{}", self.rng.suffix(5)),
                None => {
                    return Err(WorldError::Invalid(
                        "metadata.name: Required value: name or generateName is required".into(),
                    ));
                }
            }
        }
        if self
            .leases
            .contains_key(&Key::new(&Arc::from(ns), b.name.clone()))
        {
            return Err(WorldError::AlreadyExists);
        }
        if dry_run {
            return Ok(body.clone());
        }
        self.insert_lease(ns, b)
    }

    /// PUT: replace a lease's labels, annotations and spec, if the body's resourceVersion is
    /// the stored one; a missing lease is created. Returns the object and whether it is new.
    pub fn replace_lease(
        &mut self,
        ns: &str,
        name: &str,
        body: &Value,
        dry_run: bool,
    ) -> Result<(Value, bool), WorldError> {
        let b = parse(ns, body)?;
        if b.name != name {
            return Err(WorldError::BadRequest(format!(
                "the name of the object ({}) does not match the name on the URL ({name})",
                b.name
            )));
        }
        let key = Key::new(&Arc::from(ns), name.to_string());
        let Some(current) = self.leases.get(&key) else {
            if dry_run {
                return Ok((body.clone(), true));
            }
            return self.insert_lease(ns, b).map(|v| (v, true));
        };
        match &b.rv {
            None => return Err(WorldError::NoResourceVersion),
            Some(rv) if *rv != current.meta.rv.to_string() => return Err(WorldError::Conflict),
            Some(_) => {}
        }
        if dry_run {
            return Ok((body.clone(), false));
        }
        if let Some(l) = self.leases.get_mut(&key) {
            l.meta.labels = Arc::new(b.labels);
            l.meta.annotations = b.annotations;
            l.spec = b.spec;
            l.owners = b.owners;
            self.log.record(l, "MODIFIED");
        }
        self.lease_json(&key).map(|v| (v, false))
    }

    /// A patched lease's spec (labels and annotations go through `apply_json`'s own path).
    pub(super) fn patch_lease_spec(&mut self, key: &Key, new: &Value) -> Result<(), WorldError> {
        let b = parse(&key.ns, new)?;
        if let Some(l) = self.leases.get_mut(key)
            && l.spec != b.spec
        {
            l.spec = b.spec;
            self.log.record(l, "MODIFIED");
        }
        Ok(())
    }

    /// DELETE, with an optional resourceVersion precondition.
    pub fn delete_lease(
        &mut self,
        ns: &str,
        name: &str,
        precondition: Option<&str>,
    ) -> Result<LeaseM, WorldError> {
        let key = Key::new(&Arc::from(ns), name.to_string());
        let current = self.leases.get(&key).ok_or(WorldError::NotFound)?;
        super::check_precondition(precondition, &current.meta)?;
        let mut lease = self.leases.remove(&key).ok_or(WorldError::NotFound)?;
        self.log.record(&mut lease, "DELETED");
        Ok(lease)
    }

    /// The node's lease as its kubelet writes it: held by the node, owned by the Node object.
    pub(super) fn add_node_lease(&mut self, node: &Key, renewed: Timestamp) {
        let Some(n) = self.nodes.get(node) else {
            return;
        };
        let owner = OwnerReference {
            api_version: "v1".into(),
            kind: "Node".into(),
            name: n.meta.name.clone(),
            uid: n.meta.uid.clone(),
            ..Default::default()
        };
        let (name, created) = (n.meta.name.clone(), n.meta.created);
        let ns: Arc<str> = Arc::from(NODE_LEASE_NS);
        let meta = self.meta(&ns, name.clone(), Arc::new(Labels::new()), created);
        let mut lease = LeaseM {
            meta,
            spec: LeaseSpec {
                holder_identity: Some(name),
                lease_duration_seconds: Some(NODE_LEASE_SECONDS),
                renew_time: Some(MicroTime(renewed)),
                ..Default::default()
            },
            owners: vec![owner],
        };
        self.log.record(&mut lease, "ADDED");
        self.leases.insert(lease.meta.key(), lease);
    }

    /// A kubelet renews its lease every 10 s, recreating it if someone deleted it.
    pub(super) fn renew_node_lease(&mut self, node: &Key, now: Timestamp) {
        let key = Key::new(&Arc::from(NODE_LEASE_NS), node.name.clone());
        let Some(l) = self.leases.get_mut(&key) else {
            self.add_node_lease(node, now);
            return;
        };
        let due = l
            .spec
            .renew_time
            .as_ref()
            .is_none_or(|t| now.as_millisecond() - t.0.as_millisecond() >= RENEW_MS);
        if due {
            l.spec.renew_time = Some(MicroTime(now));
            self.log.record(l, "MODIFIED");
        }
    }
}

#[cfg(test)]
mod tests {
    use jiff::SignedDuration;
    use serde_json::json;

    use super::*;
    use crate::sim::Scenario;
    use crate::sim::clock::TEST_NOW;

    fn renew_time(w: &World, node: &str) -> Timestamp {
        let key = Key::new(&Arc::from(NODE_LEASE_NS), node.to_string());
        w.leases[&key].spec.renew_time.as_ref().unwrap().0
    }

    fn advance(w: &mut World, secs: i64) {
        let mut t = w.now();
        for _ in 0..secs * 4 {
            t = t.checked_add(SignedDuration::from_millis(250)).unwrap();
            w.tick(t);
        }
    }

    #[test]
    fn node_leases_renew_while_ready_and_freeze_once_not() {
        let mut w = World::new(Some(Scenario::NodeNotReady), None, TEST_NOW);
        assert_eq!(
            w.leases.keys().filter(|k| &*k.ns == NODE_LEASE_NS).count(),
            w.nodes.len()
        );
        advance(&mut w, 11);
        let (lost, fine) = (
            renew_time(&w, "pool-general-3"),
            renew_time(&w, "pool-general-1"),
        );
        advance(&mut w, 12);
        assert_eq!(
            renew_time(&w, "pool-general-3"),
            lost,
            "frozen once NotReady"
        );
        assert!(renew_time(&w, "pool-general-1") > fine);
        assert!(
            w.now().duration_since(renew_time(&w, "pool-general-1"))
                <= SignedDuration::from_secs(10)
        );
    }

    fn lock(holder: &str) -> Value {
        json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": {"name": "opsdeck-lock", "namespace": "contentgen"},
            "spec": {"holderIdentity": holder, "leaseDurationSeconds": 30}})
    }

    #[test]
    fn leases_are_created_updated_with_their_resource_version_and_deleted() {
        let mut w = World::new(None, None, TEST_NOW);
        let created = w.create_lease("contentgen", &lock("a"), false).unwrap();
        assert_eq!(
            w.create_lease("contentgen", &lock("a"), false),
            Err(WorldError::AlreadyExists)
        );
        assert_eq!(
            w.replace_lease("contentgen", "opsdeck-lock", &lock("b"), false),
            Err(WorldError::NoResourceVersion)
        );
        let mut stale = lock("b");
        stale["metadata"]["resourceVersion"] = json!("1");
        assert_eq!(
            w.replace_lease("contentgen", "opsdeck-lock", &stale, false),
            Err(WorldError::Conflict)
        );
        let mut fresh = lock("b");
        fresh["metadata"]["resourceVersion"] = created["metadata"]["resourceVersion"].clone();
        let (updated, new) = w
            .replace_lease("contentgen", "opsdeck-lock", &fresh, false)
            .unwrap();
        assert!(!new);
        assert_eq!(updated["spec"]["holderIdentity"], "b");
        assert_eq!(updated["metadata"]["uid"], created["metadata"]["uid"]);
        let mut elsewhere = lock("a");
        elsewhere["metadata"]["namespace"] = json!("nowhere");
        assert_eq!(
            w.create_lease("nowhere", &elsewhere, false),
            Err(WorldError::NamespaceNotFound("nowhere".into()))
        );
        assert!(matches!(
            w.create_lease("nowhere", &lock("a"), false),
            Err(WorldError::BadRequest(_))
        ));
        w.delete_lease("contentgen", "opsdeck-lock", None).unwrap();
        assert_eq!(
            w.delete_lease("contentgen", "opsdeck-lock", None)
                .map(|_| ()),
            Err(WorldError::NotFound)
        );
    }
}
