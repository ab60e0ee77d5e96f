//! The alerts' pane: the merged model, the alerts and silences views, the overview's
//! worst-first alerts pane, the header's "✖ 3 alerts firing (1 page)", and enter on an alert
//! opening what it is about.

use ratatui::Frame;
use ratatui::layout::Rect;

use super::about::About;
use super::model::{AlertMsg, AlertRow, AlertsModel, Severity};
use super::view;
use crate::k8s::{ObjectKind, ObjectRef};
use crate::status::Health;
use crate::ui::format::stale_age_changes;
use crate::ui::pane::{
    Badge, BadgeRank, Band, Layer, LogTarget, Nav, OVERVIEW, Pane, Scope, Target, ViewId, ViewSpec,
    badge,
};
use crate::ui::snapshot::{PaneSnapshot, Source};
use crate::ui::table::{Ctx, selected_in_full};
use crate::ui::table_state::TableState;

pub const ALERTS: ViewId = ViewId("alerts");
pub const SILENCES: ViewId = ViewId("silences");

pub const VIEWS: &[ViewSpec] = &[
    ViewSpec {
        id: ALERTS,
        title: "Alerts",
        commands: &["alerts", "alert"],
        key: Some('9'),
        help: "alerts from Alertmanager",
        layer: Layer::Table,
    },
    ViewSpec {
        id: SILENCES,
        title: "Silences",
        commands: &["silences"],
        key: None,
        help: "Alertmanager silences",
        layer: Layer::Table,
    },
];

#[derive(Debug, Default)]
pub struct AlertsPane {
    pub model: AlertsModel,
    /// Each instance's url without credentials, in config order (the snapshot's sources).
    pub urls: Vec<String>,
    pub alerts: TableState,
    pub silences: TableState,
}

impl AlertsPane {
    pub fn new(model: AlertsModel) -> AlertsPane {
        AlertsPane {
            model,
            ..AlertsPane::default()
        }
    }

    /// A refresh or a failure of one instance (`now`: unix seconds).
    pub fn apply(&mut self, msg: AlertMsg, now: i64) {
        self.model.apply(msg, now);
    }

    /// The selected alert, in the alerts view.
    pub fn selected_alert(&self) -> Option<&AlertRow> {
        self.model.alerts().get(self.alerts.selected_slot()?)
    }

    /// The selected silence's id, in the silences view.
    pub fn selected_silence(&self) -> Option<&str> {
        Some(
            self.model
                .silences()
                .get(self.silences.selected_slot()?)?
                .id(),
        )
    }
}

/// Where enter on an alert goes: the object its labels name.
fn nav_of(a: &AlertRow) -> Nav {
    match &a.about {
        About::Workload {
            namespace, name, ..
        } => Nav::Pods(Scope::Workload {
            context: Default::default(),
            namespace: namespace.clone(),
            name: name.clone(),
        }),
        About::Pod { namespace, name } => Nav::Logs(LogTarget {
            context: Default::default(),
            namespace: namespace.clone(),
            pod: name.clone(),
            container: None,
            previous: false,
        }),
        About::Slo { name } => Nav::Slo(name.clone()),
        About::Queue { name } => Nav::Queue(name.clone()),
        About::Node { name } => Nav::Pods(Scope::Node {
            context: Default::default(),
            name: name.clone(),
        }),
        About::Service { name } => Nav::WorkloadNamed(name.clone()),
        About::Nothing => Nav::Say(format!(
            "{} names no workload, pod, SLO, queue or node in its labels",
            a.name()
        )),
    }
}

