//! The console under faults, end to end: the real worker loads from the real emulator over
//! loopback, its actions drive `app::update`, and the screen is drawn with `TestBackend`.
//! A refresh that meets a truncated or malformed page keeps the rows on screen and says
//! why in the status line; transient faults on the load are ridden out.

mod support;

use graphsec::emulator::{
    self, EmulatorConfig, Fault, FaultKind, RandomFaults, Route, RunningEmulator, Scope,
};
use std::time::Duration;
use support::console::Console;

const SIZE: (u16, u16) = (160, 48);

async fn emu(alerts: usize, faults: Vec<RandomFaults>) -> RunningEmulator {
    emulator::start(EmulatorConfig {
        alerts,
        seed: 5,
        faults,
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts")
}

fn list_scope() -> Scope {
    Scope {
        method: Some("GET".into()),
        route: Some(Route::Alerts),
    }
}

/// The status line: the row that carries the load failure.
fn status_line(screen: &str) -> &str {
    screen
        .lines()
        .find(|l| l.contains("Loading alerts failed"))
        .unwrap_or_else(|| panic!("no failure on screen:\n{screen}"))
}

#[tokio::test]
async fn a_broken_page_keeps_the_rows_and_says_why() {
    for fault in [Fault::Truncate, Fault::Malformed] {
        let e = emu(200, vec![]).await;
        let mut console = Console::start(&e, SIZE);
        assert_eq!(console.settle().await, None, "first load completes");
        let before = console.screen();

        e.controls().inject(fault.clone(), 1, list_scope());
        console.key('r');
        let error = console.settle().await.expect("the refresh fails");
        assert!(error.starts_with("unreadable page from Graph"), "{error}");
        assert_eq!(e.controls().injected(fault.label()), 1);

        let after = console.screen();
        let status = status_line(&after);
        assert!(
            status.contains("Loading alerts failed: unreadable page from Graph"),
            "{status}"
        );
        // Every queue row drawn before the failure is still drawn after it.
        let rows = |s: &str| -> Vec<String> {
            s.lines()
                .map(|l| l.split('│').next().unwrap_or(l).trim_end())
                .filter(|l| {
                    ["HIGH", "MED", "LOW", "INFO"]
                        .iter()
                        .any(|sev| l.trim_start().starts_with(sev))
                })
                .map(str::to_owned)
                .collect()
        };
        let (old_rows, new_rows) = (rows(&before), rows(&after));
        assert!(old_rows.len() > 10, "rows on screen:\n{before}");
        for row in &old_rows {
            assert!(
                new_rows.contains(row),
                "{fault:?} lost row {row:?}\n{after}"
            );
        }
    }
}

#[tokio::test]
async fn the_console_load_rides_out_transient_faults() {
    let plan = RandomFaults::new(0.3, &FaultKind::TRANSIENT)
        .latency(Duration::from_millis(10))
        .retry_after(Some(0));
    // 2,500 alerts are three pages of the console's 1,000: 18 requests over six loads.
    let e = emu(2_500, vec![plan]).await;
    let mut console = Console::start(&e, SIZE);
    // Several loads (a refresh each) so that many requests meet the fault stream.
    for _ in 0..5 {
        assert_eq!(
            console.settle().await,
            None,
            "{}",
            e.controls().injected_summary()
        );
        console.key('r');
    }
    assert_eq!(console.settle().await, None);
    assert!(
        e.controls().injected_total() >= 3,
        "{}",
        e.controls().injected_summary()
    );
    let screen = console.screen();
    assert!(!screen.contains("Loading alerts failed"), "{screen}");
}
