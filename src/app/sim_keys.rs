//! Opening `:sims`, the report of one simulation and the tenant view, the reads they need,
//! and what the worker answers. The list is read once on first open (`r` again); after it,
//! one report overview per simulation that has run, at most
//! [`MAX_OVERVIEWS_IN_FLIGHT`] at a time, each asked once per list read. A report is read
//! when first opened, the tenant reports when the tenant view is first opened.

use super::command::Command;
use super::keymap::KeyAction;
use super::queue::scroll_into_view;
use super::score::Fetch;
use super::sims::{
    MAX_OVERVIEWS_IN_FLIGHT, ReportLayout, Section, SimsCommand, SimsUpdate, TenantTab, sim_name,
};
use super::state::{Focus, Overlay, State};
use crate::sanitize;

/// Lines above the simulation list: its column header.
pub const LIST_TOP: u16 = 1;
/// Lines above a tenant tab's rows: the tab bar and the column header.
pub const TENANT_TOP: u16 = 2;

fn sims(command: SimsCommand) -> Command {
    Command::Sims(command)
}

/// `:sims`: the simulation list, read on first open.
pub(crate) fn open(state: &mut State) -> Vec<Command> {
    if !is_sims(state.focus) {
        state.sims_return = state.focus;
    }
    state.focus = Focus::Sims;
    state.sims.open = None;
    state.sims.refresh_user_order();
    relocate(state);
    state.info("Attack simulations, newest launch first (enter opens the report, t the tenant)");
    load_list(state, false)
}

pub(crate) fn is_sims(focus: Focus) -> bool {
    matches!(focus, Focus::Sims | Focus::Sim | Focus::SimTenant)
}

/// Reads the list unless it was read (or is being read); `force` reads it again.
fn load_list(state: &mut State, force: bool) -> Vec<Command> {
    let fetch = &mut state.sims.list_fetch;
    if fetch.is_loading() || (!force && *fetch != Fetch::NotAsked) {
        return vec![];
    }
    *fetch = Fetch::Loading;
    state.dirty = true;
    vec![sims(SimsCommand::List)]
}

/// Asks for waiting overviews while fewer than the limit are being read.
fn pump_overviews(state: &mut State) -> Vec<Command> {
    let pane = &mut state.sims;
    let mut commands = Vec::new();
    // Leaving the queue is what puts an overview in flight: its fetch stays `Loading`.
    while pane.overviews_in_flight() < MAX_OVERVIEWS_IN_FLIGHT {
        let Some(id) = pane.overview_queue.pop_front() else {
            break;
        };
        commands.push(sims(SimsCommand::Overview { id }));
    }
    commands
}

/// Rows of the list on screen.
pub(crate) fn list_rows(state: &State) -> usize {
    usize::from(state.screen().middle.height.saturating_sub(LIST_TOP)).max(1)
}

/// Rows of a tenant tab on screen.
pub(crate) fn tenant_rows(state: &State) -> usize {
    usize::from(state.screen().middle.height.saturating_sub(TENANT_TOP)).max(1)
}

/// The open report's layout on the current screen.
pub(crate) fn report_layout(state: &State) -> ReportLayout {
    let middle = state.screen().middle;
    let pane = &state.sims;
    ReportLayout::new(
        middle.width,
        middle.height,
        pane.user_order().len(),
        pane.open_trainings().len(),
    )
}

/// Works the list's rows out again (the list or the filter may have changed) and keeps
/// the list cursor on its simulation, or the nearest row.
pub(crate) fn relocate(state: &mut State) {
    state.sims.refresh_list_order();
    let pane = &state.sims;
    let rows = pane.list_order();
    let found = pane
        .cursor_id
        .as_deref()
        .and_then(|id| rows.iter().position(|&i| pane.list[i].id == id));
    let row = found
        .unwrap_or(pane.cursor)
        .min(rows.len().saturating_sub(1));
    place(state, row);
}

/// Puts the list cursor on `row` of the worked-out rows.
fn place(state: &mut State, row: usize) {
    let visible = list_rows(state);
    let pane = &mut state.sims;
    let rows = pane.list_order();
    let (id, len) = (rows.get(row).map(|&i| pane.list[i].id.clone()), rows.len());
    pane.cursor = row;
    pane.cursor_id = id;
    scroll_into_view(row, &mut pane.offset, len, visible);
    state.dirty = true;
}

fn move_list(state: &mut State, row: usize) {
    let len = state.sims.list_order().len();
    if len == 0 {
        return;
    }
    place(state, row.min(len - 1));
}

