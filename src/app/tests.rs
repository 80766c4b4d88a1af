//! `update` behaviour, driven by actions as the terminal loop and worker send them.

use super::fixtures::*;
use super::*;
use crate::graph::enums::{AlertClassification, AlertDetermination, AlertStatus};
use crate::graph::models::{AlertComment, AlertUpdate};
use crate::outbox::{Target, TargetKind};
use ratatui::crossterm::event::KeyCode;
use time::Duration;

fn selected(s: &State) -> Option<&str> {
    s.cursor_id.as_deref()
}

fn press(s: &mut State, keys: &str) -> Vec<Command> {
    let mut out = Vec::new();
    for c in keys.chars() {
        out.extend(update(s, key(c)));
    }
    out
}

fn sample_state() -> State {
    loaded(session(), sample())
}

fn write_ids(cmds: &[Command]) -> Vec<u64> {
    cmds.iter()
        .filter_map(|c| match c {
            Command::UpdateAlert { write_id, .. } | Command::AddComment { write_id, .. } => {
                Some(*write_id)
            }
            _ => None,
        })
        .collect()
}

fn message(s: &State) -> &str {
    s.message.as_ref().map_or("", |m| m.text.as_str())
}

#[test]
fn start_up_loads_the_default_queue() {
    let mut s = State::new(session(), NOW);
    assert!(s.dirty, "the first frame is drawn");
    assert_eq!(
        s.initial_commands(),
        vec![
            Command::LoadAlerts {
                generation: 1,
                query: AlertQuery::default()
            },
            // Operations an earlier run started are followed again from the start.
            Command::ResumeOperations
        ]
    );
    assert!(s.load.loading);
    assert!(!s.should_quit());
}

#[test]
fn queue_is_newest_first_and_keys_move() {
    let mut s = sample_state();
    assert_eq!(
        view_ids(&s),
        ["da5", "da1", "da2", "da8", "da7", "da3", "da4", "da6"]
    );
    assert_eq!(selected(&s), Some("da5"));
    press(&mut s, "j");
    assert_eq!(selected(&s), Some("da1"));
    assert!(s.dirty);
    update(&mut s, code(KeyCode::Down));
    assert_eq!(selected(&s), Some("da2"));
    press(&mut s, "k");
    update(&mut s, code(KeyCode::Up));
    assert_eq!(selected(&s), Some("da5"));
    press(&mut s, "k");
    assert_eq!(s.cursor, 0, "clamped at the top");
    press(&mut s, "G");
    assert_eq!(selected(&s), Some("da6"));
    press(&mut s, "g");
    assert_eq!(selected(&s), Some("da5"));
    update(&mut s, code(KeyCode::PageDown));
    assert_eq!(
        selected(&s),
        Some("da6"),
        "a page is more than 8 rows at 80x24"
    );
    update(&mut s, code(KeyCode::PageUp));
    assert_eq!(s.cursor, 0);
}

#[test]
fn page_keys_move_by_the_visible_rows() {
    let alerts = (0..100)
        .map(|i| fixtures::alert(&format!("p{i:03}"), "t", "low", "new", i))
        .collect();
    let mut s = loaded(session(), alerts);
    update(&mut s, code(KeyCode::PageDown));
    assert_eq!(s.cursor, 20, "80x24 shows 20 rows");
    assert_eq!(s.offset, 1, "the cursor row is the last visible one");
    update(&mut s, Action::Resize(160, 48));
    update(&mut s, code(KeyCode::PageDown));
    assert_eq!(s.cursor, 64);
}

#[test]
fn sorting_changes_column_and_direction_and_keeps_the_selection() {
    let mut s = sample_state();
    assert_eq!(selected(&s), Some("da5"));
    press(&mut s, "<<");
    assert_eq!(s.queue.sort().column, queue::SortColumn::Title);
    assert!(!s.queue.sort().descending);
    assert_eq!(view_ids(&s)[0], "da8", "Brute force… sorts first");
    assert_eq!(selected(&s), Some("da5"), "selection follows the alert");
    assert_eq!(s.cursor, 5);
    press(&mut s, "i");
    assert!(s.queue.sort().descending);
    assert_eq!(view_ids(&s)[0], "da6");
    assert_eq!(s.cursor, 2);
    press(&mut s, ">>");
    assert_eq!(s.queue.sort().column, queue::SortColumn::Created);
    assert!(s.queue.sort().descending, "created sorts newest first");
    press(&mut s, ">>");
    assert_eq!(s.queue.sort().column, queue::SortColumn::Severity);
    assert_eq!(
        &view_ids(&s)[..2],
        ["da5", "da1"],
        "high first, then newest"
    );
    assert!(message(&s).contains("severity"));
}

