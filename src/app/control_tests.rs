//! `update` behaviour of `:controls`, the profile view, planned marks with the what-if
//! projection, and the control editor.

use super::control_keys;
use super::fixtures::*;
use super::score_fixtures::*;
use super::*;
use crate::graph::score::{ControlState, ControlStateUpdate, VendorInformation};
use crate::outbox::{Base, Target, TargetKind};
use ratatui::crossterm::event::KeyCode;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn press(s: &mut State, keys: &str) -> Vec<Command> {
    keys.chars().flat_map(|c| update(s, key(c))).collect()
}

fn type_text(s: &mut State, text: &str) {
    for c in text.chars() {
        let action = if c == '\n' {
            code(KeyCode::Enter)
        } else {
            key(c)
        };
        assert!(update(s, action).is_empty());
    }
}

fn rows(s: &State) -> Vec<String> {
    control_keys::table(s)
        .into_iter()
        .map(|i| s.score.profiles[i].id.clone())
        .collect()
}

fn selected(s: &State) -> Option<&str> {
    s.controls.cursor_id.as_deref()
}

fn message(s: &State) -> &str {
    s.message.as_ref().map_or("", |m| m.text.as_str())
}

fn select(s: &mut State, id: &str) {
    press(s, "g");
    while selected(s) != Some(id) {
        let before = s.controls.cursor;
        press(s, "j");
        assert_ne!(before, s.controls.cursor, "{id} is not listed");
    }
}

#[test]
fn controls_open_loaded_once_most_points_available_first() {
    let mut s = controls();
    assert_eq!(s.focus, Focus::Controls);
    // Available today: AdminMFAV2 10, SigninRiskPolicy 7, BlockLegacyAuth 8-4=4,
    // MailboxAuditOn 3, HostileTitle 2-1=1, DLPEnabled 5-5=0.
    assert_eq!(
        rows(&s),
        [
            "AdminMFAV2",
            "SigninRiskPolicy",
            "BlockLegacyAuth",
            "MailboxAuditOn",
            "HostileTitle",
            "DLPEnabled"
        ]
    );
    assert_eq!(selected(&s), Some("AdminMFAV2"));
    // Esc goes back to the alert queue; opening again asks Graph for nothing.
    assert!(update(&mut s, code(KeyCode::Esc)).is_empty());
    assert_eq!(s.focus, Focus::Queue);
    press(&mut s, ":");
    press(&mut s, "controls");
    assert!(update(&mut s, code(KeyCode::Enter)).is_empty());
    assert_eq!(s.focus, Focus::Controls);
    // r reloads both.
    let cmds = press(&mut s, "r");
    assert!(cmds.contains(&Command::LoadSecureScores));
    assert!(cmds.contains(&Command::LoadControlProfiles));
}

#[test]
fn the_first_rows_wait_for_both_reads_then_the_cursor_follows_its_control() {
    // Profiles first: without today's snapshot every control looks fully available.
    let mut s = State::new(session(), NOW);
    press(&mut s, ":controls");
    update(&mut s, code(KeyCode::Enter));
    update(&mut s, Action::ControlProfilesLoaded(Ok(profiles())));
    assert_eq!(selected(&s), Some("AdminMFAV2"));
    press(&mut s, "j");
    update(&mut s, Action::SecureScoresLoaded(Ok(history())));
    // The order is final only now: the cursor starts at the top.
    assert_eq!(selected(&s), Some("AdminMFAV2"));
    assert_eq!(s.controls.cursor, 0);

    // From then on a reload keeps the analyst's control.
    select(&mut s, "MailboxAuditOn");
    let cmds = press(&mut s, "r");
    assert_eq!(cmds.len(), 2);
    let mut fewer = profiles();
    fewer.retain(|p| p.id != "AdminMFAV2");
    update(&mut s, Action::ControlProfilesLoaded(Ok(fewer)));
    assert_eq!(selected(&s), Some("MailboxAuditOn"));
    assert_eq!(s.controls.cursor, 2);
    // A failed reload keeps the rows and says why.
    update(
        &mut s,
        Action::ControlProfilesLoaded(Err("503 Service Unavailable".into())),
    );
    assert_eq!(rows(&s).len(), 5);
    assert!(message(&s).contains("503"), "{}", message(&s));
}

