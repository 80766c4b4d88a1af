//! Key handling: overlays first (they own the keyboard while open), then the focused pane's
//! bindings from the keymap.

use super::action::OutboxRow;
use super::command::Command;
use super::detail;
use super::entity_keys;
use super::format;
use super::keymap::KeyAction;
use super::queue::{Column, Sort};
use super::state::{
    Choice, ConflictPrompt, Focus, LoadMode, MenuKind, Overlay, PromptKind, State, StatusPreset,
    TimePreset,
};
use super::writes::WriteOp;
use crate::graph::models::AlertUpdate;
use crate::outbox::{Resolution, Target, TargetKind, check};
use crate::sanitize;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui_textarea::TextArea;

pub(crate) fn on_key(state: &mut State, key: KeyEvent) -> Vec<Command> {
    if key.kind == KeyEventKind::Release {
        return vec![];
    }
    let keymap = state.keymap();
    if keymap.is(KeyAction::Suspend, &key) {
        return vec![Command::Suspend];
    }
    let interrupt = keymap.is(KeyAction::Interrupt, &key);
    if !interrupt && state.interrupt_armed {
        // Only two Ctrl-C in a row quit; anything in between starts over, and the
        // "press again to quit" notice would now be wrong.
        state.interrupt_armed = false;
        state.message = None;
        state.dirty = true;
    }
    if state.overlay.is_some() {
        return on_overlay_key(state, key, interrupt);
    }
    let Some(action) = state.keymap().action(state.mode(), &key) else {
        return vec![];
    };
    if action.is_mutating() && state.session.read_only {
        state.error(&format!(
            "Read-only session: cannot {}",
            action_phrase(action)
        ));
        return vec![];
    }
    on_action(state, action)
}

fn action_phrase(action: KeyAction) -> &'static str {
    match action {
        KeyAction::SetStatus => "change status",
        KeyAction::AssignMe | KeyAction::AssignTo => "assign alerts",
        KeyAction::Classify => "classify alerts",
        KeyAction::Comment => "add comments",
        _ => "do that",
    }
}

