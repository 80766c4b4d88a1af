//! Key handling: overlays first (they own the keyboard while open), then the focused pane's
//! bindings from the keymap.

use super::action::OutboxRow;
use super::case_keys;
use super::command::Command;
use super::control_keys;
use super::entity_keys;
use super::format;
use super::incident_keys;
use super::incidents::OpenAlert;
use super::keymap::KeyAction;
use super::queue::{Column, Sort};
use super::score_keys;
use super::sim_keys;
use super::state::{
    Choice, ConflictPrompt, Focus, LoadMode, MenuKind, Overlay, PromptKind, State, StatusPreset,
    TimePreset,
};
use super::writes::{self, WriteOp};
use crate::graph::enums::{AlertStatus, IncidentStatus};
use crate::graph::incidents::IncidentUpdate;
use crate::graph::models::AlertUpdate;
use crate::graph::score::ControlStateUpdate;
use crate::outbox::{Base, Resolution, Target, TargetKind, check};
use crate::sanitize;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui_textarea::TextArea;

pub(crate) fn on_key(state: &mut State, key: KeyEvent) -> Vec<Command> {
    if key.kind == KeyEventKind::Release {
        return vec![];
    }
    state.last_input = state.now;
    state.live.on_input(state.now);
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
        if matches!(state.focus, Focus::Cases | Focus::Case) {
            state.error("Read-only session: cases cannot be changed");
            return vec![];
        }
        let incidents = matches!(state.focus, Focus::Incidents | Focus::Incident);
        state.error(&format!(
            "Read-only session: cannot {}",
            action_phrase(action, if incidents { "incidents" } else { "alerts" })
        ));
        return vec![];
    }
    if action == KeyAction::CaseTab {
        // The n-th key of `case_tab` picks the n-th tab.
        let tab = state
            .keymap()
            .index_of(action, &key)
            .and_then(|i| super::cases::CaseTab::ALL.get(i).copied());
        return match tab {
            Some(tab) => case_keys::show_tab(state, tab),
            None => vec![],
        };
    }
    on_action(state, action)
}

fn action_phrase(action: KeyAction, what: &str) -> String {
    match action {
        KeyAction::SetStatus => "change status".to_owned(),
        KeyAction::AssignMe | KeyAction::AssignTo => format!("assign {what}"),
        KeyAction::Classify => format!("classify {what}"),
        KeyAction::Comment => "add comments".to_owned(),
        _ => "do that".to_owned(),
    }
}

