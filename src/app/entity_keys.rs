//! Keys and commands of the `:entities` pane: open it (all entities, or those of one alert),
//! move, filter, cycle the kind, list an entity's alerts in the queue and come back.

use super::command::Command;
use super::entities::{EntitiesView, OfAlert};
use super::keymap::KeyAction;
use super::queue::Scope;
use super::state::{Focus, Overlay, State};
use crate::sanitize;

/// `:entities`: every entity of the loaded alerts.
pub(crate) fn open_all(state: &mut State) {
    open(state, None);
}

/// `x` on an alert: only the entities its evidence names.
pub(crate) fn open_of_selected(state: &mut State) {
    let Some(id) = state.cursor_id.clone() else {
        state.info("No alert selected");
        return;
    };
    let keys: Vec<_> = state
        .queue
        .entry_of(&id)
        .map(|e| e.entities.iter().map(|r| (r.kind, r.key.clone())).collect())
        .unwrap_or_default();
    if keys.is_empty() {
        state.info("This alert's evidence names no user, device, IP, file, URL or mailbox");
        return;
    }
    let n = keys.len();
    open(
        state,
        Some(OfAlert {
            alert_id: sanitize::line(&id).into_owned(),
            keys,
        }),
    );
    state.info(format!(
        "{n} entit{} of this alert (esc shows all)",
        if n == 1 { "y" } else { "ies" }
    ));
}

fn open(state: &mut State, of_alert: Option<OfAlert>) {
    // Coming from an entity's alert list: that list is left, its filter put back.
    leave_scope(state);
    let view = EntitiesView::build(&state.queue, of_alert);
    let n = view.total();
    state.entities = Some(view);
    state.focus = Focus::Entities;
    state.info(format!(
        "{} entities, best score first (? shows the formula)",
        super::format::count(n)
    ));
}

/// `:alerts`: the whole queue again, the pane and any entity's alert list closed.
pub(crate) fn close(state: &mut State) {
    leave_scope(state);
    state.entities = None;
}

/// A load finished: the pane (open or behind an entity's alert list) follows the new data.
pub(crate) fn on_loaded(state: &mut State) {
    let rows = state.entity_rows();
    if let Some(v) = state.entities.as_mut() {
        v.rebuild(&state.queue);
        let c = v.cursor;
        v.move_to(c, rows);
    }
}

/// Keys while the pane has focus.
pub(crate) fn on_action(state: &mut State, action: KeyAction) -> Vec<Command> {
    let rows = state.entity_rows();
    let Some(view) = state.entities.as_mut() else {
        state.focus = Focus::Queue;
        return vec![];
    };
    let cursor = view.cursor;
    match action {
        KeyAction::Up => view.move_to(cursor.saturating_sub(1), rows),
        KeyAction::Down => view.move_to(cursor + 1, rows),
        KeyAction::PageUp => view.move_to(cursor.saturating_sub(rows), rows),
        KeyAction::PageDown => view.move_to(cursor + rows, rows),
        KeyAction::Top => view.move_to(0, rows),
        KeyAction::Bottom => view.move_to(usize::MAX, rows),
        KeyAction::EntityKind => {
            view.cycle_kind();
            view.move_to(0, rows);
            let kind = view.kind.map_or("all", |k| k.as_str());
            state.info(format!("Kind: {kind}"));
        }
        KeyAction::Filter => state.overlay = Some(Overlay::Filter),
        KeyAction::EntityAlerts => list_alerts(state),
        KeyAction::Back | KeyAction::Interrupt => back(state),
        _ => {}
    }
    state.dirty = true;
    vec![]
}

/// Esc: clear the text filter, then the "of this alert" narrowing, then close the pane.
fn back(state: &mut State) {
    let rows = state.entity_rows();
    let Some(view) = state.entities.as_mut() else {
        return;
    };
    if !view.query.is_empty() {
        view.set_query("");
        view.move_to(0, rows);
        state.info("Filter cleared");
    } else if view.of_alert.is_some() {
        *view = EntitiesView::build(&state.queue, None);
        state.info("All entities");
    } else {
        state.entities = None;
        state.focus = Focus::Queue;
        state.scroll_to_cursor();
        state.info("Alert queue");
    }
}

/// Enter: the queue, restricted to the alerts that name this entity, with its own filter.
fn list_alerts(state: &mut State) {
    let Some(view) = state.entities.as_mut() else {
        return;
    };
    let Some(e) = view.selected() else {
        return;
    };
    let scope = Scope {
        kind: e.kind,
        key: e.key.clone(),
        name: e.name.clone(),
    };
    let (kind, name) = (e.kind.as_str(), e.name.clone());
    view.saved_query = state.queue.query().to_owned();
    state.queue.set_query("");
    state.queue.set_scope(Some(scope));
    state.focus = Focus::Queue;
    state.cursor = 0;
    state.cursor_id = None;
    state.offset = 0;
    state.relocate_cursor();
    let n = state.queue.view().len();
    state.info(format!(
        "{n} alert{} naming {kind} {name} (esc goes back)",
        if n == 1 { "" } else { "s" }
    ));
}

/// Drops an entity's alert list, putting the queue's own filter back. Returns whether there
/// was one.
fn leave_scope(state: &mut State) -> bool {
    if state.queue.scope().is_none() {
        return false;
    }
    state.queue.set_scope(None);
    let saved = state
        .entities
        .as_mut()
        .map(|v| std::mem::take(&mut v.saved_query))
        .unwrap_or_default();
    state.queue.set_query(&saved);
    state.relocate_cursor();
    true
}

/// Esc in the queue when it lists an entity's alerts: back to the pane, cursor kept.
pub(crate) fn back_from_alerts(state: &mut State) -> bool {
    if state.queue.scope().is_none() {
        return false;
    }
    leave_scope(state);
    if state.entities.is_some() {
        state.focus = Focus::Entities;
        state.info("Entities");
    }
    state.dirty = true;
    true
}

/// A key typed into the filter while the pane has focus.
pub(crate) fn set_query(state: &mut State, query: &str) {
    let rows = state.entity_rows();
    if let Some(view) = state.entities.as_mut() {
        view.set_query(query);
        view.move_to(0, rows);
    }
}

/// The pane's filter text (empty when the pane is closed).
pub(crate) fn query(state: &State) -> &str {
    state.entities.as_ref().map_or("", |v| v.query.as_str())
}
