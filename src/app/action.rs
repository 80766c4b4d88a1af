//! Everything that can change [`super::State`]: terminal input and worker updates.

use super::cases::{CaseTab, Pacing, TabRows};
use super::incidents::IncidentRow;
use super::live::{Held, PollOf};
use super::writes::WriteOp;
use crate::graph::cases::{Custodian, EdiscoveryCase, Kept};
use crate::graph::models::{Alert, AlertComment};
use crate::graph::score::{SecureScore, SecureScoreControlProfile};
use crate::outbox::{FieldConflict, Target};
use ratatui::crossterm::event::KeyEvent;

/// An input to [`super::update`]. Terminal events and worker replies both become actions, so
/// all behaviour is one pure function that tests drive without a terminal or a network.
#[derive(Debug, Clone)]
pub enum Action {
    /// A key press (release and repeat events are dropped before they get here).
    Key(KeyEvent),
    /// Bracketed paste into whatever text input is open.
    Paste(String),
    /// The terminal was resized to (columns, rows).
    Resize(u16, u16),
    /// The periodic timer; relative times and spinners may need a redraw.
    Tick,

    /// One page of the alert list for load `generation`. `done` is true on the last page.
    /// Pages from an older generation are stale and must be ignored.
    AlertsPage {
        generation: u64,
        alerts: Vec<Alert>,
        /// `@odata.count` when the server gave it.
        total: Option<u64>,
        /// Items the client could not read at all (reported, never fatal).
        skipped: usize,
        done: bool,
    },
    /// Loading generation `generation` failed; the previous data stays on screen.
    AlertsFailed { generation: u64, error: String },
    /// Poll `refresh` found these alerts changed (every page of it, in order).
    AlertsRefreshed {
        refresh: u64,
        alerts: Vec<Alert>,
        skipped: usize,
    },
    /// Incident poll `refresh` found these incidents changed (every page of it).
    IncidentsRefreshed {
        refresh: u64,
        incidents: Vec<IncidentRow>,
        skipped: usize,
    },
    /// A poll of `of` did not run (the request budget is low) or failed.
    RefreshHeld {
        of: PollOf,
        refresh: u64,
        held: Held,
    },
    /// A fresh copy of one alert (after a GET).
    AlertLoaded(Alert),
    /// One page of the incident list for load `generation`, as `AlertsPage`.
    IncidentsPage {
        generation: u64,
        incidents: Vec<IncidentRow>,
        total: Option<u64>,
        skipped: usize,
        done: bool,
    },
    /// Loading incidents for `generation` failed; the rows on screen stay.
    IncidentsFailed { generation: u64, error: String },
    /// A fresh copy of one incident (a GET, or a write the console did not start).
    IncidentLoaded(Box<IncidentRow>),
    /// An incident PATCH succeeded; `incident` is the server's copy.
    IncidentWriteSucceeded {
        write_id: u64,
        incident: Box<IncidentRow>,
    },
    /// A PATCH succeeded; `alert` is the server's copy.
    WriteSucceeded { write_id: u64, alert: Alert },
    /// A control-state PATCH landed; `profile` is the server's copy (its newest
    /// `controlStateUpdates` entry is the write).
    ControlWriteSucceeded {
        write_id: u64,
        profile: Box<SecureScoreControlProfile>,
    },
    /// A comment POST succeeded; `comments` is the target's (alert's or incident's) whole
    /// comment list.
    CommentAdded {
        write_id: u64,
        target: Target,
        comments: Vec<AlertComment>,
    },
    /// A write failed for good (after the client's retries); the row keeps the server value.
    WriteFailed { write_id: u64, error: String },
    /// Graph accepted a write but its reply was unreadable: the write is no longer pending
    /// and the target should be read again.
    WriteLanded { write_id: u64, target: Target },
    /// Writes found unfinished in the outbox (from an earlier run, or put back in line):
    /// they are being sent and their rows show them as pending.
    OutboxRestored(Vec<RestoredWrite>),
    /// The server changed fields this write changes since the analyst looked; the write
    /// waits in the outbox until the analyst keeps theirs or takes the server's.
    WriteConflict {
        write_id: u64,
        entry_id: String,
        target: Target,
        fields: Vec<FieldConflict>,
    },
    /// The outbox's unfinished entries, for the `:outbox` view.
    OutboxListed(Vec<OutboxRow>),
    /// The Secure Score history, or why it could not be read.
    SecureScoresLoaded(Result<Vec<SecureScore>, String>),
    /// Every control profile, or why they could not be read.
    ControlProfilesLoaded(Result<Vec<SecureScoreControlProfile>, String>),
    /// Where a followed long-running operation stands (started, progress, result).
    OperationProgress(crate::operations::OperationView),
    /// Every eDiscovery case, or why they could not be read.
    CasesLoaded(Result<Vec<Kept<EdiscoveryCase>>, String>),
    /// One tab of one case, or why it could not be read.
    CaseTabLoaded {
        case_id: String,
        tab: CaseTab,
        result: Result<TabRows, String>,
    },
    /// A close, reopen or create landed (`Ok`: Graph's copy of the case as it is now) or
    /// failed. `case_id` is `None` for a create.
    CaseWritten {
        case_id: Option<String>,
        result: Result<Box<Kept<EdiscoveryCase>>, String>,
    },
    /// A custodian was added to `case_id` (Graph's copy), or why not.
    CustodianAdded {
        case_id: String,
        email: String,
        result: Result<Box<Kept<Custodian>>, String>,
    },
    /// Where the worker's cases queue stands against the eDiscovery request window.
    CasesPacing(Pacing),
    /// A `:sims` read landed or failed.
    Sims(super::sims::SimsUpdate),
    /// A one-line notice from the worker or the terminal layer (e.g. clipboard result).
    Notice(String),
    /// `:profile` could not open `profile` (its config, token or outbox); the console
    /// stays on the current profile.
    SwitchFailed { profile: String, error: String },
}

/// An outbox entry being sent again, with the write id the worker gave it.
#[derive(Debug, Clone, PartialEq)]
pub struct RestoredWrite {
    pub write_id: u64,
    pub target: Target,
    pub op: WriteOp,
}

/// One line of the `:outbox` view. Text fields are sanitised by the worker.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRow {
    pub entry_id: String,
    /// The alert or incident the write changes.
    pub target: Target,
    /// "update status=resolved", "comment \"…\"".
    pub what: String,
    /// pending, failed or conflict.
    pub state: String,
    /// Graph's answer for a failure, both values for a conflict.
    pub detail: String,
    /// The conflicting fields, when in conflict.
    pub conflicts: Vec<FieldConflict>,
}
