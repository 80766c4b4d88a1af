//! `update` behaviour of `:sims`: the list read once, then one overview per run
//! simulation with at most two in flight, the rates, the filter, the report (read on
//! Enter, its users sorted and filtered), the tenant view read once, and failures that
//! keep what was loaded.

use super::case_fixtures::{command, press};
use super::fixtures::*;
use super::sim_fixtures::*;
use super::sims::{
    MAX_OVERVIEWS_IN_FLIGHT, Rate, Section, SimsCommand, SimsUpdate, TenantTab, UserSort, rows,
};
use super::*;
use ratatui::crossterm::event::KeyCode;

fn message(s: &State) -> &str {
    s.message.as_ref().map_or("", |m| m.text.as_str())
}

/// The list as drawn: the kept order, checked against one worked out afresh so a
/// change that forgot to refresh it fails here.
fn listed_ids(s: &State) -> Vec<String> {
    assert_eq!(s.sims.list_order(), rows(&s.sims), "stale list order");
    s.sims
        .list_order()
        .iter()
        .map(|&i| s.sims.list[i].id.clone())
        .collect()
}

/// The open report's users as the table lists them (the kept order, checked the same way).
fn user_names(s: &State) -> Vec<String> {
    let users = s.sims.open_users();
    assert_eq!(
        s.sims.user_order(),
        s.sims.open_user_rows(),
        "stale user order"
    );
    s.sims
        .user_order()
        .iter()
        .map(|&i| {
            users[i]
                .user_name()
                .split(' ')
                .next()
                .unwrap_or("")
                .to_owned()
        })
        .collect()
}

fn overview_failed(id: &str, e: &str) -> Action {
    Action::Sims(SimsUpdate::Overview {
        id: id.into(),
        result: Err(e.into()),
    })
}

#[test]
fn the_list_is_read_once_then_two_overviews_at_a_time_for_run_simulations_only() {
    let mut s = State::new(session(), NOW);
    update(&mut s, Action::Resize(80, 24));
    assert_eq!(command(&mut s, "sims"), [Command::Sims(SimsCommand::List)]);
    assert_eq!(s.focus, Focus::Sims);
    // Nothing else is asked before the list is there.
    let cmds = update(&mut s, Action::Sims(SimsUpdate::List(Ok(simulations()))));
    // Newest launch first: the scheduled one's coming launch leads, the draft is last.
    assert_eq!(
        listed_ids(&s),
        ["sim-sched", GIFT, Q3, HOSTILE, OAUTH, "sim-draft"]
    );
    // The first two run simulations in list order; never the draft or the scheduled one.
    assert_eq!(cmds, [overview_command(GIFT), overview_command(Q3)]);
    assert_eq!(s.sims.overviews_in_flight(), MAX_OVERVIEWS_IN_FLIGHT);
    // Every run row shows "…" while its overview is on its way (asked or waiting); the
    // others have none.
    for id in [GIFT, Q3, HOSTILE, OAUTH] {
        assert_eq!(s.sims.compromise_rate(id), Rate::Pending, "{id}");
    }
    assert_eq!(s.sims.compromise_rate("sim-draft"), Rate::None);
    assert_eq!(s.sims.report_rate("sim-sched"), Rate::None);
    // Each answer lets the next waiting one go: still two at most.
    assert_eq!(
        update(&mut s, overview_loaded(Q3)),
        [overview_command(HOSTILE)]
    );
    assert_eq!(s.sims.overviews_in_flight(), 2);
    // A failed overview also frees its place; its row shows "—" and the line says why.
    assert_eq!(
        update(&mut s, overview_failed(GIFT, "404 Not Found")),
        [overview_command(OAUTH)]
    );
    assert_eq!(s.sims.compromise_rate(GIFT), Rate::None);
    assert!(message(&s).contains("Gift card lure"), "{}", message(&s));
    assert!(update(&mut s, overview_loaded(HOSTILE)).is_empty());
    assert!(update(&mut s, overview_loaded(OAUTH)).is_empty());
    assert_eq!(s.sims.overviews_in_flight(), 0);
    // The rates: Graph's compromisedRate, and ReportedEmail over the resolved targets.
    let q3 = s.sims.compromise_rate(Q3);
    assert!(
        matches!(q3, Rate::Known(r) if (r - 100.0 / 3.0).abs() < 1e-9),
        "{q3:?}"
    );
    assert_eq!(s.sims.report_rate(Q3), Rate::Known(50.0));
    assert_eq!(s.sims.report_rate(OAUTH), Rate::Known(50.0));
    // Opening again reads nothing, and nothing is asked twice.
    update(&mut s, code(KeyCode::Esc));
    assert_eq!(s.focus, Focus::Queue);
    assert!(command(&mut s, "sims").is_empty());
    // r reads the list again (once, even if pressed twice while it runs), then every run
    // simulation's overview again.
    assert_eq!(press(&mut s, "r"), [Command::Sims(SimsCommand::List)]);
    assert!(press(&mut s, "r").is_empty());
    let cmds = update(&mut s, Action::Sims(SimsUpdate::List(Ok(simulations()))));
    assert_eq!(cmds, [overview_command(GIFT), overview_command(Q3)]);
    // The rates read before stay on screen while the new ones are read.
    assert_eq!(s.sims.report_rate(Q3), Rate::Known(50.0));
}

