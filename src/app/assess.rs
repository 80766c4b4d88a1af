//! The `:assess` pane's own state: the threat assessment requests (newest first), the one
//! shown in detail, the request being submitted, and which pending requests the worker
//! follows until their verdict arrives.
//!
//! Every string shown here came from Graph (or was typed, then echoed by Graph), so each
//! one goes through [`crate::sanitize`] on its way to the screen.

use super::assess_form::AssessForm;
use super::detail::{Doc, DocLine, Tone};
use super::format;
use super::score::Fetch;
use crate::graph::assess::{
    AssessmentKind, ExpectedAssessment, ThreatAssessmentRequest, ThreatCategory,
};
use crate::graph::cases::{IdentitySet, Kept};
use crate::sanitize;
use std::collections::BTreeSet;
use std::path::PathBuf;
use time::OffsetDateTime;

/// Pending requests found in the list (not submitted in this session) that are followed at
/// most: each costs a GET every poll, and the list's own `r` covers the rest.
pub const MAX_FOLLOWED_FROM_LIST: usize = 10;

/// What a new request assesses, as the analyst typed it. Files are named by their path
/// only: the worker reads them, off the terminal loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DraftTarget {
    Url {
        url: String,
    },
    Mail {
        message_uri: String,
        recipient: String,
    },
    File {
        path: PathBuf,
    },
    EmailFile {
        path: PathBuf,
        recipient: String,
    },
}

/// A validated submission, for [`super::Command::SubmitAssessment`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssessDraft {
    pub target: DraftTarget,
    pub category: ThreatCategory,
    pub expected: ExpectedAssessment,
}

impl AssessDraft {
    pub fn kind(&self) -> AssessmentKind {
        match self.target {
            DraftTarget::Url { .. } => AssessmentKind::Url,
            DraftTarget::Mail { .. } => AssessmentKind::Mail,
            DraftTarget::File { .. } => AssessmentKind::File,
            DraftTarget::EmailFile { .. } => AssessmentKind::EmailFile,
        }
    }

    /// What is assessed, for the status line (sanitised: a pasted URL may carry anything).
    pub fn subject(&self) -> String {
        let s = match &self.target {
            DraftTarget::Url { url } => url.clone(),
            DraftTarget::Mail { recipient, .. } => format!("mail to {recipient}"),
            DraftTarget::File { path } | DraftTarget::EmailFile { path, .. } => {
                path.file_name().map_or_else(
                    || path.display().to_string(),
                    |n| n.to_string_lossy().into(),
                )
            }
        };
        sanitize::line(&s).into_owned()
    }
}

/// Why a submission has no answer to show. Nothing was created in the first three cases;
/// in the last one Graph may have created the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmitFailure {
    /// The file could not be sent (missing, too big, unreadable): the reader's message.
    File(String),
    /// Graph answered 429: one of its assessment POST limits; `retry_after` is its hint.
    Throttled {
        retry_after: Option<std::time::Duration>,
    },
    /// Graph refused it (400...), or the request never left: the error's one line.
    Failed(String),
    /// The POST went out but no answer came back (a timeout, a dropped connection, a 5xx):
    /// Graph may have created the request, so it is not offered back as unsent.
    Unknown(String),
}

/// The `:assess` pane: data, the view over it, and what is in flight.
#[derive(Debug, Default)]
pub struct AssessPane {
    pub list: Vec<Kept<ThreatAssessmentRequest>>,
    pub list_fetch: Fetch,
    /// The selected request's id (the selection follows the request, not a row number).
    pub cursor_id: Option<String>,
    pub cursor: usize,
    pub offset: usize,
    pub filter: String,
    /// The request shown in detail.
    pub open: Option<String>,
    pub scroll: usize,
    /// What is being submitted (sanitised), while the POST is on its way.
    pub sending: Option<String>,
    /// The form as it was sent: given back, as typed, when the submission fails.
    pub draft: Option<Box<AssessForm>>,
    /// Requests the worker polls until their verdict arrives.
    pub followed: BTreeSet<String>,
    /// Requests submitted in this session (always followed; their rows are marked).
    pub mine: BTreeSet<String>,
    /// The list's rows as shown (see [`rows`]), kept so that drawing a frame does not
    /// filter and sort the list again; recomputed by [`AssessPane::refresh_rows`] whenever
    /// the list, the filter or a request changes.
    order: Vec<usize>,
}

