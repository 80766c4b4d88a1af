//! `:controls` end to end: the real worker and outbox against the emulator over loopback,
//! driven through `app::update` and drawn with `TestBackend`. The analyst opens
//! `:controls`, sets the control with the most points available to ThirdParty with a
//! comment, and the emulator then holds that state (one PATCH, vendorInformation sent),
//! the console shows Graph's answer, and today's score, read again, has the control's
//! points. Two other controls marked planned give the projection drawn on the pane.

mod support;

use futures_util::StreamExt;
use graphsec::app::Action;
use graphsec::emulator::{self, EmulatorConfig, Route};
use graphsec::graph::odata::ODataQuery;
use graphsec::graph::score::{ControlState, SecureScoreControlProfile};
use graphsec::graph::{Client, ClientConfig, StaticToken};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::sync::Arc;
use support::console::Console;

async fn profiles(client: &Client) -> Vec<SecureScoreControlProfile> {
    let mut pages = std::pin::pin!(client.list_control_profiles(&ODataQuery::new()));
    let mut all = Vec::new();
    while let Some(page) = pages.next().await {
        all.extend(page.expect("page").items);
    }
    all
}

async fn today_score(client: &Client) -> f64 {
    let mut pages = std::pin::pin!(client.list_secure_scores(&ODataQuery::new().top(1)));
    let page = pages.next().await.expect("a page").expect("ok");
    page.items[0].current_score.expect("currentScore")
}

fn patches(e: &emulator::RunningEmulator) -> u64 {
    e.controls()
        .counters()
        .iter()
        .filter(|(m, r, _)| m == "PATCH" && *r == Route::ControlProfile)
        .map(|(_, _, n)| n)
        .sum()
}

#[tokio::test]
async fn an_analyst_sets_the_top_control_to_third_party_and_plans_two_more() {
    let e = emulator::start(EmulatorConfig {
        alerts: 50,
        seed: 11,
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts");
    let client = Client::new(
        ClientConfig::new(e.base_url()),
        Arc::new(StaticToken::new("t")),
    )
    .expect("client");
    let before = today_score(&client).await;

    let mut c = Console::start(&e, (120, 40));
    c.settle().await;
    c.keys(":controls");
    c.code(KeyCode::Enter);
    let mut loaded = (false, false);
    c.until("the history and the profiles", |a| {
        match a {
            Action::SecureScoresLoaded(r) => loaded.0 = r.is_ok(),
            Action::ControlProfilesLoaded(r) => loaded.1 = r.is_ok(),
            _ => {}
        }
        loaded == (true, true)
    })
    .await;
    let screen = c.screen();
    assert!(screen.contains("controls · "), "{screen}");

    // The first row is the control with the most points available; it is not achieved.
    let first = c.screen().lines().nth(3).unwrap_or_default().to_owned();
    let (available, max) = {
        let cell = first.split_whitespace().next().expect("points cell");
        let (a, m) = cell.split_once('/').expect("avail/max");
        (a.parse::<f64>().unwrap(), m.parse::<f64>().unwrap())
    };
    assert!(available > 0.0, "{first}");
    let all = profiles(&client).await;
    let top_id = c
        .state
        .selected_control()
        .expect("a control selected")
        .to_owned();
    let top = all.iter().find(|p| p.id == top_id).expect("listed");
    assert_eq!(top.max_score, Some(max));
    // Nothing else has more points available.
    assert!(
        all.iter()
            .all(|p| p.max_score.unwrap_or(0.0) <= max || p.id == top.id || available >= 1.0),
        "{first}"
    );

    // e, pick ThirdParty (3), tab twice to the comment, type, ctrl-s.
    c.key('e');
    c.key('3');
    c.code(KeyCode::Tab);
    c.code(KeyCode::Tab);
    c.keys("Covered by the EDR we run");
    c.apply(Action::Key(KeyEvent::new(
        KeyCode::Char('s'),
        KeyModifiers::CONTROL,
    )));
    assert!(c.screen().contains("…ThirdParty"), "{}", c.screen());
    c.until("Graph's answer", |a| {
        matches!(a, Action::ControlWriteSucceeded { .. })
    })
    .await;
    c.until("the history read again", |a| {
        matches!(a, Action::SecureScoresLoaded(Ok(_)))
    })
    .await;
    let screen = c.screen();
    assert!(screen.contains("is now ThirdParty"), "{screen}");
    assert!(!screen.contains("…ThirdParty"), "{screen}");

    // The emulator took one PATCH and holds the state and comment as the newest update.
    assert_eq!(patches(&e), 1);
    let now = client.get_control_profile(&top.id).await.expect("profile");
    let newest = now.control_state_updates.last().expect("an update");
    assert_eq!(newest.state, Some(ControlState::ThirdParty));
    assert_eq!(newest.comment.as_deref(), Some("Covered by the EDR we run"));
    // ThirdParty earns the control's points: today's score grew by what was available.
    let after = today_score(&client).await;
    assert!(
        (after - (before + available)).abs() < 1e-9,
        "{before} + {available} != {after}"
    );
    assert!(
        c.screen().contains(&format!("Today {}", trim(after))),
        "{}",
        c.screen()
    );

    // Plan the two top rows: the projection is today's score plus their missing points.
    c.key('g');
    let rows: Vec<String> = c
        .screen()
        .lines()
        .skip(3)
        .take(2)
        .map(str::to_owned)
        .collect();
    let gain: f64 = rows
        .iter()
        .map(|r| {
            let cell = r.split_whitespace().next().unwrap_or("0/0");
            cell.split_once('/').unwrap().0.parse::<f64>().unwrap()
        })
        .sum();
    c.key('p');
    c.key('j');
    c.key('p');
    let screen = c.screen();
    assert!(
        screen.contains(&format!("projected {}", trim(after + gain))),
        "want projected {} from {rows:?}\n{screen}",
        trim(after + gain)
    );
    assert!(screen.contains("if 2 planned done"), "{screen}");
}

fn trim(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

#[tokio::test]
async fn the_worker_keeps_planned_marks_in_the_profiles_file() {
    let e = emulator::start(EmulatorConfig {
        alerts: 10,
        seed: 3,
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts");
    let dir = std::env::temp_dir().join(format!("graphsec-planned-console-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = graphsec::planned::file(&dir, "prod");
    let mut c = Console::start(&e, (80, 24));
    c.send(vec![graphsec::app::Command::SavePlanned {
        path: path.clone(),
        ids: vec!["AdminMFAV2".into(), "DLPEnabled".into()],
    }]);
    let mut tries = 0;
    while !path.exists() {
        tries += 1;
        assert!(tries < 500, "the worker never wrote {}", path.display());
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let (ids, problem) = graphsec::planned::load(&path);
    assert_eq!(problem, None);
    assert_eq!(
        ids.into_iter().collect::<Vec<_>>(),
        ["AdminMFAV2", "DLPEnabled"]
    );
    let _ = std::fs::remove_dir_all(&dir);
}
