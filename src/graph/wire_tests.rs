//! Client behaviour on the wire, against a scripted loopback HTTP server: headers, the single
//! re-auth after a 401, which failures are retried for which methods, paging safety, and
//! error mapping. (The full Graph surface is tested against the emulator in `tests/`.)

use super::auth::{TokenFuture, TokenProvider};
use super::budget::BudgetConfig;
use super::client::{Client, ClientConfig};
use super::error::GraphError;
use super::models::AlertUpdate;
use super::odata::{Filter, ODataQuery};
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Request, Response};
use futures_util::StreamExt;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One scripted reply: status, headers, body (`{base}` is replaced by the server's base URL).
struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: String,
    /// Stay silent this long before answering.
    delay: Duration,
}

fn reply(status: u16, body: &str) -> Reply {
    Reply {
        status,
        headers: vec![("content-type", "application/json".into())],
        body: body.into(),
        delay: Duration::ZERO,
    }
}

fn slow(mut r: Reply, delay: Duration) -> Reply {
    r.delay = delay;
    r
}

fn with_header(mut r: Reply, name: &'static str, value: &str) -> Reply {
    r.headers.push((name, value.into()));
    r
}

#[derive(Debug, Clone)]
struct Seen {
    method: String,
    uri: String,
    headers: HeaderMap,
    body: String,
}

struct Script {
    base: Mutex<String>,
    replies: Mutex<VecDeque<Reply>>,
    seen: Mutex<Vec<Seen>>,
}

impl Script {
    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

async fn handle(State(script): State<Arc<Script>>, req: Request<Body>) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    if let Ok(mut seen) = script.seen.lock() {
        seen.push(Seen {
            method: parts.method.to_string(),
            uri: parts.uri.to_string(),
            headers: parts.headers.clone(),
            body: String::from_utf8_lossy(&body).into_owned(),
        });
    }
    let next = script.replies.lock().ok().and_then(|mut r| r.pop_front());
    let base = script.base.lock().map(|b| b.clone()).unwrap_or_default();
    let Some(r) = next else {
        return Response::builder()
            .status(599)
            .body(Body::from("script exhausted"))
            .unwrap_or_default();
    };
    tokio::time::sleep(r.delay).await;
    let mut resp = Response::builder().status(r.status);
    for (k, v) in &r.headers {
        resp = resp.header(*k, v.as_str());
    }
    resp.body(Body::from(r.body.replace("{base}", &base)))
        .unwrap_or_default()
}

/// Starts a scripted server; returns its base URL (`http://127.0.0.1:PORT/v1.0`).
async fn serve(replies: Vec<Reply>) -> (String, Arc<Script>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    let base = format!("http://{addr}/v1.0");
    let script = Arc::new(Script {
        base: Mutex::new(base.clone()),
        replies: Mutex::new(replies.into()),
        seen: Mutex::new(Vec::new()),
    });
    let app = Router::new().fallback(handle).with_state(script.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (base, script)
}

/// A provider that counts how often it was told its token is stale.
#[derive(Default)]
struct CountingToken {
    invalidations: AtomicU32,
}

impl TokenProvider for CountingToken {
    fn token(&self) -> TokenFuture<'_> {
        let n = self.invalidations.load(Ordering::SeqCst);
        Box::pin(async move { Ok(format!("tok{n}")) })
    }
    fn invalidate(&self) {
        self.invalidations.fetch_add(1, Ordering::SeqCst);
    }
}

fn client(base: &str, tokens: Arc<CountingToken>) -> Client {
    let mut cfg = ClientConfig::new(base);
    // These tests script each reply; after a scripted 429 the request budget would add a
    // second's wait per request. The budget has tests of its own (budget.rs).
    cfg.budget = BudgetConfig::unlimited();
    cfg.max_retries = 3;
    cfg.max_retry_wait = Duration::from_secs(5);
    cfg.timeout = Duration::from_secs(5);
    Client::new(cfg, tokens).expect("loopback client")
}

const ALERT: &str = r#"{"id":"a1","status":"new","severity":"high"}"#;

