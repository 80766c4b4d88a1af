//! Shared by the outbox tests: temp dirs, a client on the in-process emulator, a JWT that
//! names the analyst (so comment authors can be matched), and event collection.

#![allow(dead_code)] // each test file uses a different part

use graphsec::emulator::{self, EmulatorConfig, RunningEmulator};
use graphsec::graph::{BudgetConfig, Client, ClientConfig, StaticToken};
use graphsec::outbox::{Journal, Outbox, OutboxEvent, WriterConfig, journal};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

pub const ANALYST: &str = "tess.analyst@contoso.com";

/// A directory removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!(
            "graphsec-{name}-{}-{:x}",
            std::process::id(),
            graphsec::graph::retry::random_u64()
        ));
        std::fs::create_dir_all(&p).expect("temp dir");
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// An emulator-signed token whose `upn` is [`ANALYST`]: the emulator records it as comment author.
pub fn analyst_token() -> String {
    graphsec::emulator::identity::user_token(ANALYST, std::time::Duration::from_secs(3600))
}

pub async fn emulator(alerts: usize, throttle_every: Option<u32>) -> RunningEmulator {
    emulator::start(EmulatorConfig {
        alerts,
        seed: 11,
        throttle_every,
        // No Retry-After: the writer's own backoff decides.
        retry_after: None,
        ..Default::default()
    })
    .await
    .expect("emulator")
}

/// A client that does not retry by itself, so every transient failure reaches the writer.
/// No request budget either: the outbox tests send hundreds of writes through periodic
/// 429s, which the budget would pace at a request a second or slower.
pub fn bare_client(base_url: &str) -> Client {
    let config = ClientConfig {
        max_retries: 0,
        budget: BudgetConfig::unlimited(),
        ..ClientConfig::new(base_url)
    };
    Client::new(config, Arc::new(StaticToken::new(analyst_token()))).expect("client")
}

/// Fast backoff for tests; retries for as long as it takes.
pub fn fast_writer() -> WriterConfig {
    WriterConfig {
        concurrency: 4,
        max_attempts: None,
        backoff_base: Duration::from_millis(2),
        backoff_cap: Duration::from_millis(20),
    }
}

pub fn open_journal(dir: &TempDir) -> Journal {
    Journal::open(&journal::path_for(&dir.0, "test")).expect("journal")
}

pub fn start(
    journal: Journal,
    client: &Client,
    config: WriterConfig,
) -> (Outbox, mpsc::UnboundedReceiver<OutboxEvent>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let outbox = Outbox::start(
        journal,
        client.clone(),
        "test",
        Some(ANALYST.to_owned()),
        config,
        tx,
    );
    (outbox, rx)
}

pub fn drain(rx: &mut mpsc::UnboundedReceiver<OutboxEvent>) -> Vec<OutboxEvent> {
    let mut out = Vec::new();
    while let Ok(e) = rx.try_recv() {
        out.push(e);
    }
    out
}
