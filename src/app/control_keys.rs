//! Keys of the `:controls` table, the profile view and the control editor: move, filter,
//! open a profile, mark controls as planned (saved per profile), and edit a control's
//! state, assignee and comment.

use super::command::Command;
use super::control_detail::control_document;
use super::controls::{ControlEditor, EditorField, STATES, rows, title};
use super::detail::DocLine;
use super::keymap::KeyAction;
use super::state::{Focus, Overlay, State};
use crate::graph::score::SecureScoreControlProfile;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Lines above the table: the score/projection summary and the column header.
pub const TABLE_TOP: u16 = 2;

/// Table rows on screen.
pub(crate) fn table_rows(state: &State) -> usize {
    usize::from(state.screen().middle.height.saturating_sub(TABLE_TOP)).max(1)
}

/// The table's rows as they are now (indices into `state.score.profiles`).
pub(crate) fn table(state: &State) -> Vec<usize> {
    rows(&state.score, &state.controls.filter)
}

/// The control under the cursor.
pub(crate) fn selected(state: &State) -> Option<&SecureScoreControlProfile> {
    let id = state.controls.cursor_id.as_deref()?;
    state.score.profile(id)
}

/// Keeps the cursor on its control after the rows changed (a reload, a filter, a write
/// that moved it), or on the nearest row when the control is gone.
pub(crate) fn relocate(state: &mut State) {
    let rows = table(state);
    let view = &mut state.controls;
    let found = view
        .cursor_id
        .as_deref()
        .and_then(|id| rows.iter().position(|&i| state.score.profiles[i].id == id));
    let row = found
        .unwrap_or(view.cursor)
        .min(rows.len().saturating_sub(1));
    place(state, &rows, row);
}

fn place(state: &mut State, rows: &[usize], row: usize) {
    let visible = table_rows(state);
    let view = &mut state.controls;
    view.cursor = row;
    view.cursor_id = rows.get(row).map(|&i| state.score.profiles[i].id.clone());
    if row < view.offset {
        view.offset = row;
    } else if row >= view.offset + visible {
        view.offset = row + 1 - visible;
    }
    view.offset = view.offset.min(rows.len().saturating_sub(visible));
    state.dirty = true;
}

fn move_to(state: &mut State, row: usize) {
    let rows = table(state);
    if rows.is_empty() {
        return;
    }
    place(state, &rows, row.min(rows.len() - 1));
}

/// The open profile's document at the pane's width.
pub(crate) fn document(state: &State) -> Option<Vec<DocLine>> {
    let p = selected(state)?;
    let width = usize::from(state.screen().middle.width);
    let pending = super::score_writes::pending_line(state, &p.id);
    Some(control_document(
        &state.score,
        p,
        pending.as_deref(),
        state.now,
        width,
    ))
}

fn scroll(state: &mut State, by: isize) {
    let lines = document(state).map_or(0, |d| d.len());
    let height = usize::from(state.screen().middle.height);
    let max = lines.saturating_sub(height);
    let now = state.controls.scroll as isize;
    state.controls.scroll = now.saturating_add(by).clamp(0, max as isize) as usize;
    state.dirty = true;
}

/// Keys of the `:controls` pane and the profile view; `None` leaves the key to the common
/// handling (command line, help, quit).
pub(crate) fn on_action(state: &mut State, action: KeyAction) -> Option<Vec<Command>> {
    let page = table_rows(state);
    let viewing = state.focus == Focus::Control;
    match action {
        KeyAction::Up if viewing => scroll(state, -1),
        KeyAction::Down if viewing => scroll(state, 1),
        KeyAction::PageUp if viewing => scroll(state, -(page as isize)),
        KeyAction::PageDown if viewing => scroll(state, page as isize),
        KeyAction::Top if viewing => scroll(state, isize::MIN / 2),
        KeyAction::Bottom if viewing => scroll(state, isize::MAX / 2),
        KeyAction::Up => move_to(state, state.controls.cursor.saturating_sub(1)),
        KeyAction::Down => move_to(state, state.controls.cursor + 1),
        KeyAction::PageUp => move_to(state, state.controls.cursor.saturating_sub(page)),
        KeyAction::PageDown => move_to(state, state.controls.cursor + page),
        KeyAction::Top => move_to(state, 0),
        KeyAction::Bottom => move_to(state, usize::MAX),
        KeyAction::Open if !viewing => match selected(state) {
            Some(p) => {
                let name = title(p);
                state.focus = Focus::Control;
                state.controls.scroll = 0;
                state.info(format!("{name} (e edits, p plans, esc goes back)"));
            }
            None => state.info("No control selected"),
        },
        KeyAction::Back if viewing => {
            state.focus = Focus::Controls;
            relocate(state);
            state.info("Control profiles");
        }
        KeyAction::Back if !state.controls.filter.is_empty() => {
            set_query(state, "");
            state.info("Filter cleared");
        }
        KeyAction::Back => super::score_keys::leave(state),
        KeyAction::Filter if !viewing => state.overlay = Some(Overlay::Filter),
        KeyAction::Refresh => {
            state.info("Reloading the control profiles and the Secure Score…");
            return Some(super::score_keys::load(state, true));
        }
        KeyAction::PlanControl => return Some(toggle_planned(state)),
        KeyAction::EditControl => open_editor(state),
        _ => return None,
    }
    state.dirty = true;
    Some(vec![])
}