fn on_action(state: &mut State, action: KeyAction) -> Vec<Command> {
    match action {
        KeyAction::CommandLine
        | KeyAction::Help
        | KeyAction::Refresh
        | KeyAction::Suspend
        | KeyAction::Quit => {}
        _ if state.focus == Focus::Entities => return entity_keys::on_action(state, action),
        _ => {}
    }
    let detail = state.focus == Focus::Detail;
    match action {
        KeyAction::Up if detail => scroll_detail(state, -1),
        KeyAction::Down if detail => scroll_detail(state, 1),
        KeyAction::PageUp if detail => scroll_detail(state, -page(state)),
        KeyAction::PageDown if detail => scroll_detail(state, page(state)),
        KeyAction::Top if detail => scroll_detail(state, isize::MIN / 2),
        KeyAction::Bottom if detail => scroll_detail(state, isize::MAX / 2),
        KeyAction::Up => state.move_cursor_to(state.cursor.saturating_sub(1)),
        KeyAction::Down => state.move_cursor_to(state.cursor + 1),
        KeyAction::PageUp => state.move_cursor_to(state.cursor.saturating_sub(page_rows(state))),
        KeyAction::PageDown => state.move_cursor_to(state.cursor + page_rows(state)),
        KeyAction::Top => state.move_cursor_to(0),
        KeyAction::Bottom => state.move_cursor_to(usize::MAX),
        KeyAction::ToggleMark => toggle_mark(state),
        KeyAction::Open => return open_detail(state),
        KeyAction::Back => back(state),
        KeyAction::ToggleRaw => {
            state.raw_json = !state.raw_json;
            state.detail_scroll = 0;
            state.dirty = true;
        }
        KeyAction::Filter => {
            state.overlay = Some(Overlay::Filter);
            state.dirty = true;
        }
        KeyAction::SortNext | KeyAction::SortPrev => {
            let cur = state.queue.sort().column;
            let column = if action == KeyAction::SortNext {
                cur.next()
            } else {
                cur.prev()
            };
            set_sort(
                state,
                Sort {
                    column,
                    descending: column.natural_descending(),
                },
            );
        }
        KeyAction::SortInvert => {
            let s = state.queue.sort();
            set_sort(
                state,
                Sort {
                    descending: !s.descending,
                    ..s
                },
            );
        }
        KeyAction::StatusPreset => {
            let cursor = StatusPreset::ALL
                .iter()
                .position(|p| *p == state.status_preset)
                .unwrap_or(0);
            open_menu(state, MenuKind::StatusPreset, cursor, vec![]);
        }
        KeyAction::TimePreset => {
            let cursor = TimePreset::ALL
                .iter()
                .position(|p| *p == state.time_preset)
                .unwrap_or(0);
            open_menu(state, MenuKind::TimePreset, cursor, vec![]);
        }
        KeyAction::Refresh => {
            // Rows from a previous query that a preset change has not replaced yet must not
            // be merged into the new result: keep replacing in that case.
            let mode = if state.load.loading && state.load.mode == LoadMode::Replace {
                LoadMode::Replace
            } else {
                LoadMode::Merge
            };
            state.info("Refreshing…");
            return vec![state.start_load(mode)];
        }
        KeyAction::SetStatus => {
            if let Some(targets) = require_targets(state) {
                open_menu(state, MenuKind::Status, 0, targets);
            }
        }
        KeyAction::Classify => {
            if let Some(targets) = require_targets(state) {
                open_menu(state, MenuKind::Classification, 0, targets);
            }
        }
        KeyAction::AssignMe => {
            if let Some(targets) = require_targets(state) {
                match state.me.clone() {
                    Some(me) => return assign(state, targets, me),
                    None => open_prompt(state, PromptKind::WhoAmI, targets),
                }
            }
        }
        KeyAction::AssignTo => {
            if let Some(targets) = require_targets(state) {
                open_prompt(state, PromptKind::AssignTo, targets);
            }
        }
        KeyAction::Comment => {
            if let Some(targets) = require_targets(state) {
                let mut editor = TextArea::default();
                editor.set_placeholder_text("Comment… (ctrl-s sends, esc cancels)");
                state.overlay = Some(Overlay::Comment {
                    editor: Box::new(editor),
                    targets,
                });
                state.dirty = true;
            }
        }
        KeyAction::CopyId => {
            if let Some(id) = state.cursor_id.clone() {
                state.info(format!("Copying {} to the clipboard", sanitize::line(&id)));
                return vec![Command::CopyToClipboard(id)];
            }
            state.info("No alert selected");
        }
        KeyAction::Entities => entity_keys::open_of_selected(state),
        // Only bound in the entities pane, which handled them above.
        KeyAction::EntityAlerts | KeyAction::EntityKind => {}
        KeyAction::CommandLine => {
            state.overlay = Some(Overlay::Command(String::new()));
            state.dirty = true;
        }
        KeyAction::Help => {
            state.overlay = Some(Overlay::Help { scroll: 0 });
            state.dirty = true;
        }
        KeyAction::Interrupt => return interrupt(state),
        KeyAction::Suspend => return vec![Command::Suspend],
        KeyAction::Quit => return quit(state),
    }
    vec![]
}

fn quit(state: &mut State) -> Vec<Command> {
    state.quit = true;
    vec![Command::Quit]
}

/// Ctrl-C with no overlay open: leave the detail, else clear marks and filter, else arm;
/// a second Ctrl-C in a row quits. A shift's marks are never lost to one stray keystroke.
fn interrupt(state: &mut State) -> Vec<Command> {
    if state.interrupt_armed {
        return quit(state);
    }
    if state.focus == Focus::Detail {
        state.focus = Focus::Queue;
        state.info("Back to the queue (Ctrl-C again clears marks and filter)");
        return vec![];
    }
    let had_marks = !state.marks.is_empty();
    let had_filter = !state.queue.query().is_empty();
    state.marks.clear();
    if had_filter {
        state.queue.set_query("");
        state.relocate_cursor();
    }
    state.interrupt_armed = true;
    let cleared = match (had_marks, had_filter) {
        (true, true) => "Cleared marks and filter. ",
        (true, false) => "Cleared marks. ",
        (false, true) => "Cleared filter. ",
        (false, false) => "",
    };
    state.info(format!("{cleared}Press Ctrl-C again to quit (q quits)"));
    vec![]
}