impl AssessPane {
    pub fn request(&self, id: &str) -> Option<&Kept<ThreatAssessmentRequest>> {
        self.list.iter().find(|r| r.id == id)
    }

    pub fn open_request(&self) -> Option<&Kept<ThreatAssessmentRequest>> {
        self.open.as_deref().and_then(|id| self.request(id))
    }

    /// Puts Graph's copy of a request in the list (replacing the old one, or adding it),
    /// and the rows with it. Returns the copy it replaced.
    pub fn upsert(
        &mut self,
        request: Kept<ThreatAssessmentRequest>,
    ) -> Option<Kept<ThreatAssessmentRequest>> {
        let old = match self.list.iter_mut().find(|r| r.id == request.id) {
            Some(old) => Some(std::mem::replace(old, request)),
            None => {
                self.list.push(request);
                None
            }
        };
        self.refresh_rows();
        old
    }

    /// Filters and sorts the list again into the rows shown: after the list, the filter or
    /// a request changed.
    pub fn refresh_rows(&mut self) {
        self.order = compute_rows(self);
    }
}

/// The kind's label ("url", "email file"), or the content type Graph sent when the kind
/// cannot be told.
pub fn kind_label(r: &ThreatAssessmentRequest) -> String {
    match r.kind() {
        Some(k) => k.label().to_owned(),
        None => format::wire(r.content_type.as_ref().map(|c| c.as_str())).into_owned(),
    }
}

/// What was assessed, in one sanitised line (`-` when Graph sent nothing to name it by).
pub fn subject(r: &ThreatAssessmentRequest) -> String {
    match r.subject() {
        "" => "-".to_owned(),
        s => sanitize::line(s).into_owned(),
    }
}

/// The verdict column: "pending…" while Microsoft has not answered, else the rescan
/// messages (sanitised), else `-`.
pub fn verdicts(r: &ThreatAssessmentRequest) -> String {
    if r.is_pending() {
        return "pending…".to_owned();
    }
    let v: Vec<String> = r
        .verdicts()
        .map(|m| sanitize::line(m).into_owned())
        .collect();
    if v.is_empty() {
        "-".to_owned()
    } else {
        v.join("; ")
    }
}

/// The verdict for the status line once a request completed: the rescan messages, else
/// the last result's message, else just "completed".
pub fn verdict_line(r: &ThreatAssessmentRequest) -> String {
    let v = verdicts(r);
    if v != "-" {
        return v;
    }
    r.results
        .iter()
        .rev()
        .find_map(|x| x.message.as_deref().filter(|m| !m.trim().is_empty()))
        .map_or_else(
            || "completed".to_owned(),
            |m| sanitize::line(m).into_owned(),
        )
}

pub fn status_word(r: &ThreatAssessmentRequest) -> String {
    format::wire(r.status.as_ref().map(|s| s.as_str())).into_owned()
}

/// The list's rows as last computed (see [`AssessPane::refresh_rows`]): what the pane
/// draws and the keys move over.
pub fn rows(pane: &AssessPane) -> &[usize] {
    &pane.order
}

/// The list's rows: indices into `list` matching `filter`, newest first (a request Graph
/// sent without a creation time, which it always sends, goes on top rather than be lost
/// at the bottom), then by id so the order is stable.
fn compute_rows(pane: &AssessPane) -> Vec<usize> {
    let needle = pane.filter.trim().to_lowercase();
    let mut rows: Vec<usize> = pane
        .list
        .iter()
        .enumerate()
        .filter(|(_, r)| needle.is_empty() || matches(r, &needle))
        .map(|(i, _)| i)
        .collect();
    newest_first(pane, &mut rows);
    rows
}

