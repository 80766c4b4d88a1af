//! Control-state writes from the editor: the PATCH goes through the outbox like every
//! write, the control shows it pending until Graph answers, and the answer replaces the
//! profile (and today's score is read again: a state change moves it).

use super::command::Command;
use super::controls::ControlEditor;
use super::score::Fetch;
use super::state::State;
use super::writes::WriteOp;
use crate::graph::score::{ControlStateUpdate, SecureScoreControlProfile, VendorInformation};
use crate::outbox::{Target, TargetKind};
use crate::sanitize;

/// Ctrl-S in the editor: journal and send the change, or say why nothing was sent.
pub(crate) fn send(state: &mut State, editor: ControlEditor) -> Vec<Command> {
    let Some(profile) = state.score.profile(&editor.profile_id) else {
        state.error("That control is no longer listed: nothing was sent");
        return vec![];
    };
    let last = profile.control_state_updates.last();
    let was_assigned = last.and_then(|u| u.assigned_to.clone());
    let chosen = editor.chosen().clone();
    let assignee = editor.assignee();
    let comment = editor.comment_text();
    let same_assignee =
        assignee.as_deref().map(sanitize::line) == was_assigned.as_deref().map(sanitize::line);
    if chosen == editor.was && same_assignee && comment.is_none() {
        state.info("Nothing changed: nothing was sent");
        return vec![];
    }
    let update = ControlStateUpdate {
        state: Some(chosen.clone()),
        assigned_to: assignee,
        comment,
        // Graph takes only state, assignedTo and comment (and vendorInformation); it
        // records who made the change from the token.
        updated_by: None,
        vendor_information: VendorInformation::secure_score(),
    };
    let target = Target::control(&editor.profile_id);
    let command = super::keys::write_command(state, &target, WriteOp::UpdateControl(update), None);
    state.info(format!(
        "Sending: {} → {}…",
        editor.title,
        sanitize::line(chosen.as_str())
    ));
    state.dirty = true;
    vec![command]
}

/// The newest pending change to control `id`, as one line ("ThirdParty, assigned to X").
pub(crate) fn pending_line(state: &State, id: &str) -> Option<String> {
    let update = state
        .writes
        .for_target(TargetKind::Control, id)
        .filter_map(|w| match &w.op {
            WriteOp::UpdateControl(u) => Some(u),
            _ => None,
        })
        .last()?;
    let mut line = sanitize::line(update.state.as_ref().map_or("-", |s| s.as_str())).into_owned();
    if let Some(a) = &update.assigned_to {
        line.push_str(&format!(", assigned to {}", sanitize::line(a)));
    }
    Some(line)
}

impl State {
    /// The state a pending write is setting on control `id`, if any (for the table).
    pub(crate) fn pending_control_state(&self, id: &str) -> Option<String> {
        self.writes
            .for_target(TargetKind::Control, id)
            .filter_map(|w| match &w.op {
                WriteOp::UpdateControl(u) => u.state.as_ref(),
                _ => None,
            })
            .last()
            .map(|s| sanitize::line(s.as_str()).into_owned())
    }
}

/// Graph answered a control write with the profile as it is now.
pub(crate) fn on_succeeded(
    state: &mut State,
    write_id: u64,
    profile: SecureScoreControlProfile,
) -> Vec<Command> {
    let answered = state.writes.finish(write_id).is_some();
    let name = super::controls::title(&profile);
    let now = super::score::current_state(&profile);
    state.score.replace_profile(profile);
    super::control_keys::relocate(state);
    if !answered {
        // A second answer for the same write: the copy is fresh, the news is not.
        return vec![];
    }
    state.info(format!(
        "Saved: {name} is now {}",
        sanitize::line(now.as_str())
    ));
    state.dirty = true;
    reload_history(state)
}

/// The score follows a control's state: read the history again (unless a read runs).
pub(crate) fn reload_history(state: &mut State) -> Vec<Command> {
    if state.score.history_fetch.is_loading() {
        return vec![];
    }
    state.score.history_fetch = Fetch::Loading;
    vec![Command::LoadSecureScores]
}
