//! When to try a request again, and how long to wait first.
//!
//! Everything here is pure (the caller passes "now" and the random numbers), so the rules are
//! unit-tested without a clock:
//! - 429 and 503 wait what `Retry-After` says, on every repeat. Waiting less would only earn
//!   another 429, so a hint larger than the remaining budget ends the retries instead.
//! - other transient failures back off exponentially with full jitter (a random wait between
//!   zero and `base * 2^n`, capped), so many clients do not retry in lockstep.
//! - every request has at most `max_retries` retries and `max_wait` of total sleeping.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use time::format_description::BorrowedFormatItem;
use time::format_description::well_known::Rfc2822;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

/// First backoff ceiling; doubles per retry.
pub const BACKOFF_BASE: Duration = Duration::from_millis(250);
/// Largest single backoff ceiling.
pub const BACKOFF_CAP: Duration = Duration::from_secs(8);

/// Parses a `Retry-After` value: delta-seconds (`"120"`) or an HTTP-date
/// (`"Wed, 21 Oct 2015 07:28:00 GMT"`, relative to `now`). A date in the past means "now".
pub fn parse_retry_after(value: &str, now: OffsetDateTime) -> Option<Duration> {
    let v = value.trim();
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        // Absurdly long digit strings saturate rather than fail: the budget check gives up.
        return Some(Duration::from_secs(v.parse::<u64>().unwrap_or(u64::MAX)));
    }
    let at = parse_http_date(v)?;
    let delta = at - now;
    Some(Duration::try_from(delta).unwrap_or(Duration::ZERO))
}

/// IMF-fixdate, the form RFC 9110 requires senders to use; RFC 2822 covers the rest.
fn parse_http_date(v: &str) -> Option<OffsetDateTime> {
    const IMF_FIXDATE: &[BorrowedFormatItem<'_>] = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    PrimitiveDateTime::parse(v, IMF_FIXDATE)
        .map(PrimitiveDateTime::assume_utc)
        .or_else(|_| OffsetDateTime::parse(v, &Rfc2822))
        .ok()
}

/// The upper bound of the `retry`-th backoff (0-based): `base * 2^retry`, at most `cap`.
pub fn backoff_ceiling(retry: u32, base: Duration, cap: Duration) -> Duration {
    let factor = 1u32.checked_shl(retry.min(31)).unwrap_or(u32::MAX);
    base.saturating_mul(factor).min(cap)
}

/// Full jitter: a wait uniformly spread over `[0, ceiling]`, chosen by `random`.
pub fn full_jitter(ceiling: Duration, random: u64) -> Duration {
    let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
    if nanos == 0 {
        return Duration::ZERO;
    }
    Duration::from_nanos(random % nanos.saturating_add(1))
}

/// Why a request is about to be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryCause {
    /// The server said how long to wait (429/503 with `Retry-After`).
    RetryAfter(Duration),
    /// Anything else transient: back off with jitter.
    Backoff,
}

/// The retry budget of one request.
#[derive(Debug, Clone)]
pub struct RetryBudget {
    max_retries: u32,
    max_wait: Duration,
    retries: u32,
    waited: Duration,
}

impl RetryBudget {
    pub fn new(max_retries: u32, max_wait: Duration) -> Self {
        RetryBudget {
            max_retries,
            max_wait,
            retries: 0,
            waited: Duration::ZERO,
        }
    }

    /// Retries granted so far.
    pub fn retries(&self) -> u32 {
        self.retries
    }

    /// How long to wait before the next retry, or `None` when the budget is spent.
    /// `random` feeds the jitter. Granting a retry charges the budget.
    pub fn next_wait(&mut self, cause: RetryCause, random: u64) -> Option<Duration> {
        if self.retries >= self.max_retries {
            return None;
        }
        let remaining = self.max_wait.saturating_sub(self.waited);
        let wait = match cause {
            RetryCause::RetryAfter(d) if d > remaining => return None,
            RetryCause::RetryAfter(d) => d,
            // The wait budget is spent: retrying at once would only hammer a struggling server.
            RetryCause::Backoff if remaining.is_zero() => return None,
            RetryCause::Backoff => full_jitter(
                backoff_ceiling(self.retries, BACKOFF_BASE, BACKOFF_CAP),
                random,
            )
            .min(remaining),
        };
        self.retries += 1;
        self.waited += wait;
        Some(wait)
    }
}

