//! The `:incidents` pane (one row per incident, only the rows on screen formatted) and the
//! incident view (the incident's document over the list of its alerts).

use super::queue::{
    cursor_line, empty_notice, live_mark, mark_cell, pending_cell, severity_cell, window,
};
use super::theme::Theme;
use crate::app::State;
use crate::app::format;
use crate::app::incidents::{AlertBrief, IncidentColumn, IncidentEntry, IncidentView};
use crate::app::keymap::KeyAction;
use crate::app::layout;
use crate::app::queue::Item;
use crate::outbox::TargetKind;
use crate::sanitize;
use crate::text::{fit, fit_right};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use time::OffsetDateTime;

/// Column widths for a pane `width` columns wide (the name takes what is left).
struct Columns {
    mark: usize,
    severity: usize,
    status: usize,
    name: usize,
    alerts: usize,
    sources: usize,
    assigned: usize,
    updated: usize,
}

impl Columns {
    fn new(width: usize) -> Columns {
        let wide = width >= 120;
        let mut c = Columns {
            mark: 2,
            severity: 4,
            // Wide enough for "…inProgress", the longest pending value.
            status: 11,
            name: 0,
            alerts: 5,
            sources: if wide { 28 } else { 10 },
            assigned: if wide { 20 } else { 10 },
            updated: 4,
        };
        let fixed =
            c.mark + c.severity + c.status + c.alerts + c.sources + c.assigned + c.updated + 6;
        c.name = width.saturating_sub(fixed).max(1);
        c
    }
}

/// The incidents queue in `area` (a header row, then the rows).
pub fn render_queue(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    if area.height < 2 {
        return;
    }
    let pane = &state.incidents;
    let cols = Columns::new(usize::from(area.width));
    let header = Rect::new(area.x, area.y, area.width, 1);
    let body = Rect::new(area.x, area.y + 1, area.width, area.height - 1);
    frame.render_widget(
        super::queue::sort_header(
            theme,
            pane.queue.sort(),
            cols.mark,
            &[
                (IncidentColumn::Severity, "SEV", cols.severity),
                (IncidentColumn::Status, "STATUS", cols.status),
                (IncidentColumn::Name, "NAME", cols.name),
                (IncidentColumn::Alerts, "ALRT", cols.alerts),
                (IncidentColumn::Sources, "SOURCES", cols.sources),
                (IncidentColumn::AssignedTo, "ASSIGNED", cols.assigned),
                (IncidentColumn::Updated, "UPD", cols.updated),
            ],
        ),
        header,
    );
    let view = pane.queue.view();
    if view.is_empty() {
        empty(state, theme, frame, body);
        return;
    }
    let rows = usize::from(body.height);
    let offset = window(pane.cursor.offset, pane.cursor.row, view.len(), rows);
    let now = state.display_now();
    for (i, &idx) in view.iter().enumerate().skip(offset).take(rows) {
        let area = Rect::new(body.x, body.y + (i - offset) as u16, body.width, 1);
        let line = row(state, theme, &cols, pane.queue.entry(idx), now);
        let line = if i == pane.cursor.row {
            cursor_line(theme, line, true)
        } else {
            line
        };
        frame.render_widget(line, area);
    }
}

fn row<'a>(
    state: &State,
    theme: &Theme,
    cols: &Columns,
    e: &IncidentEntry,
    now: OffsetDateTime,
) -> Line<'a> {
    let i = &e.row.incident;
    let id = e.id();
    let marked = state.incidents.marks.contains(id);
    let pending = state.writes.pending_incident_update(id);
    let p = pending.as_ref();
    let status = format::wire(i.status.as_ref().map(|s| s.as_str()));
    let assigned = sanitize::opt_line(i.assigned_to.as_deref());
    let name = sanitize::opt_line(i.display_name.as_deref());
    let gap = || Span::raw(" ");
    Line::from(vec![
        mark_cell(
            theme,
            marked,
            live_mark(&state.incidents.live, id),
            state.writes.any_pending(TargetKind::Incident, id),
        ),
        severity_cell(theme, i.severity.as_ref(), cols.severity),
        gap(),
        pending_cell(
            theme,
            (&status, theme.incident_status(i.status.as_ref())),
            p.and_then(|u| u.status.as_ref()).map(|s| s.as_str()),
            cols.status,
        ),
        gap(),
        Span::styled(
            fit(&name, cols.name),
            if marked { theme.marked() } else { theme.bold() },
        ),
        gap(),
        Span::raw(fit_right(&e.row.alerts().len().to_string(), cols.alerts)),
        gap(),
        Span::styled(fit(&e.sources, cols.sources), theme.dim()),
        gap(),
        pending_cell(
            theme,
            (&assigned, theme.plain()),
            p.and_then(|u| u.assigned_to.as_deref()),
            cols.assigned,
        ),
        gap(),
        Span::raw(fit(&format::relative(i.last_update, now), cols.updated)),
    ])
}

fn empty(state: &State, theme: &Theme, frame: &mut Frame, body: Rect) {
    let pane = &state.incidents;
    let text = if !pane.queue.query().is_empty() && !pane.queue.is_empty() {
        format!(
            "No loaded incident matches “{}” (esc clears the filter)",
            sanitize::line(pane.queue.query())
        )
    } else if pane.load.loading {
        "Loading incidents…".to_owned()
    } else {
        format!(
            "No {} incidents (key {} changes what is loaded)",
            pane.preset.incident_label(),
            state.keymap().label(KeyAction::StatusPreset),
        )
    };
    empty_notice(theme, frame, body, text);
}

