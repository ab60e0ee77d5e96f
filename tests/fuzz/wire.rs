//! The wire decoders: Kubernetes projections, Prometheus, OpenCost, RabbitMQ management,
//! Alertmanager, health answers and Celery messages. Seeds are bodies the real services (and
//! the sim) send; what Alertmanager sends reads back the same after being written.

use std::collections::HashMap;

use opsdeck::alerts::matcher;
use opsdeck::alerts::wire::{Alert, AlertGroup, Silence, SilenceCreated};
use opsdeck::clients::prometheus;
use opsdeck::cluster::rows::{EventRow, HpaRow, NodeRow, PodRow, WorkloadRow};
use opsdeck::cost::opencost;
use opsdeck::health::answer;
use opsdeck::k8s::wire::{
    DeploymentWire, EventWire, HpaWire, NamespaceWire, NodeWire, PodWire, StatefulSetWire,
};
use opsdeck::queues::{celery, rabbitmq};
use proptest::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::mutate::Body;
use super::{Fuzz, Target, mutate, tree};

const NOW_MS: i64 = 1_795_608_000_000;

fn seeds(bodies: &[&str]) -> Vec<Vec<u8>> {
    bodies.iter().map(|b| b.as_bytes().to_vec()).collect()
}

/// Edited and type-swapped versions of JSON `bodies`, and garbage.
fn json_input(bodies: &[&str]) -> BoxedStrategy<Body> {
    mutate::bytes(seeds(bodies), tree::json(seeds(bodies)))
}

const POD: &str = r#"{"metadata":{"name":"api-6d4b7c9f8-a1b2c","namespace":"contentgen","uid":"u1","resourceVersion":"7","creationTimestamp":"2026-11-25T11:00:00Z","labels":{"app":"api","pod-template-hash":"6d4b7c9f8"},"annotations":{"kubernetes.io/change-cause":"x"},"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"api-6d4b7c9f8","uid":"rs","controller":true}]},"spec":{"nodeName":"pool-general-1","containers":[{"name":"api"}]},"status":{"phase":"Running","podIP":"10.42.0.17","startTime":"2026-11-25T11:00:00Z","conditions":[{"type":"Ready","status":"True","lastTransitionTime":"2026-11-25T11:00:00Z"}],"containerStatuses":[{"name":"api","ready":false,"restartCount":6,"state":{"waiting":{"reason":"CrashLoopBackOff","message":"back-off"}},"lastState":{"terminated":{"reason":"OOMKilled","exitCode":137,"startedAt":"2026-11-25T11:59:00Z","finishedAt":"2026-11-25T11:59:20Z"}}}]}}"#;
const DEPLOYMENT: &str = r#"{"metadata":{"name":"api","namespace":"contentgen","generation":3,"creationTimestamp":"2026-11-22T12:00:00Z","annotations":{"deployment.kubernetes.io/revision":"7"}},"spec":{"replicas":3,"paused":false,"selector":{"matchLabels":{"app":"api"}},"template":{"spec":{"containers":[{"name":"api","image":"registry.local/api:1.7.0"}]}}},"status":{"observedGeneration":3,"replicas":3,"updatedReplicas":3,"readyReplicas":2,"availableReplicas":2,"conditions":[{"type":"Progressing","status":"True","reason":"NewReplicaSetAvailable"}]}}"#;
const STATEFULSET: &str = r#"{"metadata":{"name":"redis","namespace":"contentgen","generation":1,"creationTimestamp":"2026-11-16T12:00:00Z"},"spec":{"replicas":1,"template":{"spec":{"containers":[{"name":"redis","image":"redis:7"}]}}},"status":{"observedGeneration":1,"replicas":1,"readyReplicas":1,"currentRevision":"redis-5d9c","updateRevision":"redis-5d9c"}}"#;
const NODE: &str = r#"{"metadata":{"name":"pool-general-1","creationTimestamp":"2026-10-26T12:00:00Z","labels":{"node-role.kubernetes.io/worker":""}},"spec":{"unschedulable":true,"taints":[{"key":"k","effect":"NoSchedule"}]},"status":{"conditions":[{"type":"Ready","status":"Unknown","lastHeartbeatTime":"2026-11-25T11:00:00Z"}],"capacity":{"cpu":"8","memory":"32Gi"},"allocatable":{"cpu":"7500m","memory":"30Gi"},"nodeInfo":{"kubeletVersion":"v1.33.2"}}}"#;
const HPA: &str = r#"{"metadata":{"name":"api","namespace":"contentgen","creationTimestamp":"2026-11-22T12:00:00Z"},"spec":{"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"api"},"minReplicas":2,"maxReplicas":10,"metrics":[{"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":70}}}]},"status":{"currentReplicas":3,"desiredReplicas":4,"currentMetrics":[{"type":"Resource","resource":{"name":"cpu","current":{"averageUtilization":64}}}]}}"#;
const EVENT: &str = r#"{"metadata":{"name":"fc.1","namespace":"contentgen"},"involvedObject":{"kind":"Pod","name":"fact-checker-1","namespace":"contentgen"},"reason":"BackOff","message":"Back-off restarting failed container","type":"Warning","count":6,"firstTimestamp":"2026-11-25T11:00:00Z","lastTimestamp":"2026-11-25T11:59:20Z","eventTime":null}"#;
const NAMESPACE: &str = r#"{"metadata":{"name":"contentgen","labels":{"kubernetes.io/metadata.name":"contentgen"}},"status":{"phase":"Active"}}"#;

