//! The console's whole state. `update` changes it; `ui::render` only reads it.

use super::action::OutboxRow;
use super::cases::CasesPane;
use super::command::{AlertQuery, Command};
use super::controls::ControlsView;
use super::entities::EntitiesView;
use super::incidents::{IncidentsPane, OpenAlert, OpenedAlert};
use super::keymap::{KeyMap, Mode};
use super::layout::Screen;
use super::live::Live;
use super::queue::{self, Item, Queue};
use super::score::{ChartMarker, ScoreData, ScoreView, ScoreWindow};
use super::sims::SimsPane;
use super::writes::{WriteOp, Writes};
use crate::graph::enums::{AlertClassification, AlertDetermination, AlertStatus, IncidentStatus};
use crate::outbox::{FieldConflict, Target};
use crate::sanitize;
use ratatui::layout::Rect;
use ratatui_textarea::TextArea;
use std::collections::{BTreeSet, VecDeque};
use time::{Duration, OffsetDateTime};

/// Who is signed in where, and how the console should behave; from the config and CLI.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    /// The active profile's name (always visible: an MSSP analyst has several tenants).
    pub profile: String,
    /// The profiles `:profile NAME` can switch to (every profile the config defines);
    /// empty where switching has no meaning (`--demo`).
    pub profiles: Vec<String>,
    /// The Graph base URL in use.
    pub endpoint: String,
    /// The signed-in analyst's name for "assign to me"; asked once when unknown.
    pub me: Option<String>,
    /// Refuse every change to alerts.
    pub read_only: bool,
    pub keymap: KeyMap,
    /// `NO_COLOR`/`--no-color`: drop colours, keep bold/reverse/underline.
    pub no_color: bool,
    /// Controls the analyst marked as planned in earlier sessions of this profile.
    pub planned: BTreeSet<String>,
    /// Where planned marks are kept (`<data dir>/planned/<profile>.json`); `None` keeps
    /// them for this session only.
    pub planned_file: Option<std::path::PathBuf>,
    /// How the `:score` chart draws its points at start (`[ui] chart_marker`).
    pub chart_marker: ChartMarker,
}

/// Which statuses the server-side query asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusPreset {
    Open,
    All,
    New,
    InProgress,
    Resolved,
}

impl StatusPreset {
    pub const ALL: [StatusPreset; 5] = [
        StatusPreset::Open,
        StatusPreset::All,
        StatusPreset::New,
        StatusPreset::InProgress,
        StatusPreset::Resolved,
    ];

    pub fn label(self) -> &'static str {
        match self {
            StatusPreset::Open => "open",
            StatusPreset::All => "all",
            StatusPreset::New => "new",
            StatusPreset::InProgress => "inProgress",
            StatusPreset::Resolved => "resolved",
        }
    }

    pub fn statuses(self) -> Vec<AlertStatus> {
        match self {
            StatusPreset::Open => vec![AlertStatus::New, AlertStatus::InProgress],
            StatusPreset::All => vec![],
            StatusPreset::New => vec![AlertStatus::New],
            StatusPreset::InProgress => vec![AlertStatus::InProgress],
            StatusPreset::Resolved => vec![AlertStatus::Resolved],
        }
    }

    /// The preset's name in the incidents pane, where `new` is called `active`.
    pub fn incident_label(self) -> &'static str {
        match self {
            StatusPreset::New => "active",
            other => other.label(),
        }
    }

    /// The incident statuses the preset loads; empty means any status.
    pub fn incident_statuses(self) -> Vec<IncidentStatus> {
        match self {
            StatusPreset::Open => vec![IncidentStatus::Active, IncidentStatus::InProgress],
            StatusPreset::All => vec![],
            StatusPreset::New => vec![IncidentStatus::Active],
            StatusPreset::InProgress => vec![IncidentStatus::InProgress],
            StatusPreset::Resolved => vec![IncidentStatus::Resolved],
        }
    }
}

/// How far back the server-side query reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimePreset {
    Day,
    Week,
    Month,
    Quarter,
    All,
}

