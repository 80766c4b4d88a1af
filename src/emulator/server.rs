//! The HTTP server: router, the outer layer every request passes, and shared state.
//!
//! The outer layer does what Graph does for every request whatever the route: assigns a
//! `request-id` (echoed as a header and inside error bodies), counts the request, applies a
//! scheduled fault, checks the bearer token, and renders [`GraphError`]s as Graph's JSON.

use super::assess::AssessState;
use super::auth;
use super::cases::CasesState;
use super::changes::Tenant;
use super::conn::Cut;
use super::error::GraphError;
use super::faults::{Controls, Fault, Route};
use super::score::ScoreState;
use super::sims_data::SimsData;
use super::store::Store;
use super::{assess, cases, incident_routes, routes, score, sims};
use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::http::header::{
    AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HOST, HeaderName, HeaderValue, RETRY_AFTER,
};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLockReadGuard, RwLockWriteGuard};

/// Graph's JSON content type.
pub const JSON_CONTENT_TYPE: &str = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

const REQUEST_ID: HeaderName = HeaderName::from_static("request-id");
const CLIENT_REQUEST_ID: HeaderName = HeaderName::from_static("client-request-id");

/// State shared by all handlers.
#[derive(Debug)]
pub struct AppState {
    tenant: Arc<Tenant>,
    pub controls: Controls,
    /// Page size when the caller gives no `$top`.
    pub page_size: usize,
    /// Key that binds skiptokens to this tenant.
    pub token_key: u64,
    pub local_addr: SocketAddr,
    /// `http` or `https`, for links in replies.
    pub scheme: &'static str,
    /// Secure Score snapshots and control profiles.
    pub score: ScoreState,
    /// eDiscovery cases, their clock and their rate limit.
    pub cases: Arc<CasesState>,
    /// Attack simulations, automations, trainings and their per-user results.
    pub sims: Arc<SimsData>,
    /// Threat assessment requests, their clock and POST limits.
    pub assess: Arc<AssessState>,
    seed: u64,
    request_seq: AtomicU64,
}

/// The run's timings and limits for the resources that keep their own clock.
pub struct Timings {
    pub cases: cases::CasesConfig,
    pub assess: assess::AssessConfig,
}

impl AppState {
    pub fn new(
        tenant: Arc<Tenant>,
        controls: Controls,
        page_size: usize,
        seed: u64,
        local_addr: SocketAddr,
        now: time::OffsetDateTime,
        timings: Timings,
    ) -> Self {
        let alerts = tenant.read().len() as u64;
        let token_key = super::generate::mix64(seed ^ alerts.rotate_left(32));
        AppState {
            tenant,
            controls,
            page_size,
            token_key,
            local_addr,
            scheme: "http",
            score: ScoreState::new(seed, now, &super::generate::tenant_id(seed)),
            cases: Arc::new(CasesState::new(seed, now, timings.cases)),
            sims: Arc::new(SimsData::new(seed, now)),
            // Built once, with the run's timings and limits (each seeds its own objects).
            assess: Arc::new(AssessState::new(seed, now, timings.assess)),
            seed,
            request_seq: AtomicU64::new(0),
        }
    }

    /// `scheme://host:port` for links in replies (see [`origin`]).
    pub fn origin(&self, headers: &axum::http::HeaderMap) -> String {
        origin(headers, self.local_addr, self.scheme)
    }

    pub fn read(&self) -> RwLockReadGuard<'_, Store> {
        self.tenant.read()
    }

    pub fn write(&self) -> RwLockWriteGuard<'_, Store> {
        self.tenant.write()
    }

    fn next_request_id(&self) -> String {
        let n = self.request_seq.fetch_add(1, Ordering::Relaxed);
        let h = super::generate::mix64(self.seed ^ 0x7265_7175 ^ n);
        let l = super::generate::mix64(h);
        format!(
            "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
            h >> 32,
            (h >> 16) & 0xffff,
            h & 0xfff,
            (l >> 52) & 0xfff,
            l & 0xffff_ffff_ffff
        )
    }
}

/// The caller, as the outer layer found it; handlers take it as an extension.
#[derive(Debug, Clone)]
pub struct Caller {
    pub token: Arc<str>,
}