fn kubernetes(Body(body): &Body) -> Result<(), String> {
    if let Ok(w) = serde_json::from_slice::<PodWire>(body) {
        let _ = PodRow::from_wire(&w);
    }
    if let Ok(w) = serde_json::from_slice::<DeploymentWire>(body) {
        let _ = WorkloadRow::from_deployment(&w);
    }
    if let Ok(w) = serde_json::from_slice::<StatefulSetWire>(body) {
        let _ = WorkloadRow::from_statefulset(&w);
    }
    if let Ok(w) = serde_json::from_slice::<NodeWire>(body) {
        let _ = NodeRow::from_wire(&w);
    }
    if let Ok(w) = serde_json::from_slice::<HpaWire>(body) {
        let _ = HpaRow::from_wire(&w);
    }
    if let Ok(w) = serde_json::from_slice::<EventWire>(body) {
        let _ = EventRow::from_wire(&w);
    }
    let _ = serde_json::from_slice::<NamespaceWire>(body);
    Ok(())
}

const PROM: &[&str] = &[
    r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"service":"api"},"value":[1764590400.123,"0.5"]},{"metric":{},"value":[1,"NaN"]},{"metric":{},"value":[1,"+Inf"]}]}}"#,
    r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"stage":"publish"},"values":[[1,"1"],[2,"-Inf"],[3,"2.5e-3"]]}]}}"#,
    r#"{"status":"success","data":{"resultType":"scalar","result":[1,"0.5"]}}"#,
    r#"{"status":"success","data":{"resultType":"string","result":[1,"hello"]}}"#,
    r#"{"status":"error","errorType":"bad_data","error":"1:5: parse error: unexpected <EOF>"}"#,
    r#"{"status":"error","errorType":"timeout","error":"query timed out in expression evaluation"}"#,
];

fn prometheus((code, Body(body)): &(u16, Body)) -> Result<(), String> {
    let status = reqwest::StatusCode::from_u16(*code).map_err(|e| e.to_string())?;
    match prometheus::decode(status, body) {
        Ok(result) => {
            let _ = result.single_value();
        }
        Err(e) => {
            let _ = (e.to_string(), e.is_transient());
        }
    }
    let _ = prometheus::parse_value(&String::from_utf8_lossy(body));
    Ok(())
}

fn codes() -> impl Strategy<Value = u16> {
    prop_oneof![
        4 => Just(200u16),
        1 => prop_oneof![Just(400u16), Just(401), Just(422), Just(429), Just(503)],
        1 => 100..1000u16
    ]
}

const OPENCOST: &[&str] = &[
    r#"{"code":200,"status":"success","data":[{"contentgen/article-generator":{"name":"contentgen/article-generator","properties":{"cluster":"cluster-one","namespace":"contentgen","controller":"article-generator","controllerKind":"deployment"},"window":{"start":"2026-11-01T00:00:00Z","end":"2026-11-25T18:00:00Z"},"minutes":35640,"cpuCores":2.0,"cpuCoreHours":1188,"cpuCost":37.55,"gpuCost":0,"ramCost":10.12,"pvCost":0,"networkCost":0,"loadBalancerCost":0,"sharedCost":0,"externalCost":0,"cpuEfficiency":0.41,"ramEfficiency":0.72,"totalEfficiency":0.48,"totalCost":47.67},"__idle__":{"name":"__idle__","cpuCost":80.1,"ramCost":20.4,"totalCost":100.5,"cpuEfficiency":"NaN","ramEfficiency":null},"__unallocated__":null}]}"#,
    r#"{"code":400,"message":"invalid window"}"#,
    r#"{"code":200,"data":[null,{}]}"#,
];