#[test]
fn filter_narrows_and_esc_clears_it() {
    let mut s = controls();
    press(&mut s, "/");
    type_text(&mut s, "identity");
    assert_eq!(
        rows(&s),
        ["AdminMFAV2", "SigninRiskPolicy", "BlockLegacyAuth"]
    );
    update(&mut s, code(KeyCode::Enter));
    assert_eq!(s.controls.filter, "identity");
    // States match too.
    press(&mut s, "/");
    update(&mut s, ctrl('u'));
    type_text(&mut s, "thirdparty");
    assert_eq!(rows(&s), ["DLPEnabled"]);
    assert_eq!(selected(&s), Some("DLPEnabled"));
    update(&mut s, code(KeyCode::Enter));
    update(&mut s, code(KeyCode::Esc));
    assert!(s.controls.filter.is_empty());
    assert_eq!(rows(&s).len(), 6);
    assert_eq!(s.focus, Focus::Controls);
}

#[test]
fn enter_opens_the_profile_and_esc_comes_back() {
    let mut s = controls();
    select(&mut s, "BlockLegacyAuth");
    update(&mut s, code(KeyCode::Enter));
    assert_eq!(s.focus, Focus::Control);
    let doc = control_keys::document(&s).unwrap();
    let text: Vec<String> = doc
        .iter()
        .map(|l| l.0.iter().map(|(_, t)| t.as_str()).collect())
        .collect();
    let all = text.join("\n");
    for want in [
        "Block legacy authentication",
        "4 of 8 today (4 still available)",
        "Reviewed",
        "- Turn it on",
        "Check & confirm",
        "NIST 800-53",
        "IA-2",
        "State history (2)",
        "assigned to lead@contoso.example",
    ] {
        assert!(all.contains(want), "{want:?} missing from\n{all}");
    }
    assert!(!all.contains('\u{1b}') && !all.contains('\u{7}'));
    // j scrolls the document, esc returns to the same row.
    press(&mut s, "j");
    assert_eq!(s.controls.scroll, 1);
    update(&mut s, code(KeyCode::Esc));
    assert_eq!(s.focus, Focus::Controls);
    assert_eq!(selected(&s), Some("BlockLegacyAuth"));
}

fn planned_session() -> SessionInfo {
    let mut session = session();
    session.planned_file = Some(PathBuf::from("/data/planned/contoso-prod.json"));
    session
}

#[test]
fn planned_marks_project_the_score_and_are_saved() {
    let mut s = controls_state(planned_session());
    assert_eq!(s.score.projection(), None);
    select(&mut s, "SigninRiskPolicy");
    let cmds = press(&mut s, "p");
    assert_eq!(
        cmds,
        [Command::SavePlanned {
            path: PathBuf::from("/data/planned/contoso-prod.json"),
            ids: vec!["SigninRiskPolicy".into()],
        }]
    );
    select(&mut s, "MailboxAuditOn");
    press(&mut s, "p");
    // DLPEnabled already has all its points: planning it adds nothing.
    select(&mut s, "DLPEnabled");
    let cmds = press(&mut s, "p");
    assert_eq!(
        cmds,
        [Command::SavePlanned {
            path: PathBuf::from("/data/planned/contoso-prod.json"),
            ids: vec![
                "DLPEnabled".into(),
                "MailboxAuditOn".into(),
                "SigninRiskPolicy".into()
            ],
        }]
    );
    // Hand-computed: today 10 of 35; Signin adds 7, Mailbox 3, DLP 0 -> 20 of 35 = 57.1 %.
    let p = s.score.projection().unwrap();
    assert_eq!((p.controls, p.gain, p.score, p.max), (2, 10.0, 20.0, 35.0));
    assert_eq!(format!("{:.1}", p.percentage().unwrap()), "57.1");
    assert!(
        message(&s).contains("projected 20 (57.1%)"),
        "{}",
        message(&s)
    );
    // p again unmarks (also from the profile view).
    select(&mut s, "SigninRiskPolicy");
    update(&mut s, code(KeyCode::Enter));
    press(&mut s, "p");
    assert_eq!(s.score.projection().unwrap().score, 13.0);
    assert!(message(&s).starts_with("No longer planned"));
}

