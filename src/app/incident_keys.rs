//! Keys and commands of the `:incidents` pane and the incident view: open and load the
//! pane, move, mark, sort, filter, open an incident, open one of its alerts in the alert
//! detail and come back, and find the open alerts a resolve offers to close too. Changes
//! (status, assign, classify, comment) are the alert queue's keys, in `keys`.

use super::command::{Command, IncidentQuery};
use super::format;
use super::incidents::IncidentRow;
use super::incidents::{IncidentView, OpenAlert, OpenedAlert, is_open};
use super::keymap::KeyAction;
use super::keys::{next_sort, sorted_message};
use super::state::{Focus, LoadMode, MenuKind, Overlay, PageIn, State, StatusPreset};
use crate::graph::enums::AlertStatus;
use crate::outbox::{Target, TargetKind};
use ratatui::layout::Rect;

/// `:incidents` or `I`: the pane, loaded on first open; `preset` (`:incidents all`) loads
/// those statuses instead.
pub(crate) fn open(state: &mut State, preset: Option<StatusPreset>) -> Vec<Command> {
    state.focus = Focus::Incidents;
    state.incidents.view = None;
    state.dirty = true;
    let pane = &state.incidents;
    let reload = match preset {
        Some(p) => p != pane.preset || !pane.requested,
        None => !pane.requested,
    };
    if let Some(p) = preset {
        state.incidents.preset = p;
    }
    relocate(state);
    if reload {
        state.info(format!(
            "Loading {} incidents…",
            state.incidents.preset.incident_label()
        ));
        return vec![start_load(state, LoadMode::Replace)];
    }
    state.info("Incidents (esc goes back to the alert queue)");
    vec![]
}

/// `:alerts`: the alert queue again (the incidents stay loaded for the next `:incidents`).
pub(crate) fn close(state: &mut State) {
    state.incidents.view = None;
}

/// Starts a new incident load generation; older pages become stale.
pub(crate) fn start_load(state: &mut State, mode: LoadMode) -> Command {
    let pane = &mut state.incidents;
    pane.requested = true;
    pane.load.start(mode);
    pane.live.on_load_started();
    state.dirty = true;
    Command::LoadIncidents {
        generation: pane.load.generation,
        query: IncidentQuery {
            statuses: pane.preset.incident_statuses(),
        },
    }
}

/// One page of the incident list.
pub(crate) fn on_page(state: &mut State, page: PageIn<IncidentRow>) {
    let done = page.done;
    let newest = page
        .items
        .iter()
        .filter_map(|i| i.incident.last_update)
        .max();
    let pane = &mut state.incidents;
    if !pane.load.apply(&mut pane.queue, &mut pane.marks, page) {
        return;
    }
    pane.live.saw(newest);
    if done {
        super::refresh::load_done(&mut pane.live, state.now, state.last_input);
        // The open incident follows a refresh that delivered it.
        if let Some(v) = pane.view.as_mut()
            && let Some(row) = pane.queue.get(v.row.id())
        {
            v.row = row.clone();
        }
        let n = pane.queue.len();
        if pane.load.skipped > 0 {
            let n = pane.load.skipped;
            state.error(&format!("{n} incidents could not be read and were skipped"));
        } else if state
            .message
            .as_ref()
            .is_some_and(|m| m.text.starts_with("Loading"))
        {
            state.info(format!("{} incidents loaded", format::count(n)));
        }
    }
    relocate(state);
    state.dirty = true;
}

/// The cursor back on its incident after the rows changed.
pub(crate) fn relocate(state: &mut State) {
    let rows = state.incident_rows();
    let pane = &mut state.incidents;
    pane.cursor.follow(&pane.queue, rows);
}

/// Keys while the incidents queue or the incident view has focus; `None` for the ones
/// `keys` handles the same everywhere (changes, copy, help, command line, quit).
pub(crate) fn on_action(state: &mut State, action: KeyAction) -> Option<Vec<Command>> {
    let commands = match state.focus {
        Focus::Incident => view_action(state, action)?,
        _ => queue_action(state, action)?,
    };
    state.dirty = true;
    Some(commands)
}

