//! The `:cases` pane's own state: the eDiscovery cases, each drilled-into case's tabs (read
//! lazily, one tab at a time), the operations being followed, the writes waiting for
//! Graph's answer, and where the worker's one cases queue stands against the 5-a-minute
//! window.

use super::score::Fetch;
use crate::graph::cases::{
    CaseOperation, Custodian, EdiscoveryCase, EdiscoverySearch, Kept, LegalHold,
    NoncustodialDataSource, ReviewSet,
};
use crate::operations::OperationView;
use crate::sanitize;
use ratatui_textarea::TextArea;
use std::collections::{BTreeMap, BTreeSet};
use time::OffsetDateTime;

/// The sub-tabs of a case, in the order `1`-`6` pick them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum CaseTab {
    #[default]
    Custodians,
    Sources,
    Searches,
    ReviewSets,
    Holds,
    Operations,
}

impl CaseTab {
    pub const ALL: [CaseTab; 6] = [
        CaseTab::Custodians,
        CaseTab::Sources,
        CaseTab::Searches,
        CaseTab::ReviewSets,
        CaseTab::Holds,
        CaseTab::Operations,
    ];

    /// The tab's name in the tab bar and the breadcrumbs.
    pub fn title(self) -> &'static str {
        match self {
            CaseTab::Custodians => "custodians",
            CaseTab::Sources => "non-custodial sources",
            CaseTab::Searches => "searches",
            CaseTab::ReviewSets => "review sets",
            CaseTab::Holds => "legal holds",
            CaseTab::Operations => "operations",
        }
    }

    pub fn index(self) -> usize {
        CaseTab::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }

    pub fn next(self) -> CaseTab {
        CaseTab::ALL[(self.index() + 1) % CaseTab::ALL.len()]
    }

    pub fn prev(self) -> CaseTab {
        let n = CaseTab::ALL.len();
        CaseTab::ALL[(self.index() + n - 1) % n]
    }
}

/// One tab's rows, as Graph listed them (every page).
#[derive(Debug, Clone, PartialEq)]
pub enum TabRows {
    Custodians(Vec<Kept<Custodian>>),
    Sources(Vec<Kept<NoncustodialDataSource>>),
    Searches(Vec<Kept<EdiscoverySearch>>),
    ReviewSets(Vec<Kept<ReviewSet>>),
    Holds(Vec<Kept<LegalHold>>),
    Operations(Vec<Kept<CaseOperation>>),
}

