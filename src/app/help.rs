//! The help overlay's content, generated from the live keymap so it never disagrees with
//! what the keys do.

use super::keymap::{
    ALL, BOTH, CASE, CASE_LIST, CASES, CONTROLS, DETAIL, ENTITIES, FILTERED, KeyMap, Mode, OPENS,
    PRESETS, QUEUE, QUEUES, SCORE, SIM, SIM_LIST, SIM_VIEWS, WRITES,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HelpLine {
    Heading(&'static str),
    Binding { keys: String, help: &'static str },
    Note(&'static str),
    Blank,
}

/// The score's formula, indented as a help note (kept in step with
/// [`SCORE_FORMULA`] by a test).
const SCORE_FORMULA_HELP: &str =
    "  10×incidents + 5×sources + severity (high 8, medium 4, low 2, info 1) + alerts (≤10)";

/// Help sections: the bindings whose modes are exactly these, under this title.
const SECTIONS: &[(&[Mode], &str)] = &[
    (ALL, "Everywhere"),
    (
        WRITES,
        "Alerts and incidents (queue, detail, incidents, incident)",
    ),
    (OPENS, "Queue, incidents, incident view and controls"),
    (QUEUES, "Queue and incidents"),
    (
        FILTERED,
        "Queue, entities, incidents, controls, cases and simulations",
    ),
    (PRESETS, "Queue, detail and incidents"),
    (BOTH, "Queue and detail"),
    (QUEUE, "Queue"),
    (DETAIL, "Detail"),
    (ENTITIES, "Entities (:entities)"),
    (SCORE, "Secure Score (:score)"),
    (CONTROLS, "Control profiles (:controls) and a profile"),
    (CASE_LIST, "eDiscovery cases (:cases)"),
    (CASES, "Cases and a case"),
    (CASE, "A case's tabs"),
    (SIM_LIST, "Attack simulations (:sims)"),
    (SIM, "A simulation's report"),
    (SIM_VIEWS, "A simulation's report and the tenant reports"),
];

/// Every help line, in order.
pub fn lines(keymap: &KeyMap) -> Vec<HelpLine> {
    let bindings = keymap.bindings();
    let mut out = Vec::new();
    for (modes, title) in SECTIONS {
        out.push(HelpLine::Heading(title));
        for b in bindings.iter().filter(|b| b.modes == *modes) {
            out.push(HelpLine::Binding {
                keys: b.keys.join(" "),
                help: b.help,
            });
        }
        out.push(HelpLine::Blank);
    }
    out.push(HelpLine::Heading("Inputs, menus and dialogs"));
    for note in [
        "filter: type to narrow; enter keeps it, esc clears it, up/down move",
        "menus: enter or 1-9 choose; esc or ctrl-c cancel",
        "comment editor: ctrl-s sends, esc discards",
        "bulk changes (marked alerts or incidents) ask y/n first and name the count",
        "resolving incidents with open alerts asks once: y resolves the alerts too,",
        "  i only the incidents, n nothing; each change shows as pending on its row",
        "incident view: up/down pick an alert, enter opens it (esc comes back),",
        "  pgup/pgdn scroll the incident's details",
        ":outbox lists unsent changes: r retry, d then y drop, m/t settle a conflict",
        ":profile NAME switches to another profile of the config (:profile lists them)",
        "a change someone else overtook asks: m keep mine, t take theirs, esc later",
        "the queue keeps itself current: it polls Graph for changes every 15 s while",
        "  you work, every minute when idle; + new, ~ changed (until you look),",
        "  ! someone else changed what your pending change changes (both shown);",
        "  :live off stops polling, :live on resumes it",
        ":entities ranks the users, devices, IPs, file hashes, URLs and mailboxes",
        "  in the loaded alerts' evidence, by",
        SCORE_FORMULA_HELP,
        "  (several incidents link attacks; several products corroborate)",
        ":controls lists the Secure Score controls, most points still available first;",
        "  p marks a control as planned: the pane shows the score if all planned",
        "  controls were done (kept per profile); e edits state, assignee, comment:",
        "  tab moves between them, ctrl-s sends (through the outbox), esc cancels",
        ":cases lists the eDiscovery cases, newest-modified first; enter opens one,",
        "  esc goes back up (tab, case list, where you came from); each tab is read",
        "  when first shown. Graph allows 5 eDiscovery requests a minute: reads wait",
        "  in one queue (the tab you look at goes first) and the status line says",
        "  when the next request goes and how many wait. Close, reopen, create and",
        "  add custodian go straight to Graph (not the outbox) after a y/n or a form",
        ":sims lists the attack simulations with their compromise rate (Graph's",
        "  compromisedRate) and report rate (users who reported / users reached);",
        "  enter opens the report: gauges, the users (s sorts, c compromised only)",
        "  and the trainings; t shows the tenant's repeat offenders and coverage",
        "ctrl-c cancels the open input or menu first; in the detail it goes",
        "  back; in the queue it clears marks and filter; twice in a row quits",
    ] {
        out.push(HelpLine::Note(note));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::correlate::SCORE_FORMULA;
    use std::collections::BTreeMap;

    #[test]
    fn help_states_the_score_formula_and_lists_every_binding_once() {
        assert!(SCORE_FORMULA.contains(SCORE_FORMULA_HELP.trim().trim_end_matches(" (≤10)")));
        let km = KeyMap::default();
        let lines = lines(&km);
        let listed = lines
            .iter()
            .filter(|l| matches!(l, HelpLine::Binding { .. }))
            .count();
        assert_eq!(listed, km.bindings().len());
    }

    #[test]
    fn help_follows_overrides() {
        let o = BTreeMap::from([("refresh".to_owned(), "ctrl-r".to_owned())]);
        let km = KeyMap::with_overrides(&o).unwrap();
        let lines = lines(&km);
        assert!(lines.contains(&HelpLine::Binding {
            keys: "ctrl-r".into(),
            help: "reload from Graph"
        }));
        assert!(!lines.iter().any(|l| matches!(
            l,
            HelpLine::Binding { keys, .. } if keys == "r"
        )));
    }
}
