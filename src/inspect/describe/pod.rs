//! `kubectl describe pod`: where it runs, its state, and per container the state, the last
//! termination (reason, exit code, when), readiness, restarts, requests and limits.

use k8s_openapi::api::core::v1::{Container, Event, Pod};

use super::common::{annotations, events, labels, name_and_namespace, time, tolerations};
use super::containers::{containers, volumes};
use super::out::Out;

pub fn describe(pod: &Pod, evs: &super::Listed<Event>, now: i64) -> Vec<String> {
    let mut out = Out::default();
    let meta = &pod.metadata;
    let spec = pod.spec.clone().unwrap_or_default();
    let status = pod.status.clone().unwrap_or_default();
    name_and_namespace(&mut out, meta);
    if let Some(p) = spec.priority {
        out.field(0, "Priority", p);
    }
    if let Some(pc) = spec
        .priority_class_name
        .as_deref()
        .filter(|s| !s.is_empty())
    {
        out.field(0, "Priority Class Name", pc);
    }
    if let Some(rc) = spec.runtime_class_name.as_deref().filter(|s| !s.is_empty()) {
        out.field(0, "Runtime Class Name", rc);
    }
    out.field(
        0,
        "Service Account",
        spec.service_account_name.clone().unwrap_or_default(),
    );
    match spec.node_name.as_deref().filter(|n| !n.is_empty()) {
        Some(node) => out.field(
            0,
            "Node",
            format!("{node}/{}", status.host_ip.clone().unwrap_or_default()),
        ),
        None => out.field(0, "Node", "<none>"),
    }
    if let Some(start) = &status.start_time {
        out.field(0, "Start Time", time(start));
    }
    labels(&mut out, "", "Labels", meta.labels.as_ref());
    annotations(&mut out, "Annotations", meta.annotations.as_ref());
    if let Some(deleted) = &meta.deletion_timestamp {
        out.field(
            0,
            "Status",
            format!(
                "Terminating (lasts {})",
                super::common::human_duration(now - deleted.0.as_second())
            ),
        );
        out.field(
            0,
            "Termination Grace Period",
            format!("{}s", meta.deletion_grace_period_seconds.unwrap_or(0)),
        );
    } else {
        out.field(0, "Status", status.phase.clone().unwrap_or_default());
    }
    if let Some(r) = status.reason.as_deref().filter(|s| !s.is_empty()) {
        out.field(0, "Reason", r);
    }
    if let Some(m) = status.message.as_deref().filter(|s| !s.is_empty()) {
        out.field(0, "Message", m);
    }
    out.field(0, "IP", status.pod_ip.clone().unwrap_or_default());
    let ips: Vec<String> = status
        .pod_ips
        .iter()
        .flatten()
        .map(|ip| ip.ip.clone())
        .collect();
    if ips.is_empty() {
        out.line(0, "IPs:\t<none>");
    } else {
        out.line(0, "IPs:");
        for ip in ips {
            out.field(1, "IP", ip);
        }
    }
    if let Some(owner) = meta
        .owner_references
        .iter()
        .flatten()
        .find(|o| o.controller == Some(true))
    {
        out.field(0, "Controlled By", format!("{}/{}", owner.kind, owner.name));
    }
    if let Some(n) = status
        .nominated_node_name
        .as_deref()
        .filter(|s| !s.is_empty())
    {
        out.field(0, "NominatedNodeName", n);
    }
    if let Some(init) = spec.init_containers.as_ref().filter(|i| !i.is_empty()) {
        let statuses = status.init_container_statuses.clone().unwrap_or_default();
        containers(&mut out, "Init Containers", init, &statuses, "");
    }
    let statuses = status.container_statuses.clone().unwrap_or_default();
    containers(&mut out, "Containers", &spec.containers, &statuses, "");
    let conditions = status.conditions.clone().unwrap_or_default();
    if !conditions.is_empty() {
        out.line(0, "Conditions:");
        out.line(1, "Type\tStatus");
        for c in &conditions {
            out.line(1, &format!("{} \t{} ", c.type_, c.status));
        }
    }
    volumes(&mut out, spec.volumes.as_deref().unwrap_or_default(), "");
    let qos = status
        .qos_class
        .clone()
        .filter(|q| !q.is_empty())
        .unwrap_or_else(|| qos_class(&spec.containers).into());
    out.field(0, "QoS Class", qos);
    labels(&mut out, "", "Node-Selectors", spec.node_selector.as_ref());
    tolerations(&mut out, "", "Tolerations", spec.tolerations.as_ref());
    events(&mut out, evs, now);
    out.finish()
}

/// The pod's QoS class when its status does not say: Guaranteed when every container's
/// cpu and memory limits equal its requests, BestEffort when none sets any, else Burstable.
fn qos_class(list: &[Container]) -> &'static str {
    let mut any = false;
    let mut guaranteed = true;
    for c in list {
        let r = c.resources.clone().unwrap_or_default();
        let (req, lim) = (r.requests.unwrap_or_default(), r.limits.unwrap_or_default());
        any |= !req.is_empty() || !lim.is_empty();
        for res in ["cpu", "memory"] {
            let limit = lim.get(res);
            // A request left out defaults to the limit.
            let request = req.get(res).or(limit);
            if limit.is_none() || request != limit {
                guaranteed = false;
            }
        }
    }
    match (any, guaranteed) {
        (false, _) => "BestEffort",
        (true, true) => "Guaranteed",
        (true, false) => "Burstable",
    }
}
