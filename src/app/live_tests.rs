//! `update` tests for the live queue: when polls run, how their alerts merge, and what a
//! change under a pending write looks like.

use super::fixtures::*;
use super::incidents::IncidentRow;
use super::live::{ACTIVE_INTERVAL, Fresh, Held, IDLE_INTERVAL, OVERLAP, PollOf};
use super::*;
use crate::graph::enums::AlertStatus;
use crate::graph::models::Alert;
use ratatui::crossterm::event::KeyCode;
use serde_json::json;
use time::{Duration, OffsetDateTime};

/// When the sample's alerts were last updated (the watermark after the first load).
const LOADED_AT: OffsetDateTime = time::macros::datetime!(2026-11-26 11:50 UTC);

fn tick_at(s: &mut State, at: OffsetDateTime) -> Vec<Command> {
    s.set_now(at);
    update(s, Action::Tick)
}

/// Ticks to the next poll and returns its id.
fn poll(s: &mut State) -> u64 {
    let at = s.live.next_at.expect("a poll is scheduled");
    let cmds = tick_at(s, at);
    match cmds.as_slice() {
        [Command::RefreshAlerts { refresh, .. }] => *refresh,
        other => panic!("expected a poll, got {other:?}"),
    }
}

fn deliver(s: &mut State, refresh: u64, alerts: Vec<Alert>) {
    update(
        s,
        Action::AlertsRefreshed {
            refresh,
            alerts,
            skipped: 0,
        },
    );
}

#[test]
fn the_first_poll_is_due_one_active_interval_after_the_load_and_asks_from_the_watermark() {
    let mut s = live_state();
    assert_eq!(s.live.watermark, Some(LOADED_AT));
    assert!(tick_at(&mut s, NOW + Duration::seconds(14)).is_empty());
    let cmds = tick_at(&mut s, NOW + ACTIVE_INTERVAL);
    let [Command::RefreshAlerts { since, query, .. }] = cmds.as_slice() else {
        panic!("{cmds:?}");
    };
    assert_eq!(*since, LOADED_AT - OVERLAP);
    assert_eq!(*query, s.query());
    assert!(
        tick_at(&mut s, NOW + Duration::minutes(5)).is_empty(),
        "one poll at a time"
    );
}

#[test]
fn a_poll_adds_new_alerts_marks_changed_ones_and_drops_repeats() {
    let mut s = live_state();
    let before = s.queue.len();
    let r = poll(&mut s);
    let t = NOW + Duration::seconds(10);
    let held = s.queue.get("da2").unwrap().clone();
    deliver(
        &mut s,
        r,
        vec![
            polled("fresh1", "new", 0, t),
            // Resolved and never in this open queue: not our business.
            polled("elsewhere", "resolved", 0, t),
            // The overlap read again: same lastUpdateDateTime as the held copy.
            held,
            polled("da3", "inProgress", 30, t + Duration::seconds(1)),
        ],
    );
    assert_eq!(s.queue.len(), before + 1);
    assert!(s.queue.contains("fresh1"));
    assert!(!s.queue.contains("elsewhere"));
    assert_eq!(s.live.fresh.get("fresh1"), Some(&Fresh::New));
    assert_eq!(s.live.fresh.get("da3"), Some(&Fresh::Changed));
    assert_eq!(s.live.fresh.get("da2"), None, "a repeat is not a change");
    assert_eq!(s.live.fresh_counts(), (1, 1));
    assert_eq!(
        s.queue.get("da3").unwrap().status,
        Some(AlertStatus::InProgress)
    );
    assert_eq!(s.live.watermark, Some(t + Duration::seconds(1)));
    assert_eq!(s.live.current_at, Some(NOW + ACTIVE_INTERVAL));
    assert!(s.dirty);
}

#[test]
fn every_change_arrives_once_across_overlapping_polls() {
    let mut s = live_state();
    let t = NOW + Duration::seconds(5);
    let r = poll(&mut s);
    deliver(&mut s, r, vec![polled("fresh1", "new", 0, t)]);
    // The next poll reaches back over the same change (the overlap).
    let r = poll(&mut s);
    deliver(&mut s, r, vec![polled("fresh1", "new", 0, t)]);
    assert_eq!(
        s.live.fresh_counts(),
        (1, 0),
        "still one new alert, not two"
    );
    assert_eq!(view_ids(&s).iter().filter(|i| *i == "fresh1").count(), 1);
}

