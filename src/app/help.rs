//! The help overlay's content, generated from the live keymap so it never disagrees with
//! what the keys do.

use super::keymap::{KeyMap, Mode};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HelpLine {
    Heading(&'static str),
    Binding { keys: String, help: &'static str },
    Note(&'static str),
    Blank,
}

/// Every help line, in order.
pub fn lines(keymap: &KeyMap) -> Vec<HelpLine> {
    let bindings = keymap.bindings();
    let mut out = Vec::new();
    let sections: [(&'static str, &[Mode]); 3] = [
        ("Queue and detail", &[Mode::Queue, Mode::Detail]),
        ("Queue", &[Mode::Queue]),
        ("Detail", &[Mode::Detail]),
    ];
    for (title, modes) in sections {
        out.push(HelpLine::Heading(title));
        for b in bindings.iter().filter(|b| b.modes == modes) {
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
        "bulk changes (marked alerts) ask y/n first and name the count",
        ":outbox lists unsent changes: r retry, d then y drop, m/t settle a conflict",
        "a change someone else overtook asks: m keep mine, t take theirs, esc later",
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
    use std::collections::BTreeMap;

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
