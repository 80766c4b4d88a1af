//! Every binding in one place: defaults, overrides from the config file, conflict checks,
//! and the list the help overlay and hint bar are generated from.
//!
//! Keys are written as in the config file: a character (`j`, `G`, `<`, `?`), a name
//! (`space`, `enter`, `esc`, `tab`, `backspace`, `up`, `down`, `left`, `right`, `home`,
//! `end`, `pgup`, `pgdn`, `delete`, `f1`..`f12`) or either with `ctrl-`/`alt-` in front.
//! Several keys for one action are separated by spaces (`"k up"`).

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::BTreeMap;
use std::fmt;

/// Where a binding is live. Text inputs, menus and dialogs take keys before these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mode {
    /// The alert list has focus.
    Queue,
    /// The alert detail has focus (full screen, or the right pane of the split view).
    Detail,
    /// The `:entities` pane has focus.
    Entities,
    /// The `:incidents` queue has focus.
    Incidents,
    /// One incident and its alerts (opened from the incidents queue) have focus.
    Incident,
    /// The `:score` chart has focus.
    Score,
    /// The `:controls` table has focus.
    Controls,
    /// One control profile (opened from `:controls`) has focus.
    Control,
    /// The `:cases` list has focus.
    Cases,
    /// One case's tabs (opened from `:cases`) have focus.
    Case,
    /// The `:sims` list has focus.
    Sims,
    /// One simulation's report (opened from `:sims`) has focus.
    Sim,
    /// The tenant-level simulation reports (opened from `:sims`) have focus.
    SimTenant,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Queue => "queue",
            Mode::Detail => "detail",
            Mode::Entities => "entities",
            Mode::Incidents => "incidents",
            Mode::Incident => "incident",
            Mode::Score => "score",
            Mode::Controls => "controls",
            Mode::Control => "control",
            Mode::Cases => "cases",
            Mode::Case => "case",
            Mode::Sims => "sims",
            Mode::Sim => "sim",
            Mode::SimTenant => "sim_tenant",
        }
    }
}

/// A named thing a key can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyAction {
    Up,
    Down,
    Top,
    Bottom,
    PageUp,
    PageDown,
    ToggleMark,
    Open,
    Back,
    ToggleRaw,
    Filter,
    SortNext,
    SortPrev,
    SortInvert,
    StatusPreset,
    TimePreset,
    Refresh,
    SetStatus,
    AssignMe,
    AssignTo,
    Classify,
    Comment,
    CopyId,
    Entities,
    Incidents,
    EntityAlerts,
    EntityKind,
    ScoreWindow,
    ScoreView,
    ChartMarker,
    OpenControls,
    CommandLine,
    Help,
    EditControl,
    PlanControl,
    OpenCase,
    NextTab,
    PrevTab,
    CaseTab,
    NewCase,
    CloseCase,
    ReopenCase,
    AddCustodian,
    Estimate,
    SimOpen,
    SimTenant,
    SimSort,
    SimCompromised,
    SimSection,
    Interrupt,
    Suspend,
    Quit,
}

