//! Snapshots of `:sims` at 80x24 and 160x48: the simulation list with rates (some still
//! on their way), a report (gauges, users, trainings), the tenant view, the list while it
//! loads and after it failed, and a simulation with an escape sequence and bidi controls
//! in its name, description and users.

use super::tests::{SIZES, screen_text, snapshot};
use crate::app::case_fixtures::press;
use crate::app::fixtures::code;
use crate::app::sim_fixtures::*;
use crate::app::sims::SimsUpdate;
use crate::app::{Action, State, update};
use ratatui::crossterm::event::KeyCode;

#[test]
fn sim_list() {
    for size in SIZES {
        let mut s = sims_listed_at(size);
        // Two overviews answered, two still to come.
        update(&mut s, overview_loaded(GIFT));
        update(&mut s, overview_loaded(Q3));
        let text = screen_text(&snapshot("sim_list", &mut s, size));
        assert!(text.contains("Q3 payroll phish"), "{text}");
        assert!(text.contains("33.3%"), "{text}");
        assert!(text.contains("50.0%"), "{text}");
        assert!(text.contains('…'), "a rate on its way: {text}");
        assert!(text.contains('—'), "a draft has none: {text}");
        assert!(text.contains("2 rates to read"), "{text}");
        if size.0 >= 100 {
            assert!(text.contains("completed"), "{text}");
        }
    }
}

#[test]
fn sim_report() {
    for size in SIZES {
        let mut s = q3_open();
        let text = screen_text(&snapshot("sim_report", &mut s, size));
        assert!(text.contains("simulations › Q3 payroll phish"), "{text}");
        assert!(text.contains("Payroll portal credential lure"), "{text}");
        assert!(text.contains("targets 6"), "{text}");
        assert!(text.contains("reported 3"), "{text}");
        assert!(text.contains("credentials supplied 2"), "{text}");
        assert!(text.contains("33.3%"), "compromised gauge: {text}");
        assert!(text.contains("50.0%"), "reported gauge: {text}");
        assert!(text.contains("training"), "{text}");
        assert!(text.contains("Adele Vance"), "{text}");
        assert!(text.contains("compromised"), "{text}");
        assert!(text.contains("6 users · 2 compromised"), "{text}");
        // Room for both: the trainings under the users.
        assert!(text.contains("Spot the fake URL"), "{text}");
        assert!(text.contains("Phishing basics"), "{text}");
        assert!(!text.contains("tab switches"), "{text}");
    }
}

#[test]
fn sim_report_compromised_only_and_sections_that_do_not_fit() {
    let mut s = q3_open();
    press(&mut s, "c");
    let text = screen_text(&snapshot("sim_report_compromised", &mut s, SIZES[0]));
    assert!(text.contains("users (2 compromised)"), "{text}");
    assert!(!text.contains("Cameron"), "{text}");
    // Twenty users and two trainings do not fit in 80x24: one at a time, tab switches.
    let mut s = q3_open();
    let mut report: serde_json::Value = serde_json::from_str(q3_report().raw.get()).unwrap();
    let users = report["report"]["simulationUsers"]
        .as_array()
        .unwrap()
        .clone();
    let mut many = Vec::new();
    for i in 0..20 {
        let mut u = users[i % users.len()].clone();
        u["simulationUser"]["displayName"] = format!("User {i:02}").into();
        many.push(u);
    }
    report["report"]["simulationUsers"] = many.into();
    update(
        &mut s,
        Action::Sims(SimsUpdate::Report {
            id: Q3.into(),
            result: Ok(Box::new(
                crate::graph::cases::Kept::from_json(&report.to_string()).unwrap(),
            )),
        }),
    );
    let text = screen_text(&snapshot("sim_report_users_only", &mut s, SIZES[0]));
    assert!(text.contains("tab switches"), "{text}");
    assert!(!text.contains("Phishing basics"), "{text}");
    update(&mut s, code(KeyCode::Tab));
    let text = screen_text(&snapshot("sim_report_trainings", &mut s, SIZES[0]));
    assert!(text.contains("Phishing basics"), "{text}");
    assert!(text.contains("█████░░░░░ 50%"), "{text}");
    assert!(!text.contains("User 00"), "{text}");
}

