//! A loaded list (the alerts, the incidents), its sort order and the type-to-filter view.
//!
//! Built for 100,000 alerts: each alert's searchable text is lowercased once when it
//! arrives; sorting works on indices; the filter keeps the result for every prefix of the
//! query typed so far, so extending the query re-checks only the current matches and
//! backspacing is a pop instead of a rescan.

use super::format;
use crate::correlate::{self, EntityKind, EntityRef};
use crate::graph::enums::{AlertSeverity, AlertStatus, ServiceSource};
use crate::graph::models::Alert;
use crate::sanitize;
use std::cmp::Ordering;
use std::collections::HashMap;
use time::OffsetDateTime;

/// A sortable column of a list, in screen order. The alert queue and the incident queue
/// each have their own columns; sorting, cycling and the arrows work the same on both.
pub trait Column: Copy + Eq + std::fmt::Debug + 'static {
    /// Every column, in screen order (the sort keys cycle through them).
    const ALL: &'static [Self];
    /// The column a list is first sorted by.
    const DEFAULT: Self;

    fn name(self) -> &'static str;

    /// The direction a column is first sorted in: newest and most severe first, text A→Z.
    fn natural_descending(self) -> bool;

    fn next(self) -> Self {
        let i = Self::ALL.iter().position(|c| *c == self).unwrap_or(0);
        Self::ALL[(i + 1) % Self::ALL.len()]
    }

    fn prev(self) -> Self {
        let i = Self::ALL.iter().position(|c| *c == self).unwrap_or(0);
        Self::ALL[(i + Self::ALL.len() - 1) % Self::ALL.len()]
    }
}

/// A sortable column of the alert queue, in screen order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortColumn {
    Severity,
    Status,
    Title,
    Source,
    Created,
    AssignedTo,
}

impl Column for SortColumn {
    const ALL: &'static [SortColumn] = &[
        SortColumn::Severity,
        SortColumn::Status,
        SortColumn::Title,
        SortColumn::Source,
        SortColumn::Created,
        SortColumn::AssignedTo,
    ];
    const DEFAULT: SortColumn = SortColumn::Created;

    fn name(self) -> &'static str {
        match self {
            SortColumn::Severity => "severity",
            SortColumn::Status => "status",
            SortColumn::Title => "title",
            SortColumn::Source => "source",
            SortColumn::Created => "created",
            SortColumn::AssignedTo => "assigned",
        }
    }

    fn natural_descending(self) -> bool {
        matches!(self, SortColumn::Created | SortColumn::Severity)
    }
}

/// A sort column and direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort<C = SortColumn> {
    pub column: C,
    pub descending: bool,
}

impl<C: Column> Default for Sort<C> {
    /// The list's default column in its natural direction (newest first for alerts).
    fn default() -> Self {
        Sort {
            column: C::DEFAULT,
            descending: C::DEFAULT.natural_descending(),
        }
    }
}

/// What a [`Queue`] holds: one row's data plus what the queue precomputes for it.
pub trait Item {
    /// What arrives from the worker (an alert, an incident row).
    type Data;
    type Column: Column;
    /// A restriction on top of the whole list (the alert queue's entity scope).
    type Scope;

    fn new(data: Self::Data) -> Self;
    fn data(&self) -> &Self::Data;
    fn data_mut(&mut self) -> &mut Self::Data;
    fn id(&self) -> &str;
    /// Lowercased, sanitised searchable text, one field per line so a query cannot match
    /// across two fields.
    fn hay(&self) -> &str;
    /// Ascending order by `column` alone.
    fn cmp_by(&self, other: &Self, column: Self::Column) -> Ordering;
    /// The order of rows the column ties: newest first, then the id, so the order is total
    /// and stable across refreshes.
    fn cmp_tie(&self, other: &Self) -> Ordering;
    fn in_scope(&self, scope: &Self::Scope) -> bool;
    /// Whether the filter and the scope see the same in both (a replace may skip the
    /// refilter).
    fn filters_like(&self, other: &Self) -> bool {
        self.hay() == other.hay()
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
}

impl Item for Entry {
    type Data = Alert;
    type Column = SortColumn;
    type Scope = Scope;

    fn new(alert: Alert) -> Entry {
        let hay = haystack(&alert);
        let entities = correlate::alert_entities(&alert).into_boxed_slice();
        Entry {
            alert,
            hay,
            entities,
        }
    }

    fn data(&self) -> &Alert {
        &self.alert
    }

    fn data_mut(&mut self) -> &mut Alert {
        &mut self.alert
    }

