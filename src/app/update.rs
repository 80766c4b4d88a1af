//! `update`: every action in, the commands it causes out.

use super::action::Action;
use super::command::Command;
use super::incident_keys;
use super::keys;
use super::live;
use super::refresh;
use super::score_keys;
use super::state::{ConflictPrompt, Overlay, PageIn, State};
use crate::graph::models::{Alert, AlertComment};
use crate::outbox::{Target, TargetKind};
use crate::sanitize;

/// All behaviour. Sets `state.dirty` when anything visible changed; the terminal loop draws
/// only then (an idle console writes nothing to a slow SSH link).
pub fn update(state: &mut State, action: Action) -> Vec<Command> {
    let commands = dispatch(state, action);
    refresh::prune_theirs(state);
    if state.overlay.is_none()
        && let Some(next) = state.conflicts.pop_front()
    {
        // A conflict waits for whatever the analyst was doing, then asks.
        state.overlay = Some(Overlay::Conflict(next));
        state.dirty = true;
    }
    commands
}

fn dispatch(state: &mut State, action: Action) -> Vec<Command> {
    match action {
        Action::Key(key) => keys::on_key(state, key),
        Action::Paste(text) => {
            keys::on_paste(state, &text);
            vec![]
        }
        Action::Resize(w, h) => {
            state.size = (w, h);
            state.scroll_to_cursor();
            incident_keys::relocate(state);
            super::case_keys::relocate(state);
            super::sim_keys::relocate(state);
            state.dirty = true;
            vec![]
        }
        Action::Tick => {
            on_tick(state);
            refresh::on_tick(state)
        }
        Action::AlertsRefreshed {
            refresh,
            alerts,
            skipped,
        } => {
            refresh::on_alerts(state, refresh, alerts, skipped);
            vec![]
        }
        Action::IncidentsRefreshed {
            refresh,
            incidents,
            skipped,
        } => {
            refresh::on_incidents(state, refresh, incidents, skipped);
            vec![]
        }
        Action::RefreshHeld { of, refresh, held } => {
            refresh::on_held(state, of, refresh, held);
            vec![]
        }
        Action::AlertsPage {
            generation,
            alerts,
            total,
            skipped,
            done,
        } => {
            on_page(
                state,
                PageIn {
                    generation,
                    items: alerts,
                    total,
                    skipped,
                    done,
                },
            );
            vec![]
        }
        Action::AlertsFailed { generation, error } => {
            if generation == state.load.generation {
                state.load.loading = false;
                // Polls resume on their slow schedule; `R` reloads now.
                let last_input = state.last_input;
                state
                    .live
                    .on_held(live::Held::Failed(error.clone()), state.now, last_input);
                state.error(&format!("Loading alerts failed: {error}"));
            }
            vec![]
        }
        Action::ControlWriteSucceeded { write_id, profile } => {
            super::score_writes::on_succeeded(state, write_id, *profile)
        }
        Action::OperationProgress(op) => super::case_keys::on_operation(state, op),
        Action::CasesLoaded(result) => {
            super::case_keys::on_cases(state, result);
            vec![]
        }
        Action::CaseTabLoaded {
            case_id,
            tab,
            result,
        } => {
            super::case_keys::on_tab(state, case_id, tab, result);
            vec![]
        }
        Action::CaseWritten { case_id, result } => {
            super::case_keys::on_written(state, case_id, result);
            vec![]
        }
        Action::CustodianAdded {
            case_id,
            email,
            result,
        } => {
            super::case_keys::on_custodian(state, case_id, email, result);
            vec![]
        }
        Action::Sims(answer) => super::sim_keys::on_update(state, answer),
        Action::CasesPacing(pacing) => {
            super::case_keys::on_pacing(state, pacing);
            vec![]
        }
        Action::SecureScoresLoaded(result) => {
            score_keys::on_scores(state, result);
            vec![]
        }
        Action::ControlProfilesLoaded(result) => {
            score_keys::on_profiles(state, result);
            vec![]
        }
        Action::AlertLoaded(alert) => {
            // Also the alert opened from an incident, and its incident's summary of it.
            state.incidents.update_alert(&alert);
            if state.queue.replace(alert) {
                state.relocate_cursor();
            }
            state.dirty = true;
            vec![]
        }
        Action::IncidentsPage {
            generation,
            incidents,
            total,
            skipped,
            done,
        } => {
            incident_keys::on_page(
                state,
                PageIn {
                    generation,
                    items: incidents,
                    total,
                    skipped,
                    done,
                },
            );
            vec![]
        }
        Action::IncidentsFailed { generation, error } => {
            let load = &mut state.incidents.load;
            if generation == load.generation {
                load.loading = false;
                state.error(&format!("Loading incidents failed: {error}"));
            }
            vec![]
        }
        Action::IncidentLoaded(row) => {
            state.incidents.absorb(*row);
            incident_keys::relocate(state);
            state.dirty = true;
            vec![]
        }
        Action::IncidentWriteSucceeded { write_id, incident } => {
            if state.writes.finish(write_id).is_some() {
                let target = Target::incident(incident.id());
                state.incidents.absorb(*incident);
                incident_keys::relocate(state);
                saved(state, &target);
            }
            vec![]
        }
        Action::WriteSucceeded { write_id, alert } => {
            on_write_succeeded(state, write_id, alert);
            vec![]
        }
        Action::CommentAdded {
            write_id,
            target,
            comments,
        } => {
            if state.writes.finish(write_id).is_some() {
                state.info(format!("Comment added to {target}"));
                set_comments(state, target, comments);
            }
            vec![]
        }
        Action::WriteFailed { write_id, error } => {
            if let Some(w) = state.writes.finish(write_id) {
                state.writes.failed += 1;
                state.error(&format!("Change to {} failed: {error}", w.target));
            }
            vec![]
        }
        Action::WriteLanded { write_id, target } => {
            if state.writes.finish(write_id).is_some() {
                state.info(format!("Saved {target}"));
                // The reply was unreadable: read the target to show what Graph has.
                return read_again(state, target);
            }
            vec![]
        }
        Action::OutboxRestored(writes) => {
            let n = writes.len();
            for w in writes {
                state.writes.adopt(w.write_id, w.target, w.op);
            }
            if n > 0 {
                state.info(format!(
                    "Sending {n} unsent change{} from the outbox…",
                    if n == 1 { "" } else { "s" }
                ));
            }
            vec![]
        }
        Action::WriteConflict {
            write_id,
            entry_id,
            target,
            fields,
        } => {
            state.writes.finish(write_id);
            state.error(&format!(
                "{target} was changed by someone else: keep yours or take theirs"
            ));
            let prompt = ConflictPrompt {
                entry_id,
                target,
                fields,
            };
            // One prompt per entry, even if it is reported again.
            let queued = state
                .conflicts
                .iter()
                .any(|c| c.entry_id == prompt.entry_id)
                || matches!(&state.overlay, Some(Overlay::Conflict(c)) if c.entry_id == prompt.entry_id);
            if !queued {
                state.conflicts.push_back(prompt);
            }
            vec![]
        }
        Action::OutboxListed(rows) => {
            if let Some(Overlay::Outbox {
                rows: shown,
                cursor,
                confirm_drop,
            }) = &mut state.overlay
            {
                *cursor = (*cursor).min(rows.len().saturating_sub(1));
                *shown = rows;
                *confirm_drop = false;
                state.dirty = true;
            }
            vec![]
        }
        Action::Notice(text) => {
            state.info(sanitize::line(&text).into_owned());
            vec![]
        }
        Action::SwitchFailed { profile, error } => {
            let current = state.session.profile.clone();
            state.error(&format!(
                "Cannot switch to profile {profile}: {error}; still on {current}"
            ));
            vec![]
        }
    }
}

