//! `app::update` tests of `:assess`: the list and its follows, the detail, the form's
//! checks (each required field of each kind, malformed URL / address / message URI), a file
//! the worker cannot send, Esc, a submission that lands and its verdict arriving, and a
//! 429 that keeps what was typed.

use super::assess::{AssessDraft, DraftTarget, SubmitFailure};
use super::assess_fixtures::*;
use super::assess_form::FormField;
use super::fixtures::{NOW, code, session};
use super::{Action, Command, Focus, Overlay, State, update};
use crate::assess_file::{FileProblem, MAX_FILE_BYTES};
use crate::graph::assess::{ExpectedAssessment, ThreatCategory};
use ratatui::crossterm::event::KeyCode;
use std::path::PathBuf;

const URL: &str = "https://login.contoso-payroll.example/verify";

/// The form's field with the keys and its complaint, when the form is open.
fn form_state(s: &State) -> Option<(FormField, Option<String>)> {
    match &s.overlay {
        Some(Overlay::AssessForm(f)) => Some((f.field, f.error.as_ref().map(|e| e.text.clone()))),
        _ => None,
    }
}

fn form_text(s: &State, field: FormField) -> String {
    match &s.overlay {
        Some(Overlay::AssessForm(f)) => f.text(field),
        _ => panic!("the form is open"),
    }
}

fn status(s: &State) -> String {
    s.message
        .as_ref()
        .map(|m| m.text.clone())
        .unwrap_or_default()
}

/// Ctrl-S is refused: the form stays open on `field`, its complaint contains `says`, the
/// status line names the field, and nothing is sent.
fn refused(s: &mut State, field: FormField, label: &str, says: &str) {
    assert!(send(s).is_empty(), "nothing is sent");
    let (on, error) = form_state(s).expect("the form stays open");
    assert_eq!(on, field);
    let error = error.expect("the field's problem is shown");
    assert!(error.contains(says), "{error}");
    let line = status(s);
    assert!(line.starts_with(label), "{line}");
    assert!(s.message.as_ref().unwrap().error);
}

fn submitted(commands: Vec<Command>) -> AssessDraft {
    match commands.as_slice() {
        [Command::SubmitAssessment(d)] => d.clone(),
        other => panic!("one submit: {other:?}"),
    }
}

#[test]
fn the_list_loads_once_newest_first_and_follows_only_the_pending() {
    let (mut s, follows) = assess_state_with(session(), requests());
    assert_eq!(s.focus, Focus::Assess);
    assert_eq!(
        follows,
        [Command::FollowAssessments {
            ids: vec!["ta-file".into()]
        }],
        "completed requests are not polled"
    );
    let order: Vec<&str> = super::assess::rows(&s.assess)
        .iter()
        .map(|&i| s.assess.list[i].id.as_str())
        .collect();
    assert_eq!(order, ["ta-file", "ta-url", "ta-mail", "ta-eml"]);
    assert_eq!(s.assess.cursor_id.as_deref(), Some("ta-file"));
    // Opening again reads nothing; r reads again.
    update(&mut s, code(KeyCode::Esc));
    assert_eq!(s.focus, Focus::Queue);
    let again = command(&mut s, "assess");
    assert!(!again.contains(&Command::LoadAssessments), "{again:?}");
    assert_eq!(press(&mut s, "r"), [Command::LoadAssessments]);
}

#[test]
fn a_load_that_fails_says_why_and_keeps_what_was_shown() {
    let mut s = listed();
    press(&mut s, "r");
    update(
        &mut s,
        Action::AssessmentsLoaded(Err("cannot reach Graph: refused".into())),
    );
    assert!(status(&s).contains("cannot reach Graph"), "{}", status(&s));
    assert_eq!(s.assess.list.len(), 4);
}

