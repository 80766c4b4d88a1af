//! Opening `:cases`, drilling into a case and its tabs, the reads they need, and what the
//! worker answers. Every eDiscovery read goes through the worker's one cases queue (Graph
//! allows 5 requests a minute there): the list is read once on first open (`r` again), a
//! tab when it is first shown, and the tab being looked at is asked first.

use super::cases::{CaseConfirm, CaseForm, CaseTab, Pacing, TabRows, case_name, rows};
use super::command::Command;
use super::keymap::KeyAction;
use super::score::Fetch;
use super::state::{Focus, Overlay, State};
use crate::graph::cases::{CaseStatus, Custodian, EdiscoveryCase, Kept};
use crate::operations::OperationView;
use crate::sanitize;
use ratatui_textarea::TextArea;

/// Lines above the case list: its column header.
pub const LIST_TOP: u16 = 1;
/// Lines above a tab's rows: the tab bar and the column header.
pub const TAB_TOP: u16 = 2;

/// `:cases`: the case list, read on first open.
pub(crate) fn open(state: &mut State) -> Vec<Command> {
    if !matches!(state.focus, Focus::Cases | Focus::Case) {
        state.cases_return = state.focus;
    }
    state.focus = Focus::Cases;
    state.cases.open = None;
    relocate(state);
    state.info("eDiscovery cases, newest-modified first (enter opens, esc goes back)");
    load_list(state, false)
}

/// Reads the case list unless it was read (or is being read); `force` reads it again.
fn load_list(state: &mut State, force: bool) -> Vec<Command> {
    let fetch = &mut state.cases.list_fetch;
    if fetch.is_loading() || (!force && *fetch != Fetch::NotAsked) {
        return vec![];
    }
    *fetch = Fetch::Loading;
    state.dirty = true;
    vec![Command::LoadCases]
}

/// The tab shown in the open case is read unless it was; a read still waiting in the
/// worker's queue is asked again with `first`, which moves it before the others.
fn load_tab(state: &mut State, force: bool) -> Vec<Command> {
    let Some(case_id) = state.cases.open.clone() else {
        return vec![];
    };
    let tab = state.cases.tab;
    let detail = state.cases.details.entry(case_id.clone()).or_default();
    let fetch = detail.fetch.entry(tab).or_default();
    let ask = match fetch {
        Fetch::NotAsked => true,
        // Waiting behind other reads: the analyst is looking at this one now.
        Fetch::Loading => true,
        Fetch::Loaded | Fetch::Failed(_) => force,
    };
    if !ask {
        return vec![];
    }
    *fetch = Fetch::Loading;
    state.dirty = true;
    vec![Command::LoadCaseTab {
        case_id,
        tab,
        first: true,
    }]
}

/// Rows of the case list on screen.
pub(crate) fn list_rows(state: &State) -> usize {
    usize::from(state.screen().middle.height.saturating_sub(LIST_TOP)).max(1)
}

/// Rows of a tab on screen.
pub(crate) fn tab_rows(state: &State) -> usize {
    usize::from(state.screen().middle.height.saturating_sub(TAB_TOP)).max(1)
}

/// The case under the list cursor.
pub(crate) fn selected(state: &State) -> Option<&Kept<EdiscoveryCase>> {
    state
        .cases
        .cursor_id
        .as_deref()
        .and_then(|id| state.cases.case(id))
}

/// Keeps the list cursor on its case after the rows changed, or on the nearest row.
pub(crate) fn relocate(state: &mut State) {
    let rows = rows(&state.cases);
    let pane = &state.cases;
    let found = pane
        .cursor_id
        .as_deref()
        .and_then(|id| rows.iter().position(|&i| pane.list[i].id == id));
    let row = found
        .unwrap_or(pane.cursor)
        .min(rows.len().saturating_sub(1));
    place(state, &rows, row);
}

fn place(state: &mut State, rows: &[usize], row: usize) {
    let visible = list_rows(state);
    let pane = &mut state.cases;
    pane.cursor = row;
    pane.cursor_id = rows.get(row).map(|&i| pane.list[i].id.clone());
    scroll_into_view(row, &mut pane.offset, rows.len(), visible);
    state.dirty = true;
}

fn scroll_into_view(row: usize, offset: &mut usize, len: usize, visible: usize) {
    if row < *offset {
        *offset = row;
    } else if row >= *offset + visible {
        *offset = row + 1 - visible;
    }
    *offset = (*offset).min(len.saturating_sub(visible));
}

