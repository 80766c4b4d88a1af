//! What can go wrong talking to Graph, in words an analyst can act on.
//!
//! `Display` is one short line for the status bar. Every string that came from the server
//! (codes, messages, request ids, decode details) goes through [`crate::sanitize::line`] on
//! the way out, because error text is as attacker-influenced as alert text. No variant ever
//! holds a token.

use super::auth::AuthError;
use super::tls::TlsProblem;
use crate::sanitize::line;
use serde::Deserialize;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphError {
    /// Graph answered with an error status. `code` is Graph's error code (branch on it, never
    /// on `message`); it is empty when the body was not Graph's error JSON.
    #[error("Graph {status}{}: {}{}", code_part(.code), line(.message), rid_part(.request_id))]
    Api {
        status: u16,
        code: String,
        message: String,
        request_id: Option<String>,
    },
    /// Still throttled after the retries allowed; `retry_after` is Graph's last hint.
    #[error("Graph is throttling requests{}", after_part(.retry_after))]
    Throttled { retry_after: Option<Duration> },
    /// The connection failed (DNS, refused, reset, TLS).
    #[error("cannot reach Graph: {}", line(.0))]
    Transport(String),
    /// The TLS handshake with `host` (and port, when not 443) failed: an untrusted CA (a
    /// TLS-inspecting proxy), an expired certificate, a certificate for another name...
    /// Not retried: the next attempt would meet the same certificate.
    #[error("{}", .problem.describe(.host))]
    Tls { host: String, problem: TlsProblem },
    /// No answer within the configured timeout, after retries.
    #[error("Graph did not answer in time")]
    Timeout,
    /// The body was not what Graph should send (bad or truncated JSON, wrong shape).
    #[error("unreadable {} from Graph: {}", line(.what), line(.detail))]
    Decode { what: String, detail: String },
    /// The body was larger than the client accepts.
    #[error("Graph reply larger than {} MiB", .limit / (1024 * 1024))]
    TooLarge { limit: usize },
    /// A plain-http endpoint that is not loopback: the token would travel in clear text.
    #[error("refusing insecure endpoint {}: use https (plain http only on loopback)", line(.0))]
    InsecureEndpoint(String),
    /// The base URL could not be used at all.
    #[error("invalid Graph endpoint {}: {}", line(.url), line(.reason))]
    InvalidEndpoint { url: String, reason: String },
    /// A paging link that is not a URL, or points away from the configured endpoint (the
    /// bearer token is never sent anywhere else).
    #[error("refusing paging link {}", line(.0))]
    BadNextLink(String),
    /// A `Location` (of a long-running operation) that is not a URL, or points away from the
    /// configured endpoint: it is not followed, since the bearer token would go with it.
    #[error("refusing operation location {}", line(.0))]
    BadLocation(String),
    /// An id that cannot name a resource (empty, `.` or `..`).
    #[error("invalid id {:?}", line(.0))]
    InvalidId(String),
    /// No token could be had.
    #[error(transparent)]
    Auth(#[from] AuthError),
}

fn code_part(code: &str) -> String {
    if code.is_empty() {
        String::new()
    } else {
        format!(" {}", line(code))
    }
}

fn rid_part(rid: &Option<String>) -> String {
    rid.as_deref()
        .map(|r| format!(" (request-id {})", line(r)))
        .unwrap_or_default()
}

fn after_part(after: &Option<Duration>) -> String {
    after
        .map(|d| format!("; retry in {}s", d.as_secs().max(1)))
        .unwrap_or_default()
}

impl GraphError {
    /// True when trying the same request again later may succeed (throttling, outages,
    /// network trouble); false when the request itself is wrong or not allowed.
    pub fn is_transient(&self) -> bool {
        match self {
            GraphError::Throttled { .. } | GraphError::Transport(_) | GraphError::Timeout => true,
            GraphError::Api { status, .. } => matches!(status, 408 | 429 | 500..=599),
            _ => false,
        }
    }

    /// True when a write (a POST) that failed this way may still have been carried out:
    /// it went out but the answer was lost (no answer in time, a dropped connection, a
    /// 408 or 5xx from a gateway), or came back unreadable. A 429 is not one: Graph did not
    /// act on a throttled request.
    pub fn may_have_landed(&self) -> bool {
        match self {
            GraphError::Transport(_)
            | GraphError::Timeout
            | GraphError::Decode { .. }
            | GraphError::TooLarge { .. } => true,
            GraphError::Api { status, .. } => matches!(status, 408 | 500..=599),
            _ => false,
        }
    }

    /// The HTTP status when Graph answered with an error.
    pub fn status(&self) -> Option<u16> {
        match self {
            GraphError::Api { status, .. } => Some(*status),
            GraphError::Throttled { .. } => Some(429),
            _ => None,
        }
    }

    /// True for 404 (e.g. an alert that no longer exists).
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// True when the request never reached Graph because this machine refused the server's
    /// certificate: nothing was sent, and it can be once the set-up (`ca_file`) is fixed.
    pub fn needs_setup(&self) -> bool {
        matches!(self, GraphError::Tls { .. })
    }

    /// True when the analyst has to sign in (again).
    pub fn needs_sign_in(&self) -> bool {
        matches!(self, GraphError::Auth(_)) || self.status() == Some(401)
    }

    pub(crate) fn decode(what: &str, detail: impl ToString) -> Self {
        GraphError::Decode {
            what: what.to_owned(),
            detail: detail.to_string(),
        }
    }
}

/// Graph's error body: `{"error":{"code","message","innerError":{"request-id","date"}}}`.
#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    #[serde(default, deserialize_with = "super::lenient::string")]
    code: Option<String>,
    #[serde(default, deserialize_with = "super::lenient::string")]
    message: Option<String>,
    #[serde(default, rename = "innerError", alias = "innererror")]
    inner: Option<InnerError>,
}

