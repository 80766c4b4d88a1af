//! The `:incidents` pane's data: incident rows (the incident and a compact summary of each
//! of its alerts, not the alerts' JSON: a tenant may have thousands of incidents), the
//! incident queue (the alert queue's sort and filter over incident columns), and the pane's
//! state: cursor, marks, load, and the incident open in the incident view.

use super::queue::{self, Column, Haystack, Item, Queue, newest_then_id, severity_cmp, text_cmp};
use super::state::{Load, StatusPreset};
use crate::graph::enums::{AlertSeverity, AlertStatus, IncidentStatus, ServiceSource};
use crate::graph::incidents::Incident;
use crate::graph::models::{Alert, AlertComment, AlertUpdate};
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::cmp::Ordering;
use std::collections::BTreeSet;
use time::OffsetDateTime;

/// What the incident queue and view keep of one alert of an incident.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertBrief {
    pub id: String,
    pub title: Option<String>,
    pub severity: Option<AlertSeverity>,
    pub service_source: Option<ServiceSource>,
    pub created: Option<OffsetDateTime>,
    pub last_update: Option<OffsetDateTime>,
    /// Its updatable fields as Graph has them (status, assignee, classification,
    /// determination): what an alert PATCH's conflict check compares against.
    pub fields: AlertUpdate,
}

impl AlertBrief {
    pub fn of(a: &Alert) -> AlertBrief {
        AlertBrief {
            id: a.id.clone(),
            title: a.title.clone(),
            severity: a.severity.clone(),
            service_source: a.service_source.clone(),
            created: a.created,
            last_update: a.last_update,
            fields: AlertUpdate {
                status: a.status.clone(),
                assigned_to: a.assigned_to.clone(),
                classification: a.classification.clone(),
                determination: a.determination.clone(),
            },
        }
    }

    pub fn status(&self) -> Option<&AlertStatus> {
        self.fields.status.as_ref()
    }
}

/// Still to be worked on: `new` or `inProgress`.
pub fn is_open(status: Option<&AlertStatus>) -> bool {
    matches!(status, Some(AlertStatus::New | AlertStatus::InProgress))
}

/// One incident as the console keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentRow {
    /// The incident; its `alerts` are always empty here and its raw JSON has no `alerts`
    /// member (they are summarised in [`IncidentRow::alerts`]).
    pub incident: Incident,
    /// Its alerts, when Graph sent them (`$expand=alerts`); `None` when the reply did not
    /// include them (a PATCH reply), so the last known ones are kept.
    pub alerts: Option<Vec<AlertBrief>>,
}

impl IncidentRow {
    /// Summarises `incident`'s expanded alerts and drops their JSON.
    pub fn from_incident(mut incident: Incident) -> IncidentRow {
        let expanded = raw_has_alerts(&incident.raw);
        let alerts = expanded.then(|| incident.alerts.iter().map(AlertBrief::of).collect());
        incident.alerts = Vec::new();
        if expanded && let Some(raw) = without_member(&incident.raw, "alerts") {
            incident.raw = raw;
        }
        IncidentRow { incident, alerts }
    }

    pub fn id(&self) -> &str {
        &self.incident.id
    }

    pub fn alerts(&self) -> &[AlertBrief] {
        self.alerts.as_deref().unwrap_or_default()
    }

    /// The distinct service sources of its alerts, in order of first appearance.
    pub fn sources(&self) -> Vec<&ServiceSource> {
        let mut out: Vec<&ServiceSource> = Vec::new();
        for s in self
            .alerts()
            .iter()
            .filter_map(|a| a.service_source.as_ref())
        {
            if !out.contains(&s) {
                out.push(s);
            }
        }
        out
    }

    /// Replaces the summary of one of its alerts with a newer copy; false when the alert is
    /// not one of its own.
    pub fn update_alert(&mut self, alert: &Alert) -> bool {
        match self
            .alerts
            .as_mut()
            .and_then(|v| v.iter_mut().find(|b| b.id == alert.id))
        {
            Some(b) => {
                *b = AlertBrief::of(alert);
                true
            }
            None => false,
        }
    }
}

fn raw_has_alerts(raw: &RawValue) -> bool {
    // Cheap pre-check before parsing the members; a false positive only costs the parse.
    raw.get().contains("\"alerts\"")
        && members(raw).is_some_and(|m| m.0.iter().any(|(k, _)| k == "alerts"))
}