impl TimePreset {
    pub const ALL: [TimePreset; 5] = [
        TimePreset::Day,
        TimePreset::Week,
        TimePreset::Month,
        TimePreset::Quarter,
        TimePreset::All,
    ];

    pub fn label(self) -> &'static str {
        match self {
            TimePreset::Day => "24h",
            TimePreset::Week => "7d",
            TimePreset::Month => "30d",
            TimePreset::Quarter => "90d",
            TimePreset::All => "all time",
        }
    }

    pub fn within(self) -> Option<Duration> {
        match self {
            TimePreset::Day => Some(Duration::hours(24)),
            TimePreset::Week => Some(Duration::days(7)),
            TimePreset::Month => Some(Duration::days(30)),
            TimePreset::Quarter => Some(Duration::days(90)),
            TimePreset::All => None,
        }
    }
}

/// A pick-one list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MenuKind {
    /// Status for the targets.
    Status,
    /// First step of classifying the targets.
    Classification,
    /// Second step: only determinations valid for the chosen classification.
    Determination(AlertClassification),
    StatusPreset,
    TimePreset,
    /// Status for incidents.
    IncidentStatus,
    /// Which incident statuses to load.
    IncidentPreset,
}

/// What choosing a menu item means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    Status(AlertStatus),
    Classification(AlertClassification),
    Determination(AlertClassification, AlertDetermination),
    StatusPreset(StatusPreset),
    TimePreset(TimePreset),
    IncidentStatus(IncidentStatus),
    IncidentPreset(StatusPreset),
}

/// Statuses an analyst sets by hand.
pub const SETTABLE_STATUSES: [AlertStatus; 3] = [
    AlertStatus::New,
    AlertStatus::InProgress,
    AlertStatus::Resolved,
];

/// Incident statuses an analyst sets by hand (`redirected` comes from a merge,
/// `awaitingAction` from Defender Experts).
pub const SETTABLE_INCIDENT_STATUSES: [IncidentStatus; 3] = [
    IncidentStatus::Active,
    IncidentStatus::InProgress,
    IncidentStatus::Resolved,
];

/// Classifications an analyst chooses from (the enum's sentinels are left out).
pub const CLASSIFICATIONS: [AlertClassification; 3] = [
    AlertClassification::TruePositive,
    AlertClassification::FalsePositive,
    AlertClassification::InformationalExpectedActivity,
];

impl MenuKind {
    pub fn title(&self) -> &'static str {
        match self {
            MenuKind::Status => "Set status",
            MenuKind::Classification => "Classification",
            MenuKind::Determination(_) => "Determination",
            MenuKind::StatusPreset => "Load statuses",
            MenuKind::TimePreset => "Load alerts created within",
            MenuKind::IncidentStatus => "Set incident status",
            MenuKind::IncidentPreset => "Load incidents",
        }
    }

    pub fn choices(&self) -> Vec<Choice> {
        match self {
            MenuKind::Status => SETTABLE_STATUSES.into_iter().map(Choice::Status).collect(),
            MenuKind::Classification => CLASSIFICATIONS
                .into_iter()
                .map(Choice::Classification)
                .collect(),
            MenuKind::Determination(c) => AlertDetermination::valid_for(c)
                .iter()
                .map(|d| Choice::Determination(c.clone(), d.clone()))
                .collect(),
            MenuKind::StatusPreset => StatusPreset::ALL
                .into_iter()
                .map(Choice::StatusPreset)
                .collect(),
            MenuKind::TimePreset => TimePreset::ALL
                .into_iter()
                .map(Choice::TimePreset)
                .collect(),
            MenuKind::IncidentStatus => SETTABLE_INCIDENT_STATUSES
                .into_iter()
                .map(Choice::IncidentStatus)
                .collect(),
            MenuKind::IncidentPreset => StatusPreset::ALL
                .into_iter()
                .map(Choice::IncidentPreset)
                .collect(),
        }
    }
}

impl Choice {
    pub fn label(&self) -> &str {
        match self {
            Choice::Status(s) => s.as_str(),
            Choice::Classification(c) => c.as_str(),
            Choice::Determination(_, d) => d.as_str(),
            Choice::StatusPreset(p) => p.label(),
            Choice::TimePreset(p) => p.label(),
            Choice::IncidentStatus(s) => s.as_str(),
            Choice::IncidentPreset(p) => p.incident_label(),
        }
    }
}

