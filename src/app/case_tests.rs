//! `update` behaviour of `:cases`: the list read once, drilling in and back, tabs read
//! lazily with the shown one first, the filter, confirmed writes, read-only, followed
//! operations and the status line's words for them.

use super::case_fixtures::*;
use super::cases::{CaseConfirm, CaseTab, Pacing, rows};
use super::fixtures::*;
use super::*;
use crate::graph::cases::{CaseStatus, Kept};
use ratatui::crossterm::event::KeyCode;
use time::Duration;

fn message(s: &State) -> &str {
    s.message.as_ref().map_or("", |m| m.text.as_str())
}

fn listed_ids(s: &State) -> Vec<String> {
    rows(&s.cases)
        .into_iter()
        .map(|i| s.cases.list[i].id.clone())
        .collect()
}

fn tab_read(case_id: &str, tab: CaseTab, first: bool) -> Command {
    Command::LoadCaseTab {
        case_id: case_id.into(),
        tab,
        first,
    }
}

#[test]
fn cases_open_read_once_newest_modified_first() {
    let mut s = listed();
    assert_eq!(s.focus, Focus::Cases);
    assert_eq!(
        listed_ids(&s),
        ["c-contoso", "c-hostile", "c-fabrikam", "c-old"]
    );
    assert_eq!(s.cases.cursor_id.as_deref(), Some(CONTOSO));
    // Esc goes back to where the analyst was; opening again reads nothing.
    assert!(update(&mut s, code(KeyCode::Esc)).is_empty());
    assert_eq!(s.focus, Focus::Queue);
    assert!(command(&mut s, "cases").is_empty());
    assert_eq!(s.focus, Focus::Cases);
    // r reads the list again, once even if pressed twice while it runs.
    assert_eq!(press(&mut s, "r"), [Command::LoadCases]);
    assert!(press(&mut s, "r").is_empty());
    // A failed read keeps the list and says why (sanitised).
    update(
        &mut s,
        Action::CasesLoaded(Err("403 Forbidden\u{1b}[2J: eDiscovery.Read.All".into())),
    );
    assert_eq!(s.cases.list.len(), 4);
    assert!(message(&s).contains("Loading the cases failed"));
    assert!(!message(&s).contains('\u{1b}'));
}

#[test]
fn the_filter_narrows_the_list_and_esc_clears_it() {
    let mut s = listed();
    press(&mut s, "/closed");
    assert_eq!(listed_ids(&s), ["c-fabrikam", "c-old"]);
    update(&mut s, code(KeyCode::Enter));
    assert_eq!(s.cases.cursor_id.as_deref(), Some("c-fabrikam"));
    press(&mut s, "/");
    update(&mut s, code(KeyCode::Esc));
    assert_eq!(listed_ids(&s).len(), 4);
    // Filtering by who closed it.
    press(&mut s, "/megan");
    assert_eq!(listed_ids(&s), ["c-fabrikam"]);
    update(&mut s, code(KeyCode::Enter));
    // Esc clears a kept filter before it leaves the pane.
    update(&mut s, code(KeyCode::Esc));
    assert_eq!(s.focus, Focus::Cases);
    assert!(s.cases.filter.is_empty());
}

