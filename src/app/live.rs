//! Keeping a queue current without change notifications.
//!
//! Graph sends no notifications for alerts_v2 or incidents, so the console polls for what
//! changed since the newest `lastUpdateDateTime` it has seen. This module is the policy:
//! when the next poll is due (faster while the analyst is at the keyboard, slower when
//! idle, backing off after failures and when the shared request budget runs low) and the
//! bookkeeping a merge needs (the watermark, which rows are new or changed). It reads no
//! clock: every decision takes `now`.

use crate::outbox::FieldConflict;
use std::collections::HashMap;
use time::{Duration, OffsetDateTime};

/// Between polls while the analyst is using the console.
pub const ACTIVE_INTERVAL: Duration = Duration::seconds(15);
/// Between polls once nobody has pressed a key for [`IDLE_AFTER`]. At one poll a minute
/// per queue an idle console spends 2 of the 150 requests a minute Graph allows.
pub const IDLE_INTERVAL: Duration = Duration::seconds(60);
/// No key for this long and the console counts as idle.
pub const IDLE_AFTER: Duration = Duration::minutes(2);
/// The longest wait after repeated failures.
pub const MAX_BACKOFF: Duration = Duration::minutes(5);
/// How far each poll reaches back before the watermark. Graph stamps `lastUpdateDateTime`
/// when a change is made, which is not always when it becomes visible to a list; reading
/// the last half minute again (and dropping copies we already hold) catches a change that
/// became visible late. Costs a few repeated rows per poll.
pub const OVERLAP: Duration = Duration::seconds(30);

/// Why a row is marked until the analyst looks at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fresh {
    /// Arrived by a poll, not in the queue before.
    New,
    /// Already in the queue; Graph has a newer copy.
    Changed,
}

/// Which queue a poll is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PollOf {
    Alerts,
    Incidents,
}

/// Why the last poll did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Held {
    /// The shared request budget was low; polls wait for it to refill.
    BudgetLow,
    /// The poll failed (the message is for the status line).
    Failed(String),
}

/// The live state of one queue.
#[derive(Debug, Clone)]
pub struct Live {
    /// Polling is on (`:live off` stops it, e.g. on a metered link).
    pub enabled: bool,
    /// The newest `lastUpdateDateTime` Graph has shown us for this queue: the next poll
    /// asks for what changed after it. Server time, so the jump host's clock can't skew it.
    pub watermark: Option<OffsetDateTime>,
    /// When the queue was last known to be current (the end of a load or poll), local time.
    pub current_at: Option<OffsetDateTime>,
    /// When the next poll is due; `None` while a load or poll is running.
    pub next_at: Option<OffsetDateTime>,
    /// The poll in flight, by id; replies with another id are stale.
    pub in_flight: Option<u64>,
    next_id: u64,
    /// Polls in a row that failed (for the back-off).
    pub failures: u32,
    /// Why the last poll was held back, if it was.
    pub held: Option<Held>,
    /// Rows that arrived or changed by a poll and the analyst has not looked at yet.
    pub fresh: HashMap<String, Fresh>,
    /// Rows Graph changed under a write of the analyst's that is still pending: the fields
    /// where the two disagree, shown side by side until the write is answered.
    pub theirs: HashMap<String, Vec<FieldConflict>>,
}

impl Default for Live {
    fn default() -> Self {
        Live {
            enabled: true,
            watermark: None,
            current_at: None,
            next_at: None,
            in_flight: None,
            next_id: 0,
            failures: 0,
            held: None,
            fresh: HashMap::new(),
            theirs: HashMap::new(),
        }
    }
}

impl Live {
    /// How long to wait before the next poll, given when the analyst last pressed a key.
    pub fn interval(&self, now: OffsetDateTime, last_input: OffsetDateTime) -> Duration {
        if self.failures > 0 {
            // 30 s, 60 s, 120 s, … up to five minutes.
            let factor = 1i32 << self.failures.min(8);
            return (ACTIVE_INTERVAL * factor).min(MAX_BACKOFF);
        }
        if self.held == Some(Held::BudgetLow) || now - last_input >= IDLE_AFTER {
            IDLE_INTERVAL
        } else {
            ACTIVE_INTERVAL
        }
    }

    /// True when a poll should start now.
    pub fn due(&self, now: OffsetDateTime) -> bool {
        self.enabled && self.in_flight.is_none() && self.next_at.is_some_and(|t| now >= t)
    }

    /// Starts a poll: returns its id and the time to ask from (the watermark less the
    /// overlap), or `None` when there is no watermark yet (no load has finished).
    pub fn start(&mut self) -> Option<(u64, OffsetDateTime)> {
        let since = self.watermark? - OVERLAP;
        self.next_id += 1;
        self.in_flight = Some(self.next_id);
        self.next_at = None;
        Some((self.next_id, since))
    }

    /// Takes the reply to poll `id`; false when it is stale (a load superseded it).
    pub fn finish(&mut self, id: u64) -> bool {
        if self.in_flight != Some(id) {
            return false;
        }
        self.in_flight = None;
        true
    }

    /// A full load started: polls in flight answer an older question.
    pub fn on_load_started(&mut self) {
        self.in_flight = None;
        self.next_at = None;
    }

