//! The loaded alerts, their sort order and the type-to-filter view.
//!
//! Built for 100,000 alerts: each alert's searchable text is lowercased once when it
//! arrives; sorting works on indices; the filter keeps the result for every prefix of the
//! query typed so far, so extending the query re-checks only the current matches and
//! backspacing is a pop instead of a rescan.

use super::format;
use crate::correlate::{self, EntityKind, EntityRef};
use crate::graph::enums::{AlertSeverity, AlertStatus};
use crate::graph::models::{Alert, AlertComment};
use crate::sanitize;
use std::cmp::Ordering;
use std::collections::HashMap;

/// A sortable column of the queue, in screen order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortColumn {
    Severity,
    Status,
    Title,
    Source,
    Created,
    AssignedTo,
}

impl SortColumn {
    pub const ALL: [SortColumn; 6] = [
        SortColumn::Severity,
        SortColumn::Status,
        SortColumn::Title,
        SortColumn::Source,
        SortColumn::Created,
        SortColumn::AssignedTo,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SortColumn::Severity => "severity",
            SortColumn::Status => "status",
            SortColumn::Title => "title",
            SortColumn::Source => "source",
            SortColumn::Created => "created",
            SortColumn::AssignedTo => "assigned",
        }
    }

    /// The direction a column is first sorted in: newest and most severe first, text A→Z.
    pub fn natural_descending(self) -> bool {
        matches!(self, SortColumn::Created | SortColumn::Severity)
    }

    pub fn next(self) -> SortColumn {
        let i = Self::ALL.iter().position(|c| *c == self).unwrap_or(0);
        Self::ALL[(i + 1) % Self::ALL.len()]
    }

    pub fn prev(self) -> SortColumn {
        let i = Self::ALL.iter().position(|c| *c == self).unwrap_or(0);
        Self::ALL[(i + Self::ALL.len() - 1) % Self::ALL.len()]
    }
}

/// A sort column and direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub column: SortColumn,
    pub descending: bool,
}

impl Default for Sort {
    /// Newest first.
    fn default() -> Self {
        Sort {
            column: SortColumn::Created,
            descending: true,
        }
    }
}

/// One loaded alert and what the queue precomputes for it.
#[derive(Debug)]
pub struct Entry {
    pub alert: Alert,
    /// Lowercased, sanitised title, id, assignee, service source and evidence names, one per
    /// line so a query cannot match across two fields.
    hay: Box<str>,
    /// The entities its evidence names, read once here so the entities pane never parses
    /// JSON (see [`crate::correlate`]).
    pub entities: Box<[EntityRef]>,
    /// The load generation that last delivered this alert (for sweeping after a refresh).
    seen: u64,
}

impl Entry {
    fn new(alert: Alert, seen: u64) -> Entry {
        let hay = haystack(&alert);
        let entities = correlate::alert_entities(&alert).into_boxed_slice();
        Entry {
            alert,
            hay,
            entities,
            seen,
        }
    }
}

fn haystack(a: &Alert) -> Box<str> {
    let mut h = String::with_capacity(128);
    let mut add = |s: &str| {
        h.push_str(&sanitize::line(s).to_lowercase());
        h.push('\n');
    };
    add(a.title.as_deref().unwrap_or(""));
    add(&a.id);
    add(a.assigned_to.as_deref().unwrap_or(""));
    if let Some(s) = &a.service_source {
        add(s.as_str());
        add(&format::service_short(Some(s)));
    }
    for e in &a.evidence {
        if let Some(n) = e.name() {
            add(&n);
        }
    }
    h.into_boxed_str()
}

/// Restricts the queue to the alerts that name one entity (`Enter` in the entities pane).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub kind: EntityKind,
    pub key: Box<str>,
    /// The entity's name as shown (sanitised), for the "entity:" chip.
    pub name: Box<str>,
}

/// The alert store plus sort and filter.
#[derive(Debug, Default)]
pub struct Queue {
    entries: Vec<Entry>,
    by_id: HashMap<String, u32>,
    /// Every entry index, in sort order.
    order: Vec<u32>,
    /// The entity the queue is restricted to, and the entries (in sort order) that name it.
    /// The type-to-filter works on top of this.
    scope: Option<(Scope, Vec<u32>)>,
    /// The filter results for each prefix of the current query (lowercased), shortest
    /// first; the last level is what is shown. Empty when no filter is set.
    levels: Vec<(String, Vec<u32>)>,
    /// The query as typed (shown on screen).
    query: String,
    sort: Sort,
}

