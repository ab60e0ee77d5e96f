//! The queues' pane: the model, a short depth history per queue, the queues view's table, the
//! overview's worst-first pane, and enter on a queue opening its consumer's pods.

use std::collections::{BTreeMap, VecDeque};

use ratatui::Frame;
use ratatui::layout::Rect;

use super::model::QueueModel;
use super::snapshot::{self, BrokerQueues};
use super::{QueueMsg, view};
use crate::config::QueueConfig;
use crate::k8s::hpa::Scaler;
use crate::ui::format::stale_age_changes;
use crate::ui::pane::{Band, Layer, Nav, Pane, Scope, ViewId, ViewSpec};
use crate::ui::snapshot::{PaneSnapshot, Source};
use crate::ui::table::{Ctx, selected_in_full};
use crate::ui::table_state::TableState;

pub const QUEUES: ViewId = ViewId("queues");

/// Queue rates are smoothed over about this many seconds.
pub const SMOOTHING_SECS: f64 = 20.0;
/// Depth samples kept per queue for the history sparkline.
pub const HISTORY: usize = 60;

pub const VIEWS: &[ViewSpec] = &[ViewSpec {
    id: QUEUES,
    title: "Queues",
    commands: &["queues", "queue"],
    key: Some('6'),
    help: "queues",
    layer: Layer::Table,
}];

#[derive(Debug)]
pub struct QueuePane {
    pub model: QueueModel,
    pub history: BTreeMap<String, VecDeque<u64>>,
    pub table: TableState,
    /// Where a consumer named without a namespace runs.
    default_namespace: String,
    /// The autoscalers of the consumers, by workload ("namespace/name").
    pub scalers: BTreeMap<String, Scaler>,
    /// Where the queues are read (the snapshot's sources).
    brokers: Vec<BrokerQueues>,
}

impl QueuePane {
    pub fn new(configs: &[QueueConfig], default_namespace: &str) -> QueuePane {
        QueuePane {
            model: QueueModel::new(configs, SMOOTHING_SECS),
            history: BTreeMap::new(),
            table: TableState::default(),
            default_namespace: default_namespace.to_string(),
            scalers: BTreeMap::new(),
            brokers: snapshot::brokers(configs),
        }
    }

    fn consumer_key(&self, consumer: &str) -> String {
        view::consumer_key(consumer, &self.default_namespace)
    }

    /// Each configured consumer and the queues it drains ("namespace/name" -> queues).
    pub fn queues_by_consumer(&self) -> BTreeMap<String, Vec<String>> {
        let mut by: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for q in self.model.rows() {
            if let Some(c) = &q.consumer_workload {
                by.entry(self.consumer_key(c))
                    .or_default()
                    .push(q.name.clone());
            }
        }
        by
    }

    /// The cluster's autoscalers changed; true when a queue's consumer's did.
    pub fn set_scalers(&mut self, all: BTreeMap<String, Scaler>) -> bool {
        let consumers: Vec<String> = self
            .model
            .rows()
            .iter()
            .filter_map(|q| q.consumer_workload.as_deref())
            .map(|c| self.consumer_key(c))
            .collect();
        let mine: BTreeMap<String, Scaler> = all
            .into_iter()
            .filter(|(k, _)| consumers.contains(k))
            .collect();
        let changed = mine != self.scalers;
        self.scalers = mine;
        changed
    }

    /// Samples, or a broker's failure (`now`: unix seconds).
    pub fn apply(&mut self, msg: QueueMsg, now: i64) {
        match msg {
            QueueMsg::Sampled(samples) => {
                self.model.apply_samples(&samples);
                for s in &samples {
                    let history = self.history.entry(s.name.clone()).or_default();
                    history.push_back(s.depth);
                    while history.len() > HISTORY {
                        history.pop_front();
                    }
                }
            }
            QueueMsg::Failed {
                queues,
                reason,
                retry_in,
                ..
            } => self.model.apply_failure(&queues, &reason, retry_in, now),
        }
    }
}

impl QueuePane {
    fn shown(&self) -> view::Shown<'_> {
        view::Shown {
            model: &self.model,
            history: &self.history,
            scalers: &self.scalers,
            default_namespace: &self.default_namespace,
        }
    }
}

impl Pane for QueuePane {
    fn views(&self) -> &'static [ViewSpec] {
        VIEWS
    }

    fn table(&self, view: ViewId) -> Option<&TableState> {
        (view == QUEUES).then_some(&self.table)
    }

    fn table_mut(&mut self, view: ViewId) -> Option<&mut TableState> {
        (view == QUEUES).then_some(&mut self.table)
    }

    fn prepare(&mut self, _view: ViewId, _scope: Option<&Scope>, _now: i64) {
        self.table.cover(self.model.rows().len());
    }

    fn draw(
        &self,
        _view: ViewId,
        frame: &mut Frame,
        area: Rect,
        _scope: Option<&Scope>,
        ctx: &Ctx,
    ) {
        view::draw_queues(frame, area, self.shown(), &self.table, ctx);
    }

    fn open(&self, _view: ViewId) -> Option<Nav> {
        let row = self.model.rows().get(self.table.selected_slot()?)?;
        let Some(consumer) = row.consumer_workload.clone() else {
            return Some(Nav::Say(
                "this queue names no consumer in the config".into(),
            ));
        };
        let (namespace, name) = match consumer.split_once('/') {
            Some((n, w)) => (n.to_string(), w.to_string()),
            None => (self.default_namespace.clone(), consumer),
        };
        Some(Nav::Pods(Scope::Workload {
            context: Default::default(),
            namespace,
            name,
        }))
    }

    fn select(&mut self, _view: ViewId, key: &str) -> bool {
        let rows = self.model.rows();
        let found = rows.iter().position(|q| q.name == key);
        self.table.cover(rows.len());
        found.is_some_and(|slot| self.table.select_slot(slot))
    }

    fn in_full(
        &self,
        _view: ViewId,
        _scope: Option<&Scope>,
        ctx: &Ctx,
    ) -> Option<(String, Vec<(String, String)>)> {
        let title = view::title(&self.model, ctx);
        let rows = view::Queues(self.shown());
        Some(selected_in_full(&title, &rows, &self.table, ctx))
    }

    fn band(&self) -> Option<Band> {
        Some(Band {
            rows: self.model.rows().len(),
            max_rows: 6,
            order: 2,
            gives_way: 2,
        })
    }

    fn draw_band(&self, frame: &mut Frame, area: Rect, ctx: &Ctx) {
        view::draw_queue_pane(frame, area, &self.model, ctx);
    }

    fn ages_change(&self, _view: ViewId, _page: usize, old: i64, new: i64) -> bool {
        self.model
            .rows()
            .iter()
            .any(|q| stale_age_changes(&q.state, old, new))
    }

    fn sources(&self) -> Vec<Source> {
        snapshot::sources(&self.model, &self.brokers)
    }

    fn snapshot(&self, ctx: &Ctx) -> Option<PaneSnapshot> {
        Some(snapshot::snapshot(self.shown(), ctx))
    }
}
