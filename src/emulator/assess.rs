//! Threat assessment requests (surface.md §9): `/v1.0/informationProtection/threatAssessmentRequests`
//! (list, get, `/results`, POST), generated from the seed plus whatever is submitted while
//! serving.
//!
//! Routes: `GET` the collection (default order `createdDateTime desc`; `$orderby`,
//! `$filter` with `eq` on `contentType`, `status`, `category`, `requestSource` joined by
//! `and`; `$top` (default `--page-size`, at most [`MAX_PAGE`]), `$select`, `$expand=results`,
//! and an absolute `@odata.nextLink` with an opaque `$skiptoken`); `GET .../{id}` (with
//! `$expand=results`, `$select`); `GET .../{id}/results`; `POST` the collection. Nothing else
//! is documented, so other methods answer 405. Segment names match in any case.
//!
//! POST validation (each failure is `400 invalidRequest` naming the property): the body must
//! be a JSON object of at most [`MAX_BODY`] bytes (else `413`); `@odata.type` one of the four
//! kinds; `expectedAssessment` `block` or `unblock`; `category` `spam`, `phishing` or
//! `malware` (`undefined` and `unknownFutureValue` are members of the enum but say nothing
//! Microsoft could assess, so the emulator refuses them); per kind: mail needs
//! `recipientEmail` and a Graph message URL in `messageUri` (`.../users/{id}/messages/{id}`
//! or `.../me/messages/{id}`); emailFile needs `recipientEmail` and base64 `contentData`;
//! file needs `fileName` and base64 `contentData`; url needs an absolute http(s) `url`. A
//! property the kind does not have, or one the service sets (`status`, `id`, ...), is refused.
//!
//! Lifecycle: a new request is `pending`; [`AssessConfig::duration`] / 5 after it was made it
//! gets its `checkPolicy` result, and at [`AssessConfig::duration`] its `rescan` verdict and
//! status `completed`. The state is computed from the creation time on the assessment clock
//! (real time plus what tests moved it on by: [`super::Controls::advance_assessment_clock`]),
//! so no task runs in the background.
//!
//! Verdicts are a pure function of the content, decided when the request is made:
//! - url: host or path (lower-cased) contains `phish`, `login` or `verify` -> `Phishing`,
//!   else `No threats found`;
//! - file: the bytes contain the EICAR test string -> `Malware`, else `No threats found`;
//! - emailFile: EICAR -> `Malware`; else `phish`, `login` or `verify` anywhere in the
//!   (lower-cased) message -> `Phishing`; else `spam` -> `Spam`; else `Not Spam`;
//! - mail (only the message id is known): the id contains `phish` -> `Phishing`, `spam` ->
//!   `Spam`, else `Not Spam`.
//!
//! The `checkPolicy` result is `No policy was hit.` unless the content meets one of the demo
//! tenant's policies: a url host containing `blocked` (the tenant block list), or a file name
//! ending in an executable extension (the common attachment types filter).
//!
//! Throttling (surface.md §1.5, POST only, on requests that passed validation): per tenant
//! [`AssessConfig::tenant_per_15_min`] and [`AssessConfig::tenant_per_day`]; per resource
//! [`AssessConfig::resource_per_15_min`] and [`AssessConfig::resource_per_day`], where the
//! resource is the message id and recipient pair for a mail, the URL for a url, and the
//! SHA-256 of the decoded content for a file or an emailFile. Over a limit the answer is
//! `429 activityLimitReached` naming the limit, with `Retry-After` in whole seconds until
//! every limit that refused has room again. Only accepted requests fill the windows.

use super::assess_query::{Shape, parse_query};
use super::auth;
use super::cases::{Clock, RateLimiter, lock, uuid};
use super::error::GraphError;
use super::faults::Route;
use super::generate::{Rng, mix64};
use super::json::fmt_time;
use super::server::{AppState, Caller};
use axum::Extension;
use axum::body::Body;
use axum::extract::State;
use axum::http::header::{HeaderValue, RETRY_AFTER};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::{Map, Value, json};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use time::OffsetDateTime;

type Result<T> = std::result::Result<T, GraphError>;

/// How long an assessment takes when nothing else is configured.
pub const DEFAULT_DURATION: Duration = Duration::from_secs(10);
/// Graph's request size limit (4 MB); a larger POST body answers 413.
pub const MAX_BODY: usize = 4 * 1024 * 1024;
/// Largest page served, whatever `$top` asks (the docs name no maximum).
pub const MAX_PAGE: usize = 100;
/// Requests in the generated tenant.
pub const DEMO_REQUESTS: usize = 11;
/// The EICAR anti-virus test string: a file holding it is judged `Malware`.
pub const EICAR: &str = r"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";
/// The short throttling window.
pub const FIFTEEN_MINUTES: Duration = Duration::from_secs(15 * 60);
/// The long throttling window.
pub const ONE_DAY: Duration = Duration::from_secs(24 * 60 * 60);

const COLLECTION: &str = "informationProtection/threatAssessmentRequests";

/// The threat assessment switches of [`super::EmulatorConfig`]. A limit of 0 is off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssessConfig {
    /// From submission to `completed`.
    pub duration: Duration,
    /// POSTs per tenant in any 15 minutes (Graph: 150).
    pub tenant_per_15_min: u32,
    /// POSTs per tenant in any 24 hours (Graph: 10,000).
    pub tenant_per_day: u32,
    /// POSTs per resource in any 15 minutes (Graph: 1).
    pub resource_per_15_min: u32,
    /// POSTs per resource in any 24 hours (Graph: 3).
    pub resource_per_day: u32,
}

impl Default for AssessConfig {
    fn default() -> Self {
        AssessConfig {
            duration: DEFAULT_DURATION,
            tenant_per_15_min: 150,
            tenant_per_day: 10_000,
            resource_per_15_min: 1,
            resource_per_day: 3,
        }
    }
}

/// What the assessment routes have counted, for tests and reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AssessCounters {
    /// POSTs that created a request (201).
    pub accepted: u64,
    /// POSTs refused by a per-tenant limit.
    pub throttled_tenant: u64,
    /// POSTs refused by a per-resource limit (and no tenant limit).
    pub throttled_resource: u64,
}

