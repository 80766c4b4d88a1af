//! Screen geometry, shared by `update` (page size, detail wrap width) and the renderer, so
//! that what a key scrolls and what is drawn never disagree.

use ratatui::layout::Rect;

/// Below this the console draws only a "terminal too small" notice.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 15;
/// From this width the detail sits beside the queue instead of replacing it.
pub const SPLIT_WIDTH: u16 = 120;

/// Where each part of the screen goes for one terminal size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Screen {
    pub too_small: bool,
    pub split: bool,
    /// Profile, endpoint, presets, sort.
    pub top: Rect,
    /// Everything between the top bar and the status line (help and dialogs go here).
    pub middle: Rect,
    /// Queue header row (column names).
    pub queue_header: Option<Rect>,
    /// Queue rows.
    pub queue_body: Option<Rect>,
    /// The detail pane, border and title included.
    pub detail: Option<Rect>,
    /// Inside the detail pane's border: where document lines go.
    pub detail_body: Option<Rect>,
    /// Counts, loading, writes, last message.
    pub status: Rect,
    /// Key hints, or the filter / command line while typing.
    pub bottom: Rect,
}

impl Screen {
    /// The layout for `area`; `detail_focused` picks the full-screen detail on narrow
    /// terminals (on wide ones the detail is always beside the queue).
    pub fn new(area: Rect, detail_focused: bool) -> Screen {
        Screen::with_split(area, detail_focused, true)
    }

    /// [`Screen::new`], with the split view allowed or not (a detail that did not come from
    /// the queue takes the whole width).
    pub fn with_split(area: Rect, detail_focused: bool, allow_split: bool) -> Screen {
        let too_small = area.width < MIN_WIDTH || area.height < MIN_HEIGHT;
        let row = |y: u16| Rect::new(area.x, y, area.width, 1.min(area.height));
        let top = row(area.y);
        let bottom = row(area.bottom().saturating_sub(1));
        let status = row(area.bottom().saturating_sub(2));
        let mut screen = Screen {
            too_small,
            split: false,
            top,
            middle: Rect::default(),
            queue_header: None,
            queue_body: None,
            detail: None,
            detail_body: None,
            status,
            bottom,
        };
        if too_small {
            return screen;
        }
        let middle = Rect::new(area.x, area.y + 1, area.width, area.height - 3);
        screen.middle = middle;
        let split = allow_split && area.width >= SPLIT_WIDTH;
        screen.split = split;
        let (queue, detail) = if split {
            let qw = area.width * 11 / 20;
            (
                Some(Rect::new(middle.x, middle.y, qw, middle.height)),
                Some(Rect::new(
                    middle.x + qw,
                    middle.y,
                    middle.width - qw,
                    middle.height,
                )),
            )
        } else if detail_focused {
            (None, Some(middle))
        } else {
            (Some(middle), None)
        };
        if let Some(q) = queue {
            screen.queue_header = Some(Rect::new(q.x, q.y, q.width, 1));
            screen.queue_body = Some(Rect::new(q.x, q.y + 1, q.width, q.height - 1));
        }
        if let Some(d) = detail {
            screen.detail = Some(d);
            // A title row on top and, beside the queue, a one-column rule on the left.
            let left = u16::from(split);
            screen.detail_body = Some(Rect::new(d.x + left, d.y + 1, d.width - left, d.height - 1));
        }
        screen
    }

    /// Number of queue rows on screen (0 when the queue is hidden).
    pub fn queue_rows(&self) -> usize {
        self.queue_body.map_or(0, |r| usize::from(r.height))
    }
}

/// The incident view's two parts of `middle`: the incident's document (`doc_lines` long)
/// on top, and below it its alerts (a title row, a header row, then one row per alert).
/// The alerts get what they need up to half the height; the document what it needs of the
/// rest; the alerts whatever is left after that.
pub fn incident_view(middle: Rect, alerts: usize, doc_lines: usize) -> (Rect, Rect) {
    let want = u16::try_from(alerts.max(1) + 2).unwrap_or(u16::MAX);
    let list_min = want.min((middle.height / 2).max(3)).min(middle.height);
    let doc_h = u16::try_from(doc_lines)
        .unwrap_or(u16::MAX)
        .min(middle.height - list_min);
    let doc = Rect::new(middle.x, middle.y, middle.width, doc_h);
    let list = Rect::new(
        middle.x,
        middle.y + doc_h,
        middle.width,
        middle.height - doc_h,
    );
    (doc, list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrow_terminals_switch_between_queue_and_detail() {
        let area = Rect::new(0, 0, 80, 24);
        let q = Screen::new(area, false);
        assert!(!q.split && !q.too_small);
        assert_eq!(q.queue_rows(), 20);
        assert!(q.detail.is_none());
        let d = Screen::new(area, true);
        assert!(d.queue_body.is_none());
        assert_eq!(d.detail_body.unwrap().height, 20);
    }

    #[test]
    fn wide_terminals_split() {
        let s = Screen::new(Rect::new(0, 0, 160, 48), false);
        assert!(s.split);
        assert_eq!(s.queue_body.unwrap().width + s.detail.unwrap().width, 160);
    }

    #[test]
    fn the_incident_view_gives_its_alerts_up_to_half() {
        let middle = Rect::new(0, 1, 80, 21);
        // A long document: the alerts get what they need, up to half.
        let (doc, list) = incident_view(middle, 3, 100);
        assert_eq!((doc.height, list.height, list.y), (16, 5, 17));
        let (doc, list) = incident_view(middle, 40, 100);
        assert_eq!((doc.height, list.height), (11, 10));
        // A short one: the alerts follow it and take the rest.
        let (doc, list) = incident_view(middle, 40, 6);
        assert_eq!((doc.height, list.y, list.height), (6, 7, 15));
    }

    #[test]
    fn too_small_is_flagged() {
        assert!(Screen::new(Rect::new(0, 0, 59, 24), false).too_small);
        assert!(Screen::new(Rect::new(0, 0, 80, 14), false).too_small);
        assert!(!Screen::new(Rect::new(0, 0, 60, 15), false).too_small);
    }
}