/// Sorts indices into `pane.list` newest first (undated on top), then by id.
pub fn newest_first(pane: &AssessPane, rows: &mut [usize]) {
    let key = |r: &ThreatAssessmentRequest| {
        r.created.unwrap_or(OffsetDateTime::new_utc(
            time::Date::MAX,
            time::Time::MIDNIGHT,
        ))
    };
    rows.sort_by(|&a, &b| {
        let (ra, rb) = (&pane.list[a], &pane.list[b]);
        key(rb).cmp(&key(ra)).then_with(|| ra.id.cmp(&rb.id))
    });
}

/// Case-insensitive substring match on what the list shows and the id.
fn matches(r: &ThreatAssessmentRequest, needle: &str) -> bool {
    let shown = [kind_label(r), verdicts(r)];
    let fields = [
        Some(r.id.as_str()),
        Some(r.subject()),
        r.category.as_ref().map(|c| c.as_str()),
        r.content_type.as_ref().map(|c| c.as_str()),
        r.status.as_ref().map(|s| s.as_str()),
        r.message_uri.as_deref(),
        r.recipient_email.as_deref(),
    ];
    shown
        .iter()
        .map(String::as_str)
        .chain(fields.into_iter().flatten())
        .any(|f| f.to_lowercase().contains(needle))
}

/// Who, by name, or `-`.
fn who(by: Option<&IdentitySet>) -> String {
    by.and_then(IdentitySet::name)
        .filter(|n| !n.trim().is_empty())
        .map_or_else(|| "-".to_owned(), |n| sanitize::line(n).into_owned())
}

/// The detail of `r` at `width` columns: every field, then the results, oldest first.
/// `following`: the worker is polling it for its verdict.
pub fn document(
    r: &ThreatAssessmentRequest,
    following: bool,
    now: OffsetDateTime,
    width: usize,
) -> Vec<DocLine> {
    let mut d = Doc {
        lines: Vec::new(),
        width: width.max(16),
    };
    d.text(
        Tone::Title,
        &format!("{} assessment: {}", kind_label(r), subject(r)),
        0,
    );
    if r.is_pending() {
        let note = if following {
            "pending: Microsoft has not answered yet; the verdict shows here when it does"
        } else {
            "pending: not followed (r reads the list again)"
        };
        d.text(Tone::Pending, note, 0);
    }
    let wire = |s: Option<&str>| format::wire(s).into_owned();
    d.field("Id", &sanitize::line(&r.id));
    d.field("Kind", &kind_label(r));
    d.field(
        "Content type",
        &wire(r.content_type.as_ref().map(|c| c.as_str())),
    );
    d.field("Category", &wire(r.category.as_ref().map(|c| c.as_str())));
    d.field(
        "Expected",
        &wire(r.expected_assessment.as_ref().map(|e| e.as_str())),
    );
    d.field("Status", &status_word(r));
    d.field("Created", &format::datetime_with_age(r.created, now));
    d.field("Created by", &who(r.created_by.as_ref()));
    d.field(
        "Source",
        &wire(r.request_source.as_ref().map(|s| s.as_str())),
    );
    d.opt_field("URL", r.url.as_deref());
    d.opt_field("File name", r.file_name.as_deref());
    d.opt_field("Recipient", r.recipient_email.as_deref());
    d.opt_field("Message URI", r.message_uri.as_deref());
    if let Some(reason) = &r.destination_routing_reason {
        d.field("Routing reason", &sanitize::line(reason.as_str()));
    }
    d.heading(&format!("Results ({})", r.results.len()));
    if r.results.is_empty() {
        d.text(Tone::Dim, "none yet", 2);
    }
    for x in &r.results {
        let when = x.created.map_or_else(|| "-".to_owned(), format::datetime);
        let kind = wire(x.result_type.as_ref().map(|t| t.as_str()));
        d.lines
            .push(DocLine::one(Tone::Label, format!("{when}  {kind}")));
        let message = sanitize::text(x.message.as_deref().unwrap_or("-"));
        d.text(Tone::Value, &message, 2);
    }
    d.lines
}
