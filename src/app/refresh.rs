//! Folding a poll's changed rows into a queue (see [`super::live`] for when polls run). The
//! alert queue and the incident queue follow the same rules.
//!
//! The rules, in order, for each row a poll returns:
//! - a copy with the same `lastUpdateDateTime` as the one held is the overlap read again:
//!   dropped, so every change arrives once;
//! - a row the queue does not hold joins it, marked new, if it matches the loaded presets
//!   (status, and age for alerts); otherwise it is none of this queue's business;
//! - a held row with a newer copy is replaced and marked changed. If the analyst has a
//!   write pending on it and Graph changed a field that write sets, both values are kept
//!   for display (the row and the detail show theirs beside yours) until the write is
//!   answered: a change by someone else is never silently overwritten, in either direction;
//! - a held row that no longer matches the presets (resolved by someone else while the
//!   queue shows open ones) leaves the queue, unless the cursor is on it or a write of the
//!   analyst's is pending on it: then it stays, marked changed, until the next load.

use super::command::Command;
use super::incidents::IncidentRow;
use super::live::{Fresh, Held, Live, PollOf};
use super::queue::{Item, Queue};
use super::state::State;
use crate::graph::models::Alert;
use crate::outbox::{FieldConflict, TargetKind, check};
use crate::sanitize;
use std::collections::{BTreeSet, HashMap, HashSet};
use time::OffsetDateTime;

/// A row a poll can return: its id and its version (`lastUpdateDateTime`).
pub(crate) trait Polled {
    fn poll_id(&self) -> &str;
    fn version(&self) -> Option<OffsetDateTime>;
}

impl Polled for Alert {
    fn poll_id(&self) -> &str {
        &self.id
    }
    fn version(&self) -> Option<OffsetDateTime> {
        self.last_update
    }
}

impl Polled for IncidentRow {
    fn poll_id(&self) -> &str {
        self.id()
    }
    fn version(&self) -> Option<OffsetDateTime> {
        self.incident.last_update
    }
}

/// The timer ticked: starts the polls that are due, for queues that are not loading.
pub(crate) fn on_tick(state: &mut State) -> Vec<Command> {
    let mut commands = Vec::new();
    if !state.load.loading
        && state.live.due(state.now)
        && let Some((refresh, since)) = state.live.start()
    {
        commands.push(Command::RefreshAlerts {
            refresh,
            since,
            query: state.query(),
        });
    }
    let pane = &mut state.incidents;
    // The incident queue polls once it has been loaded (opening the pane loads it).
    if pane.requested
        && !pane.load.loading
        && pane.live.due(state.now)
        && let Some((refresh, since)) = pane.live.start()
    {
        commands.push(Command::RefreshIncidents { refresh, since });
    }
    if !commands.is_empty() {
        // "checking…" on the status line.
        state.dirty = true;
    }
    commands
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
    /// Held rows that no longer match the presets and left the queue.
    pub left: usize,
    /// Copies already held (the overlap), dropped.
    pub repeated: usize,
    /// Changed rows with a pending write Graph disagrees with.
    pub conflicts: usize,
}

/// Alert poll `refresh` answered with `alerts`.
pub(crate) fn on_alerts(state: &mut State, refresh: u64, alerts: Vec<Alert>, skipped: usize) {
    if !state.live.finish(refresh) {
        return;
    }
    let merged = merge_alerts(state, alerts);
    let last_input = state.last_input;
    state.live.on_current(state.now, last_input);
    report(state, merged, skipped, "alert");
    if merged.new + merged.changed + merged.left > 0 {
        super::entity_keys::on_loaded(state);
    }
    // The "current at" time on the status line moved.
    state.dirty = true;
}