impl TabRows {
    pub fn tab(&self) -> CaseTab {
        match self {
            TabRows::Custodians(_) => CaseTab::Custodians,
            TabRows::Sources(_) => CaseTab::Sources,
            TabRows::Searches(_) => CaseTab::Searches,
            TabRows::ReviewSets(_) => CaseTab::ReviewSets,
            TabRows::Holds(_) => CaseTab::Holds,
            TabRows::Operations(_) => CaseTab::Operations,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            TabRows::Custodians(v) => v.len(),
            TabRows::Sources(v) => v.len(),
            TabRows::Searches(v) => v.len(),
            TabRows::ReviewSets(v) => v.len(),
            TabRows::Holds(v) => v.len(),
            TabRows::Operations(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What the console holds of one case's tabs.
#[derive(Debug, Default)]
pub struct CaseDetail {
    pub fetch: BTreeMap<CaseTab, Fetch>,
    pub rows: BTreeMap<CaseTab, TabRows>,
}

impl CaseDetail {
    pub fn fetch(&self, tab: CaseTab) -> &Fetch {
        static NOT_ASKED: Fetch = Fetch::NotAsked;
        self.fetch.get(&tab).unwrap_or(&NOT_ASKED)
    }

    pub fn rows(&self, tab: CaseTab) -> Option<&TabRows> {
        self.rows.get(&tab)
    }

    /// The tab's searches, if it is the searches tab and it loaded.
    pub fn searches(&self) -> &[Kept<EdiscoverySearch>] {
        match self.rows.get(&CaseTab::Searches) {
            Some(TabRows::Searches(v)) => v,
            _ => &[],
        }
    }
}

/// Where the worker's cases queue stands: when the next eDiscovery request may go (`None`:
/// at once) and how many reads wait for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pacing {
    pub next_at: Option<OffsetDateTime>,
    pub waiting: usize,
}

/// A case write waiting for the analyst's y/n.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseConfirm {
    Close {
        case_id: String,
        name: String,
    },
    Reopen {
        case_id: String,
        name: String,
    },
    Estimate {
        case_id: String,
        search_id: String,
        label: String,
    },
}

impl CaseConfirm {
    /// The question, naming the object (sanitised names only).
    pub fn question(&self) -> String {
        match self {
            CaseConfirm::Close { name, .. } => format!("Close the case '{name}'? y/n"),
            CaseConfirm::Reopen { name, .. } => format!("Reopen the case '{name}'? y/n"),
            CaseConfirm::Estimate { label, .. } => format!("Start an estimate on '{label}'? y/n"),
        }
    }
}

/// Which field of the new-case form has the keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormField {
    Name,
    Description,
}

/// The new-case form: a name (required) and a description.
#[derive(Debug)]
pub struct CaseForm {
    pub name: Box<TextArea<'static>>,
    pub description: Box<TextArea<'static>>,
    pub field: FormField,
}

impl Default for CaseForm {
    fn default() -> Self {
        let mut name = TextArea::default();
        name.set_placeholder_text("case name (required)");
        let mut description = TextArea::default();
        description.set_placeholder_text("description (optional)");
        let mut form = CaseForm {
            name: Box::new(name),
            description: Box::new(description),
            field: FormField::Name,
        };
        form.sync_cursor();
        form
    }
}

impl CaseForm {
    /// Shows the text cursor only in the field that has the keys.
    pub fn sync_cursor(&mut self) {
        let on = ratatui::style::Style::default().add_modifier(ratatui::style::Modifier::REVERSED);
        let off = ratatui::style::Style::default();
        let (n, d) = match self.field {
            FormField::Name => (on, off),
            FormField::Description => (off, on),
        };
        self.name.set_cursor_style(n);
        self.description.set_cursor_style(d);
    }

    pub fn name_text(&self) -> String {
        self.name.lines().concat().trim().to_owned()
    }

    pub fn description_text(&self) -> Option<String> {
        let text = self.description.lines().join("\n");
        (!text.trim().is_empty()).then(|| text.trim_end().to_owned())
    }
}

/// The `:cases` pane: data, the view over it, and what is in flight.
#[derive(Debug, Default)]
pub struct CasesPane {
    pub list: Vec<Kept<EdiscoveryCase>>,
    pub list_fetch: Fetch,
    pub details: BTreeMap<String, CaseDetail>,
    /// The selected case's id in the list (the selection follows the case).
    pub cursor_id: Option<String>,
    pub cursor: usize,
    pub offset: usize,
    pub filter: String,
    /// The case drilled into, while its tabs are shown.
    pub open: Option<String>,
    pub tab: CaseTab,
    /// Row cursor and first row on screen inside the shown tab.
    pub tab_cursor: usize,
    pub tab_offset: usize,
    /// Followed long-running operations, in the order they were first reported.
    pub operations: Vec<OperationView>,
    pub pacing: Pacing,
    /// Cases with a close or reopen on its way: the word the status column shows.
    pub pending: BTreeMap<String, &'static str>,
    /// A new case's name while Graph creates it.
    pub creating: Option<String>,
    /// (case, email) of custodians being added.
    pub adding: BTreeSet<(String, String)>,
}

/// A case's name for display (its id when Graph sent none), sanitised.
pub fn case_name(c: &EdiscoveryCase) -> String {
    let name = c
        .display_name
        .as_deref()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or(&c.id);
    sanitize::line(name).into_owned()
}

/// The list's rows: indices into `list` matching `filter`, newest-modified first (then
/// newest-created, then name), so the cases being worked on are on top.
pub fn rows(pane: &CasesPane) -> Vec<usize> {
    let needle = pane.filter.trim().to_lowercase();
    let mut rows: Vec<usize> = pane
        .list
        .iter()
        .enumerate()
        .filter(|(_, c)| needle.is_empty() || matches(c, &needle))
        .map(|(i, _)| i)
        .collect();
    rows.sort_by(|&a, &b| {
        let (ca, cb) = (&pane.list[a], &pane.list[b]);
        cb.last_modified
            .cmp(&ca.last_modified)
            .then_with(|| cb.created.cmp(&ca.created))
            .then_with(|| case_name(ca).cmp(&case_name(cb)))
    });
    rows
}

/// Case-insensitive substring match on what the list shows, the description and the id.
fn matches(c: &EdiscoveryCase, needle: &str) -> bool {
    [
        Some(c.id.as_str()),
        c.display_name.as_deref(),
        c.description.as_deref(),
        c.external_id.as_deref(),
        c.status.as_ref().map(|s| s.as_str()),
        c.closed_by.as_ref().and_then(|b| b.name()),
    ]
    .into_iter()
    .flatten()
    .any(|field| field.to_lowercase().contains(needle))
}

impl CasesPane {
    pub fn case(&self, id: &str) -> Option<&Kept<EdiscoveryCase>> {
        self.list.iter().find(|c| c.id == id)
    }