#[test]
fn drilling_in_reads_tabs_lazily_and_the_shown_tab_first() {
    let mut s = listed();
    let cmds = update(&mut s, code(KeyCode::Enter));
    assert_eq!(s.focus, Focus::Case);
    assert_eq!(s.cases.open.as_deref(), Some(CONTOSO));
    assert_eq!(cmds, [tab_read(CONTOSO, CaseTab::Custodians, true)]);
    // Tab to sources while custodians still wait: sources are asked, first.
    let cmds = update(&mut s, code(KeyCode::Tab));
    assert_eq!(s.cases.tab, CaseTab::Sources);
    assert_eq!(cmds, [tab_read(CONTOSO, CaseTab::Sources, true)]);
    // Back to custodians, still waiting: asked again, first, so they move ahead.
    let cmds = update(&mut s, code(KeyCode::BackTab));
    assert_eq!(cmds, [tab_read(CONTOSO, CaseTab::Custodians, true)]);
    update(
        &mut s,
        Action::CaseTabLoaded {
            case_id: CONTOSO.into(),
            tab: CaseTab::Custodians,
            result: Ok(custodians()),
        },
    );
    assert_eq!(s.case_tab_len(), 2);
    // A tab already read is not read again on the way through; 6 jumps to operations.
    assert!(press(&mut s, "1").is_empty());
    assert_eq!(
        press(&mut s, "6"),
        [tab_read(CONTOSO, CaseTab::Operations, true)]
    );
    assert_eq!(s.cases.tab, CaseTab::Operations);
    // r reads the shown tab again.
    press(&mut s, "1");
    assert_eq!(
        press(&mut s, "r"),
        [tab_read(CONTOSO, CaseTab::Custodians, true)]
    );
    // Esc: tab → case list → the alert queue.
    update(&mut s, code(KeyCode::Esc));
    assert_eq!(s.focus, Focus::Cases);
    assert_eq!(s.cases.open, None);
    assert_eq!(s.cases.cursor_id.as_deref(), Some(CONTOSO));
    update(&mut s, code(KeyCode::Esc));
    assert_eq!(s.focus, Focus::Queue);
}

#[test]
fn a_failed_tab_read_says_why_and_r_asks_again() {
    let mut s = listed();
    update(&mut s, code(KeyCode::Enter));
    update(
        &mut s,
        Action::CaseTabLoaded {
            case_id: CONTOSO.into(),
            tab: CaseTab::Custodians,
            result: Err("429 Too Many Requests".into()),
        },
    );
    assert!(message(&s).contains("Reading the custodians failed: 429"));
    assert!(
        press(&mut s, "1").is_empty(),
        "a failure is not retried blindly"
    );
    assert_eq!(
        press(&mut s, "r"),
        [tab_read(CONTOSO, CaseTab::Custodians, true)]
    );
}

#[test]
fn close_and_reopen_ask_first_and_send_exactly_one_command() {
    let mut s = listed();
    // Contoso is active: O says so, C asks.
    assert!(press(&mut s, "O").is_empty());
    assert!(message(&s).contains("is not closed"));
    assert!(s.overlay.is_none());
    assert!(press(&mut s, "C").is_empty());
    assert!(matches!(
        &s.overlay,
        Some(Overlay::CaseConfirm(CaseConfirm::Close { case_id, .. })) if case_id == CONTOSO
    ));
    // A stray key neither sends nor closes the question; n cancels.
    assert!(press(&mut s, "x").is_empty());
    assert!(s.overlay.is_some());
    assert!(press(&mut s, "n").is_empty());
    assert!(s.overlay.is_none());
    press(&mut s, "C");
    assert_eq!(
        press(&mut s, "y"),
        [Command::CloseCase {
            case_id: CONTOSO.into()
        }]
    );
    assert_eq!(s.cases.pending.get(CONTOSO), Some(&"closing…"));
    // Asking again while it is on its way does nothing.
    assert!(press(&mut s, "C").is_empty());
    assert!(s.overlay.is_none());
    // Graph's 400 is the error line; the case is no longer pending.
    update(
        &mut s,
        Action::CaseWritten {
            case_id: Some(CONTOSO.into()),
            result: Err("400 Bad Request: The case cannot be closed: it is closing.".into()),
        },
    );
    assert!(s.cases.pending.is_empty());
    let m = s.message.clone().unwrap();
    assert!(m.error);
    assert!(
        m.text.contains("Closing the case failed: 400"),
        "{}",
        m.text
    );
    // Reopening the closed Fabrikam case, from inside it.
    press(&mut s, "j");
    press(&mut s, "j");
    assert_eq!(s.cases.cursor_id.as_deref(), Some("c-fabrikam"));
    update(&mut s, code(KeyCode::Enter));
    press(&mut s, "O");
    assert_eq!(
        press(&mut s, "y"),
        [Command::ReopenCase {
            case_id: "c-fabrikam".into()
        }]
    );
    let reopened = Kept::from_json(
        r#"{"id":"c-fabrikam","displayName":"Fabrikam merger review","status":"active",
            "lastModifiedDateTime":"2026-11-26T12:00:00Z"}"#,
    )
    .unwrap();
    update(
        &mut s,
        Action::CaseWritten {
            case_id: Some("c-fabrikam".into()),
            result: Ok(Box::new(reopened)),
        },
    );
    assert_eq!(
        s.cases.case("c-fabrikam").unwrap().status,
        Some(CaseStatus::Active)
    );
    assert!(message(&s).contains("is now active"));
}

