//! The request budget: one token bucket that every HTTP attempt of a [`Client`] (and of all
//! its clones) draws from, so the console's panes, the worker, the outbox writer and a
//! headless command together stay under Graph's throttling limit.
//!
//! Graph allows 150 requests per minute per app per tenant for anything under `/security`
//! (surface.md §1.5), shared by everything the app does. A bucket that holds at most
//! `capacity` tokens and refills at `per_minute` lets through at most
//! `capacity + per_minute` requests in any 60-second window: what was saved up when the
//! window opened, plus what trickles in during it. The defaults are 20 + 120 = 140, below
//! 150, so no window can cross the limit even from a full bucket, and the margin leaves room
//! for another tool of the same app.
//!
//! A 429 means something (maybe another process of the same app) is using the budget too:
//! the refill rate halves (down to a floor) and the bucket is emptied. A 429 to a request
//! that was sent before the last halving is the same overload seen by another request in
//! flight: it empties the bucket but does not halve again. After a quiet minute without a
//! 429 the rate climbs back by a tenth of the configured rate per minute, until it is back
//! where it was configured.
//!
//! The arithmetic is a plain value ([`Bucket`]) that takes the time as an argument, so the
//! rules are unit-tested without sleeping; [`RequestBudget`] wraps it in a mutex and waits
//! with `tokio::time::sleep` until a token is due.
//!
//! [`Client`]: super::Client

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Graph's documented limit for any request under `/security`, per app per tenant.
pub const GRAPH_SECURITY_PER_MINUTE: u32 = 150;
/// Default burst: requests that may go out back to back after a quiet spell.
pub const DEFAULT_CAPACITY: u32 = 20;
/// Default refill, tokens per minute.
pub const DEFAULT_PER_MINUTE: u32 = 120;
// A full bucket plus a minute of refill must stay under the documented limit.
const _: () = assert!(DEFAULT_CAPACITY + DEFAULT_PER_MINUTE < GRAPH_SECURITY_PER_MINUTE);

/// The slowest a 429 makes the refill (unless the configured rate is slower still).
pub const MIN_PER_MINUTE: f64 = 10.0;
/// What a 429 multiplies the refill rate by.
pub const SHRINK_FACTOR: f64 = 0.5;
/// Recovery, per full minute without a 429, as a fraction of the configured rate.
pub const RECOVERY_PER_QUIET_MINUTE: f64 = 0.10;
/// Below this share of the capacity the budget counts as low: background work should wait.
pub const LOW_SHARE: f64 = 0.25;

/// The shortest sleep while waiting for a token, so float rounding never makes a spin.
const MIN_WAIT: Duration = Duration::from_millis(1);

/// The bucket's size and refill rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BudgetConfig {
    /// Tokens the bucket holds when full (the burst). At least 1 is used.
    pub capacity: u32,
    /// Tokens added per minute. At least 1 is used.
    pub per_minute: u32,
}

impl BudgetConfig {
    /// `capacity` burst, `per_minute` refill.
    pub const fn new(capacity: u32, per_minute: u32) -> Self {
        BudgetConfig {
            capacity,
            per_minute,
        }
    }

    /// No budget at all: every request goes at once and a 429 changes nothing but the
    /// retry. For benchmarks that measure raw throughput against the emulator, and tests
    /// that need it; never for a real tenant.
    pub const fn unlimited() -> Self {
        BudgetConfig {
            capacity: u32::MAX,
            per_minute: u32::MAX,
        }
    }

    pub fn is_unlimited(&self) -> bool {
        self.per_minute == u32::MAX
    }

    /// A bucket that sends at most `requests` in any 60-second window, burst included:
    /// about a seventh of it (at most [`DEFAULT_CAPACITY`]) as the burst, the rest as the
    /// refill. `within(140)` is the default (20 + 120). 0 is taken as 1.
    pub fn within(requests: u32) -> Self {
        let requests = requests.max(1);
        let capacity = (requests / 7).clamp(1, DEFAULT_CAPACITY);
        BudgetConfig {
            capacity,
            // 1 + 1 for `within(1)`: the bucket still lets only one request into any
            // half-open 60-second window, since the refilled token lands as it closes.
            per_minute: requests.saturating_sub(capacity).max(1),
        }
    }
}

impl Default for BudgetConfig {
    /// 20 burst, 120 per minute: at most 140 requests in any minute (see the module doc).
    fn default() -> Self {
        BudgetConfig::new(DEFAULT_CAPACITY, DEFAULT_PER_MINUTE)
    }
}

