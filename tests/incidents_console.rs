//! The `:incidents` pane end to end: the real worker and outbox against the emulator over
//! loopback, driven through `app::update` and drawn with `TestBackend`. The analyst opens
//! `:incidents`, opens the incident with the most open alerts, looks at one of its alerts
//! and comes back, then resolves the incident with its open alerts in one answer. The
//! emulator then has the incident and every alert resolved, each PATCH received once.

mod support;

use futures_util::StreamExt;
use graphsec::app::Action;
use graphsec::emulator::{self, EmulatorConfig, Route};
use graphsec::graph::enums::{AlertStatus, IncidentStatus};
use graphsec::graph::incidents::Incident;
use graphsec::graph::odata::{Filter, ODataQuery};
use graphsec::graph::{Client, ClientConfig, StaticToken};
use ratatui::crossterm::event::KeyCode;
use std::sync::Arc;
use support::console::Console;

fn open(s: Option<&AlertStatus>) -> bool {
    matches!(s, Some(AlertStatus::New | AlertStatus::InProgress))
}

/// The open incident (active or in progress) with the most open alerts, read separately
/// with the client.
async fn busiest_open_incident(client: &Client) -> Incident {
    let query = ODataQuery::new()
        .top(50)
        .expand(["alerts"])
        .filter(Filter::eq("status", "active").or(Filter::eq("status", "inProgress")));
    let mut pages = std::pin::pin!(client.list_incidents(&query));
    let mut all = Vec::new();
    while let Some(page) = pages.next().await {
        all.extend(page.expect("page").items);
    }
    all.into_iter()
        .max_by_key(|i| {
            let n = i.alerts.iter().filter(|a| open(a.status.as_ref())).count();
            (n, i.alerts.len())
        })
        .expect("the tenant has open incidents")
}

#[tokio::test]
async fn resolving_an_incident_with_its_alerts_lands_every_patch_once() {
    let e = emulator::start(EmulatorConfig {
        alerts: 300,
        seed: 5,
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts");
    let client = Client::new(
        ClientConfig::new(e.base_url()),
        Arc::new(StaticToken::new("t")),
    )
    .expect("client");
    let target = busiest_open_incident(&client).await;
    let open_alerts: Vec<&str> = target
        .alerts
        .iter()
        .filter(|a| open(a.status.as_ref()))
        .map(|a| a.id.as_str())
        .collect();
    assert!(open_alerts.len() >= 2, "{} open", open_alerts.len());

    let mut c = Console::start(&e, (160, 48));
    assert_eq!(c.settle().await, None);
    c.key(':');
    c.keys("incidents");
    c.code(KeyCode::Enter);
    c.until("the incidents", |a| {
        matches!(a, Action::IncidentsPage { done: true, .. })
    })
    .await;
    let screen = c.screen();
    assert!(screen.contains("incidents · open"), "{screen}");
    assert!(
        screen.lines().any(|l| l.contains(" incidents ·")),
        "counted in the status line: {screen}"
    );

    // Find it by its id, then open it (the id may also be part of another's).
    c.key('/');
    c.keys(&target.id);
    c.code(KeyCode::Enter);
    let title = format!("incident {}", target.id);
    for _ in 0..10 {
        c.code(KeyCode::Enter);
        c.until("the incident", |a| matches!(a, Action::IncidentLoaded(_)))
            .await;
        if c.screen().lines().next().unwrap_or("").ends_with(&title) {
            break;
        }
        c.code(KeyCode::Esc);
        c.key('j');
    }
    let screen = c.screen();
    assert!(screen.lines().next().unwrap().ends_with(&title), "{screen}");
    assert!(
        screen.contains(&format!(
            "Alerts ({}, {} open)",
            target.alerts.len(),
            open_alerts.len()
        )),
        "{screen}"
    );

    // Its first alert in the alert detail, and back.
    c.code(KeyCode::Enter);
    c.until("the alert", |a| matches!(a, Action::AlertLoaded(_)))
        .await;
    let screen = c.screen();
    assert!(
        screen.contains(&format!("Alert of incident {}", target.id)),
        "{screen}"
    );
    let first = &target.alerts[0];
    assert!(
        screen.contains(&format!("Id              {}", first.id)),
        "{screen}"
    );
    c.code(KeyCode::Esc);
    assert!(c.screen().lines().next().unwrap().ends_with(&title));

    // Resolve it with its open alerts: one question, one answer, 1 + M writes.
    c.key('s');
    c.key('3');
    let screen = c.screen();
    assert!(
        screen.contains(&format!(
            "Resolve 1 incident and its {} open alerts? y/n/i",
            open_alerts.len()
        )),
        "{screen}"
    );
    c.key('y');
    let writes = 1 + open_alerts.len();
    let screen = c.screen();
    assert!(
        screen.contains(&format!("{writes} saving")),
        "each write counted until Graph answers: {screen}"
    );
    let mut answered = 0;
    while answered < writes {
        let a = c
            .until("the writes", |a| {
                matches!(
                    a,
                    Action::WriteSucceeded { .. }
                        | Action::IncidentWriteSucceeded { .. }
                        | Action::WriteFailed { .. }
                        | Action::WriteConflict { .. }
                        | Action::WriteLanded { .. }
                )
            })
            .await;
        assert!(
            matches!(
                a,
                Action::WriteSucceeded { .. } | Action::IncidentWriteSucceeded { .. }
            ),
            "{a:?}"
        );
        answered += 1;
    }
    let screen = c.screen();
    assert!(!screen.contains("saving"), "{screen}");
    assert!(
        screen.contains(&format!("Alerts ({}, 0 open)", target.alerts.len())),
        "{screen}"
    );

    // At the emulator: all resolved, each PATCH received exactly once.
    let now = client.get_incident(&target.id, true).await.expect("get");
    assert_eq!(now.status, Some(IncidentStatus::Resolved));
    assert_eq!(now.alerts.len(), target.alerts.len());
    for a in &now.alerts {
        assert_eq!(a.status, Some(AlertStatus::Resolved), "{}", a.id);
    }
    let controls = e.controls();
    assert_eq!(controls.requests("PATCH", Route::Incident), 1);
    assert_eq!(
        controls.requests("PATCH", Route::Alert),
        open_alerts.len() as u64
    );
}
