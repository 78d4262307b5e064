//! The log reader and the verifier on arbitrary bytes: every line's event decodes or is
//! malformed, and verification gives a report or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    if let Ok(entries) = dualdraw::log::read(data) {
        for e in &entries {
            let _ = e.event();
        }
    }
    let plan = common::plan();
    let targets = dualdraw::directory::read_targets(
        "id,name,region,domains,status\n91120116MA05JKLM8J,乙,120116,无线电,active\n".as_bytes(),
        "targets.csv".as_ref(),
    )
    .expect("the fuzz targets are valid");
    let _ = dualdraw::Verify::new(&plan).run(data, &targets, &common::officers());
});
