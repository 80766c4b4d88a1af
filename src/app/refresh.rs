//! Folding a poll's changed alerts into the queue (see [`super::live`] for when polls run).
//!
//! The rules, in order, for each alert a poll returns:
//! - a copy with the same `lastUpdateDateTime` as the one held is the overlap read again:
//!   dropped, so every change arrives once;
//! - an alert the queue does not hold joins it, marked new, if it matches the loaded
//!   presets (status and age); otherwise it is none of this queue's business;
//! - a held alert with a newer copy is replaced and marked changed. If the analyst has a
//!   write pending on it and Graph changed a field that write sets, both values are kept
//!   for display (the row and the detail show theirs beside yours) until the write is
//!   answered: a change by someone else is never silently overwritten, in either direction;
//! - a held alert that no longer matches the presets (resolved by someone else while the
//!   queue shows open alerts) leaves the queue, unless the cursor is on it or a write of
//!   the analyst's is pending on it: then it stays, marked changed, until the next load.

use super::command::Command;
use super::live::{Fresh, Held, Live};
use super::state::State;
use crate::graph::models::Alert;
use crate::outbox::{TargetKind, check};
use crate::sanitize;
use std::collections::{HashMap, HashSet};
use time::OffsetDateTime;

/// The timer ticked: starts a poll when one is due and no load is running.
pub(crate) fn on_tick(state: &mut State) -> Option<Command> {
    if state.load.loading || !state.live.due(state.now) {
        return None;
    }
    let (refresh, since) = state.live.start()?;
    state.dirty = true;
    Some(Command::RefreshAlerts {
        refresh,
        since,
        query: state.query(),
    })
}

/// A full load of the alert queue finished.
pub(crate) fn on_load_done(state: &mut State) {
    let last_input = state.last_input;
    load_done(&mut state.live, state.now, last_input);
}

/// A full load of a queue finished: the newest change it showed is the watermark polls
/// start from (the loads call [`Live::saw`] page by page); schedule the first poll.
pub(crate) fn load_done(live: &mut Live, now: OffsetDateTime, last_input: OffsetDateTime) {
    if live.watermark.is_none() {
        // An empty queue has no server time to start from; the local clock, a little
        // early to allow for skew, is the best there is (the overlap adds more).
        live.saw(Some(now - time::Duration::minutes(5)));
    }
    live.on_current(now, last_input);
}

/// What a poll changed, for the status line and tests.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Merged {
    pub new: usize,
    pub changed: usize,
    /// Held alerts that no longer match the presets and left the queue.
    pub left: usize,
    /// Copies already held (the overlap), dropped.
    pub repeated: usize,
    /// Changed alerts with a pending write Graph disagrees with.
    pub conflicts: usize,
}

/// Poll `refresh` answered with `alerts`.
pub(crate) fn on_refreshed(state: &mut State, refresh: u64, alerts: Vec<Alert>, skipped: usize) {
    if !state.live.finish(refresh) {
        return;
    }
    let merged = merge(state, alerts);
    let last_input = state.last_input;
    state.live.on_current(state.now, last_input);
    if merged.conflicts > 0 {
        state.error(&format!(
            "{} alert{} changed by someone else while your change is pending: both are shown",
            merged.conflicts,
            if merged.conflicts == 1 {
                " was"
            } else {
                "s were"
            }
        ));
    } else if skipped > 0 {
        state.error(&format!(
            "{skipped} changed alerts could not be read and were skipped"
        ));
    }
    if merged != Merged::default() {
        super::entity_keys::on_loaded(state);
    }
    // The "current at" time on the status line moved.
    state.dirty = true;
}

/// Poll `refresh` failed or was held back.
pub(crate) fn on_held(state: &mut State, refresh: u64, held: Held) {
    if !state.live.finish(refresh) {
        return;
    }
    let last_input = state.last_input;
    state.live.on_held(held, state.now, last_input);
    state.dirty = true;
}

