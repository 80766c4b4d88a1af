//! alerts_v2 handlers (surface.md §2): list, get, update, comment.

use super::auth;
use super::error::GraphError;
use super::faults::Route;
use super::json::push_str_lit;
use super::paging::ListQuery;
use super::server::{AppState, Caller, JSON_CONTENT_TYPE};
use super::store::{AlertRecord, Comment, render_comments};
use crate::graph::enums::{AlertClassification, AlertDetermination, AlertStatus};
use axum::Extension;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, RawQuery, State};
use axum::http::header::{ALLOW, CONTENT_TYPE, HeaderValue};
use axum::http::{HeaderMap, HeaderName, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};
use std::sync::Arc;
use time::OffsetDateTime;

const PREFERENCE_APPLIED: HeaderName = HeaderName::from_static("preference-applied");
const INCLUDE_UNKNOWN: &str = "include-unknown-enum-members";

/// Longest `assignedTo` or comment accepted, in characters.
pub(super) const MAX_TEXT: usize = 10_000;

type Result<T> = std::result::Result<T, GraphError>;

/// Whether the caller sent `Prefer: include-unknown-enum-members` (possibly among others).
pub(super) fn include_unknown(headers: &HeaderMap) -> bool {
    headers
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| p.trim().eq_ignore_ascii_case(INCLUDE_UNKNOWN))
}

/// A JSON reply, noting an applied preference.
pub(super) fn json_reply(body: String, include_unknown: bool) -> Response {
    let mut r = (StatusCode::OK, body).into_response();
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(JSON_CONTENT_TYPE));
    if include_unknown {
        r.headers_mut().insert(
            PREFERENCE_APPLIED,
            HeaderValue::from_static(INCLUDE_UNKNOWN),
        );
    }
    r
}

fn metadata(origin: &str) -> String {
    format!("{origin}/v1.0/$metadata#security/alerts_v2")
}

/// One alert with `@odata.context` in front, as GET and PATCH answer.
fn entity_body(origin: &str, alert: &AlertRecord, include_unknown: bool) -> String {
    let json = alert.to_json(include_unknown);
    let mut s = String::with_capacity(json.len() + 96);
    s.push_str("{\"@odata.context\":");
    push_str_lit(&mut s, &format!("{}/$entity", metadata(origin)));
    s.push(',');
    // `json` is an object rendered by the store; splice its members after the context.
    s.push_str(json.strip_prefix('{').unwrap_or(&json));
    s
}

fn alert_id(path: std::result::Result<Path<String>, PathRejection>) -> Result<String> {
    path.map(|Path(id)| id)
        .map_err(|e| GraphError::bad_request(format!("invalid alert id in the path: {e}")))
}

/// `GET /security/alerts_v2`
pub async fn list(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    let q = ListQuery::parse(raw.as_deref(), state.page_size).map_err(GraphError::bad_query)?;
    let resume = q
        .resume_at(state.token_key)
        .map_err(GraphError::bad_query)?;
    let include = include_unknown(&headers);
    let origin = state.origin(&headers);

    let store = state.read();
    let total = store.len();
    let matches = |a: &AlertRecord| q.filter.as_ref().is_none_or(|f| f.matches(a));
    let at = |rank: usize| store.alert_by_rank(rank);
    // Ranks are newest first; a cursor is an arena position (see `Store`).
    let mut r = match resume {
        Some(cursor) => store.alert_rank(cursor),
        None => {
            // `$skip` counts matching items, from the top of the ordered collection.
            let mut skipped = 0;
            let mut r = 0;
            while skipped < q.skip {
                let Some(a) = at(r) else { break };
                skipped += usize::from(matches(a));
                r += 1;
            }
            r
        }
    };

    let mut value = String::with_capacity(q.top.min(total) * 4096 + 2);
    value.push('[');
    let mut taken = 0;
    while taken < q.top {
        let Some(a) = at(r) else { break };
        r += 1;
        if matches(a) {
            if taken > 0 {
                value.push(',');
            }
            a.render(&mut value, include);
            taken += 1;
        }
    }
    value.push(']');
    // Resume at the next match, so the last page carries no nextLink.
    while at(r).is_some_and(|a| !matches(a)) {
        r += 1;
    }
    let next = store.alert_cursor(r);
    let count = q.count.then(|| match &q.filter {
        None => total,
        Some(f) => store.alerts().iter().filter(|a| f.matches(*a)).count(),
    });
    drop(store);

    let mut body = String::with_capacity(value.len() + 512);
    body.push_str("{\"@odata.context\":");
    push_str_lit(&mut body, &metadata(&origin));
    if let Some(n) = count {
        body.push_str(&format!(",\"@odata.count\":{n}"));
    }
    if let Some(cursor) = next {
        let base = format!("{origin}/v1.0/security/alerts_v2");
        body.push_str(",\"@odata.nextLink\":");
        push_str_lit(&mut body, &q.next_link(&base, state.token_key, cursor));
    }
    body.push_str(",\"value\":");
    body.push_str(&value);
    body.push('}');
    Ok(json_reply(body, include))
}