#[test]
fn leaving_the_pane_stops_the_polls_and_coming_back_starts_them_again() {
    let mut s = listed();
    assert_eq!(
        update(&mut s, code(KeyCode::Esc)),
        [Command::StopFollowingAssessments]
    );
    assert!(s.assess.followed.is_empty());
    let back = command(&mut s, "assess");
    assert_eq!(
        back,
        [Command::FollowAssessments {
            ids: vec!["ta-file".into()]
        }]
    );
    // Any route out counts, not only esc.
    assert_eq!(
        command(&mut s, "alerts"),
        [Command::StopFollowingAssessments]
    );
}

#[test]
fn enter_shows_every_field_and_the_results_and_esc_comes_back() {
    let mut s = listed();
    press(&mut s, "jj");
    assert_eq!(s.assess.cursor_id.as_deref(), Some("ta-mail"));
    update(&mut s, code(KeyCode::Enter));
    assert_eq!(s.focus, Focus::Assessment);
    let doc: Vec<String> = s
        .assess_document()
        .unwrap()
        .iter()
        .map(|l| l.0.iter().map(|(_, t)| t.as_str()).collect())
        .collect();
    let text = doc.join("\n");
    for want in [
        "mail assessment: adelev@contoso.example",
        "Megan Bowen",
        "notJunk",
        "users/u-adele/messages/AAMkAGQ1",
        "Expected",
        "Results (2)",
        "checkPolicy",
        "Spam: moved to Junk.",
    ] {
        assert!(text.contains(want), "{want}: {text}");
    }
    update(&mut s, code(KeyCode::Esc));
    assert_eq!(s.focus, Focus::Assess);
    assert_eq!(s.assess.cursor_id.as_deref(), Some("ta-mail"));
}

#[test]
fn the_filter_narrows_on_what_the_list_shows() {
    let mut s = listed();
    press(&mut s, "/spam");
    update(&mut s, code(KeyCode::Enter));
    let shown: Vec<&str> = super::assess::rows(&s.assess)
        .iter()
        .map(|&i| s.assess.list[i].id.as_str())
        .collect();
    assert_eq!(shown, ["ta-mail", "ta-eml"]);
    update(&mut s, code(KeyCode::Esc));
    assert_eq!(super::assess::rows(&s.assess).len(), 4, "esc clears it");
}

#[test]
fn a_url_is_required_and_must_be_absolute_http() {
    let mut s = listed();
    form_of(&mut s, 0);
    refused(&mut s, FormField::Url, "URL", "A URL is required");
    press(&mut s, "contoso.example/login");
    refused(&mut s, FormField::Url, "URL", "absolute");
    // Typing in the field at fault clears its complaint.
    update(&mut s, code(KeyCode::Home));
    press(&mut s, "ftp://");
    assert_eq!(form_state(&s).unwrap().1, None);
    refused(&mut s, FormField::Url, "URL", "http:// or https://");
}

#[test]
fn a_mail_needs_a_graph_message_uri_and_a_recipient_address() {
    let mut s = listed();
    form_of(&mut s, 1);
    refused(
        &mut s,
        FormField::MessageUri,
        "Message URI",
        "message URI is required",
    );
    press(
        &mut s,
        "https://graph.microsoft.com/v1.0/users/u1/events/e1",
    );
    refused(
        &mut s,
        FormField::MessageUri,
        "Message URI",
        "/messages/{id}",
    );
    while !form_text(&s, FormField::MessageUri).is_empty() {
        update(&mut s, code(KeyCode::Backspace));
    }
    press(
        &mut s,
        "https://graph.microsoft.com/v1.0/users/u1/messages/m1",
    );
    refused(
        &mut s,
        FormField::Recipient,
        "Recipient",
        "recipient's address is required",
    );
    press(&mut s, "adele at contoso");
    refused(&mut s, FormField::Recipient, "Recipient", "mail address");
    while !form_text(&s, FormField::Recipient).is_empty() {
        update(&mut s, code(KeyCode::Backspace));
    }
    press(&mut s, "adelev@contoso.example");
    let draft = submitted(send(&mut s));
    assert_eq!(
        draft.target,
        DraftTarget::Mail {
            message_uri: "https://graph.microsoft.com/v1.0/users/u1/messages/m1".into(),
            recipient: "adelev@contoso.example".into(),
        }
    );
    assert!(s.overlay.is_none());
}