fn page_rows(state: &State) -> usize {
    state.screen().queue_rows().max(1)
}

fn page(state: &State) -> isize {
    let rows = state
        .screen()
        .detail_body
        .map_or(1, |r| usize::from(r.height));
    isize::try_from(rows.max(1)).unwrap_or(1)
}

/// Lines the detail document has beyond one screen, for clamping its scroll.
pub(crate) fn detail_max_scroll(state: &State) -> usize {
    let screen = state.screen();
    let (Some(body), Some(alert)) = (screen.detail_body, state.selected()) else {
        return 0;
    };
    let lines = detail::document(
        alert,
        &state.writes,
        state.raw_json,
        state.display_now(),
        usize::from(body.width),
    )
    .len();
    lines.saturating_sub(usize::from(body.height))
}

fn scroll_detail(state: &mut State, by: isize) {
    let max = detail_max_scroll(state);
    let next = state.detail_scroll.saturating_add_signed(by).min(max);
    if next != state.detail_scroll {
        state.detail_scroll = next;
        state.dirty = true;
    }
}

fn toggle_mark(state: &mut State) {
    let Some(id) = state.cursor_id.clone() else {
        return;
    };
    if !state.marks.remove(&id) {
        state.marks.insert(id);
    }
    // Move on, so marking a run of alerts is one key per alert.
    state.move_cursor_to(state.cursor + 1);
    state.dirty = true;
}

fn open_detail(state: &mut State) -> Vec<Command> {
    let Some(id) = state.cursor_id.clone() else {
        return vec![];
    };
    state.focus = Focus::Detail;
    state.detail_scroll = 0;
    state.dirty = true;
    // Fetch a fresh copy: comments and status may have changed since the list loaded.
    vec![Command::GetAlert { id }]
}

fn back(state: &mut State) {
    if state.focus == Focus::Detail {
        state.focus = Focus::Queue;
        state.scroll_to_cursor();
        state.dirty = true;
    } else if !state.queue.query().is_empty() {
        state.queue.set_query("");
        state.relocate_cursor();
        state.info("Filter cleared");
    } else {
        entity_keys::back_from_alerts(state);
    }
}

fn set_sort(state: &mut State, sort: Sort) {
    state.queue.set_sort(sort);
    state.relocate_cursor();
    let arrow = if sort.descending { "↓" } else { "↑" };
    state.info(format!("Sorted by {} {arrow}", sort.column.name()));
}

fn require_targets(state: &mut State) -> Option<Vec<Target>> {
    let targets = state.targets();
    if targets.is_empty() {
        state.info("No alert selected");
        None
    } else {
        Some(targets)
    }
}

fn open_menu(state: &mut State, kind: MenuKind, cursor: usize, targets: Vec<Target>) {
    state.overlay = Some(Overlay::Menu {
        kind,
        cursor,
        targets,
    });
    state.dirty = true;
}

fn open_prompt(state: &mut State, kind: PromptKind, targets: Vec<Target>) {
    let mut input = TextArea::default();
    input.set_placeholder_text(match kind {
        PromptKind::WhoAmI => "your name or UPN, e.g. analyst@contoso.com",
        PromptKind::AssignTo => "name or UPN",
    });
    state.overlay = Some(Overlay::Prompt {
        kind,
        input: Box::new(input),
        targets,
    });
    state.dirty = true;
}

