//! Fetching one object to inspect: one GET for the object, and the lists kubectl reads beside
//! it (its events by uid; a Deployment's ReplicaSets; a StatefulSet's pods and revisions; a
//! node's pods and lease). Nothing is kept: the caller renders text and drops the objects.

use k8s_openapi::api::apps::v1::{ControllerRevision, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Event, Node, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use kube::api::{GetParams, ListParams};
use kube::{Api, Client, Resource};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::describe::{Listed, Revision, Subject};
use crate::k8s::{ObjectKind, ObjectRef};

/// An object as the API server sent it, and what describe needs of it.
#[derive(Debug)]
pub struct Fetched {
    pub object: Value,
    pub subject: Subject,
    pub events: Listed<Event>,
}

/// The API server's words for a failure ("pods \"x\" not found"), else the client's.
fn reason(e: kube::Error) -> String {
    match e {
        kube::Error::Api(status) => status.message.clone(),
        other => other.to_string(),
    }
}

/// GETs the object as JSON (what YAML shows) and reads it as `K` (what describe reads).
async fn get<K>(client: &Client, namespace: Option<&str>, name: &str) -> Result<(Value, K), String>
where
    K: Resource<DynamicType = ()> + DeserializeOwned,
{
    let url = K::url_path(&(), namespace);
    let request = kube::core::Request::new(url)
        .get(name, &GetParams::default())
        .map_err(|e| e.to_string())?;
    let value: Value = client.request(request).await.map_err(reason)?;
    let typed = serde_json::from_value(value.clone())
        .map_err(|e| format!("the API server's {name} could not be read: {e}"))?;
    Ok((value, typed))
}

fn owned_by(meta: &ObjectMeta, uid: &str) -> bool {
    meta.owner_references
        .iter()
        .flatten()
        .any(|o: &OwnerReference| o.uid == uid)
}

/// Fetches `object` and what its describe reads beside it.
pub async fn fetch(client: &Client, object: &ObjectRef) -> Result<Fetched, String> {
    let ns = object.namespace.as_deref();
    let name = object.name.as_str();
    let (value, subject, meta) = match object.kind {
        ObjectKind::Pod => {
            let (v, pod): (_, Pod) = get(client, ns, name).await?;
            let meta = pod.metadata.clone();
            (v, Subject::Pod(Box::new(pod)), meta)
        }
        ObjectKind::Deployment => {
            let (v, d): (_, Deployment) = get(client, ns, name).await?;
            let meta = d.metadata.clone();
            let selector = super::describe::selector(d.spec.as_ref().map(|s| &s.selector));
            let uid = meta.uid.clone().unwrap_or_default();
            let replica_sets =
                Api::<ReplicaSet>::namespaced(client.clone(), ns.unwrap_or_default())
                    .list(&ListParams::default().labels(&selector))
                    .await
                    .map_err(reason)
                    .map(|list| {
                        list.items
                            .into_iter()
                            .filter(|rs| owned_by(&rs.metadata, &uid))
                            .collect()
                    });
            let subject = Subject::Deployment {
                deployment: Box::new(d),
                replica_sets,
            };
            (v, subject, meta)
        }
        ObjectKind::StatefulSet => {
            let (v, s): (_, StatefulSet) = get(client, ns, name).await?;
            let meta = s.metadata.clone();
            let selector = super::describe::selector(s.spec.as_ref().map(|s| &s.selector));
            let uid = meta.uid.clone().unwrap_or_default();
            let params = ListParams::default().labels(&selector);
            let namespace = ns.unwrap_or_default();
            let pods = Api::<Pod>::namespaced(client.clone(), namespace)
                .list(&params)
                .await
                .map_err(reason)
                .map(|list| {
                    list.items
                        .into_iter()
                        .filter(|p| owned_by(&p.metadata, &uid))
                        .collect()
                });
            let update = s.status.as_ref().and_then(|st| st.update_revision.clone());
            let revisions = Api::<ControllerRevision>::namespaced(client.clone(), namespace)
                .list(&params)
                .await
                .map_err(reason)
                .map(|list| {
                    list.items
                        .iter()
                        .filter(|r| owned_by(&r.metadata, &uid))
                        .map(|r| controller_revision(r, update.as_deref()))
                        .collect()
                });
            let subject = Subject::StatefulSet {
                set: Box::new(s),
                pods,
                revisions,
            };
            (v, subject, meta)
        }
        ObjectKind::Node => {
            let (v, node): (_, Node) = get(client, None, name).await?;
            let meta = node.metadata.clone();
            let fields =
                format!("spec.nodeName={name},status.phase!=Failed,status.phase!=Succeeded");
            let pods = Api::<Pod>::all(client.clone())
                .list(&ListParams::default().fields(&fields))
                .await
                .map_err(reason)
                .map(|list| list.items);
            let lease = Api::<Lease>::namespaced(client.clone(), "kube-node-lease")
                .get(name)
                .await
                .map(Box::new)
                .map_err(reason);
            let subject = Subject::Node {
                node: Box::new(node),
                lease,
                pods,
            };
            (v, subject, meta)
        }
        ObjectKind::Hpa => {
            let (v, h): (_, HorizontalPodAutoscaler) = get(client, ns, name).await?;
            let meta = h.metadata.clone();
            (v, Subject::Hpa(Box::new(h)), meta)
        }
        ObjectKind::Event => {
            let (v, e): (_, Event) = get(client, ns, name).await?;
            (v.clone(), Subject::Other(v), e.metadata)
        }
    };
    let events = match (object.kind, meta.uid.as_deref()) {
        (ObjectKind::Event, _) | (_, None) => Ok(vec![]),
        (_, Some(uid)) => {
            let api: Api<Event> = match ns {
                Some(ns) => Api::namespaced(client.clone(), ns),
                None => Api::all(client.clone()),
            };
            let params = ListParams::default().fields(&format!("involvedObject.uid={uid}"));
            api.list(&params).await.map(|l| l.items).map_err(reason)
        }
    };
    Ok(Fetched {
        object: value,
        subject,
        events,
    })
}

/// A StatefulSet's revision: its number, when it was made, and its template's images.
fn controller_revision(r: &ControllerRevision, update: Option<&str>) -> Revision {
    let name = r.metadata.name.clone().unwrap_or_default();
    let images = r
        .data
        .as_ref()
        .and_then(|d| d.0.pointer("/spec/template/spec/containers"))
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .filter_map(|c| c["image"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    Revision {
        number: r.revision,
        current: update == Some(name.as_str()),
        name,
        images,
        created: r.metadata.creation_timestamp.clone(),
    }
}
