//! eDiscovery (Premium) cases (surface.md §7): `security/cases/ediscoveryCases` and what
//! hangs off a case (custodians and their sources, non-custodial data sources, searches,
//! review sets, legal holds on beta only, operations), generated from the seed.
//!
//! Long-running work: `POST .../searches/{id}/estimateStatistics` answers `202 Accepted`
//! with a `Location` header naming the new operation in the key form the docs show for
//! eDiscovery actions (`.../ediscoveryCases('{caseId}')/operations('{opId}')`) and no body.
//! The operation is `notStarted` for the first tenth of [`CasesConfig::estimate_duration`],
//! then `running` with a rising `percentProgress`, then `succeeded` with its counts (or
//! `failed` half-way, when asked for by [`super::Controls::fail_next_estimate`] or
//! [`CasesConfig::fail_estimates`]). surface.md names no `Retry-After` on the operation
//! itself, so the emulator sends none while it runs.
//!
//! Throttling: at most [`CasesConfig::rate_limit`] requests per
//! [`CasesConfig::rate_window`] per token across every eDiscovery route (surface.md §1.5:
//! 5 a minute per app per tenant; the emulator has no app identity, so the Authorization
//! header value stands for it), then 429 with `Retry-After` (whole seconds until the oldest
//! request in the window leaves it). Only admitted requests fill the window. Time is read
//! from an injectable [`Clock`], so tests move it on instead of sleeping.
//!
//! Paths are parsed here rather than by the router: Graph takes keys both as segments
//! (`ediscoveryCases/{id}`) and in parentheses (`ediscoveryCases('{id}')`), and segment
//! names case-insensitively (the docs' own examples write `eDiscoverycases` and
//! `noncustodialdatasources`).

use super::error::GraphError;
use super::faults::Route;
use super::generate::{Rng, mix64};
use super::json::fmt_time;
use super::server::{AppState, Caller};
use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::{HeaderValue, LOCATION};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

type Result<T> = std::result::Result<T, GraphError>;

/// Cases in the generated tenant.
pub const DEMO_CASES: usize = 15;
/// How long an estimate takes when nothing else is configured.
pub const DEFAULT_ESTIMATE_DURATION: Duration = Duration::from_secs(20);
/// Requests per window and token Graph allows on eDiscovery (surface.md §1.5).
pub const DEFAULT_RATE_LIMIT: u32 = 5;
/// The throttling window (a minute).
pub const DEFAULT_RATE_WINDOW: Duration = Duration::from_secs(60);
/// What .NET writes for a timestamp that was never set; the documented bodies carry it.
pub const UNSET_DATE: &str = "0001-01-01T00:00:00Z";

/// Every case status of the CSDL's `caseStatus`, in the order the demo cases get them.
const STATUSES: [&str; DEMO_CASES] = [
    "active",
    "active",
    "closed",
    "active",
    "pendingDelete",
    "active",
    "closing",
    "active",
    "closedWithError",
    "active",
    "unknown",
    "active",
    "closed",
    "active",
    "active",
];

const PEOPLE: [(&str, &str); 8] = [
    ("Adele Vance", "AdeleV@contoso.com"),
    ("Alex Wilber", "AlexW@contoso.com"),
    ("Megan Bowen", "MeganB@contoso.com"),
    ("Lee Gu", "LeeG@contoso.com"),
    ("Nestor Wilke", "NestorW@contoso.com"),
    ("Patti Fernandez", "PattiF@contoso.com"),
    ("Diego Siciliani", "DiegoS@contoso.com"),
    ("Lynne Robbins", "LynneR@contoso.com"),
];
const ADMINS: [(&str, &str); 2] = [
    ("MOD Administrator", "admin@contoso.com"),
    ("Isaiah Langer", "IsaiahL@contoso.com"),
];
const SITES: [&str; 4] = ["Design-topsecret", "Legal", "Finance", "Mark8ProjectTeam"];
const GROUPS: [&str; 3] = ["Sales Team", "Leadership", "Mark 8 Project Team"];
const QUERIES: [&str; 5] = [
    "(Author=\"edison\")",
    "subject:\"merger\"",
    "budget AND (confidential OR secret)",
    "from:AlexW@contoso.com",
    "",
];
const SCOPES: [&str; 4] = [
    "none",
    "allCaseCustodians",
    "allCaseNoncustodialDataSources",
    "allTenantMailboxes",
];

/// The eDiscovery switches of [`super::EmulatorConfig`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CasesConfig {
    /// How long an estimate runs from submission to `succeeded`.
    pub estimate_duration: Duration,
    /// Requests admitted per token and window; 0 turns the throttle off.
    pub rate_limit: u32,
    pub rate_window: Duration,
    /// Every estimate fails (`status: failed`).
    pub fail_estimates: bool,
}

impl Default for CasesConfig {
    fn default() -> Self {
        CasesConfig {
            estimate_duration: DEFAULT_ESTIMATE_DURATION,
            rate_limit: DEFAULT_RATE_LIMIT,
            rate_window: DEFAULT_RATE_WINDOW,
            fail_estimates: false,
        }
    }
}

/// An emulator clock: real time since start plus whatever tests moved it on by (eDiscovery
/// estimates and threat assessment verdicts run on one each).
#[derive(Debug)]
pub struct Clock {
    start: Instant,
    offset: Mutex<Duration>,
}

impl Clock {
    pub(super) fn new() -> Self {
        Clock {
            start: Instant::now(),
            offset: Mutex::new(Duration::ZERO),
        }
    }

    /// Time since the emulator started, as the routes see it.
    pub fn now(&self) -> Duration {
        self.start.elapsed() + *self.offset.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Moves the clock on by `d`.
    pub fn advance(&self, d: Duration) {
        *self.offset.lock().unwrap_or_else(PoisonError::into_inner) += d;
    }
}

/// A sliding-window log per key: at most `limit` admitted requests in any `window`. Used
/// whole ([`RateLimiter::check`]) by eDiscovery, and in two steps ([`RateLimiter::wait`] on
/// every limit, then [`RateLimiter::record`] on each) by threat assessment, whose request
/// counts against several limits at once only when all of them have room.
#[derive(Debug)]
pub struct RateLimiter {
    limit: u32,
    window: Duration,
    seen: HashMap<String, VecDeque<Duration>>,
}

/// Keys kept before idle ones are dropped (each costs at most `limit` timestamps).
const MAX_KEYS: usize = 100_000;

impl RateLimiter {
    /// `limit` 0 admits everything.
    pub fn new(limit: u32, window: Duration) -> Self {
        RateLimiter {
            limit,
            window,
            seen: HashMap::new(),
        }
    }

    /// Admits a request for `key` at `now`, or says how long until a slot frees.
    pub fn check(&mut self, key: &str, now: Duration) -> std::result::Result<(), Duration> {
        match self.wait(key, now) {
            Some(wait) => Err(wait),
            None => {
                self.record(key, now);
                Ok(())
            }
        }
    }

    /// How long until `key` has room at `now`; `None` when it has room. Counts nothing.
    pub fn wait(&mut self, key: &str, now: Duration) -> Option<Duration> {
        if self.limit == 0 {
            return None;
        }
        let window = self.window;
        let q = self.seen.get_mut(key)?;
        while q.front().is_some_and(|&t| now.saturating_sub(t) >= window) {
            q.pop_front();
        }
        let limit = self.limit as usize;
        // The entry that must leave for the count to drop below the limit.
        let oldest = *q.get(q.len().checked_sub(limit)?)?;
        Some((oldest + window).saturating_sub(now))
    }

    /// Counts a request for `key` at `now`.
    pub fn record(&mut self, key: &str, now: Duration) {
        if self.limit == 0 {
            return;
        }
        if self.seen.len() >= MAX_KEYS && !self.seen.contains_key(key) {
            let window = self.window;
            self.seen
                .retain(|_, q| q.back().is_some_and(|&t| now.saturating_sub(t) < window));
        }
        self.seen.entry(key.to_owned()).or_default().push_back(now);
    }
}

/// Where an operation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    NotStarted,
    Running(u8),
    Succeeded,
    /// Failed, with the progress it had reached.
    Failed(u8),
}

