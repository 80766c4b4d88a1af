//! `graphsec controls list|get|update` against a separate `graphsec emulator` process:
//! every format lists all control profiles, a state change goes through the outbox and
//! shows up as the newest `controlStateUpdates` entry, a bad state is refused before
//! anything is journaled, and a PATCH whose reply is lost is not appended twice.

mod support;

use serde_json::Value;
use support::{EmulatorProcess, Home, assert_terminal_safe, graphsec};

const TOKEN: &str = "controls-cli-token";

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// The newest `controlStateUpdates` entry of profile `id` in a JSON listing.
fn newest(listing: &Value, id: &str) -> Value {
    let profile = listing
        .as_array()
        .expect("array")
        .iter()
        .find(|p| p["id"] == id)
        .unwrap_or_else(|| panic!("{id} listed"));
    profile["controlStateUpdates"]
        .as_array()
        .and_then(|u| u.last())
        .cloned()
        .expect("a state history")
}

/// Lines in the home's outbox journals (none when no journal was ever opened).
fn journaled(home: &Home) -> usize {
    home.files()
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .map(|p| {
            std::fs::read_to_string(p)
                .unwrap_or_default()
                .lines()
                .count()
        })
        .sum()
}

#[test]
fn list_and_get_in_every_format() {
    let e = EmulatorProcess::start(&["--alerts", "10", "--seed", "5"]);
    let home = Home::new("controls-list");
    let run = |args: &[&str]| {
        let r = graphsec(&home, &e.endpoint, TOKEN, args);
        assert!(r.ok, "{args:?}: {}", r.stderr);
        assert_terminal_safe(&format!("{args:?}"), &r.stdout);
        r.stdout
    };

    let all = json(&run(&["controls", "list", "--output", "json"]));
    let items = all.as_array().expect("array");
    assert_eq!(items.len(), 60, "every profile, every page");
    for p in items {
        // Graph's own object: its fields and whole state history, not our row.
        for key in [
            "id",
            "title",
            "controlCategory",
            "maxScore",
            "tier",
            "vendorInformation",
        ] {
            assert!(p.get(key).is_some(), "{key} in {p}");
        }
        assert!(
            p["controlStateUpdates"]
                .as_array()
                .is_some_and(|u| !u.is_empty())
        );
    }
    let first = items[0]["id"].as_str().expect("id").to_owned();

    let nd = run(&["controls", "list", "--output", "ndjson"]);
    let lines: Vec<Value> = nd.lines().map(json).collect();
    assert_eq!(lines.len(), 60);
    assert_eq!(lines[0], items[0]);

    let csv = run(&["controls", "list", "--output", "csv"]);
    let mut rows = csv.lines();
    assert_eq!(
        rows.next(),
        Some(
            "id,title,controlCategory,maxScore,state,tier,implementationCost,userImpact,rank,deprecated"
        )
    );
    let row = rows.next().expect("a row");
    assert!(row.starts_with(&format!("{first},")), "{row}");
    // A new tenant's controls are all in Graph's starting state.
    assert!(row.contains(",Default,"), "{row}");
    assert_eq!(rows.count(), 59);

    let table = run(&["controls", "list"]);
    let mut lines = table.lines();
    assert!(lines.next().is_some_and(|h| h.starts_with("ID ")));
    assert!(lines.next().is_some_and(|r| r.starts_with(&first)));
    assert_eq!(lines.count(), 59);

    let one = json(&run(&["controls", "get", &first, "--output", "json"]));
    assert_eq!(one["id"], first.as_str());
    assert_eq!(one["controlStateUpdates"], items[0]["controlStateUpdates"]);

    let missing = graphsec(
        &home,
        &e.endpoint,
        TOKEN,
        &["controls", "get", "NoSuchControl"],
    );
    assert!(!missing.ok);
    assert!(
        missing.stderr.contains("NoSuchControl"),
        "{}",
        missing.stderr
    );
}

