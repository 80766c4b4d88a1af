//! Test controls: scheduled faults and request counters.
//!
//! A [`Controls`] handle is shared by the server and whoever started it. Faults are queued
//! as [`FaultRule`]s (what to do, how many times, to which requests); the server asks for the
//! next matching fault before routing each request. Throttling is the first fault; later
//! kinds (5xx, resets, latency, malformed bodies) are further [`Fault`] variants applied at
//! the same point, scoped by [`Route`] class and method.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// The class of a request path, for counters and fault scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Route {
    /// `/v1.0/security/alerts_v2`
    Alerts,
    /// `/v1.0/security/alerts_v2/{id}`
    Alert,
    /// `/v1.0/security/alerts_v2/{id}/comments`
    AlertComments,
    /// Anything else.
    Other,
}

impl Route {
    /// Classifies a request path.
    pub fn classify(path: &str) -> Route {
        let Some(rest) = path.strip_prefix("/v1.0/security/alerts_v2") else {
            return Route::Other;
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.is_empty() {
            return Route::Alerts;
        }
        let Some(rest) = rest.strip_prefix('/') else {
            return Route::Other;
        };
        match rest.split_once('/') {
            None => Route::Alert,
            Some((id, "comments")) if !id.is_empty() => Route::AlertComments,
            Some(_) => Route::Other,
        }
    }
}

/// Something the server does instead of (or to) a normal reply.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// `429 Too Many Requests`, with `Retry-After: N` seconds when given.
    Throttle { retry_after: Option<u32> },
}

/// Which requests a rule applies to; `None` matches any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    pub method: Option<String>,
    pub route: Option<Route>,
}

impl Scope {
    pub fn any() -> Self {
        Scope::default()
    }

    fn matches(&self, method: &str, route: Route) -> bool {
        self.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && self.route.is_none_or(|r| r == route)
    }
}

/// A fault to apply to the next `times` matching requests.
#[derive(Debug, Clone)]
pub struct FaultRule {
    pub fault: Fault,
    pub times: u32,
    pub scope: Scope,
}

#[derive(Debug, Default)]
struct State {
    rules: VecDeque<FaultRule>,
    counts: BTreeMap<(String, Route), u64>,
}

#[derive(Debug, Default)]
struct Inner {
    state: Mutex<State>,
    total: AtomicU64,
    /// Throttle every Nth request (0 = off), for manual trials (`--throttle-every`).
    throttle_every: u64,
    periodic_retry_after: Option<u32>,
}

/// A cloneable handle on the running emulator's faults and counters.
#[derive(Debug, Clone, Default)]
pub struct Controls(Arc<Inner>);

impl Controls {
    pub(crate) fn new(throttle_every: Option<u32>, retry_after: Option<u32>) -> Self {
        Controls(Arc::new(Inner {
            throttle_every: u64::from(throttle_every.unwrap_or(0)),
            periodic_retry_after: retry_after,
            ..Inner::default()
        }))
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere while holding the lock leaves counters usable.
        self.0.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Makes the next `n` requests (any route) answer 429, with `Retry-After` when given.
    pub fn throttle_next(&self, n: u32, retry_after_secs: Option<u32>) {
        self.inject(
            Fault::Throttle {
                retry_after: retry_after_secs,
            },
            n,
            Scope::any(),
        );
    }

    /// Queues a fault for the next `times` requests that match `scope`. Rules apply in the
    /// order they were queued.
    pub fn inject(&self, fault: Fault, times: u32, scope: Scope) {
        if times > 0 {
            self.state().rules.push_back(FaultRule {
                fault,
                times,
                scope,
            });
        }
    }

    /// Drops all queued faults.
    pub fn clear_faults(&self) {
        self.state().rules.clear();
    }

    /// Requests received so far for `method` (e.g. `"GET"`) on `route`, faulted ones included.
    pub fn requests(&self, method: &str, route: Route) -> u64 {
        self.state()
            .counts
            .get(&(method.to_ascii_uppercase(), route))
            .copied()
            .unwrap_or(0)
    }

    /// All requests received so far.
    pub fn total_requests(&self) -> u64 {
        self.0.total.load(Ordering::Relaxed)
    }

    /// Every counter, as `(method, route, count)`.
    pub fn counters(&self) -> Vec<(String, Route, u64)> {
        self.state()
            .counts
            .iter()
            .map(|((m, r), n)| (m.clone(), *r, *n))
            .collect()
    }

    /// Zeroes the counters (not the periodic throttle's phase).
    pub fn reset_counters(&self) {
        self.state().counts.clear();
    }

    /// Counts a request and returns the fault to apply to it, if any.
    pub(crate) fn on_request(&self, method: &str, route: Route) -> Option<Fault> {
        let n = self.0.total.fetch_add(1, Ordering::Relaxed) + 1;
        let mut st = self.state();
        *st.counts.entry((method.to_owned(), route)).or_insert(0) += 1;
        if let Some(i) = st.rules.iter().position(|r| r.scope.matches(method, route)) {
            let rule = &mut st.rules[i];
            let fault = rule.fault.clone();
            rule.times -= 1;
            if rule.times == 0 {
                st.rules.remove(i);
            }
            return Some(fault);
        }
        if self.0.throttle_every > 0 && n.is_multiple_of(self.0.throttle_every) {
            return Some(Fault::Throttle {
                retry_after: self.0.periodic_retry_after,
            });
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_classified() {
        assert_eq!(Route::classify("/v1.0/security/alerts_v2"), Route::Alerts);
        assert_eq!(Route::classify("/v1.0/security/alerts_v2/"), Route::Alerts);
        assert_eq!(Route::classify("/v1.0/security/alerts_v2/x1"), Route::Alert);
        assert_eq!(
            Route::classify("/v1.0/security/alerts_v2/x1/comments"),
            Route::AlertComments
        );
        assert_eq!(Route::classify("/v1.0/security/alerts_v2x"), Route::Other);
        assert_eq!(
            Route::classify("/v1.0/security/alerts_v2/x/y"),
            Route::Other
        );
        assert_eq!(Route::classify("/v1.0/security/incidents"), Route::Other);
    }

    #[test]
    fn throttle_next_applies_n_times_then_stops() {
        let c = Controls::new(None, None);
        c.throttle_next(2, Some(3));
        let f = Some(Fault::Throttle {
            retry_after: Some(3),
        });
        assert_eq!(c.on_request("GET", Route::Alerts), f);
        assert_eq!(c.on_request("PATCH", Route::Alert), f);
        assert_eq!(c.on_request("GET", Route::Alerts), None);
        assert_eq!(c.requests("get", Route::Alerts), 2);
        assert_eq!(c.requests("PATCH", Route::Alert), 1);
        assert_eq!(c.total_requests(), 3);
    }

    #[test]
    fn scoped_rules_skip_other_requests() {
        let c = Controls::new(None, None);
        c.inject(
            Fault::Throttle { retry_after: None },
            1,
            Scope {
                method: Some("PATCH".into()),
                route: Some(Route::Alert),
            },
        );
        assert_eq!(c.on_request("GET", Route::Alert), None);
        assert!(c.on_request("PATCH", Route::Alert).is_some());
        assert_eq!(c.on_request("PATCH", Route::Alert), None);
    }

    #[test]
    fn periodic_throttle() {
        let c = Controls::new(Some(3), Some(1));
        let hits: Vec<bool> = (0..6)
            .map(|_| c.on_request("GET", Route::Alerts).is_some())
            .collect();
        assert_eq!(hits, [false, false, true, false, false, true]);
    }
}