fn move_list(state: &mut State, row: usize) {
    let rows = rows(&state.cases);
    if rows.is_empty() {
        return;
    }
    place(state, &rows, row.min(rows.len() - 1));
}

/// Rows in the shown tab: the followed operations of the case come first in the
/// operations tab.
pub(crate) fn tab_len(state: &State) -> usize {
    let pane = &state.cases;
    let listed = pane
        .open_detail()
        .and_then(|d| d.rows(pane.tab))
        .map_or(0, TabRows::len);
    if pane.tab == CaseTab::Operations {
        listed + followed(state).len()
    } else {
        listed
    }
}

/// The followed operations of the open case.
pub(crate) fn followed(state: &State) -> Vec<&OperationView> {
    let Some(id) = state.cases.open.as_deref() else {
        return vec![];
    };
    state
        .cases
        .operations
        .iter()
        .filter(|o| o.case_id == id)
        .collect()
}

impl State {
    /// The followed operations of the open case (drawn on top of its operations tab).
    pub(crate) fn case_operations(&self) -> Vec<&OperationView> {
        followed(self)
    }

    /// Rows in the open case's shown tab.
    pub(crate) fn case_tab_len(&self) -> usize {
        tab_len(self)
    }
}

fn move_tab(state: &mut State, row: usize) {
    let len = tab_len(state);
    let visible = tab_rows(state);
    let pane = &mut state.cases;
    pane.tab_cursor = row.min(len.saturating_sub(1));
    scroll_into_view(pane.tab_cursor, &mut pane.tab_offset, len, visible);
    state.dirty = true;
}

/// Shows `tab` of the open case, reading it when it was never read.
pub(crate) fn show_tab(state: &mut State, tab: CaseTab) -> Vec<Command> {
    if state.cases.open.is_none() {
        return vec![];
    }
    if state.cases.tab != tab {
        state.cases.tab = tab;
        state.cases.tab_cursor = 0;
        state.cases.tab_offset = 0;
    }
    state.message = None;
    state.dirty = true;
    load_tab(state, false)
}

/// Enter on the list: the case's tabs, the first one read at once.
fn drill_in(state: &mut State) -> Vec<Command> {
    let Some(case) = selected(state) else {
        state.info("No case selected");
        return vec![];
    };
    let (id, name) = (case.id.clone(), case_name(case));
    state.cases.open = Some(id);
    state.cases.tab_cursor = 0;
    state.cases.tab_offset = 0;
    state.focus = Focus::Case;
    state.info(format!("{name} (tab or 1-6 switch tabs, esc goes back)"));
    load_tab(state, false)
}

/// Esc: tab → case list → where the analyst came from (the filter is cleared first).
fn back(state: &mut State) {
    if state.focus == Focus::Case {
        state.focus = Focus::Cases;
        state.cases.open = None;
        relocate(state);
        state.info("eDiscovery cases");
    } else if !state.cases.filter.is_empty() {
        set_query(state, "");
        state.info("Filter cleared");
    } else {
        state.focus = match state.cases_return {
            Focus::Cases | Focus::Case => Focus::Queue,
            other => other,
        };
        state.scroll_to_cursor();
    }
    state.dirty = true;
}

/// The type-to-filter text changed.
pub(crate) fn set_query(state: &mut State, query: &str) {
    state.cases.filter = query.to_owned();
    relocate(state);
}

/// The case a write key applies to: the open one, else the one under the cursor.
fn target(state: &State) -> Option<&Kept<EdiscoveryCase>> {
    match state.cases.open_case() {
        Some(c) if state.focus == Focus::Case => Some(c),
        _ => selected(state),
    }
}

fn is_closed(c: &EdiscoveryCase) -> bool {
    matches!(
        c.status,
        Some(CaseStatus::Closed | CaseStatus::Closing | CaseStatus::ClosedWithError)
    )
}