/// Every mode: movement, help, the command line and quitting work everywhere.
pub const ALL: &[Mode] = &[
    Mode::Queue,
    Mode::Detail,
    Mode::Entities,
    Mode::Incidents,
    Mode::Incident,
    Mode::Score,
    Mode::Controls,
    Mode::Control,
    Mode::Cases,
    Mode::Case,
    Mode::Sims,
    Mode::Sim,
    Mode::SimTenant,
];
/// Where alerts and incidents are changed: the same keys for both.
pub const WRITES: &[Mode] = &[Mode::Queue, Mode::Detail, Mode::Incidents, Mode::Incident];
/// Where `enter` opens something (an alert, an incident, an incident's alert).
pub const OPENS: &[Mode] = &[Mode::Queue, Mode::Incidents, Mode::Incident, Mode::Controls];
/// Where statuses to load are picked.
pub const PRESETS: &[Mode] = &[Mode::Queue, Mode::Detail, Mode::Incidents];
/// The lists that type-to-filter narrows.
pub const FILTERED: &[Mode] = &[
    Mode::Queue,
    Mode::Entities,
    Mode::Incidents,
    Mode::Controls,
    Mode::Cases,
    Mode::Sims,
];
/// The two queues: marks and sorting.
pub const QUEUES: &[Mode] = &[Mode::Queue, Mode::Incidents];
pub const BOTH: &[Mode] = &[Mode::Queue, Mode::Detail];
pub const QUEUE: &[Mode] = &[Mode::Queue];
pub const DETAIL: &[Mode] = &[Mode::Detail];
pub const ENTITIES: &[Mode] = &[Mode::Entities];
/// The control table and the profile view.
pub const CONTROLS: &[Mode] = &[Mode::Controls, Mode::Control];
pub const SCORE: &[Mode] = &[Mode::Score];
/// The `:cases` list.
pub const CASE_LIST: &[Mode] = &[Mode::Cases];
/// One case's tabs.
pub const CASE: &[Mode] = &[Mode::Case];
/// The case list and a case.
pub const CASES: &[Mode] = &[Mode::Cases, Mode::Case];
/// The `:sims` list.
pub const SIM_LIST: &[Mode] = &[Mode::Sims];
/// One simulation's report.
pub const SIM: &[Mode] = &[Mode::Sim];
/// A simulation's report and the tenant reports: the views with sections.
pub const SIM_VIEWS: &[Mode] = &[Mode::Sim, Mode::SimTenant];

struct Spec {
    action: KeyAction,
    name: &'static str,
    keys: &'static str,
    modes: &'static [Mode],
    help: &'static str,
}

