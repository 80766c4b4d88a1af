//! Writes in flight: what the analyst asked for, shown on the row until Graph answers.
//! A write targets an alert or an incident ([`Target`], the outbox's own name for it).

use crate::graph::enums::{AlertClassification, AlertDetermination};
use crate::graph::incidents::{Incident, IncidentUpdate};
use crate::graph::models::{Alert, AlertUpdate};
use crate::graph::score::ControlStateUpdate;
use crate::outbox::check;
use crate::outbox::{Target, TargetKind};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::{BTreeMap, HashMap};

/// Write ids the worker gives to outbox entries it restores start here; ids from
/// [`Writes::start`] count up from 1 and never get near it.
pub const RESTORED_WRITE_IDS: u64 = 1 << 62;

/// What one pending write changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteOp {
    /// PATCH an alert.
    Update(AlertUpdate),
    /// PATCH an incident.
    UpdateIncident(IncidentUpdate),
    /// Comment on the target (alert or incident).
    Comment(String),
    /// PATCH a Secure Score control's state (appends to its `controlStateUpdates`).
    UpdateControl(ControlStateUpdate),
}

/// The fields an update sets, as text, whatever the target (for messages and the
/// "saving" notes).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Fields<'a> {
    pub status: Option<&'a str>,
    pub assigned_to: Option<&'a str>,
    pub classification: Option<&'a str>,
    pub determination: Option<&'a str>,
}

/// Alert and incident updates have the same four shared fields (their statuses differ in
/// type, not in how they read).
macro_rules! fields_of {
    ($($update:ty),*) => {$(
        impl<'a> From<&'a $update> for Fields<'a> {
            fn from(u: &'a $update) -> Fields<'a> {
                Fields {
                    status: u.status.as_ref().map(|s| s.as_str()),
                    assigned_to: u.assigned_to.as_deref(),
                    classification: u.classification.as_ref().map(|c| c.as_str()),
                    determination: u.determination.as_ref().map(|d| d.as_str()),
                }
            }
        }
    )*};
}

fields_of!(AlertUpdate, IncidentUpdate);

impl WriteOp {
    /// An assignment and/or classification (the fields alerts and incidents share), as the
    /// update for a target of `kind`.
    pub fn shared_fields(
        kind: TargetKind,
        assigned_to: Option<String>,
        verdict: Option<(AlertClassification, AlertDetermination)>,
    ) -> WriteOp {
        let (classification, determination) = verdict.unzip();
        match kind {
            TargetKind::Alert => WriteOp::Update(AlertUpdate {
                assigned_to,
                classification,
                determination,
                ..Default::default()
            }),
            TargetKind::Incident => WriteOp::UpdateIncident(IncidentUpdate {
                assigned_to,
                classification,
                determination,
                ..Default::default()
            }),
            // A control has no verdict: only the assignment, its state left as it is.
            TargetKind::Control => WriteOp::UpdateControl(ControlStateUpdate {
                state: None,
                assigned_to,
                ..ControlStateUpdate::new(crate::graph::score::ControlState::Default)
            }),
        }
    }

