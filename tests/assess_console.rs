//! `:assess` end to end: the real worker against the emulator over loopback, driven through
//! `app::update` and drawn with `TestBackend`. The analyst opens `:assess`, submits a URL
//! with the form, sees it pending at the top, and, once the emulator's assessment clock has
//! moved past the verdict, sees the verdict arrive with no key pressed (the worker's
//! follower polls it). The same URL again within 15 minutes is Graph's 429: the form comes
//! back as typed with the limit and when to retry; a missing file sends nothing.

mod support;

use graphsec::app::Action;
use graphsec::emulator::assess::AssessConfig;
use graphsec::emulator::{self, EmulatorConfig, RunningEmulator};
use graphsec::graph::ClientConfig;
use graphsec::worker::WorkerOptions;
use graphsec::worker::assess::AssessPolling;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::time::Duration;
use support::console::Console;

/// Long enough that nothing completes unless the test moves the clock.
const ASSESSMENT_TAKES: Duration = Duration::from_secs(600);

async fn tenant() -> RunningEmulator {
    emulator::start(EmulatorConfig {
        alerts: 5,
        seed: 7,
        assess: AssessConfig {
            duration: ASSESSMENT_TAKES,
            ..AssessConfig::default()
        },
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts")
}

/// A console polling followed requests every 100 ms, `:assess` open and its list read.
async fn assess_console(e: &RunningEmulator) -> Console {
    let mut c = Console::with_options(
        e,
        (160, 48),
        ClientConfig::new(e.base_url()),
        WorkerOptions {
            assess: AssessPolling {
                interval: Duration::from_millis(100),
                max_polls: 10_000,
            },
            ..WorkerOptions::default()
        },
    );
    assert_eq!(c.settle().await, None, "the alert queue loads");
    c.key(':');
    c.keys("assess");
    c.code(KeyCode::Enter);
    let loaded = c
        .until("the request list", |a| {
            matches!(a, Action::AssessmentsLoaded(_))
        })
        .await;
    let Action::AssessmentsLoaded(Ok(list)) = loaded else {
        panic!("the requests load: {loaded:?}");
    };
    assert!(!list.is_empty(), "the demo tenant has requests");
    c
}

fn ctrl_s(c: &mut Console) {
    c.apply(Action::Key(KeyEvent::new(
        KeyCode::Char('s'),
        KeyModifiers::CONTROL,
    )));
}

/// `n`, the kind picker moved `right` times, then Tab to the first field and `text`.
fn fill(c: &mut Console, right: usize, text: &str) {
    c.key('n');
    for _ in 0..right {
        c.code(KeyCode::Right);
    }
    c.code(KeyCode::Tab);
    c.keys(text);
}

const URL: &str = "https://login.contoso-payroll.example/verify";

#[tokio::test]
async fn a_submitted_url_is_pending_then_shows_its_verdict_with_no_key_pressed() {
    let e = tenant().await;
    let mut c = assess_console(&e).await;

    fill(&mut c, 0, URL);
    ctrl_s(&mut c);
    let landed = c
        .until("the submission", |a| {
            matches!(a, Action::AssessmentSubmitted(_))
        })
        .await;
    let Action::AssessmentSubmitted(Ok(request)) = landed else {
        panic!("the URL is accepted: {landed:?}");
    };
    assert!(request.is_pending(), "a new request starts pending");
    assert_eq!(e.controls().assessment_counters().accepted, 1);
    let screen = c.screen();
    let rows: Vec<&str> = screen.lines().skip(2).collect();
    assert!(
        rows[0].contains(URL) && rows[0].contains("pending…"),
        "the new request is the pending top row:\n{screen}"
    );
    assert!(screen.contains("is pending"), "{screen}");

    // Microsoft answers: the follower's next poll brings the verdict, no key pressed.
    e.controls().advance_assessment_clock(ASSESSMENT_TAKES);
    let id = request.id.clone();
    c.until(
        "the verdict",
        |a| matches!(a, Action::AssessmentPolled(r) if r.id == id && !r.is_pending()),
    )
    .await;
    let screen = c.screen();
    assert!(
        screen.contains(&format!("Verdict for {URL}: Phishing")),
        "{screen}"
    );
    let rows: Vec<&str> = screen.lines().skip(2).collect();
    assert!(
        rows[0].contains(URL) && rows[0].contains("completed") && rows[0].contains("Phishing"),
        "the row changed in place:\n{screen}"
    );
    // Its detail has both results.
    c.code(KeyCode::Enter);
    let screen = c.screen();
    assert!(screen.contains("checkPolicy"), "{screen}");
    assert!(screen.contains("rescan"), "{screen}");
    e.shutdown().await;
}

#[tokio::test]
async fn the_same_url_again_is_refused_by_graphs_limit_and_the_form_keeps_it() {
    let e = tenant().await;
    let mut c = assess_console(&e).await;
    fill(&mut c, 0, URL);
    ctrl_s(&mut c);
    c.until("the first submission", |a| {
        matches!(a, Action::AssessmentSubmitted(Ok(_)))
    })
    .await;

    fill(&mut c, 0, URL);
    ctrl_s(&mut c);
    let refused = c
        .until("the second submission", |a| {
            matches!(a, Action::AssessmentSubmitted(_))
        })
        .await;
    assert!(
        matches!(refused, Action::AssessmentSubmitted(Err(_))),
        "{refused:?}"
    );
    assert_eq!(e.controls().assessment_counters().throttled_resource, 1);
    let screen = c.screen();
    assert!(
        screen.contains("New threat assessment"),
        "the form is back:\n{screen}"
    );
    assert!(screen.contains(URL), "with the URL as typed:\n{screen}");
    assert!(
        screen.contains("over a 15-minute limit"),
        "the limit is named:\n{screen}"
    );
    assert!(screen.contains("retry after"), "{screen}");

    // A file that is not there: the form says so and nothing reaches Graph.
    c.code(KeyCode::Esc);
    let missing = std::env::temp_dir().join(format!(
        "graphsec-assess-console-{}-missing.bin",
        std::process::id()
    ));
    fill(&mut c, 2, &missing.to_string_lossy());
    ctrl_s(&mut c);
    c.until("the file's problem", |a| {
        matches!(a, Action::AssessmentSubmitted(_))
    })
    .await;
    let screen = c.screen();
    assert!(screen.contains("no file named"), "{screen}");
    assert_eq!(
        e.controls().assessment_counters().accepted,
        1,
        "nothing more was sent"
    );
    e.shutdown().await;
}

#[tokio::test]
async fn coming_back_to_the_pane_follows_the_pending_request_again() {
    let e = tenant().await;
    let mut c = assess_console(&e).await;
    fill(&mut c, 0, URL);
    ctrl_s(&mut c);
    let landed = c
        .until("the submission", |a| {
            matches!(a, Action::AssessmentSubmitted(Ok(_)))
        })
        .await;
    let Action::AssessmentSubmitted(Ok(request)) = landed else {
        unreachable!()
    };
    // Back to the alert queue (the follower is told to stop; app tests check the command).
    c.code(KeyCode::Esc);
    assert!(
        !c.screen().contains("│ assessments"),
        "the alert queue is shown"
    );
    e.controls().advance_assessment_clock(ASSESSMENT_TAKES);
    // Coming back follows the analyst's pending request again; its verdict arrives.
    c.key(':');
    c.keys("assess");
    c.code(KeyCode::Enter);
    let id = request.id.clone();
    c.until(
        "the verdict after coming back",
        |a| matches!(a, Action::AssessmentPolled(r) if r.id == id && !r.is_pending()),
    )
    .await;
    let screen = c.screen();
    assert!(
        screen.contains(&format!("Verdict for {URL}: Phishing")),
        "{screen}"
    );
    e.shutdown().await;
}
