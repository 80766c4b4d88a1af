//! eDiscovery test data of our own: four cases in different states (one with a hostile
//! name), and one case's custodians, searches and operations, each built as `Kept<…>` from
//! JSON written here, as Graph would send it.

use super::cases::{CaseTab, TabRows};
use super::fixtures::{NOW, code, key, session};
use super::{Action, Command, SessionInfo, State, update};
use crate::graph::cases::{CaseOperation, Custodian, EdiscoveryCase, EdiscoverySearch, Kept};
use crate::graph::cases::{EstimateCounts, OperationStatus};
use crate::operations::OperationView;
use ratatui::crossterm::event::KeyCode;
use serde_json::{Value, json};
use time::Duration;

pub const CONTOSO: &str = "c-contoso";

fn kept<T: for<'de> serde::Deserialize<'de> + crate::graph::cases::HasId>(v: Value) -> Kept<T> {
    Kept::from_json(&v.to_string()).expect("fixture parses")
}

fn nobody() -> Value {
    json!({"application": null, "user": {"id": null, "displayName": null}})
}

pub fn cases() -> Vec<Kept<EdiscoveryCase>> {
    vec![
        kept(json!({
            "id": "c-fabrikam", "displayName": "Fabrikam merger review",
            "description": "Pre-merger document review", "status": "closed",
            "createdDateTime": "2026-08-01T09:00:00Z",
            "lastModifiedDateTime": "2026-10-02T10:30:00Z",
            "closedDateTime": "2026-10-02T10:30:00Z",
            "closedBy": {"user": {"displayName": "Megan Bowen"}}
        })),
        kept(json!({
            "id": CONTOSO, "displayName": "Contoso investigation",
            "description": "Insider trading allegation", "status": "active",
            "createdDateTime": "2026-11-01T08:00:00Z",
            "lastModifiedDateTime": "2026-11-25T16:45:00Z",
            "closedDateTime": "0001-01-01T00:00:00Z", "closedBy": nobody()
        })),
        kept(json!({
            "id": "c-hostile", "displayName": "Evil\u{1b}[2J\u{202e}case\u{7}",
            "status": "active",
            "createdDateTime": "2026-11-20T08:00:00Z",
            "lastModifiedDateTime": "2026-11-21T08:00:00Z",
            "closedBy": nobody()
        })),
        kept(json!({
            "id": "c-old", "displayName": "Litigation hold 2025", "status": "closedWithError",
            "createdDateTime": "2025-03-01T08:00:00Z",
            "lastModifiedDateTime": "2025-06-01T08:00:00Z",
            "closedDateTime": "2025-06-01T08:00:00Z", "closedBy": nobody()
        })),
    ]
}

pub fn custodians() -> TabRows {
    TabRows::Custodians(vec![
        kept::<Custodian>(json!({
            "id": "cu1", "displayName": "Adele Vance", "email": "adelev@contoso.com",
            "status": "active", "holdStatus": "applied",
            "createdDateTime": "2026-11-02T08:00:00Z"
        })),
        kept::<Custodian>(json!({
            "id": "cu2", "displayName": "Alex Wilber", "email": "alexw@contoso.com",
            "status": "released", "holdStatus": "notApplied",
            "createdDateTime": "2026-11-03T08:00:00Z"
        })),
    ])
}

pub fn searches() -> TabRows {
    TabRows::Searches(vec![
        kept::<EdiscoverySearch>(json!({
            "id": "s1", "displayName": "Contoso mail",
            "contentQuery": "subject:\"Q3 forecast\" AND from:adelev@contoso.com",
            "lastModifiedDateTime": "2026-11-24T10:00:00Z",
            "lastEstimateStatisticsOperation": {
                "id": "op-old", "action": "estimateStatistics", "status": "succeeded",
                "percentProgress": 100, "indexedItemCount": 1234, "mailboxCount": 3
            }
        })),
        kept::<EdiscoverySearch>(json!({
            "id": "s2", "displayName": "Trading chats",
            "contentQuery": "kind:microsoftteams AND \"buy\"",
            "lastModifiedDateTime": "2026-11-25T10:00:00Z"
        })),
    ])
}

pub fn operations() -> TabRows {
    TabRows::Operations(vec![kept::<CaseOperation>(json!({
        "@odata.type": "#microsoft.graph.security.ediscoveryEstimateOperation",
        "id": "op-old", "action": "estimateStatistics", "status": "succeeded",
        "percentProgress": 100,
        "createdDateTime": "2026-11-24T10:00:00Z",
        "completedDateTime": "2026-11-24T10:03:00Z",
        "createdBy": {"user": {"displayName": "Megan Bowen"}},
        "indexedItemCount": 1234
    }))])
}

/// The estimate on "Contoso mail" at `percent` (running), as the follower reports it.
pub fn estimate(percent: u8) -> OperationView {
    OperationView {
        case_id: CONTOSO.into(),
        operation_id: "op-new".into(),
        action: "estimateStatistics".into(),
        label: "Contoso mail".into(),
        started: NOW - Duration::minutes(2),
        status: Some(OperationStatus::Running),
        percent: Some(percent),
        counts: None,
        error: None,
        next_poll: Some(NOW + Duration::seconds(30)),
    }
}

/// The same estimate, done.
pub fn estimate_done() -> OperationView {
    OperationView {
        status: Some(OperationStatus::Succeeded),
        percent: Some(100),
        counts: Some(EstimateCounts {
            indexed_item_count: Some(2048),
            mailbox_count: Some(4),
            ..EstimateCounts::default()
        }),
        next_poll: None,
        ..estimate(100)
    }
}

pub fn press(s: &mut State, keys: &str) -> Vec<Command> {
    keys.chars().flat_map(|c| update(s, key(c))).collect()
}

pub fn command(s: &mut State, line: &str) -> Vec<Command> {
    press(s, ":");
    press(s, line);
    update(s, code(KeyCode::Enter))
}

/// `:cases` opened in `session`, the list loaded.
pub fn cases_state(session: SessionInfo) -> State {
    let mut s = State::new(session, NOW);
    update(&mut s, Action::Resize(80, 24));
    let cmds = command(&mut s, "cases");
    assert_eq!(cmds, [Command::LoadCases]);
    update(&mut s, Action::CasesLoaded(Ok(cases())));
    s
}

pub fn listed() -> State {
    cases_state(session())
}

/// The Contoso case open on its searches tab, custodians and searches loaded.
pub fn contoso_searches() -> State {
    let mut s = listed();
    update(&mut s, code(KeyCode::Enter));
    update(
        &mut s,
        Action::CaseTabLoaded {
            case_id: CONTOSO.into(),
            tab: CaseTab::Custodians,
            result: Ok(custodians()),
        },
    );
    press(&mut s, "3");
    update(
        &mut s,
        Action::CaseTabLoaded {
            case_id: CONTOSO.into(),
            tab: CaseTab::Searches,
            result: Ok(searches()),
        },
    );
    s
}