    fn id(&self) -> &str {
        &self.alert.id
    }

    fn hay(&self) -> &str {
        &self.hay
    }

    fn cmp_by(&self, other: &Entry, column: SortColumn) -> Ordering {
        let (x, y) = (&self.alert, &other.alert);
        match column {
            SortColumn::Severity => severity_cmp(x.severity.as_ref(), y.severity.as_ref()),
            SortColumn::Status => {
                status_rank(x.status.as_ref()).cmp(&status_rank(y.status.as_ref()))
            }
            SortColumn::Title => text_cmp(x.title.as_deref(), y.title.as_deref()),
            SortColumn::Source => text_cmp(
                x.service_source.as_ref().map(|s| s.as_str()),
                y.service_source.as_ref().map(|s| s.as_str()),
            ),
            SortColumn::Created => x.created.cmp(&y.created),
            SortColumn::AssignedTo => text_cmp(x.assigned_to.as_deref(), y.assigned_to.as_deref()),
        }
    }

    fn cmp_tie(&self, other: &Entry) -> Ordering {
        newest_then_id(
            (self.alert.created, &self.alert.id),
            (other.alert.created, &other.alert.id),
        )
    }

    fn in_scope(&self, scope: &Scope) -> bool {
        self.entities.iter().any(|r| r.same(scope.kind, &scope.key))
    }

    fn filters_like(&self, other: &Entry) -> bool {
        self.hay == other.hay && self.entities == other.entities
    }
}

fn haystack(a: &Alert) -> Box<str> {
    let mut h = Haystack::default();
    h.add(a.title.as_deref().unwrap_or(""));
    h.add(&a.id);
    h.add(a.assigned_to.as_deref().unwrap_or(""));
    if let Some(s) = &a.service_source {
        h.add_source(s);
    }
    for e in &a.evidence {
        if let Some(n) = e.name() {
            h.add(&n);
        }
    }
    h.done()
}

/// Builds an item's searchable text: each field sanitised, lowercased, on its own line.
#[derive(Default)]
pub struct Haystack(String);

impl Haystack {
    pub fn add(&mut self, s: &str) {
        self.0.push_str(&sanitize::line(s).to_lowercase());
        self.0.push('\n');
    }

    /// A service source by its wire name and by the short name the columns show.
    pub fn add_source(&mut self, s: &ServiceSource) {
        self.add(s.as_str());
        self.add(&format::service_short(Some(s)));
    }

    pub fn done(self) -> Box<str> {
        self.0.into_boxed_str()
    }
}

/// Restricts the queue to the alerts that name one entity (`Enter` in the entities pane).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub kind: EntityKind,
    pub key: Box<str>,
    /// The entity's name as shown (sanitised), for the "entity:" chip.
    pub name: Box<str>,
}

/// One item and the load generation that last delivered it (for sweeping after a refresh).
struct Slot<E> {
    item: E,
    seen: u64,
}

/// A loaded list plus sort and filter: the alert queue (`Queue`), the incident queue.
pub struct Queue<E: Item = Entry> {
    slots: Vec<Slot<E>>,
    by_id: HashMap<String, u32>,
    /// Every entry index, in sort order.
    order: Vec<u32>,
    /// The restriction (e.g. the entity) and the entries (in sort order) within it. The
    /// type-to-filter works on top of this.
    scope: Option<(E::Scope, Vec<u32>)>,
    /// The filter results for each prefix of the current query (lowercased), shortest
    /// first; the last level is what is shown. Empty when no filter is set.
    levels: Vec<(String, Vec<u32>)>,
    /// The query as typed (shown on screen).
    query: String,
    sort: Sort<E::Column>,
}

impl<E: Item> Default for Queue<E> {
    fn default() -> Self {
        Queue {
            slots: Vec::new(),
            by_id: HashMap::new(),
            order: Vec::new(),
            scope: None,
            levels: Vec::new(),
            query: String::new(),
            sort: Sort::default(),
        }
    }
}

impl<E: Item> std::fmt::Debug for Queue<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queue")
            .field("len", &self.slots.len())
            .field("shown", &self.view().len())
            .field("query", &self.query)
            .field("sort", &self.sort)
            .finish_non_exhaustive()
    }
}

impl<E: Item> Queue<E> {
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The rows to show, as entry indices in display order.
    pub fn view(&self) -> &[u32] {
        match self.levels.last() {
            Some((_, v)) => v,
            None => self.base(),
        }
    }

    /// What the text filter narrows: every entry, or those in scope.
    fn base(&self) -> &[u32] {
        match &self.scope {
            Some((_, v)) => v,
            None => &self.order,
        }
    }