#[test]
fn a_new_case_form_sends_name_and_description_on_ctrl_s() {
    let mut s = listed();
    assert!(press(&mut s, "n").is_empty());
    assert!(matches!(s.overlay, Some(Overlay::CaseForm(_))));
    // No name: nothing is sent and the form stays.
    assert!(update(&mut s, ctrl('s')).is_empty());
    assert!(matches!(s.overlay, Some(Overlay::CaseForm(_))));
    press(&mut s, "Northwind leak");
    update(&mut s, code(KeyCode::Tab));
    press(&mut s, "Mail to a competitor");
    let cmds = update(&mut s, ctrl('s'));
    assert_eq!(
        cmds,
        [Command::CreateCase {
            display_name: "Northwind leak".into(),
            description: Some("Mail to a competitor".into()),
        }]
    );
    assert!(s.overlay.is_none());
    assert_eq!(s.cases.creating.as_deref(), Some("Northwind leak"));
    let created = Kept::from_json(
        r#"{"id":"c-new","displayName":"Northwind leak","status":"active",
            "createdDateTime":"2026-11-26T12:00:00Z","lastModifiedDateTime":"2026-11-26T12:00:00Z"}"#,
    )
    .unwrap();
    update(
        &mut s,
        Action::CaseWritten {
            case_id: None,
            result: Ok(Box::new(created)),
        },
    );
    assert_eq!(s.cases.creating, None);
    assert_eq!(listed_ids(&s)[0], "c-new");
    assert_eq!(s.cases.cursor_id.as_deref(), Some("c-new"));
    // Esc cancels a form without a write.
    press(&mut s, "n");
    press(&mut s, "x");
    assert!(update(&mut s, code(KeyCode::Esc)).is_empty());
    assert!(s.overlay.is_none());
}

#[test]
fn a_custodian_is_added_by_email_in_the_custodians_tab() {
    let mut s = contoso_searches();
    // Not in the searches tab.
    assert!(press(&mut s, "a").is_empty());
    assert!(s.overlay.is_none());
    press(&mut s, "1");
    assert!(press(&mut s, "a").is_empty());
    press(&mut s, "meganb@contoso.com");
    let cmds = update(&mut s, code(KeyCode::Enter));
    assert_eq!(
        cmds,
        [Command::AddCustodian {
            case_id: CONTOSO.into(),
            email: "meganb@contoso.com".into()
        }]
    );
    let added = Kept::from_json(
        r#"{"id":"cu3","displayName":"Megan Bowen","email":"meganb@contoso.com","status":"active"}"#,
    )
    .unwrap();
    update(
        &mut s,
        Action::CustodianAdded {
            case_id: CONTOSO.into(),
            email: "meganb@contoso.com".into(),
            result: Ok(Box::new(added)),
        },
    );
    assert_eq!(s.case_tab_len(), 3);
    assert!(s.cases.adding.is_empty());
    assert!(message(&s).contains("added"));
}

#[test]
fn an_estimate_is_asked_for_on_the_selected_search() {
    let mut s = contoso_searches();
    press(&mut s, "j");
    assert!(press(&mut s, "E").is_empty());
    let Some(Overlay::CaseConfirm(c)) = &s.overlay else {
        panic!("asks first");
    };
    assert_eq!(c.question(), "Start an estimate on 'Trading chats'? y/n");
    assert_eq!(
        press(&mut s, "y"),
        [Command::CasesEstimate {
            case_id: CONTOSO.into(),
            search_id: "s2".into(),
            label: "Trading chats".into(),
        }]
    );
}