/// A small process-wide pseudo-random source (splitmix64 over a clock-seeded counter) for
/// jitter and request ids. Not for secrets; lock-free, so any task can draw.
pub fn random_u64() -> u64 {
    static SEED: OnceLock<u64> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let seed = *SEED.get_or_init(|| {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x9E37_79B9_7F4A_7C15);
        now ^ (u64::from(std::process::id()) << 32)
    });
    let mut z = seed.wrapping_add(
        COUNTER
            .fetch_add(1, Ordering::Relaxed)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15),
    );
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A uuid-shaped (version 4 layout) id for the `client-request-id` header, so a request can
/// be matched with Graph's logs.
pub fn client_request_id() -> String {
    let hi = random_u64();
    let lo = random_u64();
    let hi = (hi & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000; // version 4
    let lo = (lo & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000; // RFC 4122 variant
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xFFFF,
        hi & 0xFFFF,
        lo >> 48,
        lo & 0xFFFF_FFFF_FFFF
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2015-10-21 07:27:00 UTC);

    #[test]
    fn retry_after_delta_seconds() {
        assert_eq!(
            parse_retry_after("120", NOW),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after(" 0 ", NOW), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("99999999999999999999999", NOW),
            Some(Duration::from_secs(u64::MAX))
        );
    }

    #[test]
    fn retry_after_http_date() {
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", NOW),
            Some(Duration::from_secs(60))
        );
        // RFC 2822 with a numeric zone is accepted too.
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 09:28:30 +0200", NOW),
            Some(Duration::from_secs(90))
        );
        // A date already past means retry now.
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", NOW),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn retry_after_garbage_is_none() {
        for v in ["", "-5", "1.5", "soon", "Wed, 99 Oct 2015 07:28:00 GMT"] {
            assert_eq!(parse_retry_after(v, NOW), None, "{v:?}");
        }
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let base = Duration::from_millis(100);
        let cap = Duration::from_secs(2);
        assert_eq!(backoff_ceiling(0, base, cap), base);
        assert_eq!(backoff_ceiling(1, base, cap), base * 2);
        assert_eq!(backoff_ceiling(3, base, cap), base * 8);
        assert_eq!(backoff_ceiling(5, base, cap), cap);
        assert_eq!(backoff_ceiling(u32::MAX, base, cap), cap);
    }

    #[test]
    fn jitter_stays_within_ceiling() {
        let ceiling = Duration::from_millis(500);
        for r in [0, 1, 499_999_999, 500_000_000, u64::MAX, random_u64()] {
            assert!(full_jitter(ceiling, r) <= ceiling);
        }
        assert_eq!(full_jitter(Duration::ZERO, 12345), Duration::ZERO);
    }

    #[test]
    fn budget_limits_attempts() {
        let mut b = RetryBudget::new(2, Duration::from_secs(600));
        assert!(b.next_wait(RetryCause::Backoff, 7).is_some());
        assert!(b.next_wait(RetryCause::Backoff, 7).is_some());
        assert_eq!(b.next_wait(RetryCause::Backoff, 7), None);
        assert_eq!(b.retries(), 2);
    }

    #[test]
    fn budget_keeps_honouring_retry_after_until_the_wait_budget_is_spent() {
        let mut b = RetryBudget::new(10, Duration::from_secs(5));
        let two = RetryCause::RetryAfter(Duration::from_secs(2));
        assert_eq!(b.next_wait(two, 0), Some(Duration::from_secs(2)));
        assert_eq!(b.next_wait(two, 0), Some(Duration::from_secs(2)));
        // 1 s left: waiting less than Graph asked would only earn another 429.
        assert_eq!(b.next_wait(two, 0), None);
        // A backoff is clamped to what is left instead.
        let mut clamped = RetryBudget::new(10, Duration::from_millis(100));
        assert_eq!(
            clamped.next_wait(RetryCause::Backoff, 200_000_000),
            Some(Duration::from_millis(100))
        );
        assert_eq!(clamped.next_wait(RetryCause::Backoff, 200_000_000), None);
    }

    #[test]
    fn backoff_waits_are_bounded_by_ceiling_and_budget() {
        let mut b = RetryBudget::new(50, Duration::from_secs(10));
        let mut total = Duration::ZERO;
        for i in 0..50 {
            match b.next_wait(RetryCause::Backoff, random_u64()) {
                Some(w) => {
                    assert!(w <= backoff_ceiling(i, BACKOFF_BASE, BACKOFF_CAP));
                    total += w;
                }
                None => break,
            }
        }
        assert!(total <= Duration::from_secs(10));
    }

    #[test]
    fn request_ids_look_like_uuids_and_differ() {
        let a = client_request_id();
        let b = client_request_id();
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        let groups: Vec<usize> = a.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12]);
        assert_eq!(&a[14..15], "4");
    }
}