#[test]
fn a_file_needs_a_path() {
    let mut s = listed();
    form_of(&mut s, 2);
    refused(&mut s, FormField::Path, "File", "A file path is required");
}

#[test]
fn an_email_file_needs_a_path_and_a_recipient() {
    let mut s = listed();
    form_of(&mut s, 3);
    refused(
        &mut s,
        FormField::Path,
        "Email file (.eml)",
        "The .eml file's path is required",
    );
    press(&mut s, "/tmp/report.eml");
    refused(
        &mut s,
        FormField::Recipient,
        "Recipient",
        "recipient's address is required",
    );
    press(&mut s, "alexw@contoso");
    refused(&mut s, FormField::Recipient, "Recipient", "mail address");
    press(&mut s, ".example");
    let draft = submitted(send(&mut s));
    assert_eq!(
        draft.target,
        DraftTarget::EmailFile {
            path: PathBuf::from("/tmp/report.eml"),
            recipient: "alexw@contoso.example".into(),
        }
    );
}

#[test]
fn the_pickers_choose_kind_category_and_expected_assessment() {
    let mut s = listed();
    form_of(&mut s, 0);
    tab(&mut s);
    press(&mut s, URL);
    tab(&mut s);
    update(&mut s, code(KeyCode::Right)); // phishing → malware
    tab(&mut s);
    press(&mut s, " "); // block → unblock
    let draft = submitted(send(&mut s));
    assert_eq!(draft.category, ThreatCategory::Malware);
    assert_eq!(draft.expected, ExpectedAssessment::Unblock);
    assert_eq!(draft.target, DraftTarget::Url { url: URL.into() });
}

#[test]
fn shift_tab_goes_back_and_the_defaults_are_phishing_and_block() {
    let mut s = listed();
    form_of(&mut s, 0);
    update(&mut s, code(KeyCode::BackTab));
    assert_eq!(form_state(&s).unwrap().0, FormField::Expected);
    update(&mut s, code(KeyCode::BackTab));
    update(&mut s, code(KeyCode::BackTab));
    assert_eq!(form_state(&s).unwrap().0, FormField::Url);
    press(&mut s, URL);
    let draft = submitted(send(&mut s));
    assert_eq!(draft.category, ThreatCategory::Phishing);
    assert_eq!(draft.expected, ExpectedAssessment::Block);
}

#[test]
fn a_paste_goes_into_the_field_sanitised_and_on_one_line() {
    let mut s = listed();
    form_of(&mut s, 0);
    tab(&mut s);
    update(
        &mut s,
        Action::Paste("https://contoso.example/a\u{1b}[2J\nb".into()),
    );
    let text = form_text(&s, FormField::Url);
    assert!(!text.contains('\u{1b}') && !text.contains('\n'), "{text:?}");
    assert!(text.starts_with("https://contoso.example/a"), "{text:?}");
}

#[test]
fn esc_cancels_and_nothing_is_sent_or_kept() {
    let mut s = listed();
    form_of(&mut s, 0);
    tab(&mut s);
    press(&mut s, URL);
    assert!(update(&mut s, code(KeyCode::Esc)).is_empty());
    assert!(s.overlay.is_none());
    assert!(status(&s).contains("nothing was sent"), "{}", status(&s));
    assert_eq!(s.focus, Focus::Assess, "esc closed the form, not the pane");
    form_of(&mut s, 0);
    assert_eq!(
        form_text(&s, FormField::Url),
        "",
        "a cancelled form is not kept"
    );
}