impl Phase {
    pub fn status(self) -> &'static str {
        match self {
            Phase::NotStarted => "notStarted",
            Phase::Running(_) => "running",
            Phase::Succeeded => "succeeded",
            Phase::Failed(_) => "failed",
        }
    }

    pub fn percent(self) -> u8 {
        match self {
            Phase::NotStarted => 0,
            Phase::Running(p) | Phase::Failed(p) => p,
            Phase::Succeeded => 100,
        }
    }

    pub fn is_done(self) -> bool {
        matches!(self, Phase::Succeeded | Phase::Failed(_))
    }
}

/// The phase of an operation `elapsed` after submission that takes `duration`: queued
/// for the first tenth, then running (1 to 99 percent), then succeeded; one set to fail
/// fails half-way.
pub fn phase(elapsed: Duration, duration: Duration, fail: bool) -> Phase {
    let duration = duration.max(Duration::from_millis(10));
    let queued = duration / 10;
    let percent = |at: Duration| -> u8 {
        if at < queued {
            return 0;
        }
        let done = (at - queued).as_secs_f64() / (duration - queued).as_secs_f64();
        (done * 100.0).clamp(1.0, 99.0) as u8
    };
    if fail && elapsed >= duration / 2 {
        return Phase::Failed(percent(duration / 2));
    }
    if elapsed >= duration {
        Phase::Succeeded
    } else if elapsed < queued {
        Phase::NotStarted
    } else {
        Phase::Running(percent(elapsed))
    }
}

/// What an estimate found.
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    indexed_items: i64,
    indexed_size: i64,
    mailboxes: i32,
    sites: i32,
    unindexed_items: i64,
    unindexed_size: i64,
}

impl Counts {
    fn generate(rng: &mut Rng) -> Self {
        let indexed_items = 50 + rng.below(20_000) as i64;
        let unindexed_items = rng.below(indexed_items as u64 / 10 + 1) as i64;
        Counts {
            indexed_items,
            indexed_size: indexed_items * (20_000 + rng.below(80_000) as i64),
            mailboxes: 1 + rng.below(12) as i32,
            sites: rng.below(5) as i32,
            unindexed_items,
            unindexed_size: unindexed_items * (50_000 + rng.below(200_000) as i64),
        }
    }
}

#[derive(Debug, Clone)]
enum Progress {
    /// Finished before the emulator started.
    Done {
        status: &'static str,
        completed: OffsetDateTime,
    },
    /// Submitted while serving: its phase follows the clock.
    Live {
        started: Duration,
        duration: Duration,
        fail: bool,
    },
    /// Submitted to an earlier run of the emulator: `before` of it had passed when this
    /// run's clock started.
    Resumed {
        before: Duration,
        duration: Duration,
    },
}

#[derive(Debug, Clone)]
struct Op {
    id: String,
    action: &'static str,
    created: OffsetDateTime,
    created_by: Value,
    progress: Progress,
    counts: Counts,
}

/// The CSDL subtype of `caseOperation` each action is served as.
pub fn operation_type(action: &str) -> Option<&'static str> {
    Some(match action {
        "contentExport" => "ediscoveryExportOperation",
        "applyTags" => "ediscoveryTagOperation",
        "index" => "ediscoveryIndexOperation",
        "estimateStatistics" => "ediscoveryEstimateOperation",
        "addToReviewSet" => "ediscoveryAddToReviewSetOperation",
        "holdUpdate" => "ediscoveryHoldOperation",
        "purgeData" => "ediscoveryPurgeDataOperation",
        "exportReport" | "exportResult" => "ediscoverySearchExportOperation",
        "holdPolicySync" => "ediscoveryHoldPolicySyncOperation",
        _ => return None,
    })
}

impl Op {
    fn phase(&self, now: Duration) -> (Phase, Option<OffsetDateTime>) {
        match &self.progress {
            Progress::Done { status, completed } => (
                if *status == "failed" {
                    Phase::Failed(50)
                } else {
                    Phase::Succeeded
                },
                Some(*completed),
            ),
            Progress::Live {
                started,
                duration,
                fail,
            } => {
                let p = phase(now.saturating_sub(*started), *duration, *fail);
                let done_after = if *fail { *duration / 2 } else { *duration };
                let completed = p.is_done().then(|| {
                    self.created + time::Duration::try_from(done_after).unwrap_or_default()
                });
                (p, completed)
            }
            Progress::Resumed { before, duration } => {
                let p = phase(now + *before, *duration, false);
                let completed = p.is_done().then(|| {
                    self.created + time::Duration::try_from(*duration).unwrap_or_default()
                });
                (p, completed)
            }
        }
    }

    fn to_json(&self, now: Duration) -> Value {
        let (p, completed) = self.phase(now);
        let mut o = Map::new();
        if let Some(t) = operation_type(self.action) {
            o.insert(
                "@odata.type".into(),
                json!(format!("#microsoft.graph.security.{t}")),
            );
        }
        o.insert("createdDateTime".into(), json!(fmt_time(self.created)));
        o.insert(
            "completedDateTime".into(),
            json!(completed.map_or_else(|| UNSET_DATE.to_owned(), fmt_time)),
        );
        o.insert("percentProgress".into(), json!(p.percent()));
        o.insert("status".into(), json!(p.status()));
        o.insert("action".into(), json!(self.action));
        o.insert("id".into(), json!(self.id));
        o.insert("createdBy".into(), self.created_by.clone());
        o.insert(
            "resultInfo".into(),
            if matches!(p, Phase::Failed(_)) {
                json!({"code": 500, "message": "The estimate could not be completed: a data source did not answer.", "subcode": 0})
            } else {
                Value::Null
            },
        );
        if self.action == "estimateStatistics" {
            let c = if p == Phase::Succeeded {
                self.counts
            } else {
                Counts::default()
            };
            o.insert("indexedItemCount".into(), json!(c.indexed_items));
            o.insert("indexedItemsSize".into(), json!(c.indexed_size));
            o.insert("mailboxCount".into(), json!(c.mailboxes));
            o.insert("siteCount".into(), json!(c.sites));
            o.insert("unindexedItemCount".into(), json!(c.unindexed_items));
            o.insert("unindexedItemsSize".into(), json!(c.unindexed_size));
        }
        Value::Object(o)
    }
}

#[derive(Debug, Clone)]
struct Custodian {
    fields: Value,
    user_sources: Vec<Value>,
    site_sources: Vec<Value>,
    group_sources: Vec<Value>,
}

#[derive(Debug, Clone)]
struct Search {
    fields: Value,
    last_estimate: Option<String>,
}

#[derive(Debug, Clone)]
struct Case {
    fields: Value,
    custodians: Vec<Custodian>,
    noncustodial: Vec<Value>,
    searches: Vec<Search>,
    review_sets: Vec<Value>,
    legal_holds: Vec<Value>,
    ops: Vec<Op>,
}

impl Case {
    fn id(&self) -> &str {
        self.fields["id"].as_str().unwrap_or_default()
    }

    fn status(&self) -> &str {
        self.fields["status"].as_str().unwrap_or_default()
    }
}

#[derive(Debug)]
struct Data {
    cases: Vec<Case>,
    /// Ids handed out while serving.
    issued: u64,
}

/// The eDiscovery part of the tenant, its clock, throttle and switches.
#[derive(Debug)]
pub struct CasesState {
    seed: u64,
    /// The tenant's "now" when the emulator started.
    now: OffsetDateTime,
    config: CasesConfig,
    pub clock: Clock,
    data: Mutex<Data>,
    limiter: Mutex<RateLimiter>,
    /// Arrivals on the eDiscovery routes, by minute of the clock.
    per_minute: Mutex<BTreeMap<u64, u64>>,
    fail_next: AtomicU32,
    /// Requests refused by the throttle (answered 429).
    throttled: AtomicU64,
}

pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A random version-4 UUID (the emulator's ids for new and seeded objects).
pub(super) fn uuid(rng: &mut Rng) -> String {
    let h = rng.next_u64();
    let l = rng.next_u64();
    format!(
        "{:08x}-{:04x}-4{:03x}-{:x}{:03x}-{:012x}",
        h >> 32,
        (h >> 16) & 0xffff,
        h & 0xfff,
        8 + (l >> 62),
        (l >> 48) & 0xfff,
        l & 0xffff_ffff_ffff
    )
}

fn hex32(rng: &mut Rng) -> String {
    format!("{:016x}{:016x}", rng.next_u64(), rng.next_u64())
}

/// An `identitySet` naming a user, as the documented bodies write it.
fn user_set(name: &str, upn: &str) -> Value {
    let id = mix64(upn.bytes().fold(0xcafe, |h, b| mix64(h ^ u64::from(b))));
    let mut r = Rng::new(id);
    json!({"application": null, "user": {"id": uuid(&mut r), "displayName": name, "userPrincipalName": upn}})
}

/// The set the docs' list bodies show where nobody is named (an open case's `closedBy`).
fn nobody() -> Value {
    json!({"application": null, "user": {"id": null, "displayName": ""}})
}

/// The caller as an `identitySet`.
fn caller_set(caller: &Caller) -> Value {
    let upn = super::auth::author(&caller.token);
    let name = PEOPLE
        .iter()
        .chain(&ADMINS)
        .find(|(_, u)| u.eq_ignore_ascii_case(&upn))
        .map_or(upn.as_str(), |(n, _)| n);
    user_set(name, &upn)
}

fn days(n: u64) -> time::Duration {
    time::Duration::days(n as i64)
}

fn minutes(n: u64) -> time::Duration {
    time::Duration::minutes(n as i64)
}

impl CasesState {
    pub fn new(seed: u64, now: OffsetDateTime, config: CasesConfig) -> Self {
        let mut rng = Rng::new(mix64(seed ^ 0xed15_c0de));
        let cases = (0..DEMO_CASES)
            .map(|i| generate_case(i, now, &mut rng))
            .collect();
        CasesState {
            seed,
            now,
            limiter: Mutex::new(RateLimiter::new(config.rate_limit, config.rate_window)),
            config,
            clock: Clock::new(),
            data: Mutex::new(Data { cases, issued: 0 }),
            per_minute: Mutex::new(BTreeMap::new()),
            fail_next: AtomicU32::new(0),
            throttled: AtomicU64::new(0),
        }
    }

    /// Counts an arrival and admits it, or answers how long until `token` may ask again.
    pub fn admit(&self, token: &str) -> Option<Duration> {
        let now = self.clock.now();
        *lock(&self.per_minute)
            .entry(now.as_secs() / 60)
            .or_insert(0) += 1;
        let refused = lock(&self.limiter).check(token, now).err();
        if refused.is_some() {
            self.throttled.fetch_add(1, Ordering::SeqCst);
        }
        refused
    }

    /// Requests the throttle refused with 429 so far.
    pub fn throttled(&self) -> u64 {
        self.throttled.load(Ordering::SeqCst)
    }

    /// Arrivals on the eDiscovery routes in each minute of the clock since start (index 0
    /// is the first minute), throttled ones included.
    pub fn requests_per_minute(&self) -> Vec<u64> {
        let m = lock(&self.per_minute);
        let last = m.keys().next_back().copied().unwrap_or(0);
        (0..=last)
            .map(|k| m.get(&k).copied().unwrap_or(0))
            .collect()
    }

    /// The next `n` estimates fail.
    pub fn fail_next_estimates(&self, n: u32) {
        self.fail_next.fetch_add(n, Ordering::SeqCst);
    }

    fn take_fail(&self) -> bool {
        self.config.fail_estimates
            || self
                .fail_next
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
    }

    /// The tenant's time now.
    fn wall(&self) -> OffsetDateTime {
        self.now + time::Duration::try_from(self.clock.now()).unwrap_or_default()
    }

    fn next_rng(&self, data: &mut Data) -> Rng {
        data.issued += 1;
        Rng::new(mix64(self.seed ^ 0x1d5 ^ data.issued.rotate_left(24)))
    }
}

fn generate_case(i: usize, now: OffsetDateTime, rng: &mut Rng) -> Case {
    let status = STATUSES[i];
    let created = now - days(5 + rng.below(400)) - minutes(rng.below(1440));
    let n = 1 + i as u64 * 7 + rng.below(7);
    let name = match i % 5 {
        0 => format!("CONTOSO LITIGATION-{n:03}"),
        1 => format!("HR investigation {n}"),
        2 => format!("Insider risk review {n}"),
        3 => format!("Regulatory request {n}"),
        _ => format!("Patent dispute {n}"),
    };
    let (admin, admin_upn) = ADMINS[rng.index(ADMINS.len())];
    let modified = created + days(rng.below(4)) + minutes(rng.below(600));
    let closed_states = ["closed", "closedWithError", "pendingDelete"];
    let closed_at = modified + days(1 + rng.below(3));
    let (closed_by, closed_date) = if closed_states.contains(&status) {
        (user_set(admin, admin_upn), json!(fmt_time(closed_at)))
    } else if status == "closing" {
        // Asked to close; the service has not finished.
        (user_set(admin, admin_upn), Value::Null)
    } else {
        (nobody(), Value::Null)
    };
    let last_modified = if closed_date.is_null() {
        modified
    } else {
        closed_at
    };
    let fields = json!({
        "description": if rng.percent(40) { String::new() } else { format!("Matter {n}: preserve and review relevant content.") },
        "lastModifiedDateTime": fmt_time(last_modified),
        "status": status,
        "closedDateTime": closed_date,
        "externalId": if rng.percent(50) { String::new() } else { format!("{}", 300_000 + rng.below(99_999)) },
        "id": uuid(rng),
        "displayName": name,
        "createdDateTime": fmt_time(created),
        "lastModifiedBy": user_set(admin, admin_upn),
        "closedBy": closed_by,
    });
    let by = user_set(admin, admin_upn);
    let mut case = Case {
        fields,
        custodians: Vec::new(),
        noncustodial: Vec::new(),
        searches: Vec::new(),
        review_sets: Vec::new(),
        legal_holds: Vec::new(),
        ops: Vec::new(),
    };
    let mut at = created + minutes(30);
    let done_op = |case: &mut Case, action: &'static str, at: OffsetDateTime, rng: &mut Rng| {
        let id = hex32(rng);
        case.ops.push(Op {
            id: id.clone(),
            action,
            created: at,
            created_by: by.clone(),
            progress: Progress::Done {
                status: "succeeded",
                completed: at + minutes(1 + rng.below(30)),
            },
            counts: Counts::generate(rng),
        });
        id
    };
    let custodians = if status == "unknown" {
        0
    } else {
        1 + rng.index(4)
    };
    let first = rng.index(PEOPLE.len());
    for k in 0..custodians {
        let (person, email) = PEOPLE[(first + k) % PEOPLE.len()];
        let hold = if rng.percent(60) {
            "applied"
        } else {
            "notApplied"
        };
        let released = matches!(status, "closed" | "pendingDelete");
        let mut c = Custodian {
            fields: json!({
                "status": if released { "released" } else { "active" },
                "holdStatus": if released { "notApplied" } else { hold },
                "createdDateTime": fmt_time(at),
                "lastModifiedDateTime": fmt_time(at),
                "releasedDateTime": if released { json!(fmt_time(closed_at)) } else { Value::Null },
                "id": hex32(rng),
                "displayName": person,
                "email": email,
                "acknowledgedDateTime": UNSET_DATE,
            }),
            user_sources: vec![source(
                rng,
                at,
                &by,
                hold,
                json!({"email": email, "includedSources": "mailbox,site", "siteWebUrl": format!("https://contoso-my.sharepoint.com/personal/{}", email.split('@').next().unwrap_or_default().to_ascii_lowercase()), "displayName": person}),
            )],
            site_sources: Vec::new(),
            group_sources: Vec::new(),
        };
        if rng.percent(50) {
            let site = SITES[rng.index(SITES.len())];
            c.site_sources.push(source(
                rng,
                at,
                &by,
                hold,
                json!({"displayName": site.replace('-', " - ")}),
            ));
        }
        if rng.percent(30) {
            let group = GROUPS[rng.index(GROUPS.len())];
            c.group_sources.push(source(
                rng,
                at,
                &by,
                hold,
                json!({"displayName": group, "includedSources": "mailbox,site"}),
            ));
        }
        if hold == "applied" {
            done_op(&mut case, "holdUpdate", at, rng);
        }
        case.custodians.push(c);
        at += minutes(5 + rng.below(60));
    }
    for _ in 0..rng.below(3) {
        let site = SITES[rng.index(SITES.len())];
        case.noncustodial.push(json!({
            "status": "active",
            "holdStatus": "notApplied",
            "createdDateTime": fmt_time(at),
            "lastModifiedDateTime": fmt_time(at),
            "releasedDateTime": UNSET_DATE,
            "id": hex32(rng),
            "displayName": site.replace('-', " - "),
        }));
        at += minutes(3);
    }
    if custodians > 0 {
        done_op(&mut case, "index", at, rng);
    }
    let searches = if status == "unknown" {
        0
    } else {
        1 + rng.index(3)
    };
    for k in 0..searches {
        let estimated = rng.percent(70);
        let last = estimated.then(|| done_op(&mut case, "estimateStatistics", at, rng));
        case.searches.push(Search {
            fields: json!({
                "dataSourceScopes": SCOPES[rng.index(SCOPES.len())],
                "description": if k == 0 { "First pass" } else { "" },
                "lastModifiedDateTime": fmt_time(at),
                "contentQuery": QUERIES[rng.index(QUERIES.len())],
                "id": uuid(rng),
                "displayName": format!("Search {}", k + 1),
                "createdDateTime": fmt_time(at),
                "lastModifiedBy": Value::Null,
                "createdBy": by.clone(),
            }),
            last_estimate: last,
        });
        at += minutes(10 + rng.below(120));
    }
    for k in 0..rng.below(3) {
        case.review_sets.push(json!({
            "displayName": format!("Review set {}", k + 1),
            "id": uuid(rng),
            "createdDateTime": fmt_time(at),
            "createdBy": by.clone(),
        }));
        done_op(&mut case, "addToReviewSet", at, rng);
        at += minutes(20);
    }
    for k in 0..rng.below(3) {
        case.legal_holds.push(json!({
            "isEnabled": true,
            "errors": [],
            "description": "Preserve the custodians' mailboxes and sites",
            "createdDateTime": fmt_time(at),
            "lastModifiedDateTime": fmt_time(at),
            "status": "success",
            "id": uuid(rng),
            "displayName": format!("Hold {}", k + 1),
            "createdBy": by.clone(),
            "lastModifiedBy": by.clone(),
        }));
    }
    if status == "closedWithError"
        && let Some(op) = case.ops.last_mut()
    {
        op.progress = Progress::Done {
            status: "failed",
            completed: op.created + minutes(2),
        };
    }
    case
}

