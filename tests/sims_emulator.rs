//! Attack simulation over real loopback HTTP: the client against the emulator's
//! simulations, their reports (v1.0 property, beta overview and per-user list),
//! automations, trainings and the `reports/security` functions; paging followed to the
//! end; `$filter`/`$orderby`/`$count`/`$select`; 404 and 405; the late enum member; and
//! consistency: every overview figure is what the per-user results say, and the tenant
//! reports are folded from the same results.

use futures_util::StreamExt;
use graphsec::emulator::{self, EmulatorConfig, Route, RunningEmulator};
use graphsec::graph::cases::Kept;
use graphsec::graph::models::Page;
use graphsec::graph::sims::{
    AttackTechnique, Simulation, SimulationStatus, TrainingStatus, UserSimulationDetails,
};
use graphsec::graph::{BudgetConfig, Client, ClientConfig, GraphError, ODataQuery, StaticToken};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use time::macros::datetime;

const TOKEN: &str = "test-token";

async fn emu() -> RunningEmulator {
    emulator::start(EmulatorConfig {
        alerts: 10,
        now: Some(datetime!(2026-11-26 12:00 UTC)),
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts")
}

fn client(e: &RunningEmulator) -> Client {
    Client::new(
        ClientConfig {
            budget: BudgetConfig::unlimited(),
            ..ClientConfig::new(e.base_url())
        },
        Arc::new(StaticToken::new(TOKEN)),
    )
    .expect("client")
}

/// `http://host:port` of the emulator (its base URL without `/v1.0`).
fn origin(e: &RunningEmulator) -> String {
    e.base_url().trim_end_matches("/v1.0").to_owned()
}

async fn send(
    method: Method,
    url: &str,
    prefer: Option<&str>,
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let mut req = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("http")
        .request(method, url)
        .bearer_auth(TOKEN);
    if let Some(p) = prefer {
        req = req.header("Prefer", p);
    }
    let resp = req.send().await.expect("request");
    let (status, headers) = (resp.status(), resp.headers().clone());
    let text = resp.text().await.expect("body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{url}: {e}: {text}"))
    };
    (status, headers, body)
}

async fn get(url: &str) -> Value {
    let (status, _, body) = send(Method::GET, url, None).await;
    assert_eq!(status, StatusCode::OK, "{url}: {body}");
    body
}

/// Every item of a paged list and each page's `@odata.count`.
async fn collect<T>(
    mut pages: impl futures_util::Stream<Item = Result<Page<T>, GraphError>> + Unpin,
) -> (Vec<T>, Vec<Option<u64>>) {
    let (mut items, mut counts) = (Vec::new(), Vec::new());
    while let Some(page) = pages.next().await {
        let page = page.expect("page");
        assert_eq!(page.skipped, 0);
        counts.push(page.count);
        items.extend(page.items);
    }
    (items, counts)
}

/// Follows `@odata.nextLink` verbatim from `url`; returns the items and the pages seen.
async fn follow(url: &str) -> (Vec<Value>, usize) {
    let (mut items, mut pages, mut next) = (Vec::new(), 0, Some(url.to_owned()));
    while let Some(u) = next {
        let body = get(&u).await;
        pages += 1;
        items.extend(body["value"].as_array().expect("value").iter().cloned());
        next = body["@odata.nextLink"].as_str().map(str::to_owned);
        assert!(pages < 100, "nextLink never ends");
    }
    (items, pages)
}

async fn all_sims(c: &Client) -> Vec<Kept<Simulation>> {
    collect(c.list_simulations(&ODataQuery::new())).await.0
}

fn ran(s: &Simulation) -> bool {
    !matches!(
        s.status,
        Some(SimulationStatus::Draft | SimulationStatus::Scheduled)
    )
}