#[derive(Deserialize)]
struct InnerError {
    #[serde(
        default,
        rename = "request-id",
        deserialize_with = "super::lenient::string"
    )]
    request_id: Option<String>,
}

/// Longest piece of a non-JSON error body kept in the message.
const SNIPPET_CHARS: usize = 200;

/// Builds [`GraphError::Api`] from a failed response. The request id comes from the body's
/// `innerError` or, failing that, the `request-id` header. A body that is not Graph's error
/// JSON (a proxy's HTML page, an empty 502) still gives a clear message: the status reason
/// and the start of the body.
pub fn api_error(status: u16, header_request_id: Option<&str>, body: &[u8]) -> GraphError {
    let parsed = serde_json::from_slice::<ErrorBody>(body).ok();
    let (code, message, body_rid) = match parsed {
        Some(ErrorBody { error }) => (
            error.code.unwrap_or_default(),
            error.message.unwrap_or_default(),
            error.inner.and_then(|i| i.request_id),
        ),
        None => (String::new(), String::new(), None),
    };
    let message = if message.trim().is_empty() {
        fallback_message(status, body)
    } else {
        message
    };
    let request_id = body_rid
        .filter(|r| !r.is_empty())
        .or_else(|| header_request_id.map(str::to_owned));
    GraphError::Api {
        status,
        code,
        message,
        request_id,
    }
}

fn fallback_message(status: u16, body: &[u8]) -> String {
    let reason = reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("unexpected status");
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() || text.starts_with('{') {
        return reason.to_owned();
    }
    let snippet: String = text.chars().take(SNIPPET_CHARS).collect();
    format!("{reason}: {snippet}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_graph_error_json() {
        let body = br#"{"error":{"code":"itemNotFound","message":"No alert","innerError":{"request-id":"rid-1","date":"2024-01-01T00:00:00"}}}"#;
        let e = api_error(404, Some("hdr-rid"), body);
        assert_eq!(
            e,
            GraphError::Api {
                status: 404,
                code: "itemNotFound".into(),
                message: "No alert".into(),
                request_id: Some("rid-1".into()),
            }
        );
        assert_eq!(
            e.to_string(),
            "Graph 404 itemNotFound: No alert (request-id rid-1)"
        );
        assert!(e.is_not_found());
        assert!(!e.is_transient());
    }

    #[test]
    fn request_id_falls_back_to_header() {
        let e = api_error(400, Some("hdr"), br#"{"error":{"code":"badRequest"}}"#);
        let GraphError::Api {
            request_id,
            message,
            ..
        } = &e
        else {
            panic!("{e:?}")
        };
        assert_eq!(request_id.as_deref(), Some("hdr"));
        assert_eq!(message, "Bad Request");
    }

    #[test]
    fn non_json_bodies_still_explain() {
        let e = api_error(502, None, b"<html>\n<b>proxy \x1b[31m down</b></html>");
        let shown = e.to_string();
        assert!(
            shown.starts_with("Graph 502: Bad Gateway: <html>"),
            "{shown}"
        );
        assert!(!shown.contains('\n') && !shown.contains('\x1b'), "{shown}");
        assert!(e.is_transient());
        assert_eq!(
            api_error(503, None, b"").to_string(),
            "Graph 503: Service Unavailable"
        );
    }

    #[test]
    fn hostile_server_strings_are_sanitised() {
        let body = br#"{"error":{"code":"x\u001b]0;pwn\u0007","message":"a\nb\u202e"}}"#;
        let shown = api_error(400, None, body).to_string();
        assert!(
            !shown.chars().any(crate::sanitize::is_dangerous),
            "{shown:?}"
        );
    }

    #[test]
    fn writes_that_may_have_landed() {
        assert!(GraphError::Timeout.may_have_landed());
        assert!(GraphError::Transport("reset".into()).may_have_landed());
        assert!(GraphError::decode("reply", "truncated").may_have_landed());
        let api = |status| GraphError::Api {
            status,
            code: String::new(),
            message: String::new(),
            request_id: None,
        };
        assert!(api(503).may_have_landed());
        assert!(api(408).may_have_landed());
        assert!(!api(400).may_have_landed());
        assert!(!GraphError::Throttled { retry_after: None }.may_have_landed());
        assert!(!GraphError::InvalidId(String::new()).may_have_landed());
    }

    #[test]
    fn transient_classification() {
        assert!(GraphError::Timeout.is_transient());
        assert!(GraphError::Throttled { retry_after: None }.is_transient());
        assert!(!GraphError::BadNextLink("x".into()).is_transient());
        assert_eq!(
            GraphError::Throttled {
                retry_after: Some(Duration::from_secs(7))
            }
            .to_string(),
            "Graph is throttling requests; retry in 7s"
        );
    }
}
