//! Secure Score (surface.md §5): daily `secureScores` snapshots and the tenant's
//! `secureScoreControlProfiles`, generated from the seed, plus the profile PATCH.
//!
//! The profiles and the snapshots agree: every snapshot scores exactly the profiles'
//! control names, each score lies in `0..=maxScore`, and `currentScore` is the sum of the
//! control scores. The newest snapshot ("today") is recomputed from the profiles' current
//! states on every request, so a control marked `ThirdParty` earns its full points there and
//! one marked `Ignored` earns none.
//!
//! Graph throttles these resources by concurrency: at most four requests in flight per
//! tenant; the server's outer layer asks [`ScoreState::enter`] for a slot.

use super::error::GraphError;
use super::generate::{Rng, mix64};
use super::json::fmt_time;
use super::paging::ListQuery;
use super::server::{AppState, Caller};
use axum::Extension;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::header::{CONTENT_TYPE, HeaderValue};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use time::{Duration, OffsetDateTime, Time};

type Result<T> = std::result::Result<T, GraphError>;

/// Days of history served.
pub const DAYS: usize = 90;
/// Control profiles in the tenant.
pub const PROFILES: usize = 60;
/// Concurrent requests Graph allows on the Secure Score resources.
pub const MAX_CONCURRENT: usize = 4;
/// The control states the docs list for `controlStateUpdates`.
pub const STATES: [&str; 4] = ["Default", "Ignored", "ThirdParty", "Reviewed"];

const CATEGORIES: [&str; 4] = ["Identity", "Data", "Device", "Apps"];
const TIERS: [&str; 3] = ["Core", "Defense in Depth", "Advanced"];
const LEVELS: [&str; 3] = ["Low", "Moderate", "High"];
const ACTIONS: [&str; 3] = ["Config", "Review", "Behavior"];
const SERVICES: [&str; 5] = ["AzureAD", "EXO", "SPO", "MDATP", "IP"];
const THREATS: [&str; 6] = [
    "Account Breach",
    "Data Exfiltration",
    "Data Spillage",
    "Elevation of Privilege",
    "Malicious Insider",
    "Password Cracking",
];
const CERTS: [&str; 3] = ["ISO 27001:2013", "FedRAMP_Moderate", "NIST 800-53"];
/// The docs' own control names come first.
const KNOWN: [(&str, &str); 3] = [
    ("AdminMFA", "Identity"),
    ("DLPEnabled", "Data"),
    ("NonOwnerAccess", "Data"),
];

/// One generated control profile.
#[derive(Debug, Clone)]
struct Profile {
    name: String,
    category: &'static str,
    max_score: f64,
    /// Days before today at which the control became fully implemented (`None`: never).
    done_days_ago: Option<usize>,
    /// Half the points while not fully implemented.
    partial: bool,
    fixed: Value,
    updates: Vec<Value>,
    last_modified: Option<String>,
}

impl Profile {
    /// The newest state, `Default` when none was ever set.
    fn state(&self) -> &str {
        self.updates
            .last()
            .and_then(|u| u["state"].as_str())
            .unwrap_or("Default")
    }

    /// Points earned `days_ago` days before today, before state overrides.
    fn base_score(&self, days_ago: usize) -> f64 {
        match self.done_days_ago {
            Some(d) if days_ago <= d => self.max_score,
            _ if self.partial => (self.max_score / 2.0).floor(),
            _ => 0.0,
        }
    }

    fn to_json(&self, tenant: &str) -> Value {
        let mut o = self.fixed.as_object().cloned().unwrap_or_default();
        o.insert("id".into(), json!(self.name));
        o.insert("azureTenantId".into(), json!(tenant));
        o.insert("controlCategory".into(), json!(self.category));
        o.insert("maxScore".into(), json!(self.max_score));
        o.insert(
            "controlStateUpdates".into(),
            Value::Array(self.updates.clone()),
        );
        o.insert("lastModifiedDateTime".into(), json!(self.last_modified));
        o.insert("vendorInformation".into(), vendor());
        Value::Object(o)
    }
}

