//! Opening `:assess`, the list and detail keys, the new-assessment form's keys, and what
//! the worker answers: the list, a submission's outcome, and the polls of pending requests.
//!
//! The list is read on first open (`r` again). Pending requests are followed by the
//! worker (a GET every few seconds) while the pane is open: every one the analyst
//! submitted, and up to [`MAX_FOLLOWED_FROM_LIST`] found pending in the list. Leaving the
//! pane stops the polls; coming back starts them again.

use super::assess::{AssessPane, MAX_FOLLOWED_FROM_LIST, SubmitFailure, rows, subject};
use super::assess_form::{AssessForm, FieldError, FormField};
use super::command::Command;
use super::detail::DocLine;
use super::keymap::KeyAction;
use super::score::Fetch;
use super::state::{Focus, Overlay, State};
use crate::graph::assess::{AssessmentKind, ThreatAssessmentRequest, throttle_text};
use crate::graph::cases::Kept;
use crate::sanitize;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Lines above the list: its column header.
pub const LIST_TOP: u16 = 1;

/// `:assess`: the list, read on first open; the pending requests known are followed again.
pub(crate) fn open(state: &mut State) -> Vec<Command> {
    if !matches!(state.focus, Focus::Assess | Focus::Assessment) {
        state.assess_return = state.focus;
    }
    state.focus = Focus::Assess;
    state.assess.open = None;
    relocate(state);
    state.info("Threat assessment requests, newest first (n submits one)");
    let mut commands = load_list(state, false);
    commands.extend(follow_pending(state));
    commands
}

/// Reads the list unless it was read (or is being read); `force` reads it again.
fn load_list(state: &mut State, force: bool) -> Vec<Command> {
    let fetch = &mut state.assess.list_fetch;
    if fetch.is_loading() || (!force && *fetch != Fetch::NotAsked) {
        return vec![];
    }
    *fetch = Fetch::Loading;
    state.dirty = true;
    vec![Command::LoadAssessments]
}

/// Asks the worker to follow the pending requests not followed yet: all of the analyst's
/// own, and the newest few others.
fn follow_pending(state: &mut State) -> Vec<Command> {
    let pane = &state.assess;
    let pending: Vec<&str> = rows_all(pane)
        .into_iter()
        .map(|i| &pane.list[i])
        .filter(|r| r.is_pending() && !r.id.is_empty())
        .map(|r| r.id.as_str())
        .collect();
    let others_followed = pane
        .followed
        .iter()
        .filter(|id| !pane.mine.contains(*id))
        .count();
    let mut room = MAX_FOLLOWED_FROM_LIST.saturating_sub(others_followed);
    let mut ids = Vec::new();
    for id in pending {
        if pane.followed.contains(id) {
            continue;
        }
        if pane.mine.contains(id) {
            ids.push(id.to_owned());
        } else if room > 0 {
            room -= 1;
            ids.push(id.to_owned());
        }
    }
    if ids.is_empty() {
        return vec![];
    }
    state.assess.followed.extend(ids.iter().cloned());
    vec![Command::FollowAssessments { ids }]
}

/// Every request, newest first, whatever the filter.
fn rows_all(pane: &AssessPane) -> Vec<usize> {
    let mut order: Vec<usize> = (0..pane.list.len()).collect();
    super::assess::newest_first(pane, &mut order);
    order
}

/// After every update: once the pane is gone (the analyst went elsewhere by any route),
/// the worker stops polling.
pub(crate) fn after_update(state: &mut State) -> Vec<Command> {
    let here = matches!(state.focus, Focus::Assess | Focus::Assessment);
    if here || state.assess.followed.is_empty() {
        return vec![];
    }
    state.assess.followed.clear();
    vec![Command::StopFollowingAssessments]
}

/// Rows of the list on screen.
pub(crate) fn list_rows(state: &State) -> usize {
    usize::from(state.screen().middle.height.saturating_sub(LIST_TOP)).max(1)
}

/// The request under the cursor.
pub(crate) fn selected(state: &State) -> Option<&Kept<ThreatAssessmentRequest>> {
    state
        .assess
        .cursor_id
        .as_deref()
        .and_then(|id| state.assess.request(id))
}

/// Recomputes the rows (the list or the filter may have changed), then keeps the cursor
/// on its request, or on the nearest row.
pub(crate) fn relocate(state: &mut State) {
    state.assess.refresh_rows();
    let rows = rows(&state.assess).to_vec();
    let pane = &state.assess;
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
    let pane = &mut state.assess;
    pane.cursor = row;
    pane.cursor_id = rows.get(row).map(|&i| pane.list[i].id.clone());
    if row < pane.offset {
        pane.offset = row;
    } else if row >= pane.offset + visible {
        pane.offset = row + 1 - visible;
    }
    pane.offset = pane.offset.min(rows.len().saturating_sub(visible));
    state.dirty = true;
}

