//! The outbox writer against the real emulator over loopback: restart, exactly-once
//! comments, conflicts, permanent failures.

mod outbox_support;

use futures_util::StreamExt;
use graphsec::emulator::Route;
use graphsec::graph::Client;
use graphsec::graph::enums::AlertStatus;
use graphsec::graph::models::AlertUpdate;
use graphsec::graph::odata::ODataQuery;
use graphsec::outbox::{
    Base, Entry, Journal, Op, OutboxEvent, Record, Reply, Resolution, Status, Target, check,
};
use outbox_support::*;
use time::OffsetDateTime;

async fn alert_ids(client: &Client, n: usize) -> Vec<String> {
    let mut pages = std::pin::pin!(client.list_alerts(&ODataQuery::new().top(n as u32)));
    let page = pages.next().await.expect("a page").expect("list");
    page.items.into_iter().take(n).map(|a| a.id).collect()
}

/// Writes an entry into the journal as an earlier run would have, optionally as sent.
fn journal_entry(j: &mut Journal, client: &Client, alert: &str, op: Op, sent: bool) -> String {
    let now = OffsetDateTime::now_utc();
    let entry = Entry {
        id: j.next_id(now),
        created: now,
        profile: "test".into(),
        endpoint: client.base_url().to_owned(),
        target: Target::alert(alert),
        after: None,
        op,
    };
    let id = entry.id.clone();
    j.append(Record::Enqueued { entry }).expect("enqueue");
    if sent {
        j.append(Record::Sent {
            id: id.clone(),
            at: now,
        })
        .expect("sent");
    }
    id
}

fn comment(text: &str) -> Op {
    Op::AlertComment {
        text: text.into(),
        author: Some(ANALYST.into()),
    }
}

fn count_text(comments: &[graphsec::graph::models::AlertComment], text: &str) -> usize {
    comments
        .iter()
        .filter(|c| c.comment.as_deref() == Some(text))
        .count()
}

