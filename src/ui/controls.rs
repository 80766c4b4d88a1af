//! The `:controls` pane (a summary line with today's score and the what-if projection, then
//! the control profiles most points available first; only rows on screen are formatted),
//! the profile view, and the control editor's form.

use super::detail::styled;
use super::queue::{cursor_line, empty_notice, window};
use super::theme::Theme;
use crate::app::control_detail::points;
use crate::app::control_keys::{self, TABLE_TOP};
use crate::app::controls::{ControlEditor, EditorField, STATES, state_meaning, title};
use crate::app::score::{Fetch, current_state};
use crate::app::{Focus, State};
use crate::graph::score::{ControlState, SecureScoreControlProfile};
use crate::outbox::TargetKind;
use crate::sanitize;
use crate::text::{fit, fit_right};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

/// Column widths for a pane `width` columns wide (the title takes what is left).
struct Columns {
    /// Planned mark and pending mark.
    mark: usize,
    /// Points still available / maxScore.
    points: usize,
    title: usize,
    category: usize,
    cost: usize,
    impact: usize,
    /// Hidden (0) below 110 columns.
    tier: usize,
    state: usize,
}

impl Columns {
    fn new(width: usize) -> Columns {
        let wide = width >= 110;
        let mut c = Columns {
            mark: 2,
            points: 7,
            title: 0,
            category: if wide { 12 } else { 9 },
            cost: 8,
            impact: 8,
            tier: if wide { 16 } else { 0 },
            state: 11,
        };
        let gaps = if wide { 7 } else { 6 };
        let fixed = c.mark + c.points + c.category + c.cost + c.impact + c.tier + c.state + gaps;
        c.title = width.saturating_sub(fixed).max(1);
        c
    }
}

pub(super) fn render(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    if state.focus == Focus::Control {
        render_profile(state, theme, frame, area);
    } else {
        render_table(state, theme, frame, area);
    }
}

/// Today's score and, with planned controls, what it would become.
fn summary<'a>(state: &State, theme: &Theme) -> Line<'a> {
    let score = &state.score;
    let mut spans = Vec::new();
    match score.today() {
        Some(t) => {
            spans.push(Span::styled("Today ", theme.dim()));
            spans.push(Span::styled(
                format!("{} / {}", points(t.score), points(t.max)),
                theme.bold(),
            ));
            if let Some(pc) = t.percentage() {
                spans.push(Span::raw(format!(" ({pc:.1}%)")));
            }
        }
        None if score.history_fetch.is_loading() => {
            spans.push(Span::styled("Today's score: loading…", theme.dim()));
        }
        None => spans.push(Span::styled("Today's score: not known", theme.dim())),
    }
    match score.projection() {
        Some(p) => {
            spans.push(Span::styled(" · projected ", theme.dim()));
            spans.push(Span::styled(
                format!(
                    "{} ({}) if {} planned done (+{})",
                    points(p.score),
                    p.percentage()
                        .map_or_else(|| "-".to_owned(), |v| format!("{v:.1}%")),
                    p.controls,
                    points(p.gain)
                ),
                theme.pending(),
            ));
        }
        None => spans.push(Span::styled(" · p plans a control", theme.dim())),
    }
    Line::from(spans)
}

fn render_table(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    if area.height <= TABLE_TOP {
        return;
    }
    let cols = Columns::new(usize::from(area.width));
    frame.render_widget(
        summary(state, theme),
        Rect::new(area.x, area.y, area.width, 1),
    );
    frame.render_widget(
        header(theme, &cols),
        Rect::new(area.x, area.y + 1, area.width, 1),
    );
    let body = Rect::new(
        area.x,
        area.y + TABLE_TOP,
        area.width,
        area.height - TABLE_TOP,
    );
    let rows = control_keys::table(state);
    if rows.is_empty() {
        empty(state, theme, frame, body);
        return;
    }
    let view = &state.controls;
    let height = usize::from(body.height);
    let offset = window(view.offset, view.cursor, rows.len(), height);
    for (i, &idx) in rows.iter().enumerate().skip(offset).take(height) {
        let rect = Rect::new(body.x, body.y + (i - offset) as u16, body.width, 1);
        let line = row(state, theme, &cols, &state.score.profiles[idx]);
        let line = if i == view.cursor {
            cursor_line(theme, line, state.overlay.is_none())
        } else {
            line
        };
        frame.render_widget(line, rect);
    }
}

