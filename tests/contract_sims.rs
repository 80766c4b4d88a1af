//! Contract tests for attack simulation and training: every documented response body
//! (simulations, automations, trainings with the docs' misspelled `duratonInMinutes`
//! string, repeat offenders) parses with our models and nothing is dropped; and the
//! emulator answers in the documented shapes: every documented key present with the same
//! JSON type, every key it sends (nested objects included) a property of the v1.0 CSDL, and
//! its answers parse with the same models.
//!
//! The bodies are read from `$CARGO_MANIFEST_DIR/../shared/graph`; where that folder is
//! absent the tests print a plain message and pass.

#[path = "support/csdl.rs"]
mod csdl;

use csdl::{Csdl, shared_graph};
use graphsec::emulator::{self, EmulatorConfig, RunningEmulator};
use graphsec::graph::cases::{HasId, Kept};
use graphsec::graph::models::{Page, parse_page};
use graphsec::graph::sims::{
    AttackTechnique, AttackType, AutomationRun, AutomationStatus, DeliveryPlatform, RepeatOffender,
    Simulation, SimulationAutomation, SimulationStatus, SimulationUserCoverage, Training,
    TrainingType, TrainingUserCoverage, UserSimulationDetails, parse_overview,
};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use time::macros::datetime;

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("cannot read {name}: {e}"))
}

