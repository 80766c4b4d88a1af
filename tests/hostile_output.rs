//! Hostile Graph text through every headless output, with the real binary against
//! `graphsec emulator --hostile` over loopback: table and CSV are sanitised (and CSV cells
//! never start a formula), JSON keeps the exact values with dangerous characters escaped,
//! error messages and the log file hold nothing a terminal would act on.

mod support;

use graphsec::sanitize::is_dangerous;
use serde_json::Value;
use support::{EmulatorProcess, Home, assert_terminal_safe, graphsec};

const TOKEN: &str = "hostile-output-token";

/// A value that attacks a terminal or a spreadsheet: control, bidi or zero-width
/// characters, overlong, or a formula.
fn hostile(s: &str) -> bool {
    s.chars().any(is_dangerous) || s.chars().count() >= 1_000 || s.starts_with(['=', '+', '-', '@'])
}

/// Every string inside `v`.
fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(o) => o.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

/// Splits one CSV record (RFC 4180 quoting; records never span lines in our output).
fn csv_cells(line: &str) -> Vec<String> {
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => cells.push(std::mem::take(&mut cell)),
            (c, _) => cell.push(c),
        }
    }
    cells.push(cell);
    cells
}

#[test]
fn hostile_alerts_are_safe_in_every_headless_output() {
    let emu = EmulatorProcess::start(&["--alerts", "30", "--seed", "3", "--hostile"]);
    let home = Home::new("hostile-output");
    let run = |args: &[&str]| graphsec(&home, &emu.endpoint, TOKEN, args);

    // JSON: the exact values, with every dangerous character escaped.
    let json = run(&["alerts", "list", "--output", "json"]);
    assert!(json.ok, "{}", json.stderr);
    assert_terminal_safe("list --output json", &json.stdout);
    let alerts: Vec<Value> = serde_json::from_str(&json.stdout).expect("JSON output parses");
    let hostile_alerts: Vec<&Value> = alerts
        .iter()
        .filter(|a| {
            a["id"]
                .as_str()
                .is_some_and(|id| id.starts_with("hostile-"))
        })
        .collect();
    assert_eq!(hostile_alerts.len(), 6);

    // The fixture really is hostile in every displayed field, in every hostile alert.
    for a in &hostile_alerts {
        let field = |path: &str| -> String {
            a.pointer(path)
                .and_then(Value::as_str)
                .unwrap_or_else(|| panic!("{path} missing in {}", a["id"]))
                .to_owned()
        };
        for path in [
            "/id",
            "/title",
            "/description",
            "/recommendedActions",
            "/assignedTo",
            "/category",
            "/categories/0",
            "/mitreTechniques/0",
            "/productName",
            "/actorDisplayName",
            "/threatFamilyName",
            "/detectorId",
            "/providerAlertId",
            "/incidentId",
            "/tenantId",
            "/alertWebUrl",
            "/incidentWebUrl",
            "/comments/0/comment",
            "/comments/0/createdByDisplayName",
        ] {
            assert!(hostile(&field(path)), "{path} of {} is harmless", a["id"]);
        }
        let mut evidence = Vec::new();
        strings(&a["evidence"], &mut evidence);
        assert!(
            evidence.iter().filter(|s| hostile(s)).count() >= 2,
            "evidence of {} is harmless",
            a["id"]
        );
    }
    let ids: Vec<String> = hostile_alerts
        .iter()
        .filter_map(|a| a["id"].as_str().map(str::to_owned))
        .collect();
    assert!(
        ids.iter().any(|id| id.contains('\u{1b}')),
        "values are kept, not cleaned"
    );

    let ndjson = run(&["alerts", "list", "--output", "ndjson"]);
    assert!(ndjson.ok);
    assert_terminal_safe("list --output ndjson", &ndjson.stdout);
    assert_eq!(ndjson.stdout.lines().count(), alerts.len());

    // Table: one sanitised line per alert, long values capped.
    let table = run(&["alerts", "list", "--output", "table"]);
    assert!(table.ok, "{}", table.stderr);
    assert_terminal_safe("list --output table", &table.stdout);
    assert_eq!(table.stdout.lines().count(), alerts.len() + 1);
    for line in table.stdout.lines() {
        assert!(line.chars().count() < 1_400, "uncapped line: {line:.80}…");
    }
    assert_eq!(table.stdout.matches("hostile-").count(), 6);

    // CSV: one record per line, every cell sanitised and no cell starting a formula.
    let csv = run(&["alerts", "list", "--output", "csv"]);
    assert!(csv.ok, "{}", csv.stderr);
    assert_terminal_safe("list --output csv", &csv.stdout);
    assert_eq!(csv.stdout.lines().count(), alerts.len() + 1);
    for line in csv.stdout.lines() {
        for cell in csv_cells(line) {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '|', '%']),
                "formula cell {cell:.60}"
            );
        }
    }
    assert!(csv.stdout.contains("'=HYPERLINK("), "formula kept as text");

    // One alert at a time: get, update and comment replies in table and CSV. (An id with a
    // NUL cannot be an argument; that alert is covered by the list outputs above.)
    for id in ids.iter().filter(|id| !id.contains('\0')) {
        for format in ["table", "csv", "json"] {
            let got = run(&["alerts", "get", id, "--output", format]);
            assert!(got.ok, "get {id:?}: {}", got.stderr);
            assert_terminal_safe(&format!("get --output {format}"), &got.stdout);
            assert!(got.stdout.contains("hostile-"));
        }
        let updated = run(&[
            "alerts",
            "update",
            id,
            "--status",
            "inProgress",
            "--output",
            "table",
        ]);
        assert!(updated.ok, "update {id:?}: {}", updated.stderr);
        assert_terminal_safe("update --output table", &updated.stdout);
        for format in ["table", "csv", "ndjson"] {
            let commented = run(&[
                "alerts",
                "comment",
                id,
                "reply \u{1b}]52;c;ZXZpbA==\u{7} \u{202e}gpj.exe \u{200b}",
                "--output",
                format,
            ]);
            assert!(commented.ok, "comment {id:?}: {}", commented.stderr);
            assert_terminal_safe(&format!("comment --output {format}"), &commented.stdout);
            assert!(commented.stdout.contains("comment"), "{}", commented.stdout);
        }
    }

    // Errors quoting hostile text: a 404 naming a hostile id, a 400 quoting a hostile value.
    let missing = run(&[
        "alerts",
        "get",
        "nope\u{1b}]52;c;ZXZpbA==\u{7}\u{202e}\u{9b}2J",
    ]);
    assert!(!missing.ok);
    assert!(missing.stderr.contains("404"), "{}", missing.stderr);
    assert_terminal_safe("404 on stderr", &missing.stderr);
    let bad = run(&[
        "alerts",
        "list",
        "--filter",
        "severity eq 'x\u{1b}[2J\u{202e}'",
    ]);
    assert!(!bad.ok);
    assert!(bad.stderr.contains("400"), "{}", bad.stderr);
    assert_terminal_safe("400 on stderr", &bad.stderr);

    // The log file saw all of it (at trace level) and holds nothing a terminal acts on.
    let log = home.log();
    assert!(log.contains("404"), "the failure was logged:\n{log:.2000}");
    assert_terminal_safe("log file", &log);
}