fn source(rng: &mut Rng, at: OffsetDateTime, by: &Value, hold: &str, extra: Value) -> Value {
    let mut o = Map::new();
    o.insert("id".into(), json!(hex32(rng)));
    o.insert("createdDateTime".into(), json!(fmt_time(at)));
    o.insert("holdStatus".into(), json!(hold));
    o.insert("createdBy".into(), by.clone());
    if let Value::Object(extra) = extra {
        o.extend(extra);
    }
    Value::Object(o)
}

// ---- paths -------------------------------------------------------------------------

/// `v1.0` or `beta`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V1,
    Beta,
}

impl Version {
    pub fn as_str(self) -> &'static str {
        match self {
            Version::V1 => "v1.0",
            Version::Beta => "beta",
        }
    }
}

/// The collections under a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Custodians,
    Noncustodial,
    Searches,
    ReviewSets,
    LegalHolds,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Custodians => "custodians",
            Kind::Noncustodial => "noncustodialDataSources",
            Kind::Searches => "searches",
            Kind::ReviewSets => "reviewSets",
            Kind::LegalHolds => "legalHolds",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SourceKind {
    User,
    Site,
    Group,
}

impl SourceKind {
    fn name(self) -> &'static str {
        match self {
            SourceKind::User => "userSources",
            SourceKind::Site => "siteSources",
            SourceKind::Group => "unifiedGroupSources",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    Cases,
    Case(String),
    Close(String),
    Reopen(String),
    Children(String, Kind),
    Child(String, Kind, String),
    Sources(String, String, SourceKind),
    Estimate(String, String),
    LastEstimate(String, String),
    Operations(String),
    Operation(String, String),
    /// A segment Graph would not know here.
    Unknown(String),
}

/// `/{version}/security/cases/...`: the version and the segments after `cases`, with
/// `name('key')` split into `name` and `key` and each segment percent-decoded.
fn segments(path: &str) -> Option<(Version, Vec<String>)> {
    let (version, rest) = if let Some(r) = path.strip_prefix("/v1.0/security/cases") {
        (Version::V1, r)
    } else if let Some(r) = path.strip_prefix("/beta/security/cases") {
        (Version::Beta, r)
    } else {
        return None;
    };
    if !(rest.is_empty() || rest.starts_with('/')) {
        return None;
    }
    let mut out = Vec::new();
    for raw in rest.split('/').filter(|s| !s.is_empty()) {
        let s = percent_encoding::percent_decode_str(raw)
            .decode_utf8_lossy()
            .into_owned();
        match s.find('(') {
            Some(open) if s.ends_with(')') && open > 0 => {
                let key = &s[open + 1..s.len() - 1];
                let key = key
                    .strip_prefix('\'')
                    .and_then(|k| k.strip_suffix('\''))
                    .unwrap_or(key);
                out.push(s[..open].to_owned());
                out.push(key.replace("''", "'"));
            }
            _ => out.push(s),
        }
    }
    Some((version, out))
}

fn is(seg: &str, name: &str) -> bool {
    seg.eq_ignore_ascii_case(name)
}

/// An action segment, bare or namespace-qualified.
fn is_action(seg: &str, name: &str) -> bool {
    is(seg, name)
        || seg
            .strip_prefix("microsoft.graph.security.")
            .is_some_and(|s| is(s, name))
}

fn kind(seg: &str, version: Version) -> Option<Kind> {
    Some(if is(seg, "custodians") {
        Kind::Custodians
    } else if is(seg, "noncustodialDataSources") {
        Kind::Noncustodial
    } else if is(seg, "searches") {
        Kind::Searches
    } else if is(seg, "reviewSets") {
        Kind::ReviewSets
    } else if is(seg, "legalHolds") && version == Version::Beta {
        // Beta only: the v1.0 CSDL has no legalHolds navigation (surface.md §7).
        Kind::LegalHolds
    } else {
        return None;
    })
}

fn target(version: Version, segs: &[String]) -> Target {
    let unknown = |s: &str| Target::Unknown(s.to_owned());
    let Some(first) = segs.first() else {
        return unknown("cases");
    };
    if !is(first, "ediscoveryCases") {
        return unknown(first);
    }
    let own = |s: &String| s.clone();
    match segs {
        [_] => Target::Cases,
        [_, c] => Target::Case(own(c)),
        [_, c, a] if is_action(a, "close") => Target::Close(own(c)),
        [_, c, a] if is_action(a, "reopen") => Target::Reopen(own(c)),
        [_, c, o] if is(o, "operations") => Target::Operations(own(c)),
        [_, c, o, id] if is(o, "operations") => Target::Operation(own(c), own(id)),
        [_, c, k] => match kind(k, version) {
            Some(k) => Target::Children(own(c), k),
            None => unknown(k),
        },
        [_, c, k, id] => match kind(k, version) {
            Some(k) => Target::Child(own(c), k, own(id)),
            None => unknown(k),
        },
        [_, c, s, id, a] if is(s, "searches") && is_action(a, "estimateStatistics") => {
            Target::Estimate(own(c), own(id))
        }
        [_, c, s, id, n] if is(s, "searches") && is(n, "lastEstimateStatisticsOperation") => {
            Target::LastEstimate(own(c), own(id))
        }
        [_, c, k, id, n] if is(k, "custodians") => {
            let sk = if is(n, "userSources") {
                SourceKind::User
            } else if is(n, "siteSources") {
                SourceKind::Site
            } else if is(n, "unifiedGroupSources") {
                SourceKind::Group
            } else {
                return unknown(n);
            };
            Target::Sources(own(c), own(id), sk)
        }
        [_, _, k, _, n, ..] => match kind(k, version) {
            Some(_) => unknown(n),
            None => unknown(k),
        },
        [] => unknown("cases"),
    }
}

/// The counter class of an eDiscovery path; `None` for any other path.
pub fn classify(path: &str) -> Option<Route> {
    let (version, segs) = segments(path)?;
    Some(match target(version, &segs) {
        Target::Cases => Route::EdiscoveryCases,
        Target::Case(_) | Target::Close(_) | Target::Reopen(_) => Route::EdiscoveryCase,
        Target::Operations(_) | Target::Operation(..) => Route::EdiscoveryOperations,
        Target::Estimate(..) => Route::EdiscoveryEstimate,
        _ => Route::EdiscoveryItems,
    })
}

// ---- replies -----------------------------------------------------------------------

fn reply(status: StatusCode, body: &Value) -> Response {
    super::score::reply(status, body)
}

fn entity(context: String, item: &Value) -> Response {
    let mut o = Map::new();
    o.insert("@odata.context".into(), json!(context));
    if let Value::Object(rest) = item {
        o.extend(rest.clone());
    }
    reply(StatusCode::OK, &Value::Object(o))
}

fn created(mut r: Response) -> Response {
    *r.status_mut() = StatusCode::CREATED;
    r
}

fn body_object(body: &[u8]) -> Result<Map<String, Value>> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(o)) => Ok(o),
        Ok(_) => Err(GraphError::bad_request(
            "the request body must be a JSON object",
        )),
        Err(e) => Err(GraphError::bad_request(format!(
            "the request body is not JSON: {e}"
        ))),
    }
}