/// What a one-line prompt's answer is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    /// "assign to me" without a known name: ask once, remember for the session.
    WhoAmI,
    /// Assign to a typed name.
    AssignTo,
}

/// Whatever has the keyboard in front of the queue/detail. At most one at a time.
#[derive(Debug)]
pub enum Overlay {
    /// Typing a type-to-filter query (the query itself lives in the queue).
    Filter,
    /// Typing a `:` command.
    Command(String),
    Menu {
        kind: MenuKind,
        cursor: usize,
        targets: Vec<Target>,
    },
    Prompt {
        kind: PromptKind,
        input: Box<TextArea<'static>>,
        targets: Vec<Target>,
    },
    /// The multi-line comment editor.
    Comment {
        editor: Box<TextArea<'static>>,
        targets: Vec<Target>,
    },
    /// "Do this to N alerts? y/n"; with `also`, "…and their M open alerts? y/n/i".
    Confirm {
        question: String,
        targets: Vec<Target>,
        op: WriteOp,
        /// Open alerts of the incidents being resolved: `y` resolves them too, `i` only
        /// the incidents.
        also: Vec<OpenAlert>,
    },
    Help {
        scroll: u16,
    },
    /// A write stopped in conflict: both values, keep mine or take theirs.
    Conflict(ConflictPrompt),
    /// The control editor (state, assignee, comment) for one control profile.
    ControlEditor(Box<super::controls::ControlEditor>),
    /// "Close the case 'X'? y/n" and the other case writes that ask first.
    CaseConfirm(super::cases::CaseConfirm),
    /// The one-line prompt for a custodian's email, in case `case_id`.
    CustodianPrompt {
        case_id: String,
        input: Box<TextArea<'static>>,
    },
    /// The new-case form.
    CaseForm(Box<super::cases::CaseForm>),
    /// The `:outbox` view: unfinished writes with their state; retry, drop, resolve.
    Outbox {
        rows: Vec<OutboxRow>,
        cursor: usize,
        /// `d` was pressed on the row under the cursor: `y` drops it.
        confirm_drop: bool,
    },
}

/// A conflict waiting for the analyst's decision.
#[derive(Debug, Clone, PartialEq)]
pub struct ConflictPrompt {
    pub entry_id: String,
    /// The alert or incident someone else changed.
    pub target: Target,
    pub fields: Vec<FieldConflict>,
}

/// Which pane has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Queue,
    Detail,
    /// The `:entities` pane (full screen; the queue is behind it).
    Entities,
    /// The `:incidents` pane (full screen).
    Incidents,
    /// One incident with its alerts (full screen), opened from the incidents pane.
    Incident,
    /// The `:score` pane: the trend chart and today's breakdown (full screen).
    Score,
    /// The `:controls` table of control profiles (full screen).
    Controls,
    /// One control profile in full, opened from `:controls`.
    Control,
    /// The `:cases` list of eDiscovery cases (full screen).
    Cases,
    /// One case's tabs, opened from `:cases`.
    Case,
    /// The `:sims` list of attack simulations (full screen).
    Sims,
    /// One simulation's report, opened from `:sims`.
    Sim,
    /// The tenant-level simulation reports, opened from `:sims`.
    SimTenant,
}

/// How the current load treats the rows already on screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadMode {
    /// Same query (refresh): merge pages into the old rows, drop the unseen ones at the end.
    Merge,
    /// New query (preset change): the old rows go when the first page arrives.
    Replace,
}

/// One page of a list load, as the worker sent it.
#[derive(Debug)]
pub struct PageIn<T> {
    pub generation: u64,
    pub items: Vec<T>,
    pub total: Option<u64>,
    pub skipped: usize,
    pub done: bool,
}

/// Progress of the current load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Load {
    pub generation: u64,
    pub mode: LoadMode,
    pub loading: bool,
    /// Alerts received in this load so far.
    pub received: usize,
    /// `@odata.count`, when the server sent it.
    pub total: Option<u64>,
    pub skipped: usize,
    /// No page of this load has arrived yet (old rows are still what is shown).
    pub first_page_pending: bool,
}