/// The default bindings, in the order help lists them.
const SPECS: &[Spec] = &[
    spec(KeyAction::Up, "up", "k up", ALL, "move up / scroll up"),
    spec(
        KeyAction::Down,
        "down",
        "j down",
        ALL,
        "move down / scroll down",
    ),
    spec(KeyAction::Top, "top", "g home", ALL, "first row / top"),
    spec(
        KeyAction::Bottom,
        "bottom",
        "G end",
        ALL,
        "last row / bottom",
    ),
    spec(KeyAction::PageUp, "page_up", "pgup ctrl-b", ALL, "page up"),
    spec(
        KeyAction::PageDown,
        "page_down",
        "pgdn ctrl-f",
        ALL,
        "page down",
    ),
    spec(
        KeyAction::ToggleMark,
        "toggle_mark",
        "space",
        QUEUES,
        "mark / unmark for bulk actions",
    ),
    spec(
        KeyAction::Open,
        "open",
        "enter",
        OPENS,
        "open the alert, the incident, or the incident's alert",
    ),
    spec(
        KeyAction::Back,
        "back",
        "esc",
        ALL,
        "back (to the incident, the incidents, the queue) / clear the filter",
    ),
    spec(
        KeyAction::ToggleRaw,
        "toggle_raw",
        "J",
        DETAIL,
        "raw JSON on / off",
    ),
    spec(
        KeyAction::Filter,
        "filter",
        "/",
        FILTERED,
        "type to filter (enter keeps, esc clears)",
    ),
    spec(
        KeyAction::SortNext,
        "sort_next",
        ">",
        QUEUES,
        "sort by the next column",
    ),
    spec(
        KeyAction::SortPrev,
        "sort_prev",
        "<",
        QUEUES,
        "sort by the previous column",
    ),
    spec(
        KeyAction::SortInvert,
        "sort_invert",
        "i",
        QUEUES,
        "invert the sort order",
    ),
    spec(
        KeyAction::StatusPreset,
        "status_preset",
        "f",
        PRESETS,
        "which statuses to load",
    ),
    spec(
        KeyAction::TimePreset,
        "time_preset",
        "t",
        BOTH,
        "how far back to load",
    ),
    spec(KeyAction::Refresh, "refresh", "r", ALL, "reload from Graph"),
    spec(
        KeyAction::SetStatus,
        "set_status",
        "s",
        WRITES,
        "set status (resolving incidents offers their open alerts too)",
    ),
    spec(
        KeyAction::AssignMe,
        "assign_me",
        "a",
        WRITES,
        "assign to me",
    ),
    spec(
        KeyAction::AssignTo,
        "assign_to",
        "A",
        WRITES,
        "assign to a name",
    ),
    spec(
        KeyAction::Classify,
        "classify",
        "c",
        WRITES,
        "classification and determination",
    ),
    spec(
        KeyAction::Comment,
        "comment",
        "m",
        WRITES,
        "add a comment (ctrl-s sends)",
    ),
    spec(
        KeyAction::CopyId,
        "copy_id",
        "y",
        WRITES,
        "copy the alert or incident id",
    ),
    spec(
        KeyAction::Entities,
        "entities",
        "x",
        BOTH,
        "the entities of this alert (:entities lists all)",
    ),
    spec(
        KeyAction::Incidents,
        "incidents",
        "I",
        QUEUE,
        "the incidents (:incidents; :incidents all for every status)",
    ),
    spec(
        KeyAction::EntityAlerts,
        "entity_alerts",
        "enter",
        ENTITIES,
        "list the entity's alerts across sources (esc comes back)",
    ),
    spec(
        KeyAction::EntityKind,
        "entity_kind",
        "tab",
        ENTITIES,
        "kind filter: all, user, device, ip, file, url, mailbox",
    ),
    spec(
        KeyAction::EditControl,
        "edit_control",
        "e",
        CONTROLS,
        "edit the control's state, assignee and comment (ctrl-s sends)",
    ),
    spec(
        KeyAction::PlanControl,
        "plan_control",
        "p",
        CONTROLS,
        "mark / unmark as planned (the what-if projection counts it)",
    ),
    spec(
        KeyAction::ScoreWindow,
        "score_window",
        "w",
        SCORE,
        "chart the last 30 or 90 days",
    ),
    spec(
        KeyAction::ScoreView,
        "score_view",
        "v",
        SCORE,
        "chart in points or in percent of the maximum score",
    ),
    spec(
        KeyAction::ChartMarker,
        "chart_marker",
        "m",
        SCORE,
        "next chart marker: braille, dot, block, halfblock, bar (for fonts without braille)",
    ),
    spec(
        KeyAction::OpenControls,
        "controls",
        "c",
        SCORE,
        "the control profiles behind the score (:controls)",
    ),
    spec(
        KeyAction::OpenCase,
        "open_case",
        "enter",
        CASE_LIST,
        "open the case: custodians, sources, searches, review sets, holds, operations",
    ),
    spec(
        KeyAction::NewCase,
        "new_case",
        "n",
        CASE_LIST,
        "create a case (name and description; ctrl-s sends)",
    ),
    spec(
        KeyAction::CloseCase,
        "close_case",
        "C",
        CASES,
        "close the case (asks y/n)",
    ),
    spec(
        KeyAction::ReopenCase,
        "reopen_case",
        "O",
        CASES,
        "reopen the closed case (asks y/n)",
    ),
    spec(KeyAction::NextTab, "next_tab", "tab", CASE, "next tab"),
    spec(
        KeyAction::PrevTab,
        "prev_tab",
        "backtab",
        CASE,
        "previous tab",
    ),
    spec(
        KeyAction::CaseTab,
        "case_tab",
        "1 2 3 4 5 6",
        CASE,
        "the n-th tab: custodians, sources, searches, review sets, holds, operations",
    ),
    spec(
        KeyAction::AddCustodian,
        "add_custodian",
        "a",
        CASE,
        "add a custodian by email (custodians tab)",
    ),
    spec(
        KeyAction::Estimate,
        "estimate",
        "E",
        CASE,
        "start an estimate on the search (searches tab; asks y/n)",
    ),
    spec(
        KeyAction::SimOpen,
        "open_simulation",
        "enter",
        SIM_LIST,
        "the simulation's report: overview, rates, users and trainings",
    ),
    spec(
        KeyAction::SimTenant,
        "simulation_tenant",
        "t",
        SIM_LIST,
        "the tenant reports: repeat offenders, training and simulation coverage",
    ),
    spec(
        KeyAction::SimSort,
        "simulation_sort",
        "s",
        SIM,
        "sort the users: outcome, name, reported time, trainings to do",
    ),
    spec(
        KeyAction::SimCompromised,
        "simulation_compromised",
        "c",
        SIM,
        "only the compromised users / everyone",
    ),
    spec(
        KeyAction::SimSection,
        "simulation_section",
        "tab",
        SIM_VIEWS,
        "users / trainings in a report; the next tenant report",
    ),
    spec(
        KeyAction::CommandLine,
        "command",
        ":",
        ALL,
        "command line (:alerts, :incidents, :entities, :score, :controls, :cases, :sims, :outbox, :q)",
    ),
    spec(KeyAction::Help, "help", "?", ALL, "this help"),
    spec(
        KeyAction::Interrupt,
        "interrupt",
        "ctrl-c",
        ALL,
        "cancel input / back; in the queue clear marks+filter; twice quits",
    ),
    spec(
        KeyAction::Suspend,
        "suspend",
        "ctrl-z",
        ALL,
        "suspend to the shell",
    ),
    spec(KeyAction::Quit, "quit", "q", ALL, "quit"),
];