    /// The case drilled into.
    pub fn open_case(&self) -> Option<&Kept<EdiscoveryCase>> {
        self.open.as_deref().and_then(|id| self.case(id))
    }

    pub fn open_detail(&self) -> Option<&CaseDetail> {
        self.open.as_deref().and_then(|id| self.details.get(id))
    }

    /// Puts Graph's copy of a case in the list (replacing the old one, or adding it).
    pub fn upsert_case(&mut self, case: Kept<EdiscoveryCase>) {
        match self.list.iter_mut().find(|c| c.id == case.id) {
            Some(old) => *old = case,
            None => self.list.push(case),
        }
    }

    /// Upserts a followed operation: by its id, or, while Graph has not named it yet, by
    /// (case, label) of one not named either (the estimate just asked for).
    pub fn upsert_operation(&mut self, op: OperationView) {
        let same = |o: &OperationView| {
            if !op.operation_id.is_empty() && o.operation_id == op.operation_id {
                return true;
            }
            o.case_id == op.case_id
                && o.label == op.label
                && o.action == op.action
                && (o.operation_id.is_empty() || op.operation_id.is_empty())
                && !o.is_finished()
        };
        match self.operations.iter_mut().find(|o| same(o)) {
            Some(old) => *old = op,
            None => self.operations.push(op),
        }
    }

    /// The first operation still running, for the status line.
    pub fn in_flight(&self) -> Option<&OperationView> {
        self.operations.iter().find(|o| !o.is_finished())
    }
}

/// "estimate" for `estimateStatistics`, else Graph's action name, sanitised.
pub fn action_name(action: &str) -> String {
    match action {
        "estimateStatistics" => "estimate".to_owned(),
        "addToReviewSet" => "add to review set".to_owned(),
        "holdUpdate" => "hold update".to_owned(),
        "contentExport" => "export".to_owned(),
        other => sanitize::line(other).into_owned(),
    }
}

/// "estimate 'Contoso mail' 40%" (or its status when no percentage is known).
pub fn operation_line(op: &OperationView) -> String {
    let label = sanitize::line(&op.label);
    let progress = match (&op.error, op.percent, &op.status) {
        (Some(_), _, _) if op.operation_id.is_empty() => "failed to start".to_owned(),
        (_, Some(p), _) => format!("{p}%"),
        (_, None, Some(s)) => sanitize::line(s.as_str()).into_owned(),
        (_, None, None) => "starting…".to_owned(),
    };
    format!("{} '{label}' {progress}", action_name(&op.action))
}

/// A progress bar `width` cells wide: `█` done, `░` to go (text, so NO_COLOR keeps it).
pub fn bar(percent: Option<u8>, width: usize) -> String {
    let p = usize::from(percent.unwrap_or(0).min(100));
    let done = (p * width + 50) / 100;
    format!("{}{}", "█".repeat(done), "░".repeat(width - done))
}
