//! The tenant's incidents, derived from its alerts.
//!
//! Every generated alert already names its incident (`incidentId`, shared with its sibling
//! alerts through the generation context). An incident here keeps only what an analyst can
//! change (status, owner, classification, tags, comments) and what is fixed at creation
//! (name, creation time); everything that follows its alerts (severity, last update, status
//! until someone sets one) is computed from them when read, so the two never disagree and
//! no alert is held twice.

use super::filter::{Field, Filterable, Prop, ordinal};
use super::generate::mix64;
use super::json::Obj;
use super::store::{AlertRecord, Comment};
use crate::graph::enums::{
    AlertClassification, AlertDetermination, AlertSeverity, AlertStatus, IncidentStatus,
    ServiceSource,
};
use std::collections::HashMap;
use std::sync::Arc;
use time::OffsetDateTime;

/// Who Graph names as the last modifier of an incident nobody has touched (as recorded in
/// third-party bodies).
const CREATED_BY: &str = "Microsoft 365 Defender-IncidentCreation";
/// About one incident in this many is handed to Defender Experts and waits on the customer:
/// the only way an incident gets `awaitingAction`, a Prefer-gated member.
const AWAITING_ACTION_ONE_IN: u64 = 25;

/// One incident.
#[derive(Debug, Clone)]
pub struct IncidentRecord {
    pub id: Box<str>,
    pub tenant: Arc<str>,
    pub display_name: Box<str>,
    /// When its first alert was created.
    pub created: OffsetDateTime,
    /// Its alerts, as positions in the store's alert list (newest first); the store never
    /// moves an alert, so positions stay valid.
    pub alerts: Box<[u32]>,
    /// Set by a PATCH (or by Defender Experts); `None` follows the alerts.
    pub status: Option<IncidentStatus>,
    pub assigned_to: Option<Box<str>>,
    pub classification: Option<AlertClassification>,
    pub determination: Option<AlertDetermination>,
    pub custom_tags: Vec<Box<str>>,
    pub system_tags: Vec<Box<str>>,
    pub comments: Vec<Comment>,
    /// The last write to the incident itself; alert changes count too (see `last_update`).
    pub last_write: Option<OffsetDateTime>,
    pub last_modified_by: Option<Box<str>>,
}

/// An incident with the alert list its derived fields are read from.
#[derive(Clone, Copy)]
pub struct IncidentView<'a> {
    pub incident: &'a IncidentRecord,
    pub all_alerts: &'a [AlertRecord],
}

fn severity_rank(s: &AlertSeverity) -> u8 {
    match s {
        AlertSeverity::High => 4,
        AlertSeverity::Medium => 3,
        AlertSeverity::Low => 2,
        AlertSeverity::Informational => 1,
        _ => 0,
    }
}

/// What an incident's alerts say its status is: resolved when all are, in progress when any
/// is being worked on, otherwise active.
fn status_from(alerts: impl Iterator<Item = AlertStatus>) -> IncidentStatus {
    let (mut all_resolved, mut any_in_progress, mut any) = (true, false, false);
    for s in alerts {
        any = true;
        all_resolved &= s == AlertStatus::Resolved;
        any_in_progress |= s == AlertStatus::InProgress;
    }
    if any && all_resolved {
        IncidentStatus::Resolved
    } else if any_in_progress {
        IncidentStatus::InProgress
    } else {
        IncidentStatus::Active
    }
}

impl<'a> IncidentView<'a> {
    pub fn alerts(&self) -> impl Iterator<Item = &'a AlertRecord> + 'a {
        let all = self.all_alerts;
        self.incident
            .alerts
            .iter()
            .filter_map(move |&i| all.get(i as usize))
    }

    /// The highest severity among its alerts.
    pub fn severity(&self) -> AlertSeverity {
        self.alerts()
            .map(|a| &a.severity)
            .max_by_key(|s| severity_rank(s))
            .cloned()
            .unwrap_or(AlertSeverity::Unknown)
    }

    pub fn status(&self) -> IncidentStatus {
        match &self.incident.status {
            Some(s) => s.clone(),
            None => status_from(self.alerts().map(|a| a.status.clone())),
        }
    }

    /// The latest change to the incident or to any of its alerts.
    pub fn last_update(&self) -> OffsetDateTime {
        self.alerts()
            .map(|a| a.last_update)
            .chain(self.incident.last_write)
            .fold(self.incident.created, OffsetDateTime::max)
    }