#[tokio::test]
async fn the_list_pages_to_the_end_with_its_count() {
    let e = emu().await;
    let c = client(&e);
    let (sims, counts) = collect(c.list_simulations(&ODataQuery::new().count(true))).await;
    assert_eq!(sims.len(), 12);
    assert_eq!(counts.len(), 2, "10 a page by default, so two pages");
    assert_eq!(counts[0], Some(12));
    let ids: HashSet<&str> = sims.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids.len(), sims.len(), "no simulation twice");
    for s in &sims {
        assert!(
            s.report.is_none(),
            "list items carry no report unless selected"
        );
    }
    // Every documented status, and every technique.
    for status in [
        SimulationStatus::Draft,
        SimulationStatus::Scheduled,
        SimulationStatus::Running,
        SimulationStatus::Succeeded,
        SimulationStatus::Failed,
        SimulationStatus::Cancelled,
        SimulationStatus::Excluded,
    ] {
        assert!(
            sims.iter().any(|s| s.status.as_ref() == Some(&status)),
            "{status}"
        );
    }
    assert!(
        sims.iter()
            .any(|s| s.attack_technique == Some(AttackTechnique::OAuthConsentGrant))
    );
    // $top pages smaller, and the nextLink keeps the other options.
    let (items, pages) = follow(&format!(
        "{}/security/attackSimulation/simulations?$top=5&$count=true&$select=displayName",
        e.base_url()
    ))
    .await;
    assert_eq!((items.len(), pages), (12, 3));
    for i in &items {
        let keys: HashSet<&str> = i.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            HashSet::from(["id", "displayName"]),
            "$select on every page"
        );
    }
    assert_eq!(
        e.controls().requests("GET", Route::AttackSimulations),
        2 + 3
    );
    e.shutdown().await;
}

