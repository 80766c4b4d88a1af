//! The tenant's alerts, kept lean.
//!
//! Each alert holds the fields a client can change or filter on as typed values, and the
//! rest as pre-serialized JSON: a fragment shared by every alert of the same detection
//! (title, description, recommended actions...) and a per-alert fragment (ids, urls,
//! times...). Evidence, most of an alert's bytes, is kept as a small recipe that rewrites it
//! on output from the incident it shares with its sibling alerts. A reply splices these
//! together, so 100,000 alerts cost well under a kilobyte each, never a
//! `serde_json::Value` tree.

use super::filter::{Field, Filterable, Prop, ordinal};
use super::generate::Recipe;
use super::incidents::{self, IncidentRecord, IncidentView};
use super::json::Obj;
use crate::graph::enums::{
    AlertClassification, AlertDetermination, AlertSeverity, AlertStatus, DetectionSource,
    ServiceSource,
};
use std::collections::HashMap;
use std::sync::Arc;
use time::OffsetDateTime;

/// One comment on an alert.
#[derive(Debug, Clone)]
pub struct Comment {
    pub text: Box<str>,
    pub author: Box<str>,
    pub created: OffsetDateTime,
}

/// One alert.
#[derive(Debug, Clone)]
pub struct AlertRecord {
    pub id: Box<str>,
    pub created: OffsetDateTime,
    pub last_update: OffsetDateTime,
    pub resolved: Option<OffsetDateTime>,
    pub status: AlertStatus,
    pub severity: AlertSeverity,
    pub classification: Option<AlertClassification>,
    pub determination: Option<AlertDetermination>,
    pub service_source: ServiceSource,
    pub detection_source: DetectionSource,
    pub assigned_to: Option<Box<str>>,
    pub comments: Vec<Comment>,
    /// Members shared with every alert of the same detection, pre-serialized.
    pub shared: Arc<str>,
    /// This alert's own immutable members, pre-serialized.
    pub own: Box<str>,
    /// Writes the members derived from the incident, and the evidence (most of an alert's
    /// bytes), on output.
    pub recipe: Option<Recipe>,
}

/// Without `Prefer: include-unknown-enum-members`, Graph replaces members declared after the
/// `unknownFutureValue` sentinel with the sentinel (surface.md §1.1).
fn gated<'a, T: PartialEq>(known: &[T], value: &'a T, sentinel: &'a T, include: bool) -> &'a T {
    if include {
        return value;
    }
    let pos = |v: &T| known.iter().position(|k| k == v);
    match (pos(value), pos(sentinel)) {
        (Some(v), Some(s)) if v > s => sentinel,
        _ => value,
    }
}

impl AlertRecord {
    /// Writes the alert as Graph serializes it.
    pub fn render(&self, out: &mut String, include_unknown_enum_members: bool) {
        let service = gated(
            ServiceSource::KNOWN,
            &self.service_source,
            &ServiceSource::UnknownFutureValue,
            include_unknown_enum_members,
        );
        let detection = gated(
            DetectionSource::KNOWN,
            &self.detection_source,
            &DetectionSource::UnknownFutureValue,
            include_unknown_enum_members,
        );
        let mut o = Obj::new(out);
        o.str("@odata.type", "#microsoft.graph.security.alert")
            .str("id", &self.id)
            .str("status", self.status.as_str())
            .str("severity", self.severity.as_str())
            .opt_str(
                "classification",
                self.classification.as_ref().map(|c| c.as_str()),
            )
            .opt_str(
                "determination",
                self.determination.as_ref().map(|d| d.as_str()),
            )
            .str("serviceSource", service.as_str())
            .str("detectionSource", detection.as_str())
            .opt_str("assignedTo", self.assigned_to.as_deref())
            .time("createdDateTime", self.created)
            .time("lastUpdateDateTime", self.last_update)
            .opt_time("resolvedDateTime", self.resolved)
            .objs("comments", &self.comments, |o, c| {
                o.str("comment", &c.text)
                    .str("createdByDisplayName", &c.author)
                    .time("createdDateTime", c.created);
            })
            .members(&self.shared)
            .members(&self.own);
        if let Some(r) = &self.recipe {
            r.write(&mut o, &self.id, self.created);
        }
        o.finish();
    }

    pub fn to_json(&self, include_unknown_enum_members: bool) -> String {
        let mut s = String::with_capacity(self.shared.len() + self.own.len() + 512);
        self.render(&mut s, include_unknown_enum_members);
        s
    }
}