/// `scheme://host:port` for links in replies: the Host the request came to when it is a
/// plausible authority, else the bound address.
pub fn origin(headers: &axum::http::HeaderMap, local: SocketAddr, scheme: &str) -> String {
    let host = headers.get(HOST).and_then(|h| h.to_str().ok()).filter(|h| {
        !h.is_empty()
            && h.len() <= 255
            && h.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
    });
    match host {
        Some(h) => format!("{scheme}://{h}"),
        None => format!("{scheme}://{local}"),
    }
}

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route(
            "/v1.0/security/alerts_v2",
            get(routes::list).fallback(routes::method_not_allowed),
        )
        .route(
            "/v1.0/security/alerts_v2/{id}",
            get(routes::get_alert)
                .patch(routes::patch_alert)
                .fallback(routes::method_not_allowed),
        )
        .route(
            "/v1.0/security/alerts_v2/{id}/comments",
            post(routes::post_comment).fallback(routes::method_not_allowed),
        )
        .route(
            "/v1.0/security/incidents",
            get(incident_routes::list).fallback(routes::method_not_allowed),
        )
        .route(
            "/v1.0/security/incidents/{id}",
            get(incident_routes::get_incident)
                .patch(incident_routes::patch_incident)
                .fallback(routes::method_not_allowed),
        )
        .route(
            "/v1.0/security/incidents/{id}/comments",
            post(incident_routes::post_comment).fallback(routes::method_not_allowed),
        )
        .route(
            "/v1.0/security/incidents/{id}/alerts",
            get(incident_routes::list_alerts).fallback(routes::method_not_allowed),
        )
        .route(
            "/v1.0/security/secureScores",
            get(score::list_scores).fallback(routes::method_not_allowed),
        )
        .route(
            "/v1.0/security/secureScoreControlProfiles",
            get(score::list_profiles).fallback(routes::method_not_allowed),
        )
        .route(
            "/v1.0/security/secureScoreControlProfiles/{id}",
            get(score::get_profile)
                .patch(score::patch_profile)
                .fallback(routes::method_not_allowed),
        )
        // eDiscovery parses its own paths: keys come as segments or in parentheses.
        .route("/v1.0/security/cases", any(cases::dispatch))
        .route("/v1.0/security/cases/{*rest}", any(cases::dispatch))
        .route("/beta/security/cases", any(cases::dispatch))
        .route("/beta/security/cases/{*rest}", any(cases::dispatch))
        // Attack simulation likewise, and the tenant-level report functions beside it.
        .route("/v1.0/security/attackSimulation", any(sims::dispatch))
        .route(
            "/v1.0/security/attackSimulation/{*rest}",
            any(sims::dispatch),
        )
        .route("/beta/security/attackSimulation", any(sims::dispatch))
        .route(
            "/beta/security/attackSimulation/{*rest}",
            any(sims::dispatch),
        )
        .route("/v1.0/reports/security/{*rest}", any(sims::dispatch))
        .route("/beta/reports/security/{*rest}", any(sims::dispatch))
        // Threat assessment parses its own paths too (segments in any case; see
        // `fallback` for the spellings the router does not match).
        .route("/v1.0/informationProtection", any(assess::dispatch))
        .route("/v1.0/informationProtection/{*rest}", any(assess::dispatch))
        .fallback(fallback)
        .layer(middleware::from_fn_with_state(state.clone(), outer))
        .with_state(state)
}

/// Paths no route matched: attack simulation or threat assessment paths written in another
/// case (Graph matches segment names case-insensitively; the router does not), else Graph's
/// unknown-segment 400.
async fn fallback(
    state: State<Arc<AppState>>,
    caller: Option<axum::Extension<Caller>>,
    method: axum::http::Method,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
    body: Body,
) -> Response {
    if sims::classify(uri.path()).is_some() {
        return sims::dispatch(state, method, uri, headers)
            .await
            .into_response();
    }
    match caller {
        Some(caller) if assess::claims(uri.path()) => {
            assess::dispatch(state, caller, method, uri, headers, body)
                .await
                .into_response()
        }
        _ => routes::unknown_path(uri).await.into_response(),
    }
}

/// A `client-request-id` worth echoing: short and plain.
fn client_request_id(req: &Request) -> Option<String> {
    req.headers()
        .get(&CLIENT_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.len() <= 128 && v.chars().all(|c| c.is_ascii_graphic()))
        .map(str::to_owned)
}

