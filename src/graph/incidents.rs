//! `microsoft.graph.security.incident`: Defender's grouping of related alerts.
//!
//! Same rules as [`Alert`]: the object is kept exactly as Graph sent it (`raw`) beside lenient
//! typed fields. The documented and recorded bodies disagree with the schema in ways a
//! client must survive: PascalCase enum values, `tags` instead of `customTags`, comments
//! with `createdBy`/`createdTime`, and `alerts` as a single object after a split.

use super::enums::{AlertClassification, AlertDetermination, AlertSeverity, IncidentStatus};
use super::lenient;
use super::models::{Alert, AlertComment, FromRaw};
use serde::de::{Deserializer, Error as _};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use time::OffsetDateTime;

/// `microsoft.graph.security.incident`, with its alerts when asked for by `$expand=alerts`.
#[derive(Debug, Clone)]
pub struct Incident {
    pub id: String,
    pub display_name: Option<String>,
    pub status: Option<IncidentStatus>,
    pub severity: Option<AlertSeverity>,
    pub classification: Option<AlertClassification>,
    pub determination: Option<AlertDetermination>,
    pub assigned_to: Option<String>,
    pub created: Option<OffsetDateTime>,
    pub last_update: Option<OffsetDateTime>,
    /// `customTags`, or the `tags` some documented bodies use instead.
    pub custom_tags: Vec<String>,
    pub system_tags: Vec<String>,
    pub comments: Vec<AlertComment>,
    pub incident_web_url: Option<String>,
    pub redirect_incident_id: Option<String>,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub priority_score: Option<i64>,
    pub resolving_comment: Option<String>,
    pub last_modified_by: Option<String>,
    pub tenant_id: Option<String>,
    /// The expanded `alerts` navigation; empty when not expanded. Alerts that cannot be read
    /// at all are left out (the raw JSON still has them).
    pub alerts: Vec<Alert>,
    /// The object exactly as Graph returned it.
    pub raw: Box<RawValue>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct IncidentFields {
    #[serde(default, deserialize_with = "lenient::string")]
    id: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    display_name: Option<String>,
    #[serde(default)]
    status: Option<IncidentStatus>,
    #[serde(default)]
    severity: Option<AlertSeverity>,
    #[serde(default)]
    classification: Option<AlertClassification>,
    #[serde(default)]
    determination: Option<AlertDetermination>,
    #[serde(default, deserialize_with = "lenient::string")]
    assigned_to: Option<String>,
    #[serde(default, deserialize_with = "lenient::datetime")]
    created_date_time: Option<OffsetDateTime>,
    #[serde(default, deserialize_with = "lenient::datetime")]
    last_update_date_time: Option<OffsetDateTime>,
    #[serde(default, deserialize_with = "lenient::strings")]
    custom_tags: Vec<String>,
    // Not an alias of `customTags`: a body carrying both would then be a duplicate-field
    // error. `customTags` wins when both are present.
    #[serde(default, deserialize_with = "lenient::strings")]
    tags: Vec<String>,
    #[serde(default, deserialize_with = "lenient::strings")]
    system_tags: Vec<String>,
    #[serde(default, deserialize_with = "lenient::list")]
    comments: Vec<AlertComment>,
    #[serde(default, deserialize_with = "lenient::string")]
    incident_web_url: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    redirect_incident_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    summary: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    description: Option<String>,
    #[serde(default, deserialize_with = "lenient::int")]
    priority_score: Option<i64>,
    #[serde(default, deserialize_with = "lenient::string")]
    resolving_comment: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    last_modified_by: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    tenant_id: Option<String>,
    #[serde(default, deserialize_with = "alerts")]
    alerts: Vec<Alert>,
}

/// `alerts`: an array of alerts, or (as recorded after a per-alert split) one alert object.
/// Unreadable alerts are skipped; anything else (null, a scalar) gives no alerts.
fn alerts<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Alert>, D::Error> {
    let raw = Box::<RawValue>::deserialize(d)?;
    let text = raw.get().trim_start();
    if text.starts_with('{') {
        return Ok(Alert::from_raw(&raw).into_iter().collect());
    }
    if text.starts_with('[') {
        let items: Vec<&RawValue> = serde_json::from_str(raw.get()).map_err(D::Error::custom)?;
        return Ok(items
            .into_iter()
            .filter_map(|i| Alert::from_raw(i).ok())
            .collect());
    }
    Ok(Vec::new())
}

impl FromRaw for Incident {
    fn from_raw(raw: &RawValue) -> Result<Self, serde_json::Error> {
        // serde's derived structs also accept an array (fields by position); an incident is
        // only ever an object.
        if !raw.get().trim_start().starts_with('{') {
            return Err(serde_json::Error::custom(
                "an incident must be a JSON object",
            ));
        }
        let f: IncidentFields = serde_json::from_str(raw.get())?;
        let id = f.id.ok_or_else(|| serde_json::Error::missing_field("id"))?;
        let custom_tags = if f.custom_tags.is_empty() {
            f.tags
        } else {
            f.custom_tags
        };
        Ok(Incident {
            id,
            display_name: f.display_name,
            status: f.status,
            severity: f.severity,
            classification: f.classification,
            determination: f.determination,
            assigned_to: f.assigned_to,
            created: f.created_date_time,
            last_update: f.last_update_date_time,
            custom_tags,
            system_tags: f.system_tags,
            comments: f.comments,
            incident_web_url: f.incident_web_url,
            redirect_incident_id: f.redirect_incident_id,
            summary: f.summary,
            description: f.description,
            priority_score: f.priority_score,
            resolving_comment: f.resolving_comment,
            last_modified_by: f.last_modified_by,
            tenant_id: f.tenant_id,
            alerts: f.alerts,
            raw: raw.to_owned(),
        })
    }
}

impl Incident {
    /// Parses one incident object (a GET or PATCH reply).
    pub fn from_json(body: &str) -> Result<Self, serde_json::Error> {
        let raw: &RawValue = serde_json::from_str(body)?;
        Self::from_raw(raw)
    }
}

/// Two incidents are equal when Graph sent the same object.
impl PartialEq for Incident {
    fn eq(&self, other: &Self) -> bool {
        self.raw.get() == other.raw.get()
    }
}

impl<'de> Deserialize<'de> for Incident {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(d)?;
        Incident::from_raw(&raw).map_err(D::Error::custom)
    }
}