/// Keys of the case list and a case; `None` leaves the key to the common handling.
pub(crate) fn on_action(state: &mut State, action: KeyAction) -> Option<Vec<Command>> {
    let in_case = state.focus == Focus::Case;
    let page = if in_case {
        tab_rows(state)
    } else {
        list_rows(state)
    };
    let (cursor, mover): (usize, fn(&mut State, usize)) = if in_case {
        (state.cases.tab_cursor, move_tab)
    } else {
        (state.cases.cursor, move_list)
    };
    match action {
        KeyAction::Up => mover(state, cursor.saturating_sub(1)),
        KeyAction::Down => mover(state, cursor + 1),
        KeyAction::PageUp => mover(state, cursor.saturating_sub(page)),
        KeyAction::PageDown => mover(state, cursor + page),
        KeyAction::Top => mover(state, 0),
        KeyAction::Bottom => mover(state, usize::MAX),
        KeyAction::OpenCase => return Some(drill_in(state)),
        KeyAction::Back => back(state),
        // Ctrl-C leaves the case, or clears the filter, before it arms quitting.
        KeyAction::Interrupt if in_case => back(state),
        KeyAction::Interrupt if !state.cases.filter.is_empty() => {
            set_query(state, "");
            state.info("Filter cleared (Ctrl-C again arms quitting)");
        }
        KeyAction::Filter if !in_case => state.overlay = Some(Overlay::Filter),
        KeyAction::Refresh if in_case => {
            state.info("Reading this tab again…");
            return Some(load_tab(state, true));
        }
        KeyAction::Refresh => {
            state.info("Reading the cases again…");
            return Some(load_list(state, true));
        }
        KeyAction::NextTab => return Some(show_tab(state, state.cases.tab.next())),
        KeyAction::PrevTab => return Some(show_tab(state, state.cases.tab.prev())),
        KeyAction::CloseCase | KeyAction::ReopenCase => ask_close_reopen(state, action),
        KeyAction::NewCase => open_form(state),
        KeyAction::AddCustodian => open_custodian_prompt(state),
        KeyAction::Estimate => ask_estimate(state),
        _ => return None,
    }
    state.dirty = true;
    Some(vec![])
}

fn read_only(state: &mut State) -> bool {
    if state.session.read_only {
        state.error("Read-only session: cases cannot be changed");
    }
    state.session.read_only
}

fn ask_close_reopen(state: &mut State, action: KeyAction) {
    if read_only(state) {
        return;
    }
    let Some(case) = target(state) else {
        state.info("No case selected");
        return;
    };
    let (case_id, name, closed) = (case.id.clone(), case_name(case), is_closed(case));
    if let Some(word) = state.cases.pending.get(&case_id) {
        state.info(format!("'{name}' is already {word}"));
        return;
    }
    let confirm = match action {
        KeyAction::CloseCase if closed => {
            state.info(format!("'{name}' is already closed (O reopens it)"));
            return;
        }
        KeyAction::CloseCase => CaseConfirm::Close { case_id, name },
        _ if !closed => {
            state.info(format!("'{name}' is not closed (C closes it)"));
            return;
        }
        _ => CaseConfirm::Reopen { case_id, name },
    };
    state.overlay = Some(Overlay::CaseConfirm(confirm));
}

fn open_form(state: &mut State) {
    if read_only(state) {
        return;
    }
    state.overlay = Some(Overlay::CaseForm(Box::default()));
    state.info("New case: tab moves between fields · ctrl-s sends · esc cancels");
}

fn open_custodian_prompt(state: &mut State) {
    if read_only(state) {
        return;
    }
    if state.cases.tab != CaseTab::Custodians {
        state.info("Custodians are added in the custodians tab (1)");
        return;
    }
    let Some(case_id) = state.cases.open.clone() else {
        return;
    };
    let mut input = TextArea::default();
    input.set_placeholder_text("mailbox, e.g. adelev@contoso.com");
    state.overlay = Some(Overlay::CustodianPrompt {
        case_id,
        input: Box::new(input),
    });
}

fn ask_estimate(state: &mut State) {
    if read_only(state) {
        return;
    }
    if state.cases.tab != CaseTab::Searches {
        state.info("Estimates run on a search: open the searches tab (3)");
        return;
    }
    let Some(case_id) = state.cases.open.clone() else {
        return;
    };
    let search = state
        .cases
        .open_detail()
        .and_then(|d| d.searches().get(state.cases.tab_cursor));
    let Some(search) = search else {
        state.info("No search selected");
        return;
    };
    let label = sanitize::line(search.display_name.as_deref().unwrap_or(&search.id)).into_owned();
    state.overlay = Some(Overlay::CaseConfirm(CaseConfirm::Estimate {
        case_id,
        search_id: search.id.clone(),
        label,
    }));
}