    /// A load or poll finished at `now`: the queue is current; schedule the next poll.
    pub fn on_current(&mut self, now: OffsetDateTime, last_input: OffsetDateTime) {
        self.current_at = Some(now);
        self.failures = 0;
        self.held = None;
        self.schedule(now, last_input);
    }

    /// A poll failed or was held back; try again later.
    pub fn on_held(&mut self, held: Held, now: OffsetDateTime, last_input: OffsetDateTime) {
        if matches!(held, Held::Failed(_)) {
            self.failures += 1;
        }
        self.held = Some(held);
        self.schedule(now, last_input);
    }

    /// Sets the next poll one interval from `now`.
    pub fn schedule(&mut self, now: OffsetDateTime, last_input: OffsetDateTime) {
        self.next_at = Some(now + self.interval(now, last_input));
    }

    /// The analyst pressed a key: an idle wait shrinks to the active one.
    pub fn on_input(&mut self, now: OffsetDateTime) {
        if self.failures > 0 || self.held.is_some() {
            return;
        }
        if let (Some(next), Some(current)) = (self.next_at, self.current_at) {
            let sooner = (current + ACTIVE_INTERVAL).max(now);
            if sooner < next {
                self.next_at = Some(sooner);
            }
        }
    }

    /// Moves the watermark forward to `t` (never back).
    pub fn saw(&mut self, t: Option<OffsetDateTime>) {
        if let Some(t) = t
            && self.watermark.is_none_or(|w| t > w)
        {
            self.watermark = Some(t);
        }
    }

    /// Counts of rows still marked new and changed.
    pub fn fresh_counts(&self) -> (usize, usize) {
        self.fresh.values().fold((0, 0), |(n, c), f| match f {
            Fresh::New => (n + 1, c),
            Fresh::Changed => (n, c + 1),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const T0: OffsetDateTime = datetime!(2026-11-26 12:00 UTC);

    fn current(live: &mut Live) {
        live.saw(Some(T0 - Duration::minutes(5)));
        live.on_current(T0, T0);
    }

    #[test]
    fn nothing_is_due_before_the_first_load_finishes() {
        let live = Live::default();
        assert!(!live.due(T0 + Duration::hours(1)));
    }

    #[test]
    fn polls_every_15_seconds_while_active_and_every_minute_when_idle() {
        let mut live = Live::default();
        current(&mut live);
        assert_eq!(live.next_at, Some(T0 + ACTIVE_INTERVAL));
        assert!(!live.due(T0 + Duration::seconds(14)));
        assert!(live.due(T0 + Duration::seconds(15)));

        // The last key was three minutes ago: idle.
        live.on_current(T0, T0 - Duration::minutes(3));
        assert_eq!(live.next_at, Some(T0 + IDLE_INTERVAL));
    }

    #[test]
    fn a_key_after_idling_brings_the_next_poll_forward() {
        let mut live = Live::default();
        live.saw(Some(T0));
        live.on_current(T0, T0 - Duration::minutes(3));
        live.on_input(T0 + Duration::seconds(5));
        assert_eq!(live.next_at, Some(T0 + ACTIVE_INTERVAL));
        // Late in the wait: as soon as possible, never in the past.
        live.on_current(T0, T0 - Duration::minutes(3));
        live.on_input(T0 + Duration::seconds(40));
        assert_eq!(live.next_at, Some(T0 + Duration::seconds(40)));
    }

    #[test]
    fn a_poll_asks_from_the_watermark_less_the_overlap_and_blocks_another() {
        let mut live = Live::default();
        current(&mut live);
        let (id, since) = live.start().unwrap();
        assert_eq!(since, T0 - Duration::minutes(5) - OVERLAP);
        assert!(!live.due(T0 + Duration::hours(1)), "one poll at a time");
        assert!(!live.finish(id + 1), "a stale reply");
        assert!(live.finish(id));
    }

    #[test]
    fn a_load_makes_the_poll_in_flight_stale() {
        let mut live = Live::default();
        current(&mut live);
        let (id, _) = live.start().unwrap();
        live.on_load_started();
        assert!(!live.finish(id));
    }

    #[test]
    fn failures_back_off_to_five_minutes_and_success_resets() {
        let mut live = Live::default();
        current(&mut live);
        let mut waits = Vec::new();
        for _ in 0..6 {
            live.on_held(Held::Failed("x".into()), T0, T0);
            waits.push((live.next_at.unwrap() - T0).whole_seconds());
        }
        assert_eq!(waits, [30, 60, 120, 240, 300, 300]);
        live.on_current(T0, T0);
        assert_eq!(live.next_at, Some(T0 + ACTIVE_INTERVAL));
    }

    #[test]
    fn a_low_budget_slows_polls_to_the_idle_pace() {
        let mut live = Live::default();
        current(&mut live);
        live.on_held(Held::BudgetLow, T0, T0);
        assert_eq!(live.next_at, Some(T0 + IDLE_INTERVAL));
        assert_eq!(live.failures, 0);
    }

    #[test]
    fn the_watermark_never_moves_back() {
        let mut live = Live::default();
        live.saw(Some(T0));
        live.saw(Some(T0 - Duration::seconds(1)));
        live.saw(None);
        assert_eq!(live.watermark, Some(T0));
    }

    #[test]
    fn polling_off_is_never_due() {
        let mut live = Live::default();
        current(&mut live);
        live.enabled = false;
        assert!(!live.due(T0 + Duration::hours(1)));
    }
}
