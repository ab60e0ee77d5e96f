//! `kubectl describe deployment` and `statefulset`, and what kubectl keeps for `rollout
//! history`: each revision with its images and when it was made.

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::core::v1::{Event, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use super::common::{
    annotations, created, events, human_duration, int_or_string, labels, name_and_namespace,
    selector, time,
};
use super::containers::pod_template;
use super::out::Out;
use crate::k8s::wire::REVISION_ANNOTATION;

/// One revision of a workload: a Deployment's ReplicaSet or a StatefulSet's
/// ControllerRevision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revision {
    pub number: i64,
    /// The ReplicaSet or ControllerRevision that holds it.
    pub name: String,
    pub images: Vec<String>,
    pub created: Option<Time>,
    /// The revision the workload runs (or rolls out) now.
    pub current: bool,
}

impl Revision {
    /// A Deployment's revision, from one of its ReplicaSets.
    pub fn of_replica_set(rs: &ReplicaSet, current_revision: Option<&str>) -> Revision {
        let number = rs
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(REVISION_ANNOTATION))
            .and_then(|r| r.parse().ok())
            .unwrap_or(0);
        let images = rs
            .spec
            .as_ref()
            .and_then(|s| s.template.as_ref())
            .and_then(|t| t.spec.as_ref())
            .map(|s| {
                s.containers
                    .iter()
                    .filter_map(|c| c.image.clone())
                    .collect()
            })
            .unwrap_or_default();
        Revision {
            number,
            name: rs.metadata.name.clone().unwrap_or_default(),
            images,
            created: rs.metadata.creation_timestamp.clone(),
            current: current_revision == Some(number.to_string().as_str()),
        }
    }
}

/// The "Revisions:" table, oldest first as `kubectl rollout history` lists them.
fn revisions(out: &mut Out, list: &Result<Vec<Revision>, String>, holder: &str, now: i64) {
    let list = match list {
        Ok(list) => list,
        Err(why) => {
            out.field(0, "Revisions", format!("<unknown: {why}>"));
            return;
        }
    };
    if list.is_empty() {
        out.line(0, "Revisions:\t<none>");
        return;
    }
    let mut sorted: Vec<&Revision> = list.iter().collect();
    sorted.sort_by_key(|r| r.number);
    out.line(0, "Revisions:");
    out.line(1, &format!("Revision\tAge\tCreated\tImages\t{holder}"));
    out.line(1, "--------\t---\t-------\t------\t----");
    for r in sorted {
        let current = if r.current { " (current)" } else { "" };
        let (age, created) = match &r.created {
            Some(t) => (human_duration(now - t.0.as_second()), time(t)),
            None => ("<unknown>".into(), "<unknown>".into()),
        };
        out.line(
            1,
            &format!(
                "{}{current}\t{age}\t{created}\t{}\t{}",
                r.number,
                r.images.join(","),
                r.name
            ),
        );
    }
}

pub fn deployment(
    d: &Deployment,
    replica_sets: &super::Listed<ReplicaSet>,
    evs: &super::Listed<Event>,
    now: i64,
) -> Vec<String> {
    let mut out = Out::default();
    let meta = &d.metadata;
    let spec = d.spec.clone().unwrap_or_default();
    let status = d.status.clone().unwrap_or_default();
    name_and_namespace(&mut out, meta);
    created(&mut out, meta);
    labels(&mut out, "", "Labels", meta.labels.as_ref());
    annotations(&mut out, "Annotations", meta.annotations.as_ref());
    out.field(0, "Selector", selector(Some(&spec.selector)));
    out.field(
        0,
        "Replicas",
        format!(
            "{} desired | {} updated | {} total | {} available | {} unavailable",
            spec.replicas.unwrap_or(1),
            status.updated_replicas.unwrap_or(0),
            status.replicas.unwrap_or(0),
            status.available_replicas.unwrap_or(0),
            status.unavailable_replicas.unwrap_or(0)
        ),
    );
    let strategy = spec.strategy.clone().unwrap_or_default();
    out.field(
        0,
        "StrategyType",
        strategy.type_.clone().unwrap_or_default(),
    );
    out.field(0, "MinReadySeconds", spec.min_ready_seconds.unwrap_or(0));
    if let Some(ru) = &strategy.rolling_update {
        out.field(
            0,
            "RollingUpdateStrategy",
            format!(
                "{} max unavailable, {} max surge",
                int_or_string(ru.max_unavailable.as_ref()),
                int_or_string(ru.max_surge.as_ref())
            ),
        );
    }
    pod_template(&mut out, Some(&spec.template));
    let conditions = status.conditions.clone().unwrap_or_default();
    if !conditions.is_empty() {
        out.line(0, "Conditions:");
        out.line(1, "Type\tStatus\tReason");
        out.line(1, "----\t------\t------");
        for c in &conditions {
            out.line(
                1,
                &format!(
                    "{} \t{}\t{}",
                    c.type_,
                    c.status,
                    c.reason.clone().unwrap_or_default()
                ),
            );
        }
    }
    let current = meta
        .annotations
        .as_ref()
        .and_then(|a| a.get(REVISION_ANNOTATION))
        .map(String::as_str);
    let of_rs = |rs: &ReplicaSet| {
        format!(
            "{} ({}/{} replicas created)",
            rs.metadata.name.clone().unwrap_or_default(),
            rs.status.as_ref().map_or(0, |s| s.replicas),
            rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1)
        )
    };
    let history = match replica_sets {
        Ok(sets) => {
            // kubectl sorts them oldest first (FindNewReplicaSet sorts the list it lists).
            let mut sets: Vec<&ReplicaSet> = sets.iter().collect();
            sets.sort_by(|a, b| {
                let key = |rs: &ReplicaSet| {
                    (
                        rs.metadata.creation_timestamp.as_ref().map(|t| t.0),
                        rs.metadata.name.clone(),
                    )
                };
                key(a).cmp(&key(b))
            });
            let is_new = |rs: &&ReplicaSet| Revision::of_replica_set(rs, current).current;
            let old: Vec<String> = sets
                .iter()
                .copied()
                .filter(|rs| !is_new(rs))
                .map(of_rs)
                .collect();
            let new: Vec<String> = sets.iter().copied().filter(is_new).map(of_rs).collect();
            let or_none = |v: Vec<String>| {
                if v.is_empty() {
                    "<none>".to_string()
                } else {
                    v.join(", ")
                }
            };
            out.field(0, "OldReplicaSets", or_none(old));
            out.field(0, "NewReplicaSet", or_none(new));
            Ok(sets
                .iter()
                .map(|rs| Revision::of_replica_set(rs, current))
                .collect())
        }
        // kubectl leaves the ReplicaSets out when it cannot list them; the revisions say why.
        Err(why) => Err(why.clone()),
    };
    revisions(&mut out, &history, "ReplicaSet", now);
    events(&mut out, evs, now);
    out.finish()
}

