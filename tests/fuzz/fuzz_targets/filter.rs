//! The emulator's `$filter` parser takes query strings from any client: whatever the
//! bytes, it answers Ok or a FilterError, and never panics or overflows the stack.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Err(e) = graphsec::emulator::filter::parse(&text) {
        // The message goes back to the client verbatim: building it must not panic either.
        let _ = e.to_string();
    }
});
