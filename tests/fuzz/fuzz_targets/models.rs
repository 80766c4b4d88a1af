//! The model deserializers read whatever a server (or an attacker in the middle of one)
//! sends: a page or a single alert, any bytes, must give a value or an error, never a panic.
#![no_main]

use graphsec::graph::models::{Alert, parse_page};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(page) = parse_page::<Alert>(text) {
        for alert in &page.items {
            // What the console derives for display must not panic on odd values either.
            let _ = alert.category_text();
            let _ = serde_json::to_string(alert);
        }
    }
    if let Ok(alert) = Alert::from_json(text) {
        let _ = alert.category_text();
        let _ = serde_json::to_string(&alert);
    }
});