async fn outer(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let request_id = state.next_request_id();
    let client_id = client_request_id(&req);
    let route = Route::classify(req.uri().path());
    let method = req.method().as_str().to_owned();

    let fault = state.controls.on_request(&method, route);
    // Secure Score allows a few requests in flight; the slot is held until the reply.
    let _slot = if route.is_secure_score() {
        match ScoreState::enter(&state) {
            Some(slot) => Some(slot),
            None => return score_throttled(&request_id),
        }
    } else {
        None
    };
    // eDiscovery admits a few requests a minute per token. A request without credentials
    // is left to the 401 below: it names no app to count against.
    if route.is_ediscovery()
        && let Some(key) = req.headers().get(AUTHORIZATION)
        && let Some(wait) = state.cases.admit(&String::from_utf8_lossy(key.as_bytes()))
    {
        return ediscovery_throttled(&request_id, wait);
    }
    let mut resp = match fault {
        Some(Fault::Reset) => {
            if let Some(ConnectInfo(cut)) = req.extensions().get::<ConnectInfo<Cut>>() {
                cut.now();
            }
            tracing::debug!(%method, ?route, "emulator request: connection cut");
            // Never written when the connection was cut; served some other way (without
            // cuttable connections), a bare 502 is the nearest thing.
            return StatusCode::BAD_GATEWAY.into_response();
        }
        Some(Fault::Throttle { .. } | Fault::Status(_)) => reply_fault(fault.clone()),
        Some(Fault::Latency(delay)) => {
            tokio::time::sleep(delay).await;
            authorised(req, next).await
        }
        Some(Fault::ResetAfter) => {
            let cut = req.extensions().get::<ConnectInfo<Cut>>().cloned();
            let resp = authorised(req, next).await;
            tracing::debug!(%method, ?route, status = resp.status().as_u16(), "emulator request: handled, then connection cut");
            match cut {
                Some(ConnectInfo(cut)) => cut.now(),
                None => return StatusCode::BAD_GATEWAY.into_response(),
            }
            return resp;
        }
        Some(Fault::Truncate | Fault::Malformed) | None => authorised(req, next).await,
    };
    // The route class is enough for a log line; query strings may carry user data.
    tracing::debug!(%method, ?route, status = resp.status().as_u16(), "emulator request");

    if let Some(err) = resp.extensions_mut().remove::<GraphError>() {
        let body = err.body(&request_id, client_id.as_deref());
        let mut fresh = (err.status, body).into_response();
        std::mem::swap(fresh.headers_mut(), resp.headers_mut());
        resp = fresh;
        resp.headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static(JSON_CONTENT_TYPE));
    }
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        resp.headers_mut().insert(REQUEST_ID, v);
    }
    if let Some(v) = client_id.and_then(|c| HeaderValue::from_str(&c).ok()) {
        resp.headers_mut().insert(CLIENT_REQUEST_ID, v);
    }
    match fault {
        Some(f @ (Fault::Truncate | Fault::Malformed)) => break_body(resp, &f).await,
        _ => resp,
    }
}

/// 429 for a request over the Secure Score concurrency limit, as Graph answers it.
fn score_throttled(request_id: &str) -> Response {
    let err = GraphError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "activityLimitReached",
        "Too many concurrent requests to Secure Score; retry after the interval given.",
    )
    .with_inner("throttledRequest");
    let mut r = (err.status, err.body(request_id, None)).into_response();
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(JSON_CONTENT_TYPE));
    r.headers_mut().insert(RETRY_AFTER, HeaderValue::from(1u32));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        r.headers_mut().insert(REQUEST_ID, v);
    }
    r
}

/// 429 for a request over the eDiscovery rate limit, with the whole seconds until a slot
/// frees (at least 1) as `Retry-After`.
fn ediscovery_throttled(request_id: &str, wait: std::time::Duration) -> Response {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let err = GraphError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "activityLimitReached",
        "Too many requests to eDiscovery; retry after the interval given.",
    )
    .with_inner("throttledRequest");
    let mut r = (err.status, err.body(request_id, None)).into_response();
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(JSON_CONTENT_TYPE));
    r.headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from(secs.max(1)));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        r.headers_mut().insert(REQUEST_ID, v);
    }
    r
}

