//! `graphsec cases ...` against a separate `graphsec emulator` process: every format lists
//! all cases (JSON as Graph sent them, CSV guarded, tables sanitised), a new case shows up
//! in the list, a second close is refused with Graph's own message, read-only runs send
//! nothing, searches and operations are listed, an estimate is followed to its counts (or
//! its failure), and the client paces itself under eDiscovery's 5 requests a minute.
//!
//! Most emulators here run with `--ediscovery-limit 0`: each command is its own process
//! with its own pacing window, so a test's many quick commands would otherwise be throttled
//! across processes. The pacing test keeps Graph's limit and makes its requests in one run.

mod support;

use serde_json::Value;
use support::{EmulatorProcess, Home, Run, assert_terminal_safe, graphsec};

const TOKEN: &str = "cases-cli-token";

/// A case name a hostile tenant could hold: a formula, a screen clear, a bidi override.
const HOSTILE: &str = "=HYPERLINK(\"http://x\")\u{1b}[2J\u{202e}evil";

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// A single entity as Graph answers it, less the `@odata.context` a list item has not got.
fn entity(text: &str) -> Value {
    let mut v = json(text);
    v.as_object_mut()
        .expect("an object")
        .remove("@odata.context");
    v
}

fn unthrottled(extra: &[&str]) -> EmulatorProcess {
    let mut args = vec!["--alerts", "5", "--ediscovery-limit", "0"];
    args.extend_from_slice(extra);
    EmulatorProcess::start(&args)
}

/// Runs and requires success; stdout must be safe for a terminal.
fn ok(home: &Home, e: &EmulatorProcess, args: &[&str]) -> Run {
    let r = graphsec(home, &e.endpoint, TOKEN, args);
    assert!(r.ok, "{args:?}: {}", r.stderr);
    assert_terminal_safe(&format!("{args:?}"), &r.stdout);
    r
}

fn cases(home: &Home, e: &EmulatorProcess) -> Vec<Value> {
    let all = json(&ok(home, e, &["cases", "list", "--output", "json"]).stdout);
    all.as_array().expect("array").clone()
}

/// The first active case and its first search.
fn active_case_and_search(home: &Home, e: &EmulatorProcess) -> (String, String) {
    let case = cases(home, e)
        .into_iter()
        .find(|c| c["status"] == "active")
        .expect("an active case");
    let id = case["id"].as_str().expect("id").to_owned();
    let searches = json(&ok(home, e, &["cases", "searches", &id, "--output", "json"]).stdout);
    let search = searches[0]["id"].as_str().expect("a search").to_owned();
    (id, search)
}

#[test]
fn list_get_and_create_in_every_format() {
    let e = unthrottled(&["--seed", "11"]);
    let home = Home::new("cases-list");

    let before = cases(&home, &e);
    assert_eq!(before.len(), 15, "every seeded case, every page");
    for c in &before {
        // Graph's own object, not our row.
        for key in ["id", "displayName", "status", "createdDateTime", "closedBy"] {
            assert!(c.get(key).is_some(), "{key} in {c}");
        }
    }

    let created = entity(
        &ok(
            &home,
            &e,
            &[
                "cases",
                "create",
                "--name",
                HOSTILE,
                "--description",
                "made by a test",
                "--output",
                "json",
            ],
        )
        .stdout,
    );
    assert_eq!(created["displayName"], HOSTILE, "JSON keeps Graph's value");
    assert_eq!(created["description"], "made by a test");
    let new_id = created["id"].as_str().expect("id").to_owned();

    let after = cases(&home, &e);
    assert_eq!(after.len(), 16);
    let listed = after
        .iter()
        .find(|c| c["id"] == new_id.as_str())
        .expect("the new case is listed");
    assert_eq!(listed, &created);

    let nd = ok(&home, &e, &["cases", "list", "--output", "ndjson"]).stdout;
    let lines: Vec<Value> = nd.lines().map(json).collect();
    assert_eq!(lines, after);

    let csv = ok(&home, &e, &["cases", "list", "--output", "csv"]).stdout;
    let mut rows = csv.lines();
    assert_eq!(
        rows.next(),
        Some("id,displayName,status,createdDateTime,lastModifiedDateTime,closedBy,closedDateTime")
    );
    let rows: Vec<&str> = rows.collect();
    assert_eq!(rows.len(), 16);
    let hostile = rows
        .iter()
        .find(|r| r.starts_with(&format!("{new_id},")))
        .expect("the new case's row");
    assert!(
        hostile.starts_with(&format!("{new_id},\"'=HYPERLINK")),
        "formula guarded: {hostile}"
    );
    assert!(hostile.contains(",active,"), "{hostile}");
    // A closed seeded case names who closed it.
    let closed = before
        .iter()
        .find(|c| c["status"] == "closed")
        .expect("a closed case");
    let closed_row = rows
        .iter()
        .find(|r| r.starts_with(closed["id"].as_str().unwrap()))
        .expect("its row");
    let closer = closed["closedBy"]["user"]["displayName"].as_str().unwrap();
    assert!(closed_row.contains(closer), "{closed_row}");

    let table = ok(&home, &e, &["cases", "list"]).stdout;
    let mut lines = table.lines();
    assert!(lines.next().is_some_and(|h| h.starts_with("ID ")));
    let lines: Vec<&str> = lines.collect();
    assert_eq!(lines.len(), 16);
    let row = lines
        .iter()
        .find(|l| l.starts_with(&new_id))
        .expect("the new case in the table");
    assert!(row.contains("=HYPERLINK") && row.ends_with("evil"), "{row}");

    let one = entity(&ok(&home, &e, &["cases", "get", &new_id, "--output", "json"]).stdout);
    assert_eq!(one, created);
    let one = ok(&home, &e, &["cases", "get", &new_id]).stdout;
    assert_eq!(one.lines().count(), 2, "header and one row: {one}");

    let missing = graphsec(&home, &e.endpoint, TOKEN, &["cases", "get", "no-such-case"]);
    assert_eq!(missing.code, Some(1));
    assert!(
        missing.stderr.contains("no-such-case"),
        "{}",
        missing.stderr
    );
}