/// Serializes as the original JSON, so export is lossless.
impl Serialize for Incident {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.raw.serialize(s)
    }
}

/// A PATCH body for an incident: only the documented updatable fields, only those changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IncidentUpdate {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub status: Option<IncidentStatus>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub assigned_to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub classification: Option<AlertClassification>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub determination: Option<AlertDetermination>,
    /// Replaces the whole tag list (Graph has no add/remove for tags).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub custom_tags: Option<Vec<String>>,
}

impl IncidentUpdate {
    pub fn is_empty(&self) -> bool {
        self == &IncidentUpdate::default()
    }

    /// Applies this update to a local copy, for optimistic display of a pending write.
    pub fn apply_to(&self, incident: &mut Incident) {
        if let Some(s) = &self.status {
            incident.status = Some(s.clone());
        }
        if let Some(a) = &self.assigned_to {
            incident.assigned_to = Some(a.clone());
        }
        if let Some(c) = &self.classification {
            incident.classification = Some(c.clone());
        }
        if let Some(d) = &self.determination {
            incident.determination = Some(d.clone());
        }
        if let Some(t) = &self.custom_tags {
            incident.custom_tags = t.clone();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::models::{Page, parse_page};

    #[test]
    fn quirky_shapes_are_read() {
        let body = r#"{"value":[
            {"id":"1","status":"Active","severity":"Medium","tags":["Demo"],
             "comments":[{"comment":"c","createdBy":"me","createdTime":"2021-09-30T12:07:37.2756993Z"}],
             "alerts":{"id":"a1","severity":"high"}},
            {"id":"2","status":"awaitingAction","customTags":["x"],"tags":["y"],
             "alerts":[{"id":"a2"},17,{"title":"no id"}],"priorityScore":"42"},
            {"noId":true}
        ]}"#;
        let page: Page<Incident> = parse_page(body).expect("page parses");
        assert_eq!(page.skipped, 1);
        let [one, two] = page.items.as_slice() else {
            panic!("two incidents expected, got {}", page.items.len());
        };
        assert_eq!(one.status, Some(IncidentStatus::Active));
        assert_eq!(one.severity, Some(AlertSeverity::Medium));
        assert_eq!(one.custom_tags, ["Demo"]);
        assert_eq!(
            one.comments[0].created_by_display_name.as_deref(),
            Some("me")
        );
        assert!(one.comments[0].created_date_time.is_some());
        assert_eq!(one.alerts.len(), 1);
        assert_eq!(one.alerts[0].severity, Some(AlertSeverity::High));
        assert_eq!(two.status, Some(IncidentStatus::AwaitingAction));
        assert_eq!(two.custom_tags, ["x"]);
        assert_eq!(two.priority_score, Some(42));
        assert_eq!(two.alerts.len(), 1);
        assert_eq!(
            serde_json::to_string(two).ok().as_deref(),
            Some(two.raw.get())
        );
    }

    #[test]
    fn update_serializes_only_changed_fields() {
        let u = IncidentUpdate {
            status: Some(IncidentStatus::Resolved),
            custom_tags: Some(vec!["a".into()]),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_string(&u).ok().as_deref(),
            Some(r#"{"status":"resolved","customTags":["a"]}"#)
        );
    }
}
