//! Incident writes through the outbox against the real emulator over loopback: the
//! conflict check reads the incident's `lastUpdateDateTime` and fields, and a comment an
//! earlier run may have posted is looked for before posting again.

mod outbox_support;

use futures_util::StreamExt;
use graphsec::emulator::{Fault, Route, Scope};
use graphsec::graph::Client;
use graphsec::graph::enums::{AlertStatus, IncidentStatus};
use graphsec::graph::incidents::IncidentUpdate;
use graphsec::graph::models::AlertUpdate;
use graphsec::graph::odata::ODataQuery;
use graphsec::outbox::writer::NewEntry;
use graphsec::outbox::{Entry, Op, OutboxEvent, Record, Reply, Resolution, Status, Target, check};
use outbox_support::*;
use time::OffsetDateTime;

async fn first_incident(client: &Client) -> String {
    let mut pages = std::pin::pin!(client.list_incidents(&ODataQuery::new().top(500)));
    let page = pages.next().await.expect("a page").expect("list");
    page.items.into_iter().next().expect("an incident").id
}

fn resolve() -> IncidentUpdate {
    IncidentUpdate {
        status: Some(IncidentStatus::Resolved),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_changed_incident_stops_the_patch_until_the_analyst_decides() {
    let emu = emulator(10, None).await;
    let client = bare_client(&emu.base_url());
    let id = first_incident(&client).await;
    let dir = TempDir::new("incident-conflict");
    let (outbox, mut rx) = start(open_journal(&dir), &client, fast_writer());

    let seen = client.get_incident(&id, false).await.expect("get");
    let base = check::incident_base_for(&seen, &resolve());
    // The server's clock has 100 ns resolution; make sure the other change is newer.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    client
        .update_incident(
            &id,
            &IncidentUpdate {
                status: Some(IncidentStatus::InProgress),
                ..Default::default()
            },
        )
        .await
        .expect("someone else's change");
    let entry = outbox
        .submit(
            Target::incident(&id),
            Op::IncidentUpdate {
                update: resolve(),
                base: Some(base),
            },
        )
        .await
        .expect("submit");
    outbox.wait_idle().await;
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
    assert_eq!(fields.len(), 1);
    assert_eq!(fields[0].field, "status");
    assert_eq!(fields[0].theirs, serde_json::json!("inProgress"));
    let patches = emu.controls().requests("PATCH", Route::Incident);

    // Keep mine: sent over the server's value, once.
    outbox
        .resolve(&entry, Resolution::KeepMine)
        .await
        .expect("resolve");
    outbox.wait_idle().await;
    assert_eq!(
        emu.controls().requests("PATCH", Route::Incident),
        patches + 1
    );
    let landed = drain(&mut rx).into_iter().any(|e| {
        matches!(e, OutboxEvent::Done { id: ref d, reply: Reply::Incident(ref i), .. }
            if *d == entry && i.status == Some(IncidentStatus::Resolved))
    });
    assert!(landed);
    let now = client.get_incident(&id, false).await.expect("get");
    assert_eq!(now.status, Some(IncidentStatus::Resolved));
}

#[tokio::test]
async fn alerts_resolved_with_their_incident_go_after_its_patch() {
    let emu = emulator(80, None).await;
    let client = bare_client(&emu.base_url());
    // The incident with the most alerts: the most lanes that could race its PATCH.
    let query = ODataQuery::new().top(500).expand(["alerts"]);
    let mut pages = std::pin::pin!(client.list_incidents(&query));
    let page = pages.next().await.expect("a page").expect("list");
    let incident = page
        .items
        .into_iter()
        .max_by_key(|i| i.alerts.len())
        .expect("an incident");
    assert!(incident.alerts.len() >= 2, "{}", incident.alerts.len());
    // The incident's PATCH is slow: unordered, its alerts' PATCHes would land first.
    emu.controls().inject(
        Fault::Latency(std::time::Duration::from_millis(300)),
        1,
        Scope {
            method: Some("PATCH".into()),
            route: Some(Route::Incident),
        },
    );
    let dir = TempDir::new("incident-after");
    let (outbox, mut rx) = start(open_journal(&dir), &client, fast_writer());
    let resolved = AlertUpdate {
        status: Some(AlertStatus::Resolved),
        ..Default::default()
    };
    let mut items = vec![NewEntry {
        target: Target::incident(&incident.id),
        op: Op::IncidentUpdate {
            update: resolve(),
            base: Some(check::incident_base_for(&incident, &resolve())),
        },
        after: None,
    }];
    items.extend(incident.alerts.iter().map(|a| NewEntry {
        target: Target::alert(&a.id),
        op: Op::AlertUpdate {
            update: resolved.clone(),
            base: Some(check::base_for(a, &resolved)),
        },
        after: Some(Target::incident(&incident.id)),
    }));
    let ids = outbox.submit_entries(items).await.expect("submit");
    outbox.wait_idle().await;

    let mut landed = Vec::new();
    for event in drain(&mut rx) {
        match event {
            OutboxEvent::Done { id, .. } => landed.push(id),
            OutboxEvent::Stopped(v) => panic!("stopped: {:?}", v.status),
            _ => {}
        }
    }
    assert_eq!(landed.len(), ids.len(), "every write landed");
    assert_eq!(landed[0], ids[0], "the incident's PATCH landed first");
    assert_eq!(emu.controls().requests("PATCH", Route::Incident), 1);
    assert_eq!(
        emu.controls().requests("PATCH", Route::Alert),
        incident.alerts.len() as u64
    );
    let now = client.get_incident(&incident.id, true).await.expect("get");
    assert_eq!(now.status, Some(IncidentStatus::Resolved));
    assert!(
        now.alerts
            .iter()
            .all(|a| a.status == Some(AlertStatus::Resolved))
    );
}

#[tokio::test]
async fn a_sent_comment_found_on_the_incident_is_not_posted_again() {
    let emu = emulator(10, None).await;
    let client = bare_client(&emu.base_url());
    let id = first_incident(&client).await;
    let dir = TempDir::new("incident-once");
    // An earlier run posted the comment, then died before writing `done`.
    let posted = client
        .add_incident_comment(&id, "posted before the crash")
        .await
        .expect("comment");
    assert_eq!(posted.len(), 1);
    {
        let mut j = open_journal(&dir);
        let now = OffsetDateTime::now_utc();
        let entry = Entry {
            id: j.next_id(now),
            created: now,
            profile: "test".into(),
            endpoint: client.base_url().to_owned(),
            target: Target::incident(&id),
            after: None,
            op: Op::IncidentComment {
                text: "posted before the crash".into(),
                author: Some(ANALYST.into()),
            },
        };
        let entry_id = entry.id.clone();
        j.append(Record::Enqueued { entry }).expect("enqueue");
        j.append(Record::Sent {
            id: entry_id,
            at: now,
        })
        .expect("sent");
    }
    let posts = emu.controls().requests("POST", Route::IncidentComments);
    let (outbox, mut rx) = start(open_journal(&dir), &client, fast_writer());
    outbox.wait_idle().await;
    assert_eq!(
        emu.controls().requests("POST", Route::IncidentComments),
        posts
    );
    assert!(drain(&mut rx).iter().any(|e| matches!(
        e,
        OutboxEvent::Done {
            reply: Reply::AlreadyThere(_),
            ..
        }
    )));
    let now = client.get_incident(&id, false).await.expect("get");
    assert_eq!(now.comments.len(), 1);
}
