//! Test controls: scheduled and random faults, and request counters.
//!
//! A [`Controls`] handle is shared by the server and whoever started it. Before routing each
//! request the server asks it for a [`Fault`]:
//! - queued [`FaultRule`]s come first (what to do, how many times, to which requests), for
//!   tests that need one exact failure;
//! - then [`RandomFaults`] plans: a rate, the kinds to draw from and the route classes they
//!   apply to. Draws come from a splitmix64 stream keyed by the seed and a per-controls
//!   counter, so the same seed and the same sequence of requests give the same faults.
//! - then the periodic throttle (`--throttle-every`).
//!
//! Every fault applied is counted by kind, method and route ([`Controls::injected`]), so a
//! test can show that faults really happened and a manual trial can report them.

use super::assess::{AssessCounters, AssessState};
use super::cases::CasesState;
use super::changes::{Tenant, TenantChange};
use super::generate::mix64;
use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

/// The class of a request path, for counters and fault scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Route {
    /// `/v1.0/security/alerts_v2`
    Alerts,
    /// `/v1.0/security/alerts_v2/{id}`
    Alert,
    /// `/v1.0/security/alerts_v2/{id}/comments`
    AlertComments,
    /// `/v1.0/security/incidents`
    Incidents,
    /// `/v1.0/security/incidents/{id}`
    Incident,
    /// `/v1.0/security/incidents/{id}/comments`
    IncidentComments,
    /// `/v1.0/security/incidents/{id}/alerts`
    IncidentAlerts,
    /// `/v1.0/security/secureScores`
    SecureScores,
    /// `/v1.0/security/secureScoreControlProfiles`
    ControlProfiles,
    /// `/v1.0/security/secureScoreControlProfiles/{id}`
    ControlProfile,
    /// `/{v1.0,beta}/security/cases/ediscoveryCases`
    EdiscoveryCases,
    /// `.../ediscoveryCases/{id}` and its `close` and `reopen` actions
    EdiscoveryCase,
    /// Anything else under a case: custodians and their sources, non-custodial data
    /// sources, searches, review sets, legal holds (and unknown segments there)
    EdiscoveryItems,
    /// `.../ediscoveryCases/{id}/operations[/{opId}]`
    EdiscoveryOperations,
    /// `POST .../searches/{id}/estimateStatistics`
    EdiscoveryEstimate,
    /// `/v1.0/informationProtection/threatAssessmentRequests`
    AssessmentRequests,
    /// `/v1.0/informationProtection/threatAssessmentRequests/{id}`
    AssessmentRequest,
    /// `/v1.0/informationProtection/threatAssessmentRequests/{id}/results`
    AssessmentResults,
    /// `/{v1.0,beta}/security/attackSimulation/simulations`
    AttackSimulations,
    /// `.../simulations/{id}` and its report (`report`, `report/overview`,
    /// `report/simulationUsers`)
    AttackSimulation,
    /// Anything else under `attackSimulation`: automations and their runs, trainings (and
    /// unknown segments there)
    AttackSimulationItems,
    /// `/{v1.0,beta}/reports/security/...`: the attack simulation report functions
    SecurityReports,
    /// Anything else.
    Other,
}

impl Route {
    /// Classifies a request path.
    pub fn classify(path: &str) -> Route {
        if let Some(route) = super::cases::classify(path) {
            return route;
        }
        if let Some(route) = super::assess::classify(path) {
            return route;
        }
        if let Some(route) = super::sims::classify(path) {
            return route;
        }
        if let Some(rest) = path.strip_prefix("/v1.0/security/alerts_v2") {
            return match Self::split(rest) {
                Some((None, None)) => Route::Alerts,
                Some((Some(_), None)) => Route::Alert,
                Some((Some(_), Some("comments"))) => Route::AlertComments,
                _ => Route::Other,
            };
        }
        if let Some(rest) = path.strip_prefix("/v1.0/security/incidents") {
            return match Self::split(rest) {
                Some((None, None)) => Route::Incidents,
                Some((Some(_), None)) => Route::Incident,
                Some((Some(_), Some("comments"))) => Route::IncidentComments,
                Some((Some(_), Some("alerts"))) => Route::IncidentAlerts,
                _ => Route::Other,
            };
        }
        if let Some(rest) = path.strip_prefix("/v1.0/security/secureScoreControlProfiles") {
            return match Self::split(rest) {
                Some((None, None)) => Route::ControlProfiles,
                Some((Some(_), None)) => Route::ControlProfile,
                _ => Route::Other,
            };
        }
        if let Some(rest) = path.strip_prefix("/v1.0/security/secureScores") {
            return match Self::split(rest) {
                Some((None, None)) => Route::SecureScores,
                _ => Route::Other,
            };
        }
        Route::Other
    }