#[test]
fn type_to_filter_matches_many_fields_case_insensitively() {
    let mut s = sample_state();
    press(&mut s, "/");
    assert!(matches!(s.overlay, Some(Overlay::Filter)));
    press(&mut s, "LSASS");
    assert_eq!(view_ids(&s), ["da1"]);
    assert_eq!(selected(&s), Some("da1"));
    update(&mut s, ctrl('u'));
    press(&mut s, "ws-da4.");
    assert_eq!(view_ids(&s), ["da4"], "evidence names are searched");
    update(&mut s, ctrl('u'));
    press(&mut s, "tier2");
    assert_eq!(view_ids(&s), ["da5", "da2", "da8"], "assignee");
    update(&mut s, ctrl('u'));
    press(&mut s, "sentinel");
    assert_eq!(view_ids(&s), ["da6"], "service source");
    update(&mut s, ctrl('u'));
    press(&mut s, "da3");
    assert_eq!(view_ids(&s), ["da3"], "id");
    update(&mut s, code(KeyCode::Backspace));
    assert_eq!(view_ids(&s).len(), 8);
    press(&mut s, "7");
    update(&mut s, code(KeyCode::Enter));
    assert!(s.overlay.is_none(), "enter leaves the input");
    assert_eq!(s.queue.query(), "da7", "and keeps the filter");
    assert_eq!(view_ids(&s), ["da7"]);
    update(&mut s, code(KeyCode::Esc));
    assert_eq!(s.queue.query(), "");
    assert_eq!(view_ids(&s).len(), 8);
    assert_eq!(selected(&s), Some("da7"), "the cursor stays on the alert");
}

#[test]
fn esc_in_the_filter_input_clears_it() {
    let mut s = sample_state();
    press(&mut s, "/phish");
    assert_eq!(view_ids(&s), ["da3"]);
    update(&mut s, code(KeyCode::Esc));
    assert!(s.overlay.is_none());
    assert_eq!(s.queue.query(), "");
    assert_eq!(view_ids(&s).len(), 8);
}

#[test]
fn paste_goes_into_the_filter() {
    let mut s = sample_state();
    press(&mut s, "/");
    update(&mut s, Action::Paste("IMPOSSIBLE".into()));
    assert_eq!(view_ids(&s), ["da4"]);
    update(&mut s, Action::Paste("\x1b[2J".into()));
    assert!(
        !s.queue.query().contains('\x1b'),
        "pasted text is sanitised"
    );
}

#[test]
fn presets_issue_a_new_generation_and_replace_rows_on_the_first_page() {
    let mut s = sample_state();
    let cmds = press(&mut s, "f");
    assert!(cmds.is_empty());
    assert!(matches!(
        s.overlay,
        Some(Overlay::Menu {
            kind: MenuKind::StatusPreset,
            cursor: 0,
            ..
        })
    ));
    let cmds = press(&mut s, "2");
    assert_eq!(
        cmds,
        vec![Command::LoadAlerts {
            generation: 2,
            query: AlertQuery {
                statuses: vec![],
                created_within: Some(Duration::days(30)),
            }
        }]
    );
    assert_eq!(s.status_preset, StatusPreset::All);
    assert_eq!(view_ids(&s).len(), 8, "old rows stay until the first page");

    let cmds = press(&mut s, "t1");
    assert_eq!(
        cmds,
        vec![Command::LoadAlerts {
            generation: 3,
            query: AlertQuery {
                statuses: vec![],
                created_within: Some(Duration::hours(24)),
            }
        }]
    );
    // A page for the superseded generation 2 is stale.
    update(
        &mut s,
        Action::AlertsPage {
            generation: 2,
            alerts: vec![fixtures::alert("old", "stale", "low", "new", 1)],
            total: None,
            skipped: 0,
            done: true,
        },
    );
    assert!(s.queue.get("old").is_none());
    assert!(s.load.loading);
    update(
        &mut s,
        Action::AlertsPage {
            generation: 3,
            alerts: vec![fixtures::alert("n1", "fresh", "low", "new", 1)],
            total: Some(2),
            skipped: 0,
            done: false,
        },
    );
    assert_eq!(view_ids(&s), ["n1"], "a new query replaces the old rows");
    assert!(s.load.loading);
    assert_eq!(s.load.total, Some(2));
    update(
        &mut s,
        Action::AlertsPage {
            generation: 3,
            alerts: vec![fixtures::alert("n2", "fresh 2", "low", "new", 2)],
            total: Some(2),
            skipped: 0,
            done: true,
        },
    );
    assert_eq!(view_ids(&s), ["n1", "n2"]);
    assert!(!s.load.loading);
    assert_eq!(s.live.current_at, Some(NOW));
}