/// An object's members in Graph's order, values left as raw JSON text.
struct Members<'a>(Vec<(String, &'a RawValue)>);

impl<'de> serde::Deserialize<'de> for Members<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Members<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members<'de>, A::Error> {
                let mut out = Vec::new();
                while let Some(member) = map.next_entry::<String, &'de RawValue>()? {
                    out.push(member);
                }
                Ok(Members(out))
            }
        }
        d.deserialize_map(V)
    }
}

fn members(raw: &RawValue) -> Option<Members<'_>> {
    serde_json::from_str(raw.get()).ok()
}

/// `raw` without its member `name`, the other members in their order and spelling.
fn without_member(raw: &RawValue, name: &str) -> Option<Box<RawValue>> {
    let m = members(raw)?;
    let mut out = String::with_capacity(raw.get().len());
    out.push('{');
    for (k, v) in m.0.iter().filter(|(k, _)| k != name) {
        if out.len() > 1 {
            out.push(',');
        }
        out.push_str(&serde_json::to_string(k).ok()?);
        out.push(':');
        out.push_str(v.get());
    }
    out.push('}');
    RawValue::from_string(out).ok()
}

/// A sortable column of the incident queue, in screen order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncidentColumn {
    Severity,
    Status,
    Name,
    Alerts,
    Sources,
    AssignedTo,
    Updated,
}

impl Column for IncidentColumn {
    const ALL: &'static [IncidentColumn] = &[
        IncidentColumn::Severity,
        IncidentColumn::Status,
        IncidentColumn::Name,
        IncidentColumn::Alerts,
        IncidentColumn::Sources,
        IncidentColumn::AssignedTo,
        IncidentColumn::Updated,
    ];
    /// The incident most recently changed (a new alert, someone's write) first.
    const DEFAULT: IncidentColumn = IncidentColumn::Updated;

    fn name(self) -> &'static str {
        match self {
            IncidentColumn::Severity => "severity",
            IncidentColumn::Status => "status",
            IncidentColumn::Name => "name",
            IncidentColumn::Alerts => "alerts",
            IncidentColumn::Sources => "sources",
            IncidentColumn::AssignedTo => "assigned",
            IncidentColumn::Updated => "updated",
        }
    }

    fn natural_descending(self) -> bool {
        matches!(
            self,
            IncidentColumn::Severity | IncidentColumn::Alerts | IncidentColumn::Updated
        )
    }
}

/// One loaded incident and its searchable text.
#[derive(Debug)]
pub struct IncidentEntry {
    pub row: IncidentRow,
    /// Name, id, assignee, tags, sources and its alerts' titles.
    hay: Box<str>,
    /// The sources' short names joined, as the column shows and sorts them.
    pub sources: Box<str>,
}

impl Item for IncidentEntry {
    type Data = IncidentRow;
    type Column = IncidentColumn;
    /// The incident queue has no scope.
    type Scope = std::convert::Infallible;

    fn new(row: IncidentRow) -> IncidentEntry {
        let i = &row.incident;
        let mut h = Haystack::default();
        h.add(i.display_name.as_deref().unwrap_or(""));
        h.add(&i.id);
        h.add(i.assigned_to.as_deref().unwrap_or(""));
        for t in &i.custom_tags {
            h.add(t);
        }
        let sources = row.sources();
        for s in &sources {
            h.add_source(s);
        }
        for a in row.alerts() {
            h.add(a.title.as_deref().unwrap_or(""));
        }
        let sources = sources
            .iter()
            .map(|s| super::format::service_short(Some(s)))
            .collect::<Vec<_>>()
            .join(",")
            .into_boxed_str();
        IncidentEntry {
            row,
            hay: h.done(),
            sources,
        }
    }

    fn data(&self) -> &IncidentRow {
        &self.row
    }

    fn data_mut(&mut self) -> &mut IncidentRow {
        &mut self.row
    }

    fn id(&self) -> &str {
        &self.row.incident.id
    }

    fn hay(&self) -> &str {
        &self.hay
    }

    fn cmp_by(&self, other: &IncidentEntry, column: IncidentColumn) -> Ordering {
        let (x, y) = (&self.row.incident, &other.row.incident);
        match column {
            IncidentColumn::Severity => severity_cmp(x.severity.as_ref(), y.severity.as_ref()),
            IncidentColumn::Status => {
                status_rank(x.status.as_ref()).cmp(&status_rank(y.status.as_ref()))
            }
            IncidentColumn::Name => text_cmp(x.display_name.as_deref(), y.display_name.as_deref()),
            IncidentColumn::Alerts => self.row.alerts().len().cmp(&other.row.alerts().len()),
            IncidentColumn::Sources => text_cmp(Some(&self.sources), Some(&other.sources)),
            IncidentColumn::AssignedTo => {
                text_cmp(x.assigned_to.as_deref(), y.assigned_to.as_deref())
            }
            IncidentColumn::Updated => x.last_update.cmp(&y.last_update),
        }
    }

