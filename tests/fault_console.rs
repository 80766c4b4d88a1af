//! The console under faults, end to end: the real worker loads from the real emulator over
//! loopback, its actions drive `app::update`, and the screen is drawn with `TestBackend`.
//! A refresh that meets a truncated or malformed page keeps the rows on screen and says
//! why in the status line; transient faults on the load are ridden out.

use graphsec::app::{Action, Command, KeyMap, SessionInfo, State, update};
use graphsec::emulator::{
    self, EmulatorConfig, Fault, FaultKind, RandomFaults, Route, RunningEmulator, Scope,
};
use graphsec::graph::{Client, ClientConfig, StaticToken};
use graphsec::{sanitize, ui, worker};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::mpsc;

const SIZE: (u16, u16) = (160, 48);

/// The console's halves wired as the terminal loop wires them, minus the terminal.
struct Console {
    state: State,
    commands: mpsc::UnboundedSender<Command>,
    actions: mpsc::Receiver<Action>,
}

impl Console {
    fn start(e: &RunningEmulator) -> Console {
        let client = Client::new(
            ClientConfig::new(e.base_url()),
            Arc::new(StaticToken::new("console-fault-token")),
        )
        .expect("client");
        let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
        let (act_tx, act_rx) = mpsc::channel(64);
        tokio::spawn(worker::run(client, cmd_rx, act_tx));
        let session = SessionInfo {
            profile: "faults".into(),
            endpoint: e.base_url(),
            me: Some("analyst@contoso.example".into()),
            read_only: false,
            keymap: KeyMap::default(),
            no_color: true,
        };
        let mut state = State::new(session, OffsetDateTime::now_utc());
        update(&mut state, Action::Resize(SIZE.0, SIZE.1));
        let mut console = Console {
            state,
            commands: cmd_tx,
            actions: act_rx,
        };
        let first = console.state.initial_commands();
        console.send(first);
        console
    }

    fn send(&mut self, commands: Vec<Command>) {
        for c in commands {
            self.commands.send(c).expect("worker is running");
        }
    }

    fn apply(&mut self, action: Action) {
        let commands = update(&mut self.state, action);
        self.send(commands);
    }

    fn key(&mut self, c: char) {
        self.apply(Action::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::NONE,
        )));
    }

    /// Feeds worker actions into `update` until the current load ends; returns the
    /// error of a failed load.
    async fn settle(&mut self) -> Option<String> {
        loop {
            let action = tokio::time::timeout(Duration::from_secs(60), self.actions.recv())
                .await
                .expect("the worker answers")
                .expect("the worker is running");
            let outcome = match &action {
                Action::AlertsPage { done: true, .. } => Some(None),
                Action::AlertsFailed { error, .. } => Some(Some(error.clone())),
                _ => None,
            };
            self.apply(action);
            if let Some(result) = outcome {
                return result;
            }
        }
    }

    /// The screen as text, drawn without the final sweep so that only sanitising keeps
    /// the cells clean.
    fn screen(&self) -> String {
        let mut term = Terminal::new(TestBackend::new(SIZE.0, SIZE.1)).expect("backend");
        term.draw(|f| ui::render_unswept(&self.state, f))
            .expect("draw");
        let buf = term.backend().buffer();
        for cell in &buf.content {
            assert!(
                !cell.symbol().chars().any(sanitize::is_dangerous),
                "cell holds {:?}",
                cell.symbol()
            );
        }
        (0..buf.area.height)
            .map(|y| {
                (0..buf.area.width)
                    .map(|x| buf[(x, y)].symbol())
                    .collect::<String>()
                    .trim_end()
                    .to_owned()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

async fn emu(faults: Vec<RandomFaults>) -> RunningEmulator {
    emulator::start(EmulatorConfig {
        alerts: 200,
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
        let e = emu(vec![]).await;
        let mut console = Console::start(&e);
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
    let e = emu(vec![plan]).await;
    let mut console = Console::start(&e);
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
    assert!(e.controls().injected_total() > 0);
    let screen = console.screen();
    assert!(!screen.contains("Loading alerts failed"), "{screen}");
}
