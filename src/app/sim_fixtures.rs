//! Attack simulation test data of our own: six simulations across the statuses (one with
//! a hostile name and description), their overviews, one report whose six users cover
//! every outcome (consistent with its overview), and the tenant reports, each built from
//! JSON written here as Graph would send it.

use super::case_fixtures::{command, press};
use super::fixtures::{NOW, session};
use super::sims::{SimsCommand, SimsUpdate, TenantRows};
use super::{Action, Command, State, update};
use crate::graph::cases::{HasId, Kept};
use crate::graph::sims::{ReportOverview, Simulation, parse_overview};
use serde_json::{Value, json};

pub const Q3: &str = "sim-q3";
pub const GIFT: &str = "sim-gift";
pub const HOSTILE: &str = "sim-hostile";
pub const OAUTH: &str = "sim-oauth";

fn kept<T: for<'de> serde::Deserialize<'de> + HasId>(v: Value) -> Kept<T> {
    Kept::from_json(&v.to_string()).expect("fixture parses")
}

fn by(name: &str) -> Value {
    json!({"displayName": name, "email": format!("{}@contoso.com", name.to_lowercase().replace(' ', "."))})
}

/// The six simulations, in no particular order (as Graph lists them).
pub fn simulations() -> Vec<Kept<Simulation>> {
    vec![
        kept(json!({
            "id": "sim-draft", "displayName": "Invoice attachment (draft)",
            "status": "draft", "attackTechnique": "attachmentMalware", "attackType": "social",
            "payloadDeliveryPlatform": "email", "createdDateTime": "2026-11-20T08:00:00Z",
            "launchDateTime": "0001-01-01T00:00:00Z", "createdBy": by("Megan Bowen")
        })),
        kept(json!({
            "id": Q3, "displayName": "Q3 payroll phish",
            "description": "Payroll portal credential lure, finance and HR",
            "status": "succeeded", "attackTechnique": "credentialHarvesting",
            "attackType": "social", "payloadDeliveryPlatform": "email",
            "launchDateTime": "2026-11-10T09:00:00Z",
            "completionDateTime": "2026-11-17T09:00:00Z",
            "createdBy": by("Megan Bowen")
        })),
        kept(json!({
            "id": "sim-sched", "displayName": "Teams chat lure",
            "status": "scheduled", "attackTechnique": "linkInAttachment",
            "attackType": "social", "payloadDeliveryPlatform": "teams",
            "launchDateTime": "2026-12-01T09:00:00Z", "createdBy": by("Alex Wilber")
        })),
        kept(json!({
            "id": GIFT, "displayName": "Gift card lure",
            "status": "running", "attackTechnique": "linkToMalwareFile",
            "attackType": "social", "payloadDeliveryPlatform": "sms",
            "launchDateTime": "2026-11-24T09:00:00Z", "createdBy": by("Alex Wilber")
        })),
        kept(json!({
            "id": HOSTILE, "displayName": "Evil\u{1b}[2J\u{202e}sim\u{7}",
            "description": "Line one\u{1b}]52;c;ZXZpbA==\u{7} and \u{2066}hidden\u{2069}",
            "status": "failed", "attackTechnique": "driveByUrl",
            "attackType": "social", "payloadDeliveryPlatform": "email",
            "launchDateTime": "2026-10-01T09:00:00Z",
            "completionDateTime": "2026-10-08T09:00:00Z",
            "createdBy": {"displayName": "Mallory\u{202e}evil"}
        })),
        kept(json!({
            "id": OAUTH, "displayName": "Consent app test",
            "status": "cancelled", "attackTechnique": "oAuthConsentGrant",
            "attackType": "cloud", "payloadDeliveryPlatform": "email",
            "launchDateTime": "2026-09-15T09:00:00Z"
        })),
    ]
}

