//! Where things go on screen. Shared by draw (to place) and update (to page by a screenful).
//!
//! ```text
//! +--------------------------------------------------+
//! | header: context, namespaces, counts, banner       |  1 line
//! +--------------------------------------------------+
//! | body: the current view                            |
//! |   overview = workloads pane over warnings pane    |
//! +--------------------------------------------------+
//! | footer: key hints | command line | message       |  1 line
//! +--------------------------------------------------+
//! ```

use ratatui::layout::Rect;

use crate::core::view::View;

pub struct Regions {
    pub header: Rect,
    pub body: Rect,
    pub footer: Rect,
}

pub fn regions(area: Rect) -> Regions {
    let header = Rect {
        height: area.height.min(1),
        ..area
    };
    let footer_h = u16::from(area.height >= 2);
    let footer = Rect {
        y: area.y + area.height.saturating_sub(footer_h),
        height: footer_h,
        ..area
    };
    let body = Rect {
        y: area.y + header.height,
        height: area.height.saturating_sub(header.height + footer_h),
        ..area
    };
    Regions {
        header,
        body,
        footer,
    }
}

/// The overview: workloads on top, then the queues (when any are configured: up to 6 rows),
/// then warnings (a third of the body, 4 to 12 lines).
pub struct OverviewAreas {
    pub workloads: Rect,
    pub queues: Option<Rect>,
    pub events: Rect,
}

pub fn overview_split(body: Rect, queues: usize) -> OverviewAreas {
    let events_h = (body.height / 3).clamp(4, 12).min(body.height);
    let queues_h = if queues == 0 {
        0
    } else {
        (queues.min(6) as u16 + 3).min(body.height.saturating_sub(events_h + 5))
    };
    let workloads = Rect {
        height: body.height - events_h - queues_h,
        ..body
    };
    let queues = (queues_h > 0).then_some(Rect {
        y: body.y + workloads.height,
        height: queues_h,
        ..body
    });
    let events = Rect {
        y: body.y + workloads.height + queues_h,
        height: events_h,
        ..body
    };
    OverviewAreas {
        workloads,
        queues,
        events,
    }
}

/// A `width` x `height` box centred in `area` (clipped to it): dialogs and overlays.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

/// How many data rows a view's main table shows in a terminal of this size (`queues`: how
/// many queues the overview has a pane for).
pub fn table_rows(view: View, width: u16, height: u16, queues: usize) -> usize {
    let body = regions(Rect::new(0, 0, width, height)).body;
    let pane = match view {
        View::Overview => overview_split(body, queues).workloads,
        _ => body,
    };
    // Borders (2) and the column header (1); logs have no header.
    let chrome = if view == View::Logs { 2 } else { 3 };
    usize::from(pane.height.saturating_sub(chrome)).max(1)
}
