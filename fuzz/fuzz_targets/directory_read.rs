//! The directory readers alone on arbitrary bytes (no draw): an error or a result, never a
//! panic. Cheap enough per input for runs of 10^7 executions; `directory` adds the draws.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = dualdraw::directory::read_officers(data, "officers.csv".as_ref());
    let _ = dualdraw::directory::read_targets(data, "targets.csv".as_ref());
});