    /// The Secure Score resources, which share one concurrency limit.
    pub fn is_secure_score(self) -> bool {
        matches!(
            self,
            Route::SecureScores | Route::ControlProfiles | Route::ControlProfile
        )
    }

    /// The eDiscovery resources, which share one rate limit per token.
    pub fn is_ediscovery(self) -> bool {
        matches!(
            self,
            Route::EdiscoveryCases
                | Route::EdiscoveryCase
                | Route::EdiscoveryItems
                | Route::EdiscoveryOperations
                | Route::EdiscoveryEstimate
        )
    }

    /// What follows a collection path: `(id, sub-collection)`, or `None` when it is not a
    /// path under the collection at all (e.g. `alerts_v2x`).
    fn split(rest: &str) -> Option<(Option<&str>, Option<&str>)> {
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.is_empty() {
            return Some((None, None));
        }
        let rest = rest.strip_prefix('/')?;
        match rest.split_once('/') {
            None => Some((Some(rest), None)),
            Some((id, sub)) if !id.is_empty() && !sub.contains('/') => Some((Some(id), Some(sub))),
            Some(_) => Some((None, Some(""))),
        }
    }
}

/// Something the server does instead of (or to) a normal reply.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// `429 Too Many Requests`, with `Retry-After: N` seconds when given.
    Throttle { retry_after: Option<u32> },
    /// An error status with Graph's error body and no `Retry-After`. Random plans draw 500,
    /// 502, 503 and 504; a queued rule may give any (401 comes with `WWW-Authenticate`).
    Status(u16),
    /// The connection is closed without any reply, before the request is handled (a
    /// write does not land), as a front end that crashed on receipt would.
    Reset,
    /// The request is handled (a write lands) and then the connection is closed without
    /// a reply, as a link that drops while the answer is on its way: the client cannot
    /// know whether its write happened.
    ResetAfter,
    /// The normal reply, after this delay.
    Latency(Duration),
    /// The request is handled (a write lands) and answered with the normal status and
    /// headers, but the body is cut in half (with a matching `Content-Length`, so only the
    /// JSON is broken, not the HTTP).
    Truncate,
    /// As [`Fault::Truncate`], but a raw control byte (which no JSON text may hold,
    /// inside or outside a string) is spliced into the middle of the body instead.
    Malformed,
}

impl Fault {
    /// A short name for counters and reports: `429`, `503`, `reset`, `latency`, ...
    pub fn label(&self) -> &'static str {
        match self {
            Fault::Throttle {
                retry_after: Some(_),
            } => "429",
            Fault::Throttle { retry_after: None } => "429-bare",
            Fault::Status(500) => "500",
            Fault::Status(502) => "502",
            Fault::Status(503) => "503",
            Fault::Status(504) => "504",
            Fault::Status(401) => "401",
            Fault::Status(403) => "403",
            Fault::Status(_) => "status",
            Fault::Reset => "reset",
            Fault::ResetAfter => "reset-after",
            Fault::Latency(_) => "latency",
            Fault::Truncate => "truncate",
            Fault::Malformed => "malformed",
        }
    }
}

/// A kind of fault a [`RandomFaults`] plan draws from; the command line names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FaultKind {
    Status500,
    Status502,
    Status503,
    Status504,
    /// Close the connection without a reply, before handling the request.
    Reset,
    /// Handle the request, then close the connection without a reply.
    ResetAfter,
    /// Delay the normal reply by the plan's latency.
    Latency,
    /// 429 with the plan's `Retry-After` (none when the plan has none).
    Throttle,
    /// 429 without `Retry-After`.
    ThrottleBare,
    Truncate,
    Malformed,
}

impl FaultKind {
    /// Every kind, in the order `all` expands to.
    pub const ALL: [FaultKind; 11] = [
        FaultKind::Status500,
        FaultKind::Status502,
        FaultKind::Status503,
        FaultKind::Status504,
        FaultKind::Reset,
        FaultKind::ResetAfter,
        FaultKind::Latency,
        FaultKind::Throttle,
        FaultKind::ThrottleBare,
        FaultKind::Truncate,
        FaultKind::Malformed,
    ];

