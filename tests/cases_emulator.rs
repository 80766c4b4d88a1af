//! eDiscovery over real loopback HTTP: the client against the emulator's cases, their
//! children and operations; the 202 + Location estimate polled to the end (on the
//! emulator's injectable clock, so nothing sleeps for the estimate); the failure switch;
//! the 5-a-minute limit; a Location on another origin refused.

use futures_util::StreamExt;
use graphsec::emulator::cases::CasesConfig;
use graphsec::emulator::{self, EmulatorConfig, Route, RunningEmulator};
use graphsec::graph::cases::{
    CaseAction, CaseStatus, CaseUpdate, ContainerStatus, EdiscoveryCase, Kept, NewCase, NewSearch,
    OperationStatus,
};
use graphsec::graph::models::Page;
use graphsec::graph::{BudgetConfig, Client, ClientConfig, GraphError, ODataQuery, StaticToken};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use time::macros::datetime;

const TOKEN: &str = "test-token";

async fn emu_with(cases: CasesConfig) -> RunningEmulator {
    emulator::start(EmulatorConfig {
        alerts: 10,
        now: Some(datetime!(2026-11-26 12:00 UTC)),
        cases,
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts")
}

/// No rate limit: these tests are about the resources, not the throttle.
async fn emu() -> RunningEmulator {
    emu_with(CasesConfig {
        rate_limit: 0,
        ..CasesConfig::default()
    })
    .await
}

/// The client with no request budget and no eDiscovery pacing of its own: the emulator's
/// limit is what is tested (its clock is moved on by the tests; the client's pacing runs on
/// real time and is tested in tests/cases_pacing.rs).
fn client(e: &RunningEmulator) -> Client {
    Client::new(
        ClientConfig {
            budget: BudgetConfig::unlimited(),
            ediscovery_limit: (100_000, Duration::from_secs(60)),
            ..ClientConfig::new(e.base_url())
        },
        Arc::new(StaticToken::new(TOKEN)),
    )
    .expect("client")
}

async fn send(
    method: Method,
    url: &str,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, reqwest::header::HeaderMap, String) {
    let mut req = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("http")
        .request(method, url)
        .bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("request");
    let (status, headers) = (resp.status(), resp.headers().clone());
    (status, headers, resp.text().await.expect("body"))
}

async fn collect<T>(
    mut pages: impl futures_util::Stream<Item = Result<Page<T>, GraphError>> + Unpin,
) -> (Vec<T>, Vec<Option<u64>>) {
    let mut items = Vec::new();
    let mut counts = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.expect("page");
        assert_eq!(page.skipped, 0);
        counts.push(page.count);
        items.extend(page.items);
    }
    (items, counts)
}

async fn all_cases(c: &Client) -> Vec<Kept<EdiscoveryCase>> {
    collect(c.list_cases(&ODataQuery::new())).await.0
}

/// An active generated case with at least one search.
async fn active_case_with_search(c: &Client) -> (String, String) {
    for case in all_cases(c).await {
        if case.status != Some(CaseStatus::Active) {
            continue;
        }
        let (searches, _) = collect(c.list_searches(&case.id, &ODataQuery::new())).await;
        if let Some(s) = searches.first() {
            return (case.id.clone(), s.id.clone());
        }
    }
    panic!("no active case with a search");
}

fn api_status(err: &GraphError) -> Option<(u16, &str)> {
    match err {
        GraphError::Api { status, code, .. } => Some((*status, code.as_str())),
        _ => None,
    }
}

#[tokio::test]
async fn cases_page_with_count_and_cover_every_status() {
    let e = emu().await;
    let c = client(&e);
    let (cases, counts) = collect(c.list_cases(&ODataQuery::new().top(4))).await;
    assert_eq!(cases.len(), 15);
    assert_eq!(counts.len(), 4, "$top=4 gives four pages");
    // As documented, the case list carries @odata.count.
    assert!(counts.iter().all(|n| *n == Some(15)), "{counts:?}");
    let ids: HashSet<&str> = cases.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids.len(), 15);
    for status in [
        CaseStatus::Active,
        CaseStatus::PendingDelete,
        CaseStatus::Closing,
        CaseStatus::Closed,
        CaseStatus::ClosedWithError,
        CaseStatus::Unknown,
    ] {
        assert!(
            cases.iter().any(|c| c.status.as_ref() == Some(&status)),
            "{status}"
        );
    }
    for case in &cases {
        let closed = matches!(
            case.status,
            Some(CaseStatus::Closed | CaseStatus::ClosedWithError | CaseStatus::PendingDelete)
        );
        assert_eq!(case.closed.is_some(), closed, "{:?}", case.status);
        assert_eq!(
            case.closed_by.as_ref().and_then(|b| b.name()).is_some(),
            closed || case.status == Some(CaseStatus::Closing),
            "{:?}",
            case.status
        );
        assert!(case.created <= case.last_modified);
        assert!(case.last_modified_by.as_ref().unwrap().name().is_some());
    }
    let one = c.get_case(&cases[3].id).await.expect("get");
    assert_eq!(one.item, cases[3].item);
    let err = c.get_case("no-such-case").await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
    e.shutdown().await;
}