#[test]
fn a_reload_never_has_more_than_two_overviews_in_flight() {
    let mut s = sims_listed_at((80, 24));
    // r while GIFT and Q3 are still being read: the new list waits for them.
    press(&mut s, "r");
    let cmds = update(&mut s, Action::Sims(SimsUpdate::List(Ok(simulations()))));
    assert!(cmds.is_empty(), "{cmds:?}");
    assert_eq!(
        update(&mut s, overview_loaded(GIFT)),
        [overview_command(HOSTILE)]
    );
    assert_eq!(s.sims.overviews_in_flight(), 2);
}

#[test]
fn failures_keep_what_was_loaded_and_say_why() {
    let mut s = sims_rated();
    press(&mut s, "r");
    update(
        &mut s,
        Action::Sims(SimsUpdate::List(Err(
            "403 Forbidden\u{1b}[2J: AttackSimulation.Read.All".into(),
        ))),
    );
    assert_eq!(s.sims.list.len(), 6);
    assert_eq!(s.sims.report_rate(Q3), Rate::Known(50.0));
    assert!(message(&s).contains("Loading the simulations failed"));
    assert!(message(&s).contains("AttackSimulation.Read.All"));
    assert!(!message(&s).contains('\u{1b}'));
    // A report that fails to read again keeps the one read before.
    let mut s = q3_open();
    assert_eq!(
        press(&mut s, "r"),
        [Command::Sims(SimsCommand::Report { id: Q3.into() })]
    );
    update(
        &mut s,
        Action::Sims(SimsUpdate::Report {
            id: Q3.into(),
            result: Err("503 Service Unavailable".into()),
        }),
    );
    assert_eq!(s.sims.open_users().len(), 6);
    assert!(message(&s).contains("Reading the report failed: 503"));
    // A tenant report that fails says which one.
    let mut s = tenant_open();
    press(&mut s, "r");
    update(
        &mut s,
        Action::Sims(SimsUpdate::Tenant(Err((
            TenantTab::RepeatOffenders,
            "429 Too Many Requests".into(),
        )))),
    );
    assert_eq!(s.sims.tenant_len(), 3);
    assert!(message(&s).contains("Reading the repeat offenders failed: 429"));
}

