//! Server-side printing: the Table column definitions of each kind, as kube-apiserver's.

use serde_json::{Value, json};

use super::model::Kind;

/// (name, type, priority, description) of a Table column.
type Col = (&'static str, &'static str, u8, &'static str);

const NAME: Col = (
    "Name",
    "string",
    0,
    "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names",
);

const AGE: Col = (
    "Age",
    "string",
    0,
    "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
);

const CONTAINERS: Col = (
    "Containers",
    "string",
    1,
    "Names of each container in the template.",
);

const IMAGES: Col = (
    "Images",
    "string",
    1,
    "Images referenced by each container in the template.",
);

const SELECTOR: Col = (
    "Selector",
    "string",
    1,
    "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.",
);

const NAMESPACE_COLS: &[Col] = &[
    NAME,
    ("Status", "string", 0, "The status of the namespace"),
    AGE,
];

const NODE_COLS: &[Col] = &[
    NAME,
    ("Status", "string", 0, "The status of the node"),
    ("Roles", "string", 0, "The roles of the node"),
    AGE,
    (
        "Version",
        "string",
        0,
        "Kubelet Version reported by the node.",
    ),
    (
        "Internal-IP",
        "string",
        1,
        "List of addresses reachable to the node.",
    ),
    (
        "External-IP",
        "string",
        1,
        "List of addresses reachable to the node.",
    ),
    (
        "OS-Image",
        "string",
        1,
        "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).",
    ),
    (
        "Kernel-Version",
        "string",
        1,
        "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
    ),
    (
        "Container-Runtime",
        "string",
        1,
        "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).",
    ),
];

const POD_COLS: &[Col] = &[
    NAME,
    (
        "Ready",
        "string",
        0,
        "The aggregate readiness state of this pod for accepting traffic.",
    ),
    (
        "Status",
        "string",
        0,
        "The aggregate status of the containers in this pod.",
    ),
    (
        "Restarts",
        "string",
        0,
        "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.",
    ),
    AGE,
    (
        "IP",
        "string",
        1,
        "IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.",
    ),
    (
        "Node",
        "string",
        1,
        "NodeName is a request to schedule this pod onto a specific node.",
    ),
    (
        "Nominated Node",
        "string",
        1,
        "nominatedNodeName is set only when this pod preempts other pods on the node.",
    ),
    (
        "Readiness Gates",
        "string",
        1,
        "If specified, all readiness gates will be evaluated for pod readiness.",
    ),
];

const EVENT_COLS: &[Col] = &[
    ("Last Seen", "string", 0, "Time when last event occurred"),
    (
        "Type",
        "string",
        0,
        "Type of this event (Normal, Warning), new types could be added in the future.",
    ),
    ("Reason", "string", 0, "Reason why this event is generated."),
    ("Object", "string", 0, "Object this event is about."),
    ("Subobject", "string", 1, "Subobject this event is about."),
    ("Source", "string", 1, "Source this event is coming from."),
    (
        "Message",
        "string",
        0,
        "A human-readable description of the status of this operation.",
    ),
    ("First Seen", "string", 1, "Time when first event occurred"),
    (
        "Count",
        "string",
        1,
        "The number of times this event has occurred",
    ),
    ("Name", "string", 1, "Name of this event"),
];

const DEPLOYMENT_COLS: &[Col] = &[
    NAME,
    ("Ready", "string", 0, "Number of the pod with ready state"),
    (
        "Up-to-date",
        "string",
        0,
        "Total number of non-terminated pods targeted by this deployment that have the desired template spec.",
    ),
    (
        "Available",
        "string",
        0,
        "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.",
    ),
    AGE,
    CONTAINERS,
    IMAGES,
    SELECTOR,
];

const REPLICASET_COLS: &[Col] = &[
    NAME,
    (
        "Desired",
        "integer",
        0,
        "Replicas is the number of desired replicas.",
    ),
    (
        "Current",
        "integer",
        0,
        "Replicas is the most recently observed number of replicas.",
    ),
    (
        "Ready",
        "integer",
        0,
        "The number of ready replicas for this replica set.",
    ),
    AGE,
    CONTAINERS,
    IMAGES,
    SELECTOR,
];

const STATEFULSET_COLS: &[Col] = &[
    NAME,
    ("Ready", "string", 0, "Number of the pod with ready state"),
    AGE,
    CONTAINERS,
    IMAGES,
];

const HPA_COLS: &[Col] = &[
    NAME,
    (
        "Reference",
        "string",
        0,
        "reference to scaled resource; horizontal pod autoscaler will learn the current resource consumption and will set the desired number of pods by using its Scale subresource.",
    ),
    (
        "Targets",
        "string",
        0,
        "metrics is the list of metrics used to calculate the desired replica count",
    ),
    (
        "MinPods",
        "string",
        0,
        "minReplicas is the lower limit for the number of replicas",
    ),
    (
        "MaxPods",
        "integer",
        0,
        "maxReplicas is the upper limit for the number of pods",
    ),
    (
        "Replicas",
        "integer",
        0,
        "current number of replicas of pods managed by this autoscaler.",
    ),
    AGE,
];

const CONTROLLER_REVISION_COLS: &[Col] = &[
    NAME,
    ("Controller", "string", 0, "Controller of the object"),
    (
        "Revision",
        "string",
        0,
        "Revision indicates the revision of the state represented by Data.",
    ),
    AGE,
];

const LEASE_COLS: &[Col] = &[
    NAME,
    (
        "Holder",
        "string",
        0,
        "holderIdentity contains the identity of the holder of a current lease. If Coordinated Leader Election is used, the holder identity must be equal to the elected LeaseCandidate.metadata.name field.",
    ),
    AGE,
];

const CONFIGMAP_COLS: &[Col] = &[
    NAME,
    (
        "Data",
        "string",
        0,
        "Data contains the configuration data. Each key must consist of alphanumeric characters, '-', '_' or '.'. Values with non-UTF-8 byte sequences must use the BinaryData field. The keys stored in Data must not overlap with the keys in the BinaryData field, this is enforced during validation process.",
    ),
    AGE,
];

/// The server-side printing columns of a kind.
pub fn columns(kind: Kind) -> Vec<Value> {
    let cols = match kind {
        Kind::Namespace => NAMESPACE_COLS,
        Kind::Node => NODE_COLS,
        Kind::Pod => POD_COLS,
        Kind::Event => EVENT_COLS,
        Kind::Deployment => DEPLOYMENT_COLS,
        Kind::ReplicaSet => REPLICASET_COLS,
        Kind::StatefulSet => STATEFULSET_COLS,
        Kind::Hpa => HPA_COLS,
        Kind::ControllerRevision => CONTROLLER_REVISION_COLS,
        Kind::Lease => LEASE_COLS,
        Kind::ConfigMap => CONFIGMAP_COLS,
    };
    cols.iter()
        .map(|(name, type_, priority, description)| {
            let format = if *name == "Name" { "name" } else { "" };
            json!({"name": name, "type": type_, "format": format, "description": description, "priority": priority})
        })
        .collect()
}
