//! `kubectl describe node`: conditions, taints, capacity and allocatable, the pods on it with
//! their share of the node, and what they request in total.

use std::collections::BTreeMap;

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Event, Node, Pod};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as Wire;

use super::common::{annotations, created, events, labels, meta_name, since, time, time_or};
use super::out::Out;
use super::quantity::Quantity;

/// The node's lease, or why it could not be read (kubectl prints either).
pub type LeaseAnswer = Result<Box<Lease>, String>;

pub fn describe(
    node: &Node,
    lease: &LeaseAnswer,
    pods: &super::Listed<Pod>,
    evs: &super::Listed<Event>,
    now: i64,
) -> Vec<String> {
    let mut out = Out::default();
    let meta = &node.metadata;
    let spec = node.spec.clone().unwrap_or_default();
    let status = node.status.clone().unwrap_or_default();
    out.field(0, "Name", meta_name(meta));
    let roles = roles(meta.labels.as_ref());
    out.field(
        0,
        "Roles",
        if roles.is_empty() {
            "<none>".into()
        } else {
            roles.join(",")
        },
    );
    labels(&mut out, "", "Labels", meta.labels.as_ref());
    annotations(&mut out, "Annotations", meta.annotations.as_ref());
    created(&mut out, meta);
    let mut taints = spec.taints.clone().unwrap_or_default();
    taints.sort_by(|a, b| (&a.effect, &a.key).cmp(&(&b.effect, &b.key)));
    if taints.is_empty() {
        out.line(0, "Taints:\t<none>");
    }
    for (i, t) in taints.iter().enumerate() {
        let head = if i == 0 { "Taints:" } else { "" };
        let text = match t.value.as_deref().filter(|v| !v.is_empty()) {
            Some(v) => format!("{}={v}:{}", t.key, t.effect),
            None => format!("{}:{}", t.key, t.effect),
        };
        out.line(0, &format!("{head}\t{text}"));
    }
    out.field(0, "Unschedulable", spec.unschedulable.unwrap_or(false));
    match lease {
        Ok(l) => {
            let s = l.spec.clone().unwrap_or_default();
            out.line(0, "Lease:");
            out.field(
                1,
                "HolderIdentity",
                s.holder_identity.unwrap_or_else(|| "<unset>".into()),
            );
            out.field(1, "AcquireTime", micro(s.acquire_time.as_ref()));
            out.field(1, "RenewTime", micro(s.renew_time.as_ref()));
        }
        Err(why) => out.field(0, "Lease", format!("Failed to get lease: {why}")),
    }
    let conditions = status.conditions.clone().unwrap_or_default();
    if !conditions.is_empty() {
        out.line(0, "Conditions:");
        out.line(
            1,
            "Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage",
        );
        out.line(
            1,
            "----\t------\t-----------------\t------------------\t------\t-------",
        );
        for c in &conditions {
            out.line(
                1,
                &format!(
                    "{} \t{} \t{} \t{} \t{} \t{}",
                    c.type_,
                    c.status,
                    time_or(c.last_heartbeat_time.as_ref(), ""),
                    time_or(c.last_transition_time.as_ref(), ""),
                    c.reason.clone().unwrap_or_default(),
                    c.message.clone().unwrap_or_default()
                ),
            );
        }
    }
    out.line(0, "Addresses:");
    for a in status.addresses.iter().flatten() {
        out.field(1, &a.type_, &a.address);
    }
    for (title, list) in [
        ("Capacity", &status.capacity),
        ("Allocatable", &status.allocatable),
    ] {
        if let Some(list) = list.as_ref().filter(|l| !l.is_empty()) {
            out.line(0, &format!("{title}:"));
            for (name, q) in list {
                out.field(1, name, &q.0);
            }
        }
    }
    let info = status.node_info.clone().unwrap_or_default();
    out.line(0, "System Info:");
    for (name, value) in [
        ("Machine ID", &info.machine_id),
        ("System UUID", &info.system_uuid),
        ("Boot ID", &info.boot_id),
        ("Kernel Version", &info.kernel_version),
        ("OS Image", &info.os_image),
        ("Operating System", &info.operating_system),
        ("Architecture", &info.architecture),
        ("Container Runtime Version", &info.container_runtime_version),
        ("Kubelet Version", &info.kubelet_version),
        ("Kube-Proxy Version", &info.kube_proxy_version),
    ] {
        out.field(1, name, value);
    }
    if let Some(cidr) = spec.pod_cidr.as_deref().filter(|s| !s.is_empty()) {
        out.field(0, "PodCIDR", cidr);
    }
    if let Some(cidrs) = spec.pod_cidrs.as_ref().filter(|c| !c.is_empty()) {
        out.field(0, "PodCIDRs", cidrs.join(","));
    }
    if let Some(id) = spec.provider_id.as_deref().filter(|s| !s.is_empty()) {
        out.field(0, "ProviderID", id);
    }
    let allocatable = status
        .allocatable
        .clone()
        .filter(|a| !a.is_empty())
        .or(status.capacity.clone())
        .unwrap_or_default();
    match pods {
        Ok(pods) => node_resources(&mut out, &allocatable, pods, now),
        Err(why) => out.field(0, "Non-terminated Pods", format!("<unknown: {why}>")),
    }
    events(&mut out, evs, now);
    out.finish()
}