/// Checks the bearer token, then routes.
async fn authorised(mut req: Request, next: Next) -> Response {
    let token = auth::bearer(
        req.headers()
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok()),
    );
    match token {
        None => unauthenticated(req.headers().contains_key(AUTHORIZATION)),
        Some(token) => {
            if let Err(why) = super::identity::check_graph_token(token) {
                return rejected(why.message());
            }
            let caller = Caller {
                token: Arc::from(token),
            };
            req.extensions_mut().insert(caller);
            next.run(req).await
        }
    }
}

fn unauthenticated(header_present: bool) -> Response {
    let msg = if header_present {
        "Access token is empty or the Authorization header is not a Bearer token."
    } else {
        "Access token is empty."
    };
    rejected(msg)
}

/// 401 InvalidAuthenticationToken with a Bearer challenge, as Graph answers.
fn rejected(msg: &str) -> Response {
    let mut r = GraphError::unauthenticated(msg).into_response();
    r.headers_mut().insert(
        axum::http::header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"graphsec-emulator\""),
    );
    r
}

/// The error reply that stands in for a request under a status fault.
fn reply_fault(fault: Option<Fault>) -> Response {
    let err = match fault {
        Some(Fault::Throttle { retry_after }) => {
            let mut r = GraphError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "activityLimitReached",
                "The app or user has been throttled.",
            )
            .with_inner("throttledRequest")
            .into_response();
            if let Some(secs) = retry_after {
                r.headers_mut().insert(RETRY_AFTER, HeaderValue::from(secs));
            }
            return r;
        }
        Some(Fault::Status(502)) => GraphError::new(
            StatusCode::BAD_GATEWAY,
            "badGateway",
            "The gateway did not get a valid reply.",
        ),
        Some(Fault::Status(503)) => GraphError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "serviceNotAvailable",
            "The service is temporarily unavailable.",
        ),
        Some(Fault::Status(504)) => GraphError::new(
            StatusCode::GATEWAY_TIMEOUT,
            "gatewayTimeout",
            "The gateway timed out.",
        ),
        Some(Fault::Status(401)) => return unauthenticated(true),
        Some(Fault::Status(403)) => GraphError::new(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "Insufficient privileges to complete the operation.",
        ),
        Some(Fault::Status(code)) if code != 500 => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            GraphError::new(
                status,
                "generalException",
                status.canonical_reason().unwrap_or("Injected failure."),
            )
        }
        _ => GraphError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "generalException",
            "An internal server error occurred.",
        ),
    };
    err.into_response()
}

/// Applies a body fault: the same status and headers with a body that is no longer JSON.
async fn break_body(resp: Response, fault: &Fault) -> Response {
    let (mut parts, body) = resp.into_parts();
    // Emulator replies are built in memory and bounded by the page size.
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let broken = broken_body(&bytes, fault);
    parts.headers.remove(CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(broken))
}

/// `body` truncated or made malformed. Both leave text that no JSON parser accepts: a cut
/// drops at least the final closing bracket, and a raw control byte is invalid anywhere in
/// JSON. Deterministic, so a test can show the exact input the client refused.
pub fn broken_body(body: &[u8], fault: &Fault) -> Vec<u8> {
    let trimmed = body.trim_ascii_end();
    let middle = trimmed.len() / 2;
    match fault {
        Fault::Truncate => trimmed[..middle].to_vec(),
        _ => {
            let mut out = Vec::with_capacity(body.len() + 1);
            out.extend_from_slice(&trimmed[..middle]);
            out.push(0x01);
            out.extend_from_slice(&trimmed[middle..]);
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broken_bodies_are_never_json() {
        let bodies: [&[u8]; 5] = [
            br#"{"value":[{"id":"a","title":"x"}],"@odata.nextLink":"http://h/x"}"#,
            b"{}\n",
            b"[]",
            b"",
            "{\"t\":\"漢字\"}".as_bytes(),
        ];
        for body in bodies {
            for fault in [Fault::Truncate, Fault::Malformed] {
                let broken = broken_body(body, &fault);
                assert!(
                    serde_json::from_slice::<serde_json::Value>(&broken).is_err(),
                    "{fault:?} of {:?} still parses",
                    String::from_utf8_lossy(body)
                );
            }
        }
        assert_eq!(broken_body(b"[1,2,3]", &Fault::Truncate), b"[1,");
        assert_eq!(broken_body(b"[1,2]", &Fault::Malformed), b"[1\x01,2]");
    }
}
