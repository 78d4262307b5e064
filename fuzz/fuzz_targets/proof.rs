//! The proof checker on arbitrary bytes (the first 32 are taken as the published checkpoint's
//! root, the next 4 as its tree size), the checker against the checkpoint the bytes themselves
//! name (so mutations of a real proof get past the checkpoint step), and the checkpoint parser:
//! a verdict, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = dualdraw::log::Checkpoint::parse(text);
    }
    if let Some(own) = own_checkpoint(data) {
        let _ = dualdraw::proof::check(data, &own);
    }
    if data.len() < 36 {
        return;
    }
    let mut root = [0u8; 32];
    root.copy_from_slice(&data[..32]);
    let size = u64::from(u32::from_be_bytes([data[32], data[33], data[34], data[35]]));
    let checkpoint = dualdraw::log::Checkpoint {
        origin: "dualdraw/fuzz/0000000000000000".into(),
        size,
        root,
    };
    let _ = dualdraw::proof::check(&data[36..], &checkpoint);
});

/// The checkpoint named by a proof's own `"checkpoint"` member, if it parses.
fn own_checkpoint(data: &[u8]) -> Option<dualdraw::log::Checkpoint> {
    let text = std::str::from_utf8(data).ok()?;
    let start = text.find("\"checkpoint\":\"")? + 14;
    let end = start + text[start..].find('"')?;
    dualdraw::log::Checkpoint::parse(&text[start..end].replace("\\n", "\n")).ok()
}