fn queue_action(state: &mut State, action: KeyAction) -> Option<Vec<Command>> {
    let rows = state.incident_rows();
    let pane = &mut state.incidents;
    let row = pane.cursor.row;
    let to = |pane: &mut super::incidents::IncidentsPane, r: usize| {
        pane.cursor.move_to(&pane.queue, r, rows);
        // The analyst's cursor is on it: it has been seen.
        if let Some(id) = &pane.cursor.id {
            pane.live.fresh.remove(id);
        }
    };
    match action {
        KeyAction::Up => to(pane, row.saturating_sub(1)),
        KeyAction::Down => to(pane, row + 1),
        KeyAction::PageUp => to(pane, row.saturating_sub(rows)),
        KeyAction::PageDown => to(pane, row + rows),
        KeyAction::Top => to(pane, 0),
        KeyAction::Bottom => to(pane, usize::MAX),
        KeyAction::ToggleMark => {
            if let Some(id) = pane.cursor.id.clone()
                && !pane.marks.remove(&id)
            {
                pane.marks.insert(id);
            }
            to(pane, row + 1);
        }
        KeyAction::Open => return Some(open_view(state)),
        KeyAction::Back => back(state),
        KeyAction::Filter => state.overlay = Some(Overlay::Filter),
        KeyAction::SortNext | KeyAction::SortPrev | KeyAction::SortInvert => {
            let sort = next_sort(pane.queue.sort(), action);
            pane.queue.set_sort(sort);
            relocate(state);
            state.info(sorted_message(sort));
        }
        KeyAction::StatusPreset => {
            let cursor = StatusPreset::ALL
                .iter()
                .position(|p| *p == pane.preset)
                .unwrap_or(0);
            state.overlay = Some(Overlay::Menu {
                kind: MenuKind::IncidentPreset,
                cursor,
                targets: vec![],
            });
        }
        KeyAction::Refresh => {
            let mode = pane.load.refresh_mode();
            state.info("Refreshing incidents…");
            return Some(vec![start_load(state, mode)]);
        }
        _ => return None,
    }
    Some(vec![])
}

fn view_action(state: &mut State, action: KeyAction) -> Option<Vec<Command>> {
    let (doc, lines, list) = view_geometry(state)?;
    let rows = usize::from(list.height.saturating_sub(2)).max(1);
    let page = usize::from(doc.height).max(1);
    let max_scroll = lines.saturating_sub(usize::from(doc.height));
    let view = state.incidents.view.as_mut()?;
    let cursor = view.alert_cursor;
    match action {
        KeyAction::Up => view.move_alert_cursor(cursor.saturating_sub(1), rows),
        KeyAction::Down => view.move_alert_cursor(cursor + 1, rows),
        KeyAction::Top => view.move_alert_cursor(0, rows),
        KeyAction::Bottom => view.move_alert_cursor(usize::MAX, rows),
        KeyAction::PageUp => view.scroll = view.scroll.saturating_sub(page),
        KeyAction::PageDown => view.scroll = (view.scroll + page).min(max_scroll),
        KeyAction::Open => return Some(open_alert(state)),
        KeyAction::Back => back(state),
        KeyAction::Refresh => {
            let id = view.row.id().to_owned();
            state.info("Refreshing the incident…");
            return Some(vec![Command::GetIncident { id }]);
        }
        _ => return None,
    }
    Some(vec![])
}

/// The incident view's geometry now: its document's area and line count, and its alert
/// list's area (title and header rows included).
fn view_geometry(state: &State) -> Option<(Rect, usize, Rect)> {
    let v = state.incidents.view.as_ref()?;
    let middle = state.screen().middle;
    let lines = state
        .incident_document(&v.row, usize::from(middle.width))
        .len();
    let (doc, list) = super::layout::incident_view(middle, v.row.alerts().len(), lines);
    Some((doc, lines, list))
}