/// Writes the comments collection (`value` array items only).
pub fn render_comments(out: &mut String, comments: &[Comment]) {
    out.push('[');
    for (i, c) in comments.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let mut o = Obj::new(out);
        o.str("comment", &c.text)
            .str("createdByDisplayName", &c.author)
            .time("createdDateTime", c.created);
        o.finish();
    }
    out.push(']');
}

impl Filterable for AlertRecord {
    fn field(&self, prop: Prop) -> Field<'_> {
        match prop {
            Prop::AssignedTo => self.assigned_to.as_deref().map_or(Field::Null, Field::Text),
            Prop::Classification => self
                .classification
                .as_ref()
                .map_or(Field::Null, |c| ordinal(AlertClassification::KNOWN, c)),
            Prop::Determination => self
                .determination
                .as_ref()
                .map_or(Field::Null, |d| ordinal(AlertDetermination::KNOWN, d)),
            Prop::CreatedDateTime => Field::DateTime(self.created),
            Prop::LastUpdateDateTime => Field::DateTime(self.last_update),
            Prop::Severity => ordinal(AlertSeverity::KNOWN, &self.severity),
            Prop::ServiceSource => ordinal(ServiceSource::KNOWN, &self.service_source),
            Prop::Status => ordinal(AlertStatus::KNOWN, &self.status),
            // Not in the alerts schema, so no alert filter names it.
            Prop::IncidentStatus => Field::Null,
        }
    }
}

/// All alerts and the incidents derived from them.
///
/// Alerts live in an arena whose positions never change: the generated tenant first, most
/// recent `createdDateTime` first (the order Graph documents), then alerts created later by
/// the tenant changer ([`super::changes`]), oldest first. Lists read them newest first: the
/// later alerts from the end of the arena backwards, then the generated ones. A paging
/// cursor is an arena position, so a `$skiptoken` stays valid while alerts are added; the
/// new ones rank above every cursor, on pages already served, as they would in Graph.
///
/// Incidents are derived from the alerts, newest first, kept the same way, and hold alert
/// positions.
#[derive(Debug)]
pub struct Store {
    alerts: Vec<AlertRecord>,
    /// Alerts from generation: `alerts[..generated]`; the rest were added later.
    generated: usize,
    by_id: HashMap<Box<str>, usize>,
    incidents: Vec<IncidentRecord>,
    generated_incidents: usize,
    incident_by_id: HashMap<Box<str>, usize>,
    /// The latest time handed out for a write, so that no two writes share a
    /// `lastUpdateDateTime` and none goes back (clients poll with `lastUpdateDateTime gt`).
    clock: OffsetDateTime,
}

/// Newest-first ranks over an arena of `len` items whose first `generated` are newest first
/// and the rest oldest first.
#[derive(Clone, Copy)]
struct Ranks {
    len: usize,
    generated: usize,
}

impl Ranks {
    fn added(self) -> usize {
        self.len - self.generated
    }

    /// The arena position of the item at newest-first rank `rank`.
    fn position(self, rank: usize) -> Option<usize> {
        if rank >= self.len {
            None
        } else if rank < self.added() {
            Some(self.len - 1 - rank)
        } else {
            Some(rank - self.added())
        }
    }

    /// The newest-first rank of arena position `pos` (`len` when past the end).
    fn rank(self, pos: usize) -> usize {
        if pos >= self.len {
            self.len
        } else if pos >= self.generated {
            self.len - 1 - pos
        } else {
            self.added() + pos
        }
    }
}

impl Default for Store {
    fn default() -> Self {
        Store::new(Vec::new())
    }
}