impl Pane for AlertsPane {
    fn views(&self) -> &'static [ViewSpec] {
        VIEWS
    }

    fn table(&self, view: ViewId) -> Option<&TableState> {
        match view {
            ALERTS => Some(&self.alerts),
            SILENCES => Some(&self.silences),
            _ => None,
        }
    }

    fn table_mut(&mut self, view: ViewId) -> Option<&mut TableState> {
        match view {
            ALERTS => Some(&mut self.alerts),
            SILENCES => Some(&mut self.silences),
            _ => None,
        }
    }

    fn prepare(&mut self, _view: ViewId, _scope: Option<&Scope>, _now: i64) {
        self.alerts.cover(self.model.alerts().len());
        self.silences.cover(self.model.silences().len());
    }

    fn draw(&self, view: ViewId, frame: &mut Frame, area: Rect, _scope: Option<&Scope>, ctx: &Ctx) {
        match view {
            SILENCES => view::draw_silences(frame, area, &self.model, &self.silences, ctx),
            _ => view::draw_alerts(frame, area, &self.model, &self.alerts, ctx),
        }
    }

    fn open(&self, view: ViewId) -> Option<Nav> {
        match view {
            ALERTS => Some(nav_of(self.selected_alert()?)),
            _ => None,
        }
    }

    /// The object an alert's labels name: `d` on a KubePodCrashLooping describes the pod.
    fn inspect(&self, view: ViewId) -> Option<ObjectRef> {
        if view != ALERTS {
            return None;
        }
        match &self.selected_alert()?.about {
            About::Workload {
                kind,
                namespace,
                name,
            } => Some(ObjectRef::namespaced((*kind).into(), namespace, name)),
            About::Pod { namespace, name } => {
                Some(ObjectRef::namespaced(ObjectKind::Pod, namespace, name))
            }
            About::Node { name } => Some(ObjectRef::node(name)),
            _ => None,
        }
    }

    fn selected(&self, view: ViewId) -> Option<Target> {
        match view {
            ALERTS => {
                let a = self.selected_alert()?;
                let group = self.model.groups().get(a.group)?;
                Some(Target::Alert {
                    labels: a.labels.clone(),
                    group: group.labels.clone(),
                })
            }
            SILENCES => Some(Target::Silence {
                id: self.selected_silence()?.to_string(),
            }),
            _ => None,
        }
    }

    fn in_full(
        &self,
        view: ViewId,
        _scope: Option<&Scope>,
        ctx: &Ctx,
    ) -> Option<(String, Vec<(String, String)>)> {
        if view == SILENCES {
            let title = view::silences_title(&self.model, ctx);
            let (title, mut fields) =
                selected_in_full(&title, &view::Silences(&self.model), &self.silences, ctx);
            if let Some(s) = self.model.silences().get(self.silences.selected_slot()?) {
                for (instance, id) in &s.ids {
                    fields.push((format!("id on {instance}"), id.clone()));
                }
            }
            return Some((title, fields));
        }
        let title = view::alerts_title(&self.model, ctx);
        let (title, mut fields) =
            selected_in_full(&title, &view::Alerts(&self.model), &self.alerts, ctx);
        if let Some(a) = self.selected_alert() {
            for (k, v) in &a.annotations {
                fields.push((format!("annotation {k}"), v.clone()));
            }
            for (k, v) in &a.labels {
                fields.push((format!("label {k}"), v.clone()));
            }
            if !a.silenced_by.is_empty() {
                fields.push(("silenced by".into(), a.silenced_by.join(", ")));
            }
            if !a.inhibited_by.is_empty() {
                fields.push(("inhibited by".into(), a.inhibited_by.join(", ")));
            }
            if !a.generator_url.is_empty() {
                fields.push(("source".into(), a.generator_url.clone()));
            }
        }
        Some((title, fields))
    }

    fn band(&self) -> Option<Band> {
        Some(Band {
            rows: self.model.alerts().len(),
            max_rows: 5,
            order: 0,
            gives_way: 0,
        })
    }

    fn draw_band(&self, frame: &mut Frame, area: Rect, ctx: &Ctx) {
        view::draw_alert_pane(frame, area, &self.model, ctx);
    }

    /// "✖ 3 alerts firing (1 page)"; a warning mark when none of them pages.
    fn badges(&self, ctx: &Ctx) -> Vec<Badge> {
        let (firing, pages) = self.model.firing();
        if firing == 0 {
            return vec![];
        }
        let s = if firing > 1 { "s" } else { "" };
        let worst = self
            .model
            .alerts()
            .iter()
            .filter(|a| a.state == super::model::AlertState::Firing)
            .map(|a| a.severity)
            .min();
        let (health, mark) = match worst {
            Some(Severity::Page | Severity::High) => (Health::Bad, ctx.symbols.bad),
            _ => (Health::Warn, ctx.symbols.warn),
        };
        let page = if pages > 0 {
            format!(" ({pages} page)")
        } else {
            String::new()
        };
        let text = format!("{mark} {firing} alert{s} firing{page}");
        vec![badge(ctx, BadgeRank::Alert, health, text)]
    }

    fn sources(&self) -> Vec<Source> {
        super::snapshot::sources(&self.model, &self.urls)
    }

    fn snapshot(&self, ctx: &Ctx) -> Option<PaneSnapshot> {
        Some(super::snapshot::snapshot(&self.model, ctx))
    }

    fn ages_change(&self, view: ViewId, _page: usize, old: i64, new: i64) -> bool {
        use crate::ui::format::age;
        let load = self.model.load();
        if stale_age_changes(&load, old, new) {
            return true;
        }
        match view {
            ALERTS | OVERVIEW => self
                .model
                .alerts()
                .iter()
                .any(|a| age(old - a.starts_at) != age(new - a.starts_at)),
            _ => false,
        }
    }
}
