//! The console's halves wired as the terminal loop wires them, minus the terminal: the
//! real worker against a real emulator, its actions fed into `app::update`, the screen drawn
//! with `TestBackend`.

use graphsec::app::{Action, Command, KeyMap, SessionInfo, State, update};
use graphsec::emulator::RunningEmulator;
use graphsec::graph::{BudgetConfig, Client, ClientConfig, StaticToken};
use graphsec::outbox::journal::{self, Journal};
use graphsec::outbox::{Outbox, WriterConfig};
use graphsec::{sanitize, ui, worker};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::mpsc;

pub struct Console {
    pub state: State,
    size: (u16, u16),
    commands: mpsc::UnboundedSender<Command>,
    actions: mpsc::Receiver<Action>,
}

impl Console {
    /// A console of `size` (columns, rows) on `e`, its first load requested.
    pub fn start(e: &RunningEmulator, size: (u16, u16)) -> Console {
        Console::with_budget(e, size, BudgetConfig::default())
    }

    /// [`Console::start`] with a request budget of its own.
    pub fn with_budget(e: &RunningEmulator, size: (u16, u16), budget: BudgetConfig) -> Console {
        Console::with_options(
            e,
            size,
            ClientConfig {
                budget,
                ..ClientConfig::new(e.base_url())
            },
            worker::WorkerOptions::default(),
        )
    }

    /// [`Console::start`] with the client's configuration and the worker's options given.
    pub fn with_options(
        e: &RunningEmulator,
        size: (u16, u16),
        client: ClientConfig,
        options: worker::WorkerOptions,
    ) -> Console {
        let client =
            Client::new(client, Arc::new(StaticToken::new("console-fault-token"))).expect("client");
        let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
        let (act_tx, act_rx) = mpsc::channel(64);
        // Writes go through the outbox as in the real console; its journal lives in a
        // directory of its own so tests never share one.
        let dir = std::env::temp_dir().join(format!(
            "graphsec-console-{}-{:x}",
            std::process::id(),
            graphsec::graph::retry::random_u64()
        ));
        let journal = Journal::open(&journal::path_for(&dir, "test")).expect("journal");
        let (event_tx, event_rx) = mpsc::unbounded_channel();
        let outbox = Outbox::start(
            journal,
            client.clone(),
            "test",
            Some("analyst@contoso.example".into()),
            WriterConfig::default(),
            event_tx,
        );
        tokio::spawn(worker::run_with(
            client, outbox, event_rx, cmd_rx, act_tx, options,
        ));
        let session = SessionInfo {
            profile: "test".into(),
            profiles: Vec::new(),
            endpoint: e.base_url(),
            me: Some("analyst@contoso.example".into()),
            read_only: false,
            keymap: KeyMap::default(),
            no_color: true,
            planned: Default::default(),
            planned_file: None,
            chart_marker: Default::default(),
        };
        let mut state = State::new(session, OffsetDateTime::now_utc());
        update(&mut state, Action::Resize(size.0, size.1));
        let mut console = Console {
            state,
            size,
            commands: cmd_tx,
            actions: act_rx,
        };
        let first = console.state.initial_commands();
        console.send(first);
        console
    }

    pub fn send(&mut self, commands: Vec<Command>) {
        for c in commands {
            self.commands.send(c).expect("worker is running");
        }
    }

    pub fn apply(&mut self, action: Action) {
        let commands = update(&mut self.state, action);
        self.send(commands);
    }

    pub fn key(&mut self, c: char) {
        let mods = if c.is_ascii_uppercase() {
            KeyModifiers::SHIFT
        } else {
            KeyModifiers::NONE
        };
        self.apply(Action::Key(KeyEvent::new(KeyCode::Char(c), mods)));
    }

    pub fn code(&mut self, code: KeyCode) {
        self.apply(Action::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    }

    /// Feeds worker actions into `update` until the current load ends; returns the
    /// error of a failed load.
    pub async fn settle(&mut self) -> Option<String> {
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

    /// Feeds worker actions into `update` until `stop` says so of one (that one applied
    /// too); returns it.
    pub async fn until(&mut self, what: &str, mut stop: impl FnMut(&Action) -> bool) -> Action {
        loop {
            let action = tokio::time::timeout(Duration::from_secs(60), self.actions.recv())
                .await
                .unwrap_or_else(|_| panic!("no answer while waiting for {what}"))
                .expect("the worker is running");
            let found = stop(&action);
            self.apply(action.clone());
            if found {
                return action;
            }
        }
    }

    pub fn keys(&mut self, text: &str) {
        for c in text.chars() {
            self.key(c);
        }
    }

    /// The screen as text, drawn without the final sweep so that only sanitising keeps
    /// the cells clean.
    pub fn screen(&self) -> String {
        let mut term = Terminal::new(TestBackend::new(self.size.0, self.size.1)).expect("backend");
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