/// Moves the cursor of the report section `j`/`k` work in.
fn move_report(state: &mut State, row: usize) {
    let layout = report_layout(state);
    let pane = &mut state.sims;
    let (len, visible, cursor, offset) = match pane.report.section {
        Section::Users => (
            pane.user_order().len(),
            layout.users,
            &mut pane.report.user_cursor,
            &mut pane.report.user_offset,
        ),
        Section::Trainings => (
            pane.open_trainings().len(),
            layout.trainings,
            &mut pane.report.training_cursor,
            &mut pane.report.training_offset,
        ),
    };
    *cursor = row.min(len.saturating_sub(1));
    scroll_into_view(*cursor, offset, len, usize::from(visible).max(1));
    state.dirty = true;
}

fn move_tenant(state: &mut State, row: usize) {
    let len = state.sims.tenant_len();
    let visible = tenant_rows(state);
    let pane = &mut state.sims;
    pane.tenant_cursor = row.min(len.saturating_sub(1));
    scroll_into_view(pane.tenant_cursor, &mut pane.tenant_offset, len, visible);
    state.dirty = true;
}

/// The simulation under the list cursor.
fn selected(state: &State) -> Option<&crate::graph::cases::Kept<crate::graph::sims::Simulation>> {
    state
        .sims
        .cursor_id
        .as_deref()
        .and_then(|id| state.sims.sim(id))
}

/// Reads the open simulation's report unless it was; `force` reads it again.
fn load_report(state: &mut State, force: bool) -> Vec<Command> {
    let Some(id) = state.sims.open.clone() else {
        return vec![];
    };
    let fetch = state.sims.report_fetch.entry(id.clone()).or_default();
    if fetch.is_loading() || (!force && *fetch != Fetch::NotAsked) {
        return vec![];
    }
    *fetch = Fetch::Loading;
    state.dirty = true;
    vec![sims(SimsCommand::Report { id })]
}

/// Enter on the list: the report of the simulation under the cursor.
fn drill_in(state: &mut State) -> Vec<Command> {
    let Some(sim) = selected(state) else {
        state.info("No simulation selected");
        return vec![];
    };
    let (id, name, run) = (sim.id.clone(), sim_name(sim), sim.has_run());
    if state.sims.open.as_deref() != Some(&id) {
        state.sims.report = super::sims::ReportView::default();
    }
    state.sims.open = Some(id);
    state.sims.refresh_user_order();
    state.focus = Focus::Sim;
    if !run {
        state.info(format!("{name} has not run yet: no report (esc goes back)"));
        return vec![];
    }
    state.info(format!(
        "{name} (s sorts, c compromised only, tab users/trainings, esc goes back)"
    ));
    load_report(state, false)
}

/// `t` on the list: the tenant reports, all read on first open.
fn open_tenant(state: &mut State) -> Vec<Command> {
    state.focus = Focus::SimTenant;
    state.info("Tenant reports (tab switches, esc goes back)");
    load_tenant(state, false)
}

fn load_tenant(state: &mut State, force: bool) -> Vec<Command> {
    let mut commands = Vec::new();
    for tab in TenantTab::ALL {
        let fetch = state.sims.tenant_fetch.entry(tab).or_default();
        if fetch.is_loading() || (!force && *fetch != Fetch::NotAsked) {
            continue;
        }
        *fetch = Fetch::Loading;
        commands.push(sims(SimsCommand::Tenant(tab)));
    }
    state.dirty = true;
    commands
}

/// Esc: report or tenant view → list → where the analyst came from (the filter is
/// cleared first).
fn back(state: &mut State) {
    match state.focus {
        Focus::Sim | Focus::SimTenant => {
            state.focus = Focus::Sims;
            state.sims.open = None;
            state.sims.refresh_user_order();
            relocate(state);
            state.info("Attack simulations");
        }
        _ if !state.sims.filter.is_empty() => {
            set_query(state, "");
            state.info("Filter cleared");
        }
        _ => {
            state.focus = if is_sims(state.sims_return) {
                Focus::Queue
            } else {
                state.sims_return
            };
            state.scroll_to_cursor();
        }
    }
    state.dirty = true;
}

/// The type-to-filter text changed.
pub(crate) fn set_query(state: &mut State, query: &str) {
    state.sims.filter = query.to_owned();
    relocate(state);
}

