//! Opening `:score` and `:controls`, loading what they show, and the `:score` pane's keys.
//! Both panes read one [`super::score::ScoreData`]: the history and the profiles are
//! fetched once, on first open, and again with `r`.

use super::command::Command;
use super::keymap::KeyAction;
use super::score::{Fetch, ScoreView};
use super::state::{Focus, State};
use crate::graph::score::{SecureScore, SecureScoreControlProfile};

/// `:score`: the trend pane.
pub(crate) fn open_score(state: &mut State) -> Vec<Command> {
    enter(state, Focus::Score);
    state.info("Secure Score (esc goes back)");
    load(state, false)
}

/// `:controls`: the control profiles.
pub(crate) fn open_controls(state: &mut State) -> Vec<Command> {
    enter(state, Focus::Controls);
    super::control_keys::relocate(state);
    state.info("Control profiles, most points available first (esc goes back)");
    load(state, false)
}

fn enter(state: &mut State, focus: Focus) {
    if !matches!(state.focus, Focus::Score | Focus::Controls | Focus::Control) {
        state.score_return = state.focus;
    }
    state.focus = focus;
    state.dirty = true;
}

/// Esc from `:score` or `:controls`: back where the analyst came from.
pub(crate) fn leave(state: &mut State) {
    state.focus = match state.score_return {
        Focus::Score | Focus::Controls | Focus::Control => Focus::Queue,
        other => other,
    };
    state.scroll_to_cursor();
    state.dirty = true;
}

/// The reads the two panes need: what was never asked for, or everything with `force`.
/// A read already running is not asked for again.
pub(crate) fn load(state: &mut State, force: bool) -> Vec<Command> {
    let mut commands = Vec::new();
    let score = &mut state.score;
    let want = |f: &Fetch| !f.is_loading() && (force || *f == Fetch::NotAsked);
    if want(&score.history_fetch) {
        score.history_fetch = Fetch::Loading;
        commands.push(Command::LoadSecureScores);
    }
    if want(&score.profiles_fetch) {
        score.profiles_fetch = Fetch::Loading;
        commands.push(Command::LoadControlProfiles);
    }
    if !commands.is_empty() {
        state.dirty = true;
    }
    commands
}

pub(crate) fn on_scores(state: &mut State, result: Result<Vec<SecureScore>, String>) {
    first_arrival(state);
    match result {
        Ok(snapshots) => {
            state.score.set_history(snapshots);
            state.score.history_fetch = Fetch::Loaded;
        }
        Err(e) => {
            state.error(&format!("Loading the Secure Score history failed: {e}"));
            state.score.history_fetch = Fetch::Failed(e);
        }
    }
    super::control_keys::relocate(state);
    state.dirty = true;
}

pub(crate) fn on_profiles(
    state: &mut State,
    result: Result<Vec<SecureScoreControlProfile>, String>,
) {
    first_arrival(state);
    match result {
        Ok(profiles) => {
            state.score.set_profiles(profiles);
            state.score.profiles_fetch = Fetch::Loaded;
        }
        Err(e) => {
            state.error(&format!("Loading the control profiles failed: {e}"));
            state.score.profiles_fetch = Fetch::Failed(e);
        }
    }
    super::control_keys::relocate(state);
    state.dirty = true;
}

/// Until both reads have arrived once the table's order is not final (points available
/// need today's snapshot): the cursor stays on the top row instead of following a control
/// the analyst never chose.
fn first_arrival(state: &mut State) {
    let score = &state.score;
    if score.history.is_empty() || score.profiles.is_empty() {
        state.controls.cursor_id = None;
        state.controls.cursor = 0;
        state.controls.offset = 0;
    }
}

/// Keys of the `:score` pane; `None` leaves the key to the common handling.
pub(crate) fn on_action(state: &mut State, action: KeyAction) -> Option<Vec<Command>> {
    match action {
        KeyAction::Back => leave(state),
        KeyAction::Refresh => {
            state.info("Reloading the Secure Score…");
            return Some(load(state, true));
        }
        KeyAction::ScoreWindow => {
            state.score_window = state.score_window.toggled();
            let days = state.score_window.days();
            state.info(format!("Chart: the last {days} days"));
        }
        KeyAction::ScoreView => {
            state.score_view = state.score_view.toggled();
            state.info(match state.score_view {
                ScoreView::Points => "Chart in points (averages: other tenants' points)",
                ScoreView::Percent => {
                    "Chart in percent of maxScore (averages over our own maxScore)"
                }
            });
        }
        KeyAction::ChartMarker => {
            state.chart_marker = state.chart_marker.next();
            let name = state.chart_marker.name();
            state.info(format!(
                "Chart marker: {name} (set [ui] chart_marker in the config to keep it)"
            ));
        }
        KeyAction::OpenControls => return Some(open_controls(state)),
        _ => {}
    }
    Some(vec![])
}
