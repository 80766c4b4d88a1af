//! The `:sims` pane's own state: the attack simulations with each run one's report
//! overview (for the list's rates), the report of the simulation drilled into (its users
//! sorted and filtered here), and the tenant-level reports (repeat offenders, training and
//! simulation coverage). What the worker is asked and answers is in [`SimsCommand`] and
//! [`SimsUpdate`]; the keys that move between them are in `sim_keys`.

use super::score::Fetch;
use crate::graph::cases::Kept;
use crate::graph::sims::{
    RepeatOffender, ReportOverview, Simulation, SimulationUserCoverage, TrainingStatus,
    TrainingUserCoverage, UserSimulationDetails,
};
use crate::sanitize;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Report overviews read at once at most: one per run simulation would otherwise fan out
/// a dozen beta reads as the list lands, against the same request budget as everything
/// else.
pub const MAX_OVERVIEWS_IN_FLIGHT: usize = 2;

/// What the `:sims` pane asks the worker for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SimsCommand {
    /// Every simulation (all pages); answered with [`SimsUpdate::List`].
    List,
    /// One simulation's report overview (beta); answered with [`SimsUpdate::Overview`].
    Overview { id: String },
    /// One simulation with its report; answered with [`SimsUpdate::Report`].
    Report { id: String },
    /// One tenant report (all pages); answered with [`SimsUpdate::Tenant`].
    Tenant(TenantTab),
}

/// What the worker answers for [`SimsCommand`]s (errors as a line for the analyst).
#[derive(Debug, Clone)]
pub enum SimsUpdate {
    List(Result<Vec<Kept<Simulation>>, String>),
    Overview {
        id: String,
        result: Result<Box<ReportOverview>, String>,
    },
    Report {
        id: String,
        result: Result<Box<Kept<Simulation>>, String>,
    },
    Tenant(Result<TenantRows, (TenantTab, String)>),
}

/// A simulation's name for display (its id when Graph sent none), sanitised.
pub fn sim_name(s: &Simulation) -> String {
    let name = s
        .display_name
        .as_deref()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or(&s.id);
    sanitize::line(name).into_owned()
}

/// Where one row's rates stand.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rate {
    /// The overview is on its way (asked, or waiting its turn).
    Pending,
    /// Percent, as the overview gives it.
    Known(f64),
    /// No overview (not run, or it could not be read), or it has no such figure.
    None,
}

/// One targeted user's outcome, in the order the outcome sort puts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    Compromised,
    Clicked,
    Reported,
    NoAction,
}

impl Outcome {
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Compromised => "compromised",
            Outcome::Clicked => "clicked",
            Outcome::Reported => "reported",
            Outcome::NoAction => "no action",
        }
    }
}

/// The worst thing a user did: compromised, else clicked (any event whose name has
/// "click" in it: EmailLinkClicked, AttachmentLinkClicked…), else reported, else nothing.
pub fn outcome(u: &UserSimulationDetails) -> Outcome {
    if u.compromised() {
        return Outcome::Compromised;
    }
    // Compared in place: lowercasing each event name allocated per user per sort step.
    let clicked = u.simulation_events.iter().any(|e| {
        e.event_name.as_deref().is_some_and(|n| {
            n.as_bytes()
                .windows(5)
                .any(|w| w.eq_ignore_ascii_case(b"click"))
        })
    });
    if clicked {
        Outcome::Clicked
    } else if u.reported.is_some() {
        Outcome::Reported
    } else {
        Outcome::NoAction
    }
}

/// How the report's users are ordered (`s` cycles).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UserSort {
    /// Compromised, clicked, reported, no action; by name inside each.
    #[default]
    Outcome,
    Name,
    /// Who reported first on top; those who never reported last.
    Reported,
    /// Most trainings still to complete first.
    Trainings,
}

impl UserSort {
    pub fn next(self) -> UserSort {
        match self {
            UserSort::Outcome => UserSort::Name,
            UserSort::Name => UserSort::Reported,
            UserSort::Reported => UserSort::Trainings,
            UserSort::Trainings => UserSort::Outcome,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            UserSort::Outcome => "outcome",
            UserSort::Name => "name",
            UserSort::Reported => "reported time",
            UserSort::Trainings => "trainings to do",
        }
    }
}

/// Trainings a user still has to complete. Saturating: a count like `"1e30"` reads as
/// `i64::MAX` (`lenient::int`), and a plain subtraction would overflow on it.
fn to_do(u: &UserSimulationDetails) -> i64 {
    u.assigned_trainings_count
        .unwrap_or(0)
        .saturating_sub(u.completed_trainings_count.unwrap_or(0))
}

