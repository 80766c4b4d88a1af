//! `:sims` end to end: the real worker against the emulator over loopback, driven through
//! `app::update` and drawn with `TestBackend`. The analyst opens `:sims`, waits for the
//! rates, reads the first run simulation's compromise rate (it must be the emulator's
//! overview figure), opens its report and keeps only the compromised users (they must be
//! exactly the report's compromised users); then the tenant view.

mod support;

use graphsec::app::Action;
use graphsec::app::sims::{Rate, SimsUpdate};
use graphsec::emulator::{self, EmulatorConfig};
use graphsec::graph::{BudgetConfig, Client, ClientConfig, StaticToken};
use ratatui::crossterm::event::KeyCode;
use std::sync::Arc;
use support::console::Console;

#[tokio::test]
async fn an_analyst_reads_a_compromise_rate_and_lists_the_compromised_users() {
    let e = emulator::start(EmulatorConfig {
        alerts: 5,
        seed: 7,
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts");
    let mut c = Console::start(&e, (120, 40));
    assert_eq!(c.settle().await, None, "the alert queue loads");

    c.key(':');
    c.keys("sims");
    c.code(KeyCode::Enter);
    let loaded = c
        .until("the simulation list", |a| {
            matches!(a, Action::Sims(SimsUpdate::List(_)))
        })
        .await;
    let Action::Sims(SimsUpdate::List(Ok(sims))) = loaded else {
        panic!("the simulations load: {loaded:?}");
    };
    let run: Vec<String> = sims
        .iter()
        .filter(|s| s.has_run())
        .map(|s| s.id.clone())
        .collect();
    assert!(run.len() >= 5, "the demo tenant has run simulations");
    assert!(run.len() < sims.len(), "and drafts or scheduled ones");
    // One overview per run simulation, none for the others; two at a time at most.
    let mut answered = 0;
    while answered < run.len() {
        c.until("an overview", |a| {
            matches!(a, Action::Sims(SimsUpdate::Overview { .. }))
        })
        .await;
        answered += 1;
    }
    let rows = c.state.sim_rows();
    assert!(
        rows.iter()
            .all(|(_, compromise, _)| *compromise != Rate::Pending),
        "every rate is in: {rows:?}"
    );
    let screen = c.screen();
    assert!(screen.contains("simulations ·"), "{screen}");
    assert!(
        !screen.contains("rates to read"),
        "nothing still on its way: {screen}"
    );

    // The first run simulation on screen: its rate is the emulator's overview figure.
    let (first, shown, _) = rows
        .iter()
        .find(|(id, _, _)| run.contains(id))
        .cloned()
        .expect("a run simulation is listed");
    let client = Client::new(
        ClientConfig {
            budget: BudgetConfig::unlimited(),
            ..ClientConfig::new(e.base_url())
        },
        Arc::new(StaticToken::new("test-token")),
    )
    .expect("client");
    let overview = client
        .get_simulation_overview(&first)
        .await
        .expect("the emulator's overview");
    let expected = overview.compromised_rate().expect("a compromise rate");
    assert_eq!(shown, Rate::Known(expected), "{first}");
    assert!(
        screen.contains(&format!("{expected:.1}%")),
        "{expected:.1}% on screen: {screen}"
    );

    // Enter on it, compromised users only.
    while c.state.selected_sim() != Some(first.as_str()) {
        c.key('j');
    }
    c.code(KeyCode::Enter);
    let report = c
        .until("the report", |a| {
            matches!(a, Action::Sims(SimsUpdate::Report { .. }))
        })
        .await;
    let Action::Sims(SimsUpdate::Report {
        result: Ok(sim), ..
    }) = report
    else {
        panic!("the report loads: {report:?}");
    };
    c.key('c');
    let mut compromised: Vec<String> = sim
        .report
        .as_ref()
        .expect("a run simulation has a report")
        .simulation_users
        .iter()
        .filter(|u| u.compromised())
        .filter_map(|u| u.simulation_user.as_ref()?.user_id.clone())
        .collect();
    let mut listed = c.state.sim_report_user_ids();
    compromised.sort();
    listed.sort();
    assert_eq!(listed, compromised);
    let screen = c.screen();
    assert!(
        screen.contains("compromised) · sorted by outcome"),
        "{screen}"
    );
    assert!(!screen.contains("Could not read"), "{screen}");

    // The tenant view reads its three reports.
    c.code(KeyCode::Esc);
    c.key('t');
    for _ in 0..3 {
        c.until("a tenant report", |a| {
            matches!(a, Action::Sims(SimsUpdate::Tenant(_)))
        })
        .await;
    }
    let screen = c.screen();
    assert!(screen.contains("repeat offenders"), "{screen}");
    assert!(!screen.contains("Could not read"), "{screen}");
    e.shutdown().await;
}