fn move_list(state: &mut State, row: usize) {
    let rows = rows(&state.assess).to_vec();
    if rows.is_empty() {
        return;
    }
    place(state, &rows, row.min(rows.len() - 1));
}

/// The open request's detail at the screen's width, as drawn (the renderer and the scroll
/// clamp count the same lines).
pub(crate) fn document(state: &State) -> Option<Vec<DocLine>> {
    let r = state.assess.open_request()?;
    let width = usize::from(state.screen().middle.width);
    Some(super::assess::document(
        r,
        state.assess.followed.contains(&r.id),
        state.display_now(),
        width,
    ))
}

impl State {
    /// The open assessment request's detail lines (drawn by the pane).
    pub(crate) fn assess_document(&self) -> Option<Vec<DocLine>> {
        document(self)
    }
}

fn scroll(state: &mut State, by: isize) {
    let lines = document(state).map_or(0, |d| d.len());
    let height = usize::from(state.screen().middle.height);
    let max = lines.saturating_sub(height);
    let now = state.assess.scroll as isize;
    state.assess.scroll = now.saturating_add(by).clamp(0, max as isize) as usize;
    state.dirty = true;
}

/// Enter on the list: the request's detail.
fn drill_in(state: &mut State) {
    let Some(r) = selected(state) else {
        state.info("No request selected");
        return;
    };
    let (id, what) = (r.id.clone(), subject(r));
    state.assess.open = Some(id);
    state.assess.scroll = 0;
    state.focus = Focus::Assessment;
    state.info(format!("{what} (esc goes back)"));
}

/// Esc: detail → list → where the analyst came from (the filter is cleared first).
fn back(state: &mut State) {
    if state.focus == Focus::Assessment {
        state.focus = Focus::Assess;
        state.assess.open = None;
        relocate(state);
        state.info("Threat assessment requests");
    } else if !state.assess.filter.is_empty() {
        set_query(state, "");
        state.info("Filter cleared");
    } else {
        state.focus = match state.assess_return {
            Focus::Assess | Focus::Assessment => Focus::Queue,
            other => other,
        };
        state.scroll_to_cursor();
    }
    state.dirty = true;
}

/// The type-to-filter text changed.
pub(crate) fn set_query(state: &mut State, query: &str) {
    state.assess.filter = query.to_owned();
    relocate(state);
}

/// Keys of the list and the detail; `None` leaves the key to the common handling.
pub(crate) fn on_action(state: &mut State, action: KeyAction) -> Option<Vec<Command>> {
    let viewing = state.focus == Focus::Assessment;
    let page = list_rows(state);
    let cursor = state.assess.cursor;
    match action {
        KeyAction::Up if viewing => scroll(state, -1),
        KeyAction::Down if viewing => scroll(state, 1),
        KeyAction::PageUp if viewing => scroll(state, -(page as isize)),
        KeyAction::PageDown if viewing => scroll(state, page as isize),
        KeyAction::Top if viewing => scroll(state, isize::MIN / 2),
        KeyAction::Bottom if viewing => scroll(state, isize::MAX / 2),
        KeyAction::Up => move_list(state, cursor.saturating_sub(1)),
        KeyAction::Down => move_list(state, cursor + 1),
        KeyAction::PageUp => move_list(state, cursor.saturating_sub(page)),
        KeyAction::PageDown => move_list(state, cursor + page),
        KeyAction::Top => move_list(state, 0),
        KeyAction::Bottom => move_list(state, usize::MAX),
        KeyAction::OpenAssessment => drill_in(state),
        KeyAction::Back => back(state),
        // Ctrl-C leaves the detail, or clears the filter, before it arms quitting.
        KeyAction::Interrupt if viewing => back(state),
        KeyAction::Interrupt if !state.assess.filter.is_empty() => {
            set_query(state, "");
            state.info("Filter cleared (Ctrl-C again arms quitting)");
        }
        KeyAction::Filter if !viewing => state.overlay = Some(Overlay::Filter),
        KeyAction::Refresh => {
            state.info("Reading the assessment requests again…");
            return Some(load_list(state, true));
        }
        KeyAction::NewAssessment => open_form(state),
        _ => return None,
    }
    state.dirty = true;
    Some(vec![])
}

fn read_only(state: &mut State) -> bool {
    if state.session.read_only {
        state.error("Read-only session: no assessment can be submitted");
    }
    state.session.read_only
}

/// `n`: the form; a submission that failed comes back as it was typed.
fn open_form(state: &mut State) {
    if read_only(state) {
        return;
    }
    if state.assess.sending.is_some() {
        state.info("A submission is on its way: its answer comes first");
        return;
    }
    let form = state.assess.draft.take().unwrap_or_default();
    state.overlay = Some(Overlay::AssessForm(form));
    state.info("New assessment: tab moves between fields · ctrl-s submits · esc cancels");
}

