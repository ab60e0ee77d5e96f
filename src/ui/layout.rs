//! Where things go on screen. Shared by draw (to place) and update (to page by a screenful).
//!
//! ```text
//! +--------------------------------------------------+
//! | header: context, namespaces, counts, banner       |  1 line
//! +--------------------------------------------------+
//! | body: the current view                            |
//! |   overview: see `overview_split`                  |
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

/// How many rows the overview's optional panes have (0: no pane).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OverviewPanes {
    pub slos: usize,
    pub queues: usize,
}

/// The overview, top to bottom: the SLO and queue panes (side by side when the screen is wide,
/// stacked otherwise), the workloads, then warnings (a third of the body, 4 to 12 lines).
///
/// ```text
/// wide (>= 160 cols)               narrow
/// +-------------+-------------+    +---------------+
/// | SLOs        | queues      |    | SLOs          |
/// +-------------+-------------+    | queues        |
/// | workloads                 |    | workloads     |
/// | warnings                  |    | warnings      |
/// +---------------------------+    +---------------+
/// ```
pub struct OverviewAreas {
    pub slos: Option<Rect>,
    pub queues: Option<Rect>,
    pub workloads: Rect,
    pub events: Rect,
}

/// Lines the workloads pane keeps however crowded the screen (4 data rows).
const MIN_WORKLOADS: u16 = 7;
/// Borders and the column header.
const PANE_CHROME: u16 = 3;

pub fn overview_split(body: Rect, panes: OverviewPanes) -> OverviewAreas {
    let want = |rows: usize, max: usize| {
        if rows == 0 {
            0
        } else {
            rows.min(max) as u16 + PANE_CHROME
        }
    };
    let (mut slo_h, mut queue_h) = (want(panes.slos, 5), want(panes.queues, 6));
    let side_by_side = body.width >= 160 && slo_h > 0 && queue_h > 0;
    let band = |s: u16, q: u16| if side_by_side { s.max(q) } else { s + q };
    let mut events_h = (body.height / 3).clamp(4, 12).min(body.height);
    if band(slo_h, queue_h) + events_h + MIN_WORKLOADS > body.height {
        events_h = events_h.min(4);
    }
    let room = body.height.saturating_sub(events_h + MIN_WORKLOADS);
    // Too crowded: take a row from the taller pane (the queues on a tie), down to one row each.
    let one_row = PANE_CHROME + 1;
    while band(slo_h, queue_h) > room && (slo_h > one_row || queue_h > one_row) {
        if queue_h >= slo_h && queue_h > one_row || slo_h <= one_row {
            queue_h -= 1;
        } else {
            slo_h -= 1;
        }
    }
    if band(slo_h, queue_h) > room {
        queue_h = 0;
    }
    if band(slo_h, queue_h) > room {
        slo_h = 0;
    }
    let band_h = band(slo_h, queue_h);
    if side_by_side {
        // One band: both panes as tall as the taller.
        (slo_h, queue_h) = (band_h, band_h);
    }
    let half = body.width / 2;
    let slos = (slo_h > 0).then_some(Rect {
        height: slo_h,
        width: if side_by_side { half } else { body.width },
        ..body
    });
    let queues = (queue_h > 0).then_some(if side_by_side {
        Rect {
            x: body.x + half,
            width: body.width - half,
            height: queue_h,
            ..body
        }
    } else {
        Rect {
            y: body.y + slo_h,
            height: queue_h,
            ..body
        }
    });
    let workloads = Rect {
        y: body.y + band_h,
        height: body.height.saturating_sub(band_h + events_h),
        ..body
    };
    let events = Rect {
        y: workloads.y + workloads.height,
        height: events_h,
        ..body
    };
    OverviewAreas {
        slos,
        queues,
        workloads,
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

/// How many data rows a view's main table shows in a terminal of this size (`panes`: what
/// the overview has besides workloads).
pub fn table_rows(view: View, width: u16, height: u16, panes: OverviewPanes) -> usize {
    let body = regions(Rect::new(0, 0, width, height)).body;
    let pane = match view {
        View::Overview => overview_split(body, panes).workloads,
        View::Slos => crate::slo::view::split(body, panes.slos).table,
        _ => body,
    };
    // Borders (2) and the column header (1); logs have no header.
    let chrome = if view == View::Logs { 2 } else { 3 };
    usize::from(pane.height.saturating_sub(chrome)).max(1)
}
