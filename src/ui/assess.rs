//! The `:assess` pane: the threat assessment requests (newest first), one request's fields
//! and results, the new-assessment form, and the pane's parts of the bars. Only rows on
//! screen are formatted; every Graph string is sanitised (in `app::assess`).

use super::detail::styled;
use super::queue::empty_notice;
use super::table::{Col, col, flex, table};
use super::theme::Theme;
use crate::app::assess::{kind_label, rows, status_word, subject, verdicts};
use crate::app::assess_form::{AssessForm, EXPECTED, FormField, label};
use crate::app::format;
use crate::app::keymap::KeyAction;
use crate::app::score::Fetch;
use crate::app::{Focus, State};
use crate::graph::assess::{AssessmentKind, ThreatCategory};
use crate::text::{truncate, width};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use time::OffsetDateTime;

pub(super) fn render(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    if state.focus == Focus::Assessment {
        render_detail(state, theme, frame, area);
    } else {
        render_list(state, theme, frame, area);
    }
}

/// Created, with the time of day: the date alone at 80 columns would hide that three
/// requests were sent a minute apart.
fn when(t: Option<OffsetDateTime>, wide: bool) -> String {
    match t {
        None => "-".to_owned(),
        Some(t) if wide => format::datetime(t).trim_end_matches(" UTC").to_owned(),
        // "11-26 14:02"
        Some(t) => format::datetime(t)
            .get(5..16)
            .map_or_else(|| "-".to_owned(), str::to_owned),
    }
}

/// The columns, the subject taking what is left. At 80 columns the content type gives way
/// (the kind says it: url, file, mail); the detail has it.
fn columns(wide: bool) -> Vec<Col> {
    let mut cols = vec![col("kind", 10), col("category", 8), flex("subject")];
    if wide {
        cols.push(col("type", 4));
    }
    cols.extend([
        col("status", 9),
        col("created", if wide { 16 } else { 11 }),
        col("verdict", if wide { 36 } else { 14 }),
    ]);
    cols
}

fn render_list(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    let pane = &state.assess;
    let rows = rows(pane);
    let wide = area.width >= 120;
    let cols = columns(wide);
    // The last column stays empty: the form opens over the list and leaves it uncovered.
    let listed = Rect {
        width: area.width.saturating_sub(1),
        ..area
    };
    if rows.is_empty() {
        table(theme, frame, listed, &cols, 0, 0, 0, true, |_| {
            (vec![], None)
        });
        let body = Rect::new(
            area.x,
            area.y + 1,
            area.width,
            area.height.saturating_sub(1),
        );
        let text = match &pane.list_fetch {
            Fetch::Loading | Fetch::NotAsked => "Reading the threat assessment requests…".into(),
            Fetch::Failed(e) => format!("Could not read the assessment requests: {e}"),
            Fetch::Loaded if pane.list.is_empty() => {
                "No threat assessment requests yet (n submits one)".to_owned()
            }
            Fetch::Loaded => "No request matches the filter (esc clears it)".to_owned(),
        };
        empty_notice(theme, frame, body, text);
        return;
    }
    table(
        theme,
        frame,
        listed,
        &cols,
        rows.len(),
        pane.cursor,
        pane.offset,
        true,
        |i| {
            let r = &pane.list[rows[i]];
            let mut cells = vec![
                kind_label(r),
                format::wire(r.category.as_ref().map(|c| c.as_str())).into_owned(),
                subject(r),
            ];
            if wide {
                cells.push(format::wire(r.content_type.as_ref().map(|c| c.as_str())).into_owned());
            }
            cells.extend([status_word(r), when(r.created, wide), verdicts(r)]);
            (cells, r.is_pending().then(|| theme.pending()))
        },
    );
}

fn render_detail(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    let Some(doc) = state.assess_document() else {
        empty_notice(
            theme,
            frame,
            area,
            "That request is no longer listed (esc goes back)".to_owned(),
        );
        return;
    };
    let height = usize::from(area.height);
    let scroll = state.assess.scroll.min(doc.len().saturating_sub(height));
    let lines: Vec<Line> = doc
        .iter()
        .skip(scroll)
        .take(height)
        .map(|l| styled(l, theme))
        .collect();
    frame.render_widget(Paragraph::new(lines), area);
}

/// A picker's options on one line, the chosen one highlighted.
fn picker(theme: &Theme, options: &[&str], chosen: usize, focused: bool) -> Line<'static> {
    let mut spans = Vec::new();
    for (i, o) in options.iter().enumerate() {
        let text = format!(" {o} ");
        let style = match (i == chosen, focused) {
            (true, true) => theme.cursor(),
            (true, false) => theme.bold(),
            (false, _) => theme.dim(),
        };
        spans.push(Span::styled(text, style));
        spans.push(Span::raw(" "));
    }
    Line::from(spans)
}

