//! Screen snapshots with `TestBackend` at 80x24 and 160x48, plus the hostile-data checks.

use super::render;
use crate::app::fixtures::*;
use crate::app::{Action, OutboxRow, State, update};
use crate::sanitize;
use crate::text;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::KeyCode;
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::{TerminalOptions, Viewport};

pub(super) const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

/// Draws without the final sweep, so the checks below see what sanitising alone produced.
pub(super) fn draw(state: &mut State, (w, h): (u16, u16)) -> Buffer {
    update(state, Action::Resize(w, h));
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| super::draw(state, f)).unwrap();
    term.backend().buffer().clone()
}

/// The buffer as text, one line per row, wide glyphs once (their trailing cell skipped).
pub(super) fn screen_text(buf: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        let mut skip = 0;
        for x in 0..buf.area.width {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let sym = buf[(x, y)].symbol();
            line.push_str(sym);
            skip = text::width(sym).saturating_sub(1);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn assert_no_dangerous_cells(buf: &Buffer) {
    for (i, cell) in buf.content.iter().enumerate() {
        assert!(
            !cell.symbol().chars().any(sanitize::is_dangerous),
            "cell {i} holds {:?}",
            cell.symbol()
        );
    }
}

pub(super) fn snapshot(name: &str, state: &mut State, size: (u16, u16)) -> Buffer {
    let buf = draw(state, size);
    assert_no_dangerous_cells(&buf);
    insta::assert_snapshot!(format!("{name}_{}x{}", size.0, size.1), screen_text(&buf));
    buf
}

/// The sample queue with the cursor on the rich alert, one mark and one pending write.
fn busy_queue() -> State {
    let mut alerts = sample();
    alerts.push(rich());
    let mut s = loaded(session(), alerts);
    update(&mut s, key('j'));
    update(&mut s, key(' '));
    update(&mut s, key('s'));
    update(&mut s, key('2'));
    // The rich alert (95 minutes old) sits after da7.
    while s.selected().map(|a| a.id.as_str()) != Some("da9f1c2e-rich") {
        update(&mut s, key('j'));
    }
    s
}

#[test]
fn queue() {
    for size in SIZES {
        let mut s = busy_queue();
        snapshot("queue", &mut s, size);
    }
}

#[test]
fn detail() {
    for size in SIZES {
        let mut s = busy_queue();
        update(&mut s, code(KeyCode::Enter));
        snapshot("detail", &mut s, size);
    }
}

#[test]
fn detail_raw_json() {
    let mut s = busy_queue();
    update(&mut s, code(KeyCode::Enter));
    update(&mut s, key('J'));
    snapshot("detail_raw", &mut s, (80, 24));
}

#[test]
fn help() {
    for size in SIZES {
        let mut s = busy_queue();
        update(&mut s, key('?'));
        snapshot("help", &mut s, size);
    }
}

#[test]
fn hostile_alert_is_drawn_safely() {
    for size in SIZES {
        let mut alerts = sample();
        alerts.push(hostile());
        let mut s = loaded(session(), alerts);
        // The hostile alert is 7 minutes old: third row.
        update(&mut s, key('j'));
        update(&mut s, key('j'));
        assert_eq!(s.selected().unwrap().id, "hostile-1\x1b[8m");
        snapshot("hostile_queue", &mut s, size);
        update(&mut s, code(KeyCode::Enter));
        snapshot("hostile_detail", &mut s, size);
        update(&mut s, key('J'));
        let buf = draw(&mut s, size);
        assert_no_dangerous_cells(&buf);
    }
}

#[test]
fn hostile_filter_and_message_text_is_sanitised() {
    let mut s = loaded(session(), vec![hostile()]);
    update(&mut s, key('/'));
    update(&mut s, Action::Paste("\u{202e}\x1b]52;c;eA==\x07".into()));
    update(
        &mut s,
        Action::Notice("clipboard \x1b]52;c;eA==\x07 done \u{9b}2J".into()),
    );
    for size in SIZES {
        assert_no_dangerous_cells(&draw(&mut s, size));
    }
}

#[test]
fn dialogs() {
    let mut s = busy_queue();
    update(&mut s, key('c'));
    update(&mut s, key('1'));
    snapshot("determination_menu", &mut s, (80, 24));

    let mut s = busy_queue();
    update(&mut s, key('k'));
    update(&mut s, key(' '));
    update(&mut s, key('s'));
    update(&mut s, key('3'));
    snapshot("confirm", &mut s, (80, 24));

    let mut s = busy_queue();
    update(&mut s, key('m'));
    for c in "Contained; handing to IR.".chars() {
        update(&mut s, key(c));
    }
    snapshot("comment_editor", &mut s, (80, 24));

    let mut sess = session();
    sess.me = None;
    let mut s = loaded(sess, sample());
    update(&mut s, key('a'));
    snapshot("who_am_i", &mut s, (80, 24));

    let mut s = busy_queue();
    update(&mut s, key('/'));
    for c in "cred".chars() {
        update(&mut s, key(c));
    }
    snapshot("filtering", &mut s, (80, 24));
}

#[test]
fn too_small_terminal_says_so() {
    let mut s = busy_queue();
    let buf = draw(&mut s, (50, 10));
    let text = screen_text(&buf);
    assert!(
        text.contains("terminal too small (need 60x15, have 50x10)"),
        "{text}"
    );
}

#[test]
fn loading_and_empty_states() {
    let mut s = State::new(session(), NOW);
    s.initial_commands();
    let text = screen_text(&draw(&mut s, (80, 24)));
    assert!(text.contains("Loading alerts…"), "{text}");
    assert!(text.contains("- loading 0"), "{text}");
    update(
        &mut s,
        Action::AlertsPage {
            generation: 1,
            alerts: vec![],
            total: Some(0),
            skipped: 0,
            done: true,
        },
    );
    let text = screen_text(&draw(&mut s, (80, 24)));
    assert!(text.contains("No open alerts, 30d"), "{text}");
}

#[test]
fn no_color_has_no_colours_but_keeps_the_cursor() {
    let mut sess = session();
    sess.no_color = true;
    let mut alerts = sample();
    alerts.push(hostile());
    let mut s = loaded(sess, alerts);
    for size in SIZES {
        let buf = draw(&mut s, size);
        for cell in &buf.content {
            assert!(matches!(cell.fg, Color::Reset), "{:?}", cell.fg);
            assert!(matches!(cell.bg, Color::Reset), "{:?}", cell.bg);
        }
        let reversed = buf
            .content
            .iter()
            .filter(|c| c.modifier.contains(ratatui::style::Modifier::REVERSED))
            .count();
        assert!(
            reversed >= usize::from(size.0) / 2,
            "the cursor row is reversed"
        );
        let text = screen_text(&buf);
        assert!(
            text.contains("HIGH") && text.contains("MED"),
            "severity as text"
        );
    }
}

#[test]
fn read_only_shows_and_hides_accordingly() {
    let mut sess = session();
    sess.read_only = true;
    let mut s = loaded(sess, sample());
    let text = screen_text(&draw(&mut s, (80, 24)));
    assert!(text.contains("READ-ONLY"));
    let hints = text.lines().last().unwrap();
    assert!(!hints.contains("s status"), "{hints}");
    assert!(!hints.contains("c classify"), "{hints}");
}

/// A writer whose bytes the test can read after the terminal is done with it.
#[derive(Clone, Default)]
struct Sink(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

impl std::io::Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn terminal_bytes_carry_no_escape_sequences_from_graph() {
    let mut alerts = sample();
    alerts.push(hostile());
    let mut s = loaded(session(), alerts);
    update(&mut s, Action::Resize(160, 48));
    update(&mut s, key('j'));
    update(&mut s, key('j'));
    update(&mut s, code(KeyCode::Enter));
    let sink = Sink::default();
    let backend = CrosstermBackend::new(sink.clone());
    let options = TerminalOptions {
        viewport: Viewport::Fixed(Rect::new(0, 0, 160, 48)),
    };
    let mut term = Terminal::with_options(backend, options).unwrap();
    term.draw(|f| render(&s, f)).unwrap();
    drop(term);
    let bytes = sink.0.borrow();
    let out = String::from_utf8_lossy(&bytes);
    assert!(out.contains("nimda"), "the hostile alert was drawn");
    // We emit CSI (ESC [) for cursor moves and styles; Graph data must add no OSC (ESC ]),
    // DCS (ESC P), string terminators, BEL, or any raw C1 control.
    for bad in [
        "\x1b]", "\x1bP", "\x1b\\", "\x07", "\u{9b}", "\u{9d}", "\u{202e}",
    ] {
        assert!(!out.contains(bad), "output contains {bad:?}");
    }
}

#[test]
fn the_final_sweep_replaces_anything_dangerous() {
    let s = loaded(session(), sample());
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    term.draw(|f| {
        render(&s, f);
        // Simulate a bug upstream of the sweep, then sweep again as `render` does last.
        f.buffer_mut()[(3, 3)].set_symbol("\x1b");
        super::sweep(f);
    })
    .unwrap();
    let buf = term.backend().buffer();
    assert_eq!(buf[(3, 3)].symbol(), "\u{FFFD}");
}

#[test]
fn outbox_dialogs() {
    let mut s = busy_queue();
    update(
        &mut s,
        Action::WriteConflict {
            write_id: 1,
            entry_id: "0001-aa".into(),
            target: crate::outbox::Target::alert("da9f1c2e-rich"),
            fields: vec![crate::outbox::FieldConflict {
                field: "status".into(),
                base: serde_json::json!("new"),
                mine: serde_json::json!("resolved"),
                theirs: serde_json::json!("inProgress"),
            }],
        },
    );
    snapshot("conflict", &mut s, (80, 24));

    let mut s = busy_queue();
    update(&mut s, key(':'));
    for c in "outbox".chars() {
        update(&mut s, key(c));
    }
    update(&mut s, code(KeyCode::Enter));
    let row = |id: &str, state: &str, what: &str, detail: &str| OutboxRow {
        entry_id: id.into(),
        target: crate::outbox::Target::alert("da9f1c2e-rich"),
        what: what.into(),
        state: state.into(),
        detail: detail.into(),
        conflicts: vec![],
    };
    update(
        &mut s,
        Action::OutboxListed(vec![
            row(
                "0001-aa",
                "failed",
                "update status=resolved",
                "403 accessDenied: Insufficient privileges to complete the operation.",
            ),
            row(
                "0002-bb",
                "pending",
                "comment \"Contained; handing to IR.\"",
                "",
            ),
        ]),
    );
    snapshot("outbox", &mut s, (80, 24));
}

/// The correlated alerts with the `:entities` pane open.
fn entities_pane(session: crate::app::SessionInfo) -> State {
    let mut s = loaded(session, correlated());
    update(&mut s, key(':'));
    for c in "entities".chars() {
        update(&mut s, key(c));
    }
    update(&mut s, code(KeyCode::Enter));
    s
}

#[test]
fn entities() {
    for size in SIZES {
        let mut s = entities_pane(session());
        snapshot("entities", &mut s, size);
    }
    // Enter on the top entity (Lee): the queue of Lee's alerts, with the entity chip.
    let mut s = entities_pane(session());
    update(&mut s, code(KeyCode::Enter));
    snapshot("entity_alerts", &mut s, (80, 24));
}

#[test]
fn entities_without_colour_keep_severity_text_and_cursor() {
    let mut sess = session();
    sess.no_color = true;
    let mut s = entities_pane(sess);
    for size in SIZES {
        let buf = draw(&mut s, size);
        assert!(buf.content.iter().all(|c| matches!(c.fg, Color::Reset)));
        let reversed = buf
            .content
            .iter()
            .filter(|c| c.modifier.contains(ratatui::style::Modifier::REVERSED))
            .count();
        assert!(
            reversed >= usize::from(size.0),
            "the cursor row is reversed"
        );
        let text = screen_text(&buf);
        assert!(text.contains("HIGH") && text.contains("INFO"));
    }
}

#[test]
fn hostile_entity_names_are_drawn_safely() {
    let mut alerts = correlated();
    alerts.push(from_value(serde_json::json!({
        "id": "hx", "severity": "high", "incidentId": "9", "createdDateTime": "2026-11-26T11:00:00Z",
        "evidence": [
            {"@odata.type": "#microsoft.graph.security.userEvidence",
             "userAccount": {"userPrincipalName": "\u{1b}]52;c;ZXZpbA==\u{7}\u{202e}nimda@漢字テスト.example🦀"}},
            {"@odata.type": "#microsoft.graph.security.urlEvidence",
             "url": format!("https://x.example/{}\u{1b}[2J", "a".repeat(400))}
        ]
    })));
    let mut s = loaded(session(), alerts);
    update(&mut s, key(':'));
    for c in "entities".chars() {
        update(&mut s, key(c));
    }
    update(&mut s, code(KeyCode::Enter));
    for size in SIZES {
        let buf = draw(&mut s, size);
        assert_no_dangerous_cells(&buf);
        assert!(screen_text(&buf).contains("漢字"), "CJK kept, width-safe");
    }
    update(&mut s, code(KeyCode::Enter));
    let buf = draw(&mut s, (80, 24));
    assert_no_dangerous_cells(&buf);
}

/// The live queue after a poll: a new row (`+`), a changed row (`~`), a row where another
/// analyst's change and a pending one disagree (`!`), and the counts on the status line.
#[test]
fn live_queue_marks_new_changed_and_disputed_rows() {
    use crate::app::Command;
    for size in SIZES {
        let mut s = live_state();
        // A pending status change on the first row.
        let first = s.cursor_id.clone().unwrap();
        update(&mut s, key('s'));
        update(&mut s, key('2'));
        s.set_now(s.live.next_at.unwrap());
        let cmds = update(&mut s, Action::Tick);
        let [Command::RefreshAlerts { refresh, .. }] = cmds.as_slice() else {
            panic!("{cmds:?}");
        };
        let t = s.now;
        let changed = s.queue.row(3).unwrap().id.clone();
        update(
            &mut s,
            Action::AlertsRefreshed {
                refresh: *refresh,
                alerts: vec![
                    polled("new-from-poll", "new", 0, t),
                    polled(&changed, "inProgress", 40, t),
                    polled(&first, "resolved", 5, t),
                ],
                skipped: 0,
            },
        );
        let buf = snapshot("live_queue", &mut s, size);
        let text = screen_text(&buf);
        assert!(text.contains("+1 new ~2 changed"), "{text}");
        for mark in ["+", "~", "!"] {
            assert!(
                text.lines().any(|l| l.starts_with(mark)),
                "a row marked {mark}: {text}"
            );
        }
    }
}

/// The incidents pane with the hostile incident first among the others (last update
/// first: it, 103, 101, 102, 104).
fn incidents_loaded(session: crate::app::SessionInfo) -> State {
    let mut rows = incidents();
    rows.push(hostile_incident());
    with_incidents(session, rows)
}

/// [`incidents_loaded`] with 103 marked and resolved (on its way), the cursor on 101.
fn incidents_pane(session: crate::app::SessionInfo) -> State {
    let mut s = incidents_loaded(session);
    update(&mut s, key('j'));
    update(&mut s, key(' '));
    update(&mut s, key('s'));
    update(&mut s, key('3'));
    assert_eq!(s.incidents.cursor.id.as_deref(), Some("101"));
    s
}

#[test]
fn incidents_queue() {
    for size in SIZES {
        let mut s = incidents_pane(session());
        let text = screen_text(&snapshot("incidents", &mut s, size));
        assert!(text.contains("nimda") && text.contains("]52;c;"), "{text}");
        assert!(
            text.contains("*…LOW  …resolved"),
            "the pending resolve shows"
        );
    }
}

#[test]
fn incident_view() {
    for size in SIZES {
        // 101 has three alerts, two of them open; resolving it with them is on its way.
        let mut s = incidents_pane(session());
        update(&mut s, code(KeyCode::Enter));
        update(&mut s, key('s'));
        update(&mut s, key('3'));
        update(&mut s, key('y'));
        update(&mut s, key('j'));
        let text = screen_text(&snapshot("incident_view", &mut s, size));
        assert!(text.contains("… saving: status → resolved"), "{text}");
        assert!(text.contains("…resolved"), "{text}");
    }
}

#[test]
fn hostile_incident_is_drawn_safely() {
    for size in SIZES {
        let mut s = incidents_loaded(session());
        assert_eq!(s.incidents.cursor.id.as_deref(), Some("666\x1b[8m"));
        update(&mut s, code(KeyCode::Enter));
        let text = screen_text(&snapshot("hostile_incident_view", &mut s, size));
        assert!(
            text.contains("漢字テスト") && text.contains("nimda"),
            "{text}"
        );
        // Its alert, opened from the incident view (fetched: not in the queue).
        update(&mut s, code(KeyCode::Enter));
        let buf = draw(&mut s, size);
        assert_no_dangerous_cells(&buf);
        assert!(screen_text(&buf).contains("Loading the alert…"));
    }
}

#[test]
fn resolving_with_alerts_asks_once() {
    let mut s = incidents_loaded(session());
    update(&mut s, key('j'));
    update(&mut s, key('j'));
    update(&mut s, key('s'));
    update(&mut s, key('3'));
    let text = screen_text(&snapshot("resolve_with_alerts", &mut s, (80, 24)));
    assert!(text.contains("Resolve 1 incident and its 2 open alerts?"));
}

/// The `:score` pane with two planned controls (block_legacy +8, asr_rules +10): the
/// target is 70.3 of 95.
fn score_with_target() -> State {
    let mut sess = session();
    sess.planned = ["block_legacy", "asr_rules"]
        .into_iter()
        .map(String::from)
        .collect();
    score_state_in(sess)
}

fn is_braille(c: char) -> bool {
    ('\u{2800}'..='\u{28ff}').contains(&c)
}

#[test]
fn score_month_in_points_with_target() {
    // 30 days: the 3-day gap (10 to 12 days ago), the all-tenants average missing 17 to 20
    // days ago and the similar-seats average 25 to 30 days ago.
    for size in SIZES {
        let mut s = score_with_target();
        let buf = snapshot("score", &mut s, size);
        let text = screen_text(&buf);
        assert!(text.contains("52.3 / 95 (55.1%)"), "{text}");
        assert!(
            text.contains("target 70.3 (74%) if 2 planned done"),
            "{text}"
        );
        assert!(text.chars().any(is_braille), "braille by default");
    }
}

#[test]
fn score_quarter_in_percent() {
    // 90 days: also the single missing day 45 days ago and the 5-day gap 66 to 70 days ago,
    // and maxScore 90 before 40 days ago.
    for size in SIZES {
        let mut s = score_with_target();
        update(&mut s, key('w'));
        update(&mut s, key('v'));
        snapshot("score_quarter_percent", &mut s, size);
    }
}

#[test]
fn score_without_plans_has_no_target_line() {
    let mut s = score_state();
    let text = screen_text(&snapshot("score_no_target", &mut s, (80, 24)));
    assert!(!text.contains("target 70.3"), "{text}");
    assert!(text.contains("none planned"), "{text}");
}

#[test]
fn score_marker_follows_the_m_key() {
    let mut s = score_with_target();
    update(&mut s, key('m'));
    let buf = draw(&mut s, (80, 24));
    let symbols: String = buf.content.iter().map(|c| c.symbol()).collect();
    assert!(!symbols.chars().any(is_braille), "dot marker, no braille");
    assert!(symbols.contains('•'), "{}", screen_text(&buf));
    update(&mut s, key('m'));
    let buf = draw(&mut s, (80, 24));
    let symbols: String = buf.content.iter().map(|c| c.symbol()).collect();
    assert!(!symbols.chars().any(is_braille) && !symbols.contains('•'));
    assert!(symbols.contains('█'), "block marker");
}

#[test]
fn score_loading_failed_and_empty_say_what_is_happening() {
    let mut s = loaded(session(), sample());
    open_score(&mut s);
    snapshot("score_loading", &mut s, (80, 24));

    update(
        &mut s,
        Action::SecureScoresLoaded(Err(
            "HTTP 503 \x1b]0;pwned\x07 \u{202e}Service Unavailable".into()
        )),
    );
    update(
        &mut s,
        Action::ControlProfilesLoaded(Err("HTTP 403 \x1b[2J forbidden".into())),
    );
    let buf = snapshot("score_failed", &mut s, (80, 24));
    let text = screen_text(&buf);
    assert!(text.contains("Secure Score history failed"), "{text}");

    let mut s = loaded(session(), sample());
    open_score(&mut s);
    update(&mut s, Action::SecureScoresLoaded(Ok(vec![])));
    let text = screen_text(&draw(&mut s, (80, 24)));
    assert!(text.contains("no Secure Score snapshots"), "{text}");
}

#[test]
fn score_categories_are_sanitised_and_failed_profiles_are_said() {
    let mut s = score_with_target();
    let hostile = crate::graph::score::SecureScoreControlProfile::from_json(
        &serde_json::json!({
            "id": "evil",
            "controlCategory": "Ident\u{1b}]52;c;eA==\u{7}ity\u{202e}",
            "maxScore": 50.0,
        })
        .to_string(),
    )
    .unwrap();
    let mut profiles = score_profiles();
    profiles.push(hostile);
    update(&mut s, Action::ControlProfilesLoaded(Ok(profiles)));
    for size in SIZES {
        let buf = draw(&mut s, size);
        assert_no_dangerous_cells(&buf);
        assert!(
            screen_text(&buf).contains("0 / 50"),
            "{}",
            screen_text(&buf)
        );
    }
}

#[test]
fn score_fits_the_smallest_terminal_and_a_tall_narrow_one() {
    for size in [(60, 15), (61, 40), (119, 24), (120, 24)] {
        let mut s = score_with_target();
        let text = screen_text(&draw(&mut s, size));
        assert!(text.contains("52.3 / 95"), "{size:?}\n{text}");
    }
}