fn header<'a>(theme: &Theme, cols: &Columns) -> Line<'a> {
    let mut spans = vec![
        Span::raw(fit("", cols.mark)),
        Span::styled(fit_right("AVAIL↓", cols.points), theme.header()),
        Span::raw(" "),
        Span::styled(fit("CONTROL", cols.title), theme.header()),
        Span::raw(" "),
        Span::styled(fit("CATEGORY", cols.category), theme.header()),
        Span::raw(" "),
        Span::styled(fit("COST", cols.cost), theme.header()),
        Span::raw(" "),
        Span::styled(fit("IMPACT", cols.impact), theme.header()),
        Span::raw(" "),
    ];
    if cols.tier > 0 {
        spans.push(Span::styled(fit("TIER", cols.tier), theme.header()));
        spans.push(Span::raw(" "));
    }
    spans.push(Span::styled(fit("STATE", cols.state), theme.header()));
    Line::from(spans)
}

fn state_style(theme: &Theme, s: &ControlState) -> Style {
    match s {
        ControlState::ThirdParty => theme.accent(),
        ControlState::Ignored => theme.warn(),
        ControlState::Reviewed => theme.plain(),
        ControlState::Default | ControlState::Other(_) => theme.dim(),
    }
}

fn row<'a>(
    state: &State,
    theme: &Theme,
    cols: &Columns,
    p: &SecureScoreControlProfile,
) -> Line<'a> {
    let score = &state.score;
    let planned = score.planned.contains(&p.id);
    let pending = state.writes.any_pending(TargetKind::Control, &p.id);
    let available = score.available(p);
    let max = p.max_score.unwrap_or(0.0);
    let now = current_state(p);
    let pending_state = state.pending_control_state(&p.id);
    let text = |v: Option<&str>, w: usize| fit(&sanitize::opt_line(v), w);
    let mut spans = vec![
        Span::styled(
            format!(
                "{}{}",
                if planned { 'P' } else { ' ' },
                if pending { '…' } else { ' ' }
            ),
            theme.marked(),
        ),
        Span::styled(
            fit_right(
                &format!("{}/{}", points(available), points(max)),
                cols.points,
            ),
            if available > 0.0 {
                theme.bold()
            } else {
                theme.dim()
            },
        ),
        Span::raw(" "),
        Span::styled(
            fit(&title(p), cols.title),
            if planned {
                theme.marked()
            } else {
                theme.plain()
            },
        ),
        Span::raw(" "),
        Span::styled(
            text(p.control_category.as_deref(), cols.category),
            theme.dim(),
        ),
        Span::raw(" "),
        Span::raw(text(p.implementation_cost.as_deref(), cols.cost)),
        Span::raw(" "),
        Span::raw(text(p.user_impact.as_deref(), cols.impact)),
        Span::raw(" "),
    ];
    if cols.tier > 0 {
        spans.push(Span::styled(
            text(p.tier.as_deref(), cols.tier),
            theme.dim(),
        ));
        spans.push(Span::raw(" "));
    }
    spans.push(match pending_state {
        Some(s) => Span::styled(
            fit(&format!("…{}", sanitize::line(&s)), cols.state),
            theme.pending(),
        ),
        None => Span::styled(
            fit(&sanitize::line(now.as_str()), cols.state),
            state_style(theme, &now),
        ),
    });
    Line::from(spans)
}