fn opencost(Body(body): &Body) -> Result<(), String> {
    if let Ok(steps) = opencost::parse_allocation(body) {
        let empty = Default::default();
        let first = steps.first().unwrap_or(&empty);
        let _ = opencost::infra_reading(first, first, steps.last().unwrap_or(&empty));
    }
    let mut nan = body.clone();
    nan.extend_from_slice(b":NaN");
    let _ = opencost::parse_allocation(&nan);
    Ok(())
}

const RABBIT: &[&str] = &[
    r#"[{"name":"notifications","messages_ready":12,"messages_unacknowledged":3,"consumers":2,"head_message_timestamp":1795607000,"message_stats":{"publish":1000,"publish_details":{"rate":4.2},"deliver_get":990,"deliver_get_details":{"rate":4.0}}},{"name":"recovering"},{"name":"fresh","messages_ready":0,"consumers":0}]"#,
    r#"{"error":"Object Not Found","reason":"Not Found"}"#,
];

fn rabbit(Body(body): &Body) -> Result<(), String> {
    let names: Vec<String> = ["notifications", "recovering", "fresh", "absent"]
        .map(String::from)
        .into();
    if let Ok(listing) = rabbitmq::read_listing(body, None, &names, NOW_MS) {
        let seen = listing.samples.len() + listing.missing.len() + listing.no_stats.len();
        if seen != names.len() {
            return Err(format!("{seen} queues accounted for, not {}", names.len()));
        }
    }
    let _ = rabbitmq::error_reason(body);
    Ok(())
}

const ALERTMANAGER: &[&str] = &[
    r#"[{"alerts":[{"annotations":{"summary":"5xx"},"endsAt":"2026-12-02T12:05:00.000Z","fingerprint":"c0ffee","receivers":[{"name":"opsdeck"}],"startsAt":"2026-12-02T11:58:00.000Z","status":{"inhibitedBy":[],"silencedBy":["abc"],"state":"suppressed"},"updatedAt":"2026-12-02T12:00:00.000Z","generatorURL":"http://prom/graph","labels":{"alertname":"ApiHighErrorRate","severity":"page"}}],"labels":{"alertname":"ApiHighErrorRate"},"receiver":{"name":"opsdeck"}}]"#,
    r#"[{"labels":{"alertname":"QueueBacklog"},"startsAt":"2026-12-02T11:58:00Z","status":{"state":"active"}}]"#,
    r#"[{"id":"abc","status":{"state":"active"},"updatedAt":"2026-12-02T12:00:00Z","matchers":[{"name":"alertname","value":"Api.*","isRegex":true,"isEqual":true},{"name":"severity","value":"page","isRegex":false}],"startsAt":"2026-12-02T12:00:00Z","endsAt":"2026-12-02T14:00:00Z","createdBy":"ops","comment":"deploying"}]"#,
    r#"{"silenceID":"abc"}"#,
];

/// Decoded, written and decoded again: the same value.
fn round_trip<T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug>(
    body: &[u8],
) -> Result<(), String> {
    let Ok(v) = serde_json::from_slice::<T>(body) else {
        return Ok(());
    };
    let text = serde_json::to_vec(&v).map_err(|e| e.to_string())?;
    let again: T = serde_json::from_slice(&text).map_err(|e| format!("re-read: {e}"))?;
    (again == v)
        .then_some(())
        .ok_or_else(|| format!("{v:?} came back as {again:?}"))
}

fn alertmanager(Body(body): &Body) -> Result<(), String> {
    round_trip::<Vec<AlertGroup>>(body)?;
    round_trip::<Vec<Alert>>(body)?;
    round_trip::<Vec<Silence>>(body)?;
    round_trip::<SilenceCreated>(body)
}

