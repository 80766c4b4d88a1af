//! `--demo`: the console against the embedded emulator with a generated tenant, no account
//! and no network.

use crate::emulator::{self, EmulatorConfig, RunningEmulator};
use base64::Engine;
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

/// An unsigned JWT naming the demo analyst. The emulator reads the claim to attribute
/// comments; nothing verifies it, and it grants nothing anywhere else.
pub fn token() -> String {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = b64.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let claims = b64.encode(format!(r#"{{"upn":"{DEMO_USER}","name":"Demo Analyst"}}"#).as_bytes());
    format!("{header}.{claims}.")
}
