//! The console's worker with the outbox, over the emulator: a bulk change is journaled and
//! answered per write id; a restart reports what was left as pending.

mod outbox_support;

use futures_util::StreamExt;
use graphsec::app::{Action, Command};
use graphsec::graph::odata::ODataQuery;
use graphsec::outbox::journal;
use graphsec::worker;
use outbox_support::*;
use std::collections::BTreeSet;
use tokio::sync::mpsc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_comment_is_journaled_and_every_write_id_is_answered() {
    let emu = emulator(30, None).await;
    let client = bare_client(&emu.base_url());
    let ids: Vec<String> = {
        let mut pages = std::pin::pin!(client.list_alerts(&ODataQuery::new().top(30)));
        let page = pages.next().await.expect("page").expect("list");
        page.items.into_iter().map(|a| a.id).collect()
    };
    let dir = TempDir::new("outbox-worker");
    let (outbox, events) = start(open_journal(&dir), &client, fast_writer());
    let (command_tx, command_rx) = mpsc::unbounded_channel();
    let (update_tx, mut update_rx) = mpsc::channel(1024);
    let task = tokio::spawn(worker::run(
        client.clone(),
        outbox,
        events,
        command_rx,
        update_tx,
    ));

    // What the app sends for "comment on 30 marked alerts": all at once.
    for (n, id) in ids.iter().enumerate() {
        command_tx
            .send(Command::AddComment {
                write_id: n as u64 + 1,
                alert_id: id.clone(),
                text: "bulk: contained".into(),
            })
            .expect("send");
    }
    let mut answered = BTreeSet::new();
    while answered.len() < ids.len() {
        match update_rx.recv().await.expect("worker alive") {
            Action::CommentAdded { write_id, .. } => {
                assert!(answered.insert(write_id), "write {write_id} answered twice");
            }
            Action::WriteFailed { write_id, error } => panic!("{write_id}: {error}"),
            _ => {}
        }
    }
    drop(command_tx);
    let _ = task.await;

    for id in &ids {
        let alert = client.get_alert(id).await.expect("get");
        let n = alert
            .comments
            .iter()
            .filter(|c| c.comment.as_deref() == Some("bulk: contained"))
            .count();
        assert_eq!(n, 1, "{id}");
    }
    let text = std::fs::read_to_string(journal::path_for(&dir.0, "test")).expect("journal");
    assert_eq!(
        text.lines().filter(|l| l.contains("\"enqueued\"")).count(),
        ids.len()
    );
}

#[tokio::test]
async fn writes_left_by_an_earlier_run_show_as_pending_then_land() {
    let emu = emulator(3, None).await;
    let client = bare_client(&emu.base_url());
    let dir = TempDir::new("outbox-worker-restore");
    let alert = {
        let mut pages = std::pin::pin!(client.list_alerts(&ODataQuery::new().top(1)));
        let page = pages.next().await.expect("page").expect("list");
        page.items[0].id.clone()
    };
    {
        // An earlier console journaled a comment and died before sending it.
        let mut j = open_journal(&dir);
        let now = time::OffsetDateTime::now_utc();
        let entry = graphsec::outbox::Entry {
            id: j.next_id(now),
            created: now,
            profile: "test".into(),
            endpoint: client.base_url().to_owned(),
            target: graphsec::outbox::Target::alert(&alert),
            after: None,
            op: graphsec::outbox::Op::AlertComment {
                text: "from before the crash".into(),
                author: Some(ANALYST.into()),
            },
        };
        j.append(graphsec::outbox::Record::Enqueued { entry })
            .expect("append");
    }
    let (outbox, events) = start(open_journal(&dir), &client, fast_writer());
    let (_command_tx, command_rx) = mpsc::unbounded_channel();
    let (update_tx, mut update_rx) = mpsc::channel(64);
    tokio::spawn(worker::run(
        client.clone(),
        outbox,
        events,
        command_rx,
        update_tx,
    ));
    let restored = loop {
        if let Action::OutboxRestored(r) = update_rx.recv().await.expect("worker alive") {
            break r;
        }
    };
    assert_eq!(restored.len(), 1);
    assert_eq!(restored[0].target, graphsec::outbox::Target::alert(alert));
    let write_id = restored[0].write_id;
    loop {
        match update_rx.recv().await.expect("worker alive") {
            Action::CommentAdded { write_id: w, .. } if w == write_id => break,
            Action::WriteFailed { error, .. } => panic!("{error}"),
            _ => {}
        }
    }
}