fn empty(state: &State, theme: &Theme, frame: &mut Frame, body: Rect) {
    let score = &state.score;
    let text = match &score.profiles_fetch {
        _ if !state.controls.filter.is_empty() && !score.profiles.is_empty() => format!(
            "No control matches “{}” (esc clears the filter)",
            sanitize::line(&state.controls.filter)
        ),
        Fetch::Loading | Fetch::NotAsked => "Loading control profiles…".to_owned(),
        Fetch::Failed(e) => format!(
            "Could not load the control profiles: {} (r retries)",
            sanitize::line(e)
        ),
        Fetch::Loaded => "The tenant has no control profiles".to_owned(),
    };
    empty_notice(theme, frame, body, text);
}

fn render_profile(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    let Some(doc) = control_keys::document(state) else {
        empty_notice(
            theme,
            frame,
            area,
            "That control is no longer listed (esc goes back)".to_owned(),
        );
        return;
    };
    let height = usize::from(area.height);
    let scroll = state.controls.scroll.min(doc.len().saturating_sub(height));
    let lines: Vec<Line> = doc
        .iter()
        .skip(scroll)
        .take(height)
        .map(|l| styled(l, theme))
        .collect();
    frame.render_widget(Paragraph::new(lines), area);
}

/// The editor form, in front of the pane.
pub(super) fn render_editor(
    theme: &Theme,
    frame: &mut Frame,
    middle: Rect,
    editor: &ControlEditor,
) {
    let w = middle.width.min(76);
    let h = middle.height.min(16);
    let area = Rect::new(
        middle.x + (middle.width - w) / 2,
        middle.y + (middle.height - h) / 2,
        w,
        h,
    );
    let title = format!(
        " Edit {} ",
        crate::text::truncate(&editor.title, usize::from(w).saturating_sub(8))
    );
    let block = Block::bordered()
        .border_style(theme.accent())
        .title(Line::styled(title, theme.bold()))
        .title_bottom(
            Line::styled(" tab next field · ctrl-s send · esc cancel ", theme.dim())
                .right_aligned(),
        );
    let inner = block.inner(area);
    frame.render_widget(Clear, area);
    frame.render_widget(block, area);
    if inner.height < 5 {
        return;
    }
    let label = |text: &str, field: EditorField| {
        let style = if editor.field == field {
            theme.key()
        } else {
            theme.dim()
        };
        Span::styled(format!("{text:<10}"), style)
    };
    // The state picker: every state, the chosen one highlighted, with what it means.
    let mut states = vec![label("State", EditorField::State)];
    for (i, s) in STATES.iter().enumerate() {
        let chosen = i == editor.state;
        let text = format!("{}{}", i + 1, if chosen { "●" } else { "○" });
        states.push(Span::styled(
            format!(" {text} {}", s.as_str()),
            if chosen {
                theme.cursor()
            } else {
                theme.plain()
            },
        ));
    }
    let y = inner.y;
    frame.render_widget(Line::from(states), Rect::new(inner.x, y, inner.width, 1));
    let mut meaning = format!("          {}", state_meaning(editor.chosen()));
    if *editor.chosen() != editor.was {
        meaning.push_str(&format!(" (now {})", sanitize::line(editor.was.as_str())));
    }
    frame.render_widget(
        Line::styled(meaning, theme.dim()),
        Rect::new(inner.x, y + 1, inner.width, 1),
    );
    frame.render_widget(
        Line::from(label("Assign to", EditorField::AssignedTo)),
        Rect::new(inner.x, y + 2, 10, 1),
    );
    frame.render_widget(
        &*editor.assigned_to,
        Rect::new(inner.x + 10, y + 2, inner.width.saturating_sub(10), 1),
    );
    frame.render_widget(
        Line::from(label("Comment", EditorField::Comment)),
        Rect::new(inner.x, y + 3, inner.width, 1),
    );
    let comment = Rect::new(inner.x, y + 4, inner.width, inner.height - 4);
    frame.render_widget(&*editor.comment, comment);
}
