//! Containers and volumes, as kubectl describes them in a pod and in a pod template.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Container, ContainerState, ContainerStatus, PodTemplateSpec, Probe, ResourceRequirements,
    Volume,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::common::{labels, time, tolerations};
use super::out::Out;

/// "Containers:" and each container; `statuses` for a pod, none for a template; `space` is
/// "  " inside a template.
pub fn containers(
    out: &mut Out,
    label: &str,
    list: &[Container],
    statuses: &[ContainerStatus],
    space: &str,
) {
    let none = if list.is_empty() { " <none>" } else { "" };
    out.line(0, &format!("{space}{label}:{none}"));
    let name_indent = if space.is_empty() { "" } else { " " };
    for c in list {
        let status = statuses.iter().find(|s| s.name == c.name);
        out.line(1, &format!("{name_indent}{}:", c.name));
        if let Some(s) = status {
            out.field(
                2,
                "Container ID",
                s.container_id.as_deref().unwrap_or_default(),
            );
        }
        out.field(2, "Image", c.image.as_deref().unwrap_or_default());
        if let Some(s) = status {
            out.field(2, "Image ID", &s.image_id);
        }
        ports(out, c);
        if let Some(cmd) = &c.command {
            block_list(out, "Command", cmd);
        }
        if let Some(args) = &c.args {
            block_list(out, "Args", args);
        }
        if let Some(s) = status {
            state(out, "State", s.state.as_ref());
            if s.last_state
                .as_ref()
                .is_some_and(|l| l.terminated.is_some())
            {
                state(out, "Last State", s.last_state.as_ref());
            }
            out.field(2, "Ready", if s.ready { "True" } else { "False" });
            out.field(2, "Restart Count", s.restart_count);
        }
        resources(out, c.resources.as_ref());
        for (name, probe) in [
            ("Liveness", &c.liveness_probe),
            ("Readiness", &c.readiness_probe),
            ("Startup", &c.startup_probe),
        ] {
            if let Some(p) = probe {
                out.field(2, name, describe_probe(p));
            }
        }
        environment(out, c);
        mounts(out, c);
    }
}

fn block_list(out: &mut Out, title: &str, items: &[String]) {
    out.line(2, &format!("{title}:"));
    for item in items {
        out.line(3, item);
    }
}

fn ports(out: &mut Out, c: &Container) {
    let list = c.ports.as_deref().unwrap_or_default();
    let proto = |p: &Option<String>| p.clone().unwrap_or_else(|| "TCP".into());
    let ports: Vec<String> = list
        .iter()
        .map(|p| format!("{}/{}", p.container_port, proto(&p.protocol)))
        .collect();
    let hosts: Vec<String> = list
        .iter()
        .map(|p| format!("{}/{}", p.host_port.unwrap_or(0), proto(&p.protocol)))
        .collect();
    for (one, many, values) in [("Port", "Ports", ports), ("Host Port", "Host Ports", hosts)] {
        let joined = values.join(", ");
        if values.len() > 1 {
            out.field(2, many, joined);
        } else {
            out.field(
                2,
                one,
                if joined.is_empty() {
                    "<none>".into()
                } else {
                    joined
                },
            );
        }
    }
}

fn state(out: &mut Out, title: &str, state: Option<&ContainerState>) {
    let state = state.cloned().unwrap_or_default();
    if let Some(r) = &state.running {
        out.field(2, title, "Running");
        out.field(
            3,
            "Started",
            r.started_at.as_ref().map(time).unwrap_or_default(),
        );
    } else if let Some(w) = &state.waiting {
        out.field(2, title, "Waiting");
        if let Some(reason) = w.reason.as_deref().filter(|r| !r.is_empty()) {
            out.field(3, "Reason", reason);
        }
    } else if let Some(t) = &state.terminated {
        out.field(2, title, "Terminated");
        if let Some(reason) = t.reason.as_deref().filter(|r| !r.is_empty()) {
            out.field(3, "Reason", reason);
        }
        if let Some(msg) = t.message.as_deref().filter(|m| !m.is_empty()) {
            out.field(3, "Message", msg);
        }
        out.field(3, "Exit Code", t.exit_code);
        if let Some(sig) = t.signal.filter(|s| *s > 0) {
            out.field(3, "Signal", sig);
        }
        out.field(
            3,
            "Started",
            t.started_at.as_ref().map(time).unwrap_or_default(),
        );
        out.field(
            3,
            "Finished",
            t.finished_at.as_ref().map(time).unwrap_or_default(),
        );
    } else {
        out.field(2, title, "Waiting");
    }
}

