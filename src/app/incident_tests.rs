//! `update` behaviour of the `:incidents` pane and the incident view: loading, stale pages,
//! sort/filter/selection, changes on the cursor and on marks, resolving with the open
//! alerts (y/n/i), read-only, the incident view and an alert opened from it, write replies
//! and conflicts.

use super::fixtures::*;
use super::incidents::IncidentRow;
use super::queue::Column;
use super::*;
use crate::graph::enums::{AlertClassification, AlertDetermination, AlertStatus, IncidentStatus};
use crate::graph::incidents::IncidentUpdate;
use crate::graph::models::{AlertComment, AlertUpdate};
use crate::outbox::{FieldConflict, Target};
use ratatui::crossterm::event::KeyCode;

fn press(s: &mut State, keys: &str) -> Vec<Command> {
    keys.chars().flat_map(|c| update(s, key(c))).collect()
}

fn command(s: &mut State, line: &str) -> Vec<Command> {
    press(s, ":");
    press(s, line);
    update(s, code(KeyCode::Enter))
}

fn pane() -> State {
    with_incidents(session(), incidents())
}

/// Incident ids in display order.
fn rows(s: &State) -> Vec<String> {
    let q = &s.incidents.queue;
    q.view()
        .iter()
        .map(|&i| q.entry(i).row.id().to_owned())
        .collect()
}

fn selected(s: &State) -> Option<&str> {
    s.incidents.cursor.id.as_deref()
}

fn message(s: &State) -> &str {
    s.message.as_ref().map_or("", |m| m.text.as_str())
}

/// Moves the incidents cursor onto `id`.
fn select(s: &mut State, id: &str) {
    press(s, "g");
    while selected(s) != Some(id) {
        let before = s.incidents.cursor.row;
        press(s, "j");
        assert_ne!(before, s.incidents.cursor.row, "{id} is not listed");
    }
}

fn page(generation: u64, incidents: Vec<IncidentRow>, done: bool) -> Action {
    Action::IncidentsPage {
        generation,
        incidents,
        total: Some(4),
        skipped: 0,
        done,
    }
}

/// (write id, incident id, update) of every incident PATCH, and (write id, alert id,
/// update, after) of every alert PATCH.
type IncidentPatch = (u64, String, IncidentUpdate);
type AlertPatch = (u64, String, AlertUpdate, Option<Target>);

fn patches(cmds: &[Command]) -> (Vec<IncidentPatch>, Vec<AlertPatch>) {
    let mut incidents = Vec::new();
    let mut alerts = Vec::new();
    for c in cmds {
        match c {
            Command::UpdateIncident {
                write_id,
                incident_id,
                update,
                ..
            } => incidents.push((*write_id, incident_id.clone(), update.clone())),
            Command::UpdateAlert {
                write_id,
                alert_id,
                update,
                after,
                ..
            } => alerts.push((*write_id, alert_id.clone(), update.clone(), after.clone())),
            other => panic!("unexpected {other:?}"),
        }
    }
    (incidents, alerts)
}

fn resolved() -> IncidentUpdate {
    IncidentUpdate {
        status: Some(IncidentStatus::Resolved),
        ..Default::default()
    }
}

