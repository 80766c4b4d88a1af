//! Snapshots of `:assess` at 80x24 and 160x48: the list (a pending request followed), a
//! request's detail, the form for a URL and for a file, a form with a field refused, the
//! list loading and failed, and a hostile request (escape sequences and bidi overrides in
//! its URL, its creator and its result message).

use super::tests::{SIZES, screen_text, snapshot};
use crate::app::assess_fixtures::*;
use crate::app::fixtures::{NOW, code, session};
use crate::app::{Action, Command, State, update};
use ratatui::crossterm::event::KeyCode;

#[test]
fn assess_list() {
    for size in SIZES {
        let mut s = listed();
        let text = screen_text(&snapshot("assess_list", &mut s, size));
        assert!(text.contains("│ assessments"), "{text}");
        assert!(text.contains("invoice-4471.pdf.exe"), "{text}");
        assert!(text.contains("pending…"), "{text}");
        assert!(text.contains("email file"), "{text}");
        assert!(text.contains("4 requests"), "{text}");
        assert!(text.contains("1 awaiting a verdict"), "{text}");
        if size.0 >= 120 {
            assert!(
                text.contains("Phishing: blocked at time of click."),
                "{text}"
            );
            assert!(text.contains("2026-11-26 11:30"), "{text}");
        } else {
            assert!(text.contains("11-26 11:30"), "{text}");
        }
    }
}

#[test]
fn assess_detail() {
    for size in SIZES {
        let mut s = listed();
        press(&mut s, "jj");
        update(&mut s, code(KeyCode::Enter));
        let text = screen_text(&snapshot("assess_detail", &mut s, size));
        let crumbs = if size.0 >= 120 {
            "assessments › adelev@contoso.example"
        } else {
            "assessments › adelev@contoso.exa…"
        };
        assert!(text.contains(crumbs), "{text}");
        assert!(text.contains("Routing reason"), "{text}");
        assert!(text.contains("Spam: moved to Junk."), "{text}");
        assert!(text.contains("Megan Bowen"), "{text}");
    }
}

#[test]
fn assess_form_url() {
    for size in SIZES {
        let mut s = listed();
        form_of(&mut s, 0);
        tab(&mut s);
        press(&mut s, "https://login.contoso-payroll.example/verify");
        let text = screen_text(&snapshot("assess_form_url", &mut s, size));
        assert!(text.contains("New threat assessment"), "{text}");
        assert!(
            text.contains("login.contoso-payroll.example/verify"),
            "{text}"
        );
        assert!(text.contains("phishing"), "{text}");
        assert!(text.contains("unblock"), "{text}");
        assert!(text.contains("ctrl-s submit"), "{text}");
    }
}

#[test]
fn assess_form_file() {
    for size in SIZES {
        let mut s = listed();
        form_of(&mut s, 2);
        tab(&mut s);
        press(&mut s, "~/samples/invoice-4471.pdf.exe");
        let text = screen_text(&snapshot("assess_form_file", &mut s, size));
        assert!(text.contains("File"), "{text}");
        assert!(text.contains("~/samples/invoice-4471.pdf.exe"), "{text}");
        assert!(
            !text.contains("URL"),
            "a file request has no URL field: {text}"
        );
    }
}

#[test]
fn assess_form_with_an_error() {
    let mut s = listed();
    form_of(&mut s, 1);
    tab(&mut s);
    press(
        &mut s,
        "https://graph.microsoft.com/v1.0/users/u1/messages/m1",
    );
    tab(&mut s);
    press(&mut s, "adele at contoso");
    assert!(send(&mut s).is_empty());
    let text = screen_text(&snapshot("assess_form_error", &mut s, SIZES[0]));
    assert!(text.contains("Recipient"), "{text}");
    assert!(
        text.contains("The recipient must be a mail address"),
        "{text}"
    );
}

#[test]
fn assess_loading_and_failed() {
    let mut s = State::new(session(), NOW);
    update(&mut s, Action::Resize(80, 24));
    assert_eq!(command(&mut s, "assess"), [Command::LoadAssessments]);
    let text = screen_text(&snapshot("assess_loading", &mut s, SIZES[0]));
    assert!(
        text.contains("Reading the threat assessment requests…"),
        "{text}"
    );
    assert!(text.contains("reading"), "{text}");
    update(
        &mut s,
        Action::AssessmentsLoaded(Err(
            "Graph 403 Forbidden: ThreatAssessment.ReadWrite.All is missing".into(),
        )),
    );
    let text = screen_text(&snapshot("assess_failed", &mut s, SIZES[0]));
    assert!(
        text.contains("Could not read the assessment requests"),
        "{text}"
    );
}

#[test]
fn assess_hostile() {
    for size in SIZES {
        let mut list = requests();
        list.push(hostile());
        let (mut s, _) = assess_state_with(session(), list);
        let text = screen_text(&snapshot("assess_hostile_list", &mut s, size));
        assert!(text.contains("http://evil.example/"), "{text}");
        assert!(text.contains('\u{FFFD}'), "tampering shows: {text}");
        // Open it: its creator and its result message are drawn too.
        let row = crate::app::assess::rows(&s.assess)
            .iter()
            .position(|&i| s.assess.list[i].id == "ta-evil")
            .unwrap();
        press(&mut s, "g");
        for _ in 0..row {
            press(&mut s, "j");
        }
        update(&mut s, code(KeyCode::Enter));
        let text = screen_text(&snapshot("assess_hostile_detail", &mut s, size));
        assert!(text.contains("Malware"), "{text}");
        assert!(text.contains("Mallory"), "{text}");
        assert!(!text.contains("pwned\u{7}"), "{text}");
    }
}
