//! Writes in flight: what the analyst asked for, shown on the row until Graph answers.

use crate::graph::models::{Alert, AlertUpdate};
use std::collections::{BTreeMap, HashMap};

/// Write ids the worker gives to outbox entries it restores start here; ids from
/// [`Writes::start`] count up from 1 and never get near it.
pub const RESTORED_WRITE_IDS: u64 = 1 << 62;

/// What one pending write changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteOp {
    Update(AlertUpdate),
    Comment(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingWrite {
    pub alert_id: String,
    pub op: WriteOp,
}

/// The pending writes, by write id and by alert.
#[derive(Debug, Default)]
pub struct Writes {
    next_id: u64,
    pending: BTreeMap<u64, PendingWrite>,
    by_alert: HashMap<String, Vec<u64>>,
    /// Writes that failed for good this session.
    pub failed: u64,
}

impl Writes {
    /// Records a write and returns its fresh id (ids start at 1 and never repeat).
    pub fn start(&mut self, alert_id: &str, op: WriteOp) -> u64 {
        self.next_id += 1;
        let id = self.next_id;
        self.pending.insert(
            id,
            PendingWrite {
                alert_id: alert_id.to_owned(),
                op,
            },
        );
        self.by_alert
            .entry(alert_id.to_owned())
            .or_default()
            .push(id);
        id
    }

    /// Records a write whose id the worker chose (an outbox entry from an earlier run or put
    /// back in line). The worker's ids come from a range `start` never reaches.
    pub fn adopt(&mut self, id: u64, alert_id: &str, op: WriteOp) {
        if self.pending.contains_key(&id) {
            return;
        }
        self.pending.insert(
            id,
            PendingWrite {
                alert_id: alert_id.to_owned(),
                op,
            },
        );
        self.by_alert
            .entry(alert_id.to_owned())
            .or_default()
            .push(id);
    }

    /// Forgets write `id` (answered); `None` for an unknown or already answered id.
    pub fn finish(&mut self, id: u64) -> Option<PendingWrite> {
        let w = self.pending.remove(&id)?;
        if let Some(ids) = self.by_alert.get_mut(&w.alert_id) {
            ids.retain(|x| *x != id);
            if ids.is_empty() {
                self.by_alert.remove(&w.alert_id);
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

    /// Pending writes to one alert, oldest first.
    pub fn for_alert<'a>(&'a self, alert_id: &str) -> impl Iterator<Item = &'a PendingWrite> {
        self.by_alert
            .get(alert_id)
            .into_iter()
            .flatten()
            .filter_map(|id| self.pending.get(id))
    }

    /// The fields pending writes will change on `alert_id`, merged oldest to newest.
    pub fn pending_update(&self, alert_id: &str) -> Option<AlertUpdate> {
        let mut merged: Option<AlertUpdate> = None;
        for w in self.for_alert(alert_id) {
            if let WriteOp::Update(u) = &w.op {
                let m = merged.get_or_insert_with(AlertUpdate::default);
                if u.status.is_some() {
                    m.status.clone_from(&u.status);
                }
                if u.assigned_to.is_some() {
                    m.assigned_to.clone_from(&u.assigned_to);
                }
                if u.classification.is_some() {
                    m.classification.clone_from(&u.classification);
                }
                if u.determination.is_some() {
                    m.determination.clone_from(&u.determination);
                }
            }
        }
        merged
    }

    /// Number of pending comments on `alert_id`.
    pub fn pending_comments(&self, alert_id: &str) -> usize {
        self.for_alert(alert_id)
            .filter(|w| matches!(w.op, WriteOp::Comment(_)))
            .count()
    }

    /// `alert` as it will look once its pending writes land.
    pub fn preview(&self, alert: &Alert) -> Option<Alert> {
        let u = self.pending_update(&alert.id)?;
        let mut a = alert.clone();
        u.apply_to(&mut a);
        Some(a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::enums::AlertStatus;

    #[test]
    fn ids_are_fresh_and_merge_per_alert() {
        let mut w = Writes::default();
        let a = w.start(
            "x",
            WriteOp::Update(AlertUpdate {
                status: Some(AlertStatus::InProgress),
                ..Default::default()
            }),
        );
        let b = w.start(
            "x",
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
}
