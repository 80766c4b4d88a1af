//! The outbox's decisions, as pure functions over what Graph returned.
//!
//! Field values are compared as Graph's JSON (`"inProgress"`, `null`), keyed by Graph's
//! property names, so the same rules serve any resource whose updates serialize that way.

use super::{Base, FieldConflict};
use crate::graph::incidents::{Incident, IncidentUpdate};
use crate::graph::models::{Alert, AlertComment, AlertUpdate};
use crate::graph::score::{ControlStateUpdate, SecureScoreControlProfile, StateUpdate};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use time::{Duration, OffsetDateTime};

/// How far the server's clock may run behind ours when deciding whether a comment on the
/// alert was written after an entry was created.
pub const CLOCK_SKEW: Duration = Duration::minutes(2);

/// The fields an update (alert or incident) sets, by Graph property name.
pub fn update_fields(update: &impl Serialize) -> BTreeMap<String, Value> {
    match serde_json::to_value(update) {
        Ok(Value::Object(map)) => map.into_iter().collect(),
        _ => BTreeMap::new(),
    }
}

/// The updatable fields of an alert as the console holds them (`null` when unset). Built
/// from the typed fields, not the raw JSON, so an optimistic preview counts as seen.
pub fn alert_values(alert: &Alert) -> BTreeMap<String, Value> {
    values_of(&AlertUpdate {
        status: alert.status.clone(),
        assigned_to: alert.assigned_to.clone(),
        classification: alert.classification.clone(),
        determination: alert.determination.clone(),
    })
}

/// The updatable fields of an alert or incident given as an update holding all of them
/// as seen (`null` when unset).
fn values_of(all: &impl Serialize) -> BTreeMap<String, Value> {
    let mut values = update_fields(all);
    for key in ["status", "assignedTo", "classification", "determination"] {
        values.entry(key.to_owned()).or_insert(Value::Null);
    }
    values
}

/// The updatable fields of an incident, as [`alert_values`] does for alerts.
pub fn incident_values(incident: &Incident) -> BTreeMap<String, Value> {
    values_of(&IncidentUpdate {
        status: incident.status.clone(),
        assigned_to: incident.assigned_to.clone(),
        classification: incident.classification.clone(),
        determination: incident.determination.clone(),
        custom_tags: Some(incident.custom_tags.clone()),
    })
}

/// The base to journal with `update`: the version and the values of the changed fields in
/// `seen` (the alert as the analyst saw it, pending changes included).
pub fn base_for(seen: &Alert, update: &AlertUpdate) -> Base {
    base_from(seen.last_update, &alert_values(seen), update)
}

/// [`base_for`] for an alert known only by its last update and its updatable fields (as
/// an incident's expanded alerts summarise it).
pub fn base_for_fields(
    last_update: Option<OffsetDateTime>,
    seen: &AlertUpdate,
    update: &AlertUpdate,
) -> Base {
    base_from(last_update, &values_of(seen), update)
}

/// [`base_for`] for an incident.
pub fn incident_base_for(seen: &Incident, update: &IncidentUpdate) -> Base {
    base_from(seen.last_update, &incident_values(seen), update)
}

fn base_from(
    last_update: Option<OffsetDateTime>,
    values: &BTreeMap<String, Value>,
    update: &impl Serialize,
) -> Base {
    Base {
        last_update,
        fields: update_fields(update)
            .into_keys()
            .map(|k| {
                let v = values.get(&k).cloned().unwrap_or(Value::Null);
                (k, v)
            })
            .collect(),
    }
}

/// The fields the server changed under `update`: its value differs from both the base the
/// analyst saw and what the analyst wants. Nothing when the server's version is not newer
/// than the base's.
pub fn conflicts(base: &Base, update: &AlertUpdate, server: &Alert) -> Vec<FieldConflict> {
    conflicts_with(base, update, server.last_update, &alert_values(server))
}

/// [`conflicts`] for an incident: same rule, on its `lastUpdateDateTime` and fields.
pub fn incident_conflicts(
    base: &Base,
    update: &IncidentUpdate,
    server: &Incident,
) -> Vec<FieldConflict> {
    conflicts_with(base, update, server.last_update, &incident_values(server))
}

fn conflicts_with(
    base: &Base,
    update: &impl Serialize,
    server_last_update: Option<OffsetDateTime>,
    theirs_all: &BTreeMap<String, Value>,
) -> Vec<FieldConflict> {
    conflicts_of(base, update_fields(update), server_last_update, theirs_all)
}

