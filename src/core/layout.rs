//! Page sizes: how much of the screen a view's main table gets, so paging moves by exactly
//! what is shown. The console core owns this (it knows the frame's regions and the overview's
//! band); panes say where their table sits inside the body.

use ratatui::layout::Rect;

use super::panes::Panes;
use crate::cluster::pane::OVERVIEW;
use crate::ui::layout::{OverviewAreas, overview_split, regions};
use crate::ui::pane::{Band, Layer, ViewId};

/// The body of a `width` x `height` screen (between header and footer).
pub fn body(width: u16, height: u16) -> Rect {
    regions(Rect::new(0, 0, width, height)).body
}

/// Every pane's overview band, in registry order (a pane without one gives an empty band).
pub fn bands(panes: &Panes) -> Vec<Band> {
    panes.all().iter().filter_map(|p| p.band()).collect()
}

pub fn overview(panes: &Panes, body: Rect) -> OverviewAreas {
    overview_split(body, &bands(panes))
}

/// Rows a view's main table shows on a `width` x `height` screen.
pub fn page(panes: &Panes, view: ViewId, width: u16, height: u16) -> usize {
    let body = body(width, height);
    let area = if view == OVERVIEW {
        overview(panes, body).workloads
    } else {
        panes.owner(view).map_or(body, |p| p.table_area(view, body))
    };
    // Borders (2) and the column header (1); text (logs, describe, YAML) has no header.
    let text = panes
        .all()
        .iter()
        .flat_map(|p| p.views())
        .any(|v| v.id == view && v.layer == Layer::Logs);
    let chrome = if text { 2 } else { 3 };
    usize::from(area.height.saturating_sub(chrome)).max(1)
}
