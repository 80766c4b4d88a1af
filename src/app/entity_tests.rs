//! `update` behaviour of the `:entities` pane: open, order, filters, an entity's alerts and
//! back, `x` from an alert, and following a reload.

use super::fixtures::*;
use super::*;
use crate::correlate::EntityKind;
use ratatui::crossterm::event::KeyCode;

fn press(s: &mut State, keys: &str) -> Vec<Command> {
    keys.chars().flat_map(|c| update(s, key(c))).collect()
}

fn command(s: &mut State, line: &str) -> Vec<Command> {
    press(s, ":");
    press(s, line);
    update(s, code(KeyCode::Enter))
}

/// (kind, key) of every shown entity, in order.
fn rows(s: &State) -> Vec<(EntityKind, String)> {
    s.entities
        .as_ref()
        .map(|v| v.rows().map(|e| (e.kind, e.key.to_string())).collect())
        .unwrap_or_default()
}

fn selected_entity(s: &State) -> Option<(EntityKind, String)> {
    let e = s.entities.as_ref()?.selected()?;
    Some((e.kind, e.key.to_string()))
}

fn view_ids(s: &State) -> Vec<String> {
    let mut ids: Vec<String> = s
        .queue
        .view()
        .iter()
        .map(|&i| s.queue.entry(i).alert.id.clone())
        .collect();
    ids.sort();
    ids
}

fn lee() -> (EntityKind, String) {
    (EntityKind::User, "lee@contoso.example".into())
}

#[test]
fn entities_command_opens_the_pane_sorted_by_score() {
    let mut s = loaded(session(), correlated());
    assert!(
        command(&mut s, "entities").is_empty(),
        "no I/O: built from loaded alerts"
    );
    assert_eq!(s.focus, Focus::Entities);
    let r = rows(&s);
    assert_eq!(r[0], lee(), "three incidents, three sources");
    // 10×2 incidents + 5×2 sources + medium 4 + 2 alerts = 36 beats the device's
    // 10×2 + 5×1 + high 8 + 2 = 35: a second product counts for more than a higher severity.
    assert_eq!(r[1], (EntityKind::Ip, "198.51.100.23".into()));
    assert_eq!(r[2], (EntityKind::Device, "ws-031.contoso.example".into()));
    let v = s.entities.as_ref().unwrap();
    assert!(
        v.rows()
            .zip(v.rows().skip(1))
            .all(|(a, b)| a.score >= b.score)
    );
    // Two users, two devices, an IP, a file, a URL and two mailboxes; ca7's process is none.
    assert_eq!(v.total(), 9);
}

#[test]
fn kind_cycles_and_type_to_filter_narrows() {
    let mut s = loaded(session(), correlated());
    command(&mut s, "entities");
    update(&mut s, code(KeyCode::Tab));
    assert_eq!(s.entities.as_ref().unwrap().kind, Some(EntityKind::User));
    assert!(rows(&s).iter().all(|(k, _)| *k == EntityKind::User));
    assert_eq!(rows(&s).len(), 2);
    update(&mut s, code(KeyCode::Tab));
    assert!(rows(&s).iter().all(|(k, _)| *k == EntityKind::Device));
    // Round the cycle back to every kind.
    for _ in 0..5 {
        update(&mut s, code(KeyCode::Tab));
    }
    assert_eq!(s.entities.as_ref().unwrap().kind, None);
    press(&mut s, "/");
    press(&mut s, "WS-0");
    assert_eq!(rows(&s).len(), 2, "case-insensitive over names");
    update(&mut s, code(KeyCode::Enter));
    assert!(s.overlay.is_none());
    update(&mut s, code(KeyCode::Esc));
    assert_eq!(rows(&s).len(), 9, "esc clears the filter first");
    assert_eq!(s.focus, Focus::Entities);
    update(&mut s, code(KeyCode::Esc));
    assert_eq!(s.focus, Focus::Queue, "then closes the pane");
    assert!(s.entities.is_none());
}