#[test]
fn opening_the_pane_loads_open_incidents_once() {
    let mut s = loaded(session(), sample());
    let cmds = command(&mut s, "incidents");
    assert_eq!(
        cmds,
        vec![Command::LoadIncidents {
            generation: 1,
            query: IncidentQuery {
                statuses: vec![IncidentStatus::Active, IncidentStatus::InProgress]
            }
        }]
    );
    assert_eq!(s.focus, Focus::Incidents);
    assert!(s.incidents.load.loading);
    update(&mut s, code(KeyCode::Esc));
    assert_eq!(s.focus, Focus::Queue, "esc goes back to the alert queue");
    assert!(press(&mut s, "I").is_empty(), "loaded once; I reopens it");
    assert_eq!(s.focus, Focus::Incidents);
    // `:alerts` goes back too, and `:incidents all` loads every status.
    command(&mut s, "alerts");
    assert_eq!(s.focus, Focus::Queue);
    let cmds = command(&mut s, "incidents all");
    assert_eq!(
        cmds,
        vec![Command::LoadIncidents {
            generation: 2,
            query: IncidentQuery { statuses: vec![] }
        }]
    );
    // The status preset key picks the same presets, with incident names.
    press(&mut s, "f");
    assert!(matches!(
        s.overlay,
        Some(Overlay::Menu {
            kind: MenuKind::IncidentPreset,
            cursor: 1,
            ..
        })
    ));
    let cmds = press(&mut s, "5");
    assert_eq!(
        cmds,
        vec![Command::LoadIncidents {
            generation: 3,
            query: IncidentQuery {
                statuses: vec![IncidentStatus::Resolved]
            }
        }]
    );
}

#[test]
fn stale_pages_are_ignored_and_a_refresh_merges_by_id() {
    let mut s = loaded(session(), sample());
    command(&mut s, "incidents");
    // A refresh before the first page: generation 2 replaces, 1 is stale.
    let cmds = press(&mut s, "r");
    assert!(matches!(
        cmds.as_slice(),
        [Command::LoadIncidents { generation: 2, .. }]
    ));
    update(&mut s, page(1, incidents(), true));
    assert!(s.incidents.queue.is_empty(), "a stale page is dropped");
    update(&mut s, page(2, incidents()[..2].to_vec(), false));
    assert_eq!(rows(&s), ["101", "102"]);
    update(&mut s, page(2, incidents()[2..].to_vec(), true));
    assert_eq!(rows(&s), ["103", "101", "102", "104"], "last update first");
    assert!(!s.incidents.load.loading);
    assert!(s.incidents.live.current_at.is_some());

    // A refresh keeps the rows until its last page, then drops the ones not delivered.
    select(&mut s, "102");
    press(&mut s, " ");
    select(&mut s, "104");
    press(&mut s, " ");
    assert_eq!(s.incidents.marks.len(), 2);
    let cmds = press(&mut s, "r");
    let [Command::LoadIncidents { generation: 3, .. }] = cmds.as_slice() else {
        panic!("{cmds:?}");
    };
    let mut fresh = incidents();
    fresh.remove(3); // 104 was resolved elsewhere
    update(&mut s, page(3, fresh[..1].to_vec(), false));
    assert_eq!(rows(&s).len(), 4, "merged, nothing dropped yet");
    update(&mut s, page(3, fresh[1..].to_vec(), true));
    assert_eq!(rows(&s), ["103", "101", "102"]);
    assert_eq!(
        s.incidents.marks.iter().collect::<Vec<_>>(),
        ["102"],
        "marks on rows that went are dropped"
    );

    // A failed load keeps the rows and says why.
    press(&mut s, "r");
    update(
        &mut s,
        Action::IncidentsFailed {
            generation: 4,
            error: "500 internal".into(),
        },
    );
    assert_eq!(rows(&s).len(), 3);
    assert!(message(&s).contains("Loading incidents failed: 500 internal"));
}

