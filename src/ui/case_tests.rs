//! Snapshots of `:cases` at 80x24 and 160x48: the case list (a hostile case name in it, a
//! close on its way, reads waiting for the eDiscovery window), a case's searches tab, and
//! its operations tab with a followed estimate in progress.

use super::tests::{SIZES, screen_text, snapshot};
use crate::app::case_fixtures::*;
use crate::app::cases::{CaseTab, Pacing};
use crate::app::fixtures::{NOW, code};
use crate::app::{Action, State, update};
use ratatui::crossterm::event::KeyCode;
use time::Duration;

fn waiting(s: &mut State) {
    update(
        s,
        Action::CasesPacing(Pacing {
            next_at: Some(NOW + Duration::seconds(31)),
            waiting: 2,
        }),
    );
}

#[test]
fn case_list() {
    for size in SIZES {
        let mut s = listed();
        press(&mut s, "jC");
        press(&mut s, "y");
        press(&mut s, "g");
        waiting(&mut s);
        let text = screen_text(&snapshot("case_list", &mut s, size));
        assert!(text.contains("Contoso investigation"), "{text}");
        assert!(text.contains("closing…"), "{text}");
        assert!(text.contains("next request 12:00:31 UTC"), "{text}");
        assert!(text.contains("2 reads waiting"), "{text}");
        assert!(text.contains(" by Megan"), "{text}");
    }
}

#[test]
fn case_searches_tab() {
    for size in SIZES {
        let mut s = contoso_searches();
        let text = screen_text(&snapshot("case_searches", &mut s, size));
        // At 80 columns the case's name gives way; the tab's name never does.
        let crumbs = if size.0 >= 120 {
            "cases › Contoso investigation › searches"
        } else {
            "cases › Contoso inves… › searches"
        };
        assert!(text.contains(crumbs), "{text}");
        assert!(text.contains("succeeded 1,234 items"), "{text}");
        assert!(text.contains("2 searches"), "{text}");
    }
}

#[test]
fn case_operations_tab_with_an_estimate_in_progress() {
    for size in SIZES {
        let mut s = contoso_searches();
        update(&mut s, Action::OperationProgress(estimate(40)));
        press(&mut s, "6");
        update(
            &mut s,
            Action::CaseTabLoaded {
                case_id: CONTOSO.into(),
                tab: CaseTab::Operations,
                result: Ok(operations()),
            },
        );
        let text = screen_text(&snapshot("case_operations", &mut s, size));
        assert!(text.contains("estimate 'Contoso mail' 40%"), "{text}");
        assert!(text.contains("████░░░░░░ 40%"), "{text}");
        assert!(text.contains("Megan Bowen"), "{text}");
    }
}

#[test]
fn a_tab_waiting_for_the_window_says_so() {
    let mut s = listed();
    update(&mut s, code(KeyCode::Enter));
    waiting(&mut s);
    let text = screen_text(&snapshot("case_tab_waiting", &mut s, SIZES[0]));
    assert!(text.contains("Reading the custodians"), "{text}");
    assert!(text.contains("next request 12:00:31 UTC"), "{text}");
}

#[test]
fn an_operation_in_flight_is_named_from_the_alert_queue_too() {
    let mut s = listed();
    update(&mut s, Action::OperationProgress(estimate(40)));
    update(&mut s, code(KeyCode::Esc));
    assert_eq!(s.focus, crate::app::Focus::Queue);
    let text = screen_text(&super::tests::draw(&mut s, SIZES[1]));
    assert!(text.contains("estimate 'Contoso mail' 40%"), "{text}");
    // Finished: said once, no longer in flight.
    update(&mut s, Action::OperationProgress(estimate_done()));
    let text = screen_text(&super::tests::draw(&mut s, SIZES[1]));
    assert!(!text.contains("'Contoso mail' 40%"), "{text}");
    assert!(
        text.contains("Finished: estimate 'Contoso mail' 100%"),
        "{text}"
    );
}
