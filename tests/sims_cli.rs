//! `graphsec simulations ...` against a separate `graphsec emulator` process: every
//! subcommand in every format; JSON is Graph's objects as sent, the table's and CSV's
//! rates are those of each simulation's overview, a report's per-user lines are its
//! targets, a simulation that has not run has no report, and nothing printed can drive a
//! terminal (the demo holds an escape sequence and a bidi override).

mod support;

use serde_json::Value;
use support::{EmulatorProcess, Home, Run, assert_terminal_safe, graphsec};

const TOKEN: &str = "sims-cli-token";

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn emulator() -> EmulatorProcess {
    EmulatorProcess::start(&["--alerts", "5", "--now", "2026-11-26T12:00:00Z"])
}

/// Runs and requires success; stdout must be safe for a terminal.
fn ok(home: &Home, e: &EmulatorProcess, args: &[&str]) -> Run {
    let r = graphsec(home, &e.endpoint, TOKEN, args);
    assert!(r.ok, "{args:?}: {}", r.stderr);
    assert_terminal_safe(&format!("{args:?}"), &r.stdout);
    r
}

fn sims(home: &Home, e: &EmulatorProcess) -> Vec<Value> {
    let all = json(&ok(home, e, &["simulations", "list", "--output", "json"]).stdout);
    all.as_array().expect("array").clone()
}

fn event(overview: &Value, name: &str) -> i64 {
    overview["simulationEventsContent"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["eventName"] == name)
        .and_then(|e| e["count"].as_i64())
        .unwrap_or(0)
}

/// The rates the table shows for a simulation, from its overview.
fn rates(sim: &Value) -> Option<(String, String)> {
    let o = sim["report"].get("overview")?;
    let targets = o["resolvedTargetsCount"].as_f64().unwrap();
    let compromise = o["simulationEventsContent"]["compromisedRate"]
        .as_f64()
        .unwrap();
    let reported = event(o, "ReportedEmail") as f64 * 100.0 / targets;
    Some((format!("{compromise:.1} %"), format!("{reported:.1} %")))
}

#[test]
fn list_in_every_format_with_the_overview_rates() {
    let e = emulator();
    let home = Home::new("sims-list");
    let all = sims(&home, &e);
    assert_eq!(all.len(), 12, "every simulation, every page");
    for s in &all {
        for key in [
            "id",
            "displayName",
            "status",
            "attackTechnique",
            "launchDateTime",
        ] {
            assert!(s.get(key).is_some(), "{key} in {s}");
        }
    }
    assert!(
        all.iter()
            .any(|s| s["attackTechnique"] == "oAuthConsentGrant"),
        "the client asks for late enum members"
    );

    let ndjson = ok(&home, &e, &["simulations", "list", "--output", "ndjson"]).stdout;
    assert_eq!(ndjson.lines().count(), 12);
    for line in ndjson.lines() {
        json(line);
    }

    let table = ok(&home, &e, &["simulations", "list"]).stdout;
    let mut lines = table.lines();
    let header = lines.next().unwrap();
    for col in [
        "TECHNIQUE",
        "STATUS",
        "LAUNCHED",
        "COMPLETED",
        "COMPROMISE",
        "REPORTED",
        "NAME",
    ] {
        assert!(header.contains(col), "{col} in {header}");
    }
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 12);
    for s in &all {
        let id = s["id"].as_str().unwrap();
        let row = rows
            .iter()
            .find(|r| r.starts_with(id))
            .expect("a row per simulation");
        match rates(s) {
            Some((compromise, reported)) => {
                assert!(row.contains(&compromise), "{compromise} in {row}");
                assert!(row.contains(&reported), "{reported} in {row}");
            }
            None => {
                assert!(
                    matches!(s["status"].as_str(), Some("draft" | "scheduled")),
                    "{s}"
                );
                assert_eq!(row.matches('—').count(), 2, "no report, no rates: {row}");
            }
        }
    }

    let csv = ok(&home, &e, &["simulations", "list", "--output", "csv"]).stdout;
    let mut rows = csv.lines();
    assert!(
        rows.next()
            .unwrap()
            .starts_with("id,displayName,attackTechnique,status")
    );
    let rows: Vec<&str> = rows.collect();
    assert_eq!(rows.len(), 12);
    for s in all.iter().filter(|s| s["report"].is_object()) {
        let id = s["id"].as_str().unwrap();
        let row = rows.iter().find(|r| r.starts_with(id)).unwrap();
        let targets = s["report"]["overview"]["resolvedTargetsCount"]
            .as_i64()
            .unwrap();
        assert!(row.ends_with(&format!(",{targets}")), "{row}");
    }
}