impl Queue {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The rows to show, as entry indices in display order.
    pub fn view(&self) -> &[u32] {
        match self.levels.last() {
            Some((_, v)) => v,
            None => self.base(),
        }
    }

    /// What the text filter narrows: every entry, or those of the scoped entity.
    fn base(&self) -> &[u32] {
        match &self.scope {
            Some((_, v)) => v,
            None => &self.order,
        }
    }

    /// Every loaded alert with its entities, in no particular order.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter()
    }

    pub fn scope(&self) -> Option<&Scope> {
        self.scope.as_ref().map(|(s, _)| s)
    }

    /// Shows only the alerts naming `scope`'s entity (or every alert for `None`).
    pub fn set_scope(&mut self, scope: Option<Scope>) {
        self.scope = scope.map(|s| (s, Vec::new()));
        self.refilter();
    }

    pub fn entry(&self, idx: u32) -> &Entry {
        &self.entries[idx as usize]
    }

    /// The alert at row `row` of the view.
    pub fn row(&self, row: usize) -> Option<&Alert> {
        self.view()
            .get(row)
            .map(|&i| &self.entries[i as usize].alert)
    }

    /// The entry of alert `id`, with what was precomputed for it.
    pub fn entry_of(&self, id: &str) -> Option<&Entry> {
        self.by_id.get(id).map(|&i| &self.entries[i as usize])
    }

    pub fn get(&self, id: &str) -> Option<&Alert> {
        self.by_id.get(id).map(|&i| &self.entries[i as usize].alert)
    }

    pub fn contains(&self, id: &str) -> bool {
        self.by_id.contains_key(id)
    }

    /// Row of alert `id` in the view, if it is shown.
    pub fn position(&self, id: &str) -> Option<usize> {
        let idx = *self.by_id.get(id)?;
        self.view().iter().position(|&i| i == idx)
    }

    pub fn sort(&self) -> Sort {
        self.sort
    }

    pub fn query(&self) -> &str {
        &self.query
    }

    /// Drops every alert (a preset change: the old rows answer a different question).
    pub fn clear(&mut self) {
        self.entries.clear();
        self.by_id.clear();
        self.order.clear();
        self.levels.clear();
        if let Some((_, rows)) = &mut self.scope {
            rows.clear();
        }
    }

    /// Adds or replaces alerts delivered by load `generation`, keeping sort and filter.
    pub fn upsert(&mut self, alerts: Vec<Alert>, generation: u64) {
        // A poll's changed alerts mostly keep their place (the default sort is by creation
        // time): only pay for a re-sort when a row moves or arrives, and for a re-filter
        // when what the filter sees changed.
        let (mut moved, mut refilter) = (false, false);
        for alert in alerts {
            match self.by_id.get(&alert.id) {
                Some(&i) => {
                    let new = Entry::new(alert, generation);
                    let old = &self.entries[i as usize];
                    moved |= compare(old, &new, self.sort) != Ordering::Equal;
                    refilter |= old.hay != new.hay || old.entities != new.entities;
                    self.entries[i as usize] = new;
                }
                None => {
                    let i = u32::try_from(self.entries.len()).expect("fewer than 2^32 alerts");
                    self.by_id.insert(alert.id.clone(), i);
                    self.entries.push(Entry::new(alert, generation));
                    self.order.push(i);
                    moved = true;
                }
            }
        }
        if moved {
            self.resort();
        } else if refilter {
            self.refilter();
        }
    }

    /// Drops alerts that load `generation` did not deliver (they were resolved or aged out
    /// of the preset since the last load). Returns how many went.
    pub fn sweep(&mut self, generation: u64) -> usize {
        let before = self.entries.len();
        self.entries.retain(|e| e.seen == generation);
        let removed = before - self.entries.len();
        if removed > 0 {
            self.reindex();
        }
        removed
    }

    /// Drops the alerts in `ids` (they left the presets). Returns how many went.
    pub fn remove(&mut self, ids: &std::collections::HashSet<String>) -> usize {
        let before = self.entries.len();
        self.entries.retain(|e| !ids.contains(&e.alert.id));
        let removed = before - self.entries.len();
        if removed > 0 {
            self.reindex();
        }
        removed
    }

    /// Replaces one alert with a newer copy (a write reply or a GET). Unknown ids are
    /// ignored: the alert is not in the loaded preset.
    pub fn replace(&mut self, alert: Alert) -> bool {
        let Some(&i) = self.by_id.get(&alert.id) else {
            return false;
        };
        let old = &self.entries[i as usize];
        let new = Entry::new(alert, old.seen);
        // A bulk change answers with hundreds of replies; only pay for a re-sort or a
        // re-filter when this copy moves the row or changes what the filter sees.
        let moves = compare(old, &new, self.sort) != Ordering::Equal;
        let refilter = old.hay != new.hay || old.entities != new.entities;
        self.entries[i as usize] = new;
        if moves {
            self.resort();
        } else if refilter {
            self.refilter();
        }
        true
    }

    pub fn set_comments(&mut self, id: &str, comments: Vec<AlertComment>) -> bool {
        match self.by_id.get(id) {
            Some(&i) => {
                self.entries[i as usize].alert.comments = comments;
                true
            }
            None => false,
        }
    }

    pub fn set_sort(&mut self, sort: Sort) {
        self.sort = sort;
        self.resort();
    }

    /// Sets the type-to-filter query (case-insensitive substring).
    pub fn set_query(&mut self, query: &str) {
        self.query = query.to_owned();
        let q = query.to_lowercase();
        if q.is_empty() {
            self.levels.clear();
            return;
        }
        // Keep the cached levels that are prefixes of the new query; the longest one is
        // the smallest set that can still contain every match.
        while self
            .levels
            .last()
            .is_some_and(|(lq, _)| !q.starts_with(lq.as_str()))
        {
            self.levels.pop();
        }
        if self.levels.last().is_some_and(|(lq, _)| *lq == q) {
            return;
        }
        let base = match self.levels.last() {
            Some((_, v)) => v.as_slice(),
            None => self.base(),
        };
        let entries = &self.entries;
        let matches = base
            .iter()
            .copied()
            .filter(|&i| entries[i as usize].hay.contains(q.as_str()))
            .collect();
        self.levels.push((q, matches));
    }

    /// Re-sorts after the data or sort changed, then refilters from scratch (cached
    /// prefix levels no longer match the new data).
    fn resort(&mut self) {
        let entries = &self.entries;
        let sort = self.sort;
        // `order` is mostly sorted already (a page appended to a sorted run, or one alert
        // changed), which the standard stable sort detects and merges in linear time.
        self.order
            .sort_by(|&a, &b| compare(&entries[a as usize], &entries[b as usize], sort));
        self.refilter();
    }

    fn refilter(&mut self) {
        if let Some((scope, rows)) = &mut self.scope {
            let entries = &self.entries;
            *rows = self
                .order
                .iter()
                .copied()
                .filter(|&i| {
                    entries[i as usize]
                        .entities
                        .iter()
                        .any(|r| r.same(scope.kind, &scope.key))
                })
                .collect();
        }
        self.levels.clear();
        let q = std::mem::take(&mut self.query);
        self.set_query(&q);
    }

    fn reindex(&mut self) {
        self.by_id = self
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.alert.id.clone(), i as u32))
            .collect();
        self.order = (0..self.entries.len() as u32).collect();
        self.resort();
    }
}

