//! A strict per-minute request limit and the queue of reads waiting for it: what the
//! eDiscovery pane needs, where Graph allows only 5 requests per minute per app per tenant
//! (surface.md §7) and a long-running estimate may take minutes.
//!
//! [`RequestWindow`] lets a request go at `now` only when fewer than `limit` were sent in
//! the `period` before it, measured on send times plus a safety `margin` (the server counts
//! arrival times, which can be closer together than send times when an earlier request
//! took longer on the wire). A 429 blocks everything until its Retry-After has passed.
//!
//! The time the next request can go is known ([`RequestWindow::next_slot`]), so the screen
//! can say "next request at 00:31:05" instead of hammering.
//!
//! Both take the time as an argument; the rules are tested without sleeping.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Graph's eDiscovery limit: requests per minute per app per tenant.
pub const EDISCOVERY_PER_MINUTE: usize = 5;
/// Added to the period so arrival-time jitter can't make the server see six in a minute.
pub const DEFAULT_MARGIN: Duration = Duration::from_secs(2);

/// At most `limit` requests in any `period` (plus `margin`), and nothing while a 429's
/// Retry-After runs.
#[derive(Debug, Clone)]
pub struct RequestWindow {
    limit: usize,
    period: Duration,
    margin: Duration,
    /// Send times inside the current period, oldest first.
    sent: VecDeque<Instant>,
    blocked_until: Option<Instant>,
}

impl RequestWindow {
    /// `limit` requests per `period`, with a margin of a thirtieth of the period (at most
    /// [`DEFAULT_MARGIN`]: 2 s on a minute). A limit of 0 is taken as 1.
    pub fn new(limit: usize, period: Duration) -> RequestWindow {
        RequestWindow {
            limit: limit.max(1),
            period,
            margin: (period / 30).min(DEFAULT_MARGIN),
            sent: VecDeque::new(),
            blocked_until: None,
        }
    }

    /// Graph's eDiscovery limit: 5 a minute.
    pub fn ediscovery() -> RequestWindow {
        RequestWindow::new(EDISCOVERY_PER_MINUTE, Duration::from_secs(60))
    }

    fn forget_old(&mut self, now: Instant) {
        let span = self.period + self.margin;
        while self
            .sent
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= span)
        {
            self.sent.pop_front();
        }
    }

    /// When the next request may go: `now` when it may go at once.
    pub fn next_slot(&mut self, now: Instant) -> Instant {
        self.forget_old(now);
        let mut at = now;
        if self.sent.len() >= self.limit {
            // The oldest of the last `limit` must leave the window first.
            let oldest = self.sent[self.sent.len() - self.limit];
            at = at.max(oldest + self.period + self.margin);
        }
        if let Some(until) = self.blocked_until {
            at = at.max(until);
        }
        at
    }

    /// Takes a slot at `now` if one is free; records the send.
    pub fn try_take(&mut self, now: Instant) -> bool {
        if self.next_slot(now) > now {
            return false;
        }
        self.blocked_until = None;
        self.sent.push_back(now);
        true
    }

    /// The server answered 429: nothing goes before `retry_after` has passed (at least
    /// until the window would let the next one go anyway).
    pub fn throttled(&mut self, now: Instant, retry_after: Duration) {
        let until = now + retry_after;
        self.blocked_until = Some(self.blocked_until.map_or(until, |b| b.max(until)));
    }

    /// What a restarted process needs to go on where this one stopped: the send times
    /// still inside the window, and the end of a 429's block, as wall-clock instants.
    pub fn export(&mut self, now: Instant) -> WindowState {
        self.forget_old(now);
        let wall = std::time::SystemTime::now();
        let to_wall = |t: Instant| wall - now.saturating_duration_since(t);
        WindowState {
            sent: self.sent.iter().map(|t| to_wall(*t)).collect(),
            blocked_until: self
                .blocked_until
                .filter(|b| *b > now)
                .map(|b| wall + (b - now)),
        }
    }

    /// Takes up what [`RequestWindow::export`] wrote (another process, earlier): sends it
    /// made still count against the window here.
    pub fn restore(&mut self, state: &WindowState, now: Instant) {
        let wall = std::time::SystemTime::now();
        for t in &state.sent {
            // A send time in the future (a clock step) counts as now.
            let ago = wall.duration_since(*t).unwrap_or_default();
            if let Some(at) = now.checked_sub(ago) {
                self.sent.push_back(at);
            }
        }
        self.sent.make_contiguous().sort();
        if let Some(b) = state.blocked_until
            && let Ok(left) = b.duration_since(wall)
        {
            self.throttled(now, left);
        }
        self.forget_old(now);
    }

    /// Requests recorded in the `period` before `now`.
    pub fn recent(&mut self, now: Instant) -> usize {
        self.forget_old(now);
        self.sent.len()
    }
}

/// A window's state in wall-clock time, for the file a restarted process reads.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WindowState {
    pub sent: Vec<std::time::SystemTime>,
    #[serde(default)]
    pub blocked_until: Option<std::time::SystemTime>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(60);

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    /// Sends as fast as the window allows for `span` and returns the send offsets.
    fn saturate(w: &mut RequestWindow, start: Instant, span: Duration) -> Vec<Duration> {
        let mut sent = Vec::new();
        let mut now = start;
        while now < start + span {
            if w.try_take(now) {
                sent.push(now - start);
            } else {
                now = w.next_slot(now);
            }
        }
        sent
    }

    #[test]
    fn no_sixty_second_window_ever_holds_more_than_five() {
        let t0 = Instant::now();
        let mut w = RequestWindow::ediscovery();
        let sent = saturate(&mut w, t0, secs(600));
        // Every run of six consecutive sends spans more than a minute (plus the margin).
        for six in sent.windows(6) {
            assert!(six[5] - six[0] >= MIN + DEFAULT_MARGIN, "{six:?}");
        }
        // And the limit is used: 5 at once, then 5 more every 62 s.
        assert_eq!(sent.len(), 50);
        assert_eq!(sent[4], Duration::ZERO);
        assert_eq!(sent[5], secs(62));
    }

    #[test]
    fn a_429_blocks_until_retry_after_even_with_slots_free() {
        let t0 = Instant::now();
        let mut w = RequestWindow::ediscovery();
        assert!(w.try_take(t0));
        w.throttled(t0, secs(30));
        assert!(!w.try_take(t0 + secs(29)));
        assert_eq!(w.next_slot(t0 + secs(1)), t0 + secs(30));
        assert!(w.try_take(t0 + secs(30)));
        // A shorter Retry-After never shortens a longer block.
        w.throttled(t0 + secs(31), secs(40));
        w.throttled(t0 + secs(32), secs(1));
        assert_eq!(w.next_slot(t0 + secs(33)), t0 + secs(71));
    }

    #[test]
    fn a_restarted_process_counts_what_the_last_one_sent() {
        let t0 = Instant::now();
        let mut before = RequestWindow::ediscovery();
        for i in 0..5 {
            assert!(before.try_take(t0 + secs(i)));
        }
        before.throttled(t0 + secs(5), secs(30));
        let state = before.export(t0 + secs(5));
        assert_eq!(state.sent.len(), 5);
        let text = serde_json::to_string(&state).unwrap();
        let read: WindowState = serde_json::from_str(&text).unwrap();
        let now = Instant::now();
        let mut after = RequestWindow::ediscovery();
        after.restore(&read, now);
        assert!(!after.try_take(now));
        // Blocked for the rest of the 429's 30 s (measured from the export).
        assert!(after.next_slot(now) >= now + secs(29));
    }
}
