//! `graphsec entities` against `graphsec emulator` in another process: the user in the most
//! incidents, found headless, agrees with a count made independently from `alerts list`.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use support::{EmulatorProcess, Home, graphsec};

fn json(run: &support::Run) -> serde_json::Value {
    assert!(run.ok, "failed: {}", run.stderr);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", run.stdout))
}

#[test]
fn finds_the_user_in_the_most_incidents() {
    let emu = EmulatorProcess::start(&["--alerts", "400", "--seed", "11"]);
    let home = Home::new("entities-cli");
    let token = "test-token";

    let users = json(&graphsec(
        &home,
        &emu.endpoint,
        token,
        &["entities", "--kind", "user", "--output", "json"],
    ));
    let users = users.as_array().expect("an array");
    assert!(!users.is_empty(), "the demo tenant has user evidence");
    assert!(users.iter().all(|u| u["kind"] == "user"));
    let top = users
        .iter()
        .max_by_key(|u| u["incidents"].as_u64().unwrap_or(0))
        .unwrap();

    // The same count made by hand from the raw alerts: distinct incidentIds per UPN.
    let alerts = json(&graphsec(
        &home,
        &emu.endpoint,
        token,
        &["alerts", "list", "--output", "json"],
    ));
    let mut incidents: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for a in alerts.as_array().unwrap() {
        let Some(inc) = a["incidentId"].as_str().filter(|i| !i.is_empty()) else {
            continue;
        };
        for e in a["evidence"].as_array().into_iter().flatten() {
            if e["@odata.type"] == "#microsoft.graph.security.userEvidence"
                && let Some(upn) = e["userAccount"]["userPrincipalName"].as_str()
            {
                incidents
                    .entry(upn.to_lowercase())
                    .or_default()
                    .insert(inc.to_owned());
            }
        }
    }
    let most = incidents.values().map(BTreeSet::len).max().unwrap();
    assert_eq!(top["incidents"].as_u64().unwrap() as usize, most);
    let key = top["key"].as_str().unwrap();
    assert_eq!(incidents[key].len(), most, "{key} is in the most incidents");

    // Sorted by score; --max and the other formats.
    let scores: Vec<u64> = users.iter().map(|u| u["score"].as_u64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]));
    let csv = graphsec(
        &home,
        &emu.endpoint,
        token,
        &["entities", "--max", "3", "--output", "csv"],
    );
    assert!(csv.ok, "{}", csv.stderr);
    assert_eq!(csv.stdout.lines().count(), 4, "header and three rows");
    let nd = graphsec(
        &home,
        &emu.endpoint,
        token,
        &["entities", "--max", "5", "--output", "ndjson"],
    );
    assert_eq!(nd.stdout.lines().count(), 5);
    let table = graphsec(
        &home,
        &emu.endpoint,
        token,
        &["entities", "--kind", "device", "--max", "2"],
    );
    assert!(
        table.ok && table.stdout.starts_with("KIND"),
        "{}",
        table.stdout
    );
    assert!(table.stdout.contains("score = "));
    let bad = graphsec(&home, &emu.endpoint, token, &["entities", "--kind", "host"]);
    assert!(!bad.ok && bad.stderr.contains("user, device"));
}
