//! The health pane: the model, the health view's table, the overview's worst-first pane, the
//! header's "✖ 2 unhealthy", and enter opening the pods of the workload named like the service.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;

use super::answer::Status;
use super::model::{HealthModel, HealthMsg};
use super::view;
use crate::config::HealthConfig;
use crate::status::Health;
use crate::ui::format::{since_changes, stale_age_changes};
use crate::ui::pane::{Badge, BadgeRank, Band, Layer, Nav, Pane, Scope, ViewId, ViewSpec, badge};
use crate::ui::snapshot::{PaneSnapshot, Source};
use crate::ui::table::{Ctx, selected_in_full};
use crate::ui::table_state::TableState;

pub const HEALTH: ViewId = ViewId("health");

pub const VIEWS: &[ViewSpec] = &[ViewSpec {
    id: HEALTH,
    title: "Health",
    commands: &["health"],
    key: None,
    help: "service health",
    layer: Layer::Table,
}];

#[derive(Debug, Default)]
pub struct HealthPane {
    pub model: HealthModel,
    pub table: TableState,
    /// The endpoints read (the snapshot's sources).
    pub configs: Vec<HealthConfig>,
}

impl HealthPane {
    pub fn new(model: HealthModel) -> HealthPane {
        HealthPane {
            model,
            table: TableState::default(),
            configs: vec![],
        }
    }

    /// Where its services are read (for the snapshot's sources).
    pub fn reading(mut self, configs: &[HealthConfig]) -> Self {
        self.configs = configs.to_vec();
        self
    }

    /// One round of a service's endpoints (stamped with its own time).
    pub fn apply(&mut self, msg: &HealthMsg) {
        self.model.apply(msg);
    }
}

impl Pane for HealthPane {
    fn views(&self) -> &'static [ViewSpec] {
        VIEWS
    }

    fn table(&self, v: ViewId) -> Option<&TableState> {
        (v == HEALTH).then_some(&self.table)
    }

    fn table_mut(&mut self, v: ViewId) -> Option<&mut TableState> {
        (v == HEALTH).then_some(&mut self.table)
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
        view::draw_health(frame, area, &self.model, &self.table, ctx);
    }

    /// A service is usually a workload of the same name: its pods.
    fn open(&self, _view: ViewId) -> Option<Nav> {
        let row = self.model.rows().get(self.table.selected_slot()?)?;
        Some(Nav::WorkloadNamed(row.name.clone()))
    }

    fn in_full(
        &self,
        _view: ViewId,
        _scope: Option<&Scope>,
        ctx: &Ctx,
    ) -> Option<(String, Vec<(String, String)>)> {
        let title = view::title(&self.model, ctx);
        let rows = view::Services(&self.model);
        Some(selected_in_full(&title, &rows, &self.table, ctx))
    }

    /// After the SLO, queue and budget panes; the first to give way (the header keeps its
    /// badge).
    fn band(&self) -> Option<Band> {
        Some(Band {
            rows: self.model.rows().len(),
            max_rows: 5,
            order: 3,
            gives_way: 4,
        })
    }

    fn draw_band(&self, frame: &mut Frame, area: Rect, ctx: &Ctx) {
        view::draw_health_pane(frame, area, &self.model, ctx);
    }

    /// The stale time in titles, and each service's SINCE.
    fn ages_change(&self, _view: ViewId, _page: usize, old: i64, new: i64) -> bool {
        self.model
            .rows()
            .iter()
            .any(|r| stale_age_changes(&r.load, old, new) || since_changes(r.since_ms, old, new))
    }

    /// "✖ 2 unhealthy", else "▲ 1 degraded"; and "3 health unknown" for those not answering.
    fn badges(&self, ctx: &Ctx) -> Vec<Badge> {
        let m = &self.model;
        let (fail, warn, unknown) = (
            m.count(Status::Fail),
            m.count(Status::Warn),
            m.count(Status::Unknown),
        );
        let mut out = vec![];
        if fail > 0 {
            let text = format!("{} {fail} unhealthy", ctx.symbols.bad);
            out.push(badge(ctx, BadgeRank::Alert, Health::Bad, text));
        } else if warn > 0 {
            let text = format!("{} {warn} degraded", ctx.symbols.warn);
            out.push(badge(ctx, BadgeRank::Alert, Health::Warn, text));
        }
        if unknown > 0 {
            out.push(Badge {
                rank: BadgeRank::Stale,
                span: Span::styled(format!("{unknown} health unknown"), ctx.theme.stale),
            });
        }
        out
    }

    fn sources(&self) -> Vec<Source> {
        super::snapshot::sources(&self.model, &self.configs)
    }

    fn snapshot(&self, ctx: &Ctx) -> Option<PaneSnapshot> {
        Some(super::snapshot::snapshot(&self.model, ctx))
    }
}