    /// Every loaded item, in no particular order.
    pub fn entries(&self) -> impl Iterator<Item = &E> {
        self.slots.iter().map(|s| &s.item)
    }

    pub fn scope(&self) -> Option<&E::Scope> {
        self.scope.as_ref().map(|(s, _)| s)
    }

    /// Shows only the items in `scope` (or every item for `None`).
    pub fn set_scope(&mut self, scope: Option<E::Scope>) {
        self.scope = scope.map(|s| (s, Vec::new()));
        self.refilter();
    }

    pub fn entry(&self, idx: u32) -> &E {
        &self.slots[idx as usize].item
    }

    /// The item at row `row` of the view.
    pub fn row(&self, row: usize) -> Option<&E::Data> {
        self.view().get(row).map(|&i| self.entry(i).data())
    }

    /// The entry of item `id`, with what was precomputed for it.
    pub fn entry_of(&self, id: &str) -> Option<&E> {
        self.by_id.get(id).map(|&i| self.entry(i))
    }

    pub fn get(&self, id: &str) -> Option<&E::Data> {
        self.entry_of(id).map(Item::data)
    }

    pub fn contains(&self, id: &str) -> bool {
        self.by_id.contains_key(id)
    }

    /// Row of item `id` in the view, if it is shown.
    pub fn position(&self, id: &str) -> Option<usize> {
        let idx = *self.by_id.get(id)?;
        self.view().iter().position(|&i| i == idx)
    }

    pub fn sort(&self) -> Sort<E::Column> {
        self.sort
    }

    pub fn query(&self) -> &str {
        &self.query
    }

    /// Drops every item (a preset change: the old rows answer a different question).
    pub fn clear(&mut self) {
        self.slots.clear();
        self.by_id.clear();
        self.order.clear();
        self.levels.clear();
        if let Some((_, rows)) = &mut self.scope {
            rows.clear();
        }
    }