#[test]
fn read_only_sessions_refuse_every_case_write() {
    let mut session = session();
    session.read_only = true;
    let mut s = cases_state(session);
    for k in ["C", "O", "n"] {
        assert!(press(&mut s, k).is_empty());
        assert!(s.overlay.is_none(), "{k} opened something");
        assert!(message(&s).contains("Read-only"), "{k}: {}", message(&s));
    }
    update(&mut s, code(KeyCode::Enter));
    press(&mut s, "3");
    for k in ["E", "a"] {
        s.message = None;
        assert!(press(&mut s, k).is_empty());
        assert!(s.overlay.is_none());
        assert!(message(&s).contains("Read-only"));
    }
    // Reading is still allowed.
    assert!(!press(&mut s, "r").is_empty());
}

#[test]
fn followed_operations_upsert_and_name_themselves_in_the_status_line() {
    let mut s = contoso_searches();
    // Before Graph names it: keyed by (case, label).
    let mut starting = estimate(0);
    starting.operation_id.clear();
    starting.status = None;
    starting.percent = None;
    update(&mut s, Action::OperationProgress(starting));
    assert_eq!(s.cases.operations.len(), 1);
    assert_eq!(
        cases::operation_line(s.cases.in_flight().unwrap()),
        "estimate 'Contoso mail' starting…"
    );
    update(&mut s, Action::OperationProgress(estimate(40)));
    assert_eq!(s.cases.operations.len(), 1, "the same operation, now named");
    assert_eq!(
        cases::operation_line(s.cases.in_flight().unwrap()),
        "estimate 'Contoso mail' 40%"
    );
    // Another operation is another row.
    let mut other = estimate(10);
    other.operation_id = "op-other".into();
    other.label = "Trading chats".into();
    update(&mut s, Action::OperationProgress(other));
    assert_eq!(s.cases.operations.len(), 2);
    // Done: the counts are kept, the status line says so, and the searches tab (shown)
    // is read again for the new last estimate.
    let cmds = update(&mut s, Action::OperationProgress(estimate_done()));
    assert_eq!(s.cases.operations.len(), 2);
    assert_eq!(cmds, [tab_read(CONTOSO, CaseTab::Searches, true)]);
    assert!(message(&s).contains("Finished: estimate 'Contoso mail' 100%"));
    assert_eq!(
        s.cases.operations[0].counts.unwrap().indexed_item_count,
        Some(2048)
    );
    // The same final report again is not news.
    s.message = None;
    assert!(update(&mut s, Action::OperationProgress(estimate_done())).is_empty());
    assert!(s.message.is_none());
    // A start that failed is finished and says why.
    let mut failed = estimate(0);
    failed.operation_id.clear();
    failed.label = "Trading chats 2".into();
    failed.status = None;
    failed.error = Some("400: the case is closed".into());
    update(&mut s, Action::OperationProgress(failed));
    assert!(message(&s).contains("failed to start"));
}

#[test]
fn pacing_is_kept_and_redraws_only_when_it_changes() {
    let mut s = listed();
    let p = Pacing {
        next_at: Some(NOW + Duration::seconds(31)),
        waiting: 2,
    };
    s.dirty = false;
    update(&mut s, Action::CasesPacing(p));
    assert!(s.dirty);
    assert_eq!(s.cases.pacing, p);
    s.dirty = false;
    update(&mut s, Action::CasesPacing(p));
    assert!(!s.dirty, "the same pacing draws nothing");
    // A read waiting for the window: ticks draw nothing (no spinner, an absolute time).
    press(&mut s, "r");
    s.dirty = false;
    update(&mut s, Action::Tick);
    assert!(!s.dirty);
    // Once the window lets it go, the spinner runs while the read does.
    update(&mut s, Action::CasesPacing(Pacing::default()));
    s.dirty = false;
    update(&mut s, Action::Tick);
    assert!(s.dirty);
}

#[test]
fn start_up_resumes_followed_operations_once() {
    let mut s = State::new(session(), NOW);
    let cmds = s.initial_commands();
    assert_eq!(
        cmds.iter()
            .filter(|c| **c == Command::ResumeOperations)
            .count(),
        1
    );
    // Opening :cases does not resume them again.
    let cmds = command(&mut s, "cases");
    assert_eq!(cmds, [Command::LoadCases]);
}
