//! Drawing the `:score` pane with a year of daily snapshots (365 days, a few missing, the
//! averages missing on some days) and two planned controls, so the chart has its runs,
//! the comparative series and the target line.
//!
//! - `render 160x48 / 80x24, 30|90 days`: one `ui::render` into a `TestBackend` buffer.
//! - `render + diff 160x48, 90 days`: what the terminal loop does on a redraw
//!   (`Terminal::draw`: render, diff against the last frame, flush to the test backend).
//!
//! Run: `cargo bench --bench score_chart -- --quick` (or `--warm-up-time 1
//! --measurement-time 3`).

use criterion::{Criterion, criterion_group, criterion_main};
use graphsec::app::{Action, KeyMap, SessionInfo, State, update};
use graphsec::graph::score::{SecureScore, SecureScoreControlProfile};
use graphsec::ui::render;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::json;
use std::hint::black_box;
use time::format_description::well_known::Rfc3339;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const NOW: OffsetDateTime = datetime!(2026-11-26 12:00 UTC);
const DAYS: i64 = 365;
/// Days (before now) without a snapshot.
const MISSING: &[i64] = &[3, 4, 5, 21, 44, 45, 120, 200, 201, 202, 203, 300];

const CONTROLS: &[(&str, &str, f64, f64)] = &[
    ("mfa_users", "Identity", 9.0, 10.0),
    ("block_legacy", "Identity", 0.0, 8.0),
    ("dlp_policies", "Data", 3.0, 9.0),
    ("asr_rules", "Device", 2.0, 12.0),
    ("app_consent", "Apps", 4.0, 8.0),
    ("firewall", "Infrastructure", 4.0, 8.0),
];

fn snapshots() -> Vec<SecureScore> {
    (0..DAYS)
        .rev()
        .filter(|ago| !MISSING.contains(ago))
        .map(|ago| {
            let created = (NOW - Duration::days(ago)).date().midnight().assume_utc();
            let current = 60.0 - ago as f64 * 0.1 + ((ago * 37) % 7) as f64 * 0.3;
            let mut averages = Vec::new();
            if ago % 11 != 0 {
                averages.push(json!({"basis": "allTenants", "averageScore": 41.0}));
            }
            if !(60..70).contains(&ago) {
                averages.push(json!({"basis": "totalSeats", "averageScore": 47.5}));
            }
            let controls: Vec<_> = if ago == 0 {
                CONTROLS
                    .iter()
                    .map(|(n, c, s, _)| json!({"controlCategory": c, "controlName": n, "score": s}))
                    .collect()
            } else {
                Vec::new()
            };
            let v = json!({
                "id": format!("bench_{}", created.date()),
                "createdDateTime": created.format(&Rfc3339).unwrap(),
                "currentScore": current,
                "maxScore": 95.0,
                "averageComparativeScores": averages,
                "controlScores": controls,
            });
            SecureScore::from_json(&v.to_string()).unwrap()
        })
        .collect()
}

fn profiles() -> Vec<SecureScoreControlProfile> {
    CONTROLS
        .iter()
        .map(|(id, category, _, max)| {
            let v = json!({"id": id, "controlCategory": category, "maxScore": max});
            SecureScoreControlProfile::from_json(&v.to_string()).unwrap()
        })
        .collect()
}

fn key(c: char) -> Action {
    Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn score_state(size: (u16, u16), quarter: bool) -> State {
    let session = SessionInfo {
        profile: "bench".into(),
        profiles: Vec::new(),
        endpoint: "https://graph.microsoft.com".into(),
        me: Some("analyst@contoso.example".into()),
        read_only: false,
        keymap: KeyMap::default(),
        no_color: false,
        planned: ["block_legacy", "asr_rules"]
            .into_iter()
            .map(String::from)
            .collect(),
        planned_file: None,
        chart_marker: Default::default(),
    };
    let mut state = State::new(session, NOW);
    update(&mut state, Action::Resize(size.0, size.1));
    for c in ":score".chars() {
        update(&mut state, key(c));
    }
    update(
        &mut state,
        Action::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
    );
    update(&mut state, Action::SecureScoresLoaded(Ok(snapshots())));
    update(&mut state, Action::ControlProfilesLoaded(Ok(profiles())));
    if quarter {
        update(&mut state, key('w'));
    }
    state
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("score pane, 365 days");
    for (w, h) in [(160, 48), (80, 24)] {
        for quarter in [false, true] {
            let state = score_state((w, h), quarter);
            let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
            let days = if quarter { 90 } else { 30 };
            g.bench_function(format!("render {w}x{h}, {days} days"), |b| {
                b.iter(|| {
                    let mut frame = term.get_frame();
                    render(black_box(&state), &mut frame);
                })
            });
        }
    }
    let state = score_state((160, 48), true);
    let mut term = Terminal::new(TestBackend::new(160, 48)).unwrap();
    g.bench_function("render + diff 160x48, 90 days", |b| {
        b.iter(|| {
            term.draw(|f| render(black_box(&state), f)).unwrap();
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
