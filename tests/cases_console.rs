//! `:cases` end to end: the real worker (its one cases queue) against the emulator over
//! loopback, driven through `app::update` and drawn with `TestBackend`. The analyst opens
//! `:cases`, narrows to active cases, drills into the first and shows its searches; the
//! reads go one after another within the eDiscovery window, so the emulator (which
//! throttles as Graph does, 5 a minute) never answers 429.

mod support;

use graphsec::app::Action;
use graphsec::app::cases::CaseTab;
use graphsec::emulator::{self, EmulatorConfig};
use ratatui::crossterm::event::KeyCode;
use support::console::Console;

#[tokio::test]
async fn an_analyst_opens_cases_drills_into_one_and_sees_its_searches() {
    let e = emulator::start(EmulatorConfig {
        alerts: 20,
        seed: 7,
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts");
    let mut c = Console::start(&e, (120, 40));
    assert_eq!(c.settle().await, None, "the alert queue loads");

    c.key(':');
    c.keys("cases");
    c.code(KeyCode::Enter);
    let loaded = c
        .until("the case list", |a| matches!(a, Action::CasesLoaded(_)))
        .await;
    let Action::CasesLoaded(Ok(cases)) = loaded else {
        panic!("the cases load: {loaded:?}");
    };
    assert!(cases.len() >= 10, "the demo tenant has its cases");
    let screen = c.screen();
    assert!(screen.contains("cases ·"), "{screen}");

    // Active cases only, then into the first one.
    c.key('/');
    c.keys("active");
    c.code(KeyCode::Enter);
    c.code(KeyCode::Enter);
    // The searches tab asked for while custodians may still wait: it goes first.
    c.key('3');
    c.until("the searches", |a| {
        matches!(
            a,
            Action::CaseTabLoaded {
                tab: CaseTab::Searches,
                ..
            }
        )
    })
    .await;
    let screen = c.screen();
    assert!(screen.contains("cases › "), "{screen}");
    assert!(screen.contains("› searches"), "{screen}");
    assert!(screen.contains("Search 1"), "{screen}");
    assert!(!screen.contains("Could not read"), "{screen}");
    assert_eq!(e.controls().ediscovery_throttled(), 0, "no 429 was needed");
    e.shutdown().await;
}

#[tokio::test]
async fn an_analyst_closes_a_case_and_sees_graphs_refusal_of_another() {
    let e = emulator::start(EmulatorConfig {
        alerts: 5,
        seed: 7,
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts");
    let mut c = Console::start(&e, (120, 40));
    assert_eq!(c.settle().await, None, "the alert queue loads");
    c.key(':');
    c.keys("cases");
    c.code(KeyCode::Enter);
    c.until("the case list", |a| matches!(a, Action::CasesLoaded(Ok(_))))
        .await;

    // An active case: C asks, y closes it, and the row shows Graph's answer.
    c.key('/');
    c.keys("active");
    c.code(KeyCode::Enter);
    c.key('C');
    assert!(c.screen().contains("Close the case"), "{}", c.screen());
    c.key('y');
    let written = c
        .until("the close", |a| matches!(a, Action::CaseWritten { .. }))
        .await;
    let Action::CaseWritten {
        result: Ok(case), ..
    } = written
    else {
        panic!("the close lands: {written:?}");
    };
    assert_eq!(case.status.as_ref().map(|s| s.as_str()), Some("closed"));
    let screen = c.screen();
    assert!(screen.contains("is now closed"), "{screen}");

    // A case pending deletion cannot be closed: Graph's 400 is the error line.
    c.code(KeyCode::Esc);
    c.key('/');
    c.keys("pendingDelete");
    c.code(KeyCode::Enter);
    c.key('C');
    c.key('y');
    c.until("the refusal", |a| matches!(a, Action::CaseWritten { .. }))
        .await;
    let screen = c.screen();
    assert!(screen.contains("Closing the case failed"), "{screen}");
    assert!(screen.contains("400"), "{screen}");
    assert_eq!(e.controls().ediscovery_throttled(), 0, "no 429 was needed");
    e.shutdown().await;
}