fn overview_json(targets: i64, clicked: i64, compromised: i64, reported: i64) -> Value {
    json!({
        "resolvedTargetsCount": targets,
        "simulationEventsContent": {
            "compromisedRate": (compromised as f64) * 100.0 / (targets as f64),
            "events": [
                {"eventName": "SuccessfullyDeliveredMail", "count": targets},
                {"eventName": "EmailLinkClicked", "count": clicked},
                {"eventName": "CredentialSupplied", "count": compromised},
                {"eventName": "ReportedEmail", "count": reported}
            ]
        },
        "trainingEventsContent": {
            "trainingsAssignedUserCount": 4,
            "assignedTrainingsInfos": [
                {"displayName": "Phishing basics", "assignedUserCount": 4, "completedUserCount": 2},
                {"displayName": "Spot the fake URL", "assignedUserCount": 2, "completedUserCount": 1}
            ]
        }
    })
}

/// The overview of simulation `id`: Q3's matches its report (2 of 6 compromised, 3
/// reported); the others are made up.
pub fn overview(id: &str) -> ReportOverview {
    let v = match id {
        Q3 => overview_json(6, 3, 2, 3),
        GIFT => overview_json(8, 2, 1, 2),
        HOSTILE => overview_json(4, 4, 4, 0),
        _ => overview_json(10, 1, 0, 5),
    };
    parse_overview(&v.to_string()).expect("fixture parses")
}

fn user(name: &str) -> Value {
    json!({
        "userId": format!("u-{}", name.chars().take(4).collect::<String>().to_lowercase()),
        "displayName": name,
        "email": format!("{}@contoso.com", name.split(' ').next().unwrap_or("x").to_lowercase())
    })
}

fn clicked(at: &str) -> Value {
    json!([
        {"eventName": "SuccessfullyDeliveredMail", "eventDateTime": "2026-11-10T09:00:00Z"},
        {"eventName": "EmailLinkClicked", "eventDateTime": at}
    ])
}

/// Q3 with its report: six users covering every outcome, in no particular order.
/// Outcome order: Adele, Diego (compromised), Alex (clicked and reported), Bianca
/// (reported), Cameron, Mallory (no action).
pub fn q3_report() -> Kept<Simulation> {
    let mut sim: Value = serde_json::from_str(simulations()[1].raw.get()).expect("json");
    sim["report"] = json!({
        "overview": overview_json(6, 3, 2, 3),
        "simulationUsers": [
            {"simulationUser": user("Cameron White"), "isCompromised": false,
             "compromisedDateTime": null, "reportedPhishDateTime": null,
             "assignedTrainingsCount": 2, "completedTrainingsCount": 0,
             "simulationEvents": [{"eventName": "SuccessfullyDeliveredMail"}]},
            {"simulationUser": user("Diego Siciliani"), "isCompromised": true,
             "compromisedDateTime": "2026-11-10T09:50:00Z",
             "reportedPhishDateTime": "2026-11-10T12:00:00Z",
             "assignedTrainingsCount": 2, "completedTrainingsCount": 2,
             "simulationEvents": clicked("2026-11-10T09:45:00Z")},
            {"simulationUser": user("Bianca Pisani"), "isCompromised": false,
             "reportedPhishDateTime": "2026-11-10T09:30:00Z",
             "assignedTrainingsCount": 0, "completedTrainingsCount": 0,
             "simulationEvents": [{"eventName": "ReportedEmail"}]},
            {"simulationUser": {"userId": "u-mal",
                                "displayName": "Mallory\u{1b}[31m\u{202e}Evil",
                                "email": "mallory\u{1b}[0m@contoso.com"},
             "isCompromised": false,
             "assignedTrainingsCount": 0, "completedTrainingsCount": 0},
            {"simulationUser": user("Adele Vance"), "isCompromised": true,
             "compromisedDateTime": "2026-11-10T10:05:00Z",
             "assignedTrainingsCount": 2, "completedTrainingsCount": 1,
             "simulationEvents": clicked("2026-11-10T10:01:00Z")},
            {"simulationUser": user("Alex Wilber"), "isCompromised": false,
             "reportedPhishDateTime": "2026-11-10T11:00:00Z",
             "assignedTrainingsCount": 1, "completedTrainingsCount": 0,
             "simulationEvents": clicked("2026-11-10T10:30:00Z")}
        ]
    });
    kept(sim)
}

