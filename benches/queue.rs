//! Queue performance with 100,000 alerts: type-to-filter per keystroke (target < 10 ms),
//! one queue frame at 200x50 (target < 1 ms), and keystroke to frame while the 100,000
//! alerts arrive in pages (target: median under 16 ms, p99 under 50 ms), and a live-queue
//! poll of 1,000 changed alerts merged into 100,000.
//!
//! Run: `cargo bench --bench queue -- --warm-up-time 1 --measurement-time 3`

use criterion::{Criterion, criterion_group, criterion_main};
use graphsec::app::{Action, KeyMap, SessionInfo, State, update};
use graphsec::graph::models::{Alert, parse_page};
use graphsec::ui::render;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::fmt::Write;
use std::hint::black_box;
use std::time::{Duration, Instant};
use time::macros::datetime;

const ALERTS: usize = 100_000;
const NOW: time::OffsetDateTime = datetime!(2026-11-26 12:00 UTC);

const VERBS: &[&str] = &[
    "Suspicious",
    "Malicious",
    "Unusual",
    "Anomalous",
    "Possible",
    "Confirmed",
    "Blocked",
    "Detected",
];
const THINGS: &[&str] = &[
    "PowerShell download cradle",
    "credential dumping via LSASS",
    "ransomware note on share",
    "mailbox forwarding rule",
    "sign-in from anonymous IP",
    "service installation",
    "OAuth consent grant",
    "lateral movement over SMB",
    "phishing link click",
    "DNS tunnelling",
    "scheduled task persistence",
    "mass file deletion",
];
const SOURCES: &[&str] = &[
    "microsoftDefenderForEndpoint",
    "microsoftDefenderForOffice365",
    "microsoftDefenderForIdentity",
    "microsoftDefenderForCloudApps",
    "azureAdIdentityProtection",
    "microsoftSentinel",
];
const SEVERITIES: &[&str] = &["high", "medium", "low", "informational"];
const STATUSES: &[&str] = &["new", "inProgress"];

/// A deterministic pseudo-random sequence (no rand crate needed for test data).
fn mix(i: usize, salt: u64) -> usize {
    let mut x = (i as u64)
        .wrapping_add(salt)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^= x >> 31;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    (x ^ (x >> 29)) as usize
}

/// One Graph-shaped page body holding `n` invented alerts.
fn page_json(n: usize) -> String {
    let mut body = String::with_capacity(n * 900);
    body.push_str(r#"{"@odata.count":"#);
    write!(body, "{n}").unwrap();
    body.push_str(r#","value":["#);
    for i in 0..n {
        if i > 0 {
            body.push(',');
        }
        let created = NOW - time::Duration::seconds((i as i64) * 23);
        let created = created
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap();
        let assigned = if i % 3 == 0 {
            format!(r#""analyst{}@contoso.example""#, mix(i, 1) % 40)
        } else {
            "null".to_owned()
        };
        write!(
            body,
            r##"{{"id":"da{:016x}{:08x}","title":"{} {} on host{}","severity":"{}","status":"{}",
"serviceSource":"{}","createdDateTime":"{}","assignedTo":{},
"description":"Generated alert number {} for the queue benchmark.",
"evidence":[{{"@odata.type":"#microsoft.graph.security.deviceEvidence","deviceDnsName":"ws-{:05}.contoso.example","verdict":"suspicious","roles":["compromised"]}},
{{"@odata.type":"#microsoft.graph.security.userEvidence","userAccount":{{"accountName":"user{}","domainName":"CONTOSO"}}}},
{{"@odata.type":"#microsoft.graph.security.ipEvidence","ipAddress":"198.51.100.{}"}}]}}"##,
            mix(i, 2),
            i,
            VERBS[mix(i, 3) % VERBS.len()],
            THINGS[mix(i, 4) % THINGS.len()],
            mix(i, 5) % 5000,
            SEVERITIES[mix(i, 6) % SEVERITIES.len()],
            STATUSES[mix(i, 7) % STATUSES.len()],
            SOURCES[mix(i, 8) % SOURCES.len()],
            created,
            assigned,
            i,
            mix(i, 9) % 20_000,
            mix(i, 10) % 9000,
            mix(i, 11) % 255,
        )
        .unwrap();
    }
    body.push_str("]}");
    body
}

fn alerts() -> Vec<Alert> {
    let page = parse_page::<Alert>(&page_json(ALERTS)).expect("generated page parses");
    assert_eq!(page.items.len(), ALERTS);
    page.items
}

fn bench_session() -> SessionInfo {
    SessionInfo {
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
    }
}

fn loaded_state() -> State {
    let mut state = State::new(bench_session(), NOW);
    state.initial_commands();
    update(
        &mut state,
        Action::AlertsPage {
            generation: 1,
            alerts: alerts(),
            total: Some(ALERTS as u64),
            skipped: 0,
            done: true,
        },
    );
    update(&mut state, Action::Resize(200, 50));
    state
}

fn key(code: KeyCode) -> Action {
    Action::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn ch(c: char) -> Action {
    key(KeyCode::Char(c))
}

fn clear_query() -> Action {
    Action::Key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL))
}