impl Load {
    /// No load yet.
    pub fn idle() -> Load {
        Load {
            generation: 0,
            mode: LoadMode::Replace,
            loading: false,
            received: 0,
            total: None,
            skipped: 0,
            first_page_pending: false,
        }
    }

    /// Starts the next generation; pages of older ones become stale.
    pub fn start(&mut self, mode: LoadMode) {
        *self = Load {
            generation: self.generation + 1,
            mode,
            loading: true,
            first_page_pending: true,
            ..Load::idle()
        };
    }

    /// The mode for a refresh: merging, unless a new query's rows have not replaced the old
    /// ones yet (those must not be merged into the new result).
    pub fn refresh_mode(&self) -> LoadMode {
        if self.loading && self.mode == LoadMode::Replace {
            LoadMode::Replace
        } else {
            LoadMode::Merge
        }
    }

    /// Applies one page to `queue`; false for a page of a superseded load. On the last page
    /// a refresh drops the rows it no longer delivered, and marks on rows that went.
    pub fn apply<E: Item>(
        &mut self,
        queue: &mut Queue<E>,
        marks: &mut BTreeSet<String>,
        page: PageIn<E::Data>,
    ) -> bool {
        if page.generation != self.generation || !self.loading {
            return false;
        }
        if self.first_page_pending {
            self.first_page_pending = false;
            if self.mode == LoadMode::Replace {
                queue.clear();
            }
        }
        self.received += page.items.len();
        self.skipped += page.skipped;
        if page.total.is_some() {
            self.total = page.total;
        }
        queue.upsert(page.items, page.generation);
        if page.done {
            self.loading = false;
            if self.mode == LoadMode::Merge {
                queue.sweep(page.generation);
            }
            // Marks on rows that are gone would make bulk counts lie.
            marks.retain(|id| queue.contains(id));
        }
        true
    }
}

/// A line for the status bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub text: String,
    pub error: bool,
}

/// Everything the console knows. Fields are crate-visible so `ui` can read them; only
/// `update` writes them.
#[derive(Debug)]
pub struct State {
    /// Something visible changed since the last draw; the loop draws, then clears it.
    pub dirty: bool,
    pub(crate) session: SessionInfo,
    /// "me" for assign-to-me: from the session, or asked once.
    pub(crate) me: Option<String>,
    pub(crate) now: OffsetDateTime,
    /// `now` in whole minutes: relative ages are drawn against this, so they (and the
    /// screen) change at most once a minute.
    pub(crate) minute: i64,
    /// Ticks seen, for the spinner.
    pub(crate) ticks: u64,
    pub(crate) size: (u16, u16),
    pub(crate) queue: Queue,
    /// The selected alert's id (the selection follows the alert, not a row number).
    pub(crate) cursor_id: Option<String>,
    /// The selected row, kept in step with `cursor_id`.
    pub(crate) cursor: usize,
    /// First queue row on screen.
    pub(crate) offset: usize,
    pub(crate) marks: BTreeSet<String>,
    pub(crate) status_preset: StatusPreset,
    pub(crate) time_preset: TimePreset,
    pub(crate) load: Load,
    /// Polling for changes: the watermark, the schedule, the new and changed rows.
    pub(crate) live: Live,
    /// When the analyst last pressed a key (polls slow down when nobody is there).
    pub(crate) last_input: OffsetDateTime,
    pub(crate) focus: Focus,
    pub(crate) detail_scroll: usize,
    pub(crate) raw_json: bool,
    pub(crate) overlay: Option<Overlay>,
    /// The entities pane, while it is open or its entity's alerts are listed.
    pub(crate) entities: Option<EntitiesView>,
    /// The incidents pane (kept loaded while the analyst works in the alert queue).
    pub(crate) incidents: IncidentsPane,
    /// Secure Score history, control profiles and planned controls (`:score`, `:controls`).
    pub(crate) score: ScoreData,
    /// How far back the `:score` chart looks.
    pub(crate) score_window: ScoreWindow,
    /// Points or percent on the `:score` chart.
    pub(crate) score_view: ScoreView,
    /// How the `:score` chart draws its points (from the session, cycled with a key).
    pub(crate) chart_marker: ChartMarker,
    /// The `:controls` table and profile view.
    pub(crate) controls: ControlsView,
    /// The pane `Esc` goes back to from `:score` and `:controls`.
    pub(crate) score_return: Focus,
    /// The `:cases` pane: cases, their tabs, followed operations, pacing.
    pub(crate) cases: CasesPane,
    /// The pane `Esc` goes back to from the case list.
    pub(crate) cases_return: Focus,
    /// The `:sims` pane: simulations, their rates and reports, the tenant reports.
    pub(crate) sims: SimsPane,
    /// The pane `Esc` goes back to from the simulation list.
    pub(crate) sims_return: Focus,
    pub(crate) writes: Writes,
    /// Conflicts reported while another overlay was open; shown one at a time.
    pub(crate) conflicts: VecDeque<ConflictPrompt>,
    pub(crate) message: Option<Message>,
    /// The last key was a Ctrl-C in the plain queue: another one quits.
    pub(crate) interrupt_armed: bool,
    pub(crate) quit: bool,
}