#[test]
fn refresh_merges_and_the_selection_follows_the_alert_id() {
    let mut s = sample_state();
    press(&mut s, "j ");
    assert_eq!(selected(&s), Some("da2"), "space marked da1 and moved on");
    let cmds = press(&mut s, "r");
    assert_eq!(
        cmds,
        vec![Command::LoadAlerts {
            generation: 2,
            query: AlertQuery::default()
        }]
    );
    // Stale page from generation 1 is ignored.
    update(
        &mut s,
        Action::AlertsPage {
            generation: 1,
            alerts: vec![fixtures::alert("zz", "stale", "low", "new", 0)],
            total: None,
            skipped: 0,
            done: true,
        },
    );
    assert!(s.queue.get("zz").is_none());
    let mut first = sample();
    first.truncate(4);
    first.push(fixtures::alert("da0", "Brand new alert", "high", "new", 1));
    update(
        &mut s,
        Action::AlertsPage {
            generation: 2,
            alerts: first,
            total: Some(8),
            skipped: 0,
            done: false,
        },
    );
    assert_eq!(
        view_ids(&s).len(),
        9,
        "old rows stay while the refresh loads"
    );
    assert_eq!(view_ids(&s)[0], "da0");
    assert_eq!(selected(&s), Some("da2"));
    assert_eq!(s.cursor, 3, "same alert, new row");
    // da6 is not in the refreshed result (e.g. resolved elsewhere): it goes at the end.
    let rest: Vec<_> = sample()
        .into_iter()
        .skip(4)
        .filter(|a| a.id != "da6")
        .collect();
    update(
        &mut s,
        Action::AlertsPage {
            generation: 2,
            alerts: rest,
            total: Some(8),
            skipped: 0,
            done: true,
        },
    );
    assert!(s.queue.get("da6").is_none());
    assert_eq!(view_ids(&s).len(), 8);
    assert_eq!(selected(&s), Some("da2"));
    assert!(s.marks.contains("da1"), "marks survive a refresh");
}

#[test]
fn refresh_during_a_preset_change_still_replaces() {
    let mut s = sample_state();
    press(&mut s, "f3");
    assert_eq!(s.load.mode, LoadMode::Replace);
    press(&mut s, "r");
    assert_eq!(s.load.generation, 3);
    assert_eq!(s.load.mode, LoadMode::Replace);
    update(
        &mut s,
        Action::AlertsPage {
            generation: 3,
            alerts: vec![fixtures::alert("n1", "only new ones", "low", "new", 1)],
            total: Some(1),
            skipped: 0,
            done: true,
        },
    );
    assert_eq!(view_ids(&s), ["n1"]);
}

#[test]
fn failed_load_keeps_rows_and_says_why() {
    let mut s = sample_state();
    press(&mut s, "r");
    update(
        &mut s,
        Action::AlertsFailed {
            generation: 2,
            error: "HTTP 503\x1b[2J".into(),
        },
    );
    assert!(!s.load.loading);
    assert_eq!(view_ids(&s).len(), 8);
    let m = s.message.as_ref().unwrap();
    assert!(m.error && m.text.contains("503") && !m.text.contains('\x1b'));
}

#[test]
fn bulk_status_asks_for_confirmation_naming_the_count() {
    let mut s = sample_state();
    press(&mut s, "  ");
    assert_eq!(s.marks.len(), 2);
    assert_eq!(selected(&s), Some("da2"), "space marks and moves on");
    press(&mut s, "s");
    let cmds = press(&mut s, "2");
    assert!(cmds.is_empty());
    let Some(Overlay::Confirm { question, .. }) = &s.overlay else {
        panic!("expected a confirmation, got {:?}", s.overlay);
    };
    assert_eq!(question, "Set status inProgress on 2 alerts? y/n");
    assert!(press(&mut s, "x").is_empty(), "only y or n answers");
    assert!(matches!(s.overlay, Some(Overlay::Confirm { .. })));
    let cmds = press(&mut s, "y");
    assert_eq!(cmds.len(), 2);
    let ids = write_ids(&cmds);
    assert_ne!(ids[0], ids[1], "a fresh write id per alert");
    for c in &cmds {
        let Command::UpdateAlert {
            alert_id, update, ..
        } = c
        else {
            panic!("{c:?}");
        };
        assert!(["da5", "da1"].contains(&alert_id.as_str()));
        assert_eq!(update.status, Some(AlertStatus::InProgress));
        assert_eq!(update.assigned_to, None);
    }
    assert_eq!(s.writes.len(), 2);
}

#[test]
fn bulk_confirmation_can_be_declined() {
    let mut s = sample_state();
    press(&mut s, "  s3");
    assert!(press(&mut s, "n").is_empty());
    assert!(s.overlay.is_none());
    assert!(s.writes.is_empty());
}