fn is_ctrl(key: &KeyEvent, c: char) -> bool {
    key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char(c)
}

/// A key in the form: Tab / Shift-Tab (and up/down) move between fields, Enter moves on,
/// Ctrl-S checks and submits, Esc cancels.
pub(crate) fn form_key(
    state: &mut State,
    mut form: Box<AssessForm>,
    key: KeyEvent,
    cancel: bool,
) -> Vec<Command> {
    if cancel {
        state.info("New assessment cancelled: nothing was sent");
        return vec![];
    }
    if is_ctrl(&key, 's') {
        return submit(state, form);
    }
    match key.code {
        KeyCode::Tab | KeyCode::Down | KeyCode::Enter => form.step(1),
        KeyCode::BackTab | KeyCode::Up => form.step(-1),
        _ => form.key(key),
    }
    state.overlay = Some(Overlay::AssessForm(form));
    state.dirty = true;
    vec![]
}

/// Paste into the form's focused text field.
pub(crate) fn form_paste(form: &mut AssessForm, text: &str) {
    form.paste(&sanitize::line(text));
}

/// Ctrl-S: every field checked first; a problem keeps the form open on that field.
fn submit(state: &mut State, mut form: Box<AssessForm>) -> Vec<Command> {
    let draft = match form.validate() {
        Ok(d) => d,
        Err(e) => {
            refuse(state, form, e);
            return vec![];
        }
    };
    if read_only(state) {
        state.overlay = Some(Overlay::AssessForm(form));
        return vec![];
    }
    let what = format!("{} {}", draft.kind(), draft.subject());
    form.error = None;
    state.assess.sending = Some(what.clone());
    state.assess.draft = Some(form);
    state.info(format!("Submitting the {what} assessment…"));
    vec![Command::SubmitAssessment(draft)]
}

/// Keeps the form open on the field at fault, saying what is wrong there and in the
/// status line.
fn refuse(state: &mut State, mut form: Box<AssessForm>, e: FieldError) {
    match e.field {
        Some(field) => {
            let label = super::assess_form::label(form.kind, field);
            state.error(&format!("{label}: {}", e.text));
            form.focus(field);
        }
        None => state.error(&e.text),
    }
    form.error = Some(e);
    state.overlay = Some(Overlay::AssessForm(form));
}

// ---- the worker's answers

pub(crate) fn on_list(
    state: &mut State,
    result: Result<Vec<Kept<ThreatAssessmentRequest>>, String>,
) -> Vec<Command> {
    let commands = match result {
        Ok(list) => {
            let first = state.assess.list_fetch != Fetch::Loaded && state.assess.list.is_empty();
            // A request this console just submitted may not be listed yet: keep it.
            let mine: Vec<_> = state
                .assess
                .list
                .drain(..)
                .filter(|r| state.assess.mine.contains(&r.id) && !list.iter().any(|n| n.id == r.id))
                .collect();
            state.assess.list = list;
            state.assess.list.extend(mine);
            state.assess.list_fetch = Fetch::Loaded;
            if first {
                // Nothing was chosen yet: start on the newest request.
                state.assess.cursor_id = None;
                state.assess.cursor = 0;
            }
            let here = matches!(state.focus, Focus::Assess | Focus::Assessment);
            if here { follow_pending(state) } else { vec![] }
        }
        Err(e) => {
            state.error(&format!("Loading the assessment requests failed: {e}"));
            state.assess.list_fetch = Fetch::Failed(sanitize::line(&e).into_owned());
            vec![]
        }
    };
    relocate(state);
    state.dirty = true;
    commands
}

pub(crate) fn on_submitted(
    state: &mut State,
    result: Result<Box<Kept<ThreatAssessmentRequest>>, SubmitFailure>,
) -> Vec<Command> {
    let what = state.assess.sending.take().unwrap_or_default();
    state.dirty = true;
    let request = match result {
        Ok(r) => r,
        Err(failure) => return failed(state, &what, failure),
    };
    state.assess.draft = None;
    let id = request.id.clone();
    let pending = request.is_pending();
    let shown = subject(&request);
    let verdict = super::assess::verdict_line(&request);
    state.assess.mine.insert(id.clone());
    state.assess.upsert(*request);
    if state.focus == Focus::Assess {
        // The new request is at the top: the cursor goes to it, whatever the filter
        // showed (a filter that hides it would hide the answer the analyst waits for).
        if !rows(&state.assess)
            .iter()
            .any(|&i| state.assess.list[i].id == id)
        {
            state.assess.filter.clear();
        }
        state.assess.cursor_id = Some(id.clone());
        relocate(state);
    }
    if !pending {
        state.info(format!("Verdict for {shown}: {verdict}"));
        return vec![];
    }
    state.info(format!(
        "Submitted: {shown} is pending; its verdict shows here when Microsoft answers"
    ));
    let here = matches!(state.focus, Focus::Assess | Focus::Assessment);
    if !here || state.assess.followed.contains(&id) {
        return vec![];
    }
    state.assess.followed.insert(id.clone());
    vec![Command::FollowAssessments { ids: vec![id] }]
}