/// "Limits:" then "Requests:", each resource on its own line, sorted by name.
pub fn resources(out: &mut Out, r: Option<&ResourceRequirements>) {
    let Some(r) = r else { return };
    for (title, list) in [("Limits", &r.limits), ("Requests", &r.requests)] {
        let Some(list) = list.as_ref().filter(|l| !l.is_empty()) else {
            continue;
        };
        out.line(2, &format!("{title}:"));
        for (name, q) in list {
            out.field(3, name, &q.0);
        }
    }
}

fn port_text(p: &IntOrString) -> String {
    match p {
        IntOrString::Int(i) => i.to_string(),
        IntOrString::String(s) => s.clone(),
    }
}

/// "http-get http://:8080/healthz delay=0s timeout=1s period=10s #success=1 #failure=3".
pub fn describe_probe(p: &Probe) -> String {
    let attrs = format!(
        "delay={}s timeout={}s period={}s #success={} #failure={}",
        p.initial_delay_seconds.unwrap_or(0),
        p.timeout_seconds.unwrap_or(0),
        p.period_seconds.unwrap_or(0),
        p.success_threshold.unwrap_or(0),
        p.failure_threshold.unwrap_or(0)
    );
    if let Some(e) = &p.exec {
        return format!(
            "exec [{}] {attrs}",
            e.command.clone().unwrap_or_default().join(" ")
        );
    }
    if let Some(h) = &p.http_get {
        let scheme = h.scheme.clone().unwrap_or_default().to_lowercase();
        let host = h.host.clone().unwrap_or_default();
        let port = port_text(&h.port);
        let host = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        let path = h.path.clone().unwrap_or_default();
        let url = if scheme.is_empty() {
            format!("//{host}{path}")
        } else {
            format!("{scheme}://{host}{path}")
        };
        return format!("http-get {url} {attrs}");
    }
    if let Some(t) = &p.tcp_socket {
        return format!(
            "tcp-socket {}:{} {attrs}",
            t.host.clone().unwrap_or_default(),
            port_text(&t.port)
        );
    }
    if let Some(g) = &p.grpc {
        let service = g.service.clone().unwrap_or_default();
        return format!("grpc <pod>:{} {service} {attrs}", g.port);
    }
    format!("unknown {attrs}")
}

fn environment(out: &mut Out, c: &Container) {
    let env = c.env.as_deref().unwrap_or_default();
    if env.is_empty() {
        out.line(2, "Environment:\t<none>");
        return;
    }
    out.line(2, "Environment:");
    for e in env {
        let Some(from) = &e.value_from else {
            let value = e.value.clone().unwrap_or_default();
            for (i, part) in value.split('\n').enumerate() {
                if i == 0 {
                    out.field(3, &e.name, part);
                } else {
                    out.line(3, &format!("\t{part}"));
                }
            }
            continue;
        };
        let text = if let Some(f) = &from.field_ref {
            format!(
                " ({}:{})",
                f.api_version.clone().unwrap_or_else(|| "v1".into()),
                f.field_path
            )
        } else if let Some(r) = &from.resource_field_ref {
            format!(" ({})", r.resource)
        } else if let Some(s) = &from.secret_key_ref {
            format!(
                "<set to the key '{}' in secret '{}'>\tOptional: {}",
                s.key,
                s.name,
                s.optional.unwrap_or(false)
            )
        } else if let Some(m) = &from.config_map_key_ref {
            format!(
                "<set to the key '{}' of config map '{}'>\tOptional: {}",
                m.key,
                m.name,
                m.optional.unwrap_or(false)
            )
        } else {
            String::new()
        };
        out.field(3, &e.name, text);
    }
}