    /// Kinds a correct client rides out by retrying (everything but broken bodies).
    pub const TRANSIENT: [FaultKind; 9] = [
        FaultKind::Status500,
        FaultKind::Status502,
        FaultKind::Status503,
        FaultKind::Status504,
        FaultKind::Reset,
        FaultKind::ResetAfter,
        FaultKind::Latency,
        FaultKind::Throttle,
        FaultKind::ThrottleBare,
    ];

    fn name(self) -> &'static str {
        match self {
            FaultKind::Status500 => "500",
            FaultKind::Status502 => "502",
            FaultKind::Status503 => "503",
            FaultKind::Status504 => "504",
            FaultKind::Reset => "reset",
            FaultKind::ResetAfter => "reset-after",
            FaultKind::Latency => "latency",
            FaultKind::Throttle => "429",
            FaultKind::ThrottleBare => "429-bare",
            FaultKind::Truncate => "truncate",
            FaultKind::Malformed => "malformed",
        }
    }

    fn fault(self, plan: &RandomFaults) -> Fault {
        match self {
            FaultKind::Status500 => Fault::Status(500),
            FaultKind::Status502 => Fault::Status(502),
            FaultKind::Status503 => Fault::Status(503),
            FaultKind::Status504 => Fault::Status(504),
            FaultKind::Reset => Fault::Reset,
            FaultKind::ResetAfter => Fault::ResetAfter,
            FaultKind::Latency => Fault::Latency(plan.latency),
            FaultKind::Throttle => Fault::Throttle {
                retry_after: plan.retry_after,
            },
            FaultKind::ThrottleBare => Fault::Throttle { retry_after: None },
            FaultKind::Truncate => Fault::Truncate,
            FaultKind::Malformed => Fault::Malformed,
        }
    }

    /// Parses a comma-separated list: `500`, `502`, `503`, `504`, `5xx` (all four),
    /// `reset`, `reset-after`, `latency`, `429`, `429-bare`, `truncate`, `malformed`, `transient` (all but
    /// truncate and malformed) and `all`. Duplicates are dropped; order is kept.
    pub fn parse_list(s: &str) -> Result<Vec<FaultKind>, String> {
        let mut out = Vec::new();
        for word in s.split(',').map(str::trim).filter(|w| !w.is_empty()) {
            let kinds: &[FaultKind] = match word.to_ascii_lowercase().as_str() {
                "all" => &FaultKind::ALL,
                "transient" => &FaultKind::TRANSIENT,
                "5xx" => &FaultKind::ALL[..4],
                other => match FaultKind::ALL.iter().find(|k| k.name() == other) {
                    Some(k) => std::slice::from_ref(k),
                    None => {
                        return Err(format!(
                            "unknown fault kind '{word}' (expected 500, 502, 503, 504, 5xx, \
                             reset, reset-after, latency, 429, 429-bare, truncate, malformed, transient, all)"
                        ));
                    }
                },
            };
            for k in kinds {
                if !out.contains(k) {
                    out.push(*k);
                }
            }
        }
        if out.is_empty() {
            return Err("no fault kinds given".to_owned());
        }
        Ok(out)
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A route class, as the command line names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RouteClass {
    /// `GET /security/alerts_v2` (the list and its pages).
    List,
    /// `GET /security/alerts_v2/{id}`.
    Get,
    /// `PATCH /security/alerts_v2/{id}`.
    Patch,
    /// Any method on `/security/alerts_v2/{id}/comments`.
    Comments,
    /// `GET /security/incidents` (the list and its pages).
    IncidentList,
    /// `GET /security/incidents/{id}` and `GET /security/incidents/{id}/alerts`.
    IncidentGet,
    /// `PATCH /security/incidents/{id}`.
    IncidentPatch,
    /// Any method on `/security/incidents/{id}/comments`.
    IncidentComments,
    /// `GET /security/secureScores` (the list and its pages).
    ScoreList,
    /// `GET /security/secureScoreControlProfiles[/{id}]`.
    ControlGet,
    /// `PATCH /security/secureScoreControlProfiles/{id}`.
    ControlPatch,
}

impl RouteClass {
    /// The requests this class covers.
    pub fn scopes(self) -> Vec<Scope> {
        let routes: &[(Option<&str>, Route)] = match self {
            RouteClass::List => &[(Some("GET"), Route::Alerts)],
            RouteClass::Get => &[(Some("GET"), Route::Alert)],
            RouteClass::Patch => &[(Some("PATCH"), Route::Alert)],
            RouteClass::Comments => &[(None, Route::AlertComments)],
            RouteClass::IncidentList => &[(Some("GET"), Route::Incidents)],
            RouteClass::IncidentGet => &[
                (Some("GET"), Route::Incident),
                (Some("GET"), Route::IncidentAlerts),
            ],
            RouteClass::IncidentPatch => &[(Some("PATCH"), Route::Incident)],
            RouteClass::IncidentComments => &[(None, Route::IncidentComments)],
            RouteClass::ScoreList => &[(Some("GET"), Route::SecureScores)],
            RouteClass::ControlGet => &[
                (Some("GET"), Route::ControlProfiles),
                (Some("GET"), Route::ControlProfile),
            ],
            RouteClass::ControlPatch => &[(Some("PATCH"), Route::ControlProfile)],
        };
        routes
            .iter()
            .map(|(method, route)| Scope {
                method: method.map(str::to_owned),
                route: Some(*route),
            })
            .collect()
    }

    /// Parses a comma-separated list: `list`, `get`, `patch`, `comments` (alerts_v2),
    /// `incident-list`, `incident-get`, `incident-patch`, `incident-comments`, `incidents`
    /// (all four), `score-list`, `control-get`, `control-patch` (Secure Score), `reads` (every list and get), `writes` (every patch and comment) and `all`
    /// (every request, whatever its route).
    /// `all` gives an empty list, which a plan reads as "no restriction".
    pub fn parse_list(s: &str) -> Result<Vec<RouteClass>, String> {
        use RouteClass::*;
        let mut out = Vec::new();
        for word in s.split(',').map(str::trim).filter(|w| !w.is_empty()) {
            let classes: &[RouteClass] = match word.to_ascii_lowercase().as_str() {
                "all" => return Ok(Vec::new()),
                "list" => &[List],
                "get" => &[Get],
                "patch" => &[Patch],
                "comments" => &[Comments],
                "incident-list" => &[IncidentList],
                "incident-get" => &[IncidentGet],
                "incident-patch" => &[IncidentPatch],
                "incident-comments" => &[IncidentComments],
                "incidents" => &[IncidentList, IncidentGet, IncidentPatch, IncidentComments],
                "score-list" => &[ScoreList],
                "control-get" => &[ControlGet],
                "control-patch" => &[ControlPatch],
                "reads" => &[List, Get, IncidentList, IncidentGet, ScoreList, ControlGet],
                "writes" => &[
                    Patch,
                    Comments,
                    IncidentPatch,
                    IncidentComments,
                    ControlPatch,
                ],
                _ => {
                    return Err(format!(
                        "unknown route class '{word}' (expected list, get, patch, comments, \
                         incident-list, incident-get, incident-patch, incident-comments, \
                         incidents, score-list, control-get, control-patch, reads, writes, all)"
                    ));
                }
            };
            for c in classes {
                if !out.contains(c) {
                    out.push(*c);
                }
            }
        }
        if out.is_empty() {
            return Err("no route classes given".to_owned());
        }
        Ok(out)
    }
}

impl FromStr for FaultKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match FaultKind::parse_list(s)?.as_slice() {
            [one] => Ok(*one),
            _ => Err(format!("'{s}' names more than one fault kind")),
        }
    }
}

