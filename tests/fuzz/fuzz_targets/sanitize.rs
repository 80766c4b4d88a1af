//! The sanitiser's promises, for any input: no dangerous character survives `line`,
//! `text` keeps only `\n` of them, lengths are capped, and a CSV cell never starts a
//! formula.
#![no_main]

use graphsec::sanitize::{self, MAX_LINE_CHARS, MAX_TEXT_CHARS, is_dangerous};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let input = String::from_utf8_lossy(data);

    let line = sanitize::line(&input);
    assert!(
        !line.chars().any(is_dangerous),
        "line kept a dangerous char: {line:?}"
    );
    assert!(line.chars().count() <= MAX_LINE_CHARS + 1);

    let text = sanitize::text(&input);
    assert!(
        !text.chars().any(|c| c != '\n' && is_dangerous(c)),
        "text kept a dangerous char: {text:?}"
    );
    assert!(text.chars().count() <= MAX_TEXT_CHARS + 1);

    let cell = sanitize::csv_field(&input);
    assert!(
        !cell.chars().any(is_dangerous),
        "csv kept a dangerous char: {cell:?}"
    );
    let inner = cell.strip_prefix('"').unwrap_or(&cell);
    assert!(
        !inner.starts_with(['=', '+', '-', '@', '|', '%']),
        "csv cell starts a formula: {cell:?}"
    );
    if input.starts_with(['=', '+', '-', '@', '|', '%', '\t', '\r']) {
        assert!(inner.starts_with('\''), "unguarded csv cell: {cell:?}");
    }

    let json = sanitize::json_text(&input);
    assert!(
        !json
            .chars()
            .any(|c| is_dangerous(c) && !matches!(c, '\t' | '\n' | '\r'))
    );
    let record = sanitize::log_record(&input);
    assert!(!record.chars().any(|c| c != '\n' && is_dangerous(c)));
});