fn mounts(out: &mut Out, c: &Container) {
    let mut list: Vec<_> = c.volume_mounts.iter().flatten().collect();
    if list.is_empty() {
        out.line(2, "Mounts:\t<none>");
        return;
    }
    list.sort_by(|a, b| a.mount_path.cmp(&b.mount_path));
    out.line(2, "Mounts:");
    for m in list {
        let mut flags = vec![
            if m.read_only == Some(true) {
                "ro"
            } else {
                "rw"
            }
            .to_string(),
        ];
        if let Some(sub) = m.sub_path.as_deref().filter(|s| !s.is_empty()) {
            flags.push(format!("path={sub:?}"));
        }
        out.line(
            3,
            &format!("{} from {} ({})", m.mount_path, m.name, flags.join(",")),
        );
    }
}

/// "Volumes:" and each volume's type and source.
pub fn volumes(out: &mut Out, list: &[Volume], space: &str) {
    if list.is_empty() {
        out.line(0, &format!("{space}Volumes:\t<none>"));
        return;
    }
    out.line(0, &format!("{space}Volumes:"));
    let name_indent = if space.is_empty() { "" } else { " " };
    for v in list {
        out.line(1, &format!("{name_indent}{}:", v.name));
        if let Some(e) = &v.empty_dir {
            out.field(
                2,
                "Type",
                "EmptyDir (a temporary directory that shares a pod's lifetime)",
            );
            out.field(2, "Medium", e.medium.clone().unwrap_or_default());
            out.field(
                2,
                "SizeLimit",
                e.size_limit
                    .as_ref()
                    .map_or("<unset>".into(), |q| q.0.clone()),
            );
        } else if let Some(c) = &v.config_map {
            out.field(2, "Type", "ConfigMap (a volume populated by a ConfigMap)");
            out.field(2, "Name", &c.name);
            out.field(2, "Optional", c.optional.unwrap_or(false));
        } else if let Some(s) = &v.secret {
            out.field(2, "Type", "Secret (a volume populated by a Secret)");
            out.field(2, "SecretName", s.secret_name.clone().unwrap_or_default());
            out.field(2, "Optional", s.optional.unwrap_or(false));
        } else if let Some(p) = &v.persistent_volume_claim {
            out.field(
                2,
                "Type",
                "PersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)",
            );
            out.field(2, "ClaimName", &p.claim_name);
            out.field(2, "ReadOnly", p.read_only.unwrap_or(false));
        } else if let Some(h) = &v.host_path {
            out.field(2, "Type", "HostPath (bare host directory volume)");
            out.field(2, "Path", &h.path);
            out.field(2, "HostPathType", h.type_.clone().unwrap_or_default());
        } else if v.projected.is_some() {
            out.field(
                2,
                "Type",
                "Projected (a volume that contains injected data from multiple sources)",
            );
        } else {
            out.field(2, "Type", "<unknown>");
        }
    }
}

/// A Deployment's or StatefulSet's "Pod Template:" section.
pub fn pod_template(out: &mut Out, template: Option<&PodTemplateSpec>) {
    out.line(0, "Pod Template:");
    let Some(t) = template else {
        out.line(1, "<unset>");
        return;
    };
    let meta = t.metadata.clone().unwrap_or_default();
    labels(out, "  ", "Labels", meta.labels.as_ref());
    if let Some(a) = meta.annotations.as_ref().filter(|a| !a.is_empty()) {
        let map: BTreeMap<String, String> = a.clone();
        for (i, (k, v)) in map.iter().enumerate() {
            let head = if i == 0 { "  Annotations:" } else { "  " };
            out.line(0, &format!("{head}\t{k}: {v}"));
        }
    }
    let spec = t.spec.clone().unwrap_or_default();
    if let Some(sa) = spec
        .service_account_name
        .as_deref()
        .filter(|s| !s.is_empty())
    {
        out.field(1, "Service Account", sa);
    }
    if let Some(init) = spec.init_containers.as_ref().filter(|i| !i.is_empty()) {
        containers(out, "Init Containers", init, &[], "  ");
    }
    containers(out, "Containers", &spec.containers, &[], "  ");
    volumes(out, spec.volumes.as_deref().unwrap_or_default(), "  ");
    if let Some(pc) = spec
        .priority_class_name
        .as_deref()
        .filter(|s| !s.is_empty())
    {
        out.field(1, "Priority Class Name", pc);
    }
    labels(out, "  ", "Node-Selectors", spec.node_selector.as_ref());
    tolerations(out, "  ", "Tolerations", spec.tolerations.as_ref());
}
