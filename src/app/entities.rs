//! The `:entities` pane's state: the correlated entities of the loaded alerts, a kind
//! filter, type-to-filter and a cursor. Built from the queue's precomputed entity lists
//! when the pane opens (no JSON is parsed then), and rebuilt when a load finishes.

use super::queue::Queue;
use crate::correlate::{self, Entity, EntityKind};

/// Shown entities narrowed to the ones one alert names (`x` from an alert).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfAlert {
    /// The alert's id, for the chip.
    pub alert_id: String,
    pub keys: Vec<(EntityKind, Box<str>)>,
}

#[derive(Debug, Default)]
pub struct EntitiesView {
    /// Every entity of the loaded alerts, best score first.
    all: Vec<Entity>,
    /// Lowercased kind, name and key of each entity, for type-to-filter.
    hay: Vec<String>,
    /// Indices into `all` that pass the filters, in score order.
    view: Vec<usize>,
    pub kind: Option<EntityKind>,
    pub query: String,
    pub of_alert: Option<OfAlert>,
    pub cursor: usize,
    pub offset: usize,
    /// The queue's text filter when an entity's alerts were listed, restored on the way back.
    pub saved_query: String,
}

impl EntitiesView {
    /// Every entity of `queue`'s alerts.
    pub fn build(queue: &Queue, of_alert: Option<OfAlert>) -> EntitiesView {
        let mut v = EntitiesView {
            of_alert,
            ..EntitiesView::default()
        };
        v.rebuild(queue);
        v
    }

    /// Recomputes from the queue (alerts arrived or went), keeping filters and the entity
    /// under the cursor.
    pub fn rebuild(&mut self, queue: &Queue) {
        let current = self.selected().map(|e| (e.kind, e.key.clone()));
        self.all = correlate::correlate(queue.entries().map(|e| (&e.alert, &*e.entities)));
        self.hay = self
            .all
            .iter()
            .map(|e| format!("{}\n{}\n{}", e.kind.as_str(), e.name, e.key).to_lowercase())
            .collect();
        self.refilter();
        if let Some((kind, key)) = current
            && let Some(row) = self
                .view
                .iter()
                .position(|&i| self.all[i].kind == kind && self.all[i].key == key)
        {
            self.cursor = row;
        }
    }

    /// Applies the kind, alert and text filters (a few thousand entities: a plain scan).
    fn refilter(&mut self) {
        let q = self.query.to_lowercase();
        self.view = (0..self.all.len())
            .filter(|&i| {
                let e = &self.all[i];
                self.kind.is_none_or(|k| k == e.kind)
                    && self
                        .of_alert
                        .as_ref()
                        .is_none_or(|a| a.keys.iter().any(|(k, key)| *k == e.kind && *key == e.key))
                    && (q.is_empty() || self.hay[i].contains(&q))
            })
            .collect();
        self.cursor = self.cursor.min(self.view.len().saturating_sub(1));
    }

    pub fn set_query(&mut self, query: &str) {
        self.query = query.to_owned();
        self.refilter();
    }

    /// The next kind filter: all → user → device → … → mailbox → all.
    pub fn cycle_kind(&mut self) {
        self.kind = match self.kind {
            None => Some(EntityKind::ALL[0]),
            Some(k) => EntityKind::ALL
                .iter()
                .position(|x| *x == k)
                .and_then(|i| EntityKind::ALL.get(i + 1).copied()),
        };
        self.refilter();
    }

    /// Entities shown, in order.
    pub fn rows(&self) -> impl ExactSizeIterator<Item = &Entity> {
        self.view.iter().map(|&i| &self.all[i])
    }

    pub fn len(&self) -> usize {
        self.view.len()
    }

    pub fn is_empty(&self) -> bool {
        self.view.is_empty()
    }

    /// Every entity, filters aside.
    pub fn total(&self) -> usize {
        self.all.len()
    }

    pub fn selected(&self) -> Option<&Entity> {
        self.view.get(self.cursor).map(|&i| &self.all[i])
    }

    /// Moves the cursor to `row` (clamped) and keeps it inside a window of `rows` lines.
    pub fn move_to(&mut self, row: usize, rows: usize) {
        self.cursor = row.min(self.view.len().saturating_sub(1));
        super::queue::scroll_into_view(self.cursor, &mut self.offset, self.view.len(), rows);
    }
}
