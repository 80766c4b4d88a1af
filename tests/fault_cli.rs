//! The fault flags of `graphsec emulator`, as a person trying the console would use them:
//! the emulator in one process, headless commands in others, over loopback.

mod support;

use support::{EmulatorProcess, Home, UNBUDGETED, graphsec, graphsec_env};

#[test]
fn fault_flags_break_only_the_routes_they_name() {
    let emu = EmulatorProcess::start(&[
        "--alerts",
        "40",
        "--fault-rate",
        "1",
        "--fault-kinds",
        "truncate,malformed",
        "--fault-routes",
        "get",
    ]);
    let home = Home::new("fault-cli");
    let list = graphsec(
        &home,
        &emu.endpoint,
        "t",
        &["alerts", "list", "--output", "json"],
    );
    assert!(list.ok, "lists are not faulted: {}", list.stderr);
    let alerts: Vec<serde_json::Value> = serde_json::from_str(&list.stdout).expect("json");
    assert_eq!(alerts.len(), 40);
    let id = alerts[0]["id"].as_str().expect("id");

    let get = graphsec(&home, &emu.endpoint, "t", &["alerts", "get", id]);
    assert!(!get.ok);
    assert!(
        get.stderr
            .starts_with("graphsec: error: unreadable alert from Graph"),
        "{}",
        get.stderr
    );
    assert_eq!(get.stderr.lines().count(), 1, "one line: {}", get.stderr);
}

#[test]
fn a_30_percent_transient_fault_rate_on_reads_still_lists_everything() {
    let emu = EmulatorProcess::start(&[
        "--alerts",
        "300",
        "--page-size",
        "20",
        "--fault-rate",
        "0.3",
        "--fault-kinds",
        "transient",
        "--fault-routes",
        "reads",
        "--fault-latency-ms",
        "10",
        "--retry-after",
        "0",
    ]);
    let home = Home::new("fault-cli-30");
    // Unbudgeted: a 429 now and then among 20 pages would have the request budget pace the
    // rest of the listing at a page a second or slower.
    let list = graphsec_env(
        &home,
        &emu.endpoint,
        "t",
        &["alerts", "list", "--top", "20", "--output", "ndjson"],
        &[UNBUDGETED],
    );
    assert!(list.ok, "{}", list.stderr);
    let ids: std::collections::HashSet<String> = list
        .stdout
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("ndjson line");
            v["id"].as_str().expect("id").to_owned()
        })
        .collect();
    assert_eq!(list.stdout.lines().count(), 300);
    assert_eq!(ids.len(), 300);
    assert!(
        home.log().contains("retrying"),
        "faults were met and retried"
    );
}