#[test]
fn close_twice_is_refused_with_graphs_message_and_reopen_works() {
    let e = unthrottled(&["--seed", "12"]);
    let home = Home::new("cases-close");
    let created = json(
        &ok(
            &home,
            &e,
            &["cases", "create", "--name", "Close me", "--output", "json"],
        )
        .stdout,
    );
    let id = created["id"].as_str().expect("id").to_owned();

    let closed = ok(&home, &e, &["cases", "close", &id]);
    assert!(closed.stdout.is_empty(), "{}", closed.stdout);
    assert!(closed.stderr.contains("closed case"), "{}", closed.stderr);
    let status = |home: &Home| {
        json(&ok(home, &e, &["cases", "get", &id, "--output", "json"]).stdout)["status"].clone()
    };
    assert_eq!(status(&home), "closed");

    let again = graphsec(&home, &e.endpoint, TOKEN, &["cases", "close", &id]);
    assert_eq!(again.code, Some(1), "{}", again.stderr);
    assert!(
        again
            .stderr
            .contains("The case cannot be closed: it is closed."),
        "Graph's own message: {}",
        again.stderr
    );
    assert_eq!(again.stderr.lines().count(), 1, "{}", again.stderr);

    let reopened = ok(&home, &e, &["cases", "reopen", &id]);
    assert!(
        reopened.stderr.contains("reopened case"),
        "{}",
        reopened.stderr
    );
    assert_eq!(status(&home), "active");
}

#[test]
fn read_only_runs_refuse_every_change() {
    let e = unthrottled(&["--seed", "13"]);
    let home = Home::new("cases-ro");
    let (case, search) = active_case_and_search(&home, &e);
    let operations = |home: &Home| {
        let ops = json(
            &ok(
                home,
                &e,
                &["cases", "operations", &case, "--output", "json"],
            )
            .stdout,
        );
        ops.as_array().expect("array").len()
    };
    let seeded = operations(&home);
    let writes: [&[&str]; 4] = [
        &["cases", "create", "--name", "nope"],
        &["cases", "close", &case],
        &["cases", "reopen", &case],
        &["cases", "estimate", &case, &search],
    ];
    for args in writes {
        let mut flagged = vec!["--read-only"];
        flagged.extend_from_slice(args);
        let r = graphsec(&home, &e.endpoint, TOKEN, &flagged);
        assert_eq!(r.code, Some(1), "{flagged:?}");
        assert!(r.stderr.contains("read-only"), "{flagged:?}: {}", r.stderr);
    }
    // A read_only profile refuses the same way.
    let dir = home.0.join("config").join("graphsec");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        "default_profile = \"lab\"\n[profiles.lab]\nread_only = true\n",
    )
    .unwrap();
    let r = graphsec(&home, &e.endpoint, TOKEN, &["cases", "close", &case]);
    assert_eq!(r.code, Some(1));
    assert!(r.stderr.contains("read-only"), "{}", r.stderr);
    // Reads still work, and nothing changed.
    let after = cases(&home, &e);
    assert_eq!(after.len(), 15, "no case created");
    let c = after.iter().find(|c| c["id"] == case.as_str()).unwrap();
    assert_eq!(c["status"], "active");
    assert_eq!(operations(&home), seeded, "no estimate started");
}