fn on_overlay_key(state: &mut State, key: KeyEvent, interrupt: bool) -> Vec<Command> {
    let Some(overlay) = state.overlay.take() else {
        return vec![];
    };
    state.dirty = true;
    let cancel = interrupt || key.code == KeyCode::Esc;
    match overlay {
        Overlay::Filter => {
            filter_key(state, key, cancel);
            vec![]
        }
        Overlay::Command(line) => command_key(state, key, cancel, line),
        Overlay::Menu {
            kind,
            cursor,
            targets,
        } => menu_key(state, key, cancel, kind, cursor, targets),
        Overlay::Prompt {
            kind,
            mut input,
            targets,
        } => {
            if cancel {
                state.info("Cancelled");
            } else if key.code == KeyCode::Enter {
                let text = input.lines().concat().trim().to_owned();
                return submit_prompt(state, kind, text, targets);
            } else {
                input.input(key);
                state.overlay = Some(Overlay::Prompt {
                    kind,
                    input,
                    targets,
                });
            }
            vec![]
        }
        Overlay::Comment {
            mut editor,
            targets,
        } => {
            if cancel {
                state.info("Comment discarded");
            } else if is_ctrl(&key, 's') {
                let text = editor.lines().join("\n");
                if text.trim().is_empty() {
                    state.info("Empty comment not sent");
                    state.overlay = Some(Overlay::Comment { editor, targets });
                } else {
                    return propose(state, targets, WriteOp::Comment(text));
                }
            } else {
                editor.input(key);
                state.overlay = Some(Overlay::Comment { editor, targets });
            }
            vec![]
        }
        Overlay::Confirm {
            question,
            targets,
            op,
        } => match key.code {
            KeyCode::Char('y' | 'Y') if !interrupt => send(state, &targets, &op),
            KeyCode::Char('n' | 'N') | KeyCode::Esc => {
                state.info("Cancelled");
                vec![]
            }
            _ if interrupt => {
                state.info("Cancelled");
                vec![]
            }
            _ => {
                // Only an explicit y or n answers; a stray key must not confirm a bulk write.
                state.overlay = Some(Overlay::Confirm {
                    question,
                    targets,
                    op,
                });
                vec![]
            }
        },
        Overlay::Conflict(prompt) => conflict_key(state, key, cancel, prompt),
        Overlay::Outbox {
            rows,
            cursor,
            confirm_drop,
        } => outbox_key(state, key, cancel, rows, cursor, confirm_drop),
        Overlay::Help { scroll } => {
            let km = state.keymap();
            let max = super::help::lines(km).len();
            let scroll = usize::from(scroll);
            let next = if cancel || km.is(KeyAction::Help, &key) || km.is(KeyAction::Quit, &key) {
                None
            } else if km.is(KeyAction::Down, &key) {
                Some(scroll + 1)
            } else if km.is(KeyAction::Up, &key) {
                Some(scroll.saturating_sub(1))
            } else if km.is(KeyAction::PageDown, &key) {
                Some(scroll + 10)
            } else if km.is(KeyAction::PageUp, &key) {
                Some(scroll.saturating_sub(10))
            } else if km.is(KeyAction::Top, &key) {
                Some(0)
            } else if km.is(KeyAction::Bottom, &key) {
                Some(max)
            } else {
                Some(scroll)
            };
            if let Some(s) = next {
                let visible = usize::from(state.screen().middle.height.saturating_sub(2));
                let s = s.min(max.saturating_sub(visible));
                state.overlay = Some(Overlay::Help {
                    scroll: u16::try_from(s).unwrap_or(u16::MAX),
                });
            }
            vec![]
        }
    }
}

fn is_ctrl(key: &KeyEvent, c: char) -> bool {
    key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char(c)
}

fn is_plain_char(key: &KeyEvent) -> Option<char> {
    match key.code {
        KeyCode::Char(c)
            if !key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
        {
            Some(c)
        }
        _ => None,
    }
}

fn filter_key(state: &mut State, key: KeyEvent, cancel: bool) {
    if state.focus == Focus::Entities {
        return entity_filter_key(state, key, cancel);
    }
    if cancel {
        state.queue.set_query("");
        state.relocate_cursor();
        return;
    }
    let mut query = state.queue.query().to_owned();
    match key.code {
        KeyCode::Enter => {
            // The filter stays; the queue gets the keys back.
            return;
        }
        KeyCode::Up | KeyCode::Down => {
            // Arrows move through the matches without leaving the filter.
            let row = if key.code == KeyCode::Up {
                state.cursor.saturating_sub(1)
            } else {
                state.cursor + 1
            };
            state.move_cursor_to(row);
        }
        KeyCode::Backspace => {
            query.pop();
        }
        _ if is_ctrl(&key, 'u') => query.clear(),
        _ if is_ctrl(&key, 'w') => {
            let keep = query.trim_end().rfind(' ').map_or(0, |i| i + 1);
            query.truncate(keep);
        }
        _ => {
            if let Some(c) = is_plain_char(&key) {
                query.push(c);
            }
        }
    }
    if query != state.queue.query() {
        state.queue.set_query(&query);
        state.relocate_cursor();
    }
    state.overlay = Some(Overlay::Filter);
}