#[test]
fn planned_marks_start_from_the_session_and_without_a_file_are_not_saved() {
    let mut session = session();
    session.planned = ["MailboxAuditOn".to_owned()].into_iter().collect();
    let mut s = controls_state(session);
    assert_eq!(s.score.projection().unwrap().score, 13.0);
    select(&mut s, "AdminMFAV2");
    assert!(press(&mut s, "p").is_empty());
    assert_eq!(s.score.projection().unwrap().score, 23.0);
}

fn open_editor(s: &mut State, id: &str) {
    select(s, id);
    assert!(press(s, "e").is_empty());
    assert!(matches!(s.overlay, Some(Overlay::ControlEditor(_))));
}

fn editor(s: &State) -> &controls::ControlEditor {
    match &s.overlay {
        Some(Overlay::ControlEditor(e)) => e,
        other => panic!("no editor: {other:?}"),
    }
}

#[test]
fn the_editor_sends_state_assignee_and_comment_through_the_outbox() {
    let mut s = controls();
    open_editor(&mut s, "BlockLegacyAuth");
    assert_eq!(editor(&s).chosen(), &ControlState::Reviewed);
    assert_eq!(
        editor(&s).assignee().as_deref(),
        Some("lead@contoso.example")
    );
    // Reviewed -> ThirdParty (one step right), a new assignee, a two-line comment.
    update(&mut s, code(KeyCode::Left));
    update(&mut s, code(KeyCode::Right));
    update(&mut s, key('3'));
    assert_eq!(editor(&s).chosen(), &ControlState::ThirdParty);
    update(&mut s, code(KeyCode::Tab));
    update(&mut s, ctrl('u'));
    for _ in 0..40 {
        update(&mut s, code(KeyCode::Backspace));
    }
    type_text(&mut s, "secops@contoso.example");
    update(&mut s, code(KeyCode::Tab));
    type_text(&mut s, "Blocked by our proxy\nsee CHG-1234");
    let cmds = update(&mut s, ctrl('s'));
    assert!(s.overlay.is_none());
    let expected_update = ControlStateUpdate {
        state: Some(ControlState::ThirdParty),
        assigned_to: Some("secops@contoso.example".into()),
        comment: Some("Blocked by our proxy\nsee CHG-1234".into()),
        updated_by: None,
        vendor_information: VendorInformation::secure_score(),
    };
    let base = Base {
        last_update: Some(time::macros::datetime!(2026-11-02 10:30 UTC)),
        fields: BTreeMap::from([
            ("state".into(), "Reviewed".into()),
            ("assignedTo".into(), "lead@contoso.example".into()),
        ]),
    };
    let write_id = match cmds.as_slice() {
        [
            Command::UpdateControl {
                write_id,
                profile_id,
                update: u,
                base: b,
            },
        ] => {
            assert_eq!(profile_id, "BlockLegacyAuth");
            assert_eq!(u, &expected_update);
            assert_eq!(b.as_ref(), Some(&base));
            *write_id
        }
        other => panic!("unexpected commands {other:?}"),
    };
    // Pending on the row and in the profile until Graph answers.
    assert!(s.writes.any_pending(TargetKind::Control, "BlockLegacyAuth"));
    assert_eq!(
        s.pending_control_state("BlockLegacyAuth").as_deref(),
        Some("ThirdParty")
    );
    assert!(message(&s).contains("ThirdParty"), "{}", message(&s));

    // Graph's answer replaces the profile and the score is read again.
    let mut answered = control_json("BlockLegacyAuth");
    answered["controlStateUpdates"]
        .as_array_mut()
        .unwrap()
        .push(
            serde_json::json!({"state": "ThirdParty", "assignedTo": "secops@contoso.example",
            "comment": "Blocked by our proxy\nsee CHG-1234", "updatedBy": "analyst@contoso.example",
            "updatedDateTime": "2026-11-26T12:00:05Z"}),
        );
    let profile =
        crate::graph::score::SecureScoreControlProfile::from_json(&answered.to_string()).unwrap();
    let cmds = update(
        &mut s,
        Action::ControlWriteSucceeded {
            write_id,
            profile: Box::new(profile),
        },
    );
    assert_eq!(cmds, [Command::LoadSecureScores]);
    assert!(!s.writes.any_pending(TargetKind::Control, "BlockLegacyAuth"));
    assert_eq!(
        score::current_state(s.score.profile("BlockLegacyAuth").unwrap()),
        ControlState::ThirdParty
    );
    assert!(message(&s).contains("is now ThirdParty"), "{}", message(&s));
    assert_eq!(selected(&s), Some("BlockLegacyAuth"));
}