/// The analyst answered a case confirmation: `y` sends it, anything else cancels.
pub(crate) fn confirm_key(state: &mut State, confirm: CaseConfirm, yes: bool) -> Vec<Command> {
    if !yes {
        state.info("Cancelled: nothing was sent");
        return vec![];
    }
    if read_only(state) {
        return vec![];
    }
    match confirm {
        CaseConfirm::Close { case_id, name } => {
            state.cases.pending.insert(case_id.clone(), "closing…");
            state.info(format!("Closing '{name}'…"));
            vec![Command::CloseCase { case_id }]
        }
        CaseConfirm::Reopen { case_id, name } => {
            state.cases.pending.insert(case_id.clone(), "reopening…");
            state.info(format!("Reopening '{name}'…"));
            vec![Command::ReopenCase { case_id }]
        }
        CaseConfirm::Estimate {
            case_id,
            search_id,
            label,
        } => {
            state.info(format!("Starting an estimate on '{label}'…"));
            vec![Command::CasesEstimate {
                case_id,
                search_id,
                label,
            }]
        }
    }
}

/// A key in the new-case form: tab switches fields, ctrl-s sends, esc cancels.
pub(crate) fn form_key(
    state: &mut State,
    mut form: Box<CaseForm>,
    key: ratatui::crossterm::event::KeyEvent,
    cancel: bool,
) -> Vec<Command> {
    use super::cases::FormField;
    use ratatui::crossterm::event::{KeyCode, KeyModifiers};
    if cancel {
        state.info("New case cancelled: nothing was sent");
        return vec![];
    }
    let ctrl_s = key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('s');
    if ctrl_s {
        let name = form.name_text();
        if name.is_empty() {
            state.error("A case needs a name");
            state.overlay = Some(Overlay::CaseForm(form));
            return vec![];
        }
        if read_only(state) {
            return vec![];
        }
        let shown = sanitize::line(&name).into_owned();
        state.cases.creating = Some(shown.clone());
        state.info(format!("Creating '{shown}'…"));
        return vec![Command::CreateCase {
            display_name: name,
            description: form.description_text(),
        }];
    }
    match (key.code, form.field) {
        (KeyCode::Tab | KeyCode::BackTab, FormField::Name) | (KeyCode::Enter, FormField::Name) => {
            form.field = FormField::Description
        }
        (KeyCode::Tab | KeyCode::BackTab, FormField::Description) => form.field = FormField::Name,
        (_, FormField::Name) => {
            form.name.input(key);
        }
        (_, FormField::Description) => {
            form.description.input(key);
        }
    }
    form.sync_cursor();
    state.overlay = Some(Overlay::CaseForm(form));
    vec![]
}

/// Enter in the custodian prompt: add the mailbox (a blank one adds nothing).
pub(crate) fn submit_custodian(state: &mut State, case_id: String, email: String) -> Vec<Command> {
    let email = email.trim().to_owned();
    if email.is_empty() {
        state.info("No email given: nothing was sent");
        return vec![];
    }
    if read_only(state) {
        return vec![];
    }
    let shown = sanitize::line(&email).into_owned();
    state.cases.adding.insert((case_id.clone(), email.clone()));
    state.info(format!("Adding custodian {shown}…"));
    vec![Command::AddCustodian { case_id, email }]
}

// ---- the worker's answers

pub(crate) fn on_cases(state: &mut State, result: Result<Vec<Kept<EdiscoveryCase>>, String>) {
    match result {
        Ok(list) => {
            let first = state.cases.list_fetch != Fetch::Loaded && state.cases.list.is_empty();
            state.cases.list = list;
            state.cases.list_fetch = Fetch::Loaded;
            if first {
                // Nothing was chosen yet: start on the newest case.
                state.cases.cursor_id = None;
                state.cases.cursor = 0;
            }
        }
        Err(e) => {
            state.error(&format!("Loading the cases failed: {e}"));
            state.cases.list_fetch = Fetch::Failed(sanitize::line(&e).into_owned());
        }
    }
    relocate(state);
    state.dirty = true;
}

pub(crate) fn on_tab(
    state: &mut State,
    case_id: String,
    tab: CaseTab,
    result: Result<TabRows, String>,
) {
    let detail = state.cases.details.entry(case_id.clone()).or_default();
    match result {
        Ok(rows) if rows.tab() == tab => {
            detail.rows.insert(tab, rows);
            detail.fetch.insert(tab, Fetch::Loaded);
        }
        Ok(_) => {
            detail
                .fetch
                .insert(tab, Fetch::Failed("unexpected rows".into()));
        }
        Err(e) => {
            let e = sanitize::line(&e).into_owned();
            detail.fetch.insert(tab, Fetch::Failed(e.clone()));
            if state.cases.open.as_deref() == Some(&case_id) && state.cases.tab == tab {
                state.error(&format!("Reading the {} failed: {e}", tab.title()));
            }
        }
    }
    if state.focus == Focus::Case {
        let row = state.cases.tab_cursor;
        move_tab(state, row);
    }
    state.dirty = true;
}