impl Store {
    /// Builds the store; alerts are sorted newest first (ties by id, for determinism) and
    /// later duplicates of an id are dropped.
    pub fn new(mut alerts: Vec<AlertRecord>) -> Self {
        alerts.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| a.id.cmp(&b.id)));
        let mut by_id = HashMap::with_capacity(alerts.len());
        // In place: a second vector of 100,000 records would double the peak.
        let mut next = 0;
        alerts.retain(|a| {
            let fresh = !by_id.contains_key(&a.id);
            if fresh {
                by_id.insert(a.id.clone(), next);
                next += 1;
            }
            fresh
        });
        alerts.shrink_to_fit();
        let incidents = incidents::derive(&alerts);
        let incident_by_id = incidents
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), i))
            .collect();
        let clock = alerts
            .iter()
            .flat_map(|a| {
                std::iter::once(a.last_update)
                    .chain(a.resolved)
                    .chain(a.comments.iter().map(|c| c.created))
            })
            .max()
            .unwrap_or(OffsetDateTime::UNIX_EPOCH);
        Store {
            generated: alerts.len(),
            generated_incidents: incidents.len(),
            alerts,
            by_id,
            incidents,
            incident_by_id,
            clock,
        }
    }

    pub fn len(&self) -> usize {
        self.alerts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.alerts.is_empty()
    }

    /// Every alert in arena order (see the type's doc), not list order.
    pub fn alerts(&self) -> &[AlertRecord] {
        &self.alerts
    }

    fn alert_ranks(&self) -> Ranks {
        Ranks {
            len: self.alerts.len(),
            generated: self.generated,
        }
    }

    /// The alert at newest-first rank `rank` (0 is the newest).
    pub fn alert_by_rank(&self, rank: usize) -> Option<&AlertRecord> {
        self.alert_ranks()
            .position(rank)
            .and_then(|p| self.alerts.get(p))
    }

    /// The paging cursor (an arena position) for the alert at `rank`.
    pub fn alert_cursor(&self, rank: usize) -> Option<usize> {
        self.alert_ranks().position(rank)
    }

    /// Where a paging cursor stands now, as a newest-first rank (`len()` when past the end).
    pub fn alert_rank(&self, cursor: usize) -> usize {
        self.alert_ranks().rank(cursor)
    }

    /// Every alert, newest first.
    pub fn alerts_newest_first(&self) -> impl Iterator<Item = &AlertRecord> + '_ {
        (0..self.alerts.len()).filter_map(|r| self.alert_by_rank(r))
    }

    pub fn get(&self, id: &str) -> Option<&AlertRecord> {
        self.by_id.get(id).map(|&i| &self.alerts[i])
    }

    pub fn get_mut(&mut self, id: &str) -> Option<&mut AlertRecord> {
        self.by_id.get(id).map(|&i| &mut self.alerts[i])
    }

    /// Every incident, newest first, each with the alerts its derived fields come from.
    pub fn incidents(&self) -> impl Iterator<Item = IncidentView<'_>> + Clone {
        (0..self.incidents.len()).filter_map(|r| self.incident_by_rank(r))
    }

    pub fn incident_count(&self) -> usize {
        self.incidents.len()
    }

    fn incident_ranks(&self) -> Ranks {
        Ranks {
            len: self.incidents.len(),
            generated: self.generated_incidents,
        }
    }

    fn view(&self, pos: usize) -> Option<IncidentView<'_>> {
        self.incidents.get(pos).map(|incident| IncidentView {
            incident,
            all_alerts: &self.alerts,
        })
    }

    /// The incident at newest-first rank `rank`.
    pub fn incident_by_rank(&self, rank: usize) -> Option<IncidentView<'_>> {
        self.incident_ranks()
            .position(rank)
            .and_then(|p| self.view(p))
    }

    /// The paging cursor for the incident at `rank`.
    pub fn incident_cursor(&self, rank: usize) -> Option<usize> {
        self.incident_ranks().position(rank)
    }

    /// Where an incident paging cursor stands now, as a newest-first rank.
    pub fn incident_rank(&self, cursor: usize) -> usize {
        self.incident_ranks().rank(cursor)
    }

    pub fn incident(&self, id: &str) -> Option<IncidentView<'_>> {
        self.incident_by_id.get(id).and_then(|&i| self.view(i))
    }

    /// The incident to change, with the alerts it is rendered from afterwards.
    pub fn incident_mut(&mut self, id: &str) -> Option<(&mut IncidentRecord, &[AlertRecord])> {
        let &i = self.incident_by_id.get(id)?;
        Some((self.incidents.get_mut(i)?, &self.alerts))
    }

    /// The time for a write that happens now: [`write_time`], never before `floor`, and
    /// always later than every time handed out before, so each write has its own
    /// `lastUpdateDateTime` and a client polling with `gt` misses none.
    pub fn stamp(&mut self, floor: OffsetDateTime) -> OffsetDateTime {
        let t = write_time(floor.max(self.clock + time::Duration::nanoseconds(100)));
        self.clock = t;
        t
    }

    /// Adds an alert created after generation, newest of all, to the incident its recipe
    /// names: an existing one (its alerts, name, severity and times follow), or a new one.
    /// Returns whether the incident is new, or `None` (nothing added) when the id is taken
    /// or the alert names no incident.
    pub fn add_alert(&mut self, alert: AlertRecord) -> Option<bool> {
        if self.by_id.contains_key(&alert.id) {
            return None;
        }
        let incident_id: Box<str> = alert.recipe.as_ref()?.incident_id().into();
        let pos = self.alerts.len();
        let pos32 = u32::try_from(pos).ok()?;
        self.clock = self.clock.max(alert.last_update);
        self.by_id.insert(alert.id.clone(), pos);
        self.alerts.push(alert);
        if let Some(&i) = self.incident_by_id.get(&incident_id) {
            incidents::add_alert(&mut self.incidents[i], pos32, &self.alerts);
            return Some(false);
        }
        let record = incidents::record(&incident_id, vec![pos32], &self.alerts)?;
        self.incident_by_id
            .insert(incident_id, self.incidents.len());
        self.incidents.push(record);
        Some(true)
    }
}