#[test]
fn searches_and_operations_are_listed() {
    let e = unthrottled(&["--seed", "14"]);
    let home = Home::new("cases-children");
    let (case, search) = active_case_and_search(&home, &e);

    let searches = json(&ok(&home, &e, &["cases", "searches", &case, "--output", "json"]).stdout);
    let first = &searches[0];
    assert_eq!(first["id"], search.as_str());
    let csv = ok(&home, &e, &["cases", "searches", &case, "--output", "csv"]).stdout;
    let mut rows = csv.lines();
    assert_eq!(
        rows.next(),
        Some("id,displayName,contentQuery,createdDateTime,estimateStatus,indexedItemCount")
    );
    let row = rows.next().expect("a row");
    assert!(
        row.starts_with(&format!(
            "{search},{},",
            first["displayName"].as_str().unwrap()
        )),
        "{row}"
    );
    assert_eq!(rows.count() + 1, searches.as_array().unwrap().len());
    let table = ok(&home, &e, &["cases", "searches", &case]).stdout;
    assert!(table.lines().next().unwrap().starts_with("ID "));
    assert!(table.contains(&search));

    let ops = json(
        &ok(
            &home,
            &e,
            &["cases", "operations", &case, "--output", "json"],
        )
        .stdout,
    );
    let ops = ops.as_array().expect("array");
    assert!(!ops.is_empty());
    assert!(ops.iter().all(|o| o.get("action").is_some()));
    let csv = ok(
        &home,
        &e,
        &["cases", "operations", &case, "--output", "csv"],
    )
    .stdout;
    let mut rows = csv.lines();
    assert_eq!(
        rows.next(),
        Some("id,action,status,percentProgress,createdDateTime,completedDateTime,createdBy")
    );
    let row = rows.next().expect("a row");
    assert!(
        row.starts_with(&format!(
            "{},{},{},",
            ops[0]["id"].as_str().unwrap(),
            ops[0]["action"].as_str().unwrap(),
            ops[0]["status"].as_str().unwrap()
        )),
        "{row}"
    );
    let table = ok(&home, &e, &["cases", "operations", &case]).stdout;
    assert_eq!(table.lines().count(), ops.len() + 1);
}

#[test]
fn estimate_without_wait_prints_where_to_follow_it() {
    let e = unthrottled(&["--seed", "15"]);
    let home = Home::new("cases-estimate");
    let (case, search) = active_case_and_search(&home, &e);

    let r = ok(
        &home,
        &e,
        &["cases", "estimate", &case, &search, "--output", "json"],
    );
    let v = json(&r.stdout);
    let op = v["operationId"].as_str().expect("operationId").to_owned();
    let location = v["location"].as_str().expect("location");
    assert!(
        location.starts_with(&e.endpoint) && location.ends_with(&format!("operations('{op}')")),
        "{location}"
    );
    assert_eq!(v["status"], "accepted");
    assert!(r.stderr.contains(&op), "{}", r.stderr);

    let table = ok(&home, &e, &["cases", "estimate", &case, &search]).stdout;
    let mut lines = table.lines();
    assert!(lines.next().unwrap().starts_with("OPERATION"));
    let row = lines.next().expect("one row");
    assert!(
        row.contains("accepted") && row.contains("/operations('"),
        "{row}"
    );
    assert_eq!(lines.count(), 0);

    // The operation is the case's now.
    let ops = json(
        &ok(
            &home,
            &e,
            &["cases", "operations", &case, "--output", "json"],
        )
        .stdout,
    );
    assert!(
        ops.as_array()
            .unwrap()
            .iter()
            .any(|o| o["id"] == op.as_str() && o["action"] == "estimateStatistics"),
        "{ops}"
    );
}

