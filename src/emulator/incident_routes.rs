//! incidents handlers (surface.md §3): list, get, update, comment, and an incident's alerts.
//!
//! Request and reply conventions are the alerts_v2 ones ([`super::routes`]): the same
//! Prefer handling, body checks and error shapes.

use super::auth;
use super::error::GraphError;
use super::filter::INCIDENTS;
use super::incidents::{IncidentRecord, IncidentView};
use super::json::push_str_lit;
use super::paging::ListQuery;
use super::routes::{
    assigned_to_value, classification_value, comment_text, determination_value, enum_value,
    include_unknown, json_object, json_reply, text_value,
};
use super::server::{AppState, Caller};
use super::store::{Comment, Store, render_comments};
use crate::graph::enums::{AlertClassification, AlertDetermination, IncidentStatus};
use axum::Extension;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Map, Value};
use std::sync::Arc;

type Result<T> = std::result::Result<T, GraphError>;

/// Most tags one incident takes. Graph documents no limit; this keeps a hostile PATCH small.
const MAX_TAGS: usize = 100;

fn metadata(origin: &str) -> String {
    format!("{origin}/v1.0/$metadata#security/incidents")
}

fn incident_id(path: std::result::Result<Path<String>, PathRejection>) -> Result<String> {
    path.map(|Path(id)| id)
        .map_err(|e| GraphError::bad_request(format!("invalid incident id in the path: {e}")))
}

/// `$expand=alerts` on a single incident; any other option is refused.
fn expand_alerts(raw: Option<&str>) -> Result<bool> {
    let q = ListQuery::parse_for(raw, 1, &INCIDENTS).map_err(GraphError::bad_query)?;
    if q.filter.is_some() || q.count || q.skip > 0 || q.skiptoken.is_some() {
        return Err(GraphError::bad_query(
            "only $expand=alerts is supported on a single incident",
        ));
    }
    Ok(q.expand_alerts)
}

/// One incident with `@odata.context` in front, as GET and PATCH answer.
fn entity_body(origin: &str, view: IncidentView<'_>, include: bool, expand: bool) -> String {
    let mut json = String::with_capacity(1024);
    view.render(&mut json, include, expand);
    let mut s = String::with_capacity(json.len() + 96);
    s.push_str("{\"@odata.context\":");
    push_str_lit(&mut s, &format!("{}/$entity", metadata(origin)));
    s.push(',');
    // `json` is an object rendered above; splice its members after the context.
    s.push_str(json.strip_prefix('{').unwrap_or(&json));
    s
}

/// `GET /security/incidents`
pub async fn list(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    let q = ListQuery::parse_for(raw.as_deref(), state.page_size, &INCIDENTS)
        .map_err(GraphError::bad_query)?;
    let resume = q
        .resume_at(state.token_key)
        .map_err(GraphError::bad_query)?;
    let include = include_unknown(&headers);
    let origin = state.origin(&headers);

    let store = state.read();
    let total = store.incident_count();
    let matches = |v: &IncidentView<'_>| q.filter.as_ref().is_none_or(|f| f.matches(v));
    // Ranks are newest first; a cursor is an arena position (see `Store`).
    let at = |rank: usize| store.incident_by_rank(rank);
    let mut i = match resume {
        Some(cursor) => store.incident_rank(cursor),
        None => {
            // `$skip` counts matching items, from the top of the ordered collection.
            let mut skipped = 0;
            let mut i = 0;
            while skipped < q.skip {
                let Some(v) = at(i) else { break };
                skipped += usize::from(matches(&v));
                i += 1;
            }
            i
        }
    };
    let mut value =
        String::with_capacity(q.top.min(total) * if q.expand_alerts { 8192 } else { 1024 } + 2);
    value.push('[');
    let mut taken = 0;
    while taken < q.top {
        let Some(v) = at(i) else { break };
        i += 1;
        if matches(&v) {
            if taken > 0 {
                value.push(',');
            }
            v.render(&mut value, include, q.expand_alerts);
            taken += 1;
        }
    }
    value.push(']');
    // Resume at the next match, so the last page carries no nextLink.
    while at(i).is_some_and(|v| !matches(&v)) {
        i += 1;
    }
    let next = store.incident_cursor(i);
    let count = q
        .count
        .then(|| store.incidents().filter(|v| matches(v)).count());
    drop(store);

    let mut body = String::with_capacity(value.len() + 512);
    body.push_str("{\"@odata.context\":");
    push_str_lit(&mut body, &metadata(&origin));
    if let Some(n) = count {
        body.push_str(&format!(",\"@odata.count\":{n}"));
    }
    if let Some(cursor) = next {
        let base = format!("{origin}/v1.0/security/incidents");
        body.push_str(",\"@odata.nextLink\":");
        push_str_lit(&mut body, &q.next_link(&base, state.token_key, cursor));
    }
    body.push_str(",\"value\":");
    body.push_str(&value);
    body.push('}');
    Ok(json_reply(body, include))
}