#[tokio::test]
async fn filter_orderby_and_select_work_on_the_documented_properties() {
    let e = emu().await;
    let c = client(&e);
    let all = all_sims(&c).await;
    let q = ODataQuery::new()
        .raw_filter("status eq 'succeeded'")
        .count(true);
    let (succeeded, counts) = collect(c.list_simulations(&q)).await;
    let expected = all
        .iter()
        .filter(|s| s.status == Some(SimulationStatus::Succeeded))
        .count();
    assert!(expected > 1);
    assert_eq!(succeeded.len(), expected);
    assert_eq!(counts[0], Some(expected as u64));

    let q = ODataQuery::new().raw_filter("isAutomated eq true and attackType eq 'social'");
    let (auto, _) = collect(c.list_simulations(&q)).await;
    assert!(!auto.is_empty());
    for s in &auto {
        assert_eq!(s.is_automated, Some(true));
        let automation = s.automation_id.as_deref().expect("an automation id");
        assert!(!automation.is_empty());
    }
    let named = &all[0];
    let literal = named.display_name.clone().unwrap().replace('\'', "''");
    let q = ODataQuery::new().raw_filter(format!("displayName eq '{literal}'"));
    assert_eq!(collect(c.list_simulations(&q)).await.0.len(), 1);
    let q = ODataQuery::new().raw_filter("attackTechnique eq 'oAuthConsentGrant'");
    assert_eq!(collect(c.list_simulations(&q)).await.0.len(), 1);

    let q = ODataQuery::new()
        .raw_filter("status ne 'draft'")
        .orderby("launchDateTime desc");
    let (ordered, _) = collect(c.list_simulations(&q)).await;
    assert_eq!(ordered.len(), all.len() - 1);
    let launched: Vec<_> = ordered.iter().map(|s| s.launched).collect();
    let mut sorted = launched.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(launched, sorted);

    let base = format!("{}/security/attackSimulation/simulations", e.base_url());
    for bad in [
        "$filter=description eq 'x'",
        "$filter=status eq succeeded",
        "$orderby=description",
        "$expand=payload",
        "$skiptoken=forged",
    ] {
        let (status, _, body) = send(Method::GET, &format!("{base}?{bad}"), None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert_eq!(body["error"]["code"], "invalidRequest", "{bad}");
    }

    // `report` only when selected.
    let (items, _) = follow(&format!("{base}?$select=displayName,status,report")).await;
    for i in &items {
        let draft = matches!(i["status"].as_str(), Some("draft" | "scheduled"));
        assert_eq!(i["report"].is_null(), draft, "{i}");
    }
    e.shutdown().await;
}

#[tokio::test]
async fn a_simulation_read_by_id_carries_its_report_and_unknown_ids_are_404() {
    let e = emu().await;
    let c = client(&e);
    for s in all_sims(&c).await {
        let one = c.get_simulation(&s.id).await.expect("get");
        assert_eq!(one.id, s.id);
        assert_eq!(one.report.is_some(), ran(&one), "{:?}", one.status);
        if let Some(r) = &one.report {
            let o = r.overview.as_ref().expect("overview");
            assert_eq!(
                o.resolved_targets_count,
                Some(r.simulation_users.len() as i64)
            );
        }
    }
    let err = c.get_simulation("no-such-simulation").await.unwrap_err();
    assert_eq!(err.status(), Some(404));
    assert!(err.to_string().contains("itemNotFound"), "{err}");
    let (status, _, body) = send(
        Method::GET,
        &format!(
            "{}/security/attackSimulation/simulationAutomations/nope",
            e.base_url()
        ),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "itemNotFound");
    e.shutdown().await;
}

#[tokio::test]
async fn methods_that_are_not_served_answer_405_with_allow() {
    let e = emu().await;
    let c = client(&e);
    let id = all_sims(&c).await[0].id.clone();
    let base = format!("{}/security/attackSimulation", e.base_url());
    for (method, url) in [
        (Method::POST, format!("{base}/simulations")),
        (Method::PATCH, format!("{base}/simulations/{id}")),
        (Method::DELETE, format!("{base}/simulations/{id}")),
        (Method::POST, format!("{base}/trainings")),
        (
            Method::POST,
            format!(
                "{}/reports/security/getAttackSimulationRepeatOffenders",
                e.base_url()
            ),
        ),
    ] {
        let (status, headers, body) = send(method.clone(), &url, None).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {url}");
        assert_eq!(headers["allow"], "GET, HEAD");
        assert_eq!(body["error"]["code"], "notSupported");
    }
    e.shutdown().await;
}

#[tokio::test]
async fn overview_and_users_are_beta_only_and_paths_take_any_case() {
    let e = emu().await;
    let c = client(&e);
    let sims = all_sims(&c).await;
    let run = sims.iter().find(|s| ran(s)).expect("a simulation that ran");
    let o = origin(&e);
    for part in ["overview", "simulationUsers"] {
        let v1 = format!(
            "{o}/v1.0/security/attackSimulation/simulations/{}/report/{part}",
            run.id
        );
        let (status, _, body) = send(Method::GET, &v1, None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{part} on v1.0");
        assert_eq!(
            body["error"]["message"],
            format!("Resource not found for the segment '{part}'.")
        );
        let beta = v1.replace("/v1.0/", "/beta/");
        get(&beta).await;
    }
    // The v1.0 report property, any case, key in parentheses.
    let report = get(&format!(
        "{o}/v1.0/Security/AttackSimulation/SIMULATIONS('{}')/Report",
        run.id
    ))
    .await;
    assert!(report["overview"].is_object() && report["simulationUsers"].is_array());
    // A simulation that has not run: no overview, no users, a null report.
    let draft = sims
        .iter()
        .find(|s| s.status == Some(SimulationStatus::Draft))
        .unwrap();
    let err = c.get_simulation_overview(&draft.id).await.unwrap_err();
    assert_eq!(err.status(), Some(404));
    let users = collect(c.list_simulation_users(&draft.id, &ODataQuery::new())).await;
    assert!(users.0.is_empty());
    e.shutdown().await;
}

#[tokio::test]
async fn the_late_technique_is_sent_only_to_callers_that_prefer_it() {
    let e = emu().await;
    let c = client(&e);
    let q = ODataQuery::new().raw_filter("attackTechnique eq 'oAuthConsentGrant'");
    let sim = collect(c.list_simulations(&q)).await.0.remove(0);
    assert_eq!(
        sim.attack_technique,
        Some(AttackTechnique::OAuthConsentGrant),
        "the client asks for late members"
    );
    let url = format!(
        "{}/security/attackSimulation/simulations/{}",
        e.base_url(),
        sim.id
    );
    let (_, headers, body) = send(Method::GET, &url, None).await;
    assert_eq!(body["attackTechnique"], "unknownFutureValue");
    assert!(headers.get("preference-applied").is_none());
    let (_, headers, body) = send(Method::GET, &url, Some("include-unknown-enum-members")).await;
    assert_eq!(body["attackTechnique"], "oAuthConsentGrant");
    assert_eq!(
        headers["preference-applied"],
        "include-unknown-enum-members"
    );
    e.shutdown().await;
}

fn has_event(u: &UserSimulationDetails, name: &str) -> bool {
    u.simulation_events
        .iter()
        .any(|e| e.event_name.as_deref() == Some(name))
}

#[tokio::test]
async fn every_overview_figure_is_what_the_per_user_results_say() {
    let e = emu().await;
    let c = client(&e);
    let mut compromised_in: BTreeMap<String, i64> = BTreeMap::new();
    let mut targeted_in: BTreeMap<String, i64> = BTreeMap::new();
    let mut trainings_of: BTreeMap<String, usize> = BTreeMap::new();
    let mut checked = 0;
    for s in all_sims(&c).await.into_iter().filter(|s| ran(s)) {
        let o = c.get_simulation_overview(&s.id).await.expect("overview");
        // Small pages, so following nextLink is part of what is checked.
        let (users, _) = collect(c.list_simulation_users(&s.id, &ODataQuery::new().top(3))).await;
        let users: Vec<UserSimulationDetails> = users.into_iter().map(|u| u.item).collect();
        let n = users.len() as i64;
        assert!(n > 0);
        assert_eq!(o.resolved_targets_count, Some(n), "{}", s.id);
        let events = &o.simulation_events_content.as_ref().unwrap().events;
        assert!(events.len() >= 3);
        for ev in events {
            let name = ev.event_name.as_deref().unwrap();
            let count = users.iter().filter(|u| has_event(u, name)).count() as i64;
            assert_eq!(ev.count, Some(count), "{} {name}", s.id);
        }
        assert_eq!(o.event_count("SuccessfullyDeliveredMail"), Some(n));
        let reported = users.iter().filter(|u| u.reported.is_some()).count() as i64;
        assert_eq!(o.event_count("ReportedEmail"), Some(reported));
        let compromised = users.iter().filter(|u| u.compromised()).count() as f64;
        let rate = o.compromised_rate().unwrap();
        assert!(
            (rate - compromised * 100.0 / n as f64).abs() < 1e-9,
            "{rate}"
        );
        for u in &users {
            assert_eq!(u.compromised(), u.compromised.is_some());
            let status = |st: TrainingStatus| {
                u.training_events
                    .iter()
                    .filter(|t| t.latest_training_status.as_ref() == Some(&st))
                    .count() as i64
            };
            assert_eq!(
                u.assigned_trainings_count,
                Some(u.training_events.len() as i64)
            );
            assert_eq!(
                u.completed_trainings_count,
                Some(status(TrainingStatus::Completed))
            );
            assert_eq!(
                u.in_progress_trainings_count,
                Some(status(TrainingStatus::InProgress))
            );
            let id = u.simulation_user.as_ref().unwrap().user_id.clone().unwrap();
            *targeted_in.entry(id.clone()).or_default() += 1;
            *trainings_of.entry(id.clone()).or_default() += u.training_events.len();
            if u.compromised() {
                *compromised_in.entry(id).or_default() += 1;
            }
        }
        let t = o.training_events_content.as_ref().unwrap();
        let trained = users
            .iter()
            .filter(|u| !u.training_events.is_empty())
            .count() as i64;
        assert_eq!(t.trainings_assigned_user_count, Some(trained));
        for info in &t.assigned_trainings_infos {
            let name = info.display_name.as_deref().unwrap();
            let with = |done: bool| {
                users
                    .iter()
                    .filter(|u| {
                        u.training_events.iter().any(|ev| {
                            ev.display_name.as_deref() == Some(name)
                                && (!done
                                    || ev.latest_training_status == Some(TrainingStatus::Completed))
                        })
                    })
                    .count() as i64
            };
            assert_eq!(info.assigned_user_count, Some(with(false)), "{name}");
            assert_eq!(info.completed_user_count, Some(with(true)), "{name}");
        }
        // The v1.0 report property says the same.
        let full = c.get_simulation(&s.id).await.unwrap();
        let report = full.report.as_ref().unwrap();
        assert_eq!(report.overview.as_ref(), Some(&o));
        assert_eq!(report.simulation_users, users);
        checked += 1;
    }
    assert_eq!(
        checked, 10,
        "every simulation but the draft and the scheduled one"
    );

    // Repeat offenders: exactly the users compromised in two simulations or more.
    let (offenders, _) =
        collect(c.list_repeat_offenders(&ODataQuery::new().top(2).count(true))).await;
    let got: BTreeMap<String, i64> = offenders
        .iter()
        .map(|o| {
            let u = o.attack_simulation_user.as_ref().unwrap();
            (u.user_id.clone().unwrap(), o.repeat_offence_count.unwrap())
        })
        .collect();
    let want: BTreeMap<String, i64> = compromised_in
        .iter()
        .filter(|(_, n)| **n >= 2)
        .map(|(k, v)| (k.clone(), *v))
        .collect();
    assert!(!want.is_empty());
    assert_eq!(got, want);

    let (coverage, _) = collect(c.list_simulation_user_coverage(&ODataQuery::new())).await;
    assert_eq!(coverage.len(), targeted_in.len());
    for row in &coverage {
        let id = row
            .attack_simulation_user
            .as_ref()
            .unwrap()
            .user_id
            .clone()
            .unwrap();
        assert_eq!(row.simulation_count, Some(targeted_in[&id]));
        assert_eq!(
            row.compromised_count,
            Some(compromised_in.get(&id).copied().unwrap_or(0))
        );
        assert!(row.click_count >= row.compromised_count);
        assert!(row.latest_simulation.is_some());
    }
    let (training, _) = collect(c.list_training_user_coverage(&ODataQuery::new())).await;
    let with_training = trainings_of.values().filter(|n| **n > 0).count();
    assert_eq!(training.len(), with_training);
    for row in &training {
        let id = row
            .attack_simulation_user
            .as_ref()
            .unwrap()
            .user_id
            .clone()
            .unwrap();
        assert_eq!(row.user_trainings.len(), trainings_of[&id]);
    }
    e.shutdown().await;
}

#[tokio::test]
async fn automations_runs_and_trainings() {
    let e = emu().await;
    let c = client(&e);
    let sims = all_sims(&c).await;
    let (automations, counts) =
        collect(c.list_simulation_automations(&ODataQuery::new().count(true))).await;
    assert_eq!(counts[0], Some(automations.len() as u64));
    assert!(automations.len() >= 3);
    let mut runs_seen = 0;
    for a in &automations {
        let (runs, _) = collect(c.list_automation_runs(&a.id, &ODataQuery::new())).await;
        for r in &runs {
            let sim = sims
                .iter()
                .find(|s| Some(s.id.as_str()) == r.simulation_id.as_deref())
                .expect("a run names a simulation");
            assert_eq!(sim.automation_id.as_deref(), Some(a.id.as_str()));
            assert_eq!(sim.is_automated, Some(true));
            runs_seen += 1;
        }
        let one = get(&format!(
            "{}/security/attackSimulation/simulationAutomations/{}",
            e.base_url(),
            a.id
        ))
        .await;
        assert_eq!(one["id"], a.id.as_str());
    }
    assert!(runs_seen >= 2);
    // Every automated simulation names a listed automation.
    for s in sims.iter().filter(|s| s.is_automated == Some(true)) {
        let id = s.automation_id.as_deref().unwrap();
        assert!(automations.iter().any(|a| a.id == id), "{id}");
    }

    let (trainings, _) = collect(c.list_trainings(&ODataQuery::new().top(4))).await;
    assert!(trainings.len() >= 5);
    for t in &trainings {
        assert!(t.duration_in_minutes.is_some_and(|m| m > 0));
        let one = get(&format!(
            "{}/security/attackSimulation/trainings/{}",
            e.base_url(),
            t.id
        ))
        .await;
        assert!(
            one["durationInMinutes"].is_i64(),
            "an Int32, as the schema names it"
        );
    }
    let filtered = get(&format!(
        "{}/security/attackSimulation/trainings?$filter=availabilityStatus eq 'archive'",
        e.base_url()
    ))
    .await;
    assert_eq!(filtered["value"].as_array().unwrap().len(), 1);
    e.shutdown().await;
}

#[tokio::test]
async fn the_report_functions_answer_with_and_without_parentheses() {
    let e = emu().await;
    let o = origin(&e);
    for version in ["v1.0", "beta"] {
        for (f, ty) in [
            (
                "getAttackSimulationRepeatOffenders",
                "attackSimulationRepeatOffender",
            ),
            (
                "getAttackSimulationSimulationUserCoverage",
                "attackSimulationSimulationUserCoverage",
            ),
            (
                "getAttackSimulationTrainingUserCoverage",
                "attackSimulationTrainingUserCoverage",
            ),
        ] {
            let plain = format!("{o}/{version}/reports/security/{f}");
            let body = get(&format!("{plain}()")).await;
            assert_eq!(
                body["@odata.context"],
                format!("{o}/{version}/$metadata#Collection(microsoft.graph.{ty})")
            );
            let (a, _) = follow(&plain).await;
            let (b, _) = follow(&format!("{plain}()?$top=3")).await;
            assert_eq!(a, b, "{f}");
            assert!(!a.is_empty(), "{f}");
        }
    }
    let (status, _, _) = send(
        Method::GET,
        &format!("{o}/v1.0/reports/security/getSomethingElse"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // 2 versions × 3 functions × (one read + two followed listings), plus the unknown one.
    assert!(e.controls().requests("GET", Route::SecurityReports) > 2 * 3 * 3);
    e.shutdown().await;
}

/// The headless list: `table` and `csv` leave the per-user `report` out of the list and
/// read each run simulation's overview for its rates; `json` and `ndjson` print the
/// simulations with their `report` as sent and read no overview.
#[tokio::test]
async fn the_headless_list_reads_overviews_for_table_and_csv_only() {
    use graphsec::headless::OutputFormat;
    let e = emu().await;
    let c = client(&e);
    let run = all_sims(&c).await.iter().filter(|s| s.has_run()).count();
    assert!(run > 2, "the demo has run simulations to read");
    let overviews = || e.controls().requests("GET", Route::AttackSimulation);
    for (format, read) in [
        (OutputFormat::Table, run),
        (OutputFormat::Csv, run),
        (OutputFormat::Json, 0),
        (OutputFormat::Ndjson, 0),
    ] {
        let before = overviews();
        let mut out = Vec::new();
        let n = graphsec::headless::sims::list_simulations(&c, format, &mut out)
            .await
            .expect("list");
        let text = String::from_utf8(out).expect("utf-8");
        assert_eq!(overviews() - before, read as u64, "{format:?}");
        assert!(n > run, "{format:?}");
        match format {
            OutputFormat::Json | OutputFormat::Ndjson => {
                assert!(text.contains("\"simulationUsers\""), "{format:?}: {text}")
            }
            _ => {
                assert!(!text.contains("simulationUsers"), "{format:?}: {text}");
                assert!(text.contains('%') || format == OutputFormat::Csv, "{text}");
            }
        }
    }
    e.shutdown().await;
}