/// Times only `measure`; `setup` puts the state back before each keystroke.
fn time_keystroke(
    state: &mut State,
    iters: u64,
    mut setup: impl FnMut(&mut State),
    measure: impl Fn() -> Action,
) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        setup(state);
        let action = measure();
        let start = Instant::now();
        black_box(update(state, action));
        total += start.elapsed();
    }
    total
}

fn type_query(state: &mut State, q: &str) {
    update(state, clear_query());
    for c in q.chars() {
        update(state, ch(c));
    }
}

fn filter(c: &mut Criterion) {
    let mut state = loaded_state();
    update(&mut state, ch('/'));
    let mut g = c.benchmark_group("filter 100k alerts");

    // The first keystroke scans every alert's haystack.
    g.bench_function("first keystroke (full scan)", |b| {
        b.iter_custom(|iters| time_keystroke(&mut state, iters, |s| type_query(s, ""), || ch('p')))
    });
    // Extending the query re-checks only the current matches.
    g.bench_function("extending keystroke ('powe' -> 'power')", |b| {
        b.iter_custom(|iters| {
            time_keystroke(&mut state, iters, |s| type_query(s, "powe"), || ch('r'))
        })
    });
    // Backspace returns to the cached result for the shorter query.
    g.bench_function("backspace ('power' -> 'powe')", |b| {
        b.iter_custom(|iters| {
            time_keystroke(
                &mut state,
                iters,
                |s| type_query(s, "power"),
                || key(KeyCode::Backspace),
            )
        })
    });
    // A whole word typed, one keystroke at a time, as an analyst does.
    g.bench_function("typing 'ransomware' (10 keystrokes)", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                update(&mut state, clear_query());
                let start = Instant::now();
                for c in "ransomware".chars() {
                    black_box(update(&mut state, ch(c)));
                }
                total += start.elapsed();
            }
            total
        })
    });
    g.finish();
}

fn frame(c: &mut Criterion) {
    let mut state = loaded_state();
    let mut term = Terminal::new(TestBackend::new(200, 50)).unwrap();
    let mut g = c.benchmark_group("queue frame 200x50, 100k alerts");
    g.bench_function("render", |b| {
        b.iter(|| {
            let mut frame = term.get_frame();
            render(black_box(&state), &mut frame);
        })
    });
    // What the terminal loop does after a key: render, diff against the last frame, flush.
    g.bench_function("cursor move + draw", |b| {
        let mut down = true;
        b.iter(|| {
            down = !down;
            update(&mut state, ch(if down { 'j' } else { 'k' }));
            term.draw(|f| render(&state, f)).unwrap();
        })
    });
    g.finish();
}

