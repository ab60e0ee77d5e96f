//! The watch on every shared incident: a kube-runtime watcher of the ConfigMaps labelled
//! `opsdeck.io/incident`, sending each applied part's entries (the receiver dedups by id). A
//! failure is reported and retried with backoff; a forbidden watch is reported once and ends,
//! since retrying cannot grant RBAC.

use futures::StreamExt;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::Api;
use kube::runtime::watcher;
use tokio::sync::mpsc;

use super::{INCIDENT_LABEL, SharedMsg, entries_of};
use crate::cluster::failure::{asked_wait, describe};
use crate::cluster::source::watcher_config;
use crate::status::Backoff;

pub async fn run<M>(api: Api<ConfigMap>, tx: mpsc::Sender<M>)
where
    M: From<SharedMsg> + Send + 'static,
{
    let config = watcher_config().labels(INCIDENT_LABEL);
    let mut backoff = Backoff::default();
    loop {
        // A fresh watcher after a failure re-lists: nothing written meanwhile is missed.
        let mut stream = std::pin::pin!(watcher(api.clone(), config.clone()));
        let failure = loop {
            let item = tokio::select! {
                item = stream.next() => item,
                () = tx.closed() => return,
            };
            match item {
                None => return,
                Some(Ok(watcher::Event::Apply(cm) | watcher::Event::InitApply(cm))) => {
                    if let Some(msg) = applied(&cm)
                        && tx.send(M::from(msg)).await.is_err()
                    {
                        return;
                    }
                }
                Some(Ok(watcher::Event::InitDone)) => backoff.reset(),
                Some(Ok(_)) => {}
                Some(Err(e)) => break e,
            }
        };
        let (reason, forbidden) = describe(&failure);
        tracing::warn!(reason, "shared incidents: watch failed");
        let reason = if forbidden {
            format!("{reason}: incidents stay on this machine")
        } else {
            reason
        };
        if tx
            .send(M::from(SharedMsg::Failed { reason }))
            .await
            .is_err()
            || forbidden
        {
            return;
        }
        tokio::select! {
            () = tokio::time::sleep(backoff.next_delay_asked(asked_wait(&failure))) => {}
            () = tx.closed() => return,
        }
    }
}

/// Every entry of one part, or None for a part without any.
fn applied(cm: &ConfigMap) -> Option<SharedMsg> {
    let incident = cm.metadata.labels.as_ref()?.get(INCIDENT_LABEL)?.clone();
    let entries = entries_of(cm);
    (!entries.is_empty()).then_some(SharedMsg::Entries { incident, entries })
}