/// The budget as it stands.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BudgetSnapshot {
    /// Tokens available now (fractions are refill in progress).
    pub available: f64,
    pub capacity: u32,
    /// The refill rate now: the configured one, or less after a 429.
    pub per_minute: f64,
    /// The refill rate the budget was configured with (and recovers to).
    pub configured_per_minute: u32,
    /// A 429 has slowed the refill and it has not fully recovered yet.
    pub shrunk: bool,
}

impl BudgetSnapshot {
    /// Fewer than a quarter of the capacity left: background refreshes should pause so
    /// the analyst's own requests do not queue behind them.
    pub fn is_low(&self) -> bool {
        self.available < self.capacity as f64 * LOW_SHARE
    }
}

/// A rate lowered by a 429, and when.
#[derive(Debug, Clone, Copy)]
struct Shrink {
    /// The rate right after the 429.
    rate: f64,
    /// The latest 429 (recovery counts quiet minutes from here).
    at: Instant,
    /// The 429 that set `rate`: 429s to requests sent before it do not halve again.
    shrunk_at: Instant,
}

/// The token bucket's state and rules, with time passed in.
#[derive(Debug, Clone)]
pub(crate) struct Bucket {
    capacity: f64,
    configured: f64,
    tokens: f64,
    /// When `tokens` was last brought up to date.
    last: Instant,
    shrink: Option<Shrink>,
}

impl Bucket {
    /// A full bucket.
    pub(crate) fn new(config: BudgetConfig, now: Instant) -> Self {
        let capacity = f64::from(config.capacity.max(1));
        Bucket {
            capacity,
            configured: f64::from(config.per_minute.max(1)),
            tokens: capacity,
            last: now,
            shrink: None,
        }
    }

    /// The refill rate at `now`, tokens per minute: the configured rate, or after a 429 the
    /// lowered rate plus a tenth of the configured one per full minute since the last 429.
    pub(crate) fn rate_at(&self, now: Instant) -> f64 {
        match self.shrink {
            None => self.configured,
            Some(s) => {
                let quiet_minutes = (now.saturating_duration_since(s.at).as_secs() / 60) as f64;
                (s.rate + quiet_minutes * RECOVERY_PER_QUIET_MINUTE * self.configured)
                    .min(self.configured)
            }
        }
    }

    /// Adds the tokens refilled since the last update.
    fn refill(&mut self, now: Instant) {
        if now <= self.last {
            return;
        }
        // The rate only rises between 429s, so the rate at the start of the interval never
        // grants more than the true one would.
        let rate = self.rate_at(self.last);
        let minutes = now.duration_since(self.last).as_secs_f64() / 60.0;
        self.tokens = (self.tokens + rate * minutes).min(self.capacity);
        self.last = now;
        if self.shrink.is_some() && self.rate_at(now) >= self.configured {
            self.shrink = None;
        }
    }

    /// Takes a token, or says how long until one is due.
    pub(crate) fn try_take(&mut self, now: Instant) -> Result<(), Duration> {
        self.refill(now);
        // Float rounding must not turn "exactly one token" into another wait.
        if self.tokens >= 1.0 - 1e-9 {
            self.tokens = (self.tokens - 1.0).max(0.0);
            return Ok(());
        }
        let per_second = self.rate_at(now) / 60.0;
        let wait = Duration::try_from_secs_f64((1.0 - self.tokens) / per_second)
            .unwrap_or(Duration::from_secs(3600));
        Err(wait.max(MIN_WAIT))
    }

    /// Graph answered 429 at `now` to a request sent at `sent`: empty the bucket and halve
    /// the rate (not below the floor), unless the request went out before the last halving.
    pub(crate) fn throttled(&mut self, sent: Instant, now: Instant) {
        self.refill(now);
        self.tokens = 0.0;
        if let Some(s) = &mut self.shrink
            && sent <= s.shrunk_at
        {
            s.at = s.at.max(now);
            return;
        }
        let floor = MIN_PER_MINUTE.min(self.configured);
        let rate = (self.rate_at(now) * SHRINK_FACTOR).max(floor);
        self.shrink = Some(Shrink {
            rate,
            at: now,
            shrunk_at: now,
        });
    }