/// Indices into `users` in `sort` order, only the compromised with `compromised_only`.
pub fn user_rows(
    users: &[UserSimulationDetails],
    sort: UserSort,
    compromised_only: bool,
) -> Vec<usize> {
    let mut rows: Vec<usize> = (0..users.len())
        .filter(|&i| !compromised_only || users[i].compromised())
        .collect();
    // One key per user (the outcome and the lowercased name are worked out once, not at
    // every comparison): the sort's own figure, then the name.
    rows.sort_by_cached_key(|&i| {
        let u = &users[i];
        let first: (i128, Option<time::OffsetDateTime>) = match sort {
            UserSort::Outcome => (outcome(u) as i128, None),
            UserSort::Name => (0, None),
            // `None` after every time.
            UserSort::Reported => (i128::from(u.reported.is_none()), u.reported),
            // Most to do first; i128 so negating i64::MIN cannot overflow.
            UserSort::Trainings => (-i128::from(to_do(u)), None),
        };
        (first, u.user_name().to_lowercase())
    });
    rows
}

/// The tenant view's tabs, in the order `Tab` visits them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum TenantTab {
    #[default]
    RepeatOffenders,
    TrainingCoverage,
    SimulationCoverage,
}

impl TenantTab {
    pub const ALL: [TenantTab; 3] = [
        TenantTab::RepeatOffenders,
        TenantTab::TrainingCoverage,
        TenantTab::SimulationCoverage,
    ];

    pub fn title(self) -> &'static str {
        match self {
            TenantTab::RepeatOffenders => "repeat offenders",
            TenantTab::TrainingCoverage => "training coverage",
            TenantTab::SimulationCoverage => "simulation coverage",
        }
    }

    pub fn next(self) -> TenantTab {
        let i = TenantTab::ALL.iter().position(|t| *t == self).unwrap_or(0);
        TenantTab::ALL[(i + 1) % TenantTab::ALL.len()]
    }
}

/// One tenant report's rows, as Graph listed them (every page).
#[derive(Debug, Clone, PartialEq)]
pub enum TenantRows {
    RepeatOffenders(Vec<Kept<RepeatOffender>>),
    TrainingCoverage(Vec<Kept<TrainingUserCoverage>>),
    SimulationCoverage(Vec<Kept<SimulationUserCoverage>>),
}

