//! The real client against the real emulator with faults switched on, over loopback HTTP:
//! reads ride out 5xx, resets, latency and throttling within the client's retry budget;
//! broken bodies become a one-line `GraphError::Decode`, never a panic.
//!
//! Faults come from the emulator's seeded stream or its queue, so every run sees the same
//! faults. Nothing asserts on wall-clock time: tests count requests and injected faults.

use futures_util::StreamExt;
use graphsec::emulator::{
    self, EmulatorConfig, Fault, FaultKind, RandomFaults, Route, RouteClass, RunningEmulator, Scope,
};
use graphsec::graph::models::{AlertUpdate, Page};
use graphsec::graph::{BudgetConfig, Client, ClientConfig, GraphError, ODataQuery, StaticToken};
use graphsec::graph::{enums::AlertStatus, models::Alert};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use time::macros::datetime;

async fn emu(alerts: usize, page_size: usize, faults: Vec<RandomFaults>) -> RunningEmulator {
    emulator::start(EmulatorConfig {
        alerts,
        page_size,
        seed: 11,
        now: Some(datetime!(2026-11-26 12:00 UTC)),
        faults,
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts")
}

/// The client as the console builds it (default retries and retry budget), but without a
/// request budget: these tests count how the client rides out faults over hundreds of
/// requests, and after every 429 the budget would pace them at a request a second or
/// slower. The budget's own tests are in src/graph/budget.rs and tests/budget.rs.
fn client(e: &RunningEmulator) -> Client {
    Client::new(
        unbudgeted(e),
        Arc::new(StaticToken::new("fault-test-token")),
    )
    .expect("client for loopback")
}

fn unbudgeted(e: &RunningEmulator) -> ClientConfig {
    ClientConfig {
        budget: BudgetConfig::unlimited(),
        ..ClientConfig::new(e.base_url())
    }
}

fn scope(method: &str, route: Route) -> Scope {
    Scope {
        method: Some(method.to_owned()),
        route: Some(route),
    }
}

/// Every page of the list, or the first error.
async fn list_all(c: &Client, q: &ODataQuery) -> Result<Vec<Page<Alert>>, GraphError> {
    let mut pages = c.list_alerts(q);
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        out.push(page?);
    }
    Ok(out)
}

/// 30% of reads fail in every transient way: the whole list still arrives, each alert once.
#[tokio::test]
async fn full_list_survives_a_30_percent_mixed_fault_rate_on_reads() {
    let plan = RandomFaults::new(0.3, &FaultKind::TRANSIENT)
        .on(&[RouteClass::List, RouteClass::Get])
        .latency(Duration::from_millis(20))
        // The client honours Retry-After; 0 keeps the test quick.
        .retry_after(Some(0));
    let e = emu(1_000, 10, vec![plan]).await;
    let c = client(&e);

    let pages = list_all(&c, &ODataQuery::new())
        .await
        .expect("the list completes");
    let ids: Vec<String> = pages
        .iter()
        .flat_map(|p| p.items.iter().map(|a| a.id.clone()))
        .collect();
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(ids.len(), 1_000, "every alert arrived");
    assert_eq!(unique.len(), 1_000, "and none twice");
    assert!(pages.iter().all(|p| p.skipped == 0));

    let list_requests = e.controls().requests("GET", Route::Alerts);
    let injected = e.controls().injected_total();
    assert!(
        list_requests > 40,
        "40 pages, some repeated: {list_requests}"
    );
    assert!(
        injected * 10 >= list_requests * 2,
        "about 30% faulted: {injected} of {list_requests}"
    );
    for label in [
        "500", "502", "503", "504", "reset", "latency", "429", "429-bare",
    ] {
        assert!(
            e.controls().injected(label) > 0,
            "{label} never injected: {}",
            e.controls().injected_summary()
        );
    }

    // Single reads under the same faults.
    for id in ids.iter().step_by(20) {
        let alert = c.get_alert(id).await.expect("get survives faults");
        assert_eq!(&alert.id, id);
    }
    assert!(e.controls().injected("reset") > 0);
    eprintln!(
        "30% read faults: {} list requests for 100 pages, injected {}",
        list_requests,
        e.controls().injected_summary()
    );
}

fn assert_decode(err: &GraphError) {
    assert!(matches!(err, GraphError::Decode { .. }), "{err:?}");
    let shown = err.to_string();
    assert!(shown.starts_with("unreadable "), "{shown}");
    assert!(
        !shown.contains('\n') && !shown.chars().any(graphsec::sanitize::is_dangerous),
        "one clean line: {shown:?}"
    );
}

#[tokio::test]
async fn broken_pages_are_decode_errors_not_retried() {
    for fault in [Fault::Truncate, Fault::Malformed] {
        let e = emu(120, 50, vec![]).await;
        let c = client(&e);
        // The second page breaks: the first arrives, then the error ends the stream.
        e.controls().inject(
            Fault::Latency(Duration::ZERO),
            1,
            scope("GET", Route::Alerts),
        );
        e.controls()
            .inject(fault.clone(), 1, scope("GET", Route::Alerts));
        let mut pages = c.list_alerts(&ODataQuery::new());
        let first = pages
            .next()
            .await
            .expect("a page")
            .expect("first page reads");
        assert_eq!(first.items.len(), 50);
        let err = pages
            .next()
            .await
            .expect("an item")
            .expect_err("second page is broken");
        assert_decode(&err);
        assert!(
            pages.next().await.is_none(),
            "the stream ends after the error"
        );
        assert!(
            !err.is_transient(),
            "{fault:?}: a broken body is not retried"
        );
        assert_eq!(e.controls().requests("GET", Route::Alerts), 2, "{fault:?}");
        assert_eq!(e.controls().injected(fault.label()), 1);
    }
}

#[tokio::test]
async fn broken_single_alert_and_write_replies_are_decode_errors() {
    let e = emu(5, 50, vec![]).await;
    let c = client(&e);
    let id = list_all(&c, &ODataQuery::new()).await.expect("list")[0].items[0]
        .id
        .clone();

    e.controls()
        .inject(Fault::Truncate, 1, scope("GET", Route::Alert));
    assert_decode(&c.get_alert(&id).await.expect_err("truncated alert"));

    e.controls()
        .inject(Fault::Malformed, 1, scope("PATCH", Route::Alert));
    let update = AlertUpdate {
        status: Some(AlertStatus::InProgress),
        ..AlertUpdate::default()
    };
    assert_decode(
        &c.update_alert(&id, &update)
            .await
            .expect_err("malformed reply"),
    );

    e.controls()
        .inject(Fault::Truncate, 1, scope("POST", Route::AlertComments));
    assert_decode(
        &c.add_alert_comment(&id, "hi")
            .await
            .expect_err("truncated reply"),
    );
}

#[tokio::test]
async fn resets_on_reads_and_patches_are_retried() {
    let e = emu(3, 50, vec![]).await;
    let c = client(&e);
    let id = list_all(&c, &ODataQuery::new()).await.expect("list")[0].items[0]
        .id
        .clone();

    e.controls()
        .inject(Fault::Reset, 2, scope("GET", Route::Alert));
    c.get_alert(&id).await.expect("get after two resets");
    assert_eq!(e.controls().injected("reset"), 2);
    assert_eq!(e.controls().requests("GET", Route::Alert), 3);

    e.controls()
        .inject(Fault::Reset, 1, scope("PATCH", Route::Alert));
    let update = AlertUpdate {
        status: Some(AlertStatus::InProgress),
        ..AlertUpdate::default()
    };
    let alert = c
        .update_alert(&id, &update)
        .await
        .expect("PATCH is idempotent");
    assert_eq!(alert.status, Some(AlertStatus::InProgress));
    assert_eq!(e.controls().requests("PATCH", Route::Alert), 2);
}

#[tokio::test]
async fn a_reset_comment_post_is_not_repeated() {
    let e = emu(3, 50, vec![]).await;
    let c = client(&e);
    let id = list_all(&c, &ODataQuery::new()).await.expect("list")[0].items[0]
        .id
        .clone();
    e.controls()
        .inject(Fault::Reset, 1, scope("POST", Route::AlertComments));
    let err = c
        .add_alert_comment(&id, "once")
        .await
        .expect_err("the reply was lost");
    // The server may have applied a POST whose reply was lost, so the client does not
    // repeat it (the outbox decides); the error says the link failed.
    assert!(matches!(err, GraphError::Transport(_)), "{err:?}");
    assert!(err.is_transient());
    assert_eq!(e.controls().requests("POST", Route::AlertComments), 1);
}

#[tokio::test]
async fn resets_beyond_the_budget_end_in_a_transport_error() {
    let e = emu(3, 50, vec![]).await;
    let mut cfg = unbudgeted(&e);
    cfg.max_retries = 2;
    let c = Client::new(cfg, Arc::new(StaticToken::new("t"))).expect("client");
    e.controls()
        .inject(Fault::Reset, 10, scope("GET", Route::Alerts));
    let err = list_all(&c, &ODataQuery::new())
        .await
        .expect_err("gives up");
    assert!(matches!(err, GraphError::Transport(_)), "{err:?}");
    assert_eq!(
        e.controls().requests("GET", Route::Alerts),
        3,
        "first try + 2 retries"
    );
}

#[tokio::test]
async fn latency_within_the_timeout_is_only_slow_and_beyond_it_is_a_timeout() {
    let e = emu(3, 50, vec![]).await;
    e.controls().inject(
        Fault::Latency(Duration::from_millis(50)),
        3,
        scope("GET", Route::Alerts),
    );
    let pages = list_all(&client(&e), &ODataQuery::new())
        .await
        .expect("slow is fine");
    assert_eq!(pages[0].items.len(), 3);
    assert_eq!(e.controls().injected("latency"), 1);

    let mut cfg = unbudgeted(&e);
    cfg.timeout = Duration::from_millis(100);
    cfg.max_retries = 1;
    let impatient = Client::new(cfg, Arc::new(StaticToken::new("t"))).expect("client");
    e.controls().clear_faults();
    e.controls().inject(
        Fault::Latency(Duration::from_secs(2)),
        2,
        scope("GET", Route::Alerts),
    );
    let err = list_all(&impatient, &ODataQuery::new())
        .await
        .expect_err("too slow");
    assert_eq!(err, GraphError::Timeout);
}

#[tokio::test]
async fn every_5xx_and_429_variant_is_retried_on_reads() {
    let e = emu(3, 50, vec![]).await;
    let c = client(&e);
    let faults = [
        Fault::Status(500),
        Fault::Status(502),
        Fault::Status(503),
        Fault::Status(504),
        Fault::Throttle {
            retry_after: Some(0),
        },
        Fault::Throttle { retry_after: None },
    ];
    for (i, f) in faults.iter().enumerate() {
        e.controls()
            .inject(f.clone(), 1, scope("GET", Route::Alerts));
        let pages = list_all(&c, &ODataQuery::new()).await;
        assert_eq!(pages.expect("retried").len(), 1, "{f:?}");
        assert_eq!(e.controls().injected(f.label()), 1, "{f:?}");
        assert_eq!(
            e.controls().requests("GET", Route::Alerts),
            2 * (i as u64 + 1)
        );
    }
}

#[tokio::test]
async fn a_500_on_a_comment_post_is_not_repeated() {
    let e = emu(3, 50, vec![]).await;
    let c = client(&e);
    let id = list_all(&c, &ODataQuery::new()).await.expect("list")[0].items[0]
        .id
        .clone();
    e.controls()
        .inject(Fault::Status(500), 1, scope("POST", Route::AlertComments));
    let err = c.add_alert_comment(&id, "once").await.expect_err("500");
    assert_eq!(err.status(), Some(500));
    assert_eq!(e.controls().requests("POST", Route::AlertComments), 1);
    // A 503 means Graph did not act on it: that one is retried.
    e.controls()
        .inject(Fault::Status(503), 1, scope("POST", Route::AlertComments));
    let comments = c
        .add_alert_comment(&id, "after 503")
        .await
        .expect("retried");
    assert_eq!(
        comments
            .iter()
            .filter(|c| c.comment.as_deref() == Some("after 503"))
            .count(),
        1
    );
}

/// The lost-reply case the outbox has to handle: the comment landed, the client cannot
/// know, and it does not repeat the POST itself.
#[tokio::test]
async fn a_reply_lost_after_the_write_landed_is_an_error_but_the_write_is_there() {
    let e = emu(3, 50, vec![]).await;
    let c = client(&e);
    let id = list_all(&c, &ODataQuery::new()).await.expect("list")[0].items[0]
        .id
        .clone();
    e.controls()
        .inject(Fault::ResetAfter, 1, scope("POST", Route::AlertComments));
    let err = c
        .add_alert_comment(&id, "landed")
        .await
        .expect_err("the reply was lost");
    assert!(matches!(err, GraphError::Transport(_)), "{err:?}");
    assert_eq!(e.controls().requests("POST", Route::AlertComments), 1);
    let alert = c.get_alert(&id).await.expect("get");
    let landed = alert
        .comments
        .iter()
        .filter(|c| c.comment.as_deref() == Some("landed"))
        .count();
    assert_eq!(landed, 1, "the write happened exactly once");

    // On a PATCH (idempotent) the client repeats it, and the result is the same.
    e.controls()
        .inject(Fault::ResetAfter, 1, scope("PATCH", Route::Alert));
    let update = AlertUpdate {
        status: Some(AlertStatus::Resolved),
        ..AlertUpdate::default()
    };
    let alert = c.update_alert(&id, &update).await.expect("PATCH repeated");
    assert_eq!(alert.status, Some(AlertStatus::Resolved));
    assert_eq!(e.controls().requests("PATCH", Route::Alert), 2);
}
