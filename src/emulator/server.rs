//! The HTTP server: router, the outer layer every request passes, and shared state.
//!
//! The outer layer does what Graph does for every request whatever the route: assigns a
//! `request-id` (echoed as a header and inside error bodies), counts the request, applies a
//! scheduled fault, checks the bearer token, and renders [`GraphError`]s as Graph's JSON.

use super::auth;
use super::error::GraphError;
use super::faults::{Controls, Fault, Route};
use super::routes;
use super::store::Store;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, HOST, HeaderName, HeaderValue, RETRY_AFTER};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Graph's JSON content type.
pub const JSON_CONTENT_TYPE: &str = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

const REQUEST_ID: HeaderName = HeaderName::from_static("request-id");
const CLIENT_REQUEST_ID: HeaderName = HeaderName::from_static("client-request-id");

/// State shared by all handlers.
#[derive(Debug)]
pub struct AppState {
    store: RwLock<Store>,
    pub controls: Controls,
    /// Page size when the caller gives no `$top`.
    pub page_size: usize,
    /// Key that binds skiptokens to this tenant.
    pub token_key: u64,
    pub local_addr: SocketAddr,
    seed: u64,
    request_seq: AtomicU64,
}

impl AppState {
    pub fn new(
        store: Store,
        controls: Controls,
        page_size: usize,
        seed: u64,
        local_addr: SocketAddr,
    ) -> Self {
        let token_key = super::generate::mix64(seed ^ (store.len() as u64).rotate_left(32));
        AppState {
            store: RwLock::new(store),
            controls,
            page_size,
            token_key,
            local_addr,
            seed,
            request_seq: AtomicU64::new(0),
        }
    }

    // A handler that panicked while holding the lock cannot leave a half-applied write
    // (writes are single assignments), so a poisoned lock is still safe to use.
    pub fn read(&self) -> RwLockReadGuard<'_, Store> {
        self.store.read().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn write(&self) -> RwLockWriteGuard<'_, Store> {
        self.store.write().unwrap_or_else(PoisonError::into_inner)
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

/// `http://host:port` for links in replies: the Host the request came to when it is a
/// plausible authority, else the bound address.
pub fn origin(headers: &axum::http::HeaderMap, local: SocketAddr) -> String {
    let host = headers.get(HOST).and_then(|h| h.to_str().ok()).filter(|h| {
        !h.is_empty()
            && h.len() <= 255
            && h.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
    });
    match host {
        Some(h) => format!("http://{h}"),
        None => format!("http://{local}"),
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
        .fallback(routes::unknown_path)
        .layer(middleware::from_fn_with_state(state.clone(), outer))
        .with_state(state)
}

/// A `client-request-id` worth echoing: short and plain.
fn client_request_id(req: &Request) -> Option<String> {
    req.headers()
        .get(&CLIENT_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.len() <= 128 && v.chars().all(|c| c.is_ascii_graphic()))
        .map(str::to_owned)
}

async fn outer(State(state): State<Arc<AppState>>, mut req: Request, next: Next) -> Response {
    let request_id = state.next_request_id();
    let client_id = client_request_id(&req);
    let route = Route::classify(req.uri().path());
    let method = req.method().as_str().to_owned();

    let mut resp = match state.controls.on_request(&method, route) {
        Some(fault) => apply_fault(fault),
        None => match auth::bearer(
            req.headers()
                .get(AUTHORIZATION)
                .and_then(|v| v.to_str().ok()),
        ) {
            None => unauthenticated(req.headers().contains_key(AUTHORIZATION)),
            Some(token) => {
                let caller = Caller {
                    token: Arc::from(token),
                };
                req.extensions_mut().insert(caller);
                next.run(req).await
            }
        },
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
    resp
}

fn unauthenticated(header_present: bool) -> Response {
    let msg = if header_present {
        "Access token is empty or the Authorization header is not a Bearer token."
    } else {
        "Access token is empty."
    };
    let mut r = GraphError::unauthenticated(msg).into_response();
    r.headers_mut().insert(
        axum::http::header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"graphsec-emulator\""),
    );
    r
}

fn apply_fault(fault: Fault) -> Response {
    match fault {
        Fault::Throttle { retry_after } => {
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
            r
        }
    }
}