/// The four request kinds (`@odata.type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Mail,
    EmailFile,
    File,
    Url,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Mail, Kind::EmailFile, Kind::File, Kind::Url];

    /// The CSDL type name without namespace.
    pub fn type_name(self) -> &'static str {
        match self {
            Kind::Mail => "mailAssessmentRequest",
            Kind::EmailFile => "emailFileAssessmentRequest",
            Kind::File => "fileAssessmentRequest",
            Kind::Url => "urlAssessmentRequest",
        }
    }

    /// `contentType` of a request of this kind.
    pub fn content_type(self) -> &'static str {
        match self {
            Kind::Mail | Kind::EmailFile => "mail",
            Kind::File => "file",
            Kind::Url => "url",
        }
    }

    /// The kind-specific properties, in the documented order.
    pub fn properties(self) -> &'static [&'static str] {
        match self {
            Kind::Mail => &["recipientEmail", "destinationRoutingReason", "messageUri"],
            Kind::EmailFile => &["recipientEmail", "destinationRoutingReason", "contentData"],
            Kind::File => &["fileName", "contentData"],
            Kind::Url => &["url"],
        }
    }

    /// From `#microsoft.graph.{type}` (the `#` may be left out).
    fn from_odata_type(t: &str) -> Option<Kind> {
        let name = t.strip_prefix('#').unwrap_or(t);
        let name = name.strip_prefix("microsoft.graph.")?;
        Kind::ALL
            .into_iter()
            .find(|k| k.type_name().eq_ignore_ascii_case(name))
    }
}

/// Properties every request has, in the documented order; the service sets all but
/// `category` and `expectedAssessment`.
pub(super) const BASE: [&str; 9] = [
    "id",
    "createdDateTime",
    "contentType",
    "expectedAssessment",
    "category",
    "status",
    "requestSource",
    "createdBy",
    "results",
];

const ROUTING_REASONS: [&str; 16] = [
    "none",
    "mailFlowRule",
    "safeSender",
    "blockedSender",
    "advancedSpamFiltering",
    "domainAllowList",
    "domainBlockList",
    "notInAddressBook",
    "firstTimeSender",
    "autoPurgeToInbox",
    "autoPurgeToJunk",
    "autoPurgeToDeleted",
    "outbound",
    "notJunk",
    "junk",
    "unknownFutureValue",
];

/// What the service will answer about a request, decided from its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The `checkPolicy` result's message.
    pub policy: String,
    /// The `rescan` result's message.
    pub rescan: String,
}

const NO_POLICY: &str = "No policy was hit.";
const BLOCK_LIST: &str = "Policy hit: Tenant Allow/Block List (blocked URL).";
const ATTACHMENT_FILTER: &str = "Policy hit: Common attachment types filter.";
const EXECUTABLE: [&str; 8] = [
    ".exe", ".js", ".vbs", ".scr", ".bat", ".cmd", ".ps1", ".jar",
];

fn contains_any(hay: &str, needles: &[&str]) -> bool {
    needles.iter().any(|n| hay.contains(n))
}

fn bytes_contain(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// The verdict on a URL (see the module doc).
pub fn url_verdict(url: &url::Url) -> Verdict {
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    let path = url.path().to_ascii_lowercase();
    let lure = ["phish", "login", "verify"];
    Verdict {
        policy: if host.contains("blocked") {
            BLOCK_LIST
        } else {
            NO_POLICY
        }
        .to_owned(),
        rescan: if contains_any(&host, &lure) || contains_any(&path, &lure) {
            "Phishing"
        } else {
            "No threats found"
        }
        .to_owned(),
    }
}

/// The verdict on a file's bytes (see the module doc).
pub fn file_verdict(name: &str, bytes: &[u8]) -> Verdict {
    let lower = name.to_ascii_lowercase();
    Verdict {
        policy: if EXECUTABLE.iter().any(|e| lower.ends_with(e)) {
            ATTACHMENT_FILTER
        } else {
            NO_POLICY
        }
        .to_owned(),
        rescan: if bytes_contain(bytes, EICAR.as_bytes()) {
            "Malware"
        } else {
            "No threats found"
        }
        .to_owned(),
    }
}

/// The verdict on an uploaded message (.eml bytes).
pub fn email_file_verdict(bytes: &[u8]) -> Verdict {
    let text = String::from_utf8_lossy(bytes).to_ascii_lowercase();
    let rescan = if bytes_contain(bytes, EICAR.as_bytes()) {
        "Malware"
    } else if contains_any(&text, &["phish", "login", "verify"]) {
        "Phishing"
    } else if text.contains("spam") {
        "Spam"
    } else {
        "Not Spam"
    };
    Verdict {
        policy: NO_POLICY.to_owned(),
        rescan: rescan.to_owned(),
    }
}

/// The verdict on a mailbox message known only by its id.
pub fn mail_verdict(message_id: &str) -> Verdict {
    let id = message_id.to_ascii_lowercase();
    let rescan = if id.contains("phish") {
        "Phishing"
    } else if id.contains("spam") {
        "Spam"
    } else {
        "Not Spam"
    };
    Verdict {
        policy: NO_POLICY.to_owned(),
        rescan: rescan.to_owned(),
    }
}

#[derive(Debug)]
struct Limits {
    tenant_15: RateLimiter,
    tenant_day: RateLimiter,
    resource_15: RateLimiter,
    resource_day: RateLimiter,
}

#[derive(Debug, Clone)]
enum Progress {
    /// Finished before the emulator started: results at these times.
    Done {
        policy_at: OffsetDateTime,
        rescan_at: OffsetDateTime,
    },
    /// Pending or finishing while served: its phase follows the clock. `started` is the
    /// clock's reading when it was served first, `before` how old it was then (0 for one
    /// submitted while serving), `duration` from its creation to its verdict.
    Live {
        started: Duration,
        before: Duration,
        duration: Duration,
    },
}

#[derive(Debug, Clone)]
struct Assessment {
    id: String,
    kind: Kind,
    created: OffsetDateTime,
    category: String,
    expected: String,
    source: &'static str,
    created_by: Value,
    /// Kind-specific properties as they are served.
    fields: Map<String, Value>,
    verdict: Verdict,
    progress: Progress,
    result_ids: [String; 2],
}

/// A result as served: `(id, createdDateTime, resultType, message)`.
type ResultRow<'a> = (&'a str, OffsetDateTime, &'static str, &'a str);