/// A matcher that parses reads back from how it is shown.
fn alert_matcher(text: &str) -> Result<(), String> {
    let Ok(m) = matcher::parse(text) else {
        return Ok(());
    };
    let shown = matcher::show(&m);
    match matcher::parse(&shown) {
        Ok(again) if again == m => Ok(()),
        other => Err(format!("{text:?} shown as {shown:?} reads as {other:?}")),
    }
}

const HEALTH: &[&str] = &[
    r#"{"status":"pass","checks":{"redis:connections":[{"status":"pass"}],"postgres:responseTime":[{"status":"warn","output":"slow","observedValue":250}]}}"#,
    r#"{"status":"DOWN","checks":[{"name":"db","status":"DOWN","data":{"error":"refused"}},{"name":"disk","status":"UP"}]}"#,
    r#"{"status":"ok","redis":"ok","qdrant":{"status":"degraded","output":"3/4"}}"#,
    r#"{"status":"fail","output":"database unreachable"}"#,
];

fn health((code, content_type, Body(body)): &(u16, Option<String>, Body)) -> Result<(), String> {
    let r = answer::read(*code, content_type.as_deref(), body, 7);
    if r.status == answer::Status::Unknown {
        return Err("an answer read as unknown".into());
    }
    let probe = answer::Probe::Answered(r);
    let _ = answer::one_line(&probe.problems());
    let _ = answer::readiness("api", &probe);
    Ok(())
}

fn content_types() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        Just(Some("application/json".to_string())),
        Just(Some("application/health+json".to_string())),
        Just(Some("text/html; charset=utf-8".to_string())),
        ".{0,30}".prop_map(Some),
    ]
}

const CELERY: &[&str] = &[
    r#"{"body":"W1tdLCB7fSwgeyJjYWxsYmFja3MiOiBudWxsfV0=","content-encoding":"utf-8","content-type":"application/json","headers":{"lang":"py","task":"tasks.generate","id":"1b2c","eta":"2026-11-25T11:59:00","timestamp":1795607940.5,"sent_at":"2026-11-25T11:59:00+00:00"},"properties":{"timestamp":1795607940,"delivery_info":{"exchange":"","routing_key":"generate"},"priority":0,"delivery_tag":"d1"}}"#,
    r#"[{"body":"e30=","headers":{},"properties":{"delivery_info":{"routing_key":"publish"}}},"","publish"]"#,
];

fn celery_message(Body(raw): &Body) -> Result<(), String> {
    let text = String::from_utf8_lossy(raw);
    if let Some(age) = celery::message_age_secs(&text, NOW_MS)
        && (age.is_nan() || age < 0.0)
    {
        return Err(format!("age {age}"));
    }
    let _ = celery::iso_ms(&text);
    let entries = vec![("d1".to_string(), text.into_owned())];
    let index: HashMap<String, f64> = [("d1".to_string(), -1e300)].into();
    for u in celery::unacked_by_queue(&entries, &index).values() {
        let _ = (u.oldest_delivery_ms(), u.overdue(NOW_MS, u64::MAX));
    }
    Ok(())
}

pub fn targets() -> Vec<Box<dyn Fuzz>> {
    let k8s = &[POD, DEPLOYMENT, STATEFULSET, NODE, HPA, EVENT, NAMESPACE];
    vec![
        Box::new(Target {
            name: "kubernetes",
            input: json_input(k8s),
            check: kubernetes,
        }),
        Box::new(Target {
            name: "prometheus",
            input: (codes(), json_input(PROM)),
            check: prometheus,
        }),
        Box::new(Target {
            name: "opencost",
            input: json_input(OPENCOST),
            check: opencost,
        }),
        Box::new(Target {
            name: "rabbitmq",
            input: json_input(RABBIT),
            check: rabbit,
        }),
        Box::new(Target {
            name: "alertmanager",
            input: json_input(ALERTMANAGER),
            check: alertmanager,
        }),
        Box::new(Target {
            name: "alert_matcher",
            input: prop_oneof![
                "[a-z_]{1,8}(=|!=|=~|!~)(\"[^\"]{0,8}\"|[a-z.*+?()|\\[\\]^$\\\\]{0,10})",
                ".{0,24}"
            ]
            .boxed(),
            check: |t| alert_matcher(t),
        }),
        Box::new(Target {
            name: "health",
            input: (codes(), content_types(), json_input(HEALTH)),
            check: health,
        }),
        Box::new(Target {
            name: "celery",
            input: json_input(CELERY),
            check: celery_message,
        }),
    ]
}