fn on_action(state: &mut State, action: KeyAction) -> Vec<Command> {
    match action {
        KeyAction::CommandLine | KeyAction::Help | KeyAction::Suspend | KeyAction::Quit => {}
        // The entities pane follows the alerts: refreshing it reloads them.
        KeyAction::Refresh if state.focus == Focus::Entities => {}
        _ if state.focus == Focus::Entities => return entity_keys::on_action(state, action),
        _ if state.focus == Focus::Score => {
            if let Some(commands) = score_keys::on_action(state, action) {
                return commands;
            }
        }
        _ if matches!(state.focus, Focus::Controls | Focus::Control) => {
            if let Some(commands) = control_keys::on_action(state, action) {
                return commands;
            }
        }
        _ if matches!(state.focus, Focus::Incidents | Focus::Incident) => {
            if let Some(commands) = incident_keys::on_action(state, action) {
                return commands;
            }
        }
        _ if matches!(state.focus, Focus::Cases | Focus::Case) => {
            if let Some(commands) = case_keys::on_action(state, action) {
                return commands;
            }
        }
        _ if sim_keys::is_sims(state.focus) => {
            if let Some(commands) = sim_keys::on_action(state, action) {
                return commands;
            }
        }
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
        KeyAction::SortNext | KeyAction::SortPrev | KeyAction::SortInvert => {
            let sort = next_sort(state.queue.sort(), action);
            state.queue.set_sort(sort);
            state.relocate_cursor();
            state.info(sorted_message(sort));
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
            let mode = state.load.refresh_mode();
            state.info("Refreshing…");
            return vec![state.start_load(mode)];
        }
        KeyAction::SetStatus => {
            if let Some(targets) = require_targets(state) {
                let menu = match kind_of(&targets) {
                    TargetKind::Alert => Some(MenuKind::Status),
                    TargetKind::Incident => Some(MenuKind::IncidentStatus),
                    // A control's state is not an alert status; this menu never offers it.
                    TargetKind::Control => None,
                };
                if let Some(menu) = menu {
                    open_menu(state, menu, 0, targets);
                }
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
            if let Some(id) = state.current_id().map(str::to_owned) {
                state.info(format!("Copying {} to the clipboard", sanitize::line(&id)));
                return vec![Command::CopyToClipboard(id)];
            }
            state.info("Nothing selected");
        }
        KeyAction::Entities if state.opened_alert().is_some() => {
            state.info("Entities list the alert queue's alerts: open this alert from the queue");
        }
        KeyAction::Entities => entity_keys::open_of_selected(state),
        KeyAction::Incidents => return incident_keys::open(state, None),
        // Only bound in the entities pane, which handled them above.
        KeyAction::EntityAlerts | KeyAction::EntityKind => {}
        // Only bound in the :score pane, which handled them above.
        KeyAction::ScoreWindow
        | KeyAction::ScoreView
        | KeyAction::ChartMarker
        | KeyAction::OpenControls => {}
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
        // Only the control panes bind these; they answer above.
        KeyAction::EditControl | KeyAction::PlanControl => {}
        // Only the cases panes bind these; they answer above.
        KeyAction::OpenCase
        | KeyAction::NextTab
        | KeyAction::PrevTab
        | KeyAction::CaseTab
        | KeyAction::NewCase
        | KeyAction::CloseCase
        | KeyAction::ReopenCase
        | KeyAction::AddCustodian
        | KeyAction::Estimate => {}
        // Only the simulation panes bind these; they answer above.
        KeyAction::SimOpen
        | KeyAction::SimTenant
        | KeyAction::SimSort
        | KeyAction::SimCompromised
        | KeyAction::SimSection => {}
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
    if matches!(state.focus, Focus::Detail | Focus::Incident) {
        back(state);
        state.info("Back (Ctrl-C again clears marks and filter)");
        return vec![];
    }
    let (had_marks, had_filter) = if state.focus == Focus::Incidents {
        let pane = &mut state.incidents;
        let had = (!pane.marks.is_empty(), !pane.queue.query().is_empty());
        pane.marks.clear();
        incident_keys::set_query(state, "");
        had
    } else {
        let had = (!state.marks.is_empty(), !state.queue.query().is_empty());
        state.marks.clear();
        if had.1 {
            state.queue.set_query("");
            state.relocate_cursor();
        }
        had
    };
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
    let (Some(body), Some(alert)) = (screen.detail_body, state.detail_alert()) else {
        return 0;
    };
    let lines = state.alert_document(alert, usize::from(body.width)).len();
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
    super::refresh::viewed(state, &id);
    // Fetch a fresh copy: comments and status may have changed since the list loaded.
    vec![Command::GetAlert { id }]
}

fn back(state: &mut State) {
    if matches!(state.focus, Focus::Incidents | Focus::Incident) {
        incident_keys::back(state);
    } else if state.focus == Focus::Detail && incident_keys::close_alert(state) {
        state.info("Incident");
    } else if state.focus == Focus::Detail {
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

/// The sort a sort key asks for: the next or previous column in its natural direction,
/// or the same column inverted.
pub(crate) fn next_sort<C: Column>(cur: Sort<C>, action: KeyAction) -> Sort<C> {
    let column = match action {
        KeyAction::SortNext => cur.column.next(),
        KeyAction::SortPrev => cur.column.prev(),
        _ => {
            return Sort {
                descending: !cur.descending,
                ..cur
            };
        }
    };
    Sort {
        column,
        descending: column.natural_descending(),
    }
}

pub(crate) fn sorted_message<C: Column>(sort: Sort<C>) -> String {
    let arrow = if sort.descending { "↓" } else { "↑" };
    format!("Sorted by {} {arrow}", sort.column.name())
}

fn require_targets(state: &mut State) -> Option<Vec<Target>> {
    let targets = state.targets();
    if targets.is_empty() {
        state.info("Nothing selected");
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
        Overlay::ControlEditor(editor) => control_keys::editor_key(state, editor, key, cancel),
        Overlay::CaseForm(form) => case_keys::form_key(state, form, key, cancel),
        Overlay::CaseConfirm(confirm) => match key.code {
            KeyCode::Char('y' | 'Y') if !interrupt => case_keys::confirm_key(state, confirm, true),
            KeyCode::Char('n' | 'N') | KeyCode::Esc => {
                case_keys::confirm_key(state, confirm, false)
            }
            _ if interrupt => case_keys::confirm_key(state, confirm, false),
            _ => {
                // Only an explicit answer counts.
                state.overlay = Some(Overlay::CaseConfirm(confirm));
                vec![]
            }
        },
        Overlay::CustodianPrompt { case_id, mut input } => {
            if cancel {
                state.info("Cancelled: nothing was sent");
            } else if key.code == KeyCode::Enter {
                let text = input.lines().concat();
                return case_keys::submit_custodian(state, case_id, text);
            } else {
                input.input(key);
                state.overlay = Some(Overlay::CustodianPrompt { case_id, input });
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
            also,
        } => match key.code {
            KeyCode::Char('y' | 'Y') if !interrupt => {
                let mut commands = send(state, &targets, &op);
                if !also.is_empty() {
                    commands.extend(resolve_alerts(state, &also));
                    state.info(format!(
                        "{}: sending {} and {}…",
                        describe(&op),
                        changes(targets.len(), "incident"),
                        changes(also.len(), "alert"),
                    ));
                }
                commands
            }
            KeyCode::Char('i' | 'I') if !interrupt && !also.is_empty() => {
                send(state, &targets, &op)
            }
            KeyCode::Char('n' | 'N') | KeyCode::Esc => {
                state.info("Cancelled");
                vec![]
            }
            _ if interrupt => {
                state.info("Cancelled");
                vec![]
            }
            _ => {
                // Only an explicit answer counts; a stray key must not confirm a bulk write.
                state.overlay = Some(Overlay::Confirm {
                    question,
                    targets,
                    op,
                    also,
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

/// The filter line: typing narrows the focused list (alerts, entities or incidents).
fn filter_key(state: &mut State, key: KeyEvent, cancel: bool) {
    let mut query = list_query(state).to_owned();
    match key.code {
        _ if cancel => query.clear(),
        // The filter stays; the list gets the keys back.
        KeyCode::Enter => return,
        // Arrows move through the matches without leaving the filter.
        KeyCode::Up => {
            on_action(state, KeyAction::Up);
        }
        KeyCode::Down => {
            on_action(state, KeyAction::Down);
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
    if query != list_query(state) {
        set_list_query(state, &query);
    }
    if !cancel {
        state.overlay = Some(Overlay::Filter);
    }
}

/// The type-to-filter text of the focused list.
fn list_query(state: &State) -> &str {
    match state.focus {
        Focus::Entities => entity_keys::query(state),
        Focus::Incidents => state.incidents.queue.query(),
        Focus::Controls => &state.controls.filter,
        Focus::Cases => &state.cases.filter,
        Focus::Sims => &state.sims.filter,
        _ => state.queue.query(),
    }
}

fn set_list_query(state: &mut State, query: &str) {
    match state.focus {
        Focus::Entities => entity_keys::set_query(state, query),
        Focus::Incidents => incident_keys::set_query(state, query),
        Focus::Controls => control_keys::set_query(state, query),
        Focus::Cases => case_keys::set_query(state, query),
        Focus::Sims => sim_keys::set_query(state, query),
        _ => {
            state.queue.set_query(query);
            state.relocate_cursor();
        }
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
    if let Some(rest) = line.strip_prefix("profile")
        && (rest.is_empty() || rest.starts_with(' '))
    {
        return switch_profile(state, rest.trim());
    }
    match line {
        "" => {}
        "q" | "quit" | "q!" | "qa" => return quit(state),
        "alerts" | "alert" => {
            entity_keys::close(state);
            incident_keys::close(state);
            state.focus = Focus::Queue;
            state.scroll_to_cursor();
            state.info("Alert queue");
        }
        "incidents" | "incident" | "inc" => return incident_keys::open(state, None),
        "incidents all" | "inc all" => {
            return incident_keys::open(state, Some(StatusPreset::All));
        }
        "score" => return score_keys::open_score(state),
        "controls" | "control" => return score_keys::open_controls(state),
        "cases" | "case" | "ediscovery" => return case_keys::open(state),
        "sims" | "sim" | "simulations" => return sim_keys::open(state),
        "entities" | "entity" | "ent" => {
            incident_keys::close(state);
            entity_keys::open_all(state);
        }
        "live" => {
            let on = if state.live.enabled { "on" } else { "off" };
            state.info(format!("Live refresh is {on} (:live on, :live off)"));
        }
        "live on" => {
            let (now, last_input) = (state.now, state.last_input);
            for live in [&mut state.live, &mut state.incidents.live] {
                live.enabled = true;
                if live.current_at.is_some() && live.next_at.is_none() && live.in_flight.is_none()
                {
                    live.schedule(now, last_input);
                }
            }
            state.info("Live refresh on: the queues poll Graph for changes");
        }
        "live off" => {
            state.live.enabled = false;
            state.incidents.live.enabled = false;
            state.info("Live refresh off: r reloads by hand");
        }
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
            "Unknown command :{other} (try :alerts, :incidents, :entities, :score, :controls, :cases, :sims, :outbox, :live, :profile, :q, :help)"
        )),
    }
    vec![]
}

/// `:profile` names the profiles; `:profile NAME` asks the terminal layer to switch.
fn switch_profile(state: &mut State, name: &str) -> Vec<Command> {
    let current = state.session.profile.clone();
    if state.session.profiles.is_empty() {
        state.error(&format!("No other profile to switch to from {current}"));
        return vec![];
    }
    let listed = state.session.profiles.join(", ");
    if name.is_empty() {
        state.info(format!(
            "Profile {current}; profiles: {listed} (:profile NAME)"
        ));
        return vec![];
    }
    if name == current {
        state.info(format!("Already on profile {current}"));
        return vec![];
    }
    if !state.session.profiles.iter().any(|p| p == name) {
        state.error(&format!("Unknown profile '{name}': profiles are {listed}"));
        return vec![];
    }
    state.info(format!("Switching to profile {name}..."));
    vec![Command::SwitchProfile(name.to_owned())]
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
        Choice::IncidentStatus(status) => {
            let resolving = status == IncidentStatus::Resolved;
            let op = WriteOp::UpdateIncident(IncidentUpdate {
                status: Some(status),
                ..Default::default()
            });
            let also = if resolving {
                incident_keys::open_alerts(state, &targets)
            } else {
                Vec::new()
            };
            if also.is_empty() {
                return propose(state, targets, op);
            }
            // One question for the incidents and their open alerts together.
            let question = incident_keys::resolve_question(&targets, &also);
            state.overlay = Some(Overlay::Confirm {
                question,
                targets,
                op,
                also,
            });
            vec![]
        }
        Choice::IncidentPreset(p) => {
            state.incidents.preset = p;
            state.info(format!("Loading {} incidents…", p.incident_label()));
            vec![incident_keys::start_load(state, LoadMode::Replace)]
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
            also: Vec::new(),
        });
        state.dirty = true;
        return vec![];
    }
    send(state, &targets, &op)
}

/// "1 incident change", "3 alert changes".
fn changes(n: usize, what: &str) -> String {
    format!("{n} {what} change{}", if n == 1 { "" } else { "s" })
}

/// The alert PATCHes of a resolve-with-alerts: each alert resolved, sent after its
/// incident's PATCH (see [`crate::outbox::Entry::after`]).
fn resolve_alerts(state: &mut State, also: &[OpenAlert]) -> Vec<Command> {
    let op = WriteOp::Update(AlertUpdate {
        status: Some(AlertStatus::Resolved),
        ..Default::default()
    });
    also.iter()
        .map(|a| {
            let after = Target::incident(&a.incident_id);
            write_command(state, &Target::alert(&a.alert_id), op.clone(), Some(after))
        })
        .collect()
}

/// One command per target, each with a fresh write id; rows show the change as pending.
fn send(state: &mut State, targets: &[Target], op: &WriteOp) -> Vec<Command> {
    let commands = targets
        .iter()
        .map(|target| write_command(state, target, op.clone(), None))
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
pub(crate) fn write_command(
    state: &mut State,
    target: &Target,
    op: WriteOp,
    after: Option<Target>,
) -> Command {
    let id = target.id.clone();
    let base = match &op {
        WriteOp::Update(update) => alert_base(state, &id, update, after.as_ref()),
        WriteOp::UpdateIncident(update) => state.incidents.get(&id).map(|row| {
            let seen = state.writes.preview_incident(&row.incident);
            check::incident_base_for(seen.as_ref().unwrap_or(&row.incident), update)
        }),
        WriteOp::Comment(_) => None,
        WriteOp::UpdateControl(update) => state
            .score
            .profile(&id)
            .map(|p| check::control_base(p, update)),
    };
    let write_id = state.writes.start(target.clone(), op.clone());
    match (op, target.kind) {
        (WriteOp::Update(update), _) => Command::UpdateAlert {
            write_id,
            alert_id: id,
            update,
            base,
            after,
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
        (WriteOp::UpdateControl(update), _) => Command::UpdateControl {
            write_id,
            profile_id: id,
            update,
            base,
        },
        // A control's comment is part of a state update: Graph appends it to the
        // control's history with the current state.
        (WriteOp::Comment(text), TargetKind::Control) => Command::UpdateControl {
            write_id,
            profile_id: id,
            update: ControlStateUpdate {
                comment: Some(text),
                ..ControlStateUpdate::keep_state()
            },
            base,
        },
    }
}

/// The base of an alert PATCH: the alert as loaded (the queue's copy or the one opened
/// from an incident), else as its incident (`after`, for an alert resolved with it)
/// summarised it; pending changes included.
fn alert_base(
    state: &State,
    id: &str,
    update: &AlertUpdate,
    after: Option<&Target>,
) -> Option<Base> {
    if let Some(alert) = state.alert(id) {
        let seen = state.writes.preview(alert);
        return Some(check::base_for(seen.as_ref().unwrap_or(alert), update));
    }
    let brief = after
        .filter(|t| t.kind == TargetKind::Incident)
        .and_then(|t| state.incidents.get(&t.id))?
        .alerts()
        .iter()
        .find(|a| a.id == id)?;
    let pending = state.writes.pending_update(id);
    let seen = writes::merged(
        [Some(&brief.fields), pending.as_ref()]
            .into_iter()
            .flatten(),
    )
    .unwrap_or_default();
    Some(check::base_for_fields(brief.last_update, &seen, update))
}

pub(crate) fn on_paste(state: &mut State, text: &str) {
    state.last_input = state.now;
    match state.overlay.as_mut() {
        Some(Overlay::Filter) => {
            let q = format!("{}{}", list_query(state), sanitize::line(text));
            set_list_query(state, &q);
        }
        Some(Overlay::Command(line)) => line.push_str(&sanitize::line(text)),
        Some(Overlay::Prompt { input, .. }) => {
            input.insert_str(sanitize::line(text));
        }
        Some(Overlay::Comment { editor, .. }) => {
            editor.insert_str(sanitize::text(text));
        }
        Some(Overlay::ControlEditor(editor)) => {
            control_keys::editor_paste(editor, &sanitize::text(text));
        }
        Some(Overlay::CustodianPrompt { input, .. }) => {
            input.insert_str(sanitize::line(text).replace(['\r', '\n'], ""));
        }
        Some(Overlay::CaseForm(form)) => match form.field {
            super::cases::FormField::Name => {
                form.name
                    .insert_str(sanitize::line(text).replace(['\r', '\n'], " "));
            }
            super::cases::FormField::Description => {
                form.description.insert_str(sanitize::text(text));
            }
        },
        _ => return,
    }
    state.dirty = true;
}