/// The incident view in `area`: the incident's document, then its alerts with a cursor.
pub fn render_view(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    let Some(v) = state.incidents.view.as_ref() else {
        return;
    };
    let now = state.display_now();
    let doc = state.incident_document(&v.row, usize::from(area.width));
    let (doc_area, list_area) = layout::incident_view(area, v.row.alerts().len(), doc.len());
    let rows = usize::from(doc_area.height);
    let scroll = v.scroll.min(doc.len().saturating_sub(rows));
    let lines: Vec<Line> = doc
        .iter()
        .skip(scroll)
        .take(rows)
        .map(|l| super::detail::styled(l, theme))
        .collect();
    frame.render_widget(Paragraph::new(lines), doc_area);
    alert_list(
        state,
        theme,
        frame,
        list_area,
        v,
        now,
        (scroll, doc.len(), rows),
    );
}

/// The incident's alerts under a rule that names them and says where the document is.
fn alert_list(
    state: &State,
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
    v: &IncidentView,
    now: OffsetDateTime,
    (scroll, doc_len, doc_rows): (usize, usize, usize),
) {
    let alerts = v.row.alerts();
    let open = alerts
        .iter()
        .filter(|a| crate::app::incidents::is_open(a.status()))
        .count();
    let km = state.keymap();
    let mut hint = format!(
        " {} opens · {} back ",
        km.label(KeyAction::Open),
        km.label(KeyAction::Back)
    );
    if doc_len > doc_rows {
        // Where the incident's document is, and how to scroll it.
        hint = format!(
            " {}-{}/{doc_len} {}/{} ·{hint}",
            scroll + 1,
            (scroll + doc_rows).min(doc_len),
            km.label(KeyAction::PageUp),
            km.label(KeyAction::PageDown),
        );
    }
    let title = match &v.row.alerts {
        Some(_) => format!(" Alerts ({}, {open} open) ", alerts.len()),
        None => " Alerts (loading…) ".to_owned(),
    };
    let block = Block::new()
        .borders(Borders::TOP)
        .border_style(theme.accent())
        .title(Line::styled(title, theme.bold()))
        .title(Line::styled(hint, theme.dim()).right_aligned());
    frame.render_widget(block, area);
    if area.height < 3 {
        return;
    }
    let w = usize::from(area.width);
    let (source, age) = (if w >= 120 { 12 } else { 9 }, 4);
    let title_w = w.saturating_sub(2 + 4 + 11 + source + age + 4).max(1);
    let header = Line::from(vec![
        Span::raw("  "),
        Span::styled(fit("SEV", 4), theme.header()),
        Span::raw(" "),
        Span::styled(fit("STATUS", 11), theme.header()),
        Span::raw(" "),
        Span::styled(fit("TITLE", title_w), theme.header()),
        Span::raw(" "),
        Span::styled(fit("SOURCE", source), theme.header()),
        Span::raw(" "),
        Span::styled(fit("AGE", age), theme.header()),
    ]);
    frame.render_widget(header, Rect::new(area.x, area.y + 1, area.width, 1));
    let body = Rect::new(area.x, area.y + 2, area.width, area.height - 2);
    if alerts.is_empty() {
        empty_notice(theme, frame, body, "No alerts listed".to_owned());
        return;
    }
    let rows = usize::from(body.height);
    let offset = window(v.alert_offset, v.alert_cursor, alerts.len(), rows);
    for (i, a) in alerts.iter().enumerate().skip(offset).take(rows) {
        let line = alert_row(state, theme, a, now, (title_w, source, age));
        let line = if i == v.alert_cursor {
            cursor_line(theme, line, true)
        } else {
            line
        };
        let r = Rect::new(body.x, body.y + (i - offset) as u16, body.width, 1);
        frame.render_widget(line, r);
    }
}

fn alert_row<'a>(
    state: &State,
    theme: &Theme,
    a: &AlertBrief,
    now: OffsetDateTime,
    (title_w, source, age): (usize, usize, usize),
) -> Line<'a> {
    let pending = state.writes.pending_update(&a.id);
    let status = format::status(a.status());
    let title = sanitize::opt_line(a.title.as_deref());
    let gap = || Span::raw(" ");
    Line::from(vec![
        mark_cell(
            theme,
            false,
            live_mark(&state.live, &a.id),
            state.writes.any_pending(TargetKind::Alert, &a.id),
        ),
        severity_cell(theme, a.severity.as_ref(), 4),
        gap(),
        pending_cell(
            theme,
            (&status, theme.status(a.status())),
            pending
                .as_ref()
                .and_then(|u| u.status.as_ref())
                .map(|s| s.as_str()),
            11,
        ),
        gap(),
        Span::raw(fit(&title, title_w)),
        gap(),
        Span::styled(
            fit(&format::service_short(a.service_source.as_ref()), source),
            theme.dim(),
        ),
        gap(),
        Span::raw(fit(&format::relative(a.created, now), age)),
    ])
}
