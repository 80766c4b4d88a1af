//! Whatever is in front of the panes: menus, prompts, the comment editor, confirmations
//! and help.

use super::theme::Theme;
use crate::app::format;
use crate::app::help::{self, HelpLine};
use crate::app::{Choice, ConflictPrompt, MenuKind, OutboxRow, Overlay, PromptKind, State};
use crate::outbox::{Target, check};
use crate::text::{fit, truncate};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

pub fn render(state: &State, theme: &Theme, frame: &mut Frame, middle: Rect) {
    match &state.overlay {
        None | Some(Overlay::Filter) | Some(Overlay::Command(_)) => {}
        Some(Overlay::Menu {
            kind,
            cursor,
            targets,
        }) => menu(state, theme, frame, middle, kind, *cursor, targets),
        Some(Overlay::Prompt {
            kind,
            input,
            targets,
        }) => {
            let title = match kind {
                PromptKind::WhoAmI => " Assign to me: who are you? (asked once) ".to_owned(),
                PromptKind::AssignTo => format!(" Assign {} to ", format::count_of(targets)),
            };
            let area = centered(middle, 60, 3);
            let block = frame_box(frame, theme, area, &title, " enter ok · esc cancel ");
            frame.render_widget(&**input, block);
        }
        Some(Overlay::Comment { editor, targets }) => {
            let area = centered(middle, 72, 12);
            let title = format!(" Comment on {} ", format::count_of(targets));
            let inner = frame_box(frame, theme, area, &title, " ctrl-s send · esc cancel ");
            frame.render_widget(&**editor, inner);
        }
        Some(Overlay::Confirm { question, also, .. }) => {
            let area = centered(middle, (question.chars().count() as u16 + 6).max(30), 3);
            let hint = if also.is_empty() {
                " y yes · n no "
            } else {
                " y with the alerts · i without · n no "
            };
            let inner = frame_box(frame, theme, area, " Confirm ", hint);
            frame.render_widget(
                Paragraph::new(Line::styled(question.clone(), theme.bold())).centered(),
                inner,
            );
        }
        Some(Overlay::ControlEditor(editor)) => {
            super::controls::render_editor(theme, frame, middle, editor);
        }
        Some(Overlay::CaseConfirm(confirm)) => {
            let question = confirm.question();
            let area = centered(middle, (question.chars().count() as u16 + 6).max(30), 3);
            let inner = frame_box(frame, theme, area, " Confirm ", " y yes · n no ");
            frame.render_widget(
                Paragraph::new(Line::styled(question, theme.bold())).centered(),
                inner,
            );
        }
        Some(Overlay::CustodianPrompt { case_id, input }) => {
            let name = state.cases.case(case_id).map_or_else(
                || "the case".to_owned(),
                |c| crate::app::cases::case_name(c),
            );
            let title = format!(" Add a custodian to '{}' (email) ", truncate(&name, 30));
            let area = centered(middle, 64, 3);
            let block = frame_box(frame, theme, area, &title, " enter add · esc cancel ");
            frame.render_widget(&**input, block);
        }
        Some(Overlay::CaseForm(form)) => super::cases::render_form(theme, frame, middle, form),
        Some(Overlay::AssessForm(form)) => super::assess::render_form(theme, frame, middle, form),
        Some(Overlay::Help { scroll }) => help_box(state, theme, frame, middle, *scroll),
        Some(Overlay::Conflict(prompt)) => conflict_box(theme, frame, middle, prompt),
        Some(Overlay::Outbox {
            rows,
            cursor,
            confirm_drop,
        }) => outbox_box(theme, frame, middle, rows, *cursor, *confirm_drop),
    }
}