impl Assessment {
    /// Results so far, oldest first, and whether the request is completed.
    fn results(&self, now: Duration) -> (Vec<ResultRow<'_>>, bool) {
        let (policy_at, rescan_at, policy_done, rescan_done) = match &self.progress {
            Progress::Done {
                policy_at,
                rescan_at,
            } => (*policy_at, *rescan_at, true, true),
            Progress::Live {
                started,
                before,
                duration,
            } => {
                let elapsed = now.saturating_sub(*started) + *before;
                let policy_after = *duration / 5;
                let at =
                    |d: Duration| self.created + time::Duration::try_from(d).unwrap_or_default();
                (
                    at(policy_after),
                    at(*duration),
                    elapsed >= policy_after,
                    elapsed >= *duration,
                )
            }
        };
        let mut out = Vec::new();
        if policy_done {
            out.push((
                self.result_ids[0].as_str(),
                policy_at,
                "checkPolicy",
                self.verdict.policy.as_str(),
            ));
        }
        if rescan_done {
            out.push((
                self.result_ids[1].as_str(),
                rescan_at,
                "rescan",
                self.verdict.rescan.as_str(),
            ));
        }
        (out, rescan_done)
    }

    fn status(&self, now: Duration) -> &'static str {
        if self.results(now).1 {
            "completed"
        } else {
            "pending"
        }
    }

    /// The value of a filterable or sortable base property.
    fn prop(&self, name: &str, now: Duration) -> String {
        match name {
            "contentType" => self.kind.content_type().to_owned(),
            "status" => self.status(now).to_owned(),
            "category" => self.category.clone(),
            "requestSource" => self.source.to_owned(),
            "expectedAssessment" => self.expected.clone(),
            "createdDateTime" => fmt_time(self.created),
            "id" => self.id.clone(),
            _ => String::new(),
        }
    }

    fn results_json(&self, now: Duration) -> Vec<Value> {
        self.results(now)
            .0
            .into_iter()
            .map(|(id, at, kind, message)| {
                json!({"id": id, "createdDateTime": fmt_time(at), "resultType": kind, "message": message})
            })
            .collect()
    }

    fn to_json(&self, now: Duration, shape: &Shape, origin: &str) -> Value {
        let mut o = Map::new();
        o.insert(
            "@odata.type".into(),
            json!(format!("#microsoft.graph.{}", self.kind.type_name())),
        );
        o.insert("id".into(), json!(self.id));
        let mut put = |k: &str, v: Value| {
            if shape.selects(k) {
                o.insert(k.to_owned(), v);
            }
        };
        put("createdDateTime", json!(fmt_time(self.created)));
        put("contentType", json!(self.kind.content_type()));
        put("expectedAssessment", json!(self.expected));
        put("category", json!(self.category));
        put("status", json!(self.status(now)));
        put("requestSource", json!(self.source));
        for k in self.kind.properties() {
            if let Some(v) = self.fields.get(*k) {
                put(k, v.clone());
            }
        }
        put("createdBy", self.created_by.clone());
        if shape.expand {
            o.insert(
                "results@odata.context".into(),
                json!(format!(
                    "{origin}/v1.0/$metadata#{COLLECTION}('{}')/microsoft.graph.{}/results",
                    self.id,
                    self.kind.type_name()
                )),
            );
            o.insert("results".into(), Value::Array(self.results_json(now)));
        }
        Value::Object(o)
    }
}

#[derive(Debug)]
struct Data {
    requests: Vec<Assessment>,
    /// Ids handed out while serving.
    issued: u64,
}

/// The threat assessment part of the tenant: its requests, clock, limits and counters.
#[derive(Debug)]
pub struct AssessState {
    seed: u64,
    /// The tenant's "now" when the emulator started.
    now: OffsetDateTime,
    config: AssessConfig,
    pub clock: Clock,
    data: Mutex<Data>,
    limits: Mutex<Limits>,
    accepted: AtomicU64,
    throttled_tenant: AtomicU64,
    throttled_resource: AtomicU64,
}

/// An `identitySet` naming a user by their sign-in name.
fn user_set(name: &str, upn: &str) -> Value {
    let mut r = Rng::new(mix64(
        upn.to_ascii_lowercase()
            .bytes()
            .fold(0x07a5_5e55, |h, b| mix64(h ^ u64::from(b))),
    ));
    json!({"user": {"id": uuid(&mut r), "displayName": name}})
}

/// The caller as an `identitySet`: the token's user, with a display name made from it.
fn caller_set(caller: &Caller) -> Value {
    let upn = auth::author(&caller.token);
    let name = match upn.split('@').next() {
        Some(local) if !local.is_empty() => local.replace(['.', '_'], " "),
        _ => upn.clone(),
    };
    user_set(&name, &upn)
}

impl AssessState {
    pub fn new(seed: u64, now: OffsetDateTime, config: AssessConfig) -> Self {
        let requests = seed_requests(seed, now, config.duration);
        AssessState {
            seed,
            now,
            limits: Mutex::new(Limits {
                tenant_15: RateLimiter::new(config.tenant_per_15_min, FIFTEEN_MINUTES),
                tenant_day: RateLimiter::new(config.tenant_per_day, ONE_DAY),
                resource_15: RateLimiter::new(config.resource_per_15_min, FIFTEEN_MINUTES),
                resource_day: RateLimiter::new(config.resource_per_day, ONE_DAY),
            }),
            config,
            clock: Clock::new(),
            data: Mutex::new(Data {
                requests,
                issued: 0,
            }),
            accepted: AtomicU64::new(0),
            throttled_tenant: AtomicU64::new(0),
            throttled_resource: AtomicU64::new(0),
        }
    }

    /// What the routes have counted so far.
    pub fn counters(&self) -> AssessCounters {
        AssessCounters {
            accepted: self.accepted.load(Ordering::SeqCst),
            throttled_tenant: self.throttled_tenant.load(Ordering::SeqCst),
            throttled_resource: self.throttled_resource.load(Ordering::SeqCst),
        }
    }

    /// The tenant's time now.
    fn wall(&self, now: Duration) -> OffsetDateTime {
        self.now + time::Duration::try_from(now).unwrap_or_default()
    }

