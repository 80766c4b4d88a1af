//! The client keeps eDiscovery under its own limit by itself: every attempt under
//! `security/cases` waits for a slot of a strict per-period window, so a burst of reads
//! (the console's case list, a case's tabs, an estimate being polled) never draws a 429.
//! The emulator throttles as Graph does (per token); here both use a 3-per-second window
//! so the test takes seconds, not minutes.

use futures_util::StreamExt;
use graphsec::emulator::cases::CasesConfig;
use graphsec::emulator::{self, EmulatorConfig};
use graphsec::graph::odata::ODataQuery;
use graphsec::graph::{Client, ClientConfig, StaticToken};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[tokio::test]
async fn a_burst_of_case_reads_is_paced_and_never_throttled() {
    let window = Duration::from_secs(1);
    let e = emulator::start(EmulatorConfig {
        alerts: 5,
        cases: CasesConfig {
            rate_limit: 3,
            rate_window: window,
            ..CasesConfig::default()
        },
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts");
    let client = Client::new(
        ClientConfig {
            ediscovery_limit: (3, window),
            ..ClientConfig::new(e.base_url())
        },
        Arc::new(StaticToken::new("pacing-token")),
    )
    .expect("client");

    let mut pages = std::pin::pin!(client.list_cases(&ODataQuery::new().top(5)));
    let mut ids = Vec::new();
    while let Some(page) = pages.next().await {
        ids.extend(
            page.expect("a page")
                .items
                .into_iter()
                .map(|c| c.id.clone()),
        );
    }
    let started = Instant::now();
    // Ten reads at once from clones of the client: they share one window.
    let reads = ids.iter().take(10).map(|id| {
        let (c, id) = (client.clone(), id.clone());
        tokio::spawn(async move { c.get_case(&id).await.map(|_| ()) })
    });
    for r in futures_util::future::join_all(reads).await {
        r.expect("task").expect("read");
    }
    let took = started.elapsed();
    assert_eq!(e.controls().ediscovery_throttled(), 0, "no 429 was needed");
    // 10 reads after the list's pages, 3 a second: at least three more windows.
    assert!(took >= window * 3, "{took:?}");
    // Other Graph routes do not count against the eDiscovery window.
    let before = client.ediscovery_recent();
    let mut scores = std::pin::pin!(client.list_secure_scores(&ODataQuery::new().top(1)));
    scores.next().await.expect("page").expect("scores");
    assert!(client.ediscovery_recent() <= before);
    e.shutdown().await;
}
