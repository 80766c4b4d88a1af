//! The real client against the real emulator over loopback HTTP: paging with filters,
//! writes read back, Graph's error replies, and throttling.
//!
//! Every test starts its own emulator (port 0, pinned clock), so request counters belong to
//! that test alone. Nothing asserts on wall-clock time; throttling tests count requests.

use futures_util::StreamExt;
use graphsec::emulator::{self, EmulatorConfig, Route, RunningEmulator};
use graphsec::graph::enums::{AlertClassification, AlertDetermination, AlertSeverity, AlertStatus};
use graphsec::graph::models::{Alert, AlertUpdate, Page};
use graphsec::graph::{
    BudgetConfig, Client, ClientConfig, Filter, GraphError, ODataQuery, StaticToken,
};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use time::macros::datetime;

const TOKEN: &str = "emulator-test-token";

async fn emu(alerts: usize) -> RunningEmulator {
    emulator::start(EmulatorConfig {
        alerts,
        now: Some(datetime!(2026-11-26 12:00 UTC)),
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts")
}

fn config(e: &RunningEmulator) -> ClientConfig {
    let mut cfg = ClientConfig::new(e.base_url());
    cfg.timeout = Duration::from_secs(10);
    cfg.max_retries = 3;
    // Room for a few 1-second Retry-After hints, little more.
    cfg.max_retry_wait = Duration::from_secs(5);
    // These tests page through hundreds of alerts and meet 429s on purpose; the request
    // budget would pace them after the first 429. It is tested in tests/budget.rs.
    cfg.budget = BudgetConfig::unlimited();
    cfg
}

fn client_with(e: &RunningEmulator, token: &str) -> Client {
    Client::new(config(e), Arc::new(StaticToken::new(token))).expect("client for loopback")
}

fn client(e: &RunningEmulator) -> Client {
    client_with(e, TOKEN)
}

/// Every page of a listing; panics on the first error.
async fn all_pages(c: &Client, q: &ODataQuery) -> Vec<Page<Alert>> {
    let mut out = Vec::new();
    let mut pages = c.list_alerts(q);
    while let Some(page) = pages.next().await {
        out.push(page.expect("page"));
    }
    out
}

fn ids(pages: &[Page<Alert>]) -> Vec<String> {
    pages
        .iter()
        .flat_map(|p| p.items.iter().map(|a| a.id.clone()))
        .collect()
}

/// The first alert's id. Asks for a page larger than the tenant: a page with a nextLink
/// would start fetching the next one in the background, and that request could land after
/// a test has reset the counters or scheduled a fault.
async fn first_alert_id(c: &Client) -> String {
    let page = c
        .list_alerts(&ODataQuery::new().top(500))
        .next()
        .await
        .expect("a page")
        .expect("page ok");
    page.items[0].id.clone()
}

#[tokio::test]
async fn lists_every_page_of_a_filtered_query() {
    let e = emu(400).await;
    let c = client(&e);

    // The whole tenant, as the reference.
    let everything = ids(&all_pages(&c, &ODataQuery::new().top(500)).await);
    assert_eq!(everything.len(), 400);

    let active = ["new", "inProgress"];
    let q = ODataQuery::new()
        .filter(Filter::in_("status", active).and(Filter::ne("severity", "informational")))
        .top(17)
        .count(true);
    let pages = all_pages(&c, &q).await;
    assert!(pages.len() > 2, "a small page size must give several pages");
    let got = ids(&pages);
    let unique: HashSet<&String> = got.iter().collect();
    assert_eq!(unique.len(), got.len(), "no alert appears twice");
    assert_eq!(
        pages[0].count,
        Some(got.len() as u64),
        "@odata.count matches what the pages hold"
    );
    assert!(pages.iter().all(|p| p.skipped == 0 && p.items.len() <= 17));
    for a in pages.iter().flat_map(|p| &p.items) {
        assert!(
            matches!(a.status, Some(AlertStatus::New | AlertStatus::InProgress)),
            "{} has status {:?}",
            a.id,
            a.status
        );
        assert_ne!(a.severity, Some(AlertSeverity::Informational), "{}", a.id);
    }
    assert!(!got.is_empty() && got.len() < everything.len());
}

#[tokio::test]
async fn datetime_null_and_quoted_filters_are_understood() {
    let e = emu(200).await;
    let c = client(&e);
    let all: Vec<Alert> = all_pages(&c, &ODataQuery::new().top(500))
        .await
        .into_iter()
        .flat_map(|p| p.items)
        .collect();

    // A cut between the oldest and newest alert.
    let mut created: Vec<_> = all.iter().filter_map(|a| a.created).collect();
    created.sort();
    let cut = created[created.len() / 2];
    let q = ODataQuery::new().filter(Filter::ge_datetime("createdDateTime", cut));
    let newer: Vec<Alert> = all_pages(&c, &q)
        .await
        .into_iter()
        .flat_map(|p| p.items)
        .collect();
    let expected = all.iter().filter(|a| a.created >= Some(cut)).count();
    assert_eq!(newer.len(), expected);
    assert!(newer.iter().all(|a| a.created >= Some(cut)));

    let q = ODataQuery::new().filter(Filter::eq_null("assignedTo"));
    let unassigned = ids(&all_pages(&c, &q).await).len();
    assert_eq!(
        unassigned,
        all.iter().filter(|a| a.assigned_to.is_none()).count()
    );

    // A quote inside a value is escaped, not a syntax error.
    let q = ODataQuery::new().filter(Filter::eq("assignedTo", "o'brien@contoso.com"));
    assert!(ids(&all_pages(&c, &q).await).is_empty());
}

#[tokio::test]
async fn patches_each_updatable_field_and_reads_it_back() {
    let e = emu(50).await;
    let c = client(&e);
    let id = first_alert_id(&c).await;

    let steps = [
        AlertUpdate {
            status: Some(AlertStatus::InProgress),
            ..Default::default()
        },
        AlertUpdate {
            assigned_to: Some("ana.analyst@contoso.com".into()),
            ..Default::default()
        },
        AlertUpdate {
            classification: Some(AlertClassification::TruePositive),
            ..Default::default()
        },
        AlertUpdate {
            determination: Some(AlertDetermination::Malware),
            ..Default::default()
        },
    ];
    for update in &steps {
        let returned = c.update_alert(&id, update).await.expect("patch");
        let fetched = c.get_alert(&id).await.expect("get");
        for a in [&returned, &fetched] {
            assert_eq!(a.id, id);
            if let Some(s) = &update.status {
                assert_eq!(a.status.as_ref(), Some(s));
            }
            if let Some(v) = &update.assigned_to {
                assert_eq!(a.assigned_to.as_ref(), Some(v));
            }
            if let Some(v) = &update.classification {
                assert_eq!(a.classification.as_ref(), Some(v));
            }
            if let Some(v) = &update.determination {
                assert_eq!(a.determination.as_ref(), Some(v));
            }
        }
    }
    // Earlier changes survive later PATCHes of other fields.
    let a = c.get_alert(&id).await.expect("get");
    assert_eq!(a.status, Some(AlertStatus::InProgress));
    assert_eq!(a.assigned_to.as_deref(), Some("ana.analyst@contoso.com"));
    assert_eq!(a.classification, Some(AlertClassification::TruePositive));
    assert_eq!(a.determination, Some(AlertDetermination::Malware));

    // All at once, resolving.
    let all = AlertUpdate {
        status: Some(AlertStatus::Resolved),
        assigned_to: Some("bo@contoso.com".into()),
        classification: Some(AlertClassification::FalsePositive),
        determination: Some(AlertDetermination::NotMalicious),
    };
    let returned = c.update_alert(&id, &all).await.expect("patch all");
    assert_eq!(returned.status, Some(AlertStatus::Resolved));
    assert!(returned.resolved.is_some());
    assert_eq!(
        returned.determination,
        Some(AlertDetermination::NotMalicious)
    );
    assert_eq!(c.get_alert(&id).await.expect("get"), returned);
}

/// A token the emulator signed for this user (it refuses JWTs it did not sign).
fn jwt_for(upn: &str) -> String {
    graphsec::emulator::identity::user_token(upn, std::time::Duration::from_secs(600))
}

#[tokio::test]
async fn comments_are_added_and_read_back() {
    let e = emu(50).await;
    let c = client_with(&e, &jwt_for("cy.analyst@contoso.com"));
    let id = first_alert_id(&c).await;
    let before = c.get_alert(&id).await.expect("get").comments.len();

    let text = "Isolated host; it's the 2nd time (ünïcode & \"quotes\")";
    let list = c.add_alert_comment(&id, text).await.expect("comment");
    assert_eq!(list.len(), before + 1, "the reply is the whole list");
    let last = list.last().expect("a comment");
    assert_eq!(last.comment.as_deref(), Some(text));
    assert_eq!(
        last.created_by_display_name.as_deref(),
        Some("cy.analyst@contoso.com")
    );
    assert!(last.created_date_time.is_some());

    let again = c.add_alert_comment(&id, "second").await.expect("comment");
    assert_eq!(again.len(), before + 2);
    let fetched = c.get_alert(&id).await.expect("get");
    let texts: Vec<_> = fetched
        .comments
        .iter()
        .filter_map(|c| c.comment.as_deref())
        .collect();
    assert_eq!(texts[texts.len() - 2..], [text, "second"]);
    assert_eq!(e.controls().requests("POST", Route::AlertComments), 2);
}

#[tokio::test]
async fn a_missing_token_is_401_after_one_refresh() {
    let e = emu(20).await;
    for token in ["", "   "] {
        e.controls().reset_counters();
        let c = client_with(&e, token);
        let err = c.get_alert("anything").await.expect_err("no token");
        assert!(
            matches!(&err, GraphError::Api { status: 401, code, .. } if code == "InvalidAuthenticationToken"),
            "{err:?}"
        );
        assert!(err.needs_sign_in());
        assert!(!err.is_transient());
        // The first 401 invalidates the token and tries once more; no further retries.
        assert_eq!(e.controls().requests("GET", Route::Alert), 2);

        let first = c.list_alerts(&ODataQuery::new()).next().await;
        assert!(
            matches!(first, Some(Err(GraphError::Api { status: 401, .. }))),
            "{first:?}"
        );
    }
}

#[tokio::test]
async fn an_unknown_id_is_404_item_not_found() {
    let e = emu(20).await;
    let c = client(&e);
    let err = c.get_alert("no-such-alert").await.expect_err("404");
    match &err {
        GraphError::Api {
            status,
            code,
            request_id,
            ..
        } => {
            assert_eq!(*status, 404);
            assert_eq!(code, "itemNotFound");
            assert!(request_id.as_deref().is_some_and(|r| !r.is_empty()));
        }
        other => panic!("expected Api 404, got {other:?}"),
    }
    assert!(err.is_not_found());
    assert!(
        err.to_string().starts_with("Graph 404 itemNotFound: "),
        "{err}"
    );
    // Not retried.
    assert_eq!(e.controls().requests("GET", Route::Alert), 1);

    let update = AlertUpdate {
        status: Some(AlertStatus::Resolved),
        ..Default::default()
    };
    let err = c
        .update_alert("no-such-alert", &update)
        .await
        .expect_err("404");
    assert!(err.is_not_found(), "{err:?}");
    let err = c
        .add_alert_comment("no-such-alert", "x")
        .await
        .expect_err("404");
    assert!(err.is_not_found(), "{err:?}");
}

#[tokio::test]
async fn a_bad_filter_is_400_and_not_retried() {
    let e = emu(20).await;
    let c = client(&e);
    for bad in ["severity eq high", "title eq 'x'", "status eq 'new' and"] {
        e.controls().reset_counters();
        let q = ODataQuery::new().raw_filter(bad);
        let mut pages = c.list_alerts(&q);
        let first = pages.next().await;
        match first {
            Some(Err(GraphError::Api { status, code, .. })) => {
                assert_eq!(status, 400, "{bad}");
                assert_eq!(code, "invalidRequest", "{bad}");
            }
            other => panic!("{bad}: expected a 400, got {other:?}"),
        }
        assert!(
            pages.next().await.is_none(),
            "the stream ends after an error"
        );
        assert_eq!(e.controls().requests("GET", Route::Alerts), 1, "{bad}");
    }
}

#[tokio::test]
async fn throttling_with_retry_after_is_waited_out() {
    let e = emu(20).await;
    let c = client(&e);
    let id = first_alert_id(&c).await;
    e.controls().reset_counters();

    e.controls().throttle_next(2, Some(1));
    assert_eq!(
        c.get_alert(&id).await.expect("succeeds after waiting").id,
        id
    );
    assert_eq!(e.controls().requests("GET", Route::Alert), 3);

    // A POST is safe to repeat after a 429: Graph did not act on it. Posted exactly once.
    let before = c.get_alert(&id).await.expect("get").comments.len();
    e.controls().throttle_next(1, Some(1));
    let list = c
        .add_alert_comment(&id, "after throttle")
        .await
        .expect("comment");
    assert_eq!(list.len(), before + 1);
    assert_eq!(e.controls().requests("POST", Route::AlertComments), 2);
}

#[tokio::test]
async fn throttling_without_retry_after_backs_off() {
    let e = emu(20).await;
    let c = client(&e);
    let id = first_alert_id(&c).await;
    e.controls().reset_counters();

    e.controls().throttle_next(2, None);
    assert_eq!(
        c.get_alert(&id).await.expect("succeeds after backoff").id,
        id
    );
    assert_eq!(e.controls().requests("GET", Route::Alert), 3);
}

#[tokio::test]
async fn throttling_beyond_max_retries_is_reported() {
    let e = emu(20).await;
    let mut cfg = config(&e);
    cfg.max_retries = 2;
    let c = Client::new(cfg, Arc::new(StaticToken::new(TOKEN))).expect("client");
    let id = first_alert_id(&c).await;
    e.controls().reset_counters();

    e.controls().throttle_next(10, Some(1));
    let err = c.get_alert(&id).await.expect_err("still throttled");
    assert_eq!(
        err,
        GraphError::Throttled {
            retry_after: Some(Duration::from_secs(1))
        }
    );
    assert!(err.is_transient());
    assert_eq!(
        e.controls().requests("GET", Route::Alert),
        3,
        "the first attempt plus max_retries"
    );
    e.controls().clear_faults();
    assert!(c.get_alert(&id).await.is_ok());
}

#[tokio::test]
async fn paging_survives_throttling_between_pages() {
    let e = emu(120).await;
    let c = client(&e);
    let reference = ids(&all_pages(&c, &ODataQuery::new().top(500)).await);

    let mut pages = c.list_alerts(&ODataQuery::new().top(40));
    let mut got = ids(&[pages.next().await.expect("page").expect("page ok")]);
    // A later page request is throttled once (page 2 may already be on its way, fetched
    // ahead; page 3 is requested only after this); the stream hides it.
    e.controls().throttle_next(1, Some(1));
    while let Some(p) = pages.next().await {
        got.extend(p.expect("page ok").items.into_iter().map(|a| a.id));
    }
    assert_eq!(got, reference);
}