fn vendor() -> Value {
    json!({"provider": "SecureScore", "providerVersion": null, "subProvider": null, "vendor": "Microsoft"})
}

#[derive(Debug)]
struct Data {
    profiles: Vec<Profile>,
}

/// The tenant's Secure Score data and its concurrency gate.
#[derive(Debug)]
pub struct ScoreState {
    seed: u64,
    tenant: String,
    /// Midnight UTC of "today".
    today: OffsetDateTime,
    /// Days (ago) with no snapshot.
    gaps: [usize; 2],
    /// Days (ago) whose snapshot has no comparative scores.
    no_comparison: [usize; 3],
    data: Mutex<Data>,
    in_flight: AtomicUsize,
}

/// A held concurrency slot; dropping it frees the slot.
#[derive(Debug)]
pub struct Slot(Arc<AppState>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.score.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

impl ScoreState {
    pub fn new(seed: u64, now: OffsetDateTime, tenant: &str) -> Self {
        let mut rng = Rng::new(mix64(seed ^ 0x5c02e));
        let profiles = (0..PROFILES).map(|i| profile(i, &mut rng)).collect();
        // Gaps and comparison-less days fall strictly inside the window, never on today.
        let gap = 5 + rng.index(DAYS - 20);
        let gaps = [gap, gap + 1 + rng.index(10)];
        let mut no_comparison = [0; 3];
        for slot in &mut no_comparison {
            *slot = loop {
                let d = 1 + rng.index(DAYS - 2);
                if !gaps.contains(&d) {
                    break d;
                }
            };
        }
        ScoreState {
            seed,
            tenant: tenant.to_owned(),
            today: now.replace_time(Time::MIDNIGHT),
            gaps,
            no_comparison,
            data: Mutex::new(Data { profiles }),
            in_flight: AtomicUsize::new(0),
        }
    }

    /// A concurrency slot, or `None` when [`MAX_CONCURRENT`] requests are already in flight.
    pub fn enter(state: &Arc<AppState>) -> Option<Slot> {
        let gate = &state.score.in_flight;
        let mut n = gate.load(Ordering::SeqCst);
        loop {
            if n >= MAX_CONCURRENT {
                return None;
            }
            match gate.compare_exchange(n, n + 1, Ordering::SeqCst, Ordering::SeqCst) {
                Ok(_) => return Some(Slot(state.clone())),
                Err(seen) => n = seen,
            }
        }
    }

    /// Days (ago) that have a snapshot, newest first.
    fn days(&self) -> Vec<usize> {
        (0..DAYS).filter(|d| !self.gaps.contains(d)).collect()
    }

    fn snapshot(&self, data: &Data, days_ago: usize) -> Value {
        let day = self.today - Duration::days(days_ago as i64);
        let mut rng = Rng::new(mix64(self.seed ^ 0xda7 ^ ((days_ago as u64) << 20)));
        let mut current = 0.0;
        let mut max = 0.0;
        let controls: Vec<Value> = data
            .profiles
            .iter()
            .map(|p| {
                let score = if days_ago == 0 {
                    match p.state() {
                        "ThirdParty" => p.max_score,
                        "Ignored" => 0.0,
                        _ => p.base_score(0),
                    }
                } else {
                    p.base_score(days_ago)
                };
                current += score;
                max += p.max_score;
                json!({
                    "controlCategory": p.category,
                    "controlName": p.name,
                    "description": description(&p.name),
                    "score": score,
                })
            })
            .collect();
        let comparisons = if self.no_comparison.contains(&days_ago) {
            Vec::new()
        } else {
            let mut part = |base: u64| {
                let total = base + rng.below(20);
                let device = rng.below(total / 4 + 1);
                let data = rng.below(total / 3 + 1);
                let apps = rng.below(total / 8 + 1);
                let identity = total - device - data - apps;
                let mut o = Map::new();
                o.insert("averageScore".into(), json!(total as f64));
                o.insert("deviceScore".into(), json!(device.to_string()));
                o.insert("dataScore".into(), json!(data.to_string()));
                o.insert("identityScore".into(), json!(identity.to_string()));
                o.insert("appsScore".into(), json!(apps.to_string()));
                o
            };
            let mut all = part(30);
            all.insert("basis".into(), json!("AllTenants"));
            let mut seats = part(40);
            seats.insert("basis".into(), json!("TotalSeats"));
            seats.insert("seatSizeRangeLowerValue".into(), json!("100"));
            seats.insert("seatSizeRangeUpperValue".into(), json!("999"));
            let mut industry = part(90);
            industry.insert("basis".into(), json!("IndustryTypes"));
            industry.insert("categoryValue".into(), json!("engineering,technology"));
            vec![
                Value::Object(all),
                Value::Object(seats),
                Value::Object(industry),
            ]
        };
        let licensed = 250 + (mix64(self.seed ^ 0x11c) % 500);
        json!({
            "id": format!("{}_{}", self.tenant, &fmt_time(day)[..10]),
            "azureTenantId": self.tenant,
            "activeUserCount": licensed - 10 - rng.below(40),
            "createdDateTime": fmt_time(day + Duration::hours(15) + Duration::minutes(21)),
            "currentScore": current,
            "enabledServices": ["HasExchange", "HasSharePoint", "HasOD4B", "HasInTune"],
            "licensedUserCount": licensed,
            "maxScore": max,
            "averageComparativeScores": comparisons,
            "controlScores": controls,
            "vendorInformation": vendor(),
        })
    }
}

fn description(name: &str) -> String {
    match name {
        "AdminMFA" => "Requiring multi-factor authentication (MFA) for all Azure Active \
                       Directory accounts with privileged roles"
            .to_owned(),
        "DLPEnabled" => "Data Loss Prevention (DLP) policies can be used to comply with \
                         business standards and industry regulations."
            .to_owned(),
        _ => format!("Implementing the {name} control reduces the tenant's exposure."),
    }
}

fn profile(i: usize, rng: &mut Rng) -> Profile {
    let (name, category) = match KNOWN.get(i) {
        Some((n, c)) => ((*n).to_owned(), *c),
        None => {
            let c = CATEGORIES[i % CATEGORIES.len()];
            (format!("{c}Control{i:02}"), c)
        }
    };
    let max_score = (1 + rng.below(15)) as f64;
    let done = rng.below(3);
    let done_days_ago = (done > 0).then(|| rng.index(DAYS * 2));
    let partial = rng.below(4) == 0;
    let mut threats: Vec<&str> = THREATS
        .iter()
        .copied()
        .filter(|_| rng.below(3) == 0)
        .collect();
    if threats.is_empty() {
        threats.push(THREATS[i % THREATS.len()]);
    }
    let fixed = json!({
        "title": format!("Apply the {name} control"),
        "rank": i + 1,
        "tier": TIERS[rng.index(TIERS.len())],
        "implementationCost": LEVELS[rng.index(LEVELS.len())],
        "userImpact": LEVELS[rng.index(LEVELS.len())],
        "actionType": ACTIONS[rng.index(ACTIONS.len())],
        "service": SERVICES[rng.index(SERVICES.len())],
        "threats": threats,
        "remediation": format!("Open the admin portal and turn on {name}."),
        "remediationImpact": "This change will have a moderate impact on your users.",
        "actionUrl": format!("https://security.microsoft.com/securescore?control={name}"),
        "deprecated": rng.below(20) == 0,
        "complianceInformation": [{
            "certificationName": CERTS[rng.index(CERTS.len())],
            "certificationControls": [{"name": format!("A.{}.{}", 5 + rng.below(10), 1 + rng.below(5)), "url": ""}],
        }],
    });
    Profile {
        name,
        category,
        max_score,
        done_days_ago,
        partial,
        fixed,
        updates: vec![json!({
            "assignedTo": null, "comment": null, "state": "Default",
            "updatedBy": null, "updatedDateTime": null,
        })],
        last_modified: None,
    }
}

pub(super) fn reply(status: StatusCode, body: &Value) -> Response {
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static(super::server::JSON_CONTENT_TYPE),
    );
    r
}

