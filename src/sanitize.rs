//! The one sanitiser for every string that came from Graph.
//!
//! Alert fields are attacker-influenced (file names, command lines, mail subjects). Before a
//! string reaches a terminal cell, a table, a log line or a CSV file it passes through here:
//! control characters (C0, DEL, C1, which include ESC and so every escape sequence), bidi
//! overrides and isolates, and zero-width formatting characters are replaced by a visible
//! U+FFFD so that tampering shows instead of hiding; tabs become a space; line breaks are kept
//! only where the caller asks for multi-line text; length is capped.

use std::borrow::Cow;

/// The visible stand-in for a character that must not reach the terminal.
pub const REPLACEMENT: char = '\u{FFFD}';

/// Longest single-line value kept for display, in characters.
pub const MAX_LINE_CHARS: usize = 1024;
/// Longest multi-line value kept for display, in characters.
pub const MAX_TEXT_CHARS: usize = 64 * 1024;

/// True for characters that are never drawn as-is.
pub fn is_dangerous(c: char) -> bool {
    matches!(c,
        '\u{0000}'..='\u{001F}'   // C0, including ESC, BEL, CR, LF, TAB
        | '\u{007F}'              // DEL
        | '\u{0080}'..='\u{009F}' // C1, including CSI, OSC, DCS, ST
        | '\u{061C}'              // Arabic letter mark
        | '\u{200B}'..='\u{200F}' // zero-width space/joiners, LRM, RLM
        | '\u{2028}' | '\u{2029}' // line/paragraph separators
        | '\u{202A}'..='\u{202E}' // bidi embeddings and overrides
        | '\u{2060}'..='\u{2064}' // word joiner, invisible operators
        | '\u{2066}'..='\u{2069}' // bidi isolates
        | '\u{FEFF}'              // zero-width no-break space / BOM
        | '\u{FFF9}'..='\u{FFFB}' // interlinear annotations
    )
}

/// Makes a value safe for one terminal line: line breaks become spaces, everything
/// dangerous becomes U+FFFD, and the result is capped at [`MAX_LINE_CHARS`].
pub fn line(s: &str) -> Cow<'_, str> {
    clean(s, false, MAX_LINE_CHARS)
}

/// Makes a value safe for multi-line display: `\n` is kept (`\r\n` and lone `\r` become
/// `\n`), everything else dangerous becomes U+FFFD; capped at [`MAX_TEXT_CHARS`].
pub fn text(s: &str) -> Cow<'_, str> {
    clean(s, true, MAX_TEXT_CHARS)
}

/// [`line`] for optional values; `None` gives an empty string.
pub fn opt_line(s: Option<&str>) -> Cow<'_, str> {
    s.map(line).unwrap_or(Cow::Borrowed(""))
}

fn clean(s: &str, keep_newlines: bool, max_chars: usize) -> Cow<'_, str> {
    let needs_work = s.len() > max_chars || s.chars().any(is_dangerous);
    if !needs_work {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len().min(max_chars.saturating_mul(4)));
    let mut chars = s.chars().peekable();
    let mut n = 0;
    while let Some(c) = chars.next() {
        if n >= max_chars {
            out.push('…');
            break;
        }
        match c {
            '\t' => out.push(' '),
            '\r' if keep_newlines => {
                if chars.peek() != Some(&'\n') {
                    out.push('\n');
                }
            }
            '\n' if keep_newlines => out.push('\n'),
            '\r' | '\n' | '\u{2028}' | '\u{2029}' => out.push(' '),
            c if is_dangerous(c) => out.push(REPLACEMENT),
            c => out.push(c),
        }
        n += 1;
    }
    Cow::Owned(out)
}

/// One CSV field: sanitised to a single line, protected against formula injection (a cell
/// that a spreadsheet would evaluate is prefixed with `'`), and quoted when needed.
pub fn csv_field(s: &str) -> String {
    let safe = line_unbounded(s);
    // Checked on the raw value too: sanitising turns a leading tab or CR into a space,
    // and a spreadsheet that trims it would still see the formula behind it.
    let starts_formula = |t: &str| t.starts_with(['=', '+', '-', '@', '\t', '\r', '|', '%']);
    let guarded: Cow<'_, str> = if starts_formula(&safe) || starts_formula(s) {
        Cow::Owned(format!("'{safe}"))
    } else {
        Cow::Borrowed(&safe)
    };
    if guarded.contains([',', '"', '\n']) || guarded.starts_with(' ') || guarded.ends_with(' ') {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded.into_owned()
    }
}