/// Keys of the three views; `None` leaves the key to the common handling.
pub(crate) fn on_action(state: &mut State, action: KeyAction) -> Option<Vec<Command>> {
    let (cursor, page, mover): (usize, usize, fn(&mut State, usize)) = match state.focus {
        Focus::Sim => {
            let layout = report_layout(state);
            let r = &state.sims.report;
            match r.section {
                Section::Users => (r.user_cursor, usize::from(layout.users), move_report),
                Section::Trainings => (
                    r.training_cursor,
                    usize::from(layout.trainings),
                    move_report,
                ),
            }
        }
        Focus::SimTenant => (state.sims.tenant_cursor, tenant_rows(state), move_tenant),
        _ => (state.sims.cursor, list_rows(state), move_list),
    };
    let page = page.max(1);
    match action {
        KeyAction::Up => mover(state, cursor.saturating_sub(1)),
        KeyAction::Down => mover(state, cursor + 1),
        KeyAction::PageUp => mover(state, cursor.saturating_sub(page)),
        KeyAction::PageDown => mover(state, cursor + page),
        KeyAction::Top => mover(state, 0),
        KeyAction::Bottom => mover(state, usize::MAX),
        KeyAction::Back => back(state),
        KeyAction::Interrupt if state.focus != Focus::Sims => back(state),
        KeyAction::Interrupt if !state.sims.filter.is_empty() => {
            set_query(state, "");
            state.info("Filter cleared (Ctrl-C again arms quitting)");
        }
        KeyAction::Filter if state.focus == Focus::Sims => state.overlay = Some(Overlay::Filter),
        KeyAction::SimOpen if state.focus == Focus::Sims => return Some(drill_in(state)),
        KeyAction::SimTenant if state.focus == Focus::Sims => return Some(open_tenant(state)),
        KeyAction::SimSort if state.focus == Focus::Sim => {
            let r = &mut state.sims.report;
            r.sort = r.sort.next();
            r.section = Section::Users;
            let text = format!("Users sorted by {}", r.sort.label());
            state.sims.refresh_user_order();
            move_report(state, 0);
            state.info(text);
        }
        KeyAction::SimCompromised if state.focus == Focus::Sim => {
            let r = &mut state.sims.report;
            r.compromised_only = !r.compromised_only;
            r.section = Section::Users;
            let text = if r.compromised_only {
                "Only the compromised users (c shows everyone)"
            } else {
                "Every targeted user"
            };
            state.sims.refresh_user_order();
            move_report(state, 0);
            state.info(text);
        }
        KeyAction::SimSection if state.focus == Focus::Sim => {
            let r = &mut state.sims.report;
            r.section = match r.section {
                Section::Users => Section::Trainings,
                Section::Trainings => Section::Users,
            };
        }
        KeyAction::SimSection if state.focus == Focus::SimTenant => {
            state.sims.tenant_tab = state.sims.tenant_tab.next();
            state.sims.tenant_cursor = 0;
            state.sims.tenant_offset = 0;
        }
        KeyAction::Refresh => {
            return Some(match state.focus {
                Focus::Sim => {
                    state.info("Reading the report again…");
                    load_report(state, true)
                }
                Focus::SimTenant => {
                    state.info("Reading the tenant reports again…");
                    load_tenant(state, true)
                }
                _ => {
                    state.info("Reading the simulations again…");
                    load_list(state, true)
                }
            });
        }
        _ => return None,
    }
    state.dirty = true;
    Some(vec![])
}

// ---- the worker's answers