fn with_context(context: String, body: Value) -> Value {
    let mut o = Map::new();
    o.insert("@odata.context".into(), json!(context));
    if let Value::Object(rest) = body {
        o.extend(rest);
    }
    Value::Object(o)
}

/// `$top`, `$count` and `$skiptoken` only.
pub(super) fn list_query(raw: Option<&str>, page_size: usize) -> Result<ListQuery> {
    let q = ListQuery::parse(raw, page_size).map_err(GraphError::bad_query)?;
    if q.filter.is_some() || q.skip > 0 || q.expand_alerts {
        return Err(GraphError::bad_query(
            "only $top, $count and $skiptoken are supported on this collection",
        ));
    }
    Ok(q)
}

/// A page of `items` from `cursor`, with `@odata.count` and `@odata.nextLink` as asked.
pub(super) fn page(
    state: &AppState,
    q: &ListQuery,
    context: String,
    base: &str,
    items: Vec<Value>,
) -> Result<Response> {
    let start = q
        .resume_at(state.token_key)
        .map_err(GraphError::bad_query)?
        .unwrap_or(0);
    let total = items.len();
    let end = start.saturating_add(q.top).min(total);
    let value: Vec<Value> = items.into_iter().skip(start).take(end - start).collect();
    let mut o = Map::new();
    o.insert("@odata.context".into(), json!(context));
    if q.count {
        o.insert("@odata.count".into(), json!(total));
    }
    if end < total {
        o.insert(
            "@odata.nextLink".into(),
            json!(q.next_link(base, state.token_key, end)),
        );
    }
    o.insert("value".into(), Value::Array(value));
    Ok(reply(StatusCode::OK, &Value::Object(o)))
}