pub fn statefulset(
    s: &StatefulSet,
    pods: &super::Listed<Pod>,
    history: &Result<Vec<Revision>, String>,
    evs: &super::Listed<Event>,
    now: i64,
) -> Vec<String> {
    let mut out = Out::default();
    let meta = &s.metadata;
    let spec = s.spec.clone().unwrap_or_default();
    let status = s.status.clone().unwrap_or_default();
    name_and_namespace(&mut out, meta);
    created(&mut out, meta);
    out.field(0, "Selector", selector(Some(&spec.selector)));
    labels(&mut out, "", "Labels", meta.labels.as_ref());
    annotations(&mut out, "Annotations", meta.annotations.as_ref());
    out.field(
        0,
        "Replicas",
        format!(
            "{} desired | {} total",
            spec.replicas.unwrap_or(1),
            status.replicas
        ),
    );
    let strategy = spec.update_strategy.clone().unwrap_or_default();
    out.field(
        0,
        "Update Strategy",
        strategy.type_.clone().unwrap_or_default(),
    );
    if let Some(ru) = &strategy.rolling_update {
        if let Some(p) = ru.partition {
            out.field(1, "Partition", p);
        }
        if let Some(m) = &ru.max_unavailable {
            out.field(1, "MaxUnavailable", int_or_string(Some(m)));
        }
    }
    let status = match pods {
        Ok(pods) => {
            let phase = |p: &str| {
                pods.iter()
                    .filter(|pod| pod.status.as_ref().and_then(|s| s.phase.as_deref()) == Some(p))
                    .count()
            };
            format!(
                "{} Running / {} Waiting / {} Succeeded / {} Failed",
                phase("Running"),
                phase("Pending"),
                phase("Succeeded"),
                phase("Failed")
            )
        }
        Err(why) => format!("<unknown: {why}>"),
    };
    out.field(0, "Pods Status", status);
    pod_template(&mut out, Some(&spec.template));
    let claims = spec.volume_claim_templates.clone().unwrap_or_default();
    if claims.is_empty() {
        out.line(0, "Volume Claims:\t<none>");
    } else {
        out.line(0, "Volume Claims:");
        for c in &claims {
            let cspec = c.spec.clone().unwrap_or_default();
            out.field(1, "Name", c.metadata.name.clone().unwrap_or_default());
            out.field(
                1,
                "StorageClass",
                cspec.storage_class_name.clone().unwrap_or_default(),
            );
            labels(&mut out, "  ", "Labels", c.metadata.labels.as_ref());
            let capacity = cspec
                .resources
                .as_ref()
                .and_then(|r| r.requests.as_ref())
                .and_then(|r| r.get("storage"))
                .map_or_else(String::new, |q| q.0.clone());
            out.field(1, "Capacity", capacity);
            out.field(
                1,
                "Access Modes",
                cspec.access_modes.clone().unwrap_or_default().join(", "),
            );
        }
    }
    revisions(&mut out, history, "ControllerRevision", now);
    events(&mut out, evs, now);
    out.finish()
}