/// Both values of every conflicting field; the analyst picks.
fn conflict_box(theme: &Theme, frame: &mut Frame, middle: Rect, prompt: &ConflictPrompt) {
    let area = centered(middle, 72, prompt.fields.len() as u16 * 3 + 3);
    let title = format!(" Changed by someone else: {} ", prompt.target);
    let inner = frame_box(
        frame,
        theme,
        area,
        &title,
        " m keep mine · t take theirs · esc later ",
    );
    let w = usize::from(inner.width);
    let mut lines = vec![Line::raw(
        truncate("Since you looked, the server changed:", w).into_owned(),
    )];
    for c in &prompt.fields {
        lines.push(Line::styled(
            truncate(&c.field, w).into_owned(),
            theme.bold(),
        ));
        lines.push(Line::raw(
            truncate(
                &format!(
                    "  mine: {}   theirs: {}",
                    check::show(&c.mine),
                    check::show(&c.theirs)
                ),
                w,
            )
            .into_owned(),
        ));
        lines.push(Line::styled(
            truncate(&format!("  (you saw {})", check::show(&c.base)), w).into_owned(),
            theme.dim(),
        ));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The unfinished writes, one per line, with the detail of the selected one below.
fn outbox_box(
    theme: &Theme,
    frame: &mut Frame,
    middle: Rect,
    rows: &[OutboxRow],
    cursor: usize,
    confirm_drop: bool,
) {
    let width = middle.width.min(100);
    let area = Rect::new(
        middle.x + (middle.width - width) / 2,
        middle.y,
        width,
        middle.height,
    );
    let hint = if confirm_drop {
        " y drop it for good · any other key keeps it "
    } else {
        " r retry · d drop · m keep mine · t take theirs · esc "
    };
    let title = format!(" Outbox · {} unsent ", rows.len());
    let inner = frame_box(frame, theme, area, &title, hint);
    let w = usize::from(inner.width);
    if rows.is_empty() {
        frame.render_widget(
            Paragraph::new(Line::styled(
                "Nothing waiting: every change has landed.",
                theme.dim(),
            )),
            inner,
        );
        return;
    }
    let list_rows = usize::from(inner.height.saturating_sub(3)).max(1);
    let skip = cursor.saturating_sub(list_rows - 1);
    let mut lines: Vec<Line> = rows
        .iter()
        .enumerate()
        .skip(skip)
        .take(list_rows)
        .map(|(i, r)| {
            let text = fit(
                &format!(
                    " {:<9} {:<24} {}",
                    r.state,
                    truncate(&r.target.to_string(), 24),
                    r.what
                ),
                w,
            );
            if i == cursor {
                Line::styled(text, theme.cursor())
            } else {
                Line::raw(text)
            }
        })
        .collect();
    if let Some(r) = rows.get(cursor)
        && !r.detail.is_empty()
    {
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            truncate(&format!(" {}", r.detail), w).into_owned(),
            theme.dim(),
        ));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// A rectangle of at most `w`×`h` in the middle of `area`.
fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

/// Clears `area`, draws a bordered box with a title and a bottom hint; returns the inside.
fn frame_box(frame: &mut Frame, theme: &Theme, area: Rect, title: &str, hint: &str) -> Rect {
    let block = Block::bordered()
        .border_style(theme.accent())
        .title(Line::styled(title.to_owned(), theme.bold()))
        .title_bottom(Line::styled(hint.to_owned(), theme.dim()).right_aligned());
    let inner = block.inner(area);
    frame.render_widget(Clear, area);
    frame.render_widget(block, area);
    inner
}

fn menu(
    state: &State,
    theme: &Theme,
    frame: &mut Frame,
    middle: Rect,
    kind: &MenuKind,
    cursor: usize,
    targets: &[Target],
) {
    let choices = kind.choices();
    let current = |c: &Choice| match c {
        Choice::StatusPreset(p) => *p == state.status_preset,
        Choice::TimePreset(p) => *p == state.time_preset,
        Choice::IncidentPreset(p) => *p == state.incidents.preset,
        _ => false,
    };
    let mut title = format!(" {} ", kind.title());
    if let MenuKind::Determination(c) = kind {
        title = format!(" Determination for {} ", c.as_str());
    }
    if targets.len() > 1 {
        title.push_str(&format!("· {} ", format::count_of(targets)));
    }
    let width = choices
        .iter()
        .map(|c| c.label().len() + 8)
        .chain([title.chars().count() + 2, 28])
        .max()
        .unwrap_or(28) as u16;
    let area = centered(middle, width, choices.len() as u16 + 2);
    let inner = frame_box(frame, theme, area, &title, " enter · esc ");
    let lines: Vec<Line> = choices
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mark = if current(c) { "•" } else { " " };
            let text = fit(
                &format!(" {} {mark} {}", i + 1, c.label()),
                usize::from(inner.width),
            );
            if i == cursor {
                Line::styled(text, theme.cursor())
            } else {
                Line::raw(text)
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

fn help_box(state: &State, theme: &Theme, frame: &mut Frame, middle: Rect, scroll: u16) {
    let width = middle.width.min(96);
    let area = Rect::new(
        middle.x + (middle.width - width) / 2,
        middle.y,
        width,
        middle.height,
    );
    let inner = frame_box(
        frame,
        theme,
        area,
        " Help · keys from your keymap ",
        " esc closes ",
    );
    let content = help::lines(state.keymap());
    let rows = usize::from(inner.height);
    let scroll = usize::from(scroll).min(content.len().saturating_sub(rows));
    let w = usize::from(inner.width);
    let lines: Vec<Line> = content
        .iter()
        .skip(scroll)
        .take(rows)
        .map(|l| match l {
            HelpLine::Heading(h) => Line::styled(truncate(h, w).into_owned(), theme.header()),
            HelpLine::Binding { keys, help } => Line::from(vec![
                Span::styled(fit(&format!("  {keys}"), 18), theme.key()),
                Span::raw(truncate(help, w.saturating_sub(18)).into_owned()),
            ]),
            HelpLine::Note(n) => Line::raw(truncate(&format!("  {n}"), w).into_owned()),
            HelpLine::Blank => Line::raw(""),
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}