fn status_rank(s: Option<&AlertStatus>) -> u8 {
    match s {
        Some(AlertStatus::New) => 0,
        Some(AlertStatus::InProgress) => 1,
        Some(AlertStatus::Resolved) => 2,
        Some(_) => 3,
        None => 4,
    }
}

fn text_cmp(a: Option<&str>, b: Option<&str>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => a
            .bytes()
            .map(|c| c.to_ascii_lowercase())
            .cmp(b.bytes().map(|c| c.to_ascii_lowercase())),
        // Missing values go last in ascending order.
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

fn compare(a: &Entry, b: &Entry, sort: Sort) -> Ordering {
    let (x, y) = (&a.alert, &b.alert);
    let primary = match sort.column {
        SortColumn::Severity => x
            .severity
            .as_ref()
            .map_or(0, AlertSeverity::rank)
            .cmp(&y.severity.as_ref().map_or(0, AlertSeverity::rank)),
        SortColumn::Status => status_rank(x.status.as_ref()).cmp(&status_rank(y.status.as_ref())),
        SortColumn::Title => text_cmp(x.title.as_deref(), y.title.as_deref()),
        SortColumn::Source => text_cmp(
            x.service_source.as_ref().map(|s| s.as_str()),
            y.service_source.as_ref().map(|s| s.as_str()),
        ),
        SortColumn::Created => x.created.cmp(&y.created),
        SortColumn::AssignedTo => text_cmp(x.assigned_to.as_deref(), y.assigned_to.as_deref()),
    };
    // Ties fall back to newest first, then the id, so the order is total and stable across
    // refreshes.
    let primary = if sort.descending {
        primary.reverse()
    } else {
        primary
    };
    primary
        .then_with(|| y.created.cmp(&x.created))
        .then_with(|| x.id.cmp(&y.id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(id: &str, title: &str, created_min: u32, sev: &str) -> Alert {
        Alert::from_json(&format!(
            r##"{{"id":"{id}","title":"{title}","severity":"{sev}",
                "createdDateTime":"2026-11-26T10:{created_min:02}:00Z",
                "evidence":[{{"@odata.type":"#microsoft.graph.security.deviceEvidence",
                              "deviceDnsName":"host-{id}.corp"}}]}}"##
        ))
        .unwrap()
    }

    fn ids(q: &Queue) -> Vec<&str> {
        q.view()
            .iter()
            .map(|&i| q.entry(i).alert.id.as_str())
            .collect()
    }

    fn sample() -> Queue {
        let mut q = Queue::default();
        q.upsert(
            vec![
                alert("a", "Mimikatz on DC", 1, "high"),
                alert("b", "Phish link clicked", 3, "low"),
                alert("c", "Suspicious PowerShell", 2, "medium"),
            ],
            1,
        );
        q
    }

    #[test]
    fn newest_first_by_default_and_sortable() {
        let mut q = sample();
        assert_eq!(ids(&q), ["b", "c", "a"]);
        q.set_sort(Sort {
            column: SortColumn::Severity,
            descending: true,
        });
        assert_eq!(ids(&q), ["a", "c", "b"]);
        q.set_sort(Sort {
            column: SortColumn::Title,
            descending: false,
        });
        assert_eq!(ids(&q), ["a", "b", "c"]);
    }

    #[test]
    fn filter_is_case_insensitive_over_several_fields() {
        let mut q = sample();
        q.set_query("MIMI");
        assert_eq!(ids(&q), ["a"]);
        q.set_query("host-c.");
        assert_eq!(ids(&q), ["c"]);
        q.set_query("c");
        assert_eq!(ids(&q).len(), 3);
        q.set_query("zzz");
        assert!(ids(&q).is_empty());
        q.set_query("");
        assert_eq!(ids(&q).len(), 3);
    }

    #[test]
    fn extending_and_backspacing_reuse_levels() {
        let mut q = sample();
        q.set_query("p");
        q.set_query("ph");
        q.set_query("phi");
        assert_eq!(q.levels.len(), 3);
        assert_eq!(ids(&q), ["b"]);
        q.set_query("ph");
        assert_eq!(q.levels.len(), 2);
        q.set_query("po");
        assert_eq!(q.levels.len(), 2, "p kept, ph dropped, po added");
        assert_eq!(ids(&q), ["c"]);
    }

    #[test]
    fn replace_resorts_only_when_the_row_moves() {
        let mut q = sample();
        q.set_sort(Sort {
            column: SortColumn::Severity,
            descending: true,
        });
        assert!(q.replace(alert("b", "Phish link clicked", 3, "high")));
        assert_eq!(ids(&q), ["b", "a", "c"], "b is now high and newest");
        q.set_query("renamed");
        assert!(q.replace(alert("c", "Renamed", 2, "medium")));
        assert_eq!(ids(&q), ["c"], "the filter sees the new title");
        assert!(!q.replace(alert("zz", "unknown", 1, "low")));
    }

    #[test]
    fn upsert_keeps_filter_and_sort_and_sweep_drops_unseen() {
        let mut q = sample();
        q.set_query("s");
        q.upsert(vec![alert("d", "Suspicious sign-in", 9, "low")], 2);
        assert_eq!(ids(&q)[0], "d");
        q.upsert(vec![alert("a", "Mimikatz on DC", 1, "high")], 2);
        assert_eq!(q.sweep(2), 2, "b and c were not in load 2");
        q.set_query("");
        assert_eq!(ids(&q), ["d", "a"]);
        assert!(q.get("b").is_none());
        assert_eq!(q.position("a"), Some(1));
    }

    #[test]
    fn scope_restricts_to_one_entity_under_the_filter() {
        let mut q = sample();
        q.upsert(vec![alert("d", "Mimikatz again", 9, "low")], 1);
        q.set_scope(Some(Scope {
            kind: EntityKind::Device,
            key: "host-a.corp".into(),
            name: "host-a.corp".into(),
        }));
        assert_eq!(ids(&q), ["a"]);
        q.set_query("mimi");
        assert_eq!(ids(&q), ["a"], "d matches the text but not the entity");
        q.upsert(vec![alert("a", "Mimikatz on DC", 1, "high")], 2);
        assert_eq!(ids(&q), ["a"], "a refresh keeps the scope");
        q.set_scope(None);
        assert_eq!(ids(&q), ["d", "a"]);
    }
}