    pub(crate) fn snapshot(&mut self, now: Instant, configured: u32) -> BudgetSnapshot {
        self.refill(now);
        BudgetSnapshot {
            available: self.tokens,
            capacity: self.capacity as u32,
            per_minute: self.rate_at(now),
            configured_per_minute: configured,
            shrunk: self.shrink.is_some(),
        }
    }
}

/// A token taken from the budget: the request it pays for goes out now.
#[derive(Debug, Clone, Copy)]
pub struct Grant {
    /// How long the request waited for its token.
    pub waited: Duration,
    at: Instant,
}

/// The shared budget: cheap to clone, all clones draw from one bucket.
#[derive(Debug, Clone)]
pub struct RequestBudget {
    config: BudgetConfig,
    /// `None` when unlimited.
    bucket: Option<Arc<Mutex<Bucket>>>,
}

/// Tokio's clock (so paused-time tests agree with `sleep`), as a std `Instant`.
fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

impl RequestBudget {
    /// A full bucket configured by `config`.
    pub fn new(config: BudgetConfig) -> Self {
        RequestBudget {
            config,
            bucket: (!config.is_unlimited())
                .then(|| Arc::new(Mutex::new(Bucket::new(config, now())))),
        }
    }

    pub fn config(&self) -> BudgetConfig {
        self.config
    }

    fn with<T>(&self, f: impl FnOnce(&mut Bucket) -> T) -> Option<T> {
        let bucket = self.bucket.as_ref()?;
        // Every change to the bucket is a few float assignments: a panic elsewhere while
        // holding the lock cannot leave it half-updated.
        let mut b = bucket.lock().unwrap_or_else(PoisonError::into_inner);
        Some(f(&mut b))
    }

    /// Waits until a token is available and takes it. Cancelling (dropping) the wait takes
    /// nothing.
    pub async fn acquire(&self) -> Grant {
        let start = now();
        let Some(Err(mut wait)) = self.with(|b| b.try_take(start)) else {
            return Grant {
                waited: Duration::ZERO,
                at: start,
            };
        };
        loop {
            tokio::time::sleep(wait).await;
            let at = now();
            match self.with(|b| b.try_take(at)) {
                Some(Err(w)) => wait = w,
                _ => {
                    return Grant {
                        waited: at.saturating_duration_since(start),
                        at,
                    };
                }
            }
        }
    }

    /// Graph answered 429 to the request sent with `grant` (see the module doc).
    pub fn throttled(&self, grant: &Grant) {
        self.with(|b| b.throttled(grant.at, now()));
    }