fn conflicts_of(
    base: &Base,
    mine_all: BTreeMap<String, Value>,
    server_last_update: Option<OffsetDateTime>,
    theirs_all: &BTreeMap<String, Value>,
) -> Vec<FieldConflict> {
    if let (Some(seen), Some(now)) = (base.last_update, server_last_update)
        && now <= seen
    {
        return Vec::new();
    }
    mine_all
        .into_iter()
        .filter_map(|(field, mine)| {
            let base_v = base.fields.get(&field).cloned().unwrap_or(Value::Null);
            let theirs = theirs_all.get(&field).cloned().unwrap_or(Value::Null);
            (!same(&theirs, &base_v) && !same(&theirs, &mine)).then_some(FieldConflict {
                field,
                base: base_v,
                mine,
                theirs,
            })
        })
        .collect()
}

/// Equal as values; an empty string and `null` both mean "unset" (unassigning sends "").
fn same(a: &Value, b: &Value) -> bool {
    let unset = |v: &Value| v.is_null() || v.as_str() == Some("");
    a == b || (unset(a) && unset(b))
}

/// True when `comments` already holds the entry's comment: same text, by the same author
/// (when both sides name one), written no earlier than `created` less [`CLOCK_SKEW`].
pub fn comment_landed(
    comments: &[AlertComment],
    text: &str,
    author: Option<&str>,
    created: OffsetDateTime,
) -> bool {
    let since = created - CLOCK_SKEW;
    comments.iter().any(|c| {
        let text_ok = c.comment.as_deref().map(str::trim) == Some(text.trim());
        let author_ok = match (author, c.created_by_display_name.as_deref()) {
            (Some(a), Some(b)) => a.trim().eq_ignore_ascii_case(b.trim()),
            _ => true,
        };
        // A comment without a time can't be placed; assume it may be ours rather than post
        // twice.
        let time_ok = c.created_date_time.is_none_or(|t| t >= since);
        text_ok && author_ok && time_ok
    })
}

/// The state fields a control write decides, by Graph property name: `state` when it sets
/// one (without, Graph keeps the current state), and always `assignedTo`, since each PATCH
/// writes a whole new `controlStateUpdates` entry (`null` there unassigns the control).
/// `comment` is a note on the change, not state anyone else's change could clash with.
pub fn control_fields(update: &ControlStateUpdate) -> BTreeMap<String, Value> {
    let mut fields = BTreeMap::new();
    if let Some(state) = &update.state {
        fields.insert("state".to_owned(), Value::from(state.as_str()));
    }
    fields.insert(
        "assignedTo".to_owned(),
        update
            .assigned_to
            .as_deref()
            .map_or(Value::Null, Value::from),
    );
    fields
}

/// A control's current state as its newest `controlStateUpdates` entry has it: that
/// entry's `updatedDateTime`, and its `state` and `assignedTo` (`null` when unset, or when
/// the control has no entry at all).
pub fn control_values(
    profile: &SecureScoreControlProfile,
) -> (Option<OffsetDateTime>, BTreeMap<String, Value>) {
    let newest = profile.control_state_updates.last();
    let text = |v: Option<&str>| v.map_or(Value::Null, Value::from);
    let values = [
        (
            "state".to_owned(),
            text(newest.and_then(|u| u.state.as_ref()).map(|s| s.as_str())),
        ),
        (
            "assignedTo".to_owned(),
            text(newest.and_then(|u| u.assigned_to.as_deref())),
        ),
    ]
    .into();
    (newest.and_then(|u| u.updated_date_time), values)
}

/// The base to journal with a control write: the newest state entry the analyst saw in
/// `seen`, for the fields `update` decides.
pub fn control_base(seen: &SecureScoreControlProfile, update: &ControlStateUpdate) -> Base {
    let (last_update, values) = control_values(seen);
    Base {
        last_update,
        fields: control_fields(update)
            .into_keys()
            .map(|k| {
                let v = values.get(&k).cloned().unwrap_or(Value::Null);
                (k, v)
            })
            .collect(),
    }
}

/// The control-state fields someone else changed since the analyst's base: the server's
/// newest entry is newer than the one the analyst saw and holds, for a field this write
/// decides, a value that is neither the base's nor the analyst's.
pub fn control_conflicts(
    base: &Base,
    update: &ControlStateUpdate,
    server: &SecureScoreControlProfile,
) -> Vec<FieldConflict> {
    let (last_update, theirs) = control_values(server);
    conflicts_of(base, control_fields(update), last_update, &theirs)
}