/// The file form sent with `path`; the worker's answer is `problem`.
fn file_refused(path: &str, problem: String) -> State {
    let mut s = listed();
    form_of(&mut s, 2);
    tab(&mut s);
    press(&mut s, path);
    let draft = submitted(send(&mut s));
    assert_eq!(
        draft.target,
        DraftTarget::File {
            path: PathBuf::from(path)
        }
    );
    assert!(
        s.overlay.is_none(),
        "the form closes while the file is read"
    );
    assert!(s.assess.sending.is_some());
    let after = update(
        &mut s,
        Action::AssessmentSubmitted(Err(SubmitFailure::File(problem))),
    );
    assert!(after.is_empty(), "nothing is submitted: {after:?}");
    assert!(s.assess.sending.is_none());
    s
}

#[test]
fn a_missing_file_keeps_the_form_with_the_readers_message() {
    // The reader's own problem, as the worker sends it back (no I/O in app tests).
    let path = "/srv/samples/no-such-sample.bin";
    let problem = FileProblem::Missing(PathBuf::from(path)).to_string();
    let s = file_refused(path, problem);
    let (field, error) = form_state(&s).expect("the form is back");
    assert_eq!(field, FormField::Path);
    let error = error.unwrap();
    assert_eq!(error, format!("no file named {path}"));
    assert_eq!(
        form_text(&s, FormField::Path),
        path,
        "the path typed is kept"
    );
    assert!(
        status(&s).contains("Not sent: no file named"),
        "{}",
        status(&s)
    );
}

#[test]
fn a_file_too_big_keeps_the_form_and_names_the_limit() {
    let path = "/srv/samples/big.bin";
    let problem = FileProblem::TooBig {
        path: PathBuf::from(path),
        size: MAX_FILE_BYTES + 1,
    }
    .to_string();
    let s = file_refused(path, problem);
    let (field, error) = form_state(&s).expect("the form is back");
    assert_eq!(field, FormField::Path);
    let error = error.unwrap();
    assert!(
        error.contains("big.bin is 3000001 bytes; Graph takes files up to 3000000 bytes"),
        "{error}"
    );
}

#[test]
fn a_submission_that_lands_is_the_pending_top_row_and_is_followed() {
    let mut s = listed();
    press(&mut s, "G");
    form_of(&mut s, 0);
    tab(&mut s);
    press(&mut s, URL);
    submitted(send(&mut s));
    let follow = update(
        &mut s,
        Action::AssessmentSubmitted(Ok(Box::new(submitted_url(URL)))),
    );
    assert_eq!(
        follow,
        [Command::FollowAssessments {
            ids: vec!["ta-new".into()]
        }]
    );
    let top = super::assess::rows(&s.assess)[0];
    assert_eq!(s.assess.list[top].id, "ta-new");
    assert_eq!(s.assess.cursor, 0);
    assert_eq!(s.assess.cursor_id.as_deref(), Some("ta-new"));
    assert_eq!(super::assess::verdicts(&s.assess.list[top]), "pending…");
    assert!(status(&s).contains("is pending"), "{}", status(&s));
    assert!(s.assess.draft.is_none());
    // A reload that does not list it yet keeps it.
    press(&mut s, "r");
    update(&mut s, Action::AssessmentsLoaded(Ok(requests())));
    assert!(s.assess.request("ta-new").is_some());
}

#[test]
fn a_poll_with_the_verdict_changes_the_row_and_the_status_line() {
    let mut s = listed();
    form_of(&mut s, 0);
    tab(&mut s);
    press(&mut s, URL);
    send(&mut s);
    update(
        &mut s,
        Action::AssessmentSubmitted(Ok(Box::new(submitted_url(URL)))),
    );
    // A poll that finds it still pending changes nothing and says nothing.
    let before = status(&s);
    update(
        &mut s,
        Action::AssessmentPolled(Box::new(submitted_url(URL))),
    );
    assert_eq!(status(&s), before);
    assert!(s.assess.followed.contains("ta-new"));
    // Open its detail: it changes in place too.
    update(&mut s, code(KeyCode::Enter));
    update(&mut s, Action::AssessmentPolled(Box::new(verdict_url(URL))));
    let r = s.assess.request("ta-new").unwrap();
    assert!(!r.is_pending());
    assert_eq!(
        super::assess::verdicts(r),
        "Phishing: blocked at time of click."
    );
    assert_eq!(
        status(&s),
        format!("Verdict for {URL}: Phishing: blocked at time of click.")
    );
    assert!(!s.assess.followed.contains("ta-new"), "no longer followed");
    let doc: String = s
        .assess_document()
        .unwrap()
        .iter()
        .flat_map(|l| l.0.iter().map(|(_, t)| t.clone()))
        .collect();
    assert!(doc.contains("Results (2)"), "{doc}");
    // Said once: a later copy of the same verdict does not repeat it.
    s.message = None;
    update(&mut s, Action::AssessmentPolled(Box::new(verdict_url(URL))));
    assert_eq!(s.message, None);
}

