//! The request budget against the real emulator over loopback: every attempt the client
//! makes (reads, pages, writes, retries) takes a token from one bucket shared by all clones
//! of a client, a 429 from Graph slows it, and the binary takes its budget from the
//! profile. Counts and states are asserted, never how long anything took.

mod support;

use futures_util::StreamExt;
use graphsec::emulator::{self, EmulatorConfig, Fault, Route, RunningEmulator, Scope};
use graphsec::graph::models::AlertUpdate;
use graphsec::graph::{
    BudgetConfig, BudgetSnapshot, Client, ClientConfig, ODataQuery, StaticToken,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use support::{Home, UNBUDGETED, graphsec_env};
use time::macros::datetime;

async fn emu(alerts: usize) -> RunningEmulator {
    emulator::start(EmulatorConfig {
        alerts,
        seed: 3,
        now: Some(datetime!(2026-11-26 12:00 UTC)),
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts")
}

fn client(e: &RunningEmulator, budget: BudgetConfig) -> Client {
    Client::new(
        ClientConfig {
            budget,
            ..ClientConfig::new(e.base_url())
        },
        Arc::new(StaticToken::new("budget-test-token")),
    )
    .expect("client for loopback")
}

/// One request: every test tenant fits in one page, so no next page is fetched ahead.
async fn some_alert_id(c: &Client) -> String {
    let mut pages = c.list_alerts(&ODataQuery::new().top(1000));
    let page = pages.next().await.expect("a page").expect("page ok");
    page.items[0].id.clone()
}

/// Whole tokens left (the refill in a test's lifetime is a small fraction of one).
fn whole(s: BudgetSnapshot) -> u32 {
    s.available.floor() as u32
}

#[tokio::test]
async fn sixty_requests_from_clones_of_one_client_share_one_bucket() {
    let e = emu(30).await;
    // A burst of 5, then one every 50 ms: most of the 60 wait for their token.
    let c = client(&e, BudgetConfig::new(5, 1200));
    let id = some_alert_id(&c).await;
    e.controls().reset_counters();
    let before = e.controls().total_requests();

    let low_seen = Arc::new(AtomicBool::new(false));
    let tasks: Vec<_> = (0..60)
        .map(|_| {
            let (c, id, low_seen) = (c.clone(), id.clone(), low_seen.clone());
            tokio::spawn(async move {
                c.get_alert(&id).await.expect("get");
                if c.budget().is_low() {
                    low_seen.store(true, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("task");
    }
    assert_eq!(e.controls().requests("GET", Route::Alert), 60);
    assert_eq!(
        e.controls().total_requests() - before,
        60,
        "and nothing else"
    );
    assert!(
        low_seen.load(Ordering::Relaxed),
        "60 requests on a budget of 5 leave it low"
    );
    let s = c.budget();
    assert_eq!((s.capacity, s.configured_per_minute), (5, 1200));
    assert!(!s.shrunk);
}

#[tokio::test]
async fn every_attempt_takes_a_token_reads_pages_writes_and_retries() {
    let e = emu(30).await;
    // 20 tokens and next to no refill: what is taken stays taken for the test's length.
    let c = client(&e, BudgetConfig::new(20, 1));
    let id = some_alert_id(&c).await;
    assert_eq!(whole(c.budget()), 19, "the first page");

    c.get_alert(&id).await.expect("get");
    assert_eq!(whole(c.budget()), 18);

    // Two 500s, then the reply: three attempts, three tokens.
    e.controls().inject(
        Fault::Status(500),
        2,
        Scope {
            method: Some("GET".into()),
            route: Some(Route::Alert),
        },
    );
    c.get_alert(&id).await.expect("get after retries");
    assert_eq!(whole(c.budget()), 15);

    let update = AlertUpdate {
        assigned_to: Some("someone@contoso.example".into()),
        ..AlertUpdate::default()
    };
    c.update_alert(&id, &update).await.expect("patch");
    c.add_alert_comment(&id, "one token")
        .await
        .expect("comment");
    assert_eq!(whole(c.budget()), 13);

    // Three pages of 10, each its own request (one fetched ahead while the last is read).
    let mut pages = c.list_alerts(&ODataQuery::new().top(10));
    let mut n = 0;
    while let Some(page) = pages.next().await {
        n += page.expect("page").items.len();
    }
    assert_eq!(n, 30);
    assert_eq!(whole(c.budget()), 10);
    assert_eq!(
        e.controls().total_requests(),
        10,
        "as many requests as tokens"
    );
}

#[tokio::test]
async fn a_429_from_the_emulator_halves_the_refill() {
    let e = emu(10).await;
    let c = client(&e, BudgetConfig::new(5, 600));
    let id = some_alert_id(&c).await;
    assert!(!c.budget().shrunk);

    // Retry-After: 0, so the retry goes as soon as the budget gives it a token.
    e.controls().throttle_next(1, Some(0));
    c.get_alert(&id).await.expect("the retry succeeds");
    assert_eq!(e.controls().injected("429"), 1);
    assert_eq!(e.controls().requests("GET", Route::Alert), 2);
    let s = c.budget();
    assert!(s.shrunk, "{s:?}");
    assert_eq!((s.per_minute, s.configured_per_minute), (300.0, 600));

    // Another 429, to a request sent after the first halving, halves again.
    e.controls().throttle_next(1, Some(0));
    c.get_alert(&id).await.expect("the retry succeeds");
    assert_eq!(c.budget().per_minute, 150.0);
}

#[test]
fn the_binary_takes_its_budget_from_the_profile_and_checks_it() {
    let home = Home::new("budget-config");
    let config = home.0.join("config").join("graphsec");
    std::fs::create_dir_all(&config).expect("config dir");
    let write = |text: &str| std::fs::write(config.join("config.toml"), text).expect("config");

    write("[profiles.default]\nrequests_per_minute = 151\n");
    let r = graphsec_env(
        &home,
        "https://graph.example.com/v1.0",
        "t",
        &["alerts", "list"],
        &[],
    );
    assert!(!r.ok);
    assert!(
        r.stderr
            .contains("profiles.default.requests_per_minute = 151: give 1 to 150"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stderr.trim().lines().count(), 1, "{}", r.stderr);

    // No budget is only for the emulator on loopback, never for Graph.
    write("");
    let r = graphsec_env(
        &home,
        "https://graph.example.com/v1.0",
        "t",
        &["alerts", "list"],
        &[UNBUDGETED],
    );
    assert!(!r.ok);
    assert!(
        r.stderr.contains("only for the local emulator"),
        "{}",
        r.stderr
    );
    let r = graphsec_env(
        &home,
        "http://127.0.0.1:9/v1.0",
        "t",
        &["alerts", "list"],
        &[("GRAPHSEC_REQUEST_BUDGET", "lots")],
    );
    assert!(!r.ok);
    assert!(
        r.stderr.contains("the only value is 'unlimited'"),
        "{}",
        r.stderr
    );

    // The most the config allows is a burst of 20: 25 pages of one alert wait for some of
    // their tokens, and say so in the (debug) log.
    let emu = support::EmulatorProcess::start(&["--alerts", "25"]);
    write("[profiles.default]\nrequests_per_minute = 150\n");
    let r = graphsec_env(
        &home,
        &emu.endpoint,
        "t",
        &["alerts", "list", "--top", "1", "--output", "ndjson"],
        &[],
    );
    assert!(r.ok, "{}", r.stderr);
    assert_eq!(r.stdout.lines().count(), 25);
    assert!(
        home.log().contains("waited for the request budget"),
        "{:.3000}",
        home.log()
    );
}