/// `GET /security/alerts_v2/{id}`
pub async fn get_alert(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    path: std::result::Result<Path<String>, PathRejection>,
) -> Result<Response> {
    let id = alert_id(path)?;
    let include = include_unknown(&headers);
    let origin = state.origin(&headers);
    let store = state.read();
    let alert = store.get(&id).ok_or_else(|| GraphError::not_found(&id))?;
    Ok(json_reply(entity_body(&origin, alert, include), include))
}

/// The body of a PATCH, validated: only the four updatable properties.
#[derive(Debug, Default)]
struct Update {
    status: Option<AlertStatus>,
    assigned_to: Option<Option<String>>,
    classification: Option<Option<AlertClassification>>,
    determination: Option<Option<AlertDetermination>>,
}
/// `assignedTo` in a PATCH body: text, or null to unassign (alerts and incidents alike).
pub(super) fn assigned_to_value(v: &Value) -> Result<Option<String>> {
    match v {
        Value::Null => Ok(None),
        v => text_value("assignedTo", v).map(Some),
    }
}

/// `classification` in a PATCH body: a known member, or null.
pub(super) fn classification_value(v: &Value) -> Result<Option<AlertClassification>> {
    match v {
        Value::Null => Ok(None),
        v => enum_value("classification", v, AlertClassification::parse, |c| {
            !c.is_other() && *c != AlertClassification::UnknownFutureValue
        })
        .map(Some),
    }
}

/// `determination` in a PATCH body: a known member, or null.
pub(super) fn determination_value(v: &Value) -> Result<Option<AlertDetermination>> {
    match v {
        Value::Null => Ok(None),
        v => enum_value("determination", v, AlertDetermination::parse, |d| {
            !d.is_other() && *d != AlertDetermination::UnknownFutureValue
        })
        .map(Some),
    }
}

/// The text of an `alertComment` POST body; alerts and incidents take the same shape.
pub(super) fn comment_text(body: &Map<String, Value>) -> Result<String> {
    let mut text = None;
    for (k, v) in body {
        match k.as_str() {
            "comment" => text = Some(text_value("comment", v)?),
            "@odata.type" => match v {
                Value::String(t)
                    if t.trim_start_matches('#') == "microsoft.graph.security.alertComment" => {}
                _ => {
                    return Err(GraphError::bad_request(
                        "'@odata.type' must be microsoft.graph.security.alertComment",
                    ));
                }
            },
            other => {
                return Err(GraphError::bad_request(format!(
                    "unexpected property '{other}' in an alertComment (expected 'comment')"
                )));
            }
        }
    }
    text.filter(|t| !t.trim().is_empty())
        .ok_or_else(|| GraphError::bad_request("'comment' is required and must not be empty"))
}