pub fn offenders() -> TenantRows {
    TenantRows::RepeatOffenders(vec![
        kept(json!({"attackSimulationUser": user("Diego Siciliani"), "repeatOffenceCount": 2})),
        kept(json!({"attackSimulationUser": user("Adele Vance"), "repeatOffenceCount": 3})),
        kept(
            json!({"attackSimulationUser": {"displayName": "Bianca Pisani",
                    "email": "bianca@contoso.com"}, "repeatOffenceCount": 2}),
        ),
    ])
}

pub fn training_coverage() -> TenantRows {
    TenantRows::TrainingCoverage(vec![
        kept(
            json!({"attackSimulationUser": user("Adele Vance"), "userTrainings": [
                {"displayName": "Phishing basics", "trainingStatus": "completed",
                 "assignedDateTime": "2026-11-10T10:05:00Z",
                 "completionDateTime": "2026-11-12T10:00:00Z"},
                {"displayName": "Spot the fake URL", "trainingStatus": "overdue",
                 "assignedDateTime": "2026-11-10T10:05:00Z"}
            ]}),
        ),
        kept(
            json!({"attackSimulationUser": user("Cameron White"), "userTrainings": [
                {"displayName": "Phishing basics", "trainingStatus": "inProgress"}
            ]}),
        ),
    ])
}

pub fn simulation_coverage() -> TenantRows {
    TenantRows::SimulationCoverage(vec![
        kept(
            json!({"attackSimulationUser": user("Adele Vance"), "simulationCount": 4,
                    "clickCount": 3, "compromisedCount": 3,
                    "latestSimulationDateTime": "2026-11-10T09:00:00Z"}),
        ),
        kept(
            json!({"attackSimulationUser": user("Bianca Pisani"), "simulationCount": 4,
                    "clickCount": 0, "compromisedCount": 0,
                    "latestSimulationDateTime": "2026-11-24T09:00:00Z"}),
        ),
    ])
}

pub fn overview_command(id: &str) -> Command {
    Command::Sims(SimsCommand::Overview { id: id.into() })
}

/// The worker's answer to an overview read of `id`.
pub fn overview_loaded(id: &str) -> Action {
    Action::Sims(SimsUpdate::Overview {
        id: id.into(),
        result: Ok(Box::new(overview(id))),
    })
}

/// `:sims` opened at `size`, the list loaded (the first two overviews asked, none
/// answered).
pub fn sims_listed_at(size: (u16, u16)) -> State {
    let mut s = State::new(session(), NOW);
    update(&mut s, Action::Resize(size.0, size.1));
    let cmds = command(&mut s, "sims");
    assert_eq!(cmds, [Command::Sims(SimsCommand::List)]);
    update(&mut s, Action::Sims(SimsUpdate::List(Ok(simulations()))));
    s
}

/// The list with every run simulation's overview answered.
pub fn sims_rated() -> State {
    let mut s = sims_listed_at((80, 24));
    for id in [GIFT, Q3, HOSTILE, OAUTH] {
        update(&mut s, overview_loaded(id));
    }
    s
}

/// Q3's report open and read.
pub fn q3_open() -> State {
    let mut s = sims_rated();
    while s.sims.cursor_id.as_deref() != Some(Q3) {
        press(&mut s, "j");
    }
    let cmds = update(
        &mut s,
        super::fixtures::code(ratatui::crossterm::event::KeyCode::Enter),
    );
    assert_eq!(cmds, [Command::Sims(SimsCommand::Report { id: Q3.into() })]);
    update(
        &mut s,
        Action::Sims(SimsUpdate::Report {
            id: Q3.into(),
            result: Ok(Box::new(q3_report())),
        }),
    );
    s
}

/// The tenant view open, all three reports read.
pub fn tenant_open() -> State {
    let mut s = sims_rated();
    press(&mut s, "t");
    for rows in [offenders(), training_coverage(), simulation_coverage()] {
        update(&mut s, Action::Sims(SimsUpdate::Tenant(Ok(rows))));
    }
    s
}
