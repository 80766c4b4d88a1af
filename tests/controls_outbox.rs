//! Control-state writes through the outbox against the real emulator over loopback. A
//! control PATCH appends a `controlStateUpdates` entry, so it is not idempotent: a write
//! whose reply was lost is looked for before it is sent again, and a write made over an
//! old view of the control's state stops as a conflict until the analyst decides.

mod outbox_support;

use futures_util::StreamExt;
use graphsec::emulator::{Fault, Route, Scope};
use graphsec::graph::Client;
use graphsec::graph::odata::ODataQuery;
use graphsec::graph::score::{ControlState, ControlStateUpdate, SecureScoreControlProfile};
use graphsec::outbox::{
    Journal, Op, OutboxEvent, Record, Reply, Resolution, Status, Target, TargetKind, check, journal,
};
use outbox_support::*;
use serde_json::json;

async fn first_control(client: &Client) -> SecureScoreControlProfile {
    let mut pages = std::pin::pin!(client.list_control_profiles(&ODataQuery::new()));
    let page = pages.next().await.expect("a page").expect("list");
    page.items.into_iter().next().expect("a control")
}

fn third_party(comment: &str) -> ControlStateUpdate {
    ControlStateUpdate {
        comment: Some(comment.into()),
        ..ControlStateUpdate::new(ControlState::ThirdParty)
    }
}

fn with_comment(p: &SecureScoreControlProfile, text: &str) -> usize {
    p.control_state_updates
        .iter()
        .filter(|u| u.comment.as_deref() == Some(text))
        .count()
}