    /// The fields this write sets (nothing for a comment).
    pub fn fields(&self) -> Fields<'_> {
        match self {
            WriteOp::Update(u) => u.into(),
            WriteOp::UpdateIncident(u) => u.into(),
            WriteOp::Comment(_) => Fields::default(),
            WriteOp::UpdateControl(u) => Fields {
                status: u.state.as_ref().map(|s| s.as_str()),
                assigned_to: u.assigned_to.as_deref(),
                ..Fields::default()
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingWrite {
    pub target: Target,
    pub op: WriteOp,
}

/// The pending writes, by write id and by target.
#[derive(Debug, Default)]
pub struct Writes {
    next_id: u64,
    pending: BTreeMap<u64, PendingWrite>,
    /// Write ids per alert id and per incident id (looked up by `&str` for every row
    /// drawn, so the ids are not wrapped in a [`Target`] key).
    by_alert: HashMap<String, Vec<u64>>,
    by_incident: HashMap<String, Vec<u64>>,
    by_control: HashMap<String, Vec<u64>>,
    /// Writes that failed for good this session.
    pub failed: u64,
    /// Writes that landed since the last time none was pending (for "Saved 5 changes").
    pub landed: usize,
}

impl Writes {
    /// Records a write and returns its fresh id (ids start at 1 and never repeat).
    pub fn start(&mut self, target: Target, op: WriteOp) -> u64 {
        if self.pending.is_empty() {
            self.landed = 0;
        }
        self.next_id += 1;
        let id = self.next_id;
        self.insert(id, target, op);
        id
    }

    /// Records a write whose id the worker chose (an outbox entry from an earlier run or put
    /// back in line). The worker's ids come from a range `start` never reaches.
    pub fn adopt(&mut self, id: u64, target: Target, op: WriteOp) {
        if !self.pending.contains_key(&id) {
            self.insert(id, target, op);
        }
    }

    fn insert(&mut self, id: u64, target: Target, op: WriteOp) {
        self.index_mut(target.kind)
            .entry(target.id.clone())
            .or_default()
            .push(id);
        self.pending.insert(id, PendingWrite { target, op });
    }

    fn index(&self, kind: TargetKind) -> &HashMap<String, Vec<u64>> {
        match kind {
            TargetKind::Alert => &self.by_alert,
            TargetKind::Incident => &self.by_incident,
            TargetKind::Control => &self.by_control,
        }
    }

    fn index_mut(&mut self, kind: TargetKind) -> &mut HashMap<String, Vec<u64>> {
        match kind {
            TargetKind::Alert => &mut self.by_alert,
            TargetKind::Incident => &mut self.by_incident,
            TargetKind::Control => &mut self.by_control,
        }
    }

    /// Forgets write `id` (answered); `None` for an unknown or already answered id.
    pub fn finish(&mut self, id: u64) -> Option<PendingWrite> {
        let w = self.pending.remove(&id)?;
        let index = self.index_mut(w.target.kind);
        if let Some(ids) = index.get_mut(&w.target.id) {
            ids.retain(|x| *x != id);
            if ids.is_empty() {
                index.remove(&w.target.id);
            }
        }
        Some(w)
    }

    pub fn len(&self) -> usize {
        self.pending.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// Pending writes to one target, oldest first.
    pub fn for_target<'a>(
        &'a self,
        kind: TargetKind,
        id: &str,
    ) -> impl Iterator<Item = &'a PendingWrite> {
        self.index(kind)
            .get(id)
            .into_iter()
            .flatten()
            .filter_map(|w| self.pending.get(w))
    }

    /// The fields pending writes will change on `alert_id`, merged oldest to newest.
    pub fn pending_update(&self, alert_id: &str) -> Option<AlertUpdate> {
        merged(
            self.for_target(TargetKind::Alert, alert_id)
                .filter_map(|w| match &w.op {
                    WriteOp::Update(u) => Some(u),
                    _ => None,
                }),
        )
    }

    /// [`Writes::pending_update`] for an incident.
    pub fn pending_incident_update(&self, incident_id: &str) -> Option<IncidentUpdate> {
        merged(
            self.for_target(TargetKind::Incident, incident_id)
                .filter_map(|w| match &w.op {
                    WriteOp::UpdateIncident(u) => Some(u),
                    _ => None,
                }),
        )
    }

    /// Number of pending comments on one target.
    pub fn pending_comments(&self, kind: TargetKind, id: &str) -> usize {
        self.for_target(kind, id)
            .filter(|w| matches!(w.op, WriteOp::Comment(_)))
            .count()
    }

    /// Whether anything is pending on one target.
    pub fn any_pending(&self, kind: TargetKind, id: &str) -> bool {
        self.index(kind).contains_key(id)
    }

    /// `alert` as it will look once its pending writes land.
    pub fn preview(&self, alert: &Alert) -> Option<Alert> {
        let u = self.pending_update(&alert.id)?;
        let mut a = alert.clone();
        u.apply_to(&mut a);
        Some(a)
    }

    /// `incident` as it will look once its pending writes land.
    pub fn preview_incident(&self, incident: &Incident) -> Option<Incident> {
        let u = self.pending_incident_update(&incident.id)?;
        let mut i = incident.clone();
        u.apply_to(&mut i);
        Some(i)
    }
}

/// Updates merged oldest to newest (a later write's field wins), through their Graph JSON
/// so alert and incident updates share the rule.
pub(crate) fn merged<'a, U: Serialize + DeserializeOwned + 'a>(
    updates: impl Iterator<Item = &'a U>,
) -> Option<U> {
    let mut fields = BTreeMap::new();
    let mut any = false;
    for u in updates {
        any = true;
        fields.extend(check::update_fields(u));
    }
    if !any {
        return None;
    }
    serde_json::from_value(serde_json::Value::Object(fields.into_iter().collect())).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::enums::{AlertStatus, IncidentStatus};

    #[test]
    fn ids_are_fresh_and_merge_per_alert() {
        let mut w = Writes::default();
        let a = w.start(
            Target::alert("x"),
            WriteOp::Update(AlertUpdate {
                status: Some(AlertStatus::InProgress),
                ..Default::default()
            }),
        );
        let b = w.start(
            Target::alert("x"),
            WriteOp::Update(AlertUpdate {
                assigned_to: Some("me".into()),
                ..Default::default()
            }),
        );
        assert_ne!(a, b);
        let u = w.pending_update("x").unwrap();
        assert_eq!(u.status, Some(AlertStatus::InProgress));
        assert_eq!(u.assigned_to.as_deref(), Some("me"));
        assert!(w.finish(a).is_some());
        assert!(w.finish(a).is_none(), "answered once");
        assert_eq!(w.len(), 1);
        w.finish(b);
        assert!(w.pending_update("x").is_none());
    }

    #[test]
    fn alerts_and_incidents_with_the_same_id_are_kept_apart() {
        let mut w = Writes::default();
        let a = w.start(
            Target::alert("7"),
            WriteOp::Update(AlertUpdate {
                status: Some(AlertStatus::Resolved),
                ..Default::default()
            }),
        );
        w.start(
            Target::incident("7"),
            WriteOp::UpdateIncident(IncidentUpdate {
                status: Some(IncidentStatus::InProgress),
                ..Default::default()
            }),
        );
        w.start(Target::incident("7"), WriteOp::Comment("hi".into()));
        w.start(
            Target::incident("7"),
            WriteOp::shared_fields(TargetKind::Incident, Some("me".into()), None),
        );
        let i = w.pending_incident_update("7").unwrap();
        assert_eq!(i.status, Some(IncidentStatus::InProgress));
        assert_eq!(
            i.assigned_to.as_deref(),
            Some("me"),
            "merged with the later write"
        );
        assert_eq!(w.pending_comments(TargetKind::Incident, "7"), 1);
        assert_eq!(w.pending_comments(TargetKind::Alert, "7"), 0);
        assert_eq!(
            w.pending_update("7").unwrap().status,
            Some(AlertStatus::Resolved)
        );
        assert_eq!(w.finish(a).unwrap().target, Target::alert("7"));
        assert!(!w.any_pending(TargetKind::Alert, "7"));
        assert!(w.any_pending(TargetKind::Incident, "7"));
    }
}