/// A string property: `Ok(None)` when absent or null.
fn text(o: &Map<String, Value>, k: &str) -> Result<Option<String>> {
    match o.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.chars().count() <= super::routes::MAX_TEXT => {
            Ok(Some(s.clone()))
        }
        Some(_) => Err(GraphError::bad_request(format!(
            "{k} must be a string of at most {} characters",
            super::routes::MAX_TEXT
        ))),
    }
}

fn required(o: &Map<String, Value>, k: &str) -> Result<String> {
    text(o, k)?
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| GraphError::bad_request(format!("{k} is required")))
}

fn only(o: &Map<String, Value>, allowed: &[&str], what: &str) -> Result<()> {
    match o.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(GraphError::bad_request(format!(
            "the property '{k}' is not accepted on {what}"
        ))),
        None => Ok(()),
    }
}

struct Ctx<'a> {
    state: &'a AppState,
    origin: String,
    version: Version,
    raw_query: Option<String>,
}

impl Ctx<'_> {
    fn cases(&self) -> &CasesState {
        &self.state.cases
    }

    /// `{origin}/{version}/$metadata#security/cases/ediscoveryCases` + `rest`.
    fn context(&self, rest: &str) -> String {
        format!(
            "{}/{}/$metadata#security/cases/ediscoveryCases{rest}",
            self.origin,
            self.version.as_str()
        )
    }

    /// `{origin}/{version}/security/cases/ediscoveryCases` + `rest`.
    fn url(&self, rest: &str) -> String {
        format!(
            "{}/{}/security/cases/ediscoveryCases{rest}",
            self.origin,
            self.version.as_str()
        )
    }

    fn list(
        &self,
        context: String,
        base: String,
        items: Vec<Value>,
        always_count: bool,
    ) -> Result<Response> {
        let mut q = super::score::list_query(self.raw_query.as_deref(), self.state.page_size)?;
        if always_count {
            q.count = true;
        }
        super::score::page(self.state, &q, context, &base, items)
    }
}

fn find_case<'d>(data: &'d mut Data, id: &str) -> Result<&'d mut Case> {
    data.cases
        .iter_mut()
        .find(|c| c.id() == id)
        .ok_or_else(|| GraphError::item_not_found("ediscoveryCase", id))
}

fn require_active(case: &Case) -> Result<()> {
    if case.status() == "active" {
        Ok(())
    } else {
        Err(GraphError::bad_request(format!(
            "The case is {}; only an active case takes new items or runs searches.",
            case.status()
        )))
    }
}

fn expands_last_estimate(raw: Option<&str>) -> bool {
    raw.unwrap_or("").split('&').any(|seg| {
        url::form_urlencoded::parse(seg.as_bytes())
            .next()
            .is_some_and(|(k, v)| {
                k.eq_ignore_ascii_case("$expand")
                    && v.split(',').any(|n| {
                        n.trim()
                            .eq_ignore_ascii_case("lastEstimateStatisticsOperation")
                    })
            })
    })
}