#[test]
fn sort_filter_and_selection_follow_the_incident() {
    let mut s = pane();
    assert_eq!(rows(&s), ["103", "101", "102", "104"]);
    select(&mut s, "102");
    press(&mut s, ">");
    assert_eq!(s.incidents.queue.sort().column.name(), "severity");
    assert_eq!(
        rows(&s),
        ["101", "104", "102", "103"],
        "high first, newest first"
    );
    assert_eq!(
        selected(&s),
        Some("102"),
        "the selection follows the incident"
    );
    assert_eq!(s.incidents.cursor.row, 2);
    press(&mut s, "i");
    assert_eq!(rows(&s)[0], "103", "inverted");
    press(&mut s, ">>>");
    assert_eq!(s.incidents.queue.sort().column.name(), "alerts");
    assert_eq!(rows(&s)[0], "101", "most alerts first");

    // Type-to-filter over the name, the alerts' titles and the sources.
    press(&mut s, "/");
    press(&mut s, "ransom");
    assert_eq!(rows(&s), ["104"]);
    assert_eq!(selected(&s), Some("104"));
    update(&mut s, ctrl('u'));
    press(&mut s, "ldap");
    assert_eq!(rows(&s), ["101"], "an alert's title matches its incident");
    update(&mut s, code(KeyCode::Backspace));
    update(&mut s, ctrl('u'));
    press(&mut s, "office365");
    assert_eq!(rows(&s), ["102"]);
    update(&mut s, code(KeyCode::Enter));
    assert!(s.overlay.is_none(), "enter keeps the filter");
    assert_eq!(s.incidents.queue.query(), "office365");
    update(&mut s, code(KeyCode::Esc));
    assert_eq!(s.incidents.queue.query(), "", "esc clears it first");
    assert_eq!(s.focus, Focus::Incidents);
    assert_eq!(selected(&s), Some("102"));
}

