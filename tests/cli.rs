//! The binary as a script would use it: `graphsec emulator` in one process, headless
//! commands against it in others, over real loopback HTTP.

mod support;

use support::EmulatorProcess;

/// Runs `graphsec --endpoint E ARGS` with a token and an empty config; returns
/// (success, stdout, stderr).
fn graphsec(endpoint: &str, args: &[&str]) -> (bool, String, String) {
    let home = std::env::temp_dir().join(format!("graphsec-cli-test-{}", std::process::id()));
    let out = support::command(&home, endpoint, "test-token")
        .args(args)
        .output()
        .expect("run graphsec");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn list_json(endpoint: &str, extra: &[&str]) -> Vec<serde_json::Value> {
    let mut args = vec!["alerts", "list", "--output", "json"];
    args.extend_from_slice(extra);
    let (ok, out, err) = graphsec(endpoint, &args);
    assert!(ok, "list failed: {err}");
    serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("list --output json is not JSON ({e}): {out}"))
}

#[test]
fn triage_changes_made_headless_are_visible_in_json_output() {
    let emu = EmulatorProcess::start(&["--alerts", "150", "--seed", "7"]);
    let all = list_json(&emu.endpoint, &["--top", "40"]);
    assert_eq!(all.len(), 150, "every page is followed");
    let high = all
        .iter()
        .find(|a| a["severity"] == "high" && a["status"] == "new")
        .expect("a new high-severity alert in the generated tenant");
    let id = high["id"].as_str().expect("id");

    let (ok, _, err) = graphsec(
        &emu.endpoint,
        &[
            "alerts",
            "update",
            id,
            "--status",
            "inProgress",
            "--classification",
            "truePositive",
            "--determination",
            "malware",
            "--assign",
            "me@contoso.example",
        ],
    );
    assert!(ok, "update failed: {err}");
    let (ok, out, err) = graphsec(
        &emu.endpoint,
        &["alerts", "comment", id, "Escalated to IR, host isolated"],
    );
    assert!(ok, "comment failed: {err}");
    assert!(out.contains("Escalated to IR"), "{out}");

    let after = list_json(
        &emu.endpoint,
        &["--filter", "assignedTo eq 'me@contoso.example'"],
    );
    let changed = after
        .iter()
        .find(|a| a["id"] == id)
        .expect("the updated alert matches the filter");
    assert_eq!(changed["status"], "inProgress");
    assert_eq!(changed["classification"], "truePositive");
    assert_eq!(changed["determination"], "malware");
    let comments = changed["comments"].as_array().expect("comments");
    assert!(
        comments
            .iter()
            .any(|c| c["comment"] == "Escalated to IR, host isolated")
    );
}

#[test]
fn ndjson_and_csv_outputs_are_well_formed() {
    let emu = EmulatorProcess::start(&["--alerts", "150", "--seed", "7"]);
    let (ok, out, err) = graphsec(
        &emu.endpoint,
        &["alerts", "list", "--output", "ndjson", "--max", "25"],
    );
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 25);
    for line in lines {
        let v: serde_json::Value =
            serde_json::from_str(line).expect("each line is one alert object");
        assert!(v["id"].is_string());
    }
    let (ok, out, err) = graphsec(
        &emu.endpoint,
        &["alerts", "list", "--output", "csv", "--max", "10"],
    );
    assert!(ok, "{err}");
    let mut lines = out.lines();
    assert!(
        lines
            .next()
            .expect("header")
            .starts_with("id,severity,status,title")
    );
    assert_eq!(lines.count(), 10);
}

#[test]
fn failures_exit_non_zero_with_one_line() {
    let emu = EmulatorProcess::start(&["--alerts", "150", "--seed", "7"]);
    let (ok, out, err) = graphsec(&emu.endpoint, &["alerts", "get", "no-such-alert"]);
    assert!(!ok);
    assert!(out.is_empty());
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("itemNotFound") || err.contains("404"), "{err}");

    let (ok, _, err) = graphsec(
        &emu.endpoint,
        &["alerts", "update", "x", "--status", "closedish"],
    );
    assert!(!ok);
    assert!(err.contains("not one of"), "{err}");

    let (ok, _, err) = graphsec(
        &emu.endpoint,
        &["alerts", "list", "--filter", "title eq 'x'"],
    );
    assert!(!ok, "filtering on a non-filterable property is refused");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

#[test]
fn plain_http_to_a_remote_host_is_refused() {
    let (ok, _, err) = graphsec("http://graph.example.com/v1.0", &["alerts", "list"]);
    assert!(!ok);
    assert!(err.to_lowercase().contains("http"), "{err}");
}

/// `graphsec alerts list --output ndjson | head -1`: the reader leaves after one line; the
/// rest (megabytes, far more than a pipe holds) cannot be written. graphsec stops quietly
/// with the status a shell gives SIGPIPE (141), not an error message.
#[test]
fn a_reader_that_leaves_early_ends_the_listing_quietly() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let e = EmulatorProcess::start(&["--alerts", "4000", "--seed", "5"]);
    let home = std::env::temp_dir().join(format!("graphsec-cli-pipe-{}", std::process::id()));
    let mut child = support::command(&home, &e.endpoint, "test-token")
        .args(["alerts", "list", "--output", "ndjson"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("a line");
    assert!(first.starts_with('{'), "{first}");
    // The read end is closed here.
    let out = child.wait_with_output().expect("exit");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.trim().is_empty(), "{stderr}");
    assert_eq!(out.status.code(), Some(141), "{:?}", out.status);
    let _ = std::fs::remove_dir_all(&home);
}