fn lock(state: &AppState) -> std::sync::MutexGuard<'_, Data> {
    state
        .score
        .data
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
}

/// `GET /security/secureScores`: one snapshot a day, newest first.
pub async fn list_scores(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    let q = list_query(raw.as_deref(), state.page_size)?;
    let origin = state.origin(&headers);
    let s = &state.score;
    let items = {
        let data = lock(&state);
        s.days().into_iter().map(|d| s.snapshot(&data, d)).collect()
    };
    page(
        &state,
        &q,
        format!("{origin}/v1.0/$metadata#security/secureScores"),
        &format!("{origin}/v1.0/security/secureScores"),
        items,
    )
}

/// `GET /security/secureScoreControlProfiles`, in rank order.
pub async fn list_profiles(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    let q = list_query(raw.as_deref(), state.page_size)?;
    let origin = state.origin(&headers);
    let items = {
        let data = lock(&state);
        data.profiles
            .iter()
            .map(|p| p.to_json(&state.score.tenant))
            .collect()
    };
    page(
        &state,
        &q,
        format!("{origin}/v1.0/$metadata#security/secureScoreControlProfiles"),
        &format!("{origin}/v1.0/security/secureScoreControlProfiles"),
        items,
    )
}

fn profile_id(path: std::result::Result<Path<String>, PathRejection>) -> Result<String> {
    path.map(|Path(id)| id)
        .map_err(|e| GraphError::bad_request(format!("invalid control profile id: {e}")))
}

fn entity(origin: &str, profile: Value) -> Value {
    with_context(
        format!("{origin}/v1.0/$metadata#security/secureScoreControlProfiles/$entity"),
        profile,
    )
}

/// `GET /security/secureScoreControlProfiles/{id}`
pub async fn get_profile(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    path: std::result::Result<Path<String>, PathRejection>,
) -> Result<Response> {
    let id = profile_id(path)?;
    let origin = state.origin(&headers);
    let data = lock(&state);
    let p = data
        .profiles
        .iter()
        .find(|p| p.name == id)
        .ok_or_else(|| GraphError::item_not_found("secureScoreControlProfile", &id))?;
    Ok(reply(
        StatusCode::OK,
        &entity(&origin, p.to_json(&state.score.tenant)),
    ))
}

/// The properties a control-state PATCH may carry (the service sets `updatedBy` itself).
const UPDATABLE: [&str; 4] = ["assignedTo", "comment", "state", "vendorInformation"];

