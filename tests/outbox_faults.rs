//! 1,000 writes over several alerts through the outbox while the emulator fails about a
//! third of all requests: every write lands, exactly once, in order per alert. Counted at the
//! emulator (its comment lists and request counters), not by trusting our own reports.
//!
//! Two fault mixes: a periodic 429 on every 3rd request (no Retry-After, so the writer's
//! backoff decides) plus bursts of 429 aimed at comment POSTs; and a seeded 30% rate of every
//! fault kind the emulator has (500/502/503/504, connection reset before and after the write
//! lands, latency, 429 with and without Retry-After, truncated and malformed bodies). The
//! client is built with no retries of its own, so every fault reaches the writer.

mod outbox_support;

use futures_util::StreamExt;
use graphsec::emulator::{
    EmulatorConfig, Fault, FaultKind, RandomFaults, Route, RunningEmulator, Scope,
};
use graphsec::graph::models::AlertUpdate;
use graphsec::graph::odata::ODataQuery;
use graphsec::outbox::{Base, Op, OutboxEvent, Target};
use outbox_support::*;
use std::collections::BTreeMap;

const ALERTS: usize = 8;
const WRITES: usize = 1_000;
/// One fault every this many requests.
const FAULT_EVERY: u32 = 3;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_writes_under_periodic_throttling_all_land_exactly_once() {
    let emu = emulator(ALERTS, Some(FAULT_EVERY)).await;
    thousand_writes_land_exactly_once(&emu, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_writes_under_a_30_percent_mixed_fault_rate_all_land_exactly_once() {
    let emu = graphsec::emulator::start(EmulatorConfig {
        alerts: ALERTS,
        seed: 11,
        fault_seed: Some(30),
        ..Default::default()
    })
    .await
    .expect("emulator");
    emu.controls().add_random_faults(
        RandomFaults::new(0.3, &FaultKind::ALL)
            .latency(std::time::Duration::from_millis(5))
            .retry_after(Some(0)),
    );
    thousand_writes_land_exactly_once(&emu, false).await;
    println!("faults injected: {}", emu.controls().injected_summary());
    assert!(
        emu.controls().injected_total() > 300,
        "the fault rate really bit"
    );
}

/// Journals 1,000 writes (3 comments to 2 PATCHes) over the alerts and checks at the
/// emulator that each landed exactly once. `bursts` adds 429 bursts on comment POSTs.
async fn thousand_writes_land_exactly_once(emu: &RunningEmulator, bursts: bool) {
    let client = bare_client(&emu.base_url());
    let dir = TempDir::new("outbox-faults");

    // The alerts as the analyst first saw them (the listing itself may be throttled).
    let alerts = loop {
        let mut pages = std::pin::pin!(client.list_alerts(&ODataQuery::new().top(100)));
        if let Some(Ok(page)) = pages.next().await {
            break page.items;
        }
    };
    assert_eq!(alerts.len(), ALERTS);
    emu.controls().reset_counters();

    let (outbox, mut rx) = start(open_journal(&dir), &client, fast_writer());
    let mut expected_comments: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut last_assignee: BTreeMap<String, String> = BTreeMap::new();
    // What the analyst "sees" as assignee: the previous write's value (pending included).
    let mut seen_assignee: BTreeMap<String, serde_json::Value> = alerts
        .iter()
        .map(|a| {
            let v = a
                .assigned_to
                .clone()
                .map_or(serde_json::Value::Null, serde_json::Value::String);
            (a.id.clone(), v)
        })
        .collect();

    for i in 0..WRITES {
        let alert = &alerts[i % ALERTS];
        if bursts && i % 50 == 0 {
            emu.controls().inject(
                Fault::Throttle {
                    retry_after: Some(0),
                },
                3,
                Scope {
                    method: Some("POST".into()),
                    route: Some(Route::AlertComments),
                },
            );
        }
        let op = if i % 5 < 3 {
            let text = format!("fault-note {i} on {}", alert.id);
            expected_comments
                .entry(alert.id.clone())
                .or_default()
                .push(text.clone());
            Op::AlertComment {
                text,
                author: Some(ANALYST.into()),
            }
        } else {
            let who = format!("owner-{i}@contoso.com");
            let base = Base {
                last_update: alert.last_update,
                fields: [("assignedTo".to_owned(), seen_assignee[&alert.id].clone())].into(),
            };
            seen_assignee.insert(alert.id.clone(), serde_json::Value::String(who.clone()));
            last_assignee.insert(alert.id.clone(), who.clone());
            Op::AlertUpdate {
                update: AlertUpdate {
                    assigned_to: Some(who),
                    ..Default::default()
                },
                base: Some(base),
            }
        };
        outbox
            .submit(Target::alert(&alert.id), op)
            .await
            .expect("journaled");
    }
    outbox.wait_idle().await;

    let events = drain(&mut rx);
    let landed = events
        .iter()
        .filter(|e| matches!(e, OutboxEvent::Done { .. }))
        .count();
    let problems: Vec<&OutboxEvent> = events
        .iter()
        .filter(|e| matches!(e, OutboxEvent::Stopped(_) | OutboxEvent::Deferred { .. }))
        .collect();
    let requests = emu.controls().total_requests();
    println!(
        "outbox under faults: {WRITES} writes attempted, {landed} reported landed; \
         {requests} requests at the emulator"
    );
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(landed, WRITES);

    // Count at the emulator. Reads can be throttled too: retry them until they answer.
    emu.controls().clear_faults();
    let mut comments_landed = 0;
    for alert in &alerts {
        let now = loop {
            if let Ok(a) = client.get_alert(&alert.id).await {
                break a;
            }
        };
        for text in &expected_comments[&alert.id] {
            let n = now
                .comments
                .iter()
                .filter(|c| c.comment.as_deref() == Some(text.as_str()))
                .count();
            assert_eq!(n, 1, "{text:?} landed {n} times on {}", alert.id);
        }
        let ours = now
            .comments
            .iter()
            .filter(|c| {
                c.comment
                    .as_deref()
                    .is_some_and(|t| t.starts_with("fault-note"))
            })
            .count();
        assert_eq!(
            ours,
            expected_comments[&alert.id].len(),
            "no extra comments"
        );
        comments_landed += ours;
        assert_eq!(
            now.assigned_to.as_deref(),
            Some(last_assignee[&alert.id].as_str()),
            "PATCHes applied in order on {}",
            alert.id
        );
    }
    println!(
        "counted at the emulator: {comments_landed} comments (each exactly once), final \
         assignee of all {ALERTS} alerts is the last one written"
    );
    let remaining = outbox
        .entries()
        .iter()
        .filter(|v| !v.status.is_finished())
        .count();
    assert_eq!(remaining, 0);
    // Finished entries were compacted away while the writer ran: the journal holds a few
    // recent records, not the 3,000+ a full log of these writes would.
    drop(outbox);
    let lines = std::fs::read_to_string(graphsec::outbox::journal::path_for(&dir.0, "test"))
        .expect("journal")
        .lines()
        .count();
    println!("journal after the run: {lines} lines");
    assert!(lines < 600, "{lines} lines");
}