/// The filter line while the entities pane has focus: the same editing keys, on its query.
fn entity_filter_key(state: &mut State, key: KeyEvent, cancel: bool) {
    let mut query = entity_keys::query(state).to_owned();
    match key.code {
        _ if cancel => query.clear(),
        KeyCode::Enter => return,
        KeyCode::Up | KeyCode::Down => {
            let action = if key.code == KeyCode::Up {
                KeyAction::Up
            } else {
                KeyAction::Down
            };
            entity_keys::on_action(state, action);
        }
        KeyCode::Backspace => {
            query.pop();
        }
        _ if is_ctrl(&key, 'u') => query.clear(),
        _ => {
            if let Some(c) = is_plain_char(&key) {
                query.push(c);
            }
        }
    }
    if query != entity_keys::query(state) {
        entity_keys::set_query(state, &query);
    }
    if !cancel {
        state.overlay = Some(Overlay::Filter);
    }
}

fn command_key(state: &mut State, key: KeyEvent, cancel: bool, mut line: String) -> Vec<Command> {
    if cancel {
        return vec![];
    }
    match key.code {
        KeyCode::Enter => return run_command(state, line.trim()),
        KeyCode::Backspace if line.is_empty() => return vec![],
        KeyCode::Backspace => {
            line.pop();
        }
        _ if is_ctrl(&key, 'u') => line.clear(),
        _ => {
            if let Some(c) = is_plain_char(&key) {
                line.push(c);
            }
        }
    }
    state.overlay = Some(Overlay::Command(line));
    vec![]
}

/// The conflict prompt: `m` keeps mine, `t` takes theirs, Esc decides later (the entry waits
/// in the outbox).
fn conflict_key(
    state: &mut State,
    key: KeyEvent,
    cancel: bool,
    prompt: ConflictPrompt,
) -> Vec<Command> {
    let resolution = match key.code {
        _ if cancel => {
            state.info("Left in the outbox; :outbox to decide later");
            return vec![];
        }
        KeyCode::Char('m' | 'M') => Resolution::KeepMine,
        KeyCode::Char('t' | 'T') => Resolution::TakeTheirs,
        _ => {
            state.overlay = Some(Overlay::Conflict(prompt));
            return vec![];
        }
    };
    if resolution == Resolution::KeepMine && state.session.read_only {
        state.error("Read-only: changes are not allowed");
        return vec![];
    }
    state.info(match resolution {
        Resolution::KeepMine => "Sending your values",
        Resolution::TakeTheirs => "Kept the server's values; your change is dropped",
    });
    vec![Command::ResolveConflict {
        entry_id: prompt.entry_id,
        resolution,
    }]
}

/// The `:outbox` view: move, `r` retry, `d` then `y` drop, `m`/`t` settle a conflict.
fn outbox_key(
    state: &mut State,
    key: KeyEvent,
    cancel: bool,
    rows: Vec<OutboxRow>,
    mut cursor: usize,
    confirm_drop: bool,
) -> Vec<Command> {
    if cancel || key.code == KeyCode::Char('q') {
        return vec![Command::OutboxClosed];
    }
    let selected = rows
        .get(cursor)
        .map(|r| (r.entry_id.clone(), r.state.clone()));
    let mut commands = Vec::new();
    let mut confirm = false;
    let km = state.keymap();
    if km.is(KeyAction::Down, &key) {
        cursor = (cursor + 1).min(rows.len().saturating_sub(1));
    } else if km.is(KeyAction::Up, &key) {
        cursor = cursor.saturating_sub(1);
    } else if let Some((id, row_state)) = selected {
        let stopped = row_state == "failed" || row_state == "conflict";
        match key.code {
            KeyCode::Char('y') if confirm_drop => commands.push(Command::OutboxDrop(id)),
            KeyCode::Char('d') => confirm = true,
            KeyCode::Char(c @ ('r' | 'm' | 't')) if state.session.read_only && c != 't' => {
                state.error("Read-only: changes are not allowed");
            }
            KeyCode::Char('r') if stopped => commands.push(Command::OutboxRetry(id)),
            KeyCode::Char('r') => state.info("Already being sent"),
            KeyCode::Char(c @ ('m' | 't')) if row_state == "conflict" => {
                commands.push(Command::ResolveConflict {
                    entry_id: id,
                    resolution: if c == 'm' {
                        Resolution::KeepMine
                    } else {
                        Resolution::TakeTheirs
                    },
                });
            }
            _ => {}
        }
    }
    if confirm {
        state.info("Drop this change for good? y to drop, any other key keeps it");
    }
    state.overlay = Some(Overlay::Outbox {
        rows,
        cursor,
        confirm_drop: confirm,
    });
    commands
}