#[test]
fn single_status_change_is_pending_until_the_server_answers() {
    let mut s = sample_state();
    press(&mut s, "j");
    press(&mut s, "sj");
    let cmds = update(&mut s, code(KeyCode::Enter));
    let [
        Command::UpdateAlert {
            write_id,
            alert_id,
            update: u,
            base: Some(base),
            after: None,
        },
    ] = cmds.as_slice()
    else {
        panic!("{cmds:?}");
    };
    assert_eq!(alert_id, "da1");
    assert_eq!(u.status, Some(AlertStatus::InProgress));
    // The base is what was on screen: the status before this change.
    assert_eq!(base.fields.keys().collect::<Vec<_>>(), vec!["status"]);
    assert_ne!(base.fields["status"], serde_json::json!("inProgress"));
    let pending = s.writes.pending_update("da1").unwrap();
    assert_eq!(pending.status, Some(AlertStatus::InProgress));
    assert_eq!(
        s.queue.get("da1").unwrap().status,
        Some(AlertStatus::New),
        "the row keeps the server value until the server answers"
    );

    let mut server = s.queue.get("da1").unwrap().clone();
    u.apply_to(&mut server);
    let mut raw: serde_json::Value = serde_json::from_str(server.raw.get()).unwrap();
    raw["status"] = serde_json::json!("inProgress");
    let server = fixtures::from_value(raw);
    update(
        &mut s,
        Action::WriteSucceeded {
            write_id: *write_id,
            alert: server,
        },
    );
    assert!(s.writes.is_empty());
    assert_eq!(
        s.queue.get("da1").unwrap().status,
        Some(AlertStatus::InProgress)
    );
    assert_eq!(selected(&s), Some("da1"));
}

#[test]
fn failed_write_leaves_the_row_and_counts() {
    let mut s = sample_state();
    let cmds = press(&mut s, "s3");
    let id = write_ids(&cmds)[0];
    update(
        &mut s,
        Action::WriteFailed {
            write_id: id,
            error: "403 Forbidden".into(),
        },
    );
    assert!(s.writes.is_empty());
    assert_eq!(s.writes.failed, 1);
    assert_eq!(
        s.queue.get("da5").unwrap().status,
        Some(AlertStatus::InProgress)
    );
    let m = s.message.as_ref().unwrap();
    assert!(m.error && m.text.contains("403") && m.text.contains("da5"));
    // A duplicate or unknown reply changes nothing.
    update(
        &mut s,
        Action::WriteFailed {
            write_id: id,
            error: "again".into(),
        },
    );
    assert_eq!(s.writes.failed, 1);
}

#[test]
fn assign_to_me_uses_the_session_name() {
    let mut s = sample_state();
    let cmds = press(&mut s, "a");
    let base = journaled_base(&cmds);
    assert!(base.fields.contains_key("assignedTo"));
    assert_eq!(
        cmds,
        vec![Command::UpdateAlert {
            write_id: 1,
            alert_id: "da5".into(),
            update: AlertUpdate {
                assigned_to: Some("analyst@contoso.example".into()),
                ..Default::default()
            },
            base: Some(base),
            after: None,
        }]
    );
}

#[test]
fn assign_to_me_asks_once_when_the_name_is_unknown() {
    let mut sess = session();
    sess.me = None;
    let mut s = loaded(sess, sample());
    assert!(press(&mut s, "a").is_empty());
    assert!(matches!(
        s.overlay,
        Some(Overlay::Prompt {
            kind: PromptKind::WhoAmI,
            ..
        })
    ));
    press(&mut s, "bob");
    let cmds = update(&mut s, code(KeyCode::Enter));
    assert_eq!(cmds.len(), 1);
    let Command::UpdateAlert { update: u, .. } = &cmds[0] else {
        panic!()
    };
    assert_eq!(u.assigned_to.as_deref(), Some("bob"));
    assert_eq!(s.me.as_deref(), Some("bob"));
    // The second time it does not ask.
    press(&mut s, "j");
    let cmds = press(&mut s, "a");
    assert!(s.overlay.is_none());
    let Command::UpdateAlert {
        alert_id,
        update: u,
        ..
    } = &cmds[0]
    else {
        panic!()
    };
    assert_eq!(alert_id, "da1");
    assert_eq!(u.assigned_to.as_deref(), Some("bob"));
}

#[test]
fn assign_to_a_typed_name_and_cancel() {
    let mut s = sample_state();
    press(&mut s, "A");
    press(&mut s, "carol");
    let cmds = update(&mut s, code(KeyCode::Enter));
    let Command::UpdateAlert { update: u, .. } = &cmds[0] else {
        panic!()
    };
    assert_eq!(u.assigned_to.as_deref(), Some("carol"));

    press(&mut s, "A");
    press(&mut s, "dave");
    assert!(update(&mut s, code(KeyCode::Esc)).is_empty());
    assert!(s.overlay.is_none());
    press(&mut s, "A");
    assert!(
        update(&mut s, code(KeyCode::Enter)).is_empty(),
        "no empty names"
    );
}

