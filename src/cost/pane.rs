//! The costs' pane: the model, the cost view's budgets table, the overview's worst-first
//! budgets pane, and the header's "over budget" / "budget at risk".

use ratatui::Frame;
use ratatui::layout::Rect;

use super::model::{BudgetState, CostModel, CostMsg};
use super::{snapshot, view};
use crate::status::Health;
use crate::ui::format::stale_age_changes;
use crate::ui::pane::{Badge, BadgeRank, Band, Layer, Pane, Scope, ViewId, ViewSpec, badge};
use crate::ui::snapshot::{PaneSnapshot, Source};
use crate::ui::table::{Ctx, selected_in_full};
use crate::ui::table_state::TableState;

pub const COSTS: ViewId = ViewId("costs");

pub const VIEWS: &[ViewSpec] = &[ViewSpec {
    id: COSTS,
    title: "Costs",
    commands: &["costs", "cost", "budget", "budgets", "spend"],
    key: Some('8'),
    help: "costs and budgets",
    layer: Layer::Table,
}];

#[derive(Debug, Default)]
pub struct CostPane {
    pub model: CostModel,
    pub table: TableState,
    /// Where the LLM counters and OpenCost are read (for the snapshot's sources).
    pub urls: (Option<String>, Option<String>),
}

impl CostPane {
    pub fn new(model: CostModel) -> CostPane {
        CostPane {
            model,
            table: TableState::default(),
            urls: (None, None),
        }
    }

    /// Its Prometheus's and OpenCost's urls.
    pub fn reading(mut self, prometheus: Option<&str>, opencost: Option<&str>) -> CostPane {
        self.urls = (prometheus.map(str::to_string), opencost.map(str::to_string));
        self
    }

    /// A reading or a failure (`now`: unix seconds).
    pub fn apply(&mut self, msg: &CostMsg, now: i64) {
        self.model.apply(msg, now * 1000);
    }
}

impl Pane for CostPane {
    fn views(&self) -> &'static [ViewSpec] {
        VIEWS
    }

    fn table(&self, v: ViewId) -> Option<&TableState> {
        (v == COSTS).then_some(&self.table)
    }

    fn table_mut(&mut self, v: ViewId) -> Option<&mut TableState> {
        (v == COSTS).then_some(&mut self.table)
    }

    fn table_area(&self, _view: ViewId, body: Rect) -> Rect {
        view::split(body, self.model.budgets().len()).budgets
    }

    fn prepare(&mut self, _view: ViewId, _scope: Option<&Scope>, _now: i64) {
        self.table.cover(self.model.budgets().len());
    }

    fn draw(
        &self,
        _view: ViewId,
        frame: &mut Frame,
        area: Rect,
        _scope: Option<&Scope>,
        ctx: &Ctx,
    ) {
        view::draw_costs(frame, area, &self.model, &self.table, ctx);
    }

    fn in_full(
        &self,
        _view: ViewId,
        _scope: Option<&Scope>,
        ctx: &Ctx,
    ) -> Option<(String, Vec<(String, String)>)> {
        let title = view::title(&self.model, ctx);
        let rows = view::Budgets(&self.model);
        Some(selected_in_full(&title, &rows, &self.table, ctx))
    }

    fn band(&self) -> Option<Band> {
        Some(Band {
            rows: self.model.budgets().len(),
            max_rows: 4,
            order: 3,
            gives_way: 3,
        })
    }

    fn draw_band(&self, frame: &mut Frame, area: Rect, ctx: &Ctx) {
        view::draw_cost_pane(frame, area, &self.model, ctx);
    }

    fn ages_change(&self, _view: ViewId, _page: usize, old: i64, new: i64) -> bool {
        [&self.model.llm_load, &self.model.infra_load]
            .into_iter()
            .any(|load| stale_age_changes(load, old, new))
    }

    /// "✖ over budget", "▲ budget at risk" (projected over).
    fn badges(&self, ctx: &Ctx) -> Vec<Badge> {
        match self.model.budgets().iter().map(|b| b.state).min() {
            Some(BudgetState::Over) => vec![badge(
                ctx,
                BadgeRank::Alert,
                Health::Bad,
                format!("{} over budget", ctx.symbols.bad),
            )],
            Some(BudgetState::Warning) => vec![badge(
                ctx,
                BadgeRank::Alert,
                Health::Warn,
                format!("{} budget at risk", ctx.symbols.warn),
            )],
            _ => vec![],
        }
    }

    fn sources(&self) -> Vec<Source> {
        let (prometheus, opencost) = &self.urls;
        snapshot::sources(&self.model, prometheus.as_deref(), opencost.as_deref())
    }

    fn snapshot(&self, ctx: &Ctx) -> Option<PaneSnapshot> {
        Some(snapshot::snapshot(&self.model, ctx))
    }
}
