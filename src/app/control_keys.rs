//! Keys of the `:controls` table and the profile view.

use super::command::Command;
use super::keymap::KeyAction;
use super::state::{Focus, State};

/// Keeps the table's cursor on its control after the rows changed.
pub(crate) fn relocate(_state: &mut State) {}

/// Keys of the `:controls` pane and the profile view; `None` leaves the key to the common
/// handling.
pub(crate) fn on_action(state: &mut State, action: KeyAction) -> Option<Vec<Command>> {
    match action {
        KeyAction::Back if state.focus == Focus::Control => {
            state.focus = Focus::Controls;
            state.dirty = true;
        }
        KeyAction::Back => super::score_keys::leave(state),
        KeyAction::Refresh => return Some(super::score_keys::load(state, true)),
        _ => {}
    }
    Some(vec![])
}
