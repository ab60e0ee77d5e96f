//! Costs: infrastructure from OpenCost and LLM spend from Prometheus counters, against the
//! budgets in the config, with projections and cost per article.

pub mod model;
pub mod opencost;
pub mod pane;
pub mod snapshot;
pub mod source;
pub mod view;

pub use model::{Budget, BudgetState, CostModel, CostSources};
