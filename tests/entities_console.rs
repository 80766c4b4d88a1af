//! The `:entities` pane end to end: the real worker loads the emulator's generated tenant,
//! the analyst opens `:entities`, narrows to users, finds the user in the most incidents and
//! lists that user's alerts. Expected values come from the library over the same alerts,
//! fetched separately with the client.

mod support;

use futures_util::StreamExt;
use graphsec::correlate::{self, EntityKind};
use graphsec::emulator::{self, EmulatorConfig};
use graphsec::graph::odata::ODataQuery;
use graphsec::graph::{Client, ClientConfig, StaticToken};
use ratatui::crossterm::event::KeyCode;
use std::sync::Arc;
use support::console::Console;

#[tokio::test]
async fn finds_the_user_in_the_most_incidents_and_lists_their_alerts() {
    let e = emulator::start(EmulatorConfig {
        alerts: 300,
        seed: 5,
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts");

    // What the pane should show: every alert, correlated by the library.
    let client = Client::new(
        ClientConfig::new(e.base_url()),
        Arc::new(StaticToken::new("t")),
    )
    .expect("client");
    let mut alerts = Vec::new();
    let mut pages = std::pin::pin!(client.list_alerts(&ODataQuery::new().top(200)));
    while let Some(page) = pages.next().await {
        alerts.extend(page.expect("page").items);
    }
    let refs: Vec<_> = alerts.iter().map(correlate::alert_entities).collect();
    let entities = correlate::correlate(alerts.iter().zip(refs.iter().map(Vec::as_slice)));
    let most = entities
        .iter()
        .filter(|e| e.kind == EntityKind::User)
        .max_by_key(|e| (e.incidents, e.score))
        .expect("the tenant has users");

    let mut c = Console::start(&e, (160, 48));
    assert_eq!(c.settle().await, None);
    // Load every status and all time, so the console holds the same alerts.
    c.key('f');
    c.key('2');
    assert_eq!(c.settle().await, None);
    c.key('t');
    c.key('5');
    assert_eq!(c.settle().await, None);

    c.key(':');
    for ch in "entities".chars() {
        c.key(ch);
    }
    c.code(KeyCode::Enter);
    c.code(KeyCode::Tab);
    let screen = c.screen();
    assert!(screen.contains("entities · kind user"), "{screen}");
    let first_user = entities
        .iter()
        .find(|e| e.kind == EntityKind::User)
        .unwrap();
    let first_row = screen.lines().nth(2).unwrap_or("");
    assert!(
        first_row.starts_with("user") && first_row.contains(&*first_user.name),
        "best-scored user first: {first_row}"
    );

    // Type the name of the user in the most incidents: that row, with its incident count.
    c.key('/');
    for ch in most.key.chars() {
        c.key(ch);
    }
    c.code(KeyCode::Enter);
    let screen = c.screen();
    let row = screen
        .lines()
        .find(|l| l.starts_with("user") && l.contains(&*most.name))
        .unwrap_or_else(|| panic!("{} not listed: {screen}", most.name));
    let numbers: Vec<usize> = row
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    assert_eq!(numbers[..2], [most.alerts, most.incidents], "{row}");

    // Enter: that user's alerts across sources, in the queue.
    c.code(KeyCode::Enter);
    let screen = c.screen();
    assert!(
        screen.contains(&format!("entity: user {}", most.name)),
        "{screen}"
    );
    assert!(
        screen.contains(&format!(" {}/{} alerts", most.alerts, alerts.len())),
        "{screen}"
    );
}