#[test]
fn enter_lists_the_entity_alerts_across_sources_and_esc_comes_back() {
    let mut s = loaded(session(), correlated());
    press(&mut s, "/");
    press(&mut s, "mail");
    update(&mut s, code(KeyCode::Enter));
    command(&mut s, "entities");
    update(&mut s, key('j'));
    assert_eq!(selected_entity(&s).unwrap().1, "198.51.100.23");
    update(&mut s, key('k'));
    update(&mut s, code(KeyCode::Enter));
    assert_eq!(s.focus, Focus::Queue);
    assert_eq!(
        view_ids(&s),
        ["ca1", "ca2", "ca3"],
        "the queue's own filter is set aside"
    );
    let scope = s.queue.scope().unwrap();
    assert_eq!(
        (scope.kind, &*scope.name),
        (EntityKind::User, "lee@contoso.example")
    );
    // The usual queue keys work inside the list: filter, open, back.
    press(&mut s, "/");
    press(&mut s, "phish");
    update(&mut s, code(KeyCode::Enter));
    assert_eq!(view_ids(&s), ["ca3"]);
    update(&mut s, code(KeyCode::Enter));
    assert_eq!(s.focus, Focus::Detail);
    update(&mut s, code(KeyCode::Esc));
    assert_eq!(s.focus, Focus::Queue);
    update(&mut s, code(KeyCode::Esc));
    assert_eq!(
        view_ids(&s),
        ["ca1", "ca2", "ca3"],
        "esc clears the filter first"
    );
    update(&mut s, code(KeyCode::Esc));
    assert_eq!(s.focus, Focus::Entities, "then goes back to the pane");
    assert_eq!(selected_entity(&s), Some(lee()), "on the same entity");
    assert!(s.queue.scope().is_none());
    assert_eq!(s.queue.query(), "mail", "the queue's own filter is back");
    // :alerts from inside an entity's list goes straight to the whole queue.
    update(&mut s, code(KeyCode::Enter));
    command(&mut s, "alerts");
    assert_eq!(s.focus, Focus::Queue);
    assert!(s.queue.scope().is_none() && s.entities.is_none());
    assert_eq!(s.queue.query(), "mail");
}

#[test]
fn x_from_an_alert_shows_its_entities_and_esc_widens_to_all() {
    let mut s = loaded(session(), correlated());
    press(&mut s, "jjjjj");
    assert_eq!(s.cursor_id.as_deref(), Some("ca3"));
    update(&mut s, code(KeyCode::Enter));
    assert_eq!(s.focus, Focus::Detail);
    update(&mut s, key('x'));
    assert_eq!(s.focus, Focus::Entities);
    let mut kinds: Vec<_> = rows(&s).into_iter().map(|(k, _)| k).collect();
    kinds.sort();
    assert_eq!(
        kinds,
        [EntityKind::User, EntityKind::Url, EntityKind::Mailbox]
    );
    assert_eq!(
        s.entities
            .as_ref()
            .unwrap()
            .of_alert
            .as_ref()
            .unwrap()
            .alert_id,
        "ca3"
    );
    update(&mut s, code(KeyCode::Esc));
    assert_eq!(rows(&s).len(), 9, "esc shows every entity");
    // An alert whose evidence names nothing correlatable says so and stays put.
    update(&mut s, code(KeyCode::Esc));
    update(&mut s, key('g'));
    assert_eq!(s.cursor_id.as_deref(), Some("ca7"), "the newest");
    update(&mut s, key('x'));
    assert_eq!(s.focus, Focus::Queue);
    assert!(s.message.as_ref().unwrap().text.contains("names no"));
}

#[test]
fn movement_keys_and_a_reload_keep_the_entity_under_the_cursor() {
    let mut s = loaded(session(), correlated());
    command(&mut s, "entities");
    update(&mut s, key('G'));
    let last = selected_entity(&s).unwrap();
    assert_eq!(s.entities.as_ref().unwrap().cursor, 8);
    update(&mut s, key('g'));
    assert_eq!(selected_entity(&s), Some(lee()));
    update(&mut s, key('j'));
    let second = selected_entity(&s).unwrap();
    // A reload that drops Lee's alerts: the cursor stays on the device it was on.
    let cmds = update(&mut s, key('r'));
    let Some(Command::LoadAlerts { generation, .. }) = cmds.first().cloned() else {
        panic!("r reloads");
    };
    let rest: Vec<_> = correlated()
        .into_iter()
        .filter(|a| a.id != "ca1" && a.id != "ca2" && a.id != "ca3")
        .collect();
    update(
        &mut s,
        Action::AlertsPage {
            generation,
            alerts: rest,
            total: None,
            skipped: 0,
            done: true,
        },
    );
    assert_eq!(s.focus, Focus::Entities);
    assert!(!rows(&s).contains(&lee()));
    assert_eq!(selected_entity(&s), Some(second));
    assert_ne!(last, lee());
}

#[test]
fn entity_keys_are_in_the_keymap_without_conflicts_and_help() {
    let km = KeyMap::default();
    let bindings = km.bindings();
    for name in ["entities", "entity_alerts", "entity_kind"] {
        assert!(bindings.iter().any(|b| b.name == name), "{name} bound");
    }
    let lines = help::lines(&km);
    assert!(lines.contains(&help::HelpLine::Heading("Entities (:entities)")));
    // Overriding `x` onto a queue key is refused like any other conflict.
    let o = std::collections::BTreeMap::from([("entities".to_owned(), "s".to_owned())]);
    assert!(KeyMap::with_overrides(&o).is_err());
}