    /// Writes the incident as Graph serializes it, with its alerts when `expand_alerts`.
    pub fn render(&self, out: &mut String, include_unknown: bool, expand_alerts: bool) {
        let i = self.incident;
        let status = self.status();
        // Without `Prefer: include-unknown-enum-members`, members after the sentinel are
        // replaced by it (surface.md §1.1).
        let status = match status {
            IncidentStatus::AwaitingAction if !include_unknown => {
                IncidentStatus::UnknownFutureValue
            }
            s => s,
        };
        let mut url = String::with_capacity(96);
        url.push_str("https://security.microsoft.com/incidents/");
        url.push_str(&i.id);
        url.push_str("?tid=");
        url.push_str(&i.tenant);
        let mut o = Obj::new(out);
        o.str("@odata.type", "#microsoft.graph.security.incident")
            .str("id", &i.id)
            .str("incidentWebUrl", &url)
            .null("redirectIncidentId")
            .str("displayName", &i.display_name)
            .str("tenantId", &i.tenant)
            .time("createdDateTime", i.created)
            .time("lastUpdateDateTime", self.last_update())
            .opt_str("assignedTo", i.assigned_to.as_deref())
            .opt_str(
                "classification",
                i.classification.as_ref().map(|c| c.as_str()),
            )
            .opt_str(
                "determination",
                i.determination.as_ref().map(|d| d.as_str()),
            )
            .str("status", status.as_str())
            .str("severity", self.severity().as_str())
            .strs("customTags", &i.custom_tags)
            .objs("comments", &i.comments, |o, c| {
                o.str("comment", &c.text)
                    .str("createdByDisplayName", &c.author)
                    .time("createdDateTime", c.created);
            })
            .strs("systemTags", &i.system_tags)
            .null("description")
            .null("summary")
            .null("priorityScore")
            .null("resolvingComment")
            .opt_str("lastModifiedBy", i.last_modified_by.as_deref());
        if expand_alerts {
            o.key_array("alerts", |arr| {
                for a in self.alerts() {
                    arr.raw_item(|out| a.render(out, include_unknown));
                }
            });
        }
        o.finish();
    }
}

impl Filterable for IncidentView<'_> {
    fn field(&self, prop: Prop) -> Field<'_> {
        let i = self.incident;
        match prop {
            Prop::AssignedTo => i.assigned_to.as_deref().map_or(Field::Null, Field::Text),
            Prop::Classification => i
                .classification
                .as_ref()
                .map_or(Field::Null, |c| ordinal(AlertClassification::KNOWN, c)),
            Prop::Determination => i
                .determination
                .as_ref()
                .map_or(Field::Null, |d| ordinal(AlertDetermination::KNOWN, d)),
            Prop::CreatedDateTime => Field::DateTime(i.created),
            Prop::LastUpdateDateTime => Field::DateTime(self.last_update()),
            Prop::Severity => ordinal(AlertSeverity::KNOWN, &self.severity()),
            Prop::IncidentStatus => ordinal(IncidentStatus::KNOWN, &self.status()),
            // Not in the incidents schema, so no incident filter names them.
            Prop::Status | Prop::ServiceSource => Field::Null,
        }
    }
}

/// The members of an alert's shared fragment that name it.
#[derive(serde::Deserialize, Default, Clone)]
struct Naming {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    category: Option<String>,
}

/// Title and category per shared fragment. Alerts of one detection share the fragment (one
/// `Arc`), so it is read once per detection, not once per alert.
#[derive(Default)]
struct Namings(HashMap<*const u8, Naming>);

impl Namings {
    fn of(&mut self, alert: &AlertRecord) -> Naming {
        self.0
            .entry(alert.shared.as_ptr())
            .or_insert_with(|| {
                serde_json::from_str(&format!("{{{}}}", alert.shared)).unwrap_or_default()
            })
            .clone()
    }
}

/// Defender's style: a single alert names its incident; several make a "multi-stage"
/// incident named by their categories, on one endpoint (each generated incident has one
/// device), noting when more than one product reported it.
fn display_name(alerts: &[&AlertRecord], namings: &mut Namings) -> String {
    let names: Vec<Naming> = alerts.iter().map(|a| namings.of(a)).collect();
    let first_title = names
        .iter()
        .rev()
        .find_map(|n| n.title.clone())
        .unwrap_or_else(|| "Incident".to_owned());
    if alerts.len() < 2 {
        return first_title;
    }
    let mut categories: Vec<&str> = Vec::new();
    for c in names.iter().rev().filter_map(|n| n.category.as_deref()) {
        if !categories.contains(&c) {
            categories.push(c);
        }
    }
    if categories.is_empty() {
        return first_title;
    }
    let mut sources: Vec<&ServiceSource> = alerts.iter().map(|a| &a.service_source).collect();
    sources.dedup();
    let by = if sources.len() > 1 {
        " reported by multiple sources"
    } else {
        ""
    };
    format!(
        "Multi-stage incident involving {} on one endpoint{by}",
        categories.join(" & ")
    )
}

