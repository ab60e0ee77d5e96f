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

use super::pane::Band;

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

/// The overview, top to bottom: a band of the panes' overview panes (SLOs, queues, budgets:
/// side by side when the screen is wide, stacked otherwise), the workloads, then warnings (a
/// third of the body, 4 to 12 lines).
///
/// ```text
/// wide (>= 160 cols)               narrow
/// +--------+---------+-------+    +---------------+
/// | SLOs   | queues  | costs |    | SLOs          |
/// +--------+---------+-------+    | queues        |
/// | workloads                |    | costs         |
/// | warnings                 |    | workloads     |
/// +--------------------------+    | warnings      |
///                                 +---------------+
/// ```
pub struct OverviewAreas {
    /// One per band given, in the same order (None: it gave way).
    pub bands: Vec<Option<Rect>>,
    pub workloads: Rect,
    pub events: Rect,
}

/// Lines the workloads pane keeps however crowded the screen (4 data rows).
const MIN_WORKLOADS: u16 = 7;
/// Borders and the column header.
const PANE_CHROME: u16 = 3;

/// Places the band panes (`bands`, in any order; each says where it goes and when it gives
/// way) above the workloads and warnings.
pub fn overview_split(body: Rect, bands: &[Band]) -> OverviewAreas {
    let want = |b: &Band| {
        if b.rows == 0 {
            0
        } else {
            b.rows.min(b.max_rows) as u16 + PANE_CHROME
        }
    };
    // Work in band order (left to right, top to bottom); remember where each came from.
    let mut order: Vec<usize> = (0..bands.len()).collect();
    order.sort_by_key(|&i| bands[i].order);
    let wanted: Vec<u16> = order.iter().map(|&i| want(&bands[i])).collect();
    let mut h = wanted.clone();
    let side_by_side = body.width >= 160 && h.iter().filter(|&&x| x > 0).count() > 1;
    let band = |h: &[u16]| {
        if side_by_side {
            h.iter().copied().max().unwrap_or(0)
        } else {
            h.iter().sum()
        }
    };
    let mut events_h = (body.height / 3).clamp(4, 12).min(body.height);
    if band(&h) + events_h + MIN_WORKLOADS > body.height {
        events_h = events_h.min(4);
    }
    let room = body.height.saturating_sub(events_h + MIN_WORKLOADS);
    // Too crowded: take a row from the tallest pane (the later one on a tie), down to one row.
    let one_row = PANE_CHROME + 1;
    while band(&h) > room {
        let tallest = (0..h.len())
            .filter(|&i| h[i] > one_row)
            .max_by_key(|&i| (h[i], i));
        match tallest {
            Some(i) => h[i] -= 1,
            None => break,
        }
    }
    // Still too crowded: drop panes, the first to give way first; then give the room a dropped
    // pane leaves back to the others, in band order.
    let mut giving: Vec<usize> = (0..h.len()).collect();
    giving.sort_by_key(|&i| std::cmp::Reverse(bands[order[i]].gives_way));
    for i in giving {
        if band(&h) > room {
            h[i] = 0;
        }
    }
    for i in 0..h.len() {
        while h[i] > 0 && h[i] < wanted[i] {
            h[i] += 1;
            if band(&h) > room {
                h[i] -= 1;
                break;
            }
        }
    }
    let band_h = band(&h);
    let mut rects = vec![None; bands.len()];
    let (mut x, mut y) = (body.x, body.y);
    let visible = h.iter().filter(|&&x| x > 0).count() as u16;
    let mut placed = 0;
    for (k, &i) in order.iter().enumerate() {
        if h[k] == 0 {
            continue;
        }
        rects[i] = Some(if side_by_side {
            placed += 1;
            // The last pane takes the rounding remainder.
            let w = if placed == visible {
                body.x + body.width - x
            } else {
                body.width / visible
            };
            let r = Rect::new(x, body.y, w, band_h);
            x += w;
            r
        } else {
            let r = Rect::new(body.x, y, body.width, h[k]);
            y += h[k];
            r
        });
    }
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
        bands: rects,
        workloads,
        events,
    }
}

/// A table on top as tall as its rows (at least one, at most half the body) and the rest of
/// the body below it: the SLO and cost views' shape.
pub fn table_over_rest(body: Rect, rows: usize) -> (Rect, Rect) {
    let top = (rows as u16 + PANE_CHROME)
        .clamp(4, (body.height / 2).max(4))
        .min(body.height);
    let rest = Rect {
        y: body.y + top,
        height: body.height - top,
        ..body
    };
    (
        Rect {
            height: top,
            ..body
        },
        rest,
    )
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
