//! `graphsec incidents list|get|update|comment` as a script uses them, against a separate
//! `graphsec emulator` process: every output format parses and is terminal-safe, writes go
//! through the outbox and read back, and a comment whose reply is lost is posted once.

mod support;

use serde_json::Value;
use support::{EmulatorProcess, Home, assert_terminal_safe, graphsec};

const TOKEN: &str = "cli-incidents-token";

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

#[test]
fn list_and_get_in_every_format() {
    let e = EmulatorProcess::start(&["--alerts", "120", "--seed", "5"]);
    let home = Home::new("incidents-list");
    let run = |args: &[&str]| {
        let r = graphsec(&home, &e.endpoint, TOKEN, args);
        assert!(r.ok, "{args:?}: {}", r.stderr);
        assert_terminal_safe(&format!("{args:?}"), &r.stdout);
        r.stdout
    };

    let listed = json(&run(&[
        "incidents",
        "list",
        "--output",
        "json",
        "--top",
        "7",
    ]));
    let items = listed.as_array().expect("array");
    assert!(items.len() > 7, "all pages are followed");
    assert!(items.iter().all(|i| i.get("alerts").is_none()));
    let first = items[0]["id"].as_str().expect("id").to_owned();

    let nd = run(&[
        "incidents",
        "list",
        "--output",
        "ndjson",
        "--max",
        "3",
        "--expand-alerts",
        "--filter",
        "status ne 'resolved'",
    ]);
    let lines: Vec<Value> = nd.lines().map(json).collect();
    assert_eq!(lines.len(), 3);
    for l in &lines {
        assert_ne!(l["status"], "resolved");
        assert!(l["alerts"].as_array().is_some_and(|a| !a.is_empty()));
    }

    let csv = run(&["incidents", "list", "--output", "csv", "--max", "4"]);
    let mut rows = csv.lines();
    assert!(
        rows.next()
            .is_some_and(|h| h.starts_with("id,severity,status,"))
    );
    assert_eq!(rows.count(), 4);

    let table = run(&["incidents", "list", "--max", "2"]);
    assert!(table.starts_with("SEVERITY"));
    assert_eq!(table.lines().count(), 3);

    let one = json(&run(&["incidents", "get", &first, "--output", "json"]));
    assert_eq!(one["id"], first.as_str());
    let expanded = json(&run(&[
        "incidents",
        "get",
        &first,
        "--expand-alerts",
        "--output",
        "json",
    ]));
    assert!(expanded["alerts"].as_array().is_some_and(|a| !a.is_empty()));

    // A filter Graph refuses is an error with Graph's reason, not an empty list.
    let bad = graphsec(
        &home,
        &e.endpoint,
        TOKEN,
        &["incidents", "list", "--filter", "displayName eq 'x'"],
    );
    assert!(!bad.ok);
    assert!(bad.stderr.contains("not filterable"), "{}", bad.stderr);
}

#[test]
fn update_and_comment_read_back() {
    let e = EmulatorProcess::start(&["--alerts", "40", "--seed", "6"]);
    let home = Home::new("incidents-write");
    let run = |args: &[&str]| {
        let r = graphsec(&home, &e.endpoint, TOKEN, args);
        assert!(r.ok, "{args:?}: {}", r.stderr);
        r.stdout
    };
    let listed = json(&run(&[
        "incidents",
        "list",
        "--output",
        "json",
        "--max",
        "1",
    ]));
    let id = listed[0]["id"].as_str().expect("id").to_owned();

    let reply = json(&run(&[
        "incidents",
        "update",
        &id,
        "--status",
        "inProgress",
        "--classification",
        "truePositive",
        "--determination",
        "malware",
        "--assign",
        "soc@contoso.example",
        "--tag",
        "ransomware",
        "--tag",
        "vip",
        "--output",
        "json",
    ]));
    let read = json(&run(&["incidents", "get", &id, "--output", "json"]));
    for v in [&reply, &read] {
        assert_eq!(v["status"], "inProgress");
        assert_eq!(v["classification"], "truePositive");
        assert_eq!(v["determination"], "malware");
        assert_eq!(v["assignedTo"], "soc@contoso.example");
        assert_eq!(v["customTags"], serde_json::json!(["ransomware", "vip"]));
    }

    let comments = json(&run(&[
        "incidents",
        "comment",
        &id,
        "contained on host",
        "--output",
        "json",
    ]));
    assert_eq!(comments["value"][0]["comment"], "contained on host");
    let read = json(&run(&["incidents", "get", &id, "--output", "json"]));
    assert_eq!(read["comments"][0]["comment"], "contained on host");

    // An invalid value is refused before anything is journaled.
    let bad = graphsec(
        &home,
        &e.endpoint,
        TOKEN,
        &["incidents", "update", &id, "--status", "closed"],
    );
    assert!(
        !bad.ok && bad.stderr.contains("not one of"),
        "{}",
        bad.stderr
    );
    // Read-only refuses writes.
    let ro = graphsec(
        &home,
        &e.endpoint,
        TOKEN,
        &["--read-only", "incidents", "comment", &id, "x"],
    );
    assert!(!ro.ok && ro.stderr.contains("read-only"), "{}", ro.stderr);
}

#[test]
fn a_comment_whose_reply_is_lost_lands_once() {
    // Every comment POST lands and then loses its reply; the outbox must find the comment
    // on the incident (the GET is not faulted) instead of posting it again.
    let e = EmulatorProcess::start(&[
        "--alerts",
        "20",
        "--seed",
        "7",
        "--fault-rate",
        "1",
        "--fault-kinds",
        "reset-after",
        "--fault-routes",
        "incident-comments",
    ]);
    let home = Home::new("incidents-once");
    let listed = graphsec(
        &home,
        &e.endpoint,
        TOKEN,
        &["incidents", "list", "--output", "json", "--max", "1"],
    );
    assert!(listed.ok, "{}", listed.stderr);
    let id = json(&listed.stdout)[0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let posted = graphsec(
        &home,
        &e.endpoint,
        TOKEN,
        &["incidents", "comment", &id, "once only", "--output", "json"],
    );
    assert!(posted.ok, "{}", posted.stderr);
    let read = graphsec(
        &home,
        &e.endpoint,
        TOKEN,
        &["incidents", "get", &id, "--output", "json"],
    );
    let comments = json(&read.stdout)["comments"].clone();
    let texts: Vec<&str> = comments
        .as_array()
        .expect("comments")
        .iter()
        .filter_map(|c| c["comment"].as_str())
        .collect();
    assert_eq!(texts, ["once only"]);
}

#[test]
fn hostile_incidents_never_reach_the_terminal() {
    let e = EmulatorProcess::start(&["--alerts", "30", "--seed", "8", "--hostile"]);
    let home = Home::new("incidents-hostile");
    for format in ["table", "csv", "json", "ndjson"] {
        let r = graphsec(
            &home,
            &e.endpoint,
            TOKEN,
            &["incidents", "list", "--expand-alerts", "--output", format],
        );
        assert!(r.ok, "{format}: {}", r.stderr);
        assert_terminal_safe(&format!("incidents list --output {format}"), &r.stdout);
        assert_terminal_safe(
            &format!("incidents list --output {format} (stderr)"),
            &r.stderr,
        );
        if format == "json" {
            // The hostile text did reach the listing, escaped.
            assert!(r.stdout.contains("\\u001b"), "no hostile incident listed");
        }
    }
}