/// A comment landed: the target's whole comment list as Graph has it.
fn set_comments(state: &mut State, target: Target, comments: Vec<AlertComment>) {
    match target.kind {
        TargetKind::Alert => {
            if let Some(o) = state
                .incidents
                .view
                .as_mut()
                .and_then(|v| v.opened.as_mut())
                .filter(|o| o.id == target.id)
                .and_then(|o| o.alert.as_mut())
            {
                o.comments.clone_from(&comments);
            }
            state.queue.modify(&target.id, |a| a.comments = comments);
        }
        TargetKind::Incident => state.incidents.set_comments(&target.id, comments),
        // Control profiles have no comments of this kind (a comment is part of a state
        // update).
        TargetKind::Control => {}
    }
}

/// Commands that read a target again after a write whose reply was unreadable.
fn read_again(state: &mut State, target: Target) -> Vec<Command> {
    match target.kind {
        TargetKind::Alert => vec![Command::GetAlert { id: target.id }],
        TargetKind::Incident => vec![Command::GetIncident { id: target.id }],
        TargetKind::Control => {
            let mut commands = super::score_keys::load(state, true);
            commands.extend(super::score_writes::reload_history(state));
            commands
        }
    }
}

/// A write to `target` landed: say so once nothing else is on its way (naming the target
/// when it was the only one).
fn saved(state: &mut State, target: &Target) {
    state.writes.landed += 1;
    if state.writes.is_empty() {
        match state.writes.landed {
            1 => state.info(format!("Saved {target}")),
            n => state.info(format!("Saved {n} changes")),
        }
    }
    state.dirty = true;
}

fn on_tick(state: &mut State) {
    state.ticks += 1;
    let minute = state.now.unix_timestamp().div_euclid(60);
    if minute != state.minute {
        // Relative ages ("5m") are drawn against whole minutes, so a minute boundary is
        // the only time the clock alone changes what is on screen.
        state.minute = minute;
        state.dirty = true;
    }
    if state.load.loading
        || state.incidents.load.loading
        || !state.writes.is_empty()
        || super::case_keys::busy(state)
        || super::sim_keys::busy(state)
    {
        // The spinner for a load or a pending write moves.
        state.dirty = true;
    }
}

fn on_page(state: &mut State, page: PageIn<Alert>) {
    let done = page.done;
    // Polls start from the newest change a load has shown.
    let newest = page.items.iter().filter_map(|a| a.last_update).max();
    if !state.load.apply(&mut state.queue, &mut state.marks, page) {
        // A page from a load that a refresh or preset change has superseded.
        return;
    }
    state.live.saw(newest);
    if done {
        refresh::on_load_done(state);
        super::entity_keys::on_loaded(state);
        if state.load.skipped > 0 {
            state.error(&format!(
                "{} alerts could not be read and were skipped",
                state.load.skipped
            ));
        }
    }
    state.relocate_cursor();
    state.dirty = true;
}

fn on_write_succeeded(state: &mut State, write_id: u64, alert: Alert) {
    if state.writes.finish(write_id).is_none() {
        return;
    }
    let target = Target::alert(&alert.id);
    state.incidents.update_alert(&alert);
    state.queue.replace(alert);
    state.relocate_cursor();
    saved(state, &target);
}
