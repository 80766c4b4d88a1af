//! `graphsec assessments ...` against a separate `graphsec emulator` process: the list in
//! every format (JSON as Graph sent it with the results, CSV guarded, tables sanitised over
//! the seeded hostile strings), one request with its results, each kind submitted (and
//! waited for to its verdict), bad input and files refused before anything is sent, a
//! second submission of the same URL refused with the limit named, and read-only runs.

mod support;

use serde_json::Value;
use support::{EmulatorProcess, Home, Run, assert_terminal_safe, graphsec};

const TOKEN: &str = "assess-cli-token";
const SEEDED: usize = graphsec::emulator::assess::DEMO_REQUESTS;

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Assessments finish a second after they are made, so `--wait` has little to wait for.
fn emulator() -> EmulatorProcess {
    EmulatorProcess::start(&["--alerts", "5", "--assessment-secs", "1"])
}

/// Runs and requires success; stdout must be safe for a terminal.
fn ok(home: &Home, e: &EmulatorProcess, args: &[&str]) -> Run {
    let r = graphsec(home, &e.endpoint, TOKEN, args);
    assert!(r.ok, "{args:?}: {}", r.stderr);
    assert_terminal_safe(&format!("{args:?}"), &r.stdout);
    r
}

/// Runs and requires failure.
fn fails(home: &Home, e: &EmulatorProcess, args: &[&str]) -> Run {
    let r = graphsec(home, &e.endpoint, TOKEN, args);
    assert!(!r.ok, "{args:?} should fail: {}", r.stdout);
    assert_terminal_safe(&format!("{args:?} stderr"), &r.stderr);
    r
}

fn all(home: &Home, e: &EmulatorProcess) -> Vec<Value> {
    json(&ok(home, e, &["assessments", "list", "--output", "json"]).stdout)
        .as_array()
        .expect("array")
        .clone()
}

#[test]
fn list_in_every_format() {
    let e = emulator();
    let home = Home::new("assess-list");
    let items = all(&home, &e);
    assert_eq!(items.len(), SEEDED, "every seeded request, every page");
    for a in &items {
        for key in [
            "@odata.type",
            "id",
            "contentType",
            "status",
            "createdDateTime",
        ] {
            assert!(a.get(key).is_some(), "{key} in {a}");
        }
        // The list asks for the results.
        assert!(a["results"].is_array(), "{a}");
    }

    let nd = ok(&home, &e, &["assessments", "list", "--output", "ndjson"]).stdout;
    let lines: Vec<Value> = nd.lines().map(json).collect();
    assert_eq!(lines, items);

    let csv = ok(&home, &e, &["assessments", "list", "--output", "csv"]).stdout;
    let mut rows = csv.lines();
    assert_eq!(
        rows.next(),
        Some("id,kind,category,expectedAssessment,content,status,createdDateTime,verdicts")
    );
    assert_eq!(rows.count(), SEEDED);

    // The table: kinds, content, verdicts; the seeded bidi URL and escape sequences are
    // made harmless (checked by `ok`).
    let table = ok(&home, &e, &["assessments", "list"]).stdout;
    let mut lines = table.lines();
    let header = lines.next().unwrap();
    for col in [
        "KIND", "CATEGORY", "STATUS", "CREATED", "VERDICT", "CONTENT",
    ] {
        assert!(header.contains(col), "{header}");
    }
    assert_eq!(lines.count(), SEEDED);
    for want in [
        "url",
        "mail",
        "email file",
        "file",
        "Phishing",
        "pending",
        "invoice-2026-11.pdf.exe",
    ] {
        assert!(table.contains(want), "{want} in\n{table}");
    }

    let pending = json(
        &ok(
            &home,
            &e,
            &[
                "assessments",
                "list",
                "--filter",
                "status eq 'pending'",
                "--output",
                "json",
            ],
        )
        .stdout,
    );
    assert!(!pending.as_array().unwrap().is_empty());
    assert!(
        pending
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["status"] == "pending")
    );
    let two = ok(
        &home,
        &e,
        &["assessments", "list", "--max", "2", "--output", "ndjson"],
    )
    .stdout;
    assert_eq!(two.lines().count(), 2);
}