#[test]
fn an_alert_resolved_elsewhere_leaves_an_open_queue_unless_the_cursor_is_on_it() {
    let mut s = live_state();
    let on_cursor = s.cursor_id.clone().unwrap();
    let other = view_ids(&s)
        .into_iter()
        .find(|i| *i != on_cursor && s.queue.get(i).unwrap().status != Some(AlertStatus::Resolved))
        .unwrap();
    let r = poll(&mut s);
    let t = NOW + Duration::seconds(3);
    deliver(
        &mut s,
        r,
        vec![
            polled(&other, "resolved", 10, t),
            polled(&on_cursor, "resolved", 10, t),
        ],
    );
    assert!(!s.queue.contains(&other), "left the open queue");
    assert!(s.queue.contains(&on_cursor), "the analyst is looking at it");
    assert_eq!(s.live.fresh.get(&on_cursor), Some(&Fresh::Changed));
    assert_eq!(s.cursor_id.as_deref(), Some(on_cursor.as_str()));
}

#[test]
fn a_change_under_a_pending_write_keeps_both_values_until_the_write_is_answered() {
    let mut s = live_state();
    update(&mut s, key('j'));
    let id = s.cursor_id.clone().unwrap();
    // Set inProgress: pending until Graph answers.
    update(&mut s, key('s'));
    update(&mut s, key('j'));
    let cmds = update(&mut s, code(KeyCode::Enter));
    let [Command::UpdateAlert { write_id, .. }] = cmds.as_slice() else {
        panic!("{cmds:?}");
    };
    let write_id = *write_id;

    // Another analyst resolved it meanwhile.
    let r = poll(&mut s);
    let theirs = polled(&id, "resolved", 10, NOW + Duration::seconds(2));
    deliver(&mut s, r, vec![theirs.clone()]);
    assert!(s.queue.contains(&id), "a pending write keeps the row");
    let fields = s.live.theirs.get(&id).expect("both values kept");
    assert_eq!(fields[0].field, "status");
    assert_eq!(fields[0].theirs, json!("resolved"));
    assert_eq!(fields[0].mine, json!("inProgress"));
    assert!(
        s.message.as_ref().unwrap().error,
        "the analyst is told: {:?}",
        s.message
    );
    assert_eq!(
        s.writes.pending_update(&id).unwrap().status,
        Some(AlertStatus::InProgress),
        "the analyst's change is still what is being sent"
    );

    update(
        &mut s,
        Action::WriteSucceeded {
            write_id,
            alert: theirs,
        },
    );
    assert!(
        s.live.theirs.is_empty(),
        "answered: nothing left to compare"
    );
}

#[test]
fn moving_onto_a_fresh_row_marks_it_seen() {
    let mut s = live_state();
    let r = poll(&mut s);
    deliver(
        &mut s,
        r,
        vec![polled("fresh1", "new", 0, NOW + Duration::seconds(1))],
    );
    assert_eq!(s.live.fresh.len(), 1);
    let row = s.queue.position("fresh1").unwrap();
    s.move_cursor_to(row);
    assert!(s.live.fresh.is_empty());
}

#[test]
fn a_reload_makes_the_poll_in_flight_stale() {
    let mut s = live_state();
    let r = poll(&mut s);
    update(&mut s, key('r'));
    deliver(
        &mut s,
        r,
        vec![polled("fresh1", "new", 0, NOW + Duration::seconds(1))],
    );
    assert!(!s.queue.contains("fresh1"));
}

#[test]
fn a_low_budget_holds_polls_at_the_idle_pace_and_says_so() {
    let mut s = live_state();
    let r = poll(&mut s);
    let at = s.now;
    update(
        &mut s,
        Action::RefreshHeld {
            of: PollOf::Alerts,
            refresh: r,
            held: Held::BudgetLow,
        },
    );
    assert_eq!(s.live.next_at, Some(at + IDLE_INTERVAL));
}

#[test]
fn an_idle_console_polls_once_a_minute_and_a_key_speeds_it_up() {
    let mut s = live_state();
    // Nobody at the keyboard for ten minutes.
    let mut at = NOW;
    let mut polls = 0;
    while at < NOW + Duration::minutes(10) {
        at += Duration::seconds(1);
        let cmds = tick_at(&mut s, at);
        if let [Command::RefreshAlerts { refresh, .. }] = cmds.as_slice() {
            polls += 1;
            deliver(&mut s, *refresh, vec![]);
        }
    }
    // 15 s polls for the first two minutes, then one a minute.
    assert!(
        (13..=17).contains(&polls),
        "{polls} polls in 10 idle minutes"
    );
    let next = s.live.next_at.unwrap();
    assert!(next - at > ACTIVE_INTERVAL);
    update(&mut s, key('j'));
    assert!(s.live.next_at.unwrap() < next);
}