/// Like [`line`] but without a length cap: exports keep whole values.
fn line_unbounded(s: &str) -> Cow<'_, str> {
    clean(s, false, usize::MAX)
}

/// A JSON text (as Graph sent it) made safe for a terminal without changing its meaning:
/// every dangerous character becomes a `\uXXXX` escape. JSON already forbids raw C0
/// controls inside strings, so the only ones a valid text holds are the whitespace between
/// tokens (`\t`, `\n`, `\r`), which stay; C1 controls, bidi and zero-width characters may
/// appear raw inside strings and are escaped, which decodes to the same value.
pub fn json_text(s: &str) -> Cow<'_, str> {
    let escape = |c: char| is_dangerous(c) && !matches!(c, '\t' | '\n' | '\r');
    if !s.chars().any(escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if escape(c) {
            // Every dangerous character is in the BMP: one escape each.
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// One log record made safe for a terminal that later shows the log (`less`, `tail -f`):
/// dangerous characters become U+FFFD, line breaks are kept (a record ends with one).
/// The logging layer applies it to every record, as a backstop behind the sanitising of
/// each Graph value before it is logged.
pub fn log_record(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c != '\n' && is_dangerous(c)) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| match c {
                '\n' => '\n',
                '\t' => ' ',
                c if is_dangerous(c) => REPLACEMENT,
                c => c,
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_never_survive() {
        let hostile = "a\x1b]52;c;ZXZpbA==\x07b\x1b[2Jc\u{9b}31m\u{202e}exe.txt\u{200b}";
        let out = line(hostile);
        assert!(!out.chars().any(is_dangerous), "{out:?}");
        assert!(out.contains(REPLACEMENT));
        assert!(out.starts_with('a'));
    }

    #[test]
    fn clean_strings_are_borrowed() {
        assert!(matches!(line("plain 漢字 ✓"), Cow::Borrowed(_)));
    }

    #[test]
    fn newlines_follow_the_mode() {
        assert_eq!(line("a\nb\tc"), "a b c");
        assert_eq!(text("a\r\nb\rc"), "a\nb\nc");
    }

    #[test]
    fn long_values_are_capped() {
        let long = "x".repeat(5000);
        let out = line(&long);
        assert_eq!(out.chars().count(), MAX_LINE_CHARS + 1);
        assert!(out.ends_with('…'));
    }

    #[test]
    fn csv_blocks_formulas_and_quotes() {
        assert_eq!(csv_field("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        assert_eq!(csv_field("=1,2"), "\"'=1,2\"");
        assert_eq!(csv_field("+1"), "'+1");
        assert_eq!(csv_field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_field("\t=1+1"), "' =1+1");
        assert_eq!(csv_field("\r=1+1"), "' =1+1");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("\x1b[31mred"), "\u{FFFD}[31mred");
    }

    #[test]
    fn json_text_escapes_without_changing_the_value() {
        let raw = "{\"t\":\"a\u{9b}31m\u{202e}b\u{200b}\\u001b[2J\",\n\t\"n\":1}";
        let safe = json_text(raw);
        assert!(
            !safe
                .chars()
                .any(|c| is_dangerous(c) && !c.is_ascii_whitespace())
        );
        assert!(
            safe.contains("\\u009b") && safe.contains("\\u202e"),
            "{safe}"
        );
        let a: serde_json::Value = serde_json::from_str(raw).unwrap();
        let b: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(a, b);
        assert!(matches!(json_text("{\"a\": \"漢字\"}\n"), Cow::Borrowed(_)));
    }

    #[test]
    fn log_records_keep_their_line_breaks_only() {
        let rec = "WARN x: error=a\x1b]52;c;eA==\x07b\u{202e}\tc\r\n";
        let safe = log_record(rec);
        assert_eq!(
            safe,
            "WARN x: error=a\u{FFFD}]52;c;eA==\u{FFFD}b\u{FFFD} c\u{FFFD}\n"
        );
        assert!(matches!(log_record("plain\n"), Cow::Borrowed(_)));
    }
}