/// A timestamp for a write: now, truncated to Graph's 100 ns resolution so that the value
/// a client reads back compares equal in a `$filter`, and never before `floor` (a pinned
/// generation clock may sit ahead of the real one). [`Store::stamp`] also keeps writes apart.
pub fn write_time(floor: OffsetDateTime) -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    let now = now
        .replace_nanosecond(now.nanosecond() / 100 * 100)
        .unwrap_or(now);
    now.max(floor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    pub(crate) fn sample(id: &str, created: OffsetDateTime) -> AlertRecord {
        AlertRecord {
            id: id.into(),
            created,
            last_update: created,
            resolved: None,
            status: AlertStatus::New,
            severity: AlertSeverity::Low,
            classification: Some(AlertClassification::Unknown),
            determination: None,
            service_source: ServiceSource::MicrosoftSentinel,
            detection_source: DetectionSource::ScheduledAlerts,
            assigned_to: None,
            comments: vec![],
            shared: Arc::from(r#""title":"T""#),
            own: r#""incidentId":"1""#.into(),
            recipe: None,
        }
    }

    #[test]
    fn renders_valid_json_with_gating() {
        let a = sample("a1", datetime!(2026-01-02 03:04:05 UTC));
        let plain: serde_json::Value = serde_json::from_str(&a.to_json(false)).unwrap();
        assert_eq!(plain["serviceSource"], "unknownFutureValue");
        assert_eq!(plain["detectionSource"], "unknownFutureValue");
        assert_eq!(plain["title"], "T");
        assert_eq!(plain["incidentId"], "1");
        assert_eq!(plain["determination"], serde_json::Value::Null);
        let full: serde_json::Value = serde_json::from_str(&a.to_json(true)).unwrap();
        assert_eq!(full["serviceSource"], "microsoftSentinel");
        assert_eq!(full["detectionSource"], "scheduledAlerts");
    }

    #[test]
    fn store_orders_newest_first_and_indexes() {
        let s = Store::new(vec![
            sample("old", datetime!(2026-01-01 00:00 UTC)),
            sample("new", datetime!(2026-01-03 00:00 UTC)),
            sample("mid", datetime!(2026-01-02 00:00 UTC)),
            sample("new", datetime!(2026-01-01 00:00 UTC)),
        ]);
        let ids: Vec<_> = s.alerts_newest_first().map(|a| &*a.id).collect();
        assert_eq!(ids, ["new", "mid", "old"]);
        assert_eq!(s.get("mid").map(|a| &*a.id), Some("mid"));
        assert!(s.get("nope").is_none());
    }

    #[test]
    fn ranks_read_added_items_first_and_cursors_survive_additions() {
        // Generated 0..3 (newest first), then 3 and 4 added (oldest first).
        let r = Ranks {
            len: 5,
            generated: 3,
        };
        let order: Vec<usize> = (0..5).filter_map(|k| r.position(k)).collect();
        assert_eq!(order, [4, 3, 0, 1, 2]);
        for pos in 0..5 {
            assert_eq!(r.position(r.rank(pos)), Some(pos));
        }
        assert_eq!((r.position(5), r.rank(9)), (None, 5));
        // One more added: every cursor still resumes at the same item.
        let grown = Ranks {
            len: 6,
            generated: 3,
        };
        for pos in 0..5 {
            assert_eq!(grown.position(grown.rank(pos)), Some(pos));
            assert_eq!(grown.rank(pos), r.rank(pos) + 1);
        }
        assert_eq!(grown.position(0), Some(5));
    }

    #[test]
    fn stamps_never_repeat_and_never_go_back() {
        let future = datetime!(2999-01-01 00:00 UTC);
        let mut s = Store::new(vec![sample("a", future)]);
        let first = s.stamp(future);
        assert!(first > future, "after every time the store already shows");
        let mut last = first;
        for _ in 0..100 {
            let t = s.stamp(future - time::Duration::days(1));
            assert!(t > last);
            assert_eq!(t.nanosecond() % 100, 0, "Graph's 100 ns resolution");
            last = t;
        }
    }
}
