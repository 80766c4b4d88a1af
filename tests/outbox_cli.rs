//! `graphsec outbox list|retry|drop` and headless writes through the outbox, as a script
//! would use them, against a separate `graphsec emulator` process.

mod outbox_support;
mod support;

use outbox_support::TempDir;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use support::EmulatorProcess;

const BIN: &str = env!("CARGO_BIN_EXE_graphsec");
const TOKEN: &str = "cli-outbox-token-5b1e";

fn graphsec(home: &Path, endpoint: &str, args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(BIN)
        .arg("--endpoint")
        .arg(endpoint)
        .args(args)
        .env("GRAPHSEC_TOKEN", TOKEN)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env_remove("GRAPHSEC_CONFIG")
        .env_remove("GRAPHSEC_PROFILE")
        .output()
        .expect("run graphsec");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn listed(home: &Path, endpoint: &str) -> Vec<serde_json::Value> {
    let (code, out, err) = graphsec(home, endpoint, &["outbox", "list", "--output", "json"]);
    assert_eq!(code, Some(0), "{err}");
    serde_json::from_str(&out).expect("json")
}

#[test]
fn refused_writes_wait_in_the_outbox_until_retried_or_dropped() {
    let emu = EmulatorProcess::start(&["--alerts", "5", "--seed", "3"]);
    let home = TempDir::new("outbox-cli");
    let (code, _, err) = graphsec(
        &home.0,
        &emu.endpoint,
        &["alerts", "update", "no-such-alert", "--status", "resolved"],
    );
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("404"), "{err}");
    let id = err
        .split("kept in the outbox as ")
        .nth(1)
        .and_then(|rest| rest.split(':').next())
        .expect("the entry id is named")
        .trim()
        .to_owned();

    let entries = listed(&home.0, &emu.endpoint);
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["id"], id.as_str());
    assert_eq!(entries[0]["state"], "failed");
    assert_eq!(entries[0]["entry"]["target"]["id"], "no-such-alert");
    assert_eq!(
        entries[0]["entry"]["op"]["update"]["status"], "resolved",
        "the body as journaled"
    );
    let (code, table, _) = graphsec(&home.0, &emu.endpoint, &["outbox", "list"]);
    assert_eq!(code, Some(0));
    assert!(table.contains("failed") && table.contains(&id), "{table}");

    // Still refused on retry; still kept.
    let (code, _, err) = graphsec(&home.0, &emu.endpoint, &["outbox", "retry", &id]);
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(listed(&home.0, &emu.endpoint).len(), 1);

    let (code, _, err) = graphsec(&home.0, &emu.endpoint, &["outbox", "drop", &id]);
    assert_eq!(code, Some(0), "{err}");
    assert!(listed(&home.0, &emu.endpoint).is_empty());
    let (code, _, _) = graphsec(&home.0, &emu.endpoint, &["outbox", "drop", &id]);
    assert_eq!(code, Some(1), "a finished entry can't be dropped twice");
}

#[test]
fn a_headless_comment_lands_once_and_the_journal_is_private_and_token_free() {
    let emu = EmulatorProcess::start(&["--alerts", "5", "--seed", "3"]);
    let home = TempDir::new("outbox-cli-ok");
    let (code, out, _) = graphsec(
        &home.0,
        &emu.endpoint,
        &["alerts", "list", "--output", "json", "--max", "1"],
    );
    assert_eq!(code, Some(0));
    let alerts: Vec<serde_json::Value> = serde_json::from_str(&out).expect("json");
    let alert = alerts[0]["id"].as_str().expect("id").to_owned();

    let (code, out, err) = graphsec(
        &home.0,
        &emu.endpoint,
        &["alerts", "comment", &alert, "checked by the outbox test"],
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("checked by the outbox test"), "{out}");
    let (code, _, err) = graphsec(
        &home.0,
        &emu.endpoint,
        &["alerts", "update", &alert, "--assign", "tier3@contoso.com"],
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(listed(&home.0, &emu.endpoint).is_empty());

    let path = home
        .0
        .join("data")
        .join("graphsec")
        .join("outbox")
        .join("default.jsonl");
    let mode = std::fs::metadata(&path)
        .expect("journal")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    let text = std::fs::read_to_string(&path).expect("journal");
    assert!(text.contains("checked by the outbox test"));
    assert!(!text.contains(TOKEN), "the journal never holds the token");
}