#[test]
fn get_and_report_in_every_format() {
    let e = emulator();
    let home = Home::new("sims-report");
    let all = sims(&home, &e);
    let run = all
        .iter()
        .filter(|s| s["report"].is_object())
        .max_by_key(|s| s["report"]["simulationUsers"].as_array().unwrap().len())
        .unwrap();
    let id = run["id"].as_str().unwrap();
    let targets = run["report"]["overview"]["resolvedTargetsCount"]
        .as_i64()
        .unwrap() as usize;

    let got = json(&ok(&home, &e, &["simulations", "get", id, "--output", "json"]).stdout);
    assert_eq!(got["id"], id);
    assert_eq!(got["report"], run["report"], "Graph's report, as sent");

    let report = json(
        &ok(
            &home,
            &e,
            &["simulations", "report", id, "--output", "json"],
        )
        .stdout,
    );
    assert_eq!(report, run["report"]);

    let table = ok(&home, &e, &["simulations", "report", id]).stdout;
    let (compromise, reported) = rates(run).unwrap();
    assert!(
        table.contains(&format!("Compromise rate: {compromise}")),
        "{table}"
    );
    assert!(
        table.contains(&format!("Report rate: {reported}")),
        "{table}"
    );
    assert!(table.contains(&format!("Targets: {targets}")), "{table}");
    let users: Vec<&str> = table
        .lines()
        .skip_while(|l| !l.starts_with("USER"))
        .skip(1)
        .collect();
    assert_eq!(users.len(), targets, "one line per target");
    for u in run["report"]["simulationUsers"].as_array().unwrap() {
        let email = u["simulationUser"]["email"].as_str().unwrap();
        assert!(users.iter().any(|l| l.contains(email)), "{email}");
    }

    let csv = ok(&home, &e, &["simulations", "report", id, "--output", "csv"]).stdout;
    assert_eq!(csv.lines().count(), targets + 1);
    let compromised = run["report"]["simulationUsers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["isCompromised"] == true)
        .count();
    assert_eq!(
        csv.lines().filter(|l| l.contains(",true,")).count(),
        compromised
    );
    let ndjson = ok(
        &home,
        &e,
        &["simulations", "report", id, "--output", "ndjson"],
    )
    .stdout;
    assert_eq!(ndjson.lines().count(), targets);

    // The per-user list alone (beta, paged) says the same.
    let users = json(&ok(&home, &e, &["simulations", "users", id, "--output", "json"]).stdout);
    assert_eq!(users, run["report"]["simulationUsers"]);
    let csv = ok(&home, &e, &["simulations", "users", id, "--output", "csv"]).stdout;
    assert_eq!(csv.lines().count(), targets + 1);

    // A draft has no report: a clear error, nothing on stdout.
    let draft = all.iter().find(|s| s["status"] == "draft").unwrap();
    let r = graphsec(
        &home,
        &e.endpoint,
        TOKEN,
        &["simulations", "report", draft["id"].as_str().unwrap()],
    );
    assert!(!r.ok);
    assert!(r.stderr.contains("has no report"), "{}", r.stderr);
    assert!(r.stdout.is_empty());
    let r = graphsec(
        &home,
        &e.endpoint,
        TOKEN,
        &["simulations", "get", "no-such-id"],
    );
    assert!(!r.ok);
    assert!(r.stderr.contains("itemNotFound"), "{}", r.stderr);
}

#[test]
fn hostile_text_is_sanitised_in_tables_and_csv_and_escaped_in_json() {
    let e = emulator();
    let home = Home::new("sims-hostile");
    let all = sims(&home, &e);
    assert!(
        all.iter()
            .any(|s| s["description"].as_str().unwrap().contains('\u{1b}')),
        "the demo carries an escape sequence"
    );
    assert!(
        all.iter()
            .any(|s| s["displayName"].as_str().unwrap().contains('\u{202e}')),
        "the demo carries a bidi override"
    );
    // `ok` checks every format's stdout for characters a terminal would act on.
    for format in ["table", "csv", "json", "ndjson"] {
        ok(&home, &e, &["simulations", "list", "--output", format]);
    }
    let bidi = all
        .iter()
        .find(|s| s["displayName"].as_str().unwrap().contains('\u{202e}'))
        .unwrap();
    ok(
        &home,
        &e,
        &["simulations", "report", bidi["id"].as_str().unwrap()],
    );
}

#[test]
fn tenant_reports_and_trainings_in_every_format() {
    let e = emulator();
    let home = Home::new("sims-tenant");

    let offenders = json(&ok(&home, &e, &["simulations", "offenders", "--output", "json"]).stdout);
    let offenders = offenders.as_array().unwrap();
    assert!(!offenders.is_empty());
    for o in offenders {
        assert!(o["repeatOffenceCount"].as_i64().unwrap() >= 2, "{o}");
    }
    let table = ok(&home, &e, &["simulations", "offenders"]).stdout;
    assert!(table.starts_with("USER"));
    assert_eq!(table.lines().count(), offenders.len() + 1);
    let csv = ok(&home, &e, &["simulations", "offenders", "--output", "csv"]).stdout;
    assert_eq!(
        csv.lines().next(),
        Some("displayName,email,userId,repeatOffenceCount")
    );
    assert_eq!(csv.lines().count(), offenders.len() + 1);

    let coverage = json(&ok(&home, &e, &["simulations", "coverage", "--output", "json"]).stdout);
    let coverage = coverage.as_array().unwrap();
    assert!(coverage.len() > offenders.len());
    for c in coverage {
        assert!(c["simulationCount"].as_i64().unwrap() >= 1);
    }
    let ndjson = ok(
        &home,
        &e,
        &["simulations", "coverage", "--output", "ndjson"],
    )
    .stdout;
    assert_eq!(ndjson.lines().count(), coverage.len());

    let training = json(
        &ok(
            &home,
            &e,
            &["simulations", "coverage", "--training", "--output", "json"],
        )
        .stdout,
    );
    let training = training.as_array().unwrap();
    assert!(!training.is_empty());
    let table = ok(&home, &e, &["simulations", "coverage", "--training"]).stdout;
    assert_eq!(table.lines().count(), training.len() + 1);
    for t in training {
        let done = t["userTrainings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|u| u["trainingStatus"] == "completed")
            .count();
        let all = t["userTrainings"].as_array().unwrap().len();
        let email = t["attackSimulationUser"]["email"].as_str().unwrap();
        let row = table.lines().find(|l| l.contains(email)).unwrap();
        assert!(row.contains(&format!("{done}/{all}")), "{row}");
    }

    let trainings = json(&ok(&home, &e, &["simulations", "trainings", "--output", "json"]).stdout);
    let n = trainings.as_array().unwrap().len();
    assert!(n >= 5);
    let csv = ok(&home, &e, &["simulations", "trainings", "--output", "csv"]).stdout;
    assert_eq!(csv.lines().count(), n + 1);
    let table = ok(&home, &e, &["simulations", "trainings"]).stdout;
    assert!(table.contains("MINUTES"));
    assert_eq!(table.lines().count(), n + 1);
}
