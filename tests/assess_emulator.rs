//! Threat assessment over real loopback HTTP: the client against the emulator's
//! `informationProtection/threatAssessmentRequests` (list with paging, `$expand=results`,
//! `$filter`, `$orderby`, `$select`; get; results; 404/405), every POST kind and every
//! validation rule, the 413 size limit, the pending -> completed lifecycle on the emulator's
//! injectable clock (nothing sleeps), and the POST limits per tenant and per resource.

use futures_util::StreamExt;
use graphsec::emulator::assess::{AssessConfig, EICAR, FIFTEEN_MINUTES, MAX_BODY};
use graphsec::emulator::{self, EmulatorConfig, Route, RunningEmulator};
use graphsec::graph::assess::{
    AssessmentKind, AssessmentStatus, AssessmentTarget, ExpectedAssessment, NewAssessment,
    ResultType, ThreatAssessmentRequest, ThreatCategory,
};
use graphsec::graph::cases::Kept;
use graphsec::graph::models::Page;
use graphsec::graph::{BudgetConfig, Client, ClientConfig, GraphError, ODataQuery, StaticToken};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use time::macros::datetime;

const TOKEN: &str = "test-token";
const SEEDED: usize = emulator::assess::DEMO_REQUESTS;
const DURATION: Duration = Duration::from_secs(10);