#[test]
fn live_off_stops_polls_and_live_on_resumes_them() {
    let mut s = live_state();
    for c in ":live off".chars() {
        update(&mut s, key(c));
    }
    update(&mut s, code(KeyCode::Enter));
    assert!(tick_at(&mut s, NOW + Duration::minutes(5)).is_empty());
    for c in ":live on".chars() {
        update(&mut s, key(c));
    }
    update(&mut s, code(KeyCode::Enter));
    let at = s.live.next_at.unwrap();
    assert!(matches!(
        tick_at(&mut s, at).as_slice(),
        [Command::RefreshAlerts { .. }]
    ));
}

/// `row` as a poll returns it: `status`, last updated at `updated`.
fn incident_polled(mut row: IncidentRow, status: &str, updated: OffsetDateTime) -> IncidentRow {
    let mut v: serde_json::Value = serde_json::from_str(row.incident.raw.get()).unwrap();
    v["status"] = json!(status);
    v["lastUpdateDateTime"] = json!(
        updated
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    );
    v["alerts"] = json!([]);
    let mut polled = incident_from(v);
    polled.alerts = row.alerts.take();
    polled
}

/// Ticks to the incident queue's next poll; returns its id and `since`.
fn poll_incidents(s: &mut State) -> (u64, OffsetDateTime) {
    let at = s
        .incidents
        .live
        .next_at
        .expect("an incident poll is scheduled");
    tick_at(s, at)
        .into_iter()
        .find_map(|c| match c {
            Command::RefreshIncidents { refresh, since } => Some((refresh, since)),
            _ => None,
        })
        .expect("an incident poll")
}

#[test]
fn the_incident_queue_polls_once_opened_and_merges_by_the_same_rules() {
    let fresh = live_state();
    assert!(
        fresh.incidents.live.next_at.is_none(),
        "no incident polls before the pane is opened"
    );

    let mut s = with_incidents(session(), incidents());
    let newest = incidents()
        .iter()
        .filter_map(|r| r.incident.last_update)
        .max();
    let (refresh, since) = poll_incidents(&mut s);
    assert_eq!(Some(since + OVERLAP), newest);

    let on_cursor = s.incidents.cursor.id.clone().unwrap();
    let other = incidents()
        .into_iter()
        .find(|r| r.id() != on_cursor)
        .unwrap();
    let other_id = other.id().to_owned();
    let t = s.now;
    let before = s.incidents.queue.len();
    update(
        &mut s,
        Action::IncidentsRefreshed {
            refresh,
            incidents: vec![
                incident("900", "New incident from a poll", "high", "active", 0, &[]),
                incident_polled(other, "resolved", t),
            ],
            skipped: 0,
        },
    );
    let pane = &s.incidents;
    assert!(pane.queue.contains("900"));
    assert_eq!(pane.live.fresh.get("900"), Some(&Fresh::New));
    assert!(
        !pane.queue.contains(&other_id),
        "resolved elsewhere: left the open queue"
    );
    assert_eq!(pane.queue.len(), before);
    assert_eq!(pane.live.current_at, Some(t));
}

#[test]
fn an_incident_changed_under_a_pending_write_keeps_both_values() {
    let mut s = with_incidents(session(), incidents());
    let id = s.incidents.cursor.id.clone().unwrap();
    let row = s.incidents.queue.get(&id).unwrap().clone();
    // Set it in progress: pending until Graph answers.
    update(&mut s, key('s'));
    update(&mut s, key('2'));
    assert!(
        s.writes.pending_incident_update(&id).is_some(),
        "a pending write: {:?}",
        s.message
    );
    let (refresh, _) = poll_incidents(&mut s);
    let t = s.now;
    update(
        &mut s,
        Action::IncidentsRefreshed {
            refresh,
            incidents: vec![incident_polled(row, "resolved", t)],
            skipped: 0,
        },
    );
    let theirs = s.incidents.live.theirs.get(&id).expect("both kept");
    assert_eq!(theirs[0].field, "status");
    assert_eq!(theirs[0].theirs, json!("resolved"));
    assert!(
        s.incidents.queue.contains(&id),
        "a pending write keeps the row"
    );
}
