//! `update` behaviour of the `:score` pane's keys.

use super::fixtures::*;
use super::score::{ChartMarker, Fetch, ScoreView, ScoreWindow};
use super::*;
use ratatui::crossterm::event::KeyCode;

#[test]
fn opening_score_loads_the_history_and_profiles_once() {
    let mut s = loaded(session(), sample());
    let cmds = open_score(&mut s);
    assert_eq!(s.focus, Focus::Score);
    assert!(matches!(
        cmds.as_slice(),
        [Command::LoadSecureScores, Command::LoadControlProfiles]
    ));
    assert_eq!(s.score.history_fetch, Fetch::Loading);
    // Leaving and coming back while the reads run asks for nothing again.
    update(&mut s, code(KeyCode::Esc));
    assert!(open_score(&mut s).is_empty());
}

#[test]
fn w_toggles_the_chart_window_between_30_and_90_days() {
    let mut s = score_state();
    assert_eq!(s.score_window, ScoreWindow::Month);
    s.dirty = false;
    assert!(update(&mut s, key('w')).is_empty());
    assert_eq!(s.score_window, ScoreWindow::Quarter);
    assert!(s.dirty);
    assert!(s.message.as_ref().unwrap().text.contains("90 days"));
    update(&mut s, key('w'));
    assert_eq!(s.score_window, ScoreWindow::Month);
}

#[test]
fn v_toggles_points_and_percent() {
    let mut s = score_state();
    assert_eq!(s.score_view, ScoreView::Points);
    update(&mut s, key('v'));
    assert_eq!(s.score_view, ScoreView::Percent);
    update(&mut s, key('v'));
    assert_eq!(s.score_view, ScoreView::Points);
}

#[test]
fn m_cycles_the_chart_marker_starting_from_the_session_s() {
    let mut s = score_state();
    assert_eq!(s.chart_marker, ChartMarker::Braille);
    let mut seen = Vec::new();
    for _ in 0..ChartMarker::ALL.len() {
        update(&mut s, key('m'));
        seen.push(s.chart_marker);
    }
    assert_eq!(
        seen,
        [
            ChartMarker::Dot,
            ChartMarker::Block,
            ChartMarker::HalfBlock,
            ChartMarker::Bar,
            ChartMarker::Braille
        ]
    );
    assert!(s.message.as_ref().unwrap().text.contains("braille"));

    let mut dot = session();
    dot.chart_marker = ChartMarker::Dot;
    let s = State::new(dot, NOW);
    assert_eq!(s.chart_marker, ChartMarker::Dot);
}

#[test]
fn score_keys_do_not_reach_the_alert_queue() {
    // In the queue `m` comments and `c` classifies; in :score they must not.
    let mut s = score_state();
    update(&mut s, key('m'));
    update(&mut s, key('w'));
    assert!(s.overlay.is_none(), "{:?}", s.overlay);
    assert!(s.writes.is_empty());
}

#[test]
fn c_opens_the_controls_and_esc_returns_to_the_queue() {
    let mut s = score_state();
    let cmds = update(&mut s, key('c'));
    assert_eq!(s.focus, Focus::Controls);
    assert!(cmds.is_empty(), "both reads already done: {cmds:?}");
    update(&mut s, code(KeyCode::Esc));
    assert_eq!(s.focus, Focus::Queue);
}

#[test]
fn r_reloads_both_reads_and_esc_goes_back() {
    let mut s = score_state();
    let cmds = update(&mut s, key('r'));
    assert!(matches!(
        cmds.as_slice(),
        [Command::LoadSecureScores, Command::LoadControlProfiles]
    ));
    assert_eq!(s.score.history_fetch, Fetch::Loading);
    // A second r while both run asks for nothing more.
    assert!(update(&mut s, key('r')).is_empty());
    // The old history stays on screen while the reload runs.
    assert_eq!(s.score.today().unwrap().score, 52.3);
    update(&mut s, code(KeyCode::Esc));
    assert_eq!(s.focus, Focus::Queue);
}

#[test]
fn esc_goes_back_to_the_pane_score_was_opened_from() {
    let mut s = loaded(session(), sample());
    update(&mut s, code(KeyCode::Enter));
    assert_eq!(s.focus, Focus::Detail);
    open_score(&mut s);
    assert_eq!(s.focus, Focus::Score);
    update(&mut s, code(KeyCode::Esc));
    assert_eq!(s.focus, Focus::Detail);
}

#[test]
fn a_failed_history_keeps_the_message_and_the_old_days() {
    let mut s = score_state();
    update(&mut s, key('r'));
    update(
        &mut s,
        Action::SecureScoresLoaded(Err("HTTP 503: service unavailable".into())),
    );
    assert_eq!(
        s.score.history_fetch,
        Fetch::Failed("HTTP 503: service unavailable".into())
    );
    assert_eq!(s.score.today().unwrap().score, 52.3);
    assert!(s.message.as_ref().unwrap().error);
}