#[test]
fn esc_cancels_the_editor_without_a_write() {
    let mut s = controls();
    open_editor(&mut s, "AdminMFAV2");
    update(&mut s, key('3'));
    update(&mut s, code(KeyCode::Tab));
    update(&mut s, code(KeyCode::Tab));
    type_text(&mut s, "not now");
    assert!(update(&mut s, code(KeyCode::Esc)).is_empty());
    assert!(s.overlay.is_none());
    assert!(s.writes.is_empty());
    assert!(message(&s).contains("nothing was sent"));
    assert_eq!(s.focus, Focus::Controls);
}

#[test]
fn an_unchanged_form_sends_nothing_and_a_comment_alone_is_a_change() {
    let mut s = controls();
    open_editor(&mut s, "AdminMFAV2");
    assert!(update(&mut s, ctrl('s')).is_empty());
    assert!(message(&s).contains("Nothing changed"));
    open_editor(&mut s, "AdminMFAV2");
    update(&mut s, code(KeyCode::Tab));
    update(&mut s, code(KeyCode::Tab));
    type_text(&mut s, "Scheduled for Q1");
    match update(&mut s, ctrl('s')).as_slice() {
        [Command::UpdateControl { update: u, .. }] => {
            assert_eq!(u.state, Some(ControlState::Default));
            assert_eq!(u.comment.as_deref(), Some("Scheduled for Q1"));
            assert_eq!(u.assigned_to, None);
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn read_only_profiles_cannot_edit_but_can_plan() {
    let mut session = session();
    session.read_only = true;
    let mut s = controls_state(session);
    press(&mut s, "e");
    assert!(s.overlay.is_none());
    assert!(message(&s).contains("Read-only"));
    press(&mut s, "p");
    assert!(s.score.projection().is_some());
}

#[test]
fn pasted_text_goes_to_the_focused_field_on_one_line_for_the_assignee() {
    let mut s = controls();
    open_editor(&mut s, "AdminMFAV2");
    update(&mut s, code(KeyCode::Tab));
    update(&mut s, Action::Paste("ops\nteam\u{1b}[2J".into()));
    let a = editor(&s).assignee().unwrap();
    assert!(!a.contains('\n') && !a.contains('\u{1b}'), "{a:?}");
    update(&mut s, code(KeyCode::Tab));
    update(&mut s, Action::Paste("line one\r\nline two".into()));
    assert_eq!(
        editor(&s).comment_text().as_deref(),
        Some("line one\nline two")
    );
}

#[test]
fn a_write_whose_reply_was_unreadable_reads_the_controls_again() {
    let mut s = controls();
    open_editor(&mut s, "AdminMFAV2");
    update(&mut s, key('3'));
    let write_id = match update(&mut s, ctrl('s')).as_slice() {
        [Command::UpdateControl { write_id, .. }] => *write_id,
        other => panic!("unexpected {other:?}"),
    };
    let cmds = update(
        &mut s,
        Action::WriteLanded {
            write_id,
            target: Target::control("AdminMFAV2"),
        },
    );
    assert!(cmds.contains(&Command::LoadControlProfiles), "{cmds:?}");
    assert!(cmds.contains(&Command::LoadSecureScores), "{cmds:?}");
    assert!(s.writes.is_empty());
}