#[tokio::test]
async fn sends_graph_headers_and_encoded_query() {
    let (base, script) = serve(vec![reply(
        200,
        r#"{"@odata.count":1,"value":[{"id":"a1"}]}"#,
    )])
    .await;
    let c = client(&base, Arc::default());
    let q = ODataQuery::new()
        .filter(Filter::eq("assignedTo", "o'neil+co"))
        .top(5)
        .count(true);
    let pages: Vec<_> = c.list_alerts(&q).collect().await;
    assert_eq!(pages.len(), 1);
    let page = pages[0].as_ref().expect("page");
    assert_eq!(page.count, Some(1));
    let seen = script.seen();
    let s = &seen[0];
    assert_eq!(s.method, "GET");
    assert_eq!(
        s.uri,
        "/v1.0/security/alerts_v2?$filter=assignedTo%20eq%20%27o%27%27neil%2Bco%27&$top=5&$count=true"
    );
    let h = |n: &str| s.headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("");
    assert_eq!(h("authorization"), "Bearer tok0");
    assert_eq!(h("prefer"), "include-unknown-enum-members");
    assert_eq!(h("accept"), "application/json");
    assert_eq!(h("client-request-id").len(), 36);
    assert!(h("user-agent").starts_with("graphsec/"));
}

#[tokio::test]
async fn patch_and_comment_send_json_bodies() {
    let (base, script) = serve(vec![
        reply(200, ALERT),
        reply(
            200,
            r#"{"value":[{"comment":"old"},{"comment":"new one"}]}"#,
        ),
    ])
    .await;
    let c = client(&base, Arc::default());
    let update = AlertUpdate {
        assigned_to: Some("ana@contoso.com".into()),
        ..Default::default()
    };
    let a = c.update_alert("a1", &update).await.expect("patched");
    assert_eq!(a.id, "a1");
    let comments = c.add_alert_comment("a1", "new one").await.expect("posted");
    assert_eq!(comments.len(), 2);
    let seen = script.seen();
    assert_eq!(seen[0].method, "PATCH");
    assert_eq!(seen[0].body, r#"{"assignedTo":"ana@contoso.com"}"#);
    assert_eq!(
        seen[0]
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/json")
    );
    assert_eq!(seen[1].method, "POST");
    assert_eq!(seen[1].uri, "/v1.0/security/alerts_v2/a1/comments");
    let sent: serde_json::Value = serde_json::from_str(&seen[1].body).expect("json body");
    assert_eq!(sent["comment"], "new one");
    assert_eq!(sent["@odata.type"], "microsoft.graph.security.alertComment");
}

#[tokio::test]
async fn a_401_refreshes_the_token_exactly_once() {
    let unauth = r#"{"error":{"code":"InvalidAuthenticationToken","message":"expired"}}"#;
    // Refresh fixes it.
    let (base, script) = serve(vec![reply(401, unauth), reply(200, ALERT)]).await;
    let tokens = Arc::new(CountingToken::default());
    let c = client(&base, tokens.clone());
    assert_eq!(
        c.get_alert("a1").await.map(|a| a.id).ok().as_deref(),
        Some("a1")
    );
    assert_eq!(tokens.invalidations.load(Ordering::SeqCst), 1);
    let seen = script.seen();
    let auth = |i: usize| seen[i].headers.get("authorization").cloned();
    assert_ne!(auth(0), auth(1), "the retry must carry the fresh token");

    // Refresh does not fix it: one retry, then the 401 is reported.
    let (base, script) = serve(vec![
        reply(401, unauth),
        reply(401, unauth),
        reply(200, ALERT),
    ])
    .await;
    let tokens = Arc::new(CountingToken::default());
    let err = client(&base, tokens.clone())
        .get_alert("a1")
        .await
        .expect_err("401 twice");
    assert!(err.needs_sign_in());
    assert!(
        matches!(&err, GraphError::Api { status: 401, code, .. } if code == "InvalidAuthenticationToken")
    );
    assert_eq!(tokens.invalidations.load(Ordering::SeqCst), 1);
    assert_eq!(script.seen().len(), 2);
}

#[tokio::test]
async fn server_errors_are_retried_for_get_and_patch_but_not_post() {
    let boom = || {
        reply(
            500,
            r#"{"error":{"code":"generalException","message":"x"}}"#,
        )
    };
    let (base, script) = serve(vec![
        boom(),
        reply(502, "<html>bad gateway</html>"),
        reply(200, ALERT),
    ])
    .await;
    let c = client(&base, Arc::default());
    assert!(c.get_alert("a1").await.is_ok());
    let seen = script.seen();
    assert_eq!(seen.len(), 3);
    // Retries of one request share its client-request-id.
    let crid = |i: usize| seen[i].headers.get("client-request-id").cloned();
    assert!(crid(0).is_some());
    assert_eq!(crid(0), crid(1));
    assert_eq!(crid(1), crid(2));

    let (base, script) = serve(vec![boom(), reply(200, r#"{"value":[]}"#)]).await;
    let c = client(&base, Arc::default());
    let err = c.add_alert_comment("a1", "hi").await.expect_err("no retry");
    assert!(matches!(err, GraphError::Api { status: 500, .. }));
    assert!(err.is_transient());
    assert_eq!(
        script.seen().len(),
        1,
        "a POST must not be repeated after a 500"
    );
}

#[tokio::test]
async fn throttling_honours_retry_after_also_for_post() {
    let throttled = || {
        with_header(
            reply(
                429,
                r#"{"error":{"code":"TooManyRequests","message":"slow down"}}"#,
            ),
            "retry-after",
            "0",
        )
    };
    let (base, script) = serve(vec![
        throttled(),
        throttled(),
        reply(200, r#"{"value":[]}"#),
    ])
    .await;
    let c = client(&base, Arc::default());
    assert_eq!(
        c.add_alert_comment("a1", "hi").await.map(|v| v.len()).ok(),
        Some(0)
    );
    assert_eq!(script.seen().len(), 3);

    // More 429s than retries: Throttled, with Graph's last hint.
    let (base, script) = serve((0..6).map(|_| throttled()).collect()).await;
    let err = client(&base, Arc::default())
        .get_alert("a1")
        .await
        .expect_err("throttled");
    assert_eq!(
        err,
        GraphError::Throttled {
            retry_after: Some(Duration::ZERO)
        }
    );
    assert_eq!(script.seen().len(), 4, "first attempt plus max_retries");
}

#[tokio::test]
async fn retry_after_beyond_the_wait_budget_gives_up_at_once() {
    let (base, script) = serve(vec![with_header(reply(429, ""), "retry-after", "3600")]).await;
    let err = client(&base, Arc::default())
        .get_alert("a1")
        .await
        .expect_err("throttled");
    assert_eq!(
        err,
        GraphError::Throttled {
            retry_after: Some(Duration::from_secs(3600))
        }
    );
    assert_eq!(script.seen().len(), 1);
}

#[tokio::test]
async fn errors_map_to_api_with_request_id() {
    let (base, _) = serve(vec![
        with_header(
            reply(
                404,
                r#"{"error":{"code":"itemNotFound","message":"no such alert"}}"#,
            ),
            "request-id",
            "rid-404",
        ),
        reply(400, "not json at all"),
    ])
    .await;
    let c = client(&base, Arc::default());
    let err = c.get_alert("nope").await.expect_err("404");
    assert_eq!(
        err,
        GraphError::Api {
            status: 404,
            code: "itemNotFound".into(),
            message: "no such alert".into(),
            request_id: Some("rid-404".into()),
        }
    );
    let err = c.get_alert("x").await.expect_err("400");
    assert!(
        err.to_string().contains("Bad Request: not json at all"),
        "{err}"
    );
}

#[tokio::test]
async fn malformed_bodies_are_decode_errors() {
    let (base, _) = serve(vec![
        reply(200, r#"{"value":[{"id":"a1"},"#),
        reply(200, r#"{"id":"#),
        reply(200, "[1,2]"),
    ])
    .await;
    let c = client(&base, Arc::default());
    let first = c.list_alerts(&ODataQuery::new()).next().await;
    assert!(
        matches!(first, Some(Err(GraphError::Decode { .. }))),
        "{first:?}"
    );
    assert!(matches!(
        c.get_alert("a1").await,
        Err(GraphError::Decode { .. })
    ));
    assert!(matches!(
        c.get_alert("a1").await,
        Err(GraphError::Decode { .. })
    ));
}

#[tokio::test]
async fn paging_follows_next_links_on_origin_only() {
    let (base, script) = serve(vec![
        reply(200, r#"{"value":[{"id":"1"}],"@odata.nextLink":"{base}/security/alerts_v2?$skiptoken=p2"}"#),
        reply(200, r#"{"value":[{"id":"2"}],"@odata.nextLink":"https://evil.example/v1.0/security/alerts_v2?$skiptoken=p3"}"#),
    ])
    .await;
    let c = client(&base, Arc::default());
    let results: Vec<_> = c.list_alerts(&ODataQuery::new().top(1)).collect().await;
    assert_eq!(results.len(), 3);
    let ids: Vec<String> = results
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .flat_map(|p| p.items.iter().map(|a| a.id.clone()))
        .collect();
    assert_eq!(ids, ["1", "2"]);
    assert!(matches!(&results[2], Err(GraphError::BadNextLink(l)) if l.contains("evil.example")));
    // The nextLink was followed verbatim (no re-added $top).
    assert_eq!(
        script.seen()[1].uri,
        "/v1.0/security/alerts_v2?$skiptoken=p2"
    );

    // A bare token instead of a URL (seen in third-party recordings).
    let (base, _) = serve(vec![reply(
        200,
        r#"{"value":[],"@odata.nextLink":"testskiptoken=test_token"}"#,
    )])
    .await;
    let results: Vec<_> = client(&base, Arc::default())
        .list_alerts(&ODataQuery::new())
        .collect()
        .await;
    assert!(matches!(
        results.as_slice(),
        [Ok(_), Err(GraphError::BadNextLink(_))]
    ));
}

#[tokio::test]
async fn a_next_link_that_repeats_ends_the_stream() {
    let page =
        r#"{"value":[{"id":"1"}],"@odata.nextLink":"{base}/security/alerts_v2?$skiptoken=same"}"#;
    let (base, script) = serve(vec![reply(200, page), reply(200, page), reply(200, page)]).await;
    let results: Vec<_> = client(&base, Arc::default())
        .list_alerts(&ODataQuery::new())
        .collect()
        .await;
    assert!(matches!(
        results.last(),
        Some(Err(GraphError::BadNextLink(_)))
    ));
    assert_eq!(script.seen().len(), 2);
}

#[tokio::test]
async fn refused_connections_are_retried_then_reported() {
    // Bind and drop to get a port nobody listens on.
    let port = {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        l.local_addr().expect("addr").port()
    };
    let mut cfg = ClientConfig::new(format!("http://127.0.0.1:{port}/v1.0"));
    cfg.max_retries = 2;
    cfg.max_retry_wait = Duration::from_millis(50);
    let c = Client::new(cfg, Arc::new(CountingToken::default())).expect("client");
    let err = c.get_alert("a1").await.expect_err("nobody listens");
    assert!(matches!(err, GraphError::Transport(_)), "{err:?}");
    assert!(err.is_transient());
    assert!(!err.to_string().contains("tok"), "{err}");
}

#[tokio::test]
async fn silent_servers_time_out_and_get_is_retried() {
    // Generous margins so a loaded CI machine cannot make the prompt reply time out too.
    let stall = Duration::from_secs(5);
    let (base, script) = serve(vec![
        slow(reply(200, ALERT), stall),
        reply(200, ALERT),
        slow(reply(200, r#"{"value":[]}"#), stall),
    ])
    .await;
    let mut cfg = ClientConfig::new(&base);
    cfg.timeout = Duration::from_secs(1);
    cfg.max_retry_wait = Duration::from_secs(1);
    let c = Client::new(cfg, Arc::new(CountingToken::default())).expect("client");
    assert_eq!(
        c.get_alert("a1").await.map(|a| a.id).ok().as_deref(),
        Some("a1")
    );
    assert_eq!(script.seen().len(), 2);
    // A POST that timed out may have been applied: reported, not repeated.
    assert_eq!(
        c.add_alert_comment("a1", "hi").await.err(),
        Some(GraphError::Timeout)
    );
    assert_eq!(script.seen().len(), 3);
}

#[tokio::test]
async fn oversized_bodies_are_refused_unread() {
    let huge = "x".repeat(super::client::MAX_BODY_BYTES + 1);
    let (base, _) = serve(vec![reply(200, &huge)]).await;
    let err = client(&base, Arc::default())
        .get_alert("a1")
        .await
        .expect_err("too large");
    assert_eq!(
        err,
        GraphError::TooLarge {
            limit: super::client::MAX_BODY_BYTES
        }
    );
    assert!(!err.is_transient());
}

#[tokio::test]
async fn a_204_to_patch_reads_the_alert_back() {
    let (base, script) = serve(vec![reply(204, ""), reply(200, ALERT)]).await;
    let update = AlertUpdate {
        status: Some(super::enums::AlertStatus::Resolved),
        ..Default::default()
    };
    let a = client(&base, Arc::default())
        .update_alert("a1", &update)
        .await
        .expect("alert");
    assert_eq!(a.id, "a1");
    let seen = script.seen();
    assert_eq!(
        (seen[0].method.as_str(), seen[1].method.as_str()),
        ("PATCH", "GET")
    );
}