/// Nothing was created: the form comes back as typed (now, or with `n` if something else
/// has the keys), with the reason on the field at fault or in the status line. (A
/// submission that may have landed goes to [`unknown`] instead.)
fn failed(state: &mut State, what: &str, failure: SubmitFailure) -> Vec<Command> {
    let kind = state
        .assess
        .draft
        .as_ref()
        .map_or(AssessmentKind::Url, |f| f.kind);
    let (field, text) = match failure {
        SubmitFailure::File(text) => (Some(FormField::Path), text),
        SubmitFailure::Throttled { retry_after } => {
            (None, throttle_text(kind, retry_after, state.now))
        }
        SubmitFailure::Failed(e) => (None, format!("Graph did not take the assessment: {e}")),
        SubmitFailure::Unknown(e) => return unknown(state, what, &e),
    };
    let text = sanitize::line(&text).into_owned();
    let Some(mut form) = state.assess.draft.take() else {
        state.error(&format!("{what}: {text}"));
        return vec![];
    };
    let here = matches!(state.focus, Focus::Assess | Focus::Assessment);
    let field = field.filter(|f| form.fields().contains(f));
    form.error = Some(FieldError {
        field,
        text: text.clone(),
    });
    if let Some(f) = field {
        form.focus(f);
    }
    if here && state.overlay.is_none() {
        state.overlay = Some(Overlay::AssessForm(form));
        state.error(&format!("Not sent: {text}"));
    } else {
        state.assess.draft = Some(form);
        state.error(&format!("Not sent: {text} (n in :assess reopens the form)"));
    }
    vec![]
}

/// The POST went out but its answer was lost: Graph may have created the request, so the
/// form is not put back as unsent. The list is read again (a request that landed shows
/// there); the draft stays behind `n`, marked as a possible duplicate.
fn unknown(state: &mut State, what: &str, e: &str) -> Vec<Command> {
    let e = sanitize::line(e).into_owned();
    if let Some(form) = state.assess.draft.as_mut() {
        form.error = Some(FieldError {
            field: None,
            text: format!(
                "This may already have been submitted ({e}): check the list first, sending it again may make a duplicate"
            ),
        });
    }
    let draft = if state.assess.draft.is_some() {
        "; n shows the draft, which may be a duplicate"
    } else {
        ""
    };
    state.error(&format!(
        "{what} may have been submitted: reading the list again ({e}{draft})"
    ));
    load_list(state, true)
}

/// A poll's fresh copy of a followed request: the row and the detail change in place. The
/// verdict on one the analyst submitted is announced, once; others found pending in the
/// list only change their row (several could otherwise push the analyst's own verdict off
/// the status line).
pub(crate) fn on_polled(state: &mut State, request: Kept<ThreatAssessmentRequest>) {
    let id = request.id.clone();
    if !request.is_pending() {
        state.assess.followed.remove(&id);
    }
    let announce = !request.is_pending()
        && state.assess.mine.contains(&id)
        && state.assess.request(&id).is_none_or(|old| old.is_pending());
    let line = format!(
        "Verdict for {}: {}",
        subject(&request),
        super::assess::verdict_line(&request)
    );
    let changed = state
        .assess
        .upsert(request)
        .is_none_or(|old| old != *state.assess.request(&id).expect("just upserted"));
    if changed {
        relocate(state);
        state.dirty = true;
    }
    if announce {
        state.info(line);
    }
}

/// The worker stopped following `id` before a verdict came (a cap on polls, or Graph no
/// longer has it).
pub(crate) fn on_follow_ended(state: &mut State, id: String, reason: String) {
    if !state.assess.followed.remove(&id) {
        return;
    }
    let what = state
        .assess
        .request(&id)
        .map_or_else(|| sanitize::line(&id).into_owned(), |r| subject(r));
    state.error(&format!(
        "Stopped waiting for the verdict on {what}: {reason}"
    ));
}

/// Something on the pane moves with the clock (a read or a submission's spinner).
pub(crate) fn busy(state: &State) -> bool {
    matches!(state.focus, Focus::Assess | Focus::Assessment)
        && (state.assess.list_fetch.is_loading() || state.assess.sending.is_some())
}