    /// Adds or replaces items delivered by load `generation`, keeping sort and filter.
    pub fn upsert(&mut self, items: Vec<E::Data>, generation: u64) {
        // A poll's changed rows mostly keep their place (the default sort is by time
        // created): only pay for a re-sort when a row moves or arrives, and for a
        // re-filter when what the filter sees changed.
        let (mut moved, mut refilter) = (false, false);
        for data in items {
            let slot = Slot {
                item: E::new(data),
                seen: generation,
            };
            match self.by_id.get(slot.item.id()) {
                Some(&i) => {
                    let old = &self.slots[i as usize].item;
                    moved |= compare(old, &slot.item, self.sort) != Ordering::Equal;
                    refilter |= !old.filters_like(&slot.item);
                    self.slots[i as usize] = slot;
                }
                None => {
                    let i = u32::try_from(self.slots.len()).expect("fewer than 2^32 rows");
                    self.by_id.insert(slot.item.id().to_owned(), i);
                    self.slots.push(slot);
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

    /// Drops items that load `generation` did not deliver (they were resolved or aged out
    /// of the preset since the last load). Returns how many went.
    pub fn sweep(&mut self, generation: u64) -> usize {
        let before = self.slots.len();
        self.slots.retain(|s| s.seen == generation);
        let removed = before - self.slots.len();
        if removed > 0 {
            self.reindex();
        }
        removed
    }

    /// Drops the items in `ids` (they left the presets). Returns how many went.
    pub fn remove(&mut self, ids: &std::collections::HashSet<String>) -> usize {
        let before = self.slots.len();
        self.slots.retain(|s| !ids.contains(s.item.id()));
        let removed = before - self.slots.len();
        if removed > 0 {
            self.reindex();
        }
        removed
    }

    /// Replaces one item with a newer copy (a write reply or a GET). Unknown ids are
    /// ignored: the item is not in the loaded preset.
    pub fn replace(&mut self, data: E::Data) -> bool {
        let new = E::new(data);
        let Some(&i) = self.by_id.get(new.id()) else {
            return false;
        };
        let old = &self.slots[i as usize].item;
        // A bulk change answers with hundreds of replies; only pay for a re-sort or a
        // re-filter when this copy moves the row or changes what the filter sees.
        let moves = compare(old, &new, self.sort) != Ordering::Equal;
        let refilter = !old.filters_like(&new);
        self.slots[i as usize].item = new;
        if moves {
            self.resort();
        } else if refilter {
            self.refilter();
        }
        true
    }

    /// Changes item `id` in place with `f`, which must not change what the sort or the
    /// filter sees (e.g. its comments). Returns whether the item is loaded.
    pub fn modify(&mut self, id: &str, f: impl FnOnce(&mut E::Data)) -> bool {
        match self.by_id.get(id) {
            Some(&i) => {
                f(self.slots[i as usize].item.data_mut());
                true
            }
            None => false,
        }
    }

    pub fn set_sort(&mut self, sort: Sort<E::Column>) {
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
        let slots = &self.slots;
        let matches = base
            .iter()
            .copied()
            .filter(|&i| slots[i as usize].item.hay().contains(q.as_str()))
            .collect();
        self.levels.push((q, matches));
    }

    /// Re-sorts after the data or sort changed, then refilters from scratch (cached
    /// prefix levels no longer match the new data).
    fn resort(&mut self) {
        let slots = &self.slots;
        let sort = self.sort;
        // `order` is mostly sorted already (a page appended to a sorted run, or one item
        // changed), which the standard stable sort detects and merges in linear time.
        self.order
            .sort_by(|&a, &b| compare(&slots[a as usize].item, &slots[b as usize].item, sort));
        self.refilter();
    }

    fn refilter(&mut self) {
        if let Some((scope, rows)) = &mut self.scope {
            let slots = &self.slots;
            *rows = self
                .order
                .iter()
                .copied()
                .filter(|&i| slots[i as usize].item.in_scope(scope))
                .collect();
        }
        self.levels.clear();
        let q = std::mem::take(&mut self.query);
        self.set_query(&q);
    }

    fn reindex(&mut self) {
        self.by_id = self
            .slots
            .iter()
            .enumerate()
            .map(|(i, s)| (s.item.id().to_owned(), i as u32))
            .collect();
        self.order = (0..self.slots.len() as u32).collect();
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

/// Ascending severity (unknown lowest).
pub fn severity_cmp(a: Option<&AlertSeverity>, b: Option<&AlertSeverity>) -> Ordering {
    a.map_or(0, AlertSeverity::rank)
        .cmp(&b.map_or(0, AlertSeverity::rank))
}

/// Case-insensitive (ASCII) text order; missing values go last in ascending order.
pub fn text_cmp(a: Option<&str>, b: Option<&str>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => a
            .bytes()
            .map(|c| c.to_ascii_lowercase())
            .cmp(b.bytes().map(|c| c.to_ascii_lowercase())),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// The usual tie-break: newest first, then the id.
pub fn newest_then_id(
    (a_time, a_id): (Option<OffsetDateTime>, &str),
    (b_time, b_id): (Option<OffsetDateTime>, &str),
) -> Ordering {
    b_time.cmp(&a_time).then_with(|| a_id.cmp(b_id))
}

fn compare<E: Item>(a: &E, b: &E, sort: Sort<E::Column>) -> Ordering {
    let primary = a.cmp_by(b, sort.column);
    let primary = if sort.descending {
        primary.reverse()
    } else {
        primary
    };
    primary.then_with(|| a.cmp_tie(b))
}

/// Keeps a cursor that follows an id in step with a list whose rows changed (sort,
/// filter, a page, a refresh): the row of `id` when it is still shown; otherwise the same
/// row number (clamped), adopting whatever item is there.
pub fn follow<E: Item>(queue: &Queue<E>, id: &mut Option<String>, row: &mut usize) {
    match id.as_deref().and_then(|i| queue.position(i)) {
        Some(p) => *row = p,
        None => {
            *row = (*row).min(queue.view().len().saturating_sub(1));
            *id = queue
                .view()
                .get(*row)
                .map(|&i| queue.entry(i).id().to_owned());
        }
    }
}

/// Puts a cursor that follows an id on row `to` of the view (clamped); true when the
/// selection changed.
pub fn select<E: Item>(
    queue: &Queue<E>,
    id: &mut Option<String>,
    row: &mut usize,
    to: usize,
) -> bool {
    let to = to.min(queue.view().len().saturating_sub(1));
    let new = queue
        .view()
        .get(to)
        .map(|&i| queue.entry(i).id().to_owned());
    let changed = to != *row || new != *id;
    *row = to;
    *id = new;
    changed
}

/// Moves `offset` (the first row on screen) so that `row` is inside a window of `rows`
/// lines over a list of `len` rows.
pub fn scroll_into_view(row: usize, offset: &mut usize, len: usize, rows: usize) {
    let rows = rows.max(1);
    if row < *offset {
        *offset = row;
    } else if row >= *offset + rows {
        *offset = row + 1 - rows;
    }
    *offset = (*offset).min(len.saturating_sub(rows));
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
