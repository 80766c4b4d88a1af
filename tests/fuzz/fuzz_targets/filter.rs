//! The emulator's `$filter` parser takes query strings from any client: whatever the
//! bytes, it answers Ok or a FilterError, and never panics or overflows the stack. A filter
//! that parses is also evaluated against generated alerts (hostile ones included), so the
//! evaluator's comparisons are fuzzed too.
#![no_main]

use graphsec::emulator::filter;
use graphsec::emulator::generate::{GenConfig, generate};
use graphsec::emulator::store::AlertRecord;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn records() -> &'static [AlertRecord] {
    static RECORDS: OnceLock<Vec<AlertRecord>> = OnceLock::new();
    RECORDS.get_or_init(|| {
        generate(&GenConfig {
            alerts: 60,
            seed: 7,
            now: time::macros::datetime!(2026-11-26 12:00 UTC),
            hostile: true,
        })
        .unwrap_or_default()
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match filter::parse(&text) {
        Ok(expr) => {
            for r in records() {
                let _ = expr.matches(r);
            }
        }
        // The message goes back to the client verbatim: building it must not panic either.
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
