//! The plan parser on arbitrary bytes: a plan or an error with a position, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = dualdraw::Plan::parse(data, "plan.toml".as_ref());
});