fn json(dir: &Path, name: &str) -> Value {
    serde_json::from_str(&read(dir, name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Parses a page body, checks every item is read and kept as sent.
fn page_of<T>(name: &str, text: &str) -> Page<Kept<T>>
where
    T: for<'de> serde::Deserialize<'de> + HasId + Send + 'static,
{
    let page: Page<Kept<T>> = parse_page(text).unwrap_or_else(|e| panic!("{name}: {e}"));
    let original: Value = serde_json::from_str(text).unwrap();
    let items = original["value"].as_array().unwrap();
    assert_eq!(page.skipped, 0, "{name}");
    assert_eq!(page.items.len(), items.len(), "{name}");
    for (p, o) in page.items.iter().zip(items) {
        let back: Value = serde_json::to_value(p).expect("serializes");
        assert_eq!(&back, o, "{name}: lost or changed fields");
    }
    page
}

#[test]
fn documented_attack_simulation_bodies_parse() {
    let Some(graph) = shared_graph("documented_attack_simulation_bodies_parse") else {
        return;
    };
    let dir = graph.join("examples");

    let name = "attacksimulation-simulations-list.response.json";
    let sims = page_of::<Simulation>(name, &read(&dir, name));
    let s = &sims.items[0];
    assert_eq!(s.display_name.as_deref(), Some("Sample Simulation"));
    assert_eq!(s.status, Some(SimulationStatus::Scheduled));
    assert_eq!(
        s.attack_technique,
        Some(AttackTechnique::CredentialHarvesting)
    );
    assert_eq!(s.attack_type, Some(AttackType::Social));
    assert_eq!(s.payload_delivery_platform, Some(DeliveryPlatform::Email));
    assert_eq!(s.is_automated, Some(false));
    assert!(s.launched.is_some() && s.completed.is_some() && s.created.is_some());
    assert_eq!(
        s.created_by.as_ref().and_then(|c| c.email.as_deref()),
        Some("reed@contoso.com")
    );

    let name = "attacksimulation-simulationautomations-list.response.json";
    let autos = page_of::<SimulationAutomation>(name, &read(&dir, name));
    assert_eq!(autos.items[0].status, Some(AutomationStatus::Running));
    assert!(autos.items[0].last_run.is_some() && autos.items[0].next_run.is_some());

    let name = "attacksimulation-trainings-list.response.json";
    let trainings = page_of::<Training>(name, &read(&dir, name));
    let t = &trainings.items[0];
    assert_eq!(
        t.duration_in_minutes,
        Some(30),
        "the documented misspelling, with a string value"
    );
    assert_eq!(t.kind, Some(TrainingType::Other("dataPrivacy".into())));
    assert_eq!(t.supported_locales, ["en-us", "de-de"]);

    let name = "reports-security-getattacksimulationrepeatoffenders.response.json";
    let offenders = page_of::<RepeatOffender>(name, &read(&dir, name));
    assert_eq!(offenders.items.len(), 2);
    assert_eq!(offenders.items[1].repeat_offence_count, Some(638));
    assert!(
        offenders
            .next_link
            .as_deref()
            .is_some_and(|l| l.contains("$skiptoken=")),
        "the documented nextLink is kept verbatim"
    );
}

async fn emu() -> RunningEmulator {
    emulator::start(EmulatorConfig {
        alerts: 10,
        now: Some(datetime!(2026-11-26 12:00 UTC)),
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts")
}

async fn get(url: &str) -> (Value, String) {
    let resp = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("http")
        .request(Method::GET, url)
        .bearer_auth("test-token")
        .header("Prefer", "include-unknown-enum-members")
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::OK, "{url}");
    let text = resp.text().await.expect("body");
    let v = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{url}: {e}: {text}"));
    (v, text)
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn keys(v: &Value) -> BTreeSet<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

/// Every documented key is present in ours with the same JSON type (where both are set).
/// `renamed` maps a documented key to the schema's name we send instead.
fn check_documented(doc: &Value, ours: &Value, what: &str, renamed: &[(&str, &str)]) {
    for (k, v) in doc.as_object().unwrap() {
        if let Some((_, to)) = renamed.iter().find(|(from, _)| from == k) {
            assert!(
                ours.get(*to).is_some(),
                "{what}: {to} (documented as {k}) missing"
            );
            continue;
        }
        let mine = ours
            .get(k)
            .unwrap_or_else(|| panic!("{what}: documented key {k} missing from {ours}"));
        if !v.is_null() && !mine.is_null() {
            assert_eq!(kind(mine), kind(v), "{what}.{k}");
        }
    }
}

/// The CSDL's `microsoft.graph` schema with each type's properties looked up once (a
/// lookup scans the whole schema, and every nested object is checked).
struct Schema {
    csdl: Csdl,
    cache: RefCell<HashMap<String, BTreeMap<String, bool>>>,
}

impl Schema {
    fn props(&self, type_name: &str) -> BTreeMap<String, bool> {
        self.cache
            .borrow_mut()
            .entry(type_name.to_owned())
            .or_insert_with(|| {
                self.csdl
                    .props(type_name)
                    .unwrap_or_else(|| panic!("{type_name} in the CSDL"))
            })
            .clone()
    }
}

/// The CSDL type of a nested property, for the recursive check.
fn nested(type_name: &str, key: &str) -> Option<&'static str> {
    Some(match (type_name, key) {
        (_, "createdBy" | "lastModifiedBy") => "emailIdentity",
        ("simulation", "report") => "simulationReport",
        ("simulationReport", "overview") => "simulationReportOverview",
        ("simulationReport", "simulationUsers") => "userSimulationDetails",
        ("simulationReportOverview", "simulationEventsContent") => "simulationEventsContent",
        ("simulationReportOverview", "trainingEventsContent") => "trainingEventsContent",
        ("simulationReportOverview", "recommendedActions") => "recommendedAction",
        ("simulationEventsContent", "events") => "simulationEvent",
        ("trainingEventsContent", "assignedTrainingsInfos") => "assignedTrainingInfo",
        ("userSimulationDetails", "simulationUser") => "attackSimulationUser",
        ("userSimulationDetails", "simulationEvents") => "userSimulationEventInfo",
        ("userSimulationDetails", "trainingEvents") => "userTrainingEventInfo",
        (
            "userTrainingEventInfo",
            "trainingAssignedProperties"
            | "trainingCompletedProperties"
            | "trainingUpdatedProperties",
        ) => "userTrainingContentEventInfo",
        ("simulation", "oAuthConsentAppDetail") => "oAuthConsentAppDetail",
        ("simulation", "includedAccountTarget" | "excludedAccountTarget") => "accountTargetContent",
        ("simulation", "trainingSetting") => "trainingSetting",
        (_, "attackSimulationUser") => "attackSimulationUser",
        ("attackSimulationTrainingUserCoverage", "userTrainings") => "userTrainingStatusInfo",
        _ => return None,
    })
}

/// Every key of `v` (and of its nested objects) is a property of `type_name` in the v1.0
/// CSDL, or of the derived type its `@odata.type` names.
fn check_csdl(graph: &Schema, type_name: &str, v: &Value) {
    match v {
        Value::Null => {}
        Value::Array(items) => items.iter().for_each(|i| check_csdl(graph, type_name, i)),
        Value::Object(o) => {
            let actual = o
                .get("@odata.type")
                .and_then(Value::as_str)
                .and_then(|t| t.strip_prefix("#microsoft.graph."))
                .unwrap_or(type_name);
            let props = graph.props(actual);
            for (k, val) in o {
                assert!(
                    props.contains_key(k)
                        || ["id", "@odata.context", "@odata.type"].contains(&k.as_str()),
                    "{actual} has no property {k}"
                );
                if let Some(inner) = nested(type_name, k) {
                    check_csdl(graph, inner, val);
                }
            }
        }
        other => panic!("{type_name}: expected an object, got {other}"),
    }
}

#[tokio::test]
async fn the_emulator_answers_in_the_documented_shapes() {
    let Some(graph) = shared_graph("the_emulator_answers_in_the_documented_shapes") else {
        return;
    };
    let dir = graph.join("examples");
    let csdl = Schema {
        csdl: Csdl::load_graph(&graph),
        cache: RefCell::default(),
    };
    let e = emu().await;
    let base = format!("{}/security/attackSimulation", e.base_url());
    let beta = base.replace("/v1.0/", "/beta/");

    // Simulations: the documented envelope and item keys, CSDL names throughout.
    let doc = json(&dir, "attacksimulation-simulations-list.response.json");
    let (list, text) = get(&format!("{base}/simulations?$top=100")).await;
    assert!(keys(&doc).is_subset(&keys(&list)));
    page_of::<Simulation>("simulations", &text);
    for item in list["value"].as_array().unwrap() {
        check_documented(&doc["value"][0], item, "simulation", &[]);
        check_csdl(&csdl, "simulation", item);
        assert!(item.get("report").is_none(), "no report in a list item");
        let (one, text) = get(&format!(
            "{base}/simulations/{}",
            item["id"].as_str().unwrap()
        ))
        .await;
        check_csdl(&csdl, "simulation", &one);
        let sim = Kept::<Simulation>::from_json(&text).expect("a simulation");
        if let Some(report) = one["report"].as_object() {
            let parsed = sim.report.as_ref().expect("the report parses");
            assert_eq!(
                parsed.simulation_users.len(),
                report["simulationUsers"].as_array().unwrap().len()
            );
            // The beta parts parse with the same models.
            let id = &sim.id;
            let (overview, text) = get(&format!("{beta}/simulations/{id}/report/overview")).await;
            check_csdl(&csdl, "simulationReportOverview", &overview);
            assert_eq!(
                Some(parse_overview(&text).expect("overview")),
                parsed.overview
            );
            let (users, text) =
                get(&format!("{beta}/simulations/{id}/report/simulationUsers")).await;
            check_csdl(&csdl, "userSimulationDetails", &users["value"]);
            page_of::<UserSimulationDetails>("simulationUsers", &text);
        }
    }

    let doc = json(
        &dir,
        "attacksimulation-simulationautomations-list.response.json",
    );
    let (list, text) = get(&format!("{base}/simulationAutomations")).await;
    page_of::<SimulationAutomation>("automations", &text);
    for item in list["value"].as_array().unwrap() {
        // The documented item names its type; ours need not (the collection's type).
        let documented: Value = doc["value"][0]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, _)| *k != "@odata.type")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect::<serde_json::Map<_, _>>()
            .into();
        check_documented(&documented, item, "simulationAutomation", &[]);
        check_csdl(&csdl, "simulationAutomation", item);
        let (runs, text) = get(&format!(
            "{base}/simulationAutomations/{}/runs",
            item["id"].as_str().unwrap()
        ))
        .await;
        check_csdl(&csdl, "simulationAutomationRun", &runs["value"]);
        page_of::<AutomationRun>("runs", &text);
    }

    let doc = json(&dir, "attacksimulation-trainings-list.response.json");
    let (list, text) = get(&format!("{base}/trainings")).await;
    page_of::<Training>("trainings", &text);
    for item in list["value"].as_array().unwrap() {
        check_documented(
            &doc["value"][0],
            item,
            "training",
            &[("duratonInMinutes", "durationInMinutes")],
        );
        assert!(
            item["durationInMinutes"].is_i64(),
            "Int32, as the schema says"
        );
        check_csdl(&csdl, "training", item);
    }

    let reports = format!("{}/reports/security", e.base_url());
    let doc = json(
        &dir,
        "reports-security-getattacksimulationrepeatoffenders.response.json",
    );
    let (list, text) = get(&format!("{reports}/getAttackSimulationRepeatOffenders")).await;
    assert!(keys(&doc).is_subset(&keys(&list)), "envelope with nextLink");
    page_of::<RepeatOffender>("offenders", &text);
    for item in list["value"].as_array().unwrap() {
        check_documented(&doc["value"][0], item, "repeatOffender", &[]);
        assert_eq!(keys(item), keys(&doc["value"][0]));
        check_csdl(&csdl, "attackSimulationRepeatOffender", item);
    }
    let (list, text) = get(&format!(
        "{reports}/getAttackSimulationSimulationUserCoverage"
    ))
    .await;
    page_of::<SimulationUserCoverage>("user coverage", &text);
    check_csdl(
        &csdl,
        "attackSimulationSimulationUserCoverage",
        &list["value"],
    );
    let (list, text) = get(&format!(
        "{reports}/getAttackSimulationTrainingUserCoverage"
    ))
    .await;
    page_of::<TrainingUserCoverage>("training coverage", &text);
    check_csdl(
        &csdl,
        "attackSimulationTrainingUserCoverage",
        &list["value"],
    );
    e.shutdown().await;
}
