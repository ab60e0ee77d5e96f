//! The views and the navigation stack between them.

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum View {
    Overview,
    Workloads,
    Pods,
    Nodes,
    Hpas,
    Events,
    Queues,
    Slos,
    Costs,
    Logs,
}

impl View {
    pub fn title(self) -> &'static str {
        match self {
            View::Overview => "Overview",
            View::Workloads => "Workloads",
            View::Pods => "Pods",
            View::Nodes => "Nodes",
            View::Hpas => "HPAs",
            View::Events => "Warning events",
            View::Queues => "Queues",
            View::Slos => "SLOs",
            View::Costs => "Costs",
            View::Logs => "Logs",
        }
    }

    /// `:name` on the command line, with kubectl's short names.
    pub fn from_command(word: &str) -> Option<View> {
        Some(match word {
            "overview" | "ov" | "home" | "o" => View::Overview,
            "workloads" | "wl" | "deploy" | "deployments" | "deployment" | "dp" | "sts"
            | "statefulsets" | "statefulset" => View::Workloads,
            "pods" | "pod" | "po" => View::Pods,
            "nodes" | "node" | "no" => View::Nodes,
            "hpa" | "hpas" | "horizontalpodautoscalers" => View::Hpas,
            "events" | "event" | "ev" | "warnings" => View::Events,
            "queues" | "queue" | "q" => View::Queues,
            "slo" | "slos" | "sloth" | "burn" => View::Slos,
            "cost" | "costs" | "budget" | "budgets" | "spend" => View::Costs,
            _ => return None,
        })
    }
}

/// Narrows the pods view after a drill-down.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PodScope {
    Workload { namespace: String, name: String },
    Node(String),
}

impl PodScope {
    pub fn label(&self) -> String {
        match self {
            PodScope::Workload { namespace, name } => format!("{namespace}/{name}"),
            PodScope::Node(n) => format!("node {n}"),
        }
    }
}

/// One entry of the navigation stack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Screen {
    pub view: View,
    pub pod_scope: Option<PodScope>,
}

impl Screen {
    pub fn of(view: View) -> Self {
        Screen {
            view,
            pod_scope: None,
        }
    }
}