    /// Checks every limit for a POST on `resource` at `now`; records it when all have room.
    fn admit(
        &self,
        resource: &str,
        kind: Kind,
        now: Duration,
    ) -> std::result::Result<(), Throttled> {
        let mut l = lock(&self.limits);
        let tenant = "tenant";
        let mut refused: Vec<(String, Duration)> = Vec::new();
        let c = &self.config;
        if let Some(w) = l.tenant_15.wait(tenant, now) {
            refused.push((
                format!(
                    "{} submissions per tenant in 15 minutes",
                    c.tenant_per_15_min
                ),
                w,
            ));
        }
        if let Some(w) = l.tenant_day.wait(tenant, now) {
            refused.push((
                format!("{} submissions per tenant in 24 hours", c.tenant_per_day),
                w,
            ));
        }
        let tenant_refused = !refused.is_empty();
        let what = match kind {
            Kind::Mail => "message and recipient",
            Kind::EmailFile | Kind::File => "content",
            Kind::Url => "URL",
        };
        if let Some(w) = l.resource_15.wait(resource, now) {
            refused.push((
                format!(
                    "{} submission(s) of the same {what} in 15 minutes",
                    c.resource_per_15_min
                ),
                w,
            ));
        }
        if let Some(w) = l.resource_day.wait(resource, now) {
            refused.push((
                format!(
                    "{} submission(s) of the same {what} in 24 hours",
                    c.resource_per_day
                ),
                w,
            ));
        }
        if refused.is_empty() {
            l.tenant_15.record(tenant, now);
            l.tenant_day.record(tenant, now);
            l.resource_15.record(resource, now);
            l.resource_day.record(resource, now);
            return Ok(());
        }
        if tenant_refused {
            self.throttled_tenant.fetch_add(1, Ordering::SeqCst);
        } else {
            self.throttled_resource.fetch_add(1, Ordering::SeqCst);
        }
        let wait = refused.iter().map(|(_, w)| *w).max().unwrap_or_default();
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let limits: Vec<&str> = refused.iter().map(|(l, _)| l.as_str()).collect();
        Err(Throttled {
            message: format!(
                "Threat assessment submission limit reached: {}. Retry after {secs} seconds.",
                limits.join("; ")
            ),
            retry_after: secs.max(1),
        })
    }
}

/// A refused POST: rendered as a 429 with `Retry-After`.
struct Throttled {
    message: String,
    retry_after: u64,
}

impl IntoResponse for Throttled {
    /// Graph's error body (rendered by the outer layer) with `Retry-After`.
    fn into_response(self) -> Response {
        let mut r = GraphError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "activityLimitReached",
            self.message,
        )
        .with_inner("throttledRequest")
        .into_response();
        r.headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(self.retry_after));
        r
    }
}

// ---- the generated requests --------------------------------------------------------

/// One seeded request: kind, category, expected, content fields, verdict, and whether it
/// is still pending when the emulator starts.
struct Seed {
    kind: Kind,
    category: &'static str,
    expected: &'static str,
    fields: Value,
    policy: &'static str,
    rescan: &'static str,
    pending: bool,
    by: (&'static str, &'static str),
}

const ADMIN: (&str, &str) = ("MOD Administrator", "admin@contoso.com");
const ANALYST: (&str, &str) = ("Isaiah Langer", "IsaiahL@contoso.com");

fn seeds() -> Vec<Seed> {
    let msg = |user: &str, id: &str| {
        format!("https://graph.microsoft.com/v1.0/users/{user}/messages/{id}")
    };
    vec![
        Seed {
            kind: Kind::Url,
            category: "phishing",
            expected: "block",
            fields: json!({"url": "https://login-verify.contoso-payroll.example/account/update"}),
            policy: NO_POLICY,
            rescan: "Phishing",
            pending: false,
            by: ADMIN,
        },
        Seed {
            kind: Kind::Mail,
            category: "spam",
            expected: "unblock",
            fields: json!({"recipientEmail": "AdeleV@contoso.com", "destinationRoutingReason": "junk",
                "messageUri": msg("5f1a7c9e-3b2d-4e8f-9a6c-1d2e3f4a5b6c", "AAMkAGQ0NjBmZjJlLTcxNTQtNDU3Ny1hNzMwLWVmY2EwNWM2OWFmNQBGAAA=")}),
            policy: NO_POLICY,
            rescan: "Not Spam",
            pending: false,
            by: ADMIN,
        },
        Seed {
            kind: Kind::File,
            category: "malware",
            expected: "block",
            fields: json!({"fileName": "invoice-2026-11.pdf.exe", "contentData": ""}),
            policy: ATTACHMENT_FILTER,
            rescan: "Malware",
            pending: false,
            by: ANALYST,
        },
        Seed {
            kind: Kind::EmailFile,
            category: "phishing",
            expected: "block",
            fields: json!({"recipientEmail": "MeganB@contoso.com", "destinationRoutingReason": "notJunk", "contentData": ""}),
            policy: NO_POLICY,
            rescan: "Phishing",
            pending: false,
            by: ADMIN,
        },
        Seed {
            kind: Kind::Url,
            category: "phishing",
            expected: "unblock",
            fields: json!({"url": "https://intranet.contoso.com/benefits/2027"}),
            policy: NO_POLICY,
            rescan: "No threats found",
            pending: false,
            by: ANALYST,
        },
        // Hostile strings, for the console's sanitising: a bidi override in a URL (the path
        // reads "exe.pdf" backwards) and escape sequences in a result message.
        Seed {
            kind: Kind::Url,
            category: "malware",
            expected: "block",
            fields: json!({"url": "https://files.fabrikam.example/download/invoice\u{202e}fdp.exe"}),
            policy: NO_POLICY,
            rescan: "No threats found",
            pending: false,
            by: ADMIN,
        },
        Seed {
            kind: Kind::File,
            category: "malware",
            expected: "block",
            fields: json!({"fileName": "quarterly-report.docm", "contentData": ""}),
            policy: "Policy hit: \u{1b}[31mQuarantine\u{1b}[0m rule \u{1b}]52;c;cm0gLXJmIH4=\u{7}(macro attachments).",
            rescan: "Malware",
            pending: false,
            by: ANALYST,
        },
        Seed {
            kind: Kind::EmailFile,
            category: "spam",
            expected: "block",
            fields: json!({"recipientEmail": "LeeG@contoso.com", "destinationRoutingReason": "safeSender", "contentData": ""}),
            policy: NO_POLICY,
            rescan: "Spam",
            pending: false,
            by: ADMIN,
        },
        Seed {
            kind: Kind::Mail,
            category: "phishing",
            expected: "block",
            fields: json!({"recipientEmail": "DiegoS@contoso.com", "destinationRoutingReason": "notJunk",
                "messageUri": msg("9c8b7a6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", "AAMkADhmNGE0phishMzQtYjBkZS00NmUyLWI5N2ItZGI0NzFkNWE2MWYxAEYAAA=")}),
            policy: NO_POLICY,
            rescan: "Phishing",
            pending: true,
            by: ANALYST,
        },
        Seed {
            kind: Kind::File,
            category: "malware",
            expected: "unblock",
            fields: json!({"fileName": "q4-forecast.xlsx", "contentData": ""}),
            policy: NO_POLICY,
            rescan: "No threats found",
            pending: true,
            by: ADMIN,
        },
        Seed {
            kind: Kind::Url,
            category: "phishing",
            expected: "block",
            fields: json!({"url": "http://blocked.verify-account.fabrikam.example/signin"}),
            policy: BLOCK_LIST,
            rescan: "Phishing",
            pending: true,
            by: ADMIN,
        },
    ]
}