#[test]
fn a_verdict_on_a_request_found_in_the_list_changes_its_row_quietly() {
    let mut s = listed();
    let before = s.message.clone();
    let raw = file_pending()
        .raw
        .get()
        .replace("\"pending\"", "\"completed\"")
        .replace(
            "\"results\":[]",
            "\"results\":[{\"id\":\"r1\",\"resultType\":\"rescan\",\"message\":\"Malware\"}]",
        );
    let done = kept(serde_json::from_str(&raw).unwrap());
    update(&mut s, Action::AssessmentPolled(Box::new(done)));
    let r = s.assess.request("ta-file").unwrap();
    assert_eq!(super::assess::verdicts(r), "Malware");
    assert!(s.assess.followed.is_empty());
    assert_eq!(s.message, before, "the status line is the analyst's own");
}

#[test]
fn a_request_completed_on_arrival_is_not_followed() {
    let mut s = listed();
    form_of(&mut s, 0);
    tab(&mut s);
    press(&mut s, URL);
    send(&mut s);
    let after = update(
        &mut s,
        Action::AssessmentSubmitted(Ok(Box::new(verdict_url(URL)))),
    );
    assert!(after.is_empty(), "{after:?}");
    assert!(status(&s).starts_with("Verdict for"), "{}", status(&s));
}

#[test]
fn a_429_keeps_the_form_as_typed_and_says_which_limit_and_when() {
    let mut s = listed();
    form_of(&mut s, 0);
    tab(&mut s);
    press(&mut s, URL);
    send(&mut s);
    let after = update(
        &mut s,
        Action::AssessmentSubmitted(Err(SubmitFailure::Throttled {
            retry_after: Some(std::time::Duration::from_secs(900)),
        })),
    );
    assert!(after.is_empty());
    assert_eq!(form_text(&s, FormField::Url), URL, "nothing typed is lost");
    let Some(Overlay::AssessForm(form)) = &s.overlay else {
        panic!("the form is back");
    };
    let error = form
        .error
        .as_ref()
        .expect("the refusal is shown in the form");
    assert_eq!(error.field, None, "no field is at fault");
    let line = status(&s);
    assert!(
        line.contains("over a 15-minute limit (Graph takes the same URL once in 15 minutes"),
        "{line}"
    );
    assert!(
        line.contains("retry after 12:15:00 UTC (in 15 min)"),
        "{line}"
    );
    assert_eq!(s.now, NOW);
    // A longer wait is a daily limit.
    update(&mut s, code(KeyCode::Esc));
    form_of(&mut s, 0);
    tab(&mut s);
    press(&mut s, URL);
    send(&mut s);
    update(
        &mut s,
        Action::AssessmentSubmitted(Err(SubmitFailure::Throttled {
            retry_after: Some(std::time::Duration::from_secs(5 * 3600)),
        })),
    );
    let line = status(&s);
    assert!(line.contains("over a daily limit"), "{line}");
    assert!(line.contains("retry after 17:00:00 UTC (in 5 h)"), "{line}");
    // Sent again once the wait is over: the same draft.
    let draft = submitted(send(&mut s));
    assert_eq!(draft.target, DraftTarget::Url { url: URL.into() });
}

