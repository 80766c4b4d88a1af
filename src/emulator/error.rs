//! Graph's error replies.
//!
//! Handlers return a [`GraphError`]; the server's outer layer renders it with the request's
//! id and time, so every error body carries the same `request-id` as the response header:
//! `{"error":{"code":..,"message":..,"innerError":{"date":..,"request-id":..,"client-request-id":..}}}`.

use super::json::{Obj, fmt_time};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// An error as Graph reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphError {
    pub status: StatusCode,
    /// The top-level `code` clients branch on (surface.md §1.4).
    pub code: &'static str,
    pub message: String,
    /// A more specific code nested in `innerError`, when Graph gives one.
    pub inner_code: Option<&'static str>,
}

impl GraphError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        GraphError {
            status,
            code,
            message: message.into(),
            inner_code: None,
        }
    }

    pub fn with_inner(mut self, inner_code: &'static str) -> Self {
        self.inner_code = Some(inner_code);
        self
    }

    /// 400 for a bad query option.
    pub fn bad_query(message: impl Into<String>) -> Self {
        GraphError::new(StatusCode::BAD_REQUEST, "invalidRequest", message)
            .with_inner("invalidQueryOption")
    }

    /// 400 for a malformed request: body, or a path segment that does not decode.
    pub fn bad_request(message: impl Into<String>) -> Self {
        GraphError::new(StatusCode::BAD_REQUEST, "invalidRequest", message)
    }

    /// 404 `itemNotFound` for an id no `what` (the entity type's name) has.
    pub fn item_not_found(what: &str, id: &str) -> Self {
        GraphError::new(
            StatusCode::NOT_FOUND,
            "itemNotFound",
            format!("No {what} with id '{id}' was found."),
        )
    }

    pub fn incident_not_found(id: &str) -> Self {
        Self::item_not_found("incident", id)
    }

    pub fn not_found(id: &str) -> Self {
        Self::item_not_found("alert", id)
    }

    /// Graph answers a request without a usable token this way.
    pub fn unauthenticated(message: impl Into<String>) -> Self {
        GraphError::new(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            message,
        )
    }

    /// Renders the body.
    pub fn body(&self, request_id: &str, client_request_id: Option<&str>) -> String {
        let mut s = String::with_capacity(256 + self.message.len());
        let mut o = Obj::new(&mut s);
        o.obj("error", |o| {
            o.str("code", self.code)
                .str("message", &self.message)
                .obj("innerError", |o| {
                    if let Some(c) = self.inner_code {
                        o.str("code", c);
                    }
                    // Graph writes this date without fraction or zone designator.
                    let now = fmt_time(time::OffsetDateTime::now_utc());
                    o.str("date", &now[..19]).str("request-id", request_id);
                    if let Some(c) = client_request_id {
                        o.str("client-request-id", c);
                    }
                });
        });
        o.finish();
        s
    }
}

impl std::fmt::Display for GraphError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl std::error::Error for GraphError {}

/// The response carries the error as an extension; the server's outer layer turns it into
/// the JSON body once the request id is known.
impl IntoResponse for GraphError {
    fn into_response(self) -> Response {
        let mut r = self.status.into_response();
        r.extensions_mut().insert(self);
        r
    }
}

/// 405 for a method a resource does not take, with Graph's error body and `Allow`.
pub fn not_allowed(method: &axum::http::Method, allow: &'static str) -> Response {
    let mut r = GraphError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "notSupported",
        format!("The HTTP method '{method}' is not allowed on this resource (allowed: {allow})."),
    )
    .into_response();
    r.headers_mut().insert(
        axum::http::header::ALLOW,
        axum::http::HeaderValue::from_static(allow),
    );
    r
}