/// Every request under `/{version}/security/cases`.
pub async fn dispatch(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response> {
    let Some((version, segs)) = segments(uri.path()) else {
        return Err(super::routes::unknown_path(uri).await);
    };
    let cx = Ctx {
        state: &state,
        origin: state.origin(&headers),
        version,
        raw_query: uri.query().map(str::to_owned),
    };
    let get = method == Method::GET || method == Method::HEAD;
    let post = method == Method::POST;
    match target(version, &segs) {
        Target::Unknown(seg) => Err(GraphError::new(
            StatusCode::BAD_REQUEST,
            "invalidRequest",
            format!("Resource not found for the segment '{seg}'."),
        )),
        Target::Cases if get => list_cases(&cx),
        Target::Cases if post => create_case(&cx, &body),
        Target::Cases => Ok(super::error::not_allowed(&method, "GET, HEAD, POST")),
        Target::Case(c) if get => get_case(&cx, &c),
        Target::Case(c) if method == Method::PATCH => update_case(&cx, &caller, &c, &body),
        Target::Case(_) => Ok(super::error::not_allowed(&method, "GET, HEAD, PATCH")),
        Target::Close(c) if post => close_or_reopen(&cx, &caller, &c, true),
        Target::Reopen(c) if post => close_or_reopen(&cx, &caller, &c, false),
        Target::Estimate(c, s) if post => estimate(&cx, &caller, &c, &s),
        Target::Close(_) | Target::Reopen(_) | Target::Estimate(..) => {
            Ok(super::error::not_allowed(&method, "POST"))
        }
        Target::Children(c, k) if get => list_children(&cx, &c, k),
        Target::Children(c, k) if post => create_child(&cx, &caller, &c, k, &body),
        Target::Children(..) => Ok(super::error::not_allowed(&method, "GET, HEAD, POST")),
        Target::Child(c, k, id) if get => get_child(&cx, &c, k, &id),
        Target::Sources(c, id, sk) if get => list_sources(&cx, &c, &id, sk),
        Target::LastEstimate(c, s) if get => last_estimate(&cx, &c, &s),
        Target::Operations(c) if get => list_operations(&cx, &c),
        Target::Operation(c, id) if get => get_operation(&cx, &c, &id),
        Target::Child(..)
        | Target::Sources(..)
        | Target::LastEstimate(..)
        | Target::Operations(_)
        | Target::Operation(..) => Ok(super::error::not_allowed(&method, "GET, HEAD")),
    }
}

fn list_cases(cx: &Ctx<'_>) -> Result<Response> {
    let items = lock(&cx.cases().data)
        .cases
        .iter()
        .map(|c| c.fields.clone())
        .collect();
    // The documented list carries @odata.count even without $count=true.
    cx.list(cx.context(""), cx.url(""), items, true)
}

fn get_case(cx: &Ctx<'_>, id: &str) -> Result<Response> {
    let mut data = lock(&cx.cases().data);
    let case = find_case(&mut data, id)?;
    Ok(entity(cx.context("/$entity"), &case.fields))
}

/// POST a case: 201 with it. As in the documented reply, a new case has no
/// `lastModifiedBy` or `closedBy` yet (null).
fn create_case(cx: &Ctx<'_>, body: &[u8]) -> Result<Response> {
    let o = body_object(body)?;
    only(
        &o,
        &["displayName", "description", "externalId"],
        "a new case",
    )?;
    let name = required(&o, "displayName")?;
    let s = cx.cases();
    let now = fmt_time(s.wall());
    let mut data = lock(&s.data);
    if data
        .cases
        .iter()
        .any(|c| c.fields["displayName"].as_str() == Some(name.as_str()))
    {
        return Err(GraphError::new(
            StatusCode::CONFLICT,
            "nameAlreadyExists",
            format!("A case named '{name}' already exists."),
        ));
    }
    let mut rng = s.next_rng(&mut data);
    let fields = json!({
        "description": text(&o, "description")?.unwrap_or_default(),
        "lastModifiedDateTime": now,
        "status": "active",
        "closedDateTime": null,
        "externalId": text(&o, "externalId")?.unwrap_or_default(),
        "id": uuid(&mut rng),
        "displayName": name,
        "createdDateTime": now,
        "lastModifiedBy": null,
        "closedBy": null,
    });
    data.cases.push(Case {
        fields: fields.clone(),
        custodians: Vec::new(),
        noncustodial: Vec::new(),
        searches: Vec::new(),
        review_sets: Vec::new(),
        legal_holds: Vec::new(),
        ops: Vec::new(),
    });
    Ok(created(entity(cx.context("/$entity"), &fields)))
}

fn update_case(cx: &Ctx<'_>, caller: &Caller, id: &str, body: &[u8]) -> Result<Response> {
    let o = body_object(body)?;
    only(
        &o,
        &["displayName", "description", "externalId"],
        "a case update",
    )?;
    if o.contains_key("displayName") {
        required(&o, "displayName")?;
    }
    for k in ["description", "externalId"] {
        text(&o, k)?;
    }
    let s = cx.cases();
    let now = fmt_time(s.wall());
    let mut data = lock(&s.data);
    let case = find_case(&mut data, id)?;
    for (k, v) in o {
        case.fields[k.as_str()] = if v.is_null() { json!("") } else { v };
    }
    case.fields["lastModifiedDateTime"] = json!(now);
    case.fields["lastModifiedBy"] = caller_set(caller);
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `close` from `active` (or `closedWithError`, to try again); `reopen` from `closed` or
/// `closedWithError`. Graph documents neither refusal; asked to close a case that is not
/// open, or reopen one that is not closed, the emulator answers 400 `invalidRequest`, the
/// code Graph gives requests that conflict with the resource's state.
fn close_or_reopen(cx: &Ctx<'_>, caller: &Caller, id: &str, close: bool) -> Result<Response> {
    let s = cx.cases();
    let now = fmt_time(s.wall());
    let mut data = lock(&s.data);
    let case = find_case(&mut data, id)?;
    let status = case.status().to_owned();
    let from: &[&str] = if close {
        &["active", "closedWithError"]
    } else {
        &["closed", "closedWithError"]
    };
    if !from.contains(&status.as_str()) {
        return Err(GraphError::bad_request(if close {
            format!("The case cannot be closed: it is {status}.")
        } else {
            format!("The case cannot be reopened: it is {status}.")
        }));
    }
    let who = caller_set(caller);
    if close {
        case.fields["status"] = json!("closed");
        case.fields["closedBy"] = who.clone();
        case.fields["closedDateTime"] = json!(now);
    } else {
        case.fields["status"] = json!("active");
        case.fields["closedBy"] = nobody();
        case.fields["closedDateTime"] = Value::Null;
    }
    case.fields["lastModifiedBy"] = who;
    case.fields["lastModifiedDateTime"] = json!(now);
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn children(case: &Case, k: Kind) -> Vec<Value> {
    match k {
        Kind::Custodians => case.custodians.iter().map(|c| c.fields.clone()).collect(),
        Kind::Noncustodial => case.noncustodial.clone(),
        Kind::Searches => case.searches.iter().map(|s| s.fields.clone()).collect(),
        Kind::ReviewSets => case.review_sets.clone(),
        Kind::LegalHolds => case.legal_holds.clone(),
    }
}

fn list_children(cx: &Ctx<'_>, c: &str, k: Kind) -> Result<Response> {
    let items = {
        let mut data = lock(&cx.cases().data);
        children(find_case(&mut data, c)?, k)
    };
    cx.list(
        cx.context(&format!("('{c}')/{}", k.name())),
        cx.url(&format!("/{c}/{}", k.name())),
        items,
        false,
    )
}

fn get_child(cx: &Ctx<'_>, c: &str, k: Kind, id: &str) -> Result<Response> {
    let now = cx.cases().clock.now();
    let mut data = lock(&cx.cases().data);
    let case = find_case(&mut data, c)?;
    let context = cx.context(&format!("('{c}')/{}/$entity", k.name()));
    if k == Kind::Searches {
        let s = case
            .searches
            .iter()
            .find(|s| s.fields["id"] == id)
            .ok_or_else(|| GraphError::item_not_found("ediscoverySearch", id))?;
        let mut item = s.fields.clone();
        if expands_last_estimate(cx.raw_query.as_deref()) {
            item["lastEstimateStatisticsOperation"] = s
                .last_estimate
                .as_ref()
                .and_then(|op| case.ops.iter().find(|o| &o.id == op))
                .map_or(Value::Null, |o| o.to_json(now));
        }
        return Ok(entity(context, &item));
    }
    let item = children(case, k)
        .into_iter()
        .find(|v| v["id"] == id)
        .ok_or_else(|| GraphError::item_not_found(k.name(), id))?;
    Ok(entity(context, &item))
}

fn list_sources(cx: &Ctx<'_>, c: &str, id: &str, sk: SourceKind) -> Result<Response> {
    let items = {
        let mut data = lock(&cx.cases().data);
        let case = find_case(&mut data, c)?;
        let cu = case
            .custodians
            .iter()
            .find(|x| x.fields["id"] == id)
            .ok_or_else(|| GraphError::item_not_found("ediscoveryCustodian", id))?;
        match sk {
            SourceKind::User => cu.user_sources.clone(),
            SourceKind::Site => cu.site_sources.clone(),
            SourceKind::Group => cu.group_sources.clone(),
        }
    };
    cx.list(
        cx.context(&format!("('{c}')/custodians('{id}')/{}", sk.name())),
        cx.url(&format!("/{c}/custodians/{id}/{}", sk.name())),
        items,
        false,
    )
}

fn display_for_email(email: &str) -> String {
    PEOPLE
        .iter()
        .find(|(_, e)| e.eq_ignore_ascii_case(email))
        .map_or_else(
            || email.split('@').next().unwrap_or(email).to_owned(),
            |(n, _)| (*n).to_owned(),
        )
}

fn valid_email(email: &str) -> bool {
    let mut parts = email.split('@');
    matches!((parts.next(), parts.next(), parts.next()), (Some(l), Some(d), None) if !l.is_empty() && d.contains('.'))
}

fn create_child(cx: &Ctx<'_>, caller: &Caller, c: &str, k: Kind, body: &[u8]) -> Result<Response> {
    let o = body_object(body)?;
    let s = cx.cases();
    let now = fmt_time(s.wall());
    let who = caller_set(caller);
    let mut data = lock(&s.data);
    let mut rng = s.next_rng(&mut data);
    let case = find_case(&mut data, c)?;
    require_active(case)?;
    let item = match k {
        Kind::Custodians => {
            only(&o, &["email"], "a new custodian")?;
            let email = required(&o, "email")?;
            if !valid_email(&email) {
                return Err(GraphError::bad_request(format!(
                    "'{email}' is not an email address"
                )));
            }
            if case.custodians.iter().any(|x| {
                x.fields["email"]
                    .as_str()
                    .is_some_and(|e| e.eq_ignore_ascii_case(&email))
            }) {
                return Err(GraphError::new(
                    StatusCode::CONFLICT,
                    "nameAlreadyExists",
                    format!("{email} is already a custodian of this case."),
                ));
            }
            let fields = json!({
                "status": "active",
                "holdStatus": "applied",
                "createdDateTime": now,
                "lastModifiedDateTime": now,
                "releasedDateTime": null,
                "id": hex32(&mut rng),
                "displayName": display_for_email(&email),
                "email": email,
                "acknowledgedDateTime": UNSET_DATE,
            });
            case.custodians.push(Custodian {
                fields: fields.clone(),
                user_sources: Vec::new(),
                site_sources: Vec::new(),
                group_sources: Vec::new(),
            });
            fields
        }
        Kind::Noncustodial => {
            only(&o, &["dataSource"], "a new non-custodial data source")?;
            let ds = o
                .get("dataSource")
                .and_then(Value::as_object)
                .ok_or_else(|| GraphError::bad_request("dataSource is required"))?;
            let name = if let Some(email) = ds.get("email").and_then(Value::as_str) {
                display_for_email(email)
            } else if let Some(url) = ds
                .get("site")
                .and_then(|s| s.get("webUrl"))
                .and_then(Value::as_str)
            {
                url.trim_end_matches('/')
                    .rsplit('/')
                    .next()
                    .unwrap_or(url)
                    .replace('-', " - ")
            } else {
                return Err(GraphError::bad_request(
                    "dataSource must be a userSource with email or a siteSource with site.webUrl",
                ));
            };
            let fields = json!({
                "status": "active",
                "holdStatus": "notApplied",
                "createdDateTime": now,
                "lastModifiedDateTime": now,
                "releasedDateTime": UNSET_DATE,
                "id": hex32(&mut rng),
                "displayName": name,
            });
            case.noncustodial.push(fields.clone());
            fields
        }
        Kind::Searches => {
            only(
                &o,
                &[
                    "displayName",
                    "description",
                    "contentQuery",
                    "dataSourceScopes",
                    "custodianSources@odata.bind",
                    "noncustodialSources@odata.bind",
                ],
                "a new search",
            )?;
            let name = required(&o, "displayName")?;
            for k in [
                "custodianSources@odata.bind",
                "noncustodialSources@odata.bind",
            ] {
                if let Some(v) = o.get(k)
                    && !v.as_array().is_some_and(|a| a.iter().all(Value::is_string))
                {
                    return Err(GraphError::bad_request(format!(
                        "{k} must be an array of URLs"
                    )));
                }
            }
            let scopes = text(&o, "dataSourceScopes")?.unwrap_or_else(|| "none".to_owned());
            let fields = json!({
                "dataSourceScopes": scopes,
                "description": text(&o, "description")?.unwrap_or_default(),
                "lastModifiedDateTime": now,
                "contentQuery": text(&o, "contentQuery")?.unwrap_or_default(),
                "id": uuid(&mut rng),
                "displayName": name,
                "createdDateTime": now,
                "lastModifiedBy": null,
                "createdBy": who,
            });
            case.searches.push(Search {
                fields: fields.clone(),
                last_estimate: None,
            });
            fields
        }
        Kind::ReviewSets => {
            only(&o, &["displayName"], "a new review set")?;
            let fields = json!({
                "displayName": required(&o, "displayName")?,
                "id": uuid(&mut rng),
                "createdDateTime": now,
                "createdBy": who,
            });
            case.review_sets.push(fields.clone());
            fields
        }
        Kind::LegalHolds => {
            only(
                &o,
                &[
                    "displayName",
                    "description",
                    "contentQuery",
                    "userSources@odata.bind",
                    "siteSources@odata.bind",
                ],
                "a new legal hold",
            )?;
            let fields = json!({
                "isEnabled": true,
                "errors": [],
                "description": text(&o, "description")?.unwrap_or_default(),
                "createdDateTime": now,
                "lastModifiedDateTime": now,
                "status": "pending",
                "id": uuid(&mut rng),
                "displayName": required(&o, "displayName")?,
                "createdBy": who.clone(),
                "lastModifiedBy": who,
            });
            case.legal_holds.push(fields.clone());
            fields
        }
    };
    Ok(created(entity(
        cx.context(&format!("('{c}')/{}/$entity", k.name())),
        &item,
    )))
}

fn estimate(cx: &Ctx<'_>, caller: &Caller, c: &str, search: &str) -> Result<Response> {
    let s = cx.cases();
    let started = s.clock.now();
    let wall = s.wall();
    let who = caller_set(caller);
    let mut data = lock(&s.data);
    let mut rng = s.next_rng(&mut data);
    let case = find_case(&mut data, c)?;
    require_active(case)?;
    let i = case
        .searches
        .iter()
        .position(|x| x.fields["id"] == search)
        .ok_or_else(|| GraphError::item_not_found("ediscoverySearch", search))?;
    let id = estimate_id(wall, &mut rng);
    case.ops.push(Op {
        id: id.clone(),
        action: "estimateStatistics",
        created: wall,
        created_by: who,
        progress: Progress::Live {
            started,
            duration: s.config.estimate_duration,
            fail: s.take_fail(),
        },
        counts: Counts::generate(&mut rng),
    });
    case.searches[i].last_estimate = Some(id.clone());
    let location = format!(
        "{}/{}/security/cases/ediscoveryCases('{c}')/operations('{id}')",
        cx.origin,
        cx.version.as_str()
    );
    let mut r = StatusCode::ACCEPTED.into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        r.headers_mut().insert(LOCATION, v);
    }
    Ok(r)
}

fn last_estimate(cx: &Ctx<'_>, c: &str, search: &str) -> Result<Response> {
    let now = cx.cases().clock.now();
    let mut data = lock(&cx.cases().data);
    let case = find_case(&mut data, c)?;
    let s = case
        .searches
        .iter()
        .find(|x| x.fields["id"] == search)
        .ok_or_else(|| GraphError::item_not_found("ediscoverySearch", search))?;
    let op = s
        .last_estimate
        .as_ref()
        .and_then(|id| case.ops.iter().find(|o| &o.id == id))
        .ok_or_else(|| {
            GraphError::item_not_found(
                "ediscoveryEstimateOperation",
                "lastEstimateStatisticsOperation",
            )
        })?;
    Ok(entity(
        cx.context(&format!(
            "('{c}')/searches('{search}')/lastEstimateStatisticsOperation/$entity"
        )),
        &op.to_json(now),
    ))
}

fn list_operations(cx: &Ctx<'_>, c: &str) -> Result<Response> {
    let now = cx.cases().clock.now();
    let items = {
        let mut data = lock(&cx.cases().data);
        let case = find_case(&mut data, c)?;
        case.ops.iter().map(|o| o.to_json(now)).collect()
    };
    cx.list(
        cx.context(&format!("('{c}')/operations")),
        cx.url(&format!("/{c}/operations")),
        items,
        false,
    )
}

/// An estimate's id: its start (Unix seconds) then 64 random bits, 32 hex digits like the
/// other ids. Graph keeps operations when a client goes away; the emulator keeps them
/// across its own restarts (the demo's is new each run) by reading the start back out of
/// the id, so a console resumed after a restart finds its estimate.
fn estimate_id(started: OffsetDateTime, rng: &mut Rng) -> String {
    format!(
        "{:016x}{:016x}",
        started.unix_timestamp().max(0) as u64,
        rng.next_u64()
    )
}

/// The estimate an earlier run of the emulator started, rebuilt from its id: running or
/// finished as the time since its start says. `None` for an id that is not such an
/// estimate (or older than a day).
fn restored_estimate(s: &CasesState, id: &str) -> Option<Op> {
    if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let start = i64::try_from(u64::from_str_radix(&id[..16], 16).ok()?).ok()?;
    let started = OffsetDateTime::from_unix_timestamp(start).ok()?;
    let wall = s.wall();
    let elapsed = wall - started;
    if elapsed.is_negative() || elapsed > time::Duration::days(1) {
        return None;
    }
    let elapsed = Duration::try_from(elapsed).ok()?;
    let duration = s.config.estimate_duration;
    let clock = s.clock.now();
    let progress = if elapsed >= duration {
        Progress::Done {
            status: "succeeded",
            completed: started + time::Duration::try_from(duration).unwrap_or_default(),
        }
    } else if let Some(started) = clock.checked_sub(elapsed) {
        Progress::Live {
            started,
            duration,
            fail: false,
        }
    } else {
        // It began before this run's clock started.
        Progress::Resumed {
            before: elapsed - clock,
            duration,
        }
    };
    let mut rng = Rng::new(mix64(s.seed ^ u64::from_str_radix(&id[16..], 16).ok()?));
    Some(Op {
        id: id.to_owned(),
        action: "estimateStatistics",
        created: started,
        created_by: nobody(),
        progress,
        counts: Counts::generate(&mut rng),
    })
}

fn get_operation(cx: &Ctx<'_>, c: &str, id: &str) -> Result<Response> {
    let now = cx.cases().clock.now();
    let restored = restored_estimate(cx.cases(), id);
    let mut data = lock(&cx.cases().data);
    let case = find_case(&mut data, c)?;
    if !case.ops.iter().any(|o| o.id == id)
        && let Some(op) = restored
    {
        case.ops.push(op);
    }
    let op = case
        .ops
        .iter()
        .find(|o| o.id == id)
        .ok_or_else(|| GraphError::item_not_found("caseOperation", id))?;
    Ok(entity(
        cx.context(&format!("('{c}')/operations/$entity")),
        &op.to_json(now),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn limiter_admits_five_a_window_then_says_when_a_slot_frees() {
        let mut l = RateLimiter::new(5, 60 * S);
        for t in 0..5 {
            assert_eq!(l.check("a", t * 10 * S), Ok(()));
        }
        // The sixth, at 45 s, waits for the first (at 0 s) to leave the window.
        assert_eq!(l.check("a", 45 * S), Err(15 * S));
        // Other tokens have their own window.
        assert_eq!(l.check("b", 45 * S), Ok(()));
        // A refused request takes no slot: at 60 s the first has left, one slot frees.
        assert_eq!(l.check("a", 60 * S), Ok(()));
        assert_eq!(l.check("a", 61 * S), Err(9 * S));
        assert_eq!(l.check("a", 70 * S), Ok(()));
        // Off when the limit is 0.
        let mut off = RateLimiter::new(0, 60 * S);
        assert!((0..100).all(|_| off.check("a", Duration::ZERO).is_ok()));
    }

    #[test]
    fn an_estimate_from_an_earlier_run_is_rebuilt_from_its_id() {
        let s = CasesState::new(7, OffsetDateTime::now_utc(), CasesConfig::default());
        let wall = s.wall();
        let mut rng = Rng::new(1);
        // Started 5 s ago by an earlier emulator: still running, 15 s to go.
        let running = estimate_id(wall - time::Duration::seconds(5), &mut rng);
        let op = restored_estimate(&s, &running).expect("rebuilt");
        let (p, completed) = op.phase(s.clock.now());
        assert!(!p.is_done(), "{p:?}");
        assert_eq!(completed, None);
        // 5-6 s of its 20 s had passed (the id keeps whole seconds): past the queued
        // first tenth and well into running, not a fresh start.
        assert!((10..=40).contains(&p.percent()), "{p:?}");
        let (p, _) = op.phase(s.clock.now() + 16 * S);
        assert!(p.is_done(), "{p:?}");
        // Started a minute ago: finished, with its counts.
        let done = estimate_id(wall - time::Duration::minutes(1), &mut rng);
        let op = restored_estimate(&s, &done).expect("rebuilt");
        assert_eq!(op.phase(s.clock.now()).0, Phase::Succeeded);
        assert!(op.counts.indexed_items > 0);
        // Anything else is unknown: a random id, a future start, one older than a day.
        assert!(restored_estimate(&s, &hex32(&mut rng)).is_none());
        let future = estimate_id(wall + time::Duration::minutes(5), &mut rng);
        assert!(restored_estimate(&s, &future).is_none());
        let old = estimate_id(wall - time::Duration::days(2), &mut rng);
        assert!(restored_estimate(&s, &old).is_none());
        assert!(restored_estimate(&s, "op-1").is_none());
    }

    #[test]
    fn estimate_progress_queues_rises_and_finishes() {
        let d = 20 * S;
        assert_eq!(phase(Duration::ZERO, d, false), Phase::NotStarted);
        assert_eq!(phase(S, d, false), Phase::NotStarted);
        let mut last = 0;
        for t in 2..20 {
            let p = phase(t * S, d, false);
            assert_eq!(p.status(), "running", "at {t} s");
            assert!(p.percent() >= last && (1..=99).contains(&p.percent()));
            last = p.percent();
        }
        assert!(last > 90);
        assert_eq!(phase(d, d, false), Phase::Succeeded);
        assert_eq!(phase(10 * d, d, false).percent(), 100);
        // A failing estimate runs like any other until half-way, then fails there.
        assert_eq!(phase(5 * S, d, true), phase(5 * S, d, false));
        let failed = phase(10 * S, d, true);
        assert_eq!(failed.status(), "failed");
        assert_eq!(failed, phase(100 * S, d, true));
        assert!(failed.is_done() && (1..=99).contains(&failed.percent()));
    }

    #[test]
    fn demo_cases_cover_every_status_with_consistent_dates() {
        let s = CasesState::new(7, datetime!(2026-11-26 12:00 UTC), CasesConfig::default());
        let data = lock(&s.data);
        assert_eq!(data.cases.len(), DEMO_CASES);
        for status in [
            "active",
            "pendingDelete",
            "closing",
            "closed",
            "closedWithError",
            "unknown",
        ] {
            assert!(data.cases.iter().any(|c| c.status() == status), "{status}");
        }
        for c in &data.cases {
            let closed = c.fields["closedDateTime"].as_str();
            match c.status() {
                "closed" | "closedWithError" | "pendingDelete" => {
                    assert!(closed.is_some() && c.fields["closedBy"]["user"]["displayName"] != "");
                    assert!(closed > c.fields["createdDateTime"].as_str());
                }
                _ => assert!(closed.is_none(), "{}", c.status()),
            }
        }
        // Generation is deterministic.
        let again = CasesState::new(7, datetime!(2026-11-26 12:00 UTC), CasesConfig::default());
        assert_eq!(lock(&again.data).cases[3].fields, data.cases[3].fields);
    }

    #[test]
    fn paths_take_keys_both_ways_and_legal_holds_only_on_beta() {
        let t = |p: &str| {
            let (v, s) = segments(p).unwrap();
            target(v, &s)
        };
        assert_eq!(t("/v1.0/security/cases/ediscoveryCases"), Target::Cases);
        assert_eq!(
            t("/v1.0/security/cases/ediscoveryCases('a')/operations('b')"),
            Target::Operation("a".into(), "b".into())
        );
        assert_eq!(
            t("/v1.0/security/cases/eDiscoverycases/a/noncustodialdatasources"),
            Target::Children("a".into(), Kind::Noncustodial)
        );
        assert_eq!(
            t("/v1.0/security/cases/ediscoveryCases/a/microsoft.graph.security.close"),
            Target::Close("a".into())
        );
        assert_eq!(
            t("/beta/security/cases/ediscoveryCases/a/legalHolds"),
            Target::Children("a".into(), Kind::LegalHolds)
        );
        assert_eq!(
            t("/v1.0/security/cases/ediscoveryCases/a/legalHolds"),
            Target::Unknown("legalHolds".into())
        );
        assert_eq!(
            t(
                "/v1.0/security/cases/ediscoveryCases/a/searches/s/microsoft.graph.security.estimateStatistics"
            ),
            Target::Estimate("a".into(), "s".into())
        );
        assert_eq!(classify("/v1.0/security/alerts_v2"), None);
        assert_eq!(
            classify("/beta/security/cases/ediscoveryCases/a/operations"),
            Some(Route::EdiscoveryOperations)
        );
    }
}