impl State {
    pub fn new(session: SessionInfo, now: OffsetDateTime) -> State {
        let planned = (session.planned.clone(), session.planned_file.clone());
        let chart_marker = session.chart_marker;
        let me = session
            .me
            .as_deref()
            .map(|m| sanitize::line(m).into_owned())
            .filter(|m| !m.trim().is_empty());
        State {
            dirty: true,
            session,
            me,
            now,
            minute: now.unix_timestamp().div_euclid(60),
            ticks: 0,
            size: (80, 24),
            queue: Queue::default(),
            cursor_id: None,
            cursor: 0,
            offset: 0,
            marks: BTreeSet::new(),
            status_preset: StatusPreset::Open,
            time_preset: TimePreset::Month,
            load: Load::idle(),
            live: Live::default(),
            last_input: now,
            focus: Focus::Queue,
            detail_scroll: 0,
            raw_json: false,
            overlay: None,
            entities: None,
            incidents: IncidentsPane::default(),
            score: ScoreData::with_planned(planned.0, planned.1),
            score_window: ScoreWindow::Month,
            score_view: ScoreView::Points,
            chart_marker,
            controls: ControlsView::default(),
            score_return: Focus::Queue,
            cases: CasesPane::default(),
            cases_return: Focus::Queue,
            sims: SimsPane::default(),
            sims_return: Focus::Queue,
            writes: Writes::default(),
            conflicts: VecDeque::new(),
            message: None,
            interrupt_armed: false,
            quit: false,
        }
    }

    /// Commands to run at start-up: the first load of the default queue, and following
    /// again the long-running operations an earlier run of this profile started. They
    /// are resumed here rather than on the first `:cases`: an estimate started before an
    /// SSH drop should finish and be reported (in the status line, from any pane) even if
    /// the analyst never opens the pane again, and a fresh `State` per profile means once
    /// per profile. With nothing kept, the worker sends no request.
    pub fn initial_commands(&mut self) -> Vec<Command> {
        vec![
            self.start_load(LoadMode::Replace),
            Command::ResumeOperations,
        ]
    }

    pub fn should_quit(&self) -> bool {
        self.quit
    }

    /// When the next live-queue poll is due (`None` while one runs or none is scheduled).
    pub fn live_next_poll(&self) -> Option<OffsetDateTime> {
        self.live.next_at
    }

    /// Alerts held in the queue (before any filter).
    pub fn queue_len(&self) -> usize {
        self.queue.len()
    }

    /// The alert queue's copy of alert `id`.
    pub fn queued_alert(&self, id: &str) -> Option<&crate::graph::models::Alert> {
        self.queue.get(id)
    }

    /// The incident queue's copy of incident `id`.
    pub fn queued_incident(&self, id: &str) -> Option<&crate::graph::incidents::Incident> {
        self.incidents.queue.get(id).map(|r| &r.incident)
    }

    /// The control under the `:controls` cursor.
    pub fn selected_control(&self) -> Option<&str> {
        self.controls.cursor_id.as_deref()
    }

