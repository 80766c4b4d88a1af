//! An estimate outlives the console that started it: the console asks for an estimate, is
//! stopped while the operation runs (as when the analyst quits or the SSH session drops),
//! and a new console on the same profile takes the operation up from the operations file
//! and follows it to its counts. The emulator throttles eDiscovery as Graph does (here 5 a
//! 10-second window so the test runs in seconds); the client paces itself, so no request
//! is ever refused.

mod support;

use futures_util::StreamExt;
use graphsec::app::{Action, Command};
use graphsec::emulator::cases::CasesConfig;
use graphsec::emulator::{self, EmulatorConfig};
use graphsec::follower::FollowConfig;
use graphsec::graph::cases::{CaseStatus, OperationStatus};
use graphsec::graph::odata::ODataQuery;
use graphsec::graph::{Client, ClientConfig, StaticToken};
use graphsec::worker::WorkerOptions;
use std::sync::Arc;
use std::time::Duration;
use support::console::Console;

const WINDOW: Duration = Duration::from_secs(10);

fn client_config(base: String, state: Option<std::path::PathBuf>) -> ClientConfig {
    ClientConfig {
        ediscovery_limit: (5, WINDOW),
        // Where the profile's recent eDiscovery sends are kept across restarts.
        ediscovery_state: state,
        ..ClientConfig::new(base)
    }
}

/// An active case with a search, read with a client of its own.
async fn case_with_search(base: String) -> (String, String, String) {
    let client = Client::new(
        client_config(base, None),
        Arc::new(StaticToken::new("setup")),
    )
    .expect("client");
    let mut cases = std::pin::pin!(client.list_cases(&ODataQuery::new()));
    while let Some(page) = cases.next().await {
        for case in page.expect("page").items {
            if case.status != Some(CaseStatus::Active) {
                continue;
            }
            let mut searches = std::pin::pin!(client.list_searches(&case.id, &ODataQuery::new()));
            if let Some(Ok(page)) = searches.next().await
                && let Some(s) = page.items.first()
            {
                let name = s.display_name.clone().unwrap_or_default();
                return (case.id.clone(), s.id.clone(), name);
            }
        }
    }
    panic!("no active case with a search");
}

#[tokio::test]
async fn an_estimate_started_before_a_restart_is_followed_to_its_counts() {
    let e = emulator::start(EmulatorConfig {
        alerts: 5,
        cases: CasesConfig {
            estimate_duration: Duration::from_secs(4),
            rate_limit: 5,
            rate_window: WINDOW,
            ..CasesConfig::default()
        },
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts");
    let (case_id, search_id, label) = case_with_search(e.base_url()).await;
    let dir = std::env::temp_dir().join(format!("graphsec-resume-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let file = graphsec::operations::file(&dir, "test");
    let window = Some(dir.join("ediscovery.json"));
    let options = WorkerOptions {
        operations_file: Some(file.clone()),
        follow: FollowConfig {
            first_poll: Duration::from_millis(300),
            poll_every: Duration::from_millis(700),
        },
        ..WorkerOptions::default()
    };

    // The first console starts the estimate and sees it accepted.
    let mut first = Console::with_options(
        &e,
        (80, 24),
        client_config(e.base_url(), window.clone()),
        options.clone(),
    );
    first.settle().await;
    first.send(vec![Command::CasesEstimate {
        case_id: case_id.clone(),
        search_id,
        label,
    }]);
    let started = first
        .until(
            "the estimate accepted",
            |a| matches!(a, Action::OperationProgress(v) if !v.operation_id.is_empty()),
        )
        .await;
    let Action::OperationProgress(started) = started else {
        unreachable!()
    };
    assert_ne!(started.status, Some(OperationStatus::Succeeded));
    // It is on disk before the console is gone.
    let (kept, problem) = graphsec::operations::load(&file);
    assert_eq!(problem, None);
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].operation_id, started.operation_id);
    assert_eq!(kept[0].case_id, case_id);
    drop(first);

    // A new console on the same profile resumes it and follows it to the end.
    let mut second =
        Console::with_options(&e, (80, 24), client_config(e.base_url(), window), options);
    second.settle().await;
    second.send(vec![Command::ResumeOperations]);
    let mut seen_running = false;
    let done = second
        .until("the estimate's end", |a| match a {
            Action::OperationProgress(v) if v.operation_id == started.operation_id => {
                seen_running |= v.status == Some(OperationStatus::Running);
                v.status.as_ref().is_some_and(|s| s.is_final())
            }
            _ => false,
        })
        .await;
    let Action::OperationProgress(done) = done else {
        unreachable!()
    };
    assert_eq!(done.status, Some(OperationStatus::Succeeded), "{done:?}");
    let counts = done.counts.expect("an estimate's counts");
    assert!(
        counts.indexed_item_count.is_some_and(|n| n > 0),
        "{counts:?}"
    );
    assert_eq!(done.next_poll, None);
    assert!(seen_running || done.percent == Some(100));
    // Shown once: the file no longer keeps it.
    let mut tries = 0;
    while !graphsec::operations::load(&file).0.is_empty() {
        tries += 1;
        assert!(tries < 200, "the finished operation stayed in the file");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        e.controls().ediscovery_throttled(),
        0,
        "the client paced itself"
    );
    let _ = std::fs::remove_dir_all(&dir);
    e.shutdown().await;
}
