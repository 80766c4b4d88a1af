//! The alert table. Only the rows on screen are formatted: with 100,000 alerts loaded a
//! frame still touches about fifty of them.

use super::theme::Theme;
use crate::app::format;
use crate::app::keymap::KeyAction;
use crate::app::live::{Fresh, Live};
use crate::app::queue::{Column, Sort, SortColumn};
use crate::app::{Focus, State};
use crate::graph::enums::AlertSeverity;
use crate::graph::models::Alert;
use crate::outbox::TargetKind;
use crate::sanitize;
use crate::text::fit;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
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
    let offset = window(state.offset, state.cursor, view.len(), rows);
    let now = state.display_now();
    for (i, &idx) in view.iter().enumerate().skip(offset).take(rows) {
        let alert = &state.queue.entry(idx).alert;
        let area = Rect::new(body.x, body.y + (i - offset) as u16, body.width, 1);
        let line = row(state, theme, &cols, alert, now, i == state.cursor);
        frame.render_widget(line, area);
    }
}

/// The first row to draw: `update` keeps `offset` in step with the cursor; clamped again
/// in case this frame's size differs from the one `update` last saw.
pub(super) fn window(offset: usize, cursor: usize, len: usize, rows: usize) -> usize {
    let mut offset = offset.min(len.saturating_sub(1));
    if cursor < offset {
        offset = cursor;
    } else if cursor >= offset + rows {
        offset = cursor + 1 - rows;
    }
    offset
}

/// A header of sortable columns: the sort column carries its direction.
pub(super) fn sort_header<'a, C: Column>(
    theme: &Theme,
    sort: Sort<C>,
    lead: usize,
    columns: &[(C, &str, usize)],
) -> Line<'a> {
    let mut spans = vec![Span::raw(fit("", lead))];
    for (i, &(col, label, width)) in columns.iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw(" "));
        }
        let text = if sort.column == col {
            format!("{label}{}", if sort.descending { "↓" } else { "↑" })
        } else {
            label.to_owned()
        };
        spans.push(Span::styled(fit(&text, width), theme.header()));
    }
    Line::from(spans)
}

fn header_line<'a>(state: &State, theme: &Theme, cols: &Columns) -> Line<'a> {
    sort_header(
        theme,
        state.queue.sort(),
        cols.mark,
        &[
            (SortColumn::Severity, "SEV", cols.severity),
            (SortColumn::Status, "STATUS", cols.status),
            (SortColumn::Title, "TITLE", cols.title),
            (SortColumn::Source, "SOURCE", cols.source),
            (SortColumn::Created, "AGE", cols.created),
            (SortColumn::AssignedTo, "ASSIGNED", cols.assigned),
        ],
    )
}

/// The two leading columns: `*` when marked, else what polling found (`live`, from
/// [`live_mark`]); then `…` while a write is pending.
pub(super) fn mark_cell(theme: &Theme, marked: bool, live: char, pending: bool) -> Span<'static> {
    let text = format!(
        "{}{}",
        if marked { '*' } else { live },
        if pending { '…' } else { ' ' }
    );
    Span::styled(text, theme.marked())
}

/// What polling found about row `id`: `!` someone else's change and a pending one of the
/// analyst's disagree, `+` new, `~` changed (until looked at), else blank.
pub(super) fn live_mark(live: &Live, id: &str) -> char {
    if live.theirs.contains_key(id) {
        return '!';
    }
    match live.fresh.get(id) {
        Some(Fresh::New) => '+',
        Some(Fresh::Changed) => '~',
        None => ' ',
    }
}

/// A value, or the value a pending write is setting (`…resolved`, in the pending style).
pub(super) fn pending_cell(
    theme: &Theme,
    current: (&str, Style),
    pending: Option<&str>,
    width: usize,
) -> Span<'static> {
    match pending {
        Some(p) => Span::styled(
            fit(&format!("…{}", sanitize::line(p)), width),
            theme.pending(),
        ),
        None => Span::styled(fit(current.0, width), current.1),
    }
}

/// Severity as text (HIGH, MED…) and colour.
pub(super) fn severity_cell(
    theme: &Theme,
    severity: Option<&AlertSeverity>,
    width: usize,
) -> Span<'static> {
    Span::styled(
        fit(&format::severity(severity), width),
        theme.severity(severity),
    )
}

/// The cursor row in reverse video, which reads on any palette and with NO_COLOR; dimmed
/// while another pane has the keys (it still says what that pane shows).
pub(super) fn cursor_line<'a>(theme: &Theme, line: Line<'a>, focused: bool) -> Line<'a> {
    let style = if focused {
        theme.cursor()
    } else {
        theme.cursor().add_modifier(ratatui::style::Modifier::DIM)
    };
    line.style(style)
}

/// A one-line notice a third of the way down an empty list.
pub(super) fn empty_notice(theme: &Theme, frame: &mut Frame, body: Rect, text: String) {
    let area = Rect::new(body.x, body.y + body.height / 3, body.width, 1);
    frame.render_widget(
        Paragraph::new(Line::styled(text, theme.dim())).centered(),
        area,
    );
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
    let live = live_mark(&state.live, &alert.id);
    let status = format::status(alert.status.as_ref());
    let assigned = sanitize::opt_line(alert.assigned_to.as_deref());
    let title = sanitize::opt_line(alert.title.as_deref());
    let title_style = if marked {
        theme.marked()
    } else if live != ' ' {
        // Unseen rows stand out without colour too.
        theme.bold()
    } else {
        theme.plain()
    };
    let p = pending.as_ref();
    let gap = || Span::raw(" ");
    let line = Line::from(vec![
        mark_cell(theme, marked, live, any_pending),
        severity_cell(theme, alert.severity.as_ref(), cols.severity),
        gap(),
        pending_cell(
            theme,
            (&status, theme.status(alert.status.as_ref())),
            p.and_then(|u| u.status.as_ref()).map(|s| s.as_str()),
            cols.status,
        ),
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
        pending_cell(
            theme,
            (&assigned, theme.plain()),
            p.and_then(|u| u.assigned_to.as_deref()),
            cols.assigned,
        ),
    ]);
    if is_cursor {
        // It stays on in the split view while the detail has focus: it says which alert
        // the detail shows.
        cursor_line(theme, line, state.focus == Focus::Queue)
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
    empty_notice(theme, frame, body, text);
}
