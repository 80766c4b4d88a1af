//! The `:entities` pane: one row per entity, best score first. Only the rows on screen are
//! formatted. Severity is text (HIGH, MED…) as well as colour, so NO_COLOR keeps meaning.

use super::theme::Theme;
use crate::app::State;
use crate::app::entities::EntitiesView;
use crate::app::format;
use crate::app::keymap::KeyAction;
use crate::correlate::Entity;
use crate::sanitize;
use crate::text::{fit, fit_right};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

/// Column widths for a pane `width` columns wide (the name takes what is left). Wide
/// terminals also get first-seen and the sources by name.
struct Columns {
    kind: usize,
    name: usize,
    alerts: usize,
    incidents: usize,
    sources: usize,
    severity: usize,
    first: usize,
    last: usize,
    score: usize,
    source_names: usize,
}

impl Columns {
    fn new(width: usize) -> Columns {
        let wide = width >= 120;
        let mut c = Columns {
            kind: 7,
            name: 0,
            alerts: 6,
            incidents: 4,
            sources: 3,
            severity: 4,
            first: if wide { 5 } else { 0 },
            last: 5,
            score: 6,
            source_names: if wide { 30 } else { 0 },
        };
        let gaps = if wide { 9 } else { 7 };
        let fixed = c.kind
            + c.alerts
            + c.incidents
            + c.sources
            + c.severity
            + c.first
            + c.last
            + c.score
            + c.source_names
            + gaps;
        c.name = width.saturating_sub(fixed).max(1);
        c
    }
}

pub fn render(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    let Some(view) = state.entities.as_ref() else {
        return;
    };
    if area.height < 2 {
        return;
    }
    let cols = Columns::new(usize::from(area.width));
    let header = Rect::new(area.x, area.y, area.width, 1);
    let body = Rect::new(area.x, area.y + 1, area.width, area.height - 1);
    frame.render_widget(header_line(theme, &cols), header);
    if view.is_empty() {
        empty(state, view, theme, frame, body);
        return;
    }
    let rows = usize::from(body.height);
    let offset = super::queue::window(view.offset, view.cursor, view.len(), rows);
    let now = state.display_now();
    for (i, e) in view.rows().enumerate().skip(offset).take(rows) {
        let area = Rect::new(body.x, body.y + (i - offset) as u16, body.width, 1);
        let mut line = row(theme, &cols, e, now);
        if i == view.cursor {
            line = line.style(theme.cursor());
        }
        frame.render_widget(line, area);
    }
}

fn header_line<'a>(theme: &Theme, c: &Columns) -> Line<'a> {
    let h = |s: &str, w: usize| Span::styled(fit(s, w), theme.header());
    let r = |s: &str, w: usize| Span::styled(fit_right(s, w), theme.header());
    let gap = || Span::raw(" ");
    let mut spans = vec![
        h("KIND", c.kind),
        gap(),
        h("NAME", c.name),
        gap(),
        r("ALERTS", c.alerts),
        gap(),
        r("INC", c.incidents),
        gap(),
        r("SRC", c.sources),
        gap(),
        h("SEV", c.severity),
        gap(),
    ];
    if c.first > 0 {
        spans.extend([h("FIRST", c.first), gap()]);
    }
    spans.extend([h("LAST", c.last), gap(), r("SCORE↓", c.score)]);
    if c.source_names > 0 {
        spans.extend([gap(), h("SOURCES", c.source_names)]);
    }
    Line::from(spans)
}

fn row<'a>(theme: &Theme, c: &Columns, e: &Entity, now: time::OffsetDateTime) -> Line<'a> {
    let gap = || Span::raw(" ");
    let num = |n: usize, w: usize| Span::raw(fit_right(&n.to_string(), w));
    // Names were sanitised when the alert arrived; again here, cheaply, as a backstop.
    let name = sanitize::line(&e.name);
    let mut spans = vec![
        Span::styled(fit(e.kind.as_str(), c.kind), theme.dim()),
        gap(),
        Span::styled(fit(&name, c.name), theme.bold()),
        gap(),
        num(e.alerts, c.alerts),
        gap(),
        num(e.incidents, c.incidents),
        gap(),
        num(e.sources.len(), c.sources),
        gap(),
        Span::styled(
            fit(&format::severity(e.severity.as_ref()), c.severity),
            theme.severity(e.severity.as_ref()),
        ),
        gap(),
    ];
    if c.first > 0 {
        spans.extend([
            Span::raw(fit(&format::relative(e.first_seen, now), c.first)),
            gap(),
        ]);
    }
    spans.extend([
        Span::raw(fit(&format::relative(e.last_seen, now), c.last)),
        gap(),
        Span::styled(fit_right(&e.score.to_string(), c.score), theme.accent()),
    ]);
    if c.source_names > 0 {
        let names: Vec<_> = e
            .sources
            .iter()
            .map(|s| {
                let source = crate::graph::enums::ServiceSource::parse(s);
                format::service_short(Some(&source)).into_owned()
            })
            .collect();
        spans.extend([
            gap(),
            Span::styled(fit(&names.join(","), c.source_names), theme.dim()),
        ]);
    }
    Line::from(spans)
}

fn empty(state: &State, view: &EntitiesView, theme: &Theme, frame: &mut Frame, body: Rect) {
    let km = state.keymap();
    let text = if view.total() == 0 {
        if state.load.loading {
            "Loading alerts…".to_owned()
        } else {
            "No user, device, IP, file, URL or mailbox in the loaded alerts' evidence".to_owned()
        }
    } else if !view.query.is_empty() {
        format!(
            "No entity matches “{}” (esc clears the filter)",
            sanitize::line(&view.query)
        )
    } else {
        format!(
            "No entity of this kind ({} changes the kind, esc goes back)",
            km.label(KeyAction::EntityKind)
        )
    };
    super::queue::empty_notice(theme, frame, body, text);
}