pub(crate) fn on_update(state: &mut State, update: SimsUpdate) -> Vec<Command> {
    let commands = match update {
        SimsUpdate::List(result) => on_list(state, result),
        SimsUpdate::Overview { id, result } => {
            let pane = &mut state.sims;
            match result {
                Ok(overview) => {
                    pane.overviews.insert(id.clone(), *overview);
                    pane.overview_fetch.insert(id, Fetch::Loaded);
                }
                Err(e) => {
                    let e = sanitize::line(&e).into_owned();
                    let name = pane.sim(&id).map_or_else(|| id.clone(), |s| sim_name(s));
                    pane.overview_fetch.insert(id, Fetch::Failed(e.clone()));
                    state.error(&format!("Reading the rates of '{name}' failed: {e}"));
                }
            }
            pump_overviews(state)
        }
        SimsUpdate::Report { id, result } => {
            match result {
                Ok(sim) => {
                    state.sims.reports.insert(id.clone(), *sim);
                    state.sims.report_fetch.insert(id, Fetch::Loaded);
                    state.sims.refresh_user_order();
                }
                Err(e) => {
                    let e = sanitize::line(&e).into_owned();
                    let shown = state.sims.open.as_deref() == Some(&id);
                    state.sims.report_fetch.insert(id, Fetch::Failed(e.clone()));
                    if shown {
                        state.error(&format!("Reading the report failed: {e}"));
                    }
                }
            }
            if state.focus == Focus::Sim {
                let r = &state.sims.report;
                let row = match r.section {
                    Section::Users => r.user_cursor,
                    Section::Trainings => r.training_cursor,
                };
                move_report(state, row);
            }
            vec![]
        }
        SimsUpdate::Tenant(result) => {
            match result {
                Ok(rows) => {
                    let tab = rows.tab();
                    state.sims.tenant.insert(tab, rows);
                    state.sims.tenant_fetch.insert(tab, Fetch::Loaded);
                }
                Err((tab, e)) => {
                    let e = sanitize::line(&e).into_owned();
                    state
                        .sims
                        .tenant_fetch
                        .insert(tab, Fetch::Failed(e.clone()));
                    state.error(&format!("Reading the {} failed: {e}", tab.title()));
                }
            }
            if state.focus == Focus::SimTenant {
                let row = state.sims.tenant_cursor;
                move_tenant(state, row);
            }
            vec![]
        }
    };
    state.dirty = true;
    commands
}

/// The list landed: every run simulation's overview is asked again (a new read is what
/// `r` is for), the first ones at once and the rest as those answer. A failure keeps
/// what was loaded.
fn on_list(
    state: &mut State,
    result: Result<Vec<crate::graph::cases::Kept<crate::graph::sims::Simulation>>, String>,
) -> Vec<Command> {
    match result {
        Ok(list) => {
            let pane = &mut state.sims;
            let first = pane.list_fetch != Fetch::Loaded && pane.list.is_empty();
            pane.list = list;
            pane.list_fetch = Fetch::Loaded;
            if first {
                pane.cursor_id = None;
                pane.cursor = 0;
            }
            // Worked out before the queue is emptied: queued ids are `Loading` too.
            let in_flight = pane.overview_ids_in_flight();
            pane.overview_queue.clear();
            pane.overview_fetch.retain(|id, _| in_flight.contains(id));
            pane.refresh_list_order();
            let run: Vec<String> = pane
                .list_order()
                .iter()
                .map(|&i| &pane.list[i])
                .filter(|s| s.has_run())
                .map(|s| s.id.clone())
                .collect();
            for id in run {
                pane.overview_fetch.insert(id.clone(), Fetch::Loading);
                if !in_flight.contains(&id) {
                    pane.overview_queue.push_back(id);
                }
            }
            relocate(state);
            pump_overviews(state)
        }
        Err(e) => {
            state.error(&format!("Loading the simulations failed: {e}"));
            state.sims.list_fetch = Fetch::Failed(sanitize::line(&e).into_owned());
            relocate(state);
            vec![]
        }
    }
}

/// A read of the shown view is running: the spinner moves.
pub(crate) fn busy(state: &State) -> bool {
    let pane = &state.sims;
    match state.focus {
        Focus::Sims => pane.list_fetch.is_loading() || pane.overviews_in_flight() > 0,
        Focus::Sim => pane.open_fetch().is_loading(),
        Focus::SimTenant => pane.tenant_fetch(pane.tenant_tab).is_loading(),
        _ => false,
    }
}

impl State {
    /// The `:sims` list as shown (filter and order applied): each simulation's id with
    /// its compromise and report rates as the rows draw them.
    pub fn sim_rows(&self) -> Vec<(String, super::sims::Rate, super::sims::Rate)> {
        let pane = &self.sims;
        pane.list_order()
            .iter()
            .map(|&i| {
                let id = &pane.list[i].id;
                (id.clone(), pane.compromise_rate(id), pane.report_rate(id))
            })
            .collect()
    }

    /// The user ids of the open report's users table as shown (order and filter applied).
    pub fn sim_report_user_ids(&self) -> Vec<String> {
        let users = self.sims.open_users();
        self.sims
            .user_order()
            .iter()
            .map(|&i| {
                users[i]
                    .simulation_user
                    .as_ref()
                    .and_then(|u| u.user_id.clone())
                    .unwrap_or_default()
            })
            .collect()
    }
}

impl State {
    /// The simulation under the `:sims` list cursor.
    pub fn selected_sim(&self) -> Option<&str> {
        self.sims.cursor_id.as_deref()
    }
}