/// `GET /security/incidents/{id}[?$expand=alerts]`
pub async fn get_incident(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    path: std::result::Result<Path<String>, PathRejection>,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    let id = incident_id(path)?;
    let expand = expand_alerts(raw.as_deref())?;
    let include = include_unknown(&headers);
    let origin = state.origin(&headers);
    let store = state.read();
    let view = store
        .incident(&id)
        .ok_or_else(|| GraphError::incident_not_found(&id))?;
    Ok(json_reply(
        entity_body(&origin, view, include, expand),
        include,
    ))
}

/// `GET /security/incidents/{id}/alerts`: the incident's alerts, in one page.
pub async fn list_alerts(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    path: std::result::Result<Path<String>, PathRejection>,
) -> Result<Response> {
    let id = incident_id(path)?;
    let include = include_unknown(&headers);
    let origin = state.origin(&headers);
    let store = state.read();
    let view = store
        .incident(&id)
        .ok_or_else(|| GraphError::incident_not_found(&id))?;
    let mut body = String::with_capacity(view.incident.alerts.len() * 4096 + 256);
    body.push_str("{\"@odata.context\":");
    push_str_lit(
        &mut body,
        &format!("{origin}/v1.0/$metadata#security/incidents('{id}')/alerts"),
    );
    body.push_str(",\"value\":[");
    for (n, a) in view.alerts().enumerate() {
        if n > 0 {
            body.push(',');
        }
        a.render(&mut body, include);
    }
    body.push_str("]}");
    Ok(json_reply(body, include))
}

/// The body of an incident PATCH, validated: only the five documented updatable properties.
#[derive(Debug, Default)]
struct Update {
    status: Option<IncidentStatus>,
    assigned_to: Option<Option<String>>,
    classification: Option<Option<AlertClassification>>,
    determination: Option<Option<AlertDetermination>>,
    custom_tags: Option<Vec<String>>,
}

fn tags_value(v: &Value) -> Result<Vec<String>> {
    let items = match v {
        Value::Null => return Ok(Vec::new()),
        Value::Array(items) if items.len() <= MAX_TAGS => items,
        Value::Array(_) => {
            return Err(GraphError::bad_request(format!(
                "'customTags' takes at most {MAX_TAGS} tags"
            )));
        }
        _ => {
            return Err(GraphError::bad_request(
                "'customTags' must be an array of strings",
            ));
        }
    };
    let mut tags: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        let t = text_value("customTags", item)?;
        if t.trim().is_empty() {
            return Err(GraphError::bad_request("a custom tag must not be empty"));
        }
        if !tags.contains(&t) {
            tags.push(t);
        }
    }
    Ok(tags)
}