/// Groups `alerts` (the store's list, newest first) into incidents by their `incidentId`,
/// newest incident first. Alerts without an incident (none are generated) are left out.
pub fn derive(alerts: &[AlertRecord]) -> Vec<IncidentRecord> {
    let mut order: Vec<(&str, Vec<u32>)> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (pos, a) in alerts.iter().enumerate() {
        let (Some(recipe), Ok(pos)) = (&a.recipe, u32::try_from(pos)) else {
            continue;
        };
        let id = recipe.incident_id();
        let slot = *index.entry(id).or_insert_with(|| {
            order.push((id, Vec::new()));
            order.len() - 1
        });
        order[slot].1.push(pos);
    }
    let mut namings = Namings::default();
    let mut out: Vec<IncidentRecord> = order
        .into_iter()
        .filter_map(|(id, positions)| new_record(id, positions, alerts, &mut namings))
        .collect();
    out.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| a.id.cmp(&b.id)));
    out.shrink_to_fit();
    out
}

/// A new incident of the alerts at `positions` (newest first), as Defender creates one.
pub fn record(id: &str, positions: Vec<u32>, alerts: &[AlertRecord]) -> Option<IncidentRecord> {
    new_record(id, positions, alerts, &mut Namings::default())
}

fn new_record(
    id: &str,
    positions: Vec<u32>,
    alerts: &[AlertRecord],
    namings: &mut Namings,
) -> Option<IncidentRecord> {
    let members: Vec<&AlertRecord> = positions
        .iter()
        .filter_map(|&p| alerts.get(p as usize))
        .collect();
    let tenant = members.first()?.recipe.as_ref()?.tenant().clone();
    let created = members.iter().map(|a| a.created).min()?;
    let derived = status_from(members.iter().map(|a| a.status.clone()));
    let id_hash = id
        .bytes()
        .fold(0u64, |h, b| h.rotate_left(8) ^ u64::from(b));
    let experts =
        derived == IncidentStatus::Active && mix64(id_hash).is_multiple_of(AWAITING_ACTION_ONE_IN);
    Some(IncidentRecord {
        id: id.into(),
        tenant,
        display_name: display_name(&members, namings).into(),
        created,
        alerts: positions.into_boxed_slice(),
        status: experts.then_some(IncidentStatus::AwaitingAction),
        assigned_to: None,
        classification: Some(AlertClassification::Unknown),
        determination: Some(AlertDetermination::Unknown),
        custom_tags: Vec::new(),
        system_tags: if experts {
            vec!["Defender Experts".into()]
        } else {
            Vec::new()
        },
        comments: Vec::new(),
        last_write: None,
        last_modified_by: Some(CREATED_BY.into()),
    })
}

/// Correlates the alert at `pos` (the newest) into `incident`: it leads the incident's
/// alert list, and the name is drawn again from all of them, as Defender renames an
/// incident that grows into a multi-stage one. Severity, status and times are read from the
/// alerts, so they follow by themselves.
pub fn add_alert(incident: &mut IncidentRecord, pos: u32, alerts: &[AlertRecord]) {
    let mut positions = Vec::with_capacity(incident.alerts.len() + 1);
    positions.push(pos);
    positions.extend_from_slice(&incident.alerts);
    incident.alerts = positions.into_boxed_slice();
    let members: Vec<&AlertRecord> = incident
        .alerts
        .iter()
        .filter_map(|&p| alerts.get(p as usize))
        .collect();
    incident.display_name = display_name(&members, &mut Namings::default()).into();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_follows_alerts() {
        use AlertStatus::*;
        assert_eq!(
            status_from([Resolved, Resolved].into_iter()),
            IncidentStatus::Resolved
        );
        assert_eq!(
            status_from([New, InProgress].into_iter()),
            IncidentStatus::InProgress
        );
        assert_eq!(
            status_from([New, Resolved].into_iter()),
            IncidentStatus::Active
        );
        assert_eq!(status_from(std::iter::empty()), IncidentStatus::Active);
    }
}
