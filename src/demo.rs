//! `--demo`: the console against the embedded emulator with a generated tenant, no account
//! and no network.

use crate::emulator::{self, EmulatorConfig, RunningEmulator};
use std::time::Duration;

/// The demo analyst, carried in the demo token's `upn` claim so "assign to me" works.
pub const DEMO_USER: &str = "analyst@contoso-demo.example";

/// Starts the emulator in-process on a free loopback port; with `changing`, the demo
/// tenant moves on by itself about that often (new alerts, other analysts at work).
pub async fn start(changing: Option<Duration>) -> std::io::Result<RunningEmulator> {
    emulator::start(EmulatorConfig {
        changing,
        ..EmulatorConfig::default()
    })
    .await
}

/// A token naming the demo analyst, signed with the emulator's published test key (so
/// the emulator accepts it) and valid for a week. The emulator reads the claim to attribute
/// comments; it grants nothing anywhere else.
pub fn token() -> String {
    emulator::identity::user_token(DEMO_USER, Duration::from_secs(7 * 24 * 3600))
}