/// Esc: from the incident view to the incidents; in the incidents, clear the filter,
/// then back to the alert queue.
pub(crate) fn back(state: &mut State) {
    match state.focus {
        Focus::Incident => {
            state.incidents.view = None;
            state.focus = Focus::Incidents;
            relocate(state);
            state.info("Incidents");
        }
        _ if !state.incidents.queue.query().is_empty() => {
            set_query(state, "");
            state.info("Filter cleared");
        }
        _ => {
            state.focus = Focus::Queue;
            state.scroll_to_cursor();
            state.info("Alert queue");
        }
    }
    state.dirty = true;
}

/// Enter in the incidents: the incident view, with a fresh copy asked for.
fn open_view(state: &mut State) -> Vec<Command> {
    let pane = &mut state.incidents;
    let Some(row) = pane.cursor.id.as_deref().and_then(|id| pane.queue.get(id)) else {
        state.info("No incident selected");
        return vec![];
    };
    let id = row.id().to_owned();
    pane.view = Some(IncidentView::new(row.clone()));
    pane.live.fresh.remove(&id);
    state.focus = Focus::Incident;
    vec![Command::GetIncident { id }]
}

/// Enter in the incident view: that alert in the alert detail (the queue's copy at once
/// when it is loaded; a fresh one either way).
fn open_alert(state: &mut State) -> Vec<Command> {
    let Some(id) = state
        .incidents
        .view
        .as_ref()
        .and_then(|v| v.selected_alert())
        .map(|a| a.id.clone())
    else {
        state.info("This incident lists no alerts");
        return vec![];
    };
    // Not in the loaded queue: the detail says it is loading until the GET answers.
    let alert = state.queue.get(&id).cloned();
    if let Some(v) = state.incidents.view.as_mut() {
        v.opened = Some(OpenedAlert {
            id: id.clone(),
            alert,
        });
    }
    state.focus = Focus::Detail;
    state.detail_scroll = 0;
    state.dirty = true;
    vec![Command::GetAlert { id }]
}

/// Esc in an alert opened from the incident view: back to the incident.
pub(crate) fn close_alert(state: &mut State) -> bool {
    let Some(v) = state.incidents.view.as_mut() else {
        return false;
    };
    if v.opened.take().is_none() {
        return false;
    }
    state.focus = Focus::Incident;
    state.detail_scroll = 0;
    state.dirty = true;
    true
}

/// The open alerts of the incidents in `targets` (new or in progress, and not already
/// being resolved by a pending write), in incident order.
pub(crate) fn open_alerts(state: &State, targets: &[Target]) -> Vec<OpenAlert> {
    let mut out = Vec::new();
    for t in targets.iter().filter(|t| t.kind == TargetKind::Incident) {
        let Some(row) = state.incidents.get(&t.id) else {
            continue;
        };
        for a in row.alerts() {
            let pending = state.writes.pending_update(&a.id).and_then(|u| u.status);
            let status = pending.as_ref().or(a.status());
            if is_open(status) && status != Some(&AlertStatus::Resolved) {
                out.push(OpenAlert {
                    incident_id: t.id.clone(),
                    alert_id: a.id.clone(),
                });
            }
        }
    }
    out
}

/// "Resolve 2 incidents and their 5 open alerts? y/n/i (i = incidents only)".
pub(crate) fn resolve_question(targets: &[Target], also: &[OpenAlert]) -> String {
    let one = targets.len() == 1;
    let m = also.len();
    format!(
        "Resolve {} and {} {m} open alert{}? y/n/i (i = incident{} only)",
        format::count_of(targets),
        if one { "its" } else { "their" },
        if m == 1 { "" } else { "s" },
        if one { "" } else { "s" },
    )
}

/// A key typed into the filter while the incidents have focus.
pub(crate) fn set_query(state: &mut State, query: &str) {
    state.incidents.queue.set_query(query);
    relocate(state);
}