impl TenantRows {
    pub fn tab(&self) -> TenantTab {
        match self {
            TenantRows::RepeatOffenders(_) => TenantTab::RepeatOffenders,
            TenantRows::TrainingCoverage(_) => TenantTab::TrainingCoverage,
            TenantRows::SimulationCoverage(_) => TenantTab::SimulationCoverage,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            TenantRows::RepeatOffenders(v) => v.len(),
            TenantRows::TrainingCoverage(v) => v.len(),
            TenantRows::SimulationCoverage(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Repeat offenders, most offences first (then by name).
pub fn offender_rows(list: &[Kept<RepeatOffender>]) -> Vec<usize> {
    let name = |o: &RepeatOffender| {
        o.attack_simulation_user
            .as_ref()
            .map_or(String::new(), |u| u.name().to_lowercase())
    };
    let mut rows: Vec<usize> = (0..list.len()).collect();
    rows.sort_by(|&a, &b| {
        let (oa, ob) = (&list[a], &list[b]);
        ob.repeat_offence_count
            .unwrap_or(0)
            .cmp(&oa.repeat_offence_count.unwrap_or(0))
            .then_with(|| name(oa).cmp(&name(ob)))
    });
    rows
}

/// A user's overdue trainings.
pub fn overdue(c: &TrainingUserCoverage) -> usize {
    c.user_trainings
        .iter()
        .filter(|t| t.training_status == Some(TrainingStatus::Overdue))
        .count()
}

/// Which part of a report `j`/`k` move in (and which is shown when both do not fit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Section {
    #[default]
    Users,
    Trainings,
}

/// Rows of the report view, worked out once for `update` (paging) and `ui` (drawing):
/// how tall the fixed top is and how many table rows each section gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportLayout {
    /// Header, overview figures and gauges.
    pub top: u16,
    /// Table rows (without the column header) for users and trainings; 0 when hidden.
    pub users: u16,
    pub trainings: u16,
    /// Both sections are on screen together.
    pub both: bool,
}

/// From this width the report's three gauges sit side by side on one row.
pub const WIDE: u16 = 120;

impl ReportLayout {
    /// The layout of a report `width`x`height` with this many users and trainings rows.
    pub fn new(width: u16, height: u16, users: usize, trainings: usize) -> ReportLayout {
        // Name line, facts line, description, events line, gauges (one row each when
        // narrow, one row together when wide), then a blank line.
        let gauges = if width >= WIDE { 1 } else { 3 };
        let top = (4 + gauges + 1).min(height);
        let rest = height - top;
        // A section is a one-line title, a column header and its rows.
        let need = |n: usize| u16::try_from(n).unwrap_or(u16::MAX).max(1);
        let (u, t) = (need(users), need(trainings));
        if u.saturating_add(t).saturating_add(4) <= rest {
            // The trainings right under the users; what is left stays blank below.
            return ReportLayout {
                top,
                users: u,
                trainings: rest - u - 4,
                both: true,
            };
        }
        // One at a time: a line naming both (tab switches), a column header, the rows.
        let rows = rest.saturating_sub(2);
        ReportLayout {
            top,
            users: rows,
            trainings: rows,
            both: false,
        }
    }
}

/// The report of the simulation drilled into, the view over it.
#[derive(Debug, Default)]
pub struct ReportView {
    pub section: Section,
    pub sort: UserSort,
    pub compromised_only: bool,
    pub user_cursor: usize,
    pub user_offset: usize,
    pub training_cursor: usize,
    pub training_offset: usize,
}

/// The `:sims` pane: data, the views over it, and what is in flight.
#[derive(Debug, Default)]
pub struct SimsPane {
    pub list: Vec<Kept<Simulation>>,
    pub list_fetch: Fetch,
    /// Report overviews by simulation id, as the last read of each gave them.
    pub overviews: BTreeMap<String, ReportOverview>,
    /// Where each run simulation's overview read stands (absent: never asked).
    pub overview_fetch: BTreeMap<String, Fetch>,
    /// Overviews waiting their turn, in list order. Each is `Loading` in `overview_fetch`
    /// too, so those asked and not answered yet are the `Loading` ones not queued here
    /// ([`SimsPane::overviews_in_flight`]).
    pub overview_queue: VecDeque<String>,
    pub cursor_id: Option<String>,
    pub cursor: usize,
    pub offset: usize,
    pub filter: String,
    /// The simulation whose report is shown.
    pub open: Option<String>,
    /// Each simulation read with its report, by id.
    pub reports: BTreeMap<String, Kept<Simulation>>,
    pub report_fetch: BTreeMap<String, Fetch>,
    pub report: ReportView,
    pub tenant_tab: TenantTab,
    pub tenant: BTreeMap<TenantTab, TenantRows>,
    pub tenant_fetch: BTreeMap<TenantTab, Fetch>,
    pub tenant_cursor: usize,
    pub tenant_offset: usize,
    /// [`rows`] as last worked out: drawing and keys read it instead of filtering and
    /// sorting again every frame. Kept by [`SimsPane::refresh_list_order`].
    list_order: Vec<usize>,
    /// [`SimsPane::open_user_rows`] as last worked out, for the same reason. Kept by
    /// [`SimsPane::refresh_user_order`].
    user_order: Vec<usize>,
}

/// Case-insensitive substring match on the name, technique and status (and the id).
fn matches(s: &Simulation, needle: &str) -> bool {
    [
        Some(s.id.as_str()),
        s.display_name.as_deref(),
        s.attack_technique.as_ref().map(|t| t.as_str()),
        s.status.as_ref().map(|t| t.as_str()),
    ]
    .into_iter()
    .flatten()
    .any(|field| field.to_lowercase().contains(needle))
}

/// The list's rows: indices into `list` matching `filter`, newest launch first (scheduled
/// ones carry their coming launch, so they lead), those without a launch date (drafts)
/// last, newest created first; then by name.
pub fn rows(pane: &SimsPane) -> Vec<usize> {
    let needle = pane.filter.trim().to_lowercase();
    let mut rows: Vec<usize> = pane
        .list
        .iter()
        .enumerate()
        .filter(|(_, s)| needle.is_empty() || matches(s, &needle))
        .map(|(i, _)| i)
        .collect();
    // One key per simulation (its sanitised name is worked out once, not at every
    // comparison): launched before not launched, each newest first, then the name.
    rows.sort_by_cached_key(|&i| {
        let s = &pane.list[i];
        let when = match s.launched {
            Some(t) => (false, Reverse(Some(t))),
            None => (true, Reverse(s.created)),
        };
        (when, sim_name(s))
    });
    rows
}

impl SimsPane {
    pub fn sim(&self, id: &str) -> Option<&Kept<Simulation>> {
        self.list.iter().find(|s| s.id == id)
    }

    /// The simulation drilled into: as read with its report, else as the list has it.
    pub fn open_sim(&self) -> Option<&Kept<Simulation>> {
        let id = self.open.as_deref()?;
        self.reports.get(id).or_else(|| self.sim(id))
    }

    pub fn open_fetch(&self) -> &Fetch {
        static NOT_ASKED: Fetch = Fetch::NotAsked;
        self.open
            .as_deref()
            .and_then(|id| self.report_fetch.get(id))
            .unwrap_or(&NOT_ASKED)
    }

    /// The open report's per-user lines (empty until it is read).
    pub fn open_users(&self) -> &[UserSimulationDetails] {
        self.open
            .as_deref()
            .and_then(|id| self.reports.get(id))
            .and_then(|s| s.report.as_ref())
            .map_or(&[], |r| &r.simulation_users)
    }

    /// The open report's overview: from the report, else the one read for the list.
    pub fn open_overview(&self) -> Option<&ReportOverview> {
        let id = self.open.as_deref()?;
        self.reports
            .get(id)
            .and_then(|s| s.report.as_ref())
            .and_then(|r| r.overview.as_ref())
            .or_else(|| self.overviews.get(id))
    }

    /// The list's rows as last worked out (the list or the filter changed since only if
    /// [`SimsPane::refresh_list_order`] was not called).
    pub fn list_order(&self) -> &[usize] {
        &self.list_order
    }

    /// Works the list's rows out again: after the list or the filter changed.
    pub fn refresh_list_order(&mut self) {
        self.list_order = rows(self);
    }

    /// The open report's users table rows as last worked out.
    pub fn user_order(&self) -> &[usize] {
        &self.user_order
    }

    /// Works the open report's users table out again: after the open simulation, its
    /// report, the user sort or the compromised-only switch changed.
    pub fn refresh_user_order(&mut self) {
        self.user_order = self.open_user_rows();
    }

    /// The rows of the open report's users table, in the chosen order, worked out now.
    pub fn open_user_rows(&self) -> Vec<usize> {
        user_rows(
            self.open_users(),
            self.report.sort,
            self.report.compromised_only,
        )
    }

    /// The open report's trainings (assigned vs completed per training).
    pub fn open_trainings(&self) -> &[crate::graph::sims::AssignedTrainingInfo] {
        self.open_overview()
            .and_then(|o| o.training_events_content.as_ref())
            .map_or(&[], |t| &t.assigned_trainings_infos)
    }

    fn rate(&self, id: &str, pick: fn(&ReportOverview) -> Option<f64>) -> Rate {
        if let Some(o) = self.overviews.get(id) {
            return pick(o).map_or(Rate::None, Rate::Known);
        }
        match self.overview_fetch.get(id) {
            Some(Fetch::Loading) => Rate::Pending,
            _ => Rate::None,
        }
    }

    /// The list's compromise rate for simulation `id` (Graph's compromisedRate).
    pub fn compromise_rate(&self, id: &str) -> Rate {
        self.rate(id, ReportOverview::compromised_rate)
    }

    /// The list's report rate for simulation `id` (ReportedEmail / resolved targets).
    pub fn report_rate(&self, id: &str) -> Rate {
        self.rate(id, ReportOverview::report_rate)
    }

    /// Overviews still on their way (being read or waiting their turn).
    pub fn overviews_pending(&self) -> usize {
        self.overview_fetch
            .values()
            .filter(|f| f.is_loading())
            .count()
    }

    /// Overviews asked and not answered yet: being read and not waiting their turn (never
    /// more than [`MAX_OVERVIEWS_IN_FLIGHT`]). Every queued id is also `Loading`.
    pub fn overviews_in_flight(&self) -> usize {
        self.overviews_pending()
            .saturating_sub(self.overview_queue.len())
    }

    /// The ids of [`SimsPane::overviews_in_flight`].
    pub fn overview_ids_in_flight(&self) -> BTreeSet<String> {
        let queued: BTreeSet<&str> = self.overview_queue.iter().map(String::as_str).collect();
        self.overview_fetch
            .iter()
            .filter(|(id, f)| f.is_loading() && !queued.contains(id.as_str()))
            .map(|(id, _)| id.clone())
            .collect()
    }

    pub fn tenant_fetch(&self, tab: TenantTab) -> &Fetch {
        static NOT_ASKED: Fetch = Fetch::NotAsked;
        self.tenant_fetch.get(&tab).unwrap_or(&NOT_ASKED)
    }

    /// Rows of the shown tenant tab.
    pub fn tenant_len(&self) -> usize {
        self.tenant.get(&self.tenant_tab).map_or(0, TenantRows::len)
    }
}

/// A rate as the list shows it: "12.5%", "…" while on its way, "—" when there is none.
pub fn rate_text(rate: Rate) -> String {
    match rate {
        Rate::Pending => "…".to_owned(),
        Rate::Known(p) => format!("{p:.1}%"),
        Rate::None => "—".to_owned(),
    }
}
