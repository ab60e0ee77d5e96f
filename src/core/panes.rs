//! The pane registry: every pane the console has, in number-key order, and the messages their
//! sources send. Adding a pane is a new folder plus, in this file, its field, its message, its
//! entry in `views`, `all` and `all_mut`, and its arm in `apply` (which also says when its
//! messages are worth a redraw); then its source in `app::sources`. Help, `:` completion and
//! the keymap's views follow from here.

use crate::alerts::AlertMsg;
use crate::alerts::pane::AlertsPane;
use crate::cluster::logs::LogMsg;
use crate::cluster::model::ClusterMsg;
use crate::cluster::pane::ClusterPane;
use crate::cost::model::CostMsg;
use crate::cost::pane::CostPane;
use crate::health::HealthMsg;
use crate::health::pane::HealthPane;
use crate::incident::pane::{IncidentMsg, IncidentPane};
use crate::inspect::InspectMsg;
use crate::inspect::pane::InspectPane;
use crate::queues::QueueMsg;
use crate::queues::pane::QueuePane;
use crate::slo::pane::SloPane;
use crate::slo::source::SloMsg;
use crate::ui::pane::{Pane, ViewId, ViewSpec};

/// Every view of every pane, in registry order.
pub fn views() -> Vec<ViewSpec> {
    [
        crate::cluster::pane::VIEWS,
        crate::queues::pane::VIEWS,
        crate::slo::pane::VIEWS,
        crate::cost::pane::VIEWS,
        crate::alerts::pane::VIEWS,
        crate::health::pane::VIEWS,
        crate::inspect::pane::VIEWS,
        crate::incident::pane::VIEWS,
    ]
    .concat()
}

#[derive(Debug)]
pub struct Panes {
    /// Kubernetes: the console's home (the overview's main part, pods, logs, namespaces).
    pub cluster: ClusterPane,
    pub queues: QueuePane,
    pub slo: SloPane,
    pub cost: CostPane,
    pub alerts: AlertsPane,
    pub health: HealthPane,
    /// The object being described or shown as YAML.
    pub inspect: InspectPane,
    /// The open incident's timeline, and what the console has seen lately.
    pub incident: IncidentPane,
}

/// What the panes' sources send.
#[derive(Clone, Debug)]
pub enum PaneMsg {
    Cluster(ClusterMsg),
    Logs(LogMsg),
    Queues(QueueMsg),
    Slo(SloMsg),
    Cost(CostMsg),
    Alerts(AlertMsg),
    Health(HealthMsg),
    Inspect(InspectMsg),
    Incident(IncidentMsg),
}

impl Panes {
    pub fn all(&self) -> [&dyn Pane; 8] {
        [
            &self.cluster,
            &self.queues,
            &self.slo,
            &self.cost,
            &self.alerts,
            &self.health,
            &self.inspect,
            &self.incident,
        ]
    }

    pub fn all_mut(&mut self) -> [&mut dyn Pane; 8] {
        [
            &mut self.cluster,
            &mut self.queues,
            &mut self.slo,
            &mut self.cost,
            &mut self.alerts,
            &mut self.health,
            &mut self.inspect,
            &mut self.incident,
        ]
    }

    /// The pane a view belongs to.
    pub fn owner(&self, view: ViewId) -> Option<&dyn Pane> {
        self.all()
            .into_iter()
            .find(|p| p.views().iter().any(|v| v.id == view))
    }

    pub fn owner_mut(&mut self, view: ViewId) -> Option<&mut dyn Pane> {
        self.all_mut()
            .into_iter()
            .find(|p| p.views().iter().any(|v| v.id == view))
    }