pub(crate) fn on_written(
    state: &mut State,
    case_id: Option<String>,
    result: Result<Box<Kept<EdiscoveryCase>>, String>,
) {
    let word = match &case_id {
        Some(id) => state.cases.pending.remove(id),
        None => state.cases.creating.take().map(|_| "creating…"),
    };
    let doing = match word {
        Some("closing…") => "Closing the case",
        Some("reopening…") => "Reopening the case",
        Some(_) if case_id.is_none() => "Creating the case",
        _ => "Changing the case",
    };
    match result {
        Ok(case) => {
            let name = case_name(&case);
            let status = sanitize::line(case.status.as_ref().map_or("-", |s| s.as_str()));
            let text = if case_id.is_none() {
                format!("Created '{name}' ({status})")
            } else {
                format!("Saved: '{name}' is now {status}")
            };
            let id = case.id.clone();
            state.cases.upsert_case(*case);
            if case_id.is_none() && state.focus == Focus::Cases {
                state.cases.cursor_id = Some(id);
            }
            relocate(state);
            state.info(text);
        }
        Err(e) => state.error(&format!("{doing} failed: {e}")),
    }
    state.dirty = true;
}

pub(crate) fn on_custodian(
    state: &mut State,
    case_id: String,
    email: String,
    result: Result<Box<Kept<Custodian>>, String>,
) {
    state.cases.adding.remove(&(case_id.clone(), email.clone()));
    let shown = sanitize::line(&email).into_owned();
    match result {
        Ok(custodian) => {
            let detail = state.cases.details.entry(case_id).or_default();
            if let Some(TabRows::Custodians(list)) = detail.rows.get_mut(&CaseTab::Custodians) {
                match list.iter_mut().find(|c| c.id == custodian.id) {
                    Some(old) => *old = *custodian,
                    None => list.push(*custodian),
                }
            }
            state.info(format!("Custodian {shown} added"));
        }
        Err(e) => state.error(&format!("Adding custodian {shown} failed: {e}")),
    }
    state.dirty = true;
}

pub(crate) fn on_pacing(state: &mut State, pacing: Pacing) {
    if state.cases.pacing != pacing {
        state.cases.pacing = pacing;
        state.dirty = true;
    }
}

/// A followed operation moved. When it finishes, what it changed (the search's last
/// estimate, the case's operations) is read again when next shown, or now if shown.
pub(crate) fn on_operation(state: &mut State, op: OperationView) -> Vec<Command> {
    let finished = op.is_finished();
    let was_finished = state
        .cases
        .operations
        .iter()
        .find(|o| !op.operation_id.is_empty() && o.operation_id == op.operation_id)
        .is_some_and(OperationView::is_finished);
    let case_id = op.case_id.clone();
    let line = super::cases::operation_line(&op);
    let error = op.error.clone();
    state.cases.upsert_operation(op);
    state.dirty = true;
    if !finished || was_finished {
        return vec![];
    }
    match error {
        Some(e) => state.error(&format!("{line}: {e}")),
        None => state.info(format!("Finished: {line}")),
    }
    if let Some(detail) = state.cases.details.get_mut(&case_id) {
        for tab in [CaseTab::Searches, CaseTab::Operations] {
            if let Some(f) = detail.fetch.get_mut(&tab)
                && *f == Fetch::Loaded
            {
                *f = Fetch::NotAsked;
            }
        }
    }
    let shown = state.focus == Focus::Case
        && state.cases.open.as_deref() == Some(&case_id)
        && matches!(state.cases.tab, CaseTab::Searches | CaseTab::Operations);
    if shown {
        load_tab(state, false)
    } else {
        vec![]
    }
}

/// Something on the pane moves with the clock (a read's spinner). Not while reads wait
/// for the eDiscovery window: the status line gives the time of the next request instead,
/// so a minute's wait does not redraw the screen every second.
pub(crate) fn busy(state: &State) -> bool {
    let pane = &state.cases;
    matches!(state.focus, Focus::Cases | Focus::Case)
        && pane.pacing.next_at.is_none()
        && (pane.list_fetch.is_loading()
            || pane
                .open_detail()
                .is_some_and(|d| d.fetch(pane.tab).is_loading()))
}