impl Update {
    fn parse(body: &Map<String, Value>) -> Result<Update> {
        let mut u = Update::default();
        for (k, v) in body {
            match k.as_str() {
                // `redirected` comes only from a merge, `awaitingAction` only from Defender
                // Experts; neither is the analyst's to set.
                "status" => {
                    u.status = Some(enum_value("status", v, IncidentStatus::parse, |s| {
                        matches!(
                            s,
                            IncidentStatus::Active
                                | IncidentStatus::InProgress
                                | IncidentStatus::Resolved
                        )
                    })?);
                }
                "assignedTo" => u.assigned_to = Some(assigned_to_value(v)?),
                "classification" => u.classification = Some(classification_value(v)?),
                "determination" => u.determination = Some(determination_value(v)?),
                "customTags" => u.custom_tags = Some(tags_value(v)?),
                "@odata.type" if matches!(v, Value::String(t) if t.trim_start_matches('#') == "microsoft.graph.security.incident") =>
                    {}
                other => {
                    return Err(GraphError::bad_request(format!(
                        "property '{other}' cannot be updated; updatable properties are \
                         status, assignedTo, classification, determination and customTags"
                    ))
                    .with_inner("propertyNotUpdateable"));
                }
            }
        }
        Ok(u)
    }

    fn apply(self, i: &mut IncidentRecord, author: &str, now: time::OffsetDateTime) {
        if let Some(s) = self.status {
            i.status = Some(s);
        }
        if let Some(v) = self.assigned_to {
            i.assigned_to = v.map(Into::into);
        }
        if let Some(v) = self.classification {
            i.classification = v;
        }
        if let Some(v) = self.determination {
            i.determination = v;
        }
        if let Some(tags) = self.custom_tags {
            i.custom_tags = tags.into_iter().map(Into::into).collect();
        }
        i.last_write = Some(now);
        i.last_modified_by = Some(author.into());
    }
}

/// A write time after any change the incident already shows (and after every other write),
/// so its `lastUpdateDateTime` never goes back, even under a generation clock pinned ahead
/// of real time.
fn incident_write_time(store: &mut Store, id: &str) -> Result<time::OffsetDateTime> {
    let shown = store
        .incident(id)
        .ok_or_else(|| GraphError::incident_not_found(id))?
        .last_update();
    Ok(store.stamp(shown))
}

/// `PATCH /security/incidents/{id}`: 200 with the full updated incident.
pub async fn patch_incident(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    path: std::result::Result<Path<String>, PathRejection>,
    body: std::result::Result<Bytes, BytesRejection>,
) -> Result<Response> {
    let id = incident_id(path)?;
    let update = Update::parse(&json_object(&headers, body)?)?;
    let include = include_unknown(&headers);
    let origin = state.origin(&headers);
    let author = auth::author(&caller.token);
    let mut store = state.write();
    let now = incident_write_time(&mut store, &id)?;
    let (incident, alerts) = store
        .incident_mut(&id)
        .ok_or_else(|| GraphError::incident_not_found(&id))?;
    update.apply(incident, &author, now);
    let view = IncidentView {
        incident,
        all_alerts: alerts,
    };
    Ok(json_reply(
        entity_body(&origin, view, include, false),
        include,
    ))
}

/// `POST /security/incidents/{id}/comments`: 200 with every comment of the incident.
pub async fn post_comment(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    path: std::result::Result<Path<String>, PathRejection>,
    body: std::result::Result<Bytes, BytesRejection>,
) -> Result<Response> {
    let id = incident_id(path)?;
    let text = comment_text(&json_object(&headers, body)?)?;
    let author = auth::author(&caller.token);
    let origin = state.origin(&headers);

    let mut store = state.write();
    let now = incident_write_time(&mut store, &id)?;
    let (incident, _) = store
        .incident_mut(&id)
        .ok_or_else(|| GraphError::incident_not_found(&id))?;
    incident.comments.push(Comment {
        text: text.into(),
        author: author.as_str().into(),
        created: now,
    });
    incident.last_write = Some(now);
    incident.last_modified_by = Some(author.into());
    let mut out = String::with_capacity(256 + incident.comments.len() * 160);
    out.push_str("{\"@odata.context\":");
    push_str_lit(
        &mut out,
        &format!("{origin}/v1.0/$metadata#security/incidents('{id}')/comments"),
    );
    out.push_str(",\"value\":");
    render_comments(&mut out, &incident.comments);
    out.push('}');
    Ok(json_reply(out, false))
}