/// Merges a poll's alerts by the rules in the module comment.
pub(crate) fn merge(state: &mut State, alerts: Vec<Alert>) -> Merged {
    let query = state.query();
    let mut merged = Merged::default();
    let mut upserts = Vec::with_capacity(alerts.len());
    let mut leaving = HashSet::new();
    let (alerts, twice) = newest_copies(alerts);
    merged.repeated += twice;
    for alert in alerts {
        state.live.saw(alert.last_update);
        let Some(held) = state.queue.get(&alert.id) else {
            if query.matches(&alert, state.now) {
                state.live.fresh.insert(alert.id.clone(), Fresh::New);
                merged.new += 1;
                upserts.push(alert);
            }
            continue;
        };
        if held.last_update.is_some() && held.last_update == alert.last_update {
            merged.repeated += 1;
            continue;
        }
        let pending = state.writes.pending_update(&alert.id);
        if let Some(mine) = &pending {
            let base = check::base_for(held, mine);
            let theirs = check::conflicts(&base, mine, &alert);
            if !theirs.is_empty() {
                merged.conflicts += 1;
                state.live.theirs.insert(alert.id.clone(), theirs);
            }
        }
        let keep = query.matches(&alert, state.now)
            || state.cursor_id.as_deref() == Some(alert.id.as_str())
            || state.writes.any_pending(TargetKind::Alert, &alert.id);
        if keep {
            state.live.fresh.insert(alert.id.clone(), Fresh::Changed);
            merged.changed += 1;
            upserts.push(alert);
        } else {
            state.live.fresh.remove(&alert.id);
            merged.left += 1;
            leaving.insert(alert.id);
        }
    }
    if !upserts.is_empty() {
        let generation = state.load.generation;
        state.queue.upsert(upserts, generation);
    }
    if !leaving.is_empty() {
        state.queue.remove(&leaving);
        state.marks.retain(|id| !leaving.contains(id));
    }
    if merged.new + merged.changed + merged.left > 0 {
        // Keep the server's total in step, or "N of M alerts" would go stale.
        if let Some(total) = state.load.total.as_mut() {
            *total = (*total + merged.new as u64).saturating_sub(merged.left as u64);
        }
        state.relocate_cursor();
    }
    merged
}

/// One copy per alert, the newest (an alert that changed while a poll paged can come
/// twice), in the order they came; and how many copies were dropped.
fn newest_copies(alerts: Vec<Alert>) -> (Vec<Alert>, usize) {
    let mut at: HashMap<String, usize> = HashMap::with_capacity(alerts.len());
    let mut out: Vec<Alert> = Vec::with_capacity(alerts.len());
    let mut dropped = 0;
    for alert in alerts {
        match at.get(&alert.id) {
            Some(&i) => {
                dropped += 1;
                if alert.last_update >= out[i].last_update {
                    out[i] = alert;
                }
            }
            None => {
                at.insert(alert.id.clone(), out.len());
                out.push(alert);
            }
        }
    }
    (out, dropped)
}

/// The analyst looked at alert `id` (the cursor moved onto it, or its detail opened).
pub(crate) fn viewed(state: &mut State, id: &str) {
    if state.live.fresh.remove(id).is_some() {
        state.dirty = true;
    }
}

/// Forgets "theirs" for alerts with no write pending any more (answered, failed, or in
/// conflict, which the outbox's own prompt takes over).
pub(crate) fn prune_theirs(state: &mut State) {
    if state.live.theirs.is_empty() {
        return;
    }
    let writes = &state.writes;
    state
        .live
        .theirs
        .retain(|id, _| writes.pending_update(id).is_some());
}

/// A one-line description of a pending write's disagreement with Graph, for the detail.
pub(crate) fn describe_theirs(fields: &[crate::outbox::FieldConflict]) -> String {
    fields
        .iter()
        .map(|f| {
            format!(
                "{} theirs {} · yours {}",
                sanitize::line(&f.field),
                sanitize::line(&check::show(&f.theirs)),
                sanitize::line(&check::show(&f.mine))
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}
