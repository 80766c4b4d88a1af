//! The fuzz targets' properties in the normal test suite: every committed seed and
//! regression input under `tests/fuzz/{seeds,regressions}/TARGET/` is replayed, and a
//! bounded deterministic stream of random inputs (built from each parser's own tokens, so
//! it gets past the first byte) runs through the same checks. cargo-fuzz explores far more
//! (`.ci/fuzz`, not in CI); this keeps what it found fixed and catches gross regressions
//! on every `cargo test`.

use graphsec::emulator::filter;
use graphsec::emulator::generate::{GenConfig, generate};
use graphsec::emulator::store::AlertRecord;
use graphsec::graph::models::{Alert, parse_page};
use graphsec::sanitize::{self, MAX_LINE_CHARS, MAX_TEXT_CHARS, is_dangerous};
use std::path::Path;
use std::sync::OnceLock;

/// Generated alerts (hostile ones included) that parsed filters are evaluated against.
fn records() -> &'static [AlertRecord] {
    static RECORDS: OnceLock<Vec<AlertRecord>> = OnceLock::new();
    RECORDS.get_or_init(|| {
        generate(&GenConfig {
            alerts: 60,
            seed: 7,
            now: time::macros::datetime!(2026-11-26 12:00 UTC),
            hostile: true,
        })
        .expect("the tenant generates")
    })
}

