//! Threat assessment test data of our own: requests of each kind in each state (one with
//! a hostile URL and result message), built as `Kept<…>` from JSON written here, as Graph
//! would send it; and helpers that open `:assess` and fill the form.

use super::fixtures::{NOW, code, ctrl, key, session};
use super::{Action, Command, SessionInfo, State, update};
use crate::graph::assess::ThreatAssessmentRequest;
use crate::graph::cases::Kept;
use ratatui::crossterm::event::KeyCode;
use serde_json::{Value, json};

pub fn kept(v: Value) -> Kept<ThreatAssessmentRequest> {
    Kept::from_json(&v.to_string()).expect("fixture parses")
}

fn analyst() -> Value {
    json!({"user": {"id": "u-megan", "displayName": "Megan Bowen"}})
}

fn results(verdict: &str, at: &str) -> Value {
    json!([
        {"id": "r1", "createdDateTime": at, "resultType": "checkPolicy",
         "message": "No policy was hit."},
        {"id": "r2", "createdDateTime": at, "resultType": "rescan", "message": verdict}
    ])
}

pub fn url_done() -> Kept<ThreatAssessmentRequest> {
    kept(json!({
        "@odata.type": "#microsoft.graph.urlAssessmentRequest",
        "id": "ta-url", "url": "http://login.fabrikam-payroll.example/verify",
        "contentType": "url", "category": "phishing", "expectedAssessment": "block",
        "status": "completed", "requestSource": "administrator",
        "createdDateTime": "2026-11-26T09:10:00Z", "createdBy": analyst(),
        "results": results("Phishing: blocked at time of click.", "2026-11-26T09:12:00Z")
    }))
}

pub fn mail_done() -> Kept<ThreatAssessmentRequest> {
    kept(json!({
        "@odata.type": "#microsoft.graph.mailAssessmentRequest",
        "id": "ta-mail", "recipientEmail": "adelev@contoso.example",
        "messageUri": "https://graph.microsoft.com/v1.0/users/u-adele/messages/AAMkAGQ1",
        "destinationRoutingReason": "notJunk",
        "contentType": "mail", "category": "spam", "expectedAssessment": "block",
        "status": "completed", "requestSource": "administrator",
        "createdDateTime": "2026-11-25T15:00:00Z", "createdBy": analyst(),
        "results": results("Spam: moved to Junk.", "2026-11-25T15:03:00Z")
    }))
}

pub fn file_pending() -> Kept<ThreatAssessmentRequest> {
    kept(json!({
        "@odata.type": "#microsoft.graph.fileAssessmentRequest",
        "id": "ta-file", "fileName": "invoice-4471.pdf.exe", "contentData": "",
        "contentType": "file", "category": "malware", "expectedAssessment": "block",
        "status": "pending", "requestSource": "administrator",
        "createdDateTime": "2026-11-26T11:30:00Z", "createdBy": analyst(),
        "results": []
    }))
}

pub fn eml_done() -> Kept<ThreatAssessmentRequest> {
    kept(json!({
        "@odata.type": "#microsoft.graph.emailFileAssessmentRequest",
        "id": "ta-eml", "recipientEmail": "alexw@contoso.example", "contentData": "",
        "destinationRoutingReason": "junk",
        "contentType": "mail", "category": "spam", "expectedAssessment": "unblock",
        "status": "completed", "requestSource": "administrator",
        "createdDateTime": "2026-11-24T08:00:00Z", "createdBy": analyst(),
        "results": results("Not Spam: allowed to the inbox.", "2026-11-24T08:04:00Z")
    }))
}

/// A URL and a result message carrying an escape sequence and a bidi override.
pub fn hostile() -> Kept<ThreatAssessmentRequest> {
    kept(json!({
        "@odata.type": "#microsoft.graph.urlAssessmentRequest",
        "id": "ta-evil", "url": "http://evil.example/\u{1b}[2J\u{202e}gpj.exe\u{7}",
        "contentType": "url", "category": "malware", "expectedAssessment": "block",
        "status": "completed", "createdDateTime": "2026-11-26T10:00:00Z",
        "createdBy": {"user": {"displayName": "Mallory\u{1b}]0;pwned\u{7}"}},
        "results": [{"id": "r1", "createdDateTime": "2026-11-26T10:01:00Z",
            "resultType": "rescan", "message": "Malware\u{1b}[31m \u{202e}deen\u{9b}"}]
    }))
}

pub fn requests() -> Vec<Kept<ThreatAssessmentRequest>> {
    vec![mail_done(), url_done(), file_pending(), eml_done()]
}

/// The request Graph answers a URL POST with: pending, no results.
pub fn submitted_url(url: &str) -> Kept<ThreatAssessmentRequest> {
    kept(json!({
        "@odata.type": "#microsoft.graph.urlAssessmentRequest",
        "id": "ta-new", "url": url,
        "contentType": "url", "category": "phishing", "expectedAssessment": "block",
        "status": "pending", "requestSource": "administrator",
        "createdDateTime": "2026-11-26T12:00:00Z", "createdBy": analyst(),
        "results": []
    }))
}

/// The same request once Microsoft answered.
pub fn verdict_url(url: &str) -> Kept<ThreatAssessmentRequest> {
    kept(json!({
        "@odata.type": "#microsoft.graph.urlAssessmentRequest",
        "id": "ta-new", "url": url,
        "contentType": "url", "category": "phishing", "expectedAssessment": "block",
        "status": "completed", "requestSource": "administrator",
        "createdDateTime": "2026-11-26T12:00:00Z", "createdBy": analyst(),
        "results": results("Phishing: blocked at time of click.", "2026-11-26T12:02:00Z")
    }))
}

pub fn press(s: &mut State, keys: &str) -> Vec<Command> {
    keys.chars().flat_map(|c| update(s, key(c))).collect()
}

pub fn command(s: &mut State, line: &str) -> Vec<Command> {
    press(s, ":");
    press(s, line);
    update(s, code(KeyCode::Enter))
}

/// `:assess` opened in `session` at `size`, the list loaded with `list`; returns the
/// commands the load caused (the follows of pending requests).
pub fn assess_state_with(
    session: SessionInfo,
    list: Vec<Kept<ThreatAssessmentRequest>>,
) -> (State, Vec<Command>) {
    let mut s = State::new(session, NOW);
    update(&mut s, Action::Resize(80, 24));
    let cmds = command(&mut s, "assess");
    assert_eq!(cmds, [Command::LoadAssessments]);
    let follows = update(&mut s, Action::AssessmentsLoaded(Ok(list)));
    (s, follows)
}

pub fn listed() -> State {
    assess_state_with(session(), requests()).0
}

/// `n`, then the kind picker moved `steps` to the right (url, mail, file, email file).
pub fn form_of(s: &mut State, steps: usize) {
    assert!(press(s, "n").is_empty());
    for _ in 0..steps {
        update(s, code(KeyCode::Right));
    }
}

/// Tab to the next field.
pub fn tab(s: &mut State) {
    update(s, code(KeyCode::Tab));
}

pub fn send(s: &mut State) -> Vec<Command> {
    update(s, ctrl('s'))
}