async fn emu_with(assess: AssessConfig) -> RunningEmulator {
    emulator::start(EmulatorConfig {
        alerts: 10,
        now: Some(datetime!(2026-11-26 12:00 UTC)),
        assess,
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts")
}

/// Graph's limits, and the default 10 s assessment.
async fn emu() -> RunningEmulator {
    emu_with(AssessConfig::default()).await
}

/// No POST limits: for tests about the resources, not the throttle.
async fn emu_unlimited() -> RunningEmulator {
    emu_with(AssessConfig {
        tenant_per_15_min: 0,
        tenant_per_day: 0,
        resource_per_15_min: 0,
        resource_per_day: 0,
        ..AssessConfig::default()
    })
    .await
}

fn client(e: &RunningEmulator) -> Client {
    Client::new(
        ClientConfig {
            budget: BudgetConfig::unlimited(),
            ..ClientConfig::new(e.base_url())
        },
        Arc::new(StaticToken::new(TOKEN)),
    )
    .expect("client")
}

fn collection(e: &RunningEmulator) -> String {
    format!(
        "{}/informationProtection/threatAssessmentRequests",
        e.base_url()
    )
}

struct Reply {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

async fn send_raw(method: Method, url: &str, body: Option<Vec<u8>>) -> Reply {
    let mut req = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("http")
        .request(method, url)
        .bearer_auth(TOKEN);
    if let Some(b) = body {
        req = req.header("content-type", "application/json").body(b);
    }
    let resp = req.send().await.expect("request");
    let (status, headers) = (resp.status(), resp.headers().clone());
    let text = resp.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Reply {
        status,
        headers,
        body,
    }
}

async fn get(url: &str) -> Reply {
    send_raw(Method::GET, url, None).await
}

async fn post(e: &RunningEmulator, body: &Value) -> Reply {
    send_raw(
        Method::POST,
        &collection(e),
        Some(serde_json::to_vec(body).unwrap()),
    )
    .await
}

async fn collect<T>(
    mut pages: impl futures_util::Stream<Item = Result<Page<T>, GraphError>> + Unpin,
) -> (Vec<T>, usize) {
    let mut items = Vec::new();
    let mut n = 0;
    while let Some(page) = pages.next().await {
        let page = page.expect("page");
        assert_eq!(page.skipped, 0);
        n += 1;
        items.extend(page.items);
    }
    (items, n)
}

async fn all(c: &Client, q: ODataQuery) -> Vec<Kept<ThreatAssessmentRequest>> {
    collect(c.list_assessments(&q)).await.0
}

fn url_body(url: &str) -> Value {
    json!({"@odata.type": "#microsoft.graph.urlAssessmentRequest", "url": url,
           "expectedAssessment": "block", "category": "phishing"})
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn mail_body(recipient: &str, message: &str) -> Value {
    json!({"@odata.type": "#microsoft.graph.mailAssessmentRequest",
           "recipientEmail": recipient, "expectedAssessment": "block", "category": "spam",
           "messageUri": format!("https://graph.microsoft.com/v1.0/users/c52ce8db-3e4b-4181-93c4-7d6b6bffaf60/messages/{message}")})
}

fn email_file_body(content: &[u8]) -> Value {
    json!({"@odata.type": "#microsoft.graph.emailFileAssessmentRequest",
           "recipientEmail": "AdeleV@contoso.com", "expectedAssessment": "block",
           "category": "malware", "contentData": b64(content)})
}

fn file_body(name: &str, content: &[u8]) -> Value {
    json!({"@odata.type": "#microsoft.graph.fileAssessmentRequest", "fileName": name,
           "expectedAssessment": "block", "category": "malware", "contentData": b64(content)})
}

fn keys_of(v: &Value) -> HashSet<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

fn error_code(r: &Reply) -> &str {
    r.body["error"]["code"].as_str().unwrap_or_default()
}

fn error_message(r: &Reply) -> &str {
    r.body["error"]["message"].as_str().unwrap_or_default()
}

/// `Retry-After` is `expected` less the real time the test has taken (the clock runs on
/// real time plus the advances); a few seconds of slack keep a busy machine from failing it.
fn about(secs: u64, expected: u64) -> bool {
    (expected.saturating_sub(5)..=expected).contains(&secs)
}

fn retry_after(r: &Reply) -> u64 {
    r.headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in whole seconds")
}

// ---- reads -----------------------------------------------------------------------------

#[tokio::test]
async fn the_list_pages_newest_first_over_every_seeded_request() {
    let e = emu().await;
    let c = client(&e);
    let (items, pages) = collect(c.list_assessments(&ODataQuery::new().top(4))).await;
    assert_eq!(items.len(), SEEDED);
    assert_eq!(pages, SEEDED.div_ceil(4), "$top=4 pages the list");
    let ids: HashSet<&str> = items.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids.len(), SEEDED, "no item twice across pages");
    let created: Vec<_> = items.iter().map(|a| a.created.expect("created")).collect();
    assert!(
        created.windows(2).all(|w| w[0] >= w[1]),
        "default order is createdDateTime desc: {created:?}"
    );
    for kind in AssessmentKind::ALL {
        assert!(items.iter().any(|a| a.kind() == Some(kind)), "{kind:?}");
    }
    let statuses: HashSet<_> = items.iter().map(|a| a.status.clone()).collect();
    assert!(statuses.contains(&Some(AssessmentStatus::Pending)));
    assert!(statuses.contains(&Some(AssessmentStatus::Completed)));
    e.shutdown().await;
}

#[tokio::test]
async fn the_next_link_is_absolute_keeps_the_query_and_carries_an_opaque_skiptoken() {
    let e = emu().await;
    let first = get(&format!(
        "{}?$top=3&$filter=contentType+eq+'url'",
        collection(&e)
    ))
    .await;
    assert_eq!(first.status, StatusCode::OK);
    assert!(
        first.body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("/v1.0/$metadata#informationProtection/threatAssessmentRequests")
    );
    let next = first.body["@odata.nextLink"].as_str().expect("nextLink");
    assert!(next.starts_with(&collection(&e)), "{next}");
    assert!(
        next.contains("$top=3") && next.contains("$filter="),
        "{next}"
    );
    assert!(next.contains("$skiptoken="), "{next}");
    for item in first.body["value"].as_array().unwrap() {
        assert_eq!(item["@odata.type"], "#microsoft.graph.urlAssessmentRequest");
        assert_eq!(item["contentType"], "url");
    }
    let second = get(next).await;
    assert_eq!(second.status, StatusCode::OK);
    assert!(second.body.get("@odata.nextLink").is_none());
    // An edited token, or one taken to another query, is refused.
    let edited = next.replace("$skiptoken=", "$skiptoken=x");
    let r = get(&edited).await;
    assert_eq!(
        (r.status, error_code(&r)),
        (StatusCode::BAD_REQUEST, "invalidRequest")
    );
    let token = next.split("$skiptoken=").nth(1).unwrap();
    let r = get(&format!("{}?$top=4&$skiptoken={token}", collection(&e))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    e.shutdown().await;
}

#[tokio::test]
async fn a_request_submitted_while_paging_does_not_shift_the_pages() {
    let e = emu_unlimited().await;
    let first = get(&format!("{}?$top=5", collection(&e))).await;
    let next = first.body["@odata.nextLink"].as_str().unwrap().to_owned();
    assert_eq!(
        post(&e, &url_body("https://new.example/")).await.status,
        StatusCode::CREATED
    );
    let second = get(&next).await;
    let seen: Vec<&str> = first.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second.body["value"].as_array().unwrap())
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    assert_eq!(seen.len(), 10);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 10);
    e.shutdown().await;
}

#[tokio::test]
async fn expand_results_inlines_the_verdicts_with_their_context() {
    let e = emu().await;
    let c = client(&e);
    let items = all(&c, ODataQuery::new().expand(["results"])).await;
    for a in &items {
        let types: Vec<_> = a.results.iter().map(|r| r.result_type.clone()).collect();
        match a.status {
            Some(AssessmentStatus::Completed) => {
                assert_eq!(
                    types,
                    [Some(ResultType::CheckPolicy), Some(ResultType::Rescan)],
                    "{}",
                    a.id
                );
                assert_eq!(a.verdicts().count(), 1);
            }
            _ => assert!(
                !types.contains(&Some(ResultType::Rescan)),
                "a pending request has no verdict yet"
            ),
        }
    }
    let raw = get(&format!("{}?$expand=results&$top=1", collection(&e))).await;
    assert!(
        raw.body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("threatAssessmentRequests(results())")
    );
    let item = &raw.body["value"][0];
    let ctx = item["results@odata.context"]
        .as_str()
        .expect("results context");
    let id = item["id"].as_str().unwrap();
    assert!(
        ctx.ends_with(&format!(
            "threatAssessmentRequests('{id}')/{}/results",
            item["@odata.type"]
                .as_str()
                .unwrap()
                .trim_start_matches('#')
        )),
        "{ctx}"
    );
    // Without $expand there are no results.
    let plain = get(&format!("{}?$top=1", collection(&e))).await;
    assert!(plain.body["value"][0].get("results").is_none());
    let r = get(&format!("{}?$expand=createdBy", collection(&e))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    e.shutdown().await;
}

#[tokio::test]
async fn filter_takes_eq_on_the_documented_properties_joined_by_and() {
    let e = emu().await;
    let c = client(&e);
    let pending = all(&c, ODataQuery::new().raw_filter("status eq 'pending'")).await;
    assert!(!pending.is_empty());
    assert!(
        pending
            .iter()
            .all(|a| a.status == Some(AssessmentStatus::Pending))
    );
    let urls = all(
        &c,
        ODataQuery::new().raw_filter("contentType eq 'url' and status eq 'completed'"),
    )
    .await;
    assert!(!urls.is_empty());
    assert!(
        urls.iter().all(|a| a.kind() == Some(AssessmentKind::Url)
            && a.status == Some(AssessmentStatus::Completed))
    );
    let malware = all(&c, ODataQuery::new().raw_filter("category eq 'malware'")).await;
    assert!(
        !malware.is_empty()
            && malware
                .iter()
                .all(|a| a.category == Some(ThreatCategory::Malware))
    );
    let admins = all(
        &c,
        ODataQuery::new().raw_filter("requestSource eq 'administrator'"),
    )
    .await;
    assert_eq!(admins.len(), SEEDED);
    assert!(
        all(&c, ODataQuery::new().raw_filter("requestSource eq 'user'"))
            .await
            .is_empty()
    );
    for bad in [
        "url eq 'x'",
        "status ne 'pending'",
        "status eq 'pending' or status eq 'completed'",
    ] {
        let err = c
            .list_assessments(&ODataQuery::new().raw_filter(bad))
            .next()
            .await
            .unwrap()
            .unwrap_err();
        assert!(
            matches!(&err, GraphError::Api { status: 400, code, .. } if code == "invalidRequest"),
            "{bad}: {err}"
        );
    }
    e.shutdown().await;
}

#[tokio::test]
async fn orderby_sorts_and_select_trims() {
    let e = emu().await;
    let c = client(&e);
    let asc = all(&c, ODataQuery::new().orderby("createdDateTime asc")).await;
    let created: Vec<_> = asc.iter().map(|a| a.created.unwrap()).collect();
    assert!(created.windows(2).all(|w| w[0] <= w[1]));
    let by_kind = all(
        &c,
        ODataQuery::new().orderby("contentType,createdDateTime desc"),
    )
    .await;
    let kinds: Vec<String> = by_kind
        .iter()
        .map(|a| a.content_type.as_ref().unwrap().to_string())
        .collect();
    let mut sorted = kinds.clone();
    sorted.sort();
    assert_eq!(kinds, sorted);
    let r = get(&format!("{}?$orderby=url", collection(&e))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    let r = get(&format!("{}?$select=status,category", collection(&e))).await;
    assert_eq!(r.status, StatusCode::OK);
    for item in r.body["value"].as_array().unwrap() {
        let keys: HashSet<&str> = item
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            HashSet::from(["@odata.type", "id", "status", "category"]),
            "{item}"
        );
    }
    let r = get(&format!("{}?$select=nonsense", collection(&e))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = get(&format!("{}?$count=true", collection(&e))).await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "$count is not documented"
    );
    e.shutdown().await;
}

#[tokio::test]
async fn get_one_with_results_select_and_the_results_collection() {
    let e = emu().await;
    let c = client(&e);
    let completed = all(&c, ODataQuery::new().raw_filter("status eq 'completed'")).await;
    let id = completed[0].id.clone();
    let one = c.get_assessment(&id).await.expect("get");
    assert_eq!(one.id, id);
    assert_eq!(one.results.len(), 2, "get expands results");
    let (results, _) = collect(c.list_assessment_results(&id, &ODataQuery::new())).await;
    assert_eq!(
        results.iter().map(|r| r.id.clone()).collect::<Vec<_>>(),
        one.results.iter().map(|r| r.id.clone()).collect::<Vec<_>>()
    );
    let (top, _) = collect(c.list_assessment_results(&id, &ODataQuery::new().top(1))).await;
    assert_eq!(top.len(), 1);
    let sel = get(&format!("{}/{id}/results?$select=message", collection(&e))).await;
    for r in sel.body["value"].as_array().unwrap() {
        assert_eq!(keys_of(r), HashSet::from(["id", "message"]));
    }
    let bad = get(&format!("{}/{id}/results?$filter=x", collection(&e))).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let raw = get(&format!("{}/{id}", collection(&e))).await;
    assert!(
        raw.body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("threatAssessmentRequests/$entity")
    );
    let raw = get(&format!("{}/{id}?$expand=results", collection(&e))).await;
    assert!(
        raw.body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("threatAssessmentRequests(results())/$entity")
    );
    let raw = get(&format!("{}/{id}?$select=status", collection(&e))).await;
    let keys: HashSet<&str> = raw
        .body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        HashSet::from(["@odata.context", "@odata.type", "id", "status"])
    );
    // The key form and any spelling of the segments reach the same request.
    let key = get(&format!(
        "{}/v1.0/InformationProtection/THREATASSESSMENTREQUESTS('{id}')",
        e.origin()
    ))
    .await;
    assert_eq!(key.status, StatusCode::OK);
    assert_eq!(key.body["id"], id.as_str());
    e.shutdown().await;
}

#[tokio::test]
async fn unknown_ids_answer_404_item_not_found() {
    let e = emu().await;
    let c = client(&e);
    for err in [
        c.get_assessment("no-such-request").await.unwrap_err(),
        c.list_assessment_results("no-such-request", &ODataQuery::new())
            .next()
            .await
            .unwrap()
            .unwrap_err(),
    ] {
        assert!(
            matches!(&err, GraphError::Api { status: 404, code, .. } if code == "itemNotFound"),
            "{err}"
        );
    }
    e.shutdown().await;
}

#[tokio::test]
async fn undocumented_methods_answer_405_with_allow() {
    let e = emu().await;
    let id = get(&format!("{}?$top=1", collection(&e))).await.body["value"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let item = format!("{}/{id}", collection(&e));
    for (method, url, allow) in [
        (Method::PATCH, item.clone(), "GET, HEAD"),
        (Method::DELETE, item.clone(), "GET, HEAD"),
        (Method::POST, format!("{item}/results"), "GET, HEAD"),
        (Method::PUT, collection(&e), "GET, HEAD, POST"),
        (Method::DELETE, collection(&e), "GET, HEAD, POST"),
    ] {
        let r = send_raw(method.clone(), &url, Some(b"{}".to_vec())).await;
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {url}");
        assert_eq!(r.headers["allow"], allow);
        assert_eq!(error_code(&r), "notSupported");
    }
    e.shutdown().await;
}

// ---- POST: one 201 per kind ------------------------------------------------------------

/// Checks what every created request carries.
fn created_shape(r: &Reply, odata_type: &str, content_type: &str) {
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let b = &r.body;
    assert!(
        b["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("$metadata#informationProtection/threatAssessmentRequests/$entity")
    );
    assert_eq!(b["@odata.type"], odata_type);
    assert!(!b["id"].as_str().unwrap().is_empty());
    assert!(
        time::OffsetDateTime::parse(
            b["createdDateTime"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339
        )
        .is_ok()
    );
    assert_eq!(b["contentType"], content_type);
    assert_eq!(b["status"], "pending");
    assert_eq!(b["requestSource"], "administrator");
    // An opaque token names the emulator's demo analyst.
    assert_eq!(b["createdBy"]["user"]["displayName"], "demo analyst");
    assert!(b["createdBy"]["user"]["id"].is_string());
}

#[tokio::test]
async fn post_url_creates_a_pending_request() {
    let e = emu().await;
    let r = post(&e, &url_body("http://test.com")).await;
    created_shape(&r, "#microsoft.graph.urlAssessmentRequest", "url");
    assert_eq!(r.body["url"], "http://test.com");
    assert_eq!(r.body["category"], "phishing");
    assert_eq!(r.body["expectedAssessment"], "block");
    // It is listed first (newest).
    let list = get(&format!("{}?$top=1", collection(&e))).await;
    assert_eq!(list.body["value"][0]["id"], r.body["id"]);
    e.shutdown().await;
}

#[tokio::test]
async fn post_mail_creates_a_pending_request() {
    let e = emu().await;
    let r = post(
        &e,
        &mail_body("tifc@contoso.com", "AAMkADU3MWUxOTU0LWNlOTEt="),
    )
    .await;
    created_shape(&r, "#microsoft.graph.mailAssessmentRequest", "mail");
    assert_eq!(r.body["recipientEmail"], "tifc@contoso.com");
    assert!(
        r.body["messageUri"]
            .as_str()
            .unwrap()
            .ends_with("/messages/AAMkADU3MWUxOTU0LWNlOTEt=")
    );
    assert_eq!(r.body["destinationRoutingReason"], "notJunk");
    // The /me/ form is a Graph message URL too.
    let mut me = mail_body("tifc@contoso.com", "x");
    me["messageUri"] = json!("https://graph.microsoft.com/v1.0/me/messages/AAMkAnother=");
    assert_eq!(post(&e, &me).await.status, StatusCode::CREATED);
    e.shutdown().await;
}

#[tokio::test]
async fn post_email_file_creates_a_pending_request_and_echoes_no_content() {
    let e = emu().await;
    let r = post(&e, &email_file_body(b"Subject: hello\r\n\r\nlunch?")).await;
    created_shape(&r, "#microsoft.graph.emailFileAssessmentRequest", "mail");
    assert_eq!(r.body["recipientEmail"], "AdeleV@contoso.com");
    assert_eq!(r.body["contentData"], "");
    e.shutdown().await;
}

#[tokio::test]
async fn post_file_creates_a_pending_request_and_echoes_no_content() {
    let e = emu().await;
    let r = post(&e, &file_body("test.txt", b"This is a test file")).await;
    created_shape(&r, "#microsoft.graph.fileAssessmentRequest", "file");
    assert_eq!(r.body["fileName"], "test.txt");
    assert_eq!(r.body["contentData"], "");
    e.shutdown().await;
}

#[tokio::test]
async fn the_client_submits_each_kind() {
    let e = emu().await;
    let c = client(&e);
    let targets = [
        AssessmentTarget::Url {
            url: "https://example.com/a".into(),
        },
        AssessmentTarget::Mail {
            recipient_email: "LeeG@contoso.com".into(),
            message_uri: "https://graph.microsoft.com/v1.0/users/u/messages/m1".into(),
        },
        AssessmentTarget::EmailFile {
            recipient_email: "LeeG@contoso.com".into(),
            content_data: b64(b"Subject: x"),
        },
        AssessmentTarget::File {
            file_name: "a.bin".into(),
            content_data: b64(b"bytes"),
        },
    ];
    for target in targets {
        let kind = target.kind();
        let a = c
            .submit_assessment(&NewAssessment {
                target,
                category: ThreatCategory::Malware,
                expected_assessment: ExpectedAssessment::Unblock,
            })
            .await
            .unwrap_or_else(|err| panic!("{kind:?}: {err}"));
        assert_eq!(a.kind(), Some(kind));
        assert_eq!(a.status, Some(AssessmentStatus::Pending));
        assert_eq!(a.expected_assessment, Some(ExpectedAssessment::Unblock));
    }
    assert_eq!(e.controls().assessment_counters().accepted, 4);
    e.shutdown().await;
}

// ---- POST: every validation rule answers 400 -----------------------------------------

/// POSTs `body` (JSON text) and expects 400 invalidRequest whose message mentions `needle`.
async fn refused(body: &str, needle: &str) {
    let e = emu().await;
    let r = send_raw(
        Method::POST,
        &collection(&e),
        Some(body.as_bytes().to_vec()),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.body);
    assert_eq!(error_code(&r), "invalidRequest");
    assert!(
        error_message(&r).contains(needle),
        "{body}: message {:?} does not name {needle:?}",
        error_message(&r)
    );
    assert_eq!(
        e.controls().assessment_counters().accepted,
        0,
        "nothing was created"
    );
    // Nothing was added to the list either.
    let list = get(&format!("{}?$top=100", collection(&e))).await;
    assert_eq!(list.body["value"].as_array().unwrap().len(), SEEDED);
    e.shutdown().await;
}

fn with(mut body: Value, key: &str, value: Value) -> String {
    body[key] = value;
    body.to_string()
}

fn without(mut body: Value, key: &str) -> String {
    body.as_object_mut().unwrap().remove(key);
    body.to_string()
}

#[tokio::test]
async fn refuses_a_missing_odata_type() {
    refused(
        &without(url_body("http://a.example"), "@odata.type"),
        "@odata.type",
    )
    .await;
}

#[tokio::test]
async fn refuses_an_unknown_odata_type() {
    refused(
        &with(
            url_body("http://a.example"),
            "@odata.type",
            json!("#microsoft.graph.threatAssessmentRequest"),
        ),
        "@odata.type",
    )
    .await;
}

#[tokio::test]
async fn refuses_a_missing_expected_assessment() {
    refused(
        &without(url_body("http://a.example"), "expectedAssessment"),
        "expectedAssessment",
    )
    .await;
}

#[tokio::test]
async fn refuses_an_invalid_expected_assessment() {
    refused(
        &with(
            url_body("http://a.example"),
            "expectedAssessment",
            json!("allow"),
        ),
        "expectedAssessment",
    )
    .await;
}

#[tokio::test]
async fn refuses_a_missing_category() {
    refused(
        &without(url_body("http://a.example"), "category"),
        "category",
    )
    .await;
}

#[tokio::test]
async fn refuses_an_invalid_category() {
    refused(
        &with(url_body("http://a.example"), "category", json!("notSpam")),
        "category",
    )
    .await;
}

#[tokio::test]
async fn refuses_the_undefined_category() {
    refused(
        &with(url_body("http://a.example"), "category", json!("undefined")),
        "category 'undefined'",
    )
    .await;
}

#[tokio::test]
async fn refuses_a_mail_without_recipient() {
    refused(
        &without(mail_body("a@contoso.com", "m"), "recipientEmail"),
        "recipientEmail",
    )
    .await;
}

#[tokio::test]
async fn refuses_a_mail_with_a_recipient_that_is_no_address() {
    refused(
        &mail_body("not an address", "m").to_string(),
        "recipientEmail",
    )
    .await;
}

#[tokio::test]
async fn refuses_a_mail_without_message_uri() {
    refused(
        &without(mail_body("a@contoso.com", "m"), "messageUri"),
        "messageUri",
    )
    .await;
}

#[tokio::test]
async fn refuses_a_mail_whose_message_uri_is_not_a_graph_message() {
    refused(
        &with(
            mail_body("a@contoso.com", "m"),
            "messageUri",
            json!("https://graph.microsoft.com/v1.0/users/u/events/e"),
        ),
        "messageUri",
    )
    .await;
}

#[tokio::test]
async fn refuses_an_email_file_without_recipient() {
    refused(
        &without(email_file_body(b"x"), "recipientEmail"),
        "recipientEmail",
    )
    .await;
}

#[tokio::test]
async fn refuses_an_email_file_without_content() {
    refused(
        &without(email_file_body(b"x"), "contentData"),
        "contentData",
    )
    .await;
}

#[tokio::test]
async fn refuses_an_email_file_whose_content_is_not_base64() {
    refused(
        &with(email_file_body(b"x"), "contentData", json!("not base64!")),
        "base64",
    )
    .await;
}

#[tokio::test]
async fn refuses_a_file_without_name() {
    refused(&without(file_body("a.txt", b"x"), "fileName"), "fileName").await;
}

#[tokio::test]
async fn refuses_a_file_without_content() {
    refused(
        &without(file_body("a.txt", b"x"), "contentData"),
        "contentData",
    )
    .await;
}

#[tokio::test]
async fn refuses_a_file_whose_content_is_not_base64() {
    refused(
        &with(file_body("a.txt", b"x"), "contentData", json!("%%%")),
        "base64",
    )
    .await;
}

#[tokio::test]
async fn refuses_a_url_request_without_url() {
    refused(
        &without(url_body("http://a.example"), "url"),
        "url is required",
    )
    .await;
}

#[tokio::test]
async fn refuses_a_relative_url() {
    refused(&url_body("/just/a/path").to_string(), "absolute http").await;
}

#[tokio::test]
async fn refuses_a_url_that_is_not_http() {
    refused(
        &url_body("ftp://files.example/x").to_string(),
        "absolute http",
    )
    .await;
}

#[tokio::test]
async fn refuses_a_property_the_kind_does_not_have() {
    refused(
        &with(url_body("http://a.example"), "fileName", json!("a.txt")),
        "'fileName' is not a property of urlAssessmentRequest",
    )
    .await;
}

#[tokio::test]
async fn refuses_a_property_the_service_sets() {
    refused(
        &with(url_body("http://a.example"), "status", json!("completed")),
        "'status' is set by the service",
    )
    .await;
}

#[tokio::test]
async fn refuses_malformed_json() {
    refused(
        r##"{"@odata.type": "#microsoft.graph.urlAssessmentRequest","##,
        "not JSON",
    )
    .await;
}

#[tokio::test]
async fn refuses_a_body_that_is_not_an_object() {
    refused(r#"["url"]"#, "JSON object").await;
}

#[tokio::test]
async fn a_body_over_4_mb_answers_413() {
    let e = emu().await;
    let mut body = file_body("big.bin", b"");
    body["contentData"] = json!("A".repeat(MAX_BODY));
    let r = post(&e, &body).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(error_message(&r).contains("4 MB"), "{}", r.body);
    // Just under the limit is read (and judged on its content).
    let mut body = file_body("big.bin", b"");
    let overhead = body.to_string().len();
    let room = (MAX_BODY - overhead) / 4 * 3;
    body["contentData"] = json!(b64(&vec![b'x'; room]));
    assert!(body.to_string().len() <= MAX_BODY);
    let r = post(&e, &body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    e.shutdown().await;
}

// ---- lifecycle ----------------------------------------------------------------------------

#[tokio::test]
async fn a_request_gets_its_policy_check_then_its_verdict_on_the_clock() {
    let e = emu().await;
    let c = client(&e);
    let created = c
        .submit_assessment(&NewAssessment {
            target: AssessmentTarget::Url {
                url: "https://login.contoso-payroll.example/verify".into(),
            },
            category: ThreatCategory::Phishing,
            expected_assessment: ExpectedAssessment::Block,
        })
        .await
        .expect("submit");
    let id = created.id.clone();
    let now = c.get_assessment(&id).await.unwrap();
    assert_eq!(now.status, Some(AssessmentStatus::Pending));
    assert!(now.results.is_empty());

    e.controls().advance_assessment_clock(DURATION / 5);
    let policy = c.get_assessment(&id).await.unwrap();
    assert_eq!(policy.status, Some(AssessmentStatus::Pending));
    assert_eq!(policy.results.len(), 1);
    assert_eq!(policy.results[0].result_type, Some(ResultType::CheckPolicy));
    assert_eq!(
        policy.results[0].message.as_deref(),
        Some("No policy was hit.")
    );

    e.controls().advance_assessment_clock(DURATION);
    let done = c.get_assessment(&id).await.unwrap();
    assert_eq!(done.status, Some(AssessmentStatus::Completed));
    assert_eq!(done.verdicts().collect::<Vec<_>>(), ["Phishing"]);
    // The verdict is dated when the assessment finished.
    let rescan = done.results[1].created.unwrap();
    assert_eq!(rescan - done.created.unwrap(), time::Duration::seconds(10));
    e.shutdown().await;
}

#[tokio::test]
async fn verdicts_follow_the_content() {
    let e = emu_unlimited().await;
    let c = client(&e);
    let mut ids = Vec::new();
    for (body, want) in [
        (
            url_body("https://intranet.contoso.com/benefits"),
            "No threats found",
        ),
        (url_body("https://phish.example/"), "Phishing"),
        (
            file_body("eicar.com", format!("{EICAR}\n").as_bytes()),
            "Malware",
        ),
        (file_body("notes.txt", b"plain notes"), "No threats found"),
        (
            email_file_body(b"Subject: Please verify your password"),
            "Phishing",
        ),
        (email_file_body(b"Subject: team lunch"), "Not Spam"),
        (mail_body("a@contoso.com", "AAMkPlain="), "Not Spam"),
    ] {
        let r = post(&e, &body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        ids.push((r.body["id"].as_str().unwrap().to_owned(), want));
    }
    e.controls().advance_assessment_clock(DURATION);
    for (id, want) in ids {
        let a = c.get_assessment(&id).await.unwrap();
        assert_eq!(a.verdicts().collect::<Vec<_>>(), [want], "{id}");
    }
    e.shutdown().await;
}

#[tokio::test]
async fn seeded_pending_requests_complete_while_served() {
    let e = emu().await;
    let c = client(&e);
    let pending = all(&c, ODataQuery::new().raw_filter("status eq 'pending'")).await;
    assert!(!pending.is_empty());
    e.controls().advance_assessment_clock(DURATION * 10);
    let still = all(&c, ODataQuery::new().raw_filter("status eq 'pending'")).await;
    assert!(still.is_empty(), "{} still pending", still.len());
    e.shutdown().await;
}

// ---- throttling ---------------------------------------------------------------------------

#[tokio::test]
async fn the_same_url_twice_in_15_minutes_answers_429_with_retry_after() {
    let e = emu().await;
    let body = url_body("https://twice.example/");
    assert_eq!(post(&e, &body).await.status, StatusCode::CREATED);
    e.controls()
        .advance_assessment_clock(Duration::from_secs(60));
    let r = post(&e, &body).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(error_code(&r), "activityLimitReached");
    assert!(
        error_message(&r).contains("1 submission(s) of the same URL in 15 minutes"),
        "{}",
        error_message(&r)
    );
    let wait = retry_after(&r);
    assert!(about(wait, 840), "{wait}");
    // A different URL is not limited.
    assert_eq!(
        post(&e, &url_body("https://other.example/")).await.status,
        StatusCode::CREATED
    );
    // Once the window has passed, the same URL is taken again.
    e.controls()
        .advance_assessment_clock(Duration::from_secs(wait));
    assert_eq!(post(&e, &body).await.status, StatusCode::CREATED);
    let n = e.controls().assessment_counters();
    assert_eq!(
        (n.accepted, n.throttled_resource, n.throttled_tenant),
        (3, 1, 0)
    );
    e.shutdown().await;
}

#[tokio::test]
async fn the_same_resource_a_fourth_time_in_a_day_answers_429_until_the_day_has_passed() {
    let e = emu().await;
    let body = file_body("report.pdf", b"%PDF-1.7 the same bytes");
    for _ in 0..3 {
        assert_eq!(post(&e, &body).await.status, StatusCode::CREATED);
        e.controls().advance_assessment_clock(FIFTEEN_MINUTES);
    }
    let r = post(&e, &body).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        error_message(&r).contains("3 submission(s) of the same content in 24 hours"),
        "{}",
        error_message(&r)
    );
    // The first of the three leaves the day 24 h after it was made.
    assert!(
        about(retry_after(&r), 24 * 3600 - 3 * 15 * 60),
        "{}",
        retry_after(&r)
    );
    // The same bytes under another name are the same resource...
    let renamed = file_body("renamed.pdf", b"%PDF-1.7 the same bytes");
    assert_eq!(
        post(&e, &renamed).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    // ...other bytes are not.
    assert_eq!(
        post(&e, &file_body("report.pdf", b"%PDF-1.7 other bytes"))
            .await
            .status,
        StatusCode::CREATED
    );
    e.controls()
        .advance_assessment_clock(Duration::from_secs(retry_after(&r)));
    assert_eq!(post(&e, &body).await.status, StatusCode::CREATED);
    e.shutdown().await;
}

#[tokio::test]
async fn a_mail_is_limited_per_message_and_recipient_pair() {
    let e = emu().await;
    assert_eq!(
        post(&e, &mail_body("a@contoso.com", "AAMk1=")).await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        post(&e, &mail_body("a@contoso.com", "AAMk1=")).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Recipients compare without case.
    assert_eq!(
        post(&e, &mail_body("A@Contoso.com", "AAMk1=")).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        post(&e, &mail_body("b@contoso.com", "AAMk1=")).await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        post(&e, &mail_body("a@contoso.com", "AAMk2=")).await.status,
        StatusCode::CREATED
    );
    e.shutdown().await;
}

#[tokio::test]
async fn the_tenant_limit_answers_429_whatever_the_resource() {
    let e = emu_with(AssessConfig {
        tenant_per_15_min: 3,
        ..AssessConfig::default()
    })
    .await;
    for i in 0..3 {
        e.controls()
            .advance_assessment_clock(Duration::from_secs(100));
        let r = post(&e, &url_body(&format!("https://site{i}.example/"))).await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    let r = post(&e, &url_body("https://site9.example/")).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        error_message(&r).contains("3 submissions per tenant in 15 minutes"),
        "{}",
        error_message(&r)
    );
    // The oldest of the three was made 200 s before this one.
    assert!(about(retry_after(&r), 900 - 200), "{}", retry_after(&r));
    let n = e.controls().assessment_counters();
    assert_eq!((n.accepted, n.throttled_tenant), (3, 1));
    e.controls()
        .advance_assessment_clock(Duration::from_secs(700));
    assert_eq!(
        post(&e, &url_body("https://site9.example/")).await.status,
        StatusCode::CREATED
    );
    e.shutdown().await;
}

#[tokio::test]
async fn the_tenant_daily_limit_answers_429_naming_the_day() {
    let e = emu_with(AssessConfig {
        tenant_per_day: 2,
        ..AssessConfig::default()
    })
    .await;
    for i in 0..2 {
        let r = post(&e, &url_body(&format!("https://day{i}.example/"))).await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    e.controls().advance_assessment_clock(FIFTEEN_MINUTES);
    let r = post(&e, &url_body("https://day9.example/")).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        error_message(&r).contains("2 submissions per tenant in 24 hours"),
        "{}",
        error_message(&r)
    );
    assert!(
        about(retry_after(&r), 24 * 3600 - 15 * 60),
        "{}",
        retry_after(&r)
    );
    e.shutdown().await;
}

#[tokio::test]
async fn the_client_does_not_sit_through_a_long_retry_after() {
    let e = emu().await;
    let c = client(&e);
    let new = NewAssessment {
        target: AssessmentTarget::Url {
            url: "https://again.example/".into(),
        },
        category: ThreatCategory::Phishing,
        expected_assessment: ExpectedAssessment::Block,
    };
    c.submit_assessment(&new).await.expect("first");
    let err = c.submit_assessment(&new).await.unwrap_err();
    match err {
        GraphError::Throttled {
            retry_after: Some(d),
        } => assert!(d > Duration::from_secs(800), "{d:?}"),
        other => panic!("expected Throttled with Retry-After, got {other}"),
    }
    // The 15-minute wait is beyond the client's retry budget: the POST was not repeated.
    assert_eq!(e.controls().requests("POST", Route::AssessmentRequests), 2);
    e.shutdown().await;
}

#[tokio::test]
async fn refused_and_invalid_posts_do_not_fill_the_windows() {
    let e = emu_with(AssessConfig {
        tenant_per_15_min: 2,
        ..AssessConfig::default()
    })
    .await;
    // Invalid bodies are not submissions.
    for _ in 0..5 {
        assert_eq!(
            post(&e, &url_body("nonsense")).await.status,
            StatusCode::BAD_REQUEST
        );
    }
    let same = url_body("https://same.example/");
    assert_eq!(post(&e, &same).await.status, StatusCode::CREATED);
    // Refused ones are not either: the tenant still has one slot after these.
    for _ in 0..3 {
        assert_eq!(post(&e, &same).await.status, StatusCode::TOO_MANY_REQUESTS);
    }
    assert_eq!(
        post(&e, &url_body("https://second.example/")).await.status,
        StatusCode::CREATED
    );
    e.shutdown().await;
}