fn seed_requests(seed: u64, now: OffsetDateTime, duration: Duration) -> Vec<Assessment> {
    let mut rng = Rng::new(mix64(seed ^ 0x7a55_e55e));
    let mut at = now - time::Duration::days(12);
    let seeds = seeds();
    let pending = seeds.iter().filter(|s| s.pending).count();
    let mut nth_pending = 0u32;
    let mut out = Vec::with_capacity(seeds.len());
    for s in seeds {
        let id = uuid(&mut rng);
        let result_ids = [uuid(&mut rng), uuid(&mut rng)];
        let progress = if s.pending {
            // Made in the last minutes, finishing one after another while served (so the
            // verdicts are dated when they really appear).
            nth_pending += 1;
            let age = Duration::from_secs(30 * u64::from(pending as u32 + 1 - nth_pending));
            at = now - time::Duration::try_from(age).unwrap_or_default();
            Progress::Live {
                started: Duration::ZERO,
                before: age,
                duration: age + duration * (nth_pending + 1),
            }
        } else {
            at += time::Duration::hours(6 + rng.below(30) as i64)
                + time::Duration::seconds(rng.below(3600) as i64);
            Progress::Done {
                policy_at: at + time::Duration::seconds(2),
                rescan_at: at + time::Duration::minutes(3 + rng.below(10) as i64),
            }
        };
        let Value::Object(fields) = s.fields else {
            continue;
        };
        out.push(Assessment {
            id,
            kind: s.kind,
            created: at,
            category: s.category.to_owned(),
            expected: s.expected.to_owned(),
            source: "administrator",
            created_by: user_set(s.by.0, s.by.1),
            fields,
            verdict: Verdict {
                policy: s.policy.to_owned(),
                rescan: s.rescan.to_owned(),
            },
            progress,
            result_ids,
        });
    }
    out
}

// ---- paths ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    Collection,
    Item(String),
    Results(String),
    Unknown(String),
}

fn is(seg: &str, name: &str) -> bool {
    seg.eq_ignore_ascii_case(name)
}

/// `/v1.0/informationProtection/threatAssessmentRequests/...` in any case: the segments
/// after the collection, percent-decoded (a key may also come as `('{id}')`).
fn target(path: &str) -> Option<Target> {
    let mut segs = path.split('/').filter(|s| !s.is_empty());
    if !is(segs.next()?, "v1.0") || !is(segs.next()?, "informationProtection") {
        return None;
    }
    let rest: Vec<String> = segs
        .map(|raw| {
            percent_encoding::percent_decode_str(raw)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect();
    let Some(first) = rest.first() else {
        return Some(Target::Unknown("informationProtection".to_owned()));
    };
    // threatAssessmentRequests('{id}') is the same as threatAssessmentRequests/{id}.
    let (coll, key) = match first.find('(') {
        Some(open) if first.ends_with(')') => {
            let k = &first[open + 1..first.len() - 1];
            let k = k
                .strip_prefix('\'')
                .and_then(|k| k.strip_suffix('\''))
                .unwrap_or(k);
            (&first[..open], Some(k.replace("''", "'")))
        }
        _ => (first.as_str(), None),
    };
    if !is(coll, "threatAssessmentRequests") {
        return Some(Target::Unknown(coll.to_owned()));
    }
    let mut tail: Vec<String> = key.into_iter().collect();
    tail.extend(rest[1..].iter().cloned());
    Some(match tail.as_slice() {
        [] => Target::Collection,
        [id] => Target::Item(id.clone()),
        [id, r] if is(r, "results") => Target::Results(id.clone()),
        [_, other, ..] => Target::Unknown(other.clone()),
    })
}

/// True when `path` belongs to the threat assessment routes (any case).
pub fn claims(path: &str) -> bool {
    target(path).is_some()
}

/// The counter class of a threat assessment path; `None` for any other path.
pub fn classify(path: &str) -> Option<Route> {
    Some(match target(path)? {
        Target::Collection => Route::AssessmentRequests,
        Target::Item(_) => Route::AssessmentRequest,
        Target::Results(_) => Route::AssessmentResults,
        Target::Unknown(_) => Route::Other,
    })
}

// ---- replies -------------------------------------------------------------------------

fn reply(status: StatusCode, body: &Value) -> Response {
    super::score::reply(status, body)
}

struct Ctx<'a> {
    state: &'a AssessState,
    origin: String,
    page_size: usize,
    token_key: u64,
}

impl Ctx<'_> {
    fn context(&self, rest: &str) -> String {
        format!("{}/v1.0/$metadata#{COLLECTION}{rest}", self.origin)
    }
}

/// Every request under `/v1.0/informationProtection` (in any case).
pub async fn dispatch(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let Some(target) = target(uri.path()) else {
        return Err(super::routes::unknown_path(uri).await);
    };
    let cx = Ctx {
        state: &state.assess,
        origin: state.origin(&headers),
        page_size: state.page_size.clamp(1, MAX_PAGE),
        token_key: state.token_key,
    };
    let get = method == Method::GET || method == Method::HEAD;
    let raw = uri.query();
    match target {
        Target::Unknown(seg) => Err(GraphError::new(
            StatusCode::BAD_REQUEST,
            "invalidRequest",
            format!("Resource not found for the segment '{seg}'."),
        )),
        Target::Collection if get => list(&cx, raw),
        Target::Collection if method == Method::POST => {
            let bytes = read_body(body).await?;
            create(&cx, &caller, &bytes)
        }
        Target::Collection => Ok(super::error::not_allowed(&method, "GET, HEAD, POST")),
        Target::Item(id) if get => get_one(&cx, &id, raw),
        Target::Results(id) if get => list_results(&cx, &id, raw),
        Target::Item(_) | Target::Results(_) => Ok(super::error::not_allowed(&method, "GET, HEAD")),
    }
}

