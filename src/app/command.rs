//! Work that [`super::update`] asks for. The terminal loop handles the local ones (quit,
//! clipboard, suspend); everything else goes to the background worker, which answers with
//! [`super::Action`]s.

use crate::graph::enums::{AlertStatus, IncidentStatus};
use crate::graph::incidents::IncidentUpdate;
use crate::graph::models::{Alert, AlertUpdate};
use crate::graph::score::ControlStateUpdate;
use crate::outbox::{Base, Resolution, Target};
use std::path::PathBuf;
use time::{Duration, OffsetDateTime};

/// The server-side part of the queue's filter (the presets); type-to-filter is local.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertQuery {
    /// Only these statuses; empty means any status.
    pub statuses: Vec<AlertStatus>,
    /// Only alerts created within this long before now; `None` means all time.
    pub created_within: Option<Duration>,
}

impl AlertQuery {
    /// Whether the server would return `alert` for this query at `now`: what a poll uses
    /// to decide if a changed alert still belongs in the queue.
    pub fn matches(&self, alert: &Alert, now: OffsetDateTime) -> bool {
        let status_ok = self.statuses.is_empty()
            || alert
                .status
                .as_ref()
                .is_some_and(|s| self.statuses.contains(s));
        let age_ok = match (self.created_within, alert.created) {
            (None, _) => true,
            (Some(window), Some(created)) => created >= now - window,
            // Graph always sends createdDateTime; without one, keep what Graph sent.
            (Some(_), None) => true,
        };
        status_ok && age_ok
    }
}

impl Default for AlertQuery {
    /// The analyst's working queue: new and in-progress alerts from the last 30 days.
    fn default() -> Self {
        AlertQuery {
            statuses: vec![AlertStatus::New, AlertStatus::InProgress],
            created_within: Some(Duration::days(30)),
        }
    }
}

/// The server-side part of the incident queue's filter (its status preset).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentQuery {
    /// Only these statuses; empty means any status.
    pub statuses: Vec<IncidentStatus>,
}

