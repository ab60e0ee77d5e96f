//! The SLOs' pane: the model, the SLO view's table, the overview's worst-first pane, the
//! header's "SLO paging", and enter opening the pods of the SLO's service.

use ratatui::Frame;
use ratatui::layout::Rect;

use super::math::AlertState;
use super::model::SloModel;
use super::source::SloMsg;
use super::{snapshot, view};
use crate::status::Health;
use crate::ui::format::{since_changes, stale_age_changes};
use crate::ui::pane::{Badge, BadgeRank, Band, Layer, Nav, Pane, Scope, ViewId, ViewSpec, badge};
use crate::ui::snapshot::{PaneSnapshot, Source};
use crate::ui::table::{Ctx, selected_in_full};
use crate::ui::table_state::TableState;

pub const SLOS: ViewId = ViewId("slos");

pub const VIEWS: &[ViewSpec] = &[ViewSpec {
    id: SLOS,
    title: "SLOs",
    commands: &["slos", "slo", "sloth", "burn"],
    key: Some('7'),
    help: "SLO burn rates",
    layer: Layer::Table,
}];

#[derive(Debug, Default)]
pub struct SloPane {
    pub model: SloModel,
    pub table: TableState,
    /// Where the burn rates are read (for the snapshot's sources).
    pub prometheus: Option<String>,
}

impl SloPane {
    pub fn new(model: SloModel) -> SloPane {
        SloPane {
            model,
            table: TableState::default(),
            prometheus: None,
        }
    }

    /// Its Prometheus's url.
    pub fn reading(mut self, prometheus: Option<&str>) -> SloPane {
        self.prometheus = prometheus.map(str::to_string);
        self
    }

    /// A refresh or a failure (`now`: unix seconds).
    pub fn apply(&mut self, msg: &SloMsg, now: i64) {
        self.model.apply(msg, now);
    }
}

impl Pane for SloPane {
    fn views(&self) -> &'static [ViewSpec] {
        VIEWS
    }

    fn table(&self, v: ViewId) -> Option<&TableState> {
        (v == SLOS).then_some(&self.table)
    }

    fn table_mut(&mut self, v: ViewId) -> Option<&mut TableState> {
        (v == SLOS).then_some(&mut self.table)
    }

    fn table_area(&self, _view: ViewId, body: Rect) -> Rect {
        view::split(body, self.model.rows().len()).table
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
        view::draw_slos(frame, area, &self.model, &self.table, ctx);
    }

    /// An SLO's service is usually a workload of the same name: its pods.
    fn open(&self, _view: ViewId) -> Option<Nav> {
        let row = self.model.rows().get(self.table.selected_slot()?)?;
        Some(Nav::WorkloadNamed(row.service.clone()))
    }

    /// An SLO by its name or its key (Sloth's `sloth_slo` / `sloth_id` labels).
    fn select(&mut self, _view: ViewId, key: &str) -> bool {
        let rows = self.model.rows();
        let found = rows.iter().position(|r| r.name == key || r.key == key);
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
        let rows = view::Slos(&self.model);
        Some(selected_in_full(&title, &rows, &self.table, ctx))
    }

    fn band(&self) -> Option<Band> {
        Some(Band {
            rows: self.model.rows().len(),
            max_rows: 5,
            order: 1,
            gives_way: 1,
        })
    }

    fn draw_band(&self, frame: &mut Frame, area: Rect, ctx: &Ctx) {
        view::draw_slo_pane(frame, area, &self.model, ctx);
    }

    /// The stale time in titles; on the SLO view also each row's SINCE.
    fn ages_change(&self, view: ViewId, _page: usize, old: i64, new: i64) -> bool {
        let rows = self.model.rows();
        stale_age_changes(&self.model.load(), old, new)
            || (view == SLOS
                && rows
                    .iter()
                    .any(|r| since_changes(r.state_since_ms, old, new)))
    }

    /// "✖ 1 SLO paging", else "▲ 2 SLO tickets".
    fn badges(&self, ctx: &Ctx) -> Vec<Badge> {
        let count = |s: AlertState| {
            self.model
                .rows()
                .iter()
                .filter(|r| r.eval.state == s)
                .count()
        };
        let (pages, tickets) = (count(AlertState::Page), count(AlertState::Ticket));
        if pages > 0 {
            let text = format!("{} {pages} SLO paging", ctx.symbols.bad);
            vec![badge(ctx, BadgeRank::Alert, Health::Bad, text)]
        } else if tickets > 0 {
            let s = if tickets > 1 { "s" } else { "" };
            let text = format!("{} {tickets} SLO ticket{s}", ctx.symbols.warn);
            vec![badge(ctx, BadgeRank::Alert, Health::Warn, text)]
        } else {
            vec![]
        }
    }

    fn sources(&self) -> Vec<Source> {
        snapshot::sources(&self.model, self.prometheus.as_deref())
    }

    fn snapshot(&self, ctx: &Ctx) -> Option<PaneSnapshot> {
        Some(snapshot::snapshot(&self.model, ctx))
    }
}