/// Parses a JSON object body, requiring a JSON content type when one is declared.
pub(super) fn json_object(
    headers: &HeaderMap,
    body: std::result::Result<Bytes, BytesRejection>,
) -> Result<Map<String, Value>> {
    if let Some(ct) = headers.get(CONTENT_TYPE) {
        let ct = ct.to_str().unwrap_or("");
        let mime = ct.split(';').next().unwrap_or("").trim();
        if !mime.eq_ignore_ascii_case("application/json") {
            return Err(GraphError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "invalidRequest",
                format!("Content-Type '{ct}' is not supported; send application/json"),
            ));
        }
    }
    let body = body
        .map_err(|e| GraphError::new(e.status(), "invalidRequest", format!("request body: {e}")))?;
    match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(GraphError::bad_request(
            "the request body must be a JSON object",
        )),
        Err(e) => Err(GraphError::bad_request(format!(
            "the request body is not valid JSON: {e}"
        ))),
    }
}

pub(super) fn enum_value<T>(
    name: &str,
    v: &Value,
    parse: impl Fn(&str) -> T,
    is_valid: impl Fn(&T) -> bool,
) -> Result<T> {
    let Value::String(s) = v else {
        return Err(GraphError::bad_request(format!(
            "'{name}' must be a string naming an enumeration member"
        )));
    };
    let parsed = parse(s);
    if is_valid(&parsed) {
        Ok(parsed)
    } else {
        Err(GraphError::bad_request(format!(
            "'{s}' is not a valid value for '{name}'"
        )))
    }
}

pub(super) fn text_value(name: &str, v: &Value) -> Result<String> {
    match v {
        Value::String(s) if s.chars().count() <= MAX_TEXT => Ok(s.clone()),
        Value::String(_) => Err(GraphError::bad_request(format!(
            "'{name}' is longer than {MAX_TEXT} characters"
        ))),
        _ => Err(GraphError::bad_request(format!(
            "'{name}' must be a string"
        ))),
    }
}

impl Update {
    fn parse(body: &Map<String, Value>) -> Result<Update> {
        let mut u = Update::default();
        for (k, v) in body {
            match k.as_str() {
                "status" => {
                    u.status = Some(enum_value("status", v, AlertStatus::parse, |s| {
                        !s.is_other() && *s != AlertStatus::UnknownFutureValue
                    })?);
                }
                "assignedTo" => u.assigned_to = Some(assigned_to_value(v)?),
                "classification" => u.classification = Some(classification_value(v)?),
                "determination" => u.determination = Some(determination_value(v)?),
                // An OData annotation naming the type is not a property change.
                "@odata.type" if matches!(v, Value::String(t) if t.trim_start_matches('#') == "microsoft.graph.security.alert") =>
                    {}
                other => {
                    return Err(GraphError::bad_request(format!(
                        "property '{other}' cannot be updated; updatable properties are \
                         status, assignedTo, classification and determination"
                    ))
                    .with_inner("propertyNotUpdateable"));
                }
            }
        }
        Ok(u)
    }

    fn apply(self, a: &mut AlertRecord, now: OffsetDateTime) {
        if let Some(s) = self.status {
            // resolvedDateTime follows the status: set on entering resolved, kept while
            // resolved, cleared on leaving it.
            match (&s, &a.status) {
                (AlertStatus::Resolved, AlertStatus::Resolved) => {}
                (AlertStatus::Resolved, _) => a.resolved = Some(now),
                _ => a.resolved = None,
            }
            a.status = s;
        }
        if let Some(v) = self.assigned_to {
            a.assigned_to = v.map(Into::into);
        }
        if let Some(v) = self.classification {
            a.classification = v;
        }
        if let Some(v) = self.determination {
            a.determination = v;
        }
        a.last_update = now;
    }
}

/// `PATCH /security/alerts_v2/{id}`: 200 with the full updated alert.
pub async fn patch_alert(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    path: std::result::Result<Path<String>, PathRejection>,
    body: std::result::Result<Bytes, BytesRejection>,
) -> Result<Response> {
    let id = alert_id(path)?;
    let update = Update::parse(&json_object(&headers, body)?)?;
    let include = include_unknown(&headers);
    let origin = state.origin(&headers);
    let mut store = state.write();
    let created = store
        .get(&id)
        .ok_or_else(|| GraphError::not_found(&id))?
        .created;
    let now = store.stamp(created);
    let alert = store
        .get_mut(&id)
        .ok_or_else(|| GraphError::not_found(&id))?;
    update.apply(alert, now);
    Ok(json_reply(entity_body(&origin, alert, include), include))
}

