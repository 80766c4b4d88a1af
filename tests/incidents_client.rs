//! Incidents: the real client against the real emulator over loopback HTTP. Routes,
//! `$expand=alerts`, filters (and a 400 for a property incidents do not filter on), paging,
//! every PATCH field read back, comments read back, Prefer enum substitution, and that
//! incidents agree with the alerts they are derived from.
//!
//! Every test starts its own emulator (port 0, pinned clock). Nothing asserts on wall-clock
//! time.

use futures_util::StreamExt;
use graphsec::emulator::{self, EmulatorConfig, Route, RunningEmulator};
use graphsec::graph::enums::{
    AlertClassification, AlertDetermination, AlertSeverity, AlertStatus, IncidentStatus,
};
use graphsec::graph::incidents::{Incident, IncidentUpdate};
use graphsec::graph::models::{Alert, AlertUpdate, Page};
use graphsec::graph::{
    BudgetConfig, Client, ClientConfig, Filter, GraphError, ODataQuery, StaticToken,
};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use time::macros::datetime;

async fn emu(alerts: usize) -> RunningEmulator {
    emulator::start(EmulatorConfig {
        alerts,
        now: Some(datetime!(2026-11-26 12:00 UTC)),
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts")
}

fn client(e: &RunningEmulator) -> Client {
    let mut cfg = ClientConfig::new(e.base_url());
    cfg.timeout = Duration::from_secs(10);
    cfg.max_retries = 0;
    // These tests read what the emulator answers, many pages at a time; pacing is the
    // request budget's to test (tests/budget.rs).
    cfg.budget = BudgetConfig::unlimited();
    Client::new(cfg, Arc::new(StaticToken::new("incident-test-token"))).expect("client")
}

async fn pages(c: &Client, q: &ODataQuery) -> Result<Vec<Page<Incident>>, GraphError> {
    let mut out = Vec::new();
    let mut stream = c.list_incidents(q);
    while let Some(page) = stream.next().await {
        out.push(page?);
    }
    Ok(out)
}

async fn all(c: &Client, q: &ODataQuery) -> Vec<Incident> {
    pages(c, q)
        .await
        .expect("listing succeeds")
        .into_iter()
        .flat_map(|p| p.items)
        .collect()
}

async fn all_alerts(c: &Client) -> Vec<Alert> {
    let mut out = Vec::new();
    let mut stream = c.list_alerts(&ODataQuery::new().top(2000));
    while let Some(page) = stream.next().await {
        out.extend(page.expect("alert page").items);
    }
    out
}

fn rank(s: &Option<AlertSeverity>) -> u8 {
    match s {
        Some(AlertSeverity::High) => 4,
        Some(AlertSeverity::Medium) => 3,
        Some(AlertSeverity::Low) => 2,
        Some(AlertSeverity::Informational) => 1,
        _ => 0,
    }
}

#[tokio::test]
async fn incidents_agree_with_their_alerts() {
    let e = emu(400).await;
    let c = client(&e);
    let alerts = all_alerts(&c).await;
    let mut by_incident: HashMap<String, Vec<&Alert>> = HashMap::new();
    for a in &alerts {
        let id = a
            .incident_id
            .clone()
            .expect("every generated alert has an incident");
        by_incident.entry(id).or_default().push(a);
    }
    let incidents = all(&c, &ODataQuery::new().top(50).expand(["alerts"])).await;
    assert_eq!(
        incidents.len(),
        by_incident.len(),
        "one incident per incidentId"
    );
    let mut seen = HashSet::new();
    for i in &incidents {
        assert!(seen.insert(i.id.clone()), "incident {} listed twice", i.id);
        let members = &by_incident[&i.id];
        // Expanded alerts are exactly the alerts naming this incident.
        let expanded: HashSet<&str> = i.alerts.iter().map(|a| a.id.as_str()).collect();
        let expected: HashSet<&str> = members.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(expanded, expected, "alerts of {}", i.id);
        let highest = members.iter().map(|a| rank(&a.severity)).max();
        assert_eq!(Some(rank(&i.severity)), highest, "severity of {}", i.id);
        let first = members.iter().filter_map(|a| a.created).min();
        assert_eq!(i.created, first, "created of {}", i.id);
        let last = members.iter().filter_map(|a| a.last_update).max();
        assert_eq!(i.last_update, last, "lastUpdate of {}", i.id);
        assert!(i.display_name.as_deref().is_some_and(|n| !n.is_empty()));
        assert_eq!(i.tenant_id.as_deref(), Some(e.tenant_id()));
        if members
            .iter()
            .all(|a| a.status == Some(AlertStatus::Resolved))
        {
            assert_eq!(i.status, Some(IncidentStatus::Resolved), "{}", i.id);
        }
    }
    // Newest first.
    assert!(incidents.windows(2).all(|w| w[0].created >= w[1].created));
    // Without $expand, no alerts.
    let plain = all(&c, &ODataQuery::new().top(5)).await;
    assert!(plain.iter().all(|i| i.alerts.is_empty()));
    assert!(!plain[0].raw.get().contains("\"alerts\""));
}

#[tokio::test]
async fn get_with_and_without_expand_and_the_alerts_route() {
    let e = emu(200).await;
    let c = client(&e);
    let listed = all(&c, &ODataQuery::new().top(100).expand(["alerts"])).await;
    let multi = listed
        .iter()
        .find(|i| i.alerts.len() > 1)
        .expect("a multi-alert incident");
    let plain = c.get_incident(&multi.id, false).await.expect("get");
    assert_eq!(plain.id, multi.id);
    assert!(plain.alerts.is_empty());
    let expanded = c.get_incident(&multi.id, true).await.expect("get expanded");
    assert_eq!(expanded.alerts.len(), multi.alerts.len());

    let mut stream = c.list::<Alert>(
        &format!("security/incidents/{}/alerts", multi.id),
        &ODataQuery::new(),
    );
    let page = stream.next().await.expect("a page").expect("alerts");
    assert_eq!(page.items.len(), multi.alerts.len());

    match c.get_incident("no-such-incident", false).await {
        Err(GraphError::Api {
            status: 404, code, ..
        }) => assert_eq!(code, "itemNotFound"),
        other => panic!("expected 404, got {other:?}"),
    }
}

#[tokio::test]
async fn filters_count_and_paging() {
    let e = emu(500).await;
    let c = client(&e);
    let everything = all(&c, &ODataQuery::new().top(2000)).await;
    let total = everything.len();

    // Paging by nextLink gives every incident once, in order, and $count counts them all.
    let paged = pages(&c, &ODataQuery::new().top(7).count(true))
        .await
        .expect("paged");
    assert!(paged.len() > 2);
    assert_eq!(paged[0].count, Some(total as u64));
    let ids: Vec<String> = paged
        .iter()
        .flat_map(|p| p.items.iter().map(|i| i.id.clone()))
        .collect();
    let want: Vec<String> = everything.iter().map(|i| i.id.clone()).collect();
    assert_eq!(ids, want);
    assert!(paged.last().is_some_and(|p| p.next_link.is_none()));

    // $skip counts from the top.
    let skipped = all(&c, &ODataQuery::new().top(2000).skip(10)).await;
    assert_eq!(skipped.len(), total - 10);
    assert_eq!(skipped[0].id, everything[10].id);

    // severity and status, as the migration article's example writes them.
    let q = ODataQuery::new()
        .top(3)
        .count(true)
        .filter(Filter::eq("status", "active").and(Filter::eq("severity", "high")));
    let high_active = pages(&c, &q).await.expect("filtered");
    let got: Vec<&Incident> = high_active.iter().flat_map(|p| &p.items).collect();
    let want: Vec<&Incident> = everything
        .iter()
        .filter(|i| {
            i.status == Some(IncidentStatus::Active) && i.severity == Some(AlertSeverity::High)
        })
        .collect();
    assert!(!want.is_empty());
    assert_eq!(
        got.iter().map(|i| &i.id).collect::<Vec<_>>(),
        want.iter().map(|i| &i.id).collect::<Vec<_>>()
    );
    assert_eq!(high_active[0].count, Some(want.len() as u64));

    // A date window on createdDateTime.
    let pivot = everything[total / 2].created.expect("created");
    let newer = all(
        &c,
        &ODataQuery::new()
            .top(2000)
            .filter(Filter::gt_datetime("createdDateTime", pivot)),
    )
    .await;
    assert_eq!(
        newer.len(),
        everything
            .iter()
            .filter(|i| i.created.is_some_and(|t| t > pivot))
            .count()
    );

    // Documented-but-not-filterable and alert-only properties are refused with 400.
    for bad in [
        "displayName eq 'x'",
        "serviceSource eq 'microsoftSentinel'",
        "status eq 'new'",
    ] {
        match pages(&c, &ODataQuery::new().raw_filter(bad)).await {
            Err(GraphError::Api { status: 400, .. }) => {}
            other => panic!("{bad}: expected 400, got {other:?}"),
        }
    }
    // Only `alerts` can be expanded.
    match pages(&c, &ODataQuery::new().expand(["comments"])).await {
        Err(GraphError::Api { status: 400, .. }) => {}
        other => panic!("expected 400, got {other:?}"),
    }
}

#[tokio::test]
async fn awaiting_action_is_prefer_gated() {
    let e = emu(2000).await;
    let c = client(&e);
    // The client asks for evolvable members, so it sees awaitingAction itself.
    let everything = all(&c, &ODataQuery::new().top(2000)).await;
    let waiting: Vec<&Incident> = everything
        .iter()
        .filter(|i| i.status == Some(IncidentStatus::AwaitingAction))
        .collect();
    assert!(!waiting.is_empty(), "some incidents wait on the customer");
    assert!(
        waiting
            .iter()
            .all(|i| i.system_tags.iter().any(|t| t == "Defender Experts"))
    );
    let filtered = all(
        &c,
        &ODataQuery::new()
            .top(2000)
            .filter(Filter::eq("status", "awaitingAction")),
    )
    .await;
    assert_eq!(
        filtered.iter().map(|i| &i.id).collect::<Vec<_>>(),
        waiting.iter().map(|i| &i.id).collect::<Vec<_>>()
    );

    // Without the Prefer header, Graph substitutes the sentinel.
    let url = format!("{}/security/incidents/{}", e.base_url(), waiting[0].id);
    let http = reqwest::Client::new();
    for (prefer, want) in [
        (None, "unknownFutureValue"),
        (Some("include-unknown-enum-members"), "awaitingAction"),
    ] {
        let mut req = http.get(&url).bearer_auth("t");
        if let Some(p) = prefer {
            req = req.header("Prefer", p);
        }
        let reply: serde_json::Value = req.send().await.expect("sent").json().await.expect("json");
        assert_eq!(reply["status"], want, "Prefer {prefer:?}");
    }
}

#[tokio::test]
async fn patch_each_field_and_read_back() {
    let e = emu(100).await;
    let c = client(&e);
    let first = all(&c, &ODataQuery::new().top(1)).await.remove(0);
    let id = first.id.clone();
    let before = first.last_update.expect("lastUpdate");

    let steps = [
        IncidentUpdate {
            status: Some(IncidentStatus::InProgress),
            ..Default::default()
        },
        IncidentUpdate {
            assigned_to: Some("analyst@contoso.example".into()),
            ..Default::default()
        },
        IncidentUpdate {
            classification: Some(AlertClassification::TruePositive),
            ..Default::default()
        },
        IncidentUpdate {
            determination: Some(AlertDetermination::MultiStagedAttack),
            ..Default::default()
        },
        IncidentUpdate {
            custom_tags: Some(vec!["Demo".into(), "ransomware".into()]),
            ..Default::default()
        },
        IncidentUpdate {
            status: Some(IncidentStatus::Resolved),
            ..Default::default()
        },
    ];
    for step in &steps {
        let reply = c.update_incident(&id, step).await.expect("patch");
        let read = c.get_incident(&id, false).await.expect("read back");
        for got in [&reply, &read] {
            let mut want = first.clone();
            for s in steps.iter().take_while(|s| !std::ptr::eq(*s, step)) {
                s.apply_to(&mut want);
            }
            step.apply_to(&mut want);
            assert_eq!(got.status, want.status);
            assert_eq!(got.assigned_to, want.assigned_to);
            assert_eq!(got.classification, want.classification);
            assert_eq!(got.determination, want.determination);
            assert_eq!(got.custom_tags, want.custom_tags);
            assert!(got.last_update.is_some_and(|t| t >= before));
        }
    }
    // The writes touched the incident, not its alerts.
    let expanded = c.get_incident(&id, true).await.expect("expanded");
    assert!(
        expanded
            .alerts
            .iter()
            .all(|a| a.assigned_to.as_deref() != Some("analyst@contoso.example"))
    );
    // The filter sees the new values.
    let mine = all(
        &c,
        &ODataQuery::new()
            .top(2000)
            .filter(Filter::eq("assignedTo", "analyst@contoso.example")),
    )
    .await;
    assert_eq!(mine.iter().map(|i| &i.id).collect::<Vec<_>>(), [&id]);
}

#[tokio::test]
async fn invalid_patches_are_400_and_change_nothing() {
    let e = emu(50).await;
    let c = client(&e);
    let first = all(&c, &ODataQuery::new().top(1)).await.remove(0);
    let http = reqwest::Client::new();
    let url = format!("{}/security/incidents/{}", e.base_url(), first.id);
    for body in [
        r#"{"displayName":"renamed"}"#,
        r#"{"severity":"high"}"#,
        r#"{"status":"redirected"}"#,
        r#"{"status":"awaitingAction"}"#,
        r#"{"status":"new"}"#,
        r#"{"classification":"nonsense"}"#,
        r#"{"customTags":"not-a-list"}"#,
        r#"{"customTags":[1]}"#,
        r#"{"status":"resolved","summary":"x"}"#,
    ] {
        let r = http
            .patch(&url)
            .bearer_auth("t")
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .expect("sent");
        assert_eq!(r.status().as_u16(), 400, "{body}");
    }
    let after = c.get_incident(&first.id, false).await.expect("read");
    assert_eq!(after.status, first.status);
    assert_eq!(after.last_update, first.last_update);
}

#[tokio::test]
async fn comments_accumulate_and_read_back() {
    let e = emu(50).await;
    let c = client(&e);
    let first = all(&c, &ODataQuery::new().top(1)).await.remove(0);
    let one = c
        .add_incident_comment(&first.id, "first look")
        .await
        .expect("comment");
    assert_eq!(one.len(), 1);
    let two = c
        .add_incident_comment(&first.id, "escalated")
        .await
        .expect("comment");
    let texts: Vec<_> = two.iter().filter_map(|c| c.comment.as_deref()).collect();
    assert_eq!(texts, ["first look", "escalated"]);
    let read = c.get_incident(&first.id, false).await.expect("read");
    assert_eq!(read.comments, two);
    assert!(read.last_update >= first.last_update);
    assert_eq!(e.controls().requests("POST", Route::IncidentComments), 2);
}

#[tokio::test]
async fn an_alert_change_moves_its_incident() {
    let e = emu(100).await;
    let c = client(&e);
    let incident = all(&c, &ODataQuery::new().top(1).expand(["alerts"]))
        .await
        .remove(0);
    let alert = &incident.alerts[0];
    let changed = c
        .update_alert(
            &alert.id,
            &AlertUpdate {
                status: Some(AlertStatus::InProgress),
                ..Default::default()
            },
        )
        .await
        .expect("alert patch");
    let after = c.get_incident(&incident.id, false).await.expect("read");
    assert_eq!(
        after.last_update,
        changed.last_update.max(incident.last_update)
    );
    // Nobody set the incident's status, so it follows its alerts.
    if incident.status == Some(IncidentStatus::Active) {
        assert_eq!(after.status, Some(IncidentStatus::InProgress));
    }
}