fn run_command(state: &mut State, line: &str) -> Vec<Command> {
    match line {
        "" => {}
        "q" | "quit" | "q!" | "qa" => return quit(state),
        "alerts" | "alert" => {
            entity_keys::close(state);
            state.focus = Focus::Queue;
            state.scroll_to_cursor();
            state.info("Alert queue");
        }
        "entities" | "entity" | "ent" => entity_keys::open_all(state),
        "help" | "h" => state.overlay = Some(Overlay::Help { scroll: 0 }),
        "outbox" => {
            state.overlay = Some(Overlay::Outbox {
                rows: Vec::new(),
                cursor: 0,
                confirm_drop: false,
            });
            return vec![Command::OutboxList];
        }
        other => state.error(&format!(
            "Unknown command :{other} (try :alerts, :entities, :outbox, :q, :help)"
        )),
    }
    vec![]
}

fn menu_key(
    state: &mut State,
    key: KeyEvent,
    cancel: bool,
    kind: MenuKind,
    cursor: usize,
    targets: Vec<Target>,
) -> Vec<Command> {
    if cancel {
        state.info("Cancelled");
        return vec![];
    }
    let choices = kind.choices();
    let km = state.keymap();
    let chosen = match key.code {
        KeyCode::Enter => Some(cursor),
        KeyCode::Char(c @ '1'..='9') => {
            let i = c as usize - '1' as usize;
            (i < choices.len()).then_some(i)
        }
        _ => None,
    };
    if let Some(i) = chosen {
        return choose(state, choices[i].clone(), targets);
    }
    let cursor = if km.is(KeyAction::Down, &key) {
        (cursor + 1).min(choices.len().saturating_sub(1))
    } else if km.is(KeyAction::Up, &key) {
        cursor.saturating_sub(1)
    } else {
        cursor
    };
    state.overlay = Some(Overlay::Menu {
        kind,
        cursor,
        targets,
    });
    vec![]
}

fn choose(state: &mut State, choice: Choice, targets: Vec<Target>) -> Vec<Command> {
    match choice {
        Choice::Status(status) => propose(
            state,
            targets,
            WriteOp::Update(AlertUpdate {
                status: Some(status),
                ..Default::default()
            }),
        ),
        Choice::Classification(c) => {
            open_menu(state, MenuKind::Determination(c), 0, targets);
            vec![]
        }
        Choice::Determination(c, d) => {
            let op = WriteOp::shared_fields(kind_of(&targets), None, Some((c, d)));
            propose(state, targets, op)
        }
        Choice::StatusPreset(p) => {
            state.status_preset = p;
            state.info(format!("Loading {} alerts…", p.label()));
            vec![state.start_load(LoadMode::Replace)]
        }
        Choice::TimePreset(p) => {
            state.time_preset = p;
            state.info(format!("Loading alerts from the last {}…", p.label()));
            vec![state.start_load(LoadMode::Replace)]
        }
    }
}

fn submit_prompt(
    state: &mut State,
    kind: PromptKind,
    text: String,
    targets: Vec<Target>,
) -> Vec<Command> {
    if text.is_empty() {
        state.info("No name given; nothing changed");
        return vec![];
    }
    let name = sanitize::line(&text).into_owned();
    if kind == PromptKind::WhoAmI {
        // Remembered for the rest of the session, so "assign to me" asks only once.
        state.me = Some(name.clone());
    }
    assign(state, targets, name)
}