/// Incident poll `refresh` answered with `rows`.
pub(crate) fn on_incidents(
    state: &mut State,
    refresh: u64,
    rows: Vec<IncidentRow>,
    skipped: usize,
) {
    if !state.incidents.live.finish(refresh) {
        return;
    }
    let merged = merge_incidents(state, rows);
    let last_input = state.last_input;
    let pane = &mut state.incidents;
    pane.live.on_current(state.now, last_input);
    // The open incident follows a poll that changed it.
    if let Some(v) = pane.view.as_mut()
        && let Some(row) = pane.queue.get(v.row.id())
    {
        v.row = row.clone();
    }
    report(state, merged, skipped, "incident");
    state.dirty = true;
}

fn report(state: &mut State, merged: Merged, skipped: usize, noun: &str) {
    if merged.conflicts > 0 {
        let n = merged.conflicts;
        state.error(&format!(
            "{n} {noun}{} changed by someone else while your change is pending: both are shown",
            if n == 1 { " was" } else { "s were" }
        ));
    } else if skipped > 0 {
        state.error(&format!(
            "{skipped} changed {noun}s could not be read and were skipped"
        ));
    }
}

/// A poll of `of` failed or was held back.
pub(crate) fn on_held(state: &mut State, of: PollOf, refresh: u64, held: Held) {
    let live = match of {
        PollOf::Alerts => &mut state.live,
        PollOf::Incidents => &mut state.incidents.live,
    };
    if !live.finish(refresh) {
        return;
    }
    live.on_held(held, state.now, state.last_input);
    state.dirty = true;
}

/// Merges an alert poll by the rules in the module comment.
pub(crate) fn merge_alerts(state: &mut State, alerts: Vec<Alert>) -> Merged {
    let query = state.query();
    let now = state.now;
    let cursor = state.cursor_id.as_deref();
    let writes = &state.writes;
    let rules = Rules {
        belongs: &|a: &Alert| query.matches(a, now),
        keep: &|id: &str| cursor == Some(id) || writes.any_pending(TargetKind::Alert, id),
        disagree: &|held: &Alert, new: &Alert| match writes.pending_update(&new.id) {
            Some(mine) => check::conflicts(&check::base_for(held, &mine), &mine, new),
            None => Vec::new(),
        },
    };
    let merged = merge_rows(
        &mut state.queue,
        &mut state.live,
        &mut state.marks,
        alerts,
        state.load.generation,
        &rules,
    );
    if changed_rows(merged) {
        adjust_total(&mut state.load.total, merged);
        state.relocate_cursor();
    }
    merged
}

/// Merges an incident poll by the rules in the module comment.
fn merge_incidents(state: &mut State, rows: Vec<IncidentRow>) -> Merged {
    let pane = &mut state.incidents;
    let statuses = pane.preset.incident_statuses();
    let cursor = pane.cursor.id.as_deref();
    let writes = &state.writes;
    let rules = Rules {
        belongs: &|r: &IncidentRow| {
            statuses.is_empty()
                || r.incident
                    .status
                    .as_ref()
                    .is_some_and(|s| statuses.contains(s))
        },
        keep: &|id: &str| cursor == Some(id) || writes.any_pending(TargetKind::Incident, id),
        disagree: &|held: &IncidentRow, new: &IncidentRow| match writes
            .pending_incident_update(new.id())
        {
            Some(mine) => check::incident_conflicts(
                &check::incident_base_for(&held.incident, &mine),
                &mine,
                &new.incident,
            ),
            None => Vec::new(),
        },
    };
    let merged = merge_rows(
        &mut pane.queue,
        &mut pane.live,
        &mut pane.marks,
        rows,
        pane.load.generation,
        &rules,
    );
    if changed_rows(merged) {
        adjust_total(&mut pane.load.total, merged);
        super::incident_keys::relocate(state);
    }
    merged
}

fn changed_rows(merged: Merged) -> bool {
    merged.new + merged.changed + merged.left > 0
}