/// The POST body, refused with 413 as soon as it passes Graph's 4 MB request limit (so an
/// oversized upload is never held whole), or 400 when it cannot be read.
async fn read_body(body: Body) -> Result<Vec<u8>> {
    use futures_util::StreamExt;
    let mut stream = body.into_data_stream();
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            GraphError::bad_request(format!("the request body could not be read: {e}"))
        })?;
        if out.len() + chunk.len() > MAX_BODY {
            return Err(too_large());
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

fn too_large() -> GraphError {
    GraphError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "requestEntityTooLarge",
        format!(
            "The request body is larger than the {} MB limit.",
            MAX_BODY / (1024 * 1024)
        ),
    )
}

fn list(cx: &Ctx<'_>, raw: Option<&str>) -> Result<Response> {
    let q = parse_query(raw, true)?;
    let after = q.resume_after(cx.token_key)?;
    let now = cx.state.clock.now();
    let data = lock(&cx.state.data);
    let mut items: Vec<&Assessment> = data
        .requests
        .iter()
        .filter(|a| {
            q.filter
                .iter()
                .all(|(p, v)| a.prop(p, now).eq_ignore_ascii_case(v))
        })
        .collect();
    items.sort_by(|a, b| {
        for (p, desc) in &q.order {
            let o = a.prop(p, now).cmp(&b.prop(p, now));
            let o = if *desc { o.reverse() } else { o };
            if o.is_ne() {
                return o;
            }
        }
        a.id.cmp(&b.id)
    });
    let start = match &after {
        None => 0,
        Some(id) => {
            items.iter().position(|a| &a.id == id).ok_or_else(|| {
                GraphError::bad_query(
                    "invalid $skiptoken: the item it resumes after no longer matches the query",
                )
            })? + 1
        }
    };
    let top = q.top.unwrap_or(cx.page_size);
    let end = start.saturating_add(top).min(items.len());
    let page = &items[start.min(end)..end];
    let mut o = Map::new();
    o.insert(
        "@odata.context".into(),
        json!(cx.context(if q.shape.expand { "(results())" } else { "" })),
    );
    if end < items.len()
        && let Some(last) = page.last()
    {
        let mut link = format!("{}/v1.0/{COLLECTION}?", cx.origin);
        for seg in &q.preserved {
            link.push_str(seg);
            link.push('&');
        }
        link.push_str("$skiptoken=");
        link.push_str(&q.skiptoken_for(cx.token_key, &last.id));
        o.insert("@odata.nextLink".into(), json!(link));
    }
    o.insert(
        "value".into(),
        Value::Array(
            page.iter()
                .map(|a| a.to_json(now, &q.shape, &cx.origin))
                .collect(),
        ),
    );
    Ok(reply(StatusCode::OK, &Value::Object(o)))
}

fn get_one(cx: &Ctx<'_>, id: &str, raw: Option<&str>) -> Result<Response> {
    let q = parse_query(raw, false)?;
    let now = cx.state.clock.now();
    let data = lock(&cx.state.data);
    let a = data
        .requests
        .iter()
        .find(|a| a.id == id)
        .ok_or_else(|| GraphError::item_not_found("threatAssessmentRequest", id))?;
    let mut o = Map::new();
    o.insert(
        "@odata.context".into(),
        json!(cx.context(if q.shape.expand {
            "(results())/$entity"
        } else {
            "/$entity"
        })),
    );
    if let Value::Object(rest) = a.to_json(now, &q.shape, &cx.origin) {
        o.extend(rest);
    }
    Ok(reply(StatusCode::OK, &Value::Object(o)))
}

fn list_results(cx: &Ctx<'_>, id: &str, raw: Option<&str>) -> Result<Response> {
    // A request has at most two results, so there is never a next page; `$top` and
    // `$select` are taken as on any collection.
    const RESULT_PROPS: [&str; 4] = ["id", "createdDateTime", "resultType", "message"];
    let mut top = usize::MAX;
    let mut select: Option<Vec<&str>> = None;
    for seg in raw.unwrap_or("").split('&').filter(|s| !s.is_empty()) {
        let Some((key, value)) = url::form_urlencoded::parse(seg.as_bytes()).next() else {
            continue;
        };
        match key.to_ascii_lowercase().as_str() {
            "$top" => {
                top = value
                    .trim()
                    .parse()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| {
                        GraphError::bad_query(format!(
                            "invalid $top '{value}': expected a positive integer"
                        ))
                    })?;
            }
            "$select" => {
                let mut props = Vec::new();
                for p in value.split(',').map(str::trim) {
                    props.push(
                        RESULT_PROPS
                            .iter()
                            .copied()
                            .find(|r| r.eq_ignore_ascii_case(p))
                            .ok_or_else(|| {
                                GraphError::bad_query(format!(
                                    "invalid $select: '{p}' is not a property of threatAssessmentResult"
                                ))
                            })?,
                    );
                }
                select = Some(props);
            }
            k if k.starts_with('$') => {
                return Err(GraphError::bad_query(format!(
                    "query option '{key}' is not supported on results (supported: $top, $select)"
                )));
            }
            _ => {}
        }
    }
    let now = cx.state.clock.now();
    let data = lock(&cx.state.data);
    let a = data
        .requests
        .iter()
        .find(|a| a.id == id)
        .ok_or_else(|| GraphError::item_not_found("threatAssessmentRequest", id))?;
    let value: Vec<Value> = a
        .results_json(now)
        .into_iter()
        .take(top)
        .map(|mut r| {
            if let (Some(keep), Value::Object(o)) = (&select, &mut r) {
                // Graph keeps the key with whatever is selected.
                o.retain(|k, _| k == "id" || keep.contains(&k.as_str()));
            }
            r
        })
        .collect();
    let body = json!({
        "@odata.context": cx.context(&format!("('{}')/microsoft.graph.{}/results", a.id, a.kind.type_name())),
        "value": value,
    });
    Ok(reply(StatusCode::OK, &body))
}

// ---- POST ----------------------------------------------------------------------------

/// The longest string accepted in a text property (contentData aside).
const MAX_TEXT: usize = 2048;

fn string_prop(o: &Map<String, Value>, k: &str, max: usize) -> Result<Option<String>> {
    match o.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.chars().count() <= max => Ok(Some(s.clone())),
        Some(Value::String(_)) => Err(GraphError::bad_request(format!(
            "{k} must be at most {max} characters"
        ))),
        Some(_) => Err(GraphError::bad_request(format!("{k} must be a string"))),
    }
}

fn required(o: &Map<String, Value>, k: &str, max: usize) -> Result<String> {
    string_prop(o, k, max)?
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| GraphError::bad_request(format!("{k} is required")))
}