/// The type-to-filter text changed.
pub(crate) fn set_query(state: &mut State, query: &str) {
    state.controls.filter = query.to_owned();
    relocate(state);
}

/// `p`: mark or unmark the selected control as planned, and keep the marks on disk.
fn toggle_planned(state: &mut State) -> Vec<Command> {
    let Some(p) = selected(state) else {
        state.info("No control selected");
        return vec![];
    };
    let (id, name) = (p.id.clone(), title(p));
    let planned = state.score.toggle_planned(&id);
    let projection = state.score.projection();
    let tail = match projection {
        Some(p) => format!(
            "projected {} ({})",
            super::control_detail::points(p.score),
            p.percentage()
                .map_or_else(|| "-".to_owned(), |v| format!("{v:.1}%"))
        ),
        None => "nothing planned".to_owned(),
    };
    state.info(if planned {
        format!("Planned: {name} · {tail}")
    } else {
        format!("No longer planned: {name} · {tail}")
    });
    state.dirty = true;
    match &state.score.planned_file {
        Some(path) => vec![Command::SavePlanned {
            path: path.clone(),
            ids: state.score.planned.iter().cloned().collect(),
        }],
        None => vec![],
    }
}

/// `e`: the editor for the selected control.
fn open_editor(state: &mut State) {
    if state.session.read_only {
        state.error("Read-only: changes are not allowed");
        return;
    }
    let Some(p) = selected(state) else {
        state.info("No control selected");
        return;
    };
    let editor = ControlEditor::new(p);
    state.overlay = Some(Overlay::ControlEditor(Box::new(editor)));
    state.info("Tab moves between fields · ctrl-s sends · esc cancels");
}

fn is_ctrl(key: &KeyEvent, c: char) -> bool {
    key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char(c)
}

/// A key while the editor is open. Esc (or ctrl-c) closes it without a write; ctrl-s
/// sends the change through the outbox.
pub(crate) fn editor_key(
    state: &mut State,
    mut editor: Box<ControlEditor>,
    key: KeyEvent,
    cancel: bool,
) -> Vec<Command> {
    if cancel {
        state.info("Edit cancelled: nothing was sent");
        return vec![];
    }
    if is_ctrl(&key, 's') {
        return super::score_writes::send(state, *editor);
    }
    match key.code {
        KeyCode::Tab => editor.field = editor.field.next(),
        KeyCode::BackTab => editor.field = editor.field.prev(),
        _ => match editor.field {
            EditorField::State => state_key(&mut editor, key),
            EditorField::AssignedTo if key.code == KeyCode::Enter => {
                editor.field = EditorField::Comment;
            }
            EditorField::AssignedTo => {
                editor.assigned_to.input(key);
            }
            EditorField::Comment => {
                editor.comment.input(key);
            }
        },
    }
    editor.sync_cursor();
    state.overlay = Some(Overlay::ControlEditor(editor));
    state.dirty = true;
    vec![]
}

/// The state picker: arrows, h/l, space, or the digit of a state.
fn state_key(editor: &mut ControlEditor, key: KeyEvent) {
    let n = STATES.len();
    match key.code {
        KeyCode::Left | KeyCode::Up | KeyCode::Char('h' | 'k') => {
            editor.state = (editor.state + n - 1) % n;
        }
        KeyCode::Right | KeyCode::Down | KeyCode::Char('l' | 'j' | ' ') => {
            editor.state = (editor.state + 1) % n;
        }
        KeyCode::Char(c @ '1'..='4') => editor.state = c as usize - '1' as usize,
        KeyCode::Enter => editor.field = EditorField::AssignedTo,
        _ => {}
    }
}

/// Paste into the editor's focused text field.
pub(crate) fn editor_paste(editor: &mut ControlEditor, text: &str) {
    match editor.field {
        EditorField::State => {}
        // One line: a pasted newline would make a name Graph can't use.
        EditorField::AssignedTo => {
            editor
                .assigned_to
                .insert_str(text.replace(['\r', '\n'], " "));
        }
        EditorField::Comment => {
            editor.comment.insert_str(text.replace("\r\n", "\n"));
        }
    }
}