#[tokio::test]
async fn a_control_update_whose_reply_is_lost_lands_once() {
    let emu = emulator(5, None).await;
    let client = bare_client(&emu.base_url());
    let control = first_control(&client).await;
    let history = control.control_state_updates.len();
    // The first PATCH reaches the emulator and lands; its reply never comes back.
    emu.controls().inject(
        Fault::ResetAfter,
        1,
        Scope {
            method: Some("PATCH".into()),
            route: Some(Route::ControlProfile),
        },
    );
    let dir = TempDir::new("control-once");
    let (outbox, mut rx) = start(open_journal(&dir), &client, fast_writer());
    let gets = emu.controls().requests("GET", Route::ControlProfile);
    let entry = outbox
        .submit(
            Target::control(&control.id),
            Op::ControlUpdate {
                update: third_party("covered by our EDR"),
                base: None,
            },
        )
        .await
        .expect("submit");
    outbox.wait_idle().await;

    assert_eq!(
        emu.controls().injected("reset-after"),
        1,
        "the reply was lost"
    );
    assert_eq!(
        emu.controls().requests("PATCH", Route::ControlProfile),
        1,
        "not sent again"
    );
    assert_eq!(
        emu.controls().requests("GET", Route::ControlProfile),
        gets + 1,
        "looked before resending"
    );
    let events = drain(&mut rx);
    let reply = events
        .iter()
        .find_map(|e| match e {
            OutboxEvent::Done {
                id,
                reply: Reply::Control(p),
                ..
            } if *id == entry => Some(p.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("landed with the profile: {events:?}"));
    assert_eq!(reply.state(), Some(&ControlState::ThirdParty));
    let now = client.get_control_profile(&control.id).await.expect("get");
    assert_eq!(now.control_state_updates.len(), history + 1);
    assert_eq!(with_comment(&now, "covered by our EDR"), 1);
    let view = outbox
        .entries()
        .into_iter()
        .find(|v| v.entry.id == entry)
        .expect("on file");
    assert_eq!(view.status, Status::Done);
}

#[tokio::test]
async fn a_control_changed_by_someone_else_stops_until_the_analyst_decides() {
    let emu = emulator(5, None).await;
    let client = bare_client(&emu.base_url());
    let seen = first_control(&client).await;
    let mine = third_party("handled by the EDR vendor");
    let base = check::control_base(&seen, &mine);
    // The server's clock has 100 ns resolution; make sure the other change is newer.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    client
        .update_control_profile(
            &seen.id,
            &ControlStateUpdate {
                assigned_to: Some("eve@contoso.example".into()),
                ..ControlStateUpdate::new(ControlState::Ignored)
            },
            false,
        )
        .await
        .expect("someone else's change");
    let dir = TempDir::new("control-conflict");
    let (outbox, mut rx) = start(open_journal(&dir), &client, fast_writer());
    let patches = emu.controls().requests("PATCH", Route::ControlProfile);
    let entry = outbox
        .submit(
            Target::control(&seen.id),
            Op::ControlUpdate {
                update: mine.clone(),
                base: Some(base),
            },
        )
        .await
        .expect("submit");
    outbox.wait_idle().await;
    assert_eq!(
        emu.controls().requests("PATCH", Route::ControlProfile),
        patches,
        "not sent"
    );
    let events = drain(&mut rx);
    let stopped = events
        .iter()
        .find_map(|e| match e {
            OutboxEvent::Stopped(v) if v.entry.id == entry => Some(v.status.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("stopped: {events:?}"));
    let Status::Conflict(fields) = stopped else {
        panic!("{stopped:?}")
    };
    let by_field = |f: &str| fields.iter().find(|c| c.field == f).cloned();
    let state = by_field("state").expect("state conflicts");
    assert_eq!(state.theirs, json!("Ignored"));
    assert_eq!(state.mine, json!("ThirdParty"));
    let assigned = by_field("assignedTo").expect("assignedTo conflicts");
    assert_eq!(assigned.theirs, json!("eve@contoso.example"));
    assert_eq!(assigned.mine, serde_json::Value::Null);

    // Keep mine: sent over the server's values, once.
    outbox
        .resolve(&entry, Resolution::KeepMine)
        .await
        .expect("resolve");
    outbox.wait_idle().await;
    assert_eq!(
        emu.controls().requests("PATCH", Route::ControlProfile),
        patches + 1
    );
    assert!(drain(&mut rx).iter().any(|e| matches!(
        e,
        OutboxEvent::Done { id, reply: Reply::Control(p), .. }
            if *id == entry && p.state() == Some(&ControlState::ThirdParty)
    )));
    let now = client.get_control_profile(&seen.id).await.expect("get");
    assert_eq!(now.state(), Some(&ControlState::ThirdParty));
    assert_eq!(with_comment(&now, "handled by the EDR vendor"), 1);
}

#[tokio::test]
async fn a_base_that_is_still_current_sends_at_once() {
    let emu = emulator(5, None).await;
    let client = bare_client(&emu.base_url());
    let seen = first_control(&client).await;
    let mine = third_party("no one else touched it");
    let dir = TempDir::new("control-current");
    let (outbox, mut rx) = start(open_journal(&dir), &client, fast_writer());
    outbox
        .submit(
            Target::control(&seen.id),
            Op::ControlUpdate {
                base: Some(check::control_base(&seen, &mine)),
                update: mine,
            },
        )
        .await
        .expect("submit");
    outbox.wait_idle().await;
    assert!(drain(&mut rx).iter().any(|e| matches!(
        e,
        OutboxEvent::Done {
            reply: Reply::Control(_),
            ..
        }
    )));
    assert_eq!(emu.controls().requests("PATCH", Route::ControlProfile), 1);
}

#[test]
fn a_journal_written_before_controls_still_reads_and_takes_control_writes() {
    let dir = TempDir::new("control-old-journal");
    let path = journal::path_for(&dir.0, "test");
    std::fs::create_dir_all(path.parent().expect("dir")).expect("outbox dir");
    // Lines as an earlier build wrote them: alert and incident kinds only.
    let old = [
        r#"{"rec":"enqueued","entry":{"id":"00000000000001-00000001","created":"2026-11-20T10:00:00Z","profile":"test","endpoint":"http://127.0.0.1:1/v1.0","target":{"kind":"alert","id":"a1"},"op":{"kind":"alertUpdate","update":{"status":"resolved"},"base":null}}}"#,
        r#"{"rec":"enqueued","entry":{"id":"00000000000002-00000002","created":"2026-11-20T10:00:01Z","profile":"test","endpoint":"http://127.0.0.1:1/v1.0","target":{"kind":"incident","id":"7"},"op":{"kind":"incidentComment","text":"hi","author":null}}}"#,
        r#"{"rec":"sent","id":"00000000000002-00000002","at":"2026-11-20T10:00:02Z"}"#,
    ];
    std::fs::write(&path, format!("{}\n", old.join("\n"))).expect("old journal");
    {
        let mut j = Journal::open(&path).expect("an old journal opens");
        let report = j.replay_report();
        assert_eq!((report.bad_lines, report.torn_tail), (0, false));
        let kinds: Vec<TargetKind> = j.entries().map(|s| s.entry.target.kind).collect();
        assert_eq!(kinds, [TargetKind::Alert, TargetKind::Incident]);
        assert_eq!(j.get("00000000000002-00000002").expect("entry").sent, 1);
        // And a control write joins it.
        let now = time::OffsetDateTime::now_utc();
        let entry = graphsec::outbox::Entry {
            id: j.next_id(now),
            created: now,
            profile: "test".into(),
            endpoint: "http://127.0.0.1:1/v1.0".into(),
            target: Target::control("AdminMFA"),
            op: Op::ControlUpdate {
                update: third_party("x"),
                base: None,
            },
            after: None,
        };
        j.append(Record::Enqueued { entry }).expect("append");
    }
    let j = Journal::open(&path).expect("reopen");
    assert_eq!(j.replay_report().bad_lines, 0);
    let last = j.entries().last().expect("entries");
    assert_eq!(last.entry.target, Target::control("AdminMFA"));
    assert!(matches!(
        &last.entry.op,
        Op::ControlUpdate { update, base: None } if *update == third_party("x")
    ));
    assert_eq!(j.entries().count(), 3);
}
