//! The live queue end to end: the real worker polling the real emulator over loopback while
//! the emulator's tenant changes (new alerts in new and existing incidents, other analysts
//! moving and taking alerts). The console's clock is driven by the test, so minutes of
//! polling take a second; the emulator counts every request.
//!
//! Checked: every change reaches the console's queues (the alert at the version the
//! emulator recorded, or gone when it left the open queue); every change arrives once (no
//! duplicate rows, versions only move forward although every poll re-reads a 30-second
//! overlap); each poll is exactly one list request per queue, far inside Graph's 150 a
//! minute; an idle console polls once a minute per queue; a low request budget holds polls
//! without sending anything.

mod support;

use graphsec::app::Action;
use graphsec::emulator::{self, ChangeKind, EmulatorConfig, Route, RunningEmulator};
use graphsec::graph::BudgetConfig;
use graphsec::graph::enums::AlertStatus;
use ratatui::crossterm::event::KeyCode;
use std::collections::HashMap;
use support::console::Console;
use time::{Duration, OffsetDateTime};

async fn tenant() -> RunningEmulator {
    emulator::start(EmulatorConfig {
        alerts: 300,
        seed: 11,
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts")
}

/// A console with both queues loaded. The test compresses minutes into seconds of real
/// time, so the console's own budget is lifted (tests/budget.rs covers the budget); what
/// it asks of Graph is counted at the emulator instead.
async fn loaded_console(e: &RunningEmulator) -> Console {
    let mut c = Console::with_budget(e, (120, 40), BudgetConfig::unlimited());
    assert_eq!(c.settle().await, None);
    c.key('I');
    c.until("the incident load", |a| {
        matches!(a, Action::IncidentsPage { done: true, .. })
    })
    .await;
    c
}

/// Moves the console's clock to when both queues' next polls are due, ticks, and feeds
/// the replies in. Returns when both polls have answered.
async fn poll_both(c: &mut Console) {
    let (alerts, incidents) = c.state.next_polls();
    let at = alerts
        .expect("alert poll scheduled")
        .max(incidents.expect("incident poll scheduled"));
    c.state.set_now(at);
    c.apply(Action::Tick);
    let (mut a, mut i) = (false, false);
    c.until("both polls", |action| {
        match action {
            Action::AlertsRefreshed { .. } => a = true,
            Action::IncidentsRefreshed { .. } => i = true,
            Action::RefreshHeld { held, .. } => panic!("a poll was held: {held:?}"),
            _ => {}
        }
        a && i
    })
    .await;
}

/// Requests the emulator counted since its counters were last reset.
fn requests(e: &RunningEmulator) -> u64 {
    e.controls().counters().iter().map(|(_, _, n)| n).sum()
}

fn open(s: Option<&AlertStatus>) -> bool {
    matches!(s, Some(AlertStatus::New | AlertStatus::InProgress))
}

#[tokio::test]
async fn every_change_arrives_once_in_order_within_budget() {
    let e = tenant().await;
    let mut c = loaded_console(&e).await;
    let alerts_at_start = c.state.queue_len();
    e.controls().reset_counters();

    const ROUNDS: usize = 40;
    let mut seen_versions: HashMap<String, OffsetDateTime> = HashMap::new();
    let (mut new_alerts, mut left) = (0usize, 0usize);
    let started = c.state.next_polls().0.unwrap();
    for round in 0..ROUNDS {
        let changes = e.controls().step_tenant(1);
        assert_eq!(changes.len(), 1, "round {round}: one change");
        // The analyst is at the keyboard (an unbound key: nothing moves): polls every 15 s.
        c.code(KeyCode::F(12));
        poll_both(&mut c).await;
        let change = &changes[0];
        if let Some(id) = &change.alert_id {
            match c.state.queued_alert(id) {
                Some(a) => {
                    assert_eq!(
                        a.last_update,
                        Some(change.last_update),
                        "round {round}: {:?} on {id} arrived at its version",
                        change.kind
                    );
                    if matches!(
                        change.kind,
                        ChangeKind::NewAlert | ChangeKind::NewAlertInIncident
                    ) {
                        new_alerts += 1;
                    }
                }
                None => {
                    // Only an alert someone resolved leaves the open queue.
                    assert_eq!(
                        change.kind,
                        ChangeKind::AlertStatus,
                        "round {round}: {id} missing"
                    );
                    left += 1;
                }
            }
        }
        if let Some(id) = &change.incident_id
            && let Some(i) = c.state.queued_incident(id)
        {
            // The incident moved with its alert (or by itself): the pane has at least
            // the change's version.
            assert!(
                i.last_update >= Some(change.last_update),
                "round {round}: incident {id} is behind {:?}",
                change.kind
            );
        }
        // Versions only move forward: no poll re-applied an older copy.
        for id in changes.iter().filter_map(|ch| ch.alert_id.as_ref()) {
            if let Some(v) = c.state.queued_alert(id).and_then(|a| a.last_update)
                && let Some(before) = seen_versions.insert(id.clone(), v)
            {
                assert!(v > before, "round {round}: {id} went back");
            }
        }
    }
    // Once: no row twice, and the count adds up although every poll re-read the changes
    // of the last 30 seconds (all of them, at this pace).
    assert_eq!(
        c.state.queue_len(),
        alerts_at_start + new_alerts - left,
        "rows added once, removed once"
    );
    for id in seen_versions.keys() {
        if let Some(a) = c.state.queued_alert(id) {
            assert!(open(a.status.as_ref()), "{id} is open in an open queue");
        }
    }
    assert!(
        new_alerts > 0 && left > 0,
        "the tenant changed in every way"
    );

    // Within budget: one list request per queue per poll, nothing else.
    let polls = e.controls().requests("GET", Route::Alerts);
    let incident_polls = e.controls().requests("GET", Route::Incidents);
    assert_eq!(polls, ROUNDS as u64);
    assert_eq!(incident_polls, ROUNDS as u64);
    assert_eq!(requests(&e), 2 * ROUNDS as u64);
    let minutes = (c.state.next_polls().0.unwrap() - started).as_seconds_f64() / 60.0;
    let per_minute = requests(&e) as f64 / minutes;
    println!(
        "{ROUNDS} polls of both queues over {minutes:.1} simulated minutes: {per_minute:.1} requests/min"
    );
    assert!(
        per_minute <= 8.5,
        "{per_minute} requests a minute while active"
    );
    e.shutdown().await;
}

#[tokio::test]
async fn an_idle_console_polls_each_queue_once_a_minute() {
    let e = tenant().await;
    let mut c = loaded_console(&e).await;
    e.controls().reset_counters();
    // Nobody presses a key for five minutes after the load; the tenant keeps changing.
    let start = c.state.next_polls().0.unwrap() - Duration::seconds(15);
    let end = start + Duration::minutes(5);
    let mut at = start;
    while at < end {
        at += Duration::seconds(1);
        c.state.set_now(at);
        let due = matches!(c.state.next_polls(), (Some(a), _) if a <= at)
            || matches!(c.state.next_polls(), (_, Some(i)) if i <= at);
        if !due {
            c.apply(Action::Tick);
            continue;
        }
        e.controls().step_tenant(1);
        let expect = [c.state.next_polls().0, c.state.next_polls().1]
            .iter()
            .filter(|t| t.is_some_and(|t| t <= at))
            .count();
        c.apply(Action::Tick);
        let mut answered = 0;
        c.until("the due polls", |a| {
            if matches!(
                a,
                Action::AlertsRefreshed { .. } | Action::IncidentsRefreshed { .. }
            ) {
                answered += 1;
            }
            answered == expect
        })
        .await;
    }
    let total = requests(&e);
    println!(
        "5 idle minutes: {total} requests ({:.1}/min)",
        total as f64 / 5.0
    );
    // Every 15 s for the first two minutes (the last key was the load), then once a minute:
    // 8 + 3 polls per queue.
    assert!(
        (18..=24).contains(&total),
        "{total} requests in 5 idle minutes"
    );
    e.shutdown().await;
}

#[tokio::test]
async fn a_low_budget_holds_polls_and_sends_nothing() {
    let e = tenant().await;
    // One request's worth of burst, refilled once a minute: the first load takes it.
    let mut c = Console::with_budget(&e, (120, 40), BudgetConfig::new(1, 1));
    assert_eq!(c.settle().await, None);
    e.controls().reset_counters();
    let at = c.state.next_polls().0.expect("scheduled");
    c.state.set_now(at);
    c.apply(Action::Tick);
    c.until("the held poll", |a| matches!(a, Action::RefreshHeld { .. }))
        .await;
    assert_eq!(requests(&e), 0, "a held poll sends nothing");
    let screen = c.screen();
    assert!(screen.contains("request budget low"), "{screen}");
    // The next try waits a minute, not 15 s.
    assert_eq!(c.state.next_polls().0, Some(at + Duration::seconds(60)));
    e.shutdown().await;
}