/// Faults drawn at random: each request that matches `scopes` (any request when empty)
/// gets a fault with probability `rate`, its kind drawn uniformly from `kinds`.
#[derive(Debug, Clone, PartialEq)]
pub struct RandomFaults {
    /// Probability in `[0, 1]`; values outside are clamped.
    pub rate: f64,
    pub kinds: Vec<FaultKind>,
    /// Which requests the plan covers; empty means all.
    pub scopes: Vec<Scope>,
    /// Delay for [`FaultKind::Latency`].
    pub latency: Duration,
    /// `Retry-After` for [`FaultKind::Throttle`].
    pub retry_after: Option<u32>,
}

impl RandomFaults {
    /// `rate` of `kinds` on every route, 200 ms latency, `Retry-After: 1`.
    pub fn new(rate: f64, kinds: &[FaultKind]) -> Self {
        RandomFaults {
            rate,
            kinds: kinds.to_vec(),
            scopes: Vec::new(),
            latency: DEFAULT_LATENCY,
            retry_after: Some(1),
        }
    }

    /// Restricts the plan to these route classes (none: every request).
    pub fn on(mut self, classes: &[RouteClass]) -> Self {
        self.scopes = classes.iter().flat_map(|c| c.scopes()).collect();
        self
    }

    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    pub fn retry_after(mut self, secs: Option<u32>) -> Self {
        self.retry_after = secs;
        self
    }