/// The new-assessment form: each field of the chosen kind on two lines (label, input),
/// then the complaint about the field at fault, if any.
pub(super) fn render_form(theme: &Theme, frame: &mut Frame, middle: Rect, form: &AssessForm) {
    let fields = form.fields();
    // Two rows a field, three for the complaint (a 429's is long), the border.
    let wanted = fields.len() as u16 * 2 + 5;
    let w = middle.width.min(78);
    let h = middle.height.min(wanted);
    let area = Rect::new(
        middle.x + (middle.width - w) / 2,
        middle.y + (middle.height - h) / 2,
        w,
        h,
    );
    let block = Block::bordered()
        .border_style(theme.accent())
        .title(Line::styled(" New threat assessment ", theme.bold()))
        .title_bottom(
            Line::styled(" tab next field · ctrl-s submit · esc cancel ", theme.dim())
                .right_aligned(),
        );
    let inner = block.inner(area);
    frame.render_widget(Clear, area);
    frame.render_widget(block, area);
    let bottom = inner.y + inner.height;
    let mut y = inner.y;
    for &field in fields {
        if y + 1 >= bottom {
            break;
        }
        let focused = form.field == field;
        let faulty = form.error.as_ref().is_some_and(|e| e.field == Some(field));
        let style = match (faulty, focused) {
            (true, _) => theme.error(),
            (false, true) => theme.key(),
            (false, false) => theme.dim(),
        };
        let mut head = label(form.kind, field).to_owned();
        if matches!(
            field,
            FormField::Kind | FormField::Category | FormField::Expected
        ) && focused
        {
            head.push_str("  (←/→ or space)");
        }
        frame.render_widget(
            Line::styled(head, style),
            Rect::new(inner.x, y, inner.width, 1),
        );
        let line = Rect::new(inner.x, y + 1, inner.width, 1);
        match field {
            FormField::Kind => {
                let labels: Vec<&str> = AssessmentKind::ALL.iter().map(|k| k.label()).collect();
                let at = AssessmentKind::ALL
                    .iter()
                    .position(|k| *k == form.kind)
                    .unwrap_or(0);
                frame.render_widget(picker(theme, &labels, at, focused), line);
            }
            FormField::Category => {
                let labels: Vec<&str> = ThreatCategory::SUBMITTABLE
                    .iter()
                    .map(|c| c.as_str())
                    .collect();
                frame.render_widget(picker(theme, &labels, form.category, focused), line);
            }
            FormField::Expected => {
                let labels: Vec<&str> = EXPECTED.iter().map(|e| e.as_str()).collect();
                frame.render_widget(picker(theme, &labels, form.expected, focused), line);
            }
            text => {
                if let Some(input) = form.text_input(text) {
                    frame.render_widget(input, line);
                }
            }
        }
        y += 2;
    }
    if let Some(e) = &form.error
        && y < bottom
    {
        frame.render_widget(
            Paragraph::new(Line::styled(e.text.clone(), theme.error())).wrap(Wrap { trim: true }),
            Rect::new(inner.x, y, inner.width, bottom - y),
        );
    }
}

/// The top bar's part: "assess" or "assess › <subject>", and the filter.
pub(super) fn top(state: &State, theme: &Theme, typing: bool, room: usize) -> Vec<Span<'static>> {
    let pane = &state.assess;
    let mut spans = vec![
        Span::styled(" │ ", theme.dim()),
        Span::styled("assessments", theme.bold()),
    ];
    if let Some(r) = pane
        .open_request()
        .filter(|_| state.focus == Focus::Assessment)
    {
        let fixed = width(" │ assessments › ");
        let shown = truncate(&subject(r), room.saturating_sub(fixed).max(8)).into_owned();
        spans.push(Span::styled(" › ", theme.dim()));
        spans.push(Span::raw(shown));
    } else if !pane.filter.is_empty() && !typing {
        spans.push(Span::styled(" │ ", theme.dim()));
        spans.push(Span::styled(
            format!("/{}", crate::sanitize::line(&pane.filter)),
            theme.warn(),
        ));
    }
    spans
}

/// The status line's part: what is shown, a spinner while reading or submitting, and how
/// many pending requests are being followed.
pub(super) fn status(state: &State, theme: &Theme, spin: &str) -> Vec<Span<'static>> {
    let pane = &state.assess;
    let sep = || Span::styled(" · ", theme.dim());
    let shown = rows(pane).len();
    let all = pane.list.len();
    let noun = if all == 1 { "request" } else { "requests" };
    let count = if shown == all {
        format!(" {} {noun}", format::count(all))
    } else {
        format!(" {}/{} {noun}", format::count(shown), format::count(all))
    };
    let mut spans = vec![Span::styled(count, theme.bold())];
    if pane.list_fetch.is_loading() {
        spans.push(sep());
        spans.push(Span::styled(format!("{spin} reading"), theme.warn()));
    }
    if let Some(what) = &pane.sending {
        spans.push(sep());
        spans.push(Span::styled(
            format!("{spin} submitting {}", truncate(what, 30)),
            theme.pending(),
        ));
    }
    if !pane.followed.is_empty() {
        spans.push(sep());
        spans.push(Span::styled(
            format!("{} awaiting a verdict", pane.followed.len()),
            theme.pending(),
        ));
    }
    spans
}

/// The hint bar's keys, in priority order.
pub(super) fn hints(state: &State) -> &'static [(KeyAction, &'static str)] {
    use KeyAction as K;
    if state.focus == Focus::Assessment {
        &[
            (K::Down, "scroll"),
            (K::Refresh, "reload"),
            (K::Back, "back"),
        ]
    } else {
        &[
            (K::OpenAssessment, "open"),
            (K::NewAssessment, "new"),
            (K::Filter, "filter"),
            (K::Refresh, "reload"),
            (K::Back, "back"),
        ]
    }
}