const fn spec(
    action: KeyAction,
    name: &'static str,
    keys: &'static str,
    modes: &'static [Mode],
    help: &'static str,
) -> Spec {
    Spec {
        action,
        name,
        keys,
        modes,
        help,
    }
}

impl KeyAction {
    fn spec(self) -> &'static Spec {
        SPECS
            .iter()
            .find(|s| s.action == self)
            .expect("every KeyAction has a spec")
    }

    /// The name used in the config file and the help overlay.
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// True for actions that change alerts in Graph (refused in a read-only session).
    pub fn is_mutating(self) -> bool {
        matches!(
            self,
            KeyAction::SetStatus
                | KeyAction::AssignMe
                | KeyAction::AssignTo
                | KeyAction::Classify
                | KeyAction::Comment
                | KeyAction::NewCase
                | KeyAction::CloseCase
                | KeyAction::ReopenCase
                | KeyAction::AddCustodian
                | KeyAction::Estimate
        )
    }
}

/// One key: a code and the modifiers that matter (ctrl, alt).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    code: KeyCode,
    mods: KeyModifiers,
}

impl Key {
    /// Normalises an event the way bindings are written: a typed `G` arrives as `G` with
    /// SHIFT on some terminals and without it on others, so SHIFT is ignored for characters.
    pub fn from_event(ev: &KeyEvent) -> Key {
        let mods = ev.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
        let code = match ev.code {
            KeyCode::Char(c) if mods.contains(KeyModifiers::CONTROL) => {
                KeyCode::Char(c.to_ascii_lowercase())
            }
            c => c,
        };
        Key { code, mods }
    }