    fn covers(&self, method: &str, route: Route) -> bool {
        self.scopes.is_empty() || self.scopes.iter().any(|s| s.matches(method, route))
    }
}

/// Latency added by [`FaultKind::Latency`] unless a plan says otherwise.
pub const DEFAULT_LATENCY: Duration = Duration::from_millis(200);

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

    pub fn matches(&self, method: &str, route: Route) -> bool {
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
    plans: Vec<RandomFaults>,
    /// Draws taken from the fault stream so far.
    draws: u64,
    counts: BTreeMap<(String, Route), u64>,
    injected: BTreeMap<(&'static str, String, Route), u64>,
}

#[derive(Debug, Default)]
struct Inner {
    state: Mutex<State>,
    /// The tenant the server serves, for [`Controls::step_tenant`]; set when it starts.
    tenant: OnceLock<Arc<Tenant>>,
    /// The eDiscovery cases, for their clock and switches; set when the server starts.
    cases: OnceLock<Arc<CasesState>>,
    /// The threat assessment requests, for their clock and counters; set when the server
    /// starts.
    assess: OnceLock<Arc<AssessState>>,
    total: AtomicU64,
    /// Throttle every Nth request (0 = off), for manual trials (`--throttle-every`).
    throttle_every: u64,
    periodic_retry_after: Option<u32>,
    /// Keys the random fault stream.
    seed: u64,
}

/// One line of [`Controls::injections`]: how often `fault` hit `method` on `route`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Injection {
    pub fault: &'static str,
    pub method: String,
    pub route: Route,
    pub count: u64,
}

/// A cloneable handle on the running emulator's faults and counters.
#[derive(Debug, Clone, Default)]
pub struct Controls(Arc<Inner>);

/// Salt of the fault stream, so it never repeats the tenant generator's numbers.
const FAULT_STREAM: u64 = 0x6661_756c_7473;

impl Controls {
    pub(crate) fn new(throttle_every: Option<u32>, retry_after: Option<u32>, seed: u64) -> Self {
        Controls(Arc::new(Inner {
            throttle_every: u64::from(throttle_every.unwrap_or(0)),
            periodic_retry_after: retry_after,
            seed,
            ..Inner::default()
        }))
    }

    /// Hands the controls the tenant the server serves (once).
    pub(crate) fn attach(&self, tenant: Arc<Tenant>) {
        let _ = self.0.tenant.set(tenant);
    }

    /// Hands the controls the eDiscovery state the server serves (once).
    pub(crate) fn attach_cases(&self, cases: Arc<CasesState>) {
        let _ = self.0.cases.set(cases);
    }

    /// Hands the controls the threat assessment state the server serves (once).
    pub(crate) fn attach_assess(&self, assess: Arc<AssessState>) {
        let _ = self.0.assess.set(assess);
    }

    /// Moves the threat assessment clock on by `d`: pending requests get their results and
    /// the POST limits' windows slide as if that much time had passed.
    pub fn advance_assessment_clock(&self, d: Duration) {
        if let Some(a) = self.0.assess.get() {
            a.clock.advance(d);
        }
    }

    /// Threat assessment POSTs accepted and throttled so far.
    pub fn assessment_counters(&self) -> AssessCounters {
        self.0
            .assess
            .get()
            .map(|a| a.counters())
            .unwrap_or_default()
    }

    /// The next search estimate submitted fails (`status: failed` half-way through). Calls
    /// add up: two calls fail the next two.
    pub fn fail_next_estimate(&self) {
        if let Some(c) = self.0.cases.get() {
            c.fail_next_estimates(1);
        }
    }

    /// Moves the eDiscovery clock on by `d`: operations progress and the rate-limit window
    /// slides as if that much time had passed.
    pub fn advance_ediscovery_clock(&self, d: Duration) {
        if let Some(c) = self.0.cases.get() {
            c.clock.advance(d);
        }
    }