#[tokio::test]
async fn unfinished_entries_from_an_earlier_run_are_restored_and_sent() {
    let emu = emulator(5, None).await;
    let client = bare_client(&emu.base_url());
    let ids = alert_ids(&client, 2).await;
    let dir = TempDir::new("outbox-restore");
    let (c1, u1);
    {
        let mut j = open_journal(&dir);
        c1 = journal_entry(&mut j, &client, &ids[0], comment("restored note"), false);
        u1 = journal_entry(
            &mut j,
            &client,
            &ids[1],
            Op::AlertUpdate {
                update: AlertUpdate {
                    assigned_to: Some("restored@contoso.com".into()),
                    ..Default::default()
                },
                base: None,
            },
            true,
        );
        // An entry for another endpoint (say, a real tenant) must never go to this one.
        let now = OffsetDateTime::now_utc();
        let foreign = Entry {
            id: j.next_id(now),
            created: now,
            profile: "test".into(),
            endpoint: "https://graph.microsoft.com/v1.0".into(),
            target: Target::alert(&ids[0]),
            after: None,
            op: comment("for the real tenant"),
        };
        j.append(Record::Enqueued { entry: foreign })
            .expect("append");
    }
    let (outbox, mut rx) = start(open_journal(&dir), &client, fast_writer());
    outbox.wait_idle().await;
    let events = drain(&mut rx);
    let OutboxEvent::Restored(restored) = &events[0] else {
        panic!("first event is the restore: {events:?}");
    };
    let restored_ids: Vec<&str> = restored.iter().map(|v| v.entry.id.as_str()).collect();
    assert_eq!(restored_ids, vec![c1.as_str(), u1.as_str()]);
    let done: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            OutboxEvent::Done { id, .. } => Some(id.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(done.len(), 2, "{events:?}");

    let a0 = client.get_alert(&ids[0]).await.expect("get");
    assert_eq!(count_text(&a0.comments, "restored note"), 1);
    assert_eq!(count_text(&a0.comments, "for the real tenant"), 0);
    let a1 = client.get_alert(&ids[1]).await.expect("get");
    assert_eq!(a1.assigned_to.as_deref(), Some("restored@contoso.com"));
}

#[tokio::test]
async fn a_comment_that_already_landed_is_not_posted_again() {
    let emu = emulator(3, None).await;
    let client = bare_client(&emu.base_url());
    let id = alert_ids(&client, 1).await.remove(0);
    let dir = TempDir::new("outbox-landed");
    let entry;
    {
        let mut j = open_journal(&dir);
        entry = journal_entry(&mut j, &client, &id, comment("isolated host"), true);
    }
    // The earlier run's POST reached Graph; its reply (and the `done` record) was lost.
    client
        .add_alert_comment(&id, "isolated host")
        .await
        .expect("post");
    let posts_before = emu.controls().requests("POST", Route::AlertComments);

    let (outbox, mut rx) = start(open_journal(&dir), &client, fast_writer());
    outbox.wait_idle().await;
    let events = drain(&mut rx);
    assert!(
        events.iter().any(|e| matches!(e, OutboxEvent::Done { id, reply: Reply::AlreadyThere(_), .. } if *id == entry)),
        "{events:?}"
    );
    assert_eq!(
        emu.controls().requests("POST", Route::AlertComments),
        posts_before,
        "no second POST"
    );
    let alert = client.get_alert(&id).await.expect("get");
    assert_eq!(count_text(&alert.comments, "isolated host"), 1);
}

#[tokio::test]
async fn a_comment_sent_but_lost_on_the_way_is_posted_once() {
    let emu = emulator(3, None).await;
    let client = bare_client(&emu.base_url());
    let id = alert_ids(&client, 1).await.remove(0);
    let dir = TempDir::new("outbox-lost");
    {
        let mut j = open_journal(&dir);
        journal_entry(&mut j, &client, &id, comment("never arrived"), true);
    }
    let (outbox, _rx) = start(open_journal(&dir), &client, fast_writer());
    outbox.wait_idle().await;
    assert_eq!(emu.controls().requests("POST", Route::AlertComments), 1);
    assert_eq!(
        emu.controls().requests("GET", Route::Alert),
        1,
        "looked first"
    );
    let alert = client.get_alert(&id).await.expect("get");
    assert_eq!(count_text(&alert.comments, "never arrived"), 1);
}

fn resolve() -> AlertUpdate {
    AlertUpdate {
        status: Some(AlertStatus::Resolved),
        ..Default::default()
    }
}

/// Sets up: the analyst saw the alert, someone else moved its status, then the analyst's
/// resolve is submitted with the old base. Returns the stopped entry.
async fn conflicting_resolve(
    client: &Client,
    outbox: &graphsec::outbox::Outbox,
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<OutboxEvent>,
    id: &str,
) -> String {
    let seen = client.get_alert(id).await.expect("get");
    assert_ne!(seen.status, Some(AlertStatus::InProgress));
    let base: Base = check::base_for(&seen, &resolve());
    // The server's clock has 100 ns resolution; make sure the other change is newer.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    client
        .update_alert(
            id,
            &AlertUpdate {
                status: Some(AlertStatus::InProgress),
                ..Default::default()
            },
        )
        .await
        .expect("someone else's change");
    let entry = outbox
        .submit(
            Target::alert(id),
            Op::AlertUpdate {
                update: resolve(),
                base: Some(base),
            },
        )
        .await
        .expect("submit");
    outbox.wait_idle().await;
    let events = drain(rx);
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
    assert_eq!(fields.len(), 1);
    assert_eq!(fields[0].field, "status");
    assert_eq!(fields[0].mine, serde_json::json!("resolved"));
    assert_eq!(fields[0].theirs, serde_json::json!("inProgress"));
    // Nothing was overwritten.
    let now = client.get_alert(id).await.expect("get");
    assert_eq!(now.status, Some(AlertStatus::InProgress));
    entry
}

#[tokio::test]
async fn a_conflict_stops_the_patch_until_the_analyst_keeps_mine() {
    let emu = emulator(3, None).await;
    let client = bare_client(&emu.base_url());
    let id = alert_ids(&client, 1).await.remove(0);
    let dir = TempDir::new("outbox-keep");
    let (outbox, mut rx) = start(open_journal(&dir), &client, fast_writer());
    let entry = conflicting_resolve(&client, &outbox, &mut rx, &id).await;
    let patches = emu.controls().requests("PATCH", Route::Alert);

    outbox
        .resolve(&entry, Resolution::KeepMine)
        .await
        .expect("resolve");
    outbox.wait_idle().await;
    assert_eq!(emu.controls().requests("PATCH", Route::Alert), patches + 1);
    let now = client.get_alert(&id).await.expect("get");
    assert_eq!(now.status, Some(AlertStatus::Resolved));
}

#[tokio::test]
async fn take_theirs_drops_the_patch_and_sends_nothing() {
    let emu = emulator(3, None).await;
    let client = bare_client(&emu.base_url());
    let id = alert_ids(&client, 1).await.remove(0);
    let dir = TempDir::new("outbox-theirs");
    let (outbox, mut rx) = start(open_journal(&dir), &client, fast_writer());
    let entry = conflicting_resolve(&client, &outbox, &mut rx, &id).await;
    let patches = emu.controls().requests("PATCH", Route::Alert);

    outbox
        .resolve(&entry, Resolution::TakeTheirs)
        .await
        .expect("resolve");
    outbox.wait_idle().await;
    assert_eq!(emu.controls().requests("PATCH", Route::Alert), patches);
    let now = client.get_alert(&id).await.expect("get");
    assert_eq!(now.status, Some(AlertStatus::InProgress));
    assert!(matches!(
        outbox
            .entries()
            .iter()
            .find(|v| v.entry.id == entry)
            .map(|v| &v.status),
        Some(Status::Dropped(_))
    ));
}

#[tokio::test]
async fn a_refused_write_keeps_graphs_message_and_holds_later_writes_to_that_alert() {
    let emu = emulator(3, None).await;
    let client = bare_client(&emu.base_url());
    let dir = TempDir::new("outbox-refused");
    let (outbox, mut rx) = start(open_journal(&dir), &client, fast_writer());
    let gone = "no-such-alert";
    let first = outbox
        .submit(
            Target::alert(gone),
            Op::AlertUpdate {
                update: resolve(),
                base: None,
            },
        )
        .await
        .expect("submit");
    outbox.wait_idle().await;
    let later = outbox
        .submit(Target::alert(gone), comment("after the failure"))
        .await
        .expect("submit");
    outbox.wait_idle().await;

    let entries = outbox.entries();
    let status = |id: &str| {
        entries
            .iter()
            .find(|v| v.entry.id == id)
            .map(|v| v.status.clone())
            .expect("entry")
    };
    let Status::Failed {
        status: Some(404),
        code,
        ..
    } = status(&first)
    else {
        panic!("{:?}", status(&first));
    };
    assert!(!code.is_empty(), "Graph's error code is kept");
    assert_eq!(status(&later), Status::Pending, "held behind the failure");
    assert_eq!(emu.controls().requests("POST", Route::AlertComments), 0);
    let events = drain(&mut rx);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, OutboxEvent::Stopped(v) if v.entry.id == first))
    );

    // Dropping the failure lets the next write go (and fail on its own merits).
    outbox.drop_entry(&first).await.expect("drop");
    outbox.wait_idle().await;
    assert_eq!(emu.controls().requests("POST", Route::AlertComments), 1);
}
