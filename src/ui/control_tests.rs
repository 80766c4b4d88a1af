//! Snapshots of `:controls`, the profile view and the control editor at 80x24 and 160x48,
//! with a hostile control title and history comment in the data.

use super::tests::{SIZES, screen_text, snapshot};
use crate::app::fixtures::{code, ctrl, key, session};
use crate::app::score_fixtures::{controls, controls_state};
use crate::app::{Action, State, update};
use ratatui::crossterm::event::KeyCode;

fn press(s: &mut State, keys: &str) {
    for c in keys.chars() {
        update(s, key(c));
    }
}

/// Two controls planned, one write pending.
fn busy() -> State {
    let mut session = session();
    session.planned = ["MailboxAuditOn".to_owned(), "SigninRiskPolicy".to_owned()]
        .into_iter()
        .collect();
    let mut s = controls_state(session);
    press(&mut s, "jj");
    press(&mut s, "e3");
    update(&mut s, ctrl('s'));
    press(&mut s, "g");
    s
}

#[test]
fn controls_table() {
    for size in SIZES {
        let mut s = busy();
        let buf = snapshot("controls", &mut s, size);
        let text = screen_text(&buf);
        assert!(
            text.contains("projected 20 (57.1%) if 2 planned done (+10)"),
            "{text}"
        );
    }
}

#[test]
fn controls_filtered_to_nothing_and_loading() {
    let mut s = controls();
    press(&mut s, "/zzz");
    update(&mut s, code(KeyCode::Enter));
    let text = screen_text(&snapshot("controls_no_match", &mut s, SIZES[0]));
    assert!(text.contains("No control matches"));
    let mut s = crate::app::State::new(session(), crate::app::fixtures::NOW);
    press(&mut s, ":controls");
    update(&mut s, code(KeyCode::Enter));
    let text = screen_text(&snapshot("controls_loading", &mut s, SIZES[0]));
    assert!(text.contains("Loading control profiles"));
    update(
        &mut s,
        Action::ControlProfilesLoaded(Err(
            "403 Forbidden: \u{1b}[2Jno SecurityEvents.Read.All".into()
        )),
    );
    let text = screen_text(&snapshot("controls_failed", &mut s, SIZES[0]));
    assert!(text.contains("Could not load the control profiles"));
}

#[test]
fn control_profile_view() {
    for size in SIZES {
        let mut s = busy();
        press(&mut s, "jj");
        update(&mut s, code(KeyCode::Enter));
        snapshot("control_profile", &mut s, size);
    }
}

#[test]
fn hostile_control_profile_is_drawn_safely() {
    let mut s = controls();
    press(&mut s, "/hostile");
    update(&mut s, code(KeyCode::Enter));
    update(&mut s, code(KeyCode::Enter));
    snapshot("control_profile_hostile", &mut s, SIZES[0]);
}

#[test]
fn control_editor() {
    for size in SIZES {
        let mut s = controls();
        press(&mut s, "jje3");
        update(&mut s, code(KeyCode::Tab));
        update(&mut s, code(KeyCode::Tab));
        for c in "Blocked at the proxy".chars() {
            update(&mut s, key(c));
        }
        update(&mut s, code(KeyCode::Enter));
        for c in "CHG-1234".chars() {
            update(&mut s, key(c));
        }
        snapshot("control_editor", &mut s, size);
    }
}