    fn cmp_tie(&self, other: &IncidentEntry) -> Ordering {
        let (x, y) = (&self.row.incident, &other.row.incident);
        newest_then_id((x.created, &x.id), (y.created, &y.id))
    }

    fn in_scope(&self, scope: &std::convert::Infallible) -> bool {
        match *scope {}
    }
}

fn status_rank(s: Option<&IncidentStatus>) -> u8 {
    match s {
        Some(IncidentStatus::Active) => 0,
        Some(IncidentStatus::InProgress) => 1,
        Some(IncidentStatus::AwaitingAction) => 2,
        Some(IncidentStatus::Resolved) => 3,
        Some(IncidentStatus::Redirected) => 4,
        Some(_) => 5,
        None => 6,
    }
}

/// A cursor over a list whose rows follow an id: the selected id, its row, and the first
/// row on screen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListCursor {
    pub id: Option<String>,
    pub row: usize,
    pub offset: usize,
}

impl ListCursor {
    /// Back on `id` after the rows changed (see [`queue::follow`]).
    pub fn follow<E: Item>(&mut self, q: &Queue<E>, rows: usize) {
        queue::follow(q, &mut self.id, &mut self.row);
        queue::scroll_into_view(self.row, &mut self.offset, q.view().len(), rows);
    }

    /// To row `row` (clamped); true when the selection changed.
    pub fn move_to<E: Item>(&mut self, q: &Queue<E>, row: usize, rows: usize) -> bool {
        let changed = queue::select(q, &mut self.id, &mut self.row, row);
        queue::scroll_into_view(self.row, &mut self.offset, q.view().len(), rows);
        changed
    }
}

/// An alert opened from the incident view, shown in the alert detail; `None` until it
/// arrives when it was not in the loaded alert queue.
#[derive(Debug, Clone)]
pub struct OpenedAlert {
    pub id: String,
    pub alert: Option<Alert>,
}

/// The incident view: one incident (a copy, so a refresh that drops it from the queue does
/// not close it), a cursor on its alerts, and the scroll of its document.
#[derive(Debug, Clone)]
pub struct IncidentView {
    pub row: IncidentRow,
    pub alert_cursor: usize,
    pub alert_offset: usize,
    pub scroll: usize,
    /// The alert whose detail is open on top of this view.
    pub opened: Option<OpenedAlert>,
}

impl IncidentView {
    pub fn new(row: IncidentRow) -> IncidentView {
        IncidentView {
            row,
            alert_cursor: 0,
            alert_offset: 0,
            scroll: 0,
            opened: None,
        }
    }

    pub fn selected_alert(&self) -> Option<&AlertBrief> {
        self.row.alerts().get(self.alert_cursor)
    }

    /// The alert cursor to `row` (clamped), inside a window of `rows` lines.
    pub fn move_alert_cursor(&mut self, row: usize, rows: usize) {
        let len = self.row.alerts().len();
        self.alert_cursor = row.min(len.saturating_sub(1));
        queue::scroll_into_view(self.alert_cursor, &mut self.alert_offset, len, rows);
    }
}

/// An open alert of an incident being resolved: resolved with it when the analyst says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenAlert {
    pub incident_id: String,
    pub alert_id: String,
}

/// The `:incidents` pane.
#[derive(Debug)]
pub struct IncidentsPane {
    pub queue: Queue<IncidentEntry>,
    pub cursor: ListCursor,
    pub marks: BTreeSet<String>,
    /// Which statuses to load (the alert queue's presets, incident names).
    pub preset: StatusPreset,
    pub load: Load,
    /// Polling for changed incidents (see [`super::live`]).
    pub live: super::live::Live,
    /// A first load was asked for (the pane loads when first opened).
    pub requested: bool,
    pub view: Option<IncidentView>,
}

impl Default for IncidentsPane {
    fn default() -> Self {
        IncidentsPane {
            queue: Queue::default(),
            cursor: ListCursor::default(),
            marks: BTreeSet::new(),
            preset: StatusPreset::Open,
            load: Load::idle(),
            live: super::live::Live::default(),
            requested: false,
            view: None,
        }
    }
}

