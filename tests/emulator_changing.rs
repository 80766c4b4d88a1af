//! The changing tenant, seen as a polling client sees it: the real client against the real
//! emulator over loopback, asking for `lastUpdateDateTime gt` the last time it saw. New
//! alerts (some in existing incidents), alerts worked by other analysts and changed
//! incidents must each reach it once, in order, and agree with the emulator's own record
//! of what changed ([`Controls::changes`]).

mod support;

use futures_util::StreamExt;
use graphsec::emulator::{self, ChangeKind, EmulatorConfig, RunningEmulator, TenantChange};
use graphsec::graph::enums::{AlertSeverity, AlertStatus};
use graphsec::graph::incidents::Incident;
use graphsec::graph::models::Alert;
use graphsec::graph::{BudgetConfig, Client, ClientConfig, Filter, ODataQuery, StaticToken};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use time::macros::datetime;

async fn emu(seed: u64, now: OffsetDateTime, changing: Option<Duration>) -> RunningEmulator {
    emulator::start(EmulatorConfig {
        alerts: 200,
        seed,
        now: Some(now),
        changing,
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts")
}

fn client(e: &RunningEmulator) -> Client {
    Client::new(
        ClientConfig {
            // Many polls in a row; pacing is tests/budget.rs's subject.
            budget: BudgetConfig::unlimited(),
            ..ClientConfig::new(e.base_url())
        },
        Arc::new(StaticToken::new("changing-test-token")),
    )
    .expect("client")
}

async fn alerts(c: &Client, q: ODataQuery) -> Vec<Alert> {
    let mut out = Vec::new();
    let mut pages = c.list_alerts(&q.top(50));
    while let Some(page) = pages.next().await {
        out.extend(page.expect("page").items);
    }
    out
}

async fn incidents(c: &Client, q: ODataQuery) -> Vec<Incident> {
    let mut out = Vec::new();
    let mut pages = c.list_incidents(&q.top(50));
    while let Some(page) = pages.next().await {
        out.extend(page.expect("page").items);
    }
    out
}

fn updated_since(t: OffsetDateTime) -> ODataQuery {
    ODataQuery::new().filter(Filter::gt_datetime("lastUpdateDateTime", t))
}

fn last_update(a: &Alert) -> OffsetDateTime {
    a.last_update.expect("lastUpdateDateTime")
}

/// The latest `lastUpdateDateTime` the tenant shows.
async fn watermark(c: &Client) -> OffsetDateTime {
    alerts(c, ODataQuery::new())
        .await
        .iter()
        .map(last_update)
        .max()
        .expect("alerts")
}

fn is_new_alert(c: &TenantChange) -> bool {
    matches!(
        c.kind,
        ChangeKind::NewAlert | ChangeKind::NewAlertInIncident
    )
}

fn rank(s: &AlertSeverity) -> u8 {
    match s {
        AlertSeverity::High => 4,
        AlertSeverity::Medium => 3,
        AlertSeverity::Low => 2,
        AlertSeverity::Informational => 1,
        _ => 0,
    }
}

#[tokio::test]
async fn polling_with_gt_finds_exactly_what_changed_once_and_in_order() {
    let e = emu(21, datetime!(2026-11-26 12:00 UTC), None).await;
    let c = client(&e);
    // A polling client keeps one watermark per collection: the newest time it has seen.
    let mut mark = watermark(&c).await;
    let mut incident_mark = mark;
    assert!(alerts(&c, updated_since(mark)).await.is_empty());
    assert!(incidents(&c, updated_since(incident_mark)).await.is_empty());

    let mut all: Vec<TenantChange> = Vec::new();
    for round in [1, 7, 25, 3, 40] {
        let changes = e.controls().step_tenant(round);
        assert_eq!(changes.len(), round);
        let polled = alerts(&c, updated_since(mark)).await;

        // Each changed alert once, with the time of its latest change in this round.
        let mut latest: BTreeMap<&str, OffsetDateTime> = BTreeMap::new();
        for ch in &changes {
            if let Some(id) = &ch.alert_id {
                latest.insert(id, ch.last_update);
            }
        }
        let got: BTreeMap<&str, OffsetDateTime> = polled
            .iter()
            .map(|a| (a.id.as_str(), last_update(a)))
            .collect();
        assert_eq!(got.len(), polled.len(), "no alert twice in one poll");
        assert_eq!(got, latest, "round of {round}");

        // New alerts lead the list, newest first, created when they changed.
        let fresh: Vec<&str> = changes
            .iter()
            .rev()
            .filter(|ch| is_new_alert(ch))
            .filter_map(|ch| ch.alert_id.as_deref())
            .collect();
        let top: Vec<&str> = polled
            .iter()
            .take(fresh.len())
            .map(|a| a.id.as_str())
            .collect();
        assert_eq!(top, fresh);
        for (a, ch) in polled
            .iter()
            .zip(changes.iter().rev().filter(|ch| is_new_alert(ch)))
        {
            // Created at the change, fresh from the detector unless worked on since.
            assert_eq!(a.created, Some(ch.last_update));
            assert!(!a.evidence.is_empty() && a.title.is_some());
            assert!(a.severity.is_some() && a.service_source.is_some());
            if a.last_update == a.created {
                assert_eq!(a.status, Some(AlertStatus::New));
                assert!(a.assigned_to.is_none() && a.comments.is_empty());
            }
        }

        // Every change touches its incident (an alert's change moves its incident's
        // lastUpdateDateTime), so the incidents poll finds each of them, once.
        let polled_incidents = incidents(&c, updated_since(incident_mark)).await;
        let ids: BTreeSet<String> = polled_incidents.iter().map(|i| i.id.clone()).collect();
        assert_eq!(
            ids.len(),
            polled_incidents.len(),
            "no incident twice in one poll"
        );
        let touched: BTreeSet<String> = changes
            .iter()
            .filter_map(|ch| ch.incident_id.clone())
            .collect();
        assert_eq!(ids, touched, "round of {round}");

        // The next polls start at the newest times seen: the last alert change, and the
        // last change of all.
        if let Some(max) = polled.iter().map(last_update).max() {
            let last_alert_change = changes
                .iter()
                .rev()
                .find(|ch| ch.alert_id.is_some())
                .map(|ch| ch.last_update);
            assert_eq!(Some(max), last_alert_change);
            mark = max;
        }
        let newest_incident = polled_incidents.iter().filter_map(|i| i.last_update).max();
        assert_eq!(newest_incident, changes.last().map(|ch| ch.last_update));
        incident_mark = newest_incident.unwrap_or(incident_mark);
        all.extend(changes);
    }

    // The record: one entry per step, numbered, strictly later each time.
    assert_eq!(e.controls().changes(), all);
    for w in all.windows(2) {
        assert_eq!(w[1].seq, w[0].seq + 1);
        assert!(w[1].last_update > w[0].last_update, "{w:?}");
    }
}

#[tokio::test]
async fn a_new_alert_in_an_existing_incident_moves_the_incident() {
    let e = emu(22, datetime!(2026-11-26 12:00 UTC), None).await;
    let c = client(&e);
    let before: HashMap<String, Incident> = incidents(&c, ODataQuery::new().expand(["alerts"]))
        .await
        .into_iter()
        .map(|i| (i.id.clone(), i))
        .collect();

    let mut joined = None;
    for _ in 0..200 {
        let step = e.controls().step_tenant(1);
        if let Some(ch) = step
            .into_iter()
            .find(|ch| ch.kind == ChangeKind::NewAlertInIncident)
        {
            joined = Some(ch);
            break;
        }
    }
    let ch = joined.expect("a new alert joined an incident");
    let incident_id = ch.incident_id.clone().expect("incident");
    let alert_id = ch.alert_id.clone().expect("alert");
    let old = before
        .get(&incident_id)
        .expect("an incident that existed before");

    let now = c.get_incident(&incident_id, true).await.expect("incident");
    assert!(now.alerts.iter().any(|a| a.id == alert_id));
    assert_eq!(now.alerts.len(), old.alerts.len() + 1);
    assert_eq!(now.last_update, Some(ch.last_update));
    assert!(now.last_update > old.last_update);
    assert_eq!(now.created, old.created, "created with its first alert");
    let highest = now
        .alerts
        .iter()
        .filter_map(|a| a.severity.clone())
        .max_by_key(rank);
    assert_eq!(now.severity, highest, "the highest severity of its alerts");
    let alert = c.get_alert(&alert_id).await.expect("alert");
    assert_eq!(alert.incident_id.as_deref(), Some(incident_id.as_str()));
    assert_eq!(alert.created, Some(ch.last_update));
}

#[tokio::test]
async fn worked_alerts_and_incidents_agree_with_the_record() {
    let e = emu(23, datetime!(2026-11-26 12:00 UTC), None).await;
    let c = client(&e);
    let changes = e.controls().step_tenant(150);
    let mut latest: HashMap<&str, &TenantChange> = HashMap::new();
    for ch in &changes {
        if let Some(id) = &ch.alert_id {
            latest.insert(id, ch);
        }
    }
    for (id, ch) in &latest {
        let a = c.get_alert(id).await.expect("alert");
        assert_eq!(a.last_update, Some(ch.last_update), "{id}");
        match ch.kind {
            ChangeKind::AlertStatus => {
                let status = a.status.clone().expect("status");
                assert!(
                    matches!(status, AlertStatus::InProgress | AlertStatus::Resolved),
                    "{status:?}"
                );
                assert!(a.assigned_to.is_some(), "an analyst works it");
                assert_eq!(a.resolved.is_some(), status == AlertStatus::Resolved);
                if status == AlertStatus::Resolved {
                    assert_eq!(a.resolved, Some(ch.last_update));
                    assert!(a.classification.is_some() && a.determination.is_some());
                }
            }
            ChangeKind::AlertAssigned => assert!(a.assigned_to.is_some()),
            _ => {}
        }
    }
    let moved_on = changes
        .iter()
        .filter(|ch| ch.kind == ChangeKind::AlertStatus)
        .count();
    assert!(moved_on > 10, "{moved_on} status changes in 150 steps");
    for ch in changes
        .iter()
        .filter(|ch| ch.kind == ChangeKind::IncidentChanged)
    {
        let id = ch.incident_id.as_deref().expect("incident");
        let i = c.get_incident(id, false).await.expect("incident");
        assert!(i.last_update >= Some(ch.last_update), "{id}");
        assert!(i.last_modified_by.is_some());
    }
    assert!(
        changes
            .iter()
            .any(|ch| ch.kind == ChangeKind::IncidentChanged),
        "incidents change too"
    );
}

#[tokio::test]
async fn paging_through_a_changing_tenant_misses_nothing_and_repeats_nothing() {
    let e = emu(27, datetime!(2026-11-26 12:00 UTC), None).await;
    let c = client(&e);
    let ids = |v: &[Alert]| v.iter().map(|a| a.id.clone()).collect::<Vec<_>>();
    let before = ids(&alerts(&c, ODataQuery::new()).await);

    // The tenant changes between every two pages: the nextLinks issued before stay good,
    // and the new alerts (ranked above them) are not slipped into later pages.
    let mut got = Vec::new();
    let mut pages = c.list_alerts(&ODataQuery::new().top(30));
    while let Some(page) = pages.next().await {
        got.extend(ids(&page.expect("page").items));
        e.controls().step_tenant(5);
    }
    assert_eq!(got, before);
    let incidents_before: Vec<String> = incidents(&c, ODataQuery::new())
        .await
        .into_iter()
        .map(|i| i.id)
        .collect();
    let mut got = Vec::new();
    let mut pages = c.list_incidents(&ODataQuery::new().top(20));
    while let Some(page) = pages.next().await {
        got.extend(page.expect("page").items.into_iter().map(|i| i.id));
        e.controls().step_tenant(5);
    }
    assert_eq!(got, incidents_before);
}

#[tokio::test]
async fn the_same_seed_changes_the_same_way() {
    // A clock pinned ahead of real time makes even the timestamps (and the ids that carry
    // them) identical.
    let now = datetime!(2999-06-01 00:00 UTC);
    let (a, b) = (emu(24, now, None).await, emu(24, now, None).await);
    let ca = a.controls().step_tenant(60);
    let cb = b.controls().step_tenant(60);
    assert_eq!(ca, cb);
    let (xa, xb) = (client(&a), client(&b));
    for ch in ca.iter().filter(|ch| is_new_alert(ch)) {
        let id = ch.alert_id.as_deref().expect("id");
        let (ra, rb) = (
            xa.get_alert(id).await.expect("a"),
            xb.get_alert(id).await.expect("b"),
        );
        assert_eq!(ra.title, rb.title);
        assert_eq!(ra.evidence.len(), rb.evidence.len());
        assert_eq!(ra.last_update, rb.last_update);
    }
    let other = emu(25, now, None).await;
    assert_ne!(other.controls().step_tenant(60), ca);
}

#[tokio::test]
async fn the_timer_changes_the_tenant_until_shutdown() {
    let e = emu(
        26,
        datetime!(2026-11-26 12:00 UTC),
        Some(Duration::from_millis(20)),
    )
    .await;
    let c = client(&e);
    let controls = e.controls().clone();
    let mut waited = 0;
    while controls.changes().len() < 3 {
        assert!(waited < 500, "the timer never changed the tenant");
        tokio::time::sleep(Duration::from_millis(20)).await;
        waited += 1;
    }
    let first = controls.changes()[0].clone();
    let found = alerts(&c, ODataQuery::new())
        .await
        .iter()
        .filter(|a| a.last_update >= Some(first.last_update))
        .count();
    assert!(found >= 1, "what the timer changed is served");
    e.shutdown().await;
    let after = controls.changes().len();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(controls.changes().len(), after, "no change after shutdown");
}

#[test]
fn graphsec_emulator_changing_serves_new_alerts_to_a_polling_headless_client() {
    let emu =
        support::EmulatorProcess::start(&["--alerts", "20", "--seed", "4", "--changing", "0.2"]);
    let home = support::Home::new("changing-cli");
    let list = |filter: Option<&str>| {
        let mut args = vec!["alerts", "list", "--output", "ndjson"];
        if let Some(f) = filter {
            args.extend(["--filter", f]);
        }
        let r = support::graphsec(&home, &emu.endpoint, "t", &args);
        assert!(r.ok, "{}", r.stderr);
        r.stdout
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("ndjson"))
            .collect::<Vec<_>>()
    };
    let mark = list(None)
        .iter()
        .filter_map(|a| a["lastUpdateDateTime"].as_str().map(str::to_owned))
        .max()
        .expect("a time");
    let filter = format!("lastUpdateDateTime gt {mark}");
    let mut seen = Vec::new();
    for _ in 0..100 {
        seen = list(Some(&filter));
        if !seen.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(!seen.is_empty(), "the tenant changed within 10 s");

    // --changing belongs to --demo on the console's command line.
    let r = support::graphsec(&home, &emu.endpoint, "t", &["--changing", "5"]);
    assert!(!r.ok && r.stderr.contains("--demo"), "{}", r.stderr);
    let r = support::graphsec(
        &home,
        &emu.endpoint,
        "t",
        &[
            "--demo",
            "--changing",
            "5",
            "alerts",
            "list",
            "--max",
            "3",
            "--output",
            "ndjson",
        ],
    );
    assert!(r.ok, "{}", r.stderr);
    assert_eq!(r.stdout.lines().count(), 3);
}