/// `POST /security/alerts_v2/{id}/comments`: 200 with every comment of the alert.
pub async fn post_comment(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    path: std::result::Result<Path<String>, PathRejection>,
    body: std::result::Result<Bytes, BytesRejection>,
) -> Result<Response> {
    let id = alert_id(path)?;
    let text = comment_text(&json_object(&headers, body)?)?;
    let author = auth::author(&caller.token);
    let origin = state.origin(&headers);

    let mut store = state.write();
    let created = store
        .get(&id)
        .ok_or_else(|| GraphError::not_found(&id))?
        .created;
    let now = store.stamp(created);
    let alert = store
        .get_mut(&id)
        .ok_or_else(|| GraphError::not_found(&id))?;
    alert.comments.push(Comment {
        text: text.into(),
        author: author.into(),
        created: now,
    });
    alert.last_update = now;
    let mut out = String::with_capacity(256 + alert.comments.len() * 160);
    out.push_str("{\"@odata.context\":");
    push_str_lit(
        &mut out,
        &format!("{origin}/v1.0/$metadata#security/alerts_v2('{id}')/comments"),
    );
    out.push_str(",\"value\":");
    render_comments(&mut out, &alert.comments);
    out.push('}');
    Ok(json_reply(out, false))
}

/// 405 for a method a route does not take, with `Allow`.
pub async fn method_not_allowed(method: Method, uri: Uri) -> Response {
    let allow = match Route::classify(uri.path()) {
        Route::Alerts => "GET, HEAD",
        Route::Alert => "GET, HEAD, PATCH",
        Route::AlertComments | Route::IncidentComments => "POST",
        Route::Incidents | Route::IncidentAlerts => "GET, HEAD",
        Route::Incident => "GET, HEAD, PATCH",
        Route::SecureScores | Route::ControlProfiles => "GET, HEAD",
        Route::ControlProfile => "GET, HEAD, PATCH",
        // The eDiscovery routes answer 405 themselves (see `cases::dispatch`).
        Route::EdiscoveryCases | Route::EdiscoveryItems => "GET, HEAD, POST",
        Route::EdiscoveryCase => "GET, HEAD, PATCH",
        Route::EdiscoveryOperations => "GET, HEAD",
        Route::EdiscoveryEstimate => "POST",
        // The threat assessment routes answer 405 themselves (see `assess::dispatch`).
        Route::AssessmentRequests => "GET, HEAD, POST",
        Route::AssessmentRequest | Route::AssessmentResults => "GET, HEAD",
        // Attack simulation answers 405 itself (see `sims::dispatch`).
        Route::AttackSimulations
        | Route::AttackSimulation
        | Route::AttackSimulationItems
        | Route::SecurityReports => "GET, HEAD",
        Route::Other => "",
    };
    let mut r = GraphError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "notSupported",
        format!("The HTTP method '{method}' is not allowed on this resource (allowed: {allow})."),
    )
    .into_response();
    r.headers_mut()
        .insert(ALLOW, HeaderValue::from_static(allow));
    r
}

/// Paths the emulator does not serve: Graph answers 400 naming the unknown segment.
pub async fn unknown_path(uri: Uri) -> GraphError {
    let known: [&[&str]; 3] = [
        &["v1.0"],
        &["security"],
        &[
            "alerts_v2",
            "incidents",
            "secureScores",
            "secureScoreControlProfiles",
        ],
    ];
    let segment = uri
        .path()
        .split('/')
        .filter(|s| !s.is_empty())
        .enumerate()
        .find(|(i, s)| !known.get(*i).is_some_and(|k| k.contains(s)))
        .map_or_else(|| uri.path().to_owned(), |(_, s)| s.to_owned());
    GraphError::new(
        StatusCode::BAD_REQUEST,
        "invalidRequest",
        format!("Resource not found for the segment '{segment}'."),
    )
}