impl Default for IncidentQuery {
    /// The open incidents: active and in progress.
    fn default() -> Self {
        IncidentQuery {
            statuses: vec![IncidentStatus::Active, IncidentStatus::InProgress],
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// (Re)load the whole queue. The worker cancels any older load and tags every page with
    /// `generation`.
    LoadAlerts { generation: u64, query: AlertQuery },
    /// Poll for alerts changed after `since` (`lastUpdateDateTime gt since`) within the
    /// query's age window, whatever their status (so an alert that left the presets is
    /// seen leaving). Answered with `AlertsRefreshed` or `RefreshHeld` tagged `refresh`.
    RefreshAlerts {
        refresh: u64,
        since: OffsetDateTime,
        query: AlertQuery,
    },
    /// Poll for incidents changed after `since`, whatever their status, with their alerts.
    /// Answered with `IncidentsRefreshed` or `RefreshHeld` tagged `refresh`.
    RefreshIncidents { refresh: u64, since: OffsetDateTime },
    /// Fetch one alert (e.g. when the detail view opens, to show fresh comments).
    GetAlert { id: String },
    /// (Re)load the incident queue, with each incident's alerts; as `LoadAlerts`, the
    /// worker cancels an older incident load and tags every page with `generation`.
    LoadIncidents {
        generation: u64,
        query: IncidentQuery,
    },
    /// Fetch one incident with its alerts (when the incident view opens).
    GetIncident { id: String },
    /// PATCH one alert, through the outbox. `write_id` is unique per write and comes back in
    /// the reply. `base` is what the analyst saw (for conflict detection).
    /// `after`: sent only once the writes already queued for that target (the alert's
    /// incident, when it is resolved with its alerts) have landed or stopped.
    UpdateAlert {
        write_id: u64,
        alert_id: String,
        update: AlertUpdate,
        base: Option<Base>,
        after: Option<Target>,
    },
    /// POST a comment to one alert, through the outbox.
    AddComment {
        write_id: u64,
        alert_id: String,
        text: String,
    },
    /// PATCH one incident, through the outbox, as [`Command::UpdateAlert`] does an alert
    /// (conflict detection on the incident's `lastUpdateDateTime` and fields).
    UpdateIncident {
        write_id: u64,
        incident_id: String,
        update: IncidentUpdate,
        base: Option<Base>,
    },
    /// POST a comment to one incident, through the outbox.
    AddIncidentComment {
        write_id: u64,
        incident_id: String,
        text: String,
    },
    /// PATCH one Secure Score control's state, through the outbox. `base` is the newest
    /// `controlStateUpdates` entry the analyst saw (`outbox::check::control_base`); the
    /// write stops as a conflict when someone else changed the state since.
    UpdateControl {
        write_id: u64,
        profile_id: String,
        update: ControlStateUpdate,
        base: Option<Base>,
    },
    /// List the outbox's unfinished entries (answered with `Action::OutboxListed`, again
    /// whenever an entry lands or stops, until `OutboxClosed`).
    OutboxList,
    /// The `:outbox` view closed: no more listings needed.
    OutboxClosed,
    /// Put a stopped outbox entry back in line.
    OutboxRetry(String),
    /// Give up on an outbox entry.
    OutboxDrop(String),
    /// Settle a conflict: keep mine or take theirs.
    ResolveConflict {
        entry_id: String,
        resolution: Resolution,
    },
    /// Copy text to the analyst's clipboard (OSC 52; works over SSH and tmux).
    CopyToClipboard(String),
    /// Stop the process (Ctrl-Z); the terminal layer restores and re-enters the screen.
    Suspend,
    /// Leave this profile's console for profile `0` (checked to exist): the terminal
    /// layer builds a new client, outbox and worker and a fresh `State` (same keymap and
    /// size), or answers `Action::SwitchFailed` and stays.
    SwitchProfile(String),
    /// Read the daily Secure Score history (up to [`super::score::HISTORY_DAYS`] snapshots);
    /// answered with `Action::SecureScoresLoaded`.
    LoadSecureScores,
    /// Read every control profile; answered with `Action::ControlProfilesLoaded`.
    LoadControlProfiles,
    /// Keep the planned controls: write `ids` to `path` (off the terminal loop).
    SavePlanned { path: PathBuf, ids: Vec<String> },
    /// Start an estimate on search `search_id` of case `case_id` (POST estimateStatistics)
    /// and follow the operation to its end, through restarts; progress comes back as
    /// `Action::OperationProgress`. `label` names it on screen (the search's name).
    CasesEstimate {
        case_id: String,
        search_id: String,
        label: String,
    },
    /// Follow again the operations an earlier run started and kept (sent once at start).
    ResumeOperations,
    /// Read every eDiscovery case (all pages) through the worker's one cases queue;
    /// answered with `Action::CasesLoaded`.
    LoadCases,
    /// Read one tab of case `case_id` through the cases queue; `first` puts it before the
    /// reads already waiting (the tab the analyst is looking at). Answered with
    /// `Action::CaseTabLoaded`.
    LoadCaseTab {
        case_id: String,
        tab: super::cases::CaseTab,
        first: bool,
    },
    /// Close case `case_id`, then read it back; answered with `Action::CaseWritten`.
    /// Case writes go straight to Graph through the cases queue, not the outbox: they
    /// are actions (close, reopen, create, add), not idempotent field updates that could
    /// be replayed after a crash without doing the thing twice.
    CloseCase { case_id: String },
    /// Reopen case `case_id`, then read it back (as `CloseCase`).
    ReopenCase { case_id: String },
    /// Create a case; answered with `Action::CaseWritten` (no case id before Graph's).
    CreateCase {
        display_name: String,
        description: Option<String>,
    },
    /// Add the custodian with mailbox `email` to case `case_id`; answered with
    /// `Action::CustodianAdded`.
    AddCustodian { case_id: String, email: String },
    /// A read for the `:sims` pane; answered with `Action::Sims`.
    Sims(super::sims::SimsCommand),
    /// Leave the console.
    Quit,
}
