//! The directory readers and the streamed draw on arbitrary bytes: an error or a result, never
//! a panic; and where both the in-memory and the streamed draw succeed, the same log bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let _ = dualdraw::directory::read_officers(data, "officers.csv".as_ref());
    let plan = common::plan();
    let officers = common::officers();
    let memory = dualdraw::directory::read_targets(data, "targets.csv".as_ref())
        .and_then(|t| dualdraw::Draw::new(&plan).seed("s").run(&t, &officers));
    let streamed = dualdraw::Draw::new(&plan).seed("s").run_stream(
        data,
        "targets.csv".as_ref(),
        &officers,
        &mut |_| {},
    );
    if let (Ok(m), Ok(s)) = (&memory, &streamed) {
        assert_eq!(m.log.to_bytes(), s.log.to_bytes(), "streamed and in-memory draws differ");
    }
});