    /// A message from a source; true when it changes the screen showing `view` (`overview`:
    /// the overview is shown, with every pane's band).
    pub fn apply(&mut self, msg: PaneMsg, now: i64, view: ViewId, picking: bool) -> bool {
        let shows =
            |p: &dyn Pane, overview: bool| overview || p.views().iter().any(|v| v.id == view);
        let overview = view == crate::cluster::pane::OVERVIEW;
        match msg {
            PaneMsg::Cluster(m) => {
                let hpas = m.resource == crate::cluster::model::Resource::Hpas;
                let shown = self.cluster.apply(m, now, view, picking);
                // The queues view shows each consumer's autoscaler.
                let scalers = hpas && self.queues.set_scalers(self.cluster.scalers());
                shown || (scalers && view == crate::queues::pane::QUEUES)
            }
            PaneMsg::Logs(m) => self.cluster.apply_logs(m, now),
            PaneMsg::Queues(m) => {
                self.queues.apply(m, now);
                shows(&self.queues, overview)
            }
            PaneMsg::Slo(m) => {
                self.slo.apply(&m, now);
                shows(&self.slo, overview)
            }
            PaneMsg::Cost(m) => {
                self.cost.apply(&m, now);
                shows(&self.cost, overview)
            }
            PaneMsg::Alerts(m) => {
                self.alerts.apply(m, now);
                shows(&self.alerts, overview)
            }
            PaneMsg::Health(m) => {
                self.health.apply(&m);
                shows(&self.health, overview)
            }
            PaneMsg::Inspect(m) => self.inspect.apply(m, now) && shows(&self.inspect, false),
            PaneMsg::Incident(m) => {
                self.incident.apply(m, now);
                shows(&self.incident, false)
            }
        }
    }
}

// Sources send their own message types; these make them pane messages (and, through
// `Msg`'s `From`, console messages).

impl From<ClusterMsg> for PaneMsg {
    fn from(m: ClusterMsg) -> Self {
        PaneMsg::Cluster(m)
    }
}

impl From<LogMsg> for PaneMsg {
    fn from(m: LogMsg) -> Self {
        PaneMsg::Logs(m)
    }
}

impl From<QueueMsg> for PaneMsg {
    fn from(m: QueueMsg) -> Self {
        PaneMsg::Queues(m)
    }
}

impl From<SloMsg> for PaneMsg {
    fn from(m: SloMsg) -> Self {
        PaneMsg::Slo(m)
    }
}

impl From<CostMsg> for PaneMsg {
    fn from(m: CostMsg) -> Self {
        PaneMsg::Cost(m)
    }
}

impl From<AlertMsg> for PaneMsg {
    fn from(m: AlertMsg) -> Self {
        PaneMsg::Alerts(m)
    }
}

impl From<crate::incident::share::SharedMsg> for PaneMsg {
    fn from(m: crate::incident::share::SharedMsg) -> Self {
        PaneMsg::Incident(IncidentMsg::Shared(m))
    }
}

impl From<IncidentMsg> for PaneMsg {
    fn from(m: IncidentMsg) -> Self {
        PaneMsg::Incident(m)
    }
}

impl From<InspectMsg> for PaneMsg {
    fn from(m: InspectMsg) -> Self {
        PaneMsg::Inspect(m)
    }
}

impl From<HealthMsg> for PaneMsg {
    fn from(m: HealthMsg) -> Self {
        PaneMsg::Health(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn view_names_keys_and_words_are_unique_and_clear_of_the_builtins() {
        let views = views();
        let mut seen = std::collections::BTreeSet::new();
        for v in &views {
            assert!(seen.insert(v.id.0), "view {} twice", v.id.0);
            for word in v.commands {
                assert!(
                    !super::super::command::BUILTINS.contains(word),
                    ":{word} of {} is a built-in command",
                    v.id.0
                );
                assert!(!crate::actions::verbs::is_verb(word), ":{word} is a verb");
            }
        }
        let words: Vec<&str> = views
            .iter()
            .flat_map(|v| v.commands.iter().copied())
            .collect();
        let unique: std::collections::BTreeSet<&str> = words.iter().copied().collect();
        assert_eq!(words.len(), unique.len(), "a : word opens two views");
        let keys: Vec<char> = views.iter().filter_map(|v| v.key).collect();
        let unique: std::collections::BTreeSet<char> = keys.iter().copied().collect();
        assert_eq!(keys.len(), unique.len(), "a number key opens two views");
    }
}
