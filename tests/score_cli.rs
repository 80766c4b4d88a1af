//! `graphsec score` against the emulator in a child process: every format, `--days`.

mod support;

use serde_json::Value;
use support::{EmulatorProcess, Home, assert_terminal_safe, graphsec};

const TOKEN: &str = "score-cli-token";

#[test]
fn score_in_every_format() {
    let e = EmulatorProcess::start(&["--alerts", "20", "--seed", "5"]);
    let home = Home::new("score-cli");
    let run = |args: &[&str]| {
        let r = graphsec(&home, &e.endpoint, TOKEN, args);
        assert!(r.ok, "{args:?}: {}", r.stderr);
        assert_terminal_safe(&format!("{args:?}"), &r.stdout);
        r.stdout
    };

    let all: Value = serde_json::from_str(&run(&["score", "--output", "json"])).expect("JSON");
    let all = all.as_array().expect("array");
    assert!(all.len() > 80, "every page is followed: {}", all.len());

    let nd = run(&["score", "--days", "5", "--output", "ndjson"]);
    let lines: Vec<Value> = nd
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 5);
    assert_eq!(lines[0]["id"], all[0]["id"], "newest first");

    let csv = run(&["score", "--days", "3", "--output", "csv"]);
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows[0], "date,currentScore,maxScore,percentage,id");
    assert_eq!(rows.len(), 4);
    let cells: Vec<&str> = rows[1].split(',').collect();
    let (current, max): (f64, f64) = (cells[1].parse().unwrap(), cells[2].parse().unwrap());
    assert_eq!(Some(current), all[0]["currentScore"].as_f64());
    assert_eq!(Some(max), all[0]["maxScore"].as_f64());
    let pct: f64 = cells[3].parse().unwrap();
    assert!((pct - current * 100.0 / max).abs() < 0.051, "{pct}");
    assert_eq!(cells[0], &all[0]["createdDateTime"].as_str().unwrap()[..10]);

    let table = run(&["score", "--days", "2", "--output", "table"]);
    let mut lines = table.lines();
    assert!(lines.next().unwrap().starts_with("DATE"));
    let row = lines.next().unwrap();
    assert!(row.contains('%') && row.contains(cells[0]), "{row}");
    assert_eq!(lines.count(), 1);
}