fn assign(state: &mut State, targets: Vec<Target>, name: String) -> Vec<Command> {
    let op = WriteOp::shared_fields(kind_of(&targets), Some(name), None);
    propose(state, targets, op)
}

/// The kind of the targets of one action (all alerts or all incidents).
fn kind_of(targets: &[Target]) -> TargetKind {
    targets.first().map_or(TargetKind::Alert, |t| t.kind)
}

/// What a write does, as the confirmation and the status line say it.
pub(crate) fn describe(op: &WriteOp) -> String {
    if let WriteOp::Comment(_) = op {
        return "Add comment".to_owned();
    }
    let f = op.fields();
    let mut parts = Vec::new();
    if let Some(s) = f.status {
        parts.push(format!("Set status {s}"));
    }
    if let Some(a) = f.assigned_to {
        parts.push(format!("Assign to {a}"));
    }
    if let (Some(c), Some(d)) = (f.classification, f.determination) {
        parts.push(format!("Classify {c} / {d}"));
    }
    parts.join(", ")
}

/// Sends at once for one target; asks first for several.
fn propose(state: &mut State, targets: Vec<Target>, op: WriteOp) -> Vec<Command> {
    if targets.len() > 1 {
        let question = format!("{} on {}? y/n", describe(&op), format::count_of(&targets));
        state.overlay = Some(Overlay::Confirm {
            question,
            targets,
            op,
        });
        state.dirty = true;
        return vec![];
    }
    send(state, &targets, &op)
}

/// One command per target, each with a fresh write id; rows show the change as pending.
fn send(state: &mut State, targets: &[Target], op: &WriteOp) -> Vec<Command> {
    let commands = targets
        .iter()
        .map(|target| write_command(state, target, op.clone()))
        .collect::<Vec<_>>();
    let what = describe(op);
    let n = commands.len();
    state.info(format!(
        "{what}: sending {n} change{}…",
        if n == 1 { "" } else { "s" }
    ));
    commands
}

/// Records one write as pending and returns the command that sends it. The base is the
/// target as the analyst sees it, earlier pending changes included, taken before this
/// write joins them.
pub(crate) fn write_command(state: &mut State, target: &Target, op: WriteOp) -> Command {
    let id = target.id.clone();
    let base = match &op {
        WriteOp::Update(update) => state.queue.get(&id).map(|alert| {
            let seen = state.writes.preview(alert);
            check::base_for(seen.as_ref().unwrap_or(alert), update)
        }),
        WriteOp::UpdateIncident(_) | WriteOp::Comment(_) => None,
    };
    let write_id = state.writes.start(target.clone(), op.clone());
    match (op, target.kind) {
        (WriteOp::Update(update), _) => Command::UpdateAlert {
            write_id,
            alert_id: id,
            update,
            base,
            after: None,
        },
        (WriteOp::UpdateIncident(update), _) => Command::UpdateIncident {
            write_id,
            incident_id: id,
            update,
            base,
        },
        (WriteOp::Comment(text), TargetKind::Alert) => Command::AddComment {
            write_id,
            alert_id: id,
            text,
        },
        (WriteOp::Comment(text), TargetKind::Incident) => Command::AddIncidentComment {
            write_id,
            incident_id: id,
            text,
        },
    }
}

pub(crate) fn on_paste(state: &mut State, text: &str) {
    match state.overlay.as_mut() {
        Some(Overlay::Filter) if state.focus == Focus::Entities => {
            let q = format!("{}{}", entity_keys::query(state), sanitize::line(text));
            entity_keys::set_query(state, &q);
        }
        Some(Overlay::Filter) => {
            let q = format!("{}{}", state.queue.query(), sanitize::line(text));
            state.queue.set_query(&q);
            state.relocate_cursor();
        }
        Some(Overlay::Command(line)) => line.push_str(&sanitize::line(text)),
        Some(Overlay::Prompt { input, .. }) => {
            input.insert_str(sanitize::line(text));
        }
        Some(Overlay::Comment { editor, .. }) => {
            editor.insert_str(sanitize::text(text));
        }
        _ => return,
    }
    state.dirty = true;
}