#[test]
fn estimate_wait_ends_with_the_counts() {
    let e = unthrottled(&["--seed", "16", "--estimate-secs", "2"]);
    let home = Home::new("cases-wait");
    let (case, search) = active_case_and_search(&home, &e);
    let r = graphsec(
        &home,
        &e.endpoint,
        TOKEN,
        &[
            "cases", "estimate", &case, &search, "--wait", "--output", "json",
        ],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let op = json(&r.stdout);
    assert_eq!(op["status"], "succeeded");
    for key in [
        "indexedItemCount",
        "indexedItemsSize",
        "mailboxCount",
        "siteCount",
        "unindexedItemCount",
        "unindexedItemsSize",
    ] {
        assert!(op[key].is_number(), "{key} in {op}");
    }
    assert!(r.stderr.contains("Ctrl-C stops waiting"), "{}", r.stderr);
    assert!(r.stderr.contains("next check in 15 s"), "{}", r.stderr);

    // The finished estimate is among the case's operations.
    let csv = ok(
        &home,
        &e,
        &["cases", "operations", &case, "--output", "csv"],
    )
    .stdout;
    assert!(
        csv.lines().any(|l| l.starts_with(&format!(
            "{},estimateStatistics,succeeded,100,",
            op["id"].as_str().unwrap()
        ))),
        "{csv}"
    );
}

#[test]
fn a_failed_estimate_exits_1_with_graphs_reason() {
    let e = unthrottled(&["--seed", "17", "--estimate-secs", "2", "--fail-estimates"]);
    let home = Home::new("cases-fail");
    let (case, search) = active_case_and_search(&home, &e);
    let r = graphsec(
        &home,
        &e.endpoint,
        TOKEN,
        &["cases", "estimate", &case, &search, "--wait"],
    );
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("The estimate could not be completed: a data source did not answer."),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("failed"), "{}", r.stderr);
    // The operation is still printed, for scripts.
    assert!(
        r.stdout
            .lines()
            .nth(1)
            .is_some_and(|l| l.contains("failed")),
        "{}",
        r.stdout
    );
}

#[test]
fn the_client_paces_itself_under_graphs_limit() {
    // Graph's own limit (5 a minute per token), and pages of 2: listing 15 cases takes 8
    // requests in one run, so the sixth must wait for the window rather than meet a 429.
    let e = EmulatorProcess::start(&[
        "--alerts",
        "5",
        "--seed",
        "18",
        "--ediscovery-limit",
        "5",
        "--page-size",
        "2",
    ]);
    let home = Home::new("cases-pacing");
    let started = std::time::Instant::now();
    let r = ok(&home, &e, &["cases", "list", "--output", "json"]);
    let took = started.elapsed();
    assert_eq!(json(&r.stdout).as_array().unwrap().len(), 15);
    assert!(
        took >= std::time::Duration::from_secs(55),
        "paced to 5 a minute: {took:?}"
    );
    // The user was told why nothing happened for a minute.
    assert!(
        r.stderr.contains("waiting") && r.stderr.contains("5 requests a minute"),
        "{}",
        r.stderr
    );
    // Every reply the client logged was a 200: none was throttled.
    let log = home.log();
    let replies: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("graph reply") && l.contains("ediscoveryCases"))
        .collect();
    assert_eq!(replies.len(), 8, "one reply a page:\n{log}");
    assert!(replies.iter().all(|l| l.contains("status=200")), "{log}");
    assert!(!log.contains("status=429"), "{log}");
}

#[test]
fn ctrl_c_stops_waiting_and_leaves_the_estimate_running() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let e = unthrottled(&["--seed", "19", "--estimate-secs", "600"]);
    let home = Home::new("cases-ctrlc");
    let (case, search) = active_case_and_search(&home, &e);
    let mut child = support::command(&home.0, &e.endpoint, TOKEN)
        .args(["cases", "estimate", &case, &search, "--wait"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start graphsec");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let mut first = String::new();
    stderr.read_line(&mut first).expect("a line");
    assert!(first.contains("Ctrl-C stops waiting"), "{first}");
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(sent.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).expect("stderr");
    let status = child.wait().expect("exit");
    assert_eq!(status.code(), Some(130), "{rest}");
    assert!(
        rest.contains("stopped waiting") && rest.contains("keeps running at Graph"),
        "{rest}"
    );
    // Graph still has it, unfinished.
    let ops = json(
        &ok(
            &home,
            &e,
            &["cases", "operations", &case, "--output", "json"],
        )
        .stdout,
    );
    let op_id = first
        .split_whitespace()
        .nth(2)
        .expect("the operation id")
        .trim_end_matches(';');
    let op = ops
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == op_id)
        .unwrap_or_else(|| panic!("{op_id} in {ops}"));
    assert_ne!(op["status"], "succeeded");
}