#[test]
fn the_filter_matches_name_technique_and_status() {
    let mut s = sims_rated();
    press(&mut s, "/payroll");
    assert_eq!(listed_ids(&s), [Q3]);
    update(&mut s, code(KeyCode::Esc));
    press(&mut s, "/credential");
    assert_eq!(listed_ids(&s), [Q3]);
    update(&mut s, code(KeyCode::Esc));
    press(&mut s, "/SCHEDULED");
    assert_eq!(listed_ids(&s), ["sim-sched"]);
    update(&mut s, code(KeyCode::Enter));
    assert_eq!(s.sims.cursor_id.as_deref(), Some("sim-sched"));
    // Esc clears a kept filter before it leaves the pane.
    update(&mut s, code(KeyCode::Esc));
    assert_eq!(s.focus, Focus::Sims);
    assert!(s.sims.filter.is_empty());
    assert_eq!(listed_ids(&s).len(), 6);
}

#[test]
fn enter_reads_the_report_once_and_esc_comes_back() {
    let mut s = q3_open();
    assert_eq!(s.focus, Focus::Sim);
    assert_eq!(s.sims.open.as_deref(), Some(Q3));
    assert_eq!(s.sims.open_users().len(), 6);
    update(&mut s, code(KeyCode::Esc));
    assert_eq!(s.focus, Focus::Sims);
    assert_eq!(s.sims.cursor_id.as_deref(), Some(Q3));
    // Read once: opening it again asks nothing.
    assert!(update(&mut s, code(KeyCode::Enter)).is_empty());
    assert_eq!(s.focus, Focus::Sim);
    // A simulation that has not run has no report to read.
    update(&mut s, code(KeyCode::Esc));
    press(&mut s, "g");
    assert_eq!(s.sims.cursor_id.as_deref(), Some("sim-sched"));
    assert!(update(&mut s, code(KeyCode::Enter)).is_empty());
    assert!(message(&s).contains("has not run yet"), "{}", message(&s));
}

#[test]
fn s_cycles_the_user_order_as_specified() {
    let mut s = q3_open();
    assert_eq!(s.sims.report.sort, UserSort::Outcome);
    // Compromised, clicked, reported, no action; by name inside each.
    assert_eq!(
        user_names(&s),
        [
            "Adele",
            "Diego",
            "Alex",
            "Bianca",
            "Cameron",
            "Mallory\u{1b}[31m\u{202e}Evil"
        ]
    );
    press(&mut s, "s");
    assert_eq!(s.sims.report.sort, UserSort::Name);
    assert_eq!(
        user_names(&s),
        [
            "Adele",
            "Alex",
            "Bianca",
            "Cameron",
            "Diego",
            "Mallory\u{1b}[31m\u{202e}Evil"
        ]
    );
    assert!(message(&s).contains("sorted by name"));
    press(&mut s, "s");
    // First to report on top; those who never reported after, by name.
    assert_eq!(
        user_names(&s),
        [
            "Bianca",
            "Alex",
            "Diego",
            "Adele",
            "Cameron",
            "Mallory\u{1b}[31m\u{202e}Evil"
        ]
    );
    press(&mut s, "s");
    // Most trainings still to do first.
    assert_eq!(
        user_names(&s),
        [
            "Cameron",
            "Adele",
            "Alex",
            "Bianca",
            "Diego",
            "Mallory\u{1b}[31m\u{202e}Evil"
        ]
    );
    press(&mut s, "s");
    assert_eq!(s.sims.report.sort, UserSort::Outcome);
}

#[test]
fn c_shows_only_the_compromised_users() {
    let mut s = q3_open();
    press(&mut s, "jjj");
    assert_eq!(s.sims.report.user_cursor, 3);
    press(&mut s, "c");
    assert!(s.sims.report.compromised_only);
    assert_eq!(user_names(&s), ["Adele", "Diego"]);
    // The cursor goes back to the first row of the shorter list.
    assert_eq!(s.sims.report.user_cursor, 0);
    press(&mut s, "G");
    assert_eq!(s.sims.report.user_cursor, 1);
    // Sorting keeps the filter.
    press(&mut s, "s");
    assert_eq!(user_names(&s), ["Adele", "Diego"]);
    press(&mut s, "c");
    assert_eq!(user_names(&s).len(), 6);
}

