//! The alert table. Only the rows on screen are formatted: with 100,000 alerts loaded a
//! frame still touches about fifty of them.

use super::theme::Theme;
use crate::app::format;
use crate::app::keymap::KeyAction;
use crate::app::queue::SortColumn;
use crate::app::{Focus, State};
use crate::graph::models::Alert;
use crate::outbox::TargetKind;
use crate::sanitize;
use crate::text::fit;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// Column widths for a queue `width` columns wide (title takes what is left).
struct Columns {
    mark: usize,
    severity: usize,
    status: usize,
    title: usize,
    source: usize,
    created: usize,
    assigned: usize,
}

impl Columns {
    fn new(width: usize) -> Columns {
        let narrow = width < 80;
        let mut c = Columns {
            mark: 2,
            severity: 4,
            // Wide enough for "…inProgress", the longest pending value.
            status: 11,
            title: 0,
            source: if narrow { 7 } else { 9 },
            created: 4,
            assigned: if narrow { 10 } else { 16 },
        };
        let fixed = c.mark + c.severity + c.status + c.source + c.created + c.assigned + 5;
        c.title = width.saturating_sub(fixed).max(1);
        c
    }
}

pub fn render(state: &State, theme: &Theme, frame: &mut Frame, header: Rect, body: Rect) {
    let cols = Columns::new(usize::from(header.width));
    frame.render_widget(header_line(state, theme, &cols), header);

    let view = state.queue.view();
    if view.is_empty() {
        empty(state, theme, frame, body);
        return;
    }
    let rows = usize::from(body.height);
    // `update` keeps `offset` in step with the cursor; clamp again in case this frame's size
    // differs from the one `update` last saw.
    let mut offset = state.offset.min(view.len().saturating_sub(1));
    if state.cursor < offset {
        offset = state.cursor;
    } else if state.cursor >= offset + rows {
        offset = state.cursor + 1 - rows;
    }
    let now = state.display_now();
    for (i, &idx) in view.iter().enumerate().skip(offset).take(rows) {
        let alert = &state.queue.entry(idx).alert;
        let area = Rect::new(body.x, body.y + (i - offset) as u16, body.width, 1);
        let line = row(state, theme, &cols, alert, now, i == state.cursor);
        frame.render_widget(line, area);
    }
}

fn header_line<'a>(state: &State, theme: &Theme, cols: &Columns) -> Line<'a> {
    let sort = state.queue.sort();
    let name = |col: SortColumn, label: &str, width: usize| {
        let text = if sort.column == col {
            format!("{label}{}", if sort.descending { "↓" } else { "↑" })
        } else {
            label.to_owned()
        };
        Span::styled(fit(&text, width), theme.header())
    };
    let gap = || Span::raw(" ");
    Line::from(vec![
        Span::raw(fit("", cols.mark)),
        name(SortColumn::Severity, "SEV", cols.severity),
        gap(),
        name(SortColumn::Status, "STATUS", cols.status),
        gap(),
        name(SortColumn::Title, "TITLE", cols.title),
        gap(),
        name(SortColumn::Source, "SOURCE", cols.source),
        gap(),
        name(SortColumn::Created, "AGE", cols.created),
        gap(),
        name(SortColumn::AssignedTo, "ASSIGNED", cols.assigned),
    ])
}

fn row<'a>(
    state: &State,
    theme: &Theme,
    cols: &Columns,
    alert: &Alert,
    now: time::OffsetDateTime,
    is_cursor: bool,
) -> Line<'a> {
    let marked = state.marks.contains(&alert.id);
    let pending = state.writes.pending_update(&alert.id);
    let any_pending = state.writes.any_pending(TargetKind::Alert, &alert.id);
    let mark = format!(
        "{}{}",
        if marked { '*' } else { ' ' },
        if any_pending { '…' } else { ' ' }
    );

    let (status_text, status_style) = match pending.as_ref().and_then(|u| u.status.as_ref()) {
        Some(s) => (format!("…{}", format::status(Some(s))), theme.pending()),
        None => (
            format::status(alert.status.as_ref()).into_owned(),
            theme.status(alert.status.as_ref()),
        ),
    };
    let (assigned_text, assigned_style) =
        match pending.as_ref().and_then(|u| u.assigned_to.as_deref()) {
            Some(a) => (format!("…{}", sanitize::line(a)), theme.pending()),
            None => (
                sanitize::opt_line(alert.assigned_to.as_deref()).into_owned(),
                theme.plain(),
            ),
        };
    let title = sanitize::opt_line(alert.title.as_deref());
    let title_style = if marked {
        theme.marked()
    } else {
        theme.plain()
    };
    let gap = || Span::raw(" ");
    let line = Line::from(vec![
        Span::styled(mark, theme.marked()),
        Span::styled(
            fit(&format::severity(alert.severity.as_ref()), cols.severity),
            theme.severity(alert.severity.as_ref()),
        ),
        gap(),
        Span::styled(fit(&status_text, cols.status), status_style),
        gap(),
        Span::styled(fit(&title, cols.title), title_style),
        gap(),
        Span::styled(
            fit(
                &format::service_short(alert.service_source.as_ref()),
                cols.source,
            ),
            theme.dim(),
        ),
        gap(),
        Span::raw(fit(&format::relative(alert.created, now), cols.created)),
        gap(),
        Span::styled(fit(&assigned_text, cols.assigned), assigned_style),
    ]);
    if is_cursor {
        // Reverse video shows the cursor on any palette, and with NO_COLOR. It stays on in
        // the split view while the detail has focus: it says which alert the detail shows.
        let style = if state.focus == Focus::Queue {
            theme.cursor()
        } else {
            theme.cursor().add_modifier(ratatui::style::Modifier::DIM)
        };
        line.style(style)
    } else {
        line
    }
}

fn empty(state: &State, theme: &Theme, frame: &mut Frame, body: Rect) {
    let text = if !state.queue.query().is_empty() && !state.queue.is_empty() {
        format!(
            "No loaded alert matches “{}” (esc clears the filter)",
            sanitize::line(state.queue.query())
        )
    } else if state.load.loading {
        "Loading alerts…".to_owned()
    } else {
        let km = state.keymap();
        format!(
            "No {} alerts, {} (keys {} and {} change what is loaded)",
            state.status_preset.label(),
            state.time_preset.label(),
            km.label(KeyAction::StatusPreset),
            km.label(KeyAction::TimePreset),
        )
    };
    let area = Rect::new(body.x, body.y + body.height / 3, body.width, 1);
    frame.render_widget(
        Paragraph::new(Line::styled(text, theme.dim())).centered(),
        area,
    );
}
