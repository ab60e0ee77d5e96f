//! The incident's time axis in the console: read when the view opens, read again over the
//! next span on `z`, about the worst SLO and queue and the workload the incident is about.

use super::super::msg::Effect;
use super::super::state::State;
use crate::incident::Kind;
use crate::incident::axis::AxisRequest;
use crate::incident::pane::AXIS;

/// Opening a view that reads on demand: the time axis.
pub fn opened(state: &mut State, view: crate::ui::pane::ViewId) -> Vec<Effect> {
    if view != AXIS {
        return vec![];
    }
    state.panes.incident.axis_state = crate::status::LoadState::Loading;
    vec![Effect::FetchAxis(axis_request(state))]
}

/// `z` on the time axis: the next span, read anew.
pub fn zoom(state: &mut State) -> Vec<Effect> {
    state.panes.incident.window = state.panes.incident.window.next();
    opened(state, AXIS)
}

/// What the axis shows: the worst SLO, the worst queue, and the workload the incident is
/// about (its first rollout or crashloop), else the worst workload.
fn axis_request(state: &State) -> AxisRequest {
    let p = &state.panes;
    let slo = p.slo.model.rows().first().and_then(|r| {
        let q = r.queries.iter().find(|(w, _)| w.as_secs() == 300)?;
        Some((r.name.clone(), q.1.clone(), format!("{}", r.objective)))
    });
    let queue = p.queues.model.rows().first().map(|q| q.name.clone());
    let about = p.incident.incident.as_ref().and_then(|inc| {
        inc.entries.iter().find_map(|e| match (&e.kind, &e.link) {
            (
                Kind::Rollout | Kind::Crashloop,
                Some(crate::incident::Link::Object {
                    namespace: Some(ns),
                    name,
                    ..
                }),
            ) => Some(format!("{ns}/{name}")),
            _ => None,
        })
    });
    let worst = p
        .cluster
        .overview
        .selected_slot()
        .or_else(|| p.cluster.overview.rows.first().copied())
        .and_then(|slot| p.cluster.model.workloads.get(slot))
        .map(|w| format!("{}/{}", w.namespace, w.name));
    AxisRequest {
        window: p.incident.window,
        end: state.now,
        slo,
        queue,
        workload: about.or(worst),
    }
}