#[test]
fn sim_tenant() {
    for size in SIZES {
        let mut s = tenant_open();
        let text = screen_text(&snapshot("sim_tenant", &mut s, size));
        assert!(text.contains("simulations › tenant"), "{text}");
        assert!(
            text.contains("repeat offenders  training coverage"),
            "{text}"
        );
        let adele = text.find("Adele Vance").expect("Adele listed");
        let diego = text.find("Diego Siciliani").expect("Diego listed");
        assert!(adele < diego, "most offences first: {text}");
        update(&mut s, code(KeyCode::Tab));
        let text = screen_text(&snapshot("sim_tenant_training", &mut s, size));
        assert!(text.contains("1/2"), "{text}");
        update(&mut s, code(KeyCode::Tab));
        let text = screen_text(&snapshot("sim_tenant_coverage", &mut s, size));
        assert!(text.contains("Bianca Pisani"), "{text}");
    }
}

#[test]
fn a_simulation_that_has_not_run_says_so() {
    let mut s = sims_rated();
    press(&mut s, "G");
    update(&mut s, code(KeyCode::Enter));
    let text = screen_text(&snapshot("sim_report_draft", &mut s, SIZES[0]));
    assert!(text.contains("Invoice attachment (draft)"), "{text}");
    assert!(text.contains("Not run yet: no report"), "{text}");
    assert!(text.contains("Not run yet: no per-user results"), "{text}");
    assert!(!text.contains("Reading"), "{text}");
}

#[test]
fn sim_list_loading_and_failed() {
    let mut s = State::new(crate::app::fixtures::session(), crate::app::fixtures::NOW);
    update(&mut s, Action::Resize(80, 24));
    crate::app::case_fixtures::command(&mut s, "sims");
    let text = screen_text(&snapshot("sim_loading", &mut s, SIZES[0]));
    assert!(text.contains("Reading the attack simulations…"), "{text}");
    update(
        &mut s,
        Action::Sims(SimsUpdate::List(Err(
            "403 Forbidden: AttackSimulation.Read.All\u{1b}[2J".into(),
        ))),
    );
    let text = screen_text(&snapshot("sim_failed", &mut s, SIZES[0]));
    assert!(
        text.contains("Could not read the simulations: 403"),
        "{text}"
    );
}

#[test]
fn sim_hostile_strings_are_drawn_safely() {
    for size in SIZES {
        let mut s = sims_rated();
        // The hostile simulation's report, read with the Q3 users behind it.
        while s.sims.cursor_id.as_deref() != Some(HOSTILE) {
            press(&mut s, "j");
        }
        update(&mut s, code(KeyCode::Enter));
        let mut report: serde_json::Value =
            serde_json::from_str(q3_report().raw.get()).expect("json");
        let hostile: serde_json::Value = serde_json::from_str(
            simulations()
                .iter()
                .find(|x| x.id == HOSTILE)
                .unwrap()
                .raw
                .get(),
        )
        .expect("json");
        for k in ["id", "displayName", "description", "createdBy", "status"] {
            report[k] = hostile[k].clone();
        }
        update(
            &mut s,
            Action::Sims(SimsUpdate::Report {
                id: HOSTILE.into(),
                result: Ok(Box::new(
                    crate::graph::cases::Kept::from_json(&report.to_string()).expect("parses"),
                )),
            }),
        );
        let text = screen_text(&snapshot("sim_hostile", &mut s, size));
        assert!(text.contains("Evil"), "{text}");
        assert!(text.contains("Mallory"), "{text}");
        assert!(text.contains("hidden"), "{text}");
    }
}

#[test]
fn huge_training_counts_give_a_percent_not_an_overflow() {
    use super::sims::done_percent;
    assert_eq!(done_percent(Some(i64::MAX), Some(i64::MAX)), Some(100));
    assert_eq!(done_percent(Some(i64::MAX), Some(i64::MAX / 2)), Some(49));
    assert_eq!(done_percent(Some(4), Some(1)), Some(25));
    assert_eq!(done_percent(Some(0), Some(1)), None);
}