fn micro(t: Option<&k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime>) -> String {
    t.map_or_else(
        || "<unset>".into(),
        |t| time(&k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(t.0)),
    )
}

/// Roles from `node-role.kubernetes.io/ROLE` labels and `kubernetes.io/role`.
fn roles(labels: Option<&BTreeMap<String, String>>) -> Vec<String> {
    let mut roles: Vec<String> = labels
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| {
            if let Some(role) = k.strip_prefix("node-role.kubernetes.io/") {
                Some(role.to_string()).filter(|r| !r.is_empty())
            } else if k == "kubernetes.io/role" {
                Some(v.clone()).filter(|r| !r.is_empty())
            } else {
                None
            }
        })
        .collect();
    roles.sort();
    roles.dedup();
    roles
}

fn q(list: &BTreeMap<String, Wire>, name: &str) -> Quantity {
    list.get(name)
        .and_then(|w| Quantity::parse(&w.0))
        .unwrap_or_default()
}

/// A pod's requests and limits: its containers' sums, at least each init container's, plus
/// its overhead (`resourcehelper.PodRequestsAndLimits`).
fn pod_totals(pod: &Pod) -> (BTreeMap<String, Quantity>, BTreeMap<String, Quantity>) {
    let spec = pod.spec.clone().unwrap_or_default();
    let mut req: BTreeMap<String, Quantity> = BTreeMap::new();
    let mut lim: BTreeMap<String, Quantity> = BTreeMap::new();
    let add = |into: &mut BTreeMap<String, Quantity>, list: &BTreeMap<String, Wire>| {
        for (name, w) in list {
            let v = Quantity::parse(&w.0).unwrap_or_default();
            let e = into.entry(name.clone()).or_default();
            *e = *e + v;
        }
    };
    for c in &spec.containers {
        let r = c.resources.clone().unwrap_or_default();
        add(&mut req, &r.requests.unwrap_or_default());
        add(&mut lim, &r.limits.unwrap_or_default());
    }
    for c in spec.init_containers.iter().flatten() {
        let r = c.resources.clone().unwrap_or_default();
        for (into, list) in [(&mut req, r.requests), (&mut lim, r.limits)] {
            for (name, w) in list.unwrap_or_default() {
                let v = Quantity::parse(&w.0).unwrap_or_default();
                let e = into.entry(name).or_default();
                *e = e.max(v);
            }
        }
    }
    if let Some(overhead) = &spec.overhead {
        add(&mut req, overhead);
        add(&mut lim, overhead);
    }
    (req, lim)
}

fn node_resources(out: &mut Out, allocatable: &BTreeMap<String, Wire>, pods: &[Pod], now: i64) {
    let cpu_total = q(allocatable, "cpu");
    let mem_total = q(allocatable, "memory");
    let storage_total = q(allocatable, "ephemeral-storage");
    let get = |m: &BTreeMap<String, Quantity>, name: &str| m.get(name).copied().unwrap_or_default();
    let share = |v: Quantity, of: Quantity, milli: bool| {
        format!("{} ({}%)", v.canonical(), v.percent_of(of, milli))
    };
    out.field(
        0,
        "Non-terminated Pods",
        format!("({} in total)", pods.len()),
    );
    out.line(
        1,
        "Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge",
    );
    out.line(
        1,
        "---------\t----\t\t------------\t----------\t---------------\t-------------\t---",
    );
    let mut reqs: BTreeMap<String, Quantity> = BTreeMap::new();
    let mut limits: BTreeMap<String, Quantity> = BTreeMap::new();
    for pod in pods {
        let (req, lim) = pod_totals(pod);
        out.line(
            1,
            &format!(
                "{}\t{}\t\t{}\t{}\t{}\t{}\t{}",
                pod.metadata.namespace.clone().unwrap_or_default(),
                pod.metadata.name.clone().unwrap_or_default(),
                share(get(&req, "cpu"), cpu_total, true),
                share(get(&lim, "cpu"), cpu_total, true),
                share(get(&req, "memory"), mem_total, false),
                share(get(&lim, "memory"), mem_total, false),
                since(pod.metadata.creation_timestamp.as_ref(), now)
            ),
        );
        for (into, from) in [(&mut reqs, req), (&mut limits, lim)] {
            for (name, v) in from {
                let e = into.entry(name).or_default();
                *e = *e + v;
            }
        }
    }
    out.line(0, "Allocated resources:");
    out.line(
        1,
        "(Total limits may be over 100 percent, i.e., overcommitted.)",
    );
    out.line(1, "Resource\tRequests\tLimits");
    out.line(1, "--------\t--------\t------");
    for (name, total, milli) in [
        ("cpu", cpu_total, true),
        ("memory", mem_total, false),
        ("ephemeral-storage", storage_total, false),
    ] {
        out.line(
            1,
            &format!(
                "{name}\t{}\t{}",
                share(get(&reqs, name), total, milli),
                share(get(&limits, name), total, milli)
            ),
        );
    }
    for name in allocatable.keys().filter(|k| k.starts_with("hugepages-")) {
        out.line(
            1,
            &format!(
                "{name}\t{}\t{}",
                share(get(&reqs, name), q(allocatable, name), false),
                share(get(&limits, name), q(allocatable, name), false)
            ),
        );
    }
}
