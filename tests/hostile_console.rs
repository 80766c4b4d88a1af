//! Hostile Graph text in the console, end to end: the real worker loads
//! `emulator --hostile` alerts over loopback, and every screen a reader can reach for them
//! (the queue, the detail scrolled from top to bottom with comments and evidence, the raw
//! JSON view) is drawn with `TestBackend` without the final sweep. No cell may hold a
//! control, bidi or zero-width character: sanitising alone keeps them out.

mod support;

use graphsec::emulator::{self, EmulatorConfig, RunningEmulator};
use ratatui::crossterm::event::KeyCode;
use support::console::Console;

async fn emu() -> RunningEmulator {
    emulator::start(EmulatorConfig {
        alerts: 30,
        seed: 3,
        hostile: true,
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts")
}

#[tokio::test]
async fn every_screen_of_every_hostile_alert_is_clean() {
    let e = emu().await;
    for size in [(80, 24), (160, 48)] {
        let mut console = Console::start(&e, size);
        assert_eq!(console.settle().await, None, "the load completes");
        let queue = console.screen();
        assert!(
            queue.contains("SYSTEM COMPROMISED"),
            "hostile rows on screen:\n{queue}"
        );

        // The six hostile alerts are the newest: the first six rows.
        let mut seen = Vec::new();
        for row in 0..6 {
            console.code(KeyCode::Enter);
            let mut screens = vec![console.screen()];
            // Scroll the detail to its end: comments and evidence come last.
            for _ in 0..40 {
                console.code(KeyCode::PageDown);
                screens.push(console.screen());
            }
            console.key('J');
            screens.push(console.screen());
            for _ in 0..40 {
                console.code(KeyCode::PageDown);
                screens.push(console.screen());
            }
            console.key('J');
            let all = screens.join("\n");
            assert!(
                all.contains("hostile-"),
                "row {row}: detail of a hostile alert"
            );
            seen.push(all);
            console.code(KeyCode::Esc);
            console.key('j');
        }
        let all = seen.join("\n");
        // The attacks were drawn, defused: their visible remains are on screen.
        for remains in ["52;c;", "exe.txt", "assignee@contoso", "comment", "author"] {
            assert!(all.contains(remains), "{size:?}: never drew {remains:?}");
        }
    }
}