    /// Parses one key as written in the config file.
    pub fn parse(s: &str) -> Option<Key> {
        let mut mods = KeyModifiers::empty();
        let mut rest = s;
        loop {
            if let Some(r) = rest.strip_prefix("ctrl-").filter(|r| !r.is_empty()) {
                mods |= KeyModifiers::CONTROL;
                rest = r;
            } else if let Some(r) = rest.strip_prefix("alt-").filter(|r| !r.is_empty()) {
                mods |= KeyModifiers::ALT;
                rest = r;
            } else {
                break;
            }
        }
        let code = match rest {
            "space" => KeyCode::Char(' '),
            "enter" | "return" => KeyCode::Enter,
            "esc" | "escape" => KeyCode::Esc,
            "tab" => KeyCode::Tab,
            "backtab" => KeyCode::BackTab,
            "backspace" => KeyCode::Backspace,
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "pgup" | "pageup" => KeyCode::PageUp,
            "pgdn" | "pagedown" => KeyCode::PageDown,
            "delete" | "del" => KeyCode::Delete,
            "insert" => KeyCode::Insert,
            f if f.len() > 1 && f.starts_with('f') => {
                let n: u8 = f[1..].parse().ok().filter(|n| (1..=12).contains(n))?;
                KeyCode::F(n)
            }
            one => {
                let mut chars = one.chars();
                let c = chars.next()?;
                if chars.next().is_some() || c.is_control() {
                    return None;
                }
                if mods.contains(KeyModifiers::CONTROL) {
                    KeyCode::Char(c.to_ascii_lowercase())
                } else {
                    KeyCode::Char(c)
                }
            }
        };
        Some(Key { code, mods })
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("ctrl-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("alt-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("enter"),
            KeyCode::Esc => f.write_str("esc"),
            KeyCode::Tab => f.write_str("tab"),
            KeyCode::BackTab => f.write_str("backtab"),
            KeyCode::Backspace => f.write_str("backspace"),
            KeyCode::Up => f.write_str("up"),
            KeyCode::Down => f.write_str("down"),
            KeyCode::Left => f.write_str("left"),
            KeyCode::Right => f.write_str("right"),
            KeyCode::Home => f.write_str("home"),
            KeyCode::End => f.write_str("end"),
            KeyCode::PageUp => f.write_str("pgup"),
            KeyCode::PageDown => f.write_str("pgdn"),
            KeyCode::Delete => f.write_str("delete"),
            KeyCode::Insert => f.write_str("insert"),
            KeyCode::F(n) => write!(f, "f{n}"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// Why a keymap override was refused. The config layer shows this and exits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeymapError {
    #[error("unknown key binding action `{0}`")]
    UnknownAction(String),
    #[error("cannot read key `{key}` for action `{action}`")]
    BadKey { action: String, key: String },
    #[error("no key given for action `{0}`")]
    NoKey(String),
    #[error("key `{key}` is bound to both `{first}` and `{second}` in the {mode} view")]
    Conflict {
        mode: &'static str,
        key: String,
        first: &'static str,
        second: &'static str,
    },
}

/// One row of the help overlay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub action: KeyAction,
    pub name: &'static str,
    pub keys: Vec<String>,
    pub help: &'static str,
    pub modes: &'static [Mode],
}

/// The live bindings: the defaults with the config's overrides applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyMap {
    /// Keys per action, indexed like `SPECS`.
    keys: Vec<Vec<Key>>,
}

impl Default for KeyMap {
    fn default() -> Self {
        let keys = SPECS
            .iter()
            .map(|s| parse_list(s.name, s.keys).expect("default keys parse"))
            .collect();
        KeyMap { keys }
    }
}

fn parse_list(action: &str, list: &str) -> Result<Vec<Key>, KeymapError> {
    let keys = list
        .split_whitespace()
        .map(|k| {
            Key::parse(k).ok_or_else(|| KeymapError::BadKey {
                action: action.to_owned(),
                key: k.to_owned(),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if keys.is_empty() {
        return Err(KeymapError::NoKey(action.to_owned()));
    }
    Ok(keys)
}

impl KeyMap {
    /// The defaults with `overrides` (action name → keys) applied. An override replaces all
    /// default keys of that action. Two actions sharing a key in one mode is an error naming
    /// both, so a typo cannot silently shadow "quit" or "resolve".
    pub fn with_overrides(overrides: &BTreeMap<String, String>) -> Result<KeyMap, KeymapError> {
        let mut map = KeyMap::default();
        for (name, keys) in overrides {
            let idx = SPECS
                .iter()
                .position(|s| s.name == name)
                .ok_or_else(|| KeymapError::UnknownAction(name.clone()))?;
            map.keys[idx] = parse_list(name, keys)?;
        }
        map.check_conflicts()?;
        Ok(map)
    }

    fn check_conflicts(&self) -> Result<(), KeymapError> {
        for &mode in ALL {
            let mut seen: BTreeMap<String, &'static str> = BTreeMap::new();
            for (spec, keys) in SPECS.iter().zip(&self.keys) {
                if !spec.modes.contains(&mode) {
                    continue;
                }
                for key in keys {
                    if let Some(first) = seen.insert(key.to_string(), spec.name)
                        && first != spec.name
                    {
                        return Err(KeymapError::Conflict {
                            mode: mode.name(),
                            key: key.to_string(),
                            first,
                            second: spec.name,
                        });
                    }
                }
            }
        }
        Ok(())
    }

    /// The action `ev` triggers in `mode`, if any.
    pub fn action(&self, mode: Mode, ev: &KeyEvent) -> Option<KeyAction> {
        let key = Key::from_event(ev);
        SPECS
            .iter()
            .zip(&self.keys)
            .find(|(spec, keys)| spec.modes.contains(&mode) && keys.contains(&key))
            .map(|(spec, _)| spec.action)
    }

    /// True when `ev` is one of `action`'s keys (used inside menus and dialogs, which reuse
    /// the movement keys).
    pub fn is(&self, action: KeyAction, ev: &KeyEvent) -> bool {
        let key = Key::from_event(ev);
        self.keys_of(action).contains(&key)
    }

    fn keys_of(&self, action: KeyAction) -> &[Key] {
        let idx = SPECS
            .iter()
            .position(|s| s.action == action)
            .expect("every KeyAction has a spec");
        &self.keys[idx]
    }

    /// Which of `action`'s keys `ev` is (0 for the first): `case_tab`'s n-th key picks
    /// the n-th tab, whatever keys the config gives it.
    pub fn index_of(&self, action: KeyAction, ev: &KeyEvent) -> Option<usize> {
        let key = Key::from_event(ev);
        self.keys_of(action).iter().position(|k| *k == key)
    }

    /// The first key of `action` as written in the config, for hints.
    pub fn label(&self, action: KeyAction) -> String {
        self.keys_of(action)
            .first()
            .map(Key::to_string)
            .unwrap_or_default()
    }

    /// Every binding, in help order.
    pub fn bindings(&self) -> Vec<Binding> {
        SPECS
            .iter()
            .zip(&self.keys)
            .map(|(spec, keys)| Binding {
                action: spec.action,
                name: spec.name,
                keys: keys.iter().map(Key::to_string).collect(),
                help: spec.help,
                modes: spec.modes,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn defaults_have_no_conflicts_and_cover_every_action() {
        let map = KeyMap::default();
        map.check_conflicts().unwrap();
        assert_eq!(map.keys.len(), SPECS.len());
        let q = |c| map.action(Mode::Queue, &ev(KeyCode::Char(c), KeyModifiers::NONE));
        assert_eq!(q('j'), Some(KeyAction::Down));
        assert_eq!(q('<'), Some(KeyAction::SortPrev));
        assert_eq!(q(' '), Some(KeyAction::ToggleMark));
        assert_eq!(q('J'), None, "raw JSON is a detail key");
        assert_eq!(
            map.action(Mode::Detail, &ev(KeyCode::Char('J'), KeyModifiers::SHIFT)),
            Some(KeyAction::ToggleRaw)
        );
        assert_eq!(
            map.action(Mode::Queue, &ev(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(KeyAction::Interrupt)
        );
        assert_eq!(
            map.action(Mode::Queue, &ev(KeyCode::PageDown, KeyModifiers::NONE)),
            Some(KeyAction::PageDown)
        );
    }

    #[test]
    fn keys_round_trip_through_text() {
        for s in [
            "j", "G", "ctrl-s", "pgdn", "<", "space", "enter", "esc", "?", "f5",
        ] {
            assert_eq!(Key::parse(s).unwrap().to_string(), s);
        }
        assert!(Key::parse("ctrl-").is_none());
        assert!(Key::parse("jj").is_none());
        assert!(Key::parse("f13").is_none());
    }

    #[test]
    fn overrides_replace_defaults() {
        // (`n` would now clash with new_case in the case list: `z` is free everywhere.)
        let o = BTreeMap::from([("down".to_owned(), "z ctrl-n".to_owned())]);
        let map = KeyMap::with_overrides(&o).unwrap();
        let z = ev(KeyCode::Char('z'), KeyModifiers::NONE);
        assert_eq!(map.action(Mode::Queue, &z), Some(KeyAction::Down));
        let j = ev(KeyCode::Char('j'), KeyModifiers::NONE);
        assert_eq!(map.action(Mode::Queue, &j), None);
        assert_eq!(map.label(KeyAction::Down), "z");
        let n = BTreeMap::from([("down".to_owned(), "n".to_owned())]);
        assert!(matches!(
            KeyMap::with_overrides(&n),
            Err(KeymapError::Conflict { mode: "cases", .. })
        ));
    }

    #[test]
    fn conflicts_name_both_actions() {
        let o = BTreeMap::from([("help".to_owned(), "q".to_owned())]);
        let err = KeyMap::with_overrides(&o).unwrap_err();
        assert_eq!(
            err,
            KeymapError::Conflict {
                mode: "queue",
                key: "q".into(),
                first: "help",
                second: "quit"
            }
        );
        assert!(err.to_string().contains("help") && err.to_string().contains("quit"));
    }

    #[test]
    fn a_key_may_be_reused_in_a_mode_where_the_other_action_is_absent() {
        // `J` toggles raw JSON in the detail only, so the queue may use it for something else.
        let o = BTreeMap::from([("toggle_mark".to_owned(), "J".to_owned())]);
        assert!(KeyMap::with_overrides(&o).is_ok());
    }

    #[test]
    fn incident_modes_share_the_alert_keys_and_their_overrides() {
        let map = KeyMap::default();
        let key = |c| ev(KeyCode::Char(c), KeyModifiers::NONE);
        assert_eq!(
            map.action(Mode::Queue, &ev(KeyCode::Char('I'), KeyModifiers::SHIFT)),
            Some(KeyAction::Incidents)
        );
        for mode in [Mode::Incidents, Mode::Incident] {
            assert_eq!(map.action(mode, &key('s')), Some(KeyAction::SetStatus));
            assert_eq!(map.action(mode, &key('m')), Some(KeyAction::Comment));
            assert_eq!(
                map.action(mode, &key('x')),
                None,
                "entities are the queue's"
            );
        }
        assert_eq!(
            map.action(Mode::Incidents, &key(' ')),
            Some(KeyAction::ToggleMark)
        );
        assert_eq!(
            map.action(Mode::Incident, &key(' ')),
            None,
            "no marks in one incident"
        );
        assert_eq!(map.action(Mode::Incident, &key('/')), None);

        let o = BTreeMap::from([
            ("set_status".to_owned(), "S".to_owned()),
            ("incidents".to_owned(), "ctrl-i".to_owned()),
        ]);
        let map = KeyMap::with_overrides(&o).unwrap();
        let shift_s = ev(KeyCode::Char('S'), KeyModifiers::SHIFT);
        assert_eq!(
            map.action(Mode::Incident, &shift_s),
            Some(KeyAction::SetStatus)
        );
        assert_eq!(
            map.action(Mode::Queue, &ev(KeyCode::Char('i'), KeyModifiers::CONTROL)),
            Some(KeyAction::Incidents)
        );
        // Marks and sorting share a key space in the incidents as in the queue.
        let clash = BTreeMap::from([("toggle_mark".to_owned(), "<".to_owned())]);
        assert!(matches!(
            KeyMap::with_overrides(&clash),
            Err(KeymapError::Conflict { .. })
        ));
    }

    #[test]
    fn score_keys_live_only_in_the_score_pane() {
        let map = KeyMap::default();
        let key = |c| ev(KeyCode::Char(c), KeyModifiers::NONE);
        let score = |c| map.action(Mode::Score, &key(c));
        assert_eq!(score('w'), Some(KeyAction::ScoreWindow));
        assert_eq!(score('v'), Some(KeyAction::ScoreView));
        // p plans a control in :controls; in :score it does nothing.
        assert_eq!(score('p'), None);
        assert_eq!(
            map.action(Mode::Controls, &key('p')),
            Some(KeyAction::PlanControl)
        );
        assert_eq!(score('m'), Some(KeyAction::ChartMarker));
        assert_eq!(score('c'), Some(KeyAction::OpenControls));
        assert_eq!(score('r'), Some(KeyAction::Refresh));
        // The same letters keep their alert meanings elsewhere.
        assert_eq!(map.action(Mode::Queue, &key('m')), Some(KeyAction::Comment));
        assert_eq!(
            map.action(Mode::Queue, &key('c')),
            Some(KeyAction::Classify)
        );
        assert_eq!(map.action(Mode::Controls, &key('w')), None);
    }

    #[test]
    fn bad_overrides_are_errors() {
        let unknown = BTreeMap::from([("fly".to_owned(), "x".to_owned())]);
        assert_eq!(
            KeyMap::with_overrides(&unknown),
            Err(KeymapError::UnknownAction("fly".into()))
        );
        let bad = BTreeMap::from([("up".to_owned(), "hyper-k".to_owned())]);
        assert!(matches!(
            KeyMap::with_overrides(&bad),
            Err(KeymapError::BadKey { .. })
        ));
        let empty = BTreeMap::from([("up".to_owned(), " ".to_owned())]);
        assert_eq!(
            KeyMap::with_overrides(&empty),
            Err(KeymapError::NoKey("up".into()))
        );
    }
}