    /// Incidents held in the incident queue.
    pub fn incidents_len(&self) -> usize {
        self.incidents.queue.len()
    }

    /// Rows marked new and changed by polls and not looked at yet: (alerts, incidents),
    /// each as (new, changed).
    pub fn fresh_counts(&self) -> ((usize, usize), (usize, usize)) {
        (self.live.fresh_counts(), self.incidents.live.fresh_counts())
    }

    /// When the next poll of each queue is due: (alerts, incidents).
    pub fn next_polls(&self) -> (Option<OffsetDateTime>, Option<OffsetDateTime>) {
        (self.live.next_at, self.incidents.live.next_at)
    }

    /// The wall clock, set by the terminal loop before each `Action::Tick` (and whenever
    /// else it likes). `update` never reads the clock itself, so tests are deterministic.
    pub fn set_now(&mut self, now: OffsetDateTime) {
        self.now = now;
    }

    /// The server-side query the presets describe.
    pub fn query(&self) -> AlertQuery {
        AlertQuery {
            statuses: self.status_preset.statuses(),
            created_within: self.time_preset.within(),
        }
    }

    /// Starts a new load generation; older pages become stale.
    pub(crate) fn start_load(&mut self, mode: LoadMode) -> Command {
        self.load.start(mode);
        self.live.on_load_started();
        self.dirty = true;
        Command::LoadAlerts {
            generation: self.load.generation,
            query: self.query(),
        }
    }

    /// The time relative ages are drawn against (whole minutes).
    pub(crate) fn display_now(&self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(self.minute * 60).unwrap_or(self.now)
    }

    pub(crate) fn screen(&self) -> Screen {
        let (w, h) = self.size;
        self.layout(Rect::new(0, 0, w, h))
    }

    /// The layout for a terminal area. An alert opened from the incident view takes the
    /// whole width (no queue beside it: it did not come from the queue).
    pub(crate) fn layout(&self, area: Rect) -> Screen {
        let detail = self.focus == Focus::Detail;
        Screen::with_split(area, detail, self.opened_alert().is_none())
    }

    /// The keymap mode the focused pane uses.
    pub(crate) fn mode(&self) -> Mode {
        match self.focus {
            Focus::Queue => Mode::Queue,
            Focus::Detail => Mode::Detail,
            Focus::Entities => Mode::Entities,
            Focus::Incidents => Mode::Incidents,
            Focus::Incident => Mode::Incident,
            Focus::Score => Mode::Score,
            Focus::Controls => Mode::Controls,
            Focus::Control => Mode::Control,
            Focus::Cases => Mode::Cases,
            Focus::Case => Mode::Case,
            Focus::Sims => Mode::Sims,
            Focus::Sim => Mode::Sim,
            Focus::SimTenant => Mode::SimTenant,
        }
    }

    pub(crate) fn keymap(&self) -> &KeyMap {
        &self.session.keymap
    }

    /// Entity rows on screen (the pane's body under its header row).
    pub(crate) fn entity_rows(&self) -> usize {
        usize::from(self.screen().middle.height.saturating_sub(1)).max(1)
    }

    /// The selected alert, if any.
    pub(crate) fn selected(&self) -> Option<&crate::graph::models::Alert> {
        self.queue.row(self.cursor)
    }

    /// The alert opened from the incident view, while its detail has the keys.
    pub(crate) fn opened_alert(&self) -> Option<&OpenedAlert> {
        self.incidents
            .opened()
            .filter(|_| self.focus == Focus::Detail)
    }

    /// The detail document of `alert` at `width` columns, as drawn: the renderer and the
    /// scroll clamp must count the same lines.
    pub(crate) fn alert_document(
        &self,
        alert: &crate::graph::models::Alert,
        width: usize,
    ) -> Vec<super::detail::DocLine> {
        super::detail::document(
            alert,
            &self.writes,
            self.live.theirs.get(&alert.id).map(Vec::as_slice),
            self.raw_json,
            self.display_now(),
            width,
        )
    }