#[test]
fn update_shows_as_the_newest_state_entry() {
    let e = EmulatorProcess::start(&["--alerts", "10", "--seed", "6"]);
    let home = Home::new("controls-write");
    let run = |args: &[&str]| {
        let r = graphsec(&home, &e.endpoint, TOKEN, args);
        assert!(r.ok, "{args:?}: {}", r.stderr);
        r.stdout
    };
    let before = json(&run(&["controls", "list", "--output", "json"]));
    let id = before[0]["id"].as_str().expect("id").to_owned();
    let history = before[0]["controlStateUpdates"]
        .as_array()
        .expect("history")
        .len();

    // The state is matched case-insensitively and sent as Graph spells it.
    let reply = json(&run(&[
        "controls",
        "update",
        &id,
        "--state",
        "thirdparty",
        "--assign",
        "soc@contoso.example",
        "--comment",
        "covered by our EDR",
        "--output",
        "json",
    ]));
    let after = json(&run(&["controls", "list", "--output", "json"]));
    let listed = after
        .as_array()
        .expect("array")
        .iter()
        .find(|p| p["id"] == id.as_str())
        .expect("listed");
    assert_eq!(
        listed["controlStateUpdates"]
            .as_array()
            .expect("history")
            .len(),
        history + 1,
        "one entry appended"
    );
    for entry in [
        newest(&after, &id),
        newest(&json(&format!("[{reply}]")), &id),
    ] {
        assert_eq!(entry["state"], "ThirdParty");
        assert_eq!(entry["comment"], "covered by our EDR");
        assert_eq!(entry["assignedTo"], "soc@contoso.example");
        assert!(entry["updatedDateTime"].is_string(), "{entry}");
    }
    let csv = run(&["controls", "get", &id, "--output", "csv"]);
    assert!(
        csv.lines()
            .nth(1)
            .is_some_and(|r| r.contains(",ThirdParty,")),
        "{csv}"
    );

    // An unknown state is refused with the valid ones, before anything is journaled.
    let lines = journaled(&home);
    assert!(lines > 0, "the update was journaled");
    let bad = graphsec(
        &home,
        &e.endpoint,
        TOKEN,
        &["controls", "update", &id, "--state", "Snoozed"],
    );
    assert!(!bad.ok, "refused");
    for word in ["Snoozed", "Default", "Ignored", "ThirdParty", "Reviewed"] {
        assert!(bad.stderr.contains(word), "{word}: {}", bad.stderr);
    }
    assert_eq!(journaled(&home), lines, "nothing journaled");
    let ro = graphsec(
        &home,
        &e.endpoint,
        TOKEN,
        &[
            "--read-only",
            "controls",
            "update",
            &id,
            "--state",
            "Ignored",
        ],
    );
    assert!(!ro.ok && ro.stderr.contains("read-only"), "{}", ro.stderr);
    assert_eq!(journaled(&home), lines, "nothing journaled");
    let unchanged = json(&run(&["controls", "list", "--output", "json"]));
    assert_eq!(newest(&unchanged, &id)["state"], "ThirdParty");
}

#[test]
fn a_state_change_whose_reply_is_lost_is_appended_once() {
    // Every control PATCH lands and then loses its reply; the outbox must find the new
    // entry on the profile (the GET is not faulted) instead of appending it again.
    let e = EmulatorProcess::start(&[
        "--alerts",
        "10",
        "--seed",
        "7",
        "--fault-rate",
        "1",
        "--fault-kinds",
        "reset-after",
        "--fault-routes",
        "control-patch",
    ]);
    let home = Home::new("controls-once");
    let run = |args: &[&str]| {
        let r = graphsec(&home, &e.endpoint, TOKEN, args);
        assert!(r.ok, "{args:?}: {}", r.stderr);
        r.stdout
    };
    let before = json(&run(&["controls", "list", "--output", "json"]));
    let id = before[0]["id"].as_str().expect("id").to_owned();
    let reply = json(&run(&[
        "controls",
        "update",
        &id,
        "--state",
        "Reviewed",
        "--comment",
        "once only",
        "--output",
        "json",
    ]));
    assert_eq!(
        newest(&json(&format!("[{reply}]")), &id)["comment"],
        "once only"
    );
    let after = json(&run(&["controls", "get", &id, "--output", "json"]));
    let notes: Vec<&Value> = after["controlStateUpdates"]
        .as_array()
        .expect("history")
        .iter()
        .filter(|u| u["comment"] == "once only")
        .collect();
    assert_eq!(notes.len(), 1, "{after}");
    assert_eq!(notes[0]["state"], "Reviewed");
}