#[test]
fn a_failure_while_elsewhere_keeps_the_draft_for_n() {
    let mut s = listed();
    form_of(&mut s, 0);
    tab(&mut s);
    press(&mut s, URL);
    send(&mut s);
    press(&mut s, "?");
    update(
        &mut s,
        Action::AssessmentSubmitted(Err(SubmitFailure::Failed(
            "Graph 400 BadRequest: invalid url".into(),
        ))),
    );
    assert!(
        matches!(s.overlay, Some(Overlay::Help { .. })),
        "help stays"
    );
    assert!(
        status(&s).contains("n in :assess reopens the form"),
        "{}",
        status(&s)
    );
    update(&mut s, code(KeyCode::Esc));
    form_of(&mut s, 0);
    assert_eq!(form_text(&s, FormField::Url), URL);
}

#[test]
fn a_follow_that_ends_without_a_verdict_says_so() {
    let mut s = listed();
    update(
        &mut s,
        Action::AssessmentFollowEnded {
            id: "ta-file".into(),
            reason: "no verdict after 360 checks (r reads the list again)".into(),
        },
    );
    let line = status(&s);
    assert!(
        line.starts_with("Stopped waiting for the verdict on invoice-4471.pdf.exe"),
        "{line}"
    );
    assert!(s.assess.followed.is_empty());
}

#[test]
fn a_read_only_session_opens_no_form() {
    let mut session = session();
    session.read_only = true;
    let (mut s, _) = assess_state_with(session, requests());
    assert!(press(&mut s, "n").is_empty());
    assert!(s.overlay.is_none());
    assert!(status(&s).contains("Read-only"), "{}", status(&s));
}

#[test]
fn a_submission_without_an_answer_may_have_landed_and_reads_the_list_again() {
    let mut s = listed();
    form_of(&mut s, 0);
    tab(&mut s);
    press(&mut s, URL);
    send(&mut s);
    let after = update(
        &mut s,
        Action::AssessmentSubmitted(Err(SubmitFailure::Unknown(
            "Graph did not answer in time".into(),
        ))),
    );
    assert!(
        after.contains(&Command::LoadAssessments),
        "the list is read again: {after:?}"
    );
    assert!(s.assess.sending.is_none());
    assert!(
        s.overlay.is_none(),
        "the form is not offered back as unsent"
    );
    let line = status(&s);
    assert!(
        line.contains("may have been submitted: reading the list again"),
        "{line}"
    );
    assert!(!line.contains("Not sent"), "{line}");
    // The draft is still there behind `n`, marked as a possible duplicate.
    form_of(&mut s, 0);
    assert_eq!(form_text(&s, FormField::Url), URL, "nothing typed is lost");
    let (_, error) = form_state(&s).expect("n opens the draft");
    let error = error.expect("the draft says it may be a duplicate");
    assert!(error.contains("duplicate"), "{error}");
}

#[test]
fn the_rows_follow_a_request_that_changes_while_the_analyst_is_elsewhere() {
    let mut s = listed();
    press(&mut s, "/pending");
    update(&mut s, code(KeyCode::Enter));
    let shown = |s: &State| -> Vec<String> {
        super::assess::rows(&s.assess)
            .iter()
            .map(|&i| s.assess.list[i].id.clone())
            .collect()
    };
    assert_eq!(shown(&s), ["ta-file"]);
    // A request submitted elsewhere lands while the pane is not in front: the rows kept
    // for drawing take it in (it is pending, so the filter shows it).
    update(&mut s, code(KeyCode::Esc));
    update(&mut s, code(KeyCode::Esc));
    assert_ne!(s.focus, Focus::Assess);
    s.assess.filter = "pending".into();
    s.assess.refresh_rows();
    update(
        &mut s,
        Action::AssessmentSubmitted(Ok(Box::new(submitted_url(URL)))),
    );
    assert_eq!(shown(&s), ["ta-new", "ta-file"]);
    // Its verdict arrives: it no longer matches "pending" and leaves the rows.
    update(&mut s, Action::AssessmentPolled(Box::new(verdict_url(URL))));
    assert_eq!(shown(&s), ["ta-file"]);
}