    /// eDiscovery requests the 5-a-minute throttle answered with 429 so far.
    pub fn ediscovery_throttled(&self) -> u64 {
        self.0.cases.get().map_or(0, |c| c.throttled())
    }

    /// eDiscovery requests that arrived in each minute of the eDiscovery clock since start
    /// (index 0 is the first minute), throttled ones included.
    pub fn ediscovery_requests_per_minute(&self) -> Vec<u64> {
        self.0
            .cases
            .get()
            .map(|c| c.requests_per_minute())
            .unwrap_or_default()
    }

    /// Moves the tenant on by `n` steps now (see [`super::changes`]): new alerts, alerts
    /// worked by other analysts, incidents changed. Returns the changes, in order; none
    /// when no server was started with these controls.
    pub fn step_tenant(&self, n: usize) -> Vec<TenantChange> {
        self.0.tenant.get().map(|t| t.step(n)).unwrap_or_default()
    }

    /// Every change the tenant has gone through so far (by [`Controls::step_tenant`] or
    /// the `changing` timer), in order.
    pub fn changes(&self) -> Vec<TenantChange> {
        self.0.tenant.get().map(|t| t.changes()).unwrap_or_default()
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
    /// order they were queued, before any random plan.
    pub fn inject(&self, fault: Fault, times: u32, scope: Scope) {
        if times > 0 {
            self.state().rules.push_back(FaultRule {
                fault,
                times,
                scope,
            });
        }
    }

    /// Adds a plan of random faults. Plans are asked in the order they were added; a
    /// request gets at most one fault. A plan with no kinds or a zero rate does nothing.
    pub fn add_random_faults(&self, plan: RandomFaults) {
        if !plan.kinds.is_empty() && plan.rate > 0.0 {
            self.state().plans.push(plan);
        }
    }

    /// Drops all queued faults and random plans (the periodic throttle stays).
    pub fn clear_faults(&self) {
        let mut st = self.state();
        st.rules.clear();
        st.plans.clear();
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

    /// Faults applied so far whose [`Fault::label`] is `label` (e.g. `"reset"`, `"503"`).
    pub fn injected(&self, label: &str) -> u64 {
        self.state()
            .injected
            .iter()
            .filter(|((l, _, _), _)| *l == label)
            .map(|(_, n)| n)
            .sum()
    }

    /// All faults applied so far.
    pub fn injected_total(&self) -> u64 {
        self.state().injected.values().sum()
    }

    /// Every fault applied so far, by kind, method and route.
    pub fn injections(&self) -> Vec<Injection> {
        self.state()
            .injected
            .iter()
            .map(|((fault, method, route), count)| Injection {
                fault,
                method: method.clone(),
                route: *route,
                count: *count,
            })
            .collect()
    }

    /// One line for a person: `503×4, reset×2` (or `none`).
    pub fn injected_summary(&self) -> String {
        let mut by_label: BTreeMap<&'static str, u64> = BTreeMap::new();
        for ((label, _, _), n) in &self.state().injected {
            *by_label.entry(label).or_insert(0) += n;
        }
        if by_label.is_empty() {
            return "none".to_owned();
        }
        by_label
            .iter()
            .map(|(l, n)| format!("{l}×{n}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Zeroes the request and injection counters (not the periodic throttle's phase, nor
    /// the random stream's position).
    pub fn reset_counters(&self) {
        let mut st = self.state();
        st.counts.clear();
        st.injected.clear();
    }

    /// Counts a request and returns the fault to apply to it, if any.
    pub(crate) fn on_request(&self, method: &str, route: Route) -> Option<Fault> {
        let n = self.0.total.fetch_add(1, Ordering::Relaxed) + 1;
        let mut st = self.state();
        *st.counts.entry((method.to_owned(), route)).or_insert(0) += 1;
        let fault = Self::queued(&mut st, method, route)
            .or_else(|| Self::drawn(&mut st, self.0.seed, method, route))
            .or_else(|| {
                (self.0.throttle_every > 0 && n.is_multiple_of(self.0.throttle_every)).then_some(
                    Fault::Throttle {
                        retry_after: self.0.periodic_retry_after,
                    },
                )
            })?;
        *st.injected
            .entry((fault.label(), method.to_owned(), route))
            .or_insert(0) += 1;
        Some(fault)
    }

    fn queued(st: &mut State, method: &str, route: Route) -> Option<Fault> {
        let i = st
            .rules
            .iter()
            .position(|r| r.scope.matches(method, route))?;
        let rule = &mut st.rules[i];
        let fault = rule.fault.clone();
        rule.times -= 1;
        if rule.times == 0 {
            st.rules.remove(i);
        }
        Some(fault)
    }

    /// Asks each covering plan in turn; every plan asked takes one draw, so the stream
    /// depends only on the seed and the requests seen.
    fn drawn(st: &mut State, seed: u64, method: &str, route: Route) -> Option<Fault> {
        let State { plans, draws, .. } = st;
        for plan in plans.iter().filter(|p| p.covers(method, route)) {
            *draws += 1;
            let r = mix64(seed ^ FAULT_STREAM ^ mix64(*draws));
            // The top 53 bits as a uniform float in [0, 1).
            let roll = (r >> 11) as f64 / (1u64 << 53) as f64;
            if roll < plan.rate.clamp(0.0, 1.0) {
                let which = (mix64(r) % plan.kinds.len() as u64) as usize;
                return plan.kinds.get(which).map(|k| k.fault(plan));
            }
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
        assert_eq!(
            Route::classify("/v1.0/security/incidents"),
            Route::Incidents
        );
        assert_eq!(
            Route::classify("/v1.0/security/incidents/7"),
            Route::Incident
        );
        assert_eq!(
            Route::classify("/v1.0/security/incidents/7/comments"),
            Route::IncidentComments
        );
        assert_eq!(
            Route::classify("/v1.0/security/incidents/7/alerts"),
            Route::IncidentAlerts
        );
        assert_eq!(
            Route::classify("/v1.0/security/incidents/7/x"),
            Route::Other
        );
        assert_eq!(Route::classify("/v1.0/security/incidentsx"), Route::Other);
    }

    #[test]
    fn throttle_next_applies_n_times_then_stops() {
        let c = Controls::new(None, None, 1);
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
        let c = Controls::new(None, None, 1);
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
        let c = Controls::new(Some(3), Some(1), 1);
        let hits: Vec<bool> = (0..6)
            .map(|_| c.on_request("GET", Route::Alerts).is_some())
            .collect();
        assert_eq!(hits, [false, false, true, false, false, true]);
    }

    fn faults_of(c: &Controls, method: &str, route: Route, n: usize) -> Vec<Option<Fault>> {
        (0..n).map(|_| c.on_request(method, route)).collect()
    }

    #[test]
    fn random_faults_follow_the_rate_and_the_seed() {
        let plan = RandomFaults::new(0.3, &FaultKind::ALL);
        let run = |seed| {
            let c = Controls::new(None, None, seed);
            c.add_random_faults(plan.clone());
            faults_of(&c, "GET", Route::Alerts, 10_000)
        };
        let a = run(7);
        assert_eq!(a, run(7), "same seed, same faults");
        assert_ne!(a, run(8), "another seed, other faults");
        let hits = a.iter().flatten().count();
        // 3,000 expected; a fair coin stays within ±5 standard deviations (±229).
        assert!((2_770..=3_230).contains(&hits), "{hits} faults in 10,000");
        for kind in FaultKind::ALL {
            let f = kind.fault(&plan);
            assert!(a.contains(&Some(f.clone())), "{f:?} never drawn");
        }
    }

    #[test]
    fn random_faults_respect_route_classes() {
        let c = Controls::new(None, None, 3);
        c.add_random_faults(
            RandomFaults::new(1.0, &[FaultKind::Status503])
                .on(&[RouteClass::Patch, RouteClass::Comments]),
        );
        assert_eq!(c.on_request("GET", Route::Alerts), None);
        assert_eq!(c.on_request("GET", Route::Alert), None);
        assert_eq!(
            c.on_request("PATCH", Route::Alert),
            Some(Fault::Status(503))
        );
        assert_eq!(
            c.on_request("POST", Route::AlertComments),
            Some(Fault::Status(503))
        );
        assert_eq!(c.on_request("GET", Route::Other), None);
        assert_eq!(c.injected("503"), 2);
        assert_eq!(c.injected_total(), 2);
        assert_eq!(
            c.injections(),
            vec![
                Injection {
                    fault: "503",
                    method: "PATCH".into(),
                    route: Route::Alert,
                    count: 1
                },
                Injection {
                    fault: "503",
                    method: "POST".into(),
                    route: Route::AlertComments,
                    count: 1
                },
            ]
        );
        assert_eq!(c.injected_summary(), "503×2");
        c.clear_faults();
        assert_eq!(c.on_request("PATCH", Route::Alert), None);
    }

    #[test]
    fn queued_rules_come_before_random_plans() {
        let c = Controls::new(None, None, 3);
        c.add_random_faults(RandomFaults::new(1.0, &[FaultKind::Reset]));
        c.inject(Fault::Truncate, 1, Scope::any());
        assert_eq!(c.on_request("GET", Route::Alerts), Some(Fault::Truncate));
        assert_eq!(c.on_request("GET", Route::Alerts), Some(Fault::Reset));
        assert_eq!(c.injected_summary(), "reset×1, truncate×1");
        c.reset_counters();
        assert_eq!(
            (c.injected_total(), c.requests("GET", Route::Alerts)),
            (0, 0)
        );
    }

    #[test]
    fn plans_without_rate_or_kinds_are_ignored() {
        let c = Controls::new(None, None, 3);
        c.add_random_faults(RandomFaults::new(0.0, &FaultKind::ALL));
        c.add_random_faults(RandomFaults::new(1.0, &[]));
        assert!(
            faults_of(&c, "GET", Route::Alerts, 100)
                .iter()
                .all(Option::is_none)
        );
    }

    #[test]
    fn kinds_and_routes_parse() {
        use FaultKind::*;
        assert_eq!(
            FaultKind::parse_list("503, reset,truncate,503").unwrap(),
            vec![Status503, Reset, Truncate]
        );
        assert_eq!(
            FaultKind::parse_list("5xx").unwrap(),
            FaultKind::ALL[..4].to_vec()
        );
        assert_eq!(
            FaultKind::parse_list("all").unwrap(),
            FaultKind::ALL.to_vec()
        );
        assert_eq!(
            FaultKind::parse_list("transient").unwrap(),
            FaultKind::TRANSIENT.to_vec()
        );
        assert_eq!(
            FaultKind::parse_list("429,429-bare").unwrap(),
            vec![Throttle, ThrottleBare]
        );
        assert_eq!("latency".parse::<FaultKind>(), Ok(Latency));
        for bad in ["", "404", "reset,nope", ","] {
            assert!(FaultKind::parse_list(bad).is_err(), "{bad:?}");
        }
        use RouteClass::*;
        assert_eq!(
            RouteClass::parse_list("patch,comments").unwrap(),
            vec![Patch, Comments]
        );
        assert_eq!(
            RouteClass::parse_list("reads").unwrap(),
            vec![List, Get, IncidentList, IncidentGet, ScoreList, ControlGet]
        );
        assert_eq!(
            RouteClass::parse_list("writes,patch").unwrap(),
            vec![
                Patch,
                Comments,
                IncidentPatch,
                IncidentComments,
                ControlPatch
            ]
        );
        assert_eq!(
            RouteClass::parse_list("score-list,control-get,control-patch").unwrap(),
            vec![ScoreList, ControlGet, ControlPatch]
        );
        assert!(
            ControlGet
                .scopes()
                .iter()
                .any(|s| s.matches("GET", Route::ControlProfile))
        );
        assert_eq!(
            RouteClass::parse_list("incident-patch,incident-comments").unwrap(),
            vec![IncidentPatch, IncidentComments]
        );
        assert_eq!(RouteClass::parse_list("all").unwrap(), vec![]);
        for bad in ["", "secureScores", "list,"] {
            let r = RouteClass::parse_list(bad);
            assert!(bad == "list," || r.is_err(), "{bad:?}");
        }
        assert!(Get.scopes()[0].matches("get", Route::Alert));
        assert!(!Get.scopes()[0].matches("PATCH", Route::Alert));
        assert!(Comments.scopes()[0].matches("POST", Route::AlertComments));
        let incident_reads = IncidentGet.scopes();
        assert!(
            incident_reads
                .iter()
                .any(|s| s.matches("GET", Route::IncidentAlerts))
        );
        assert!(
            !incident_reads
                .iter()
                .any(|s| s.matches("GET", Route::Alert))
        );
    }

    #[test]
    fn labels_name_every_fault() {
        let plan = RandomFaults::new(1.0, &FaultKind::ALL).retry_after(Some(2));
        let labels: Vec<&str> = FaultKind::ALL
            .iter()
            .map(|k| k.fault(&plan).label())
            .collect();
        let names: Vec<String> = FaultKind::ALL.iter().map(ToString::to_string).collect();
        assert_eq!(labels, names);
    }
}
