//! One time axis for an incident: the worst SLO's burn rate against its page thresholds, a
//! queue's depth and a workload's replicas, read from Prometheus over the last 1, 6 or 24
//! hours, with markers for what changed (revisions, scaling, alerts, opsdeck's actions).

use std::time::Duration;

use serde::Serialize;

use super::entry::{Entry, Kind};
use crate::clients::prometheus::{Prometheus, QueryResult};

/// How far back the axis reaches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub enum Window {
    #[default]
    Hour,
    SixHours,
    Day,
}

impl Window {
    pub fn secs(self) -> i64 {
        match self {
            Window::Hour => 3_600,
            Window::SixHours => 6 * 3_600,
            Window::Day => 24 * 3_600,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Window::Hour => "1h",
            Window::SixHours => "6h",
            Window::Day => "24h",
        }
    }

    /// `z`: 1h -> 6h -> 24h -> 1h.
    pub fn next(self) -> Window {
        match self {
            Window::Hour => Window::SixHours,
            Window::SixHours => Window::Day,
            Window::Day => Window::Hour,
        }
    }

    /// About 240 points across the axis, whatever its length.
    pub fn step(self) -> Duration {
        Duration::from_secs((self.secs() / 240).max(15) as u64)
    }
}

/// What to draw: chosen by the console from what it shows (the worst SLO and queue, the
/// workload the incident is about).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AxisRequest {
    pub window: Window,
    /// Unix seconds: the right end.
    pub end: i64,
    /// (SLO name, its 5-minute error-ratio query, objective as text).
    pub slo: Option<(String, String, String)>,
    pub queue: Option<String>,
    /// namespace/name of a Deployment.
    pub workload: Option<String>,
}

/// A series: (unix seconds, value).
pub type Points = Vec<(f64, f64)>;

/// One panel of the axis: its name, its points, or why there are none.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Panel {
    pub title: String,
    pub points: Points,
    pub missing: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct AxisData {
    pub window: Window,
    pub start: i64,
    pub end: i64,
    pub burn: Panel,
    pub queue: Panel,
    pub replicas: Panel,
}

/// The page thresholds drawn over the burn: the 1h/5m row's 14.4x and the 6h/30m row's 6x.
pub const PAGE_BURNS: [f64; 2] = [14.4, 6.0];

fn points(r: Result<QueryResult, String>) -> Result<Points, String> {
    match r? {
        QueryResult::Matrix(series) => Ok(series
            .into_iter()
            .next()
            .map_or_else(Vec::new, |s| s.values)),
        other => Err(format!("a range query answered {other:?}")),
    }
}

async fn panel(
    prom: &Prometheus,
    req: &AxisRequest,
    title: String,
    query: Option<String>,
) -> Panel {
    let Some(query) = query else {
        return Panel {
            title,
            points: vec![],
            missing: Some("nothing to show".into()),
        };
    };
    let start = (req.end - req.window.secs()) as f64;
    let answer = prom
        .query_range(&query, start, req.end as f64, req.window.step())
        .await
        .map_err(|e| e.to_string());
    match points(answer) {
        Ok(p) if p.is_empty() => Panel {
            title,
            points: p,
            missing: Some(format!("no data for {query}")),
        },
        Ok(p) => Panel {
            title,
            points: p,
            missing: None,
        },
        Err(why) => Panel {
            title,
            points: vec![],
            missing: Some(why),
        },
    }
}

/// Reads the three panels, concurrently.
pub async fn fetch(prom: &Prometheus, req: &AxisRequest) -> AxisData {
    let burn_q = req
        .slo
        .as_ref()
        .map(|(_, q, objective)| format!("({q}) / (1 - {objective})"));
    let burn_title = req.slo.as_ref().map_or("burn rate".into(), |(name, _, _)| {
        format!("{name} burn rate (5m)")
    });
    let queue_q = req
        .queue
        .as_ref()
        .map(|q| format!("sum(celery_queue_length{{queue=\"{q}\"}})"));
    let queue_title = req
        .queue
        .as_ref()
        .map_or("queue depth".into(), |q| format!("{q} depth"));
    let replicas_q = req.workload.as_ref().and_then(|w| {
        let (ns, name) = w.split_once('/')?;
        Some(format!(
            "sum(kube_deployment_status_replicas_available{{namespace=\"{ns}\",deployment=\"{name}\"}})"
        ))
    });
    let replicas_title = req
        .workload
        .as_ref()
        .map_or("replicas".into(), |w| format!("{w} available replicas"));
    let (burn, queue, replicas) = tokio::join!(
        panel(prom, req, burn_title, burn_q),
        panel(prom, req, queue_title, queue_q),
        panel(prom, req, replicas_title, replicas_q),
    );
    AxisData {
        window: req.window,
        start: req.end - req.window.secs(),
        end: req.end,
        burn,
        queue,
        replicas,
    }
}

/// The marker a kind of entry puts on the axis, if any: R revision, S scaling, A alert,
/// X an action, N a node.
pub fn marker(kind: Kind) -> Option<char> {
    Some(match kind {
        Kind::Rollout => 'R',
        Kind::Scaling => 'S',
        Kind::AlertFired => 'A',
        Kind::Action => 'X',
        Kind::NodeNotReady => 'N',
        _ => return None,
    })
}

/// The marker strip: each entry's letter at its time's column (`width` columns from `start`
/// to `end`, unix seconds); a later one wins a shared column.
pub fn strip(entries: &[&Entry], start: i64, end: i64, width: usize) -> String {
    let mut cells = vec![' '; width];
    let span = (end - start).max(1) as f64;
    for e in entries {
        let Some(m) = marker(e.kind) else { continue };
        let t = e.at / 1000;
        if t < start || t > end || width == 0 {
            continue;
        }
        let col = (((t - start) as f64 / span) * (width - 1) as f64).round() as usize;
        cells[col.min(width - 1)] = m;
    }
    cells.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_zoom_round_and_markers_fall_at_their_time() {
        assert_eq!(Window::Hour.next().next().next(), Window::Hour);
        assert_eq!(Window::Day.step(), Duration::from_secs(360));
        let rollout = Entry::new(Kind::Rollout, 1_000_000, "kubernetes", "r");
        let action = Entry::new(Kind::Action, 1_900_000, "executor", "x");
        let note = Entry::new(Kind::Note, 1_500_000, "operator", "n");
        let s = strip(&[&rollout, &action, &note], 1_000, 2_000, 11);
        assert_eq!(s, "R        X ");
    }
}