/// True when `updates` already holds the entry an earlier attempt of this write appended:
/// the same state (any, when the write sets none), assignment and comment, by the same
/// author (when both sides name one), dated no earlier than `created` less [`CLOCK_SKEW`].
/// An entry without a date can't be placed and is not taken for ours: the controls' first
/// entries (the service's defaults) have none, and taking one for ours would lose the write.
pub fn control_update_landed(
    updates: &[StateUpdate],
    update: &ControlStateUpdate,
    author: Option<&str>,
    created: OffsetDateTime,
) -> bool {
    let since = created - CLOCK_SKEW;
    let text = |v: Option<&str>| v.map_or(Value::Null, |s| Value::from(s.trim()));
    updates.iter().any(|u| {
        let state_ok = update.state.is_none() || u.state == update.state;
        let assigned_ok = same(
            &text(u.assigned_to.as_deref()),
            &text(update.assigned_to.as_deref()),
        );
        let comment_ok = same(
            &text(u.comment.as_deref()),
            &text(update.comment.as_deref()),
        );
        let author_ok = match (author, u.updated_by.as_deref()) {
            (Some(a), Some(b)) => a.trim().eq_ignore_ascii_case(b.trim()),
            _ => true,
        };
        let time_ok = u.updated_date_time.is_some_and(|t| t >= since);
        state_ok && assigned_ok && comment_ok && author_ok && time_ok
    })
}