/// `PATCH /security/secureScoreControlProfiles/{id}`: appends a control-state update.
/// 204, or 200 with the profile under `Prefer: return=representation`.
pub async fn patch_profile(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    path: std::result::Result<Path<String>, PathRejection>,
    body: Bytes,
) -> Result<Response> {
    let id = profile_id(path)?;
    let body: Value = serde_json::from_slice(&body)
        .map_err(|e| GraphError::bad_request(format!("the request body is not JSON: {e}")))?;
    let Value::Object(body) = body else {
        return Err(GraphError::bad_request(
            "the request body must be a JSON object",
        ));
    };
    if let Some(k) = body.keys().find(|k| !UPDATABLE.contains(&k.as_str())) {
        return Err(GraphError::bad_request(format!(
            "the property '{k}' cannot be updated on a secureScoreControlProfile"
        )));
    }
    if !body.get("vendorInformation").is_some_and(Value::is_object) {
        return Err(GraphError::bad_request(
            "vendorInformation is required: provider and vendor must name the control's source",
        ));
    }
    let text = |k: &str| -> Result<Value> {
        match body.get(k) {
            None | Some(Value::Null) => Ok(Value::Null),
            Some(Value::String(s)) if s.chars().count() <= super::routes::MAX_TEXT => Ok(json!(s)),
            Some(_) => Err(GraphError::bad_request(format!(
                "{k} must be a string of at most {} characters",
                super::routes::MAX_TEXT
            ))),
        }
    };
    let assigned = text("assignedTo")?;
    let comment = text("comment")?;
    let by = json!(super::auth::author(&caller.token));
    let state_value = match body.get("state") {
        None => None,
        Some(Value::String(s)) => Some(
            STATES
                .iter()
                .find(|k| k.eq_ignore_ascii_case(s))
                .ok_or_else(|| {
                    GraphError::bad_request(format!(
                        "'{s}' is not a control state (expected {})",
                        STATES.join(", ")
                    ))
                })?,
        ),
        Some(_) => return Err(GraphError::bad_request("state must be a string")),
    };
    let now = fmt_time(OffsetDateTime::now_utc());
    let origin = state.origin(&headers);
    let mut data = lock(&state);
    let p = data
        .profiles
        .iter_mut()
        .find(|p| p.name == id)
        .ok_or_else(|| GraphError::item_not_found("secureScoreControlProfile", &id))?;
    let state_now = state_value.map_or_else(|| p.state().to_owned(), |s| (*s).to_owned());
    p.updates.push(json!({
        "assignedTo": assigned,
        "comment": comment,
        "state": state_now,
        "updatedBy": by,
        "updatedDateTime": now,
    }));
    p.last_modified = Some(now);
    let representation = headers
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| p.trim().eq_ignore_ascii_case("return=representation"));
    if representation {
        Ok(reply(
            StatusCode::OK,
            &entity(&origin, p.to_json(&state.score.tenant)),
        ))
    } else {
        Ok(StatusCode::NO_CONTENT.into_response())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn snapshots_agree_with_profiles() {
        let s = ScoreState::new(7, datetime!(2026-11-26 12:00 UTC), "t");
        let data = lock_data(&s);
        let days = s.days();
        assert_eq!(days.len(), DAYS - 2);
        for d in days {
            let snap = s.snapshot(&data, d);
            let controls = snap["controlScores"].as_array().unwrap();
            assert_eq!(controls.len(), PROFILES);
            let sum: f64 = controls.iter().map(|c| c["score"].as_f64().unwrap()).sum();
            assert_eq!(snap["currentScore"].as_f64().unwrap(), sum);
            for (c, p) in controls.iter().zip(&data.profiles) {
                assert_eq!(c["controlName"], json!(p.name));
                assert!(c["score"].as_f64().unwrap() <= p.max_score);
            }
        }
    }

    fn lock_data(s: &ScoreState) -> std::sync::MutexGuard<'_, Data> {
        s.data.lock().unwrap()
    }
}
