//! The emulator over real loopback HTTP: statuses, bodies, filters, paging, writes, faults.
//!
//! Every test starts its own emulator on port 0 with a pinned clock, talks to it with
//! reqwest (no proxy), and reads replies with the client's own models.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use graphsec::emulator::{self, EmulatorConfig, Route, RunningEmulator};
use graphsec::graph::enums::{AlertSeverity, AlertStatus, ServiceSource};
use graphsec::graph::models::{Alert, CommentList, parse_page};
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use std::collections::HashSet;
use time::macros::datetime;

const TOKEN: &str = "test-token";

async fn emu(alerts: usize) -> RunningEmulator {
    emulator::start(EmulatorConfig {
        alerts,
        now: Some(datetime!(2026-11-26 12:00 UTC)),
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts")
}

fn client() -> Client {
    Client::builder().no_proxy().build().expect("client")
}

fn alerts_url(e: &RunningEmulator) -> String {
    format!("{}/security/alerts_v2", e.base_url())
}

async fn send(
    method: Method,
    url: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, reqwest::header::HeaderMap, String) {
    let mut req = client().request(method, url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status();
    let headers = resp.headers().clone();
    (status, headers, resp.text().await.expect("body"))
}

async fn get(url: &str) -> (StatusCode, String) {
    let (s, _, b) = send(Method::GET, url, Some(TOKEN), None).await;
    (s, b)
}

async fn get_ok(url: &str) -> String {
    let (s, b) = get(url).await;
    assert_eq!(s, StatusCode::OK, "{url}: {b}");
    b
}

/// Follows nextLink from `first` to the end; returns every alert and the pages' counts.
async fn load_all(first: &str) -> (Vec<Alert>, Vec<Option<u64>>, usize) {
    let mut url = first.to_owned();
    let mut out = Vec::new();
    let mut counts = Vec::new();
    let mut pages = 0;
    loop {
        let body = get_ok(&url).await;
        let page = parse_page::<Alert>(&body).expect("page parses");
        assert_eq!(page.skipped, 0);
        pages += 1;
        counts.push(page.count);
        out.extend(page.items);
        match page.next_link {
            Some(next) => url = next,
            None => break,
        }
        assert!(pages < 10_000, "paging does not end");
    }
    (out, counts, pages)
}

/// Asserts Graph's error shape and returns the code.
fn error_code(body: &str, headers: &reqwest::header::HeaderMap) -> String {
    let v: Value = serde_json::from_str(body).expect("error body is JSON");
    let e = &v["error"];
    assert!(
        e["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    let rid = e["innerError"]["request-id"].as_str().expect("request-id");
    assert!(e["innerError"]["date"].is_string());
    assert_eq!(
        headers.get("request-id").and_then(|h| h.to_str().ok()),
        Some(rid),
        "request-id header matches the body"
    );
    e["code"].as_str().expect("code").to_owned()
}

#[tokio::test]
async fn first_page_has_graph_shape() {
    let e = emu(250).await;
    let (status, headers, body) = send(Method::GET, &alerts_url(&e), Some(TOKEN), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    assert!(headers.contains_key("request-id"));
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        v["@odata.context"],
        format!("http://{}/v1.0/$metadata#security/alerts_v2", e.addr())
    );
    let items = v["value"].as_array().unwrap();
    assert_eq!(items.len(), 100, "default page size");
    for it in items {
        assert_eq!(it["@odata.type"], "#microsoft.graph.security.alert");
    }
    let next = v["@odata.nextLink"].as_str().unwrap();
    assert!(next.starts_with(&format!("{}?", alerts_url(&e))), "{next}");
    assert!(next.contains("$skiptoken="));
    assert!(v.get("@odata.count").is_none());
    let page = parse_page::<Alert>(&body).unwrap();
    assert_eq!((page.items.len(), page.skipped), (100, 0));
}

#[tokio::test]
async fn paging_reaches_every_alert_once_newest_first() {
    let e = emu(250).await;
    let (all, counts, pages) = load_all(&format!("{}?$top=40&$count=true", alerts_url(&e))).await;
    assert_eq!(pages, 7);
    assert_eq!(all.len(), 250);
    assert!(counts.iter().all(|c| *c == Some(250)));
    let ids: HashSet<&str> = all.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids.len(), 250, "no duplicates");
    assert!(
        all.windows(2).all(|w| w[0].created >= w[1].created),
        "most recent first"
    );
}

#[tokio::test]
async fn top_and_skip() {
    let e = emu(120).await;
    let (all, ..) = load_all(&format!("{}?$top=2000", alerts_url(&e))).await;
    assert_eq!(all.len(), 120);
    let body = get_ok(&format!("{}?$skip=5&$top=3", alerts_url(&e))).await;
    let page = parse_page::<Alert>(&body).unwrap();
    let got: Vec<&str> = page.items.iter().map(|a| a.id.as_str()).collect();
    let want: Vec<&str> = all[5..8].iter().map(|a| a.id.as_str()).collect();
    assert_eq!(got, want);
    // The nextLink keeps $skip and continues after the page.
    let (rest, ..) = load_all(page.next_link.as_deref().unwrap()).await;
    assert_eq!(rest.len(), 120 - 8);
    assert_eq!(rest[0].id, all[8].id);
    // Past the end: an empty page without nextLink.
    let body = get_ok(&format!("{}?$skip=500", alerts_url(&e))).await;
    let page = parse_page::<Alert>(&body).unwrap();
    assert!(page.items.is_empty() && page.next_link.is_none());
}

#[tokio::test]
async fn filters_select_what_they_say() {
    let e = emu(400).await;
    let (all, ..) = load_all(&format!("{}?$top=2000", alerts_url(&e))).await;
    let mid = all[200].created.unwrap();
    let mid_text =
        time::OffsetDateTime::format(mid, &time::format_description::well_known::Rfc3339).unwrap();

    type Pred = Box<dyn Fn(&Alert) -> bool>;
    let cases: Vec<(String, Pred)> = vec![
        (
            "severity eq 'high'".into(),
            Box::new(|a: &Alert| a.severity == Some(AlertSeverity::High)),
        ),
        (
            "status in ('new','inProgress') and assignedTo eq null".into(),
            Box::new(|a: &Alert| {
                matches!(a.status, Some(AlertStatus::New | AlertStatus::InProgress))
                    && a.assigned_to.is_none()
            }),
        ),
        (
            format!("createdDateTime ge {mid_text}"),
            Box::new(move |a: &Alert| a.created.unwrap() >= mid),
        ),
        (
            "not (status eq 'resolved') or severity ge 'high'".into(),
            Box::new(|a: &Alert| {
                a.status != Some(AlertStatus::Resolved) || a.severity == Some(AlertSeverity::High)
            }),
        ),
        (
            "serviceSource eq 'microsoftDefenderForOffice365' and classification ne 'falsePositive'"
                .into(),
            Box::new(|a: &Alert| {
                a.service_source == Some(ServiceSource::MicrosoftDefenderForOffice365)
                    && a.classification.as_ref().map(|c| c.as_str()) != Some("falsePositive")
            }),
        ),
    ];
    for (filter, pred) in cases {
        let want: Vec<&str> = all
            .iter()
            .filter(|a| pred(a))
            .map(|a| a.id.as_str())
            .collect();
        assert!(!want.is_empty(), "{filter} selects nothing in the tenant");
        let encoded: String = url::form_urlencoded::byte_serialize(filter.as_bytes()).collect();
        let (got, counts, _) = load_all(&format!(
            "{}?%24filter={encoded}&$top=17&$count=true",
            alerts_url(&e)
        ))
        .await;
        let got: Vec<&str> = got.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(got, want, "{filter}");
        assert_eq!(counts[0], Some(want.len() as u64), "{filter}");
    }
}

#[tokio::test]
async fn bad_queries_are_400_with_a_reason() {
    let e = emu(20).await;
    for q in [
        "$filter=title+eq+'x'",
        "$filter=severity+eq+'catastrophic'",
        "$filter=contains(assignedTo,'a')",
        "$filter=(severity+eq+'high'",
        "$top=abc",
        "$select=title",
        "$orderby=severity",
        "$skiptoken=forged",
    ] {
        let (status, headers, body) = send(
            Method::GET,
            &format!("{}?{q}", alerts_url(&e)),
            Some(TOKEN),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{q}: {body}");
        assert_eq!(error_code(&body, &headers), "invalidRequest", "{q}");
    }
}

#[tokio::test]
async fn skiptokens_are_bound_to_their_query() {
    let e = emu(60).await;
    let body = get_ok(&format!(
        "{}?$top=10&$filter=severity+ne+'low'",
        alerts_url(&e)
    ))
    .await;
    let next = parse_page::<Alert>(&body).unwrap().next_link.unwrap();
    let token = next.split("$skiptoken=").nth(1).unwrap().to_owned();
    // The same token on another query.
    let (s, _) = get(&format!("{}?$top=10&$skiptoken={token}", alerts_url(&e))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // An edited cursor.
    let decoded = String::from_utf8(URL_SAFE_NO_PAD.decode(&token).unwrap()).unwrap();
    let mut parts: Vec<String> = decoded.split('.').map(str::to_owned).collect();
    parts[1] = (parts[1].parse::<usize>().unwrap() + 1).to_string();
    let forged = URL_SAFE_NO_PAD.encode(parts.join("."));
    let (s, _) = get(&next.replace(&token, &forged)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // The real one works.
    assert_eq!(get(&next).await.0, StatusCode::OK);
}

#[tokio::test]
async fn missing_or_empty_token_is_401() {
    let e = emu(5).await;
    for token in [None, Some("")] {
        let (s, h, b) = send(Method::GET, &alerts_url(&e), token, None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        assert_eq!(error_code(&b, &h), "InvalidAuthenticationToken");
    }
}

#[tokio::test]
async fn unknown_ids_methods_and_paths() {
    let e = emu(5).await;
    let url = format!("{}/no-such-alert", alerts_url(&e));
    let (s, h, b) = send(Method::GET, &url, Some(TOKEN), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&b, &h), "itemNotFound");
    let (s, h, b) = send(
        Method::PATCH,
        &url,
        Some(TOKEN),
        Some(json!({"status":"new"})),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&b, &h), "itemNotFound");

    for (m, u) in [
        (Method::DELETE, url.clone()),
        (Method::POST, alerts_url(&e)),
        (Method::PUT, alerts_url(&e)),
        (Method::GET, format!("{url}/comments")),
    ] {
        let (s, h, b) = send(m.clone(), &u, Some(TOKEN), None).await;
        assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED, "{m} {u}");
        assert!(h.contains_key("allow"));
        error_code(&b, &h);
    }
    let (s, h, b) = send(
        Method::GET,
        &format!("{}/security/nothing", e.base_url()),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    error_code(&b, &h);
}

async fn first_alert(e: &RunningEmulator, filter: &str) -> Alert {
    let body = get_ok(&format!("{}?$top=1&$filter={filter}", alerts_url(e))).await;
    parse_page::<Alert>(&body)
        .unwrap()
        .items
        .into_iter()
        .next()
        .expect("an alert matches")
}

#[tokio::test]
async fn patch_updates_and_reads_back() {
    let e = emu(50).await;
    let a = first_alert(&e, "status+eq+'new'").await;
    let url = format!("{}/{}", alerts_url(&e), a.id);
    let (s, _, b) = send(
        Method::PATCH,
        &url,
        Some(TOKEN),
        Some(json!({
            "assignedTo": "secAdmin@contoso.com",
            "classification": "truePositive",
            "determination": "malware",
            "status": "inProgress"
        })),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let v: Value = serde_json::from_str(&b).unwrap();
    assert!(v["@odata.context"].as_str().unwrap().ends_with("$entity"));
    let patched = Alert::from_json(&b).unwrap();
    assert_eq!(patched.status, Some(AlertStatus::InProgress));
    assert_eq!(patched.assigned_to.as_deref(), Some("secAdmin@contoso.com"));
    assert_eq!(patched.determination.as_ref().unwrap().as_str(), "malware");
    assert!(patched.last_update >= a.last_update);
    assert_eq!(patched.title, a.title, "other fields are kept");
    assert_eq!(patched.evidence.len(), a.evidence.len());
    let back = Alert::from_json(&get_ok(&url).await).unwrap();
    assert_eq!(back.status, Some(AlertStatus::InProgress));
    assert_eq!(back.assigned_to.as_deref(), Some("secAdmin@contoso.com"));

    // Resolving sets resolvedDateTime; reopening clears it; null unassigns.
    let (_, _, b) = send(
        Method::PATCH,
        &url,
        Some(TOKEN),
        Some(json!({"status":"resolved"})),
    )
    .await;
    let resolved = Alert::from_json(&b).unwrap();
    assert!(resolved.resolved.is_some());
    assert_eq!(resolved.resolved, resolved.last_update);
    let (_, _, b) = send(
        Method::PATCH,
        &url,
        Some(TOKEN),
        Some(json!({"status":"new","assignedTo":null})),
    )
    .await;
    let reopened = Alert::from_json(&b).unwrap();
    assert!(reopened.resolved.is_none());
    assert!(reopened.assigned_to.is_none());
    let raw: Value = serde_json::from_str(&b).unwrap();
    assert!(raw["resolvedDateTime"].is_null() && raw["assignedTo"].is_null());

    // The filter sees the write.
    let body = get_ok(&format!(
        "{}?$filter=assignedTo+eq+null+and+status+eq+'new'&$top=2000",
        alerts_url(&e)
    ))
    .await;
    assert!(body.contains(&a.id));
}

#[tokio::test]
async fn patch_refuses_what_graph_refuses() {
    let e = emu(10).await;
    let a = first_alert(&e, "severity+ne+'unknown'").await;
    let url = format!("{}/{}", alerts_url(&e), a.id);
    for body in [
        json!({"title": "renamed"}),
        json!({"severity": "high"}),
        json!({"status": "closed"}),
        json!({"status": null}),
        json!({"classification": "maybe"}),
        json!({"determination": 5}),
        json!({"assignedTo": ["a"]}),
        json!(["status", "new"]),
    ] {
        let (s, h, b) = send(Method::PATCH, &url, Some(TOKEN), Some(body.clone())).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}: {b}");
        error_code(&b, &h);
    }
    let bad_json = client()
        .patch(&url)
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body("{\"status\":")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_json.status(), StatusCode::BAD_REQUEST);
    let wrong_type = client()
        .patch(&url)
        .bearer_auth(TOKEN)
        .header("content-type", "text/plain")
        .body("{\"status\":\"new\"}")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_type.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // Nothing changed.
    let mut back: Value = serde_json::from_str(&get_ok(&url).await).unwrap();
    back.as_object_mut().unwrap().remove("@odata.context");
    assert_eq!(back, serde_json::from_str::<Value>(a.raw.get()).unwrap());
}

/// A token the emulator signed for this user (it refuses JWTs it did not sign).
fn jwt_for(upn: &str) -> String {
    graphsec::emulator::identity::user_token(upn, std::time::Duration::from_secs(600))
}

#[tokio::test]
async fn comments_record_author_and_return_all() {
    let e = emu(30).await;
    let a = first_alert(&e, "status+eq+'new'").await;
    let before = a.comments.len();
    let url = format!("{}/{}/comments", alerts_url(&e), a.id);
    let body =
        json!({"@odata.type": "microsoft.graph.security.alertComment", "comment": "Demo for docs"});
    let token = jwt_for("ines.quintero@contoso.com");
    let (s, _, b) = send(Method::POST, &url, Some(&token), Some(body)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let v: Value = serde_json::from_str(&b).unwrap();
    assert!(v["@odata.context"].as_str().unwrap().ends_with("/comments"));
    let list: CommentList = serde_json::from_str(&b).unwrap();
    assert_eq!(list.value.len(), before + 1);
    let last = list.value.last().unwrap();
    assert_eq!(last.comment.as_deref(), Some("Demo for docs"));
    assert_eq!(
        last.created_by_display_name.as_deref(),
        Some("ines.quintero@contoso.com")
    );
    assert!(last.created_date_time.is_some());

    // An opaque token gets the demo identity; the alert shows both comments.
    let (s, _, b) = send(
        Method::POST,
        &url,
        Some(TOKEN),
        Some(json!({"comment": "second"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let list: CommentList = serde_json::from_str(&b).unwrap();
    assert_eq!(
        list.value
            .last()
            .unwrap()
            .created_by_display_name
            .as_deref(),
        Some(emulator::auth::DEMO_IDENTITY)
    );
    let back = Alert::from_json(&get_ok(&format!("{}/{}", alerts_url(&e), a.id)).await).unwrap();
    assert_eq!(back.comments.len(), before + 2);
    assert!(back.last_update >= a.last_update);

    for bad in [
        json!({}),
        json!({"comment": ""}),
        json!({"comment": 3}),
        json!({"comment": "x", "extra": 1}),
    ] {
        let (s, _, b) = send(Method::POST, &url, Some(TOKEN), Some(bad.clone())).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {b}");
    }
    let (s, _, _) = send(
        Method::POST,
        &format!("{}/nope/comments", alerts_url(&e)),
        Some(TOKEN),
        Some(json!({"comment": "x"})),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn prefer_header_reveals_newer_enum_members() {
    let e = emu(600).await;
    let filter = "serviceSource+eq+'microsoftSentinel'";
    let url = format!("{}?$filter={filter}&$top=5", alerts_url(&e));
    let plain = parse_page::<Alert>(&get_ok(&url).await).unwrap();
    assert!(!plain.items.is_empty(), "the tenant has Sentinel alerts");
    for a in &plain.items {
        assert_eq!(a.service_source, Some(ServiceSource::UnknownFutureValue));
        assert_eq!(
            a.detection_source.as_ref().unwrap().as_str(),
            "unknownFutureValue"
        );
    }
    let resp = client()
        .get(&url)
        .bearer_auth(TOKEN)
        .header(
            "Prefer",
            "odata.maxpagesize=5, include-unknown-enum-members",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.headers()
            .get("preference-applied")
            .and_then(|h| h.to_str().ok()),
        Some("include-unknown-enum-members")
    );
    let full = parse_page::<Alert>(&resp.text().await.unwrap()).unwrap();
    for a in &full.items {
        assert_eq!(a.service_source, Some(ServiceSource::MicrosoftSentinel));
        assert!(!a.detection_source.as_ref().unwrap().is_other());
        assert_ne!(
            a.detection_source.as_ref().unwrap().as_str(),
            "unknownFutureValue"
        );
    }
}

#[tokio::test]
async fn throttling_and_counters() {
    let e = emu(10).await;
    let c = e.controls();
    c.throttle_next(2, Some(7));
    for _ in 0..2 {
        let (s, h, b) = send(Method::GET, &alerts_url(&e), Some(TOKEN), None).await;
        assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(h["retry-after"], "7");
        assert_eq!(error_code(&b, &h), "activityLimitReached");
    }
    c.throttle_next(1, None);
    let (s, h, _) = send(Method::GET, &alerts_url(&e), None, None).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "faults come before auth");
    assert!(!h.contains_key("retry-after"));
    assert_eq!(get(&alerts_url(&e)).await.0, StatusCode::OK);
    assert_eq!(c.requests("GET", Route::Alerts), 4);
    let a = first_alert(&e, "severity+ne+'unknown'").await;
    get_ok(&format!("{}/{}", alerts_url(&e), a.id)).await;
    assert_eq!(c.requests("GET", Route::Alert), 1);
    assert_eq!(c.requests("GET", Route::Alerts), 5);
    assert_eq!(c.total_requests(), 6);
}

#[tokio::test]
async fn periodic_throttle_from_config() {
    let e = emulator::start(EmulatorConfig {
        alerts: 5,
        throttle_every: Some(2),
        retry_after: None,
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let statuses: Vec<StatusCode> = {
        let mut v = Vec::new();
        for _ in 0..4 {
            v.push(get(&alerts_url(&e)).await.0);
        }
        v
    };
    assert_eq!(
        statuses,
        [
            StatusCode::OK,
            StatusCode::TOO_MANY_REQUESTS,
            StatusCode::OK,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );
}

#[tokio::test]
async fn same_seed_same_tenant() {
    let a = emu(80).await;
    let b = emu(80).await;
    let va: Value =
        serde_json::from_str(&get_ok(&format!("{}?$top=80", alerts_url(&a))).await).unwrap();
    let vb: Value =
        serde_json::from_str(&get_ok(&format!("{}?$top=80", alerts_url(&b))).await).unwrap();
    assert_eq!(va["value"], vb["value"]);
    assert_eq!(a.tenant_id(), b.tenant_id());
}

#[tokio::test]
async fn hostile_tenant_carries_escape_sequences() {
    let e = emulator::start(EmulatorConfig {
        alerts: 20,
        hostile: true,
        now: Some(datetime!(2026-11-26 12:00 UTC)),
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let (all, ..) = load_all(&format!("{}?$top=2000", alerts_url(&e))).await;
    assert!(all.len() > 20);
    let titles: Vec<String> = all.iter().filter_map(|a| a.title.clone()).collect();
    assert!(titles.iter().any(|t| t.contains('\u{1b}')));
    assert!(titles.iter().any(|t| t.contains('\u{202e}')));
    assert!(titles.iter().any(|t| t.chars().count() >= 5000));
}

#[tokio::test]
async fn refuses_non_loopback_without_allow_remote() {
    let err = emulator::start(EmulatorConfig {
        listen: "0.0.0.0:0".parse().unwrap(),
        alerts: 1,
        ..EmulatorConfig::default()
    })
    .await
    .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::PermissionDenied);
}

#[tokio::test]
async fn shutdown_stops_serving() {
    let e = emu(3).await;
    let url = alerts_url(&e);
    assert_eq!(get(&url).await.0, StatusCode::OK);
    e.shutdown().await;
    assert!(client().get(&url).bearer_auth(TOKEN).send().await.is_err());
}

#[tokio::test]
async fn next_link_uses_the_host_the_request_came_to() {
    let e = emu(30).await;
    let host = format!("localhost:{}", e.addr().port());
    let body = client()
        .get(format!("{}?$top=5", alerts_url(&e)))
        .bearer_auth(TOKEN)
        .header("host", &host)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let v: Value = serde_json::from_str(&body).unwrap();
    let next = v["@odata.nextLink"].as_str().unwrap();
    assert!(
        next.starts_with(&format!(
            "http://{host}/v1.0/security/alerts_v2?$top=5&$skiptoken="
        )),
        "{next}"
    );
    assert!(
        v["@odata.context"]
            .as_str()
            .unwrap()
            .starts_with(&format!("http://{host}/"))
    );
}

#[tokio::test]
async fn top_is_capped_at_2000() {
    let e = emu(2100).await;
    let body = get_ok(&format!("{}?%24top=5000", alerts_url(&e))).await;
    let page = parse_page::<Alert>(&body).unwrap();
    assert_eq!(page.items.len(), 2000);
    let rest = parse_page::<Alert>(&get_ok(&page.next_link.unwrap()).await).unwrap();
    assert_eq!(rest.items.len(), 100);
    assert!(rest.next_link.is_none());
}