/// A JSON value for people: strings bare, `null` as "(none)".
pub fn show(v: &Value) -> String {
    let s = match v {
        Value::Null => "(none)".to_owned(),
        Value::String(s) if s.is_empty() => "(none)".to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    crate::sanitize::line(&s).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::enums::AlertStatus;
    use crate::graph::models::FromRaw;
    use serde_json::json;
    use time::macros::datetime;

    fn alert(json: Value) -> Alert {
        let raw = serde_json::value::to_raw_value(&json).unwrap();
        Alert::from_raw(&raw).unwrap()
    }

    fn resolve() -> AlertUpdate {
        AlertUpdate {
            status: Some(AlertStatus::Resolved),
            ..Default::default()
        }
    }

    #[test]
    fn base_holds_only_changed_fields() {
        let a = alert(
            json!({"id":"a","status":"new","assignedTo":null,"lastUpdateDateTime":"2026-01-01T00:00:00Z"}),
        );
        let b = base_for(
            &a,
            &AlertUpdate {
                status: Some(AlertStatus::InProgress),
                assigned_to: Some("me".into()),
                ..Default::default()
            },
        );
        assert_eq!(b.last_update, Some(datetime!(2026-01-01 00:00 UTC)));
        assert_eq!(
            b.fields.into_iter().collect::<Vec<_>>(),
            vec![
                ("assignedTo".to_owned(), Value::Null),
                ("status".to_owned(), json!("new"))
            ]
        );
    }

    #[test]
    fn conflict_only_when_the_server_changed_my_field_to_something_else() {
        let seen = alert(
            json!({"id":"a","status":"new","assignedTo":"bob","lastUpdateDateTime":"2026-01-01T00:00:00Z"}),
        );
        let base = base_for(&seen, &resolve());
        // Unchanged version: no check at all.
        assert!(conflicts(&base, &resolve(), &seen).is_empty());
        // Newer version, but only another field changed.
        let other = alert(
            json!({"id":"a","status":"new","assignedTo":"eve","lastUpdateDateTime":"2026-01-02T00:00:00Z"}),
        );
        assert!(conflicts(&base, &resolve(), &other).is_empty());
        // The server already has my value.
        let same = alert(
            json!({"id":"a","status":"resolved","lastUpdateDateTime":"2026-01-02T00:00:00Z"}),
        );
        assert!(conflicts(&base, &resolve(), &same).is_empty());
        // Someone moved my field elsewhere.
        let moved = alert(
            json!({"id":"a","status":"inProgress","lastUpdateDateTime":"2026-01-02T00:00:00Z"}),
        );
        let c = conflicts(&base, &resolve(), &moved);
        assert_eq!(
            c,
            vec![FieldConflict {
                field: "status".into(),
                base: json!("new"),
                mine: json!("resolved"),
                theirs: json!("inProgress"),
            }]
        );
    }

    #[test]
    fn unassigned_is_null_or_empty() {
        let seen =
            alert(json!({"id":"a","assignedTo":"","lastUpdateDateTime":"2026-01-01T00:00:00Z"}));
        let u = AlertUpdate {
            assigned_to: Some("me".into()),
            ..Default::default()
        };
        let base = base_for(&seen, &u);
        let server =
            alert(json!({"id":"a","assignedTo":null,"lastUpdateDateTime":"2026-01-03T00:00:00Z"}));
        assert!(conflicts(&base, &u, &server).is_empty());
    }

    #[test]
    fn comment_recognised_by_text_author_and_time() {
        let created = datetime!(2026-01-01 12:00 UTC);
        let c = |text: &str, by: &str, at: OffsetDateTime| AlertComment {
            comment: Some(text.into()),
            created_by_display_name: Some(by.into()),
            created_date_time: Some(at),
        };
        let me = Some("me@x.com");
        assert!(comment_landed(
            &[c("hi", "ME@x.com", created + Duration::seconds(1))],
            "hi",
            me,
            created
        ));
        // Within the allowed skew.
        assert!(comment_landed(
            &[c("hi", "me@x.com", created - Duration::seconds(30))],
            "hi",
            me,
            created
        ));
        // An older identical comment is someone's earlier note, not this entry.
        assert!(!comment_landed(
            &[c("hi", "me@x.com", created - Duration::hours(1))],
            "hi",
            me,
            created
        ));
        assert!(!comment_landed(
            &[c("hi", "eve@x.com", created)],
            "hi",
            me,
            created
        ));
        assert!(!comment_landed(
            &[c("hello", "me@x.com", created)],
            "hi",
            me,
            created
        ));
        // No author known: text and time decide.
        assert!(comment_landed(
            &[c("hi", "whoever", created)],
            "hi",
            None,
            created
        ));
    }

    fn profile(updates: Value) -> SecureScoreControlProfile {
        let raw = serde_json::value::to_raw_value(&json!({
            "id": "AdminMFA",
            "controlStateUpdates": updates,
        }))
        .unwrap();
        SecureScoreControlProfile::from_raw(&raw).unwrap()
    }

    fn third_party() -> ControlStateUpdate {
        ControlStateUpdate::new(crate::graph::score::ControlState::ThirdParty)
    }

    #[test]
    fn control_base_is_the_newest_state_entry_seen() {
        let seen = profile(json!([
            {"state": "Default", "assignedTo": null, "updatedDateTime": null},
            {"state": "Reviewed", "assignedTo": "bob", "updatedDateTime": "2026-01-02T00:00:00Z"},
        ]));
        let base = control_base(&seen, &third_party());
        assert_eq!(base.last_update, Some(datetime!(2026-01-02 00:00 UTC)));
        assert_eq!(
            base.fields.into_iter().collect::<Vec<_>>(),
            vec![
                ("assignedTo".to_owned(), json!("bob")),
                ("state".to_owned(), json!("Reviewed")),
            ]
        );
        // No history at all: nothing was set.
        let bare = control_base(&profile(json!([])), &third_party());
        assert_eq!(bare.last_update, None);
        assert_eq!(bare.fields["state"], Value::Null);
    }

    #[test]
    fn control_conflict_only_when_someone_else_changed_the_state_after_the_base() {
        let seen = profile(json!([
            {"state": "Default", "updatedDateTime": "2026-01-01T00:00:00Z"},
        ]));
        let mine = third_party();
        let base = control_base(&seen, &mine);
        // Nothing newer on the server.
        assert!(control_conflicts(&base, &mine, &seen).is_empty());
        // A newer entry that only adds a note: same state, same (no) assignment.
        let noted = profile(json!([
            {"state": "Default", "updatedDateTime": "2026-01-01T00:00:00Z"},
            {"state": "Default", "comment": "looked", "updatedDateTime": "2026-01-02T00:00:00Z"},
        ]));
        assert!(control_conflicts(&base, &mine, &noted).is_empty());
        // Someone already set what I want.
        let same_state = profile(json!([
            {"state": "ThirdParty", "updatedDateTime": "2026-01-02T00:00:00Z"},
        ]));
        assert!(control_conflicts(&base, &mine, &same_state).is_empty());
        // Someone set another state and took the control.
        let moved = profile(json!([
            {"state": "Default", "updatedDateTime": "2026-01-01T00:00:00Z"},
            {"state": "Ignored", "assignedTo": "eve", "updatedDateTime": "2026-01-02T00:00:00Z"},
        ]));
        let c = control_conflicts(&base, &mine, &moved);
        assert_eq!(
            c,
            vec![
                FieldConflict {
                    field: "assignedTo".into(),
                    base: Value::Null,
                    mine: Value::Null,
                    theirs: json!("eve"),
                },
                FieldConflict {
                    field: "state".into(),
                    base: json!("Default"),
                    mine: json!("ThirdParty"),
                    theirs: json!("Ignored"),
                },
            ]
        );
        // A write that sets no state never conflicts on it (Graph keeps the current one).
        let note_only = ControlStateUpdate {
            state: None,
            comment: Some("n".into()),
            ..third_party()
        };
        let base = control_base(&seen, &note_only);
        let c = control_conflicts(&base, &note_only, &moved);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].field, "assignedTo");
    }

    #[test]
    fn control_update_recognised_by_state_assignment_comment_author_and_time() {
        let created = datetime!(2026-01-01 12:00 UTC);
        let mut mine = third_party();
        mine.comment = Some("covered by EDR".into());
        let entry = |state: &str, comment: &str, by: &str, at: Option<&str>| {
            json!({"state": state, "comment": comment, "assignedTo": null,
                   "updatedBy": by, "updatedDateTime": at})
        };
        let landed = |e: Value| {
            let p = profile(json!([e]));
            control_update_landed(&p.control_state_updates, &mine, Some(ANALYST), created)
        };
        const ANALYST: &str = "me@x.com";
        assert!(landed(entry(
            "ThirdParty",
            "covered by EDR",
            "ME@x.com",
            Some("2026-01-01T12:00:01Z")
        )));
        // Within the allowed skew.
        assert!(landed(entry(
            "ThirdParty",
            "covered by EDR",
            ANALYST,
            Some("2026-01-01T11:59:30Z")
        )));
        // An older identical entry is an earlier change, not this write.
        assert!(!landed(entry(
            "ThirdParty",
            "covered by EDR",
            ANALYST,
            Some("2026-01-01T11:00:00Z")
        )));
        // An undated entry (the service's default) is never taken for ours.
        assert!(!landed(entry(
            "ThirdParty",
            "covered by EDR",
            ANALYST,
            None
        )));
        assert!(!landed(entry(
            "Ignored",
            "covered by EDR",
            ANALYST,
            Some("2026-01-01T12:00:01Z")
        )));
        assert!(!landed(entry(
            "ThirdParty",
            "other note",
            ANALYST,
            Some("2026-01-01T12:00:01Z")
        )));
        assert!(!landed(entry(
            "ThirdParty",
            "covered by EDR",
            "eve@x.com",
            Some("2026-01-01T12:00:01Z")
        )));
        // A different assignment is a different change.
        let p = profile(json!([{"state": "ThirdParty", "comment": "covered by EDR",
            "assignedTo": "bob", "updatedDateTime": "2026-01-01T12:00:01Z"}]));
        assert!(!control_update_landed(
            &p.control_state_updates,
            &mine,
            None,
            created
        ));
    }

    #[test]
    fn incident_conflicts_follow_the_alert_rules() {
        use crate::graph::enums::IncidentStatus;
        let incident = |json: Value| {
            let raw = serde_json::value::to_raw_value(&json).unwrap();
            Incident::from_raw(&raw).unwrap()
        };
        let seen = incident(
            json!({"id":"7","status":"active","customTags":["a"],"lastUpdateDateTime":"2026-01-01T00:00:00Z"}),
        );
        let mine = IncidentUpdate {
            status: Some(IncidentStatus::Resolved),
            custom_tags: Some(vec!["a".into(), "b".into()]),
            ..Default::default()
        };
        let base = incident_base_for(&seen, &mine);
        assert_eq!(base.fields["customTags"], json!(["a"]));
        assert!(incident_conflicts(&base, &mine, &seen).is_empty());
        // Someone else retagged it meanwhile; the status is untouched.
        let theirs = incident(
            json!({"id":"7","status":"active","customTags":["c"],"lastUpdateDateTime":"2026-01-02T00:00:00Z"}),
        );
        let c = incident_conflicts(&base, &mine, &theirs);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].field, "customTags");
        assert_eq!(c[0].theirs, json!(["c"]));
    }
}
