//! The task behind `d` and `y`: fetch the object, render its describe and YAML off the UI
//! thread, send the text back tagged with its session.

use kube::Client;
use tokio::sync::mpsc;

use super::document::Rendered;
use super::{describe, fetch, yaml};
use crate::k8s::ObjectRef;

#[derive(Clone, Debug)]
pub struct InspectMsg {
    pub session: u64,
    pub result: Result<Rendered, String>,
}

/// Fetches and renders `object` at the wall clock's now.
pub async fn render(client: &Client, object: &ObjectRef) -> Result<Rendered, String> {
    let f = fetch::fetch(client, object).await?;
    let now = jiff::Timestamp::now().as_second();
    Ok(Rendered {
        describe: describe::describe(&f.subject, &f.events, now),
        yaml: yaml::to_yaml(&f.object, false),
        yaml_managed: yaml::to_yaml(&f.object, true),
        at: now,
    })
}

pub fn spawn_inspect<M: From<InspectMsg> + Send + 'static>(
    client: Client,
    object: ObjectRef,
    session: u64,
    tx: mpsc::Sender<M>,
) {
    tokio::spawn(async move {
        let result = render(&client, &object).await;
        let _ = tx.send(M::from(InspectMsg { session, result })).await;
    });
}