#[test]
fn get_shows_the_results() {
    let e = emulator();
    let home = Home::new("assess-get");
    let hostile = all(&home, &e)
        .into_iter()
        .find(|a| a["fileName"] == "quarterly-report.docm")
        .expect("the seeded request with a hostile policy message");
    let id = hostile["id"].as_str().unwrap();
    let one = json(&ok(&home, &e, &["assessments", "get", id, "--output", "json"]).stdout);
    assert_eq!(one["id"], id);
    assert_eq!(one["results"].as_array().unwrap().len(), 2);
    // JSON keeps Graph's value (escaped for the terminal, decoding to the same string).
    assert!(
        one["results"][0]["message"]
            .as_str()
            .unwrap()
            .contains('\u{1b}')
    );
    let table = ok(&home, &e, &["assessments", "get", id]).stdout;
    assert!(
        table.contains("checkPolicy") && table.contains("rescan"),
        "{table}"
    );
    assert!(table.contains("Malware"), "{table}");

    let r = fails(&home, &e, &["assessments", "get", "no-such-request"]);
    assert!(
        r.stderr.contains("404") && r.stderr.contains("itemNotFound"),
        "{}",
        r.stderr
    );
}

#[test]
fn submit_a_url_and_wait_for_the_verdict() {
    let e = emulator();
    let home = Home::new("assess-url");
    let made = json(
        &ok(
            &home,
            &e,
            &[
                "assessments",
                "submit-url",
                "https://login.contoso-payroll.example/verify",
                "--category",
                "phishing",
                "--output",
                "json",
            ],
        )
        .stdout,
    );
    assert_eq!(made["status"], "pending");
    assert_eq!(made["expectedAssessment"], "block", "the default");
    assert_eq!(all(&home, &e).len(), SEEDED + 1);

    let r = ok(
        &home,
        &e,
        &[
            "assessments",
            "submit-url",
            "https://verify.fabrikam.example/",
            "--category",
            "phishing",
            "--expect",
            "unblock",
            "--wait",
            "--output",
            "json",
        ],
    );
    let done = json(&r.stdout);
    assert_eq!(done["status"], "completed");
    assert_eq!(done["expectedAssessment"], "unblock");
    let verdict: Vec<&str> = done["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["resultType"] == "rescan")
        .map(|r| r["message"].as_str().unwrap())
        .collect();
    assert_eq!(verdict, ["Phishing"]);
    assert!(r.stderr.contains("completed: Phishing"), "{}", r.stderr);
}

#[test]
fn submit_a_mail() {
    let e = emulator();
    let home = Home::new("assess-mail");
    let uri = "https://graph.microsoft.com/v1.0/users/c52ce8db-3e4b-4181-93c4-7d6b6bffaf60/messages/AAMkADU3MWUxOTU0LWNlOTEt=";
    let made = json(
        &ok(
            &home,
            &e,
            &[
                "assessments",
                "submit-mail",
                "--message-uri",
                uri,
                "--recipient",
                "AdeleV@contoso.com",
                "--category",
                "spam",
                "--output",
                "json",
            ],
        )
        .stdout,
    );
    assert_eq!(
        made["@odata.type"],
        "#microsoft.graph.mailAssessmentRequest"
    );
    assert_eq!(made["messageUri"], uri);
    assert_eq!(made["recipientEmail"], "AdeleV@contoso.com");
}

#[test]
fn submit_a_file_and_an_eml() {
    let e = emulator();
    let home = Home::new("assess-file");
    let path = home.0.join("eicar.com");
    std::fs::write(&path, graphsec::emulator::assess::EICAR).unwrap();
    let r = ok(
        &home,
        &e,
        &[
            "assessments",
            "submit-file",
            path.to_str().unwrap(),
            "--category",
            "malware",
            "--wait",
        ],
    );
    // The table: the row, then the results.
    assert!(r.stdout.contains("eicar.com"), "{}", r.stdout);
    assert!(r.stdout.contains("Malware"), "{}", r.stdout);
    assert!(r.stdout.contains("RESULT"), "{}", r.stdout);

    let eml = home.0.join("message.eml");
    std::fs::write(
        &eml,
        "Subject: Please verify your account\r\n\r\nClick here.",
    )
    .unwrap();
    let made = json(
        &ok(
            &home,
            &e,
            &[
                "assessments",
                "submit-file",
                eml.to_str().unwrap(),
                "--eml",
                "--recipient",
                "MeganB@contoso.com",
                "--category",
                "phishing",
                "--output",
                "json",
            ],
        )
        .stdout,
    );
    assert_eq!(
        made["@odata.type"],
        "#microsoft.graph.emailFileAssessmentRequest"
    );
    assert_eq!(made["recipientEmail"], "MeganB@contoso.com");
    assert_eq!(made["contentData"], "", "Graph does not echo the content");
    // --eml needs --recipient (and --recipient means --eml).
    let r = fails(
        &home,
        &e,
        &[
            "assessments",
            "submit-file",
            eml.to_str().unwrap(),
            "--eml",
            "--category",
            "phishing",
        ],
    );
    assert!(r.stderr.contains("--recipient"), "{}", r.stderr);
}

#[test]
fn a_missing_file_is_refused_with_nothing_sent() {
    let e = emulator();
    let home = Home::new("assess-missing");
    let path = home.0.join("not-there.bin");
    let r = fails(
        &home,
        &e,
        &[
            "assessments",
            "submit-file",
            path.to_str().unwrap(),
            "--category",
            "malware",
        ],
    );
    assert!(r.stderr.contains("no file named"), "{}", r.stderr);
    assert_eq!(all(&home, &e).len(), SEEDED, "nothing was submitted");
}

#[test]
fn a_file_too_big_is_refused_with_nothing_sent() {
    let e = emulator();
    let home = Home::new("assess-big");
    let path = home.0.join("big.bin");
    let limit = graphsec::assess_file::MAX_FILE_BYTES as usize;
    std::fs::write(&path, vec![b'x'; limit + 1]).unwrap();
    let r = fails(
        &home,
        &e,
        &[
            "assessments",
            "submit-file",
            path.to_str().unwrap(),
            "--category",
            "malware",
        ],
    );
    assert!(
        r.stderr.contains(&format!("up to {limit} bytes")),
        "{}",
        r.stderr
    );
    assert_eq!(all(&home, &e).len(), SEEDED, "nothing was submitted");
}

#[test]
fn bad_input_is_refused_before_anything_is_sent() {
    let e = emulator();
    let home = Home::new("assess-bad");
    for (args, needle) in [
        (
            vec![
                "assessments",
                "submit-url",
                "example.com/x",
                "--category",
                "phishing",
            ],
            "not an absolute http or https URL",
        ),
        (
            vec![
                "assessments",
                "submit-mail",
                "--message-uri",
                "AAMk=",
                "--recipient",
                "a@contoso.com",
                "--category",
                "spam",
            ],
            "not a Graph message URL",
        ),
        (
            vec![
                "assessments",
                "submit-mail",
                "--message-uri",
                "https://graph.microsoft.com/v1.0/me/messages/m",
                "--recipient",
                "nobody",
                "--category",
                "spam",
            ],
            "not an email address",
        ),
        // The category is required, and only the three Graph can act on are offered.
        (
            vec!["assessments", "submit-url", "https://a.example/"],
            "--category",
        ),
        (
            vec![
                "assessments",
                "submit-url",
                "https://a.example/",
                "--category",
                "undefined",
            ],
            "invalid value",
        ),
    ] {
        let r = fails(&home, &e, &args);
        assert!(r.stderr.contains(needle), "{args:?}: {}", r.stderr);
    }
    assert_eq!(all(&home, &e).len(), SEEDED, "nothing was submitted");
}

#[test]
fn the_same_url_again_is_refused_naming_the_limit() {
    let e = emulator();
    let home = Home::new("assess-429");
    let args = [
        "assessments",
        "submit-url",
        "https://twice.example/",
        "--category",
        "phishing",
    ];
    ok(&home, &e, &args);
    let r = fails(&home, &e, &args);
    assert_eq!(r.code, Some(1));
    assert!(r.stderr.contains("throttled"), "{}", r.stderr);
    assert!(r.stderr.contains("15-minute limit"), "{}", r.stderr);
    assert!(
        r.stderr.contains("same URL once in 15 minutes"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("retry after"), "{}", r.stderr);
    assert!(r.stderr.contains("(in 1"), "{}", r.stderr);
    assert_eq!(all(&home, &e).len(), SEEDED + 1);
}

#[test]
fn a_submission_whose_reply_is_lost_may_have_landed() {
    // Every request is handled, then its connection closed without a reply: the POST
    // created the request, and the CLI must not say nothing was sent.
    let e = EmulatorProcess::start(&[
        "--alerts",
        "5",
        "--fault-rate",
        "1",
        "--fault-kinds",
        "reset-after",
    ]);
    let home = Home::new("assess-lost");
    let r = fails(
        &home,
        &e,
        &[
            "assessments",
            "submit-url",
            "https://lost.example/",
            "--category",
            "phishing",
        ],
    );
    assert_eq!(r.code, Some(1));
    assert!(r.stderr.contains("may have been submitted"), "{}", r.stderr);
    assert!(
        r.stderr.contains("graphsec assessments list"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("nothing was submitted"), "{}", r.stderr);
}

#[test]
fn read_only_runs_submit_nothing() {
    let e = emulator();
    let home = Home::new("assess-ro");
    let r = fails(
        &home,
        &e,
        &[
            "--read-only",
            "assessments",
            "submit-url",
            "https://a.example/",
            "--category",
            "phishing",
        ],
    );
    assert!(r.stderr.contains("read-only"), "{}", r.stderr);
    // Reads still work.
    let r = ok(
        &home,
        &e,
        &["--read-only", "assessments", "list", "--output", "json"],
    );
    assert_eq!(json(&r.stdout).as_array().unwrap().len(), SEEDED);
}