/// Keeps the server's total in step, or "N of M" would go stale.
fn adjust_total(total: &mut Option<u64>, merged: Merged) {
    if let Some(total) = total.as_mut() {
        *total = (*total + merged.new as u64).saturating_sub(merged.left as u64);
    }
}

/// What one queue decides for the rows of a poll.
struct Rules<'a, D> {
    /// The row matches the loaded presets.
    belongs: &'a dyn Fn(&D) -> bool,
    /// A row that no longer belongs stays anyway (the cursor is on it, a write is pending).
    keep: &'a dyn Fn(&str) -> bool,
    /// The fields where a pending write of the analyst's and Graph's new copy disagree,
    /// given the held copy and the new one.
    disagree: &'a dyn Fn(&D, &D) -> Vec<FieldConflict>,
}

/// Merges `rows` into `queue` by the rules in the module comment, marking `live`.
fn merge_rows<E: Item>(
    queue: &mut Queue<E>,
    live: &mut Live,
    marks: &mut BTreeSet<String>,
    rows: Vec<E::Data>,
    generation: u64,
    rules: &Rules<'_, E::Data>,
) -> Merged
where
    E::Data: Polled,
{
    let mut merged = Merged::default();
    let mut upserts = Vec::with_capacity(rows.len());
    let mut leaving = HashSet::new();
    let (rows, twice) = newest_copies(rows);
    merged.repeated += twice;
    for row in rows {
        live.saw(row.version());
        let id = row.poll_id().to_owned();
        let Some(held) = queue.get(&id) else {
            if (rules.belongs)(&row) {
                live.fresh.insert(id, Fresh::New);
                merged.new += 1;
                upserts.push(row);
            }
            continue;
        };
        if held.version().is_some() && held.version() == row.version() {
            merged.repeated += 1;
            continue;
        }
        let theirs = (rules.disagree)(held, &row);
        if !theirs.is_empty() {
            merged.conflicts += 1;
            live.theirs.insert(id.clone(), theirs);
        }
        if (rules.belongs)(&row) || (rules.keep)(&id) {
            // A new row that changed again before the analyst saw it is still new.
            live.fresh.entry(id).or_insert(Fresh::Changed);
            merged.changed += 1;
            upserts.push(row);
        } else {
            live.fresh.remove(&id);
            merged.left += 1;
            leaving.insert(id);
        }
    }
    if !upserts.is_empty() {
        queue.upsert(upserts, generation);
    }
    if !leaving.is_empty() {
        queue.remove(&leaving);
        marks.retain(|id| !leaving.contains(id));
    }
    merged
}

/// One copy per row, the newest (a row that changed while a poll paged can come twice),
/// in the order they came; and how many copies were dropped.
fn newest_copies<D: Polled>(rows: Vec<D>) -> (Vec<D>, usize) {
    let mut at: HashMap<String, usize> = HashMap::with_capacity(rows.len());
    let mut out: Vec<D> = Vec::with_capacity(rows.len());
    let mut dropped = 0;
    for row in rows {
        match at.get(row.poll_id()) {
            Some(&i) => {
                dropped += 1;
                if row.version() >= out[i].version() {
                    out[i] = row;
                }
            }
            None => {
                at.insert(row.poll_id().to_owned(), out.len());
                out.push(row);
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

/// Forgets "theirs" for rows with no write pending any more (answered, failed, or in
/// conflict, which the outbox's own prompt takes over).
pub(crate) fn prune_theirs(state: &mut State) {
    let writes = &state.writes;
    if !state.live.theirs.is_empty() {
        state
            .live
            .theirs
            .retain(|id, _| writes.pending_update(id).is_some());
    }
    if !state.incidents.live.theirs.is_empty() {
        state
            .incidents
            .live
            .theirs
            .retain(|id, _| writes.pending_incident_update(id).is_some());
    }
}

/// A one-line description of a pending write's disagreement with Graph, for the detail.
pub(crate) fn describe_theirs(fields: &[FieldConflict]) -> String {
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