#[test]
fn tab_moves_between_users_and_trainings_and_keys_scroll_the_shown_one() {
    let mut s = q3_open();
    assert_eq!(s.sims.report.section, Section::Users);
    press(&mut s, "G");
    assert_eq!(s.sims.report.user_cursor, 5);
    update(&mut s, code(KeyCode::Tab));
    assert_eq!(s.sims.report.section, Section::Trainings);
    press(&mut s, "j");
    assert_eq!(s.sims.report.training_cursor, 1);
    press(&mut s, "j");
    assert_eq!(s.sims.report.training_cursor, 1, "two trainings");
    assert_eq!(s.sims.report.user_cursor, 5);
    update(&mut s, code(KeyCode::PageUp));
    assert_eq!(s.sims.report.training_cursor, 0);
    // s goes back to the users: it sorts them.
    press(&mut s, "s");
    assert_eq!(s.sims.report.section, Section::Users);
}

#[test]
fn the_tenant_view_reads_its_reports_once() {
    let mut s = sims_rated();
    let cmds = press(&mut s, "t");
    assert_eq!(s.focus, Focus::SimTenant);
    assert_eq!(
        cmds,
        [
            Command::Sims(SimsCommand::Tenant(TenantTab::RepeatOffenders)),
            Command::Sims(SimsCommand::Tenant(TenantTab::TrainingCoverage)),
            Command::Sims(SimsCommand::Tenant(TenantTab::SimulationCoverage)),
        ]
    );
    for rows in [offenders(), training_coverage(), simulation_coverage()] {
        update(&mut s, Action::Sims(SimsUpdate::Tenant(Ok(rows))));
    }
    assert_eq!(s.sims.tenant_len(), 3);
    update(&mut s, code(KeyCode::Tab));
    assert_eq!(s.sims.tenant_tab, TenantTab::TrainingCoverage);
    assert_eq!(s.sims.tenant_len(), 2);
    update(&mut s, code(KeyCode::Esc));
    assert_eq!(s.focus, Focus::Sims);
    // Opened again: nothing read again, the tab kept.
    assert!(press(&mut s, "t").is_empty());
    assert_eq!(s.sims.tenant_tab, TenantTab::TrainingCoverage);
    // r reads all three again.
    assert_eq!(press(&mut s, "r").len(), 3);
}

#[test]
fn repeat_offenders_are_listed_most_offences_first() {
    let s = tenant_open();
    let Some(super::sims::TenantRows::RepeatOffenders(list)) =
        s.sims.tenant.get(&TenantTab::RepeatOffenders)
    else {
        panic!("offenders read");
    };
    let names: Vec<&str> = super::sims::offender_rows(list)
        .into_iter()
        .map(|i| list[i].attack_simulation_user.as_ref().unwrap().name())
        .collect();
    assert_eq!(names, ["Adele Vance", "Bianca Pisani", "Diego Siciliani"]);
}

#[test]
fn the_sims_keys_are_in_the_help() {
    let lines = help::lines(s().keymap());
    let text = format!("{lines:?}");
    for wanted in [
        "Attack simulations (:sims)",
        "only the compromised users",
        "sort the users: outcome, name, reported time, trainings to do",
        "the tenant reports",
    ] {
        assert!(text.contains(wanted), "{wanted}");
    }
}

fn s() -> State {
    State::new(session(), NOW)
}

#[test]
fn huge_training_counts_sort_without_overflow() {
    use crate::graph::sims::UserSimulationDetails;
    // "1e30" and "-1e30" read as i64::MAX and i64::MIN; their difference must saturate.
    let users: Vec<UserSimulationDetails> = serde_json::from_str(
        r#"[{"simulationUser":{"email":"a@x"},"assignedTrainingsCount":1,"completedTrainingsCount":0},
            {"simulationUser":{"email":"b@x"},"assignedTrainingsCount":"1e30","completedTrainingsCount":"-1e30"}]"#,
    )
    .unwrap();
    assert_eq!(
        super::sims::user_rows(&users, UserSort::Trainings, false),
        [1, 0]
    );
}