impl IncidentsPane {
    /// The incident `id` as the console knows it: the open view's copy, else the queue's.
    pub fn get(&self, id: &str) -> Option<&IncidentRow> {
        self.view
            .as_ref()
            .map(|v| &v.row)
            .filter(|r| r.id() == id)
            .or_else(|| self.queue.get(id))
    }

    /// A newer copy of an incident (a GET, a write reply): into the queue and the view.
    /// A copy without alerts keeps the alerts already known.
    pub fn absorb(&mut self, mut row: IncidentRow) {
        if row.alerts.is_none() {
            row.alerts = self.get(row.id()).and_then(|r| r.alerts.clone());
        }
        if let Some(v) = self.view.as_mut().filter(|v| v.row.id() == row.id()) {
            v.row = row.clone();
            let len = v.row.alerts().len();
            v.alert_cursor = v.alert_cursor.min(len.saturating_sub(1));
        }
        self.queue.replace(row);
    }

    /// A newer copy of an alert: into the summary of whichever incident holds it.
    pub fn update_alert(&mut self, alert: &Alert) {
        if let Some(v) = self.view.as_mut() {
            v.row.update_alert(alert);
            if let Some(o) = v.opened.as_mut().filter(|o| o.id == alert.id) {
                o.alert = Some(alert.clone());
            }
        }
        if let Some(incident) = alert.incident_id.as_deref() {
            self.queue.modify(incident, |r| {
                r.update_alert(alert);
            });
        }
    }

    /// An incident's comment list as Graph has it now.
    pub fn set_comments(&mut self, id: &str, comments: Vec<AlertComment>) {
        if let Some(v) = self.view.as_mut().filter(|v| v.row.id() == id) {
            v.row.incident.comments.clone_from(&comments);
        }
        self.queue.modify(id, |r| r.incident.comments = comments);
    }

    /// The alert opened from the incident view, if its detail is showing.
    pub fn opened(&self) -> Option<&OpenedAlert> {
        self.view.as_ref()?.opened.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::models::FromRaw;

    #[test]
    fn rows_keep_an_alert_summary_and_drop_the_alerts_json() {
        let raw = r##"{"id":"42","displayName":"Multi-stage","status":"active","z":1,
            "alerts":[{"id":"a1","title":"One","status":"new","serviceSource":"microsoftDefenderForEndpoint",
                       "evidence":[{"@odata.type":"#microsoft.graph.security.deviceEvidence","deviceDnsName":"x"}]},
                      {"id":"a2","title":"Two","status":"resolved","serviceSource":"microsoftDefenderForEndpoint"},
                      {"id":"a3","status":"inProgress","serviceSource":"microsoftDefenderForOffice365"}],
            "customTags":["t"]}"##;
        let incident =
            Incident::from_raw(&serde_json::from_str::<Box<RawValue>>(raw).unwrap()).unwrap();
        let row = IncidentRow::from_incident(incident);
        assert_eq!(
            row.incident.raw.get(),
            r#"{"id":"42","displayName":"Multi-stage","status":"active","z":1,"customTags":["t"]}"#,
            "the other members keep their order"
        );
        assert!(row.incident.alerts.is_empty());
        let ids: Vec<_> = row.alerts().iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ["a1", "a2", "a3"]);
        let open: Vec<_> = row
            .alerts()
            .iter()
            .filter(|a| is_open(a.status()))
            .map(|a| a.id.as_str())
            .collect();
        assert_eq!(open, ["a1", "a3"]);
        assert_eq!(
            row.sources(),
            [
                &ServiceSource::MicrosoftDefenderForEndpoint,
                &ServiceSource::MicrosoftDefenderForOffice365
            ]
        );
        let e = IncidentEntry::new(row);
        assert_eq!(&*e.sources, "Endpoint,Office365");
        assert!(e.hay().contains("multi-stage") && e.hay().contains("\ntwo\n"));

        // A PATCH reply has no alerts: `None`, so the known ones are kept.
        let patched = IncidentRow::from_incident(Incident::from_json(r#"{"id":"42"}"#).unwrap());
        assert_eq!(patched.alerts, None);
        let mut pane = IncidentsPane::default();
        pane.queue.upsert(vec![e.row], 1);
        pane.absorb(patched);
        assert_eq!(pane.get("42").unwrap().alerts().len(), 3);
    }
}