#[tokio::test]
async fn create_update_close_and_reopen_a_case() {
    let e = emu().await;
    let c = client(&e);
    let base = format!("{}/security/cases/ediscoveryCases", e.base_url());
    let (status, _, body) = send(
        Method::POST,
        &base,
        TOKEN,
        Some(json!({"displayName": "Raw case"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, _, body) = send(
        Method::POST,
        &base,
        TOKEN,
        Some(json!({"description": "x"})),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "displayName is required: {body}"
    );

    let case = c
        .create_case(&NewCase {
            display_name: "CONTOSO LITIGATION-900".into(),
            description: Some("Project Bazooka".into()),
            external_id: Some("324516".into()),
        })
        .await
        .expect("create");
    assert_eq!(case.status, Some(CaseStatus::Active));
    assert_eq!(case.external_id.as_deref(), Some("324516"));
    let url = format!("{base}/{}", case.id);

    let (status, _, body) = send(
        Method::PATCH,
        &url,
        TOKEN,
        Some(json!({"description": "Updated description"})),
    )
    .await;
    assert_eq!((status, body.as_str()), (StatusCode::NO_CONTENT, ""));
    c.update_case(
        &case.id,
        &CaseUpdate {
            display_name: Some("My Case 1 - Renamed".into()),
            ..CaseUpdate::default()
        },
    )
    .await
    .expect("update");
    let back = c.get_case(&case.id).await.expect("get");
    assert_eq!(back.display_name.as_deref(), Some("My Case 1 - Renamed"));
    assert_eq!(back.description.as_deref(), Some("Updated description"));
    let (status, _, _) = send(
        Method::PATCH,
        &url,
        TOKEN,
        Some(json!({"status": "closed"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "status is not updatable");

    let (status, _, body) = send(
        Method::POST,
        &format!("{url}/microsoft.graph.security.close"),
        TOKEN,
        None,
    )
    .await;
    assert_eq!((status, body.as_str()), (StatusCode::NO_CONTENT, ""));
    let closed = c.get_case(&case.id).await.expect("get");
    assert_eq!(closed.status, Some(CaseStatus::Closed));
    assert!(closed.closed.is_some());
    assert_eq!(
        closed.closed_by.as_ref().and_then(|b| b.name()),
        Some("demo.analyst@contoso.com")
    );
    let again = c.close_case(&case.id).await.unwrap_err();
    assert_eq!(api_status(&again), Some((400, "invalidRequest")), "{again}");

    c.reopen_case(&case.id).await.expect("reopen");
    let open = c.get_case(&case.id).await.expect("get");
    assert_eq!(open.status, Some(CaseStatus::Active));
    assert!(open.closed.is_none());
    let again = c.reopen_case(&case.id).await.unwrap_err();
    assert_eq!(api_status(&again), Some((400, "invalidRequest")), "{again}");
    c.close_case(&case.id)
        .await
        .expect("close through the client");
    let err = c.close_case("no-such-case").await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
    e.shutdown().await;
}

#[tokio::test]
async fn custodians_sources_searches_review_sets_and_operations() {
    let e = emu().await;
    let c = client(&e);
    let (case_id, _) = active_case_with_search(&c).await;
    let case_url = format!("{}/security/cases/ediscoveryCases/{case_id}", e.base_url());

    let (before, _) = collect(c.list_custodians(&case_id, &ODataQuery::new())).await;
    assert!(!before.is_empty());
    let email = "someone.new@contoso.com";
    let custodian = c.add_custodian(&case_id, email).await.expect("add");
    assert_eq!(custodian.email.as_deref(), Some(email));
    assert_eq!(custodian.status, Some(ContainerStatus::Active));
    assert_eq!(
        custodian.acknowledged, None,
        "the unset .NET date reads as None"
    );
    let (after, _) = collect(c.list_custodians(&case_id, &ODataQuery::new())).await;
    assert_eq!(after.len(), before.len() + 1);
    assert!(after.iter().any(|x| x.id == custodian.id));
    let (status, _, _) = send(
        Method::POST,
        &format!("{case_url}/custodians"),
        TOKEN,
        Some(json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "email is required");
    let twice = c.add_custodian(&case_id, email).await.unwrap_err();
    assert_eq!(
        api_status(&twice),
        Some((409, "nameAlreadyExists")),
        "{twice}"
    );

    // A generated custodian's mailbox is a userSource, read with the key syntax too.
    let (status, _, body) = send(
        Method::GET,
        &format!(
            "{}/security/cases/ediscoveryCases('{case_id}')/custodians('{}')/userSources",
            e.base_url(),
            before[0].id
        ),
        TOKEN,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let sources: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        sources["value"][0]["email"].as_str(),
        before[0].email.as_deref()
    );

    let (_, _) = collect(c.list_noncustodial_sources(&case_id, &ODataQuery::new())).await;
    let (searches, _) = collect(c.list_searches(&case_id, &ODataQuery::new())).await;
    let made = c
        .create_search(
            &case_id,
            &NewSearch {
                display_name: "My search 2".into(),
                content_query: Some("(Author=\"edison\")".into()),
                data_source_scopes: Some("allCaseCustodians".into()),
                ..NewSearch::default()
            },
        )
        .await
        .expect("create search");
    assert_eq!(made.data_source_scopes, ["allCaseCustodians"]);
    let (more, _) = collect(c.list_searches(&case_id, &ODataQuery::new())).await;
    assert_eq!(more.len(), searches.len() + 1);
    let fresh = c.get_search(&case_id, &made.id).await.expect("get search");
    assert_eq!(fresh.content_query.as_deref(), Some("(Author=\"edison\")"));
    assert!(fresh.last_estimate_statistics_operation.is_none());

    let (sets, _) = collect(c.list_review_sets(&case_id, &ODataQuery::new())).await;
    let (status, _, body) = send(
        Method::POST,
        &format!("{case_url}/reviewSets"),
        TOKEN,
        Some(json!({"displayName": "My review set 2"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (more_sets, _) = collect(c.list_review_sets(&case_id, &ODataQuery::new())).await;
    assert_eq!(more_sets.len(), sets.len() + 1);

    // Operations carry the subtype of their action.
    let mut seen = HashSet::new();
    for case in all_cases(&c).await {
        let (ops, _) = collect(c.list_operations(&case.id, &ODataQuery::new())).await;
        for op in ops {
            let ty = op.odata_type.clone().unwrap_or_default();
            let want = match op.action.as_ref().unwrap() {
                CaseAction::HoldUpdate => "ediscoveryHoldOperation",
                CaseAction::Index => "ediscoveryIndexOperation",
                CaseAction::EstimateStatistics => "ediscoveryEstimateOperation",
                CaseAction::AddToReviewSet => "ediscoveryAddToReviewSetOperation",
                other => panic!("unexpected action {other}"),
            };
            assert_eq!(ty, format!("#microsoft.graph.security.{want}"));
            assert!(op.status.as_ref().unwrap().is_final());
            seen.insert(op.action.clone().unwrap());
            let one = c.get_operation(&case.id, &op.id).await.expect("get op");
            // The entity reply adds @odata.context; the typed view is the same.
            assert_eq!(one.item, op.item);
        }
    }
    assert!(seen.len() >= 3, "{seen:?}");
    e.shutdown().await;
}

#[tokio::test]
async fn legal_holds_are_served_on_beta_only() {
    let e = emu().await;
    let c = client(&e);
    let case = all_cases(&c)
        .await
        .into_iter()
        .find(|k| k.status == Some(CaseStatus::Active))
        .unwrap();
    let v1 = format!(
        "{}/security/cases/ediscoveryCases/{}/legalHolds",
        e.base_url(),
        case.id
    );
    let beta = v1.replace("/v1.0/", "/beta/");
    let (status, _, body) = send(Method::GET, &v1, TOKEN, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let err: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(err["error"]["code"], "invalidRequest");
    assert_eq!(
        err["error"]["message"],
        "Resource not found for the segment 'legalHolds'."
    );
    let (before, _) = collect(c.list_legal_holds(&case.id, &ODataQuery::new())).await;
    let (status, _, body) = send(
        Method::POST,
        &beta,
        TOKEN,
        Some(json!({"displayName": "My legalHold with sources", "description": "Created from Graph API"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let made: Value = serde_json::from_str(&body).unwrap();
    assert!(
        made["@odata.context"]
            .as_str()
            .unwrap()
            .contains("/beta/$metadata#security/cases/ediscoveryCases('")
    );
    assert_eq!(made["status"], "pending");
    let (after, _) = collect(c.list_legal_holds(&case.id, &ODataQuery::new())).await;
    assert_eq!(after.len(), before.len() + 1);
    assert_eq!(after.last().unwrap().enabled(), Some(true));
    e.shutdown().await;
}

#[tokio::test]
async fn an_estimate_is_accepted_with_a_location_and_polled_to_its_counts() {
    let e = emu().await;
    let c = client(&e);
    let (case_id, search_id) = active_case_with_search(&c).await;
    let action = format!(
        "{}/security/cases/ediscoveryCases/{case_id}/searches/{search_id}/microsoft.graph.security.estimateStatistics",
        e.base_url()
    );
    // The wire: 202, no body, a Location in the documented key form.
    let (status, headers, body) = send(Method::POST, &action, TOKEN, None).await;
    assert_eq!((status, body.as_str()), (StatusCode::ACCEPTED, ""));
    let raw_location = headers["location"].to_str().unwrap().to_owned();
    assert!(
        raw_location.starts_with(&format!(
            "{}/security/cases/ediscoveryCases('{case_id}')/operations('",
            e.base_url()
        )),
        "{raw_location}"
    );

    let location = c
        .estimate_statistics(&case_id, &search_id)
        .await
        .expect("estimate");
    assert_ne!(location, raw_location, "a new operation each time");
    let op = c.get_operation_at(&location).await.expect("poll");
    assert_eq!(op.action, Some(CaseAction::EstimateStatistics));
    assert_eq!(op.status, Some(OperationStatus::NotStarted));
    assert_eq!(op.percent_progress, Some(0));
    assert_eq!(op.completed, None);

    e.controls()
        .advance_ediscovery_clock(Duration::from_secs(6));
    let mid = c.get_operation_at(&location).await.expect("poll");
    assert_eq!(mid.status, Some(OperationStatus::Running));
    let p1 = mid.percent_progress.unwrap();
    assert!((1..=99).contains(&p1), "{p1}");
    e.controls()
        .advance_ediscovery_clock(Duration::from_secs(6));
    let later = c.get_operation_at(&location).await.expect("poll");
    assert!(later.percent_progress.unwrap() > p1, "progress rises");

    e.controls()
        .advance_ediscovery_clock(Duration::from_secs(10));
    let done = c.get_operation_at(&location).await.expect("poll");
    assert_eq!(done.status, Some(OperationStatus::Succeeded));
    assert_eq!(done.percent_progress, Some(100));
    assert!(done.completed.is_some() && done.completed > done.created);
    let counts = done.estimate.expect("counts");
    assert!(counts.indexed_item_count.unwrap() > 0);
    assert!(counts.indexed_items_size.unwrap() > counts.indexed_item_count.unwrap());
    assert!(counts.mailbox_count.unwrap() > 0);
    assert!(counts.site_count.is_some() && counts.unindexed_item_count.is_some());
    assert!(counts.unindexed_items_size.is_some());

    // The search points at its latest estimate; the operation is in the case's list too.
    let search = c.get_search(&case_id, &search_id).await.expect("search");
    let last = search
        .last_estimate_statistics_operation
        .as_ref()
        .expect("lastEstimateStatisticsOperation");
    assert_eq!(last.id, done.id);
    assert_eq!(last.status, Some(OperationStatus::Succeeded));
    let by_id = c.get_operation(&case_id, &done.id).await.expect("get");
    assert_eq!(by_id.item, done.item);
    let (ops, _) = collect(c.list_operations(&case_id, &ODataQuery::new())).await;
    assert!(ops.iter().any(|o| o.id == done.id));
    assert_eq!(e.controls().requests("POST", Route::EdiscoveryEstimate), 2);
    e.shutdown().await;
}

#[tokio::test]
async fn the_failure_switch_fails_the_next_estimate_only() {
    let e = emu().await;
    let c = client(&e);
    let (case_id, search_id) = active_case_with_search(&c).await;
    e.controls().fail_next_estimate();
    let failing = c.estimate_statistics(&case_id, &search_id).await.unwrap();
    let fine = c.estimate_statistics(&case_id, &search_id).await.unwrap();
    e.controls()
        .advance_ediscovery_clock(Duration::from_secs(25));
    let failed = c.get_operation_at(&failing).await.unwrap();
    assert_eq!(failed.status, Some(OperationStatus::Failed));
    assert!(failed.status.as_ref().unwrap().is_final());
    assert!(failed.result_info.as_ref().unwrap().message.is_some());
    // Like an unfinished one, a failed estimate reports zero counts (.NET defaults).
    assert_eq!(failed.estimate.unwrap().indexed_item_count, Some(0));
    let ok = c.get_operation_at(&fine).await.unwrap();
    assert_eq!(ok.status, Some(OperationStatus::Succeeded));
    e.shutdown().await;

    // --fail-estimates: all of them.
    let e = emu_with(CasesConfig {
        rate_limit: 0,
        fail_estimates: true,
        estimate_duration: Duration::from_secs(2),
        ..CasesConfig::default()
    })
    .await;
    let c = client(&e);
    let (case_id, search_id) = active_case_with_search(&c).await;
    for _ in 0..2 {
        let at = c.estimate_statistics(&case_id, &search_id).await.unwrap();
        e.controls()
            .advance_ediscovery_clock(Duration::from_secs(2));
        let op = c.get_operation_at(&at).await.unwrap();
        assert_eq!(op.status, Some(OperationStatus::Failed));
    }
    e.shutdown().await;
}

#[tokio::test]
async fn five_requests_a_minute_per_token_then_429_with_retry_after() {
    let e = emu_with(CasesConfig::default()).await;
    let url = format!("{}/security/cases/ediscoveryCases?$top=2", e.base_url());
    for i in 0..5 {
        let (status, _, body) = send(Method::GET, &url, TOKEN, None).await;
        assert_eq!(status, StatusCode::OK, "request {i}: {body}");
    }
    let (status, headers, body) = send(Method::GET, &url, TOKEN, None).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let secs: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&secs), "{secs}");
    let err: Value = serde_json::from_str(&body).expect("Graph's error JSON");
    assert_eq!(err["error"]["code"], "activityLimitReached");
    assert!(err["error"]["message"].is_string());
    assert_eq!(err["error"]["innerError"]["code"], "throttledRequest");
    assert_eq!(
        err["error"]["innerError"]["request-id"].as_str(),
        headers["request-id"].to_str().ok()
    );
    // Another token has its own budget; the Secure Score routes are not limited by it.
    let (status, _, _) = send(Method::GET, &url, "other-token", None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = send(
        Method::GET,
        &format!("{}/security/secureScores?$top=1", e.base_url()),
        TOKEN,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    // A minute on, the window has slid past the first five.
    e.controls()
        .advance_ediscovery_clock(Duration::from_secs(61));
    let (status, _, body) = send(Method::GET, &url, TOKEN, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(e.controls().requests("GET", Route::EdiscoveryCases), 8);
    assert_eq!(e.controls().ediscovery_requests_per_minute(), [7, 1]);
    e.shutdown().await;
}

#[tokio::test]
async fn the_client_waits_out_the_limit_with_retry_after() {
    // A shrunk window: two requests a second.
    let e = emu_with(CasesConfig {
        rate_limit: 2,
        rate_window: Duration::from_secs(1),
        ..CasesConfig::default()
    })
    .await;
    let c = client(&e);
    let (cases, _) = collect(c.list_cases(&ODataQuery::new().top(15))).await;
    for case in cases.iter().take(3) {
        let one = c.get_case(&case.id).await.expect("admitted after waiting");
        assert_eq!(one.id, case.id);
    }
    let arrived: u64 = e.controls().ediscovery_requests_per_minute().iter().sum();
    assert!(
        arrived > 4,
        "some requests were throttled and retried: {arrived}"
    );
    assert!(e.controls().requests("GET", Route::EdiscoveryCase) > 3);
    e.shutdown().await;
}

#[tokio::test]
async fn a_location_on_another_origin_is_refused_without_a_request() {
    let e = emu().await;
    let c = client(&e);
    let (case_id, search_id) = active_case_with_search(&c).await;
    let location = c.estimate_statistics(&case_id, &search_id).await.unwrap();
    let port = e
        .base_url()
        .split(':')
        .nth(2)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let other_port = (port.parse::<u16>().unwrap() % 60000 + 1).to_string();
    let before = e.controls().total_requests();
    for evil in [
        location.replace("127.0.0.1", "evil.example"),
        location.replace("127.0.0.1", "127.0.0.2"),
        location.replace(&format!(":{port}/"), &format!(":{other_port}/")),
        location.replace("http://", "https://"),
        location.split("/v1.0").nth(1).unwrap().to_owned(),
    ] {
        let err = c.get_operation_at(&evil).await.unwrap_err();
        assert!(matches!(err, GraphError::BadLocation(_)), "{evil}: {err}");
    }
    assert_eq!(e.controls().total_requests(), before, "nothing was sent");
    assert!(c.get_operation_at(&location).await.is_ok());
    e.shutdown().await;
}