    pub fn snapshot(&self) -> BudgetSnapshot {
        self.with(|b| b.snapshot(now(), self.config.per_minute))
            .unwrap_or(BudgetSnapshot {
                available: f64::INFINITY,
                capacity: u32::MAX,
                per_minute: f64::INFINITY,
                configured_per_minute: u32::MAX,
                shrunk: false,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: Duration = Duration::from_secs(1);
    /// The bucket maths works in floating point: waits it computes match to a microsecond.
    const MICRO: Duration = Duration::from_micros(1);

    fn default_bucket(t0: Instant) -> Bucket {
        Bucket::new(BudgetConfig::default(), t0)
    }

    /// Takes as many tokens as are there at `now`.
    fn drain(b: &mut Bucket, now: Instant) -> u32 {
        let mut n = 0;
        while b.try_take(now).is_ok() {
            n += 1;
        }
        n
    }

    #[test]
    fn the_default_is_a_burst_of_20_and_120_a_minute() {
        let c = BudgetConfig::default();
        assert_eq!((c.capacity, c.per_minute), (20, 120));
        assert_eq!(BudgetConfig::within(140), c);
        assert!(BudgetConfig::unlimited().is_unlimited() && !c.is_unlimited());
    }

    #[test]
    fn a_full_bucket_gives_its_burst_then_says_when_the_next_token_is_due() {
        let t0 = Instant::now();
        let mut b = default_bucket(t0);
        assert_eq!(drain(&mut b, t0), 20);
        // 120 a minute: one every half second.
        let wait = b.try_take(t0).expect_err("empty");
        assert!(
            wait.abs_diff(Duration::from_millis(500)) < MICRO,
            "{wait:?}"
        );
        assert!(b.try_take(t0 + wait).is_ok());
        assert!(b.try_take(t0 + wait).is_err());
    }

    #[test]
    fn refill_is_continuous_and_capped_at_capacity() {
        let t0 = Instant::now();
        let mut b = default_bucket(t0);
        drain(&mut b, t0);
        // 5 s at 2 per second: 10 tokens.
        assert_eq!(drain(&mut b, t0 + 5 * SEC), 10);
        // An hour idle fills the bucket, no more.
        assert_eq!(drain(&mut b, t0 + 3600 * SEC), 20);
        let s = b.snapshot(t0 + 3600 * SEC, 120);
        assert_eq!(s.available, 0.0);
        assert!(s.is_low());
        let s = b.snapshot(t0 + 3700 * SEC, 120);
        assert_eq!((s.available, s.capacity, s.per_minute), (20.0, 20, 120.0));
        assert!(!s.is_low() && !s.shrunk);
    }

    #[test]
    fn low_means_under_a_quarter_of_the_capacity() {
        let t0 = Instant::now();
        let mut b = default_bucket(t0);
        for _ in 0..15 {
            b.try_take(t0).expect("token");
        }
        assert!(!b.snapshot(t0, 120).is_low(), "5 of 20 left");
        b.try_take(t0).expect("token");
        assert!(b.snapshot(t0, 120).is_low(), "4 of 20 left");
    }

    #[test]
    fn a_429_empties_the_bucket_and_halves_the_rate_down_to_a_floor() {
        let t0 = Instant::now();
        let mut b = default_bucket(t0);
        b.throttled(t0, t0);
        let s = b.snapshot(t0, 120);
        assert_eq!((s.available, s.per_minute, s.shrunk), (0.0, 60.0, true));
        // At 60 a minute the next token is a second away.
        let wait = b.try_take(t0).expect_err("emptied");
        assert!(wait.abs_diff(Duration::from_secs(1)) < MICRO, "{wait:?}");
        // Requests sent after that 429 and throttled again halve it again, never below 10.
        let mut t = t0;
        for expect in [30.0, 15.0, 10.0, 10.0] {
            t += SEC;
            b.throttled(t, t + SEC / 10);
            assert_eq!(b.rate_at(t + SEC / 10), expect);
        }
    }

    #[test]
    fn requests_in_flight_during_a_429_do_not_halve_it_again() {
        let t0 = Instant::now();
        let mut b = default_bucket(t0);
        // Four requests go out together; all four come back 429.
        b.throttled(t0, t0 + SEC / 10);
        b.throttled(t0, t0 + SEC / 5);
        b.throttled(t0, t0 + SEC);
        let s = b.snapshot(t0 + SEC, 120);
        assert_eq!((s.available, s.per_minute), (0.0, 60.0));
        // One sent after the halving and throttled anyway: still too fast.
        b.throttled(t0 + 2 * SEC, t0 + 2 * SEC);
        assert_eq!(b.rate_at(t0 + 2 * SEC), 30.0);
    }

    #[test]
    fn the_rate_recovers_a_tenth_per_quiet_minute_up_to_the_configured_rate() {
        let t0 = Instant::now();
        let mut b = default_bucket(t0);
        b.throttled(t0, t0);
        assert_eq!(b.rate_at(t0 + 59 * SEC), 60.0, "not before a quiet minute");
        assert_eq!(b.rate_at(t0 + 60 * SEC), 72.0);
        assert_eq!(b.rate_at(t0 + 150 * SEC), 84.0);
        assert_eq!(b.rate_at(t0 + 300 * SEC), 120.0);
        assert_eq!(b.rate_at(t0 + 3000 * SEC), 120.0, "capped");
        // A 429 to a request in flight restarts the quiet period without halving again.
        let mut b = default_bucket(t0);
        b.throttled(t0, t0);
        b.throttled(t0, t0 + SEC);
        assert_eq!(b.rate_at(t0 + 60 * SEC), 60.0);
        assert_eq!(b.rate_at(t0 + 61 * SEC), 72.0);
        // Once recovered, the snapshot says so.
        let s = b.snapshot(t0 + 600 * SEC, 120);
        assert!(!s.shrunk && s.per_minute == 120.0);
    }

    #[test]
    fn a_slow_configured_rate_is_its_own_floor() {
        let t0 = Instant::now();
        let mut b = Bucket::new(BudgetConfig::new(2, 6), t0);
        b.throttled(t0, t0);
        assert_eq!(b.rate_at(t0), 6.0);
    }

    #[test]
    fn zero_is_read_as_one() {
        let t0 = Instant::now();
        let mut b = Bucket::new(BudgetConfig::new(0, 0), t0);
        assert!(b.try_take(t0).is_ok());
        let wait = b.try_take(t0).expect_err("empty");
        assert_eq!(wait, 60 * SEC);
    }

    /// Runs `demand` (ask every `every`) against a bucket for `minutes`, taking tokens as
    /// soon as they are due, and returns when each request went out.
    fn simulate(config: BudgetConfig, every: Duration, minutes: u64) -> Vec<Duration> {
        let t0 = Instant::now();
        let mut b = Bucket::new(config, t0);
        let end = Duration::from_secs(minutes * 60);
        let mut sent = Vec::new();
        let mut asked = Duration::ZERO;
        let mut t = Duration::ZERO;
        while asked < end {
            t = t.max(asked);
            match b.try_take(t0 + t) {
                Ok(()) => {
                    sent.push(t);
                    asked += every;
                }
                Err(wait) => t += wait,
            }
        }
        sent
    }

    /// The most requests in any window `[t, t + 60 s)`.
    fn busiest_minute(sent: &[Duration]) -> usize {
        let minute = Duration::from_secs(60);
        let mut best = 0;
        let mut lo = 0;
        for hi in 0..sent.len() {
            while sent[hi] - sent[lo] >= minute {
                lo += 1;
            }
            best = best.max(hi - lo + 1);
        }
        best
    }

    #[test]
    fn steady_demand_never_puts_more_than_the_limit_in_any_minute() {
        for every in [Duration::from_millis(10), Duration::from_millis(300), SEC] {
            let sent = simulate(BudgetConfig::default(), every, 10);
            let busiest = busiest_minute(&sent);
            assert!(
                busiest <= 140,
                "{busiest} in one minute asking every {every:?}"
            );
            if every < Duration::from_millis(400) {
                // Demand above the refill rate: the budget is used, not wasted.
                assert!(busiest >= 130, "{busiest}");
            }
        }
        // The highest rate the config file accepts stays at the documented limit too.
        for n in [1, 2, 7, 50, 149, GRAPH_SECURITY_PER_MINUTE] {
            let sent = simulate(BudgetConfig::within(n), Duration::from_millis(5), 5);
            let busiest = busiest_minute(&sent);
            assert!(
                busiest <= n as usize,
                "within({n}) sent {busiest} in a minute"
            );
        }
    }

    #[test]
    fn after_a_429_the_minute_holds_far_fewer() {
        let t0 = Instant::now();
        let mut b = default_bucket(t0);
        drain(&mut b, t0);
        b.throttled(t0, t0);
        // Asking every second for the minute after the 429: the refill is 60, not 120.
        let sent: u32 = (1..60).map(|s| drain(&mut b, t0 + s * SEC)).sum();
        assert_eq!(sent, 59);
    }

    #[tokio::test]
    async fn acquire_sleeps_until_a_token_is_due() {
        // 600 a minute: a token every 100 ms.
        let budget = RequestBudget::new(BudgetConfig::new(2, 600));
        assert_eq!(budget.acquire().await.waited, Duration::ZERO);
        assert_eq!(budget.acquire().await.waited, Duration::ZERO);
        assert!(budget.snapshot().is_low());
        let grant = budget.acquire().await;
        assert!(grant.waited > Duration::ZERO);
        // Clones share the bucket.
        let other = budget.clone();
        other.throttled(&grant);
        assert!(budget.snapshot().shrunk);
        assert_eq!(budget.snapshot().per_minute, 300.0);
    }

    #[tokio::test]
    async fn a_cancelled_wait_takes_nothing() {
        // A token a second, so the wait below is surely still asleep when cancelled.
        let budget = RequestBudget::new(BudgetConfig::new(1, 60));
        budget.acquire().await;
        let cancelled = tokio::time::timeout(Duration::from_millis(10), budget.acquire()).await;
        assert!(cancelled.is_err());
        // The refill so far is still there: nothing was reserved or taken.
        assert!(budget.snapshot().available > 0.0);
    }

    #[tokio::test]
    async fn unlimited_never_waits() {
        let budget = RequestBudget::new(BudgetConfig::unlimited());
        let mut grant = budget.acquire().await;
        for _ in 0..1000 {
            grant = budget.acquire().await;
            assert_eq!(grant.waited, Duration::ZERO);
        }
        budget.throttled(&grant);
        let s = budget.snapshot();
        assert!(!s.is_low() && !s.shrunk);
    }
}
