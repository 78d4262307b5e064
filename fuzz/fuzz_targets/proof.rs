//! The proof checker on arbitrary bytes (the first 32 are taken as the published head): a
//! verdict, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 32 {
        return;
    }
    let mut head = [0u8; 32];
    head.copy_from_slice(&data[..32]);
    let _ = dualdraw::proof::check(&data[32..], &head);
});