fn one_of(o: &Map<String, Value>, k: &str, allowed: &[&str]) -> Result<String> {
    let v = required(o, k, 64)?;
    allowed
        .iter()
        .find(|a| **a == v)
        .map(|a| (*a).to_owned())
        .ok_or_else(|| {
            GraphError::bad_request(format!(
                "{k} '{v}' is not valid (expected {})",
                allowed.join(", ")
            ))
        })
}

fn valid_email(s: &str) -> bool {
    let mut parts = s.split('@');
    matches!(
        (parts.next(), parts.next(), parts.next()),
        (Some(l), Some(d), None) if !l.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.')
    ) && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// The message id of a Graph message URL: `.../{version}/users/{id}/messages/{msg}` or
/// `.../{version}/me/messages/{msg}` over http(s).
pub fn message_id(uri: &str) -> Option<String> {
    let u = url::Url::parse(uri).ok()?;
    if !matches!(u.scheme(), "https" | "http") || u.host_str().is_none() {
        return None;
    }
    let segs: Vec<String> = u
        .path_segments()?
        .filter(|s| !s.is_empty())
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect();
    let version = |s: &str| is(s, "v1.0") || is(s, "beta");
    match segs.as_slice() {
        [v, users, _user, m, id] if version(v) && is(users, "users") && is(m, "messages") => {
            Some(id.clone())
        }
        [v, me, m, id] if version(v) && is(me, "me") && is(m, "messages") => Some(id.clone()),
        _ => None,
    }
}

fn content_bytes(o: &Map<String, Value>) -> Result<Vec<u8>> {
    let data = required(o, "contentData", MAX_BODY)?;
    // Encoders wrap base64 at 76 columns; the line breaks carry nothing.
    let compact: String = data.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map_err(|_| GraphError::bad_request("contentData must be base64 (RFC 4648, padded)"))
}

fn sha256_hex(bytes: &[u8]) -> String {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes);
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

fn create(cx: &Ctx<'_>, caller: &Caller, body: &[u8]) -> Result<Response> {
    let o = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(o)) => o,
        Ok(_) => {
            return Err(GraphError::bad_request(
                "the request body must be a JSON object",
            ));
        }
        Err(e) => {
            return Err(GraphError::bad_request(format!(
                "the request body is not JSON: {e}"
            )));
        }
    };
    let kind = match o.get("@odata.type") {
        None | Some(Value::Null) => {
            return Err(GraphError::bad_request(
                "@odata.type is required: one of #microsoft.graph.mailAssessmentRequest, \
                 emailFileAssessmentRequest, fileAssessmentRequest, urlAssessmentRequest",
            ));
        }
        Some(Value::String(t)) => Kind::from_odata_type(t).ok_or_else(|| {
            GraphError::bad_request(format!(
                "@odata.type '{t}' is not a threat assessment request type (expected \
                 #microsoft.graph.mailAssessmentRequest, emailFileAssessmentRequest, \
                 fileAssessmentRequest or urlAssessmentRequest)"
            ))
        })?,
        Some(_) => return Err(GraphError::bad_request("@odata.type must be a string")),
    };
    for k in o.keys() {
        let writable = matches!(
            k.as_str(),
            "@odata.type" | "category" | "expectedAssessment"
        ) || (kind.properties().contains(&k.as_str()));
        if writable {
            continue;
        }
        return Err(GraphError::bad_request(if BASE.contains(&k.as_str()) {
            format!("the property '{k}' is set by the service and cannot be written")
        } else {
            format!(
                "the property '{k}' is not a property of {}",
                kind.type_name()
            )
        }));
    }
    let expected = one_of(&o, "expectedAssessment", &["block", "unblock"])?;
    let category = match required(&o, "category", 64)?.as_str() {
        c @ ("spam" | "phishing" | "malware") => c.to_owned(),
        c @ ("undefined" | "unknownFutureValue") => {
            return Err(GraphError::bad_request(format!(
                "category '{c}' cannot be submitted: choose spam, phishing or malware"
            )));
        }
        c => {
            return Err(GraphError::bad_request(format!(
                "category '{c}' is not valid (expected spam, phishing or malware)"
            )));
        }
    };
    let routing = |o: &Map<String, Value>| -> Result<Value> {
        match string_prop(o, "destinationRoutingReason", 64)? {
            None => Ok(json!("notJunk")),
            Some(r) if ROUTING_REASONS.contains(&r.as_str()) => Ok(json!(r)),
            Some(r) => Err(GraphError::bad_request(format!(
                "destinationRoutingReason '{r}' is not a mailDestinationRoutingReason"
            ))),
        }
    };
    let recipient = |o: &Map<String, Value>| -> Result<String> {
        let r = required(o, "recipientEmail", 320)?;
        if valid_email(&r) {
            Ok(r)
        } else {
            Err(GraphError::bad_request(format!(
                "recipientEmail '{r}' is not an email address"
            )))
        }
    };
    let mut fields = Map::new();
    let (verdict, resource) = match kind {
        Kind::Mail => {
            let to = recipient(&o)?;
            let uri = required(&o, "messageUri", MAX_TEXT)?;
            let msg = message_id(&uri).ok_or_else(|| {
                GraphError::bad_request(
                    "messageUri must be a Graph message URL: \
                     https://graph.microsoft.com/v1.0/users/{id}/messages/{id} or .../me/messages/{id}",
                )
            })?;
            fields.insert("recipientEmail".into(), json!(to));
            fields.insert("destinationRoutingReason".into(), routing(&o)?);
            fields.insert("messageUri".into(), json!(uri));
            (
                mail_verdict(&msg),
                format!("mail:{msg}\u{0}{}", to.to_ascii_lowercase()),
            )
        }
        Kind::EmailFile => {
            let to = recipient(&o)?;
            let bytes = content_bytes(&o)?;
            fields.insert("recipientEmail".into(), json!(to));
            fields.insert("destinationRoutingReason".into(), routing(&o)?);
            fields.insert("contentData".into(), json!(""));
            (
                email_file_verdict(&bytes),
                format!("content:{}", sha256_hex(&bytes)),
            )
        }
        Kind::File => {
            let name = required(&o, "fileName", 255)?;
            let bytes = content_bytes(&o)?;
            fields.insert("fileName".into(), json!(name));
            fields.insert("contentData".into(), json!(""));
            (
                file_verdict(&name, &bytes),
                format!("content:{}", sha256_hex(&bytes)),
            )
        }
        Kind::Url => {
            let raw = required(&o, "url", MAX_TEXT)?;
            let u = url::Url::parse(raw.trim())
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
                .ok_or_else(|| {
                    GraphError::bad_request(format!(
                        "url '{raw}' is not an absolute http or https URL"
                    ))
                })?;
            fields.insert("url".into(), json!(raw));
            (url_verdict(&u), format!("url:{}", u.as_str()))
        }
    };
    let s = cx.state;
    let now = s.clock.now();
    if let Err(throttled) = s.admit(&resource, kind, now) {
        return Ok(throttled.into_response());
    }
    s.accepted.fetch_add(1, Ordering::SeqCst);
    let mut data = lock(&s.data);
    data.issued += 1;
    let mut rng = Rng::new(mix64(s.seed ^ 0x005b_3417 ^ data.issued.rotate_left(20)));
    let a = Assessment {
        id: uuid(&mut rng),
        kind,
        created: s.wall(now),
        category,
        expected,
        source: "administrator",
        created_by: caller_set(caller),
        fields,
        verdict,
        progress: Progress::Live {
            started: now,
            before: Duration::ZERO,
            duration: s.config.duration,
        },
        result_ids: [uuid(&mut rng), uuid(&mut rng)],
    };
    let mut out = Map::new();
    out.insert("@odata.context".into(), json!(cx.context("/$entity")));
    if let Value::Object(rest) = a.to_json(now, &Shape::default(), &cx.origin) {
        out.extend(rest);
    }
    data.requests.push(a);
    Ok(reply(StatusCode::CREATED, &Value::Object(out)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_in_any_case_and_with_parenthesised_keys() {
        let p = "/v1.0/informationProtection/threatAssessmentRequests";
        assert_eq!(target(p), Some(Target::Collection));
        assert_eq!(
            target("/V1.0/INFORMATIONPROTECTION/threatassessmentrequests/abc/RESULTS"),
            Some(Target::Results("abc".into()))
        );
        assert_eq!(
            target("/v1.0/informationProtection/threatAssessmentRequests('a''b')"),
            Some(Target::Item("a'b".into()))
        );
        assert_eq!(
            target("/v1.0/informationProtection/bitlocker"),
            Some(Target::Unknown("bitlocker".into()))
        );
        assert_eq!(target("/v1.0/security/alerts_v2"), None);
        assert_eq!(
            target("/beta/informationProtection/threatAssessmentRequests"),
            None
        );
    }

    #[test]
    fn verdicts_follow_the_documented_rule() {
        let u = |s: &str| url_verdict(&url::Url::parse(s).unwrap()).rescan;
        assert_eq!(u("https://LOGIN.example.com/"), "Phishing");
        assert_eq!(u("https://example.com/account/Verify"), "Phishing");
        assert_eq!(u("https://example.com/phishing-kit"), "Phishing");
        assert_eq!(u("https://example.com/?q=login"), "No threats found");
        assert_eq!(
            url_verdict(&url::Url::parse("http://blocked.example/").unwrap()).policy,
            BLOCK_LIST
        );
        let eicar = format!("junk {EICAR} junk");
        assert_eq!(file_verdict("a.txt", eicar.as_bytes()).rescan, "Malware");
        assert_eq!(file_verdict("a.txt", b"hello").rescan, "No threats found");
        assert_eq!(file_verdict("A.EXE", b"hello").policy, ATTACHMENT_FILTER);
        assert_eq!(email_file_verdict(eicar.as_bytes()).rescan, "Malware");
        assert_eq!(
            email_file_verdict(b"Subject: Verify your account").rescan,
            "Phishing"
        );
        assert_eq!(email_file_verdict(b"Subject: SPAM offer").rescan, "Spam");
        assert_eq!(email_file_verdict(b"Subject: lunch").rescan, "Not Spam");
        assert_eq!(mail_verdict("AAMkphish=").rescan, "Phishing");
        assert_eq!(mail_verdict("AAMk=").rescan, "Not Spam");
    }

    #[test]
    fn message_urls() {
        assert_eq!(
            message_id("https://graph.microsoft.com/v1.0/users/u1/messages/AAMk=").as_deref(),
            Some("AAMk=")
        );
        assert_eq!(
            message_id("https://graph.microsoft.com/beta/me/messages/m").as_deref(),
            Some("m")
        );
        for bad in [
            "https://graph.microsoft.com/v1.0/users/u1/events/x",
            "https://graph.microsoft.com/v1.0/users/u1/messages",
            "ftp://graph.microsoft.com/v1.0/me/messages/x",
            "/v1.0/me/messages/x",
            "AAMk=",
        ] {
            assert_eq!(message_id(bad), None, "{bad}");
        }
    }

    #[test]
    fn windows_count_only_what_they_record_and_say_when_room_frees() {
        let mut w = RateLimiter::new(2, Duration::from_secs(100));
        let s = Duration::from_secs;
        assert_eq!(w.wait("k", s(0)), None);
        w.record("k", s(0));
        w.record("k", s(10));
        assert_eq!(w.wait("k", s(20)), Some(s(80)));
        assert_eq!(w.wait("other", s(20)), None);
        assert_eq!(w.wait("k", s(100)), None);
        assert_eq!(RateLimiter::new(0, s(1)).wait("k", s(0)), None);
    }

    #[test]
    fn seeded_requests_cover_every_kind_and_both_states() {
        let now = time::macros::datetime!(2026-11-26 12:00 UTC);
        let reqs = seed_requests(42, now, DEFAULT_DURATION);
        assert_eq!(reqs.len(), DEMO_REQUESTS);
        for k in Kind::ALL {
            assert!(reqs.iter().any(|r| r.kind == k), "{k:?}");
        }
        let statuses: Vec<&str> = reqs.iter().map(|r| r.status(Duration::ZERO)).collect();
        assert!(statuses.contains(&"pending") && statuses.contains(&"completed"));
        assert!(reqs.iter().all(|r| r.created <= now));
        // Every pending one completes while served, and its verdict is dated then.
        for r in reqs
            .iter()
            .filter(|r| r.status(Duration::ZERO) == "pending")
        {
            let (results, done) = r.results(DEFAULT_DURATION * 10);
            assert!(done);
            assert!(results[1].1 > now, "{:?}", results[1]);
        }
        let same = seed_requests(42, now, DEFAULT_DURATION);
        assert_eq!(
            reqs.iter().map(|r| &r.id).collect::<Vec<_>>(),
            same.iter().map(|r| &r.id).collect::<Vec<_>>()
        );
    }
}