/// While a load arrives in pages of 1,000, the terminal loop merges a page, then handles the
/// key that waited behind it and draws: a keystroke's worst wait is one page merge plus its
/// own update and frame. Prints the distribution over a whole 100,000-alert load, then lets
/// criterion time one page merge into a queue that already holds 99,000 alerts.
fn keystroke_during_load(c: &mut Criterion) {
    let all = alerts();
    let pages: Vec<Vec<Alert>> = all.chunks(1000).map(<[Alert]>::to_vec).collect();
    let mut term = Terminal::new(TestBackend::new(200, 50)).unwrap();

    let mut state = State::new(bench_session(), NOW);
    state.initial_commands();
    update(&mut state, Action::Resize(200, 50));
    let mut waits = Vec::with_capacity(pages.len());
    let mut down = true;
    for (n, page) in pages.iter().enumerate() {
        let start = Instant::now();
        update(&mut state, page_action(page.clone(), n + 1 == pages.len()));
        down = !down;
        update(&mut state, ch(if down { 'j' } else { 'k' }));
        term.draw(|f| render(&state, f)).unwrap();
        waits.push(start.elapsed());
    }
    waits.sort();
    let at = |q: f64| waits[((waits.len() - 1) as f64 * q).round() as usize];
    println!(
        "keystroke to frame while {ALERTS} alerts load in pages of 1,000 (page merge + key + frame): \
         median {:.2?}, p99 {:.2?}, max {:.2?}",
        at(0.5),
        at(0.99),
        at(1.0)
    );

    let mut g = c.benchmark_group("load 100k alerts in pages");
    g.sample_size(20);
    g.bench_function("merge the last page of 1,000 into 99,000", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let mut state = State::new(bench_session(), NOW);
                state.initial_commands();
                update(&mut state, page_action(all[..99_000].to_vec(), false));
                let last = pages[pages.len() - 1].clone();
                let start = Instant::now();
                black_box(update(&mut state, page_action(last, true)));
                total += start.elapsed();
            }
            total
        })
    });
    g.finish();
}

/// A live-queue poll: 1,000 alerts someone else changed (status flipped, reassigned),
/// merged into the 100,000 on screen. Each iteration changes a different thousand, with a
/// newer lastUpdateDateTime, so none is dropped as a repeat; building them is not timed.
fn refresh_merge(c: &mut Criterion) {
    use graphsec::app::Command;
    use graphsec::graph::enums::AlertStatus;
    let mut state = loaded_state();
    let originals: Vec<Alert> = alerts();
    let mut round = 0usize;
    let mut g = c.benchmark_group("live queue poll");
    g.sample_size(30);
    g.bench_function("merge 1,000 changed alerts into 100,000", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                round += 1;
                let at = state.live_next_poll().expect("a poll is scheduled");
                state.set_now(at);
                let refresh = match update(&mut state, Action::Tick).as_slice() {
                    [Command::RefreshAlerts { refresh, .. }] => *refresh,
                    other => panic!("expected a poll, got {other:?}"),
                };
                let stamp = at + time::Duration::milliseconds(round as i64);
                let changed: Vec<Alert> = (0..1000)
                    .map(|i| {
                        let mut a = originals[(round * 7919 + i * 97) % ALERTS].clone();
                        a.status = Some(if round.is_multiple_of(2) {
                            AlertStatus::New
                        } else {
                            AlertStatus::InProgress
                        });
                        a.assigned_to = Some(format!("other{}@contoso.example", round % 7));
                        a.last_update = Some(stamp);
                        a
                    })
                    .collect();
                let start = Instant::now();
                black_box(update(
                    &mut state,
                    Action::AlertsRefreshed {
                        refresh,
                        alerts: changed,
                        skipped: 0,
                    },
                ));
                total += start.elapsed();
            }
            total
        })
    });
    g.finish();
    assert_eq!(state.queue_len(), ALERTS, "changed in place: nothing left");
}

fn page_action(alerts: Vec<Alert>, done: bool) -> Action {
    Action::AlertsPage {
        generation: 1,
        alerts,
        total: Some(ALERTS as u64),
        skipped: 0,
        done,
    }
}

criterion_group!(benches, filter, frame, keystroke_during_load, refresh_merge);
criterion_main!(benches);