/// The `filter` target: Ok or an error, never a panic; a filter that parses evaluates.
fn check_filter(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    match filter::parse(&text) {
        Ok(expr) => {
            for r in records() {
                let _ = expr.matches(r);
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

/// The `models` target: a page or an alert, or an error, never a panic.
fn check_models(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(page) = parse_page::<Alert>(text) {
        for alert in &page.items {
            let _ = alert.category_text();
            let _ = serde_json::to_string(alert);
        }
    }
    if let Ok(alert) = Alert::from_json(text) {
        let _ = alert.category_text();
        let _ = serde_json::to_string(&alert);
    }
}

/// The `sanitize` target's promises.
fn check_sanitize(data: &[u8]) {
    let input = String::from_utf8_lossy(data);
    let line = sanitize::line(&input);
    assert!(!line.chars().any(is_dangerous), "line: {line:?}");
    assert!(line.chars().count() <= MAX_LINE_CHARS + 1);
    let text = sanitize::text(&input);
    assert!(
        !text.chars().any(|c| c != '\n' && is_dangerous(c)),
        "text: {text:?}"
    );
    assert!(text.chars().count() <= MAX_TEXT_CHARS + 1);
    let cell = sanitize::csv_field(&input);
    assert!(!cell.chars().any(is_dangerous), "csv: {cell:?}");
    let inner = cell.strip_prefix('"').unwrap_or(&cell);
    assert!(
        !inner.starts_with(['=', '+', '-', '@', '|', '%']),
        "csv formula: {cell:?}"
    );
    if input.starts_with(['=', '+', '-', '@', '|', '%', '\t', '\r']) {
        assert!(inner.starts_with('\''), "unguarded csv: {cell:?}");
    }
    let json = sanitize::json_text(&input);
    assert!(
        !json
            .chars()
            .any(|c| is_dangerous(c) && !matches!(c, '\t' | '\n' | '\r'))
    );
    let record = sanitize::log_record(&input);
    assert!(!record.chars().any(|c| c != '\n' && is_dangerous(c)));
}

fn replay(target: &str, check: fn(&[u8])) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz");
    let mut n = 0;
    for kind in ["seeds", "regressions"] {
        let Ok(entries) = std::fs::read_dir(root.join(kind).join(target)) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.file_name().is_some_and(|f| f == ".keep") {
                continue;
            }
            let data = std::fs::read(&path).expect("read input");
            check(&data);
            n += 1;
        }
    }
    n
}

/// splitmix64: deterministic, so a failure repeats.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Inputs made of `tokens` and random bytes, and mutations of the seeds.
fn random_inputs(seed: u64, count: usize, tokens: &[&str], seeds: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut rng = Rng(seed);
    (0..count)
        .map(|_| {
            let mut out: Vec<u8> = if !seeds.is_empty() && rng.below(2) == 0 {
                seeds[rng.below(seeds.len())].clone()
            } else {
                Vec::new()
            };
            for _ in 0..1 + rng.below(24) {
                let at = rng.below(out.len() + 1);
                match rng.below(4) {
                    0 => {
                        let b = (rng.next() & 0xff) as u8;
                        out.insert(at, b);
                    }
                    1 if !out.is_empty() => {
                        let end = (at + rng.below(8)).min(out.len());
                        out.drain(at.min(end)..end);
                    }
                    _ => {
                        let t = tokens[rng.below(tokens.len())].as_bytes();
                        out.splice(at..at, t.iter().copied());
                    }
                }
            }
            out
        })
        .collect()
}

fn seeds(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz/seeds")
        .join(target);
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .filter_map(|e| std::fs::read(e.path()).ok())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn filter_inputs_never_panic() {
    assert!(replay("filter", check_filter) > 0, "the seeds are replayed");
    let tokens = [
        "severity",
        "status",
        "createdDateTime",
        "assignedTo",
        "classification",
        " eq ",
        " ne ",
        " gt ",
        " ge ",
        " lt ",
        " le ",
        " in ",
        " and ",
        " or ",
        "not ",
        "(",
        ")",
        "'",
        "''",
        "'high'",
        "null",
        "true",
        ",",
        "2026-11-26T12:00:00Z",
        "2026-13-45",
        "99999999999999999999",
        "-",
        ".",
        "\u{0}",
        "\u{202e}",
        "漢",
        "((((((((((",
    ];
    for input in random_inputs(1, 4_000, &tokens, &seeds("filter")) {
        check_filter(&input);
    }
    // Deep nesting is refused, not a stack overflow.
    check_filter("(".repeat(100_000).as_bytes());
    check_filter("not ".repeat(50_000).as_bytes());
}

#[test]
fn model_inputs_never_panic() {
    assert!(replay("models", check_models) > 0, "the seeds are replayed");
    let tokens = [
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        "\"",
        "null",
        "true",
        "1e999",
        "-0",
        "18446744073709551616",
        "\"id\":",
        "\"value\":",
        "\"@odata.nextLink\":",
        "\"@odata.count\":",
        "\"evidence\":",
        "\"comments\":",
        "\"severity\":",
        "\"createdDateTime\":",
        "\"2026-11-26T12:00:00Z\"",
        "\"9999-99-99T99:99:99Z\"",
        "\"\\u0000\"",
        "\"\\ud800\"",
        "\"@odata.type\":",
        "\"#microsoft.graph.security.fileEvidence\"",
        "\"fileDetails\":",
        "\"userAccount\":",
    ];
    for input in random_inputs(2, 4_000, &tokens, &seeds("models")) {
        check_models(&input);
    }
    check_models("[".repeat(100_000).as_bytes());
    check_models(format!("{{\"value\":[{}]}}", "{\"id\":\"x\"},".repeat(2_000) + "{}").as_bytes());
}

#[test]
fn sanitiser_promises_hold_for_any_input() {
    assert!(
        replay("sanitize", check_sanitize) > 0,
        "the seeds are replayed"
    );
    let tokens = [
        "\u{1b}[2J",
        "\u{1b}]52;c;",
        "\u{7}",
        "\u{9b}",
        "\u{202e}",
        "\u{2066}",
        "\u{200b}",
        "\u{feff}",
        "\u{0}",
        "\r\n",
        "\t",
        "=",
        "+",
        "-",
        "@",
        "|",
        "%",
        "\"",
        ",",
        " ",
        "漢",
        "🦀",
        "\u{85}",
        "\u{2028}",
        "e\u{301}",
    ];
    for input in random_inputs(3, 4_000, &tokens, &seeds("sanitize")) {
        check_sanitize(&input);
    }
    check_sanitize("\u{1b}".repeat(200_000).as_bytes());
}