    /// The incident view's document of `row` at `width` columns (see [`Self::alert_document`]).
    pub(crate) fn incident_document(
        &self,
        row: &super::incidents::IncidentRow,
        width: usize,
    ) -> Vec<super::detail::DocLine> {
        super::detail::incident_document(
            row,
            &self.writes,
            self.incidents.live.theirs.get(row.id()).map(Vec::as_slice),
            self.display_now(),
            width,
        )
    }

    /// The alert the detail shows: the one opened from the incident view (`None` while it
    /// loads), else the selected one.
    pub(crate) fn detail_alert(&self) -> Option<&crate::graph::models::Alert> {
        match self.opened_alert() {
            Some(o) => o.alert.as_ref(),
            None => self.selected(),
        }
    }

    /// A loaded copy of alert `id`: the queue's, or the one opened from the incident view.
    pub(crate) fn alert(&self, id: &str) -> Option<&crate::graph::models::Alert> {
        self.queue.get(id).or_else(|| {
            self.opened_alert()
                .and_then(|o| o.alert.as_ref())
                .filter(|a| a.id == id)
        })
    }

    /// Incident rows on screen (the pane's body under its header row).
    pub(crate) fn incident_rows(&self) -> usize {
        self.entity_rows()
    }

    /// Puts the cursor back on `cursor_id` after the rows changed (sort, filter, a page, a
    /// refresh). When that alert is no longer shown, the cursor stays at the same row
    /// number (clamped) and adopts whatever alert is there.
    pub(crate) fn relocate_cursor(&mut self) {
        queue::follow(&self.queue, &mut self.cursor_id, &mut self.cursor);
        self.scroll_to_cursor();
    }

    /// Moves the cursor to row `row` (clamped).
    pub(crate) fn move_cursor_to(&mut self, row: usize) {
        if queue::select(&self.queue, &mut self.cursor_id, &mut self.cursor, row) {
            self.detail_scroll = 0;
        }
        if let Some(id) = self.cursor_id.clone() {
            // The analyst's cursor is on it: it has been seen.
            super::refresh::viewed(self, &id);
        }
        self.scroll_to_cursor();
        self.dirty = true;
    }

    /// Keeps the cursor row inside the visible window.
    pub(crate) fn scroll_to_cursor(&mut self) {
        let rows = self.screen().queue_rows();
        let len = self.queue.view().len();
        queue::scroll_into_view(self.cursor, &mut self.offset, len, rows);
    }

    /// What an action applies to: the marked alerts or incidents, else the selected one;
    /// the incident in the incident view; the alert in a detail opened from there.
    pub(crate) fn targets(&self) -> Vec<Target> {
        let i = &self.incidents;
        match self.focus {
            Focus::Incidents if i.marks.is_empty() => {
                i.cursor.id.iter().map(Target::incident).collect()
            }
            Focus::Incidents => i.marks.iter().map(Target::incident).collect(),
            Focus::Incident => i
                .view
                .iter()
                .map(|v| Target::incident(v.row.id()))
                .collect(),
            _ if self.opened_alert().is_some() => self
                .opened_alert()
                .map(|o| Target::alert(&o.id))
                .into_iter()
                .collect(),
            _ if self.marks.is_empty() => self.cursor_id.iter().map(Target::alert).collect(),
            _ => self.marks.iter().map(Target::alert).collect(),
        }
    }

    /// The id the copy key copies: the incident or alert under the cursor.
    pub(crate) fn current_id(&self) -> Option<&str> {
        let i = &self.incidents;
        match self.focus {
            Focus::Incidents => i.cursor.id.as_deref(),
            Focus::Incident => i.view.as_ref().map(|v| v.row.id()),
            _ => match self.opened_alert() {
                Some(o) => Some(&o.id),
                None => self.cursor_id.as_deref(),
            },
        }
    }

    pub(crate) fn info(&mut self, text: impl Into<String>) {
        self.message = Some(Message {
            text: text.into(),
            error: false,
        });
        self.dirty = true;
    }

    /// An error for the status line; worker errors may quote Graph, so they are sanitised.
    pub(crate) fn error(&mut self, text: &str) {
        self.message = Some(Message {
            text: sanitize::line(text).into_owned(),
            error: true,
        });
        self.dirty = true;
    }
}
