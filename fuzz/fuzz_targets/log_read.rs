//! The log reader alone on arbitrary bytes (no verification): every line's event decodes or
//! is malformed, never a panic. Cheap enough for 10^7 executions; `log` adds the verifier.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(entries) = dualdraw::log::read(data) {
        for e in &entries {
            let _ = e.event();
        }
    }
});
