//! The `:sims` report of one large simulation: 5,000 targeted users (a quarter clicked, a
//! tenth compromised, some reported, trainings assigned), the size of a whole-company
//! campaign, with 40 simulations in the list.
//!
//! - `render 160x48 / 80x24`: one `ui::render` of the report into a `TestBackend` buffer
//!   (only the visible users are formatted).
//! - `keys j + k`: moving the cursor one user down and back (`app::update`), which must
//!   not re-sort.
//! - `key s`: the next sort order over all 5,000 users (the one key that does sort).
//! - `report arrives`: `app::update` taking the report (parse done), sorting it once.
//!
//! Run: `cargo bench --bench sims_report -- --quick`.

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use graphsec::app::sims::SimsUpdate;
use graphsec::app::{Action, KeyMap, SessionInfo, State, update};
use graphsec::graph::cases::Kept;
use graphsec::graph::sims::Simulation;
use graphsec::ui::render;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::json;
use std::hint::black_box;
use time::OffsetDateTime;
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2026-11-26 12:00 UTC);
const USERS: usize = 5_000;
const SIMULATIONS: usize = 40;

fn simulation(i: usize, users: usize) -> Kept<Simulation> {
    let lines: Vec<_> = (0..users)
        .map(|u| {
            let compromised = u % 10 == 3;
            let clicked = compromised || u % 4 == 1;
            let mut events = vec![json!({"eventName": "SuccessfullyDeliveredMail", "eventDateTime": "2026-11-20T09:00:00Z"})];
            if clicked {
                events.push(json!({"eventName": "EmailLinkClicked", "eventDateTime": "2026-11-20T09:05:00Z"}));
            }
            json!({
                "simulationUser": {
                    "userId": format!("u{u}"),
                    "displayName": format!("User {:05} Example-Name", (u * 7919) % USERS),
                    "email": format!("user{u}@contoso.example"),
                },
                "isCompromised": compromised,
                "compromisedDateTime": compromised.then_some("2026-11-20T09:06:00Z"),
                "reportedPhishDateTime": (u % 9 == 0).then_some("2026-11-20T10:00:00Z"),
                "assignedTrainingsCount": if clicked { 2 } else { 0 },
                "completedTrainingsCount": if clicked { (u % 3) as i64 } else { 0 },
                "simulationEvents": events,
            })
        })
        .collect();
    let compromised = lines.iter().filter(|l| l["isCompromised"] == true).count();
    let v = json!({
        "id": format!("sim-{i}"),
        "displayName": format!("Campaign {i}: password expiry notice"),
        "status": "succeeded",
        "attackTechnique": "credentialHarvesting",
        "attackType": "social",
        "payloadDeliveryPlatform": "email",
        "launchDateTime": "2026-11-20T09:00:00Z",
        "completionDateTime": "2026-11-25T09:00:00Z",
        "report": {
            "overview": {
                "resolvedTargetsCount": users,
                "simulationEventsContent": {
                    "compromisedRate": compromised as f64 * 100.0 / users.max(1) as f64,
                    "events": [{"eventName": "ReportedEmail", "count": users / 9}],
                },
                "trainingEventsContent": {"assignedTrainingsInfos": [
                    {"displayName": "Phishing basics", "assignedUserCount": users / 4, "completedUserCount": users / 12}
                ]},
            },
            "simulationUsers": lines,
        },
    });
    Kept::from_json(&v.to_string()).unwrap()
}

fn key(code: KeyCode) -> Action {
    Action::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// A console with `:sims` open, the list loaded, and the first simulation's report open.
fn report_state(size: (u16, u16), report: &Kept<Simulation>) -> State {
    let session = SessionInfo {
        profile: "bench".into(),
        profiles: Vec::new(),
        endpoint: "https://graph.microsoft.com".into(),
        me: Some("analyst@contoso.example".into()),
        read_only: false,
        keymap: KeyMap::default(),
        no_color: false,
        planned: Default::default(),
        planned_file: None,
        chart_marker: Default::default(),
    };
    let mut state = State::new(session, NOW);
    update(&mut state, Action::Resize(size.0, size.1));
    for c in ":sims".chars() {
        update(&mut state, key(KeyCode::Char(c)));
    }
    update(&mut state, key(KeyCode::Enter));
    let list = (0..SIMULATIONS).map(|i| simulation(i, 0)).collect();
    update(&mut state, Action::Sims(SimsUpdate::List(Ok(list))));
    update(&mut state, key(KeyCode::Enter));
    update(&mut state, report_arrives(report));
    state
}

fn report_arrives(report: &Kept<Simulation>) -> Action {
    Action::Sims(SimsUpdate::Report {
        id: report.id.clone(),
        result: Ok(Box::new(report.clone())),
    })
}

fn bench(c: &mut Criterion) {
    let report = simulation(0, USERS);
    let mut g = c.benchmark_group("sims report, 5000 users");
    for (w, h) in [(160, 48), (80, 24)] {
        let state = report_state((w, h), &report);
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
        g.bench_function(format!("render {w}x{h}"), |b| {
            b.iter(|| {
                let mut frame = term.get_frame();
                render(black_box(&state), &mut frame);
            })
        });
    }
    let mut state = report_state((160, 48), &report);
    // Down then up, so the cursor never parks at the last user (where `j` does nothing).
    update(&mut state, key(KeyCode::Char('j')));
    g.bench_function("keys j + k", |b| {
        b.iter(|| {
            update(&mut state, key(KeyCode::Char('j')));
            update(&mut state, key(KeyCode::Char('k')))
        })
    });
    g.bench_function("key s", |b| {
        b.iter(|| update(&mut state, key(KeyCode::Char('s'))))
    });
    g.bench_function("report arrives", |b| {
        b.iter_batched(
            || (report_state((160, 48), &report), report_arrives(&report)),
            |(mut state, action)| update(&mut state, action),
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