#[test]
fn changes_go_to_the_incident_under_the_cursor_or_the_marked_ones() {
    let mut s = pane();
    select(&mut s, "104");
    // Status: the incident statuses.
    press(&mut s, "s");
    assert!(matches!(
        s.overlay,
        Some(Overlay::Menu {
            kind: MenuKind::IncidentStatus,
            ..
        })
    ));
    let cmds = press(&mut s, "1");
    let [
        Command::UpdateIncident {
            write_id,
            incident_id,
            update: u,
            base: Some(base),
        },
    ] = cmds.as_slice()
    else {
        panic!("{cmds:?}");
    };
    assert_eq!(incident_id, "104");
    assert_eq!(u.status, Some(IncidentStatus::Active));
    assert_eq!(base.fields["status"], serde_json::json!("inProgress"));
    assert!(base.last_update.is_some());
    assert_eq!(
        s.writes
            .pending_incident_update("104")
            .and_then(|p| p.status),
        Some(IncidentStatus::Active),
        "pending on its row"
    );
    let first = *write_id;

    // Assign to me, classify and comment on two marked incidents: one question each.
    select(&mut s, "103");
    press(&mut s, " ");
    select(&mut s, "101");
    press(&mut s, " ");
    press(&mut s, "a");
    let Some(Overlay::Confirm { question, .. }) = &s.overlay else {
        panic!("bulk changes ask first");
    };
    assert_eq!(
        question,
        "Assign to analyst@contoso.example on 2 incidents? y/n"
    );
    let (patched, alerts) = patches(&press(&mut s, "y"));
    assert!(alerts.is_empty());
    let ids: Vec<_> = patched.iter().map(|(_, id, _)| id.as_str()).collect();
    assert_eq!(ids, ["101", "103"]);
    assert!(patched.iter().all(|(w, _, u)| *w > first
        && u.assigned_to.as_deref() == Some("analyst@contoso.example")
        && u.status.is_none()));

    press(&mut s, "c1");
    let cmds = press(&mut s, "1y");
    let (patched, _) = patches(&cmds);
    assert_eq!(patched.len(), 2);
    assert_eq!(
        patched[0].2,
        IncidentUpdate {
            classification: Some(AlertClassification::TruePositive),
            determination: Some(
                AlertDetermination::valid_for(&AlertClassification::TruePositive)[0].clone()
            ),
            ..Default::default()
        }
    );

    press(&mut s, "m");
    press(&mut s, "Contained.");
    update(&mut s, ctrl('s'));
    let cmds = press(&mut s, "y");
    let comments: Vec<_> = cmds
        .iter()
        .map(|c| match c {
            Command::AddIncidentComment {
                incident_id, text, ..
            } => (incident_id.as_str(), text.as_str()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(comments, [("101", "Contained."), ("103", "Contained.")]);
    assert_eq!(s.writes.len(), 1 + 2 + 2 + 2);
}

#[test]
fn resolving_an_incident_offers_its_open_alerts_in_one_question() {
    let mut s = pane();
    select(&mut s, "101");
    press(&mut s, "s3");
    let Some(Overlay::Confirm { question, also, .. }) = &s.overlay else {
        panic!("asks first: {:?}", s.overlay);
    };
    assert_eq!(
        question,
        "Resolve 1 incident and its 2 open alerts? y/n/i (i = incident only)"
    );
    assert_eq!(also.len(), 2);
    assert!(press(&mut s, "x").is_empty(), "a stray key answers nothing");
    assert!(s.overlay.is_some());

    let (incidents, alerts) = patches(&press(&mut s, "y"));
    assert_eq!(incidents.len(), 1);
    assert_eq!(
        (incidents[0].1.as_str(), &incidents[0].2),
        ("101", &resolved())
    );
    let ids: Vec<_> = alerts.iter().map(|a| a.1.as_str()).collect();
    assert_eq!(ids, ["ia1", "ia2"], "the resolved ia3 is left alone");
    for (_, _, u, after) in &alerts {
        assert_eq!(u.status, Some(AlertStatus::Resolved));
        assert_eq!(after.as_ref(), Some(&Target::incident("101")));
    }
    let mut write_ids: Vec<u64> = alerts.iter().map(|a| a.0).collect();
    write_ids.push(incidents[0].0);
    write_ids.sort_unstable();
    write_ids.dedup();
    assert_eq!(write_ids.len(), 3, "a write id each");
    assert_eq!(s.writes.len(), 3, "each counted until Graph answers");
    assert_eq!(
        s.writes.pending_update("ia2").and_then(|u| u.status),
        Some(AlertStatus::Resolved)
    );
    assert!(message(&s).contains("1 incident change and 2 alert changes"));

    // Asked again, the alerts already being resolved are not offered twice.
    press(&mut s, "s3");
    assert!(s.overlay.is_none(), "nothing open left: sent at once");
}

#[test]
fn i_resolves_only_the_incidents_and_n_nothing() {
    let mut s = pane();
    select(&mut s, "101");
    press(&mut s, "s3");
    assert!(press(&mut s, "n").is_empty());
    assert!(s.writes.is_empty());
    assert_eq!(message(&s), "Cancelled");
    press(&mut s, "s3");
    let (incidents, alerts) = patches(&press(&mut s, "i"));
    assert_eq!(incidents.len(), 1);
    assert!(alerts.is_empty());

    // No open alerts: resolved at once, no question.
    select(&mut s, "103");
    let (incidents, alerts) = patches(&press(&mut s, "s3"));
    assert_eq!((incidents.len(), alerts.len()), (1, 0));
    // i means nothing without open alerts to leave out.
    press(&mut s, " ");
    select(&mut s, "104");
    press(&mut s, " ");
    press(&mut s, "s2");
    assert!(press(&mut s, "i").is_empty());
    assert!(s.overlay.is_some());
}

#[test]
fn resolving_marked_incidents_resolves_their_open_alerts_on_every_row() {
    let mut s = pane();
    select(&mut s, "101");
    press(&mut s, " ");
    select(&mut s, "102");
    press(&mut s, " ");
    press(&mut s, "s3");
    let Some(Overlay::Confirm { question, .. }) = &s.overlay else {
        panic!("asks first");
    };
    assert_eq!(
        question,
        "Resolve 2 incidents and their 4 open alerts? y/n/i (i = incidents only)"
    );
    let cmds = press(&mut s, "y");
    assert_eq!(cmds.len(), 2 + 4, "1 + M writes per incident");
    let (incidents, alerts) = patches(&cmds);
    let ids: Vec<_> = incidents.iter().map(|i| i.1.as_str()).collect();
    assert_eq!(ids, ["101", "102"]);
    let pairs: Vec<_> = alerts
        .iter()
        .map(|(_, a, _, after)| (a.as_str(), after.clone().unwrap().id))
        .collect();
    assert_eq!(
        pairs,
        [
            ("ia1", "101".to_owned()),
            ("ia2", "101".to_owned()),
            ("da3", "102".to_owned()),
            ("ib2", "102".to_owned())
        ]
    );
    // da3 is also in the alert queue: its base is the queue's copy, and that row shows
    // the pending change too.
    let Some(Command::UpdateAlert {
        base: Some(base), ..
    }) = cmds
        .iter()
        .find(|c| matches!(c, Command::UpdateAlert { alert_id, .. } if alert_id == "da3"))
    else {
        panic!("da3 with a base");
    };
    assert_eq!(base.fields["status"], serde_json::json!("new"));
    assert!(s.writes.pending_update("da3").is_some());
    // ib2 is only known from its incident: the base comes from that summary.
    let Some(Command::UpdateAlert {
        base: Some(base), ..
    }) = cmds
        .iter()
        .find(|c| matches!(c, Command::UpdateAlert { alert_id, .. } if alert_id == "ib2"))
    else {
        panic!("ib2 with a base");
    };
    assert_eq!(base.fields["status"], serde_json::json!("new"));
    assert!(base.last_update.is_some());
}

#[test]
fn read_only_refuses_every_change_to_incidents() {
    let mut sess = session();
    sess.read_only = true;
    let mut s = with_incidents(sess, incidents());
    select(&mut s, "101");
    for k in ["s", "a", "A", "c", "m"] {
        assert!(press(&mut s, k).is_empty());
        assert!(s.overlay.is_none(), "{k} opened nothing");
        assert!(message(&s).starts_with("Read-only session: cannot"), "{k}");
    }
    assert!(message(&s).contains("add comments"));
    press(&mut s, "a");
    assert_eq!(message(&s), "Read-only session: cannot assign incidents");
    update(&mut s, code(KeyCode::Enter));
    assert_eq!(s.focus, Focus::Incident);
    assert!(press(&mut s, "s").is_empty());
    assert!(s.writes.is_empty());
}

#[test]
fn enter_opens_the_incident_then_its_alert_and_esc_walks_back() {
    let mut s = pane();
    select(&mut s, "101");
    let cmds = update(&mut s, code(KeyCode::Enter));
    assert_eq!(cmds, vec![Command::GetIncident { id: "101".into() }]);
    assert_eq!(s.focus, Focus::Incident);
    assert_eq!(s.targets(), vec![Target::incident("101")]);

    // The fresh copy replaces the view's (and the queue's) and keeps the cursor.
    let mut fresh = incidents().remove(0);
    fresh.incident.comments.push(AlertComment {
        comment: Some("Looking".into()),
        created_by_display_name: Some("Ana".into()),
        created_date_time: Some(NOW),
    });
    update(&mut s, Action::IncidentLoaded(Box::new(fresh)));
    let view = s.incidents.view.as_ref().unwrap();
    assert_eq!(view.row.incident.comments.len(), 1);

    press(&mut s, "j");
    assert_eq!(
        s.incidents
            .view
            .as_ref()
            .unwrap()
            .selected_alert()
            .unwrap()
            .id,
        "ia2"
    );
    let cmds = update(&mut s, code(KeyCode::Enter));
    assert_eq!(cmds, vec![Command::GetAlert { id: "ia2".into() }]);
    assert_eq!(s.focus, Focus::Detail);
    assert!(s.detail_alert().is_none(), "not in the queue: loading");
    let ia2 = from_value(serde_json::json!({
        "id": "ia2", "title": "Suspicious LDAP queries", "status": "inProgress",
        "incidentId": "101", "createdDateTime": "2026-11-26T11:00:00Z"
    }));
    update(&mut s, Action::AlertLoaded(ia2));
    assert_eq!(s.detail_alert().map(|a| a.id.as_str()), Some("ia2"));
    assert_eq!(
        s.selected().map(|a| a.id.as_str()),
        Some("da5"),
        "the queue is untouched"
    );
    // Changes in that detail go to that alert.
    let cmds = press(&mut s, "s3");
    assert!(matches!(
        cmds.as_slice(),
        [Command::UpdateAlert { alert_id, base: Some(_), .. }] if alert_id == "ia2"
    ));

    update(&mut s, code(KeyCode::Esc));
    assert_eq!(
        s.focus,
        Focus::Incident,
        "esc from the alert comes back to the incident"
    );
    assert!(s.incidents.opened().is_none());
    update(&mut s, code(KeyCode::Esc));
    assert_eq!(s.focus, Focus::Incidents);
    assert_eq!(selected(&s), Some("101"));
    update(&mut s, code(KeyCode::Esc));
    assert_eq!(s.focus, Focus::Queue);
}

#[test]
fn an_alert_the_queue_holds_shows_at_once() {
    let mut s = pane();
    select(&mut s, "102");
    update(&mut s, code(KeyCode::Enter));
    let cmds = update(&mut s, code(KeyCode::Enter));
    assert_eq!(cmds, vec![Command::GetAlert { id: "da3".into() }]);
    assert_eq!(s.detail_alert().map(|a| a.id.as_str()), Some("da3"));
    // Ctrl-C also leaves the alert for the incident.
    update(&mut s, ctrl('c'));
    assert_eq!(s.focus, Focus::Incident);
    assert!(!s.should_quit());
}

#[test]
fn write_replies_update_the_rows() {
    let mut s = pane();
    select(&mut s, "101");
    press(&mut s, "s3");
    let cmds = press(&mut s, "y");
    let (incidents, alerts) = patches(&cmds);
    // The PATCH reply carries no alerts: the row keeps its summary.
    let mut reply = incident_from(serde_json::json!({
        "id": "101", "displayName": "Credential theft on ws-014", "status": "resolved",
        "severity": "high", "lastUpdateDateTime": "2026-11-26T12:00:00Z"
    }));
    assert!(reply.alerts.is_none());
    reply.incident.comments.clear();
    update(
        &mut s,
        Action::IncidentWriteSucceeded {
            write_id: incidents[0].0,
            incident: Box::new(reply),
        },
    );
    let row = s.incidents.queue.get("101").unwrap();
    assert_eq!(row.incident.status, Some(IncidentStatus::Resolved));
    assert_eq!(row.alerts().len(), 3);
    assert!(s.writes.pending_incident_update("101").is_none());

    // An alert's reply updates its incident's summary.
    let (write_id, alert_id, _, _) = &alerts[0];
    let alert = from_value(serde_json::json!({
        "id": alert_id, "status": "resolved", "incidentId": "101",
        "createdDateTime": "2026-11-26T11:20:00Z"
    }));
    update(
        &mut s,
        Action::WriteSucceeded {
            write_id: *write_id,
            alert,
        },
    );
    let row = s.incidents.queue.get("101").unwrap();
    assert_eq!(row.alerts()[0].status(), Some(&AlertStatus::Resolved));
    assert_eq!(s.writes.len(), 1);
    let (write_id, alert_id, _, _) = &alerts[1];
    let alert = from_value(serde_json::json!({
        "id": alert_id, "status": "resolved", "incidentId": "101"
    }));
    update(
        &mut s,
        Action::WriteSucceeded {
            write_id: *write_id,
            alert,
        },
    );
    assert_eq!(
        message(&s),
        "Saved 3 changes",
        "one line for the whole resolve"
    );

    // A comment reply sets the incident's comments; an unreadable reply reads it again.
    update(&mut s, code(KeyCode::Enter));
    press(&mut s, "m");
    press(&mut s, "Done");
    let cmds = update(&mut s, ctrl('s'));
    let [Command::AddIncidentComment { write_id, .. }] = cmds.as_slice() else {
        panic!("{cmds:?}");
    };
    let comment = AlertComment {
        comment: Some("Done".into()),
        created_by_display_name: Some("analyst".into()),
        created_date_time: Some(NOW),
    };
    update(
        &mut s,
        Action::CommentAdded {
            write_id: *write_id,
            target: Target::incident("101"),
            comments: vec![comment],
        },
    );
    assert_eq!(
        s.incidents
            .view
            .as_ref()
            .unwrap()
            .row
            .incident
            .comments
            .len(),
        1
    );
    assert_eq!(
        s.incidents
            .queue
            .get("101")
            .unwrap()
            .incident
            .comments
            .len(),
        1
    );
    assert_eq!(message(&s), "Comment added to incident 101");
    let cmds = press(&mut s, "a");
    let [Command::UpdateIncident { write_id, .. }] = cmds.as_slice() else {
        panic!("{cmds:?}");
    };
    let cmds = update(
        &mut s,
        Action::WriteLanded {
            write_id: *write_id,
            target: Target::incident("101"),
        },
    );
    assert_eq!(cmds, vec![Command::GetIncident { id: "101".into() }]);
}

#[test]
fn a_conflict_on_an_incident_names_the_incident() {
    let mut s = pane();
    select(&mut s, "104");
    let cmds = press(&mut s, "s1");
    let [Command::UpdateIncident { write_id, .. }] = cmds.as_slice() else {
        panic!("{cmds:?}");
    };
    update(
        &mut s,
        Action::WriteConflict {
            write_id: *write_id,
            entry_id: "0007-aa".into(),
            target: Target::incident("104"),
            fields: vec![FieldConflict {
                field: "status".into(),
                base: serde_json::json!("inProgress"),
                mine: serde_json::json!("active"),
                theirs: serde_json::json!("resolved"),
            }],
        },
    );
    assert_eq!(
        message(&s),
        "incident 104 was changed by someone else: keep yours or take theirs"
    );
    let Some(Overlay::Conflict(prompt)) = &s.overlay else {
        panic!("the conflict asks");
    };
    assert_eq!(prompt.target, Target::incident("104"));
    assert!(s.writes.is_empty());
}

#[test]
fn writes_restored_from_the_outbox_show_on_incident_rows() {
    let mut s = pane();
    update(
        &mut s,
        Action::OutboxRestored(vec![RestoredWrite {
            write_id: writes::RESTORED_WRITE_IDS,
            target: Target::incident("102"),
            op: writes::WriteOp::UpdateIncident(resolved()),
        }]),
    );
    assert_eq!(
        s.writes
            .pending_incident_update("102")
            .and_then(|u| u.status),
        Some(IncidentStatus::Resolved)
    );
    assert!(s.writes.pending_update("102").is_none(), "not an alert");
}

#[test]
fn leaving_for_another_pane_forgets_the_alert_opened_from_an_incident() {
    let mut s = pane();
    select(&mut s, "101");
    update(&mut s, code(KeyCode::Enter));
    update(&mut s, code(KeyCode::Enter));
    assert_eq!(s.targets(), vec![Target::alert("ia1")]);
    command(&mut s, "entities");
    update(&mut s, code(KeyCode::Esc));
    assert_eq!(s.focus, Focus::Queue);
    update(&mut s, code(KeyCode::Enter));
    assert_eq!(s.focus, Focus::Detail);
    assert_eq!(
        s.detail_alert().map(|a| a.id.as_str()),
        Some("da5"),
        "the queue's alert, not the one opened from the incident"
    );
    assert_eq!(s.targets(), vec![Target::alert("da5")]);
    assert!(s.layout(ratatui::layout::Rect::new(0, 0, 160, 48)).split);
}