#[test]
fn classification_offers_only_valid_determinations() {
    let mut s = sample_state();
    press(&mut s, "c");
    let Some(Overlay::Menu { kind, .. }) = &s.overlay else {
        panic!()
    };
    assert_eq!(
        kind.choices(),
        vec![
            Choice::Classification(AlertClassification::TruePositive),
            Choice::Classification(AlertClassification::FalsePositive),
            Choice::Classification(AlertClassification::InformationalExpectedActivity),
        ]
    );
    press(&mut s, "2");
    let Some(Overlay::Menu { kind, .. }) = &s.overlay else {
        panic!()
    };
    let fp = AlertClassification::FalsePositive;
    let offered: Vec<_> = kind
        .choices()
        .into_iter()
        .map(|c| match c {
            Choice::Determination(_, d) => d,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(offered, AlertDetermination::valid_for(&fp));
    assert!(!offered.contains(&AlertDetermination::Malware));
    press(&mut s, "j");
    let cmds = update(&mut s, code(KeyCode::Enter));
    let base = journaled_base(&cmds);
    assert_eq!(
        base.fields.keys().collect::<Vec<_>>(),
        vec!["classification", "determination"]
    );
    assert_eq!(
        cmds,
        vec![Command::UpdateAlert {
            write_id: 1,
            alert_id: "da5".into(),
            update: AlertUpdate {
                classification: Some(fp),
                determination: Some(AlertDetermination::NotEnoughDataToValidate),
                ..Default::default()
            },
            base: Some(base),
            after: None,
        }]
    );
}

#[test]
fn comment_editor_sends_with_ctrl_s_and_cancels_with_esc() {
    let mut s = sample_state();
    press(&mut s, "m");
    assert!(matches!(s.overlay, Some(Overlay::Comment { .. })));
    press(&mut s, "Looks benign");
    update(&mut s, code(KeyCode::Enter));
    press(&mut s, "q");
    assert!(!s.should_quit(), "q is text inside the editor");
    let cmds = update(&mut s, ctrl('s'));
    assert_eq!(
        cmds,
        vec![Command::AddComment {
            write_id: 1,
            alert_id: "da5".into(),
            text: "Looks benign\nq".into()
        }]
    );
    assert!(s.overlay.is_none());
    assert_eq!(s.writes.pending_comments(TargetKind::Alert, "da5"), 1);
    update(
        &mut s,
        Action::CommentAdded {
            write_id: 1,
            target: Target::alert("da5"),
            comments: vec![AlertComment {
                comment: Some("Looks benign\nq".into()),
                created_by_display_name: Some("analyst".into()),
                created_date_time: Some(NOW),
            }],
        },
    );
    assert!(s.writes.is_empty());
    assert_eq!(s.queue.get("da5").unwrap().comments.len(), 1);

    press(&mut s, "mdraft");
    assert!(update(&mut s, code(KeyCode::Esc)).is_empty());
    assert!(s.overlay.is_none());
    press(&mut s, "m");
    assert!(
        update(&mut s, ctrl('s')).is_empty(),
        "empty comments are not sent"
    );
    assert!(matches!(s.overlay, Some(Overlay::Comment { .. })));
}

#[test]
fn bulk_comment_is_confirmed() {
    let mut s = sample_state();
    press(&mut s, "   ");
    press(&mut s, "mok");
    assert!(update(&mut s, ctrl('s')).is_empty());
    let Some(Overlay::Confirm { question, .. }) = &s.overlay else {
        panic!()
    };
    assert_eq!(question, "Add comment on 3 alerts? y/n");
    assert_eq!(press(&mut s, "y").len(), 3);
}

#[test]
fn read_only_refuses_every_change() {
    let mut sess = session();
    sess.read_only = true;
    let mut s = loaded(sess, sample());
    for k in ['s', 'a', 'A', 'c', 'm'] {
        assert!(update(&mut s, key(k)).is_empty(), "{k}");
        assert!(s.overlay.is_none(), "{k}");
        let m = s.message.as_ref().unwrap();
        assert!(m.error && m.text.contains("Read-only"), "{k}: {}", m.text);
    }
    assert_eq!(
        press(&mut s, "y"),
        vec![Command::CopyToClipboard("da5".into())]
    );
    assert!(s.writes.is_empty());
}

#[test]
fn ctrl_c_cancels_first_and_quits_only_when_pressed_twice() {
    let mut s = sample_state();
    // Inside an input it only cancels.
    press(&mut s, "/ran");
    assert!(update(&mut s, ctrl('c')).is_empty());
    assert!(s.overlay.is_none());
    assert_eq!(s.queue.query(), "");
    press(&mut s, "s");
    assert!(update(&mut s, ctrl('c')).is_empty());
    assert!(s.overlay.is_none());
    press(&mut s, "m");
    assert!(update(&mut s, ctrl('c')).is_empty());
    assert!(s.overlay.is_none());
    assert!(!s.should_quit());

    // In the queue the first clears marks and filter...
    press(&mut s, " /ph");
    update(&mut s, code(KeyCode::Enter));
    assert!(update(&mut s, ctrl('c')).is_empty());
    assert!(s.marks.is_empty());
    assert_eq!(s.queue.query(), "");
    assert!(message(&s).contains("again to quit"));
    // ...another key disarms (and takes the notice away)...
    press(&mut s, "j");
    assert!(!message(&s).contains("again to quit"));
    assert!(update(&mut s, ctrl('c')).is_empty());
    assert!(!s.should_quit());
    // ...and two in a row quit.
    assert_eq!(update(&mut s, ctrl('c')), vec![Command::Quit]);
    assert!(s.should_quit());
}

#[test]
fn ctrl_c_in_the_detail_goes_back_first() {
    let mut s = sample_state();
    update(&mut s, code(KeyCode::Enter));
    assert!(update(&mut s, ctrl('c')).is_empty());
    assert_eq!(s.focus, Focus::Queue);
}

#[test]
fn help_overlay_opens_scrolls_and_closes() {
    let mut s = sample_state();
    press(&mut s, "?");
    assert!(matches!(s.overlay, Some(Overlay::Help { scroll: 0 })));
    press(&mut s, "j");
    assert!(matches!(s.overlay, Some(Overlay::Help { scroll: 1 })));
    press(&mut s, "q");
    assert!(s.overlay.is_none(), "q closes help instead of quitting");
    assert!(!s.should_quit());
    press(&mut s, "?");
    update(&mut s, code(KeyCode::Esc));
    assert!(s.overlay.is_none());
}

#[test]
fn command_line() {
    let mut s = sample_state();
    update(&mut s, code(KeyCode::Enter));
    assert_eq!(s.focus, Focus::Detail);
    press(&mut s, ":alerts");
    assert!(matches!(&s.overlay, Some(Overlay::Command(l)) if l == "alerts"));
    assert!(update(&mut s, code(KeyCode::Enter)).is_empty());
    assert_eq!(s.focus, Focus::Queue);

    press(&mut s, ":frobnicate");
    update(&mut s, code(KeyCode::Enter));
    let m = s.message.as_ref().unwrap();
    assert!(m.error && m.text.contains(":frobnicate"));

    press(&mut s, ":x");
    update(&mut s, code(KeyCode::Backspace));
    update(&mut s, code(KeyCode::Backspace));
    assert!(s.overlay.is_none(), "backspace on an empty line leaves it");

    press(&mut s, ":q");
    assert_eq!(update(&mut s, code(KeyCode::Enter)), vec![Command::Quit]);
    assert!(s.should_quit());

    let mut s = sample_state();
    press(&mut s, ":quit");
    assert_eq!(update(&mut s, code(KeyCode::Enter)), vec![Command::Quit]);
}

#[test]
fn profile_command_switches_only_to_a_known_other_profile() {
    let mut s = sample_state();
    press(&mut s, ":profile fabrikam");
    assert_eq!(
        update(&mut s, code(KeyCode::Enter)),
        vec![Command::SwitchProfile("fabrikam".into())]
    );
    assert!(!s.should_quit());
    assert!(
        s.message
            .as_ref()
            .unwrap()
            .text
            .contains("Switching to profile fabrikam")
    );

    press(&mut s, ":profile nope");
    assert!(update(&mut s, code(KeyCode::Enter)).is_empty());
    let m = s.message.as_ref().unwrap();
    assert!(m.error, "{m:?}");
    assert_eq!(
        m.text,
        "Unknown profile 'nope': profiles are contoso-prod, fabrikam, lab"
    );

    press(&mut s, ":profile contoso-prod");
    assert!(update(&mut s, code(KeyCode::Enter)).is_empty());
    assert!(
        s.message
            .as_ref()
            .unwrap()
            .text
            .contains("Already on profile")
    );

    press(&mut s, ":profile");
    assert!(update(&mut s, code(KeyCode::Enter)).is_empty());
    let m = s.message.as_ref().unwrap();
    assert!(
        !m.error && m.text.contains("contoso-prod, fabrikam, lab"),
        "{m:?}"
    );

    // `:profiles` is not `:profile s`.
    press(&mut s, ":profiles");
    assert!(update(&mut s, code(KeyCode::Enter)).is_empty());
    assert!(s.message.as_ref().unwrap().text.contains("Unknown command"));

    // A switch the terminal layer could not make leaves the analyst where they were.
    let cmds = update(
        &mut s,
        Action::SwitchFailed {
            profile: "lab".into(),
            error: "no access token\x1b[31m".into(),
        },
    );
    assert!(cmds.is_empty());
    let m = s.message.as_ref().unwrap();
    assert!(m.error && !m.text.contains('\x1b'), "{m:?}");
    assert!(
        m.text
            .starts_with("Cannot switch to profile lab: no access token")
            && m.text.ends_with("still on contoso-prod"),
        "{m:?}"
    );
}

#[test]
fn without_profiles_there_is_nothing_to_switch_to() {
    let mut info = session();
    info.profiles.clear();
    let mut s = loaded(info, sample());
    press(&mut s, ":profile lab");
    assert!(update(&mut s, code(KeyCode::Enter)).is_empty());
    let m = s.message.as_ref().unwrap();
    assert!(m.error && m.text.contains("No other profile"), "{m:?}");
}

#[test]
fn quit_suspend_and_copy() {
    let mut s = sample_state();
    assert_eq!(update(&mut s, ctrl('z')), vec![Command::Suspend]);
    assert!(!s.should_quit());
    assert_eq!(
        press(&mut s, "y"),
        vec![Command::CopyToClipboard("da5".into())]
    );
    assert_eq!(press(&mut s, "q"), vec![Command::Quit]);
    assert!(s.should_quit());
}

#[test]
fn detail_opens_fetches_scrolls_and_toggles_raw_json() {
    let mut alerts = sample();
    alerts.push(fixtures::rich());
    let mut s = loaded(session(), alerts);
    press(&mut s, "G");
    let id = selected(&s).unwrap().to_owned();
    let rich_pos = view_ids(&s)
        .iter()
        .position(|i| i == "da9f1c2e-rich")
        .unwrap();
    s.move_cursor_to(rich_pos);
    let cmds = update(&mut s, code(KeyCode::Enter));
    assert_eq!(
        cmds,
        vec![Command::GetAlert {
            id: "da9f1c2e-rich".into()
        }]
    );
    assert_ne!(id, "da9f1c2e-rich");
    assert_eq!(s.focus, Focus::Detail);
    press(&mut s, "jj");
    assert_eq!(s.detail_scroll, 2);
    press(&mut s, "G");
    let max = keys::detail_max_scroll(&s);
    assert!(max > 0);
    assert_eq!(s.detail_scroll, max, "clamped to the document");
    press(&mut s, "j");
    assert_eq!(s.detail_scroll, max);
    press(&mut s, "J");
    assert!(s.raw_json);
    assert_eq!(s.detail_scroll, 0);
    press(&mut s, "J");
    assert!(!s.raw_json);
    // The fresh copy replaces the row.
    let mut fresh: serde_json::Value = serde_json::from_str(fixtures::rich().raw.get()).unwrap();
    fresh["comments"] = serde_json::json!([]);
    update(&mut s, Action::AlertLoaded(fixtures::from_value(fresh)));
    assert!(s.queue.get("da9f1c2e-rich").unwrap().comments.is_empty());
    update(&mut s, code(KeyCode::Esc));
    assert_eq!(s.focus, Focus::Queue);
    assert_eq!(selected(&s), Some("da9f1c2e-rich"));
}

#[test]
fn tick_redraws_only_when_something_time_based_changed() {
    let mut s = sample_state();
    // Polls redraw the status line; `live_tests` covers them.
    s.live.enabled = false;
    update(&mut s, Action::Tick);
    assert!(!s.dirty, "idle: nothing to draw");
    s.set_now(NOW + Duration::seconds(59));
    update(&mut s, Action::Tick);
    assert!(!s.dirty, "same minute");
    s.set_now(NOW + Duration::seconds(60));
    update(&mut s, Action::Tick);
    assert!(s.dirty, "relative ages changed");
    s.dirty = false;

    press(&mut s, "s3");
    s.dirty = false;
    update(&mut s, Action::Tick);
    assert!(s.dirty, "a pending write's spinner moves");
    s.dirty = false;

    let mut s = State::new(session(), NOW);
    s.initial_commands();
    s.dirty = false;
    update(&mut s, Action::Tick);
    assert!(s.dirty, "the loading spinner moves");
}

#[test]
fn unbound_keys_change_nothing() {
    let mut s = sample_state();
    assert!(press(&mut s, "z").is_empty());
    assert!(!s.dirty);
}

#[test]
fn resize_is_remembered_and_redraws() {
    let mut s = sample_state();
    update(&mut s, Action::Resize(160, 48));
    assert_eq!(s.size, (160, 48));
    assert!(s.dirty);
    assert!(s.screen().split);
}

#[test]
fn skipped_items_are_reported() {
    let mut s = State::new(session(), NOW);
    s.initial_commands();
    update(
        &mut s,
        Action::AlertsPage {
            generation: 1,
            alerts: sample(),
            total: None,
            skipped: 2,
            done: true,
        },
    );
    assert!(message(&s).contains("2 alerts could not be read"));
}

/// The base journaled with the only command, an alert update.
fn journaled_base(cmds: &[Command]) -> crate::outbox::Base {
    match cmds {
        [Command::UpdateAlert { base: Some(b), .. }] => b.clone(),
        other => panic!("{other:?}"),
    }
}

fn conflict_on(s: &mut State, write_id: u64, entry: &str) {
    update(
        s,
        Action::WriteConflict {
            write_id,
            entry_id: entry.into(),
            target: Target::alert("da1"),
            fields: vec![crate::outbox::FieldConflict {
                field: "status".into(),
                base: serde_json::json!("new"),
                mine: serde_json::json!("resolved"),
                theirs: serde_json::json!("inProgress"),
            }],
        },
    );
}

#[test]
fn writes_restored_from_the_outbox_show_as_pending() {
    let mut s = sample_state();
    update(
        &mut s,
        Action::OutboxRestored(vec![RestoredWrite {
            write_id: writes::RESTORED_WRITE_IDS,
            target: Target::alert("da1"),
            op: writes::WriteOp::Update(AlertUpdate {
                status: Some(AlertStatus::Resolved),
                ..Default::default()
            }),
        }]),
    );
    assert_eq!(
        s.writes.pending_update("da1").and_then(|u| u.status),
        Some(AlertStatus::Resolved)
    );
    assert!(message(&s).contains("1 unsent change"), "{}", message(&s));
    // The app's own ids never meet the worker's.
    let cmds = press(&mut s, "a");
    assert!(write_ids(&cmds)[0] < writes::RESTORED_WRITE_IDS);
}

#[test]
fn a_conflict_asks_keep_mine_or_take_theirs() {
    let mut s = sample_state();
    let cmds = press(&mut s, "a");
    let id = write_ids(&cmds)[0];
    conflict_on(&mut s, id, "e1");
    assert!(
        s.writes.is_empty(),
        "no longer pending: it waits for a decision"
    );
    assert!(matches!(&s.overlay, Some(Overlay::Conflict(c)) if c.entry_id == "e1"));
    assert_eq!(
        press(&mut s, "m"),
        vec![Command::ResolveConflict {
            entry_id: "e1".into(),
            resolution: crate::outbox::Resolution::KeepMine
        }]
    );
    assert!(s.overlay.is_none());

    conflict_on(&mut s, 99, "e2");
    assert_eq!(
        press(&mut s, "t"),
        vec![Command::ResolveConflict {
            entry_id: "e2".into(),
            resolution: crate::outbox::Resolution::TakeTheirs
        }]
    );
}

#[test]
fn a_conflict_waits_for_the_open_dialog_and_esc_decides_later() {
    let mut s = sample_state();
    press(&mut s, "m"); // the comment editor is open
    conflict_on(&mut s, 5, "e1");
    assert!(matches!(s.overlay, Some(Overlay::Comment { .. })));
    update(&mut s, code(KeyCode::Esc));
    assert!(matches!(&s.overlay, Some(Overlay::Conflict(_))));
    assert!(update(&mut s, code(KeyCode::Esc)).is_empty());
    assert!(s.overlay.is_none());
    assert!(message(&s).contains(":outbox"));
}

fn outbox_rows() -> Vec<OutboxRow> {
    let row = |id: &str, state: &str| OutboxRow {
        entry_id: id.into(),
        target: Target::alert("da1"),
        what: "update status=resolved".into(),
        state: state.into(),
        detail: String::new(),
        conflicts: vec![],
    };
    vec![row("e1", "failed"), row("e2", "pending")]
}

#[test]
fn the_outbox_view_lists_retries_and_drops_after_a_yes() {
    let mut s = sample_state();
    update(&mut s, key(':'));
    for c in "outbox".chars() {
        update(&mut s, key(c));
    }
    assert_eq!(
        update(&mut s, code(KeyCode::Enter)),
        vec![Command::OutboxList]
    );
    update(&mut s, Action::OutboxListed(outbox_rows()));
    assert!(matches!(&s.overlay, Some(Overlay::Outbox { rows, .. }) if rows.len() == 2));
    assert_eq!(press(&mut s, "r"), vec![Command::OutboxRetry("e1".into())]);
    // A pending entry is already being sent.
    press(&mut s, "j");
    assert!(press(&mut s, "r").is_empty());
    // Dropping asks first; any other key keeps it.
    assert!(press(&mut s, "d").is_empty());
    assert!(press(&mut s, "x").is_empty());
    assert!(press(&mut s, "y").is_empty());
    press(&mut s, "d");
    assert_eq!(press(&mut s, "y"), vec![Command::OutboxDrop("e2".into())]);
    assert_eq!(
        update(&mut s, code(KeyCode::Esc)),
        vec![Command::OutboxClosed]
    );
    assert!(s.overlay.is_none());
}

#[test]
fn a_landed_control_write_finishes_and_names_the_new_state() {
    use crate::graph::score::{ControlState, ControlStateUpdate, SecureScoreControlProfile};
    let mut s = sample_state();
    let wanted = ControlStateUpdate::new(ControlState::Ignored);
    let cmd = keys::write_command(
        &mut s,
        &Target::control("AdminMFA"),
        writes::WriteOp::UpdateControl(wanted.clone()),
        None,
    );
    let Command::UpdateControl {
        write_id,
        profile_id,
        update: sent,
        base: None,
    } = cmd
    else {
        panic!("{cmd:?}");
    };
    assert_eq!((profile_id.as_str(), &sent), ("AdminMFA", &wanted));
    assert!(s.writes.any_pending(TargetKind::Control, "AdminMFA"));

    let profile = SecureScoreControlProfile::from_json(
        r#"{"id":"AdminMFA","controlStateUpdates":[{"state":"Default"},{"state":"Ignored"}]}"#,
    )
    .unwrap();
    update(
        &mut s,
        Action::ControlWriteSucceeded {
            write_id,
            profile: Box::new(profile.clone()),
        },
    );
    assert!(s.writes.is_empty());
    assert_eq!(message(&s), "Saved: AdminMFA is now Ignored");
    // A second answer for the same write changes nothing.
    s.message = None;
    update(
        &mut s,
        Action::ControlWriteSucceeded {
            write_id,
            profile: Box::new(profile),
        },
    );
    assert_eq!(message(&s), "");
}
